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

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use indicatif::ProgressBar;

use crate::engine::observed::Observed;
use crate::engine::{self, Outcome, Workspace};
use crate::error::{self, Halt, NonFiniteError, RunawayError};
use crate::metrics::Total;
use crate::scenario::Scenario;
pub use summary::{
    COMPARED, Comparison, PAIRWISE_IN_PASS, PAIRWISE_PLANS, Pairwise, PlanStats, Results,
    ranking_order,
};
pub use values::TrialValues;

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

/// What a job takes as given instead of drawing or simulating it
/// (tracking a running campaign, spec §9). The default gives nothing: a
/// plain run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Given<'a> {
    /// `draws[trial]`: the assumption draws of trial `trial` (a posterior
    /// sample, one draw per trial) instead of `engine::draw_assumptions`.
    /// Must hold every trial of the job.
    pub draws: Option<&'a [Vec<f64>]>,
    /// The observed months every trial starts from (a warm start).
    pub observed: Option<&'a Observed>,
    /// Keep each channel's monthly counts (`Outcome::cells`).
    pub cells: bool,
    /// A spend (`spend[ci][t − 1]`) the plans vary one channel at a time:
    /// each trial simulates its channels once, and a plan that changes one
    /// channel costs that channel alone (`engine::incremental`). Such a
    /// plan's outcome has totals and months but no per-channel rows, and
    /// its money may differ from a whole simulation's in the last bit; a
    /// plan that changes several channels is simulated whole. Not with
    /// `observed` or `cells`.
    pub base: Option<&'a [Vec<f64>]>,
}

/// How a plan differs from a job's base spend (`Given::base`).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Variation {
    Same,
    Channel(usize),
    Several,
}

impl Variation {
    fn of(base: &[Vec<f64>], plan: &Plan) -> Variation {
        let mut changed = (0..base.len()).filter(|&ci| plan.spend[ci] != base[ci]);
        match (changed.next(), changed.next()) {
            (None, _) => Variation::Same,
            (Some(ci), None) => Variation::Channel(ci),
            _ => Variation::Several,
        }
    }
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
    /// The observed months the trials started from, if any: their outcomes
    /// are then not what `draws` alone imply (the luck split skips them).
    pub observed: Option<&'a Observed>,
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
/// empty collector. Unguarded: for callers that judge runaway or undefined
/// trials themselves (the optimizer treats such a candidate as unusable).
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
    drive_inner(pool, job, Given::default(), fresh, progress, false).0
}

/// Like `drive_guarded`, with what `given` gives taken as given.
pub fn drive_given<C: Collector>(
    job: &Job,
    given: Given,
    fresh: impl Fn() -> C + Sync,
    progress: &ProgressBar,
) -> Result<C, Halt> {
    let _ctrl_c_stops = crate::interrupt::Listening::start();
    match drive_inner(
        pool(job.threads).as_ref(),
        job,
        given,
        fresh,
        progress,
        true,
    ) {
        (_, Some(halt)) => Err(halt),
        (collector, None) => Ok(collector),
    }
}

/// Like `drive`, but stops at the first trial whose counts ran away or
/// whose money or counts are not finite, instead of simulating every
/// remaining trial and handing meaningless statistics on.
pub fn drive_guarded<C: Collector>(
    job: &Job,
    fresh: impl Fn() -> C + Sync,
    progress: &ProgressBar,
) -> Result<C, Halt> {
    drive_given(job, Given::default(), fresh, progress)
}

/// Assumption draws an error quotes at most.
const QUOTED_DRAWS: usize = 20;

/// Why trial `i` of the block cannot be used, if it cannot. Costs one flag
/// and a dozen comparisons per plan and trial.
fn inspect(block: &Block, i: usize) -> Option<Halt> {
    let trial = block.first_trial + i as u64;
    for (p, plan) in block.plans.iter().enumerate() {
        let o = &block.outcomes(p)[i];
        if o.overflow {
            return Some(Halt::Runaway(RunawayError {
                scenario: block.scenario.path.display().to_string(),
                trial,
                plan: error::clip(&plan.name),
                max: engine::MAX_COUNT as f64,
                cycle: describe_cycle(block.scenario, &block.draws[i]),
            }));
        }
        if let Some(metric) = Total::ALL
            .into_iter()
            .find(|m| m.always_defined() && !o.total(*m).is_finite())
        {
            return Some(Halt::NonFinite(NonFiniteError {
                scenario: block.scenario.path.display().to_string(),
                metric: metric.name(),
                value: o.total(metric),
                trial,
                plan: error::clip(&plan.name),
                draws: describe_draws(block.scenario, &block.draws[i]),
            }));
        }
    }
    None
}

/// A trial's assumption draws as an error quotes them: row by row, the
/// first `QUOTED_DRAWS`, then how many more.
/// The referral cycle of a runaway trial, for its error: what a referred
/// customer brings in with this trial's draws, and the rows behind it.
fn describe_cycle(scenario: &Scenario, draws: &[f64]) -> String {
    use crate::scenario::cycle;
    let value = |p: crate::scenario::Param| p.value(draws);
    match cycle::growth(scenario, value) {
        Some(g) => format!(
            "\n  in this trial each referred customer brings {} more over the horizon; the \
             cycle's rows: {}",
            cycle::brief(g),
            cycle::rows(scenario, value, "in this trial").join("; ")
        ),
        None => String::new(),
    }
}

fn describe_draws(scenario: &Scenario, draws: &[f64]) -> String {
    if draws.is_empty() {
        return "none (every assumption is fixed)".into();
    }
    let mut parts: Vec<String> = scenario
        .drawn
        .iter()
        .zip(draws)
        .take(QUOTED_DRAWS)
        .map(|(&a, v)| {
            let a = &scenario.assumptions[a];
            format!(
                "line {} {},{},{} = {v:e}",
                a.line,
                a.stage.name(),
                error::clip(&a.channel),
                a.metric_label()
            )
        })
        .collect();
    if draws.len() > QUOTED_DRAWS {
        parts.push(format!("and {} more", draws.len() - QUOTED_DRAWS));
    }
    parts.join("; ")
}

/// The loop behind `drive` and `drive_guarded`. Guarded, it stops handing
/// out blocks once a block holds an unusable trial. Blocks are handed out in
/// order and a worker finishes the block it holds, so every block before
/// the first bad one is inspected: the earliest bad trial found is the
/// earliest there is, whatever the thread count.
fn drive_inner<C: Collector>(
    pool: Option<&rayon::ThreadPool>,
    job: &Job,
    given: Given,
    fresh: impl Fn() -> C + Sync,
    progress: &ProgressBar,
    guarded: bool,
) -> (C, Option<Halt>) {
    assert!(
        given.base.is_none() || (given.observed.is_none() && !given.cells),
        "an incremental job starts from no actuals and keeps no cells"
    );
    let variations: Option<Vec<Variation>> = given
        .base
        .map(|base| job.plans.iter().map(|p| Variation::of(base, p)).collect());
    let fresh_outcome = |plan: usize| {
        if given.cells {
            Outcome::with_cells(job.scenario)
        } else if variations
            .as_ref()
            .is_some_and(|v| v[plan] != Variation::Several)
        {
            Outcome::totals_only(job.scenario)
        } else {
            Outcome::new(job.scenario)
        }
    };
    let block = (BLOCK_OUTCOMES / job.plans.len().max(1) as u64).clamp(1, BLOCK);
    let blocks = job.trials.div_ceil(block);
    let next = AtomicU64::new(0);
    let stopped = AtomicBool::new(false);
    let halt: Mutex<Option<Halt>> = Mutex::new(None);
    let completed = AtomicU64::new(0);
    let work = || {
        let mut collector = fresh();
        let mut workspace = Workspace::default();
        let mut draws: Vec<Vec<f64>> = vec![Vec::new(); block as usize];
        let mut outcomes: Vec<Vec<Outcome>> = (0..job.plans.len())
            .map(|p| vec![fresh_outcome(p); block as usize])
            .collect();
        let mut incremental = engine::incremental::Incremental::default();
        let mut base_outcome = Outcome::new(job.scenario);
        loop {
            if stopped.load(Ordering::Relaxed) || (guarded && crate::interrupt::requested()) {
                break;
            }
            let b = next.fetch_add(1, Ordering::Relaxed);
            if b >= blocks {
                break;
            }
            let start = b * block;
            let count = ((start + block).min(job.trials) - start) as usize;
            let first_trial = job.first_trial + start;
            for (i, draws) in draws[..count].iter_mut().enumerate() {
                let trial = first_trial + i as u64;
                match given.draws {
                    Some(table) => draws.clone_from(&table[trial as usize]),
                    None => engine::draw_assumptions(job.scenario, job.seed, trial, draws),
                }
                if let (Some(base), Some(variations)) = (given.base, &variations) {
                    incremental.prepare(
                        job.scenario,
                        base,
                        draws,
                        job.seed,
                        trial,
                        &mut workspace,
                        &mut base_outcome,
                    );
                    for ((plan, outcomes), variation) in
                        job.plans.iter().zip(outcomes.iter_mut()).zip(variations)
                    {
                        let out = &mut outcomes[i];
                        match *variation {
                            Variation::Same => out.copy_totals(&base_outcome),
                            Variation::Channel(ci) => incremental.vary(
                                job.scenario,
                                ci,
                                &plan.spend[ci],
                                draws,
                                &mut workspace,
                                out,
                            ),
                            Variation::Several => engine::simulate(
                                job.scenario,
                                &plan.spend,
                                draws,
                                job.seed,
                                trial,
                                &mut workspace,
                                out,
                            ),
                        }
                    }
                    continue;
                }
                for (plan, outcomes) in job.plans.iter().zip(outcomes.iter_mut()) {
                    engine::simulate_observed(
                        job.scenario,
                        &plan.spend,
                        draws,
                        job.seed,
                        trial,
                        given.observed,
                        &mut workspace,
                        &mut outcomes[i],
                    );
                }
            }
            let done = Block {
                scenario: job.scenario,
                plans: job.plans,
                first_trial,
                draws: &draws[..count],
                outcomes: &outcomes,
                observed: given.observed,
            };
            if guarded && let Some(found) = (0..count).find_map(|i| inspect(&done, i)) {
                stopped.store(true, Ordering::Relaxed);
                let mut first = halt.lock().unwrap_or_else(|e| e.into_inner());
                if first.as_ref().is_none_or(|h| found.trial() < h.trial()) {
                    *first = Some(found);
                }
                break;
            }
            collector.add(&done);
            progress.inc(count as u64);
            completed.fetch_add(count as u64, Ordering::Relaxed);
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
    let mut halt = halt.into_inner().unwrap_or_else(|e| e.into_inner());
    let completed = completed.into_inner();
    if guarded && halt.is_none() && completed < job.trials {
        halt = Some(Halt::Interrupted(error::Interrupted {
            done: job.first_trial + completed,
            total: job.first_trial + job.trials,
        }));
    }
    (merged, halt)
}

/// Simulates `job` keeping every plan's statistics and each plan's
/// comparison with the first, and refuses a run whose counts ran away.
pub fn run(job: &Job, progress: &ProgressBar) -> Result<Results, Halt> {
    drive_guarded(
        job,
        || Results::new(job.scenario, job.plans.len()),
        progress,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario() -> Scenario {
        let text = "stage,channel,metric,value\n\
                    reach,search,spend,1000\n\
                    reach,search,cost_per_visit,1\n\
                    act,*,rate,0.1\n\
                    convert,*,rate,\"uniform(0.05, 0.15)\"\n\
                    convert,*,order_value,50\n";
        crate::scenario::parse_str(Path::new("s.csv"), text).expect("valid scenario")
    }

    /// No input the parser allows produces an infinite revenue any more, so
    /// the guard is tested on an outcome made non-finite by hand.
    #[test]
    fn a_non_finite_total_names_the_metric_the_trial_and_its_draws() {
        let scenario = scenario();
        let plans = [Plan::baseline(&scenario)];
        let draws = vec![vec![0.12]; 3];
        let mut outcomes = vec![vec![Outcome::new(&scenario); 3]];
        assert!(inspect_all(&scenario, &plans, &draws, &outcomes).is_none());
        outcomes[0][1].totals[Total::Revenue.index()] = f64::INFINITY;
        outcomes[0][2].totals[Total::Profit.index()] = f64::NAN;
        let Some(Halt::NonFinite(e)) = inspect_all(&scenario, &plans, &draws, &outcomes) else {
            panic!("an infinite revenue must stop the run");
        };
        assert_eq!((e.metric, e.trial), ("revenue", 41));
        let message = e.to_string();
        assert!(
            message.contains("line 5 convert,*,rate = 1.2e-1"),
            "{message}"
        );
        assert!(message.contains("s.csv"), "{message}");
    }

    #[test]
    fn an_undefined_ratio_is_not_an_error_but_a_runaway_count_is() {
        let scenario = scenario();
        let plans = [Plan::baseline(&scenario)];
        let draws = vec![vec![0.12]; 2];
        let mut outcomes = vec![vec![Outcome::new(&scenario); 2]];
        outcomes[0][0].totals[Total::Roi.index()] = f64::NAN;
        outcomes[0][0].totals[Total::Cac.index()] = f64::NAN;
        assert!(inspect_all(&scenario, &plans, &draws, &outcomes).is_none());
        outcomes[0][1].overflow = true;
        let Some(Halt::Runaway(e)) = inspect_all(&scenario, &plans, &draws, &outcomes) else {
            panic!("a capped count must stop the run");
        };
        assert_eq!(e.trial, 41);
    }

    fn inspect_all(
        scenario: &Scenario,
        plans: &[Plan],
        draws: &[Vec<f64>],
        outcomes: &[Vec<Outcome>],
    ) -> Option<Halt> {
        let block = Block {
            scenario,
            plans,
            first_trial: 40,
            draws,
            outcomes,
            observed: None,
        };
        (0..block.len()).find_map(|i| inspect(&block, i))
    }
}
