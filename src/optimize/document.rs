//! The optimizer's result document (`--format json`), which the table and
//! CSV render from.

use crate::stats::interval90;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::Objective;
use super::marginal::MarginalRoi;
use crate::document::Document;
use crate::sampling::{TrialRng, mix64};
use crate::stats::Accumulator;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizeDoc {
    pub schema_version: u32,
    pub scenario: String,
    pub seed: u64,
    pub racesim_version: String,
    pub model_version: u32,
    pub input_hash: String,
    pub objective: String,
    /// The budget the split may use (found by goal seeking, if sought).
    pub budget: f64,
    /// Where the budget came from: `--budget`, the current total, or a
    /// goal seek.
    pub budget_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal_seek: Option<GoalSeekDoc>,
    pub search: SearchDoc,
    /// For mean objectives: the exact optimum's Karush–Kuhn–Tucker
    /// certificate (spec §7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimality: Option<OptimalityDoc>,
    pub channels: Vec<ChannelDoc>,
    /// The objective on the evaluation trials, for the current and the
    /// recommended split.
    pub objective_current: Option<f64>,
    pub objective_recommended: Option<f64>,
    /// recommended − current, with its 90 % interval from the per-trial
    /// paired values.
    pub gain: Option<f64>,
    pub gain_low: Option<f64>,
    pub gain_high: Option<f64>,
    /// The full result document of the evaluation: plans `baseline` (the
    /// current split) and `optimized`, with their comparisons.
    pub evaluation: Document,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoalSeekDoc {
    pub goal: String,
    pub required: f64,
    pub max_budget: f64,
    /// Whether some budget up to `max_budget` met the gate in the search.
    pub reachable: bool,
    /// Budgets tried by the bisection.
    pub steps: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// Trials per candidate, starting at trial index `first_trial`.
    pub trials: u64,
    pub first_trial: u64,
    /// Candidate splits simulated and moves taken.
    pub candidates: usize,
    pub moves: usize,
    /// The recommendation's objective on the search trials.
    pub objective: Option<f64>,
}

/// The recommendation's columns, one row per paid channel, as the CSV names
/// them (a workbook writes them in words).
pub const CHANNEL_COLUMNS: [&str; 11] = [
    "channel",
    "current",
    "recommended",
    "change",
    "min",
    "max",
    "locked",
    "bound",
    "marginal_roi",
    "marginal_roi_low",
    "marginal_roi_high",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelDoc {
    pub channel: String,
    pub current: f64,
    pub recommended: f64,
    pub min: f64,
    /// `null` when only the budget limits the channel.
    pub max: Option<f64>,
    pub locked: bool,
    /// `locked`, `min` or `max` when a bound holds the recommendation.
    pub bound: Option<String>,
    /// Extra profit per extra unit of this channel's spend at the
    /// recommendation (`null` for a channel that cannot take spend).
    pub marginal_roi: Option<MarginalRoi>,
}

/// Why the recommendation of a mean objective is optimal: the budget's
/// price and where each channel sits against it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimalityDoc {
    /// The marginal return every channel free of its bounds has at the
    /// optimum (for mean-profit, the marginal ROI).
    pub price: f64,
    /// Budget the optimum leaves unspent because spending it would lower
    /// the objective (0 with --spend-all).
    pub unspent: f64,
    /// Do the conditions hold within 0.1 %?
    pub holds: bool,
    /// Per channel: `free`, `min`, `max` or `locked`, with its marginal
    /// return on the search trials.
    pub channels: Vec<OptimalChannel>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimalChannel {
    pub channel: String,
    pub bound: String,
    pub marginal: f64,
}

/// Objective gain of `recommended` over `current` (per-trial values of the
/// objective's metric on the same trials) and its 90 % interval.
///
/// Mean objectives have a plain standard error of the paired differences.
/// A quantile or tail mean has none in closed form, so its interval comes
/// from a paired bootstrap (trials resampled together for both splits,
/// seeded, so it is reproducible).
pub fn gain(
    objective: &Objective,
    current: &[f64],
    recommended: &[f64],
    seed: u64,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    let finite = |x: f64| x.is_finite().then_some(x);
    if objective.is_mean() {
        let mut acc = Accumulator::default();
        for (c, r) in current.iter().zip(recommended) {
            acc.add(objective.per_trial(*r) - objective.per_trial(*c));
        }
        let Some(mean) = acc.mean() else {
            return (None, None, None);
        };
        let se = acc.sd().unwrap_or(0.0) / (acc.defined() as f64).sqrt();
        let (low, high) = interval90(mean, se);
        return (Some(mean), Some(low), Some(high));
    }
    let point = objective.score(recommended).value - objective.score(current).value;
    const RESAMPLES: usize = 400;
    let n = current.len();
    if n == 0 {
        return (None, None, None);
    }
    let mut rng = TrialRng::seed_from_u64(mix64(seed ^ 0x6f70_7469_6d69_7a65));
    let (mut c, mut r) = (vec![0.0; n], vec![0.0; n]);
    let mut diffs: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            for k in 0..n {
                let t = rng.random_range(0..n);
                c[k] = current[t];
                r[k] = recommended[t];
            }
            objective.score(&r).value - objective.score(&c).value
        })
        .collect();
    diffs.sort_by(f64::total_cmp);
    let low = super::objective::quantile(&diffs, 0.05);
    let high = super::objective::quantile(&diffs, 0.95);
    (finite(point), finite(low), finite(high))
}
