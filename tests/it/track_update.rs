//! The update of `racesim track` (spec §9 part 2) through the library's
//! public API, on the shipped DTC shop scenario and on a data-heavy
//! two-dimensional case.

use std::path::Path;

use racesim::scenario::{self, Scenario};
use racesim::track::{Actuals, Method, Posterior, update, updated_scenario};

fn dtc_shop() -> (String, Scenario) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dtc_shop.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = scenario::parse_str(&path, &text).unwrap();
    (text, s)
}

/// Three months near the forecast's medians (spend as planned).
const DTC_ACTUALS: &str = "month,channel,metric,value,note
1,search,spend,11666.67,
1,search,visitors,10100,
1,search,leads,760,
1,search,customers,228,
1,social,visitors,10200,
1,social,leads,515,
1,social,customers,156,
1,display,visitors,9900,
1,display,leads,225,
1,display,customers,50,
1,influencers,visitors,7700,
1,influencers,leads,505,
1,influencers,customers,150,
2,search,visitors,9850,
2,search,leads,745,
2,search,customers,221,
2,social,visitors,10050,
2,social,leads,500,
2,social,customers,152,
2,display,visitors,10050,
2,display,leads,219,
2,display,customers,49,
2,influencers,visitors,7200,
2,influencers,leads,470,
2,influencers,customers,143,
3,search,visitors,9600,
3,search,leads,720,
3,search,customers,214,
3,social,visitors,9950,
3,social,leads,498,
3,social,customers,149,
3,display,visitors,10000,
3,display,leads,222,
3,display,customers,48,
3,influencers,visitors,6800,
3,influencers,leads,449,
3,influencers,customers,133,agency report
";

fn dtc_posterior(particles: usize) -> (String, Scenario, Actuals, Posterior) {
    let (text, s) = dtc_shop();
    let a = Actuals::parse_str(Path::new("a.csv"), DTC_ACTUALS, &s).unwrap();
    let p = update(&s, &a, &s.baseline_spend(), s.seed, particles).unwrap();
    (text, s, a, p)
}

#[test]
fn the_dtc_shop_learns_each_informed_row_by_its_exact_method() {
    let (text, s, a, p) = dtc_posterior(2000);
    assert_eq!(a.months, 3);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let method = |label: &str| {
        let u = p
            .assumptions
            .iter()
            .find(|u| u.label == label)
            .unwrap_or_else(|| panic!("{label} not informed: {:?}", p.assumptions));
        p.groups[u.group].method
    };
    assert_eq!(method("act.rate (search)"), Method::Conjugate);
    assert_eq!(method("act.rate (social)"), Method::Conjugate);
    assert_eq!(method("act.rate (influencers)"), Method::Conjugate);
    assert_eq!(method("act.rate (display)"), Method::Grid);
    assert_eq!(method("convert.rate (*)"), Method::Grid);
    assert_eq!(method("convert.rate (display)"), Method::Grid);
    assert_eq!(method("reach.cost_per_visit (search)"), Method::Grid);
    assert_eq!(method("reach.cost_per_visit (display)"), Method::Grid);
    // Rows the actuals say nothing about keep exactly the prior draws.
    assert!(
        p.assumptions
            .iter()
            .all(|u| !u.label.starts_with("engage."))
    );
    let mut prior = Vec::new();
    let churn = racesim::drivers::inputs(&s)
        .into_iter()
        .find(|i| i.name == "engage.churn (*)")
        .unwrap()
        .draw;
    for (i, d) in p.draws.iter().enumerate() {
        racesim::engine::draw_assumptions(&s, s.seed, i as u64, &mut prior);
        assert_eq!(d[churn], prior[churn]);
    }
    // Data near the medians narrow the assumptions without moving them far.
    for u in &p.assumptions {
        assert!(u.posterior.sd < u.prior.sd, "{u:?}");
        assert!(u.shift_sd.abs() < 1.5, "{u:?}");
    }
    // The written scenario reads back and carries the posterior.
    let written = updated_scenario(&text, &s, &p).unwrap();
    let again = scenario::parse_str(Path::new("dtc_shop.updated.csv"), &written)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.drawn.len(), s.drawn.len());
    assert!(written.contains("updated with actuals through month 3"));
}

/// Tens of thousands of visitors against a vague audience and cost per
/// visit: SMC must find the narrow posterior (plain importance weighting
/// of the prior draws would keep a handful of them).
#[test]
fn smc_finds_a_narrow_posterior_far_inside_a_vague_prior() {
    let s = scenario::parse_str(
        Path::new("s.csv"),
        "stage,channel,metric,value\n\
plan,*,horizon_months,6\n\
plan,*,campaign_months,3\n\
reach,search,spend,150000\n\
reach,search,cost_per_visit,\"uniform(0.2, 5)\"\n\
reach,search,audience,\"uniform(100000, 1000000)\"\n\
act,*,rate,0.05\n\
convert,*,rate,0.1\n\
convert,*,order_value,80\n",
    )
    .unwrap();
    // The expected visitors for A = 400,000 and v = 1.
    let (a, v, spend) = (400_000.0f64, 1.0f64, 50_000.0f64);
    let p = -(-spend / (v * a)).exp_m1();
    let mut left = a;
    let mut rows = String::from("month,channel,metric,value\n");
    for t in 1..=3 {
        let visitors = (left * p).round();
        rows.push_str(&format!("{t},search,visitors,{visitors}\n"));
        left -= visitors;
    }
    let actuals = Actuals::parse_str(Path::new("a.csv"), &rows, &s).unwrap();
    let post = update(&s, &actuals, &s.baseline_spend(), 11, 4000).unwrap();
    let g = &post.groups[0];
    assert_eq!(g.method, Method::Smc);
    assert!(g.prior_ess < 100.0, "{g:?}");
    assert!(g.ess > 1500.0 && g.stages > 2, "{g:?}");
    assert!(post.warnings.is_empty(), "{:?}", post.warnings);
    let cost = &post.assumptions[0].posterior;
    let audience = &post.assumptions[1].posterior;
    // The truth lies inside the posterior's 90 % interval, which is narrow.
    assert!(cost.p5 < v && v < cost.p95, "{cost:?}");
    assert!(audience.p5 < a && a < audience.p95, "{audience:?}");
    assert!(cost.p95 - cost.p5 < 0.2 * v, "{cost:?}");
    assert!(audience.p95 - audience.p5 < 0.2 * a, "{audience:?}");
}

#[test]
fn actuals_load_from_a_file_and_say_which_file_is_wrong() {
    let (_, s) = dtc_shop();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a.csv");
    std::fs::write(&good, format!("\u{feff}{DTC_ACTUALS}")).unwrap();
    let a = Actuals::load(&good, &s).unwrap();
    assert_eq!(a.months, 3);
    let search = s.channel_index("search").unwrap();
    assert_eq!(
        a.get(search, 1, racesim::track::ActualMetric::Leads),
        Some(760.0)
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "month,channel,metric,value\n1,influencer,visitors,10\n",
    )
    .unwrap();
    let e = Actuals::load(&bad, &s).unwrap_err().to_string();
    assert!(e.contains("bad.csv:2: unknown channel `influencer`"), "{e}");
    assert!(e.contains("did you mean `influencers`?"), "{e}");
    let e = Actuals::load(&dir.path().join("missing.csv"), &s).unwrap_err();
    assert!(
        e.to_string().contains("cannot read the actuals file"),
        "{e}"
    );
}
