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
use crate::error::{Error, InputError, InputProblem, UsageError};
use crate::scenario::Scenario;
use crate::simulation::{Plan, Results};

/// The `format` field of every partial result.
pub const PARTIAL_FORMAT: &str = "racesim-partial";
/// Bumped whenever a partial's layout changes, so an older or newer racesim
/// refuses a file it would misread.
pub const PARTIAL_VERSION: u32 = 1;

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
    pub text: String,
}

impl InputFile {
    /// Reads `path` for a sharded run; `what` names it in the error.
    pub fn read(path: &Path, what: &str) -> Result<InputFile, InputError> {
        let problem = |m: String| InputError::single(path, InputProblem::whole_file(m));
        let bytes =
            std::fs::read(path).map_err(|e| problem(format!("cannot read the {what}: {e}")))?;
        crate::scenario::decode_utf8(path, &bytes)?;
        let text = String::from_utf8(bytes).map_err(|_| problem("not UTF-8".into()))?;
        Ok(InputFile {
            path: path.to_path_buf(),
            text,
        })
    }
}

/// Which command's output a merge renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Run,
    Compare,
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
    pub results: Results,
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
        let scenario_file = InputFile::read(scenario, "scenario")?;
        let plans_file = plans
            .map(|p| InputFile::read(p, "plans file"))
            .transpose()?;
        Self::parse(scenario_file, plans_file)
    }

    fn parse(
        scenario_file: InputFile,
        plans_file: Option<InputFile>,
    ) -> Result<Inputs, InputError> {
        let scenario =
            crate::scenario::from_bytes(&scenario_file.path, scenario_file.text.as_bytes())?;
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

/// Simulates `shard`'s trials of the run `inputs` and `opts` describe and
/// writes its partial result to `path` atomically. `note` (where `--shard
/// auto` found the shard) goes to stderr first.
pub fn simulate_shard(
    command: Command,
    inputs: Inputs,
    opts: &crate::options::SimulationOptions,
    spec: &str,
    path: &Path,
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
    let results =
        crate::simulation::drive_guarded(&job, || Results::new(&scenario, plans.len()), &bar)?;
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
        results,
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
    let (_, head) = partials.swap_remove(0);
    let command = head.command;
    let seed = head.seed;
    let inputs = Inputs::parse(head.scenario.clone(), head.plans_file.clone())?;
    let mut results = Results::new(&inputs.scenario, inputs.plans.len());
    partials.sort_by_key(|(_, p)| p.first_trial);
    for p in std::iter::once(&head).chain(partials.iter().map(|(_, p)| p)) {
        if p.results.plans.len() != inputs.plans.len() {
            return Err(refuse(
                &head.scenario.path,
                "corrupt partial result: its results do not match its plans".into(),
            ));
        }
        results.merge(&p.results);
    }
    // Shards are guarded, so a partial never holds a runaway trial; one
    // that does was not written by racesim.
    if results.plans.iter().any(|p| p.overflow_trials > 0) {
        return Err(refuse(
            &head.scenario.path,
            "corrupt partial result: it holds trials whose counts ran away".into(),
        ));
    }
    let document = Document::build(&inputs.scenario, &inputs.plans, &results, seed);
    Ok(Merged {
        command,
        scenario: inputs.scenario,
        plans: inputs.plans,
        document,
    })
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
