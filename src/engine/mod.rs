//! One trial of the RACE model (spec §4): Reach → Act → Convert → Engage,
//! then the money.
//!
//! A trial's random numbers come from streams keyed by (seed, trial, what):
//! one per assumption row (a `metric@K` row included), and per channel one
//! for each month's funnel plus its retention and order streams. Plans
//! therefore share every assumption draw (common random numbers), a plan
//! that leaves a channel's spend alone leaves that channel's population
//! draws alone too, and one that moves a single month's spend (or a
//! seasonal rate of one month) leaves the other months' funnel draws alone.
//!
//! v1 drew a channel's leads once and split its customers evenly over the
//! campaign, which was exact only for even spend and constant rates; month
//! by month draws are exact for any phasing, cost three binomial-type draws
//! per month with spend (none for the others), and keep a month's draws
//! independent of every other month's inputs.

pub mod act;
pub mod convert;
pub mod engage;
pub mod incremental;
pub mod money;
pub mod observed;
pub mod reach;
pub mod referral;

use crate::metrics::{Monthly, PerChannel, Total};
use crate::sampling::{OrderValues, TrialRng, stream};
use crate::scenario::{Channel, Param, Scenario, money_total};
use engage::Retention;
use observed::{CellMetric, Observed, ObservedMonth};

/// A channel's population draws, in three streams: the funnel (the
/// referral channel's; paid channels draw each month's funnel from a stream
/// of its own, `month_key`), retention, and orders. When a plan changes the
/// channel's spend the counts change, and so does how many random numbers
/// each sampler consumes; separate streams keep that from shifting every
/// later draw, so plans stay closely coupled (common random numbers) even
/// on the channel whose spend they change.
struct ChannelStreams {
    funnel: TrialRng,
    retention: TrialRng,
    orders: TrialRng,
}

impl ChannelStreams {
    fn new(seed: u64, trial: u64, key: u64) -> Self {
        ChannelStreams {
            funnel: stream(seed, trial, key),
            retention: stream(seed, trial, key ^ 0x5245_5445_4e54_494f), // "RETENTIO"
            orders: stream(seed, trial, key ^ 0x4f52_4445_5253_2121),    // "ORDERS!!"
        }
    }
}

/// Everything a trial reports (spec §5); NaN marks an undefined value.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub totals: [f64; Total::COUNT],
    pub channels: Vec<[f64; PerChannel::COUNT]>,
    /// Months 1..=H at indices 0..H.
    pub monthly: Vec<[f64; Monthly::COUNT]>,
    /// Some count hit `MAX_COUNT` and was capped: the trial's numbers are
    /// not to be trusted, and the run reports it as an error.
    pub overflow: bool,
    /// `cells[ci * H + t − 1]`: channel ci's visitors, leads, customers and
    /// revenue in month t (`CellMetric` order), kept only for an outcome
    /// made by `with_cells` (tracking checks actuals against them); empty
    /// otherwise, so a plain run does not pay for them. The referral
    /// channel's visitors and leads are drawn for the whole horizon at once,
    /// so they are NaN in the months the actuals do not pin.
    pub cells: Vec<[f64; CellMetric::COUNT]>,
}

/// The largest head or order count a trial may reach (about 10^15, five
/// orders of magnitude beyond the world's population). Only a runaway
/// referral cycle or absurd spend gets there; capping keeps every sum far
/// from integer overflow so the run can report the problem instead.
pub const MAX_COUNT: u64 = 1 << 50;

impl Outcome {
    pub fn new(scenario: &Scenario) -> Self {
        Outcome {
            totals: [0.0; Total::COUNT],
            channels: vec![[0.0; PerChannel::COUNT]; scenario.channels.len()],
            monthly: vec![[0.0; Monthly::COUNT]; scenario.horizon],
            overflow: false,
            cells: Vec::new(),
        }
    }

    /// An outcome of totals and months only, without per-channel rows:
    /// what `incremental` fills for a varied plan.
    pub fn totals_only(scenario: &Scenario) -> Self {
        Outcome {
            channels: Vec::new(),
            ..Outcome::new(scenario)
        }
    }

    /// Copies `other`'s totals, months and overflow flag (not its rows).
    pub fn copy_totals(&mut self, other: &Outcome) {
        self.totals = other.totals;
        self.monthly.clone_from(&other.monthly);
        self.overflow = other.overflow;
    }

    /// An outcome that also keeps every channel's monthly counts.
    pub fn with_cells(scenario: &Scenario) -> Self {
        Outcome {
            cells: vec![[0.0; CellMetric::COUNT]; scenario.channels.len() * scenario.horizon],
            ..Outcome::new(scenario)
        }
    }

    /// Channel `ci`'s kept quantities in month `month` (1-based).
    pub fn cell(&self, ci: usize, month: usize, metric: CellMetric) -> f64 {
        self.cells[ci * self.monthly.len() + month - 1][metric.index()]
    }

    pub fn total(&self, m: Total) -> f64 {
        self.totals[m.index()]
    }
}

/// A trial's money and heads month by month (index t = 1..=horizon, plus
/// one month beyond), as the channels add them up.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ledger {
    revenue: Vec<f64>,
    cost: Vec<f64>,
    active: Vec<u64>,
    customers: Vec<u64>,
    /// Expected referred visitors sent in each month (Poisson rate).
    referral_rate: Vec<f64>,
}

impl Ledger {
    fn reset(&mut self, horizon: usize) {
        for v in [&mut self.revenue, &mut self.cost, &mut self.referral_rate] {
            v.clear();
            v.resize(horizon + 2, 0.0);
        }
        for v in [&mut self.active, &mut self.customers] {
            v.clear();
            v.resize(horizon + 2, 0);
        }
    }

    /// Adds `other` month by month. A channel adds each of its months to
    /// a ledger once, so adding its own ledger (started at zero) gives the
    /// same bits as letting it add to this one directly.
    fn add(&mut self, other: &Ledger) {
        add_f64(&mut self.revenue, &other.revenue);
        add_f64(&mut self.cost, &other.cost);
        add_f64(&mut self.referral_rate, &other.referral_rate);
        add_u64(&mut self.active, &other.active);
        add_u64(&mut self.customers, &other.customers);
    }

    fn copy_from(&mut self, other: &Ledger) {
        self.revenue.clone_from(&other.revenue);
        self.cost.clone_from(&other.cost);
        self.referral_rate.clone_from(&other.referral_rate);
        self.active.clone_from(&other.active);
        self.customers.clone_from(&other.customers);
    }
}

fn add_f64(sum: &mut [f64], add: &[f64]) {
    sum.iter_mut().zip(add).for_each(|(s, a)| *s += a);
}

fn add_u64(sum: &mut [u64], add: &[u64]) {
    sum.iter_mut().zip(add).for_each(|(s, a)| *s += a);
}

/// Buffers reused from trial to trial so the hot loop does not allocate.
#[derive(Debug, Default)]
pub struct Workspace {
    discount: Vec<f64>,
    new_by_month: Vec<u64>,
    ledger: Ledger,
    retention: Retention,
    order_values: OrderValues,
    overflow: bool,
    /// The rate `discount` was computed for (it is usually fixed).
    discount_rate: Option<u64>,
}

impl Workspace {
    /// Caps a sampled count at `MAX_COUNT`, remembering that it did.
    #[inline]
    fn cap(&mut self, count: u64) -> u64 {
        if count > MAX_COUNT {
            self.overflow = true;
            MAX_COUNT
        } else {
            count
        }
    }
}

/// Draws every uncertain assumption of trial `trial` (one value per row,
/// each from the row's own stream).
pub fn draw_assumptions(scenario: &Scenario, seed: u64, trial: u64, draws: &mut Vec<f64>) {
    draws.clear();
    draws.extend(scenario.drawn.iter().map(|&i| {
        let a = &scenario.assumptions[i];
        let mut rng = stream(seed, trial, a.stream_key);
        a.prior.sample(&mut rng)
    }));
}

/// A channel's month-less assumptions in this trial (the funnel rates,
/// which may vary by month, are in `MonthRates`).
#[derive(Debug, Clone, Copy)]
struct ChannelDraw {
    audience: Option<f64>,
    order_value: f64,
    order_value_cv: f64,
    repeat_rate: f64,
    repeat_order_value: f64,
    churn: f64,
    polarization: f64,
    referral_rate: f64,
}

impl ChannelDraw {
    fn new(c: &Channel, draws: &[f64]) -> Self {
        let get = |p: Option<Param>, default: f64| p.map_or(default, |p| p.value(draws));
        ChannelDraw {
            audience: c.audience.map(|p| p.value(draws).round()),
            order_value: get(c.order_value, 0.0),
            order_value_cv: c.order_value_cv.value(draws),
            repeat_rate: c.repeat_rate.value(draws),
            repeat_order_value: get(c.repeat_order_value, 0.0),
            churn: c.churn.value(draws),
            polarization: c.churn_polarization.value(draws),
            referral_rate: c.referral_rate.value(draws),
        }
    }
}

/// The key of a channel's funnel stream in month `t`. Each month draws its
/// visitors, leads and customers from a stream of its own, so a month's
/// seasonal rate, or a plan that moves one month's spend, leaves every
/// other month's draws alone (common random numbers, month by month).
#[inline]
fn month_key(population_key: u64, t: usize) -> u64 {
    population_key ^ (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x4d4f_4e54_4800_0000 // "MONTH"
}

/// A channel's funnel rates in one month (spec §2.4: its `@t` overrides
/// where given).
#[derive(Debug, Clone, Copy)]
struct MonthRates {
    cost_per_visit: f64,
    act_rate: f64,
    convert_rate: f64,
}

impl MonthRates {
    #[inline]
    fn new(c: &Channel, t: usize, draws: &[f64]) -> Self {
        let get = |p: Option<Param>, default: f64| p.map_or(default, |p| p.value(draws));
        MonthRates {
            cost_per_visit: get(c.cost_per_visit_in(t), f64::INFINITY),
            act_rate: get(c.act_rate_in(t), 0.0),
            convert_rate: get(c.convert_rate_in(t), 0.0),
        }
    }
}

/// Simulates trial `trial` of one plan (`spend[ci][t − 1]`: channel ci's
/// spend in month t, in `scenario.channels` order) given its assumption
/// `draws`.
pub fn simulate(
    scenario: &Scenario,
    spend: &[Vec<f64>],
    draws: &[f64],
    seed: u64,
    trial: u64,
    ws: &mut Workspace,
    out: &mut Outcome,
) {
    simulate_observed(scenario, spend, draws, seed, trial, None, ws, out);
}

/// Like `simulate`, with the months `observed` pins taken from it (a warm
/// start, spec §9 part 3; see `observed`). The actual spend of those months
/// is expected in `spend`.
#[allow(clippy::too_many_arguments)]
pub fn simulate_observed(
    scenario: &Scenario,
    spend: &[Vec<f64>],
    draws: &[f64],
    seed: u64,
    trial: u64,
    observed: Option<&Observed>,
    ws: &mut Workspace,
    out: &mut Outcome,
) {
    let keep_cells = !out.cells.is_empty();
    if keep_cells {
        out.cells.fill([0.0; CellMetric::COUNT]);
    }
    let horizon = scenario.horizon;
    let money = TrialMoney::new(scenario, draws, ws);
    let mut ledger = std::mem::take(&mut ws.ledger);
    money.open(&mut ledger, horizon);
    ws.overflow = false;

    let mut totals = Totals::default();
    let mut total_spend = 0.0;
    let mut cells = out.cells.chunks_mut(horizon.max(1));
    for (ci, channel) in scenario.channels.iter().enumerate() {
        let row = &mut out.channels[ci];
        *row = EMPTY_ROW;
        let cells = cells.next();
        if channel.is_referral {
            continue;
        }
        let months = &spend[ci];
        let s = money_total(months);
        row[PerChannel::Spend.index()] = s;
        total_spend += s;
        let pinned = observed.and_then(|o| o.channel(ci));
        let Some(paid) = paid_channel(
            scenario,
            ci,
            months,
            s,
            draws,
            Position { seed, trial },
            pinned,
            cells,
            ws,
            &mut ledger,
        ) else {
            continue;
        };
        totals.add(&paid.share);
        paid.fill(row, money.gross_margin);
    }
    let referral = scenario.referral_index().map(|ri| {
        let cells = keep_cells.then(|| &mut out.cells[ri * horizon..(ri + 1) * horizon]);
        (&mut out.channels[ri], cells)
    });
    let (row, cells) = match referral {
        Some((row, cells)) => (Some(row), cells),
        None => (None, None),
    };
    referral_channel(
        scenario,
        draws,
        Position { seed, trial },
        observed,
        &money,
        &mut totals,
        ws,
        &mut ledger,
        row,
        cells,
    );
    close_trial(&money, &totals, total_spend, ws, &ledger, out);
    ws.ledger = ledger;
}

/// A channel's row before it spends: nothing, and no ROI or CAC.
const EMPTY_ROW: [f64; PerChannel::COUNT] = {
    let mut row = [0.0; PerChannel::COUNT];
    row[PerChannel::Roi as usize] = f64::NAN;
    row[PerChannel::Cac as usize] = f64::NAN;
    row
};

/// Which trial of which run: what every stream of a trial is keyed by.
#[derive(Debug, Clone, Copy)]
struct Position {
    seed: u64,
    trial: u64,
}

/// A trial's money assumptions (the discount factors live in the
/// workspace).
#[derive(Debug, Clone, Copy)]
struct TrialMoney {
    gross_margin: f64,
    fixed_cost: f64,
}

impl TrialMoney {
    fn new(scenario: &Scenario, draws: &[f64], ws: &mut Workspace) -> Self {
        let horizon = scenario.horizon;
        let discount_rate = scenario.discount_rate.value(draws);
        if ws.discount_rate != Some(discount_rate.to_bits()) || ws.discount.len() != horizon + 1 {
            money::discount_factors(discount_rate, horizon, &mut ws.discount);
            ws.discount_rate = Some(discount_rate.to_bits());
        }
        TrialMoney {
            gross_margin: scenario.gross_margin.value(draws),
            fixed_cost: scenario.fixed_cost.value(draws),
        }
    }

    /// An empty ledger that starts with the fixed cost, paid in month 1.
    fn open(&self, ledger: &mut Ledger, horizon: usize) {
        ledger.reset(horizon);
        ledger.cost[1] += self.fixed_cost;
    }
}

/// What one paid channel brought in a trial (its money and heads went to
/// the ledger).
#[derive(Debug, Default, Clone)]
struct PaidChannel {
    share: Share,
    flow: ChannelFlow,
    /// Present value of the channel's spend.
    cost_pv: f64,
}

impl PaidChannel {
    /// The channel's row of per-channel metrics.
    fn fill(&self, row: &mut [f64; PerChannel::COUNT], gross_margin: f64) {
        fill_channel(row, &self.share, &self.flow, gross_margin, self.cost_pv);
    }
}

/// A channel's counts, as they add up to a trial's totals.
#[derive(Debug, Default, Clone, Copy)]
struct Share {
    visitors: u64,
    leads: u64,
    customers: u64,
    repeat_orders: u64,
}

/// Simulates paid channel `ci` spending `months` (`total` in all, which
/// every caller has already summed), adding its money and heads to
/// `ledger` (and its monthly counts to `cells` when kept). A channel that
/// neither spends nor is pinned by actuals draws nothing: `None`.
#[allow(clippy::too_many_arguments)]
fn paid_channel(
    scenario: &Scenario,
    ci: usize,
    months: &[f64],
    total: f64,
    draws: &[f64],
    at: Position,
    pinned: Option<&[ObservedMonth]>,
    mut cells: Option<&mut [[f64; CellMetric::COUNT]]>,
    ws: &mut Workspace,
    ledger: &mut Ledger,
) -> Option<PaidChannel> {
    if (total.is_nan() || total <= 0.0) && pinned.is_none() {
        return None;
    }
    let horizon = scenario.horizon;
    let channel = &scenario.channels[ci];
    let p = ChannelDraw::new(channel, draws);
    let mut rng = ChannelStreams::new(at.seed, at.trial, channel.population_key);
    ws.new_by_month.clear();
    ws.new_by_month.resize(horizon + 1, 0);
    // People not yet reached (spec §4.1); u64::MAX without an audience.
    let mut unreached = p.audience.map_or(u64::MAX, |a| a.max(1.0) as u64);
    let mut chance = reach::ReachChance::default();
    let (mut visitors, mut leads, mut customers) = (0u64, 0u64, 0u64);
    let mut channel_cost = 0.0;
    // Months without spend buy nothing and draw nothing, so a trial
    // costs the same however long the horizon around the spend.
    for (t, &s_t) in (1..=horizon).zip(months.iter()) {
        let cell = pinned.and_then(|cells| cells.get(t - 1));
        if (s_t.is_nan() || s_t <= 0.0) && !cell.is_some_and(ObservedMonth::has_counts) {
            continue;
        }
        let s_t = if s_t.is_nan() { 0.0 } else { s_t };
        ledger.cost[t] += s_t;
        channel_cost += ws.discount[t] * s_t;
        let month = MonthRates::new(channel, t, draws);
        let mut funnel = stream(at.seed, at.trial, month_key(channel.population_key, t));
        let (v, l, n) = match cell.filter(|c| c.has_counts()) {
            None => {
                let v = reach::month_visitors(
                    &mut funnel,
                    s_t,
                    month.cost_per_visit,
                    p.audience,
                    &mut unreached,
                    &mut chance,
                );
                let v = ws.cap(v);
                let l = act::leads(&mut funnel, v, month.act_rate);
                (v, l, convert::customers(&mut funnel, l, month.convert_rate))
            }
            Some(given) => pinned_month(
                &mut funnel,
                s_t,
                &month,
                p.audience,
                &mut unreached,
                &mut chance,
                given,
            ),
        };
        if let Some(cells) = cells.as_deref_mut() {
            let c = &mut cells[t - 1];
            c[CellMetric::Visitors.index()] = v as f64;
            c[CellMetric::Leads.index()] = l as f64;
            c[CellMetric::Customers.index()] = n as f64;
        }
        visitors += v;
        leads += l;
        customers += n;
        ws.new_by_month[t] = n;
    }
    let (visitors, leads, customers) = (ws.cap(visitors), ws.cap(leads), ws.cap(customers));
    let mut flow = ChannelFlow::default();
    ws.retention.reset(p.churn, p.polarization, horizon);
    for t in 1..=horizon {
        let new = ws.new_by_month[t];
        let revenue = pinned.and_then(|cells| cells.get(t - 1)?.revenue);
        let value = flow.month(&mut rng, t, new, &p, ws, ledger, revenue);
        if let Some(cells) = cells.as_deref_mut() {
            cells[t - 1][CellMetric::Revenue.index()] = value;
        }
    }
    Some(PaidChannel {
        share: Share {
            visitors,
            leads,
            customers,
            repeat_orders: flow.repeat_orders,
        },
        flow,
        cost_pv: channel_cost,
    })
}

/// The referral channel (spec §4.4), fed by the referrals every channel
/// sent into `ledger`: its counts go to `totals`, its money and heads to
/// `ledger`, its row to `row` and its monthly counts to `cells` when they
/// are kept.
#[allow(clippy::too_many_arguments)]
fn referral_channel(
    scenario: &Scenario,
    draws: &[f64],
    at: Position,
    observed: Option<&Observed>,
    money: &TrialMoney,
    totals: &mut Totals,
    ws: &mut Workspace,
    ledger: &mut Ledger,
    row: Option<&mut [f64; PerChannel::COUNT]>,
    mut cells: Option<&mut [[f64; CellMetric::COUNT]]>,
) {
    let Some(ri) = scenario.referral_index() else {
        return;
    };
    let horizon = scenario.horizon;
    let channel = &scenario.channels[ri];
    let p = ChannelDraw::new(channel, draws);
    let mut rng = ChannelStreams::new(at.seed, at.trial, channel.population_key);
    let mut customers = 0;
    // Expected referred leads that did not buy, and visitors that did
    // not become leads, summed over the months' own rates.
    let mut lost_leads = 0.0;
    let mut lost_visitors = 0.0;
    let mut flow = ChannelFlow::default();
    // Referred leads and visitors that did not go on, in pinned months.
    let (mut pinned_lost_leads, mut pinned_lost_visitors) = (0u64, 0u64);
    let pinned = observed.and_then(|o| o.channel(ri));
    ws.retention.reset(p.churn, p.polarization, horizon);
    for t in 1..=horizon {
        // Referrals sent in month t−1 arrive now (those of month H are
        // never simulated).
        let rate = ledger.referral_rate[t - 1];
        let month = MonthRates::new(channel, t, draws);
        let cell = pinned.and_then(|cells| cells.get(t - 1));
        let n = match cell.filter(|c| c.has_counts()) {
            None => {
                lost_leads += rate * month.act_rate * (1.0 - month.convert_rate);
                lost_visitors += rate * (1.0 - month.act_rate);
                if let Some(cells) = cells.as_deref_mut() {
                    let c = &mut cells[t - 1];
                    c[CellMetric::Visitors.index()] = f64::NAN;
                    c[CellMetric::Leads.index()] = f64::NAN;
                }
                referral::referred_customers(
                    &mut rng.funnel,
                    rate,
                    month.act_rate,
                    month.convert_rate,
                )
            }
            Some(given) => {
                let [v, l, n] = observed::pinned_counts(
                    &mut rng.funnel,
                    observed::Source::Poisson(rate),
                    month.act_rate,
                    month.convert_rate,
                    given,
                );
                pinned_lost_leads += l - n;
                pinned_lost_visitors += v - l;
                if let Some(cells) = cells.as_deref_mut() {
                    let c = &mut cells[t - 1];
                    c[CellMetric::Visitors.index()] = v as f64;
                    c[CellMetric::Leads.index()] = l as f64;
                }
                n
            }
        };
        let n = ws.cap(n);
        customers += n;
        let value = flow.month(&mut rng, t, n, &p, ws, ledger, cell.and_then(|c| c.revenue));
        if let Some(cells) = cells.as_deref_mut() {
            let c = &mut cells[t - 1];
            c[CellMetric::Customers.index()] = n as f64;
            c[CellMetric::Revenue.index()] = value;
        }
    }
    let (leads, visitors) = referral::referred_leads_and_visitors(
        &mut rng.funnel,
        lost_leads,
        lost_visitors,
        customers,
    );
    let leads = leads.saturating_add(pinned_lost_leads);
    let visitors = visitors
        .saturating_add(pinned_lost_leads)
        .saturating_add(pinned_lost_visitors);
    let (leads, visitors) = (ws.cap(leads), ws.cap(visitors));
    let share = Share {
        visitors,
        leads,
        customers,
        repeat_orders: flow.repeat_orders,
    };
    totals.add(&share);
    totals.referrals = visitors;
    if let Some(row) = row {
        fill_channel(row, &share, &flow, money.gross_margin, 0.0);
    }
}

/// The trial's money, month by month, and its totals (spec §5), from the
/// finished `ledger`.
fn close_trial(
    money: &TrialMoney,
    totals: &Totals,
    total_spend: f64,
    ws: &Workspace,
    ledger: &Ledger,
    out: &mut Outcome,
) {
    let horizon = out.monthly.len();
    let gross_margin = money.gross_margin;
    let mut revenue_pv = 0.0;
    let mut revenue_nominal = 0.0;
    let mut cost_pv = 0.0;
    let mut cumulative = 0.0;
    let mut payback = f64::NAN;
    for t in 1..=horizon {
        let d = ws.discount[t];
        revenue_pv += d * ledger.revenue[t];
        revenue_nominal += ledger.revenue[t];
        cost_pv += d * ledger.cost[t];
        cumulative += d * (gross_margin * ledger.revenue[t] - ledger.cost[t]);
        if payback.is_nan() && cumulative >= 0.0 {
            payback = t as f64;
        }
        out.monthly[t - 1] = [
            ledger.revenue[t],
            ledger.cost[t],
            cumulative,
            ledger.active[t] as f64,
            ledger.customers[t] as f64,
        ];
    }
    let gross_profit = gross_margin * revenue_pv;
    let profit = gross_profit - cost_pv;
    let customers = totals.customers as f64;
    out.overflow = ws.overflow;
    let m = &mut out.totals;
    m[Total::Spend.index()] = total_spend;
    m[Total::Cost.index()] = cost_pv;
    m[Total::Visitors.index()] = totals.visitors as f64;
    m[Total::Leads.index()] = totals.leads as f64;
    m[Total::Customers.index()] = customers;
    m[Total::Orders.index()] = (totals.customers + totals.repeat_orders) as f64;
    m[Total::RepeatOrders.index()] = totals.repeat_orders as f64;
    m[Total::Revenue.index()] = revenue_pv;
    m[Total::GrossProfit.index()] = gross_profit;
    m[Total::Profit.index()] = profit;
    m[Total::Roi.index()] = money::ratio(profit, cost_pv);
    m[Total::Roas.index()] = money::ratio(revenue_pv, cost_pv);
    m[Total::Cac.index()] = money::ratio(cost_pv, customers);
    m[Total::Ltv.index()] = money::ratio(gross_profit, customers);
    m[Total::PaybackMonth.index()] = payback;
    m[Total::ActiveCustomers.index()] = ledger.active[horizon] as f64;
    m[Total::Referrals.index()] = totals.referrals as f64;
    let paid_visitors = (totals.visitors - totals.referrals) as f64;
    m[Total::CostPerVisit.index()] = money::ratio(m[Total::Spend.index()], paid_visitors);
    m[Total::LeadRate.index()] = money::ratio(totals.leads as f64, totals.visitors as f64);
    m[Total::CostPerLead.index()] = money::ratio(cost_pv, totals.leads as f64);
    // Order values are nominal prices: discounting would make the average move with the
    // discount rate.
    m[Total::AverageOrderValue.index()] = money::ratio(revenue_nominal, m[Total::Orders.index()]);
}

/// A paid channel's pinned month: the counts the actuals give, the others
/// drawn around them, and the visitors (given or drawn) removed from the
/// audience not yet reached.
fn pinned_month(
    funnel: &mut TrialRng,
    spend: f64,
    month: &MonthRates,
    audience: Option<f64>,
    unreached: &mut u64,
    chance: &mut reach::ReachChance,
    given: &ObservedMonth,
) -> (u64, u64, u64) {
    let source = match audience {
        Some(people) => observed::Source::Audience {
            people: *unreached,
            probability: chance.of(spend, month.cost_per_visit, people),
        },
        None => observed::Source::Poisson(spend / month.cost_per_visit),
    };
    let [v, l, n] =
        observed::pinned_counts(funnel, source, month.act_rate, month.convert_rate, given);
    if audience.is_some() {
        *unreached = unreached.saturating_sub(v);
    }
    (v, l, n)
}

#[derive(Debug, Default, Clone)]
struct Totals {
    visitors: u64,
    leads: u64,
    customers: u64,
    repeat_orders: u64,
    referrals: u64,
}

impl Totals {
    fn add(&mut self, share: &Share) {
        self.visitors += share.visitors;
        self.leads += share.leads;
        self.customers += share.customers;
        self.repeat_orders += share.repeat_orders;
    }

    /// Takes a share added before back out (counts add exactly, so this
    /// is as if it had never been added).
    fn remove(&mut self, share: &Share) {
        self.visitors -= share.visitors;
        self.leads -= share.leads;
        self.customers -= share.customers;
        self.repeat_orders -= share.repeat_orders;
    }
}

/// A channel's customers and orders over the horizon.
#[derive(Debug, Default, Clone)]
struct ChannelFlow {
    repeat_orders: u64,
    first_orders: u64,
    revenue_pv: f64,
    /// Active in the latest month simulated (the horizon, once done).
    active: u64,
}

impl ChannelFlow {
    /// Month `t` of a channel that acquires `new` customers in it; its
    /// revenue is `revenue` where the actuals give it (see `observed`).
    /// Returns the month's revenue (nominal).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn month(
        &mut self,
        rng: &mut ChannelStreams,
        t: usize,
        new: u64,
        p: &ChannelDraw,
        ws: &mut Workspace,
        ledger: &mut Ledger,
        revenue: Option<f64>,
    ) -> f64 {
        let returning = ws.retention.returning(t);
        let first_value = convert::first_orders_value(
            &mut rng.orders,
            &mut ws.order_values,
            new,
            p.order_value,
            p.order_value_cv,
        );
        let (repeats, repeat_value) = engage::repeat_orders(
            &mut rng.orders,
            &mut ws.order_values,
            returning,
            p.repeat_rate,
            p.repeat_order_value,
            p.order_value_cv,
        );
        let repeats = ws.cap(repeats);
        ws.retention.acquire(&mut rng.retention, t, new);
        ws.retention.month_end(&mut rng.retention, t);
        let value = revenue.unwrap_or(first_value + repeat_value);
        ledger.revenue[t] += value;
        ledger.active[t] += returning + new;
        self.active = returning + new;
        ledger.customers[t] += new;
        ledger.referral_rate[t] += p.referral_rate * returning as f64;
        self.revenue_pv += ws.discount[t] * value;
        self.first_orders += new;
        self.repeat_orders += repeats;
        value
    }
}

fn fill_channel(
    row: &mut [f64; PerChannel::COUNT],
    share: &Share,
    flow: &ChannelFlow,
    gross_margin: f64,
    cost_pv: f64,
) {
    let Share {
        visitors,
        leads,
        customers,
        ..
    } = *share;
    let gross_profit = gross_margin * flow.revenue_pv;
    row[PerChannel::Visitors.index()] = visitors as f64;
    row[PerChannel::Leads.index()] = leads as f64;
    row[PerChannel::Customers.index()] = customers as f64;
    row[PerChannel::Orders.index()] = (flow.first_orders + flow.repeat_orders) as f64;
    row[PerChannel::Revenue.index()] = flow.revenue_pv;
    row[PerChannel::GrossProfit.index()] = gross_profit;
    row[PerChannel::Roi.index()] = money::ratio(gross_profit - cost_pv, cost_pv);
    row[PerChannel::ActiveCustomers.index()] = flow.active as f64;
    row[PerChannel::Cost.index()] = cost_pv;
    // A channel without spend (the referral channel) acquires for free:
    // it has no CAC, as it has no ROI.
    row[PerChannel::Cac.index()] = if cost_pv > 0.0 {
        money::ratio(cost_pv, customers as f64)
    } else {
        f64::NAN
    };
}
