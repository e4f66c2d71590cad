//! Exact samplers for the aggregate counts and sums of spec §4.
//!
//! Everything here draws a *count* (or a sum) in one go rather than
//! simulating individuals, so a trial's cost does not grow with the
//! audience or the number of customers. Small means take inline inversion
//! paths because, at a handful of expected events, building a general
//! sampler costs more than the draw itself.

use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Binomial, Distribution, Gamma, Poisson};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every trial stream: small state, 2 ns a draw, and
/// cheap to seed, which matters because each trial seeds several streams.
pub type TrialRng = Xoshiro256PlusPlus;

/// SplitMix64's finaliser: a bijection on u64 with good avalanche, used to
/// derive independent stream seeds from (seed, trial, stream key).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream `key` of trial `trial`: a function of (seed, trial,
/// key) alone, which is what makes results independent of thread count and
/// lets plans share draws (common random numbers).
#[inline]
pub fn stream(seed: u64, trial: u64, key: u64) -> TrialRng {
    TrialRng::seed_from_u64(mix64(mix64(mix64(seed) ^ trial) ^ key))
}

/// Below this mean the inversion paths are used (GSL uses 14 for the
/// binomial; the figure only trades speed, never exactness).
const INVERSION_MEAN: f64 = 12.0;

/// Binomial(n, p), exact.
#[inline]
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || !(p > 0.0) {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let (small_p, flipped) = if p > 0.5 { (1.0 - p, true) } else { (p, false) };
    let x = if (n as f64) * small_p < INVERSION_MEAN {
        binomial_inversion(rng, n, small_p)
    } else {
        match Binomial::new(n, small_p) {
            Ok(d) => d.sample(rng),
            Err(_) => binomial_inversion(rng, n, small_p),
        }
    };
    if flipped { n - x } else { x }
}

/// BINV (Kachitvichyanukul & Schmeiser 1988): walk the pmf from 0 using the
/// recurrence P(x)/P(x−1) = (n+1−x)/x · p/q. Expected steps ≈ n·p + 1.
fn binomial_inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    let q = 1.0 - p;
    let s = p / q;
    let a = (n as f64 + 1.0) * s;
    let first = ((n as f64) * (-p).ln_1p()).exp();
    // Rounding can leave the summed pmf a hair under u; restart then
    // (probability ~1e-15) instead of walking into the far tail.
    let cap = n.min(64 + (8.0 * INVERSION_MEAN) as u64);
    loop {
        let mut u: f64 = rng.random();
        let mut r = first;
        let mut x = 0u64;
        loop {
            if u < r {
                return x;
            }
            u -= r;
            x += 1;
            if x > cap {
                break;
            }
            r *= a / x as f64 - s;
        }
    }
}

/// Poisson(λ), exact, as a count.
#[inline]
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, lambda: f64) -> u64 {
    if !(lambda > 0.0) {
        return 0;
    }
    if lambda < INVERSION_MEAN {
        let first = (-lambda).exp();
        loop {
            let u: f64 = rng.random();
            let (mut p, mut cdf, mut x) = (first, first, 0u64);
            while u >= cdf && x < 128 {
                x += 1;
                p *= lambda / x as f64;
                cdf += p;
            }
            if u < cdf {
                return x;
            }
        }
    }
    match Poisson::new(lambda) {
        Ok(d) => {
            let x: f64 = d.sample(rng);
            x as u64
        }
        // Beyond rand_distr's limit (1.8e19) the count is no longer random
        // at f64 precision.
        Err(_) => lambda.round() as u64,
    }
}

/// Total value of `n` orders whose values have mean `mean` and coefficient
/// of variation `cv`: exactly Gamma(n/cv², mean·cv²), the sum of n
/// independent Gamma(1/cv², mean·cv²) order values (spec §4.2).
#[inline]
pub fn order_value_sum<R: Rng + ?Sized>(rng: &mut R, n: u64, mean: f64, cv: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    if cv == 0.0 {
        return mean * n as f64;
    }
    let shape = n as f64 / (cv * cv);
    let scale = mean * cv * cv;
    match Gamma::new(shape, scale) {
        Ok(d) => d.sample(rng),
        Err(_) => mean * n as f64,
    }
}

/// Splits `n` items uniformly at random over `out.len()` cells: the
/// multinomial with equal shares, drawn as conditional binomials.
pub fn split_evenly<R: Rng + ?Sized>(rng: &mut R, n: u64, out: &mut [u64]) {
    let cells = out.len();
    let mut left = n;
    for (i, slot) in out.iter_mut().enumerate() {
        let remaining = cells - i;
        let x = if remaining == 1 {
            left
        } else {
            binomial(rng, left, 1.0 / remaining as f64)
        };
        *slot = x;
        left -= x;
    }
}

/// Customer lifetimes under the shifted-beta-geometric model (spec §4.3).
///
/// A lifetime T is the number of month ends a customer survives. Each
/// customer's churn probability θ ~ Beta(α, β), so the share of a cohort
/// still active after k month ends is S(k) = B(α, β+k)/B(α, β), and of
/// those active at age k−1 a share r(k) = (β+k−1)/(α+β+k−1) survives.
#[derive(Debug, Clone, Default)]
pub struct Survival {
    /// S(0..=max_age).
    survival: Vec<f64>,
    /// r(k) at index k (index 0 unused).
    ratio: Vec<f64>,
    memoryless: bool,
}

impl Survival {
    /// Rebuilds the tables for mean churn `churn` and polarization `phi`
    /// up to `max_age`, reusing the allocation (called once per channel and
    /// trial, so it must not allocate in steady state).
    pub fn reset(&mut self, churn: f64, phi: f64, max_age: usize) {
        self.survival.clear();
        self.ratio.clear();
        self.survival.push(1.0);
        self.ratio.push(1.0);
        self.memoryless = phi == 0.0 || churn <= 0.0 || churn >= 1.0;
        let spread = if phi > 0.0 { 1.0 / phi - 1.0 } else { 0.0 };
        let (alpha, beta) = (churn * spread, (1.0 - churn) * spread);
        let mut s = 1.0;
        for k in 1..=max_age {
            let r = if self.memoryless {
                1.0 - churn
            } else {
                (beta + k as f64 - 1.0) / (alpha + beta + k as f64 - 1.0)
            };
            s *= r;
            self.ratio.push(r);
            self.survival.push(s);
        }
    }

    /// Every customer has the same churn probability, so survival does not
    /// depend on age and cohorts can be pooled.
    pub fn is_memoryless(&self) -> bool {
        self.memoryless
    }

    /// S(k) for k ≤ max_age.
    pub fn survival(&self, k: usize) -> f64 {
        self.survival[k]
    }

    /// r(k): the chance that a customer active at age k−1 is active at age k.
    pub fn ratio(&self, k: usize) -> f64 {
        self.ratio[k]
    }

    /// Draws the lifetimes of a cohort of `n`, censored at `max_age`, and
    /// reports them as (lifetime, count) pairs for lifetimes below
    /// `max_age`; it returns how many are still active at `max_age`.
    ///
    /// Small cohorts draw one uniform per customer and invert S; large ones
    /// draw one conditional binomial per age. Both are exact; the cheaper is
    /// chosen, so the cost is O(min(n, max_age)).
    pub fn sample_cohort<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        n: u64,
        max_age: usize,
        mut on_churn: impl FnMut(usize, u64),
    ) -> u64 {
        debug_assert!(max_age < self.survival.len());
        if n == 0 {
            return 0;
        }
        if n <= 4 * max_age as u64 {
            // P(T ≥ k) = S(k): T counts the ages k in 1..=max_age with u < S(k).
            let tail = &self.survival[1..=max_age];
            let mut survivors = 0;
            for _ in 0..n {
                let u: f64 = rng.random();
                let t = tail.partition_point(|&s| u < s);
                if t < max_age {
                    on_churn(t, 1);
                } else {
                    survivors += 1;
                }
            }
            survivors
        } else {
            let mut alive = n;
            for k in 1..=max_age {
                let next = binomial(rng, alive, self.ratio[k]);
                if next < alive {
                    on_churn(k - 1, alive - next);
                }
                alive = next;
                if alive == 0 {
                    break;
                }
            }
            alive
        }
    }
}
