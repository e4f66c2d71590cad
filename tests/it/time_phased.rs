//! Time-phased scenarios and plans (spec v2 §2.4, §3, §4.1, §4.2): month
//! overrides, reach month by month from the audience not yet reached, spend
//! booked in its months, seasonal rates and monthly plans.

use super::common;

use std::path::Path;

use common::{EXIT_INPUT, Workspace, check_both, run_json, with_base};
use racesim::engine::{self, Outcome, Workspace as EngineWorkspace};
use racesim::metrics::{Monthly, PerChannel, Total};
use racesim::scenario::{self, Scenario};

fn scenario(text: &str) -> Scenario {
    scenario::parse_str(Path::new("test.csv"), text).expect("valid scenario")
}

/// Runs `trials` trials of the scenario's own plan, handing each outcome
/// to `each`.
fn trials(s: &Scenario, seed: u64, trials: u64, mut each: impl FnMut(&Outcome)) {
    let spend = s.baseline_spend();
    let (mut ws, mut out, mut draws) = (EngineWorkspace::default(), Outcome::new(s), Vec::new());
    for trial in 0..trials {
        engine::draw_assumptions(s, seed, trial, &mut draws);
        engine::simulate(s, &spend, &draws, seed, trial, &mut ws, &mut out);
        each(&out);
    }
}

/// Sample mean and (unbiased) variance.
fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Asserts that the sample mean and variance of `xs` match a law with
/// `mean`, `var` and fourth central moment `mu4`, within 5 standard errors
/// (SE of the mean √(σ²/n), of the variance √((μ4 − σ⁴)/n)).
#[track_caller]
fn assert_moments(what: &str, xs: &[f64], mean: f64, var: f64, mu4: f64) {
    let n = xs.len() as f64;
    let (m, v) = mean_var(xs);
    let se_mean = (var / n).sqrt();
    let se_var = ((mu4 - var * var) / n).sqrt();
    assert!(
        (m - mean).abs() <= 5.0 * se_mean,
        "{what}: mean {m} vs {mean} (se {se_mean})"
    );
    assert!(
        (v - var).abs() <= 5.0 * se_var,
        "{what}: variance {v} vs {var} (se {se_var})"
    );
}

const FUNNEL: &str = "act,*,rate,0.5
convert,*,rate,0.1
convert,*,order_value,50
";

/// One channel with an audience of 2,000 and a cost per visit of 1, with
/// 1,500 spent in the given `reach` rows over a 12-month horizon.
fn audience_scenario(spend_rows: &str, campaign: usize) -> String {
    format!(
        "stage,channel,metric,value
plan,*,horizon_months,12
plan,*,campaign_months,{campaign}
reach,tv,cost_per_visit,1
reach,tv,audience,2000
{spend_rows}{FUNNEL}"
    )
}

#[test]
fn total_visitors_from_an_audience_do_not_depend_on_how_spend_is_phased() {
    // Spec §4.1: with one cost per visit v, total visitors are
    // Binomial(A, 1 − exp(−ΣS_t/(v·A))) however the spend is phased.
    let (a, total, v) = (2000.0_f64, 1500.0_f64, 1.0_f64);
    let p = -(-total / (v * a)).exp_m1();
    let (mean, var) = (a * p, a * p * (1.0 - p));
    let mu4 = var * (1.0 + 3.0 * (a - 2.0) * p * (1.0 - p));
    let phasings = [
        (
            "all in month 1",
            audience_scenario("reach,tv,spend,1500\n", 1),
        ),
        (
            "even over 3 months",
            audience_scenario("reach,tv,spend,1500\n", 3),
        ),
        (
            "flighted",
            audience_scenario(
                "reach,tv,spend@1,100\nreach,tv,spend@4,900\nreach,tv,spend@9,500\n",
                1,
            ),
        ),
    ];
    for (name, text) in phasings {
        let s = scenario(&text);
        let tv = s.channel_index("tv").unwrap();
        let mut visitors = Vec::new();
        trials(&s, 3, 20_000, |out| {
            visitors.push(out.channels[tv][PerChannel::Visitors.index()]);
        });
        assert!(
            visitors.iter().all(|&x| x <= a),
            "{name}: audience exceeded"
        );
        assert_moments(name, &visitors, mean, var, mu4);
    }
}

#[test]
fn later_months_find_fewer_new_people_of_an_audience() {
    // Equal spend in months 1 and 2: month 2 reaches p of the people month
    // 1 left, so its expected new customers are (1 − p) times month 1's.
    let s = scenario(&audience_scenario(
        "reach,tv,spend@1,1000\nreach,tv,spend@2,1000\n",
        1,
    ));
    let (mut first, mut second) = (Vec::new(), Vec::new());
    trials(&s, 8, 20_000, |out| {
        first.push(out.monthly[0][Monthly::Customers.index()]);
        second.push(out.monthly[1][Monthly::Customers.index()]);
    });
    let p = -(-1000.0_f64 / 2000.0).exp_m1();
    // New customers in month t: Binomial(A, q_t · 0.5 · 0.1), q_1 = p,
    // q_2 = (1 − p)·p (a reached person is a customer with 0.05).
    for (t, xs, q) in [(1, &first, p), (2, &second, (1.0 - p) * p)] {
        let r = q * 0.05;
        let (mean, var) = (2000.0 * r, 2000.0 * r * (1.0 - r));
        let mu4 = var * (1.0 + 3.0 * (2000.0 - 2.0) * r * (1.0 - r));
        assert_moments(&format!("customers in month {t}"), xs, mean, var, mu4);
    }
}

#[test]
fn without_an_audience_phased_visitors_are_poisson_in_total() {
    let text = "stage,channel,metric,value
plan,*,horizon_months,12
reach,search,spend@2,300
reach,search,spend@7,600
reach,search,cost_per_visit,1.5
reach,search,cost_per_visit@7,3
"
    .to_string()
        + FUNNEL;
    let s = scenario(&text);
    let ci = s.channel_index("search").unwrap();
    let mut visitors = Vec::new();
    trials(&s, 4, 20_000, |out| {
        visitors.push(out.channels[ci][PerChannel::Visitors.index()]);
    });
    // Poisson(300/1.5 + 600/3): mean = variance = λ, μ4 = λ(1 + 3λ).
    let lambda = 300.0 / 1.5 + 600.0 / 3.0;
    assert_moments(
        "visitors",
        &visitors,
        lambda,
        lambda,
        lambda * (1.0 + 3.0 * lambda),
    );
}

#[test]
fn spend_is_booked_in_its_own_months_and_discounted_there() {
    let text = "stage,channel,metric,value
plan,*,horizon_months,12
plan,*,discount_rate,0.1
reach,search,spend@1,1000
reach,search,spend@5,0
reach,search,spend@11,2500
reach,search,cost_per_visit,2
reach,social,spend,1200
reach,social,cost_per_visit,1
"
    .to_string()
        + FUNNEL
        + "plan,*,campaign_months,3\n";
    let s = scenario(&text);
    let mut expected = [0.0; 12];
    expected[0] = 1000.0 + 400.0;
    expected[1] = 400.0;
    expected[2] = 400.0;
    expected[10] = 2500.0;
    let pv: f64 = expected
        .iter()
        .enumerate()
        .map(|(i, c)| c * 1.1_f64.powf(-((i + 1) as f64) / 12.0))
        .sum();
    trials(&s, 1, 50, |out| {
        for (t, want) in expected.iter().enumerate() {
            assert_eq!(
                out.monthly[t][Monthly::Cost.index()],
                *want,
                "month {}",
                t + 1
            );
        }
        assert_eq!(out.total(Total::Spend), 4700.0);
        assert!((out.total(Total::Cost) - pv).abs() < 1e-9 * pv);
        let search = s.channel_index("search").unwrap();
        assert_eq!(out.channels[search][PerChannel::Spend.index()], 3500.0);
        // Nothing is bought where nothing is spent.
        for t in [4, 5, 6, 7, 8, 10, 12] {
            assert_eq!(out.monthly[t - 1][Monthly::Customers.index()], 0.0);
        }
    });
}

/// A scenario whose channel spends in months 1–4, with `extra` rows.
fn seasonal(extra: &str, audience: bool) -> Scenario {
    let mut text = "stage,channel,metric,value
plan,*,horizon_months,8
plan,*,campaign_months,4
reach,shop,spend,40000
reach,shop,cost_per_visit,\"pert(0.8, 1, 1.5)\"
act,*,rate,\"beta(30, 270)\"
convert,*,rate,\"pert(0.05, 0.08, 0.12)\"
convert,*,order_value,60
engage,*,churn,0.2
engage,*,repeat_rate,0.3
"
    .to_string();
    if audience {
        text.push_str("reach,shop,audience,60000\n");
    }
    text.push_str(extra);
    scenario(&text)
}

/// Per trial, each month's new customers.
fn monthly_customers(s: &Scenario, n: u64) -> Vec<Vec<f64>> {
    let mut all = Vec::new();
    trials(s, 21, n, |out| {
        all.push(
            out.monthly
                .iter()
                .map(|m| m[Monthly::Customers.index()])
                .collect(),
        );
    });
    all
}

#[test]
fn a_seasonal_rate_changes_only_its_own_months_customers() {
    // Common random numbers month by month: with the same seed, a seasonal
    // convert rate for month 3 (a `*` row, beating the plain one) leaves
    // every other month's new customers identical, trial by trial, with
    // or without an audience (rates do not change who is reached).
    for audience in [false, true] {
        let plain = monthly_customers(&seasonal("", audience), 2000);
        let peak = monthly_customers(
            &seasonal("convert,*,rate@3,\"pert(0.2, 0.25, 0.3)\"\n", audience),
            2000,
        );
        let mut month3_higher = 0;
        for (a, b) in plain.iter().zip(&peak) {
            for t in [1, 2, 4, 5, 6, 7, 8] {
                assert_eq!(a[t - 1], b[t - 1], "month {t} moved (audience {audience})");
            }
            month3_higher += usize::from(b[2] > a[2]);
        }
        // A rate about three times higher wins nearly every trial.
        assert!(
            month3_higher > 1800,
            "month 3 rose in {month3_higher} trials"
        );
    }
}

#[test]
fn a_seasonal_rate_gives_its_month_the_expected_customers() {
    // Month 3 of 10,000 at a fixed cost per visit of 1: Poisson(10,000)
    // visitors, act 0.1, convert 0.3 in month 3 only (0.05 elsewhere), so
    // month 3's customers are Poisson(300) and month 2's Poisson(50).
    let s = scenario(
        "stage,channel,metric,value
plan,*,horizon_months,4
plan,*,campaign_months,4
reach,shop,spend,40000
reach,shop,cost_per_visit,1
act,*,rate,0.1
convert,*,rate,0.05
convert,shop,rate@3,0.3
convert,*,order_value,60
",
    );
    let all = monthly_customers(&s, 20_000);
    for (t, lambda) in [(2, 50.0), (3, 300.0)] {
        let xs: Vec<f64> = all.iter().map(|m| m[t - 1]).collect();
        assert_moments(
            &format!("month {t}"),
            &xs,
            lambda,
            lambda,
            lambda * (1.0 + 3.0 * lambda),
        );
    }
}

#[test]
fn a_month_override_row_leaves_the_other_rows_draws_alone() {
    // Each `@K` row has a stream of its own, keyed by its metric and month.
    let base = seasonal("", false);
    let with = seasonal("convert,*,rate@3,\"pert(0.2, 0.25, 0.3)\"\n", false);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for trial in 0..50 {
        engine::draw_assumptions(&base, 9, trial, &mut a);
        engine::draw_assumptions(&with, 9, trial, &mut b);
        assert_eq!(a[..], b[..a.len()]);
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let ws = Workspace::new();
    ws.write(
        "s.csv",
        "stage,channel,metric,value
plan,*,horizon_months,14
reach,tv,spend@1,3000
reach,tv,spend@2,1000
reach,tv,spend@12,4000
reach,tv,cost_per_visit,\"pert(0.5, 0.8, 1.2)\"
reach,tv,cost_per_visit@12,1.4
reach,tv,audience,9000
reach,web,spend,2000
reach,web,cost_per_visit,0.7
act,*,rate,\"beta(10, 90)\"
convert,*,rate,0.2
convert,*,rate@12,\"pert(0.25, 0.3, 0.4)\"
convert,*,order_value,40
engage,*,churn,0.1
engage,*,repeat_rate,0.2
engage,*,referral_rate,0.05
",
    );
    ws.write(
        "p.csv",
        "plan,channel,spend,month\nshift,tv,5000,1\nshift,tv,3000,11\nshift,web,2500,\n",
    );
    let one = ws.run(&[
        "compare", "s.csv", "p.csv", "-q", "-n", "700", "-j", "1", "-f", "json",
    ]);
    let two = ws.run(&[
        "compare", "s.csv", "p.csv", "-q", "-n", "700", "-j", "2", "-f", "json",
    ]);
    one.assert_ok();
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn a_monthly_plan_spends_exactly_its_months() {
    let ws = Workspace::new();
    ws.write(
        "s.csv",
        with_base("plan,*,horizon_months,6\nplan,*,campaign_months,2\nreach,web,spend,600\nreach,web,cost_per_visit,1\n"),
    );
    ws.write(
        "p.csv",
        "plan,channel,month,spend\nlate,search,5,700\nlate,search,6,300\nlate,web,,900\n",
    );
    let doc = run_json(&ws, "s.csv", &["--plans", "p.csv", "-n", "200"]);
    let late = &doc["plans"][1];
    assert_eq!(late["plan"], "late");
    let months = |ch: &str| -> Vec<f64> {
        late["monthly_spend"][ch]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    assert_eq!(months("search"), [0.0, 0.0, 0.0, 0.0, 700.0, 300.0]);
    // A total row is spread evenly over the campaign, like `reach.spend`.
    assert_eq!(months("web"), [450.0, 450.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(late["spend"]["search"], 1000.0);
    let cost: Vec<f64> = late["monthly"]["cost"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mean"].as_f64().unwrap())
        .collect();
    assert_eq!(cost, [450.0, 450.0, 0.0, 0.0, 700.0, 300.0]);
    // The baseline keeps the scenario's spend.
    let base = &doc["plans"][0]["monthly_spend"]["search"];
    assert_eq!(base[0], 500.0);
    assert_eq!(base[2], 0.0);
}

#[test]
fn bad_month_overrides_are_clear_errors() {
    let cases: [(&str, &[&str]); 8] = [
        (
            "reach,search,cost_per_visit@x,2",
            &["cost_per_visit@x", "`x`", "help:"],
        ),
        (
            "reach,search,cost_per_visit@0,2",
            &["month 0", "count from 1", "help:"],
        ),
        ("act,*,rate@,0.2", &["no month after `@`", "help:"]),
        (
            "convert,*,rate@13,0.2",
            &[
                "month 13",
                "outside the horizon of 12 months",
                "horizon_months",
            ],
        ),
        (
            "convert,*,order_value@3,60",
            &["takes no month override", "order_value@3", "reach.spend"],
        ),
        (
            "reach,search,spend@2,500",
            &["plain reach.spend", "spend@2", "help:"],
        ),
        (
            "act,search,rate@4,\"lognormal(0.1, 0.05)\"",
            &["rate@4", "outside the allowed domain", "beta"],
        ),
        (
            "reach,search,spend@3,\"uniform(1, 2)\"",
            &["spend@3", "plain number"],
        ),
    ];
    for (row, needles) in cases {
        // The `spend` case names the plain row (line 2) it conflicts with.
        let line = if row.starts_with("reach,search,spend@2") {
            2
        } else {
            7
        };
        check_both("s.csv", with_base(row)).assert_input_error("s.csv", Some(line), needles);
    }
    // The same month twice, however it is written.
    check_both("s.csv", with_base("act,*,rate@3,0.2\nact,*,rate@03,0.3")).assert_input_error(
        "s.csv",
        Some(8),
        &["given twice", "line 7"],
    );
}

#[test]
fn a_channel_spending_in_a_month_needs_a_cost_per_visit_there() {
    // Its only cost per visit is for month 5, but it spends in month 2.
    let text = "stage,channel,metric,value
reach,tv,spend@2,500
reach,tv,cost_per_visit@5,1
act,*,rate,0.1
convert,*,rate,0.2
convert,*,order_value,50
";
    check_both("s.csv", text).assert_input_error(
        "s.csv",
        Some(2),
        &["channel `tv` needs `reach.cost_per_visit`"],
    );
    // Where the override covers every month with spend, it is enough.
    let ws = Workspace::new();
    ws.write("ok.csv", text.replace("spend@2", "spend@5"));
    ws.run(&["validate", "ok.csv"]).assert_ok();
}

#[test]
fn bad_monthly_plans_are_clear_errors() {
    let ws = Workspace::new();
    ws.write("s.csv", with_base("plan,*,horizon_months,12"));
    let cases: [(&str, u64, &[&str]); 4] = [
        (
            "plan,channel,spend,month\na,search,100,\na,search,50,3\n",
            3,
            &["both a total (line 2) and monthly spend (line 3)", "help:"],
        ),
        (
            "plan,channel,spend,month\na,search,100,13\n",
            2,
            &["month `13`", "outside the horizon of 12 months", "help:"],
        ),
        (
            "plan,channel,spend,month\na,search,100,4\na,search,200,4\n",
            3,
            &["sets month 4 of channel `search` twice (first on line 2)"],
        ),
        (
            "plan,channel,spend,month\na,search,100,june\n",
            2,
            &["month `june` is not a month number", "1 to 12"],
        ),
    ];
    for (plans, line, needles) in cases {
        ws.write("p.csv", plans);
        let out = ws.run(&["compare", "s.csv", "p.csv", "-q", "-n", "10"]);
        assert_eq!(out.code, Some(EXIT_INPUT), "{}", out.stderr);
        out.assert_input_error("p.csv", Some(line), needles);
    }
}

#[test]
fn validate_lists_monthly_spend_and_overrides() {
    let ws = Workspace::new();
    ws.write(
        "s.csv",
        "stage,channel,metric,value
plan,*,horizon_months,12
plan,*,campaign_months,3
reach,tv,spend@1,5000
reach,tv,spend@12,2000
reach,tv,cost_per_visit,1
reach,web,spend,900
reach,web,cost_per_visit,1
reach,web,cost_per_visit@2,1.5
act,*,rate,0.1
convert,*,rate,0.2
convert,*,rate@12,0.3
convert,*,order_value,50
",
    );
    let out = ws.run(&["validate", "s.csv"]);
    out.assert_ok();
    let text = out.stdout_text();
    for needle in [
        "month 1: 5000 · month 12: 2000",
        "spend@K rows",
        "months 1–3: 300 each",
        "reach.cost_per_visit@2",
        "convert.rate@12",
        "`*` row, line 12",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn budgets_scale_a_channels_whole_monthly_pattern() {
    let s = scenario(
        "stage,channel,metric,value
plan,*,horizon_months,12
plan,*,campaign_months,4
reach,tv,spend@2,1000
reach,tv,spend@11,3000
reach,tv,cost_per_visit,1
reach,web,spend,800
reach,web,cost_per_visit,1
reach,idle,spend,0
reach,idle,cost_per_visit,1
act,*,rate,0.1
convert,*,rate,0.2
convert,*,order_value,50
",
    );
    let (tv, web, idle) = (
        s.channel_index("tv").unwrap(),
        s.channel_index("web").unwrap(),
        s.channel_index("idle").unwrap(),
    );
    // A flighting channel keeps its shape: twice the budget, twice each month.
    let mut want = vec![0.0; 12];
    want[1] = 2000.0;
    want[10] = 6000.0;
    assert_eq!(s.spend_pattern(tv, 8000.0), want);
    // Its own total gives back exactly the scenario's months.
    assert_eq!(s.spend_pattern(tv, 4000.0), s.baseline_spend()[tv]);
    // A plain spend, and a channel without spend, spread over the campaign.
    assert_eq!(
        &s.spend_pattern(web, 1200.0)[..5],
        [300.0, 300.0, 300.0, 300.0, 0.0]
    );
    assert_eq!(
        &s.spend_pattern(idle, 400.0)[..5],
        [100.0, 100.0, 100.0, 100.0, 0.0]
    );
}

#[test]
fn optimize_writes_monthly_plans_for_a_flighting_scenario() {
    let ws = Workspace::new();
    let scn = std::fs::read_to_string("scenarios/seasonal_shop.csv").unwrap();
    ws.write("s.csv", scn);
    let out = ws.run(&[
        "optimize",
        "s.csv",
        "-q",
        "-n",
        "200",
        "--eval-trials",
        "300",
        "--min",
        "search=60000",
        "--output-plans",
        "p.csv",
        "-f",
        "json",
    ]);
    out.assert_ok();
    let text = String::from_utf8(ws.read("p.csv")).unwrap();
    let mut rows = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(rows.next(), Some("plan,channel,spend,month"));
    // search keeps its months (1, 2, 3, 8, 9, 10, 11), scaled alike.
    let search: Vec<(usize, f64)> = rows
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1] == "search").then(|| (f[3].parse().unwrap(), f[2].parse().unwrap()))
        })
        .collect();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = doc["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "search")
        .unwrap()["recommended"]
        .as_f64()
        .unwrap();
    assert!(total >= 60_000.0, "search gets {total}");
    {
        let months: Vec<usize> = search.iter().map(|(t, _)| *t).collect();
        assert_eq!(months, [1, 2, 3, 8, 9, 10, 11]);
        let scale = total / 71_000.0;
        for ((_, s), base) in search
            .iter()
            .zip([15000.0, 10000.0, 4000.0, 4000.0, 6000.0, 12000.0, 20000.0])
        {
            assert!(
                (s - base * scale).abs() < 1e-6 * base,
                "{s} vs {base} × {scale}"
            );
        }
    }
    // The file is a valid plans file that compare reads.
    ws.run(&["compare", "s.csv", "p.csv", "-q", "-n", "50"])
        .assert_ok();
}
