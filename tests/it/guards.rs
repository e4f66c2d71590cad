//! Issue 17's guards: a run never hands on NaN or infinities, never runs on
//! after its numbers stopped meaning anything, and `check` cannot be held
//! hostage by one scenario.

use super::common;

use common::{EXIT_INPUT, Workspace};

/// A referral cycle that explodes within months of a 600-month horizon.
const RUNAWAY: &str = "\
stage,channel,metric,value
plan,*,horizon_months,600
reach,search,spend,1000
reach,search,cost_per_visit,1
act,*,rate,0.5
convert,*,rate,0.5
convert,*,order_value,50
engage,*,churn,0.01
engage,*,referral_rate,\"uniform(1.9, 2)\"
";

#[test]
fn a_runaway_referral_cycle_stops_the_run_at_its_first_trial() {
    let ws = Workspace::new();
    ws.write("s.csv", RUNAWAY);
    // A million trials would take minutes had every one been simulated.
    let out = ws.run(&["run", "-q", "-n", "1000000", "--threads", "2", "s.csv"]);
    out.assert_code(EXIT_INPUT);
    out.assert_stderr_has(&[
        "s.csv",
        "in trial 0 ",
        "the run stopped there",
        "referral_rate",
        // The rows that feed the cycle, with their lines and this trial's draw.
        "the cycle's rows: line 9 engage,*,referral_rate = uniform(1.9, 2) (in this trial 1.9",
        "line 5 act,*,rate = 0.5",
        "line 8 engage,*,churn = 0.01",
    ]);
    assert!(out.stdout.is_empty());
}

/// `validate` warns about a cycle that multiplies, and the factor it
/// gives is referral_rate · act · convert · Σ_{k=1}^{H−1} (1 − churn)^k.
#[test]
fn validate_warns_when_the_referral_cycle_multiplies_and_names_its_rows() {
    let ws = Workspace::new();
    ws.write("s.csv", RUNAWAY);
    let out = ws.run(&["validate", "s.csv"]);
    out.assert_ok();
    let listing = out.stdout_text();
    let lifetime: f64 = (1..600).map(|k| 0.99f64.powi(k)).sum();
    let factor = 1.95 * 0.5 * 0.5 * lifetime;
    for needle in [
        "s.csv:9: the referral cycle multiplies".to_string(),
        format!("brings {factor:.2} more over the 600-month horizon"),
        "line 9 engage,*,referral_rate = uniform(1.9, 2) (mean 1.95)".to_string(),
    ] {
        assert!(listing.contains(&needle), "{needle:?} not in {listing}");
    }
    // The same cycle with a tenth of the rate fades out: no warning.
    ws.write("fading.csv", RUNAWAY.replace("\"uniform(1.9, 2)\"", "0.01"));
    let lifetime_factor = 0.01 * 0.25 * lifetime;
    assert!(lifetime_factor < 1.0);
    let quiet = ws.run(&["validate", "fading.csv"]);
    quiet.assert_ok();
    assert!(!quiet.stderr.contains("referral cycle"), "{}", quiet.stderr);
}

#[test]
fn a_target_far_beyond_the_data_is_left_off_the_chart_instead_of_hanging_it() {
    let ws = Workspace::new();
    // Before: the chart library's axis layout looped forever on 1e307.
    for (value, file) in [(">= 1e307", "a.csv"), ("<= -1.7e308", "b.csv")] {
        ws.write(
            file,
            common::with_base(&format!("target,*,profit,{value}\n")),
        );
        let html = format!("{file}.html");
        ws.run(&["report", "-q", "-n", "200", "-o", &html, file])
            .assert_ok();
        let page = String::from_utf8(ws.read(&html)).unwrap();
        assert!(
            page.contains("Not drawn, too far from the simulated values: target"),
            "the caption must say which target was left out"
        );
    }
}

#[test]
fn check_refuses_a_scenario_declaring_more_trials_than_its_ceiling() {
    let ws = Workspace::new();
    // 155 bytes that would otherwise hold CI for hours.
    ws.write(
        "s/huge.csv",
        common::with_base("plan,*,trials,4294967295\n"),
    );
    ws.write("s/small.csv", common::with_base("plan,*,trials,300\n"));
    let out = ws.run(&["check", "-q", "s"]);
    out.assert_code(EXIT_INPUT);
    out.assert_stderr_has(&[
        "huge.csv",
        "declares 4294967295 trials",
        "1000000, --max-trials",
        "plan,*,trials",
    ]);
    // The ceiling is adjustable, and the small scenario was still checked.
    assert!(out.stdout_text().contains("small"), "{}", out.stdout_text());
    let out = ws.run(&["check", "-q", "--max-trials", "200", "s/small.csv"]);
    out.assert_code(EXIT_INPUT);
    out.assert_stderr_has(&["declares 300 trials", "(200, --max-trials)"]);
    ws.run(&[
        "check",
        "-q",
        "--max-trials",
        "300",
        "--update",
        "s/small.csv",
    ])
    .assert_ok();
}

#[test]
fn a_flood_of_bad_plan_rows_is_capped_and_escape_sequences_are_not_echoed_raw() {
    let ws = Workspace::new();
    ws.write("s.csv", common::BASE);
    let mut plans = String::from("plan,channel,spend\n");
    plans.push_str("p,\u{1b}[2J\u{1b}[31mevil,100\n");
    for i in 0..5000 {
        plans.push_str(&format!("p{i},nowhere{i},100\n"));
    }
    ws.write("p.csv", plans);
    let out = ws.run(&["run", "-q", "-n", "10", "s.csv", "--plans", "p.csv"]);
    out.assert_code(EXIT_INPUT);
    out.assert_stderr_has(&[
        "5001 problems in",
        "\\u{1b}[31mevil",
        "and 4981 more problems",
    ]);
    assert!(
        !out.stderr.contains('\u{1b}'),
        "raw escape reached the terminal"
    );
    assert!(
        out.stderr.len() < 10_000,
        "{} bytes of errors",
        out.stderr.len()
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_output_file_is_refused_and_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::new();
    ws.write("s.csv", common::BASE);
    let out_file = ws.write("out.json", "keep me");
    std::fs::set_permissions(&out_file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = ws.run(&[
        "run", "-q", "-n", "10", "-f", "json", "-o", "out.json", "s.csv",
    ]);
    out.assert_code(3);
    out.assert_stderr_has(&["out.json", "read-only", "chmod u+w"]);
    assert_eq!(ws.read("out.json"), b"keep me");
}

#[test]
fn seeds_above_two_to_the_53_are_used_exactly() {
    let ws = Workspace::new();
    let mut docs = Vec::new();
    // 2^53 + 1 and 2^53 + 2 are the same f64 but must be different seeds.
    for seed in [
        "9007199254740993",
        "9007199254740994",
        "18446744073709551615",
    ] {
        ws.write("s.csv", common::with_base(&format!("plan,*,seed,{seed}\n")));
        let doc = common::run_json(&ws, "s.csv", &["-n", "50"]);
        assert_eq!(doc["seed"].to_string(), seed);
        docs.push(
            doc["plans"][0]["metrics"]["profit"]["mean"]
                .as_f64()
                .unwrap(),
        );
    }
    assert_ne!(
        docs[0], docs[1],
        "adjacent seeds past 2^53 gave the same draws"
    );
    ws.write(
        "s.csv",
        common::with_base("plan,*,seed,18446744073709551616\n"),
    );
    ws.run(&["run", "-q", "-n", "10", "s.csv"])
        .assert_input_error(
            "s.csv",
            Some(common::FIRST_EXTRA_LINE),
            &["plan.seed", "18446744073709551615"],
        );
}
