//! Sensitivity and value-of-information estimators over per-trial values
//! (spec §8), knowing nothing of where the values came from.
//!
//! Each estimator takes per-trial weights: all ones for the estimate itself,
//! bootstrap counts for its standard error. Groups and tails are fixed by
//! the ranks in the whole sample, so a bootstrap replicate reweights trials
//! without re-sorting (a conditional bootstrap: it measures the noise of the
//! group means, which is what dominates).

/// Groups of the first-order index and of EVPPI (spec §8).
pub const GROUPS: usize = 20;

/// Trial indices in increasing order of `x` (ties in trial order, so the
/// order is reproducible).
pub fn rank_order(x: &[f64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..x.len() as u32).collect();
    order.sort_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]).then(a.cmp(&b)));
    order
}

/// The slice of `order` holding rank group `g` of `groups` equal-count
/// groups.
pub fn group(order: &[u32], g: usize, groups: usize) -> &[u32] {
    let n = order.len();
    &order[g * n / groups..(g + 1) * n / groups]
}

/// The trials in the lowest and the highest tenth of `order`.
pub fn tenths(order: &[u32]) -> (&[u32], &[u32]) {
    let k = (order.len() / 10).max(1).min(order.len());
    (&order[..k], &order[order.len() - k..])
}

/// Weighted mean of `values` over `trials`; NaN when their weight is 0.
pub fn mean_over(trials: &[u32], values: &[f64], weights: &[f64]) -> f64 {
    let (mut sum, mut weight) = (0.0, 0.0);
    for &i in trials {
        let w = weights[i as usize];
        sum += w * values[i as usize];
        weight += w;
    }
    if weight > 0.0 { sum / weight } else { f64::NAN }
}

/// Weighted population variance of `values`.
pub fn variance(values: &[f64], weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return f64::NAN;
    }
    let mean = values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total;
    values
        .iter()
        .zip(weights)
        .map(|(v, w)| w * (v - mean).powi(2))
        .sum::<f64>()
        / total
}

/// Var(E[Ē | X_j]) estimated as the count-weighted variance of the rank
/// groups' means of `expected` (spec §8); divide by Var(Y) for the index.
pub fn between_group_variance(order: &[u32], expected: &[f64], weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    let grand = expected
        .iter()
        .zip(weights)
        .map(|(v, w)| v * w)
        .sum::<f64>()
        / total;
    (0..GROUPS)
        .map(|g| {
            let members = group(order, g, GROUPS);
            let weight: f64 = members.iter().map(|&i| weights[i as usize]).sum();
            if weight > 0.0 {
                weight / total * (mean_over(members, expected, weights) - grand).powi(2)
            } else {
                0.0
            }
        })
        .sum()
}

/// The best of several plans' means over `trials` (plans given as
/// per-trial expected values).
fn best_mean(trials: &[u32], plans: &[&[f64]], weights: &[f64]) -> f64 {
    plans
        .iter()
        .map(|p| mean_over(trials, p, weights))
        .filter(|m| !m.is_nan())
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Expected value of perfect information: mean_i max_k Ē_{k,i} − max_k mean_i Ē_{k,i}.
pub fn evpi(plans: &[&[f64]], weights: &[f64]) -> f64 {
    let all: Vec<u32> = (0..weights.len() as u32).collect();
    let total: f64 = weights.iter().sum();
    let perfect = (0..weights.len())
        .map(|i| weights[i] * plans.iter().map(|p| p[i]).fold(f64::NEG_INFINITY, f64::max))
        .sum::<f64>()
        / total;
    perfect - best_mean(&all, plans, weights)
}

/// Expected value of learning one input before choosing: the trials
/// grouped by its rank, each group choosing its own best plan.
pub fn evppi(order: &[u32], plans: &[&[f64]], weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    let informed: f64 = (0..GROUPS)
        .map(|g| {
            let members = group(order, g, GROUPS);
            let weight: f64 = members.iter().map(|&i| weights[i as usize]).sum();
            if weight > 0.0 {
                weight / total * best_mean(members, plans, weights)
            } else {
                0.0
            }
        })
        .sum();
    informed - best_mean(order, plans, weights)
}

/// Mean rank percentile (0–100, 50 = no link) of `trials` in `order`.
pub fn mean_rank_percentile(order: &[u32], trials: &[u32]) -> f64 {
    let n = order.len();
    let mut rank = vec![0u32; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    trials
        .iter()
        .map(|&i| 100.0 * (f64::from(rank[i as usize]) + 0.5) / n as f64)
        .sum::<f64>()
        / trials.len().max(1) as f64
}

/// Type-7 quantile of `x` through its rank order.
pub fn quantile(order: &[u32], x: &[f64], p: f64) -> f64 {
    let n = order.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let (a, b) = (x[order[lo] as usize], x[order[hi] as usize]);
    a + (h - lo as f64) * (b - a)
}

/// Bootstrap weights: `replicates` multinomial resamples of `n` trials,
/// from a seeded generator so the errors are reproducible.
pub fn bootstrap_weights(n: usize, replicates: usize, seed: u64) -> Vec<Vec<f64>> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..replicates)
        .map(|_| {
            let mut w = vec![0.0; n];
            for _ in 0..n {
                w[rng.random_range(0..n)] += 1.0;
            }
            w
        })
        .collect()
}

/// Sample standard deviation of bootstrap replicates of an estimate.
pub fn spread(replicates: &[f64]) -> f64 {
    let k = replicates.len() as f64;
    if k < 2.0 {
        return f64::NAN;
    }
    let mean = replicates.iter().sum::<f64>() / k;
    (replicates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_cover_every_trial_once() {
        let order: Vec<u32> = (0..103).collect();
        let mut seen = 0;
        for g in 0..GROUPS {
            seen += group(&order, g, GROUPS).len();
        }
        assert_eq!(seen, 103);
    }

    #[test]
    fn between_group_variance_of_a_step_is_its_variance() {
        // Ē = 0 for the lower half of X, 1 for the upper: the group means
        // are the values themselves, so all variance is explained.
        let x: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64).collect();
        let e: Vec<f64> = x
            .iter()
            .map(|&v| if v < 500.0 { 0.0 } else { 1.0 })
            .collect();
        let w = vec![1.0; 1000];
        let order = rank_order(&x);
        let between = between_group_variance(&order, &e, &w);
        assert!((between - variance(&e, &w)).abs() < 1e-12, "{between}");
    }

    #[test]
    fn evpi_of_dominated_plans_is_zero() {
        let a: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let b: Vec<f64> = a.iter().map(|v| v - 1.0).collect();
        let w = vec![1.0; 100];
        // Zero up to the rounding of two different summation orders.
        assert!(evpi(&[&a, &b], &w).abs() < 1e-12);
        assert!(evppi(&rank_order(&a), &[&a, &b], &w).abs() < 1e-12);
    }
}
