//! Helpers shared by the black-box CLI tests: scratch directories holding
//! scenario files, and a way to run the `racesim` binary in them.
//!
//! Commands run with the scratch directory as their working directory and
//! get file names relative to it, so error messages read exactly as a user
//! would see them (`s.csv:7: ...`).

// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// Exit codes of racesim's public interface (src/error.rs).
pub const EXIT_OK: i32 = 0;
pub const EXIT_INPUT: i32 = 2;
pub const EXIT_FAILURE: i32 = 3;

/// A small valid scenario of six lines: one paid channel (`search`) with
/// everything it needs. Bad-input tests append their offending rows, which
/// therefore start on line 7.
pub const BASE: &str = "\
stage,channel,metric,value,note
reach,search,spend,1000,
reach,search,cost_per_visit,1.5,
act,*,rate,0.1,
convert,*,rate,0.2,
convert,*,order_value,50,
";

/// The first line of rows appended to [`BASE`].
pub const FIRST_EXTRA_LINE: u64 = 7;

/// [`BASE`] followed by `extra` (one or more complete lines, no trailing
/// newline needed).
pub fn with_base(extra: &str) -> String {
    let mut s = BASE.to_string();
    s.push_str(extra);
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// The `racesim` binary built for this test run.
pub fn racesim() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_racesim"));
    // Keep stderr free of backtraces so a panic is still recognisable but
    // the output stays small.
    cmd.env_remove("RUST_BACKTRACE");
    cmd
}

/// What a finished command produced.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Outcome {
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Asserts a clean exit with `code` and no panic, showing the output on
    /// failure.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert!(
            !self.stderr.contains("panicked"),
            "racesim panicked:\n{}",
            self.stderr
        );
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr,
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        self.assert_code(EXIT_OK)
    }

    /// Asserts stderr contains every one of `needles`.
    #[track_caller]
    pub fn assert_stderr_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr lacks {n:?}; stderr was:\n{}",
                self.stderr
            );
        }
        self
    }

    /// The typical invalid-input report: exit 2, no panic, nothing on
    /// stdout, `error:` on stderr, `file:line:` locating the problem, and
    /// each of `needles`.
    #[track_caller]
    pub fn assert_input_error(&self, file: &str, line: Option<u64>, needles: &[&str]) -> &Self {
        self.assert_code(EXIT_INPUT);
        assert!(
            self.stdout.is_empty(),
            "an invalid input must print nothing on stdout, got:\n{}",
            String::from_utf8_lossy(&self.stdout)
        );
        assert!(
            self.stderr.starts_with("error: "),
            "stderr should start with `error: `:\n{}",
            self.stderr
        );
        let location = match line {
            Some(l) => format!("{file}:{l}: "),
            None => format!("{file}: "),
        };
        assert!(
            self.stderr.contains(&location),
            "stderr should locate the problem as {location:?}:\n{}",
            self.stderr
        );
        self.assert_stderr_has(needles)
    }
}

/// A scratch directory for scenario, plans and output files.
pub struct Workspace {
    dir: TempDir,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The absolute path of `name` inside the workspace.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `contents` to `name` (creating parent directories) and
    /// returns its absolute path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directory");
        }
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read file")
    }

    /// The names of all entries in the workspace directory, sorted.
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir())
            .expect("list workspace")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A workspace holding copies of the shipped `scenarios/` files `names`.
    pub fn with_shipped(names: &[&str]) -> Self {
        let ws = Workspace::new();
        let root = env!("CARGO_MANIFEST_DIR");
        for name in names {
            ws.write(
                name,
                std::fs::read(format!("{root}/scenarios/{name}")).unwrap(),
            );
        }
        ws
    }

    /// Runs `racesim args...` with the workspace as working directory.
    pub fn run(&self, args: &[&str]) -> Outcome {
        outcome(racesim().current_dir(self.dir()).args(args))
    }

    /// `run` with exactly the array-job variables `env` of `ENGINE_VARIABLES`
    /// set.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let mut cmd = racesim();
        cmd.current_dir(self.dir()).args(args);
        for name in ENGINE_VARIABLES {
            cmd.env_remove(name);
        }
        cmd.envs(env.iter().copied());
        outcome(&mut cmd)
    }
}

/// Every variable `--shard auto` reads: cleared so the machine running the
/// tests (perhaps itself an array job) does not leak into them.
pub const ENGINE_VARIABLES: [&str; 8] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "AWS_BATCH_JOB_ARRAY_SIZE",
];

fn outcome(cmd: &mut Command) -> Outcome {
    let out = cmd.output().expect("run racesim");
    Outcome {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A refused merge: exit 2, nothing on stdout, and stderr naming every one
/// of `files` and saying each of `needles`.
#[track_caller]
pub fn assert_refused(out: &Outcome, files: &[&str], needles: &[&str]) {
    out.assert_code(EXIT_INPUT);
    assert!(out.stdout.is_empty(), "a refused merge prints nothing");
    for file in files {
        out.assert_stderr_has(&[file]);
    }
    out.assert_stderr_has(needles);
}

/// Rewrites the partial result `from` as `to` with `edit` applied and its
/// checksum (at the JSON pointer `checksum`) recomputed, as a careless tool
/// (or a forger) would, so that only the edit can be what a merge objects
/// to; `pretty` writes it indented.
pub fn forge(
    ws: &Workspace,
    (from, to): (&str, &str),
    checksum: &str,
    pretty: bool,
    edit: impl Fn(&mut serde_json::Value),
) {
    let mut value: serde_json::Value = serde_json::from_slice(&ws.read(from)).unwrap();
    edit(&mut value);
    *value.pointer_mut(checksum).unwrap() = "".into();
    let bytes = serde_json::to_vec(&value).unwrap();
    *value.pointer_mut(checksum).unwrap() =
        format!("{:016x}", racesim::scenario::fingerprint(&bytes)).into();
    let written = if pretty {
        serde_json::to_vec_pretty(&value)
    } else {
        serde_json::to_vec(&value)
    };
    ws.write(to, written.unwrap());
}

/// Writes `contents` as `name` into a fresh workspace and runs
/// `racesim validate name`. The workspace is returned so that it lives as
/// long as the caller looks at files in it.
pub fn validate_str(name: &str, contents: impl AsRef<[u8]>) -> (Workspace, Outcome) {
    let ws = Workspace::new();
    ws.write(name, contents);
    let out = ws.run(&["validate", name]);
    (ws, out)
}

/// Writes `contents` as `name` and runs both `validate` and a tiny `run` on
/// it; asserts the two report the same problem and returns the outcome.
/// An invalid scenario must be rejected by every command the same way.
#[track_caller]
pub fn check_both(name: &str, contents: impl AsRef<[u8]>) -> Outcome {
    let ws = Workspace::new();
    ws.write(name, contents);
    let validate = ws.run(&["validate", name]);
    let run = ws.run(&["run", "-q", "-n", "10", name]);
    assert_eq!(
        validate.code, run.code,
        "validate and run disagree on the exit code:\nvalidate: {}\nrun: {}",
        validate.stderr, run.stderr
    );
    assert_eq!(
        validate.stderr, run.stderr,
        "validate and run report different problems"
    );
    validate
}

/// The JSON document of `racesim run -f json` on `name` with extra `args`.
#[track_caller]
pub fn run_json(ws: &Workspace, name: &str, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["run", name, "-q", "-f", "json"];
    full.extend_from_slice(args);
    let out = ws.run(&full);
    out.assert_ok();
    serde_json::from_slice(&out.stdout).expect("run -f json prints valid JSON")
}

/// The standard output of a finished command, asserting it succeeded (its
/// stderr is the failure message).
#[track_caller]
pub fn success_stdout(out: std::process::Output) -> Vec<u8> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The JSON document a successful command printed (`-f json`).
#[track_caller]
pub fn success_json<T: serde::de::DeserializeOwned>(out: std::process::Output) -> T {
    serde_json::from_slice(&success_stdout(out)).unwrap()
}
