//! `check --shard K/N` and `check --merge`: a portfolio of scenarios checked
//! by an array job, shard K taking every N-th scenario of the sorted list,
//! and the shards' JSON reports combined into the report, JUnit file and
//! exit code one unsharded `check` of the same folders gives.
//!
//! Scenarios are dealt round-robin rather than in contiguous blocks: a
//! folder's scenarios sort by name, and neighbours (one product's variants)
//! tend to cost alike, so dealing spreads the slow ones over the shards.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CheckReport;
use crate::error::{EXIT_CHECK_FAILED, EXIT_OK, Error};
use crate::shard::{Shard, refuse};

/// What a shard's report carries beyond the unsharded report, so that the
/// merge can refuse shards of different checks and rebuild the order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardOfCheck {
    /// `K/N`, K from 1.
    pub shard: String,
    pub index: u64,
    pub count: u64,
    pub racesim_version: String,
    /// The PATHs given to `check`, as given.
    pub paths: Vec<PathBuf>,
    /// The baselines directory used.
    pub baselines: PathBuf,
    pub precision: Option<f64>,
    pub max_trials: u64,
    /// Every scenario of the whole check in its stable (sorted) order; this
    /// shard checked those at positions `index`, `index + count`, ….
    pub all_scenarios: Vec<PathBuf>,
    /// The exit code of the worst scenario this shard could not check (0
    /// when it checked them all): the unsharded exit code is the worst.
    pub error_code: i32,
    /// FNV-1a of the report's compact JSON with this field empty: a report
    /// edited or damaged in a way that is still valid JSON is refused.
    pub checksum: String,
}

/// The options that must agree between the shards of one check.
pub struct Options<'a> {
    pub paths: &'a [PathBuf],
    pub baselines: &'a Path,
    pub precision: Option<f64>,
    pub max_trials: u64,
}

/// Whether the scenario at `position` of the sorted list is `shard`'s.
pub fn holds(shard: Shard, position: usize) -> bool {
    position as u64 % shard.count == shard.index
}

/// Marks `report` as `shard`'s report of the check `options` describe over
/// `all_scenarios`, and seals it with its checksum.
pub fn seal(
    report: &mut CheckReport,
    shard: Shard,
    options: &Options,
    all_scenarios: Vec<PathBuf>,
    error_code: i32,
) -> Result<(), Error> {
    report.shard = Some(ShardOfCheck {
        shard: shard.label(),
        index: shard.index,
        count: shard.count,
        racesim_version: env!("CARGO_PKG_VERSION").into(),
        paths: options.paths.to_vec(),
        baselines: options.baselines.to_path_buf(),
        precision: options.precision,
        max_trials: options.max_trials,
        all_scenarios,
        error_code,
        checksum: String::new(),
    });
    let sum = checksum(report)?;
    if let Some(s) = report.shard.as_mut() {
        s.checksum = sum;
    }
    Ok(())
}

fn checksum(report: &CheckReport) -> Result<String, serde_json::Error> {
    let mut blank = report.clone();
    if let Some(s) = blank.shard.as_mut() {
        s.checksum.clear();
    }
    let bytes = serde_json::to_vec(&blank)?;
    Ok(format!("{:016x}", crate::scenario::fingerprint(&bytes)))
}

const HELP: &str = "help: give the `--format json` reports that `racesim check --shard K/N -f json` printed, one per shard";

/// Reads one shard's report, refusing anything else.
fn read(path: &Path) -> Result<(CheckReport, ShardOfCheck), Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| refuse(path, format!("cannot read the check report: {e}")))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        let what = if e.is_eof() { "truncated" } else { "corrupt" };
        refuse(
            path,
            format!("not a readable check report ({what}: {e})\n  {HELP}"),
        )
    })?;
    if value.get("shard").is_none_or(|s| s.is_null()) {
        return Err(refuse(
            path,
            format!("not the report of a `check --shard`: it has no `shard` section\n  {HELP}"),
        ));
    }
    let report: CheckReport = serde_json::from_value(value)
        .map_err(|e| refuse(path, format!("corrupt check report: {e}\n  {HELP}")))?;
    let shard = report.shard.clone().expect("checked above");
    if checksum(&report)? != shard.checksum {
        return Err(refuse(
            path,
            "corrupt check report: its checksum does not match its content (was it edited or damaged?)\n  help: rerun this shard"
                .into(),
        ));
    }
    Ok((report, shard))
}

/// The merged report and its exit code.
pub struct Merged {
    pub report: CheckReport,
    pub exit_code: i32,
}

/// Combines the reports at `paths` (one per shard, any order) into the
/// unsharded check's report, refusing shards of different checks, a shard
/// given twice or missing, and damaged reports.
pub fn merge(paths: &[PathBuf]) -> Result<Merged, Error> {
    let shards: Vec<(&PathBuf, CheckReport, ShardOfCheck)> = paths
        .iter()
        .map(|p| read(p).map(|(r, s)| (p, r, s)))
        .collect::<Result<_, _>>()?;
    let (first_path, first_report, first) = &shards[0];
    for (path, report, s) in &shards[1..] {
        let differs = |what: &str, a: String, b: String| {
            refuse(
                path,
                format!(
                    "{what} {b} differs from {}'s {a}: these are not shards of the same check\n  \
                     help: merge the reports of one `racesim check --shard …/N` over the same \
                     folders, options and racesim",
                    first_path.display()
                ),
            )
        };
        let list = |p: &[PathBuf]| {
            p.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        if s.racesim_version != first.racesim_version {
            return Err(differs(
                "racesim version",
                first.racesim_version.clone(),
                s.racesim_version.clone(),
            ));
        }
        if s.count != first.count {
            return Err(differs(
                "shard count",
                format!("{} (shard {})", first.count, first.shard),
                format!("{} (shard {})", s.count, s.shard),
            ));
        }
        if s.paths != first.paths {
            return Err(differs(
                "folders",
                format!("`{}`", list(&first.paths)),
                format!("`{}`", list(&s.paths)),
            ));
        }
        if s.all_scenarios != first.all_scenarios {
            return Err(differs(
                "scenario list",
                format!("({} scenarios)", first.all_scenarios.len()),
                format!(
                    "({} scenarios; did the folder change between shards?)",
                    s.all_scenarios.len()
                ),
            ));
        }
        if s.baselines != first.baselines {
            return Err(differs(
                "baselines directory",
                first.baselines.display().to_string(),
                s.baselines.display().to_string(),
            ));
        }
        let options = |r: &CheckReport, s: &ShardOfCheck| {
            format!(
                "(--z {}, --precision {}, --max-trials {})",
                r.z,
                s.precision.map_or("none".into(), |p| p.to_string()),
                s.max_trials
            )
        };
        if report.z.to_bits() != first_report.z.to_bits()
            || s.precision.map(f64::to_bits) != first.precision.map(f64::to_bits)
            || s.max_trials != first.max_trials
            || report.update != first_report.update
        {
            return Err(differs(
                "options",
                options(first_report, first),
                options(report, s),
            ));
        }
    }
    let count = first.count;
    let mut by_index: Vec<Option<usize>> = vec![None; count as usize];
    for (i, (path, report, s)) in shards.iter().enumerate() {
        if s.index >= count
            || s.shard
                != (Shard {
                    index: s.index,
                    count,
                })
                .label()
        {
            return Err(refuse(
                path,
                format!(
                    "corrupt check report: shard `{}` is not shard {} of {count}",
                    s.shard,
                    s.index + 1
                ),
            ));
        }
        if let Some(other) = by_index[s.index as usize] {
            return Err(refuse(
                path,
                format!(
                    "shard {} is also given as {}\n  help: give each shard's report once",
                    s.shard,
                    shards[other].0.display()
                ),
            ));
        }
        by_index[s.index as usize] = Some(i);
        let expected: Vec<&PathBuf> = first
            .all_scenarios
            .iter()
            .enumerate()
            .filter(|(pos, _)| {
                holds(
                    Shard {
                        index: s.index,
                        count,
                    },
                    *pos,
                )
            })
            .map(|(_, p)| p)
            .collect();
        let held: Vec<&PathBuf> = report.scenarios.iter().map(|r| &r.file).collect();
        if held != expected {
            return Err(refuse(
                path,
                format!(
                    "corrupt check report: shard {} holds {} scenarios, not the {} at its positions of the sorted list",
                    s.shard,
                    held.len(),
                    expected.len()
                ),
            ));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|&k| by_index[k as usize].is_none())
        .map(|index| Shard { index, count }.label())
        .collect();
    if !missing.is_empty() {
        let (path, _, _) = &shards[0];
        return Err(refuse(
            path,
            format!(
                "shard{} {} of this check {} missing (given: {})\n  help: merge every shard's report",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                if missing.len() > 1 { "are" } else { "is" },
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let z = first_report.z;
    let total = first.all_scenarios.len();
    // Deal the scenarios back: position p is shard (p mod N)'s next one.
    let mut shards: Vec<Option<CheckReport>> =
        shards.into_iter().map(|(_, r, _)| Some(r)).collect();
    let mut error_code = EXIT_OK;
    let mut dealt = Vec::with_capacity(by_index.len());
    for slot in &by_index {
        let report = shards[slot.expect("every shard present")]
            .take()
            .expect("each shard once");
        let s = report.shard.as_ref().expect("a shard's report");
        error_code = error_code.max(s.error_code);
        dealt.push(report.scenarios.into_iter());
    }
    let scenarios: Vec<_> = (0..total)
        .map(|pos| {
            dealt[pos % by_index.len()]
                .next()
                .expect("checked against the list")
        })
        .collect();
    let report = CheckReport {
        passed: error_code == EXIT_OK && scenarios.iter().all(|r| r.passed),
        z,
        update: false,
        update_skipped: None,
        scenarios,
        shard: None,
    };
    let exit_code = if error_code != EXIT_OK {
        error_code
    } else if report.passed {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    };
    Ok(Merged { report, exit_code })
}
