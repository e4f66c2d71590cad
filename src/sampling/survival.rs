//! Customer lifetimes under the shifted-beta-geometric model (spec §4.3).

use rand::Rng;

use super::binomial::{BINOMIAL_INVERSION_MEAN, binomial_inversion_from};
use super::{InversionTable, LaneCounts};
use super::{binomial, pow_whole};

/// A customer's lifetime from the inversion table costs about 1/30 to 1/50
/// of one conditional binomial of the by-age chain (`cargo bench -p
/// racesim-benches --bench trials -- survival`: about 1 ns against 33–52
/// ns), so a cohort is drawn customer by customer while it has at most this many customers per month
/// ahead. Lifetimes whose table needs many second looks (long horizons)
/// cost more and lower the bar (`Survival::prefers_customers`).
const PER_CUSTOMER_FACTOR: f64 = 40.0;

/// Beyond this α + β the sBG's survival is (1 − churn)^k to within
/// rounding (φ below about 1e-15): the memoryless form is then exact.
const MAX_SBG_SPREAD: f64 = 1e15;

/// Customer lifetimes under the shifted-beta-geometric model (spec §4.3).
///
/// A lifetime T is the number of month ends a customer survives. Each
/// customer's churn probability θ ~ Beta(α, β), so the share of a cohort
/// still active after k month ends is S(k) = B(α, β+k)/B(α, β), and of
/// those active at age k−1 a share r(k) = (β+k−1)/(α+β+k−1) survives.
#[derive(Debug, Clone, Default)]
pub struct Survival {
    /// S(0..=max_age).
    survival: Vec<f64>,
    /// r(k) at index k (index 0 unused).
    ratio: Vec<f64>,
    memoryless: bool,
    /// The lifetime distribution (censored at the table's end) as an
    /// inversion table: twelve bits of randomness and a lookup per customer.
    lifetimes: InversionTable,
    /// ln r(k), built on first use in a trial.
    log_ratio: Vec<f64>,
    /// (churn, polarization, max age) the tables were built for.
    key: Option<(u64, u64, usize)>,
}

impl Survival {
    /// Rebuilds the tables for mean churn `churn` and polarization `phi`
    /// up to `max_age`, reusing the allocation (called once per channel and
    /// trial, so it must not allocate in steady state).
    pub fn reset(&mut self, churn: f64, phi: f64, max_age: usize) {
        // Channels usually share their engage assumptions (a `*` row, one
        // draw per trial): keep the tables when nothing changed.
        if self.key == Some((churn.to_bits(), phi.to_bits(), max_age)) {
            return;
        }
        self.key = Some((churn.to_bits(), phi.to_bits(), max_age));
        self.survival.clear();
        self.ratio.clear();
        self.lifetimes.clear();
        self.log_ratio.clear();
        self.survival.push(1.0);
        self.ratio.push(1.0);
        // 1/φ − 1 written as (1 − φ)/φ: near φ = 1 the plain form rounds
        // 1/φ to 1 and loses the spread entirely (nobody would churn after
        // the first month end, nor in it). A spread too large for f64
        // (subnormal φ) is the φ → 0 limit: everyone churns alike.
        let spread = if phi > 0.0 { (1.0 - phi) / phi } else { 0.0 };
        self.memoryless = phi == 0.0
            || churn <= 0.0
            || churn >= 1.0
            || spread.is_nan()
            || spread > MAX_SBG_SPREAD;
        let (alpha, beta) = (churn * spread, (1.0 - churn) * spread);
        let mut s = 1.0;
        for k in 1..=max_age {
            let r = if self.memoryless {
                1.0 - churn
            } else {
                (beta + (k - 1) as f64) / (alpha + beta + (k - 1) as f64)
            };
            s *= r;
            self.ratio.push(r);
            self.survival.push(s);
        }
    }

    /// Every customer has the same churn probability, so survival does not
    /// depend on age and cohorts can be pooled.
    pub fn is_memoryless(&self) -> bool {
        self.memoryless
    }

    /// S(k) for k ≤ max_age.
    pub fn survival(&self, k: usize) -> f64 {
        self.survival[k]
    }

    /// r(k): the chance that a customer active at age k−1 is active at age k.
    pub fn ratio(&self, k: usize) -> f64 {
        self.ratio[k]
    }

    /// Draws the lifetimes of a cohort of `n`, censored at `max_age`, and
    /// reports them as (lifetime, count) pairs for lifetimes below
    /// `max_age` (a count may be 0); it returns how many are still active
    /// at `max_age`.
    ///
    /// Both methods are exact; the cheaper is chosen, so the cost is
    /// O(min(n, max_age)).
    pub fn sample_cohort<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        max_age: usize,
        on_churn: impl FnMut(usize, u64),
    ) -> u64 {
        if self.prefers_customers(n, max_age) {
            self.sample_customers(rng, n, max_age, on_churn)
        } else {
            self.sample_by_age(rng, n, max_age, on_churn)
        }
    }

    /// Is a cohort of `n` with `max_age` months ahead cheaper to draw
    /// customer by customer than by age? A second look at the table costs
    /// about five first looks.
    pub fn prefers_customers(&mut self, n: u64, max_age: usize) -> bool {
        let bar = PER_CUSTOMER_FACTOR * max_age as f64;
        // A cohort too large even at the cheapest cost needs no table.
        if n == 0 || n as f64 > bar {
            return n == 0;
        }
        self.build_lifetimes();
        n as f64 * (1.0 + 5.0 * self.lifetimes.straddling_share()) <= bar
    }

    /// The lifetime table, built on first use in a trial.
    fn build_lifetimes(&mut self) {
        if self.lifetimes.is_empty() {
            let last = self.survival.len() - 1;
            let survival = &self.survival;
            // Cell k < last: churned after k month ends, so P(T ≤ k) =
            // 1 − S(k + 1); cell last: still active.
            self.lifetimes
                .build((0..=last).map(|k| if k < last { 1.0 - survival[k + 1] } else { 1.0 }));
        }
    }

    /// `sample_cohort` customer by customer: one table lookup each.
    pub fn sample_customers<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        max_age: usize,
        mut on_churn: impl FnMut(usize, u64),
    ) -> u64 {
        debug_assert!(max_age < self.survival.len());
        let mut counts = vec![LaneCounts::default(); self.survival.len()];
        self.count_customers(rng, n, &mut counts);
        let count = |c: &LaneCounts| c.iter().map(|&x| u64::from(x)).sum::<u64>();
        for (lifetime, c) in counts[..max_age].iter().enumerate() {
            on_churn(lifetime, count(c));
        }
        counts[max_age..].iter().map(count).sum()
    }

    /// Adds the lifetimes of a cohort of `n`, customer by customer, to
    /// `counts` (four lanes per lifetime, as `InversionTable::add_draws`;
    /// at least S's length). What `sample_customers` does, for callers
    /// that keep their own counters.
    #[inline]
    pub fn count_customers<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        counts: &mut [LaneCounts],
    ) {
        if n > 0 {
            self.build_lifetimes();
            self.lifetimes.add_draws(rng, n, counts);
        }
    }

    /// `sample_cohort` by age: of the customers active at age k − 1,
    /// Binomial(alive, r(k)) are still active at age k (spec §4.3).
    pub fn sample_by_age<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        max_age: usize,
        mut on_churn: impl FnMut(usize, u64),
    ) -> u64 {
        debug_assert!(max_age < self.survival.len());
        if n == 0 {
            return 0;
        }
        if self.log_ratio.is_empty() {
            self.log_ratio.extend(self.ratio.iter().map(|r| r.ln()));
        }
        let mut alive = n;
        for k in 1..=max_age {
            let keep = self.ratio[k];
            let churn = 1.0 - keep;
            // Churners are the rare side: walk their pmf from 0 with
            // P(0) = keep^alive from the tabulated log.
            let next = if churn <= 0.5 && (alive as f64) * churn < BINOMIAL_INVERSION_MEAN {
                // Small powers by squaring are cheaper than exp.
                let first = if alive < 64 {
                    pow_whole(keep, alive)
                } else {
                    (alive as f64 * self.log_ratio[k]).exp()
                };
                alive - binomial_inversion_from(rng, alive, churn, first)
            } else {
                binomial(rng, alive, keep)
            };
            if next < alive {
                on_churn(k - 1, alive - next);
            }
            alive = next;
            if alive == 0 {
                break;
            }
        }
        alive
    }
}
