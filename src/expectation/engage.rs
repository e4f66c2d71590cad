//! Engage in expectation (spec §7, §4.3–4.4): active customers are a
//! convolution of each month's new customers with the survival curve,
//! repeat orders and referred visitors are proportional to them, and the
//! referral cycle is linear, so what one customer acquired in month s is
//! worth (referred descendants included) is a number per month.

use crate::sampling::Survival;

use super::{EngageInputs, Expected};

/// Expected active customers month by month from the new customers added
/// so far.
#[derive(Debug, Clone, Default)]
pub struct Cohorts {
    /// (month index from 0, new customers) of the months so far that
    /// acquired any: a paid channel acquires in its campaign months only,
    /// and the others' terms of the convolution are zeros.
    cohorts: Vec<(usize, f64)>,
    /// Months added so far.
    months: usize,
    /// Whether a month with +0.0 new customers was left out.
    skipped_positive_zero: bool,
}

impl Cohorts {
    pub fn start(&mut self) {
        self.cohorts.clear();
        self.months = 0;
        self.skipped_positive_zero = false;
    }

    /// Adds the next month's new customers and returns the customers
    /// acquired before that month who are still active in it (a_t): the
    /// sum, in month order, of each earlier month's new customers times
    /// their survival.
    ///
    /// Leaving out the zero terms gives the same number, bit for bit: every
    /// term is ≥ 0, and a zero added to a partial sum changes nothing except
    /// the sign of a −0.0 sum (the empty sum's value), which a +0.0 term
    /// turns into +0.0 wherever it stands; so +0.0 is added once at the end
    /// if such a term was left out.
    pub fn month(&mut self, survival: &Survival, new: f64) -> f64 {
        let t = self.months + 1;
        let mut returning: f64 = std::iter::empty::<f64>().sum();
        for &(i, n) in &self.cohorts {
            returning += n * survival.survival(t - 1 - i);
        }
        if self.skipped_positive_zero {
            returning += 0.0;
        }
        if new != 0.0 {
            self.cohorts.push((self.months, new));
        } else if new.is_sign_positive() {
            self.skipped_positive_zero = true;
        }
        self.months += 1;
        returning
    }
}

/// Books month `t` of a channel with `new` customers and `returning` ones
/// into the expected totals: orders, revenue, active customers, and the
/// referred visitors they send. Returns the month's nominal revenue.
pub fn book_month(
    inputs: &EngageInputs,
    t: usize,
    new: f64,
    returning: f64,
    out: &mut Expected,
    sent: &mut [f64],
) -> f64 {
    let repeats = inputs.repeat_rate * returning;
    let revenue = inputs.order_value * new + inputs.repeat_order_value * repeats;
    out.repeat_orders += repeats;
    out.orders += repeats;
    out.monthly_revenue[t - 1] += revenue;
    out.monthly_active[t - 1] += returning + new;
    out.monthly_customers[t - 1] += new;
    sent[t] += inputs.referral_rate * returning;
    revenue
}

/// What one customer acquired in month s (1..=H) is worth in expectation:
/// the present value of their orders and of their referred descendants'
/// orders, and how many customers they amount to (themselves included).
#[derive(Debug, Clone, Default)]
pub struct CustomerValue {
    /// Index s; index 0 unused.
    revenue: Vec<f64>,
    customers: Vec<f64>,
    /// Referral channel only: act × convert of month t, so a referred
    /// visitor arriving in month t is worth `conversion[t]·revenue[t]`.
    conversion: Vec<f64>,
}

impl CustomerValue {
    /// Per-month value of a `referral` customer, whose descendants are
    /// referral customers too: built backwards from the horizon.
    pub fn build_referral(
        &mut self,
        inputs: &EngageInputs,
        conversion: impl Fn(usize) -> f64,
        survival: &Survival,
        discount: &[f64],
    ) {
        let horizon = discount.len() - 1;
        self.conversion.clear();
        self.conversion.push(0.0);
        self.conversion.extend((1..=horizon).map(conversion));
        self.fill(inputs, survival, discount, None);
    }

    /// Per-month value of a paid channel's customer, whose descendants are
    /// `referral` customers worth `referral`'s values.
    pub fn build_paid(
        &mut self,
        inputs: &EngageInputs,
        survival: &Survival,
        discount: &[f64],
        referral: Option<&CustomerValue>,
    ) {
        self.conversion.clear();
        self.fill(inputs, survival, discount, referral);
    }

    fn fill(
        &mut self,
        inputs: &EngageInputs,
        survival: &Survival,
        discount: &[f64],
        referral: Option<&CustomerValue>,
    ) {
        let horizon = discount.len() - 1;
        self.revenue.clear();
        self.revenue.resize(horizon + 2, 0.0);
        self.customers.clear();
        self.customers.resize(horizon + 2, 0.0);
        let repeat_value = inputs.repeat_rate * inputs.repeat_order_value;
        for s in (1..=horizon).rev() {
            let mut revenue = inputs.order_value * discount[s];
            let mut customers = 1.0;
            for (t, d) in discount.iter().enumerate().skip(s + 1) {
                let alive = survival.survival(t - s);
                revenue += repeat_value * alive * d;
                // Referred visitors sent in month t arrive in t + 1 ≤ H.
                if t < horizon && inputs.referral_rate > 0.0 {
                    let sent = inputs.referral_rate * alive;
                    let (value, count) = match referral {
                        Some(r) => (r.visitor_revenue(t + 1), r.visitor_customers(t + 1)),
                        None => (self.visitor_revenue(t + 1), self.visitor_customers(t + 1)),
                    };
                    revenue += sent * value;
                    customers += sent * count;
                }
            }
            self.revenue[s] = revenue;
            self.customers[s] = customers;
        }
    }

    /// What one referred visitor arriving in month t is worth.
    fn visitor_revenue(&self, t: usize) -> f64 {
        self.conversion.get(t).map_or(0.0, |c| c * self.revenue[t])
    }

    fn visitor_customers(&self, t: usize) -> f64 {
        self.conversion
            .get(t)
            .map_or(0.0, |c| c * self.customers[t])
    }

    /// Present value of the revenue of a customer acquired in month s.
    pub fn revenue_of(&self, s: usize) -> f64 {
        self.revenue[s]
    }

    /// Customers (self and descendants) of a customer acquired in month s.
    pub fn customers_of(&self, s: usize) -> f64 {
        self.customers[s]
    }
}
