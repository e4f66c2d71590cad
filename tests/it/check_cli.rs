//! `racesim check` as CI runs it: exit codes, reports and baselines.

use super::common::racesim;
use std::path::{Path, PathBuf};

use serde_json::Value;

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

/// `check`'s standard output as text, asserting its exit code.
fn check_stdout(dir: &Path, extra: &[&str], code: i32) -> String {
    let out = check(dir, extra).code(code).get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// `check`'s standard error as text, asserting its exit code.
fn check_stderr(dir: &Path, extra: &[&str], code: i32) -> String {
    let err = check(dir, extra).code(code).get_output().stderr.clone();
    String::from_utf8(err).unwrap()
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

/// A real change of dtc_shop's model: its convert rate up by a third.
fn raise_dtc_convert_rate(dir: &Path) {
    edit(
        dir,
        "dtc_shop.csv",
        "convert,*,rate,\"pert(0.22, 0.30, 0.40)\"",
        "convert,*,rate,\"pert(0.30, 0.40, 0.50)\"",
    );
}

/// b2b_leadgen no longer parses: a churn above 1.
fn break_b2b_churn(dir: &Path) {
    edit(
        dir,
        "b2b_leadgen.csv",
        "engage,*,churn,0.03",
        "engage,*,churn,1.7",
    );
}

/// The baselines directory's files, sorted, with their bytes.
fn read_baselines(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    read_entries(dir, |p| std::fs::read(p).unwrap())
}

fn read_entries(dir: &Path, read: impl Fn(&Path) -> Vec<u8>) -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("baselines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = read(&p);
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
    let text = check_stdout(dir.path(), &[], 1);
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
    let md = check_stdout(dir.path(), &["--format", "markdown"], 1);
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
    let out = check_stdout(dir.path(), &[], 1);
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
    let junit = dir.path().join("junit.xml");
    let out = check(
        dir.path(),
        &["--format", "markdown", "--junit", junit.to_str().unwrap()],
    )
    .code(2)
    .get_output()
    .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("b2b_leadgen.json"), "{err}");
    assert!(err.contains("not valid JSON"), "{err}");
    // The hint can be pasted: it names the scenario and the baselines.
    let hint = "racesim check scenarios/b2b_leadgen.csv --baselines baselines --update";
    assert!(err.contains(hint), "{err}");
    // The report is still printed, for the pull-request comment, with the
    // error in it and the other scenario checked as usual.
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("## racesim check: ❌ failed"), "{md}");
    assert!(
        md.contains("| ❌ | b2b_leadgen | could not be checked |"),
        "{md}"
    );
    assert!(md.contains("not valid JSON"), "{md}");
    assert!(md.contains(hint), "{md}");
    assert!(
        md.contains("| ✅ | dtc_shop | identical to baseline |"),
        "{md}"
    );
    // And the JUnit file has a failing case for it.
    let text = std::fs::read_to_string(&junit).unwrap();
    let xml = roxmltree::Document::parse(&text).unwrap();
    let failure = xml
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failing test case");
    let case = failure.parent().unwrap();
    assert_eq!(case.attribute("classname"), Some("b2b_leadgen"));
    assert!(failure.text().unwrap().contains("not valid JSON"));
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let b2b = scenario(&report, "b2b_leadgen");
    assert_eq!(b2b["baseline"]["status"], "error");
    assert!(b2b["error"].as_str().unwrap().contains("not valid JSON"));
    assert_eq!(
        scenario(&report, "dtc_shop")["baseline"]["status"],
        "identical"
    );

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
fn a_bad_scenario_is_reported_and_the_others_still_checked() {
    let dir = workspace();
    break_b2b_churn(dir.path());
    let junit = dir.path().join("junit.xml");
    let (code, report) = check_json(dir.path(), &["--junit", junit.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(report["passed"], false);
    let b2b = scenario(&report, "b2b_leadgen");
    assert_eq!(b2b["baseline"]["status"], "error");
    assert!(b2b["trials"].is_null());
    assert!(
        b2b["error"].as_str().unwrap().contains("b2b_leadgen.csv:"),
        "{b2b:#}"
    );
    assert_eq!(
        scenario(&report, "dtc_shop")["baseline"]["status"],
        "identical"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let xml = roxmltree::Document::parse(&xml).unwrap();
    let root = xml.root_element();
    assert_eq!(root.attribute("failures"), Some("1"));
    let text = check_stdout(dir.path(), &[], 2);
    assert!(
        text.contains("FAIL b2b_leadgen: could not be checked"),
        "{text}"
    );
    assert!(
        text.contains("    error: scenarios/b2b_leadgen.csv:"),
        "{text}"
    );
    assert!(text.contains("1 could not be checked"), "{text}");
}

#[test]
fn an_unwritable_junit_file_fails_after_the_report_is_printed() {
    let dir = workspace();
    let out = check(dir.path(), &["--junit", "no/such/dir/junit.xml"])
        .code(3)
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("PASSED: 2 of 2 scenarios passed"), "{text}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no/such/dir/junit.xml"), "{err}");
}

#[test]
fn a_reformatted_baseline_is_not_identical() {
    let dir = workspace();
    let path = dir.path().join("baselines/b2b_leadgen.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let value: Value = serde_json::from_str(&good).unwrap();
    // The same values, minified: not the bytes racesim writes.
    std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let b2b = scenario(&report, "b2b_leadgen");
    assert_eq!(b2b["baseline"]["status"], "reformatted", "{b2b:#}");
    // Not blamed on the numbers: nothing is listed as changed.
    assert_eq!(b2b["baseline"]["moved"].as_array().unwrap().len(), 0);
    let text = check_stdout(dir.path(), &[], 1);
    assert!(
        text.contains(
            "FAIL b2b_leadgen: same numbers, but the baseline file is not in racesim's format"
        ),
        "{text}"
    );
    assert!(
        text.contains("refresh it with `racesim check scenarios/b2b_leadgen.csv --baselines baselines --update`"),
        "{text}"
    );
    // Windows line endings are named as such.
    std::fs::write(&path, good.replace('\n', "\r\n")).unwrap();
    let text = check_stdout(dir.path(), &[], 1);
    assert!(text.contains("CRLF"));
    // --update restores racesim's bytes.
    check(dir.path(), &["--update"]).code(0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
    check(dir.path(), &[]).code(0);
}

#[test]
fn update_writes_all_baselines_or_none() {
    let dir = workspace();
    let before = read_baselines(dir.path());
    // Two scenarios to write: dtc_shop changed, and a new one whose
    // baseline path is a directory, so it cannot be written.
    raise_dtc_convert_rate(dir.path());
    std::fs::write(
        dir.path().join("scenarios/zz_new.csv"),
        small("b2b_leadgen"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("baselines/zz_new.json")).unwrap();
    let out = check(dir.path(), &["--update"])
        .code(3)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("zz_new.json"), "{err}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--update wrote no baseline"), "{text}");
    assert!(text.contains("FAIL dtc_shop"), "{text}");
    // dtc_shop.json is untouched, and no temporary file is left over.
    let mut after = read_baselines_and_dirs(dir.path());
    after.retain(|(p, _)| !p.ends_with("zz_new.json"));
    assert_eq!(after, before, "baselines were touched");

    // Once the way is clear, both are written.
    std::fs::remove_dir(dir.path().join("baselines/zz_new.json")).unwrap();
    check(dir.path(), &["--update"]).code(0);
    let after = read_baselines(dir.path());
    assert_eq!(after.len(), 3);
    assert_ne!(after[1], before[1], "dtc_shop.json was not rewritten");
    check(dir.path(), &[]).code(0);
}

/// Like `read_baselines`, but lists directories (and anything else) too.
fn read_baselines_and_dirs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    read_entries(dir, |p| std::fs::read(p).unwrap_or_default())
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
    // The report shows enough digits for the change to be visible.
    let text = check_stdout(dir.path(), &[], 1);
    let line = text
        .lines()
        .find(|l| l.contains("differs  plans[baseline].metrics.profit.mean: "))
        .unwrap_or_else(|| panic!("{text}"));
    let (_, rest) = line.split_once(".mean: ").unwrap();
    let (old, rest) = rest.split_once(" → ").unwrap();
    let (new, rest) = rest.split_once(" (").unwrap();
    assert_ne!(old, new, "{line}");
    let number = |s: &str| s.replace(',', "").parse::<f64>().unwrap();
    assert!((number(new) - number(old) + 0.01).abs() < 0.0011, "{line}");
    assert!(rest.starts_with("-0.01 ("), "{line}");
    assert!(!rest.contains("-0.0 %"), "{line}");
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
    raise_dtc_convert_rate(dir.path());
    break_b2b_churn(dir.path());
    let err = check_stderr(dir.path(), &["--update"], 2);
    assert!(err.contains("b2b_leadgen.csv:"), "{err}");
    assert_eq!(read_baselines(dir.path()), before, "baselines were touched");
    let (code, report) = check_json(dir.path(), &["--update"]);
    assert_eq!(code, 2);
    assert!(
        report["update_skipped"]
            .as_str()
            .unwrap()
            .contains("1 of 2 scenarios could not be checked")
    );
    let dtc = scenario(&report, "dtc_shop");
    assert_eq!(dtc["baseline_written"], false);
    assert_eq!(dtc["passed"], false, "an unwritten move cannot pass");
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

#[test]
fn markdown_lists_moved_statistics_first_in_the_documented_order() {
    let dir = workspace();
    edit(
        dir.path(),
        "dtc_shop.csv",
        "convert,*,rate,\"pert(0.22, 0.30, 0.40)\"",
        "convert,*,rate,\"pert(0.24, 0.33, 0.44)\"",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let dtc = scenario(&report, "dtc_shop");
    let moved = dtc["baseline"]["moved"].as_array().unwrap();
    assert!(moved.len() > 5, "{dtc:#}");
    // JSON: the scenario's own plan first, then the plans file's order;
    // within a plan, the largest move relative to its threshold first.
    let plans = [
        "baseline",
        "shift_to_social",
        "more_influencers",
        "cut_display",
    ];
    let rank = |c: &Value| plans.iter().position(|p| c["plan"] == *p).unwrap();
    let score = |c: &Value| c["change"].as_f64().unwrap().abs() / c["threshold"].as_f64().unwrap();
    for w in moved.windows(2) {
        assert!(rank(&w[0]) <= rank(&w[1]), "{} before {}", w[0], w[1]);
        if rank(&w[0]) == rank(&w[1]) {
            assert!(score(&w[0]) >= score(&w[1]), "{} before {}", w[0], w[1]);
        }
    }
    // Markdown: the dtc_shop table lists those moves, in that order, before
    // the gates.
    let md = check_stdout(dir.path(), &["--format", "markdown"], 1);
    let section = md
        .split("\n### ")
        .find(|s| s.contains(" dtc_shop\n"))
        .unwrap();
    let rows: Vec<Vec<&str>> = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| | plan"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    let first_gate = kinds.iter().position(|k| k.ends_with("gate")).unwrap();
    assert!(first_gate > 0, "{section}");
    assert!(
        kinds[..first_gate].iter().all(|k| *k == "⚠️ moved"),
        "{section}"
    );
    assert!(
        kinds[first_gate..].iter().all(|k| k.ends_with("gate")),
        "{section}"
    );
    assert_eq!(first_gate, moved.len().min(25));
    for (row, c) in rows[..first_gate].iter().zip(moved) {
        let stat = c["statistic"].as_str().unwrap();
        let what = match stat {
            "exact" | "probability" => c["what"].as_str().unwrap().to_string(),
            _ => format!("{} {stat}", c["what"].as_str().unwrap()),
        };
        assert_eq!(
            (row[1], row[2]),
            (c["plan"].as_str().unwrap(), what.as_str())
        );
    }
}

// ---- the worked CI example's workflow -----------------------------------

/// The `run: |` block of the workflow step called `name`, de-indented.
fn workflow_step_script(workflow: &str, name: &str) -> String {
    let lines: Vec<&str> = workflow.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("- name: {name}"))
        .unwrap_or_else(|| panic!("no step `{name}`"));
    let run = (start + 1..lines.len())
        .find(|&i| lines[i].trim() == "run: |")
        .expect("a `run: |` block");
    let indent = |l: &str| l.len() - l.trim_start().len();
    let base = indent(lines[run]);
    let body: Vec<&str> = lines[run + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || indent(l) > base)
        .copied()
        .collect();
    let strip = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()
        .unwrap();
    body.iter()
        .map(|l| l.get(strip..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The words of the first `racesim check` command in `text`, continuation
/// lines joined, up to its first redirection.
fn racesim_check_command(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if !inside && !line.starts_with("racesim check ") {
            continue;
        }
        inside = true;
        let (line, more) = match line.strip_suffix('\\') {
            Some(l) => (l, true),
            None => (line, false),
        };
        for w in line.split_whitespace() {
            if w.starts_with('>') || w.starts_with("2>") {
                return words;
            }
            words.push(w.to_string());
        }
        if !more {
            break;
        }
    }
    assert!(!words.is_empty(), "no `racesim check` command");
    words
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs the workflow's check step with bash, as GitHub Actions would, in a
/// copy of examples/ci; returns the step's exit code, its `exit_code`
/// output and the report it would post.
fn run_check_step(script: &str, prepare: impl Fn(&Path)) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    copy_dir(&repo().join("examples/ci"), &root);
    prepare(&root);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_racesim"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = dir.path().join("github_output");
    let summary = dir.path().join("step_summary");
    let status = std::process::Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(&root)
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .status()
        .unwrap();
    let report = std::fs::read_to_string(root.join("racesim-report.md")).unwrap();
    assert_eq!(
        std::fs::read_to_string(&summary).unwrap(),
        report,
        "the job summary is the report"
    );
    let code = std::fs::read_to_string(&output)
        .unwrap()
        .trim()
        .strip_prefix("exit_code=")
        .unwrap()
        .to_string();
    (status.code().unwrap(), code, report)
}

#[test]
fn the_ci_workflow_runs_the_documented_command_and_always_has_a_report() {
    let workflow =
        std::fs::read_to_string(repo().join("examples/ci/.github/workflows/racesim.yml")).unwrap();
    let docs = std::fs::read_to_string(repo().join("docs/ci.md")).unwrap();
    let script = workflow_step_script(&workflow, "Check scenarios against their baselines");
    // The command in the workflow is the one docs/ci.md explains.
    let command = racesim_check_command(&script);
    let documented = racesim_check_command(
        docs.split("### A worked example")
            .nth(1)
            .expect("docs/ci.md has a worked example"),
    );
    assert_eq!(command, documented);
    assert!(command.contains(&"--junit".to_string()));
    // It installs racesim from source, not from crates.io, where it is not.
    assert!(
        workflow.contains("cargo install --locked --git"),
        "{workflow}"
    );
    assert!(!workflow.contains("cargo install racesim"), "{workflow}");

    // As shipped: the check passes.
    let (status, code, report) = run_check_step(&script, |_| {});
    assert_eq!((status, code.as_str()), (0, "0"));
    assert!(
        report.starts_with("## racesim check: ✅ passed"),
        "{report}"
    );
    // A corrupt baseline: still a report to post, naming the problem.
    let (status, code, report) = run_check_step(&script, |root| {
        std::fs::write(root.join("baselines/dtc_shop.json"), "{").unwrap();
    });
    assert_eq!((status, code.as_str()), (0, "2"));
    assert!(
        report.contains("| ❌ | dtc_shop | could not be checked |"),
        "{report}"
    );
    // racesim cannot even start on the scenarios: the step posts why.
    let (status, code, report) = run_check_step(&script, |root| {
        std::fs::remove_dir_all(root.join("scenarios")).unwrap();
    });
    assert_eq!((status, code.as_str()), (0, "2"));
    assert!(report.contains("could not run (exit 2)"), "{report}");
    assert!(report.contains("scenarios"), "{report}");
}

/// A baseline written before the channels reported `cost` and `cac`: the
/// JSON only gains fields within a schema version, so the same numbers pass
/// (with a note), while a changed number still fails.
#[test]
fn a_baseline_lacking_newer_fields_passes_with_a_note() {
    let dir = workspace();
    let path = dir.path().join("baselines/b2b_leadgen.json");
    let good = std::fs::read_to_string(&path).unwrap();
    let mut value: Value = serde_json::from_str(&good).unwrap();
    for plan in value["plans"].as_array_mut().unwrap() {
        for channel in plan["channels"].as_object_mut().unwrap().values_mut() {
            let metrics = channel.as_object_mut().unwrap();
            assert!(metrics.shift_remove("cost").is_some());
            assert!(metrics.shift_remove("cac").is_some());
        }
    }
    let older = serde_json::to_string_pretty(&value).unwrap() + "\n";
    std::fs::write(&path, &older).unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    let b2b = scenario(&report, "b2b_leadgen");
    assert_eq!(b2b["baseline"]["status"], "identical", "{b2b:#}");
    let notes = b2b["baseline"]["notes"].to_string();
    assert!(
        notes.contains("lacks fields") && notes.contains(".cost"),
        "{notes}"
    );

    // A number that differs is still a regression.
    let mean = value["plans"][0]["metrics"]["profit"]["mean"]
        .as_f64()
        .unwrap();
    value["plans"][0]["metrics"]["profit"]["mean"] = (mean + 1.0).into();
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap() + "\n").unwrap();
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        scenario(&report, "b2b_leadgen")["baseline"]["status"],
        "differs"
    );

    // --update writes the fields in.
    check(dir.path(), &["--update"]).code(0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
}
