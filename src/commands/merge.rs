//! `racesim merge`: the partial results of a sharded `run`, `compare`,
//! `report` or `drivers`, combined into the bytes the unsharded command
//! prints (or, for `report`, writes). It never simulates: the partials hold
//! every statistic's mergeable state and the per-trial series the report's
//! charts and the drivers analysis need.

use crate::cli::MergeArgs;
use crate::error::{EXIT_OK, Error, UsageError};
use crate::metrics::Total;
use crate::output;
use crate::shard::{self, Command};

pub fn run(args: &MergeArgs) -> Result<i32, Error> {
    super::require_output(&args.out)?;
    let merged = shard::merge(&args.partials)?;
    let command = merged.command;
    let refuse = |why: String| -> Result<i32, Error> { Err(UsageError(why).into()) };
    if command == Command::Report {
        let Some(path) = &args.report else {
            return refuse(
                "these are partials of `racesim report`: give the HTML file to write with \
                 --report FILE"
                    .into(),
            );
        };
        if args.out.output.is_some() {
            return refuse(
                "--output with partials of `racesim report`: the report goes to --report FILE"
                    .into(),
            );
        }
        let samples = crate::report::with_drivers(
            merged.samples.unwrap_or_default(),
            &merged.scenario,
            &merged.plans,
            &merged.document,
            merged
                .drivers
                .expect("a report partial holds the drivers' values"),
        );
        crate::report::write_report(
            path,
            &merged.scenario,
            &merged.plans,
            &merged.document,
            &samples,
        )?;
        return Ok(EXIT_OK);
    }
    if args.report.is_some() {
        return refuse(format!(
            "--report with partials of `racesim {}`: they hold no per-trial series for the \
             report's charts\n  help: shard `racesim report … --shard K/N --partial FILE` and \
             merge those with --report FILE",
            command.name()
        ));
    }
    // Partials hold statistics and the charts' series, not the assumption
    // rows: a merged workbook has no assumptions sheet.
    let extras = crate::export::xlsx::Extras::default();
    let bytes = match command {
        Command::Run => {
            let mut doc = merged.document;
            if let Some(values) = merged.drivers {
                doc.drivers = Some(Box::new(crate::drivers::document::DriversDoc::of_run(
                    &merged.scenario,
                    &merged.plans,
                    Total::Profit,
                    &doc,
                    values,
                )));
            }
            crate::export::render_run(&doc, args.out.format, extras)?
        }
        Command::Compare => {
            crate::export::compare::render(&merged.document, args.out.format, extras)?
        }
        Command::Drivers => {
            let doc = crate::drivers::document::DriversDoc::build(
                &merged.scenario,
                &merged.plans,
                merged.document.provenance.trials,
                merged.document.provenance.seed,
                merged
                    .drivers
                    .expect("a drivers partial holds the drivers' values"),
            );
            crate::export::drivers::render(&doc, args.out.format)?
        }
        Command::Report => unreachable!("handled above"),
    };
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    Ok(EXIT_OK)
}
