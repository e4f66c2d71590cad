//! Statistical tests of the samplers against closed forms.
//!
//! Every test uses a fixed seed, so it is deterministic; tolerances are
//! multiples of the standard error of the statistic (5σ for moments, a
//! 0.1 % chi-square quantile for shapes), never tuned to the draws.

use racesim::sampling::{
    InversionTable, OrderValues, Survival, binomial, order_value_sum, poisson, split_evenly, stream,
};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::distribution::{
    Binomial as StatBinomial, ChiSquared, ContinuousCDF, Discrete, Poisson as StatPoisson,
};
use statrs::function::beta::ln_beta;

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Mean and variance of a sample.
fn moments(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Asserts the sample mean is within 5 standard errors of `mu`, and the
/// sample variance within 5 standard errors of `var` (using the fourth
/// central moment `mu4` for the variance's standard error).
fn assert_moments(label: &str, xs: &[f64], mu: f64, var: f64, mu4: f64) {
    let n = xs.len() as f64;
    let (m, v) = moments(xs);
    let se_mean = (var / n).sqrt();
    assert!(
        (m - mu).abs() <= 5.0 * se_mean + 1e-12,
        "{label}: mean {m} vs {mu} (se {se_mean})"
    );
    let se_var = ((mu4 - var * var * (n - 3.0) / (n - 1.0)) / n).sqrt();
    assert!(
        (v - var).abs() <= 5.0 * se_var + 1e-12,
        "{label}: variance {v} vs {var} (se {se_var})"
    );
}

/// Pearson chi-square goodness of fit of integer draws against `pmf`,
/// pooling tail cells with expected count < 5; fails above the 99.9 %
/// quantile.
fn assert_fits(label: &str, draws: &[u64], pmf: impl Fn(u64) -> f64, support_max: u64) {
    let n = draws.len() as f64;
    let mut observed = vec![0f64; support_max as usize + 1];
    for &d in draws {
        assert!(d <= support_max, "{label}: draw {d} outside support");
        observed[d as usize] += 1.0;
    }
    // Build cells left to right, merging until each expects ≥ 5.
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let (mut o, mut e) = (0.0, 0.0);
    for k in 0..=support_max {
        o += observed[k as usize];
        e += n * pmf(k);
        if e >= 5.0 {
            cells.push((o, e));
            o = 0.0;
            e = 0.0;
        }
    }
    if let Some(last) = cells.last_mut() {
        last.0 += o;
        last.1 += e;
    }
    let stat: f64 = cells.iter().map(|(o, e)| (o - e).powi(2) / e).sum();
    let dof = (cells.len() - 1) as f64;
    let critical = ChiSquared::new(dof).unwrap().inverse_cdf(0.999);
    assert!(
        stat <= critical,
        "{label}: chi-square {stat:.1} > {critical:.1} on {dof} dof"
    );
}

#[test]
fn binomial_matches_moments_in_every_regime() {
    let cases: [(u64, f64); 9] = [
        (1, 0.3),
        (20, 0.2),     // inversion
        (50, 0.9),     // inversion, flipped
        (200, 0.3),    // BTRS
        (1000, 0.011), // BTRS at n·p just above the switch
        (99, 0.1),     // inversion just below the switch
        (1_000_000, 0.4),
        (1_000_000_000, 1e-7), // huge n, tiny p
        (3_000_000_000, 0.5),
    ];
    let mut r = rng(1);
    for (n, p) in cases {
        let draws: Vec<f64> = (0..100_000)
            .map(|_| binomial(&mut r, n, p) as f64)
            .collect();
        let (nf, q) = (n as f64, 1.0 - p);
        let var = nf * p * q;
        let mu4 = nf * p * q * (1.0 + 3.0 * (nf - 2.0) * p * q);
        assert_moments(&format!("Binomial({n}, {p})"), &draws, nf * p, var, mu4);
    }
}

#[test]
fn binomial_matches_pmf() {
    let mut r = rng(2);
    for (n, p) in [(20u64, 0.2), (40, 0.7), (200, 0.3), (5000, 0.02), (60, 0.5)] {
        let draws: Vec<u64> = (0..200_000).map(|_| binomial(&mut r, n, p)).collect();
        let exact = StatBinomial::new(p, n).unwrap();
        assert_fits(&format!("Binomial({n}, {p})"), &draws, |k| exact.pmf(k), n);
    }
}

#[test]
fn binomial_edge_cases() {
    let mut r = rng(3);
    assert_eq!(binomial(&mut r, 0, 0.5), 0);
    assert_eq!(binomial(&mut r, 10, 0.0), 0);
    assert_eq!(binomial(&mut r, 10, 1.0), 10);
    assert_eq!(binomial(&mut r, 10, f64::NAN), 0);
}

#[test]
fn poisson_matches_moments_and_pmf() {
    let mut r = rng(4);
    for lambda in [0.3, 4.0, 9.9, 10.0, 45.0, 5_000.0, 1e9] {
        let draws: Vec<u64> = (0..100_000).map(|_| poisson(&mut r, lambda)).collect();
        let xs: Vec<f64> = draws.iter().map(|&d| d as f64).collect();
        assert_moments(
            &format!("Poisson({lambda})"),
            &xs,
            lambda,
            lambda,
            lambda * (1.0 + 3.0 * lambda),
        );
        if lambda < 100.0 {
            let exact = StatPoisson::new(lambda).unwrap();
            assert_fits(&format!("Poisson({lambda})"), &draws, |k| exact.pmf(k), 400);
        }
    }
    assert_eq!(poisson(&mut r, 0.0), 0);
}

#[test]
fn gamma_sum_of_orders_matches_closed_form() {
    // The sum of n orders with mean m and cv c has mean n·m and variance
    // n·(m·c)²; the exact Gamma(n/c², m·c²) also fixes the fourth moment.
    // One sampler for all cases, as in the engine: it remembers set-up per
    // order count and must start over when the cv changes (n = 7 at cv 1.5,
    // then at cv 0.6). n = 1 at cv 1.5 takes the small-shape path.
    let mut r = rng(5);
    let mut values = OrderValues::default();
    for (n, m, cv) in [
        (7u64, 20.0, 1.5),
        (1, 20.0, 1.5),
        (7, 85.0, 0.6),
        (1, 85.0, 0.6),
        (400, 48.0, 0.6),
        (100_000, 9.99, 0.2),
    ] {
        let draws: Vec<f64> = (0..100_000).map(|_| values.sum(&mut r, n, m, cv)).collect();
        let (k, theta) = (n as f64 / (cv * cv), m * cv * cv);
        let var = k * theta * theta;
        let mu4 = 3.0 * k * (k + 2.0) * theta.powi(4);
        assert_moments(&format!("gamma sum n={n}"), &draws, n as f64 * m, var, mu4);
    }
    assert_eq!(order_value_sum(&mut r, 0, 85.0, 0.6), 0.0);
    assert_eq!(order_value_sum(&mut r, 12, 85.0, 0.0), 12.0 * 85.0);
}

#[test]
fn even_split_is_multinomial() {
    let mut r = rng(6);
    let (n, cells, reps) = (1_000u64, 6usize, 50_000);
    let mut sums = vec![0f64; cells];
    let mut squares = vec![0f64; cells];
    let mut cross = 0f64; // cells 0 and 1
    let mut out = vec![0u64; cells];
    for _ in 0..reps {
        split_evenly(&mut r, n, &mut out);
        assert_eq!(out.iter().sum::<u64>(), n);
        for (i, &x) in out.iter().enumerate() {
            sums[i] += x as f64;
            squares[i] += (x as f64).powi(2);
        }
        cross += out[0] as f64 * out[1] as f64;
    }
    let p = 1.0 / cells as f64;
    let reps_f = reps as f64;
    let var = n as f64 * p * (1.0 - p);
    for i in 0..cells {
        let mean = sums[i] / reps_f;
        let v = squares[i] / reps_f - mean * mean;
        assert!(
            (mean - n as f64 * p).abs() < 5.0 * (var / reps_f).sqrt(),
            "cell {i} mean {mean}"
        );
        // Var of the sample variance ≈ 2σ⁴/N for a near-normal cell.
        assert!(
            (v - var).abs() < 5.0 * var * (2.0 / reps_f).sqrt(),
            "cell {i} variance {v} vs {var}"
        );
    }
    let cov = cross / reps_f - (sums[0] / reps_f) * (sums[1] / reps_f);
    let want = -(n as f64) * p * p;
    // se of a covariance estimate ≈ sqrt((σ²σ² + cov²)/N).
    let se = ((var * var + want * want) / reps_f).sqrt();
    assert!((cov - want).abs() < 5.0 * se, "covariance {cov} vs {want}");
}

/// S(k) of the shifted-beta-geometric model, in closed form.
fn sbg_survival(alpha: f64, beta: f64, k: usize) -> f64 {
    (ln_beta(alpha, beta + k as f64) - ln_beta(alpha, beta)).exp()
}

/// (churn, polarization) for Beta(α, β) heterogeneity (spec §4.3).
fn churn_and_polarization(alpha: f64, beta: f64) -> (f64, f64) {
    (alpha / (alpha + beta), 1.0 / (alpha + beta + 1.0))
}

#[test]
fn sbg_table_matches_fader_hardie() {
    // Fader & Hardie (2007), "How to Project Customer Retention", Table 1
    // fits: the percentages they report for S(1..4).
    let published = [
        (0.704, 1.182, [62.7, 47.4, 38.8, 33.2]),
        (0.668, 3.806, [85.1, 74.7, 67.0, 61.0]),
    ];
    for (alpha, beta, percents) in published {
        let (churn, phi) = churn_and_polarization(alpha, beta);
        let mut s = Survival::default();
        s.reset(churn, phi, 12);
        for (k, pct) in percents.iter().enumerate() {
            let table = s.survival(k + 1);
            assert!(
                (100.0 * table - pct).abs() < 0.05,
                "S({}) = {:.2}% vs {pct}%",
                k + 1,
                100.0 * table
            );
            assert!((table - sbg_survival(alpha, beta, k + 1)).abs() < 1e-12);
        }
    }
}

/// How a test draws a cohort: each path on its own, whatever size the
/// engine would switch at.
#[derive(Clone, Copy)]
enum Path {
    CustomerByCustomer,
    ByAge,
}

/// Draws `reps` cohorts of `n` along `path` and checks the share active
/// after k month ends against S(k), k = 1..=max_age, with binomial
/// standard errors.
fn check_cohort_survival(path: Path, alpha: f64, beta: f64, n: u64, reps: usize, seed: u64) {
    let (churn, phi) = churn_and_polarization(alpha, beta);
    let max_age = 12;
    let mut s = Survival::default();
    s.reset(churn, phi, max_age);
    let mut r = rng(seed);
    // alive[k] counts customers with lifetime ≥ k.
    let mut alive = vec![0f64; max_age + 1];
    for _ in 0..reps {
        let mut churned = vec![0u64; max_age];
        let on_churn = |t: usize, c: u64| churned[t] += c;
        let survivors = match path {
            Path::CustomerByCustomer => s.sample_customers(&mut r, n, max_age, on_churn),
            Path::ByAge => s.sample_by_age(&mut r, n, max_age, on_churn),
        };
        assert_eq!(churned.iter().sum::<u64>() + survivors, n);
        let mut remaining = n;
        for k in 0..=max_age {
            alive[k] += remaining as f64;
            if k < max_age {
                remaining -= churned[k];
            }
        }
    }
    let total = (n as usize * reps) as f64;
    for (k, alive_k) in alive.iter().enumerate().skip(1) {
        let want = sbg_survival(alpha, beta, k);
        let got = alive_k / total;
        // Customers are independent, so the share is a binomial proportion.
        let se = (want * (1.0 - want) / total).sqrt();
        assert!(
            (got - want).abs() < 5.0 * se,
            "α={alpha} β={beta} n={n}: S({k}) {got:.5} vs {want:.5} (se {se:.5})"
        );
    }
}

#[test]
fn sbg_cohorts_reproduce_survival_curve_customer_by_customer() {
    use Path::CustomerByCustomer as P;
    check_cohort_survival(P, 0.704, 1.182, 5, 40_000, 7);
    check_cohort_survival(P, 0.668, 3.806, 3, 60_000, 8);
    // Mid-sized cohorts, as the engine draws them one by one (several
    // words of keys per cohort, the tail of a word, second looks).
    check_cohort_survival(P, 0.704, 1.182, 301, 1_000, 12);
}

#[test]
fn sbg_cohorts_reproduce_survival_curve_by_conditional_binomials() {
    use Path::ByAge as P;
    check_cohort_survival(P, 0.704, 1.182, 5_000, 200, 9);
    check_cohort_survival(P, 0.668, 3.806, 1_000_000, 20, 10);
}

#[test]
fn a_cohort_takes_the_cheaper_path() {
    // What `sample_cohort` (and the engine) choose: one by one while a
    // cohort is small against the months ahead, by age beyond.
    let (churn, phi) = churn_and_polarization(0.704, 1.182);
    let mut s = Survival::default();
    s.reset(churn, phi, 12);
    assert!(s.prefers_customers(5, 12));
    assert!(s.prefers_customers(300, 12));
    assert!(!s.prefers_customers(5_000, 12));
}

#[test]
fn memoryless_churn_is_geometric() {
    let mut s = Survival::default();
    s.reset(0.2, 0.0, 10);
    assert!(s.is_memoryless());
    for k in 0..=10 {
        assert!((s.survival(k) - 0.8f64.powi(k as i32)).abs() < 1e-15);
    }
    // Churn 1: nobody survives a month end.
    s.reset(1.0, 0.5, 5);
    let mut r = rng(11);
    let survivors = s.sample_cohort(&mut r, 1000, 5, |t, _| assert_eq!(t, 0));
    assert_eq!(survivors, 0);
}

#[test]
fn inversion_table_matches_weights() {
    // Zero-weight cells, cells much narrower than a byte's 1/256 (which
    // straddle and take the exact second look) and wide ones.
    let weights = [0.5, 0.0, 3.0, 0.001, 1.25, 0.003, 0.25, 5.0, 0.0];
    let total: f64 = weights.iter().sum();
    let cdf: Vec<f64> = weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w / total;
            Some(*acc)
        })
        .collect();
    let mut table = InversionTable::default();
    table.build(cdf.iter().copied());
    assert!(table.straddling_share() > 0.0);
    let mut r = rng(12);
    let draws: Vec<u64> = (0..400_000).map(|_| table.sample(&mut r) as u64).collect();
    assert!(
        !draws.contains(&1) && !draws.contains(&8),
        "a zero-weight cell was drawn"
    );
    let pmf = |k: u64| weights.get(k as usize).map_or(0.0, |w| w / total);
    assert_fits("inversion table", &draws, pmf, 8);
    // Five draws per u64 in bulk, counted in four lanes per cell: the same
    // distribution, and the counts add to what the caller already had.
    let mut lanes = vec![[1u32; 4]; weights.len()];
    table.add_draws(&mut r, 400_000, &mut lanes);
    let counts: Vec<u64> = lanes
        .iter()
        .map(|c| c.iter().map(|&x| u64::from(x) - 1).sum())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 400_000);
    let bulk: Vec<u64> = counts
        .iter()
        .enumerate()
        .flat_map(|(k, &c)| std::iter::repeat_n(k as u64, c as usize))
        .collect();
    assert_fits("inversion table, in bulk", &bulk, pmf, 8);
}

#[test]
fn trial_streams_depend_only_on_seed_trial_and_key() {
    use rand::Rng;
    let a: Vec<u64> = (0..4).map(|_| stream(7, 42, 3).next_u64()).collect();
    assert!(a.windows(2).all(|w| w[0] == w[1]));
    let mut distinct = std::collections::HashSet::new();
    for seed in 0..3 {
        for trial in 0..50 {
            for key in 0..3 {
                distinct.insert(stream(seed, trial, key).next_u64());
            }
        }
    }
    assert_eq!(distinct.len(), 3 * 50 * 3);
}
