//! `check --shard K/N` and `check --merge` (issue 15): the shards' JSON
//! reports merge into the unsharded check's report (every format), JUnit
//! file and exit code, and every wrong merge is refused with exit 2.

use super::common::{self, EXIT_INPUT, Outcome, Workspace, assert_refused};

/// The CI example's scenarios and baselines, plus two shipped scenarios without a
/// baseline (so the check fails with exit 1) and, with `bad`, one that
/// cannot be checked (exit 2).
pub fn portfolio(bad: bool) -> Workspace {
    let ws = Workspace::new();
    let root = env!("CARGO_MANIFEST_DIR");
    for name in ["b2b_leadgen.csv", "dtc_shop.csv", "dtc_shop.plans.csv"] {
        ws.write(
            &format!("scenarios/{name}"),
            std::fs::read(format!("{root}/examples/ci/scenarios/{name}")).unwrap(),
        );
    }
    for name in ["b2b_leadgen.json", "dtc_shop.json"] {
        ws.write(
            &format!("baselines/{name}"),
            std::fs::read(format!("{root}/examples/ci/baselines/{name}")).unwrap(),
        );
    }
    for name in [
        "seasonal_shop.csv",
        "seasonal_shop.plans.csv",
        "subscription_app.csv",
    ] {
        // At the CI example's budget of 2000 trials, as a CI portfolio would be.
        let text = std::fs::read_to_string(format!("{root}/scenarios/{name}")).unwrap();
        ws.write(
            &format!("scenarios/{name}"),
            text.replace("plan,*,trials,10000,", "plan,*,trials,2000,"),
        );
    }
    if bad {
        ws.write(
            "scenarios/c_bad.csv",
            "stage,channel,metric,value\nreach,x,spend,lots\n",
        );
    }
    ws
}

/// `racesim check` of the portfolio's `scenarios` against its `baselines`.
pub fn check(ws: &Workspace, extra: &[&str]) -> Outcome {
    check_with_env(ws, extra, &[])
}

/// `check` of the portfolio with exactly the array-job variables `env`.
fn check_with_env(ws: &Workspace, extra: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut args = vec!["check", "scenarios", "--baselines", "baselines", "-q"];
    args.extend(extra);
    ws.run_with_env(&args, env)
}

/// Checks shard K of `n` for every K, keeping each JSON report as
/// `{prefix}-K.json`; returns their names.
fn shard_reports(ws: &Workspace, n: usize, prefix: &str, extra: &[&str]) -> Vec<String> {
    (1..=n)
        .map(|k| {
            let shard = format!("{k}/{n}");
            let mut args = vec!["-f", "json", "--shard", &shard];
            args.extend(extra);
            let out = check(ws, &args);
            assert!(
                matches!(out.code, Some(0..=2)) && !out.stderr.contains("panicked"),
                "shard {shard}: {}",
                out.stderr
            );
            let name = format!("{prefix}-{k}.json");
            ws.write(&name, &out.stdout);
            name
        })
        .collect()
}

fn merge(ws: &Workspace, reports: &[String], extra: &[&str]) -> Outcome {
    let mut args = vec!["check", "--merge"];
    args.extend(reports.iter().map(String::as_str));
    args.extend(extra);
    ws.run_with_env(&args, &[])
}

fn assert_merges_to_the_unsharded_check(ws: &Workspace, counts: &[usize], code: i32) {
    const FORMATS: [&str; 3] = ["json", "table", "markdown"];
    let wholes = FORMATS.map(|format| {
        let junit = format!("whole-{format}.xml");
        let whole = check(ws, &["-f", format, "--junit", &junit]);
        whole.assert_code(code);
        whole.stdout
    });
    for &n in counts {
        let mut reports = shard_reports(ws, n, &format!("r{n}"), &[]);
        reports.rotate_left(1);
        for (format, whole) in FORMATS.iter().zip(&wholes) {
            let merged = merge(ws, &reports, &["-f", format, "--junit", "merged.xml"]);
            merged.assert_code(code);
            assert!(
                merged.stdout == *whole,
                "{n} shards, {format}: the merged report differs from the unsharded one:\n{}\n---\n{}",
                merged.stdout_text(),
                String::from_utf8_lossy(whole)
            );
            assert_eq!(
                ws.read("merged.xml"),
                ws.read(&format!("whole-{format}.xml")),
                "{n} shards: JUnit"
            );
        }
    }
}

#[test]
fn merged_check_shards_give_the_unsharded_report_junit_and_exit_code() {
    // Four scenarios: five shards leave one empty, which merges too.
    let ws = portfolio(false);
    assert_merges_to_the_unsharded_check(&ws, &[1, 2, 3, 5], 1);
    // A scenario that cannot be checked makes the check (and the merge) exit 2.
    let ws = portfolio(true);
    assert_merges_to_the_unsharded_check(&ws, &[2], EXIT_INPUT);
}

#[test]
fn a_shard_checks_every_nth_scenario_of_the_sorted_paths() {
    let ws = portfolio(false);
    let names = |out: &Outcome| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["scenario"].as_str().unwrap().to_string())
            .collect()
    };
    let first = check(&ws, &["-f", "json", "--shard", "1/2"]);
    assert_eq!(names(&first), ["b2b_leadgen", "seasonal_shop"]);
    let second = check(&ws, &["-f", "json", "--shard", "2/2"]);
    assert_eq!(names(&second), ["dtc_shop", "subscription_app"]);
    // The unsharded report has no `shard` section; a shard's report does.
    let whole: serde_json::Value =
        serde_json::from_slice(&check(&ws, &["-f", "json"]).stdout).unwrap();
    assert!(whole.get("shard").is_none());
    let v: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(v["shard"]["shard"], "2/2");
    assert_eq!(v["shard"]["all_scenarios"].as_array().unwrap().len(), 4);

    // `auto` reads Slurm's array variables and says so.
    let auto = check_with_env(
        &ws,
        &["-f", "json", "--shard", "auto"],
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
        ],
    );
    auto.assert_stderr_has(&["shard 2/2 from SLURM_ARRAY_TASK_ID=1, SLURM_ARRAY_TASK_COUNT=2"]);
    assert_eq!(names(&auto), ["dtc_shop", "subscription_app"]);
    let nowhere = check(&ws, &["--shard", "auto"]);
    nowhere.assert_code(EXIT_INPUT);
    nowhere.assert_stderr_has(&["SLURM_ARRAY_TASK_ID", "not an array job"]);
}

/// Rewrites the report `from` as `to` with `edit` applied and a valid
/// checksum.
fn forge(ws: &Workspace, from: &str, to: &str, edit: impl Fn(&mut serde_json::Value)) {
    common::forge(ws, (from, to), "/shard/checksum", true, edit);
}

#[test]
fn every_wrong_check_merge_is_refused_naming_the_files() {
    let ws = portfolio(false);
    let r = shard_reports(&ws, 3, "r", &[]);
    let s = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    // Sanity: the forger reproduces the checksum of an unedited report.
    forge(&ws, "r-2.json", "same.json", |_| {});
    merge(&ws, &s(&["r-1.json", "same.json", "r-3.json"]), &[]).assert_code(1);

    assert_refused(
        &merge(&ws, &s(&["r-1.json", "r-3.json"]), &[]),
        &["r-1.json", "r-3.json"],
        &["shard 2/3", "missing"],
    );
    assert_refused(
        &merge(
            &ws,
            &s(&["r-1.json", "r-2.json", "r-2.json", "r-3.json"]),
            &[],
        ),
        &["r-2.json"],
        &["shard 2/3 is also given"],
    );
    // Shards of another split.
    let two = shard_reports(&ws, 2, "two", &[]);
    assert_refused(
        &merge(&ws, &[r[0].clone(), two[1].clone()], &[]),
        &["two-2.json", "r-1.json"],
        &["shard count 2", "not shards of the same check"],
    );
    // Other options.
    let z = shard_reports(&ws, 3, "z", &["--z", "3"]);
    assert_refused(
        &merge(&ws, &[r[0].clone(), z[1].clone(), r[2].clone()], &[]),
        &["z-2.json", "r-1.json"],
        &["options", "--z 3"],
    );
    // Other folders: only the CI example's scenarios.
    let out = ws.run_with_env(
        &[
            "check",
            "scenarios/b2b_leadgen.csv",
            "scenarios/dtc_shop.csv",
            "--baselines",
            "baselines",
            "-q",
            "-f",
            "json",
            "--shard",
            "2/3",
        ],
        &[],
    );
    ws.write("files-2.json", &out.stdout);
    assert_refused(
        &merge(&ws, &s(&["r-1.json", "files-2.json", "r-3.json"]), &[]),
        &["files-2.json", "r-1.json"],
        &["folders", "not shards of the same check"],
    );
    // Truncated, not JSON, edited without fixing the checksum, not a shard's
    // report, a forged scenario list.
    let text = ws.read("r-2.json");
    ws.write("cut.json", &text[..text.len() / 2]);
    assert_refused(
        &merge(&ws, &s(&["r-1.json", "cut.json", "r-3.json"]), &[]),
        &["cut.json"],
        &["truncated"],
    );
    ws.write("junk.json", "PK\u{3}\u{4} not json");
    assert_refused(
        &merge(&ws, &s(&["junk.json"]), &[]),
        &["junk.json"],
        &["corrupt"],
    );
    let edited = String::from_utf8(text.clone())
        .unwrap()
        .replacen("\"z\": 4.0", "\"z\": 4.5", 1);
    assert_ne!(edited.as_bytes(), text, "the edit changes the report");
    ws.write("edited.json", edited);
    assert_refused(
        &merge(&ws, &s(&["r-1.json", "edited.json", "r-3.json"]), &[]),
        &["edited.json"],
        &["checksum"],
    );
    let whole = check(&ws, &["-f", "json"]);
    ws.write("whole.json", &whole.stdout);
    assert_refused(
        &merge(&ws, &s(&["whole.json"]), &[]),
        &["whole.json"],
        &["no `shard` section", "--shard K/N -f json"],
    );
    forge(&ws, "r-2.json", "dropped.json", |v| {
        v["scenarios"].as_array_mut().unwrap().clear();
    });
    assert_refused(
        &merge(&ws, &s(&["r-1.json", "dropped.json", "r-3.json"]), &[]),
        &["dropped.json"],
        &["corrupt", "holds 0 scenarios"],
    );

    // What a sharded check cannot do.
    check(&ws, &["--shard", "1/2", "--update"])
        .assert_stderr_has(&["--update with --shard", "unsharded"])
        .assert_code(EXIT_INPUT);
    merge(&ws, &r, &["--z", "3"]).assert_code(EXIT_INPUT);
    check(&ws, &["--shard", "3/2"]).assert_code(EXIT_INPUT);
}
