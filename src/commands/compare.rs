//! `racesim compare`: budget plans against the baseline, trial by trial.
//!
//! `run --plans` shows every plan's full forecast; planners asking "is A
//! better than B, and how sure are we?" need only the differences, so this
//! command leads with them. Parses, simulates, and writes what
//! `export::compare` renders.

use crate::cli::CompareArgs;
use crate::error::{EXIT_OK, Error};
use crate::export::compare::render;
use crate::options::SimulationOptions;
use crate::{output, plans, report};

pub fn run(args: &CompareArgs) -> Result<i32, Error> {
    super::require_output(&args.out)?;
    if args.shard.shard.is_some() {
        return super::run_shard(
            crate::shard::Command::Compare,
            &args.scenario,
            Some(&args.plans),
            &args.simulation,
            &args.shard,
            &[
                ("--output", args.out.output.is_some()),
                ("--report", args.report.is_some()),
            ],
            crate::shard::Extras::default(),
        );
    }
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let plans = plans::load(&args.plans, &scenario)?;
    let (doc, _, samples) = if args.report.is_some() {
        report::simulate(&scenario, &plans, &opts, None, true)?
    } else {
        // A workbook's histogram needs the per-trial profit, not the
        // report's drivers.
        let (doc, stop, collected) =
            crate::precision::simulate_collecting(&scenario, &plans, &opts, None, || {
                args.out
                    .format
                    .is_binary()
                    .then(report::SampleCollector::default)
            })?;
        (doc, stop, collected.map(report::SampleCollector::finish))
    };
    let extras = crate::export::xlsx::Extras {
        scenario: Some(&scenario),
        samples: samples.as_ref(),
    };
    let bytes = render(&doc, args.out.format, extras)?;
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    if let (Some(path), Some(samples)) = (&args.report, &samples) {
        report::write_report(path, &scenario, &plans, &doc, samples)?;
    }
    Ok(EXIT_OK)
}
