//! Exact samplers for the aggregate counts and sums of spec §4.
//!
//! Everything here draws a *count* (or a sum) in one go rather than
//! simulating individuals, so a trial's cost does not grow with the
//! audience or the number of customers. Small means take inline inversion
//! paths because, at a handful of expected events, building a general
//! sampler costs more than the draw itself.

use rand::{Rng, RngExt, SeedableRng};
use rand_distr::{Distribution, Gamma, Open01, StandardNormal};
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
const INVERSION_MEAN: f64 = 10.0;

/// The binomial walk stays cheaper than BTRS a little longer, because BTRS
/// needs its logarithmic acceptance test in about half of its draws at
/// moderate n·p.
const BINOMIAL_INVERSION_MEAN: f64 = 16.0;

/// Binomial(n, p), exact.
#[inline]
pub fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let (small_p, flipped) = if p > 0.5 { (1.0 - p, true) } else { (p, false) };
    let x = if (n as f64) * small_p < BINOMIAL_INVERSION_MEAN {
        binomial_inversion(rng, n, small_p)
    } else {
        binomial_btrs(rng, n, small_p)
    };
    if flipped { n - x } else { x }
}

/// Stirling-series remainder of log(k!) for k < 10, where the series
/// itself is not yet accurate.
const STIRLING_TAIL: [f64; 10] = [
    0.081_061_466_795_327_26,
    0.041_340_695_955_409_29,
    0.027_677_925_684_998_34,
    0.020_790_672_103_765_09,
    0.016_644_691_189_821_1,
    0.013_876_128_823_070_75,
    0.011_896_709_945_891_77,
    0.010_411_265_261_972_09,
    0.009_255_462_182_712_733,
    0.008_330_563_433_362_87,
];

/// log(k!) − [(k + ½)·log(k + 1) − (k + 1) + ½·log(2π)]
fn stirling_tail(k: f64) -> f64 {
    if k < 10.0 {
        return STIRLING_TAIL[k as usize];
    }
    let kp1 = k + 1.0;
    let kp1sq = kp1 * kp1;
    (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / kp1
}

/// BTRS, the transformed rejection sampler of Hörmann ("The generation of
/// binomial random variates", 1993), for n·p ≥ 10 and p ≤ ½: about 1.2
/// iterations of two uniforms each, with a log-density check in a minority
/// of them. It needs no set-up, which matters because every draw in a trial
/// has its own (n, p).
fn binomial_btrs<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    let nf = n as f64;
    let spq = (nf * p * (1.0 - p)).sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = nf * p + 0.5;
    let v_r = 0.92 - 4.2 / b;
    let r = p / (1.0 - p);
    let alpha = (2.83 + 5.1 / b) * spq;
    let m = ((nf + 1.0) * p).floor();
    loop {
        let u: f64 = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + c).floor();
        if k < 0.0 || k > nf {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        let v = (v * alpha / (a / (us * us) + b)).ln();
        let bound = (m + 0.5) * ((m + 1.0) / (r * (nf - m + 1.0))).ln()
            + (nf + 1.0) * ((nf - m + 1.0) / (nf - k + 1.0)).ln()
            + (k + 0.5) * (r * (nf - k + 1.0) / (k + 1.0)).ln()
            + stirling_tail(m)
            + stirling_tail(nf - m)
            - stirling_tail(k)
            - stirling_tail(nf - k);
        if v <= bound {
            return k as u64;
        }
    }
}

/// BINV (Kachitvichyanukul & Schmeiser 1988): walk the pmf from 0 using the
/// recurrence P(x)/P(x−1) = (n+1−x)/x · p/q. Expected steps ≈ n·p + 1.
fn binomial_inversion<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    // q^n: repeated squaring is exact to ~n ulps, which for n ≤ 2^16 is
    // far below f64 resolution of the pmf and cheaper than exp∘log1p.
    let first = if n <= 1 << 16 {
        pow_whole(1.0 - p, n)
    } else {
        ((n as f64) * (-p).ln_1p()).exp()
    };
    binomial_inversion_from(rng, n, p, first)
}

/// BINV given P(X = 0) = (1 − p)^n, for callers that know log(1 − p).
#[inline]
fn binomial_inversion_from<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64, first: f64) -> u64 {
    let q = 1.0 - p;
    let s = p / q;
    let a = (n as f64 + 1.0) * s;
    // Rounding can leave the summed pmf a hair under u; restart then
    // (probability ~1e-15) instead of walking into the far tail.
    let cap = n.min(INVERSION_CAP as u64);
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
            r *= a * RECIPROCAL[x as usize] - s;
        }
    }
}

/// Steps an inversion walk may take before it restarts: far beyond any
/// plausible draw at a mean below `INVERSION_MEAN`.
const INVERSION_CAP: usize = 144;

/// 1/x for the inversion walks: a multiply instead of a divide per step.
const RECIPROCAL: [f64; INVERSION_CAP + 1] = {
    let mut t = [0.0; INVERSION_CAP + 1];
    let mut i = 1;
    while i <= INVERSION_CAP {
        t[i] = 1.0 / i as f64;
        i += 1;
    }
    t
};

/// x^e by repeated squaring, inlined (the `powi` intrinsic is a call).
#[inline]
fn pow_whole(mut x: f64, mut e: u64) -> f64 {
    let mut acc = 1.0;
    while e > 0 {
        // A select, not a branch: the bits of e are unpredictable.
        acc *= if e & 1 == 1 { x } else { 1.0 };
        x *= x;
        e >>= 1;
    }
    acc
}

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
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let v_r = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u: f64 = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        let lhs = (v * inv_alpha / (a / (us * us) + b)).ln();
        // Rarely reached, so its logarithm of λ is not paid up front.
        if lhs <= -lambda + k * lambda.ln() - ln_factorial(k) {
            return k as u64;
        }
    }
}

/// log(k!) by Stirling's series with the tabulated remainder for small k.
fn ln_factorial(k: f64) -> f64 {
    const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
    (k + 0.5) * (k + 1.0).ln() - (k + 1.0) + HALF_LN_2PI + stirling_tail(k)
}

/// Total value of `n` orders whose values have mean `mean` and coefficient
/// of variation `cv`: exactly Gamma(n/cv², mean·cv²), the sum of n
/// independent Gamma(1/cv², mean·cv²) order values (spec §4.2).
pub fn order_value_sum<R: Rng + ?Sized>(rng: &mut R, n: u64, mean: f64, cv: f64) -> f64 {
    OrderValues::default().sum(rng, n, mean, cv)
}

/// Sums of order values (see `order_value_sum`) for the engine.
///
/// Every draw has its own shape, n/cv², and Marsaglia & Tsang's gamma
/// sampler (the one rand_distr uses) needs c = 1/√(9(shape − ⅓)) for it:
/// a division and a square root that the draw waits for, about half its
/// cost. The coefficient of variation is usually the same in every trial,
/// so c is remembered per order count; the sampler itself is rand_distr's
/// algorithm step for step, which its constructor does not let us feed a
/// precomputed c.
#[derive(Debug, Clone, Default)]
pub struct OrderValues {
    /// The coefficient of variation the cache is for.
    cv: Option<u64>,
    /// 1/cv².
    inverse_cv2: f64,
    /// c for n orders at index n; NaN until first needed.
    c: Vec<f64>,
}

/// The largest gamma shape drawn as a gamma (see `OrderValues::sum`).
const MAX_GAMMA_SHAPE: f64 = 1e12;

/// Order counts whose c is remembered (larger counts compute it).
const REMEMBERED_COUNTS: usize = 4096;

impl OrderValues {
    #[inline]
    pub fn sum<R: Rng + ?Sized>(&mut self, rng: &mut R, n: u64, mean: f64, cv: f64) -> f64 {
        if n == 0 {
            return 0.0;
        }
        if cv == 0.0 {
            return mean * n as f64;
        }
        // Shapes beyond 1e12 (a vanishing cv, or cv² underflowing to 0)
        // are the normal limit of the gamma, mean·n with sd mean·cv·√n: its
        // skewness 2/√shape is below 2e-6. The gamma's own set-up would
        // overflow (1/cv² = ∞) and give an infinite revenue.
        let cv2 = cv * cv;
        let shape = n as f64 / cv2;
        if shape.is_nan() || shape > MAX_GAMMA_SHAPE {
            let z: f64 = rng.sample(StandardNormal);
            return (mean * n as f64 + mean * cv * (n as f64).sqrt() * z).max(0.0);
        }
        if self.cv != Some(cv.to_bits()) {
            self.cv = Some(cv.to_bits());
            self.inverse_cv2 = 1.0 / (cv * cv);
            self.c.clear();
            self.c.resize(REMEMBERED_COUNTS, f64::NAN);
        }
        let shape = n as f64 * self.inverse_cv2;
        let scale = mean * cv * cv;
        if shape < 1.0 {
            // Few orders with very spread values: rand_distr's small-shape
            // sampler (rare, so no cache).
            return match Gamma::new(shape, scale) {
                Ok(d) => d.sample(rng),
                Err(_) => mean * n as f64,
            };
        }
        let d = shape - 1.0 / 3.0;
        let c = match self.c.get_mut(n as usize) {
            Some(c) if !c.is_nan() => *c,
            Some(slot) => {
                *slot = 1.0 / (9.0 * d).sqrt();
                *slot
            }
            None => 1.0 / (9.0 * d).sqrt(),
        };
        marsaglia_tsang(rng, d, c) * (d * scale)
    }
}

/// Gamma(d + ⅓, 1)/d by Marsaglia & Tsang (2000), for shape ≥ 1, with
/// c = 1/√(9d): rand_distr's `GammaLargeShape::sample_unscaled`.
#[inline]
fn marsaglia_tsang<R: Rng + ?Sized>(rng: &mut R, d: f64, c: f64) -> f64 {
    loop {
        let x: f64 = rng.sample(StandardNormal);
        let v_cbrt = 1.0 + c * x;
        if v_cbrt <= 0.0 {
            continue;
        }
        let v = v_cbrt * v_cbrt * v_cbrt;
        let u: f64 = rng.sample(Open01);
        let x_sqr = x * x;
        if u < 1.0 - 0.0331 * x_sqr * x_sqr || u.ln() < 0.5 * x_sqr + d * (1.0 - v + v.ln()) {
            return v;
        }
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

/// A customer's lifetime from the inversion table costs about 1/30 to 1/50
/// of one conditional binomial of the by-age chain (`cargo bench --bench
/// trials -- survival`: about 1 ns against 33–52 ns), so a cohort is drawn
/// customer by customer while it has at most this many customers per month
/// ahead. Lifetimes whose table needs many second looks (long horizons)
/// cost more and lower the bar (`Survival::prefers_customers`).
const PER_CUSTOMER_FACTOR: f64 = 40.0;

/// Beyond this α + β the sBG's survival is (1 − churn)^k to within
/// rounding (φ below about 1e-15): the memoryless form is then exact.
const MAX_SBG_SPREAD: f64 = 1e15;

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
    /// The lifetime distribution (censored at the table's end) as an
    /// inversion table: twelve bits of randomness and a lookup per customer.
    lifetimes: InversionTable,
    /// ln r(k), built on first use in a trial.
    log_ratio: Vec<f64>,
    /// (churn, polarization, max age) the tables were built for.
    key: Option<(u64, u64, usize)>,
}

impl Survival {
    /// Rebuilds the tables for mean churn `churn` and polarization `phi`
    /// up to `max_age`, reusing the allocation (called once per channel and
    /// trial, so it must not allocate in steady state).
    pub fn reset(&mut self, churn: f64, phi: f64, max_age: usize) {
        // Channels usually share their engage assumptions (a `*` row, one
        // draw per trial): keep the tables when nothing changed.
        if self.key == Some((churn.to_bits(), phi.to_bits(), max_age)) {
            return;
        }
        self.key = Some((churn.to_bits(), phi.to_bits(), max_age));
        self.survival.clear();
        self.ratio.clear();
        self.lifetimes.clear();
        self.log_ratio.clear();
        self.survival.push(1.0);
        self.ratio.push(1.0);
        // 1/φ − 1 written as (1 − φ)/φ: near φ = 1 the plain form rounds
        // 1/φ to 1 and loses the spread entirely (nobody would churn after
        // the first month end, nor in it). A spread too large for f64
        // (subnormal φ) is the φ → 0 limit: everyone churns alike.
        let spread = if phi > 0.0 { (1.0 - phi) / phi } else { 0.0 };
        self.memoryless = phi == 0.0
            || churn <= 0.0
            || churn >= 1.0
            || spread.is_nan()
            || spread > MAX_SBG_SPREAD;
        let (alpha, beta) = (churn * spread, (1.0 - churn) * spread);
        let mut s = 1.0;
        for k in 1..=max_age {
            let r = if self.memoryless {
                1.0 - churn
            } else {
                (beta + (k - 1) as f64) / (alpha + beta + (k - 1) as f64)
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
    /// `max_age` (a count may be 0); it returns how many are still active
    /// at `max_age`.
    ///
    /// Both methods are exact; the cheaper is chosen, so the cost is
    /// O(min(n, max_age)).
    pub fn sample_cohort<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        max_age: usize,
        on_churn: impl FnMut(usize, u64),
    ) -> u64 {
        if self.prefers_customers(n, max_age) {
            self.sample_customers(rng, n, max_age, on_churn)
        } else {
            self.sample_by_age(rng, n, max_age, on_churn)
        }
    }

    /// Is a cohort of `n` with `max_age` months ahead cheaper to draw
    /// customer by customer than by age? A second look at the table costs
    /// about five first looks.
    pub fn prefers_customers(&mut self, n: u64, max_age: usize) -> bool {
        let bar = PER_CUSTOMER_FACTOR * max_age as f64;
        // A cohort too large even at the cheapest cost needs no table.
        if n == 0 || n as f64 > bar {
            return n == 0;
        }
        self.build_lifetimes();
        n as f64 * (1.0 + 5.0 * self.lifetimes.straddling_share()) <= bar
    }

    /// The lifetime table, built on first use in a trial.
    fn build_lifetimes(&mut self) {
        if self.lifetimes.is_empty() {
            let last = self.survival.len() - 1;
            let survival = &self.survival;
            // Cell k < last: churned after k month ends, so P(T ≤ k) =
            // 1 − S(k + 1); cell last: still active.
            self.lifetimes
                .build((0..=last).map(|k| if k < last { 1.0 - survival[k + 1] } else { 1.0 }));
        }
    }

    /// `sample_cohort` customer by customer: one table lookup each.
    pub fn sample_customers<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        max_age: usize,
        mut on_churn: impl FnMut(usize, u64),
    ) -> u64 {
        debug_assert!(max_age < self.survival.len());
        let mut counts = vec![[0u32; 4]; self.survival.len()];
        self.count_customers(rng, n, &mut counts);
        let count = |c: &[u32; 4]| c.iter().map(|&x| u64::from(x)).sum::<u64>();
        for (lifetime, c) in counts[..max_age].iter().enumerate() {
            on_churn(lifetime, count(c));
        }
        counts[max_age..].iter().map(count).sum()
    }

    /// Adds the lifetimes of a cohort of `n`, customer by customer, to
    /// `counts` (four lanes per lifetime, as `InversionTable::add_draws`;
    /// at least S's length). What `sample_customers` does, for callers
    /// that keep their own counters.
    #[inline]
    pub fn count_customers<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        counts: &mut [[u32; 4]],
    ) {
        if n > 0 {
            self.build_lifetimes();
            self.lifetimes.add_draws(rng, n, counts);
        }
    }

    /// `sample_cohort` by age: of the customers active at age k − 1,
    /// Binomial(alive, r(k)) are still active at age k (spec §4.3).
    pub fn sample_by_age<R: Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        n: u64,
        max_age: usize,
        mut on_churn: impl FnMut(usize, u64),
    ) -> u64 {
        debug_assert!(max_age < self.survival.len());
        if n == 0 {
            return 0;
        }
        if self.log_ratio.is_empty() {
            self.log_ratio.extend(self.ratio.iter().map(|r| r.ln()));
        }
        let mut alive = n;
        for k in 1..=max_age {
            let keep = self.ratio[k];
            let churn = 1.0 - keep;
            // Churners are the rare side: walk their pmf from 0 with
            // P(0) = keep^alive from the tabulated log.
            let next = if churn <= 0.5 && (alive as f64) * churn < BINOMIAL_INVERSION_MEAN {
                // Small powers by squaring are cheaper than exp.
                let first = if alive < 64 {
                    pow_whole(keep, alive)
                } else {
                    (alive as f64 * self.log_ratio[k]).exp()
                };
                alive - binomial_inversion_from(rng, alive, churn, first)
            } else {
                binomial(rng, alive, keep)
            };
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

/// Inversion of a discrete distribution on 0..len by table lookup, five
/// draws from each u64.
///
/// Each draw is a 64-bit uniform U, compared with the distribution
/// function held as 64-bit fixed-point thresholds: the draw is the first
/// cell whose threshold exceeds U (exact to 2^−64). Only U's top
/// `KEY_BITS` bits (its key) are taken at first; for most keys the whole
/// interval of U they allow lies inside one cell, which a table names. The
/// few keys whose interval straddles a threshold (at most one per cell, so
/// under 1 % of draws for a 24-month lifetime) take the bits below the key
/// from a second u64 and compare. A customer's lifetime therefore costs
/// twelve bits, a lookup and a count, which is what lets cohorts of up to a
/// few hundred customers be drawn customer by customer. (Twelve bits rather
/// than ten: fewer second looks, each a mispredicted branch, for a table
/// that is still quick to build once per trial.)
#[derive(Debug, Clone)]
pub struct InversionTable {
    /// The cell of each key; `len` (one past the last cell) when the key
    /// straddles a threshold.
    by_key: Box<[u16; KEYS]>,
    /// For a straddling key: the first cell its interval touches.
    first_cell: Box<[u16; KEYS]>,
    /// P(X ≤ k) · 2^64, saturated; the last cell's is u64::MAX.
    thresholds: Vec<u64>,
    /// Keys that straddle a threshold.
    straddling: u32,
}

/// Bits of U looked up in the table.
const KEY_BITS: u32 = 12;
const KEYS: usize = 1 << KEY_BITS;
/// The low bits of U below its key.
const BELOW_KEY: u64 = (1 << (64 - KEY_BITS)) - 1;
/// Cells a table may have (a 600-month horizon has 601 lifetimes).
const MAX_CELLS: usize = 1023;

impl Default for InversionTable {
    fn default() -> Self {
        InversionTable {
            by_key: Box::new([0; KEYS]),
            first_cell: Box::new([0; KEYS]),
            thresholds: Vec::new(),
            straddling: 0,
        }
    }
}

impl InversionTable {
    pub fn is_empty(&self) -> bool {
        self.thresholds.is_empty()
    }

    pub fn clear(&mut self) {
        self.thresholds.clear();
    }

    /// Builds the table for the distribution with P(X ≤ k) = `cdf[k]`
    /// (non-decreasing; the last value is taken as 1), with fewer than
    /// 1,024 cells (a 600-month horizon has 601 lifetimes).
    pub fn build(&mut self, cdf: impl Iterator<Item = f64>) {
        self.thresholds.clear();
        // Saturating casts: a probability of 1 − 2^−60 keeps nearly every U.
        self.thresholds
            .extend(cdf.map(|p| (p.clamp(0.0, 1.0) * TWO_POW_64) as u64));
        let Some(last) = self.thresholds.last_mut() else {
            return;
        };
        *last = u64::MAX;
        let cells = self.thresholds.len();
        assert!(cells <= MAX_CELLS, "at most {MAX_CELLS} cells");
        // The cell of U is the first k with U < thresholds[k] (the last cell
        // also takes U = u64::MAX). Between two thresholds lie whole keys of
        // that cell; the key a threshold falls inside straddles it, unless
        // the threshold is exactly where the key's interval begins.
        self.straddling = 0;
        let mut next_key = 0;
        for (cell, &threshold) in self.thresholds[..cells - 1].iter().enumerate() {
            let key = (threshold >> (64 - KEY_BITS)) as usize;
            if key < next_key {
                // Inside a key that already straddles an earlier threshold.
                continue;
            }
            for slot in &mut self.by_key[next_key..key] {
                *slot = cell as u16;
            }
            next_key = key;
            if threshold & BELOW_KEY != 0 {
                self.by_key[key] = cells as u16;
                self.first_cell[key] = cell as u16;
                self.straddling += 1;
                next_key = key + 1;
            }
        }
        self.by_key[next_key..].fill((cells - 1) as u16);
    }

    /// The share of draws that need a second u64.
    pub fn straddling_share(&self) -> f64 {
        f64::from(self.straddling) / KEYS as f64
    }

    /// One draw.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let key = (rng.next_u64() >> (64 - KEY_BITS)) as usize;
        self.cell(rng, key)
    }

    /// The cell of a draw whose key is `key`.
    #[inline]
    fn cell<R: Rng + ?Sized>(&self, rng: &mut R, key: usize) -> usize {
        let cell = usize::from(self.by_key[key & (KEYS - 1)]);
        if cell < self.thresholds.len() {
            cell
        } else {
            self.resolve(rng, key)
        }
    }

    /// U's key straddles a threshold: draw the bits below it.
    #[cold]
    fn resolve<R: Rng + ?Sized>(&self, rng: &mut R, key: usize) -> usize {
        let u = ((key as u64) << (64 - KEY_BITS)) | (rng.next_u64() >> KEY_BITS);
        let cells = self.thresholds.len();
        (self.first_cell[key] as usize..cells)
            .find(|&k| u < self.thresholds[k])
            .unwrap_or(cells - 1)
    }

    /// Adds `n` draws to `counts`, where `counts[k]` holds cell k's count
    /// spread over four lanes (sum them to read it); `counts` must be at
    /// least as long as the distribution.
    ///
    /// Consecutive draws often land in the same cell, and incrementing one
    /// counter twice in a row waits for the first store, so draws take the
    /// lanes in turn. The caller keeps the counters, so a whole channel's
    /// cohorts can count into one array (offset by acquisition month)
    /// with nothing to fold per cohort.
    pub fn add_draws<R: Rng + ?Sized>(&self, rng: &mut R, n: u64, counts: &mut [[u32; 4]]) {
        const PER_WORD: u64 = (64 / KEY_BITS) as u64;
        let counts = &mut counts[..self.thresholds.len()];
        // Whole words with a fixed number of draws (unrolled), then the rest.
        for _ in 0..n / PER_WORD {
            let word = rng.next_u64();
            for j in 0..PER_WORD as usize {
                let key = (word >> (KEY_BITS as usize * j)) as usize & (KEYS - 1);
                counts[self.cell(rng, key)][j & 3] += 1;
            }
        }
        if !n.is_multiple_of(PER_WORD) {
            let word = rng.next_u64();
            for j in 0..(n % PER_WORD) as usize {
                let key = (word >> (KEY_BITS as usize * j)) as usize & (KEYS - 1);
                counts[self.cell(rng, key)][j & 3] += 1;
            }
        }
    }
}

/// 2^64 as an f64, for turning a probability into a 64-bit threshold.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
