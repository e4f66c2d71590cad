//! Shards (spec §10): one run's trials split over N separate processes
//! (an array job on Slurm, Kubernetes, AWS Batch or a CI matrix), each
//! writing a partial result that `racesim merge` combines into exactly what
//! the unsharded run prints.
//!
//! A partial is JSON rather than a compact binary: the collectors already
//! serialize with serde, JSON needs no new dependency, a person can inspect a
//! suspicious file with `jq`, and `float_roundtrip` reads every number back
//! bit for bit. It carries the scenario and plans files themselves, so
//! `merge` needs nothing but the partials and can never pair results with
//! edited inputs. See docs/scale-out.md for the format.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::document::{self, Document, MODEL_VERSION};
use crate::drivers::DriverTrials;
use crate::drivers::collect::DriverValues;
use crate::error::{Error, InputError, InputProblem, UsageError};
use crate::metrics::Total;
use crate::report::samples::PlanSamples;
use crate::report::{SampleCollector, Samples};
use crate::scenario::Scenario;
use crate::scenario::workbook::Table;
use crate::simulation::{Collector, Pairwise, Plan, Results};

/// The `format` field of every partial result.
pub const PARTIAL_FORMAT: &str = "racesim-partial";
/// Bumped whenever a partial's layout changes, so an older or newer racesim
/// refuses a file it would misread. Version 2 added `report` and `drivers`
/// partials (the per-trial series they need).
pub const PARTIAL_VERSION: u32 = 2;

/// Shard `index` (0-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The trials `first .. end` this shard simulates of `trials`: contiguous
    /// ranges in shard order, the first `trials mod count` shards taking one
    /// trial more, so the ranges tile `0 .. trials` for any split.
    pub fn range(self, trials: u64) -> (u64, u64) {
        let (base, extra) = (trials / self.count, trials % self.count);
        let first = self.index * base + self.index.min(extra);
        let len = base + u64::from(self.index < extra);
        (first, first + len)
    }

    /// As the user numbers shards: `K/N`, K from 1.
    pub fn label(self) -> String {
        format!("{}/{}", self.index + 1, self.count)
    }
}

const SHARD_HELP: &str = "give --shard K/N with 1 ≤ K ≤ N (for example --shard 2/4), \
                          or --shard auto (Slurm, AWS Batch) or --shard auto/N (Kubernetes)";

/// Parses `--shard`: `K/N`, `auto` or `auto/N`. `env` reads an environment
/// variable (a parameter so tests need not touch the process's). Returns the
/// shard and, for `auto`, which variables it came from.
pub fn parse(
    spec: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Shard, Option<String>), UsageError> {
    let spec = spec.trim();
    let bad = || {
        UsageError(format!(
            "--shard `{}` is not a shard: {SHARD_HELP}",
            crate::error::clip(spec)
        ))
    };
    let (head, count) = match spec.split_once('/') {
        Some((head, count)) => {
            let count: u64 = count.trim().parse().map_err(|_| bad())?;
            (head.trim(), Some(count))
        }
        None => (spec, None),
    };
    if count == Some(0) {
        return Err(UsageError(format!(
            "--shard `{spec}`: the number of shards must be at least 1; {SHARD_HELP}"
        )));
    }
    if head.eq_ignore_ascii_case("auto") {
        let (shard, note) = from_environment(count, env)?;
        return Ok((shard, Some(note)));
    }
    let k: u64 = head.parse().map_err(|_| bad())?;
    let Some(n) = count else { return Err(bad()) };
    if k == 0 || k > n {
        return Err(UsageError(format!(
            "--shard {spec}: shards are numbered 1 to {n}; {SHARD_HELP}"
        )));
    }
    Ok((
        Shard {
            index: k - 1,
            count: n,
        },
        None,
    ))
}

/// The array engines' variables, first set first: Slurm job arrays,
/// Kubernetes Indexed Jobs, AWS Batch array jobs.
fn from_environment(
    count: Option<u64>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Shard, String), UsageError> {
    let number = |name: &str| -> Result<Option<u64>, UsageError> {
        env(name)
            .map(|v| {
                v.trim().parse::<u64>().map_err(|_| {
                    UsageError(format!(
                        "--shard auto: {name}={} is not a whole number ≥ 0",
                        crate::error::clip(&v)
                    ))
                })
            })
            .transpose()
    };
    let shown = |names: &[&str]| -> String {
        names
            .iter()
            .filter_map(|n| env(n).map(|v| format!("{n}={}", v.trim())))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let checked = |index: u64, n: u64, read: String| -> Result<(Shard, String), UsageError> {
        if let Some(asked) = count.filter(|&c| c != n) {
            return Err(UsageError(format!(
                "--shard auto/{asked}: the environment says {n} shards ({read})"
            )));
        }
        if index >= n {
            return Err(UsageError(format!(
                "--shard auto: index {index} is not below the shard count {n} ({read})"
            )));
        }
        Ok((Shard { index, count: n }, read))
    };
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        const NAMES: [&str; 5] = [
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_MIN",
            "SLURM_ARRAY_TASK_MAX",
            "SLURM_ARRAY_TASK_STEP",
            "SLURM_ARRAY_TASK_COUNT",
        ];
        let read = shown(&NAMES);
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        let offset = id
            .checked_sub(min)
            .filter(|o| o % step == 0)
            .ok_or_else(|| {
                UsageError(format!(
                    "--shard auto: task {id} is not on the array's grid ({read})"
                ))
            })?;
        let n = match (
            number("SLURM_ARRAY_TASK_COUNT")?,
            number("SLURM_ARRAY_TASK_MAX")?,
            count,
        ) {
            (Some(n), _, _) => n,
            (None, Some(max), _) if max >= min => (max - min) / step + 1,
            (None, _, Some(n)) => n,
            _ => {
                return Err(UsageError(format!(
                    "--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT \
                     nor SLURM_ARRAY_TASK_MAX ({read})\n  help: give the count: --shard auto/N"
                )));
            }
        };
        return checked(offset / step, n, read);
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let read = shown(&["JOB_COMPLETION_INDEX"]);
        let Some(n) = count else {
            return Err(UsageError(format!(
                "--shard auto: Kubernetes sets the index ({read}) but not the count\n  \
                 help: give the Job's completions: --shard auto/N"
            )));
        };
        return checked(index, n, read);
    }
    if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
        let read = shown(&["AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"]);
        let n = match (number("AWS_BATCH_JOB_ARRAY_SIZE")?, count) {
            (Some(n), _) | (None, Some(n)) => n,
            (None, None) => {
                return Err(UsageError(format!(
                    "--shard auto: AWS Batch sets the index ({read}) but not the array size\n  \
                     help: give the array size: --shard auto/N"
                )));
            }
        };
        return checked(index, n, read);
    }
    Err(UsageError(
        "--shard auto: none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or \
         AWS_BATCH_JOB_ARRAY_INDEX is set, so this is not an array job\n  \
         help: outside an array engine give the shard yourself, e.g. --shard 1/4"
            .into(),
    ))
}

/// A file the run read, kept whole in the partial.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputFile {
    /// As given on the command line (what error messages show).
    pub path: PathBuf,
    /// The file's text; for a workbook, its sheet's, as the CSV it stands for.
    pub text: String,
    /// The workbook sheet `text` was read from; `null` for a CSV file.
    pub sheet: Option<String>,
}

impl InputFile {
    /// Reads `path` for a sharded run; `what` names it in the error, and
    /// `table` is the sheet a workbook is read from.
    fn read(path: &Path, what: &str, table: Table) -> Result<InputFile, InputError> {
        if crate::scenario::workbook::is_workbook(path) {
            let sheet = crate::scenario::workbook::read_sheet(path, table)?;
            return Ok(InputFile {
                path: path.to_path_buf(),
                text: sheet.text,
                sheet: Some(sheet.name),
            });
        }
        let problem = |m: String| InputError::single(path, InputProblem::whole_file(m));
        let bytes = crate::input::read(path)
            .map_err(|e| problem(format!("cannot read the {what}: {e}")))?;
        crate::scenario::decode_utf8(path, &bytes)?;
        let text = String::from_utf8(bytes).map_err(|_| problem("not UTF-8".into()))?;
        Ok(InputFile {
            path: path.to_path_buf(),
            text,
            sheet: None,
        })
    }
}

/// Which command's output a merge renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Run,
    Compare,
    Report,
    Drivers,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Run => "run",
            Command::Compare => "compare",
            Command::Report => "report",
            Command::Drivers => "drivers",
        }
    }
}

/// Numbers kept bit for bit as their IEEE 754 patterns: the per-trial
/// series hold NaN (no payback, a CAC without customers) and perhaps
/// infinities, which JSON numbers cannot carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exact(pub Vec<f64>);

impl Serialize for Exact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|x| x.to_bits()))
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bits = Vec::<u64>::deserialize(d)?;
        Ok(Exact(bits.into_iter().map(f64::from_bits).collect()))
    }
}

fn exact(v: Vec<Vec<f64>>) -> Vec<Exact> {
    v.into_iter().map(Exact).collect()
}

fn plain(v: Vec<Exact>) -> Vec<Vec<f64>> {
    v.into_iter().map(|e| e.0).collect()
}

/// A shard's share of the report's per-trial series (`report::Samples`,
/// kept for the run's first trials only).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SampledTrials {
    pub trials: u64,
    pub plans: Vec<SampledPlan>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SampledPlan {
    pub profit: Exact,
    pub roi: Exact,
    pub payback_month: Exact,
    pub channel_cac: Vec<Exact>,
}

impl From<Samples> for SampledTrials {
    fn from(s: Samples) -> Self {
        SampledTrials {
            trials: s.trials,
            plans: s
                .plans
                .into_iter()
                .map(|p| SampledPlan {
                    profit: Exact(p.profit),
                    roi: Exact(p.roi),
                    payback_month: Exact(p.payback_month),
                    channel_cac: exact(p.channel_cac),
                })
                .collect(),
        }
    }
}

impl From<SampledTrials> for Samples {
    fn from(s: SampledTrials) -> Self {
        Samples {
            trials: s.trials,
            plans: s
                .plans
                .into_iter()
                .map(|p| PlanSamples {
                    profit: p.profit.0,
                    roi: p.roi.0,
                    payback_month: p.payback_month.0,
                    channel_cac: plain(p.channel_cac),
                })
                .collect(),
            drivers: None,
        }
    }
}

/// A shard's per-trial values for the drivers analysis
/// (`drivers::DriverTrials`): every input's draw, E[Y | θ] per plan and the
/// simulated Y.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DriverSeries {
    pub metric: Total,
    pub inputs: Vec<Exact>,
    pub expected: Vec<Exact>,
    pub outcome: Exact,
}

impl DriverSeries {
    fn of(values: DriverValues) -> Self {
        let metric = values.metric();
        let t = values.into_trials();
        DriverSeries {
            metric,
            inputs: exact(t.inputs),
            expected: exact(t.expected),
            outcome: Exact(t.outcome),
        }
    }

    fn trials(&self) -> usize {
        self.outcome.0.len()
    }

    fn into_values(self, first_trial: u64) -> DriverValues {
        let trials = DriverTrials {
            inputs: plain(self.inputs),
            expected: plain(self.expected),
            outcome: self.outcome.0,
        };
        DriverValues::of_block(self.metric, first_trial, trials)
    }
}

/// What a shard keeps beside the statistics, as its command needs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras {
    /// The report's per-trial series (`report`).
    pub samples: bool,
    /// The drivers' per-trial values of this metric (`drivers`, `report`
    /// and `run --drivers`).
    pub drivers: Option<Total>,
    /// `drivers --optimize`: the last plan is the mean-profit optimum,
    /// which the merge computes again rather than trusting a file.
    pub optimize: bool,
    /// `run --drivers`: the output document carries the drivers.
    pub run_drivers: bool,
}

/// One shard's partial result (docs/scale-out.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    pub format: String,
    pub version: u32,
    pub racesim_version: String,
    pub model_version: u32,
    pub command: Command,
    /// The output document's `input_hash`: the scenario and every plan.
    pub input_hash: String,
    pub seed: u64,
    /// Trials of the whole, unsharded run.
    pub trials: u64,
    pub plans: Vec<String>,
    /// `K/N` as given (or read from the environment).
    pub shard: String,
    /// The trials held: `first_trial .. end_trial`.
    pub first_trial: u64,
    pub end_trial: u64,
    pub scenario: InputFile,
    pub plans_file: Option<InputFile>,
    /// `drivers --optimize`: `plans` ends with the optimum, not in the plans file.
    pub optimize: bool,
    /// `run --drivers`: the output carries the drivers analysis.
    pub run_drivers: bool,
    pub results: Results,
    /// `report`: the report's per-trial series of the trials held (if any
    /// of them are among the first the report samples).
    pub samples: Option<SampledTrials>,
    /// `drivers`, `report`, `run --drivers`: every trial's values for the
    /// drivers analysis.
    pub driver_values: Option<DriverSeries>,
    /// FNV-1a of the file written with this field empty: a partial edited or
    /// damaged in a way that is still valid JSON is refused too.
    pub checksum: String,
}

/// The inputs of a sharded run, as read from disk.
pub struct Inputs {
    pub scenario_file: InputFile,
    pub plans_file: Option<InputFile>,
    pub scenario: Scenario,
    pub plans: Vec<Plan>,
}

impl Inputs {
    /// Reads and parses the scenario and plans once, keeping their text for
    /// the partial.
    pub fn load(scenario: &Path, plans: Option<&Path>) -> Result<Inputs, InputError> {
        let scenario_file = InputFile::read(scenario, "scenario", Table::Scenario)?;
        let plans_file = plans
            .map(|p| InputFile::read(p, "plans file", Table::Plans))
            .transpose()?;
        Self::parse(scenario_file, plans_file)
    }

    fn parse(
        scenario_file: InputFile,
        plans_file: Option<InputFile>,
    ) -> Result<Inputs, InputError> {
        let (path, text) = (&scenario_file.path, &scenario_file.text);
        let scenario = match &scenario_file.sheet {
            Some(sheet) => crate::scenario::from_sheet(path, text, sheet)?,
            None => crate::scenario::from_bytes(path, text.as_bytes())?,
        };
        let plans = match &plans_file {
            Some(f) => crate::plans::from_bytes(&f.path, f.text.as_bytes(), &scenario)?,
            None => vec![Plan::baseline(&scenario)],
        };
        Ok(Inputs {
            scenario_file,
            plans_file,
            scenario,
            plans,
        })
    }
}

fn checksum(partial: &Partial) -> Result<String, serde_json::Error> {
    let mut blank = partial.clone();
    blank.checksum.clear();
    let bytes = serde_json::to_vec(&blank)?;
    Ok(format!("{:016x}", crate::scenario::fingerprint(&bytes)))
}

/// Simulates `shard`'s trials of the run `inputs` and `opts` describe,
/// keeping `extras` beside the statistics, and writes its partial result to
/// `path` atomically. Where `--shard auto` found the shard goes to stderr.
pub fn simulate_shard(
    command: Command,
    inputs: Inputs,
    opts: &crate::options::SimulationOptions,
    spec: &str,
    path: &Path,
    extras: Extras,
) -> Result<i32, Error> {
    let (shard, read) = parse(spec, |name| std::env::var(name).ok())?;
    if let Some(read) = read {
        eprintln!("shard {} from {read}", shard.label());
    }
    if shard.count > opts.trials {
        return Err(UsageError(format!(
            "--shard {}: {} shards of {} trials would leave some shards empty\n  help: use at most {} shards, or more trials",
            shard.label(),
            shard.count,
            opts.trials,
            opts.trials
        ))
        .into());
    }
    let (first, end) = shard.range(opts.trials);
    let Inputs {
        scenario_file,
        plans_file,
        scenario,
        plans,
    } = inputs;
    let bar = crate::progress::bar(end - first, &scenario.name, opts.show_progress);
    let job = crate::simulation::Job {
        scenario: &scenario,
        plans: &plans,
        seed: opts.seed,
        first_trial: first,
        trials: end - first,
        threads: opts.threads,
    };
    // A shard stops at its first runaway or non-finite trial, as the
    // unsharded run does at the first of all trials.
    let (results, (samples, driver_values)) = crate::simulation::drive_guarded(
        &job,
        || {
            (
                Results::new(&scenario, plans.len()),
                (
                    extras.samples.then(SampleCollector::default),
                    extras.drivers.map(DriverValues::new),
                ),
            )
        },
        &bar,
    )?;
    bar.finish_and_clear();
    let mut partial = Partial {
        format: PARTIAL_FORMAT.into(),
        version: PARTIAL_VERSION,
        racesim_version: env!("CARGO_PKG_VERSION").into(),
        model_version: MODEL_VERSION,
        command,
        input_hash: document::input_hash(&scenario, &plans),
        seed: opts.seed,
        trials: opts.trials,
        plans: plans.iter().map(|p| p.name.clone()).collect(),
        shard: shard.label(),
        first_trial: first,
        end_trial: end,
        scenario: scenario_file,
        plans_file,
        optimize: extras.optimize,
        run_drivers: extras.run_drivers,
        results,
        samples: samples.map(|s| s.finish().into()),
        driver_values: driver_values.map(DriverSeries::of),
        checksum: String::new(),
    };
    partial.checksum = checksum(&partial)?;
    let mut bytes = serde_json::to_vec(&partial)?;
    bytes.push(b'\n');
    crate::output::write_atomic(path, &bytes)?;
    Ok(crate::error::EXIT_OK)
}

/// An error about the file `path` as a whole (exit 2, naming it).
pub(crate) fn refuse(path: &Path, message: String) -> Error {
    InputError::single(path, InputProblem::whole_file(message)).into()
}

/// Reads one partial, refusing anything that is not a complete, undamaged
/// partial of this version.
pub fn read(path: &Path) -> Result<Partial, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| refuse(path, format!("cannot read the partial result: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        let what = if e.is_eof() { "truncated" } else { "corrupt" };
        refuse(path, format!("not a readable partial result ({what}: {e})"))
    })?;
    let format = value.get("format").and_then(|f| f.as_str());
    if format != Some(PARTIAL_FORMAT) {
        return Err(refuse(
            path,
            "not a racesim partial result (no `\"format\": \"racesim-partial\"`)\n  \
             help: give the files that `racesim run|compare --shard K/N --partial FILE` wrote"
                .into(),
        ));
    }
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(u64::from(PARTIAL_VERSION)) {
        return Err(refuse(
            path,
            format!(
                "partial result format version {} cannot be read by racesim {} (it reads version {PARTIAL_VERSION})\n  help: merge with the racesim version that wrote the shards",
                version.map_or("unknown".into(), |v| v.to_string()),
                env!("CARGO_PKG_VERSION")
            ),
        ));
    }
    let partial: Partial = serde_json::from_value(value)
        .map_err(|e| refuse(path, format!("corrupt partial result: {e}")))?;
    if checksum(&partial)? != partial.checksum {
        return Err(refuse(
            path,
            "corrupt partial result: its checksum does not match its content (was it edited or damaged?)\n  help: rerun this shard"
                .into(),
        ));
    }
    Ok(partial)
}

/// A merged run: its inputs, the document of all its trials and the
/// command whose output it is.
pub struct Merged {
    pub command: Command,
    pub scenario: Scenario,
    pub plans: Vec<Plan>,
    pub document: Document,
    /// `report`: the report's per-trial series, in trial order.
    pub samples: Option<Samples>,
    /// `drivers`, `report`, `run --drivers`: every trial's values, in
    /// trial order.
    pub drivers: Option<DriverValues>,
}

/// Reads `paths`, checks that they are the shards of one run that together
/// hold each of its trials exactly once, and merges them in trial order.
pub fn merge(paths: &[PathBuf]) -> Result<Merged, Error> {
    let mut partials: Vec<(&PathBuf, Partial)> = paths
        .iter()
        .map(|p| read(p).map(|partial| (p, partial)))
        .collect::<Result<_, _>>()?;
    let (first_path, first) = &partials[0];
    let (first_path, reference) = ((*first_path).clone(), first.clone_header());
    for (path, p) in &partials[1..] {
        let differs = |what: &str, a: String, b: String| {
            refuse(
                path,
                format!(
                    "{what} {b} differs from {}'s {a}: these shards are not of the same run\n  \
                     help: merge only the partials of one run (same scenario, plans, seed, trials and racesim)",
                    first_path.display()
                ),
            )
        };
        let h = p.clone_header();
        if h.command != reference.command {
            return Err(differs(
                "command",
                format!("{:?}", reference.command).to_lowercase(),
                format!("{:?}", h.command).to_lowercase(),
            ));
        }
        if h.racesim_version != reference.racesim_version
            || h.model_version != reference.model_version
        {
            return Err(differs(
                "racesim version",
                format!(
                    "{} (model {})",
                    reference.racesim_version, reference.model_version
                ),
                format!("{} (model {})", h.racesim_version, h.model_version),
            ));
        }
        if h.input_hash != reference.input_hash
            || h.scenario_text != reference.scenario_text
            || h.plans_text != reference.plans_text
        {
            return Err(differs(
                "input hash",
                reference.input_hash.clone(),
                h.input_hash.clone(),
            ));
        }
        if h.scenario_name != reference.scenario_name {
            return Err(differs(
                "scenario name",
                format!("`{}`", reference.scenario_name),
                format!("`{}`", h.scenario_name),
            ));
        }
        if h.plans != reference.plans {
            return Err(differs(
                "plans",
                reference.plans.join(", "),
                h.plans.join(", "),
            ));
        }
        if h.seed != reference.seed {
            return Err(differs(
                "seed",
                reference.seed.to_string(),
                h.seed.to_string(),
            ));
        }
        if h.options != reference.options {
            return Err(differs(
                "options",
                reference.options.clone(),
                h.options.clone(),
            ));
        }
        if h.trials != reference.trials {
            return Err(differs(
                "trial count",
                reference.trials.to_string(),
                h.trials.to_string(),
            ));
        }
    }
    partials.sort_by_key(|(_, p)| (p.first_trial, p.end_trial));
    let mut next = 0;
    let mut previous: Option<&PathBuf> = None;
    for (path, p) in &partials {
        let held = format!(
            "trials {}..{} (shard {})",
            p.first_trial, p.end_trial, p.shard
        );
        if p.first_trial > next {
            return Err(refuse(
                path,
                format!(
                    "{held}: trials {next}..{} are in none of the partials given\n  help: a shard is missing; merge every shard's partial",
                    p.first_trial
                ),
            ));
        }
        if p.first_trial < next {
            let other = previous.map_or(String::new(), |o| format!(" {}", o.display()));
            return Err(refuse(
                path,
                format!(
                    "{held} overlap trials {}..{next} of{other}\n  help: give each shard's partial once, all from the same --shard …/N",
                    p.first_trial
                ),
            ));
        }
        if p.results.trials() != p.end_trial - p.first_trial {
            return Err(refuse(
                path,
                format!(
                    "corrupt partial result: {held} but results of {} trials",
                    p.results.trials()
                ),
            ));
        }
        next = p.end_trial;
        previous = Some(path);
    }
    if next != reference.trials {
        let (path, _) = partials.last().expect("at least one partial");
        return Err(refuse(
            path,
            format!(
                "trials {next}..{} are in none of the partials given (the run has {} trials)\n  help: a shard is missing; merge every shard's partial",
                reference.trials, reference.trials
            ),
        ));
    }
    for (path, p) in &partials {
        check_extras(path, p)?;
    }
    let (head_path, head) = partials.swap_remove(0);
    let head_path = head_path.clone();
    let command = head.command;
    let seed = head.seed;
    let inputs = Inputs::parse(head.scenario.clone(), head.plans_file.clone())?;
    let mut plans = inputs.plans;
    if head.optimize {
        plans = crate::drivers::with_optimum(&inputs.scenario, plans, seed)?;
    }
    if plans.iter().map(|p| &p.name).ne(head.plans.iter()) {
        return Err(refuse(
            &head_path,
            "corrupt partial result: its plans are not those of its scenario and plans file".into(),
        ));
    }
    let mut results = Results::new(&inputs.scenario, plans.len());
    let mut samples: Option<SampleCollector> = None;
    let mut drivers: Option<DriverValues> = None;
    partials.sort_by_key(|(_, p)| p.first_trial);
    for (path, p) in std::iter::once((&head_path, head)).chain(partials) {
        if p.results.plans.len() != plans.len() {
            return Err(refuse(
                path,
                "corrupt partial result: its results do not match its plans".into(),
            ));
        }
        results.merge(&p.results);
        if let Some(s) = p.samples {
            let s = SampleCollector::of_block(p.first_trial, s.into());
            match samples.as_mut() {
                Some(all) => all.merge(s),
                None => samples = Some(s),
            }
        }
        if let Some(d) = p.driver_values {
            let d = d.into_values(p.first_trial);
            match drivers.as_mut() {
                Some(all) => all.merge(d),
                None => drivers = Some(d),
            }
        }
    }
    // Shards are guarded, so a partial never holds a runaway trial; one
    // that does was not written by racesim.
    if results.plans.iter().any(|p| p.overflow_trials > 0) {
        return Err(refuse(
            &head_path,
            "corrupt partial result: it holds trials whose counts ran away".into(),
        ));
    }
    // Beyond `PAIRWISE_IN_PASS` plans no shard knew which plans would be best: their wins
    // are counted here, over every trial of the run, as one machine would.
    let trials = results.trials();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    results.complete_pairwise(&plans, |best| {
        let job = crate::simulation::Job {
            scenario: &inputs.scenario,
            plans: best,
            seed,
            first_trial: 0,
            trials,
            threads,
        };
        let hidden = indicatif::ProgressBar::hidden();
        crate::simulation::drive_guarded(&job, || Pairwise::new(best.len()), &hidden)
    })?;
    let document = Document::build(&inputs.scenario, &plans, &results, seed);
    Ok(Merged {
        command,
        scenario: inputs.scenario,
        plans,
        document,
        samples: samples.map(SampleCollector::finish),
        drivers,
    })
}

/// Refuses a partial whose per-trial series do not fit its command or
/// cover other trials than it says it holds.
fn check_extras(path: &Path, p: &Partial) -> Result<(), Error> {
    let corrupt = |what: String| Err(refuse(path, format!("corrupt partial result: {what}")));
    let held = p.end_trial - p.first_trial;
    let wants_samples = p.command == Command::Report;
    let wants_drivers = matches!(p.command, Command::Report | Command::Drivers) || p.run_drivers;
    if p.samples.is_some() != wants_samples || p.driver_values.is_some() != wants_drivers {
        return corrupt(format!(
            "its per-trial series do not fit a `{}` shard",
            p.command.name()
        ));
    }
    if let Some(s) = &p.samples {
        let kept = crate::report::samples::MAX_SAMPLED_TRIALS
            .min(p.end_trial)
            .saturating_sub(p.first_trial);
        let lengths_fit = s.plans.len() == p.plans.len()
            && s.plans.iter().all(|plan| {
                [&plan.profit, &plan.roi, &plan.payback_month]
                    .into_iter()
                    .chain(&plan.channel_cac)
                    .all(|v| v.0.len() as u64 == kept)
            });
        if s.trials != kept || (kept > 0 && !lengths_fit) {
            return corrupt(format!(
                "it holds the report's series of {} trials, not of its {kept} sampled trials",
                s.trials
            ));
        }
    }
    if let Some(d) = &p.driver_values {
        let lengths_fit = d.trials() as u64 == held
            && d.expected.len() == p.plans.len()
            && d.inputs
                .iter()
                .chain(&d.expected)
                .all(|v| v.0.len() as u64 == held);
        if !lengths_fit {
            return corrupt(format!(
                "its drivers' values do not cover its {held} trials and {} plans",
                p.plans.len()
            ));
        }
    }
    Ok(())
}

/// What must agree between the shards of one run.
struct Header {
    command: Command,
    racesim_version: String,
    model_version: u32,
    input_hash: String,
    /// The output names the scenario after its file.
    scenario_name: String,
    scenario_text: String,
    plans_text: Option<String>,
    plans: Vec<String>,
    seed: u64,
    trials: u64,
    /// `drivers --metric`/`--optimize`, `run --drivers`.
    options: String,
}

impl Partial {
    fn clone_header(&self) -> Header {
        Header {
            command: self.command,
            racesim_version: self.racesim_version.clone(),
            model_version: self.model_version,
            input_hash: self.input_hash.clone(),
            scenario_name: self
                .scenario
                .path
                .file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned()),
            scenario_text: self.scenario.text.clone(),
            plans_text: self.plans_file.as_ref().map(|f| f.text.clone()),
            plans: self.plans.clone(),
            seed: self.seed,
            trials: self.trials,
            options: format!(
                "(drivers of {}{}{})",
                self.driver_values
                    .as_ref()
                    .map_or("nothing", |d| d.metric.name()),
                if self.optimize { ", --optimize" } else { "" },
                if self.run_drivers {
                    ", run --drivers"
                } else {
                    ""
                }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn ranges_tile_the_trials_with_the_first_shards_one_longer() {
        for trials in [1u64, 7, 10, 1001] {
            for count in 1..=trials.min(9) {
                let mut next = 0;
                for index in 0..count {
                    let (first, end) = Shard { index, count }.range(trials);
                    assert_eq!(first, next);
                    let len = end - first;
                    assert!(len == trials / count || len == trials / count + 1);
                    assert_eq!(len == trials / count + 1, index < trials % count);
                    next = end;
                }
                assert_eq!(next, trials);
            }
        }
    }

    #[test]
    fn explicit_shards_are_one_based() {
        let none = env(&[]);
        assert_eq!(parse("2/4", &none).unwrap().0, Shard { index: 1, count: 4 });
        for bad in ["0/4", "5/4", "1/0", "x/4", "3", "", "2/"] {
            assert!(parse(bad, &none).is_err(), "{bad}");
        }
    }

    #[test]
    fn auto_reads_each_engine() {
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        let (shard, read) = parse("auto", &slurm).unwrap();
        assert_eq!(shard, Shard { index: 3, count: 4 });
        assert!(read.unwrap().contains("SLURM_ARRAY_TASK_COUNT=4"));
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "9"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "13"),
            ("SLURM_ARRAY_TASK_STEP", "4"),
        ]);
        assert_eq!(
            parse("auto", &stepped).unwrap().0,
            Shard { index: 2, count: 4 }
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(
            parse("auto/3", &k8s).unwrap().0,
            Shard { index: 0, count: 3 }
        );
        assert!(parse("auto", &k8s).is_err(), "Kubernetes needs the count");
        let aws = env(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "2"),
        ]);
        assert_eq!(parse("auto", &aws).unwrap().0, Shard { index: 1, count: 2 });
        assert!(parse("auto/3", &aws).is_err(), "a count that disagrees");
        assert!(parse("auto", env(&[])).is_err());
        assert!(
            parse(
                "auto",
                env(&[
                    ("AWS_BATCH_JOB_ARRAY_INDEX", "2"),
                    ("AWS_BATCH_JOB_ARRAY_SIZE", "2")
                ])
            )
            .is_err()
        );
    }
}
