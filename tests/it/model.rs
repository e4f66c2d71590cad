//! Model invariants and reproducibility, through the library API.

use std::path::Path;

use indicatif::ProgressBar;
use proptest::prelude::*;
use racesim::document::Document;
use racesim::engine::reach::expected_visitors;
use racesim::metrics::Total;
use racesim::scenario::{self, Scenario};
use racesim::simulation::{self, Job, Plan, Results};

fn scenario(text: &str) -> Scenario {
    scenario::parse_str(Path::new("test.csv"), text).expect("valid scenario")
}

fn run(
    s: &Scenario,
    plans: &[Plan],
    seed: u64,
    first: u64,
    trials: u64,
    threads: usize,
) -> Results {
    let job = Job {
        scenario: s,
        plans,
        seed,
        first_trial: first,
        trials,
        threads,
    };
    simulation::run(&job, &ProgressBar::hidden()).expect("no runaway counts")
}

fn doc(s: &Scenario, plans: &[Plan], results: &Results, seed: u64) -> String {
    serde_json::to_string(&Document::build(s, plans, results, seed)).unwrap()
}

const SHOP: &str = "stage,channel,metric,value
plan,*,horizon_months,18
plan,*,campaign_months,4
plan,*,gross_margin,\"pert(0.4, 0.5, 0.6)\"
plan,*,discount_rate,0.08
plan,*,fixed_cost,5000
reach,search,spend,40000
reach,search,cost_per_visit,\"pert(0.9, 1.2, 1.8)\"
reach,social,spend,30000
reach,social,cost_per_visit,\"lognormal(0.8, 0.2)\"
reach,social,audience,50000
act,*,rate,\"beta(42, 958)\"
convert,*,rate,\"pert(0.05, 0.08, 0.12)\"
convert,*,order_value,\"lognormal(85, 20)\"
convert,*,order_value_cv,0.6
engage,*,churn,\"pert(0.08, 0.12, 0.2)\"
engage,*,churn_polarization,0.3
engage,*,repeat_rate,0.3
engage,*,referral_rate,0.02
act,referral,rate,0.2
target,*,roi,>= 0 @ 0.5
";

#[test]
fn output_is_identical_for_any_thread_count() {
    let s = scenario(SHOP);
    let plans = vec![Plan::baseline(&s)];
    let one = doc(&s, &plans, &run(&s, &plans, 5, 0, 3000, 1), 5);
    for threads in [2, 3, 7] {
        assert_eq!(
            one,
            doc(&s, &plans, &run(&s, &plans, 5, 0, 3000, threads), 5),
            "{threads} threads"
        );
    }
    let other_seed = doc(&s, &plans, &run(&s, &plans, 6, 0, 3000, 2), 5);
    assert_ne!(one, other_seed);
}

#[test]
fn merged_partial_runs_equal_one_pass() {
    let s = scenario(SHOP);
    let plans = vec![
        Plan::baseline(&s),
        Plan::from_totals(&s, "more", &[60000.0, 30000.0, 0.0]),
    ];
    let whole = run(&s, &plans, 9, 0, 2500, 2);
    let mut parts = run(&s, &plans, 9, 1300, 1200, 1);
    parts.merge(&run(&s, &plans, 9, 0, 1000, 2));
    parts.merge(&run(&s, &plans, 9, 1000, 300, 1));
    assert_eq!(doc(&s, &plans, &whole, 9), doc(&s, &plans, &parts, 9));
}

proptest! {
    #[test]
    fn more_spend_never_buys_fewer_expected_visitors(
        spend in 0.0f64..1e7, extra in 0.0f64..1e7, cpv in 0.01f64..50.0,
        audience in prop::option::of(1.0f64..1e9),
    ) {
        let base = expected_visitors(spend, cpv, audience);
        let more = expected_visitors(spend + extra, cpv, audience);
        prop_assert!(more >= base);
        if let Some(a) = audience {
            prop_assert!(more <= a * (1.0 + 1e-12));
        }
    }
}

#[test]
fn simulated_visitors_rise_with_spend_and_saturate() {
    let mut s = scenario(SHOP);
    let social = s.channel_index("social").unwrap();
    let mut last = 0.0;
    let spends = [0.0, 10_000.0, 40_000.0, 160_000.0, 640_000.0];
    let plans: Vec<Plan> = spends
        .iter()
        .map(|&x| {
            let mut spend = s.baseline_totals();
            spend[social] = x;
            Plan::from_totals(&s, format!("{x}"), &spend)
        })
        .collect();
    s.targets.clear();
    let r = run(&s, &plans, 1, 0, 2000, 2);
    let d = Document::build(&s, &plans, &r, 1);
    for p in &d.plans {
        let v = p.channels["social"]["visitors"].mean.unwrap();
        assert!(v >= last, "visitors fell from {last} to {v}");
        assert!(v <= 50_000.0, "audience exceeded: {v}");
        last = v;
    }
    assert!(
        last > 45_000.0,
        "heavy spend should nearly exhaust the audience, got {last}"
    );
}

#[test]
fn zero_spend_means_zero_revenue() {
    let s = scenario(SHOP);
    let plans = vec![Plan {
        name: "nothing".into(),
        spend: vec![vec![0.0; s.horizon]; s.channels.len()],
    }];
    let r = run(&s, &plans, 3, 0, 500, 2);
    let d = Document::build(&s, &plans, &r, 3);
    let m = &d.plans[0].metrics;
    for metric in ["revenue", "visitors", "customers", "orders", "referrals"] {
        assert_eq!(m[metric].max, Some(0.0), "{metric}");
    }
    // Only the fixed cost remains, and ROI is a sure loss of it.
    assert_eq!(m["roi"].max, Some(-1.0));
}

#[test]
fn average_order_value_is_nominal_whatever_the_discount_rate() {
    // With cv 0 every order is worth exactly order_value, so the average is that value in
    // every trial; a discounted revenue would pull it below 80 as customers arrive later.
    let base = "stage,channel,metric,value
plan,*,horizon_months,24
plan,*,campaign_months,6
plan,*,discount_rate,0.5
reach,search,spend,30000
reach,search,cost_per_visit,\"pert(0.9, 1.2, 1.8)\"
act,*,rate,0.1
convert,*,rate,0.2
convert,*,order_value,80
";
    // Repeat orders at the same nominal value (repeat_order_value defaults to order_value)
    // arrive later still, so they must not move it either.
    let with_repeats = format!("{base}engage,*,churn,0.2\nengage,*,repeat_rate,0.5\n");
    for text in [base.to_string(), with_repeats] {
        let s = scenario(&text);
        let plans = vec![Plan::baseline(&s)];
        let d = Document::build(&s, &plans, &run(&s, &plans, 8, 0, 300, 2), 8);
        let m = &d.plans[0].metrics;
        // The discount does bite: revenue's present value is below the nominal order value.
        let (revenue, orders) = (m["revenue"].mean.unwrap(), m["orders"].mean.unwrap());
        assert!(revenue < 0.97 * 80.0 * orders, "{revenue} {orders}");
        let aov = &m["average_order_value"];
        assert_eq!((aov.min, aov.max), (Some(80.0), Some(80.0)), "{text}");
    }
}

#[test]
fn churn_of_one_means_no_repeat_orders() {
    let text = SHOP
        .replace(
            "engage,*,churn,\"pert(0.08, 0.12, 0.2)\"",
            "engage,*,churn,1",
        )
        .replace("engage,*,churn_polarization,0.3\n", "");
    let s = scenario(&text);
    let plans = vec![Plan::baseline(&s)];
    let d = Document::build(&s, &plans, &run(&s, &plans, 4, 0, 1000, 2), 4);
    let m = &d.plans[0].metrics;
    assert_eq!(m["repeat_orders"].max, Some(0.0));
    assert_eq!(m["referrals"].max, Some(0.0));
    assert!(m["customers"].mean.unwrap() > 100.0);
    assert_eq!(m["orders"].mean, m["customers"].mean);
}

#[test]
fn engine_retention_follows_the_sbg_curve() {
    // One cohort (campaign of one month), no repeat orders or referrals:
    // active customers k months later over customers is S(k) = B(α, β+k)/B(α, β).
    let (alpha, beta) = (0.704f64, 1.182f64);
    let churn = alpha / (alpha + beta);
    let phi = 1.0 / (alpha + beta + 1.0);
    let text = format!(
        "stage,channel,metric,value
plan,*,horizon_months,6
reach,web,spend,100000
reach,web,cost_per_visit,1
act,web,rate,0.1
convert,web,rate,0.05
convert,web,order_value,10
engage,web,churn,{churn}
engage,web,churn_polarization,{phi}
"
    );
    let s = scenario(&text);
    let plans = vec![Plan::baseline(&s)];
    let trials = 4000u64;
    let d = Document::build(&s, &plans, &run(&s, &plans, 11, 0, trials, 2), 11);
    let p = &d.plans[0];
    let customers = p.metrics["customers"].mean.unwrap();
    for k in 1..=4usize {
        let active = &p.monthly["active_customers"][k].summary;
        let ratio = active.mean.unwrap() / customers;
        let want = (statrs::function::beta::ln_beta(alpha, beta + k as f64)
            - statrs::function::beta::ln_beta(alpha, beta))
        .exp();
        // Binomial share of ~500 000 customer-trials.
        let se = (want * (1.0 - want) / (customers * trials as f64)).sqrt();
        assert!((ratio - want).abs() < 5.0 * se, "S({k}): {ratio} vs {want}");
    }
}

#[test]
fn expected_customers_follow_the_funnel() {
    // Without an audience, E[customers] = S/v · act · convert exactly.
    let text = "stage,channel,metric,value
reach,web,spend,50000
reach,web,cost_per_visit,2
act,web,rate,0.1
convert,web,rate,0.2
convert,web,order_value,10
";
    let s = scenario(text);
    let plans = vec![Plan::baseline(&s)];
    let d = Document::build(&s, &plans, &run(&s, &plans, 2, 0, 20_000, 2), 2);
    let c = d.plans[0].metric(Total::Customers);
    let want = 25_000.0 * 0.1 * 0.2;
    assert!(
        (c.mean.unwrap() - want).abs() < 5.0 * c.se.unwrap(),
        "{:?}",
        c.mean
    );
    // Poisson thinning: the variance equals the mean.
    let sd = c.sd.unwrap();
    assert!((sd * sd / want - 1.0).abs() < 5.0 * (2.0 / 20_000f64).sqrt());
}

#[test]
fn channels_active_customers_add_up_to_the_total_in_every_trial() {
    use racesim::engine::{self, Outcome, Workspace};
    use racesim::metrics::{Monthly, PerChannel};
    let s = scenario(SHOP);
    let spend = s.baseline_spend();
    let (mut ws, mut out, mut draws) = (Workspace::default(), Outcome::new(&s), Vec::new());
    let mut active_somewhere = 0;
    for trial in 0..300 {
        engine::draw_assumptions(&s, 5, trial, &mut draws);
        engine::simulate(&s, &spend, &draws, 5, trial, &mut ws, &mut out);
        let by_channel: f64 = out
            .channels
            .iter()
            .map(|c| c[PerChannel::ActiveCustomers.index()])
            .sum();
        let total = out.total(Total::ActiveCustomers);
        assert_eq!(by_channel, total, "trial {trial}");
        let last_month = out.monthly[s.horizon - 1][Monthly::ActiveCustomers.index()];
        assert_eq!(total, last_month, "trial {trial}");
        active_somewhere += usize::from(total > 0.0);
    }
    assert!(active_somewhere > 250, "the scenario should keep customers");
}

// ------------------------------------------------------------ the driver

/// Records which (plan, trial) pairs the driver simulated and what it gave.
#[derive(Default)]
struct Seen {
    /// (trial, plan, profit bits, first draw bits)
    visits: Vec<(u64, usize, u64, u64)>,
}

impl simulation::Collector for Seen {
    fn add(&mut self, block: &simulation::Block) {
        for p in 0..block.plans.len() {
            for (i, o) in block.outcomes(p).iter().enumerate() {
                let draw = block.draws[i].first().copied().unwrap_or(0.0);
                self.visits.push((
                    block.first_trial + i as u64,
                    p,
                    o.total(Total::Profit).to_bits(),
                    draw.to_bits(),
                ));
            }
        }
    }

    fn merge(&mut self, other: Self) {
        self.visits.extend(other.visits);
    }
}

#[test]
fn the_driver_simulates_every_plan_and_trial_once_on_shared_draws() {
    let s = scenario(SHOP);
    let mut half = Plan::baseline(&s);
    half.spend.iter_mut().flatten().for_each(|x| *x /= 2.0);
    let plans = [Plan::baseline(&s), half];
    let seen = |threads| {
        let job = Job {
            scenario: &s,
            plans: &plans,
            seed: 5,
            first_trial: 1000,
            trials: 300,
            threads,
        };
        let mut v = simulation::drive(&job, Seen::default, &ProgressBar::hidden()).visits;
        v.sort();
        v
    };
    let one = seen(1);
    assert_eq!(one, seen(3), "the thread count changed what was simulated");
    let expected: Vec<(u64, usize)> = (1000..1300).flat_map(|t| [(t, 0), (t, 1)]).collect();
    let got: Vec<(u64, usize)> = one.iter().map(|v| (v.0, v.1)).collect();
    assert_eq!(got, expected, "each (trial, plan) exactly once");
    let mut draws = Vec::new();
    for pair in one.chunks(2) {
        // Both plans of a trial saw that trial's draws, the engine's own.
        racesim::engine::draw_assumptions(&s, 5, pair[0].0, &mut draws);
        assert_eq!(pair[0].3, pair[1].3);
        assert_eq!(pair[0].3, draws.first().copied().unwrap_or(0.0).to_bits());
    }
    // Halving spend changes profit in some trial: the plans really differ.
    assert!(one.chunks(2).any(|pair| pair[0].2 != pair[1].2));
}

#[test]
fn trial_values_come_back_in_trial_order_for_any_thread_count() {
    let s = scenario(SHOP);
    let plans = [Plan::baseline(&s)];
    let values = |threads, first_trial, trials| {
        let job = Job {
            scenario: &s,
            plans: &plans,
            seed: 9,
            first_trial,
            trials,
            threads,
        };
        let fresh = || simulation::TrialValues::new(Total::Profit, 1);
        simulation::drive(&job, fresh, &ProgressBar::hidden()).by_plan()
    };
    let all = values(1, 0, 700);
    assert_eq!(all[0].len(), 700);
    assert_eq!(all, values(3, 0, 700));
    // Trials 300..700 on their own are the tail of the longer run.
    assert_eq!(values(2, 300, 400)[0], all[0][300..]);
}

#[test]
fn results_written_to_disk_and_read_back_merge_to_the_same_bytes() {
    // What shards of a run need: partial statistics that survive a trip
    // through a file and still merge exactly.
    let s = scenario(SHOP);
    let plans = [Plan::baseline(&s), {
        let mut p = Plan::baseline(&s);
        p.name = "more".into();
        p.spend.iter_mut().flatten().for_each(|x| *x *= 1.5);
        p
    }];
    let whole = run(&s, &plans, 4, 0, 900, 2);
    let first = run(&s, &plans, 4, 0, 500, 1);
    let second = run(&s, &plans, 4, 500, 400, 3);
    let trip = |r: &Results| -> Results {
        serde_json::from_str(&serde_json::to_string(r).unwrap()).expect("readable results")
    };
    let mut merged = trip(&second);
    merged.merge(&trip(&first));
    assert_eq!(doc(&s, &plans, &merged, 4), doc(&s, &plans, &whole, 4));
}
