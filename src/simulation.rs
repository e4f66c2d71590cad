//! Running many trials in parallel and accumulating their statistics.
//!
//! Trials are handed out in fixed blocks to a rayon pool. Each worker keeps
//! its own accumulators; because every accumulator merges exactly, the
//! result is the same bytes for any thread count and any scheduling.

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::ProgressBar;

use crate::engine::{self, Outcome, Workspace};
use crate::metrics::Total;
use crate::scenario::Scenario;
use crate::stats::{Accumulator, PlanStats};

/// A budget allocation: spend per channel, in `Scenario::channels` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub name: String,
    pub spend: Vec<f64>,
}

impl Plan {
    pub fn baseline(scenario: &Scenario) -> Plan {
        Plan {
            name: "baseline".into(),
            spend: scenario.baseline_spend(),
        }
    }
}

/// Metrics compared between plans trial by trial (spec §3); higher is
/// better for each.
pub const COMPARED: [Total; 4] = [Total::Profit, Total::Roi, Total::Revenue, Total::Customers];

/// Per-trial differences of one plan against the first plan (`baseline`).
#[derive(Clone, Debug, Default)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

    /// Adds trials `..count` of `outcomes[plan][trial]`.
    fn add_block(&mut self, outcomes: &[Vec<Outcome>], count: usize) {
        if self.plans < 2 {
            return;
        }
        let n = self.plans;
        let profit = |plan: &Vec<Outcome>, trial: usize| plan[trial].total(Total::Profit);
        for trial in 0..count {
            for (a, plan_a) in outcomes.iter().enumerate() {
                let pa = profit(plan_a, trial);
                for (b, plan_b) in outcomes.iter().enumerate().skip(a + 1) {
                    let pb = profit(plan_b, trial);
                    if pa.is_nan() || pb.is_nan() {
                        continue;
                    }
                    self.defined[a * n + b] += 1;
                    self.defined[b * n + a] += 1;
                    if pa > pb {
                        self.wins[a * n + b] += 1;
                    } else if pb > pa {
                        self.wins[b * n + a] += 1;
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

/// Which plan each plan's per-trial differences are taken against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Against {
    /// `plans[0]` (the baseline): "is this plan better than the current one?"
    #[default]
    First,
    /// The plan just before: consecutive points of a response curve, whose
    /// paired differences give a marginal ROI with its own uncertainty.
    Previous,
}

/// Everything accumulated from a run, mergeable with another run over a
/// disjoint set of trials.
#[derive(Clone, Debug)]
pub struct Results {
    pub plans: Vec<PlanStats>,
    /// `comparisons[k]` compares `plans[k + 1]` with `plans[0]` (or with
    /// `plans[k]` for `Against::Previous`).
    pub comparisons: Vec<Comparison>,
    pub pairwise: Pairwise,
}

impl Results {
    pub fn new(scenario: &Scenario, plans: usize) -> Self {
        Results {
            plans: (0..plans).map(|_| PlanStats::new(scenario)).collect(),
            comparisons: (1..plans).map(|_| Comparison::new()).collect(),
            pairwise: Pairwise::new(plans),
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
    }

    pub fn trials(&self) -> u64 {
        self.plans.first().map_or(0, |p| p.trials)
    }
}

/// What to simulate.
pub struct Job<'a> {
    pub scenario: &'a Scenario,
    /// The first plan is the one others are compared with.
    pub plans: &'a [Plan],
    pub seed: u64,
    /// Trial indices `first_trial .. first_trial + trials`.
    pub first_trial: u64,
    pub trials: u64,
    pub threads: usize,
}

/// Trials a worker takes at a time: large enough to make hand-out cheap,
/// small enough to balance two cores on a few thousand trials.
const BLOCK: u64 = 128;

/// Per-thread simulation state.
struct Worker<'a> {
    job: &'a Job<'a>,
    against: Against,
    results: Results,
    workspace: Workspace,
    draws: Vec<f64>,
    /// `outcomes[plan][i]`: trial i of the current block.
    outcomes: Vec<Vec<Outcome>>,
}

impl<'a> Worker<'a> {
    fn new(job: &'a Job<'a>, against: Against) -> Self {
        let block: Vec<Outcome> = (0..BLOCK).map(|_| Outcome::new(job.scenario)).collect();
        Worker {
            job,
            against,
            results: Results::new(job.scenario, job.plans.len()),
            workspace: Workspace::default(),
            draws: Vec::new(),
            outcomes: job.plans.iter().map(|_| block.clone()).collect(),
        }
    }

    /// Simulates trials `first .. first + count` (count ≤ BLOCK) of every plan.
    fn block(&mut self, first: u64, count: usize) {
        let job = self.job;
        let scenario = job.scenario;
        for i in 0..count {
            let trial = first + i as u64;
            engine::draw_assumptions(scenario, job.seed, trial, &mut self.draws);
            for (plan, outcomes) in job.plans.iter().zip(self.outcomes.iter_mut()) {
                engine::simulate(
                    scenario,
                    &plan.spend,
                    &self.draws,
                    job.seed,
                    trial,
                    &mut self.workspace,
                    &mut outcomes[i],
                );
            }
        }
        for (stats, outcomes) in self.results.plans.iter_mut().zip(&self.outcomes) {
            stats.add_block(scenario, &outcomes[..count]);
        }
        self.results.pairwise.add_block(&self.outcomes, count);
        for (i, (cmp, outcomes)) in self
            .results
            .comparisons
            .iter_mut()
            .zip(&self.outcomes[1..])
            .enumerate()
        {
            let base = match self.against {
                Against::First => &self.outcomes[0],
                Against::Previous => &self.outcomes[i],
            };
            for (k, metric) in COMPARED.iter().enumerate() {
                for (o, b) in outcomes[..count].iter().zip(&base[..count]) {
                    let d = o.total(*metric) - b.total(*metric);
                    cmp.difference[k].add(d);
                    if d > 0.0 {
                        cmp.better[k] += 1;
                    }
                }
            }
        }
    }
}

/// The scenario makes some count grow past anything real (a referral cycle
/// that feeds itself, or spend buying more visits than people exist), so
/// the run's numbers would be meaningless.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{scenario}: in {trials} of {total} trials a count of people or orders passed {max:.1e}, so the forecast is meaningless\n  help: the referral cycle grows without bound (referral_rate × act.rate × convert.rate × customer lifetime ≥ 1), or repeat_rate or spend / cost_per_visit implies more orders or visits than can exist; check referral_rate, repeat_rate and the reach rows"
)]
pub struct RunawayError {
    pub scenario: String,
    pub trials: u64,
    pub total: u64,
    pub max: f64,
}

/// Runs a job on `job.threads` threads.
pub fn run(job: &Job, progress: &ProgressBar) -> Result<Results, RunawayError> {
    run_against(job, Against::First, progress)
}

/// Like `run`, with each plan compared against the plan `against` names.
pub fn run_against(
    job: &Job,
    against: Against,
    progress: &ProgressBar,
) -> Result<Results, RunawayError> {
    let next = AtomicU64::new(0);
    let blocks = job.trials.div_ceil(BLOCK);
    let work = || {
        let mut worker = Worker::new(job, against);
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks {
                break;
            }
            let start = b * BLOCK;
            let end = (start + BLOCK).min(job.trials);
            worker.block(job.first_trial + start, (end - start) as usize);
            progress.inc(end - start);
        }
        worker.results
    };
    let partials: Vec<Results> = if job.threads <= 1 {
        vec![work()]
    } else {
        match rayon::ThreadPoolBuilder::new()
            .num_threads(job.threads)
            .build()
        {
            Ok(pool) => pool.broadcast(|_| work()),
            Err(_) => vec![work()],
        }
    };
    let mut merged = Results::new(job.scenario, job.plans.len());
    for p in &partials {
        merged.merge(p);
    }
    let overflowed = merged
        .plans
        .iter()
        .map(|p| p.overflow_trials)
        .max()
        .unwrap_or(0);
    if overflowed > 0 {
        return Err(RunawayError {
            scenario: job.scenario.path.display().to_string(),
            trials: overflowed,
            total: job.trials,
            max: engine::MAX_COUNT as f64,
        });
    }
    Ok(merged)
}
