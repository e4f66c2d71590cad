//! Ctrl-C during a long run, and the time estimate a long run prints when
//! no progress bar can be drawn (stderr is a pipe here, as in CI).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::common;

#[test]
fn ctrl_c_stops_a_long_run_saying_how_far_it_got_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("long.csv"),
        common::with_base("plan,*,trials,4000000000,"),
    )
    .unwrap();
    std::fs::write(dir.path().join("out.json"), "earlier result").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_racesim"))
        .current_dir(dir.path())
        .args(["run", "long.csv", "--format", "json", "-o", "out.json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // The estimate comes after the first second of trials.
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(
        line.contains("4,000,000,000 trials, about") && line.contains("to go"),
        "{line}"
    );
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let code = child.wait().unwrap().code();
    assert!(started.elapsed() < Duration::from_secs(10), "slow to stop");
    assert_eq!(code, Some(130), "{rest}");
    assert!(
        rest.contains("interrupted after ") && rest.contains(" of 4000000000 trials"),
        "{rest}"
    );
    assert!(!rest.contains("panicked"), "{rest}");
    // The earlier output is untouched and no temporary file is left.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.json")).unwrap(),
        "earlier result"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_short_run_prints_no_estimate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.csv"), common::BASE).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_racesim"))
        .current_dir(dir.path())
        .args(["run", "s.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
