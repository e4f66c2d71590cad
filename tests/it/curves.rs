//! `racesim curves`: response curves share draws and show saturation.

use super::common::{self, racesim};
use predicates::prelude::*;
use racesim::curves::CurvesDoc;
use racesim::document::Document;

const SCENARIO: &str = "scenarios/dtc_shop.csv";

fn curves_json(args: &[&str]) -> CurvesDoc {
    common::success_json(
        racesim()
            .args(["curves", SCENARIO, "-q", "-f", "json"])
            .args(args)
            .output()
            .unwrap(),
    )
}

#[test]
fn saturation_makes_marginal_roi_fall_along_the_curve() {
    // influencers: 120k audience at ~0.70 per visit, so the second half of
    // the curve reaches ever fewer new people per dollar.
    let doc = curves_json(&["--channel", "influencers", "-n", "1500", "--points", "6"]);
    let m: Vec<_> = doc.curves[0]
        .points
        .iter()
        .filter_map(|p| p.marginal_roi)
        .collect();
    assert_eq!(m.len(), 5);
    for w in m.windows(2) {
        let noise = (w[0].se.powi(2) + w[1].se.powi(2)).sqrt();
        assert!(
            w[0].mean - w[1].mean > -2.0 * noise,
            "marginal ROI rose beyond noise: {} then {}",
            w[0].mean,
            w[1].mean
        );
    }
    let (first, last) = (&m[0], &m[4]);
    let noise = (first.se.powi(2) + last.se.powi(2)).sqrt();
    assert!(
        first.mean - last.mean > 6.0 * noise,
        "no clear diminishing returns: {} → {} (noise {noise})",
        first.mean,
        last.mean
    );
}

#[test]
fn defaults_sweep_every_paid_channel_from_zero_to_twice_its_spend() {
    let doc = curves_json(&["-n", "200"]);
    let names: Vec<&str> = doc.curves.iter().map(|c| c.channel.as_str()).collect();
    assert_eq!(names, ["search", "social", "display", "influencers"]);
    for c in &doc.curves {
        assert_eq!(c.points.len(), 11);
        assert_eq!(c.points[0].spend, 0.0);
        assert_eq!(c.points[10].spend, 2.0 * c.scenario_spend);
        assert!(c.points[0].marginal_roi.is_none());
        for w in c.points.windows(2) {
            // More spend never buys fewer expected customers; with common
            // random numbers even the sample means keep that order.
            assert!(w[1].customers.mean >= w[0].customers.mean, "{}", c.channel);
            let b = &w[1].profit;
            assert!(b.p5 <= b.mean && b.mean <= b.p95);
        }
    }
}

#[test]
fn the_scenario_spend_point_reproduces_run_exactly() {
    // The middle point of a default curve is the scenario itself; sharing
    // the same trials and seed, its numbers must be `run`'s to the bit.
    let doc = curves_json(&["--channel", "social", "-n", "300"]);
    let point = &doc.curves[0].points[5];
    assert_eq!(point.spend, 60000.0);
    let out = racesim()
        .args(["run", SCENARIO, "-q", "-n", "300", "-f", "json"])
        .output()
        .unwrap();
    let run: Document = serde_json::from_slice(&out.stdout).unwrap();
    let profit = &run.plans[0].metrics["profit"];
    assert_eq!(point.profit.mean, profit.mean);
    assert_eq!(point.profit.p5, profit.p5);
    assert_eq!(point.customers.mean, run.plans[0].metrics["customers"].mean);
}

#[test]
fn max_spend_and_points_set_the_grid_and_csv_has_a_row_per_point() {
    let out = racesim()
        .args(["curves", SCENARIO, "-q", "-n", "100", "-c", "Search"])
        .args(["--points", "3", "--max-spend", "50000", "-f", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let spends: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect();
    assert_eq!(spends, ["0", "25000", "50000"]);
}

#[test]
fn bad_requests_are_usage_errors() {
    racesim()
        .args(["curves", SCENARIO, "-q", "--channel", "serch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `search`?"));
    racesim()
        .args(["curves", SCENARIO, "-q", "--channel", "referral"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no spend"));
    racesim()
        .args(["curves", SCENARIO, "-q", "--points", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 2 points"));
    racesim()
        .args(["curves", SCENARIO, "-q", "--max-spend", "-3"])
        .assert()
        .code(2);
    racesim()
        .args(["curves", SCENARIO, "-q", "--points", "201"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at most 200 points"));
    racesim()
        .args(["curves", SCENARIO, "-q", "--max-spend", "1e300"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-spend 1e300 is above"));
    racesim()
        .args([
            "curves",
            SCENARIO,
            "-q",
            "--max-spend",
            "0.01",
            "--points",
            "3",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("less than a cent"));
}

#[test]
fn the_most_points_allowed_work_and_neighbouring_points_never_print_alike() {
    let doc = curves_json(&["-c", "search", "-n", "20", "--points", "200"]);
    assert_eq!(doc.curves[0].points.len(), 200);
    let out = racesim()
        .args(["curves", SCENARIO, "-q", "-n", "20", "-c", "search"])
        .args(["--points", "3", "--max-spend", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let spends: Vec<&str> = text
        .lines()
        .filter_map(|l| l.get(1..).and_then(|r| r.split_whitespace().next()))
        .filter(|w| {
            w.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        })
        .collect();
    assert_eq!(spends, ["0.00", "0.50", "1.00"], "{text}");
}

#[test]
fn curves_do_not_depend_on_the_thread_count() {
    let run = |threads: &str| {
        racesim()
            .args([
                "curves", SCENARIO, "-q", "-n", "300", "-f", "json", "-j", threads,
            ])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn a_point_off_the_scenario_spend_is_the_run_of_that_plan() {
    // A point is put together from the other channels' shares of the same
    // trial (one channel simulated per point): counts must equal a whole
    // run of that plan exactly, money to the last bits of a sum.
    let dir = tempfile::tempdir().unwrap();
    let plans = dir.path().join("p.csv");
    std::fs::write(&plans, "plan,channel,spend\ncut,social,24000\n").unwrap();
    let doc = curves_json(&["--channel", "social", "-n", "300"]);
    let point = &doc.curves[0].points[2];
    assert_eq!(point.spend, 24000.0);
    let out = racesim()
        .args(["run", SCENARIO, "-q", "-n", "300", "-f", "json", "--plans"])
        .arg(&plans)
        .output()
        .unwrap();
    assert!(out.status.success());
    let run: Document = serde_json::from_slice(&out.stdout).unwrap();
    let plan = run.plans.iter().find(|p| p.plan == "cut").unwrap();
    for (band, metric) in [
        (&point.customers, "customers"),
        (&point.revenue, "revenue"),
        (&point.profit, "profit"),
    ] {
        let whole = &plan.metrics[metric];
        for (a, b) in [
            (band.mean, whole.mean),
            (band.p5, whole.p5),
            (band.p95, whole.p95),
        ] {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!((a - b).abs() <= 1e-9 * b.abs(), "{metric}: {a} against {b}");
        }
    }
    assert_eq!(point.customers.mean, plan.metrics["customers"].mean);
}

#[test]
fn curves_taking_several_passes_equal_each_curve_alone() {
    // Six channels of 200 points exceed one pass's points, so the curves
    // are simulated in two groups; each must still be what sweeping its
    // channel alone gives, to the bit.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("stage,channel,metric,value\nplan,*,horizon_months,6\n");
    for c in 0..6 {
        text.push_str(&format!(
            "reach,c{c},spend,{}\nreach,c{c},cost_per_visit,\"uniform(0.8, 1.2)\"\n",
            1000 + 100 * c
        ));
    }
    text.push_str("act,*,rate,0.1\nconvert,*,rate,0.2\nconvert,*,order_value,50\nengage,*,referral_rate,0.05\nact,referral,rate,0.2\n");
    let scenario = dir.path().join("six.csv");
    std::fs::write(&scenario, text).unwrap();
    const { assert!(6 * 200 > racesim::curves::POINTS_PER_PASS) };
    let curves = |extra: &[&str]| -> CurvesDoc {
        let out = racesim()
            .arg("curves")
            .arg(&scenario)
            .args(["-q", "-n", "40", "--points", "200", "-f", "json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let all = curves(&[]);
    assert_eq!(all.curves.len(), 6);
    for name in ["c0", "c5"] {
        let alone = curves(&["-c", name]);
        let together = all.curves.iter().find(|c| c.channel == name).unwrap();
        assert_eq!(&alone.curves[0], together, "{name}");
    }
}
