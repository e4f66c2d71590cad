//! Per-trial values for the report's histograms.
//!
//! The `Document` keeps only quantile summaries, which cannot draw the
//! shape of a distribution or a per-trial difference between plans. This
//! collector rides along with the run that builds the Document (same
//! trials, simulated once) and keeps the few series the charts need.

use serde::{Deserialize, Serialize};

use crate::metrics::{PerChannel, Total};
use crate::simulation::{Block, Collector};

/// Memory bound: histograms are drawn from at most this many trials (the
/// first ones). A shape needs far fewer; headline numbers never come from
/// here, they come from the Document over all trials.
pub const MAX_SAMPLED_TRIALS: u64 = 200_000;

/// Per-trial values of one plan, indexed by trial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// Trials kept (the first `trials` of the run).
    pub trials: u64,
    pub plans: Vec<PlanSamples>,
    /// What drives profit over all the run's trials (spec §8), for the
    /// report's tornado and contribution charts.
    #[serde(default)]
    pub drivers: Option<crate::drivers::document::DriversDoc>,
}

/// Collects `Samples` of trials `0..MAX_SAMPLED_TRIALS` during a run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SampleCollector {
    /// (first trial, values of that block): put in trial order by
    /// `finish`, so the samples do not depend on the thread count.
    blocks: Vec<(u64, Samples)>,
}

impl SampleCollector {
    /// The samples of trials `first_trial ..` collected elsewhere (a shard's
    /// partial result), to merge in trial order with the others.
    pub fn of_block(first_trial: u64, samples: Samples) -> Self {
        SampleCollector {
            blocks: vec![(first_trial, samples)],
        }
    }

    pub fn finish(mut self) -> Samples {
        self.blocks.sort_by_key(|(first, _)| *first);
        let mut all = Samples::default();
        for (_, part) in self.blocks {
            all.trials += part.trials;
            if all.plans.is_empty() {
                all.plans = part.plans;
                continue;
            }
            for (a, b) in all.plans.iter_mut().zip(part.plans) {
                a.append(b);
            }
        }
        all
    }
}

impl Collector for SampleCollector {
    fn add(&mut self, block: &Block) {
        let kept = MAX_SAMPLED_TRIALS
            .saturating_sub(block.first_trial)
            .min(block.len() as u64) as usize;
        if kept == 0 {
            return;
        }
        let scenario = block.scenario;
        let mut part = Samples {
            trials: kept as u64,
            plans: block
                .plans
                .iter()
                .map(|_| PlanSamples::with_channels(scenario.channels.len()))
                .collect(),
            drivers: None,
        };
        for i in 0..kept {
            for (p, ps) in part.plans.iter_mut().enumerate() {
                let outcome = &block.outcomes(p)[i];
                ps.profit.push(outcome.total(Total::Profit));
                ps.roi.push(outcome.total(Total::Roi));
                ps.payback_month.push(outcome.total(Total::PaybackMonth));
                for (cac, row) in ps.channel_cac.iter_mut().zip(&outcome.channels) {
                    cac.push(row[PerChannel::Cac.index()]);
                }
            }
        }
        self.blocks.push((block.first_trial, part));
    }

    fn merge(&mut self, other: Self) {
        self.blocks.extend(other.blocks);
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
