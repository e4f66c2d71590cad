//! `check --update` under fire: two updaters at once on one folder, and an
//! updater killed (SIGKILL) at a random instant. Either way the folder must
//! hold one run's complete set of baselines (after the next run, which
//! finishes or undoes what a killed one left), never a mix.
//!
//! Two sets of scenarios, A and B, have the same names but different
//! spend, so every baseline file says which set it came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::common;

/// Scenario files per set: enough renames for a mix to be possible.
const FILES: usize = 5;
/// Rounds per test in the suite; `RACESIM_STRESS_ROUNDS` asks for more
/// (docs/reliability.md records a run of 100 each).
const ROUNDS: usize = 20;

fn rounds() -> usize {
    std::env::var("RACESIM_STRESS_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ROUNDS)
}

/// Writes set `tag`'s scenarios into `root/tag/` and returns that folder.
fn scenario_set(root: &Path, tag: &str, spend: u32) -> PathBuf {
    let dir = root.join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..FILES {
        let text = common::BASE.replace("spend,1000", &format!("spend,{}", spend + i as u32))
            + "plan,*,trials,200,\n";
        std::fs::write(dir.join(format!("s{i}.csv")), text).unwrap();
    }
    dir
}

fn update(scenarios: &Path, baselines: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_racesim"));
    cmd.args(["check", "-q", "--update", "--baselines"])
        .arg(baselines)
        .arg(scenarios)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// The baselines in `dir` by file name (racesim's own hidden files left
/// out, as `check` leaves them out).
fn baselines(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Each set's complete baselines, written once into a folder of their own.
struct Sets {
    root: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    a_files: BTreeMap<String, Vec<u8>>,
    b_files: BTreeMap<String, Vec<u8>>,
}

impl Sets {
    fn new() -> Sets {
        let root = tempfile::tempdir().unwrap();
        let a = scenario_set(root.path(), "a", 1000);
        let b = scenario_set(root.path(), "b", 2000);
        let mut files = Vec::new();
        for (tag, dir) in [("a", &a), ("b", &b)] {
            let out = root.path().join(format!("only-{tag}"));
            let status = update(dir, &out).status().unwrap();
            assert_eq!(status.code(), Some(0));
            files.push(baselines(&out));
        }
        let b_files = files.pop().unwrap();
        let a_files = files.pop().unwrap();
        assert_eq!(a_files.len(), FILES);
        assert!(a_files.values().zip(b_files.values()).all(|(x, y)| x != y));
        Sets {
            root,
            a,
            b,
            a_files,
            b_files,
        }
    }

    /// Which set `dir` holds: "a", "b", "none" (empty); panics on a mix.
    #[track_caller]
    fn which(&self, dir: &Path, round: usize) -> &'static str {
        let found = baselines(dir);
        if found.is_empty() {
            return "none";
        }
        if found == self.a_files {
            return "a";
        }
        if found == self.b_files {
            return "b";
        }
        let from: Vec<String> = found
            .iter()
            .map(|(name, bytes)| {
                let set = if self.a_files.get(name) == Some(bytes) {
                    "a"
                } else if self.b_files.get(name) == Some(bytes) {
                    "b"
                } else {
                    "neither"
                };
                format!("{name}: {set}")
            })
            .collect();
        panic!("round {round}: a mixed set of baselines: {from:?}");
    }
}

#[test]
fn two_concurrent_updates_leave_one_complete_set() {
    let sets = Sets::new();
    let mut seen = BTreeMap::new();
    for round in 0..rounds() {
        let folder = sets.root.path().join(format!("concurrent-{round}"));
        // Alternate who starts first; both start within microseconds.
        let (first, second) = if round % 2 == 0 {
            (&sets.a, &sets.b)
        } else {
            (&sets.b, &sets.a)
        };
        let one = update(first, &folder).spawn().unwrap();
        let two = update(second, &folder).spawn().unwrap();
        for child in [one, two] {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "round {round}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
        *seen.entry(sets.which(&folder, round)).or_insert(0) += 1;
        std::fs::remove_dir_all(&folder).unwrap();
    }
    assert!(!seen.contains_key("none"), "{seen:?}");
}

#[test]
fn an_update_killed_at_any_instant_leaves_one_complete_set_after_the_next_run() {
    let sets = Sets::new();
    let folder = sets.root.path().join("killed");
    assert_eq!(update(&sets.a, &folder).status().unwrap().code(), Some(0));
    // How long a whole update takes here: kills land anywhere in it.
    let start = Instant::now();
    let scratch = sets.root.path().join("timing");
    assert_eq!(update(&sets.b, &scratch).status().unwrap().code(), Some(0));
    let span = start.elapsed().as_micros().max(1000) as u64;
    // A fixed-seed sequence of delays keeps a failure reproducible.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut repaired = 0;
    let mut holds = sets.which(&folder, 0);
    let mut finished_anyway = 0;
    for round in 0..rounds() {
        let next = if holds == "a" { &sets.b } else { &sets.a };
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay = Duration::from_micros(state % (span * 12 / 10));
        let mut child = update(next, &folder).spawn().unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if status.code() == Some(0) {
            finished_anyway += 1;
        }
        // The next run: a plain check, which only reads baselines, finishes
        // or undoes what the killed one left (a gate-free check exits 0 or 1).
        let out = Command::new(env!("CARGO_BIN_EXE_racesim"))
            .args(["check", "-q", "--baselines"])
            .arg(&folder)
            .arg(next)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "round {round}: {stderr}"
        );
        if stderr.contains("was interrupted") {
            repaired += 1;
        }
        holds = sets.which(&folder, round);
        // Nothing of the killed run is left in the folder.
        let leftovers: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
    eprintln!(
        "{} rounds: {repaired} repaired by the next run, {finished_anyway} finished before the kill",
        rounds()
    );
}
