//! Binomial(n, p) counts: an inversion walk for small means, BTRS
//! (Hörmann 1993) beyond.

use rand::{Rng, RngExt};

use super::{INVERSION_CAP, RECIPROCAL, floor_nonnegative, pow_whole};

/// The binomial walk stays cheaper than BTRS a little longer, because BTRS
/// needs its logarithmic acceptance test in about half of its draws at
/// moderate n·p.
pub(super) const BINOMIAL_INVERSION_MEAN: f64 = 16.0;

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
pub(super) fn stirling_tail(k: f64) -> f64 {
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
    // What only the log-density test needs, computed the first time a draw
    // reaches it (most calls never do), and then kept for the call.
    let mut at_mode: Option<ModeTerms> = None;
    loop {
        let u: f64 = rng.random::<f64>() - 0.5;
        let v: f64 = rng.random();
        let us = 0.5 - u.abs();
        // floor(x) < 0 exactly when x < 0.
        let x = (2.0 * a / us + b) * u + c;
        if x < 0.0 {
            continue;
        }
        let k = floor_nonnegative(x);
        if k > nf {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        let &mut ModeTerms {
            r,
            alpha,
            m,
            first_term,
            tail_m,
            tail_n_minus_m,
        } = at_mode.get_or_insert_with(|| ModeTerms::new(nf, p, b, spq));
        let v = (v * alpha / (a / (us * us) + b)).ln();
        let bound = first_term
            + (nf + 1.0) * ((nf - m + 1.0) / (nf - k + 1.0)).ln()
            + (k + 0.5) * (r * (nf - k + 1.0) / (k + 1.0)).ln()
            + tail_m
            + tail_n_minus_m
            - stirling_tail(k)
            - stirling_tail(nf - k);
        if v <= bound {
            return k as u64;
        }
    }
}

/// The parts of BTRS's log-density test that do not depend on the draw: the
/// odds r, the hat's scale alpha, the mode m, the bound's first term and the
/// mode's two Stirling tails. Each is the same expression, so the same f64,
/// as when the test computed it every time.
#[derive(Clone, Copy)]
struct ModeTerms {
    r: f64,
    alpha: f64,
    m: f64,
    first_term: f64,
    tail_m: f64,
    tail_n_minus_m: f64,
}

impl ModeTerms {
    /// Cold although about half the calls at moderate n·p reach it: out of
    /// line, its divisions, logarithm and registers stay off the loop every
    /// draw takes (inlined, the binomial lost all of its 15 % gain in an
    /// interleaved A/B of the two modules).
    #[cold]
    fn new(nf: f64, p: f64, b: f64, spq: f64) -> Self {
        let r = p / (1.0 - p);
        let m = floor_nonnegative((nf + 1.0) * p);
        ModeTerms {
            r,
            alpha: (2.83 + 5.1 / b) * spq,
            m,
            first_term: (m + 0.5) * ((m + 1.0) / (r * (nf - m + 1.0))).ln(),
            tail_m: stirling_tail(m),
            tail_n_minus_m: stirling_tail(nf - m),
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
pub(super) fn binomial_inversion_from<R: Rng + ?Sized>(
    rng: &mut R,
    n: u64,
    p: f64,
    first: f64,
) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{mix64, seed_stream};

    /// BTRS as it was before `ModeTerms`, computing every constant up front
    /// and the whole bound in every test: the reference the draws must
    /// match bit for bit.
    fn btrs_before_mode_terms<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
        let nf = n as f64;
        let spq = (nf * p * (1.0 - p)).sqrt();
        let b = 1.15 + 2.53 * spq;
        let a = -0.0873 + 0.0248 * b + 0.01 * p;
        let c = nf * p + 0.5;
        let v_r = 0.92 - 4.2 / b;
        let r = p / (1.0 - p);
        let alpha = (2.83 + 5.1 / b) * spq;
        let m = floor_nonnegative((nf + 1.0) * p);
        loop {
            let u: f64 = rng.random::<f64>() - 0.5;
            let v: f64 = rng.random();
            let us = 0.5 - u.abs();
            let x = (2.0 * a / us + b) * u + c;
            if x < 0.0 {
                continue;
            }
            let k = floor_nonnegative(x);
            if k > nf {
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

    #[test]
    fn btrs_draws_are_the_reference_draws() {
        // (n, p) spread over BTRS's whole domain, n·p ≥ 16 and p ≤ ½: n from
        // 32 to 2^60 on a log scale, p uniform on the log scale above 16/n.
        let mut draws = 0;
        for case in 0..3000u64 {
            let bits = mix64(case);
            let n = 32u64 << (bits % 56);
            let n = n + (mix64(bits) % n);
            let low = (16.0 / n as f64).ln();
            let share = (bits >> 11) as f64 / (1u64 << 53) as f64;
            let p = (low + share * (0.5f64.ln() - low)).exp().min(0.5);
            if (n as f64) * p < BINOMIAL_INVERSION_MEAN {
                continue;
            }
            let (mut new, mut old) = (seed_stream(bits), seed_stream(bits));
            for _ in 0..400 {
                assert_eq!(
                    binomial_btrs(&mut new, n, p),
                    btrs_before_mode_terms(&mut old, n, p),
                    "n {n}, p {p}"
                );
                draws += 1;
            }
            // The same number of uniforms taken, too.
            assert_eq!(new, old, "n {n}, p {p}");
        }
        assert!(draws > 1_000_000, "{draws} draws");
    }
}
