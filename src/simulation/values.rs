//! One metric of every plan in every trial, kept by trial index: what the
//! optimizer scores candidates on and what its evaluation's gain is the
//! mean of.

use serde::{Deserialize, Serialize};

use super::{Block, Collector};
use crate::metrics::Total;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialValues {
    metric: Total,
    plans: usize,
    /// (first trial, `values[plan][i]`) of each block seen, in the order
    /// seen: `by_plan` puts them in trial order, so the result does not
    /// depend on which worker saw which block.
    blocks: Vec<(u64, Vec<Vec<f64>>)>,
}

impl TrialValues {
    pub fn new(metric: Total, plans: usize) -> Self {
        TrialValues {
            metric,
            plans,
            blocks: Vec::new(),
        }
    }

    /// `values[plan][t]` for the job's trials in order.
    pub fn by_plan(mut self) -> Vec<Vec<f64>> {
        self.blocks.sort_by_key(|(first, _)| *first);
        let mut out = vec![Vec::new(); self.plans];
        for (_, block) in self.blocks {
            for (all, part) in out.iter_mut().zip(block) {
                all.extend(part);
            }
        }
        out
    }
}

impl Collector for TrialValues {
    fn add(&mut self, block: &Block) {
        let metric = self.metric;
        let values = (0..self.plans)
            .map(|p| {
                block
                    .outcomes(p)
                    .iter()
                    // A runaway count makes a candidate unusable, never
                    // attractive.
                    .map(|o| {
                        if o.overflow {
                            f64::NAN
                        } else {
                            o.total(metric)
                        }
                    })
                    .collect()
            })
            .collect();
        self.blocks.push((block.first_trial, values));
    }

    fn merge(&mut self, other: Self) {
        self.blocks.extend(other.blocks);
    }
}
