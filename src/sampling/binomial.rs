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
    let r = p / (1.0 - p);
    let alpha = (2.83 + 5.1 / b) * spq;
    let m = floor_nonnegative((nf + 1.0) * p);
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
