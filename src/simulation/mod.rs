//! The one loop over trials.
//!
//! Every command that needs simulated trials (run, compare, curves,
//! optimize, report, check, precision batches) asks `drive` for them and
//! says what to keep with a [`Collector`]. The driver hands out fixed blocks
//! of trials to a rayon pool, draws each trial's assumptions once, runs
//! every plan on them (common random numbers) and gives the block to the
//! worker's collector. Workers' collectors are then merged; because every
//! collector merges exactly (or keeps values by trial index), the result is
//! the same bytes for any thread count and any scheduling.

mod summary;
mod values;

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::ProgressBar;

use crate::engine::{self, Outcome, Workspace};
use crate::error::RunawayError;
use crate::scenario::Scenario;
pub use summary::{COMPARED, Comparison, Pairwise, PlanStats, Results, refuse_runaway};
pub use values::{TrialTotals, TrialValues};

/// A budget allocation: `spend[ci][t − 1]` is channel ci's spend in month
/// t (1..=horizon), channels in `Scenario::channels` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub name: String,
    pub spend: Vec<Vec<f64>>,
}

impl Plan {
    pub fn baseline(scenario: &Scenario) -> Plan {
        Plan {
            name: "baseline".into(),
            spend: scenario.baseline_spend(),
        }
    }

    /// A plan giving each channel a total, spread like the scenario's own
    /// spend of that channel (`Scenario::spend_pattern`).
    pub fn from_totals(scenario: &Scenario, name: impl Into<String>, totals: &[f64]) -> Plan {
        Plan {
            name: name.into(),
            spend: scenario.spend_for_totals(totals),
        }
    }

    /// Channel `ci`'s spend over the horizon.
    pub fn channel_total(&self, ci: usize) -> f64 {
        crate::scenario::money_total(&self.spend[ci])
    }

    /// Every channel's spend over the horizon.
    pub fn totals(&self) -> Vec<f64> {
        (0..self.spend.len())
            .map(|ci| self.channel_total(ci))
            .collect()
    }
}

/// What to simulate.
pub struct Job<'a> {
    pub scenario: &'a Scenario,
    /// Every plan is simulated on every trial, on the same draws.
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

/// Outcomes a worker keeps at once (plans × trials of a block): with many
/// plans (a curve's points, an optimizer's candidates) blocks get shorter,
/// so memory does not grow with the number of plans times `BLOCK`.
const BLOCK_OUTCOMES: u64 = 2048;

/// Consecutive trials of a job, simulated for every plan.
pub struct Block<'a> {
    pub scenario: &'a Scenario,
    pub plans: &'a [Plan],
    /// Index of the block's first trial; trial `i` of the block is
    /// `first_trial + i`.
    pub first_trial: u64,
    /// `draws[i]`: the assumption draws of trial `i` (see
    /// `engine::draw_assumptions`).
    pub draws: &'a [Vec<f64>],
    /// `outcomes[plan][i]`, possibly longer than the block (see `outcomes`).
    outcomes: &'a [Vec<Outcome>],
}

impl Block<'_> {
    pub fn len(&self) -> usize {
        self.draws.len()
    }

    /// What plan `plan` gave in each trial of the block.
    pub fn outcomes(&self, plan: usize) -> &[Outcome] {
        &self.outcomes[plan][..self.len()]
    }

    pub fn is_empty(&self) -> bool {
        self.draws.is_empty()
    }
}

/// What a command keeps of simulated trials.
///
/// `add` sees each block of trials once, in no particular order and on any
/// thread; `merge` combines two collectors of disjoint trials. A collector
/// must give the same result for any split of the trials and any merge
/// order (exact sums, counts, sketches, values kept by trial index), which
/// is what makes results independent of the thread count and lets partial
/// results of separate runs (batches, shards) be merged later.
pub trait Collector: Send {
    fn add(&mut self, block: &Block);
    fn merge(&mut self, other: Self)
    where
        Self: Sized;
}

/// Keeps nothing: for callers that need only the side effects of a run
/// (or as the second half of a pair).
impl Collector for () {
    fn add(&mut self, _: &Block) {}
    fn merge(&mut self, _: Self) {}
}

/// A collector a command may or may not need (the report's samples).
impl<C: Collector> Collector for Option<C> {
    fn add(&mut self, block: &Block) {
        if let Some(c) = self {
            c.add(block);
        }
    }

    fn merge(&mut self, other: Self) {
        match (self.as_mut(), other) {
            (Some(a), Some(b)) => a.merge(b),
            (None, other) => *self = other,
            (Some(_), None) => {}
        }
    }
}

/// Two collectors fed from the same pass: every (plan, trial) is simulated
/// once even when a command needs two things from it.
impl<A: Collector, B: Collector> Collector for (A, B) {
    fn add(&mut self, block: &Block) {
        self.0.add(block);
        self.1.add(block);
    }

    fn merge(&mut self, other: Self) {
        self.0.merge(other.0);
        self.1.merge(other.1);
    }
}

/// Worker threads for `drive_on`: built once by callers that drive many
/// small jobs (the optimizer), so they do not pay for a pool each time.
pub fn pool(threads: usize) -> Option<rayon::ThreadPool> {
    (threads > 1)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .ok()
        })
        .flatten()
}

/// Simulates `job` on `job.threads` threads; `fresh` makes each worker's
/// empty collector.
pub fn drive<C: Collector>(job: &Job, fresh: impl Fn() -> C + Sync, progress: &ProgressBar) -> C {
    drive_on(pool(job.threads).as_ref(), job, fresh, progress)
}

/// Like `drive`, on the given pool (`None`: on this thread).
pub fn drive_on<C: Collector>(
    pool: Option<&rayon::ThreadPool>,
    job: &Job,
    fresh: impl Fn() -> C + Sync,
    progress: &ProgressBar,
) -> C {
    let block = (BLOCK_OUTCOMES / job.plans.len().max(1) as u64).clamp(1, BLOCK);
    let blocks = job.trials.div_ceil(block);
    let next = AtomicU64::new(0);
    let work = || {
        let mut collector = fresh();
        let mut workspace = Workspace::default();
        let mut draws: Vec<Vec<f64>> = vec![Vec::new(); block as usize];
        let mut outcomes: Vec<Vec<Outcome>> = job
            .plans
            .iter()
            .map(|_| vec![Outcome::new(job.scenario); block as usize])
            .collect();
        loop {
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks {
                break;
            }
            let start = b * block;
            let count = ((start + block).min(job.trials) - start) as usize;
            let first_trial = job.first_trial + start;
            for (i, draws) in draws[..count].iter_mut().enumerate() {
                let trial = first_trial + i as u64;
                engine::draw_assumptions(job.scenario, job.seed, trial, draws);
                for (plan, outcomes) in job.plans.iter().zip(outcomes.iter_mut()) {
                    engine::simulate(
                        job.scenario,
                        &plan.spend,
                        draws,
                        job.seed,
                        trial,
                        &mut workspace,
                        &mut outcomes[i],
                    );
                }
            }
            collector.add(&Block {
                scenario: job.scenario,
                plans: job.plans,
                first_trial,
                draws: &draws[..count],
                outcomes: &outcomes,
            });
            progress.inc(count as u64);
        }
        collector
    };
    let partials: Vec<C> = match pool {
        Some(pool) => pool.broadcast(|_| work()),
        None => vec![work()],
    };
    let mut partials = partials.into_iter();
    let mut merged = partials.next().unwrap_or_else(&fresh);
    for p in partials {
        merged.merge(p);
    }
    merged
}

/// Simulates `job` keeping every plan's statistics and each plan's
/// comparison with the first, and refuses a run whose counts ran away.
pub fn run(job: &Job, progress: &ProgressBar) -> Result<Results, RunawayError> {
    let results = drive(
        job,
        || Results::new(job.scenario, job.plans.len()),
        progress,
    );
    results.check_runaway(job.scenario)?;
    Ok(results)
}
