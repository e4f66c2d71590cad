//! `--format xlsx`: the workbook holds every number of the JSON, exactly,
//! in the sheets the docs name, with native charts, and the same bytes for
//! the same inputs and seed.

use super::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};
use common::{EXIT_INPUT, Workspace};
use serde_json::Value;

fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

/// Every sheet of a workbook: its name and rows (the header first).
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut wb = open_workbook_auto(path).expect("calamine opens the workbook");
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("a readable sheet");
            let rows = range.rows().map(|r| r.to_vec()).collect();
            (name, rows)
        })
        .collect()
}

fn sheet<'a>(book: &'a [(String, Vec<Vec<Data>>)], name: &str) -> &'a [Vec<Data>] {
    &book
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sheet `{name}`"))
        .1
}

/// A sheet's rows as maps from header to cell.
fn records(rows: &[Vec<Data>]) -> Vec<Vec<(String, Data)>> {
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    rows[1..]
        .iter()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.iter().cloned().chain(std::iter::repeat(Data::Empty)))
                .collect()
        })
        .collect()
}

fn get<'a>(record: &'a [(String, Data)], column: &str) -> &'a Data {
    &record
        .iter()
        .find(|(h, _)| h == column)
        .unwrap_or_else(|| panic!("no column `{column}`"))
        .1
}

fn text(d: &Data) -> String {
    d.to_string()
}

/// The cell equals the JSON number bit for bit, or is empty for `null`.
#[track_caller]
fn assert_same(cell: &Data, json: &Value, what: &str) {
    match (cell, json.as_f64()) {
        (Data::Float(x), Some(y)) => assert_eq!(x.to_bits(), y.to_bits(), "{what}: {x} vs {y}"),
        (Data::Int(x), Some(y)) => assert_eq!(*x as f64, y, "{what}"),
        (Data::Empty, None) => {}
        (c, j) => panic!("{what}: cell {c:?}, JSON {j:?}"),
    }
}

const STATS: [&str; 13] = [
    "mean", "sd", "se", "min", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "max", "defined",
];

fn plan<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["plan"] == name)
        .unwrap_or_else(|| panic!("no plan {name}"))
}

/// Lists the files of the workbook's zip archive.
fn entries(path: &Path) -> BTreeSet<String> {
    let file = std::fs::File::open(path).unwrap();
    let zip = zip::ZipArchive::new(file).expect("an xlsx is a zip archive");
    zip.file_names()
        .map(|n| n.expect("a file name").into_owned())
        .collect()
}

/// `run` of the shipped shop and its plans on 3,000 trials, seed 7.
fn shop_run() -> [String; 9] {
    [
        "run",
        &repo("scenarios/dtc_shop.csv"),
        "--plans",
        &repo("scenarios/dtc_shop.plans.csv"),
        "-q",
        "-n",
        "3000",
        "-s",
        "7",
    ]
    .map(String::from)
}

/// `run --plans` as JSON and as a workbook, on the same trials.
fn run_both(ws: &Workspace, extra: &[&str]) -> (Value, PathBuf) {
    let base = shop_run();
    let mut json_args: Vec<&str> = base.iter().map(String::as_str).collect();
    json_args.extend(extra);
    let mut xlsx_args = json_args.clone();
    json_args.extend(["-f", "json"]);
    xlsx_args.extend(["-f", "xlsx", "-o", "out.xlsx"]);
    let json = ws.run(&json_args);
    json.assert_ok();
    ws.run(&xlsx_args).assert_ok();
    (
        serde_json::from_slice(&json.stdout).unwrap(),
        ws.path("out.xlsx"),
    )
}

#[test]
fn run_workbook_holds_every_number_of_the_json() {
    let ws = Workspace::new();
    let (doc, path) = run_both(&ws, &[]);
    let book = sheets(&path);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "summary",
            "plans",
            "charts",
            "channels",
            "monthly",
            "monthly spend",
            "targets",
            "comparisons",
            "ranking",
            "assumptions",
            "distribution",
            "run"
        ]
    );

    // Every total metric of every plan, every statistic.
    let summary = records(sheet(&book, "summary"));
    let plans = doc["plans"].as_array().unwrap();
    let metrics = plans[0]["metrics"].as_object().unwrap().len();
    assert_eq!(summary.len(), plans.len() * metrics);
    for r in &summary {
        let m = &plan(&doc, &text(get(r, "plan")))["metrics"][text(get(r, "metric"))];
        for s in STATS {
            assert_same(get(r, s), &m[s], &format!("summary {r:?} {s}"));
        }
        if let Some(v) = m.get("variance") {
            assert_same(get(r, "luck share"), &v["luck"], "luck share");
        }
    }

    let channels = records(sheet(&book, "channels"));
    let expected: usize = plans
        .iter()
        .flat_map(|p| p["channels"].as_object().unwrap().values())
        .map(|m| m.as_object().unwrap().len())
        .sum();
    assert_eq!(channels.len(), expected);
    for r in &channels {
        let m = &plan(&doc, &text(get(r, "plan")))["channels"][text(get(r, "channel"))]
            [text(get(r, "metric"))];
        for s in STATS {
            assert_same(get(r, s), &m[s], &format!("channels {r:?} {s}"));
        }
    }

    let monthly = records(sheet(&book, "monthly"));
    for r in &monthly {
        let month = match get(r, "month") {
            Data::Float(m) => *m as usize,
            other => panic!("month {other:?}"),
        };
        let m = &plan(&doc, &text(get(r, "plan")))["monthly"][text(get(r, "metric"))][month - 1];
        assert_eq!(m["month"], month);
        for s in STATS {
            assert_same(get(r, s), &m[s], &format!("monthly {r:?} {s}"));
        }
    }
    let horizon = doc["horizon_months"].as_u64().unwrap() as usize;
    assert_eq!(monthly.len(), plans.len() * 5 * horizon);

    for r in records(sheet(&book, "plans")) {
        let p = plan(&doc, &text(get(&r, "plan")));
        assert_same(
            get(&r, "probability of loss"),
            &p["probability_of_loss"],
            "P(loss)",
        );
        assert_same(
            get(&r, "payback median month"),
            &p["payback_median_month"],
            "payback",
        );
    }

    let targets = records(sheet(&book, "targets"));
    let expected: usize = plans
        .iter()
        .map(|p| p["targets"].as_array().unwrap().len())
        .sum();
    assert!(expected > 0, "dtc_shop declares targets");
    assert_eq!(targets.len(), expected);
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for r in &targets {
        let name = text(get(r, "plan"));
        let k = seen.entry(name.clone()).or_default();
        let t = &plan(&doc, &name)["targets"][*k];
        *k += 1;
        assert_eq!(text(get(r, "metric")), t["metric"].as_str().unwrap());
        assert_same(get(r, "probability"), &t["probability"], "probability");
        assert_same(get(r, "value"), &t["value"], "target value");
        match (get(r, "met"), t.get("met")) {
            (Data::Bool(a), Some(b)) => assert_eq!(Some(*a), b.as_bool()),
            (Data::Empty, None) => {}
            (a, b) => panic!("met {a:?} vs {b:?}"),
        }
    }

    let comparisons = records(sheet(&book, "comparisons"));
    let json = doc["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), json.len());
    for (r, c) in comparisons.iter().zip(json) {
        assert_eq!(text(get(r, "plan")), c["plan"].as_str().unwrap());
        assert_eq!(text(get(r, "metric")), c["metric"].as_str().unwrap());
        for (col, key) in [
            ("mean difference", "mean_difference"),
            ("mean difference low", "mean_difference_low"),
            ("mean difference high", "mean_difference_high"),
            ("probability better", "probability_better"),
        ] {
            assert_same(get(r, col), &c[key], col);
        }
        for s in &STATS[1..] {
            assert_same(
                get(r, &format!("difference {s}")),
                &c["difference"][s],
                "difference",
            );
        }
    }

    let run: Vec<(String, Data)> = sheet(&book, "run")[1..]
        .iter()
        .map(|r| (text(&r[0]), r[1].clone()))
        .collect();
    let field = |k: &str| &run.iter().find(|(f, _)| f == k).unwrap().1;
    assert_same(field("trials"), &doc["trials"], "trials");
    assert_eq!(text(field("seed")), doc["seed"].to_string());
    assert_eq!(
        text(field("input hash")),
        doc["input_hash"].as_str().unwrap()
    );
    assert_eq!(
        text(field("racesim version")),
        doc["racesim_version"].as_str().unwrap()
    );

    // The assumptions with their notes, one row per scenario row.
    let assumptions = records(sheet(&book, "assumptions"));
    assert!(assumptions.len() > 10);
    assert!(
        assumptions
            .iter()
            .any(|r| !text(get(r, "note")).is_empty() && !text(get(r, "distribution")).is_empty())
    );

    // The histogram's shares are shares of trials.
    let distribution = records(sheet(&book, "distribution"));
    let total: f64 = distribution
        .iter()
        .map(|r| match get(r, "share baseline") {
            Data::Float(x) => *x,
            _ => 0.0,
        })
        .sum();
    assert!(total > 0.95 && total <= 1.0 + 1e-9, "{total}");
}

#[test]
fn run_workbook_has_native_charts_and_is_reproducible() {
    let ws = Workspace::new();
    let (doc, path) = run_both(&ws, &[]);
    let files = entries(&path);
    let plans = doc["plans"].as_array().unwrap().len();
    // A fan per plan and the histogram.
    for k in 1..=plans + 1 {
        assert!(
            files.contains(&format!("xl/charts/chart{k}.xml")),
            "{files:?}"
        );
    }
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut chart = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/charts/chart1.xml").unwrap(),
        &mut chart,
    )
    .unwrap();
    assert!(chart.contains("<c:lineChart>"), "the fan is a line chart");
    assert!(chart.contains("monthly!$"), "drawn from the monthly sheet");
    let mut hist = String::new();
    std::io::Read::read_to_string(
        &mut zip
            .by_name(&format!("xl/charts/chart{}.xml", plans + 1))
            .unwrap(),
        &mut hist,
    )
    .unwrap();
    assert!(
        hist.contains("<c:barChart>"),
        "the histogram is a bar chart"
    );

    // Same inputs and seed, another thread count: the same bytes.
    let first = std::fs::read(&path).unwrap();
    let base = shop_run();
    let mut again: Vec<&str> = base.iter().map(String::as_str).collect();
    again.extend(["-j", "1", "-f", "xlsx", "-o", "again.xlsx"]);
    ws.run(&again).assert_ok();
    assert!(
        first == ws.read("again.xlsx"),
        "the workbook's bytes differ"
    );
}

#[test]
fn a_workbook_needs_an_output_file() {
    let ws = Workspace::new();
    for args in [
        vec!["run", "s.csv", "-f", "xlsx"],
        vec!["curves", "s.csv", "-f", "xlsx"],
        vec!["check", "s.csv", "-f", "xlsx"],
    ] {
        ws.write("s.csv", common::BASE);
        let out = ws.run(&args);
        out.assert_code(EXIT_INPUT)
            .assert_stderr_has(&["--format xlsx", "--output"]);
        assert!(out.stdout.is_empty());
    }
}

/// Each command's workbook: the sheets its document needs, numbers as the
/// JSON's.
#[test]
fn every_command_writes_its_workbook() {
    let ws = Workspace::new();
    let scenario = repo("scenarios/dtc_shop.csv");
    let plans = repo("scenarios/dtc_shop.plans.csv");
    let names = |file: &str| -> Vec<String> {
        sheets(&ws.path(file)).into_iter().map(|(n, _)| n).collect()
    };

    let curves = ["curves", &scenario, "-q", "-n", "300", "--points", "4"];
    let json = ws.run(&[&curves[..], &["-f", "json"]].concat());
    json.assert_ok();
    ws.run(&[&curves[..], &["-f", "xlsx", "-o", "c.xlsx"]].concat())
        .assert_ok();
    assert_eq!(names("c.xlsx"), ["curves", "charts", "run"]);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let book = sheets(&ws.path("c.xlsx"));
    let rows = records(sheet(&book, "curves"));
    let points: Vec<&Value> = doc["curves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["points"].as_array().unwrap())
        .collect();
    assert_eq!(rows.len(), points.len());
    for (r, p) in rows.iter().zip(points) {
        assert_same(get(r, "spend"), &p["spend"], "spend");
        assert_same(get(r, "profit mean"), &p["profit"]["mean"], "profit mean");
        assert_same(get(r, "profit p5"), &p["profit"]["p5"], "profit p5");
        assert_same(
            get(r, "expected profit"),
            &p["expected_profit"],
            "expected profit",
        );
    }
    assert!(entries(&ws.path("c.xlsx")).contains("xl/charts/chart1.xml"));

    ws.run(&[
        "optimize",
        &scenario,
        "-q",
        "-n",
        "300",
        "--eval-trials",
        "500",
        "-f",
        "xlsx",
        "-o",
        "o.xlsx",
    ])
    .assert_ok();
    let o = names("o.xlsx");
    for s in [
        "recommendation",
        "optimization",
        "summary",
        "comparisons",
        "run",
    ] {
        assert!(o.iter().any(|n| n == s), "optimize lacks {s}: {o:?}");
    }

    ws.run(&[
        "optimize",
        &scenario,
        "-q",
        "-n",
        "300",
        "--eval-trials",
        "300",
        "--frontier",
        "3",
        "-f",
        "xlsx",
        "-o",
        "f.xlsx",
    ])
    .assert_ok();
    assert_eq!(names("f.xlsx"), ["frontier", "charts", "run"]);

    ws.run(&[
        "drivers", &scenario, "--plans", &plans, "-q", "-n", "500", "-f", "xlsx", "-o", "d.xlsx",
    ])
    .assert_ok();
    assert_eq!(
        names("d.xlsx"),
        [
            "inputs",
            "tornado",
            "contributions",
            "downside",
            "value of information",
            "plan means",
            "run"
        ]
    );

    ws.run(&[
        "compare", &scenario, &plans, "-q", "-n", "500", "-f", "xlsx", "-o", "cmp.xlsx",
    ])
    .assert_ok();
    assert!(names("cmp.xlsx").iter().any(|n| n == "comparisons"));

    ws.run(&[
        "check",
        &repo("examples/ci/scenarios"),
        "--baselines",
        &repo("examples/ci/baselines"),
        "-q",
        "-f",
        "xlsx",
        "-o",
        "k.xlsx",
    ]);
    assert_eq!(
        names("k.xlsx"),
        ["scenarios", "gates", "changes", "notes", "run"]
    );
    let book = sheets(&ws.path("k.xlsx"));
    assert!(sheet(&book, "scenarios").len() > 1);
}

/// openpyxl is stricter than calamine about the package's parts; it is
/// used when installed, skipped otherwise.
#[test]
fn openpyxl_loads_the_workbook_when_installed() {
    let has_openpyxl = std::process::Command::new("python3")
        .args(["-c", "import openpyxl"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_openpyxl {
        eprintln!("skipped: python3 with openpyxl is not installed");
        return;
    }
    let ws = Workspace::new();
    let (_, path) = run_both(&ws, &[]);
    common::success_stdout(
        std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); \
                 print(len(wb.sheetnames), len(wb['charts']._charts))",
            ])
            .arg(&path)
            .output()
            .unwrap(),
    );
}
