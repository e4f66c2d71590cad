//! The statistics of a run: every metric of every plan, the targets' hit
//! counts, and each plan's trial-by-trial comparison with the first plan.

use serde::{Deserialize, Serialize};

use super::{Block, Collector};
use crate::engine::Outcome;
use crate::expectation::luck::Luck;
use crate::metrics::{Monthly, PerChannel, Total};
use crate::scenario::{Scenario, TargetMetric};
use crate::stats::Accumulator;

/// Metrics compared between plans trial by trial (spec §3); higher is
/// better for each.
pub const COMPARED: [Total; 4] = [Total::Profit, Total::Roi, Total::Revenue, Total::Customers];

/// The value a target looks at in one trial (NaN when undefined).
#[inline]
fn target_value(outcome: &Outcome, metric: TargetMetric) -> f64 {
    match metric {
        TargetMetric::Total(m) => outcome.totals[m.index()],
        TargetMetric::Channel(c, m) => outcome.channels[c][m.index()],
    }
}

/// Accumulated results of one plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlanStats {
    pub trials: u64,
    pub totals: Vec<Accumulator>,
    /// [channel][metric]
    pub channels: Vec<Vec<Accumulator>>,
    /// [month][metric]
    pub monthly: Vec<Vec<Accumulator>>,
    /// Trials in which each scenario target held.
    pub target_hits: Vec<u64>,
    /// Trials with a negative profit (P(loss) is exact, not from a sketch).
    pub loss_trials: u64,
    /// Trials in which a count hit the engine's cap (see `engine::MAX_COUNT`).
    pub overflow_trials: u64,
}

impl PlanStats {
    pub fn new(scenario: &Scenario) -> Self {
        PlanStats {
            trials: 0,
            totals: vec![Accumulator::default(); Total::COUNT],
            channels: vec![
                vec![Accumulator::default(); PerChannel::COUNT];
                scenario.channels.len()
            ],
            monthly: vec![vec![Accumulator::default(); Monthly::COUNT]; scenario.horizon],
            target_hits: vec![0; scenario.targets.len()],
            loss_trials: 0,
            overflow_trials: 0,
        }
    }

    /// Adds a block of trials. Metric by metric rather than trial by trial:
    /// each sketch's hot buckets then stay in cache for the whole block,
    /// which matters with a few hundred sketches per plan.
    pub fn add_block(&mut self, scenario: &Scenario, outcomes: &[Outcome]) {
        self.trials += outcomes.len() as u64;
        for o in outcomes {
            if o.total(Total::Profit) < 0.0 {
                self.loss_trials += 1;
            }
            if o.overflow {
                self.overflow_trials += 1;
            }
            for (hits, target) in self.target_hits.iter_mut().zip(&scenario.targets) {
                if target
                    .op
                    .holds(target_value(o, target.metric), target.value)
                {
                    *hits += 1;
                }
            }
        }
        for (j, acc) in self.totals.iter_mut().enumerate() {
            outcomes.iter().for_each(|o| acc.add(o.totals[j]));
        }
        for (c, accs) in self.channels.iter_mut().enumerate() {
            for (j, acc) in accs.iter_mut().enumerate() {
                outcomes.iter().for_each(|o| acc.add(o.channels[c][j]));
            }
        }
        for (t, accs) in self.monthly.iter_mut().enumerate() {
            for (j, acc) in accs.iter_mut().enumerate() {
                outcomes.iter().for_each(|o| acc.add(o.monthly[t][j]));
            }
        }
    }

    pub fn merge(&mut self, other: &PlanStats) {
        self.trials += other.trials;
        self.loss_trials += other.loss_trials;
        self.overflow_trials += other.overflow_trials;
        let pairs = self
            .totals
            .iter_mut()
            .zip(&other.totals)
            .chain(
                self.channels
                    .iter_mut()
                    .flatten()
                    .zip(other.channels.iter().flatten()),
            )
            .chain(
                self.monthly
                    .iter_mut()
                    .flatten()
                    .zip(other.monthly.iter().flatten()),
            );
        for (a, b) in pairs {
            a.merge(b);
        }
        for (a, b) in self.target_hits.iter_mut().zip(&other.target_hits) {
            *a += b;
        }
    }

    pub fn total(&self, m: Total) -> &Accumulator {
        &self.totals[m.index()]
    }

    /// Share of trials in which each target held.
    pub fn target_probabilities(&self) -> impl Iterator<Item = f64> + '_ {
        self.target_hits
            .iter()
            .map(|hits| *hits as f64 / self.trials.max(1) as f64)
    }
}

/// Per-trial differences of one plan against the first plan (`baseline`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Comparison {
    /// One per `COMPARED` metric: the distribution of (plan − baseline).
    pub difference: Vec<Accumulator>,
    /// Trials in which the plan's value was strictly higher.
    pub better: Vec<u64>,
}

impl Comparison {
    fn new() -> Self {
        Comparison {
            difference: vec![Accumulator::default(); COMPARED.len()],
            better: vec![0; COMPARED.len()],
        }
    }

    fn add_block(&mut self, outcomes: &[Outcome], baseline: &[Outcome]) {
        for (k, metric) in COMPARED.iter().enumerate() {
            for (o, b) in outcomes.iter().zip(baseline) {
                let d = o.total(*metric) - b.total(*metric);
                self.difference[k].add(d);
                if d > 0.0 {
                    self.better[k] += 1;
                }
            }
        }
    }

    fn merge(&mut self, other: &Comparison) {
        for (a, b) in self.difference.iter_mut().zip(&other.difference) {
            a.merge(b);
        }
        for (a, b) in self.better.iter_mut().zip(&other.better) {
            *a += b;
        }
    }
}

/// Trial-by-trial profit wins between every two plans, so that plans can be ranked against
/// each other and not only against the baseline (`compare`). Only counts: they merge
/// exactly, whatever the threads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pairwise {
    plans: usize,
    /// `wins[a * plans + b]`: trials in which plan a's profit is strictly above plan b's.
    pub wins: Vec<u64>,
    /// Trials in which both profits were defined, in the same layout.
    pub defined: Vec<u64>,
}

impl Pairwise {
    pub fn new(plans: usize) -> Self {
        Pairwise {
            plans,
            wins: vec![0; plans * plans],
            defined: vec![0; plans * plans],
        }
    }

    fn add_block(&mut self, block: &Block) {
        if self.plans < 2 {
            return;
        }
        for i in 0..block.len() {
            for a in 0..self.plans {
                let pa = block.outcomes(a)[i].total(Total::Profit);
                for b in a + 1..self.plans {
                    let pb = block.outcomes(b)[i].total(Total::Profit);
                    if pa.is_nan() || pb.is_nan() {
                        continue;
                    }
                    self.defined[a * self.plans + b] += 1;
                    self.defined[b * self.plans + a] += 1;
                    if pa > pb {
                        self.wins[a * self.plans + b] += 1;
                    } else if pb > pa {
                        self.wins[b * self.plans + a] += 1;
                    }
                }
            }
        }
    }

    fn merge(&mut self, other: &Pairwise) {
        for (a, b) in self.wins.iter_mut().zip(&other.wins) {
            *a += b;
        }
        for (a, b) in self.defined.iter_mut().zip(&other.defined) {
            *a += b;
        }
    }

    /// P(plan a's profit > plan b's), over the trials where both are defined.
    pub fn probability_better(&self, a: usize, b: usize) -> Option<f64> {
        let k = a * self.plans + b;
        (self.defined[k] > 0).then(|| self.wins[k] as f64 / self.defined[k] as f64)
    }
}

/// Everything a run's document is built from, mergeable with the results
/// of a disjoint set of trials (also when written to disk and read back).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    pub plans: Vec<PlanStats>,
    /// `comparisons[k]` compares `plans[k + 1]` with `plans[0]`.
    pub comparisons: Vec<Comparison>,
    pub pairwise: Pairwise,
    /// Each plan's split of variance into assumptions and luck (spec §7).
    pub luck: Luck,
}

impl Results {
    pub fn new(scenario: &Scenario, plans: usize) -> Self {
        Results {
            plans: (0..plans).map(|_| PlanStats::new(scenario)).collect(),
            comparisons: (1..plans).map(|_| Comparison::new()).collect(),
            pairwise: Pairwise::new(plans),
            luck: Luck::new(plans),
        }
    }

    pub fn merge(&mut self, other: &Results) {
        for (a, b) in self.plans.iter_mut().zip(&other.plans) {
            a.merge(b);
        }
        for (a, b) in self.comparisons.iter_mut().zip(&other.comparisons) {
            a.merge(b);
        }
        self.pairwise.merge(&other.pairwise);
        self.luck.merge_from(&other.luck);
    }

    pub fn trials(&self) -> u64 {
        self.plans.first().map_or(0, |p| p.trials)
    }
}

impl Collector for Results {
    fn add(&mut self, block: &Block) {
        for (p, stats) in self.plans.iter_mut().enumerate() {
            stats.add_block(block.scenario, block.outcomes(p));
        }
        let baseline = block.outcomes(0);
        for (k, cmp) in self.comparisons.iter_mut().enumerate() {
            cmp.add_block(block.outcomes(k + 1), baseline);
        }
        self.pairwise.add_block(block);
        self.luck.add(block);
    }

    fn merge(&mut self, other: Self) {
        Results::merge(self, &other);
    }
}
