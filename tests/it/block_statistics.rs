//! Adding a block of trials' values to an accumulator at once
//! (`Accumulator::add_all`, which `PlanStats::add_block` uses) leaves the very
//! state adding them one by one does: every field (exact sums with their
//! window, sketch layout and buckets, min and max down to the sign of a
//! zero), so no output can tell the two apart.

use racesim::stats::Accumulator;

/// A fixed-seed stream of awkward values: ordinary spreads, NaN, both zeros,
/// subnormals, huge magnitudes whose squares overflow, infinities.
fn awkward(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 11
    };
    (0..n)
        .map(|_| {
            let u = next() as f64 / (1u64 << 53) as f64;
            match next() % 16 {
                0 => f64::NAN,
                1 => 0.0,
                2 => -0.0,
                3 => f64::MIN_POSITIVE * u / 3.0,
                4 => -5e-324,
                5 => 1e300 * (u - 0.5),
                6 => f64::MAX,
                7 => f64::NEG_INFINITY,
                8 => 1e-12 * u,
                9 => (u * 20.0).round(),
                10 => -(u * 1e6).round(),
                _ => 5e4 + 3e4 * u,
            }
        })
        .collect()
}

fn one_by_one(values: &[f64]) -> Accumulator {
    let mut acc = Accumulator::default();
    values.iter().for_each(|x| acc.add(*x));
    acc
}

fn in_blocks(values: &[f64], block: usize) -> Accumulator {
    let mut acc = Accumulator::default();
    values.chunks(block).for_each(|b| acc.add_all(b));
    acc
}

/// The whole state: the accumulator's derived Debug prints every field.
fn state(acc: &Accumulator) -> String {
    format!("{acc:?}")
}

#[test]
fn blocks_of_awkward_values_leave_the_state_of_single_adds() {
    // The first value places the exact sums' window: an ordinary one, or
    // one at either end of the exponents.
    for first in [None, Some(5e-324), Some(1e300), Some(f64::MAX)] {
        let values: Vec<f64> = first.into_iter().chain(awkward(3000, 7)).collect();
        let want = state(&one_by_one(&values));
        for block in [1, 2, 3, 5, 64, 127, 128, 129, 1000, 3000] {
            assert_eq!(
                state(&in_blocks(&values, block)),
                want,
                "first {first:?}, blocks of {block}"
            );
        }
    }
}

#[test]
fn constant_blocks_leave_the_state_of_single_adds() {
    for x in [
        0.0,
        -0.0,
        1234.5,
        -7.25,
        5e-324,
        f64::MAX,
        1e-12,
        f64::NAN,
        f64::INFINITY,
        3e10,
    ] {
        // A constant block after others (min and max already set, a window
        // placed by a different magnitude), and one on a fresh accumulator.
        let mut values: Vec<f64> = [0.0, -0.0, 2.5, -1e6, 7.0].repeat(20);
        values.extend(std::iter::repeat_n(x, 300));
        values.extend([0.0, -0.0].repeat(64));
        values.extend(std::iter::repeat_n(x, 128));
        for block in [1, 4, 100, 128, 300] {
            assert_eq!(
                state(&in_blocks(&values, block)),
                state(&one_by_one(&values)),
                "{x} in blocks of {block}"
            );
            let fresh = vec![x; 200];
            assert_eq!(
                state(&in_blocks(&fresh, block)),
                state(&one_by_one(&fresh)),
                "only {x} in blocks of {block}"
            );
        }
    }
}

#[test]
fn signed_zeros_keep_the_same_min_and_max() {
    // f64::min and max may keep either zero of ±0.0: which one is kept
    // depends on the order, and a block must keep what single adds keep.
    for values in [
        vec![0.0, -0.0, 0.0, -0.0],
        vec![-0.0, 0.0, 0.0, -0.0],
        vec![-0.0, -0.0, 0.0, 0.0],
        vec![0.0, 0.0, -0.0, -0.0],
        vec![f64::NAN, -0.0, f64::NAN, 0.0],
    ] {
        for block in 1..=4 {
            let (a, b) = (in_blocks(&values, block), one_by_one(&values));
            assert_eq!(state(&a), state(&b), "{values:?} in blocks of {block}");
            let (sa, sb) = (
                a.summary(racesim::metrics::Kind::Money),
                b.summary(racesim::metrics::Kind::Money),
            );
            assert_eq!(sa.min.map(f64::to_bits), sb.min.map(f64::to_bits));
            assert_eq!(sa.max.map(f64::to_bits), sb.max.map(f64::to_bits));
        }
    }
}

#[test]
fn sparse_and_dense_sketches_grow_alike() {
    // Small whole numbers over several octaves (a sparse sketch), then a
    // narrow band that fills its buckets (dense), then a far value that
    // makes the dense one sparse again, then the band once more.
    let mut values: Vec<f64> = (0..600).map(|i| ((i * 7919) % 97) as f64).collect();
    values.extend((0..2000).map(|i| 1000.0 + ((i * 31) % 1009) as f64 * 0.37));
    values.push(1e15);
    values.extend((0..500).map(|i| 1000.0 + ((i * 17) % 1013) as f64 * 0.41));
    values.extend(values.clone().iter().map(|x| -x));
    for block in [1, 7, 128, 5000] {
        assert_eq!(
            state(&in_blocks(&values, block)),
            state(&one_by_one(&values)),
            "blocks of {block}"
        );
    }
}
