//! Raw command-line arguments, exactly as typed. `options` turns them into
//! validated settings; nothing else reads these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "racesim",
    version,
    about = "Monte Carlo simulator for marketing budgets on the RACE funnel (Reach → Act → Convert → Engage)",
    after_help = "Exit codes: 0 success · 1 a gate failed or a check found a change · 2 invalid input · 3 other failure"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and print its forecast.
    Run(RunArgs),
    /// Check a scenario file and show every channel's resolved assumptions.
    Validate(ValidateArgs),
    /// Simulate a scenario (and plans) and write a self-contained HTML report with charts.
    Report(ReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable tables grouped by RACE stage.
    Table,
    /// The versioned JSON document (schema_version 1).
    Json,
    /// One row per (plan, channel, metric).
    Csv,
}

/// Options shared by every command that simulates.
#[derive(Debug, Clone, Args)]
pub struct SimulationArgs {
    /// Number of trials (default: the scenario's `plan,*,trials`, else 10000).
    #[arg(long, short = 'n')]
    pub trials: Option<u64>,
    /// Random seed (default: the scenario's `plan,*,seed`, else 0).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario CSV file.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Budget plans CSV (`plan,channel,spend`) to simulate next to the baseline.
    #[arg(long)]
    pub plans: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Also write an HTML report with charts to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario CSV file.
    pub scenario: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario CSV file.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Budget plans CSV (`plan,channel,spend`) to compare with the baseline.
    #[arg(long)]
    pub plans: Option<PathBuf>,
    /// The HTML file to write (atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}
