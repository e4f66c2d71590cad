//! `racesim run`: simulate a scenario (and plans) and export the forecast.

use anyhow::Result;

use crate::cli::RunArgs;
use crate::error::{EXIT_OK, Error};
use crate::metrics::Total;
use crate::options::SimulationOptions;
use crate::{export, output, plans, report};

pub fn run(args: &RunArgs) -> Result<i32, Error> {
    super::require_output(&args.out)?;
    if args.shard.shard.is_some() {
        return super::run_shard(
            crate::shard::Command::Run,
            &args.scenario,
            args.plans.as_deref(),
            &args.simulation,
            &args.shard,
            &[
                ("--output", args.out.output.is_some()),
                ("--report", args.report.is_some()),
                ("--samples", args.samples.is_some()),
                ("--precision", args.precision.precision.is_some()),
            ],
            crate::shard::Extras {
                drivers: args.drivers.then_some(Total::Profit),
                run_drivers: args.drivers,
                ..Default::default()
            },
        );
    }
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let plans = plans::load_or_baseline(args.plans.as_deref(), &scenario)?;
    let precision = crate::precision::Precision::from_args(&args.precision)?;
    // Started before the run (a read-only file is refused before any work)
    // and fed by it, so memory stays flat however many trials.
    let sample_writer = args
        .samples
        .as_deref()
        .map(|path| export::samples::SampleWriter::create(path, &scenario))
        .transpose()?;
    let (mut doc, stop, (samples, (drivers, _))) = crate::precision::simulate_collecting(
        &scenario,
        &plans,
        &opts,
        precision.as_ref(),
        || {
            (
                (args.report.is_some() || args.out.format.is_binary())
                    .then(report::SampleCollector::default),
                (
                    (args.drivers || args.report.is_some())
                        .then(|| crate::drivers::collect::DriverValues::new(Total::Profit)),
                    sample_writer.as_ref().map(|w| w.collector()),
                ),
            )
        },
    )?;
    let drivers = drivers.map(|values| {
        crate::drivers::document::DriversDoc::of_run(&scenario, &plans, Total::Profit, &doc, values)
    });
    let samples = samples.map(|s| report::Samples {
        drivers: drivers.clone(),
        ..s.finish()
    });
    if args.drivers {
        doc.drivers = drivers.map(Box::new);
    }
    if let Some(stop) = stop {
        eprintln!("note: {}", stop.note(&scenario.name));
    }
    let extras = export::xlsx::Extras {
        scenario: Some(&scenario),
        samples: samples.as_ref(),
    };
    let bytes = export::render_run(&doc, args.out.format, extras)?;
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    if let (Some(path), Some(writer)) = (&args.samples, sample_writer) {
        writer.finish(path, doc.provenance.trials)?;
    }
    if let (Some(path), Some(samples)) = (&args.report, &samples) {
        report::write_report(path, &scenario, &plans, &doc, samples)?;
    }
    // Gates are reported here but enforced by `racesim check`, so a
    // forecast that misses one is still a successful run.
    Ok(EXIT_OK)
}
