//! racesim: Monte Carlo simulation of marketing budgets over the RACE
//! funnel (Reach → Act → Convert → Engage). See `SPEC.md` for the model.

pub mod check;
pub mod cli;
pub mod commands;
pub mod curves;
pub mod document;
pub mod drivers;
pub mod engine;
pub mod error;
pub mod expectation;
pub mod export;
pub mod fit;
pub mod input;
pub mod interrupt;
pub mod metrics;
pub mod optimize;
pub mod options;
pub mod oracle;
pub mod output;
pub mod plans;
pub mod precision;
pub mod progress;
pub mod report;
pub mod sampling;
pub mod scenario;
pub mod shard;
pub mod simulation;
pub mod stats;
pub mod suggest;
pub mod targets;
pub mod track;

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: cli::Cli) -> Result<i32, error::Error> {
    match &cli.command {
        cli::Command::Run(args) => commands::run::run(args),
        cli::Command::Validate(args) => commands::validate::run(args),
        cli::Command::Check(args) => commands::check::run(args),
        cli::Command::Compare(args) => commands::compare::run(args),
        cli::Command::Curves(args) => commands::curves::run(args),
        cli::Command::Optimize(args) => commands::optimize::run(args),
        cli::Command::Report(args) => commands::report::run(args),
        cli::Command::Fit(args) => commands::fit::run(args),
        cli::Command::Init(args) => commands::init::run(args),
        cli::Command::Merge(args) => commands::merge::run(args),
        cli::Command::Drivers(args) => commands::drivers::run(args),
        cli::Command::Track(args) => commands::track::run(args),
    }
}
