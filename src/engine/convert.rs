//! Convert (spec §4.2): leads become customers and place a first order.

use rand::Rng;

use crate::sampling::{OrderValues, binomial, split_evenly};

/// Customers among `leads`, spread over the months in `per_month` (the
/// months that had visitors), uniformly at random like the visitors were.
pub fn customers_by_month<R: Rng + ?Sized>(
    rng: &mut R,
    leads: u64,
    rate: f64,
    per_month: &mut [u64],
) -> u64 {
    let customers = binomial(rng, leads, rate);
    split_evenly(rng, customers, per_month);
    customers
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
