//! `run --samples FILE` (alias `--trials-csv`): every trial as a CSV row,
//! streamed, from the very trials the summary summarises.

use super::common;

use std::path::PathBuf;

use common::{EXIT_INPUT, Workspace};
use serde_json::Value;

fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

const TRIALS: usize = 1500;

/// `run --samples` on the shipped shop with its plans, on `threads`
/// threads: the JSON document and the samples.
fn run_with_samples(ws: &Workspace, threads: &str, flag: &str) -> (Value, Vec<u8>) {
    let name = format!("samples{threads}{flag}.csv");
    let out = ws.run(&[
        "run",
        "-q",
        "-n",
        &TRIALS.to_string(),
        "--threads",
        threads,
        "-f",
        "json",
        &repo("scenarios/dtc_shop.csv"),
        "--plans",
        &repo("scenarios/dtc_shop.plans.csv"),
        flag,
        &name,
    ]);
    out.assert_ok();
    (serde_json::from_slice(&out.stdout).unwrap(), ws.read(&name))
}

#[test]
fn samples_are_the_same_bytes_for_any_thread_count_and_either_name() {
    let ws = Workspace::new();
    let (_, one) = run_with_samples(&ws, "1", "--samples");
    let (_, two) = run_with_samples(&ws, "2", "--samples");
    assert!(one == two, "the samples depend on the thread count");
    let (_, old) = run_with_samples(&ws, "2", "--trials-csv");
    assert!(one == old, "--trials-csv is --samples under its old name");
    // Written atomically: nothing but the outputs is left behind.
    assert_eq!(
        ws.listing(),
        [
            "samples1--samples.csv",
            "samples2--samples.csv",
            "samples2--trials-csv.csv"
        ]
    );
}

#[test]
fn samples_hold_the_trials_the_summary_summarises() {
    let ws = Workspace::new();
    let (doc, bytes) = run_with_samples(&ws, "2", "--samples");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let plans = doc["plans"].as_array().unwrap();
    assert_eq!(records.len(), plans.len() * TRIALS);

    // The drawn assumptions are named as `drivers` names its inputs.
    let drivers = ws.run(&[
        "drivers",
        &repo("scenarios/dtc_shop.csv"),
        "-q",
        "-n",
        "200",
        "-f",
        "json",
    ]);
    drivers.assert_ok();
    let drivers: Value = serde_json::from_slice(&drivers.stdout).unwrap();
    let inputs: Vec<&str> = drivers["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(inputs.len() > 5);
    let metrics: Vec<&str> = plans[0]["metrics"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec!["plan", "trial"];
    expected.extend(&inputs);
    expected.extend(&metrics);
    assert_eq!(header, expected);

    // Trial by trial, each trial's plans in order; a trial's draws are the
    // same for every plan (common random numbers).
    for (k, r) in records.iter().enumerate() {
        let (t, p) = (k / plans.len(), k % plans.len());
        assert_eq!(&r[0], plans[p]["plan"].as_str().unwrap());
        assert_eq!(r[1], (t + 1).to_string());
        if p > 0 {
            let first = &records[k - p];
            for j in 2..2 + inputs.len() {
                assert_eq!(r[j], first[j], "trial {} draws differ between plans", t + 1);
            }
        }
    }
    for (p, plan) in plans.iter().enumerate() {
        let name = plan["plan"].as_str().unwrap();
        let rows: Vec<&csv::StringRecord> = records.iter().skip(p).step_by(plans.len()).collect();
        for (column, metric) in header.iter().enumerate().skip(2 + inputs.len()) {
            // The summary's own accumulator over the column: the same
            // values in the same exact sum give the same mean, bit for bit.
            let mut acc = racesim::stats::Accumulator::default();
            for r in &rows {
                if !r[column].is_empty() {
                    acc.add(r[column].parse().unwrap());
                }
            }
            let summary = &plan["metrics"][metric.as_str()];
            assert_eq!(
                acc.defined(),
                summary["defined"].as_u64().unwrap(),
                "{name} {metric}"
            );
            assert_eq!(
                acc.mean().map(f64::to_bits),
                summary["mean"].as_f64().map(f64::to_bits),
                "{name} {metric}: the trials' mean is not the summary's"
            );
        }
    }
}

/// With --precision the run goes on in batches: the samples follow it, and
/// still hold exactly the trials summarised.
#[test]
fn samples_follow_a_precision_run_batch_after_batch() {
    let ws = Workspace::new();
    let out = ws.run(&[
        "run",
        "-q",
        "-n",
        "300",
        "--precision",
        "0.005",
        "--max-trials",
        "1200",
        "-f",
        "json",
        &repo("scenarios/dtc_shop.csv"),
        "--samples",
        "s.csv",
    ]);
    out.assert_ok();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let trials = doc["trials"].as_u64().unwrap();
    assert!(trials > 300, "more than one batch ran");
    let text = String::from_utf8(ws.read("s.csv")).unwrap();
    let last = text.lines().last().unwrap();
    assert_eq!(text.lines().count() as u64, trials + 1);
    assert_eq!(last.split(',').nth(1).unwrap(), trials.to_string());
}

#[test]
fn samples_cannot_be_sharded() {
    let ws = Workspace::new();
    ws.write("s.csv", common::BASE);
    ws.run(&[
        "run",
        "s.csv",
        "--shard",
        "1/2",
        "--partial",
        "p.json",
        "--samples",
        "x.csv",
    ])
    .assert_code(EXIT_INPUT)
    .assert_stderr_has(&["--samples", "--shard"]);
}
