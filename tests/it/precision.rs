//! `--precision`: batches until the standard errors are small enough,
//! stopping at the same trial for the same seed on any thread count.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn scenario() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/b2b_leadgen.csv")
}

fn run(args: &[&str]) -> (Vec<u8>, String) {
    let out = Command::cargo_bin("racesim")
        .unwrap()
        .args(["run", "-q", "-f", "json"])
        .args(args)
        .arg(scenario())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, String::from_utf8(out.stderr).unwrap())
}

fn profit(doc: &Value) -> (f64, f64) {
    let p = &doc["plans"][0]["metrics"]["profit"];
    (p["mean"].as_f64().unwrap(), p["se"].as_f64().unwrap())
}

#[test]
fn stops_deterministically_at_the_requested_precision() {
    let rel = 0.03;
    let (one, note) = run(&["-n", "500", "--precision", "0.03", "-j", "1"]);
    let (two, _) = run(&["-n", "500", "--precision", "0.03", "-j", "2"]);
    let (again, _) = run(&["-n", "500", "--precision", "0.03", "-j", "2"]);
    assert_eq!(one, two, "thread count changed the result");
    assert_eq!(two, again, "same inputs gave different bytes");
    assert!(note.contains("precision 3 % reached after"), "{note}");

    let doc: Value = serde_json::from_slice(&one).unwrap();
    let trials = doc["trials"].as_u64().unwrap();
    assert_eq!(trials % 500, 0, "trials {trials} are not whole batches");
    assert!(
        trials > 500,
        "this scenario needs more than one batch for 3 %"
    );
    assert!(note.contains(&format!("after {trials} trials")), "{note}");
    let (mean, se) = profit(&doc);
    assert!(se <= rel * mean.abs(), "se {se} > {rel} × |{mean}|");
    for gate in doc["plans"][0]["targets"].as_array().unwrap() {
        if gate.get("required").is_some() {
            let p = gate["probability"].as_f64().unwrap();
            assert!((p * (1.0 - p) / trials as f64).sqrt() <= rel * p);
        }
    }

    // It stopped at the first batch that was precise enough.
    let (fewer, _) = run(&["-n", &(trials - 500).to_string()]);
    let fewer: Value = serde_json::from_slice(&fewer).unwrap();
    let (mean, se) = profit(&fewer);
    let gates_precise = fewer["plans"][0]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g.get("required").is_some())
        .all(|g| {
            let p = g["probability"].as_f64().unwrap();
            (p * (1.0 - p) / (trials - 500) as f64).sqrt() <= rel * p
        });
    assert!(se > rel * mean.abs() || !gates_precise);
}

#[test]
fn batches_give_the_same_bytes_as_one_run_of_the_same_trials() {
    // Precision far out of reach: runs to the cap in three batches.
    let (batched, note) = run(&["-n", "400", "--precision", "1e-6", "--max-trials", "1200"]);
    assert!(note.contains("stopped at --max-trials 1200"), "{note}");
    let (single, note) = run(&["-n", "1200"]);
    assert!(note.is_empty(), "{note}");
    assert_eq!(batched, single);
}

#[test]
fn rejects_bad_precision_settings() {
    for args in [
        vec!["--precision", "0"],
        vec!["--precision", "nan"],
        vec!["--precision", "0.01", "--max-trials", "0"],
        vec!["--max-trials", "100"],
    ] {
        Command::cargo_bin("racesim")
            .unwrap()
            .args(["run", "-q"])
            .args(&args)
            .arg(scenario())
            .assert()
            .code(2);
    }
}

#[test]
fn check_uses_the_same_batches() {
    let dir = tempfile::tempdir().unwrap();
    let scn = dir.path().join("scenarios");
    std::fs::create_dir_all(&scn).unwrap();
    std::fs::copy(scenario(), scn.join("b2b_leadgen.csv")).unwrap();
    let check = |extra: &[&str]| {
        Command::cargo_bin("racesim")
            .unwrap()
            .current_dir(dir.path())
            .args([
                "check",
                "scenarios",
                "-q",
                "--precision",
                "0.03",
                "--max-trials",
                "20000",
            ])
            .args(extra)
            .assert()
    };
    let note = check(&["--update", "-j", "1"])
        .code(0)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(note)
            .unwrap()
            .contains("b2b_leadgen: precision 3 %")
    );
    let out = check(&["-j", "2", "-f", "json"])
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["scenarios"][0]["baseline"]["status"], "identical");
}
