//! `racesim track`: the warm start of the reforecast, the forecast check,
//! then → now, determinism and the command line.

use std::path::Path;

use racesim::engine::observed::CellMetric;
use racesim::engine::{self, Outcome, Workspace};
use racesim::metrics::Monthly;
use racesim::scenario::{Scenario, parse_str};
use racesim::track::Actuals;
use racesim::track::reforecast::observed;
use serde_json::Value;
use statrs::distribution::{Discrete, DiscreteCDF, Poisson};

use super::common::{self, EXIT_INPUT};

fn scenario(text: &str) -> Scenario {
    parse_str(Path::new("s.csv"), text).expect("valid scenario")
}

fn actuals(s: &Scenario, text: &str) -> Actuals {
    Actuals::parse_str(Path::new("a.csv"), text, s).expect("valid actuals")
}

/// Two paid channels, uncertain rates, repeat orders and referrals: every
/// part of a month the actuals can pin.
const SHOP: &str = "stage,channel,metric,value\n\
plan,*,horizon_months,8\n\
plan,*,campaign_months,4\n\
reach,search,spend,40000\n\
reach,search,cost_per_visit,\"pert(0.8, 1.0, 1.4)\"\n\
reach,search,audience,100000\n\
reach,social,spend,20000\n\
reach,social,cost_per_visit,\"uniform(0.5, 0.9)\"\n\
act,*,rate,\"beta(20, 380)\"\n\
convert,*,rate,\"pert(0.2, 0.3, 0.4)\"\n\
convert,*,order_value,\"lognormal(60, 10)\"\n\
convert,*,order_value_cv,0.5\n\
engage,*,churn,0.15\n\
engage,*,churn_polarization,0.3\n\
engage,*,repeat_rate,0.2\n\
engage,*,referral_rate,0.05\n\
act,referral,rate,0.2\n";

const SHOP_ACTUALS: &str = "month,channel,metric,value\n\
1,search,spend,10000\n1,search,visitors,9000\n1,search,leads,480\n1,search,customers,140\n1,search,revenue,9000\n\
1,social,spend,5000\n1,social,visitors,7000\n1,social,leads,330\n1,social,customers,100\n1,social,revenue,6100\n\
2,search,spend,12000\n2,search,visitors,10500\n2,search,leads,520\n2,search,customers,150\n2,search,revenue,14000\n\
2,social,spend,5000\n2,social,visitors,6800\n2,social,leads,300\n2,social,customers,95\n2,social,revenue,8000\n";

/// Each trial of `s` with the months `a` observes pinned, on its prior
/// draws, with every channel's monthly counts kept.
fn warm_trials(s: &Scenario, a: &Actuals, trials: u64) -> Vec<Outcome> {
    let pinned = observed(s, a);
    let spend = a.spend_with(&s.baseline_spend());
    let mut ws = Workspace::default();
    let mut draws = Vec::new();
    (0..trials)
        .map(|trial| {
            let mut out = Outcome::with_cells(s);
            engine::draw_assumptions(s, 3, trial, &mut draws);
            engine::simulate_observed(
                s,
                &spend,
                &draws,
                3,
                trial,
                Some(&pinned),
                &mut ws,
                &mut out,
            );
            out
        })
        .collect()
}

#[test]
fn observed_months_equal_the_actuals_in_every_trial() {
    let s = scenario(SHOP);
    let a = actuals(&s, SHOP_ACTUALS);
    let search = s.channel_index("search").unwrap();
    let social = s.channel_index("social").unwrap();
    let mut later_customers = 0.0;
    for out in warm_trials(&s, &a, 300) {
        for (ci, t, v, l, n, r) in [
            (search, 1, 9000.0, 480.0, 140.0, 9000.0),
            (social, 1, 7000.0, 330.0, 100.0, 6100.0),
            (search, 2, 10500.0, 520.0, 150.0, 14000.0),
            (social, 2, 6800.0, 300.0, 95.0, 8000.0),
        ] {
            assert_eq!(out.cell(ci, t, CellMetric::Visitors), v);
            assert_eq!(out.cell(ci, t, CellMetric::Leads), l);
            assert_eq!(out.cell(ci, t, CellMetric::Customers), n);
            assert_eq!(out.cell(ci, t, CellMetric::Revenue), r);
        }
        // The referral channel acquires nobody in month 1 (nobody has
        // referred yet) and its month-2 revenue is not given, so the
        // months' totals are the paid channels' actuals plus referrals.
        let referral = s.referral_index().unwrap();
        assert_eq!(out.monthly[0][Monthly::Revenue.index()], 15100.0);
        assert_eq!(out.monthly[0][Monthly::Customers.index()], 240.0);
        assert_eq!(
            out.monthly[1][Monthly::Customers.index()],
            245.0 + out.cell(referral, 2, CellMetric::Customers)
        );
        assert_eq!(out.monthly[0][Monthly::Cost.index()], 15000.0);
        assert_eq!(out.monthly[1][Monthly::Cost.index()], 17000.0);
        later_customers += out.monthly[2][Monthly::Customers.index()];
    }
    // Months after the actuals are simulated with the plan's spend.
    assert!(later_customers > 0.0);
}

/// Only customers observed: visitors and leads are drawn above them, and
/// the audience reached is removed (search's month-1 visitors never exceed
/// its audience, and leads nest between customers and visitors).
#[test]
fn unobserved_counts_nest_around_the_observed_ones() {
    let s = scenario(SHOP);
    let a = actuals(&s, "month,channel,metric,value\n1,search,customers,130\n");
    let search = s.channel_index("search").unwrap();
    for out in warm_trials(&s, &a, 300) {
        let v = out.cell(search, 1, CellMetric::Visitors);
        let l = out.cell(search, 1, CellMetric::Leads);
        assert_eq!(out.cell(search, 1, CellMetric::Customers), 130.0);
        assert!(v >= l && l >= 130.0, "{v} {l}");
        assert!(v + out.cell(search, 2, CellMetric::Visitors) <= 100_000.0);
    }
}

/// Observed cohorts of 1000 (month 1) and 500 (month 2) customers, no
/// spend after month 2: the customers active in month 3 are the survivors,
/// with mean 1000·S(2) + 500·S(1), S(k) = B(α, β + k)/B(α, β) (spec §4.3),
/// each customer surviving independently.
#[test]
fn observed_cohorts_survive_by_the_shifted_beta_geometric_law() {
    let s = scenario(
        "stage,channel,metric,value\n\
         plan,*,horizon_months,4\n\
         plan,*,campaign_months,2\n\
         reach,search,spend,1000\n\
         reach,search,cost_per_visit,1\n\
         act,*,rate,0.1\n\
         convert,*,rate,0.2\n\
         convert,*,order_value,50\n\
         engage,*,churn,0.25\n\
         engage,*,churn_polarization,0.3\n",
    );
    let a = actuals(
        &s,
        "month,channel,metric,value\n1,search,customers,1000\n2,search,customers,500\n",
    );
    let (churn, phi) = (0.25, 0.3);
    let alpha = churn * (1.0 / phi - 1.0);
    let beta = (1.0 - churn) * (1.0 / phi - 1.0);
    let survival = |k: usize| -> f64 {
        (1..=k)
            .map(|j| (beta + j as f64 - 1.0) / (alpha + beta + j as f64 - 1.0))
            .product()
    };
    let (s1, s2) = (survival(1), survival(2));
    let mean = 1000.0 * s2 + 500.0 * s1;
    let variance = 1000.0 * s2 * (1.0 - s2) + 500.0 * s1 * (1.0 - s1);
    let trials = 4000;
    let active: f64 = warm_trials(&s, &a, trials)
        .iter()
        .map(|o| o.monthly[2][Monthly::ActiveCustomers.index()])
        .sum();
    let got = active / trials as f64;
    let se = (variance / trials as f64).sqrt();
    assert!(
        (got - mean).abs() < 5.0 * se,
        "active in month 3: {got} vs {mean} ± {se}"
    );
}

fn track_json(ws: &common::Workspace, extra: &[&str]) -> Value {
    let mut args = vec!["track", "s.csv", "a.csv", "-q", "-f", "json"];
    args.extend_from_slice(extra);
    let out = ws.run(&args);
    out.assert_code(common::EXIT_OK);
    serde_json::from_slice(&out.stdout).expect("track writes JSON")
}

/// Fixed assumptions and no audience: a month's visitors are
/// Poisson(S/v) and its leads Poisson(S/v · act), so an actual's rank
/// percentile and the forecast's median have closed forms.
#[test]
fn forecast_check_percentiles_match_the_poisson_law() {
    let ws = common::Workspace::new();
    ws.write(
        "s.csv",
        "stage,channel,metric,value\n\
         plan,*,horizon_months,3\n\
         plan,*,campaign_months,2\n\
         reach,search,spend,800\n\
         reach,search,cost_per_visit,2\n\
         act,*,rate,0.25\n\
         convert,*,rate,0.5\n\
         convert,*,order_value,40\n",
    );
    ws.write(
        "a.csv",
        "month,channel,metric,value\n1,search,visitors,185\n1,search,leads,64\n",
    );
    let trials = 20_000.0;
    let doc = track_json(&ws, &["-n", "20000"]);
    let rows = doc["check"]["rows"].as_array().unwrap();
    for (metric, actual, lambda) in [("visitors", 185u64, 200.0), ("leads", 64, 50.0)] {
        let row = rows.iter().find(|r| r["metric"] == metric).unwrap();
        let law = Poisson::new(lambda).unwrap();
        let want = 100.0 * (law.cdf(actual - 1) + 0.5 * law.pmf(actual));
        let got = row["percentile"].as_f64().unwrap();
        let p = want / 100.0;
        let se = 100.0 * (p * (1.0 - p) / trials).sqrt();
        assert!(
            (got - want).abs() < 5.0 * se,
            "{metric}: {got} vs {want} ± {se}"
        );
        let median = row["p50"].as_f64().unwrap();
        assert!(
            (median - law.inverse_cdf(0.5) as f64).abs() <= 1.0,
            "{metric} median {median}"
        );
        assert_eq!(row["flagged"], !(5.0..=95.0).contains(&want), "{metric}");
    }
}

#[test]
fn far_off_actuals_are_flagged_with_what_they_point_at() {
    let ws = common::Workspace::new();
    ws.write("s.csv", SHOP);
    ws.write(
        "a.csv",
        "month,channel,metric,value\n\
         1,search,visitors,4000\n2,search,visitors,4100\n\
         1,social,visitors,7000\n2,social,visitors,7100\n",
    );
    let doc = track_json(&ws, &["-n", "2000"]);
    let findings = doc["check"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(
        (f["channel"].as_str(), f["metric"].as_str()),
        (Some("search"), Some("visitors"))
    );
    assert_eq!(
        (f["first_month"].as_u64(), f["last_month"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        f["meaning"],
        "cost per visit higher (or audience smaller) than assumed"
    );
    let out = ws.run(&["track", "s.csv", "a.csv", "-q", "-n", "2000"]);
    let text = out.stdout_text();
    assert!(
        text.contains("search visitors at P0.0 in months 1–2: cost per visit higher"),
        "{text}"
    );
}

/// "Then" is the plain forecast (`run` on the same trials and seed), "now"
/// the reforecast document's own percentiles.
#[test]
fn then_and_now_are_the_forecast_and_the_reforecast() {
    let ws = common::Workspace::new();
    ws.write(
        "s.csv",
        format!("{SHOP}target,*,profit,> 0\ntarget,*,roi,>= 0.2 @ 0.5\n"),
    );
    ws.write("a.csv", SHOP_ACTUALS);
    let doc = track_json(&ws, &["-n", "3000", "-s", "5"]);
    let out = ws.run(&["run", "s.csv", "-q", "-n", "3000", "-s", "5", "-f", "json"]);
    out.assert_code(common::EXIT_OK);
    let run: Value = serde_json::from_slice(&out.stdout).unwrap();
    let then_now = &doc["then_now"];
    for m in then_now["metrics"].as_array().unwrap() {
        let name = m["metric"].as_str().unwrap();
        for q in ["p5", "p50", "p95"] {
            assert_eq!(
                m["then"][q], run["plans"][0]["metrics"][name][q],
                "{name} {q}"
            );
            assert_eq!(
                m["now"][q], doc["reforecast"]["plans"][0]["metrics"][name][q],
                "{name} {q}"
            );
        }
    }
    let targets = then_now["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    for (k, t) in targets.iter().enumerate() {
        assert_eq!(t["then"], run["plans"][0]["targets"][k]["probability"]);
        assert_eq!(
            t["now"],
            doc["reforecast"]["plans"][0]["targets"][k]["probability"]
        );
    }
    // The reforecast's observed months are the actuals in every trial.
    let revenue = &doc["reforecast"]["plans"][0]["monthly"]["revenue"][0];
    assert_eq!(
        (revenue["p5"].as_f64(), revenue["p95"].as_f64()),
        (Some(15100.0), Some(15100.0))
    );
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let ws = common::Workspace::new();
    ws.write("s.csv", SHOP);
    ws.write("a.csv", SHOP_ACTUALS);
    ws.write(
        "p.csv",
        "plan,channel,spend\nshift,search,30000\nshift,social,30000\n",
    );
    let run = |threads: &str| {
        let out = ws.run(&[
            "track", "s.csv", "a.csv", "--plans", "p.csv", "-q", "-n", "1500", "-j", threads, "-f",
            "json",
        ]);
        out.assert_code(common::EXIT_OK);
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    let doc: Value = serde_json::from_slice(&one).unwrap();
    let ranking = doc["reforecast"]["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 2, "the plans are re-ranked");
}

#[test]
fn every_format_renders_and_output_files_are_written() {
    let ws = common::Workspace::new();
    ws.write("s.csv", SHOP);
    ws.write("a.csv", SHOP_ACTUALS);
    for (format, needle) in [
        ("table", "THEN → NOW"),
        ("markdown", "## Then → now"),
        ("csv", "section,plan,channel,month,metric,statistic,value"),
    ] {
        let out = ws.run(&["track", "s.csv", "a.csv", "-q", "-n", "500", "-f", format]);
        out.assert_code(common::EXIT_OK);
        assert!(out.stdout_text().contains(needle), "{format}");
    }
    let out = ws.run(&[
        "track", "s.csv", "a.csv", "-q", "-n", "500", "-o", "out.txt",
    ]);
    out.assert_code(common::EXIT_OK);
    assert!(
        String::from_utf8(ws.read("out.txt"))
            .unwrap()
            .contains("FORECAST CHECK")
    );
}

#[test]
fn bad_input_exits_2_with_the_file_and_line() {
    let ws = common::Workspace::new();
    ws.write("s.csv", SHOP);
    ws.write("a.csv", SHOP_ACTUALS);
    ws.write(
        "bad.csv",
        "month,channel,metric,value\n1,serch,visitors,10\n",
    );
    ws.write(
        "gap.csv",
        "month,channel,metric,value\n1,search,visitors,10\n3,search,visitors,10\n",
    );
    ws.write("p.csv", "plan,channel,spend\nx,nowhere,100\n");
    for args in [
        vec!["track", "s.csv", "bad.csv", "-q"],
        vec!["track", "s.csv", "gap.csv", "-q"],
        vec!["track", "s.csv", "missing.csv", "-q"],
        vec!["track", "missing.csv", "a.csv", "-q"],
        vec!["track", "s.csv", "a.csv", "-q", "--plans", "p.csv"],
        vec!["track", "s.csv", "a.csv", "-q", "-n", "0"],
        vec!["track", "s.csv", "a.csv", "-q", "-f", "yaml"],
        vec!["track", "s.csv"],
    ] {
        let out = ws.run(&args);
        out.assert_code(EXIT_INPUT);
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    ws.run(&["track", "s.csv", "bad.csv", "-q"])
        .assert_input_error("bad.csv", Some(2), &["serch"]);
}

#[test]
fn the_shipped_example_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = common::racesim()
        .current_dir(root)
        .args([
            "track",
            "scenarios/dtc_shop.csv",
            "examples/data/dtc_shop.actuals.csv",
            "-q",
            "-n",
            "1000",
        ])
        .output()
        .expect("run racesim");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for section in ["FORECAST CHECK", "UPDATE", "REFORECAST", "THEN → NOW"] {
        assert!(text.contains(section), "{section}");
    }
}

#[test]
fn the_written_scenario_carries_the_posterior_and_runs() {
    let ws = common::Workspace::new();
    ws.write("s.csv", SHOP);
    ws.write("a.csv", SHOP_ACTUALS);
    let out = ws.run(&[
        "track",
        "s.csv",
        "a.csv",
        "-q",
        "-n",
        "1000",
        "--write-scenario",
        "next.csv",
    ]);
    out.assert_code(common::EXIT_OK);
    let next = String::from_utf8(ws.read("next.csv")).unwrap();
    assert!(
        next.contains("updated with actuals through month 2"),
        "{next}"
    );
    ws.run(&["run", "next.csv", "-q", "-n", "200"])
        .assert_code(common::EXIT_OK);
}

#[test]
fn the_report_draws_every_tracked_quantity() {
    let ws = common::Workspace::new();
    ws.write("s.csv", SHOP);
    ws.write("a.csv", SHOP_ACTUALS);
    let out = ws.run(&[
        "track", "s.csv", "a.csv", "-q", "-n", "500", "--report", "r.html",
    ]);
    out.assert_code(common::EXIT_OK);
    let html = String::from_utf8(ws.read("r.html")).unwrap();
    for needle in [
        "Actuals against the forecast",
        "What the actuals taught",
        "Then → now",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    // One chart per (channel, counted or money quantity): 2 channels × 4.
    assert_eq!(html.matches("<svg").count(), 8);
}
