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
    chance: &mut ReachChance,
) -> u64 {
    if spend.is_nan() || spend <= 0.0 {
        return 0;
    }
    match audience {
        Some(people) => {
            let reach_probability = chance.of(spend, cost_per_visit, people);
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

/// `reach_probability` for one channel's months in a trial, which usually
/// repeat the same spend at the same cost (an even phasing, one draw of v
/// per trial): the last answer is kept and returned for the same argument
/// bits, the same value without its `exp_m1` (a libm call) in five months
/// of six.
#[derive(Debug, Default)]
pub struct ReachChance {
    last: Option<([u64; 3], f64)>,
}

impl ReachChance {
    #[inline]
    pub fn of(&mut self, spend: f64, cost_per_visit: f64, audience: f64) -> f64 {
        let key = [
            spend.to_bits(),
            cost_per_visit.to_bits(),
            audience.to_bits(),
        ];
        match self.last {
            Some((last_key, p)) if last_key == key => p,
            _ => {
                let p = reach_probability(spend, cost_per_visit, audience);
                self.last = Some((key, p));
                p
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_reach_probability_is_the_formulas() {
        let formula = |s: f64, v: f64, a: f64| -(-s / v / a.round().max(1.0)).exp_m1();
        let calls = [
            (1000.0, 1.1, 4e5),
            (1000.0, 1.1, 4e5),
            (1000.0, 1.2, 4e5),
            (1000.0, 1.1, 4e5),
            (2000.0, 1.1, 4e5),
            (2000.0, 1.1, 9e5),
            (0.0, 1.0, 0.0),
            (-0.0, 1.0, 0.0),
            (0.0, 0.0, 0.0),
            (0.0, 0.0, 0.0),
            (5.0, f64::NAN, 10.0),
            (5.0, f64::NAN, 10.0),
            (1000.0, 1.1, 4e5),
        ];
        let mut chance = ReachChance::default();
        for (s, v, a) in calls {
            let (kept, want) = (chance.of(s, v, a), formula(s, v, a));
            assert!(
                kept.to_bits() == want.to_bits() || (kept.is_nan() && want.is_nan()),
                "({s}, {v}, {a}): {kept} vs {want}"
            );
        }
    }
}
