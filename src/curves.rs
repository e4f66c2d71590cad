//! Response curves: what one channel's spend buys, point by point, and the
//! marginal ROI between points ("where does the next dollar work hardest?").
//!
//! All points of a channel are simulated trial by trial on the same draws
//! (common random numbers). The marginal ROI between two
//! neighbouring points is the mean of their per-trial profit difference over
//! the spend difference, so its interval reflects the paired difference and
//! not the far larger spread of profit itself.

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::document::{Provenance, SCHEMA_VERSION};
use crate::error::Halt;
use crate::metrics::Total;
use crate::optimize::exact::{ExpectedModel, MeanMetric};
use crate::scenario::Scenario;
use crate::simulation::{self, Block, Collector, Given, Job, Plan};
use crate::stats::{Accumulator, Estimate};

/// What every curve shares: trials and seed (all curves of a document use
/// the same ones, so they can be read side by side).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvesDoc {
    #[serde(flatten)]
    pub provenance: Provenance,
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
    /// The exact expected profit at this spend: the mean over the trials
    /// of E[profit | θ] (spec §7), without population noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_profit: Option<f64>,
    /// The exact marginal ROI at this spend: the mean derivative of
    /// E[profit | θ], with its error from the assumption spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_marginal_roi: Option<Marginal>,
}

/// Mean with the 5th and 95th percentiles over trials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub mean: Option<f64>,
    pub p5: Option<f64>,
    pub p95: Option<f64>,
}

/// A marginal ROI with its error (curves report no finite-difference
/// step: the points themselves are the step).
pub type Marginal = Estimate;

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

/// The most points a curve may have: enough for any chart or table, and it
/// bounds the time and memory one command can take.
pub const MAX_POINTS: usize = 200;

/// What a sweep keeps per point: only the curve's own statistics (not a
/// run's full document, which holds hundreds of quantile sketches per plan),
/// so memory grows by a few sketches per point and not at all with trials.
#[derive(Clone, Default)]
struct PointStats {
    customers: Accumulator,
    revenue: Accumulator,
    profit: Accumulator,
    /// Profit minus the previous point's, trial by trial.
    step: Accumulator,
}

impl PointStats {
    fn merge(&mut self, other: &PointStats) {
        self.customers.merge(&other.customers);
        self.revenue.merge(&other.revenue);
        self.profit.merge(&other.profit);
        self.step.merge(&other.step);
    }
}

/// The statistics of every point of every sweep, plans in sweep order.
struct Sweep {
    points: Vec<PointStats>,
    /// Does plan k start a curve (so has no previous point)?
    starts: std::sync::Arc<Vec<bool>>,
}

impl Collector for Sweep {
    fn add(&mut self, block: &Block) {
        for (k, point) in self.points.iter_mut().enumerate() {
            let outcomes = block.outcomes(k);
            for o in outcomes {
                point.customers.add(o.total(Total::Customers));
                point.revenue.add(o.total(Total::Revenue));
                point.profit.add(o.total(Total::Profit));
            }
            if !self.starts[k] {
                for (o, before) in outcomes.iter().zip(block.outcomes(k - 1)) {
                    point
                        .step
                        .add(o.total(Total::Profit) - before.total(Total::Profit));
                }
            }
        }
    }

    fn merge(&mut self, other: Self) {
        for (a, b) in self.points.iter_mut().zip(&other.points) {
            a.merge(b);
        }
    }
}

/// Points a pass over the trials simulates at most. Every point keeps a
/// few quantile sketches on each thread, so a pass's memory is bounded by
/// this and not by channels × points; more points take more passes, each
/// re-simulating the scenario's channels once per trial.
pub const POINTS_PER_PASS: usize = 1024;

/// Sweeps each channel `ci` of `sweeps` over its `spends`, every other
/// channel at its scenario spend.
///
/// Every point of a trial shares that trial's draws (common random
/// numbers), and each trial simulates its channels once per pass: a point
/// costs one channel's simulation (`Given::base`), so time grows with
/// channels × points and not with channels² × points (until more than
/// `POINTS_PER_PASS` points need several passes). Accumulators merge
/// exactly, so the result does not depend on the number of threads; a
/// point at the scenario's spend is bit for bit what `run` reports, other
/// points may differ from a `run` at their spend in the last bit of a sum.
pub fn sweep(
    scenario: &Scenario,
    sweeps: &[(usize, Vec<f64>)],
    seed: u64,
    trials: u64,
    threads: usize,
    progress: &ProgressBar,
) -> Result<Vec<Curve>, Halt> {
    let base = scenario.baseline_spend();
    // The exact expected-profit curve on the same trials: every paid
    // channel that can spend, the others at their scenario spend.
    let spending: Vec<usize> = scenario
        .paid_channels()
        .filter(|(_, c)| c.missing_funnel_inputs(true).is_empty())
        .map(|(i, _)| i)
        .collect();
    let needs_model = sweeps.iter().any(|(ci, _)| spending.contains(ci));
    let model = needs_model.then(|| {
        ExpectedModel::build(
            scenario,
            &base,
            &spending,
            MeanMetric::Profit,
            seed,
            0,
            trials,
        )
    });
    let baseline = scenario.baseline_totals();
    // Each channel's part of the expected profit at the scenario's spend,
    // so a point (one channel moved) costs one channel's curve.
    let parts: Vec<Option<f64>> = model.as_ref().map_or_else(Vec::new, |m| {
        m.curves
            .iter()
            .zip(&baseline)
            .map(|(c, &s)| c.as_ref().map(|c| c.value(s)))
            .collect()
    });
    let mut curves = Vec::with_capacity(sweeps.len());
    for group in passes(sweeps) {
        let simulated = simulate_points(scenario, &base, group, seed, trials, threads, progress)?;
        let mut simulated = simulated.into_iter();
        for (ci, spends) in group {
            let ci = *ci;
            let channel_model = model
                .as_ref()
                .filter(|_| spending.contains(&ci))
                .and_then(|m| Some((m, m.curves[ci].as_ref()?)));
            let points = spends
                .iter()
                .enumerate()
                .map(|(k, &s)| {
                    let stats = simulated.next().expect("statistics of every point");
                    let exact = channel_model.map(|(m, curve)| {
                        // Summed as `ExpectedModel::value` sums, in channel order.
                        let value = m.constant
                            + parts
                                .iter()
                                .enumerate()
                                .filter_map(
                                    |(c, part)| {
                                        if c == ci { Some(curve.value(s)) } else { *part }
                                    },
                                )
                                .sum::<f64>();
                        let slope = Marginal::new(curve.derivative(s), curve.derivative_se(s));
                        (value, slope)
                    });
                    CurvePoint {
                        spend: s,
                        customers: band(&stats.customers, Total::Customers),
                        revenue: band(&stats.revenue, Total::Revenue),
                        profit: band(&stats.profit, Total::Profit),
                        marginal_roi: (k > 0).then(|| step_roi(&stats.step, s - spends[k - 1])),
                        expected_profit: exact.as_ref().map(|e| e.0),
                        exact_marginal_roi: exact.map(|e| e.1),
                    }
                })
                .collect();
            curves.push(Curve {
                channel: scenario.channels[ci].name.clone(),
                scenario_spend: scenario.channels[ci].spend,
                points,
            });
        }
    }
    Ok(curves)
}

/// The sweeps in groups of whole curves of at most `POINTS_PER_PASS`
/// points (a curve longer than that alone).
pub fn passes(sweeps: &[(usize, Vec<f64>)]) -> Vec<&[(usize, Vec<f64>)]> {
    let mut groups = Vec::new();
    let (mut start, mut points) = (0, 0);
    for (k, (_, spends)) in sweeps.iter().enumerate() {
        if k > start && points + spends.len() > POINTS_PER_PASS {
            groups.push(&sweeps[start..k]);
            (start, points) = (k, 0);
        }
        points += spends.len();
    }
    if start < sweeps.len() {
        groups.push(&sweeps[start..]);
    }
    groups
}

/// The statistics of every point of `group`'s curves, in order, from one
/// pass over the trials.
fn simulate_points(
    scenario: &Scenario,
    base: &[Vec<f64>],
    group: &[(usize, Vec<f64>)],
    seed: u64,
    trials: u64,
    threads: usize,
    progress: &ProgressBar,
) -> Result<Vec<PointStats>, Halt> {
    let mut plans: Vec<Plan> = Vec::new();
    let mut starts = Vec::new();
    for (ci, spends) in group {
        // Each point scales the channel's whole monthly pattern, so a
        // flighting plan keeps its shape.
        for (k, &s) in spends.iter().enumerate() {
            let mut plan = Plan::baseline(scenario);
            plan.spend[*ci] = scenario.spend_pattern(*ci, s);
            plans.push(plan);
            starts.push(k == 0);
        }
    }
    let job = Job {
        scenario,
        plans: &plans,
        seed,
        first_trial: 0,
        trials,
        threads,
    };
    let given = Given {
        base: Some(base),
        ..Given::default()
    };
    let starts = std::sync::Arc::new(starts);
    let fresh = || Sweep {
        points: vec![PointStats::default(); plans.len()],
        starts: starts.clone(),
    };
    Ok(simulation::drive_given(&job, given, fresh, progress)?.points)
}

fn band(acc: &Accumulator, m: Total) -> Band {
    let s = acc.summary(m.kind());
    Band {
        mean: s.mean,
        p5: s.p5,
        p95: s.p95,
    }
}

/// Extra profit per unit of extra spend over a step of `width`, from the
/// per-trial profit differences `step`.
fn step_roi(step: &Accumulator, width: f64) -> Marginal {
    let mean = step.mean().unwrap_or(0.0) / width;
    let se = step.sd().unwrap_or(0.0) / (step.defined().max(1) as f64).sqrt() / width;
    Marginal::new(mean, se)
}

impl CurvesDoc {
    pub fn new(scenario: &Scenario, trials: u64, seed: u64, curves: Vec<Curve>) -> Self {
        CurvesDoc {
            provenance: Provenance::new(
                SCHEMA_VERSION,
                scenario,
                trials,
                seed,
                scenario.input_hash.clone(),
            ),
            curves,
        }
    }
}
