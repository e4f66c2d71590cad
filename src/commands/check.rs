//! `racesim check`: the CI gate over a set of scenarios.
//!
//! Every scenario is read and simulated before anything is written. A
//! scenario that cannot be checked (an invalid scenario, plans or baseline
//! file) is reported as such in the report and the JUnit file, and the run
//! exits 2; with `--update` nothing is written then. The baselines are
//! written all or nothing under a lock on their folder (`check::stage`), so
//! a failure, a crash or a concurrent `check --update` never leaves a mix
//! of old and new baselines.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::check::baseline::{self, Baseline};
use crate::check::discover::{self, Found};
use crate::check::verdict::compare;
use crate::check::{
    BaselineCheck, CheckReport, ScenarioReport, junit, shards, stage, text, update_command,
};
use crate::cli::{CheckArgs, PrecisionArgs, ReportFormat, SimulationArgs};
use crate::error::{EXIT_CHECK_FAILED, EXIT_OK, Error, Halt, InputError, InputProblem, UsageError};
use crate::options::SimulationOptions;
use crate::precision::{self, DEFAULT_MAX_TRIALS, Precision};
use crate::{output, plans};

pub fn run(args: &CheckArgs) -> Result<i32, Error> {
    if args.format == ReportFormat::Xlsx && args.output.is_none() {
        return Err(UsageError(
            "--format xlsx writes a workbook, which cannot go to standard output\n  \
             help: give the file to write, such as --output check.xlsx"
                .into(),
        )
        .into());
    }
    if args.merge {
        let merged = shards::merge(&args.paths)?;
        publish(args, &merged.report)?;
        return Ok(merged.exit_code);
    }
    if !(args.z.is_finite() && args.z > 0.0) {
        return Err(UsageError(format!(
            "--z {} must be a positive number of standard errors, such as 4",
            args.z
        ))
        .into());
    }
    // `--max-trials` without `--precision` is check's ceiling alone.
    let precision = Precision::from_args(&PrecisionArgs {
        precision: args.precision.precision,
        max_trials: args.precision.precision.and(args.precision.max_trials),
    })?;
    let max_trials = args.precision.max_trials.unwrap_or(DEFAULT_MAX_TRIALS);
    if max_trials == 0 {
        return Err(UsageError("--max-trials must be at least 1".into()).into());
    }
    let dir = args
        .baselines
        .clone()
        .unwrap_or_else(|| discover::default_baselines(&args.paths));
    let mut found = discover::scenarios(&args.paths)?;
    let mut sharded = None;
    if let Some(spec) = &args.shard {
        if args.update {
            return Err(UsageError(
                "--update with --shard: the baselines are written all or nothing for the whole \
                 set, which one shard cannot promise\n  help: update them in one unsharded \
                 `racesim check --update`"
                    .into(),
            )
            .into());
        }
        let (shard, read) = crate::shard::parse(spec, |name| std::env::var(name).ok())?;
        if let Some(read) = read {
            eprintln!("shard {} from {read}", shard.label());
        }
        let all: Vec<PathBuf> = found.iter().map(|f| f.scenario.clone()).collect();
        found = found
            .into_iter()
            .enumerate()
            .filter(|(position, _)| shards::holds(shard, *position))
            .map(|(_, f)| f)
            .collect();
        sharded = Some((shard, all));
    }
    // Held to the end: what this run read and what it writes belong
    // together, and no other `check` changes the folder in between.
    let (folder, repaired) = stage::Folder::open(&dir, args.update)?;
    for note in repaired {
        eprintln!("note: {note}");
    }

    let mut reports = Vec::new();
    let mut writes: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    // The exit code of the worst scenario that could not be checked.
    let mut error_code = EXIT_OK;
    for f in found {
        let baseline_file = dir.join(format!("{}.json", f.name));
        match check_one(args, precision.as_ref(), max_trials, &f, &baseline_file) {
            Ok((r, write)) => {
                if let Some(text) = write {
                    writes.push((baseline_file, text.into_bytes()));
                }
                reports.push(r);
            }
            // Ctrl-C stops the whole check, which then writes nothing.
            Err(e @ Error::Halt(Halt::Interrupted(_))) => return Err(e),
            Err(e) => {
                print_error(&e);
                error_code = error_code.max(e.exit_code());
                reports.push(failed(f, baseline_file, &e));
            }
        }
    }

    // With any scenario unchecked, `--update` writes nothing: the set of
    // baselines stays consistent with one run of the whole set.
    let mut write_error = None;
    let mut update_skipped = None;
    let unchecked = reports.iter().filter(|r| r.error.is_some()).count();
    if unchecked > 0 {
        if args.update {
            update_skipped = Some(format!(
                "{unchecked} of {} scenarios could not be checked; fix them and run --update again",
                reports.len()
            ));
        }
        writes.clear();
    } else if let Err(e) = folder.write_all(&writes) {
        update_skipped = Some(format!("{e:#}"));
        write_error = Some(e);
        writes.clear();
    }
    for r in &mut reports {
        r.baseline_written = writes.iter().any(|(p, _)| *p == r.baseline_file);
        // `--update` accepts a changed result by writing it; unwritten, the
        // comparison stands.
        if update_skipped.is_some() && r.error.is_none() {
            r.comparison_passed = !r.baseline.status.fails();
            r.passed = r.comparison_passed && r.gates.iter().all(|g| g.met);
        }
    }

    let mut report = CheckReport {
        passed: error_code == EXIT_OK && write_error.is_none() && reports.iter().all(|r| r.passed),
        z: args.z,
        update: args.update,
        update_skipped,
        scenarios: reports,
        shard: None,
    };
    if let Some((shard, all)) = sharded {
        let options = shards::Options {
            paths: &args.paths,
            baselines: &dir,
            precision: args.precision.precision,
            max_trials,
        };
        shards::seal(&mut report, shard, &options, all, error_code)?;
    }
    publish(args, &report)?;
    if let Some(e) = write_error {
        return Err(e.context("--update wrote no baseline").into());
    }
    Ok(if error_code != EXIT_OK {
        error_code
    } else if report.passed {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
}

/// Prints (or writes) `report` in the chosen format and writes its JUnit
/// file.
fn publish(args: &CheckArgs, report: &CheckReport) -> Result<(), Error> {
    let bytes = match args.format {
        ReportFormat::Table => text::text(report).into_bytes(),
        ReportFormat::Markdown => text::markdown(report).into_bytes(),
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(report)?;
            s.push('\n');
            s.into_bytes()
        }
        ReportFormat::Xlsx => crate::export::xlsx::check(report)?,
    };
    // The report first: a CI job that posts it should get it even when the
    // JUnit file or the baselines cannot be written.
    output::emit_bytes(args.output.as_deref(), &bytes)?;
    if let Some(path) = &args.junit {
        output::write_atomic(path, junit::render(report).as_bytes())
            .with_context(|| format!("cannot write the JUnit report {}", path.display()))?;
    }
    Ok(())
}

/// Reads, simulates and compares one scenario; also returns the baseline
/// text to write when `--update` should write it. An invalid scenario or
/// plans file is an error; so is an unreadable baseline, except with
/// `--update`, which is about to replace it.
fn check_one(
    args: &CheckArgs,
    precision: Option<&Precision>,
    max_trials: u64,
    found: &Found,
    baseline_file: &Path,
) -> Result<(ScenarioReport, Option<String>), Error> {
    let scenario = super::load_scenario(&found.scenario)?;
    let plans = plans::load_or_baseline(found.plans.as_deref(), &scenario)?;
    let update = update_command(&found.scenario, parent(baseline_file));
    let (stored, unreadable): (Option<Baseline>, _) = match baseline::read(baseline_file, &update) {
        Ok(b) => (b, None),
        Err(e) if args.update => {
            let why: Vec<String> = e.problems.into_iter().map(|p| p.message).collect();
            (None, Some(why.join("; ")))
        }
        Err(e) => return Err(e.into()),
    };

    let sim_args = SimulationArgs {
        trials: None,
        seed: None,
        threads: args.threads,
        quiet: args.quiet,
    };
    let opts = SimulationOptions::resolve(&sim_args, &scenario)?;
    if precision.is_none() && opts.trials > max_trials {
        let problem = InputProblem::whole_file(format!(
            "declares {} trials, more than check allows per scenario ({max_trials}, --max-trials)",
            opts.trials
        ))
        .help(
            "declare fewer with `plan,*,trials,N` (2000 keeps CI fast), or raise the ceiling with `racesim check --max-trials N`",
        );
        return Err(InputError::single(&found.scenario, problem).into());
    }
    let (doc, stop) = precision::simulate(&scenario, &plans, &opts, precision)?;
    if let Some(stop) = stop {
        eprintln!("note: {}", stop.note(&scenario.name));
    }
    let text = baseline::render(&doc)?;
    let mut check = match &stored {
        Some(b) => compare(b, &doc, args.z)?,
        None => BaselineCheck::missing(),
    };
    if let Some(why) = unreadable {
        check
            .notes
            .push(format!("the old baseline was unreadable ({why})"));
    }
    let gates = crate::check::gates(&doc, stored.as_ref().map(|b| &b.doc));
    let write = args.update && stored.as_ref().is_none_or(|b| b.text != text);
    let comparison_passed = args.update || !check.status.fails();
    let passed = comparison_passed && gates.iter().all(|g| g.met);
    let report = ScenarioReport {
        scenario: found.name.clone(),
        file: found.scenario.clone(),
        plans_file: found.plans.clone(),
        baseline_file: baseline_file.to_path_buf(),
        trials: Some(doc.provenance.trials),
        seed: Some(doc.provenance.seed),
        baseline: check,
        gates,
        baseline_written: false,
        comparison_passed,
        passed,
        error: None,
    };
    Ok((report, write.then_some(text)))
}

/// The report of a scenario that could not be checked.
fn failed(found: Found, baseline_file: PathBuf, err: &Error) -> ScenarioReport {
    ScenarioReport {
        scenario: found.name,
        file: found.scenario,
        plans_file: found.plans,
        baseline_file,
        trials: None,
        seed: None,
        baseline: BaselineCheck::error(),
        gates: Vec::new(),
        baseline_written: false,
        comparison_passed: false,
        passed: false,
        error: Some(err.describe()),
    }
}

fn print_error(err: &Error) {
    eprintln!("error: {}", err.describe());
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
