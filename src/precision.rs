//! Precision control: simulate in fixed batches until the answer is as
//! precise as asked, instead of guessing a trial count up front.
//!
//! Batches are the requested (or declared) trial count and continue at the
//! next trial index, so batch k simulates exactly the trials a single run of
//! k·batch trials would. The stopping rule only reads merged, exact
//! statistics, so the same seed stops after the same number of trials and
//! gives the same bytes for any thread count.

use crate::cli::PrecisionArgs;
use crate::document::Document;
use crate::error::Halt;
use crate::error::UsageError;
use crate::metrics::Total;
use crate::options::SimulationOptions;
use crate::scenario::Scenario;
use crate::simulation::{self, Collector, Job, Pairwise, Plan, Results};

/// Trial cap when `--precision` is given without `--max-trials`: about a
/// minute for a typical scenario on a laptop.
pub const DEFAULT_MAX_TRIALS: u64 = 1_000_000;

/// The validated `--precision` and `--max-trials`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    /// Largest acceptable standard error, relative to the value's size.
    pub relative: f64,
    pub max_trials: u64,
}

impl Precision {
    pub fn from_args(args: &PrecisionArgs) -> Result<Option<Precision>, UsageError> {
        let Some(relative) = args.precision else {
            if args.max_trials.is_some() {
                return Err(UsageError(
                    "--max-trials caps --precision's batches; add --precision REL, or set the trials with --trials".into(),
                ));
            }
            return Ok(None);
        };
        if !(relative.is_finite() && relative > 0.0) {
            return Err(UsageError(format!(
                "--precision {relative} must be a positive share such as 0.01 (1 % of the value)"
            )));
        }
        let max_trials = args.max_trials.unwrap_or(DEFAULT_MAX_TRIALS);
        if max_trials == 0 {
            return Err(UsageError("--max-trials must be at least 1".into()));
        }
        Ok(Some(Precision {
            relative,
            max_trials,
        }))
    }
}

/// How a precision-controlled run ended, for the note on stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    pub trials: u64,
    pub relative: f64,
    /// The least precise quantity when the run stopped, with its relative
    /// standard error; `None` when every one is exact (zero error).
    pub worst: Option<(String, f64)>,
    pub reached: bool,
}

impl Stop {
    pub fn note(&self, scenario: &str) -> String {
        let worst = match &self.worst {
            Some((what, rel)) => format!("; least precise: {what}, se {:.2} % of it", 100.0 * rel),
            None => String::new(),
        };
        if self.reached {
            format!(
                "{scenario}: precision {} % reached after {} trials{worst}",
                100.0 * self.relative,
                self.trials
            )
        } else {
            format!(
                "{scenario}: stopped at --max-trials {} before reaching precision {} %{worst}",
                self.trials,
                100.0 * self.relative
            )
        }
    }
}

/// Simulates `plans` once with `opts.trials`, or, with a precision, in
/// batches of `opts.trials` until it is reached or the cap is.
pub fn simulate(
    scenario: &Scenario,
    plans: &[Plan],
    opts: &SimulationOptions,
    precision: Option<&Precision>,
) -> Result<(Document, Option<Stop>), Halt> {
    simulate_collecting(scenario, plans, opts, precision, || ()).map(|(doc, stop, ())| (doc, stop))
}

/// Like `simulate`, also feeding every simulated trial to the collectors
/// `fresh` makes, so a command that needs more than the document (the
/// report's per-trial values, the optimizer's evaluation) simulates each
/// trial once.
pub fn simulate_collecting<C: Collector>(
    scenario: &Scenario,
    plans: &[Plan],
    opts: &SimulationOptions,
    precision: Option<&Precision>,
    fresh: impl Fn() -> C + Sync,
) -> Result<(Document, Option<Stop>, C), Halt> {
    let cap = precision.map_or(opts.trials, |p| p.max_trials);
    let bar = crate::progress::bar(opts.trials.min(cap), &scenario.name, opts.show_progress);
    let mut results = Results::new(scenario, plans.len());
    let mut extra = fresh();
    let mut done = 0;
    let stop = loop {
        let trials = opts.trials.min(cap - done);
        bar.set_length(done + trials);
        let job = Job {
            scenario,
            plans,
            seed: opts.seed,
            first_trial: done,
            trials,
            threads: opts.threads,
        };
        let (batch, batch_extra) = simulation::drive_guarded(
            &job,
            || (Results::new(scenario, plans.len()), fresh()),
            &bar,
        )?;
        results.merge(&batch);
        extra.merge(batch_extra);
        done += trials;
        let Some(p) = precision else { break None };
        let worst = least_precise(scenario, plans, &results);
        let reached = worst.as_ref().is_none_or(|(_, rel)| *rel <= p.relative);
        if reached || done >= cap {
            break Some(Stop {
                trials: done,
                relative: p.relative,
                worst,
                reached,
            });
        }
    };
    bar.finish_and_clear();
    results.complete_pairwise(plans, |best| {
        let job = Job {
            scenario,
            plans: best,
            seed: opts.seed,
            first_trial: 0,
            trials: done,
            threads: opts.threads,
        };
        let hidden = indicatif::ProgressBar::hidden();
        simulation::drive_guarded(&job, || Pairwise::new(best.len()), &hidden)
    })?;
    Ok((
        Document::build(scenario, plans, &results, opts.seed),
        stop,
        extra,
    ))
}

/// The quantity with the largest standard error relative to its size,
/// over every plan: mean profit and each gate's probability. Infinite when
/// a value is zero but its error is not (it can never be precise).
fn least_precise(scenario: &Scenario, plans: &[Plan], results: &Results) -> Option<(String, f64)> {
    let mut worst: Option<(String, f64)> = None;
    let mut consider = |what: String, se: f64, value: f64| {
        let rel = if se == 0.0 { 0.0 } else { se / value.abs() };
        if worst.as_ref().is_none_or(|(_, w)| rel > *w) {
            worst = Some((what, rel));
        }
    };
    for (plan, stats) in plans.iter().zip(&results.plans) {
        let plan = if plans.len() > 1 {
            format!(" (plan {})", plan.name)
        } else {
            String::new()
        };
        let profit = stats.total(Total::Profit);
        if let (Some(mean), Some(sd)) = (profit.mean(), profit.sd()) {
            consider(
                format!("mean profit{plan}"),
                sd / (profit.defined() as f64).sqrt(),
                mean,
            );
        }
        let gates = scenario
            .targets
            .iter()
            .zip(stats.target_probabilities())
            .filter(|(t, _)| t.required.is_some());
        for (target, p) in gates {
            let se = (p * (1.0 - p) / stats.trials as f64).sqrt();
            consider(format!("P({}){plan}", target.describe()), se, p);
        }
    }
    worst
}
