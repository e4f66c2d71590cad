//! What `racesim track` finds, as one document: the forecast check, the
//! update and the reforecast for the plans (spec §9 "Actuals").

use serde::Serialize;

use super::Actuals;
use super::check::{CellValues, ForecastCheck};
use super::posterior::{self, Posterior};
use super::reforecast::{self, ThenNow};
use crate::document::{Document, MODEL_VERSION};
use crate::error::Error;
use crate::options::SimulationOptions;
use crate::scenario::Scenario;
use crate::simulation::{self, Given, Job, Plan};
use crate::{precision, progress};

/// Version of the JSON layout of `track`. Bump on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything `track` found, as every format renders it.
#[derive(Serialize)]
pub struct TrackDoc {
    pub schema_version: u32,
    pub kind: &'static str,
    pub scenario: String,
    pub actuals: String,
    /// m: the last observed month.
    pub months_observed: usize,
    pub trials: u64,
    pub seed: u64,
    pub racesim_version: String,
    pub model_version: u32,
    pub check: ForecastCheck,
    pub update: Posterior,
    /// The forecast before the campaign against the reforecast, baseline plan.
    pub then_now: ThenNow,
    /// `run`'s document for the combined months (with `--plans`, every plan
    /// re-ranked for the months ahead).
    pub reforecast: Document,
}

/// The three parts of tracking for `plans` (the first is the plan the
/// campaign runs: the check and the update read its spend).
pub fn track(
    scenario: &Scenario,
    actuals: &Actuals,
    plans: &[Plan],
    opts: &SimulationOptions,
) -> Result<TrackDoc, Error> {
    let baseline = &plans[0];
    let (before, _) = precision::simulate(scenario, std::slice::from_ref(baseline), opts, None)?;
    let check = forecast_check(scenario, actuals, baseline, opts)?;
    let update = in_pool(opts.threads, || {
        posterior::update(
            scenario,
            actuals,
            &baseline.spend,
            opts.seed,
            opts.trials as usize,
        )
    })?;
    let as_run: Vec<Plan> = plans
        .iter()
        .map(|p| reforecast::as_run(actuals, p))
        .collect();
    let bar = progress::bar(opts.trials, &scenario.name, opts.show_progress);
    let now = reforecast::reforecast(
        scenario,
        &as_run,
        &update.draws,
        &reforecast::observed(scenario, actuals),
        opts.seed,
        opts.threads,
        &bar,
    )?;
    bar.finish_and_clear();
    Ok(TrackDoc {
        schema_version: SCHEMA_VERSION,
        kind: "track",
        scenario: scenario.name.clone(),
        actuals: actuals.path.display().to_string(),
        months_observed: actuals.months,
        trials: opts.trials,
        seed: opts.seed,
        racesim_version: env!("CARGO_PKG_VERSION").to_string(),
        model_version: MODEL_VERSION,
        check,
        then_now: ThenNow::of(&before.plans[0], &now.plans[0]),
        update,
        reforecast: now,
    })
}

/// Runs `f` on `threads` worker threads (the update parallelises over its
/// particles; its result does not depend on the count).
fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// The forecast before the campaign, at the actual spend, against each
/// actual (see `track::check`).
fn forecast_check(
    scenario: &Scenario,
    actuals: &Actuals,
    plan: &Plan,
    opts: &SimulationOptions,
) -> Result<ForecastCheck, Error> {
    let plans = [reforecast::as_run(actuals, plan)];
    let job = Job {
        scenario,
        plans: &plans,
        seed: opts.seed,
        first_trial: 0,
        trials: opts.trials,
        threads: opts.threads,
    };
    let given = Given {
        cells: true,
        ..Given::default()
    };
    let bar = progress::bar(opts.trials, &scenario.name, opts.show_progress);
    let values = simulation::drive_given(&job, given, || CellValues::new(actuals, 0), &bar)?;
    bar.finish_and_clear();
    Ok(ForecastCheck::build(
        scenario,
        actuals,
        &plan.spend,
        values,
        opts.trials as usize,
    ))
}
