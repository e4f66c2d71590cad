//! `racesim drivers` and `run --drivers` end to end on the shipped shop.

use super::common::{self, BASE, EXIT_INPUT, Workspace};

const SHOP: &str = include_str!("../../scenarios/dtc_shop.csv");
const PLANS: &str = include_str!("../../scenarios/dtc_shop.plans.csv");

fn drivers_json(ws: &Workspace, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["drivers", "shop.csv", "-q", "-f", "json", "-n", "2000"];
    full.extend_from_slice(args);
    let out = ws.run(&full);
    out.assert_ok();
    serde_json::from_slice(&out.stdout).expect("drivers -f json prints valid JSON")
}

fn shop() -> Workspace {
    let ws = Workspace::new();
    ws.write("shop.csv", SHOP);
    ws.write("plans.csv", PLANS);
    ws
}

#[test]
fn shares_add_up_and_inputs_join_back_to_their_rows() {
    let ws = shop();
    let d = drivers_json(&ws, &[]);
    let inputs = d["inputs"].as_array().unwrap();
    assert!(inputs.len() > 10);
    for i in inputs {
        let line = i["line"].as_u64().unwrap() as usize;
        let row = SHOP.lines().nth(line - 1).unwrap();
        let want = format!(
            "{},{},{},",
            i["stage"].as_str().unwrap(),
            i["channel"].as_str().unwrap(),
            i["metric"].as_str().unwrap()
        );
        assert!(row.starts_with(&want), "line {line}: {row} vs {want}");
    }
    let share = |e: &serde_json::Value| e["value"].as_f64().unwrap();
    let first: f64 = d["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| share(&c["share"]))
        .sum();
    let total = first + share(&d["luck"]) + share(&d["remainder"]);
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    // The tornado is sorted by the size of the swing.
    let swings: Vec<f64> = d["tornado"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| share(&t["swing"]).abs())
        .collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]), "{swings:?}");
    assert!(d.get("value_of_information").is_none_or(|v| v.is_null()));
}

#[test]
fn plans_give_the_value_of_information() {
    let ws = shop();
    let d = drivers_json(&ws, &["--plans", "plans.csv"]);
    let voi = &d["value_of_information"];
    let evpi = voi["evpi"]["value"].as_f64().unwrap();
    assert!(evpi >= 0.0);
    for i in voi["inputs"].as_array().unwrap() {
        // Learning one input is worth at most learning all of them, up to noise.
        let v = &i["evppi"];
        assert!(
            v["value"].as_f64().unwrap() <= evpi + 4.0 * v["se"].as_f64().unwrap() + 1e-9,
            "{i}"
        );
    }
    let table = ws.run(&[
        "drivers",
        "shop.csv",
        "-q",
        "-n",
        "2000",
        "--plans",
        "plans.csv",
    ]);
    table.assert_ok();
    let text = table.stdout_text();
    assert!(text.contains("EVPI") && text.contains("≈ 0"), "{text}");
}

/// `run --drivers` reports the same analysis as `drivers` on the same
/// trials and seed.
#[test]
fn run_drivers_matches_the_drivers_command() {
    let ws = shop();
    let d = drivers_json(&ws, &[]);
    let run = common::run_json(&ws, "shop.csv", &["-n", "2000", "--drivers"]);
    assert_eq!(run["drivers"]["contributions"], d["contributions"]);
    assert_eq!(run["drivers"]["tornado"], d["tornado"]);
    assert_eq!(run["drivers"]["luck"], d["luck"]);
    // And the luck share agrees with run's own variance split within its errors.
    let split = &run["plans"][0]["metrics"]["profit"]["variance"];
    let (a, b) = (
        split["luck"].as_f64().unwrap(),
        d["luck"]["value"].as_f64().unwrap(),
    );
    let se = split["se"].as_f64().unwrap() + d["luck"]["se"].as_f64().unwrap();
    assert!((a - b).abs() <= 4.0 * se + 0.01, "{a} vs {b}");
}

#[test]
fn a_metric_without_an_expectation_is_refused() {
    let ws = shop();
    let out = ws.run(&["drivers", "shop.csv", "-q", "--metric", "payback_month"]);
    out.assert_code(EXIT_INPUT)
        .assert_stderr_has(&["payback_month", "profit"]);
    let out = ws.run(&["drivers", "shop.csv", "-q", "--metric", "proft"]);
    out.assert_code(EXIT_INPUT).assert_stderr_has(&["profit"]);
}

#[test]
fn without_uncertain_inputs_everything_is_luck() {
    let ws = Workspace::new();
    ws.write("s.csv", BASE);
    let out = ws.run(&["drivers", "s.csv", "-q", "-n", "500"]);
    out.assert_ok();
    assert!(out.stdout_text().contains("whole spread of profit is luck"));
    let d: serde_json::Value = serde_json::from_slice(
        &ws.run(&["drivers", "s.csv", "-q", "-n", "500", "-f", "json"])
            .stdout,
    )
    .unwrap();
    assert!(
        (d["luck"]["value"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "{d}"
    );
}
