//! Referral (spec §4.4): active customers send visitors, who go through
//! the referral channel's own act and convert rates; the customers they
//! bring refer in turn.

use rand::Rng;

use crate::sampling::poisson;

/// New customers among the visitors referred in one month, who arrive in
/// Poisson(`rate`) numbers (spec §4.4) and each become a lead with
/// `act_rate` and then a customer with `convert_rate`.
///
/// Thinning a Poisson count keeps it Poisson, and the thinned-out visitors
/// and leads are independent of the customers, so a month's customers are
/// one Poisson(rate · act · convert) draw. Only customers carry on into
/// later months; the visitors and leads that did not convert are only
/// counted, so they are drawn once for the whole horizon
/// (`referred_leads_and_visitors`) instead of month by month.
#[inline]
pub fn referred_customers<R: Rng + ?Sized>(
    rng: &mut R,
    rate: f64,
    act_rate: f64,
    convert_rate: f64,
) -> u64 {
    poisson(rng, rate * act_rate * convert_rate)
}

/// Referred (leads, visitors) over the horizon, given `customers` of them
/// converted: the leads that did not buy are Poisson(`lost_leads`) (the sum
/// over months of sent · act · (1 − convert)) and the visitors that did not
/// become leads Poisson(`lost_visitors`) (the sum of sent · (1 − act)),
/// independent of the customers.
pub fn referred_leads_and_visitors<R: Rng + ?Sized>(
    rng: &mut R,
    lost_leads: f64,
    lost_visitors: f64,
    customers: u64,
) -> (u64, u64) {
    // Saturating: a runaway cycle's rates give draws near u64::MAX, which
    // the caller caps (and reports) rather than letting the sum wrap.
    let leads = customers.saturating_add(poisson(rng, lost_leads));
    let visitors = leads.saturating_add(poisson(rng, lost_visitors));
    (leads, visitors)
}
