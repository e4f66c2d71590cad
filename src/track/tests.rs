//! The update against closed forms and independent integrals.

use std::path::Path;

use statrs::distribution::{Beta, Continuous, ContinuousCDF, LogNormal};

use super::actuals::Actuals;
use super::likelihood::{ln_binomial_pmf, ln_poisson_pmf};
use super::posterior::{Method, Posterior, Spread, update};
use crate::scenario::{Scenario, parse_str};

fn scenario(text: &str) -> Scenario {
    parse_str(Path::new("s.csv"), text).unwrap()
}

fn posterior(s: &Scenario, actuals: &str, particles: usize) -> Posterior {
    let a = Actuals::parse_str(Path::new("a.csv"), actuals, s).unwrap();
    update(s, &a, &s.baseline_spend(), 7, particles).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// A posterior's mean and P5/P95 against the exact `(mean, p5, p95)`, to
/// relative tolerances `mean_tol` and `quantile_tol`.
fn assert_spread(got: &Spread, (mean, p5, p95): (f64, f64, f64), mean_tol: f64, quantile_tol: f64) {
    assert!(rel(got.mean, mean) < mean_tol, "{got:?} vs mean {mean}");
    assert!(rel(got.p5, p5) < quantile_tol, "{got:?} vs P5 {p5}");
    assert!(rel(got.p95, p95) < quantile_tol, "{got:?} vs P95 {p95}");
}

const ACT: &str = "stage,channel,metric,value\n\
plan,*,horizon_months,6\n\
reach,search,spend,10000\n\
reach,search,cost_per_visit,1.0\n\
act,search,rate,\"beta(2, 18)\"\n\
convert,*,rate,0.1\n\
convert,*,order_value,80\n";

/// Month 1's visitors and leads of `search`, few and many: the evidence on
/// an act rate.
const ACT_EVIDENCE: [(u64, u64); 2] = [(200, 23), (50_000, 3_950)];

fn act_posterior(s: &Scenario, visitors: u64, leads: u64) -> Posterior {
    posterior(
        s,
        &format!(
            "month,channel,metric,value\n1,search,visitors,{visitors}\n1,search,leads,{leads}\n"
        ),
        4000,
    )
}

/// The exact beta posterior's mean, P5 and P95 against the draws; the
/// draws are stratified, so the only error is the spacing of N quantiles
/// (well under 0.1 % at N = 4000).
fn assert_beta(p: &Posterior, a: f64, b: f64) {
    let beta = Beta::new(a, b).unwrap();
    let exact = (a / (a + b), beta.inverse_cdf(0.05), beta.inverse_cdf(0.95));
    assert_spread(&p.assumptions[0].posterior, exact, 1e-3, 2e-3);
}

#[test]
fn a_beta_act_rate_takes_the_conjugate_posterior_with_few_and_many_visitors() {
    let s = scenario(ACT);
    for (visitors, leads) in ACT_EVIDENCE {
        let p = act_posterior(&s, visitors, leads);
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.groups[0].method, Method::Conjugate);
        assert_eq!(p.groups[0].labels, ["act.rate (search)"]);
        assert_beta(&p, 2.0 + leads as f64, 18.0 + (visitors - leads) as f64);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }
}

#[test]
fn a_beta_convert_rate_takes_the_conjugate_posterior_over_months() {
    let s = scenario(
        "stage,channel,metric,value\n\
plan,*,horizon_months,6\n\
plan,*,campaign_months,2\n\
reach,search,spend,10000\n\
reach,search,cost_per_visit,1.0\n\
act,search,rate,0.1\n\
convert,*,rate,\"beta(3, 30)\"\n\
convert,*,order_value,80\n",
    );
    for (leads, customers) in [(200u64, 19u64), (50_000, 4_120)] {
        let p = posterior(
            &s,
            &format!(
                "month,channel,metric,value\n1,search,leads,{}\n1,search,customers,{}\n2,search,leads,{}\n2,search,customers,{}\n",
                leads / 2,
                customers / 2,
                leads - leads / 2,
                customers - customers / 2
            ),
            4000,
        );
        // The leads also inform nothing uncertain about reach (fixed cost, fixed act rate).
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.groups[0].method, Method::Conjugate);
        assert_beta(
            &p,
            3.0 + customers as f64,
            30.0 + (leads - customers) as f64,
        );
    }
}

/// A Poisson reach with an uncertain cost per visit: the grid posterior
/// against a plain numerical integral of prior × likelihood in v.
#[test]
fn poisson_reach_with_an_uncertain_cost_matches_a_numerical_integral() {
    let s = scenario(
        "stage,channel,metric,value\n\
plan,*,horizon_months,6\n\
plan,*,campaign_months,2\n\
reach,social,spend,12000\n\
reach,social,cost_per_visit,\"lognormal(1.2, 0.4)\"\n\
act,*,rate,0.05\n\
convert,*,rate,0.1\n\
convert,*,order_value,80\n",
    );
    for (v1, v2) in [(4_300u64, 4_500u64), (60, 50)] {
        let p = posterior(
            &s,
            &format!(
                "month,channel,metric,value\n1,social,visitors,{v1}\n2,social,visitors,{v2}\n"
            ),
            4000,
        );
        assert_eq!(p.groups[0].method, Method::Grid);
        let (mu, sigma) = crate::scenario::value::lognormal_log_params(1.2, 0.4);
        let prior = LogNormal::new(mu, sigma).unwrap();
        // Integrate on a fine grid over where the posterior lives.
        let post = |v: f64| {
            prior.ln_pdf(v) + ln_poisson_pmf(v1, 6000.0 / v) + ln_poisson_pmf(v2, 6000.0 / v)
        };
        let (lo, hi, n) = (0.05, 400.0, 2_000_000);
        let h = (hi - lo) / n as f64;
        let xs: Vec<f64> = (0..=n).map(|i| lo + h * i as f64).collect();
        let lps: Vec<f64> = xs.iter().map(|&x| post(x)).collect();
        let max = lps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = lps.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = w.iter().sum();
        let mean = xs.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() / total;
        let mut cum = 0.0;
        let (mut p5, mut p95) = (f64::NAN, f64::NAN);
        for (x, w) in xs.iter().zip(&w) {
            cum += w / total;
            if p5.is_nan() && cum >= 0.05 {
                p5 = *x;
            }
            if p95.is_nan() && cum >= 0.95 {
                p95 = *x;
            }
        }
        assert_spread(&p.assumptions[0].posterior, (mean, p5, p95), 2e-3, 3e-3);
    }
}

const AUDIENCE: &str = "stage,channel,metric,value\n\
plan,*,horizon_months,6\n\
plan,*,campaign_months,3\n\
reach,search,spend,9000\n\
reach,search,cost_per_visit,\"pert(0.6, 1.0, 1.8)\"\n\
reach,search,audience,\"uniform(4000, 12000)\"\n\
act,*,rate,0.05\n\
convert,*,rate,0.1\n\
convert,*,order_value,80\n";

/// Audience and cost per visit together: SMC's posterior means against a
/// two-dimensional grid integral of prior × the binomial chain of §4.1.
#[test]
fn audience_and_cost_per_visit_by_smc_match_a_grid_integral() {
    let s = scenario(AUDIENCE);
    let visitors = [2300u64, 1750, 1350];
    let p = posterior(
        &s,
        &format!(
            "month,channel,metric,value\n1,search,visitors,{}\n2,search,visitors,{}\n3,search,visitors,{}\n",
            visitors[0], visitors[1], visitors[2]
        ),
        4000,
    );
    assert_eq!(p.groups.len(), 1);
    let g = &p.groups[0];
    assert_eq!(g.method, Method::Smc);
    assert!(g.stages >= 2 && g.ess >= 1000.0, "{g:?}");
    assert!(g.prior_ess < 4000.0);
    // The grid: pert prior on v, uniform on A (the engine's whole A).
    let pert = Beta::new(1.0 + 4.0 * 0.4 / 1.2, 1.0 + 4.0 * 0.8 / 1.2).unwrap();
    let (mut sw, mut sv, mut sa, mut sv2, mut sa2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut lps = Vec::new();
    let nv = 1200;
    for i in 0..nv {
        let v = 0.6 + 1.2 * (i as f64 + 0.5) / nv as f64;
        let prior_v = pert.ln_pdf((v - 0.6) / 1.2);
        for a in 4000..=12000u64 {
            // uniform(4000, 12000) rounded: the ends carry half the weight.
            let edge = if a == 4000 || a == 12000 {
                0.5f64.ln()
            } else {
                0.0
            };
            let q = (-3000.0 / (v * a as f64)).exp();
            let mut left = a;
            let mut ll = prior_v + edge;
            for &k in &visitors {
                ll += ln_binomial_pmf(left, k, 1.0 - q);
                left = left.saturating_sub(k);
            }
            lps.push((v, a as f64, ll));
        }
    }
    let max = lps.iter().map(|t| t.2).fold(f64::NEG_INFINITY, f64::max);
    for (v, a, l) in lps {
        let w = (l - max).exp();
        sw += w;
        sv += w * v;
        sa += w * a;
        sv2 += w * v * v;
        sa2 += w * a * a;
    }
    let (mv, ma) = (sv / sw, sa / sw);
    let (sdv, sda) = ((sv2 / sw - mv * mv).sqrt(), (sa2 / sw - ma * ma).sqrt());
    let cost = &p.assumptions[0];
    let audience = &p.assumptions[1];
    // Monte Carlo error of N particles counted as N/4 independent draws, at 5 SE.
    let tol = |sd: f64| 5.0 * sd / (4000.0f64 / 4.0).sqrt();
    assert!(
        (cost.posterior.mean - mv).abs() < tol(sdv),
        "{:?} vs {mv} ± {sdv}",
        cost.posterior
    );
    assert!(
        (audience.posterior.mean - ma).abs() < tol(sda),
        "{:?} vs {ma} ± {sda}",
        audience.posterior
    );
    assert!(
        rel(cost.posterior.sd, sdv) < 0.15,
        "{:?} vs sd {sdv}",
        cost.posterior
    );
    assert!(
        rel(audience.posterior.sd, sda) < 0.15,
        "{:?} vs sd {sda}",
        audience.posterior
    );
}

#[test]
fn actuals_at_the_forecast_medians_move_little() {
    let s = scenario(
        "stage,channel,metric,value\n\
plan,*,horizon_months,6\n\
plan,*,campaign_months,3\n\
reach,search,spend,30000\n\
reach,search,cost_per_visit,\"pert(0.8, 1.0, 1.2)\"\n\
act,*,rate,\"beta(40, 460)\"\n\
convert,*,rate,\"pert(0.05, 0.08, 0.12)\"\n\
convert,*,order_value,80\n",
    );
    // Medians of a month: 10000 / 1.0 visitors, 8 % of them leads, 8 % of those customers.
    let p = posterior(
        &s,
        "month,channel,metric,value\n1,search,visitors,10000\n1,search,leads,800\n1,search,customers,64\n",
        4000,
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.assumptions.len(), 3);
    for a in &p.assumptions {
        assert!(a.shift_sd.abs() < 0.5, "{a:?}");
        assert!(a.posterior.sd <= a.prior.sd * 1.05, "{a:?}");
    }
}

#[test]
fn absurd_actuals_warn_instead_of_answering_confidently() {
    // More visitors than the whole audience: impossible for every draw.
    let s = scenario(AUDIENCE);
    let p = posterior(
        &s,
        "month,channel,metric,value\n1,search,visitors,20000\n",
        1000,
    );
    assert_eq!(p.groups[0].method, Method::PriorKept);
    let w = p.warnings.join("\n");
    assert!(
        w.contains("channel `search`, month 1: 20000 visitors with spend 3000 (line 2)"),
        "{w}"
    );
    assert!(w.contains("impossible under every prior draw"), "{w}");
    // The draws are the prior's.
    assert_eq!(p.assumptions[1].posterior, p.assumptions[1].prior);

    // Half the visitors became leads, against a prior of about 4 %.
    let s = scenario(&ACT.replace("beta(2, 18)", "beta(42, 958)"));
    let p = posterior(
        &s,
        "month,channel,metric,value\n1,search,visitors,10000\n1,search,leads,5000\n",
        1000,
    );
    let w = p.warnings.join("\n");
    assert!(w.contains("the actuals put act.rate (search) at"), "{w}");
    assert!(w.contains("outside what its prior allows"), "{w}");
    assert!(p.groups[0].prior_ess < 1.5, "{:?}", p.groups[0]);
}

#[test]
fn the_update_is_the_same_on_any_number_of_threads() {
    let s = scenario(AUDIENCE);
    let a = Actuals::parse_str(
        Path::new("a.csv"),
        "month,channel,metric,value\n1,search,visitors,2300\n2,search,visitors,1750\n",
        &s,
    )
    .unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| update(&s, &a, &s.baseline_spend(), 3, 1000).unwrap())
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.draws, two.draws);
    assert_eq!(one.groups[0].stages, two.groups[0].stages);
    // And another seed gives other draws.
    let other = update(&s, &a, &s.baseline_spend(), 4, 1000).unwrap();
    assert_ne!(one.draws, other.draws);
}

/// A `uniform(0, 1)` or `pert(0, 0.5, 1)` rate is a Beta(1, 1) or
/// Beta(3, 3) in disguise: the grid path must reproduce the conjugate
/// posterior, with few and with many visitors.
#[test]
fn the_grid_reproduces_the_beta_posterior_of_a_disguised_beta_prior() {
    for (prior, a, b) in [("uniform(0, 1)", 1.0, 1.0), ("pert(0, 0.5, 1)", 3.0, 3.0)] {
        let s = scenario(&ACT.replace("beta(2, 18)", prior));
        for (visitors, leads) in ACT_EVIDENCE {
            let p = act_posterior(&s, visitors, leads);
            assert_eq!(p.groups[0].method, Method::Grid);
            assert_beta(&p, a + leads as f64, b + (visitors - leads) as f64);
        }
    }
}

#[test]
fn visitors_in_a_month_without_spend_are_named() {
    let s = scenario(ACT);
    let p = posterior(
        &s,
        "month,channel,metric,value\n1,search,visitors,9800\n2,search,visitors,500\n2,search,leads,40\n",
        500,
    );
    let w = p.warnings.join("\n");
    assert!(
        w.contains("channel `search`, month 2: 500 visitors with spend 0 (line 3): impossible under the scenario's fixed assumptions"),
        "{w}"
    );
    // The act rate still learns from the leads of both months' visitors.
    assert_eq!(p.groups[0].method, Method::Conjugate);
}
