//! Per-trial values for the report's histograms.
//!
//! The `Document` keeps only quantile summaries, which cannot draw the
//! shape of a distribution or a per-trial difference between plans. This
//! pass re-simulates the same trials through the engine (same seed and
//! trial numbers, so the same values as the run that built the Document,
//! by common random numbers) and keeps the few series the charts need.

use rayon::prelude::*;

use crate::engine::{self, Outcome, Workspace, money};
use crate::metrics::{PerChannel, Total};
use crate::scenario::Scenario;
use crate::simulation::Plan;

/// Memory bound: histograms are drawn from at most this many trials (the
/// first ones). A shape needs far fewer; headline numbers never come from
/// here, they come from the Document over all trials.
pub const MAX_SAMPLED_TRIALS: u64 = 200_000;

/// Trials per parallel work item; results are concatenated in item order,
/// so the samples do not depend on the thread count.
const CHUNK: u64 = 512;

/// Per-trial values of one plan, indexed by trial.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanSamples {
    pub profit: Vec<f64>,
    pub roi: Vec<f64>,
    /// NaN when the plan does not pay back within the horizon.
    pub payback_month: Vec<f64>,
    /// Per channel (in `Scenario::channels` order): the channel's cost
    /// (present value of its spend) over its customers; NaN without spend
    /// or without customers.
    pub channel_cac: Vec<Vec<f64>>,
}

/// Per-trial values of every plan over the same trials.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// Trials kept (the first `trials` of the run).
    pub trials: u64,
    pub plans: Vec<PlanSamples>,
}

impl Samples {
    /// The samples behind `doc`: same seed, same trials.
    pub fn for_document(
        scenario: &Scenario,
        plans: &[Plan],
        doc: &crate::document::Document,
        threads: usize,
    ) -> Samples {
        Samples::collect(scenario, plans, doc.seed, doc.trials, threads)
    }

    /// Simulates trials `0..min(trials, MAX_SAMPLED_TRIALS)` of every plan.
    pub fn collect(
        scenario: &Scenario,
        plans: &[Plan],
        seed: u64,
        trials: u64,
        threads: usize,
    ) -> Samples {
        let kept = trials.min(MAX_SAMPLED_TRIALS);
        let chunks: Vec<u64> = (0..kept.div_ceil(CHUNK)).collect();
        let work = || -> Vec<Samples> {
            chunks
                .par_iter()
                .map(|&c| {
                    let end = ((c + 1) * CHUNK).min(kept);
                    simulate_range(scenario, plans, seed, c * CHUNK..end)
                })
                .collect()
        };
        let parts = match rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        };
        let mut all = Samples {
            trials: kept,
            plans: plans
                .iter()
                .map(|_| PlanSamples::with_channels(scenario.channels.len()))
                .collect(),
        };
        for part in parts {
            for (a, b) in all.plans.iter_mut().zip(part.plans) {
                a.append(b);
            }
        }
        all
    }
}

impl PlanSamples {
    fn with_channels(n: usize) -> Self {
        PlanSamples {
            channel_cac: vec![Vec::new(); n],
            ..Default::default()
        }
    }

    fn append(&mut self, mut other: PlanSamples) {
        self.profit.append(&mut other.profit);
        self.roi.append(&mut other.roi);
        self.payback_month.append(&mut other.payback_month);
        for (a, b) in self
            .channel_cac
            .iter_mut()
            .zip(other.channel_cac.iter_mut())
        {
            a.append(b);
        }
    }
}

fn simulate_range(
    scenario: &Scenario,
    plans: &[Plan],
    seed: u64,
    range: std::ops::Range<u64>,
) -> Samples {
    let mut out = Samples {
        trials: range.end - range.start,
        plans: plans
            .iter()
            .map(|_| PlanSamples::with_channels(scenario.channels.len()))
            .collect(),
    };
    let mut draws = Vec::new();
    let mut ws = Workspace::default();
    let mut outcome = Outcome::new(scenario);
    let mut discount = Vec::new();
    for trial in range {
        engine::draw_assumptions(scenario, seed, trial, &mut draws);
        money::discount_factors(
            scenario.discount_rate.value(&draws),
            scenario.horizon,
            &mut discount,
        );
        for (plan, ps) in plans.iter().zip(out.plans.iter_mut()) {
            engine::simulate(
                scenario,
                &plan.spend,
                &draws,
                seed,
                trial,
                &mut ws,
                &mut outcome,
            );
            ps.profit.push(outcome.total(Total::Profit));
            ps.roi.push(outcome.total(Total::Roi));
            ps.payback_month.push(outcome.total(Total::PaybackMonth));
            for ((cac, row), spend) in ps
                .channel_cac
                .iter_mut()
                .zip(&outcome.channels)
                .zip(&plan.spend)
            {
                // Spend is booked as S_t in month t (spec §4.1).
                let cost = if spend.iter().any(|s| *s > 0.0) {
                    spend.iter().zip(&discount[1..]).map(|(s, d)| s * d).sum()
                } else {
                    f64::NAN
                };
                cac.push(money::ratio(cost, row[PerChannel::Customers.index()]));
            }
        }
    }
    out
}
