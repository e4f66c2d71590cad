//! Error messages that point at the real cause (issue 17): a look-alike
//! letter, an escape sequence in a name, a range the user never gave.

use super::common::{self, EXIT_INPUT};

fn run_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = common::racesim()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_cyrillic_letter_in_a_stage_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // `rеach` with a Cyrillic е (U+0435).
    let text = common::BASE.replacen("reach,search,spend", "r\u{435}ach,search,spend", 1);
    std::fs::write(dir.path().join("s.csv"), text).unwrap();
    let (code, stderr) = run_in(dir.path(), &["validate", "s.csv"]);
    assert_eq!(code, Some(EXIT_INPUT), "{stderr}");
    assert!(
        stderr.contains(
            "did you mean `reach`? (character 2 is `\u{435}`, U+0435, not an ASCII letter: retype it)"
        ),
        "{stderr}"
    );
}

#[test]
fn an_escape_sequence_in_a_plan_name_never_reaches_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.csv"), common::BASE).unwrap();
    std::fs::write(
        dir.path().join("p.csv"),
        "plan,channel,spend\n\u{1b}[31mred\u{1b}[0m,search,500\n",
    )
    .unwrap();
    let out = common::racesim()
        .current_dir(dir.path())
        .args(["compare", "s.csv", "p.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_INPUT));
    assert!(!out.stdout.contains(&0x1b) && !out.stderr.contains(&0x1b));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("p.csv:2: the plan name `\\u{1b}[31mred\\u{1b}[0m` has the control character U+001B (character 1)"),
        "{stderr}"
    );
}

#[test]
fn a_sub_cent_curve_does_not_blame_an_option_never_given() {
    let dir = tempfile::tempdir().unwrap();
    let text = common::BASE.replace("spend,1000", "spend,0.004");
    std::fs::write(dir.path().join("s.csv"), text).unwrap();
    let (code, stderr) = run_in(dir.path(), &["curves", "s.csv"]);
    assert_eq!(code, Some(EXIT_INPUT), "{stderr}");
    assert!(!stderr.contains("--max-spend 0.008"), "{stderr}");
    assert!(
        stderr.contains("the curve of `search` runs to twice the scenario's spend (0.008)"),
        "{stderr}"
    );
    // Given, it is what is blamed.
    let (_, stderr) = run_in(dir.path(), &["curves", "s.csv", "--max-spend", "0.05"]);
    assert!(stderr.contains("--max-spend 0.05 over"), "{stderr}");
}
