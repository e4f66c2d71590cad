//! Shards (spec §10): `run`/`compare --shard K/N --partial FILE` and
//! `racesim merge`, which must print the unsharded command's bytes and
//! refuse every wrong merge with exit 2.

use super::common::{self, EXIT_INPUT, Outcome, Workspace, assert_refused};

/// Engine variables and their values.
type Env<'a> = &'a [(&'a str, &'a str)];

/// A prime: no shard count in these tests divides it.
const TRIALS: &str = "997";

fn shop() -> Workspace {
    Workspace::with_shipped(&[
        "dtc_shop.csv",
        "dtc_shop.plans.csv",
        "seasonal_shop.csv",
        "seasonal_shop.plans.csv",
    ])
}

fn run(ws: &Workspace, args: &[&str]) -> Outcome {
    ws.run_with_env(args, &[])
}

/// Writes the N partials of `command` (e.g. `["compare", "s.csv", "p.csv"]`)
/// as `prefix-K.json` and returns their names.
fn shards(ws: &Workspace, command: &[&str], n: usize, prefix: &str) -> Vec<String> {
    (1..=n)
        .map(|k| {
            let name = format!("{prefix}-{k}.json");
            let shard = format!("{k}/{n}");
            let mut args = command.to_vec();
            args.extend(["-q", "-n", TRIALS, "--shard", &shard, "--partial", &name]);
            let out = run(ws, &args);
            out.assert_ok();
            assert!(out.stdout.is_empty(), "a shard prints nothing on stdout");
            name
        })
        .collect()
}

/// Writes shard 3/3 of `command` as `partial`, to merge with the first
/// two shards of another command.
fn third_shard(ws: &Workspace, command: &[&str], partial: &str) {
    let mut args = command.to_vec();
    args.extend(["-q", "-n", TRIALS, "--shard", "3/3", "--partial", partial]);
    run(ws, &args).assert_ok();
}

fn merge(ws: &Workspace, partials: &[String], extra: &[&str]) -> Outcome {
    let mut args = vec!["merge"];
    args.extend(partials.iter().map(String::as_str));
    args.extend(extra);
    run(ws, &args)
}

fn assert_merge_matches(ws: &Workspace, command: &[&str], counts: &[usize]) {
    const FORMATS: [&str; 3] = ["table", "json", "csv"];
    let wholes = FORMATS.map(|format| {
        let mut args = command.to_vec();
        args.extend(["-q", "-n", TRIALS, "-f", format]);
        let whole = run(ws, &args);
        whole.assert_ok();
        whole.stdout
    });
    for &n in counts {
        let mut partials = shards(ws, command, n, &format!("{}-{n}", command[0]));
        // The order given does not matter.
        partials.reverse();
        for (format, whole) in FORMATS.iter().zip(&wholes) {
            let merged = merge(ws, &partials, &["-f", format]);
            merged.assert_ok();
            assert!(
                merged.stdout == *whole,
                "{command:?} in {n} shards, {format}: merge differs from the unsharded output"
            );
        }
    }
}

#[test]
fn merged_compare_is_the_unsharded_output_for_any_shard_count() {
    let ws = shop();
    assert_merge_matches(
        &ws,
        &["compare", "dtc_shop.csv", "dtc_shop.plans.csv"],
        &[1, 2, 3, 7],
    );
}

#[test]
fn merged_run_with_plans_and_months_is_the_unsharded_output() {
    let ws = shop();
    assert_merge_matches(
        &ws,
        &[
            "run",
            "seasonal_shop.csv",
            "--plans",
            "seasonal_shop.plans.csv",
        ],
        &[2, 3],
    );
    assert_merge_matches(&ws, &["run", "dtc_shop.csv"], &[7]);
}

#[test]
fn merge_writes_its_output_file() {
    let ws = shop();
    let partials = shards(&ws, &["run", "dtc_shop.csv"], 2, "p");
    merge(&ws, &partials, &["-f", "json", "-o", "merged.json"]).assert_ok();
    let whole = run(
        &ws,
        &["run", "dtc_shop.csv", "-q", "-n", TRIALS, "-f", "json"],
    );
    assert_eq!(ws.read("merged.json"), whole.stdout);
}

/// A partial edited as `edit` says, with its checksum recomputed.
fn forge(ws: &Workspace, from: &str, to: &str, edit: impl Fn(&mut serde_json::Value)) {
    common::forge(ws, (from, to), "/checksum", false, edit);
}

#[test]
fn every_wrong_merge_is_refused_naming_the_files() {
    let ws = shop();
    let compare = ["compare", "dtc_shop.csv", "dtc_shop.plans.csv"];
    let p = shards(&ws, &compare, 3, "c");
    let s = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    // Sanity: the forger reproduces the checksum of an unedited file.
    forge(&ws, "c-2.json", "same.json", |_| {});
    merge(&ws, &s(&["c-1.json", "same.json", "c-3.json"]), &[]).assert_ok();

    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-3.json"]), &[]),
        &["c-3.json"],
        &["trials 333..665 are in none"],
    );
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json"]), &[]),
        &["c-2.json"],
        &["665..997 are in none", "missing"],
    );
    assert_refused(
        &merge(&ws, &s(&["c-2.json", "c-3.json"]), &[]),
        &["c-2.json"],
        &["trials 0..333 are in none"],
    );
    assert_refused(
        &merge(
            &ws,
            &s(&["c-1.json", "c-2.json", "c-2.json", "c-3.json"]),
            &[],
        ),
        &["c-2.json"],
        &["overlap"],
    );
    // Shards of a different split overlap too.
    let halves = shards(&ws, &compare, 2, "h");
    assert_refused(
        &merge(&ws, &[p[0].clone(), p[1].clone(), halves[1].clone()], &[]),
        &["h-2.json", "c-2.json"],
        &["overlap"],
    );

    // Another seed, trial count, plans file, scenario or command.
    let other = |name: &str, extra: &[&str]| {
        let mut args = compare.to_vec();
        args.extend(["-q", "--shard", "2/3", "--partial", name]);
        args.extend(extra);
        if !extra.contains(&"-n") {
            args.extend(["-n", TRIALS]);
        }
        run(&ws, &args).assert_ok();
    };
    other("seed.json", &["-s", "7"]);
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "seed.json", "c-3.json"]), &[]),
        &["seed.json", "c-1.json"],
        &["seed 7 differs"],
    );
    other("trials.json", &["-n", "998"]);
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "trials.json", "c-3.json"]), &[]),
        &["trials.json"],
        &["trial count 998 differs"],
    );
    let plans = String::from_utf8(ws.read("dtc_shop.plans.csv"))
        .unwrap()
        .replace("80000", "81000");
    assert_ne!(
        plans.as_bytes(),
        ws.read("dtc_shop.plans.csv"),
        "the edit must change the plans"
    );
    ws.write("edited.plans.csv", plans);
    third_shard(
        &ws,
        &["compare", "dtc_shop.csv", "edited.plans.csv"],
        "plans.json",
    );
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "plans.json"]), &[]),
        &["plans.json"],
        &["input hash", "not of the same run"],
    );
    third_shard(
        &ws,
        &["run", "dtc_shop.csv", "--plans", "dtc_shop.plans.csv"],
        "run.json",
    );
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "run.json"]), &[]),
        &["run.json"],
        &["command run differs"],
    );

    // The same scenario under another name: the output names it after its file.
    ws.write("renamed.csv", ws.read("dtc_shop.csv"));
    third_shard(
        &ws,
        &["compare", "renamed.csv", "dtc_shop.plans.csv"],
        "renamed.json",
    );
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "renamed.json"]), &[]),
        &["renamed.json"],
        &["scenario name `renamed`"],
    );

    // Another model or racesim version.
    forge(&ws, "c-3.json", "model.json", |v| {
        v["model_version"] = 2.into()
    });
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "model.json"]), &[]),
        &["model.json"],
        &["model 2"],
    );
    forge(&ws, "c-3.json", "version.json", |v| {
        v["version"] = 99.into()
    });
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "version.json"]), &[]),
        &["version.json"],
        &["format version 99"],
    );

    // Truncated, damaged, or not a partial at all.
    let whole = ws.read("c-3.json");
    ws.write("truncated.json", &whole[..whole.len() / 2]);
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "truncated.json"]), &[]),
        &["truncated.json"],
        &["truncated"],
    );
    let text = String::from_utf8(whole.clone()).unwrap();
    let at = text.find("\"better\":[").unwrap() + "\"better\":[".len();
    let mut damaged = text.clone();
    damaged.insert(at, '1');
    ws.write("damaged.json", damaged);
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "damaged.json"]), &[]),
        &["damaged.json"],
        &["checksum"],
    );
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "dtc_shop.csv"]), &[]),
        &["dtc_shop.csv"],
        &["corrupt"],
    );
    ws.write("other.json", "{\"format\": \"something-else\"}");
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "other.json"]), &[]),
        &["other.json"],
        &["not a racesim partial"],
    );
    assert_refused(
        &merge(&ws, &s(&["c-1.json", "c-2.json", "gone.json"]), &[]),
        &["gone.json"],
        &["cannot read"],
    );
}

#[test]
fn what_a_shard_cannot_do_is_refused() {
    let ws = shop();
    let base = [
        "run",
        "dtc_shop.csv",
        "-q",
        "-n",
        "100",
        "--partial",
        "p.json",
        "--shard",
    ];
    let with = |shard: &str, extra: &[&str]| {
        let mut args = base.to_vec();
        args.push(shard);
        args.extend(extra);
        run(&ws, &args)
    };
    for (flag, extra) in [
        ("--report", &["--report", "r.html"][..]),
        ("--samples", &["--samples", "t.csv"][..]),
        // The old name of --samples, refused by the same name.
        ("--samples", &["--trials-csv", "t.csv"][..]),
        ("--precision", &["--precision", "0.01"][..]),
        ("--output", &["-o", "out.txt"][..]),
    ] {
        with("1/2", extra)
            .assert_code(EXIT_INPUT)
            .assert_stderr_has(&[flag, "racesim merge"]);
    }
    for bad in ["0/2", "3/2", "2", "a/b", "1/0"] {
        with(bad, &[])
            .assert_code(EXIT_INPUT)
            .assert_stderr_has(&["--shard", "K/N"]);
    }
    with("1/101", &[])
        .assert_code(EXIT_INPUT)
        .assert_stderr_has(&["101 shards of 100 trials"]);
    assert!(
        !ws.path("p.json").exists(),
        "a refused shard writes nothing"
    );
    run(&ws, &["run", "dtc_shop.csv", "--shard", "1/2"]).assert_code(EXIT_INPUT);
    let partials = shards(&ws, &["run", "dtc_shop.csv"], 1, "one");
    merge(&ws, &partials, &["--report", "r.html"])
        .assert_code(EXIT_INPUT)
        .assert_stderr_has(&["partials of `racesim run`", "racesim report"]);
}

#[test]
fn shard_auto_reads_each_engine_and_says_what_it_read() {
    let ws = shop();
    let explicit = shards(&ws, &["run", "dtc_shop.csv"], 4, "x");
    let auto = |count: &str, env: &[(&str, &str)]| {
        ws.run_with_env(
            &[
                "run",
                "dtc_shop.csv",
                "-q",
                "-n",
                TRIALS,
                "--shard",
                count,
                "--partial",
                "auto.json",
            ],
            env,
        )
    };
    let cases: [(&str, Env, &str); 5] = [
        (
            "auto",
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "SLURM_ARRAY_TASK_ID=2",
        ),
        (
            "auto",
            &[
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", "4"),
            ],
            "SLURM_ARRAY_TASK_MAX=4",
        ),
        (
            "auto/4",
            &[("JOB_COMPLETION_INDEX", "2")],
            "JOB_COMPLETION_INDEX=2",
        ),
        (
            "auto",
            &[
                ("AWS_BATCH_JOB_ARRAY_INDEX", "2"),
                ("AWS_BATCH_JOB_ARRAY_SIZE", "4"),
            ],
            "AWS_BATCH_JOB_ARRAY_SIZE=4",
        ),
        (
            "auto/4",
            &[("AWS_BATCH_JOB_ARRAY_INDEX", "2")],
            "AWS_BATCH_JOB_ARRAY_INDEX=2",
        ),
    ];
    for (spec, env, read) in cases {
        auto(spec, env)
            .assert_ok()
            .assert_stderr_has(&["shard 3/4 from", read]);
        assert_eq!(ws.read("auto.json"), ws.read(&explicit[2]), "{env:?}");
    }
    auto("auto", &[])
        .assert_code(EXIT_INPUT)
        .assert_stderr_has(&[
            "SLURM_ARRAY_TASK_ID",
            "JOB_COMPLETION_INDEX",
            "AWS_BATCH_JOB_ARRAY_INDEX",
        ]);
    auto("auto", &[("JOB_COMPLETION_INDEX", "1")])
        .assert_code(EXIT_INPUT)
        .assert_stderr_has(&["auto/N"]);
    auto(
        "auto/3",
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    )
    .assert_code(EXIT_INPUT);
    auto(
        "auto",
        &[
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    )
    .assert_code(EXIT_INPUT)
    .assert_stderr_has(&["SLURM_ARRAY_TASK_ID=x"]);
}

/// Shards of `report` (`report_args` without `-o`), merged with `--report`,
/// against the unsharded `report -o` and `run --report`.
fn assert_report_merge_matches(ws: &Workspace, report_args: &[&str], counts: &[usize]) {
    let mut whole = report_args.to_vec();
    whole.extend(["-q", "-n", TRIALS, "-o", "whole.html"]);
    run(ws, &whole).assert_ok();
    let mut via_run = report_args.to_vec();
    via_run[0] = "run";
    via_run.extend(["-q", "-n", TRIALS, "--report", "run.html"]);
    run(ws, &via_run).assert_ok();
    assert!(ws.read("whole.html") == ws.read("run.html"));
    for &n in counts {
        let mut partials = shards(ws, report_args, n, &format!("report-{n}"));
        partials.rotate_left(1);
        let merged = merge(ws, &partials, &["--report", "merged.html"]);
        merged.assert_ok();
        assert!(merged.stdout.is_empty(), "the report goes to its file");
        assert!(
            ws.read("merged.html") == ws.read("whole.html"),
            "{report_args:?} in {n} shards: the merged report differs from the unsharded one"
        );
    }
}

#[test]
fn merged_report_is_the_unsharded_report_for_any_shard_count() {
    let ws = shop();
    assert_report_merge_matches(
        &ws,
        &[
            "report",
            "seasonal_shop.csv",
            "--plans",
            "seasonal_shop.plans.csv",
        ],
        &[1, 2, 3, 7],
    );
}

#[test]
fn merged_drivers_are_the_unsharded_drivers_for_any_shard_count() {
    let ws = shop();
    assert_merge_matches(
        &ws,
        &["drivers", "dtc_shop.csv", "--plans", "dtc_shop.plans.csv"],
        &[1, 2, 3, 7],
    );
    // Another metric, and the optimum the merge computes again.
    assert_merge_matches(
        &ws,
        &[
            "drivers",
            "seasonal_shop.csv",
            "--plans",
            "seasonal_shop.plans.csv",
            "--optimize",
            "--metric",
            "revenue",
        ],
        &[3],
    );
    // `run --drivers` carries them in its output.
    assert_merge_matches(
        &ws,
        &[
            "run",
            "dtc_shop.csv",
            "--plans",
            "dtc_shop.plans.csv",
            "--drivers",
        ],
        &[3],
    );
}

#[test]
fn wrong_report_and_drivers_merges_are_refused() {
    let ws = shop();
    let report = shards(&ws, &["report", "dtc_shop.csv"], 2, "rep");
    let out = merge(&ws, &report, &[]);
    out.assert_code(EXIT_INPUT);
    out.assert_stderr_has(&["partials of `racesim report`", "--report FILE"]);
    merge(&ws, &report, &["--report", "r.html", "-o", "x.txt"])
        .assert_code(EXIT_INPUT)
        .assert_stderr_has(&["--output"]);
    run(
        &ws,
        &[
            "report",
            "dtc_shop.csv",
            "-q",
            "--shard",
            "1/2",
            "--partial",
            "p.json",
            "-o",
            "r.html",
        ],
    )
    .assert_code(EXIT_INPUT)
    .assert_stderr_has(&["--output cannot be combined with --shard"]);

    let profit = shards(&ws, &["drivers", "dtc_shop.csv"], 2, "profit");
    let revenue = shards(
        &ws,
        &["drivers", "dtc_shop.csv", "--metric", "revenue"],
        2,
        "revenue",
    );
    assert_refused(
        &merge(&ws, &[profit[0].clone(), revenue[1].clone()], &[]),
        &["revenue-2.json", "profit-1.json"],
        &["options", "drivers of revenue", "drivers of profit"],
    );
    merge(&ws, &profit, &["--report", "r.html"])
        .assert_code(EXIT_INPUT)
        .assert_stderr_has(&["partials of `racesim drivers`"]);
    // A shard of `drivers` mixed with one of `report` of the same run.
    assert_refused(
        &merge(&ws, &[profit[0].clone(), report[1].clone()], &[]),
        &["rep-2.json", "profit-1.json"],
        &["command report differs"],
    );
    // Per-trial series that do not cover the trials held.
    forge(&ws, &profit[1], "short.json", |v| {
        v["driver_values"]["outcome"].as_array_mut().unwrap().pop();
    });
    assert_refused(
        &merge(&ws, &[profit[0].clone(), "short.json".into()], &[]),
        &["short.json"],
        &["corrupt", "do not cover"],
    );
    forge(&ws, &report[0], "nosamples.json", |v| {
        v["samples"] = serde_json::Value::Null;
    });
    assert_refused(
        &merge(
            &ws,
            &["nosamples.json".into(), report[1].clone()],
            &["--report", "r.html"],
        ),
        &["nosamples.json"],
        &["corrupt", "do not fit a `report` shard"],
    );
    assert!(
        !ws.path("r.html").exists(),
        "a refused merge writes nothing"
    );
}

#[test]
fn a_workbook_scenario_and_plans_shard_and_merge_too() {
    let ws = Workspace::new();
    ws.write(
        "dtc_shop.xlsx",
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/workbooks/dtc_shop.xlsx"
        ))
        .unwrap(),
    );
    assert_merge_matches(
        &ws,
        &["run", "dtc_shop.xlsx", "--plans", "dtc_shop.xlsx"],
        &[3],
    );
}
