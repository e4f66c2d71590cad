//! `racesim check`: the CI gate over a set of scenarios.
//!
//! Everything is read and simulated before anything is written, so a bad
//! input (exit 2) or a crash leaves every existing baseline as it was.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::check::baseline::{self, Baseline};
use crate::check::compare::compare;
use crate::check::discover::{self, Found};
use crate::check::{BaselineCheck, CheckReport, ScenarioReport, junit, report};
use crate::cli::{CheckArgs, ReportFormat, SimulationArgs};
use crate::error::{EXIT_CHECK_FAILED, EXIT_OK, UsageError};
use crate::options::SimulationOptions;
use crate::precision::{self, Precision};
use crate::scenario::Scenario;
use crate::simulation::Plan;
use crate::{output, plans, scenario};

/// One scenario, loaded and ready to simulate.
struct Input {
    found: Found,
    scenario: Scenario,
    plans: Vec<Plan>,
    baseline_file: PathBuf,
    baseline: Option<Baseline>,
    unreadable_baseline: Option<String>,
}

pub fn run(args: &CheckArgs) -> Result<i32> {
    if !(args.z.is_finite() && args.z > 0.0) {
        return Err(UsageError(format!(
            "--z {} must be a positive number of standard errors, such as 4",
            args.z
        ))
        .into());
    }
    let precision = Precision::from_args(&args.precision)?;
    let dir = args
        .baselines
        .clone()
        .unwrap_or_else(|| discover::default_baselines(&args.paths));
    let inputs = load_all(discover::scenarios(&args.paths)?, &dir, args.update)?;

    let sim_args = SimulationArgs {
        trials: None,
        seed: None,
        threads: args.threads,
        quiet: args.quiet,
    };
    let mut reports = Vec::new();
    let mut writes = Vec::new();
    for input in &inputs {
        let opts = SimulationOptions::resolve(&sim_args, &input.scenario)?;
        let (doc, stop) =
            precision::simulate(&input.scenario, &input.plans, &opts, precision.as_ref())?;
        if let Some(stop) = stop {
            eprintln!("note: {}", stop.note(&input.scenario.name));
        }
        let text = baseline::render(&doc)?;
        let value = serde_json::from_str(&text)?;
        let mut check = match &input.baseline {
            Some(b) => compare(b, &doc, &value, args.z),
            None => BaselineCheck::missing(),
        };
        if let Some(why) = &input.unreadable_baseline {
            check
                .notes
                .push(format!("the old baseline was unreadable ({why})"));
        }
        let gates = crate::check::gates(&doc, input.baseline.as_ref().map(|b| &b.doc));
        let write = args.update && input.baseline.as_ref().is_none_or(|b| b.text != text);
        if write {
            writes.push((input.baseline_file.clone(), text));
        }
        let comparison_passed = args.update || !check.status.fails();
        let passed = comparison_passed && gates.iter().all(|g| g.met);
        reports.push(ScenarioReport {
            scenario: input.found.name.clone(),
            file: input.found.scenario.clone(),
            plans_file: input.found.plans.clone(),
            baseline_file: input.baseline_file.clone(),
            trials: doc.trials,
            seed: doc.seed,
            baseline: check,
            gates,
            baseline_written: write,
            comparison_passed,
            passed,
        });
    }

    if !writes.is_empty() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the baselines directory {}", dir.display()))?;
        for (path, text) in &writes {
            output::write_atomic(path, text.as_bytes())?;
        }
    }

    let report = CheckReport {
        passed: reports.iter().all(|r| r.passed),
        z: args.z,
        update: args.update,
        scenarios: reports,
    };
    let text = match args.format {
        ReportFormat::Table => report::text(&report),
        ReportFormat::Markdown => report::markdown(&report),
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
    };
    if let Some(path) = &args.junit {
        output::write_atomic(path, junit::render(&report).as_bytes())?;
    }
    output::emit(None, &text)?;
    Ok(if report.passed {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
}

/// Reads every scenario, plans file and baseline; the first bad one stops
/// the check before anything is simulated or written. With `--update` an
/// unreadable baseline is only noted, since it is about to be replaced.
fn load_all(found: Vec<Found>, dir: &std::path::Path, update: bool) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    for f in found {
        let scenario = scenario::load(&f.scenario)?;
        let plans = match &f.plans {
            Some(p) => plans::load(p, &scenario)?,
            None => vec![Plan::baseline(&scenario)],
        };
        let baseline_file = dir.join(format!("{}.json", f.name));
        let (baseline, unreadable_baseline) = match baseline::read(&baseline_file) {
            Ok(b) => (b, None),
            Err(e) if update => (None, Some(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        inputs.push(Input {
            found: f,
            scenario,
            plans,
            baseline_file,
            baseline,
            unreadable_baseline,
        });
    }
    Ok(inputs)
}
