//! `racesim report`: simulate and write the HTML report, nothing else.

use anyhow::Result;

use crate::cli::ReportArgs;
use crate::error::{EXIT_OK, Error};
use crate::options::SimulationOptions;
use crate::{plans, report};

pub fn run(args: &ReportArgs) -> Result<i32, Error> {
    let Some(output) = args.output.as_ref().filter(|_| args.shard.shard.is_none()) else {
        // The charts' per-trial series and the drivers' values go into the
        // partial; `merge --report FILE` draws the report from them.
        return super::run_shard(
            crate::shard::Command::Report,
            &args.scenario,
            args.plans.as_deref(),
            &args.simulation,
            &args.shard,
            &[("--output", args.output.is_some())],
            crate::shard::Extras {
                samples: true,
                drivers: Some(crate::metrics::Total::Profit),
                ..Default::default()
            },
        );
    };
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let plans = plans::load_or_baseline(args.plans.as_deref(), &scenario)?;
    let (doc, _, samples) = report::simulate(&scenario, &plans, &opts, None, true)?;
    report::write_report(
        output,
        &scenario,
        &plans,
        &doc,
        &samples.unwrap_or_default(),
    )?;
    if opts.show_progress {
        eprintln!("wrote {}", output.display());
    }
    // Like `run`, a report of a forecast that misses a gate is a success.
    Ok(EXIT_OK)
}
