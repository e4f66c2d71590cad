//! The expectation layer against the engine: at fixed assumptions θ, the
//! mean of many simulated trials must equal E[Y | θ] within its standard
//! error, for every linear total.

use std::path::Path;

use super::*;
use crate::engine::{self, Outcome};
use crate::metrics::Total;
use crate::scenario::parse_str;
use crate::simulation::Plan;

/// Simulates `n` trials of `plan` at the assumptions of trial 0 (so only
/// population noise varies) and checks each linear total against
/// `expect`. Returns the expectation for further checks.
fn check_at_fixed_assumptions(text: &str, n: u64, seed: u64) -> Expected {
    let scenario = parse_str(Path::new("t.csv"), text).expect("valid scenario");
    let plan = Plan::baseline(&scenario);
    let mut draws = Vec::new();
    engine::draw_assumptions(&scenario, seed, 0, &mut draws);
    let monthly = monthly_spend(&scenario, &plan);
    let mut expected = Expected::default();
    expect(
        &scenario,
        &monthly,
        &draws,
        false,
        &mut Workspace::default(),
        &mut expected,
    );

    let checked = [
        (Total::Revenue, expected.revenue),
        (Total::Profit, expected.profit),
        (Total::Cost, expected.cost),
        (Total::Visitors, expected.visitors),
        (Total::Leads, expected.leads),
        (Total::Customers, expected.customers),
        (Total::Orders, expected.orders),
        (Total::RepeatOrders, expected.repeat_orders),
        (Total::ActiveCustomers, expected.active_customers),
        (Total::Referrals, expected.referrals),
    ];
    let mut sums = vec![(0.0f64, 0.0f64); checked.len()];
    let mut monthly_revenue = vec![(0.0f64, 0.0f64); scenario.horizon];
    let mut ws = engine::Workspace::default();
    let mut out = Outcome::new(&scenario);
    for trial in 0..n {
        engine::simulate(
            &scenario,
            &plan.spend,
            &draws,
            seed,
            trial,
            &mut ws,
            &mut out,
        );
        for (s, (m, _)) in sums.iter_mut().zip(&checked) {
            let x = out.total(*m);
            s.0 += x;
            s.1 += x * x;
        }
        for (s, m) in monthly_revenue.iter_mut().zip(&out.monthly) {
            s.0 += m[0];
            s.1 += m[0] * m[0];
        }
    }
    let nf = n as f64;
    let close = |what: &str, (sum, squares): (f64, f64), want: f64| {
        let mean = sum / nf;
        let var = (squares / nf - mean * mean).max(0.0) * nf / (nf - 1.0);
        let se = (var / nf).sqrt();
        // Five standard errors, plus rounding for constants (cost).
        let tolerance = 5.0 * se + 1e-9 * want.abs().max(1.0);
        assert!(
            (mean - want).abs() <= tolerance,
            "{what}: simulated mean {mean} ± {se} vs expected {want}"
        );
    };
    for ((m, want), s) in checked.iter().zip(&sums) {
        close(m.name(), *s, *want);
    }
    for (t, (s, want)) in monthly_revenue
        .iter()
        .zip(&expected.monthly_revenue)
        .enumerate()
    {
        close(&format!("revenue in month {}", t + 1), *s, *want);
    }
    expected
}

/// The plan's spend month by month, as the expectation takes it.
fn monthly_spend(scenario: &Scenario, plan: &Plan) -> Vec<Vec<f64>> {
    let _ = scenario;
    plan.spend.clone()
}

const FUNNEL: &str = "\
stage,channel,metric,value
plan,*,horizon_months,10
plan,*,campaign_months,3
reach,search,spend,3000
reach,search,cost_per_visit,\"pert(0.8, 1, 1.3)\"
reach,social,spend,2000
reach,social,cost_per_visit,0.6
act,*,rate,\"beta(20, 180)\"
convert,*,rate,0.25
convert,*,order_value,\"lognormal(40, 8)\"
convert,*,order_value_cv,0.7
engage,*,repeat_rate,0.3
engage,*,repeat_order_value,30
";

#[test]
fn no_audience_memoryless_churn() {
    check_at_fixed_assumptions(&format!("{FUNNEL}engage,*,churn,0.2\n"), 4000, 1);
}

#[test]
fn audience_and_polarized_churn_with_discounting() {
    let text = format!(
        "{FUNNEL}engage,*,churn,0.15\nengage,*,churn_polarization,0.5\n\
         reach,search,audience,1500\nreach,social,audience,\"uniform(2000, 4000)\"\n\
         plan,*,discount_rate,0.3\nplan,*,fixed_cost,500\nplan,*,gross_margin,0.6\n"
    );
    check_at_fixed_assumptions(&text, 4000, 2);
}

#[test]
fn referral_cycle_feeds_itself() {
    let text = format!(
        "{FUNNEL}engage,*,churn,0.1\nengage,*,referral_rate,0.4\n\
         act,referral,rate,0.5\nconvert,referral,rate,0.5\nengage,referral,churn,0.3\n"
    );
    let e = check_at_fixed_assumptions(&text, 4000, 3);
    assert!(
        e.referrals > 50.0,
        "referrals must matter here: {}",
        e.referrals
    );
}

#[test]
fn default_churn_one_and_horizon_one() {
    let text = "stage,channel,metric,value\nreach,a,spend,100\nreach,a,cost_per_visit,0.5\n\
                act,*,rate,0.5\nconvert,*,rate,0.5\nconvert,*,order_value,10\n";
    let e = check_at_fixed_assumptions(text, 4000, 4);
    assert!(
        (e.revenue - 500.0).abs() < 1e-9,
        "200 visits × ¼ × 10: {}",
        e.revenue
    );
}

#[test]
fn shipped_scenarios() {
    for name in ["dtc_shop", "b2b_leadgen", "subscription_app"] {
        let path = format!("{}/scenarios/{name}.csv", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("shipped scenario");
        check_at_fixed_assumptions(&text, 3000, 5);
    }
}

/// ∂E[profit | θ]/∂S_c against a central difference of E[profit | θ] in
/// the channel's spend scale.
#[test]
fn marginal_profit_is_the_derivative() {
    for text in [
        format!(
            "{FUNNEL}engage,*,churn,0.15\nengage,*,churn_polarization,0.5\n\
             reach,search,audience,1500\nplan,*,discount_rate,0.3\nengage,*,referral_rate,0.3\n\
             act,referral,rate,0.4\nconvert,referral,rate,0.3\n"
        ),
        format!("{FUNNEL}engage,*,churn,0.2\n"),
        format!(
            "{FUNNEL}engage,*,churn,0.2\nreach,search,audience,2000\nconvert,*,rate@2,0.5\n\
             reach,search,cost_per_visit@3,2.0\nplan,*,discount_rate,0.1\n"
        ),
    ] {
        let scenario = parse_str(Path::new("t.csv"), &text).unwrap();
        let plan = Plan::baseline(&scenario);
        let mut draws = Vec::new();
        engine::draw_assumptions(&scenario, 9, 0, &mut draws);
        let monthly = monthly_spend(&scenario, &plan);
        let mut ws = Workspace::default();
        let mut e = Expected::default();
        expect(&scenario, &monthly, &draws, true, &mut ws, &mut e);
        for (ci, _) in scenario.paid_channels() {
            let total: f64 = monthly[ci].iter().sum();
            let h = total * 1e-5;
            let mut at = |scale: f64| {
                let mut m = monthly.clone();
                m[ci].iter_mut().for_each(|s| *s *= scale);
                let mut out = Expected::default();
                expect(&scenario, &m, &draws, false, &mut ws, &mut out);
                out
            };
            let (up, down) = (at(1.0 + h / total), at(1.0 - h / total));
            let pairs = [
                (
                    "profit",
                    (up.profit - down.profit) / (2.0 * h),
                    e.channels[ci].marginal_profit,
                ),
                (
                    "revenue",
                    (up.revenue - down.revenue) / (2.0 * h),
                    e.channels[ci].marginal_revenue,
                ),
                (
                    "customers",
                    (up.customers - down.customers) / (2.0 * h),
                    e.channels[ci].marginal_customers,
                ),
            ];
            for (what, fd, exact) in pairs {
                assert!(
                    (fd - exact).abs() <= 1e-5 * exact.abs().max(1e-3),
                    "channel {ci} {what}: difference {fd} vs exact {exact}"
                );
            }
        }
    }
}

#[test]
fn month_overrides_flighting_and_seasonality() {
    let text = "stage,channel,metric,value
plan,*,horizon_months,12
plan,*,campaign_months,4
plan,*,discount_rate,0.2
reach,search,spend@1,2000
reach,search,spend@2,500
reach,search,spend@6,1500
reach,search,cost_per_visit,\"pert(0.8, 1, 1.3)\"
reach,search,cost_per_visit@6,1.6
reach,search,audience,2500
reach,social,spend,2000
reach,social,cost_per_visit,0.6
act,*,rate,\"beta(20, 180)\"
act,social,rate@2,0.2
convert,*,rate,0.25
convert,*,rate@6,\"uniform(0.3, 0.4)\"
convert,*,order_value,40
engage,*,churn,0.2
engage,*,churn_polarization,0.3
engage,*,repeat_rate,0.3
engage,*,referral_rate,0.2
act,referral,rate,0.4
";
    let e = check_at_fixed_assumptions(text, 4000, 8);
    assert!(e.monthly_customers[5] > 0.0 && e.monthly_cost[5] == 1500.0);
}
