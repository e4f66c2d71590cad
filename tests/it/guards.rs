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
    ]);
    assert!(out.stdout.is_empty());
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
