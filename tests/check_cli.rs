//! `racesim check` as CI runs it: exit codes, reports and baselines.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn racesim() -> Command {
    Command::cargo_bin("racesim").unwrap()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A shipped scenario with a CI-sized trial count.
fn small(name: &str) -> String {
    let text =
        std::fs::read_to_string(repo().join("scenarios").join(format!("{name}.csv"))).unwrap();
    text.lines()
        .map(|l| {
            if l.starts_with("plan,*,trials,") {
                "plan,*,trials,2000,".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A directory with b2b_leadgen and dtc_shop (with its plans) and their
/// baselines already written by `check --update`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let scn = dir.path().join("scenarios");
    std::fs::create_dir_all(&scn).unwrap();
    std::fs::write(scn.join("b2b_leadgen.csv"), small("b2b_leadgen")).unwrap();
    std::fs::write(scn.join("dtc_shop.csv"), small("dtc_shop")).unwrap();
    std::fs::copy(
        repo().join("scenarios/dtc_shop.plans.csv"),
        scn.join("dtc_shop.plans.csv"),
    )
    .unwrap();
    check(dir.path(), &["--update"]).code(0);
    dir
}

fn check(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    racesim()
        .current_dir(dir)
        .args(["check", "scenarios", "--baselines", "baselines", "-q"])
        .args(extra)
        .assert()
}

fn check_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = racesim()
        .current_dir(dir)
        .args([
            "check",
            "scenarios",
            "--baselines",
            "baselines",
            "-q",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn scenario<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scenario"] == name)
        .unwrap()
}

fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join("scenarios").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} not in {file}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn read_baselines(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("baselines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn unchanged_inputs_pass_with_identical_bytes() {
    let dir = workspace();
    let before = read_baselines(dir.path());
    assert_eq!(before.len(), 2);
    let (code, report) = check_json(dir.path(), &["-j", "1"]);
    assert_eq!(code, 0, "{report:#}");
    for name in ["b2b_leadgen", "dtc_shop"] {
        assert_eq!(scenario(&report, name)["baseline"]["status"], "identical");
    }
    let (code2, report2) = check_json(dir.path(), &["-j", "2"]);
    assert_eq!(code2, 0);
    assert_eq!(report, report2, "the report depends on the thread count");
    // A baseline is exactly what `racesim run --format json` prints.
    let run = racesim()
        .args(["run", "-q", "-f", "json", "--plans"])
        .arg(dir.path().join("scenarios/dtc_shop.plans.csv"))
        .arg(dir.path().join("scenarios/dtc_shop.csv"))
        .output()
        .unwrap();
    let stored = std::fs::read(dir.path().join("baselines/dtc_shop.json")).unwrap();
    assert_eq!(run.stdout, stored);
    // Checking (even --update with nothing changed) leaves the files alone.
    check(dir.path(), &["--update"]).code(0);
    assert_eq!(read_baselines(dir.path()), before);
}

#[test]
fn an_edited_assumption_names_the_moved_metrics() {
    let dir = workspace();
    // Conversion rate up by a third: customers and revenue must move.
    edit(
        dir.path(),
        "b2b_leadgen.csv",
        "convert,*,rate,\"pert(0.03, 0.06, 0.10)\"",
        "convert,*,rate,\"pert(0.05, 0.09, 0.14)\"",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["passed"], false);
    let b2b = scenario(&report, "b2b_leadgen");
    assert_eq!(b2b["baseline"]["status"], "moved");
    assert!(
        b2b["baseline"]["input_changes"][0]
            .as_str()
            .unwrap()
            .contains("input hash")
    );
    let moved: Vec<(String, String)> = b2b["baseline"]["moved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["what"].as_str().unwrap().to_string(),
                c["statistic"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in ["customers", "revenue"] {
        assert!(
            moved.contains(&(expected.into(), "mean".into())),
            "{expected} mean not reported as moved: {moved:?}"
        );
    }
    // Spend, visitors and leads come before conversion and share random
    // numbers with the baseline: they must not be blamed.
    for unmoved in ["spend", "visitors", "leads", "cost"] {
        assert!(
            !moved.iter().any(|(w, _)| w == unmoved),
            "{unmoved} reported as moved: {moved:?}"
        );
    }
    // Each reported move really exceeds its own threshold.
    for c in b2b["baseline"]["moved"].as_array().unwrap() {
        let change = c["change"].as_f64().unwrap();
        assert!(change.abs() > c["threshold"].as_f64().unwrap());
    }
    assert_eq!(
        scenario(&report, "dtc_shop")["baseline"]["status"],
        "identical"
    );
    // The text report names them too.
    let text = check(dir.path(), &[]).code(1).get_output().stdout.clone();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("FAIL b2b_leadgen"), "{text}");
    assert!(text.contains("customers mean"), "{text}");
}

#[test]
fn a_new_seed_alone_is_noise_not_a_regression() {
    let dir = workspace();
    edit(
        dir.path(),
        "b2b_leadgen.csv",
        "plan,*,seed,42",
        "plan,*,seed,43",
    );
    edit(
        dir.path(),
        "dtc_shop.csv",
        "plan,*,seed,42",
        "plan,*,seed,43",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    for name in ["b2b_leadgen", "dtc_shop"] {
        let s = scenario(&report, name);
        assert_eq!(s["baseline"]["status"], "within_noise");
        assert!(s["baseline"]["compared"].as_u64().unwrap() > 50);
    }
}

#[test]
fn a_failing_gate_fails_the_check() {
    let dir = workspace();
    let path = dir.path().join("scenarios/b2b_leadgen.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("target,*,revenue,>= 10000000 @ 0.5,stretch goal nobody can meet\n");
    std::fs::write(&path, text).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let b2b = scenario(&report, "b2b_leadgen");
    // Adding a target changes no forecast (same random numbers).
    assert_eq!(b2b["baseline"]["status"], "within_noise", "{b2b:#}");
    let failed: Vec<&Value> = b2b["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["met"] == false)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["target"], "revenue >= 10000000 @ 0.5");
    assert!(failed[0]["probability"].as_f64().unwrap() < 0.5);
    let md = check(dir.path(), &["--format", "markdown"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.contains("| ✗ gate | baseline | revenue >= 10000000 @ 0.5 |"),
        "{md}"
    );
    assert!(
        md.contains("| ✓ gate | baseline | customers >= 5 @ 0.5 |"),
        "{md}"
    );
    // --update records the new baseline but a failing gate still fails.
    check(dir.path(), &["--update"]).code(1);
}

#[test]
fn a_missing_baseline_fails_clearly_until_update() {
    let dir = workspace();
    std::fs::remove_file(dir.path().join("baselines/dtc_shop.json")).unwrap();
    let out = check(dir.path(), &[]).code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("FAIL dtc_shop: no baseline yet"), "{out}");
    assert!(out.contains("baselines/dtc_shop.json"), "{out}");
    assert!(out.contains("--update"), "{out}");
    check(dir.path(), &["--update"]).code(0);
    check(dir.path(), &[]).code(0);
}

#[test]
fn a_corrupted_baseline_is_a_clear_input_error() {
    let dir = workspace();
    let path = dir.path().join("baselines/b2b_leadgen.json");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let err = check(dir.path(), &[]).code(2).get_output().stderr.clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("b2b_leadgen.json"), "{err}");
    assert!(err.contains("not valid JSON"), "{err}");
    assert!(err.contains("--update"), "{err}");

    std::fs::write(
        &path,
        good.replace("\"schema_version\": 1", "\"schema_version\": 99"),
    )
    .unwrap();
    let err = check(dir.path(), &[]).code(2).get_output().stderr.clone();
    assert!(
        String::from_utf8(err)
            .unwrap()
            .contains("schema_version 99")
    );

    // --update replaces it.
    check(dir.path(), &["--update"]).code(0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
}

#[test]
fn same_inputs_with_different_numbers_is_a_regression() {
    let dir = workspace();
    let path = dir.path().join("baselines/b2b_leadgen.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mean = &mut doc["plans"][0]["metrics"]["profit"]["mean"];
    *mean = Value::from(mean.as_f64().unwrap() + 0.01);
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let b2b = scenario(&report, "b2b_leadgen");
    assert_eq!(b2b["baseline"]["status"], "differs");
    let moved = b2b["baseline"]["moved"].as_array().unwrap();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0]["what"], "plans[baseline].metrics.profit.mean");
    assert!((moved[0]["change"].as_f64().unwrap() + 0.01).abs() < 1e-6);
}

#[test]
fn editing_the_plans_file_changes_the_input_hash() {
    let dir = workspace();
    edit(
        dir.path(),
        "dtc_shop.plans.csv",
        "cut_display,display,0",
        "cut_display,display,1000",
    );
    let (_, report) = check_json(dir.path(), &[]);
    let dtc = scenario(&report, "dtc_shop");
    assert_ne!(dtc["baseline"]["status"], "identical");
    assert!(
        dtc["baseline"]["input_changes"][0]
            .as_str()
            .unwrap()
            .contains("input hash")
    );
}

#[test]
fn update_writes_nothing_when_any_scenario_is_bad() {
    let dir = workspace();
    let before = read_baselines(dir.path());
    // One scenario changes for real, the other no longer parses.
    edit(
        dir.path(),
        "dtc_shop.csv",
        "convert,*,rate,\"pert(0.22, 0.30, 0.40)\"",
        "convert,*,rate,\"pert(0.30, 0.40, 0.50)\"",
    );
    edit(
        dir.path(),
        "b2b_leadgen.csv",
        "engage,*,churn,0.03",
        "engage,*,churn,1.7",
    );
    let err = check(dir.path(), &["--update"])
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("b2b_leadgen.csv:"), "{err}");
    assert_eq!(read_baselines(dir.path()), before, "baselines were touched");
}

#[test]
fn junit_xml_parses_with_one_case_per_gate_and_comparison() {
    let dir = workspace();
    edit(
        dir.path(),
        "b2b_leadgen.csv",
        "target,*,customers,>= 5 @ 0.5",
        "target,*,customers,>= 50 @ 0.5",
    );
    let junit = dir.path().join("report.xml");
    check(dir.path(), &["--junit", junit.to_str().unwrap()]).code(1);
    let text = std::fs::read_to_string(&junit).unwrap();
    let xml = roxmltree::Document::parse(&text).unwrap();
    let suites: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    for suite in &suites {
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        // One gate each in these scenarios, plus the baseline comparison.
        assert_eq!(cases.len(), 2);
        assert_eq!(suite.attribute("tests"), Some("2"));
        let failures = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(
            suite.attribute("failures"),
            Some(failures.to_string().as_str())
        );
    }
    let failing = xml
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|n| n.parent().unwrap().attribute("name").unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(failing, ["gate customers >= 50 @ 0.5"]);
}

#[test]
fn bad_arguments_are_usage_errors() {
    let dir = workspace();
    check(dir.path(), &["--z", "0"]).code(2);
    racesim()
        .current_dir(dir.path())
        .args(["check", "nowhere"])
        .assert()
        .code(2);
    racesim()
        .current_dir(dir.path())
        .args(["check", "scenarios/dtc_shop.plans.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("plans file"));
}

#[test]
fn the_ci_example_passes_as_shipped() {
    racesim()
        .current_dir(repo().join("examples/ci"))
        .args([
            "check",
            "scenarios",
            "--baselines",
            "baselines",
            "--quiet",
            "--format",
            "markdown",
        ])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("## racesim check: ✅ passed"));
}
