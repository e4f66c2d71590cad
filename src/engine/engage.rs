//! Engage (spec §4.3–4.4): customers stay or churn, re-order and refer.

use rand::Rng;

use crate::sampling::{LaneCounts, OrderValues, Survival, binomial, poisson};

/// Tracks a channel's customers over the horizon.
///
/// A cohort's whole future is drawn when it is acquired and recorded as
/// changes in month-indexed arrays, so the number of active customers in a
/// month is a running sum, whatever the number of cohorts. Cohorts drawn
/// customer by customer count each customer straight into the month after
/// their last active one (`leaving`, four lanes per month); lifetimes past
/// the horizon land beyond it and are never read. When churn is the same
/// for everyone (φ = 0) survival has no memory and large cohorts join one
/// pool thinned by a single binomial per month.
#[derive(Debug, Default)]
pub struct Retention {
    survival: Survival,
    /// Change in the count of *returning* customers (acquired before the
    /// month) at each month, 1-based: arrivals, and churn drawn by age.
    change: Vec<i64>,
    /// Customers drawn one by one who stop returning at each month.
    leaving: Vec<LaneCounts>,
    running: i64,
    pool: u64,
    keep: f64,
    horizon: usize,
}

impl Retention {
    pub fn reset(&mut self, churn: f64, polarization: f64, horizon: usize) {
        self.survival.reset(churn, polarization, horizon);
        self.change.clear();
        self.change.resize(horizon + 2, 0);
        // A cohort of month t counts lifetimes 0..=horizon from t + 1.
        self.leaving.clear();
        self.leaving.resize(2 * horizon + 2, LaneCounts::default());
        self.running = 0;
        self.pool = 0;
        self.keep = 1.0 - churn;
        self.horizon = horizon;
    }

    /// Customers acquired before `month` and still active in it. Must be
    /// called once per month, in order.
    pub fn returning(&mut self, month: usize) -> u64 {
        let leaving: u32 = self.leaving[month].iter().sum();
        self.running += self.change[month] - i64::from(leaving);
        self.running.max(0) as u64 + self.pool
    }

    /// Adds the `n` customers acquired in `month` (active in that month).
    pub fn acquire<R: Rng + ?Sized>(&mut self, rng: &mut R, month: usize, n: u64) {
        let max_age = self.horizon - month;
        if n == 0 || max_age == 0 {
            return;
        }
        let one_by_one = self.survival.prefers_customers(n, max_age);
        if self.survival.is_memoryless() && !one_by_one {
            self.pool += n;
            // Pooled customers churn at this month's end with the rest.
            return;
        }
        // Returning from month+1 until they churn.
        self.change[month + 1] += n as i64;
        if one_by_one {
            self.survival
                .count_customers(rng, n, &mut self.leaving[month + 1..]);
        } else {
            let change = &mut self.change;
            self.survival
                .sample_by_age(rng, n, max_age, |lifetime, count| {
                    change[month + 1 + lifetime] -= count as i64;
                });
        }
    }

    /// Month-end churn of the pooled customers.
    ///
    /// Pooled customers joined in `acquire` for this month are thinned here
    /// too, which is their first month end.
    pub fn month_end<R: Rng + ?Sized>(&mut self, rng: &mut R, month: usize) {
        if self.pool > 0 && month < self.horizon {
            self.pool = binomial(rng, self.pool, self.keep);
        }
    }
}

/// Repeat orders of `returning` customers in one month and their value.
#[inline]
pub fn repeat_orders<R: Rng + ?Sized>(
    rng: &mut R,
    values: &mut OrderValues,
    returning: u64,
    repeat_rate: f64,
    repeat_order_value: f64,
    cv: f64,
) -> (u64, f64) {
    if returning == 0 || repeat_rate == 0.0 {
        return (0, 0.0);
    }
    let orders = poisson(rng, repeat_rate * returning as f64);
    (orders, values.sum(rng, orders, repeat_order_value, cv))
}
