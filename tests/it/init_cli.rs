//! `racesim init`: a starter scenario listing every metric, which validates
//! and runs as written, as CSV or as a workbook, never over an existing file.

use super::common;

use common::{EXIT_INPUT, Workspace};
use serde_json::Value;

#[test]
fn the_csv_starter_lists_every_metric_and_runs() {
    let ws = Workspace::new();
    ws.run(&["init", "start.csv"]).assert_ok();
    let text = String::from_utf8(ws.read("start.csv")).unwrap();
    for def in racesim::scenario::INPUTS.iter() {
        let row = format!("{},", def.name);
        assert!(
            text.lines()
                .any(|l| l.trim_start_matches("# ").starts_with(def.stage.name())
                    && l.contains(&row)
                    && l.contains(&def.domain.describe())),
            "no row for {}.{} with its domain",
            def.stage.name(),
            def.name
        );
        if let Some(d) = def.input.default_value() {
            assert!(
                text.lines()
                    .any(|l| l.contains(&row) && l.contains(&format!("default {d}"))),
                "{}: its default {d} is not stated",
                def.name
            );
        }
    }
    ws.run(&["validate", "start.csv"]).assert_ok();
    let out = ws.run(&["run", "start.csv", "-q", "-n", "300", "-f", "json"]);
    out.assert_ok();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["plans"][0]["metrics"]["profit"]["sd"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_workbook_starter_runs_like_the_csv_one() {
    let ws = Workspace::new();
    ws.run(&["init", "--xlsx", "start.xlsx"]).assert_ok();
    ws.run(&["init", "start.csv"]).assert_ok();
    // A `.xlsx` name is enough.
    ws.run(&["init", "other.xlsx"]).assert_ok();
    assert_eq!(ws.read("other.xlsx"), ws.read("start.xlsx"));
    ws.run(&["validate", "start.xlsx"]).assert_ok();
    let json = |name: &str| {
        let out = ws.run(&["run", name, "-q", "-n", "300", "-f", "json"]);
        out.assert_ok();
        let mut doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        // A workbook's hash fingerprints its sheet, a CSV's its bytes.
        doc["input_hash"] = Value::Null;
        doc["scenario"] = Value::Null;
        doc
    };
    assert_eq!(json("start.xlsx"), json("start.csv"));
}

#[test]
fn init_never_overwrites() {
    let ws = Workspace::new();
    ws.write("mine.csv", "precious");
    for args in [vec!["init", "mine.csv"], vec!["init", "--xlsx", "mine.csv"]] {
        ws.run(&args)
            .assert_code(EXIT_INPUT)
            .assert_stderr_has(&["mine.csv already exists", "never overwrites"]);
    }
    assert_eq!(ws.read("mine.csv"), b"precious");
    assert_eq!(ws.listing(), ["mine.csv"]);
}
