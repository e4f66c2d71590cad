//! `racesim run`: simulate a scenario (and plans) and export the forecast.

use anyhow::Result;

use crate::cli::RunArgs;
use crate::document::Document;
use crate::error::{EXIT_OK, Error};
use crate::metrics::Total;
use crate::options::SimulationOptions;
use crate::simulation::{Plan, TrialTotals};
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
                ("--trials-csv", args.trials_csv.is_some()),
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
    let plans = match &args.plans {
        Some(path) => plans::load(path, &scenario)?,
        None => vec![Plan::baseline(&scenario)],
    };
    let precision = crate::precision::Precision::from_args(&args.precision)?;
    let (mut doc, stop, (samples, (drivers, trials))) = crate::precision::simulate_collecting(
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
                    args.trials_csv
                        .is_some()
                        .then(|| TrialTotals::new(plans.len())),
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
    let bytes = render(&doc, args.out.format, extras)?;
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    if let (Some(path), Some(trials)) = (&args.trials_csv, trials) {
        output::write_atomic(path, trials_csv(&plans, trials)?.as_bytes())?;
    }
    if let (Some(path), Some(samples)) = (&args.report, &samples) {
        report::write_report(path, &scenario, &plans, &doc, samples)?;
    }
    // Gates are reported here but enforced by `racesim check`, so a
    // forecast that misses one is still a successful run.
    Ok(EXIT_OK)
}

/// `run`'s output in `format` (also what `merge` prints for sharded runs);
/// a workbook also shows what `extras` holds.
pub fn render(
    doc: &Document,
    format: export::Format,
    extras: export::xlsx::Extras,
) -> Result<Vec<u8>, Error> {
    let Some(exporter) = export::exporter_for(format) else {
        return Ok(export::xlsx::document(doc, extras)?);
    };
    let mut text = exporter.render(doc)?;
    if let (export::Format::Table, Some(drivers)) = (format, &doc.drivers) {
        text.push('\n');
        text.push_str(&drivers.table());
    }
    Ok(text.into_bytes())
}

/// The per-trial CSV: `plan,trial,` then every total metric, one row per
/// (plan, trial), plans in order and trials numbered from 1. Numbers are
/// written in shortest round-trip form (so they read back as the very
/// values summarised); an undefined value (a CAC without customers) is an
/// empty cell, as the summary leaves it out.
fn trials_csv(plans: &[Plan], trials: TrialTotals) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = ["plan", "trial"]
        .into_iter()
        .chain(Total::ALL.iter().map(|m| m.name()));
    let write_failed = |e: csv::Error| anyhow::anyhow!("cannot render the trials CSV: {e}");
    w.write_record(header).map_err(write_failed)?;
    for (plan, values) in plans.iter().zip(trials.by_plan()) {
        for (t, totals) in values.iter().enumerate() {
            let mut record = vec![plan.name.clone(), (t + 1).to_string()];
            record.extend(totals.iter().map(|x| {
                if x.is_nan() {
                    String::new()
                } else {
                    x.to_string()
                }
            }));
            w.write_record(&record).map_err(write_failed)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8(bytes).expect("the CSV writer writes UTF-8"))
}
