//! `racesim report`: simulate and write the HTML report, nothing else.

use anyhow::Result;

use crate::cli::ReportArgs;
use crate::error::EXIT_OK;
use crate::options::SimulationOptions;
use crate::simulation::Plan;
use crate::{plans, report};

pub fn run(args: &ReportArgs) -> Result<i32> {
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let plans = match &args.plans {
        Some(path) => plans::load(path, &scenario)?,
        None => vec![Plan::baseline(&scenario)],
    };
    let doc = super::run::simulate(&scenario, &plans, &opts)?;
    report::write_report_for_run(&args.output, &scenario, &plans, &doc, opts.threads)?;
    if opts.show_progress {
        eprintln!("wrote {}", args.output.display());
    }
    // Like `run`, a report of a forecast that misses a gate is a success.
    Ok(EXIT_OK)
}
