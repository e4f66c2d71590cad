//! `racesim run`: simulate a scenario (and plans) and export the forecast.

use anyhow::Result;

use crate::cli::RunArgs;
use crate::error::{EXIT_OK, Error};
use crate::options::SimulationOptions;
use crate::simulation::Plan;
use crate::{export, output, plans, report};

pub fn run(args: &RunArgs) -> Result<i32, Error> {
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let plans = match &args.plans {
        Some(path) => plans::load(path, &scenario)?,
        None => vec![Plan::baseline(&scenario)],
    };
    let precision = crate::precision::Precision::from_args(&args.precision)?;
    let (doc, stop, samples) = report::simulate(
        &scenario,
        &plans,
        &opts,
        precision.as_ref(),
        args.report.is_some(),
    )?;
    if let Some(stop) = stop {
        eprintln!("note: {}", stop.note(&scenario.name));
    }
    let text = export::exporter_for(args.out.format).render(&doc)?;
    output::emit(args.out.output.as_deref(), &text)?;
    if let (Some(path), Some(samples)) = (&args.report, &samples) {
        report::write_report(path, &scenario, &plans, &doc, samples)?;
    }
    // Gates are reported here but enforced by `racesim check`, so a
    // forecast that misses one is still a successful run.
    Ok(EXIT_OK)
}
