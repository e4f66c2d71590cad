//! Sums of order values: a gamma draw for any number of orders (spec §4.2).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Gamma, Open01, StandardNormal};

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
    /// The most orders whose sum is drawn as a gamma at this cv (see
    /// `most_gamma_orders`).
    most_gamma_orders: u64,
}

/// Whether the sum of `n` orders at cv² = `cv2` takes the normal limit:
/// its gamma shape n/cv² is beyond `MAX_GAMMA_SHAPE` (or undefined).
fn takes_normal_limit(n: u64, cv2: f64) -> bool {
    let shape = n as f64 / cv2;
    shape.is_nan() || shape > MAX_GAMMA_SHAPE
}

/// The largest n ≥ 0 for which `takes_normal_limit(n, cv2)` is false
/// (u64::MAX when it never is; 0 when every n ≥ 1 takes the limit).
///
/// The test needs a division per draw, whose latency the draw waited for;
/// it only changes with cv, and is monotone in n (rounding is monotone),
/// so one binary search per cv gives the same answer for every n.
fn most_gamma_orders(cv2: f64) -> u64 {
    if !takes_normal_limit(u64::MAX, cv2) {
        return u64::MAX;
    }
    let (mut gamma, mut normal) = (0u64, u64::MAX);
    while normal - gamma > 1 {
        let mid = gamma + (normal - gamma) / 2;
        if takes_normal_limit(mid, cv2) {
            normal = mid;
        } else {
            gamma = mid;
        }
    }
    gamma
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
        if self.cv != Some(cv.to_bits()) {
            self.cv = Some(cv.to_bits());
            self.inverse_cv2 = 1.0 / (cv * cv);
            self.c.clear();
            self.c.resize(REMEMBERED_COUNTS, f64::NAN);
            self.most_gamma_orders = most_gamma_orders(cv * cv);
        }
        if n > self.most_gamma_orders {
            let z: f64 = rng.sample(StandardNormal);
            return (mean * n as f64 + mean * cv * (n as f64).sqrt() * z).max(0.0);
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
        if u < 1.0 - 0.0331 * x_sqr * x_sqr || log_test(u, x_sqr, d, v) {
            return v;
        }
    }
}

/// Marsaglia & Tsang's logarithmic test, for the few draws their squeeze
/// does not accept: out of line and cold, its two logarithms keep their
/// registers off the loop every draw takes (order sums 6 % faster in an
/// interleaved A/B against the inline form).
#[cold]
fn log_test(u: f64, x_sqr: f64, d: f64, v: f64) -> bool {
    u.ln() < 0.5 * x_sqr + d * (1.0 - v + v.ln())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{mix64, seed_stream};

    /// `marsaglia_tsang` as it was with its log test inline: the reference
    /// the draws must match bit for bit.
    fn marsaglia_tsang_inline<R: Rng + ?Sized>(rng: &mut R, d: f64, c: f64) -> f64 {
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

    #[test]
    fn gamma_draws_are_the_reference_draws() {
        // Shapes from 1 (where the log test is needed most) to 10^9.
        for case in 0..2000u64 {
            let bits = mix64(case);
            let share = (bits >> 11) as f64 / (1u64 << 53) as f64;
            let d = 10f64.powf(9.0 * share * share) - 1.0 / 3.0;
            let c = 1.0 / (9.0 * d).sqrt();
            let (mut new, mut old) = (seed_stream(bits), seed_stream(bits));
            for _ in 0..500 {
                let (got, want) = (
                    marsaglia_tsang(&mut new, d, c),
                    marsaglia_tsang_inline(&mut old, d, c),
                );
                assert_eq!(got.to_bits(), want.to_bits(), "d {d}");
            }
            assert_eq!(new, old, "d {d}");
        }
    }

    #[test]
    fn the_remembered_limit_is_the_division_test() {
        for cv in [
            0.6,
            1.0,
            3.0,
            1e-3,
            1.5e-6,
            1e-6,
            1e-9,
            1e-160,
            1e-200,
            1e200,
            f64::NAN,
        ] {
            let cv2 = cv * cv;
            let most = most_gamma_orders(cv2);
            let near = (0..64).flat_map(|d| [most.saturating_sub(d), most.saturating_add(d)]);
            let spread = (0..2000u64).map(|i| mix64(i) >> (i % 64));
            for n in near.chain(spread).filter(|&n| n > 0) {
                assert_eq!(n > most, takes_normal_limit(n, cv2), "cv {cv}, n {n}");
            }
        }
    }
}
