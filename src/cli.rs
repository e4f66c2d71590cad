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
    /// Regression-check scenarios in CI: enforce gates, compare with baselines.
    Check(CheckArgs),
    /// Compare budget plans with the baseline, trial by trial.
    #[command(
        mut_arg("format", format_help),
        after_help = "Formats: table = per plan, its spend changes, then per metric (profit, roi, \
                      revenue, customers) the baseline and plan means, the mean difference with its \
                      90 % interval, P(better) (strictly better; ties are noted when the plan is \
                      never worse or identical); json = the full result document (as `run`, with \
                      every plan and the comparisons); csv = one row per (plan, metric) comparison.\n\
                      Plan spends above 1e12 are rejected."
    )]
    Compare(CompareArgs),
    /// Sweep channel spend: response curves and marginal ROI.
    #[command(
        mut_arg("format", format_help),
        after_help = "Formats: table = per channel, one row per spend point with expected customers, \
                      revenue and profit [P5 – P95] and the marginal ROI since the previous point; \
                      json = the curves document; csv = one row per (channel, spend point).\n\
                      Limits: --points at most 200, --max-spend at most 1e12."
    )]
    Curves(CurvesArgs),
    /// Find the budget split that maximises an objective.
    #[command(
        mut_arg("format", format_help),
        mut_arg("trials", |a| a.help(
            "Trials each candidate split is simulated with during the search (default 2000; \
             --eval-trials sets the final evaluation's)"
        )),
        after_help = "The search compares candidate splits on --trials trials (default 2000); the \
                      recommendation is then evaluated against the current split on --eval-trials \
                      other trials (default: the scenario's trials).\n\
                      Formats: table = per channel the current and recommended spend, the bound \
                      holding it and its marginal ROI, then the objective's gain and the per-metric \
                      comparison with the current split; json = the full report with the evaluation \
                      document; csv = one row per channel.\n\
                      Limits: budgets and bounds at most 1e12.\n\
                      Exit codes: 0 success · 1 no budget up to the cap meets the goal · 2 invalid input"
    )]
    Optimize(OptimizeArgs),
    /// What drives the forecast (tornado, contribution to variance, luck) and what is worth learning before choosing (EVPI, EVPPI).
    #[command(
        mut_arg("format", format_help),
        after_help = "Formats: table = tornado, contribution to variance with the luck share and \
                      interactions, downside drivers, and with --plans or --optimize the value of \
                      information; json = the drivers document (schema_version 1, each input with \
                      its stage, channel, metric and line); csv = one row per (section, input).\n\
                      Every estimate has a bootstrap standard error; (≈ 0) marks estimates within \
                      twice their error of zero."
    )]
    Drivers(DriversArgs),
    /// Simulate a scenario (and plans) and write a self-contained HTML report with charts.
    Report(ReportArgs),
    /// Merge the partial results of a sharded run into what the unsharded run prints.
    #[command(
        mut_arg("format", format_help),
        after_help = "Every partial must come from the same `run`, `compare`, `report` or `drivers` (scenario, plans, \
                      seed, trials, racesim version) and together they must hold each trial once. \
                      The output is byte for byte what the unsharded command prints in that format. \
                      See docs/scale-out.md."
    )]
    Merge(MergeArgs),
    /// Fit assumptions from data (cohorts, counts, orders, spend) as scenario rows.
    #[command(
        after_help = "Prints scenario rows (stage,channel,metric,value,note) to paste into a \
                      scenario, and a short summary of the fit on stderr. See docs/fit.md."
    )]
    Fit(FitArgs),
    /// Track a running campaign: check the actuals against the forecast, learn from them and reforecast.
    #[command(
        after_help = "Prints the forecast check (each actual's percentile in the forecast of its \
                      channel and month, the ones outside P5–P95 flagged with what they point at), \
                      the update (each informed assumption prior → posterior), the reforecast (the \
                      `run` output for the combined months) and then → now for the headline metrics \
                      and targets. Formats: table; markdown; json = one document (schema_version 1, \
                      kind \"track\"); csv = one row per (section, plan, channel, month, metric, \
                      statistic). See the README's \"Track a running campaign\".\n\
                      Exit codes: 0 success · 2 invalid input (scenario, actuals, plans, arguments) · \
                      3 other failure"
    )]
    Track(TrackArgs),
    /// Write a starter scenario (CSV, or a workbook with --xlsx) listing every metric with its default and domain.
    Init(InitArgs),
}

/// `track`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrackFormat {
    /// Plain text for a terminal.
    Table,
    /// One JSON document, for machines.
    Json,
    /// One row per (section, plan, channel, month, metric, statistic).
    Csv,
    /// Markdown, ready to paste into a status update.
    Markdown,
}

#[derive(Debug, Args)]
pub struct TrackArgs {
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
    /// Actuals CSV: `month,channel,metric,value[,note]`, metrics spend, visitors, leads, customers, revenue, months 1..m.
    pub actuals: PathBuf,
    /// Budget plans CSV to re-rank for the months ahead, under the posterior (common random numbers).
    #[arg(long)]
    pub plans: Option<PathBuf>,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TrackFormat::Table)]
    pub format: TrackFormat,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Also write an HTML report to FILE: the actuals over the forecast fan, the prior → posterior shift.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write a scenario whose informed rows carry the posterior, for the next planning cycle.
    #[arg(long, value_name = "FILE")]
    pub write_scenario: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The file to create (never overwritten); a `.xlsx` name writes a workbook.
    pub file: PathBuf,
    /// Write an Excel workbook (a `scenario` sheet and a `help` sheet).
    #[arg(long)]
    pub xlsx: bool,
}

/// `--format`'s help for commands whose outputs are not `run`'s: the
/// possible values' own descriptions (RACE stages, per-channel rows) are
/// `run`'s, so these commands list the values and describe them in their
/// "Formats" note.
fn format_help(arg: clap::Arg) -> clap::Arg {
    arg.hide_possible_values(true)
        .help("Output format: table, json, csv (see Formats below) or xlsx (the same as an Excel workbook, needs --output)")
}

/// The output layer owns its formats; the command line only offers them.
pub use crate::export::Format;

/// Where and how a command writes its result.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
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
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Budget plans CSV, or a workbook with a `plans` sheet (`plan,channel,spend`, optional `month`) to simulate next to the baseline.
    #[arg(long)]
    pub plans: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub precision: PrecisionArgs,
    /// Also write an HTML report with charts to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Add what drives profit (tornado, contributions, luck; see `racesim drivers`)
    /// to the JSON document as `drivers`, and to the table.
    #[arg(long)]
    pub drivers: bool,
    /// Also write every trial to FILE as CSV, streamed: one row per (plan,
    /// trial) with its drawn assumptions and total metrics, from the same
    /// trials as the summary (`--trials-csv` is an older name for it).
    #[arg(long, value_name = "FILE", alias = "trials-csv")]
    pub samples: Option<PathBuf>,
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// Splitting one run over an array job (spec §10, docs/scale-out.md).
#[derive(Debug, Clone, Default, Args)]
pub struct ShardArgs {
    /// Simulate only shard K of N (1-based) of the trials and write a partial
    /// result for `racesim merge`; `auto` reads the shard from Slurm or AWS
    /// Batch array variables, `auto/N` from Kubernetes' JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "K/N|auto", requires = "partial")]
    pub shard: Option<String>,
    /// The partial result a shard writes (atomically) instead of the output.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub partial: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The partial results of every shard, in any order.
    #[arg(required = true, value_name = "PARTIAL")]
    pub partials: Vec<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Write the HTML report (atomically) of a sharded `racesim report`: the
    /// bytes `report -o FILE` (or `run --report FILE`) writes unsharded.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Precision control, shared by `run` and `check`.
#[derive(Debug, Clone, Default, Args)]
pub struct PrecisionArgs {
    /// Add batches of trials until the standard error of mean profit (and of
    /// every gate's probability) is at most REL of its value, e.g. 0.01.
    #[arg(long, value_name = "REL")]
    pub precision: Option<f64>,
    /// Most trials --precision may use (default 1000000). For `check`,
    /// also the most trials a scenario may declare: one file asking for
    /// billions must not hold CI hostage.
    #[arg(long, value_name = "N")]
    pub max_trials: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Plain text for a terminal.
    Table,
    /// Markdown, ready to post as a pull-request comment.
    Markdown,
    /// One JSON object, for machines.
    Json,
    /// An Excel workbook (needs --output): scenarios, gates and moved statistics.
    Xlsx,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 every gate holds and nothing moved beyond noise · 1 a gate failed, a result moved or a baseline is missing · 2 invalid input (scenario, plans, baseline file, arguments) · 3 other failure"
)]
pub struct CheckArgs {
    /// Scenario files or directories (searched recursively for `*.csv`,
    /// except `*.plans.csv`, which are picked up beside their scenario).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Directory of baselines `<scenario>.json` (default: `baselines/` in
    /// the first PATH if it is a directory, else beside the first file).
    #[arg(long, value_name = "DIR")]
    pub baselines: Option<PathBuf>,
    /// Write or refresh the baselines (all or nothing if an input is bad).
    #[arg(long)]
    pub update: bool,
    /// Report format on standard output.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// A statistic has moved when it changed by more than Z combined
    /// standard errors.
    #[arg(long, default_value_t = 4.0)]
    pub z: f64,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub precision: PrecisionArgs,
    /// Check only shard K of N of the scenarios (every N-th of their sorted
    /// paths, from the K-th); `auto` reads the shard as `run --shard` does.
    /// Merge the shards' `-f json` reports with `check --merge`.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// PATHS are the `-f json` reports of every shard of a `check --shard`:
    /// print the unsharded check's report, write its --junit file and exit
    /// with its exit code, without simulating.
    #[arg(
        long,
        conflicts_with_all = ["shard", "update", "baselines", "z", "precision", "max_trials"]
    )]
    pub merge: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
    /// Budget plans CSV, or a workbook with a `plans` sheet (`plan,channel,spend`); each plan is compared with the scenario.
    pub plans: PathBuf,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    #[command(flatten)]
    pub out: OutputArgs,
    /// Also write an HTML report with charts to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub shard: ShardArgs,
}

#[derive(Debug, Args)]
pub struct CurvesArgs {
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
    /// Sweep only this channel (default: every paid channel).
    #[arg(long, short = 'c')]
    pub channel: Option<String>,
    /// Spend points from 0 to the maximum, both included.
    #[arg(long, default_value_t = 11)]
    pub points: usize,
    /// Largest spend swept (default: twice the channel's scenario spend).
    #[arg(long)]
    pub max_spend: Option<f64>,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
    /// Total budget to split (spend ≤ BUDGET). Without it, a `target:`
    /// objective with a confidence seeks the smallest budget that meets it.
    #[arg(long, short = 'b')]
    pub budget: Option<f64>,
    /// Lower bound for a channel's spend, as CHANNEL=AMOUNT (repeatable).
    #[arg(long = "min", value_name = "CHANNEL=AMOUNT")]
    pub min: Vec<String>,
    /// Upper bound for a channel's spend, as CHANNEL=AMOUNT (repeatable).
    #[arg(long = "max", value_name = "CHANNEL=AMOUNT")]
    pub max: Vec<String>,
    /// Keep a channel at its scenario spend (repeatable).
    #[arg(long = "lock", value_name = "CHANNEL")]
    pub lock: Vec<String>,
    /// What to maximise: mean-profit, mean-revenue, mean-customers (solved
    /// exactly), p10-profit, cvar10-profit, or
    /// target:"<metric> <op> <value> [@ <confidence>]" (the chance it holds).
    #[arg(long, default_value = "mean-profit")]
    pub objective: String,
    /// Spend the whole budget even where spending less would earn more
    /// (mean objectives leave money unspent when more spend lowers them).
    #[arg(long)]
    pub spend_all: bool,
    /// Sweep budgets instead (POINTS budgets from 10 % to 200 % of --budget or the
    /// current total): per budget the best expected profit, its P10 and the split.
    #[arg(long, value_name = "POINTS", num_args = 0..=1, default_missing_value = "20")]
    pub frontier: Option<usize>,
    /// Highest budget tried when seeking a target (default: 10 × current spend).
    #[arg(long)]
    pub max_budget: Option<f64>,
    /// Trials of the final evaluation, recommended split vs. current (default:
    /// the scenario's trials, as `run` and `compare` use).
    #[arg(long)]
    pub eval_trials: Option<u64>,
    /// Write the recommendation as a plans CSV (plan `optimized`) for `compare`.
    #[arg(long)]
    pub output_plans: Option<PathBuf>,
    /// With --frontier: also write an HTML page with the frontier's charts
    /// (profit and P10 by budget, the split by budget) and table to FILE.
    #[arg(long, value_name = "FILE", requires = "frontier")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    /// Budget plans CSV, or a workbook with a `plans` sheet (`plan,channel,spend`) to compare with the baseline.
    #[arg(long)]
    pub plans: Option<PathBuf>,
    /// The HTML file to write (atomically); a shard writes its --partial instead.
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        required_unless_present = "shard"
    )]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub shard: ShardArgs,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(subcommand)]
    pub kind: FitKind,
}

#[derive(Debug, Subcommand)]
pub enum FitKind {
    /// Cohort retention (cohort,month,active rows, or one row per cohort and
    /// one column per month) → engage.churn and engage.churn_polarization
    /// by the shifted-beta-geometric model.
    Retention(FitRetentionArgs),
    /// Successes in trials (--successes/--trials, or a FILE of
    /// name,successes,trials rows) → a beta for act.rate or convert.rate.
    Rate(FitRateArgs),
    /// One order value per row → convert.order_value and order_value_cv.
    Orders(FitOrdersArgs),
    /// Spend and visits (or clicks) per day or week → reach.cost_per_visit
    /// and, when the data show saturation, reach.audience.
    Reach(FitReachArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FitFormat {
    /// Scenario rows: stage,channel,metric,value,note.
    Csv,
    /// Estimates, standard errors and diagnostics (schema_version 1).
    Json,
}

/// Where the fitted rows go and which channel they are for.
#[derive(Debug, Clone, Args)]
pub struct FitOutputArgs {
    /// Channel of the rows (default `*`, every channel).
    #[arg(long, short = 'c')]
    pub channel: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = FitFormat::Csv)]
    pub format: FitFormat,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FitRetentionArgs {
    /// Cohort table CSVs (several files' cohorts are fitted together).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Give churn as a beta carrying the fit's uncertainty (its mean and
    /// standard error) instead of a number.
    #[arg(long)]
    pub uncertain: bool,
    /// Also write an HTML page with the fitted-against-observed survival
    /// (chart and table) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub out: FitOutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateStage {
    /// act.rate: visitors who become leads.
    Act,
    /// convert.rate: leads who become customers.
    Convert,
}

#[derive(Debug, Args)]
pub struct FitRateArgs {
    /// CSV of name,successes,trials rows (instead of --successes/--trials).
    #[arg(conflicts_with_all = ["successes", "trials"], required_unless_present_all = ["successes", "trials"])]
    pub file: Option<PathBuf>,
    /// Successes (leads, customers) counted.
    #[arg(long, short = 'S', requires = "trials")]
    pub successes: Option<u64>,
    /// Trials (visitors, leads) they came from.
    #[arg(long, short = 'N', requires = "successes")]
    pub trials: Option<u64>,
    /// Which rate the counts measure.
    #[arg(long, value_enum, default_value_t = RateStage::Act)]
    pub stage: RateStage,
    #[command(flatten)]
    pub out: FitOutputArgs,
}

#[derive(Debug, Args)]
pub struct FitOrdersArgs {
    /// Order export CSV, one order per row.
    pub file: PathBuf,
    /// The column holding order values (default: the only column, or one
    /// named order_value, value, amount, total, revenue, order_total or price).
    #[arg(long)]
    pub column: Option<String>,
    #[command(flatten)]
    pub out: FitOutputArgs,
}

#[derive(Debug, Args)]
pub struct FitReachArgs {
    /// Spend export CSV: spend and visits (or clicks) per day or week, in time order.
    pub file: PathBuf,
    #[command(flatten)]
    pub out: FitOutputArgs,
}

#[derive(Debug, Args)]
pub struct DriversArgs {
    /// Scenario CSV file, or a workbook (.xlsx, .ods) with a `scenario` sheet (else its first).
    pub scenario: PathBuf,
    /// Budget plans to choose among (the value of information needs a choice).
    #[arg(long)]
    pub plans: Option<PathBuf>,
    /// Add the mean-profit optimum of the current total budget as a plan.
    #[arg(long)]
    pub optimize: bool,
    /// The output analysed: profit, revenue, gross_profit, customers, orders, roi, roas or active_customers.
    #[arg(long, default_value = "profit")]
    pub metric: String,
    #[command(flatten)]
    pub simulation: SimulationArgs,
    #[command(flatten)]
    pub out: OutputArgs,
    #[command(flatten)]
    pub shard: ShardArgs,
}
