//! `racesim run`: simulate a scenario (and plans) and export the forecast.

use anyhow::Result;

use crate::cli::RunArgs;
use crate::document::Document;
use crate::error::EXIT_OK;
use crate::options::SimulationOptions;
use crate::simulation::{self, Job, Plan};
use crate::{export, output, plans, progress, report, scenario};

/// Simulates `plans` of `scenario` with the resolved options.
pub fn simulate(
    scenario: &scenario::Scenario,
    plans: &[Plan],
    opts: &SimulationOptions,
) -> Document {
    let job = Job {
        scenario,
        plans,
        seed: opts.seed,
        first_trial: 0,
        trials: opts.trials,
        threads: opts.threads,
    };
    let bar = progress::bar(opts.trials, &scenario.name, opts.show_progress);
    let results = simulation::run(&job, &bar);
    bar.finish_and_clear();
    Document::build(scenario, plans, &results, opts.seed)
}

pub fn run(args: &RunArgs) -> Result<i32> {
    let scenario = scenario::load(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let plans = match &args.plans {
        Some(path) => plans::load(path, &scenario)?,
        None => vec![Plan::baseline(&scenario)],
    };
    let doc = simulate(&scenario, &plans, &opts);
    let text = export::exporter_for(args.format).render(&doc)?;
    output::emit(args.output.as_deref(), &text)?;
    if let Some(path) = &args.report {
        report::write_report_for_run(path, &scenario, &plans, &doc, opts.threads)?;
    }
    // Gates are reported here but enforced by `racesim check`, so a
    // forecast that misses one is still a successful run.
    Ok(EXIT_OK)
}
