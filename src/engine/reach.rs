//! Reach (spec §4.1): paid media buys visits.

use rand::Rng;

use crate::sampling::{binomial, poisson};

/// Visitors bought in one month with `spend` at `cost_per_visit` (spec §4.1).
///
/// With an audience of A people of whom `unreached` have not been reached
/// yet, each of them is reached with probability p = 1 − exp(−S/(v·A)),
/// and those reached leave `unreached`: the first visits cost v, later
/// months find fewer new people, and the audience can never be exceeded.
/// Chained over months with one v this is Binomial(A, 1 − exp(−ΣS/(v·A)))
/// in total, however the spend is phased. Without an audience, visits are
/// Poisson(S/v) and `unreached` is left alone.
pub fn month_visitors<R: Rng + ?Sized>(
    rng: &mut R,
    spend: f64,
    cost_per_visit: f64,
    audience: Option<f64>,
    unreached: &mut u64,
) -> u64 {
    if spend.is_nan() || spend <= 0.0 {
        return 0;
    }
    match audience {
        Some(people) => {
            let reach_probability = reach_probability(spend, cost_per_visit, people);
            let reached = binomial(rng, *unreached, reach_probability);
            *unreached -= reached;
            reached
        }
        None => poisson(rng, spend / cost_per_visit),
    }
}

/// The chance p = 1 − exp(−S/(v·A)) that one person of an audience of A
/// not reached yet is reached by a month's spend S at cost per visit v.
#[inline]
pub fn reach_probability(spend: f64, cost_per_visit: f64, audience: f64) -> f64 {
    -(-spend / cost_per_visit / audience.round().max(1.0)).exp_m1()
}

/// Expected visitors, for the invariants the tests check (more spend never
/// buys fewer visitors).
pub fn expected_visitors(spend: f64, cost_per_visit: f64, audience: Option<f64>) -> f64 {
    let expected = spend / cost_per_visit;
    match audience {
        Some(people) => people * -(-expected / people).exp_m1(),
        None => expected,
    }
}
