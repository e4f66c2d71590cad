//! `racesim fit`: published data, recovery from the engine's own
//! simulation, closed forms, the round trip into a scenario, and every
//! malformed input.

use super::common;

use common::{BASE, Workspace};
use racesim::engine::engage::Retention;
use racesim::fit::retention::{self, Cohort};
use racesim::sampling::TrialRng;
use rand::SeedableRng;

const REGULAR: &str = include_str!("../../examples/data/fader_hardie_regular.csv");
const HIGH_END: &str = include_str!("../../examples/data/fader_hardie_high_end.csv");

fn json(out: &common::Outcome) -> serde_json::Value {
    out.assert_ok();
    serde_json::from_slice(&out.stdout).expect("fit -f json prints JSON")
}

fn value(doc: &serde_json::Value, path: &[&str]) -> f64 {
    let mut v = doc;
    for p in path {
        v = &v[*p];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number in {doc}"))
}

/// Fader & Hardie (2007): regular α = 0.704, β = 1.182; high end
/// α = 0.668, β = 3.806, fitted to years 1–7 of a cohort of 1000.
#[test]
fn reproduces_the_published_estimates() {
    let ws = Workspace::new();
    ws.write("regular.csv", REGULAR);
    ws.write("high_end.csv", HIGH_END);
    for (file, alpha, beta) in [
        ("regular.csv", "0.704", "1.182"),
        ("high_end.csv", "0.668", "3.806"),
    ] {
        let doc = json(&ws.run(&["fit", "retention", file, "-f", "json"]));
        assert_eq!(doc["schema_version"], 1);
        assert_eq!(
            format!("{:.3}", value(&doc, &["estimates", "alpha", "value"])),
            alpha
        );
        assert_eq!(
            format!("{:.3}", value(&doc, &["estimates", "beta", "value"])),
            beta
        );
        let a: f64 = alpha.parse().unwrap();
        let b: f64 = beta.parse().unwrap();
        let churn = value(&doc, &["estimates", "churn", "value"]);
        let phi = value(&doc, &["estimates", "churn_polarization", "value"]);
        assert!((churn - a / (a + b)).abs() < 1e-3);
        assert!((phi - 1.0 / (a + b + 1.0)).abs() < 1e-3);
    }
}

/// Cohorts drawn by the engine's own retention (spec §4.3) for customers
/// acquired in month 1: `active[k]` is the number still active after k
/// month ends.
fn simulate_cohorts(
    rng: &mut TrialRng,
    churn: f64,
    phi: f64,
    sizes: &[(u64, usize)],
) -> Vec<Cohort> {
    let mut retention = Retention::default();
    sizes
        .iter()
        .enumerate()
        .map(|(i, &(n, months))| {
            let horizon = months + 1;
            retention.reset(churn, phi, horizon);
            retention.acquire(rng, 1, n);
            let mut active = vec![n];
            for month in 1..=horizon {
                let returning = retention.returning(month);
                if month >= 2 {
                    active.push(returning);
                }
                retention.month_end(rng, month);
            }
            Cohort {
                name: format!("c{i}"),
                active,
            }
        })
        .collect()
}

/// α = 0.9, β = 4 (churn 0.184, φ 0.169), twelve monthly cohorts of
/// different sizes, observed for 12 down to 1 months.
const CHURN: f64 = 0.9 / 4.9;
const PHI: f64 = 1.0 / 5.9;
fn cohort_shape(scale: u64) -> Vec<(u64, usize)> {
    (0..12)
        .map(|i| (scale * (8 + (i as u64 * 5) % 7), 12 - i))
        .collect()
}

#[test]
fn recovers_alpha_and_beta_from_the_engines_simulation_within_two_ses() {
    let mut rng = TrialRng::seed_from_u64(13);
    let cohorts = simulate_cohorts(&mut rng, CHURN, PHI, &cohort_shape(500));
    let f = retention::fit(&cohorts).expect("fit");
    assert!(
        (f.alpha.value - 0.9).abs() < 2.0 * f.alpha.se,
        "α {:?}",
        f.alpha
    );
    assert!(
        (f.beta.value - 4.0).abs() < 2.0 * f.beta.se,
        "β {:?}",
        f.beta
    );
    assert!(
        (f.churn.value - CHURN).abs() < 2.0 * f.churn.se,
        "churn {:?}",
        f.churn
    );
}

/// Over repeated simulations the estimates centre on the truth and their
/// spread is what the observed-information standard errors say. With R
/// replications the sample sd has a relative standard error of about
/// 1/√(2R) (4.1 % at R = 300), so 4 of those allow 16 %, and the mean
/// estimate must lie within 4.5 standard errors of the mean of the truth.
#[test]
fn standard_errors_match_the_spread_of_repeated_fits() {
    const R: usize = 300;
    let mut rng = TrialRng::seed_from_u64(2007);
    let shape = cohort_shape(150);
    let fits: Vec<_> = (0..R)
        .map(|_| retention::fit(&simulate_cohorts(&mut rng, CHURN, PHI, &shape)).expect("fit"))
        .collect();
    let check = |name: &str,
                 truth: f64,
                 est: &dyn Fn(&retention::RetentionFit) -> retention::Estimate| {
        let values: Vec<f64> = fits.iter().map(|f| est(f).value).collect();
        let mean = values.iter().sum::<f64>() / R as f64;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (R - 1) as f64).sqrt();
        // The typical reported standard error (root mean square).
        let se = (fits.iter().map(|f| est(f).se.powi(2)).sum::<f64>() / R as f64).sqrt();
        assert!(
            (mean - truth).abs() < 4.5 * sd / (R as f64).sqrt(),
            "{name}: mean of fits {mean} vs truth {truth} (sd {sd})"
        );
        let ratio = sd / se;
        assert!(
            (ratio - 1.0).abs() < 4.0 / (2.0 * R as f64).sqrt(),
            "{name}: spread of fits {sd} vs reported se {se} (ratio {ratio})"
        );
    };
    check("churn", CHURN, &|f| f.churn);
    check("polarization", PHI, &|f| f.churn_polarization);
}

#[test]
fn long_and_wide_layouts_read_the_same_cohorts() {
    let ws = Workspace::new();
    ws.write(
        "long.csv",
        "Cohort,Month,Active,Revenue\nJan,0,\"1,000\",9\nJan,1,700,\nJan,2,560,\nFeb,0,800,\nFeb,1,570,\n",
    );
    ws.write(
        "wide.csv",
        "cohort,Month 0,Month 1,Month 2\nJan,1000,700,560\nFeb,800,570,\n",
    );
    let long = ws.run(&["fit", "retention", "long.csv", "-f", "json"]);
    let wide = ws.run(&["fit", "retention", "wide.csv", "-f", "json"]);
    long.assert_stderr_has(&["long layout", "ignored column `Revenue`"]);
    wide.assert_stderr_has(&["wide layout"]);
    let (l, w) = (json(&long), json(&wide));
    assert_eq!(l["estimates"], w["estimates"]);
    assert_eq!(l["cohorts"], 2);
    assert_eq!(l["customers"], 1800);
}

#[test]
fn uncertain_churn_is_a_beta_with_the_fits_mean_and_error() {
    let ws = Workspace::new();
    ws.write("regular.csv", REGULAR);
    let doc = json(&ws.run(&[
        "fit",
        "retention",
        "regular.csv",
        "--uncertain",
        "-f",
        "json",
    ]));
    let v = doc["rows"][0]["value"].as_str().unwrap();
    let inner = v
        .strip_prefix("beta(")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap();
    let (a, b) = inner.split_once(", ").unwrap();
    let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
    let mean = a / (a + b);
    let sd = (a * b / ((a + b).powi(2) * (a + b + 1.0))).sqrt();
    let churn = value(&doc, &["estimates", "churn", "value"]);
    let se = value(&doc, &["estimates", "churn", "se"]);
    assert!((mean - churn).abs() < 1e-4 * churn, "{mean} {churn}");
    assert!((sd - se).abs() < 1e-3 * se, "{sd} {se}");
}

#[test]
fn a_rate_from_counts_is_the_uniform_prior_posterior() {
    let ws = Workspace::new();
    let out = ws.run(&[
        "fit",
        "rate",
        "--successes",
        "42",
        "--trials",
        "1000",
        "--stage",
        "convert",
        "-c",
        "search",
    ]);
    out.assert_ok();
    assert_eq!(
        out.stdout_text()
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .take(4)
            .collect::<Vec<_>>(),
        ["convert", "search", "rate", "\"beta(43"]
    );
    assert!(out.stdout_text().contains("\"beta(43, 959)\""));
}

#[test]
fn rates_that_differ_get_a_beta_across_them_and_equal_ones_pool() {
    let ws = Workspace::new();
    ws.write(
        "same.csv",
        "name,successes,trials\na,50,1000\nb,52,1000\nc,49,1000\n",
    );
    ws.write(
        "differ.csv",
        "page,Visitors,Leads\nhome,\"10,000\",200\npricing,\"10,000\",500\nblog,\"10,000\",800\n",
    );
    let same = json(&ws.run(&["fit", "rate", "same.csv", "-f", "json"]));
    assert_eq!(same["choice"], "pooled");
    assert_eq!(same["rows"][0]["value"], "beta(152, 2850)");
    let differ = ws.run(&["fit", "rate", "differ.csv", "-f", "json"]);
    differ.assert_stderr_has(&["the rates differ"]);
    let d = json(&differ);
    assert_eq!(d["choice"], "spread");
    // Closed form: rates 0.02, 0.05, 0.08, mean 0.05, sample variance
    // 0.0009, less the binomial 0.05 · 0.95 / 10000.
    let mean = value(&d, &["estimates", "mean"]);
    let sd = value(&d, &["estimates", "sd"]);
    assert!((mean - 0.05).abs() < 1e-12);
    assert!((sd * sd - (0.0009 - 0.05 * 0.95 / 10_000.0)).abs() < 1e-12);
    let p = value(&d, &["diagnostics", "homogeneity", "p_value"]);
    assert!(p < 1e-10);
}

#[test]
fn order_values_against_closed_forms() {
    let ws = Workspace::new();
    ws.write(
        "o.csv",
        "id,Amount,currency\n1,\"1,010.00\",EUR\n2,990,EUR\n3,1000,EUR\n4,1020,EUR\n5,980,EUR\n",
    );
    let out = ws.run(&["fit", "orders", "o.csv", "--column", "amount", "-f", "json"]);
    out.assert_stderr_has(&["only 5 orders", "ignored columns `id`, `currency`"]);
    let d = json(&out);
    // mean 1000, sample sd √(1000/4) = 15.811, se 15.811/√5 = 7.0711.
    assert_eq!(value(&d, &["estimates", "order_value", "value"]), 1000.0);
    assert!(
        (value(&d, &["estimates", "order_value", "se"]) - 250f64.sqrt() / 5f64.sqrt()).abs() < 1e-9
    );
    assert!(
        (value(&d, &["estimates", "order_value_cv", "value"]) - 250f64.sqrt() / 1000.0).abs()
            < 1e-12
    );
    assert_eq!(d["rows"][0]["value"], "lognormal(1000, 7.07)");
}

#[test]
fn reach_tells_saturation_from_none() {
    let ws = Workspace::new();
    // Visits in proportion to spend: no audience to find.
    ws.write("flat.csv", "date,spend,clicks\n2025-01-06,1000,800\n2025-01-13,2000,1600\n2025-01-20,1500,1200\n2025-01-27,3000,2400\n");
    let flat = ws.run(&["fit", "reach", "flat.csv", "--channel", "Search"]);
    flat.assert_ok()
        .assert_stderr_has(&["no audience row", "ignored column `date`"]);
    let rows = flat.stdout_text();
    assert!(
        rows.contains("reach,search,cost_per_visit,\"lognormal(1.25,"),
        "{rows}"
    );
    assert!(!rows.contains("audience,"));
    ws.write(
        "sat.csv",
        include_str!("../../examples/data/search_weekly.csv"),
    );
    let d = json(&ws.run(&["fit", "reach", "sat.csv", "-c", "search", "-f", "json"]));
    let a = &d["estimates"]["audience"];
    // The example was drawn with A = 60,000 and v = 0.80.
    assert!(
        a["low"].as_f64().unwrap() < 60_000.0 && a["high"].as_f64().unwrap() > 60_000.0,
        "{a}"
    );
    assert!(value(&d, &["diagnostics", "lr_p_value"]) < 1e-6);
    let star = ws.run(&["fit", "reach", "sat.csv"]);
    star.assert_code(common::EXIT_INPUT)
        .assert_stderr_has(&["--channel"]);
}

/// The whole loop: fitted rows pasted into a scenario validate and run.
#[test]
fn fitted_rows_round_trip_into_a_scenario() {
    let ws = Workspace::new();
    ws.write(
        "cohorts.csv",
        include_str!("../../examples/data/shop_cohorts.csv"),
    );
    ws.write("orders.csv", include_str!("../../examples/data/orders.csv"));
    ws.write(
        "pages.csv",
        include_str!("../../examples/data/landing_pages.csv"),
    );
    let mut scenario = String::from(BASE);
    for args in [
        vec!["fit", "retention", "cohorts.csv", "--uncertain"],
        vec![
            "fit",
            "orders",
            "orders.csv",
            "-c",
            "search",
            "-o",
            "rows.csv",
        ],
        vec!["fit", "rate", "pages.csv", "-c", "search"],
    ] {
        let out = ws.run(&args);
        out.assert_ok();
        let text = if args.contains(&"-o") {
            assert!(out.stdout.is_empty());
            String::from_utf8(ws.read("rows.csv")).unwrap()
        } else {
            out.stdout_text()
        };
        scenario.extend(text.lines().skip(1).map(|l| format!("{l}\n")));
    }
    scenario.push_str("plan,*,horizon_months,12,\n");
    ws.write("s.csv", &scenario);
    ws.run(&["validate", "s.csv"]).assert_ok();
    let doc = common::run_json(&ws, "s.csv", &["-n", "200"]);
    assert!(
        doc["plans"][0]["metrics"]["active_customers"]["mean"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

/// A malformed input: fit kind, extra arguments, file text, the line the
/// error names (`None`: the whole file) and what the message must say.
type Case<'a> = (&'a str, &'a [&'a str], &'a str, Option<u64>, &'a [&'a str]);

/// Every malformed input: exit 2, the file and line, the offending value.
#[test]
fn malformed_inputs_are_named_by_line_and_value() {
    let cases: &[Case] = &[
        (
            "retention",
            &[],
            "cohort,month,active\na,0,100\na,1,80\na,2,90\n",
            Some(4),
            &["90", "more than the 80"],
        ),
        (
            "retention",
            &[],
            "cohort,month,active\na,0,100\na,1,-5\n",
            Some(3),
            &["`-5` is negative"],
        ),
        (
            "retention",
            &[],
            "cohort,month,active\na,1,100\na,2,80\n",
            Some(2),
            &["no month 0"],
        ),
        (
            "retention",
            &[],
            "cohort,month,active\na,0,100\na,1,many\n",
            Some(3),
            &["`many` is not a number"],
        ),
        (
            "retention",
            &[],
            "cohort,month,active\na,0,100\na,2,80\n",
            Some(3),
            &["jumps from month 0 to month 2"],
        ),
        (
            "retention",
            &[],
            "cohort,month,active\na,0,100\na,1,80\na,1,70\n",
            Some(4),
            &["month 1 is given twice", "line 3"],
        ),
        (
            "retention",
            &[],
            "cohort,month 0,month 1,month 2\na,100,,50\n",
            Some(2),
            &["no count for month 1", "`50`"],
        ),
        (
            "retention",
            &[],
            "cohort,month 0,month 1\na,100,120\n",
            Some(2),
            &["120", "more than the 100"],
        ),
        (
            "retention",
            &[],
            "cohort,month,active\na,0,100\na,1,100\n",
            None,
            &["no customer was lost"],
        ),
        ("retention", &[], "", Some(1), &["empty"]),
        (
            "retention",
            &[],
            "cohort,month,active\n",
            Some(1),
            &["no data rows"],
        ),
        (
            "retention",
            &[],
            "cohort;month;active\na;0;100\n",
            Some(1),
            &["`;`"],
        ),
        (
            "rate",
            &[],
            "name,successes,trials\na,10,100\nb,120,100\n",
            Some(3),
            &["`120` is more than trials `100`"],
        ),
        (
            "rate",
            &[],
            "name,successes,trials\na,10,1e\n",
            Some(2),
            &["`1e` is not a number"],
        ),
        (
            "rate",
            &[],
            "name,wins,trials\na,10,100\n",
            Some(1),
            &["no `successes` column"],
        ),
        ("rate", &[], "", Some(1), &["empty"]),
        (
            "orders",
            &[],
            "amount\n10\n-4\n",
            Some(3),
            &["`-4` is negative"],
        ),
        (
            "orders",
            &[],
            "amount\n10\n12,5\n",
            Some(3),
            &["`12,5` has 2 fields"],
        ),
        ("orders", &[], "id,sku\n1,x\n", Some(1), &["--column"]),
        (
            "orders",
            &["--column", "price"],
            "amount\n10\n",
            Some(1),
            &["no `price` column"],
        ),
        (
            "orders",
            &[],
            "amount\n10\nabc\n",
            Some(3),
            &["`abc` is not a number"],
        ),
        (
            "reach",
            &["-c", "search"],
            "spend,visits\n100,50\n0,20\n",
            Some(3),
            &["20 visits with no spend"],
        ),
        (
            "reach",
            &["-c", "search"],
            "spend,visits\n100,50\n-5,20\n",
            Some(3),
            &["`-5` is negative"],
        ),
        (
            "reach",
            &["-c", "search"],
            "spend,visits\n100,lots\n",
            Some(2),
            &["`lots` is not a number"],
        ),
        ("reach", &["-c", "search"], "", Some(1), &["empty"]),
    ];
    for (kind, extra, text, line, needles) in cases {
        let ws = Workspace::new();
        ws.write("d.csv", text);
        let mut args = vec!["fit", kind, "d.csv"];
        args.extend_from_slice(extra);
        let out = ws.run(&args);
        out.assert_input_error("d.csv", *line, needles);
    }
}

#[test]
fn command_line_counts_are_checked_too() {
    let ws = Workspace::new();
    ws.run(&["fit", "rate", "-S", "12", "-N", "10"])
        .assert_code(common::EXIT_INPUT)
        .assert_stderr_has(&["`12` is more than trials `10`"]);
    ws.run(&["fit", "rate", "-S", "1", "-N", "10", "-c", "Bad Name"])
        .assert_code(common::EXIT_INPUT)
        .assert_stderr_has(&["Bad Name"]);
}

#[test]
fn the_retention_report_shows_the_fitted_and_observed_survival() {
    let ws = Workspace::new();
    ws.write(
        "wide.csv",
        include_str!("../../examples/data/shop_cohorts_wide.csv"),
    );
    let out = ws.run(&["fit", "retention", "wide.csv", "--report", "fit.html"]);
    out.assert_ok();
    let page = String::from_utf8(ws.read("fit.html")).unwrap();
    assert!(page.contains("<svg") && page.contains("fitted (sBG)"));
    // One table row per month 0–11, below the header row.
    assert_eq!(page.matches("<tr><td>").count(), 12);
    assert!(page.contains("engage,*,churn,"));
}

#[test]
fn several_cohort_files_are_fitted_together() {
    let ws = Workspace::new();
    ws.write(
        "h1.csv",
        "cohort,month,active\nJan,0,1000\nJan,1,700\nJan,2,560\n",
    );
    ws.write("h2.csv", "cohort,0,1\nJul,800,570\n");
    ws.write(
        "all.csv",
        "cohort,month,active\nJan,0,1000\nJan,1,700\nJan,2,560\nJul,0,800\nJul,1,570\n",
    );
    let both = ws.run(&["fit", "retention", "h1.csv", "h2.csv", "-f", "json"]);
    both.assert_stderr_has(&["read h1.csv: long layout", "read h2.csv: wide layout"]);
    let one = json(&ws.run(&["fit", "retention", "all.csv", "-f", "json"]));
    let both = json(&both);
    assert_eq!(both["estimates"], one["estimates"]);
    assert_eq!(both["cohorts"], 2);
    assert!(
        both["rows"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("h1.csv, h2.csv: sBG fit to 2 cohorts")
    );
}
