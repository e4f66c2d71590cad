//! The model's limits at the edges of every allowed domain (issue: never
//! silently wrong): samplers compute the right limit instead of NaN,
//! infinity or a frozen value.

use proptest::prelude::*;
use racesim::sampling::{OrderValues, Survival};
use racesim::scenario::{Prior, ValueSpec};
use rand::SeedableRng;

fn rng(seed: u64) -> rand_xoshiro::Xoshiro256PlusPlus {
    rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed)
}

fn survival(churn: f64, phi: f64, ages: usize) -> Vec<f64> {
    let mut s = Survival::default();
    s.reset(churn, phi, ages);
    (0..=ages).map(|k| s.survival(k)).collect()
}

#[test]
fn sbg_near_phi_one_loses_a_churn_share_once_and_keeps_the_rest() {
    // φ → 1: θ is 1 for a share `churn` of customers and 0 for the rest.
    let s = survival(0.1, 1.0 - f64::EPSILON / 2.0, 12);
    for (k, v) in s.iter().enumerate().skip(1) {
        assert!((v - 0.9).abs() < 1e-9, "S({k}) = {v}");
    }
}

#[test]
fn sbg_at_vanishing_phi_is_geometric() {
    for phi in [1e-310, 5e-324, 1e-200, 1e-17] {
        let s = survival(0.1, phi, 12);
        for (k, v) in s.iter().enumerate() {
            let want = 0.9f64.powi(k as i32);
            assert!(
                (v - want).abs() < 1e-9,
                "φ {phi:e}: S({k}) = {v}, want {want}"
            );
        }
    }
}

#[test]
fn order_sums_with_a_vanishing_cv_are_the_mean_times_the_count() {
    let mut values = OrderValues::default();
    let mut r = rng(1);
    for cv in [1e-160, 1e-320, 5e-324, 1e-9] {
        for n in [1u64, 7, 1000] {
            let sum = values.sum(&mut r, n, 50.0, cv);
            assert!(sum.is_finite(), "cv {cv:e}, n {n}: {sum}");
            assert!(
                (sum - 50.0 * n as f64).abs() <= 1e-6 * 50.0 * n as f64,
                "cv {cv:e}: {sum}"
            );
        }
    }
}

fn beta_mean(a: f64, b: f64, draws: usize) -> (f64, f64) {
    let sampler = Prior::new(&ValueSpec::Beta { a, b });
    let mut r = rng(2);
    let xs: Vec<f64> = (0..draws).map(|_| sampler.sample(&mut r)).collect();
    assert!(
        xs.iter().all(|x| (0.0..=1.0).contains(x)),
        "beta({a:e}, {b:e})"
    );
    let mean = xs.iter().sum::<f64>() / draws as f64;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws as f64).sqrt();
    (mean, sd)
}

#[test]
fn beta_with_huge_parameters_is_its_mean() {
    for (a, b) in [(1e308, 1e308), (1e308, 3e307), (1e300, 1e300)] {
        let (mean, sd) = beta_mean(a, b, 100);
        assert!(
            (mean - a / b / (1.0 + a / b)).abs() < 1e-12,
            "beta({a:e}, {b:e}): {mean}"
        );
        assert!(sd < 1e-12);
    }
}

#[test]
fn beta_with_vanishing_parameters_is_a_coin_at_the_ends() {
    // Beta(a, b) → Bernoulli(a/(a + b)) on {0, 1} as a, b → 0.
    for (a, b, p) in [
        (1e-320, 1e-320, 0.5),
        (1e-320, 3e-320, 0.25),
        (1e-300, 1e-300, 0.5),
    ] {
        let n = 20_000;
        let (mean, _) = beta_mean(a, b, n);
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!(
            (mean - p).abs() < 5.0 * se,
            "beta({a:e}, {b:e}): {mean} vs {p}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Survival is a probability, starts at 1 and never rises, for every
    /// churn in [0, 1] and φ in [0, 1), extremes included.
    #[test]
    fn survival_is_a_falling_probability(
        churn in prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0, 1e-300f64..1e-10],
        phi in prop_oneof![Just(0.0), Just(5e-324), Just(1.0 - f64::EPSILON / 2.0), 0.0f64..1.0, 1e-320f64..1e-10],
    ) {
        let s = survival(churn, phi, 24);
        prop_assert_eq!(s[0], 1.0);
        for w in s.windows(2) {
            prop_assert!(w[1].is_finite() && (0.0..=1.0).contains(&w[1]), "{:?}", s);
            prop_assert!(w[1] <= w[0] + 1e-15, "{:?}", s);
        }
    }

    /// Order sums are finite and non-negative for every allowed cv.
    #[test]
    fn order_sums_are_finite(
        cv in prop_oneof![Just(0.0), Just(5e-324), 0.0f64..=100.0, 1e-320f64..1e-100],
        n in 0u64..100_000,
        mean in 1e-6f64..1e6,
        seed in any::<u64>(),
    ) {
        let sum = OrderValues::default().sum(&mut rng(seed), n, mean, cv);
        prop_assert!(sum.is_finite() && sum >= 0.0, "{sum}");
    }

    /// Beta draws stay in [0, 1] for any positive parameters.
    #[test]
    fn beta_draws_are_rates(
        a in prop_oneof![Just(5e-324), Just(1e308), 1e-320f64..1e-200, 1e-3f64..1e3, 1e200f64..1e308],
        b in prop_oneof![Just(5e-324), Just(1e308), 1e-320f64..1e-200, 1e-3f64..1e3, 1e200f64..1e308],
        seed in any::<u64>(),
    ) {
        let sampler = Prior::new(&ValueSpec::Beta { a, b });
        let mut r = rng(seed);
        for _ in 0..20 {
            let x = sampler.sample(&mut r);
            prop_assert!((0.0..=1.0).contains(&x), "beta({:e}, {:e}) drew {}", a, b, x);
        }
    }
}
