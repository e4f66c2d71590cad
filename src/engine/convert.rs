//! Convert (spec §4.2): leads become customers and place a first order.

use rand::Rng;

use crate::sampling::{OrderValues, binomial};

/// Customers among one month's `leads`, each buying with that month's
/// `rate` independently.
#[inline]
pub fn customers<R: Rng + ?Sized>(rng: &mut R, leads: u64, rate: f64) -> u64 {
    binomial(rng, leads, rate)
}

/// Value of `orders` first orders.
#[inline]
pub fn first_orders_value<R: Rng + ?Sized>(
    rng: &mut R,
    values: &mut OrderValues,
    orders: u64,
    order_value: f64,
    cv: f64,
) -> f64 {
    values.sum(rng, orders, order_value, cv)
}
