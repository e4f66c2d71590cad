//! Inputs that are not files, or too large to be scenarios, are refused at
//! once with a clear error (exit 2), never read forever (issue 17).

use std::time::{Duration, Instant};

use super::common::{self, EXIT_INPUT};

fn racesim_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let start = Instant::now();
    let out = common::racesim()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(20), "{args:?} hung");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), stderr)
}

#[test]
fn a_device_a_directory_or_a_huge_file_is_not_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("folder.csv")).unwrap();
    // Sparse: 70 MiB long without taking the disk space.
    let big = std::fs::File::create(dir.path().join("big.csv")).unwrap();
    big.set_len(70 << 20).unwrap();
    for (file, why) in [
        ("/dev/zero", "it is a device or socket, not a file"),
        ("folder.csv", "it is a directory, not a file"),
        ("big.csv", "it is larger than 64 MiB"),
    ] {
        for command in ["run", "validate"] {
            let (code, stderr) = racesim_in(dir.path(), &[command, file]);
            assert_eq!(code, Some(EXIT_INPUT), "{command} {file}: {stderr}");
            assert!(
                stderr.contains(&format!("{file}: cannot read the scenario: {why}")),
                "{command} {file}: {stderr}"
            );
        }
    }
    std::fs::write(dir.path().join("s.csv"), common::BASE).unwrap();
    let (code, stderr) = racesim_in(dir.path(), &["compare", "s.csv", "/dev/zero"]);
    assert_eq!(code, Some(EXIT_INPUT), "{stderr}");
    assert!(
        stderr.contains("cannot read the plans file: it is a device"),
        "{stderr}"
    );
}

#[test]
fn check_refuses_a_plans_file_or_baseline_that_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("s")).unwrap();
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::write(
        root.join("s/a.csv"),
        common::with_base("plan,*,trials,200,"),
    )
    .unwrap();
    // A plans file that is a directory used to be skipped silently.
    std::fs::create_dir(root.join("s/a.plans.csv")).unwrap();
    let args = ["check", "-q", "s", "--baselines", "b"];
    let (code, stderr) = racesim_in(root, &args);
    assert_eq!(code, Some(EXIT_INPUT), "{stderr}");
    assert!(
        stderr.contains("s/a.plans.csv: cannot read the plans file: it is a directory"),
        "{stderr}"
    );
    std::fs::remove_dir(root.join("s/a.plans.csv")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/zero", root.join("s/a.plans.csv")).unwrap();
        let (code, stderr) = racesim_in(root, &args);
        assert_eq!(code, Some(EXIT_INPUT), "{stderr}");
        assert!(stderr.contains("it is a device"), "{stderr}");
        std::fs::remove_file(root.join("s/a.plans.csv")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("b/a.json")).unwrap();
        let (code, stderr) = racesim_in(root, &args);
        assert_eq!(code, Some(EXIT_INPUT), "{stderr}");
        assert!(
            stderr.contains("b/a.json: cannot read the baseline: it is a device"),
            "{stderr}"
        );
    }
}
