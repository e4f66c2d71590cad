//! Per-trial values for `drivers`, kept by trial index from the one driver.

use super::DriverTrials;
use crate::expectation::BlockExpectations;
use crate::expectation::luck::expected_total;
use crate::metrics::Total;
use crate::simulation::{Block, Collector};

/// Each block's input draws, E[Y | θ] per plan and plan 0's Y, put in
/// trial order at the end so the result does not depend on the workers.
#[derive(Debug)]
pub struct DriverValues {
    metric: Total,
    blocks: Vec<(u64, DriverTrials)>,
    expectations: BlockExpectations,
}

impl DriverValues {
    pub fn new(metric: Total) -> Self {
        DriverValues {
            metric,
            blocks: Vec::new(),
            expectations: BlockExpectations::default(),
        }
    }

    /// The values of trials `first_trial ..` collected elsewhere (a shard's
    /// partial result), to merge in trial order with the others.
    pub fn of_block(metric: Total, first_trial: u64, trials: DriverTrials) -> Self {
        DriverValues {
            metric,
            blocks: vec![(first_trial, trials)],
            expectations: BlockExpectations::default(),
        }
    }

    pub fn metric(&self) -> Total {
        self.metric
    }

    pub fn into_trials(mut self) -> DriverTrials {
        self.blocks.sort_by_key(|(first, _)| *first);
        let mut all = DriverTrials::default();
        for (_, b) in self.blocks {
            // The first block sets the shapes (there is always a plan, but
            // there may be no uncertain input).
            if all.expected.is_empty() {
                all.inputs = vec![Vec::new(); b.inputs.len()];
                all.expected = vec![Vec::new(); b.expected.len()];
            }
            for (a, x) in all.inputs.iter_mut().zip(b.inputs) {
                a.extend(x);
            }
            for (a, x) in all.expected.iter_mut().zip(b.expected) {
                a.extend(x);
            }
            all.outcome.extend(b.outcome);
        }
        all
    }
}

impl Collector for DriverValues {
    fn add(&mut self, block: &Block) {
        let inputs = block.draws.first().map_or(0, Vec::len);
        let mut part = DriverTrials {
            inputs: (0..inputs)
                .map(|j| block.draws.iter().map(|d| d[j]).collect())
                .collect(),
            expected: Vec::with_capacity(block.plans.len()),
            outcome: block
                .outcomes(0)
                .iter()
                .map(|o| o.total(self.metric))
                .collect(),
        };
        for plan in 0..block.plans.len() {
            let mut values = Vec::with_capacity(block.len());
            self.expectations.each_trial(block, plan, |_, expected| {
                values.push(expected_total(expected, self.metric));
            });
            part.expected.push(values);
        }
        self.blocks.push((block.first_trial, part));
    }

    fn merge(&mut self, other: Self) {
        self.blocks.extend(other.blocks);
    }
}
