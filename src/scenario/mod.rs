//! A scenario: the validated, resolved form of a scenario CSV (spec §2).
//!
//! Parsing resolves every channel's assumptions once (named row, `*` row or
//! default), so the engine never looks anything up by name inside a trial.

mod inputs;
mod parse;
mod table;
mod target;
pub mod value;

use std::path::PathBuf;

use crate::error::InputProblem;

pub use inputs::{
    CHANNEL_INPUTS, Domain, INPUTS, Input, MAX_MONEY, MAX_ORDER_VALUE_CV, PLAN_INPUTS, Stage,
};
pub use parse::{decode_utf8, load, parse_str};
pub(crate) use table::{TableSpec, read_table};
pub use target::{Op, Target, TargetMetric, parse_comparison};
pub use value::{Sampler, ValueSpec};

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
    pub sampler: Sampler,
    /// Identifies this row's own random stream. Derived from the row's
    /// (stage, channel, metric), not its position, so editing one row never
    /// moves the draws of another.
    pub stream_key: u64,
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

/// A channel's per-trial inputs, resolved.
#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub is_referral: bool,
    /// The scenario's spend (plans override it).
    pub spend: f64,
    /// Seeds the channel's population stream; derived from its name so that
    /// adding a channel leaves the others' draws alone.
    pub population_key: u64,
    pub cost_per_visit: Option<Param>,
    pub audience: Option<Param>,
    pub act_rate: Option<Param>,
    pub convert_rate: Option<Param>,
    pub order_value: Option<Param>,
    pub order_value_cv: Param,
    pub repeat_rate: Param,
    pub repeat_order_value: Option<Param>,
    pub churn: Param,
    pub churn_polarization: Param,
    pub referral_rate: Param,
    /// Provenance of each of `CHANNEL_INPUTS`, in that order.
    pub provenance: Vec<(Input, Resolved)>,
}

impl Channel {
    // Month-resolved lookups; model v2's month overrides replace these.
    pub fn cost_per_visit_in(&self, _t: usize) -> Option<Param> {
        self.cost_per_visit
    }
    pub fn act_rate_in(&self, _t: usize) -> Option<Param> {
        self.act_rate
    }
    pub fn convert_rate_in(&self, _t: usize) -> Option<Param> {
        self.convert_rate
    }

    /// Can this channel refer visitors in some trial?
    pub fn may_refer(&self) -> bool {
        self.referral_rate != Param::Fixed(0.0)
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
    /// lacks (spec §2.2).
    pub fn missing_funnel(&self, needs_cost: bool) -> Vec<Input> {
        [
            (
                Input::CostPerVisit,
                needs_cost && self.cost_per_visit.is_none(),
            ),
            (Input::ActRate, self.act_rate.is_none()),
            (Input::ConvertRate, self.convert_rate.is_none()),
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

    /// The scenario's own spend per channel (0 for `referral`): plan `baseline`.
    pub fn baseline_spend(&self) -> Vec<f64> {
        self.channels.iter().map(|c| c.spend).collect()
    }

    /// Checks that a spend vector (from a plan) can be simulated: every
    /// channel given spend has what it needs to turn spend into visitors.
    pub fn check_spend(&self, spend: &[f64]) -> Result<(), String> {
        (0..self.channels.len().min(spend.len()))
            .try_for_each(|i| self.check_channel_spend(i, spend[i]))
    }

    /// Checks that channel `index` can be simulated with `spend`.
    pub fn check_channel_spend(&self, index: usize, spend: f64) -> Result<(), String> {
        let c = &self.channels[index];
        if spend > 0.0 {
            if c.is_referral {
                return Err("the `referral` channel cannot be given spend".into());
            }
            let missing = c.missing_funnel_inputs(true);
            if !missing.is_empty() {
                return Err(format!(
                    "channel `{}` gets spend {} but the scenario has no {} for it",
                    c.name,
                    value::show(spend),
                    missing.join(", ")
                ));
            }
        }
        Ok(())
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
