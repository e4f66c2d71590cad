//! Shards on a real Slurm cluster (issue 15): a job array runs the built
//! racesim with `--shard auto`, each task reading its index from Slurm's own
//! environment, and the merge must give the single machine's bytes.
//!
//! CI starts a single-node cluster first (tools/slurm/start.sh) and sets
//! RACESIM_REQUIRE_SLURM=1; without `sbatch` and a cluster answering `sinfo`
//! these tests skip loudly, so a fresh clone's `cargo test` still passes.

use std::io::Write;
use std::process::Command;

use super::common::Workspace;

/// A prime, so no task count divides it.
const TRIALS: &str = "997";
/// Tasks of the array: `--array=0-3`.
const TASKS: usize = 4;

/// Whether a Slurm cluster answers; without one the test skips loudly, or
/// fails when RACESIM_REQUIRE_SLURM=1.
fn cluster(test: &str) -> bool {
    let answers = Command::new("sinfo")
        .args(["-h", "-o", "%a"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if answers {
        return true;
    }
    let how = "a Slurm cluster answering `sinfo` (as root: tools/slurm/start.sh starts one)";
    if std::env::var("RACESIM_REQUIRE_SLURM").as_deref() == Ok("1") {
        panic!("RACESIM_REQUIRE_SLURM=1 but there is no Slurm cluster: {test} needs {how}");
    }
    // Straight to stderr, not eprintln!: the harness swallows a passing test's eprintln!.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: no Slurm: {test} did not run; it needs {how} \
         (set RACESIM_REQUIRE_SLURM=1 to make a missing cluster fail) ***\n"
    );
    false
}

fn shop() -> Workspace {
    Workspace::with_shipped(&["dtc_shop.csv", "dtc_shop.plans.csv"])
}

/// Submits the batch script `script` over `--array=0-3` in `ws` with the
/// extra environment `env` and waits for every task; `$RACESIM` in the
/// script is the racesim under test. Fails with the tasks' output when any
/// task failed.
fn sbatch_array(ws: &Workspace, script: &std::path::Path, env: &[(&str, &str)]) {
    let mut exports = format!("ALL,RACESIM={}", env!("CARGO_BIN_EXE_racesim"));
    for (name, value) in env {
        exports.push_str(&format!(",{name}={value}"));
    }
    // The command line overrides the script's own #SBATCH lines: four
    // tasks of one CPU each fit this machine at once.
    let out = Command::new("timeout")
        .arg("300")
        .arg("sbatch")
        .arg(format!("--array=0-{}", TASKS - 1))
        .args([
            "--wait",
            "--time=5",
            "--cpus-per-task=1",
            "--job-name=racesim-test",
        ])
        .arg(format!("--chdir={}", ws.dir().display()))
        .arg("--output=task-%a.out")
        .arg(format!("--export={exports}"))
        .arg(script)
        .output()
        .expect("run sbatch");
    let logs: String = (0..TASKS)
        .map(|t| {
            let log = std::fs::read_to_string(ws.path(&format!("task-{t}.out")))
                .unwrap_or_else(|e| format!("(no output: {e})"));
            format!("--- task {t} ---\n{log}")
        })
        .collect();
    assert!(
        out.status.success(),
        "sbatch --wait failed ({:?}): {}{}\n{logs}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Each task said which of Slurm's variables gave its shard.
    for t in 0..TASKS {
        assert!(
            logs.contains(&format!(
                "shard {}/{TASKS} from SLURM_ARRAY_TASK_ID={t}",
                t + 1
            )),
            "task {t} did not read its shard from Slurm:\n{logs}"
        );
    }
}

#[test]
fn a_slurm_array_of_run_shards_merges_to_the_single_machine_output() {
    if !cluster("a_slurm_array_of_run_shards_merges_to_the_single_machine_output") {
        return;
    }
    // The shipped example script itself, pointed at the test's files.
    let ws = shop();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/scale-out/slurm.sbatch"
    );
    sbatch_array(
        &ws,
        std::path::Path::new(script),
        &[
            ("SCENARIO", "dtc_shop.csv"),
            ("PLANS", "dtc_shop.plans.csv"),
            ("TRIALS", TRIALS),
            ("PARTS", "parts"),
        ],
    );
    let partials: Vec<String> = (0..TASKS).map(|t| format!("parts/part-{t}.json")).collect();
    for format in ["table", "json"] {
        let whole = ws.run(&[
            "run",
            "dtc_shop.csv",
            "--plans",
            "dtc_shop.plans.csv",
            "-q",
            "-n",
            TRIALS,
            "-f",
            format,
        ]);
        whole.assert_ok();
        let mut args = vec!["merge"];
        args.extend(partials.iter().map(String::as_str));
        args.extend(["-f", format]);
        let merged = ws.run(&args);
        merged.assert_ok();
        assert!(
            merged.stdout == whole.stdout,
            "{format}: the merged Slurm shards differ from the single-machine run"
        );
    }
}

#[test]
fn a_slurm_array_of_check_shards_merges_to_the_single_machine_check() {
    if !cluster("a_slurm_array_of_check_shards_merges_to_the_single_machine_check") {
        return;
    }
    // Four scenarios, two without a baseline: the check fails with exit 1,
    // which each task accepts as a verdict, not as the task failing.
    let ws = super::check_shards::portfolio(false);
    let script = ws.write(
        "check.sh",
        "#!/bin/sh\nset -eu\n\"$RACESIM\" check scenarios --baselines baselines -q -f json \
         --shard auto > \"check-$SLURM_ARRAY_TASK_ID.json\" || test $? -eq 1\n",
    );
    sbatch_array(&ws, &script, &[]);
    let whole = super::check_shards::check(&ws, &["-f", "json", "--junit", "whole.xml"]);
    whole.assert_code(1);
    let mut args = vec!["check".to_string(), "--merge".to_string()];
    args.extend((0..TASKS).map(|t| format!("check-{t}.json")));
    args.extend(["-f", "json", "--junit", "merged.xml"].map(String::from));
    let merged = ws.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    merged.assert_code(1);
    assert!(
        merged.stdout == whole.stdout,
        "the merged Slurm check differs from the single-machine check"
    );
    assert_eq!(ws.read("merged.xml"), ws.read("whole.xml"), "JUnit");
}
