//! Scenario regression checks for CI (`racesim check`): find scenarios,
//! simulate them, enforce their gates and compare each result with a
//! stored baseline document, telling real changes from Monte Carlo noise.

pub mod baseline;
pub mod discover;
pub mod junit;
pub mod shards;
pub mod stage;
pub mod text;
pub mod verdict;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::document::Document;
use crate::targets::TargetResult;

/// Everything `check` found, in the shape of its `--format json` output.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckReport {
    pub passed: bool,
    /// Noise threshold in combined standard errors.
    pub z: f64,
    /// Whether `--update` was given.
    pub update: bool,
    /// Why `--update` wrote no baseline at all (a scenario could not be
    /// checked, or writing failed); `null` otherwise.
    pub update_skipped: Option<String>,
    pub scenarios: Vec<ScenarioReport>,
    /// Present only in a `check --shard` report: what `check --merge` needs
    /// to rebuild the unsharded report (whose JSON has no such field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<shards::ShardOfCheck>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub scenario: String,
    pub file: PathBuf,
    pub plans_file: Option<PathBuf>,
    pub baseline_file: PathBuf,
    /// Trials and seed of the run; `null` when the scenario could not be
    /// simulated.
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub baseline: BaselineCheck,
    pub gates: Vec<Gate>,
    /// `--update` wrote a new baseline file for this scenario.
    pub baseline_written: bool,
    /// The baseline comparison passed (or `--update` accepted the result).
    pub comparison_passed: bool,
    /// The comparison passed and every gate holds.
    pub passed: bool,
    /// Why the scenario could not be checked (a bad scenario, plans or
    /// baseline file), as racesim would print it; `null` when it was.
    pub error: Option<String>,
}

impl ScenarioReport {
    pub fn failed_gates(&self) -> impl Iterator<Item = &Gate> {
        self.gates.iter().filter(|g| !g.met)
    }
}

/// The verdict of comparing a run with its baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Same inputs, same bytes.
    Identical,
    /// Same inputs, trials, seed and model, yet different numbers: a
    /// regression in racesim itself (or a tampered baseline).
    Differs,
    /// Inputs changed, but no statistic moved beyond noise.
    WithinNoise,
    /// Inputs changed and at least one statistic moved beyond noise.
    Moved,
    /// Same inputs and the same numbers, but the baseline file's bytes are
    /// not what racesim writes (re-formatted, or other line endings).
    Reformatted,
    /// No baseline file yet.
    Missing,
    /// The comparison could not be made: the scenario, its plans or its
    /// baseline file is invalid (see the scenario's `error`).
    Error,
}

impl Status {
    /// Whether this status fails the check (without `--update`).
    pub fn fails(self) -> bool {
        !matches!(self, Status::Identical | Status::WithinNoise)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BaselineCheck {
    pub status: Status,
    /// Why the run is not expected to reproduce the baseline byte for byte
    /// (empty when it is).
    pub input_changes: Vec<String>,
    /// Statistics that changed: beyond noise, or at all when the inputs are
    /// the same. Ordered by how far beyond their threshold they moved.
    pub moved: Vec<Change>,
    /// Things worth knowing that do not fail the check (a plan added, …).
    pub notes: Vec<String>,
    /// How many statistics were compared.
    pub compared: usize,
}

impl BaselineCheck {
    pub fn missing() -> Self {
        Self::with_status(Status::Missing)
    }

    pub fn error() -> Self {
        Self::with_status(Status::Error)
    }

    fn with_status(status: Status) -> Self {
        BaselineCheck {
            status,
            input_changes: Vec::new(),
            moved: Vec::new(),
            notes: Vec::new(),
            compared: 0,
        }
    }
}

/// One statistic that changed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Change {
    pub plan: String,
    /// The metric, target or comparison (or the JSON path when the inputs
    /// are unchanged).
    pub what: String,
    /// `mean`, `p5`, `p50`, `p95`, `probability`, `defined_share` or `exact`.
    pub statistic: String,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub change: Option<f64>,
    /// The largest change noise explains (0 when any change is real).
    pub threshold: f64,
}

/// A gate (a target with `@ share`) of the scenario's own plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Gate {
    pub target: String,
    pub probability: f64,
    /// Standard error of `probability`.
    pub se: f64,
    pub required: f64,
    pub met: bool,
    /// The probability in the baseline, when it had the same target.
    pub baseline_probability: Option<f64>,
}

/// "roi >= 0.25 @ 0.6" or "search.roi > 0".
pub fn describe_target(t: &TargetResult) -> String {
    let subject = if t.channel == "*" {
        t.metric.clone()
    } else {
        format!("{}.{}", t.channel, t.metric)
    };
    let mut s = format!("{} {} {}", subject, t.op, t.value);
    if let Some(r) = t.required {
        s.push_str(&format!(" @ {r}"));
    }
    s
}

/// Gates are enforced on plan `baseline` only: the scenario as written is
/// the plan of record, while a plans file holds alternatives under study.
pub fn gates(new: &Document, old: Option<&Document>) -> Vec<Gate> {
    let Some(plan) = new.plans.first() else {
        return Vec::new();
    };
    let old_plan = old.and_then(|d| d.plans.iter().find(|p| p.plan == plan.plan));
    let n = new.provenance.trials.max(1) as f64;
    plan.targets
        .iter()
        .filter_map(|t| {
            let required = t.required?;
            let p = t.probability;
            let baseline_probability = old_plan
                .and_then(|o| o.targets.iter().find(|o| same_target(o, t)))
                .map(|o| o.probability);
            Some(Gate {
                target: describe_target(t),
                probability: p,
                se: (p * (1.0 - p) / n).sqrt(),
                required,
                met: t.met.unwrap_or(p >= required),
                baseline_probability,
            })
        })
        .collect()
}

/// Targets are the same when they ask the same question; the required
/// share may differ (the probability does not depend on it).
pub fn same_target(a: &TargetResult, b: &TargetResult) -> bool {
    a.channel == b.channel && a.metric == b.metric && a.op == b.op && a.value == b.value
}

/// The command that writes or refreshes `scenario`'s baseline in
/// `baselines`, ready to paste into a shell.
pub fn update_command(scenario: &std::path::Path, baselines: &std::path::Path) -> String {
    format!(
        "racesim check {} --baselines {} --update",
        shell_word(&scenario.display().to_string()),
        shell_word(&baselines.display().to_string())
    )
}

/// `s` quoted for a POSIX shell when it needs to be.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./,:+@%=".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn update_commands_can_be_pasted() {
        assert_eq!(
            update_command(Path::new("scenarios/a.csv"), Path::new("baselines")),
            "racesim check scenarios/a.csv --baselines baselines --update"
        );
        assert_eq!(
            update_command(Path::new("my scen/it's.csv"), Path::new("b")),
            r"racesim check 'my scen/it'\''s.csv' --baselines b --update"
        );
    }
}
