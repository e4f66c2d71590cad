//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod curves;
pub mod drivers;
pub mod fit;
pub mod init;
pub mod merge;
pub mod optimize;
pub mod report;
pub mod run;
pub mod track;
pub mod validate;

use std::path::Path;

use crate::cli::OutputArgs;
use crate::error::{InputError, UsageError};
use crate::scenario::{self, Scenario};

/// A workbook is a file, never terminal text: `--format xlsx` without
/// `--output` is refused before any work is done.
pub fn require_output(out: &OutputArgs) -> Result<(), UsageError> {
    if out.format.is_binary() && out.output.is_none() {
        return Err(UsageError(
            "--format xlsx writes a workbook, which cannot go to standard output\n  \
             help: give the file to write, such as --output forecast.xlsx"
                .into(),
        ));
    }
    Ok(())
}

/// Reads a scenario for a command that simulates it, printing its warnings
/// (which do not stop the run) on stderr.
pub fn load_scenario(path: &Path) -> Result<Scenario, InputError> {
    let scenario = scenario::load(path)?;
    print_warnings(&scenario);
    Ok(scenario)
}

fn print_warnings(scenario: &Scenario) {
    for warning in scenario.warning_text() {
        eprintln!("warning: {warning}");
    }
}

/// `run`, `compare`, `report` or `drivers` with `--shard`: simulates one
/// shard, keeping `extras` for the merge, and writes its partial result
/// instead of the output. What needs a trial count found on the way
/// (`--precision`) or more than the command's own output cannot be sharded,
/// and is refused rather than silently dropped.
fn run_shard(
    command: crate::shard::Command,
    scenario: &Path,
    plans: Option<&Path>,
    simulation: &crate::cli::SimulationArgs,
    shard: &crate::cli::ShardArgs,
    refused: &[(&str, bool)],
    extras: crate::shard::Extras,
) -> Result<i32, crate::error::Error> {
    let (Some(spec), Some(partial)) = (&shard.shard, &shard.partial) else {
        unreachable!("clap requires --shard and --partial together")
    };
    if let Some((flag, _)) = refused.iter().find(|(_, given)| *given) {
        return Err(crate::error::UsageError(format!(
            "{flag} cannot be combined with --shard: a shard writes only its partial result\n  \
             help: merge the partials with `racesim merge` (which takes --format and --output{}), \
             or run without --shard",
            if *flag == "--report" {
                "; for the HTML report shard `racesim report` and merge with --report FILE"
            } else {
                ""
            }
        ))
        .into());
    }
    let mut inputs = crate::shard::Inputs::load(scenario, plans)?;
    print_warnings(&inputs.scenario);
    let opts = crate::options::SimulationOptions::resolve(simulation, &inputs.scenario)?;
    if extras.optimize {
        inputs.plans = crate::drivers::with_optimum(&inputs.scenario, inputs.plans, opts.seed)?;
    }
    crate::shard::simulate_shard(command, inputs, &opts, spec, partial, extras)
}
