//! Act (spec §4.2): visitors become leads.

use rand::Rng;

use crate::sampling::binomial;

/// Leads among one month's `visitors`, each converting with that month's
/// `rate` independently.
#[inline]
pub fn leads<R: Rng + ?Sized>(rng: &mut R, visitors: u64, rate: f64) -> u64 {
    binomial(rng, visitors, rate)
}
