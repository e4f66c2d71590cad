//! Act (spec §4.2): visitors become leads.

use rand::Rng;

use crate::sampling::binomial;

/// Leads among `visitors`, each converting with `rate` independently.
///
/// The spec draws leads month by month from each month's visitors; since
/// visitors are split over months uniformly and independently of whether
/// they convert, drawing the channel's leads at once and splitting the
/// resulting customers over months (see `convert`) is the same joint
/// distribution with C−1 fewer draws per stage.
#[inline]
pub fn leads<R: Rng + ?Sized>(rng: &mut R, visitors: u64, rate: f64) -> u64 {
    binomial(rng, visitors, rate)
}
