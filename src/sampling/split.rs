//! Splitting a count evenly at random over cells (an equal-share
//! multinomial).

use rand::Rng;

use super::binomial;

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
