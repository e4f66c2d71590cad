//! `racesim compare`, the plans file's errors, and the common random
//! numbers that make per-trial comparisons meaningful.

use super::common::{self, racesim};
use std::path::Path;

use predicates::prelude::*;
use racesim::document::Document;
use racesim::engine::{self, Outcome, Workspace};
use racesim::metrics::Total;

const SCENARIO: &str = "scenarios/dtc_shop.csv";
const PLANS: &str = "scenarios/dtc_shop.plans.csv";

fn compare_json(extra: &[&str]) -> Document {
    common::success_json(
        racesim()
            .args(["compare", SCENARIO, PLANS, "-q", "-n", "600", "-f", "json"])
            .args(extra)
            .output()
            .unwrap(),
    )
}

#[test]
fn table_shows_each_plan_its_spend_changes_and_differences() {
    racesim()
        .args(["compare", SCENARIO, PLANS, "-q", "-n", "400"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("shift_to_social")
                .and(predicate::str::contains("search 70,000 → 50,000 (-20,000)"))
                .and(predicate::str::contains("cut_display"))
                .and(predicate::str::contains("total 165,000 (-30,000)"))
                .and(predicate::str::contains("P(better)")),
        );
}

#[test]
fn json_comparisons_are_paired_differences_of_the_plans() {
    let doc = compare_json(&[]);
    assert_eq!(doc.plans.len(), 4);
    assert_eq!(doc.comparisons.len(), 3 * 4);
    for c in &doc.comparisons {
        let mean = |name: &str| {
            doc.plans.iter().find(|p| p.plan == name).unwrap().metrics[&c.metric]
                .mean
                .unwrap()
        };
        let expected = mean(&c.plan) - mean(&c.against);
        let got = c.mean_difference.unwrap();
        // Means of a difference and differences of means agree when every
        // trial defines both values (these four metrics always are).
        assert!(
            (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            "{} {}: {got} vs {expected}",
            c.plan,
            c.metric
        );
        let (lo, hi) = (
            c.mean_difference_low.unwrap(),
            c.mean_difference_high.unwrap(),
        );
        assert!(lo <= got && got <= hi);
        let p = c.probability_better.unwrap();
        assert!((0.0..=1.0).contains(&p));
    }
}

#[test]
fn csv_has_one_row_per_comparison() {
    let out = racesim()
        .args(["compare", SCENARIO, PLANS, "-q", "-n", "300", "-f", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "plan");
    assert!(header.iter().any(|h| h == "probability_better"));
    let rows: Vec<_> = reader.records().map(Result::unwrap).collect();
    // 3 plans × 4 metrics against the baseline, then profit for the 9 other ordered pairs.
    assert_eq!(rows.len(), 12 + 9);
    let cut: Vec<_> = rows.iter().filter(|r| &r[0] == "cut_display").collect();
    assert_eq!(cut.len(), 4 + 2);
    assert!(cut.iter().all(|r| &r[4] == "-30000"), "spend_change column");
    assert!(
        rows[12..]
            .iter()
            .all(|r| &r[1] != "baseline" && &r[2] == "profit")
    );
}

#[test]
fn every_plan_is_ranked_and_compared_with_every_other() {
    // A fifth plan identical to more_influencers: common random numbers make the two equal
    // in every trial, so neither is ever strictly better, whichever way round.
    let dir = tempfile::tempdir().unwrap();
    let plans = dir.path().join("p.csv");
    let mut text = std::fs::read_to_string(PLANS).unwrap();
    text.push_str("twin,influencers,60000\ntwin,display,5000\n");
    std::fs::write(&plans, text).unwrap();
    let plans = plans.to_str().unwrap();
    let out = racesim()
        .args(["compare", SCENARIO, plans, "-q", "-n", "600", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = doc.plans.iter().map(|p| p.plan.as_str()).collect();
    let profit = |name: &str| {
        let p = doc.plans.iter().find(|p| p.plan == name).unwrap();
        p.metric(Total::Profit).mean.unwrap()
    };
    // The ranking holds every plan once, by mean profit.
    let mut ranked = doc.ranking.clone();
    ranked.sort();
    let mut all: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(ranked, all);
    assert!(
        doc.ranking
            .windows(2)
            .all(|w| profit(&w[0]) >= profit(&w[1])),
        "{:?}",
        doc.ranking
    );
    // Every ordered pair once.
    assert_eq!(doc.pairwise.len(), names.len() * (names.len() - 1));
    let p = |a: &str, b: &str| {
        let hits: Vec<_> = doc
            .pairwise
            .iter()
            .filter(|c| c.plan == a && c.against == b)
            .collect();
        assert_eq!(hits.len(), 1, "{a} against {b}");
        assert_eq!(hits[0].metric, "profit");
        hits[0].probability_better.unwrap()
    };
    for a in &names {
        for b in names.iter().filter(|b| *b != a) {
            // Strictly better both ways can only leave room for ties.
            assert!(p(a, b) + p(b, a) <= 1.0 + 1e-12, "{a} {b}");
        }
    }
    assert_eq!(
        (p("twin", "more_influencers"), p("more_influencers", "twin")),
        (0.0, 0.0)
    );
    // Against the baseline, the same trials give the same share as the comparisons.
    for c in doc.comparisons.iter().filter(|c| c.metric == "profit") {
        assert_eq!(
            Some(p(&c.plan, "baseline")),
            c.probability_better,
            "{}",
            c.plan
        );
    }
    // The table shows the ranking with each pair's share.
    let out = racesim()
        .args(["compare", SCENARIO, plans, "-q", "-n", "600"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let ranking = &table[table.find("RANKING by mean profit").expect("a ranking")..];
    let first = ranking.lines().nth(3).unwrap();
    assert!(
        first
            .trim_start()
            .starts_with(&format!("1  {}", doc.ranking[0])),
        "{ranking}"
    );
    let share = format!("{:.1} %", 100.0 * p(&doc.ranking[0], &doc.ranking[1]));
    assert!(first.contains(&share), "{share} not in {first}");
}

#[test]
fn output_is_identical_for_any_thread_count_and_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cmp.json");
    let one = racesim()
        .args([
            "compare", SCENARIO, PLANS, "-q", "-n", "500", "-f", "json", "-j", "1",
        ])
        .output()
        .unwrap();
    racesim()
        .args([
            "compare", SCENARIO, PLANS, "-q", "-n", "500", "-f", "json", "-j", "2", "-o",
        ])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    assert_eq!(one.stdout, std::fs::read(&file).unwrap());
}

/// A plans file `name` holding `body`, in a directory that lives as long
/// as the returned guard.
fn write_plans(name: &str, body: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    (dir, path)
}

/// `compare` with the plans file `path`, refused as invalid input.
fn refused_plans(path: &Path) -> assert_cmd::assert::Assert {
    racesim()
        .args(["compare", SCENARIO])
        .arg(path)
        .arg("-q")
        .assert()
        .code(2)
}

fn assert_plans_error(body: &str, line: u64, message: &str) {
    let (_dir, path) = write_plans("bad.plans.csv", body);
    refused_plans(&path).stderr(
        predicate::str::contains(format!("bad.plans.csv:{line}:"))
            .and(predicate::str::contains(message)),
    );
}

#[test]
fn unknown_channel_is_an_input_error_with_its_line_and_a_suggestion() {
    assert_plans_error(
        "plan,channel,spend\nshift,search,50000\nshift,socail,80000\n",
        3,
        "unknown channel `socail`",
    );
    assert_plans_error(
        "plan,channel,spend\nshift,socail,80000\n",
        2,
        "did you mean `social`?",
    );
}

#[test]
fn negative_spend_is_an_input_error_with_its_line() {
    assert_plans_error(
        "plan,channel,spend\nshift,search,50000\nshift,social,-5\n",
        3,
        "is negative",
    );
}

#[test]
fn duplicate_plan_channel_is_an_input_error_with_both_lines() {
    assert_plans_error(
        "plan,channel,spend\nshift,search,50000\nother,search,1\nshift,search,40000\n",
        4,
        "sets channel `search` twice (first on line 2)",
    );
}

/// Per-trial profit differences of two nearby plans: with the same seed
/// (common random numbers) and with the second plan on another seed.
fn profit_differences(trials: u64) -> (Vec<f64>, Vec<f64>) {
    let scenario = racesim::scenario::load(Path::new(SCENARIO)).unwrap();
    let a = scenario.baseline_spend();
    let search = scenario.channel_index("search").unwrap();
    let mut totals = scenario.baseline_totals();
    totals[search] += 5000.0;
    let b = scenario.spend_for_totals(&totals);
    let mut ws = Workspace::default();
    let mut out = Outcome::new(&scenario);
    let mut draws = Vec::new();
    let mut profit = |spend: &[Vec<f64>], seed: u64, trial: u64| {
        engine::draw_assumptions(&scenario, seed, trial, &mut draws);
        engine::simulate(&scenario, spend, &draws, seed, trial, &mut ws, &mut out);
        out.total(Total::Profit)
    };
    let (mut shared, mut independent) = (Vec::new(), Vec::new());
    for t in 0..trials {
        let base = profit(&a, 1, t);
        shared.push(profit(&b, 1, t) - base);
        independent.push(profit(&b, 2, t) - base);
    }
    (shared, independent)
}

fn variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

#[test]
fn common_random_numbers_shrink_the_variance_of_differences() {
    let (shared, independent) = profit_differences(2000);
    let (v_shared, v_independent) = (variance(&shared), variance(&independent));
    // With 2000 trials each sample variance is within a few per cent of its
    // true value, so a factor of 20 leaves no room for a fluke.
    assert!(
        v_shared * 20.0 < v_independent,
        "CRN variance {v_shared} vs independent {v_independent}"
    );
    // Both estimate the same mean effect; only the noise differs.
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let se = ((v_shared + v_independent) / 2000.0).sqrt();
    assert!((mean(&shared) - mean(&independent)).abs() < 4.0 * se);
}

#[test]
fn compare_reports_the_variance_reduction_of_common_random_numbers() {
    // Through the product, not the engine: the sd of the per-trial profit
    // difference that `compare` reports, against each plan's own profit
    // sd. Simulated independently, the difference would have about √2
    // times a plan's sd; with shared draws it is a small fraction of it.
    // On 2000 trials a sample sd is within a few per cent of the true one,
    // so a factor of 4 (16 in variance) leaves no room for a fluke.
    let (_dir, path) = write_plans(
        "p.plans.csv",
        "plan,channel,spend\nmore_search,search,75000\n\
         shift,search,50000\nshift,social,80000\n",
    );
    let out = racesim()
        .args(["compare", SCENARIO])
        .arg(&path)
        .args(["-q", "-n", "2000", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Document = serde_json::from_slice(&out.stdout).unwrap();
    let sd = |plan: &str| {
        doc.plans.iter().find(|p| p.plan == plan).unwrap().metrics["profit"]
            .sd
            .unwrap()
    };
    for c in doc.comparisons.iter().filter(|c| c.metric == "profit") {
        let d = c.difference.sd.unwrap();
        let least = sd(&c.plan).min(sd("baseline"));
        assert!(
            4.0 * d < least,
            "{}: sd of the difference {d} vs the plans' {least}",
            c.plan
        );
    }
}

#[test]
fn a_plan_identical_to_the_baseline_reads_as_identical_not_as_a_loss() {
    let (_dir, path) = write_plans("p.plans.csv", "plan,channel,spend\nsame,search,70000\n");
    let out = racesim()
        .args(["compare", SCENARIO])
        .arg(&path)
        .args(["-q", "-n", "300"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("0.0 %")).collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(
        rows.iter()
            .all(|r| r.ends_with("identical in all 300 trials")),
        "{text}"
    );
}

#[test]
fn absurd_spends_are_input_errors() {
    let (_dir, path) = write_plans("p.plans.csv", "plan,channel,spend\nshift,search,1e300\n");
    refused_plans(&path)
        .stderr(predicate::str::contains(":2: spend `1e300` is too large"))
        .stderr(predicate::str::contains("spend must be at most 1e12"));
}
