//! Expectations given the assumptions (spec §7).
//!
//! Once a trial's assumptions θ are drawn, every count of the model is a
//! chain of binomial and Poisson thinnings and every amount of money is
//! linear in those counts, so E[Y | θ] has a closed form. This layer
//! computes it from the same draws the engine uses, so trial i's
//! E[Y | θ_i] sits beside its simulated Y: their difference is the luck of
//! a finite population, and the spread of E[Y | θ] is what better
//! assumptions could remove.
//!
//! It mirrors the engine's stages: `reach` (expected visitors of a spend
//! pattern and their derivative), `engage` (what one customer acquired in a
//! month is worth, referral descendants included, through retention, repeat
//! orders and the referral cycle), and the month-by-month pass below
//! (Act, Convert and money).
//!
//! Cost per trial: O(channels × months²) for the retention convolutions,
//! whatever the audience or the number of customers.

pub mod engage;
pub mod luck;
pub mod reach;

use crate::engine::money;
use crate::sampling::Survival;
use crate::scenario::{Channel, Param, Scenario};
use engage::{Cohorts, CustomerValue};
use reach::SpendResponse;

/// A channel's rates in month `t` (1-based) of a trial: cost per visit,
/// act rate and convert rate, with their month overrides.
pub fn month_rates(channel: &Channel, t: usize, draws: &[f64]) -> MonthRates {
    let get = |p: Option<Param>, default: f64| p.map_or(default, |p| p.value(draws));
    MonthRates {
        cost_per_visit: get(channel.cost_per_visit_in(t), f64::INFINITY),
        act: get(channel.act_rate_in(t), 0.0),
        convert: get(channel.convert_rate_in(t), 0.0),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthRates {
    pub cost_per_visit: f64,
    pub act: f64,
    pub convert: f64,
}

/// The engage-stage assumptions of a channel in one trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngageInputs {
    pub order_value: f64,
    pub repeat_rate: f64,
    pub repeat_order_value: f64,
    pub churn: f64,
    pub polarization: f64,
    pub referral_rate: f64,
}

impl EngageInputs {
    pub fn new(c: &Channel, draws: &[f64]) -> Self {
        let get = |p: Option<Param>| p.map_or(0.0, |p| p.value(draws));
        EngageInputs {
            order_value: get(c.order_value),
            repeat_rate: c.repeat_rate.value(draws),
            repeat_order_value: get(c.repeat_order_value),
            churn: c.churn.value(draws),
            polarization: c.churn_polarization.value(draws),
            referral_rate: c.referral_rate.value(draws),
        }
    }
}

/// E[Y | θ] of one plan in one trial: the linear totals of spec §5, each
/// paid channel's exact marginal returns, and the monthly series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    /// Present values, like the engine's totals.
    pub revenue: f64,
    pub gross_profit: f64,
    pub cost: f64,
    pub profit: f64,
    pub visitors: f64,
    pub leads: f64,
    pub customers: f64,
    pub orders: f64,
    pub repeat_orders: f64,
    /// Referred visitors (simulated ones: those arriving by month H).
    pub referrals: f64,
    /// Active in month H.
    pub active_customers: f64,
    /// Per channel in `Scenario::channels` order (zeros for `referral`).
    pub channels: Vec<ChannelExpected>,
    /// Months 1..=H at 0..H: nominal revenue, cost, customers acquired,
    /// customers active.
    pub monthly_revenue: Vec<f64>,
    pub monthly_cost: Vec<f64>,
    pub monthly_customers: Vec<f64>,
    pub monthly_active: Vec<f64>,
}

impl Expected {
    /// roi is linear in profit given θ, because cost is not random.
    pub fn roi(&self) -> f64 {
        money::ratio(self.profit, self.cost)
    }

    pub fn roas(&self) -> f64 {
        money::ratio(self.revenue, self.cost)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelExpected {
    pub visitors: f64,
    pub leads: f64,
    /// Customers the channel acquires itself (referred ones count under
    /// `referral`).
    pub customers: f64,
    /// Present value of the channel's own customers' orders.
    pub revenue: f64,
    /// ∂E[profit | θ]/∂S_c: the extra expected profit (present value, the
    /// whole scenario, referrals included) of one more unit of nominal
    /// spend on this channel, spread like its current pattern.
    pub marginal_profit: f64,
    /// ∂E[revenue | θ]/∂S_c.
    pub marginal_revenue: f64,
    /// ∂E[customers | θ]/∂S_c (referred customers included).
    pub marginal_customers: f64,
}

/// E[Y | θ] for every trial of a driver block, with its buffers kept from
/// block to block: what the collectors that set expectations beside
/// outcomes (the luck split, drivers) share.
#[derive(Clone, Debug, Default)]
pub struct BlockExpectations {
    workspace: Workspace,
    expected: Expected,
}

impl BlockExpectations {
    /// Calls `f(i, E[Y | θ_i])` for each trial i of `block` under plan
    /// `plan` (no marginal returns).
    pub fn each_trial(
        &mut self,
        block: &crate::simulation::Block,
        plan: usize,
        mut f: impl FnMut(usize, &Expected),
    ) {
        let spend = &block.plans[plan].spend;
        for (i, draws) in block.draws.iter().enumerate() {
            expect(
                block.scenario,
                spend,
                draws,
                false,
                &mut self.workspace,
                &mut self.expected,
            );
            f(i, &self.expected);
        }
    }
}

/// Reused buffers, so that a trial's expectation does not allocate.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    discount: Vec<f64>,
    discount_rate: Option<u64>,
    survival: Survival,
    /// Referred visitors sent in each month (arriving the month after).
    sent: Vec<f64>,
    referral_value: CustomerValue,
    response: SpendResponse,
    cohorts: Cohorts,
    parts: VisitorValues,
}

/// What one expected visitor of each month is worth to a paid channel in
/// one trial, referral descendants included: the marginal returns of its
/// spend are these values against the derivative of its visitors.
#[derive(Debug, Clone, Default)]
pub struct VisitorValues {
    /// Present value of revenue per visitor of month t, at index t − 1.
    pub revenue: Vec<f64>,
    /// Customers (referred ones included) per visitor of month t.
    pub customers: Vec<f64>,
    value: CustomerValue,
}

impl VisitorValues {
    /// Fills the values of channel `ci` given the trial's `draws`;
    /// `referral` is what a referred customer is worth in this trial.
    fn values_of(
        &mut self,
        scenario: &Scenario,
        ci: usize,
        draws: &[f64],
        discount: &[f64],
        survival: &mut Survival,
        referral: Option<&CustomerValue>,
    ) {
        let channel = &scenario.channels[ci];
        let inputs = EngageInputs::new(channel, draws);
        survival.reset(inputs.churn, inputs.polarization, scenario.horizon);
        self.value.build_paid(&inputs, survival, discount, referral);
        self.revenue.clear();
        self.customers.clear();
        for t in 1..=scenario.horizon {
            let r = month_rates(channel, t, draws);
            let conversion = r.act * r.convert;
            self.revenue.push(conversion * self.value.revenue_of(t));
            self.customers.push(conversion * self.value.customers_of(t));
        }
    }
}

/// Present value of one unit of nominal spend spread like `pattern`.
pub fn unit_cost_pv(pattern: &[f64], discount: &[f64]) -> f64 {
    let total: f64 = pattern.iter().sum();
    pattern
        .iter()
        .enumerate()
        .map(|(i, s)| s / total * discount[i + 1])
        .sum()
}

/// One trial's view of a paid channel for the optimizer: its expected
/// visitors as a function of its spend scale, and what each is worth.
#[derive(Debug, Clone, Default)]
pub struct ChannelTrial {
    pub response: SpendResponse,
    pub values: VisitorValues,
    pub gross_margin: f64,
    /// Present value of one unit of nominal spend.
    pub unit_cost: f64,
}

/// Fills `out[k]` for paid channel `channels[k]` spending in the shape of
/// `patterns[channels[k]]` (any positive total) in the trial with
/// assumption `draws`.
pub fn channel_trials(
    scenario: &Scenario,
    patterns: &[Vec<f64>],
    channels: &[usize],
    draws: &[f64],
    ws: &mut Workspace,
    out: &mut [ChannelTrial],
) {
    ws.discounts(scenario, draws);
    let referral = ws.value_referred_customers(scenario, draws);
    for (&ci, out) in channels.iter().zip(out) {
        let channel = &scenario.channels[ci];
        out.values.values_of(
            scenario,
            ci,
            draws,
            &ws.discount,
            &mut ws.survival,
            referral.then_some(&ws.referral_value),
        );
        let audience = channel.audience.map(|p| p.value(draws).round().max(1.0));
        out.response.build(&patterns[ci], audience, |t| {
            month_rates(channel, t, draws).cost_per_visit
        });
        out.gross_margin = scenario.gross_margin.value(draws);
        out.unit_cost = unit_cost_pv(&patterns[ci], &ws.discount);
    }
}

impl Workspace {
    /// Builds what a referred customer of each month is worth in this
    /// trial; false when the scenario simulates no referrals.
    fn value_referred_customers(&mut self, scenario: &Scenario, draws: &[f64]) -> bool {
        let Some(ri) = scenario.referral_index() else {
            return false;
        };
        let channel = &scenario.channels[ri];
        let inputs = EngageInputs::new(channel, draws);
        self.survival
            .reset(inputs.churn, inputs.polarization, scenario.horizon);
        self.referral_value.build_referral(
            &inputs,
            |t| {
                let r = month_rates(channel, t, draws);
                r.act * r.convert
            },
            &self.survival,
            &self.discount,
        );
        true
    }

    /// Discount factors for the trial's rate (usually fixed: kept).
    fn discounts(&mut self, scenario: &Scenario, draws: &[f64]) {
        let rate = scenario.discount_rate.value(draws);
        if self.discount_rate != Some(rate.to_bits()) || self.discount.len() != scenario.horizon + 1
        {
            money::discount_factors(rate, scenario.horizon, &mut self.discount);
            self.discount_rate = Some(rate.to_bits());
        }
    }
}

/// E[Y | θ] of a plan (`spend[c][t − 1]`: channel c's nominal spend in
/// month t) given the trial's assumption `draws`. `marginal` adds each
/// paid channel's exact marginal returns (O(months²) more per channel).
pub fn expect(
    scenario: &Scenario,
    spend: &[Vec<f64>],
    draws: &[f64],
    marginal: bool,
    ws: &mut Workspace,
    out: &mut Expected,
) {
    let horizon = scenario.horizon;
    let gross_margin = scenario.gross_margin.value(draws);
    let fixed_cost = scenario.fixed_cost.value(draws);
    ws.discounts(scenario, draws);
    reset(out, scenario);
    ws.sent.clear();
    ws.sent.resize(horizon + 2, 0.0);
    out.monthly_cost[0] += fixed_cost;

    // What a referred customer is worth, before the paid channels that
    // send them.
    let valued = marginal && ws.value_referred_customers(scenario, draws);
    let referral = scenario.referral_index().map(|ri| {
        let channel = &scenario.channels[ri];
        (ri, channel, EngageInputs::new(channel, draws))
    });

    for (ci, channel) in scenario.channels.iter().enumerate() {
        let pattern = &spend[ci];
        let total: f64 = pattern.iter().sum();
        if channel.is_referral || total.is_nan() || total <= 0.0 {
            continue;
        }
        let inputs = EngageInputs::new(channel, draws);
        ws.survival
            .reset(inputs.churn, inputs.polarization, horizon);
        let audience = channel.audience.map(|p| p.value(draws).round().max(1.0));
        ws.response.build(pattern, audience, |t| {
            month_rates(channel, t, draws).cost_per_visit
        });
        ws.cohorts.start();
        let mut row = ChannelExpected::default();
        for t in 1..=horizon {
            let rates = month_rates(channel, t, draws);
            let visitors = ws.response.visitors(t);
            let leads = visitors * rates.act;
            let new = leads * rates.convert;
            row.visitors += visitors;
            row.leads += leads;
            row.customers += new;
            out.monthly_cost[t - 1] += pattern[t - 1];
            let returning = ws.cohorts.month(&ws.survival, new);
            let revenue = engage::book_month(&inputs, t, new, returning, out, &mut ws.sent);
            row.revenue += ws.discount[t] * revenue;
        }

        if marginal {
            let parts = &mut ws.parts;
            parts.values_of(
                scenario,
                ci,
                draws,
                &ws.discount,
                &mut ws.survival,
                valued.then_some(&ws.referral_value),
            );
            let (_, d_revenue) = ws.response.value_at(total, |t| parts.revenue[t - 1]);
            let (_, d_customers) = ws.response.value_at(total, |t| parts.customers[t - 1]);
            row.marginal_revenue = d_revenue;
            row.marginal_customers = d_customers;
            row.marginal_profit = gross_margin * d_revenue - unit_cost_pv(pattern, &ws.discount);
        }
        out.visitors += row.visitors;
        out.leads += row.leads;
        out.customers += row.customers;
        out.channels[ci] = row;
    }

    if let Some((ri, channel, inputs)) = referral {
        ws.survival
            .reset(inputs.churn, inputs.polarization, horizon);
        ws.cohorts.start();
        // Referred customers refer again, so a month's arrivals depend on
        // the channel's own earlier months: one pass in month order.
        let mut row = ChannelExpected::default();
        for t in 1..=horizon {
            let arriving = ws.sent[t - 1];
            let rates = month_rates(channel, t, draws);
            let leads = arriving * rates.act;
            let new = leads * rates.convert;
            row.visitors += arriving;
            row.leads += leads;
            row.customers += new;
            let returning = ws.cohorts.month(&ws.survival, new);
            let revenue = engage::book_month(&inputs, t, new, returning, out, &mut ws.sent);
            row.revenue += ws.discount[t] * revenue;
        }
        out.visitors += row.visitors;
        out.leads += row.leads;
        out.customers += row.customers;
        out.referrals = row.visitors;
        out.channels[ri] = row;
    }

    let mut revenue = 0.0;
    let mut cost = 0.0;
    for t in 1..=horizon {
        revenue += ws.discount[t] * out.monthly_revenue[t - 1];
        cost += ws.discount[t] * out.monthly_cost[t - 1];
    }
    out.revenue = revenue;
    out.cost = cost;
    out.gross_profit = gross_margin * revenue;
    out.profit = out.gross_profit - cost;
    out.orders += out.customers;
    out.active_customers = out.monthly_active[horizon - 1];
}

fn reset(out: &mut Expected, scenario: &Scenario) {
    let horizon = scenario.horizon;
    let channels = std::mem::take(&mut out.channels);
    let mut monthly = [
        std::mem::take(&mut out.monthly_revenue),
        std::mem::take(&mut out.monthly_cost),
        std::mem::take(&mut out.monthly_customers),
        std::mem::take(&mut out.monthly_active),
    ];
    for m in &mut monthly {
        m.clear();
        m.resize(horizon, 0.0);
    }
    let [
        monthly_revenue,
        monthly_cost,
        monthly_customers,
        monthly_active,
    ] = monthly;
    let mut channels = channels;
    channels.clear();
    channels.resize(scenario.channels.len(), ChannelExpected::default());
    *out = Expected {
        channels,
        monthly_revenue,
        monthly_cost,
        monthly_customers,
        monthly_active,
        ..Expected::default()
    };
}

#[cfg(test)]
mod tests;
