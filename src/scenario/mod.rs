//! A scenario: the validated, resolved form of a scenario CSV (spec §2).
//!
//! Parsing resolves every channel's assumptions once (named row, `*` row or
//! default), so the engine never looks anything up by name inside a trial.

pub mod cycle;
mod inputs;
mod parse;
mod table;
mod target;
pub mod value;
pub(crate) mod workbook;

use std::path::PathBuf;

use crate::error::InputProblem;

pub use inputs::{
    CHANNEL_INPUTS, Domain, INPUTS, Input, InputDef, MAX_MONEY, MAX_ORDER_VALUE_CV, PLAN_INPUTS,
    Stage,
};
pub use parse::{MAX_CHANNELS, decode_utf8, from_bytes, from_sheet, load, parse_str};
pub(crate) use table::{TableSpec, read_table};
pub use target::{Op, Target, TargetMetric, parse_comparison};
pub use value::{Prior, ValueSpec};

/// Name of the built-in channel that receives referred visitors.
pub const REFERRAL: &str = "referral";

/// One assumption row (any stage but `target`), kept whole for display.
#[derive(Debug, Clone)]
pub struct Assumption {
    pub line: u64,
    pub stage: Stage,
    /// `*` or a channel name.
    pub channel: String,
    pub input: Input,
    pub spec: ValueSpec,
    pub note: String,
    pub prior: Prior,
    /// Identifies this row's own random stream. Derived from the row's
    /// (stage, channel, metric), not its position, so editing one row never
    /// moves the draws of another.
    pub stream_key: u64,
    /// The month K of a `metric@K` override (spec §2.4), which holds in
    /// that month only.
    pub month: Option<usize>,
}

impl Assumption {
    /// The metric as written in the file: `rate`, or `rate@11`.
    pub fn metric_label(&self) -> String {
        match self.month {
            Some(k) => format!("{}@{k}", self.input.def().name),
            None => self.input.def().name.to_string(),
        }
    }
}

/// Where a resolved value comes from: fixed, or drawn once per trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    Fixed(f64),
    /// Index into the trial's vector of assumption draws.
    Drawn(usize),
}

impl Param {
    #[inline]
    pub fn value(self, draws: &[f64]) -> f64 {
        match self {
            Param::Fixed(x) => x,
            Param::Drawn(i) => draws[i],
        }
    }

    pub fn fixed(self) -> Option<f64> {
        match self {
            Param::Fixed(x) => Some(x),
            Param::Drawn(_) => None,
        }
    }
}

/// How a channel's value was found, for `validate`'s provenance listing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// A row naming this channel (index into `Scenario::assumptions`).
    Named(usize),
    /// A `*` row (index into `Scenario::assumptions`).
    Star(usize),
    Default,
    /// `repeat_order_value` falls back to `order_value`.
    SameAsOrderValue,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved {
    pub param: Option<Param>,
    pub source: Source,
}

/// A value that month overrides (spec §2.4) may replace in some months,
/// resolved per month at parse time so a trial looks it up in O(1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ByMonth {
    /// The month-less value (the channel's row, the `*` row or the default).
    pub plain: Option<Param>,
    /// Empty when no override applies to the channel; otherwise the value
    /// of months 1..=horizon (at index t − 1), overrides resolved.
    pub months: Vec<Option<Param>>,
}

impl ByMonth {
    #[inline]
    pub fn at(&self, t: usize) -> Option<Param> {
        if self.months.is_empty() {
            self.plain
        } else {
            self.months[t - 1]
        }
    }

    /// Does some month take another value than the month-less one?
    pub fn varies(&self) -> bool {
        self.months.iter().any(|m| *m != self.plain)
    }
}

/// A month override row that applies to a channel, for `validate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthOverride {
    pub input: Input,
    pub month: usize,
    /// Index into `Scenario::assumptions`.
    pub row: usize,
    /// The row is the `*` one, shared by every channel.
    pub star: bool,
}

/// A channel's per-trial inputs, resolved.
#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub is_referral: bool,
    /// The scenario's total spend over the horizon (plans override it).
    pub spend: f64,
    /// The scenario's spend in months 1..=horizon (index t − 1): S/C over
    /// the campaign for a plain `spend` S, or the `spend@K` amounts.
    pub spend_by_month: Vec<f64>,
    /// The spend comes from `spend@K` rows rather than a plain `spend`.
    pub spend_is_monthly: bool,
    /// The month overrides that hold for this channel, by input then month.
    pub overrides: Vec<MonthOverride>,
    /// Seeds the channel's population stream; derived from its name so that
    /// adding a channel leaves the others' draws alone.
    pub population_key: u64,
    /// The month-less values; the engine reads the month's own through
    /// `cost_per_visit_in`, `act_rate_in` and `convert_rate_in`.
    pub cost_per_visit: Option<Param>,
    pub audience: Option<Param>,
    pub act_rate: Option<Param>,
    pub convert_rate: Option<Param>,
    pub cost_per_visit_by_month: ByMonth,
    pub act_rate_by_month: ByMonth,
    pub convert_rate_by_month: ByMonth,
    pub order_value: Option<Param>,
    pub order_value_cv: Param,
    pub repeat_rate: Param,
    pub repeat_order_value: Option<Param>,
    pub churn: Param,
    pub churn_polarization: Param,
    pub referral_rate: Param,
    /// The scenario's `campaign_months`: where a budget given to a channel
    /// without a spend pattern of its own goes.
    pub campaign_months: usize,
    /// Provenance of each of `CHANNEL_INPUTS`, in that order.
    pub provenance: Vec<(Input, Resolved)>,
}

impl Channel {
    /// Cost per visit in month `t` (1-based), following spec §2.4's order.
    #[inline]
    pub fn cost_per_visit_in(&self, t: usize) -> Option<Param> {
        self.cost_per_visit_by_month.at(t)
    }

    /// Visitor → lead rate in month `t` (1-based).
    #[inline]
    pub fn act_rate_in(&self, t: usize) -> Option<Param> {
        self.act_rate_by_month.at(t)
    }

    /// Lead → customer rate in month `t` (1-based).
    #[inline]
    pub fn convert_rate_in(&self, t: usize) -> Option<Param> {
        self.convert_rate_by_month.at(t)
    }

    /// Can this channel refer visitors in some trial?
    pub fn may_refer(&self) -> bool {
        self.referral_rate != Param::Fixed(0.0)
    }

    /// The months (1-based) in which the channel would spend were it given
    /// a budget: those of its scenario pattern, or the campaign's when it
    /// has none.
    fn fundable_months(&self) -> Vec<usize> {
        let own: Vec<usize> = (1..=self.spend_by_month.len())
            .filter(|&t| self.spend_by_month[t - 1] > 0.0)
            .collect();
        if own.is_empty() {
            (1..=self.campaign_months).collect()
        } else {
            own
        }
    }

    /// The inputs a channel needs before it can receive visitors, with
    /// the ones missing (spec §2.2), as `stage.metric` names.
    pub fn missing_funnel_inputs(&self, needs_cost: bool) -> Vec<&'static str> {
        self.missing_funnel(needs_cost)
            .into_iter()
            .map(|input| match input {
                Input::CostPerVisit => "reach.cost_per_visit",
                Input::ActRate => "act.rate",
                Input::ConvertRate => "convert.rate",
                _ => "convert.order_value",
            })
            .collect()
    }

    /// The inputs a channel needs before it can receive visitors that it
    /// lacks (spec §2.2), in the months it would spend in.
    pub fn missing_funnel(&self, needs_cost: bool) -> Vec<Input> {
        self.missing_funnel_in(&self.fundable_months(), needs_cost)
    }

    /// The inputs the channel lacks to receive visitors in `months`
    /// (1-based): a month override can stand in for a missing plain value
    /// only in its own month.
    pub fn missing_funnel_in(&self, months: &[usize], needs_cost: bool) -> Vec<Input> {
        let lacks = |by: &ByMonth| {
            if by.months.is_empty() {
                by.plain.is_none()
            } else {
                months.iter().any(|&t| by.at(t).is_none())
            }
        };
        [
            (
                Input::CostPerVisit,
                needs_cost && lacks(&self.cost_per_visit_by_month),
            ),
            (Input::ActRate, lacks(&self.act_rate_by_month)),
            (Input::ConvertRate, lacks(&self.convert_rate_by_month)),
            (Input::OrderValue, self.order_value.is_none()),
        ]
        .into_iter()
        .filter(|(_, missing)| *missing)
        .map(|(input, _)| input)
        .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub path: PathBuf,
    /// File stem, used in reports and baselines.
    pub name: String,
    /// Fingerprint of the file's bytes, so a baseline can tell whether the
    /// inputs changed.
    pub input_hash: String,
    /// The sheet read, when the scenario came from a workbook.
    pub sheet: Option<String>,
    pub horizon: usize,
    pub campaign: usize,
    pub trials: u64,
    pub seed: u64,
    pub gross_margin: Param,
    pub discount_rate: Param,
    pub fixed_cost: Param,
    pub plan_provenance: Vec<(Input, Resolved)>,
    /// Every assumption row, in file order.
    pub assumptions: Vec<Assumption>,
    /// Problems that do not stop a run (a channel no reach row names):
    /// commands print them on stderr, `validate` lists them.
    pub warnings: Vec<InputProblem>,
    /// Indices into `assumptions` of the rows drawn per trial; `Param::Drawn(i)`
    /// refers to position i here.
    pub drawn: Vec<usize>,
    /// Paid channels in order of first appearance, then `referral` when
    /// referrals are simulated.
    pub channels: Vec<Channel>,
    pub targets: Vec<Target>,
}

impl Scenario {
    /// The warnings, one `file:line: message` (and `help:` line) each, as
    /// errors read.
    pub fn warning_text(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(|w| crate::error::InputError::single(self.path.clone(), w.clone()).to_string())
            .collect()
    }

    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }

    pub fn referral_index(&self) -> Option<usize> {
        self.channels.iter().position(|c| c.is_referral)
    }

    pub fn paid_channels(&self) -> impl Iterator<Item = (usize, &Channel)> {
        self.channels
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_referral)
    }

    /// The scenario's own monthly spend per channel (`[ci][t − 1]`, zeros
    /// for `referral`): plan `baseline`.
    pub fn baseline_spend(&self) -> Vec<Vec<f64>> {
        self.channels
            .iter()
            .map(|c| c.spend_by_month.clone())
            .collect()
    }

    /// The scenario's total spend per channel over the horizon (0 for
    /// `referral`): what the optimizer and curves move.
    pub fn baseline_totals(&self) -> Vec<f64> {
        self.channels.iter().map(|c| c.spend).collect()
    }

    /// Does any channel's scenario spend come from `spend@K` rows?
    pub fn has_monthly_spend(&self) -> bool {
        self.channels.iter().any(|c| c.spend_is_monthly)
    }

    /// Channel `ci`'s months for a total budget of `total`: its scenario
    /// pattern scaled, so that a flighting plan keeps its shape, or spread
    /// evenly over the campaign when the scenario gives it no spend.
    pub fn spend_pattern(&self, ci: usize, total: f64) -> Vec<f64> {
        let c = &self.channels[ci];
        if c.is_referral {
            return vec![0.0; self.horizon];
        }
        // A plain spend is an even spread however large: computed as such,
        // a plan file's total row gives the very same months.
        if c.spend_is_monthly && c.spend > 0.0 {
            if total == c.spend {
                return c.spend_by_month.clone();
            }
            let scale = total / c.spend;
            return c.spend_by_month.iter().map(|s| s * scale).collect();
        }
        even_spread(total, self.campaign, self.horizon)
    }

    /// Monthly spend for per-channel totals, each channel's pattern scaled.
    pub fn spend_for_totals(&self, totals: &[f64]) -> Vec<Vec<f64>> {
        (0..self.channels.len())
            .map(|ci| self.spend_pattern(ci, totals.get(ci).copied().unwrap_or(0.0)))
            .collect()
    }

    /// Checks that monthly spend (from a plan) can be simulated: every
    /// channel given spend has what it needs to turn spend into visitors.
    pub fn check_spend(&self, spend: &[Vec<f64>]) -> Result<(), String> {
        (0..self.channels.len().min(spend.len()))
            .try_for_each(|i| self.check_channel_spend(i, &spend[i]))
    }

    /// Checks that channel `index` can be simulated with monthly `spend`.
    pub fn check_channel_spend(&self, index: usize, spend: &[f64]) -> Result<(), String> {
        let c = &self.channels[index];
        let months: Vec<usize> = (1..=spend.len()).filter(|&t| spend[t - 1] > 0.0).collect();
        if months.is_empty() {
            return Ok(());
        }
        if c.is_referral {
            return Err("the `referral` channel cannot be given spend".into());
        }
        let missing: Vec<String> = c
            .missing_funnel_in(&months, true)
            .into_iter()
            .map(|i| format!("{}.{}", i.def().stage.name(), i.def().name))
            .collect();
        if !missing.is_empty() {
            let when = if months.len() == 1 {
                format!(" in month {}", months[0])
            } else {
                String::new()
            };
            return Err(format!(
                "channel `{}` gets spend {}{when} but the scenario has no {} for it",
                c.name,
                value::show(money_total(spend)),
                missing.join(", ")
            ));
        }
        Ok(())
    }
}

/// `total` spread evenly over months 1..=campaign of a `horizon`-month
/// plan (spec §4.1's S/C).
pub fn even_spread(total: f64, campaign: usize, horizon: usize) -> Vec<f64> {
    let campaign = campaign.clamp(1, horizon.max(1));
    (1..=horizon)
        .map(|t| {
            if t <= campaign {
                total / campaign as f64
            } else {
                0.0
            }
        })
        .collect()
}

/// The total of monthly amounts. An even split S/C summed back rarely
/// gives S exactly in floating point (60000/7 seven times is
/// 59999.999999999993); a total within a few rounding errors of a whole
/// cent is that cent, so budgets read back as they were written.
pub fn money_total(months: &[f64]) -> f64 {
    let sum: f64 = months.iter().sum();
    let cents = (sum * 100.0).round() / 100.0;
    if (sum - cents).abs() <= 1e-12 * sum.abs().max(1.0) * months.len().max(1) as f64 {
        cents
    } else {
        sum
    }
}

/// FNV-1a, 64-bit: a stable fingerprint that needs no dependency and does
/// not change between Rust releases (unlike `DefaultHasher`).
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
