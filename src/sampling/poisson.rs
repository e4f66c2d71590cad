//! Poisson(λ) counts: an inversion walk for small means, PTRS (Hörmann
//! 1993) beyond.

use std::sync::LazyLock;

use rand::{Rng, RngExt};

use super::binomial::stirling_tail;
use super::{INVERSION_CAP, INVERSION_MEAN, RECIPROCAL, floor_nonnegative};

/// Poisson(λ), exact, as a count.
#[inline]
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, lambda: f64) -> u64 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    if lambda < INVERSION_MEAN {
        let first = (-lambda).exp();
        loop {
            let u: f64 = rng.random();
            let (mut p, mut cdf, mut x) = (first, first, 0u64);
            while u >= cdf && x < INVERSION_CAP as u64 {
                x += 1;
                p *= lambda * RECIPROCAL[x as usize];
                cdf += p;
            }
            if u < cdf {
                return x;
            }
        }
    }
    poisson_ptrs(rng, lambda)
}

/// PTRS, Hörmann's transformed rejection sampler for the Poisson
/// ("The transformed rejection method for generating Poisson random
/// variables", 1993), for λ ≥ 10: no set-up beyond a square root and a log,
/// which suits draws whose λ changes every call.
fn poisson_ptrs<R: Rng + ?Sized>(rng: &mut R, lambda: f64) -> u64 {
    let slam = lambda.sqrt();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let v_r = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u: f64 = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        let x = (2.0 * a / us + b) * u + lambda + 0.43;
        // Any negative k stands for floor(x) < 0: both cast to 0 and are
        // rejected below.
        let k = if x < 0.0 { -1.0 } else { floor_nonnegative(x) };
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if ptrs_log_test(v, us, k, lambda, a, b) {
            return k as u64;
        }
    }
}

/// PTRS's log-density test, ln(v·hat) ≤ log P(X = k), for the minority of
/// draws the squeeze does not settle.
///
/// Out of line and cold, with its own 1/alpha and log λ: kept inline, its
/// constants and registers slowed the loop every draw takes (2 % per
/// Poisson draw at the shop's means, measured against the inline form).
#[cold]
fn ptrs_log_test(v: f64, us: f64, k: f64, lambda: f64, a: f64, b: f64) -> bool {
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let lhs = (v * inv_alpha / (a / (us * us) + b)).ln();
    lhs <= -lambda + k * lambda.ln() - ln_factorial(k)
}

/// log(k!) for the PTRS acceptance test: looked up for the counts a
/// repeat-order draw usually has, instead of a logarithm per test. The
/// table holds `stirling_ln_factorial` itself, so the test's decisions are
/// the same bit for bit.
#[inline]
fn ln_factorial(k: f64) -> f64 {
    static TABLE: LazyLock<Vec<f64>> = LazyLock::new(|| {
        (0..LN_FACTORIAL_TABLE)
            .map(|k| stirling_ln_factorial(k as f64))
            .collect()
    });
    // k is a whole number ≥ 0 here, so the cast is exact (or saturates
    // past the table).
    TABLE
        .get(k as usize)
        .copied()
        .unwrap_or_else(|| stirling_ln_factorial(k))
}

/// Counts whose log(k!) is tabulated: a Poisson mean of several hundred.
const LN_FACTORIAL_TABLE: usize = 1024;

/// log(k!) by Stirling's series with the tabulated remainder for small k.
fn stirling_ln_factorial(k: f64) -> f64 {
    const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
    (k + 0.5) * (k + 1.0).ln() - (k + 1.0) + HALF_LN_2PI + stirling_tail(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{mix64, seed_stream};

    /// PTRS as it was before its log test moved out of line: the reference
    /// the draws must match bit for bit.
    fn ptrs_before_cold_test<R: Rng + ?Sized>(rng: &mut R, lambda: f64) -> u64 {
        let slam = lambda.sqrt();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
        let v_r = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u: f64 = rng.random::<f64>() - 0.5;
            let v: f64 = rng.random();
            let us = 0.5 - u.abs();
            let x = (2.0 * a / us + b) * u + lambda + 0.43;
            let k = if x < 0.0 { -1.0 } else { floor_nonnegative(x) };
            if us >= 0.07 && v <= v_r {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let lhs = (v * inv_alpha / (a / (us * us) + b)).ln();
            if lhs <= -lambda + k * lambda.ln() - ln_factorial(k) {
                return k as u64;
            }
        }
    }

    #[test]
    fn ptrs_draws_are_the_reference_draws() {
        // λ from 10 to 10^15, denser at small means, which crosses the
        // tabulated log(k!) and the series beyond it.
        let mut draws = 0;
        for case in 0..3000u64 {
            let bits = mix64(case);
            let share = (bits >> 11) as f64 / (1u64 << 53) as f64;
            let lambda = INVERSION_MEAN * 10f64.powf(14.0 * share * share);
            let (mut new, mut old) = (seed_stream(bits), seed_stream(bits));
            for _ in 0..400 {
                assert_eq!(
                    poisson_ptrs(&mut new, lambda),
                    ptrs_before_cold_test(&mut old, lambda),
                    "lambda {lambda}"
                );
                draws += 1;
            }
            // The same number of uniforms taken, too.
            assert_eq!(new, old, "lambda {lambda}");
        }
        assert!(draws > 1_000_000, "{draws} draws");
    }
}
