//! The statistics of a run: every metric of every plan, the targets' hit
//! counts, and each plan's trial-by-trial comparison with the first plan.

use serde::{Deserialize, Serialize};

use super::{Block, Collector, Plan};
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

/// Trials whose values of one metric an accumulator takes at once: the
/// driver's blocks are at most this long.
const VALUES_AT_ONCE: usize = 128;

/// Adds `value` of each outcome of `part` (at most `VALUES_AT_ONCE`) to
/// `acc`, gathered into `values` first.
#[inline]
fn add_values(
    acc: &mut Accumulator,
    values: &mut [f64; VALUES_AT_ONCE],
    part: &[Outcome],
    value: impl Fn(&Outcome) -> f64,
) {
    // The short blocks of a run with many plans skip the gathering.
    if part.len() < Accumulator::FEW {
        part.iter().for_each(|o| acc.add(value(o)));
        return;
    }
    for (v, o) in values.iter_mut().zip(part) {
        *v = value(o);
    }
    acc.add_all(&values[..part.len()]);
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
        // Each metric's values side by side, so an accumulator takes them
        // as one slice (`Accumulator::add_all`).
        let mut values = [0.0; VALUES_AT_ONCE];
        for part in outcomes.chunks(VALUES_AT_ONCE) {
            for (j, acc) in self.totals.iter_mut().enumerate() {
                add_values(acc, &mut values, part, |o| o.totals[j]);
            }
            for (c, accs) in self.channels.iter_mut().enumerate() {
                for (j, acc) in accs.iter_mut().enumerate() {
                    add_values(acc, &mut values, part, |o| o.channels[c][j]);
                }
            }
            for (t, accs) in self.monthly.iter_mut().enumerate() {
                for (j, acc) in accs.iter_mut().enumerate() {
                    add_values(acc, &mut values, part, |o| o.monthly[t][j]);
                }
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

/// Plans up to which a document shows P(better) between every two plans; beyond, between
/// every two of the `PAIRWISE_PLANS` plans with the highest mean profit (each plan is
/// still compared with the baseline). A table of every pair is plans² cells: a million
/// for 1,000 plans.
pub const PAIRWISE_PLANS: usize = 20;

/// Plans up to which the run's own pass counts the wins between every two plans (plans²
/// counts per trial and 16 bytes per pair and worker: 1.4 MB at 300 plans, where a trial
/// also simulates 300 plans). Beyond, only the `PAIRWISE_PLANS` best plans' wins are counted, in a
/// second pass over the same trials (`Results::complete_pairwise`): it costs
/// `PAIRWISE_PLANS / plans` of the run, less than counting every pair from here on. Both
/// give the same counts, so which one ran never shows in a document.
pub const PAIRWISE_IN_PASS: usize = 300;

/// Trial-by-trial profit wins between every two of some plans (all of them, or with more
/// than `PAIRWISE_IN_PASS` plans the `PAIRWISE_PLANS` best), so that plans can be ranked against each
/// other and not only against the baseline (`compare`). Only counts: they merge exactly,
/// whatever the threads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pairwise {
    plans: usize,
    /// `wins[a * plans + b]`: trials in which plan a's profit is strictly above plan b's.
    pub wins: Vec<u64>,
    /// Trials in which both profits were defined, in the same layout.
    pub defined: Vec<u64>,
    /// The run's index of each plan compared here, when these are not all of the run's
    /// plans in order (empty: plan a is the run's plan a).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    members: Vec<usize>,
}

impl Pairwise {
    pub fn new(plans: usize) -> Self {
        Pairwise {
            plans,
            wins: vec![0; plans * plans],
            defined: vec![0; plans * plans],
            members: Vec::new(),
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

    /// Where the run's plan `plan` sits among the plans compared here.
    fn position(&self, plan: usize) -> Option<usize> {
        if self.members.is_empty() {
            (plan < self.plans).then_some(plan)
        } else {
            self.members.iter().position(|&m| m == plan)
        }
    }

    /// Whether the run's plan `plan` was compared with the others here.
    pub fn covers(&self, plan: usize) -> bool {
        self.plans >= 2 && self.position(plan).is_some()
    }

    /// P(plan a's profit > plan b's), over the trials where both are defined; None
    /// also when the two were not compared.
    pub fn probability_better(&self, a: usize, b: usize) -> Option<f64> {
        let k = self.position(a)? * self.plans + self.position(b)?;
        (self.defined[k] > 0).then(|| self.wins[k] as f64 / self.defined[k] as f64)
    }
}

/// A second pass's collector: the plans of its block are the compared ones.
impl Collector for Pairwise {
    fn add(&mut self, block: &Block) {
        self.add_block(block);
    }

    fn merge(&mut self, other: Self) {
        Pairwise::merge(self, &other);
    }
}

/// The plans by `mean` (their index's mean profit, None last), highest first; equal means
/// keep the plans' order. The ranking a document shows, and what picks the plans compared
/// pairwise beyond `PAIRWISE_PLANS`.
pub fn ranking_order(plans: usize, mean: impl Fn(usize) -> Option<f64>) -> Vec<usize> {
    let mean = |i: usize| mean(i).unwrap_or(f64::NEG_INFINITY);
    let mut order: Vec<usize> = (0..plans).collect();
    order.sort_by(|&a, &b| mean(b).total_cmp(&mean(a)));
    order
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
            pairwise: Pairwise::new(if plans <= PAIRWISE_IN_PASS { plans } else { 0 }),
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

    /// With more than `PAIRWISE_IN_PASS` plans, counts the wins among the `PAIRWISE_PLANS`
    /// plans with the highest mean profit, which the run's own pass could not know in
    /// advance: `simulate` runs the same trials again on those plans only (the same seed
    /// and trial indices, so the same outcomes: common random numbers) and keeps their
    /// `Pairwise`. This costs `PAIRWISE_PLANS / plans` of the run (2 % for 1,000 plans),
    /// and the wins are those a run of these plans alone would count. Does nothing when
    /// every pair was counted already.
    pub fn complete_pairwise<E>(
        &mut self,
        plans: &[Plan],
        simulate: impl FnOnce(&[Plan]) -> Result<Pairwise, E>,
    ) -> Result<(), E> {
        if self.plans.len() <= PAIRWISE_IN_PASS {
            return Ok(());
        }
        let order = ranking_order(self.plans.len(), |i| {
            self.plans[i].total(Total::Profit).mean()
        });
        let best: Vec<usize> = order[..PAIRWISE_PLANS].to_vec();
        let subset: Vec<Plan> = best.iter().map(|&i| plans[i].clone()).collect();
        let mut pairwise = simulate(&subset)?;
        pairwise.members = best;
        self.pairwise = pairwise;
        Ok(())
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
