//! Per-trial values kept by trial index: one metric of every plan (what the
//! optimizer scores candidates on and what its evaluation's gain is the
//! mean of). `run --samples` streams every trial instead (export::samples).

use serde::{Deserialize, Serialize};

use super::{Block, Collector};
use crate::engine::Outcome;
use crate::metrics::Total;

/// `values[plan][i]` of each block seen, with the block's first trial, in
/// the order seen: `by_plan` puts them in trial order, so the result does
/// not depend on which worker saw which block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ByTrial<T> {
    plans: usize,
    blocks: Vec<(u64, Vec<Vec<T>>)>,
}

impl<T> ByTrial<T> {
    fn new(plans: usize) -> Self {
        ByTrial {
            plans,
            blocks: Vec::new(),
        }
    }

    fn add(&mut self, block: &Block, value: impl Fn(&Outcome) -> T) {
        let values = (0..self.plans)
            .map(|p| block.outcomes(p).iter().map(&value).collect())
            .collect();
        self.blocks.push((block.first_trial, values));
    }

    fn by_plan(mut self) -> Vec<Vec<T>> {
        self.blocks.sort_by_key(|(first, _)| *first);
        let mut out: Vec<Vec<T>> = (0..self.plans).map(|_| Vec::new()).collect();
        for (_, block) in self.blocks {
            for (all, part) in out.iter_mut().zip(block) {
                all.extend(part);
            }
        }
        out
    }
}

/// A trial's value of `metric`. A runaway count makes it undefined (NaN):
/// a candidate is then unusable, never attractive, and an export shows no
/// number rather than a meaningless one.
fn trial_value(o: &Outcome, metric: Total) -> f64 {
    if o.overflow {
        f64::NAN
    } else {
        o.total(metric)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialValues {
    metric: Total,
    values: ByTrial<f64>,
}

impl TrialValues {
    pub fn new(metric: Total, plans: usize) -> Self {
        TrialValues {
            metric,
            values: ByTrial::new(plans),
        }
    }

    /// `values[plan][t]` for the job's trials in order.
    pub fn by_plan(self) -> Vec<Vec<f64>> {
        self.values.by_plan()
    }
}

impl Collector for TrialValues {
    fn add(&mut self, block: &Block) {
        let metric = self.metric;
        self.values.add(block, |o| trial_value(o, metric));
    }

    fn merge(&mut self, other: Self) {
        self.values.blocks.extend(other.values.blocks);
    }
}
