//! Reach (spec §4.1): paid media buys visits.

use rand::Rng;

use crate::sampling::{binomial, poisson};

/// Visitors bought with `spend` at `cost_per_visit`.
///
/// With an audience of A people, each is reached with probability
/// 1 − exp(−S/(v·A)): the first visits cost v, later ones ever more, and the
/// audience can never be exceeded. Without one, visits are Poisson(S/v).
pub fn visitors<R: Rng + ?Sized>(
    rng: &mut R,
    spend: f64,
    cost_per_visit: f64,
    audience: Option<f64>,
) -> u64 {
    if spend.is_nan() || spend <= 0.0 {
        return 0;
    }
    let expected = spend / cost_per_visit;
    match audience {
        Some(people) => {
            let people = people.round().max(1.0);
            let reach_probability = -(-expected / people).exp_m1();
            binomial(rng, people as u64, reach_probability)
        }
        None => poisson(rng, expected),
    }
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
