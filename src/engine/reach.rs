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

/// Referred (leads, visitors) over the horizon, given that `sent` referred
/// visitors were expected in total (the sum of the monthly Poisson rates)
/// and `customers` of them converted: the leads that did not buy are
/// Poisson(sent · act · (1 − convert)) and the visitors that did not become
/// leads Poisson(sent · (1 − act)), independent of the customers.
pub fn referred_leads_and_visitors<R: Rng + ?Sized>(
    rng: &mut R,
    sent: f64,
    act_rate: f64,
    convert_rate: f64,
    customers: u64,
) -> (u64, u64) {
    let leads = customers + poisson(rng, sent * act_rate * (1.0 - convert_rate));
    let visitors = leads + poisson(rng, sent * (1.0 - act_rate));
    (leads, visitors)
}
