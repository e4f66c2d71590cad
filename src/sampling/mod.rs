//! Exact samplers for the aggregate counts and sums of spec §4.
//!
//! Everything here draws a *count* (or a sum) in one go rather than
//! simulating individuals, so a trial's cost does not grow with the
//! audience or the number of customers. Small means take inline inversion
//! paths because, at a handful of expected events, building a general
//! sampler costs more than the draw itself.

mod binomial;
mod inversion;
mod order_values;
mod poisson;
mod split;
mod survival;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

pub use binomial::binomial;
pub use inversion::{InversionTable, LaneCounts};
pub use order_values::{OrderValues, order_value_sum};
pub use poisson::poisson;
pub use split::split_evenly;
pub use survival::Survival;

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
    seed_stream(mix64(mix64(mix64(seed) ^ trial) ^ key))
}

/// `TrialRng::seed_from_u64(seed)`, inlined: a trial seeds about sixty
/// streams, and the crate's version goes through a byte buffer and a call.
/// Its state is the first four outputs of SplitMix64 started at `seed`
/// (each `mix64` of the running state), little-endian as the crate reads
/// them; four consecutive SplitMix64 outputs are never all zero, so the
/// crate's all-zero fallback never applies. A test checks it against the
/// crate's.
#[inline]
pub fn seed_stream(seed: u64) -> TrialRng {
    const PHI: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut bytes = [0u8; 32];
    for (i, word) in bytes.chunks_exact_mut(8).enumerate() {
        // mix64 adds PHI itself: the i-th output is mix64(seed + i·PHI).
        let state = seed.wrapping_add(PHI.wrapping_mul(i as u64));
        word.copy_from_slice(&mix64(state).to_le_bytes());
    }
    TrialRng::from_seed(bytes)
}

/// floor(x) for x ≥ 0 (or NaN): below 2^63 the truncating cast is floor,
/// exactly, and one instruction where `f64::floor` is a libm call on
/// baseline x86-64; above, every f64 is a whole number already.
#[inline]
pub(crate) fn floor_nonnegative(x: f64) -> f64 {
    debug_assert!(x >= 0.0 || x.is_nan());
    if x < 9.0e18 {
        (x as i64) as f64
    } else {
        x.floor()
    }
}

/// Below this mean the inversion paths are used (GSL uses 14 for the
/// binomial; the figure only trades speed, never exactness).
const INVERSION_MEAN: f64 = 10.0;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlined_seeding_is_the_crates() {
        let seeds = [0, 1, 42, u64::MAX, 0x9E37_79B9_7F4A_7C15_u64.wrapping_neg()];
        for seed in seeds.into_iter().chain((0..1000).map(mix64)) {
            assert_eq!(
                seed_stream(seed),
                TrialRng::seed_from_u64(seed),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn floor_of_a_nonnegative_number_is_floor() {
        let values = [
            0.0,
            0.3,
            0.999_999_999_999_999_9,
            1.0,
            2.5,
            4_503_599_627_370_495.5,
            9.0e18,
            9.3e18,
            1e300,
            f64::INFINITY,
        ];
        for x in values {
            assert_eq!(floor_nonnegative(x).to_bits(), x.floor().to_bits(), "{x}");
        }
        assert!(floor_nonnegative(f64::NAN).is_nan());
    }
}
