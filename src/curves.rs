//! Response curves: what one channel's spend buys, point by point, and the
//! marginal ROI between points ("where does the next dollar work hardest?").
//!
//! All points of a channel are plans of one simulation run, so they share
//! every random draw (common random numbers). The marginal ROI between two
//! neighbouring points is the mean of their per-trial profit difference over
//! the spend difference, so its interval reflects the paired difference and
//! not the far larger spread of profit itself.

use crate::stats::Z90;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::document::{MODEL_VERSION, SCHEMA_VERSION};
use crate::metrics::Total;
use crate::scenario::Scenario;
use crate::simulation::{self, Against, COMPARED, Job, Plan};
use crate::stats::Accumulator;

/// What every curve shares: trials and seed (all curves of a document use
/// the same ones, so they can be read side by side).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvesDoc {
    pub schema_version: u32,
    pub scenario: String,
    pub trials: u64,
    pub seed: u64,
    pub racesim_version: String,
    pub model_version: u32,
    pub input_hash: String,
    pub curves: Vec<Curve>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub channel: String,
    /// The channel's spend in the scenario; other channels stay at theirs.
    pub scenario_spend: f64,
    pub points: Vec<CurvePoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// This channel's spend at the point.
    pub spend: f64,
    /// Totals of the whole scenario at that spend.
    pub customers: Band,
    pub revenue: Band,
    pub profit: Band,
    /// Extra profit per extra unit of spend since the previous point
    /// (`null` at the first point).
    pub marginal_roi: Option<Marginal>,
}

/// Mean with the 5th and 95th percentiles over trials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub mean: Option<f64>,
    pub p5: Option<f64>,
    pub p95: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Marginal {
    pub mean: f64,
    /// Standard error of `mean` (Monte Carlo uncertainty).
    pub se: f64,
    /// 90 % interval of `mean`.
    pub low: f64,
    pub high: f64,
}

/// The maximum spend a sweep of channel `ci` goes to when none is given:
/// twice the channel's spend, or for an unfunded channel twice the largest
/// channel's, so the curve covers "double it" and "cut it" alike.
pub fn default_max_spend(scenario: &Scenario, ci: usize) -> Option<f64> {
    let own = scenario.channels[ci].spend;
    let largest = scenario
        .paid_channels()
        .map(|(_, c)| c.spend)
        .fold(0.0, f64::max);
    [own, largest]
        .into_iter()
        .find(|s| *s > 0.0)
        .map(|s| 2.0 * s)
}

/// Evenly spaced spend points 0, …, `max_spend` (`points` ≥ 2).
pub fn spend_points(max_spend: f64, points: usize) -> Vec<f64> {
    let last = (points - 1) as f64;
    (0..points).map(|k| max_spend * k as f64 / last).collect()
}

/// Sweeps channel `ci` over `spends` with every other channel at its
/// scenario spend.
pub fn sweep(
    scenario: &Scenario,
    ci: usize,
    spends: &[f64],
    seed: u64,
    trials: u64,
    threads: usize,
    progress: &ProgressBar,
) -> Result<Curve, simulation::RunawayError> {
    let channel = &scenario.channels[ci];
    let plans: Vec<Plan> = spends
        .iter()
        .map(|&s| {
            let mut spend = scenario.baseline_spend();
            spend[ci] = s;
            Plan {
                name: format!("{}={s}", channel.name),
                spend,
            }
        })
        .collect();
    let job = Job {
        scenario,
        plans: &plans,
        seed,
        first_trial: 0,
        trials,
        threads,
    };
    let results = simulation::run_against(&job, Against::Previous, progress)?;
    let band = |acc: &Accumulator, m: Total| {
        let s = acc.summary(m.kind());
        Band {
            mean: s.mean,
            p5: s.p5,
            p95: s.p95,
        }
    };
    let profit_k = COMPARED
        .iter()
        .position(|m| *m == Total::Profit)
        .expect("profit is always compared");
    let points = spends
        .iter()
        .enumerate()
        .map(|(k, &s)| {
            let stats = &results.plans[k];
            let marginal_roi = (k > 0).then(|| {
                let step = s - spends[k - 1];
                let d = &results.comparisons[k - 1].difference[profit_k];
                let mean = d.mean().unwrap_or(0.0) / step;
                let se = d.sd().unwrap_or(0.0) / (d.defined().max(1) as f64).sqrt() / step;
                Marginal {
                    mean,
                    se,
                    low: mean - Z90 * se,
                    high: mean + Z90 * se,
                }
            });
            CurvePoint {
                spend: s,
                customers: band(stats.total(Total::Customers), Total::Customers),
                revenue: band(stats.total(Total::Revenue), Total::Revenue),
                profit: band(stats.total(Total::Profit), Total::Profit),
                marginal_roi,
            }
        })
        .collect();
    Ok(Curve {
        channel: channel.name.clone(),
        scenario_spend: channel.spend,
        points,
    })
}

impl CurvesDoc {
    pub fn new(scenario: &Scenario, trials: u64, seed: u64, curves: Vec<Curve>) -> Self {
        CurvesDoc {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            trials,
            seed,
            racesim_version: env!("CARGO_PKG_VERSION").to_string(),
            model_version: MODEL_VERSION,
            input_hash: scenario.input_hash.clone(),
            curves,
        }
    }
}
