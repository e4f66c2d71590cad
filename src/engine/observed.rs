//! Warm start (spec §9 part 3): a trial whose first months are pinned to
//! what a running campaign observed.
//!
//! What an actual gives replaces what the engine would draw, channel by
//! channel and month by month; everything else is simulated:
//!
//! - **Spend** is not held here: the caller writes the actual spend into
//!   the plan's months 1..m (`spend[ci][t − 1]`), so it is booked as cost
//!   like any plan's spend and the plan's own spend runs on from month m + 1.
//! - **Counts** (visitors, leads, customers) given for a month are taken as
//!   they are. A count the actuals leave out is drawn from the model
//!   *conditioned on the counts given around it*: below the last given
//!   count it is thinned from it as usual (leads ~ Binomial(visitors, act)),
//!   and above a given count it is that count plus the people who dropped
//!   out in between (given visitors V and customers N, the leads are
//!   N + Binomial(V − N, act·(1 − convert) / (1 − act·convert)), the exact
//!   conditional law of the §4 binomial chain). The counts therefore always
//!   nest (visitors ≥ leads ≥ customers) and a given customer count is never
//!   contradicted by a simulated lead count below it.
//! - **Reach** removes the visitors of every pinned month (given or drawn)
//!   from the audience not yet reached, so later months find fewer people.
//! - **Customers** of a pinned month become that month's cohort: their
//!   first orders, survival, repeat orders and referrals are simulated like
//!   any cohort's (spec: "their survival simulated, not observed").
//! - **Revenue** given for a channel and month is that month's whole
//!   revenue of the channel (first and repeat orders, nominal) and replaces
//!   the simulated one; the order counts are still simulated, since the
//!   actuals do not give them.
//!
//! A trial without pinned months never reaches this module: the engine
//! checks one `Option` per channel and month.

use rand::Rng;

use crate::sampling::{binomial, poisson};

/// What an outcome keeps per channel and month on request
/// (`Outcome::cells`): the quantities actuals report, so a forecast can be
/// checked against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellMetric {
    Visitors,
    Leads,
    Customers,
    Revenue,
}

impl CellMetric {
    pub const ALL: [CellMetric; 4] = [
        CellMetric::Visitors,
        CellMetric::Leads,
        CellMetric::Customers,
        CellMetric::Revenue,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What the actuals give for one channel in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ObservedMonth {
    pub visitors: Option<u64>,
    pub leads: Option<u64>,
    pub customers: Option<u64>,
    /// The channel's revenue in the month (nominal).
    pub revenue: Option<f64>,
}

impl ObservedMonth {
    pub fn has_counts(&self) -> bool {
        self.visitors.is_some() || self.leads.is_some() || self.customers.is_some()
    }

    pub fn is_empty(&self) -> bool {
        !self.has_counts() && self.revenue.is_none()
    }
}

/// The observed prefix of a campaign: months 1..=`months` of each channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub months: usize,
    /// `cells[ci][t − 1]`; empty for a channel without any actual.
    cells: Vec<Vec<ObservedMonth>>,
}

impl Observed {
    pub fn new(channels: usize, months: usize) -> Self {
        Observed {
            months,
            cells: vec![Vec::new(); channels],
        }
    }

    /// The cell of channel `ci` in month `month` (1-based, ≤ `months`).
    pub fn cell_mut(&mut self, ci: usize, month: usize) -> &mut ObservedMonth {
        let cells = &mut self.cells[ci];
        if cells.is_empty() {
            cells.resize(self.months, ObservedMonth::default());
        }
        &mut cells[month - 1]
    }

    /// Channel `ci`'s observed months, or `None` when the actuals say
    /// nothing about it (it is then simulated as in a plain run).
    #[inline]
    pub fn channel(&self, ci: usize) -> Option<&[ObservedMonth]> {
        self.cells
            .get(ci)
            .filter(|cells| cells.iter().any(|c| !c.is_empty()))
            .map(Vec::as_slice)
    }
}

/// Where the first count of a month's chain comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// `people` not yet reached, each reached with `probability`.
    Audience { people: u64, probability: f64 },
    /// Poisson arrivals at this rate (no audience; referred visitors).
    Poisson(f64),
}

/// One month's (visitors, leads, customers) of a channel, pinned to the
/// counts `given` and drawn for the others from their law given the pinned
/// ones (see the module doc). `act` and `convert` are the month's rates.
pub fn pinned_counts<R: Rng + ?Sized>(
    rng: &mut R,
    source: Source,
    act: f64,
    convert: f64,
    given: &ObservedMonth,
) -> [u64; 3] {
    let given = [given.visitors, given.leads, given.customers];
    // Probability of passing each stage from the one above it; stage 0's
    // parent is the source (probability 1 for Poisson arrivals, whose rate
    // already counts visitors).
    let pass = [
        match source {
            Source::Audience { probability, .. } => probability,
            Source::Poisson(_) => 1.0,
        },
        act,
        convert,
    ];
    let mut counts = [0u64; 3];
    let mut parent: Option<u64> = match source {
        Source::Audience { people, .. } => Some(people),
        Source::Poisson(_) => None,
    };
    for k in 0..3 {
        let count = match given[k] {
            Some(x) => x,
            None => {
                let below = (k + 1..3).find_map(|j| given[j].map(|d| (j, d)));
                match below {
                    // Nothing given below: the stage's plain law.
                    None => match (parent, source) {
                        (Some(n), _) => binomial(rng, n, pass[k]),
                        (None, Source::Poisson(rate)) => poisson(rng, rate),
                        (None, Source::Audience { .. }) => unreachable!("an audience is a count"),
                    },
                    // The `d` people of stage j passed this stage; of the
                    // others, the ones that passed it but not stage j.
                    Some((j, d)) => {
                        let through: f64 = pass[k + 1..=j].iter().product();
                        let dropped = pass[k] * (1.0 - through);
                        match (parent, source) {
                            (Some(n), _) => {
                                let rest = 1.0 - pass[k] * through;
                                let q = if rest > 0.0 { dropped / rest } else { 0.0 };
                                d + binomial(rng, n.saturating_sub(d), q)
                            }
                            (None, Source::Poisson(rate)) => d + poisson(rng, rate * dropped),
                            (None, Source::Audience { .. }) => {
                                unreachable!("an audience is a count")
                            }
                        }
                    }
                }
            }
        };
        counts[k] = count;
        parent = Some(count);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::stream;

    fn month(v: Option<u64>, l: Option<u64>, n: Option<u64>) -> ObservedMonth {
        ObservedMonth {
            visitors: v,
            leads: l,
            customers: n,
            revenue: None,
        }
    }

    #[test]
    fn given_counts_are_kept_and_the_others_nest_around_them() {
        let mut rng = stream(1, 2, 3);
        let source = Source::Audience {
            people: 10_000,
            probability: 0.3,
        };
        for _ in 0..200 {
            let [v, l, n] = pinned_counts(&mut rng, source, 0.1, 0.2, &month(None, None, Some(40)));
            assert_eq!(n, 40);
            assert!(v >= l && l >= n, "{v} {l} {n}");
            let [v, l, n] =
                pinned_counts(&mut rng, source, 0.1, 0.2, &month(Some(500), None, Some(9)));
            assert_eq!((v, n), (500, 9));
            assert!((9..=500).contains(&l));
        }
    }

    /// Leads between given visitors and customers: their mean is
    /// N + (V − N)·q with q = act(1 − convert)/(1 − act·convert).
    #[test]
    fn leads_between_given_counts_follow_their_conditional_law() {
        let mut rng = stream(4, 5, 6);
        let (act, convert) = (0.2, 0.25);
        let given = month(Some(1000), None, Some(30));
        let draws = 20_000;
        let sum: u64 = (0..draws)
            .map(|_| pinned_counts(&mut rng, Source::Poisson(1.0), act, convert, &given)[1])
            .sum();
        let q = act * (1.0 - convert) / (1.0 - act * convert);
        let want = 30.0 + 970.0 * q;
        let se = (970.0 * q * (1.0 - q) / draws as f64).sqrt();
        let mean = sum as f64 / draws as f64;
        assert!((mean - want).abs() < 5.0 * se, "{mean} vs {want} ± {se}");
    }

    /// Poisson visitors above given customers: N + Poisson(λ(1 − act·convert)).
    #[test]
    fn poisson_visitors_above_given_customers() {
        let mut rng = stream(7, 8, 9);
        let (rate, act, convert) = (500.0, 0.1, 0.3);
        let given = month(None, None, Some(12));
        let draws = 20_000;
        let sum: u64 = (0..draws)
            .map(|_| pinned_counts(&mut rng, Source::Poisson(rate), act, convert, &given)[0])
            .sum();
        let lambda = rate * (1.0 - act * convert);
        let mean = sum as f64 / draws as f64;
        let se = (lambda / draws as f64).sqrt();
        assert!(
            (mean - 12.0 - lambda).abs() < 5.0 * se,
            "{mean} vs {}",
            12.0 + lambda
        );
    }
}
