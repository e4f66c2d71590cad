//! Table lookup inversion of a small discrete distribution.

use rand::Rng;

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
    /// The cell of each key times `LANES` (where its first lane is among
    /// `add_draws`'s counters, flattened); `len · LANES` (one past the last
    /// cell) when the key straddles a threshold. Stored scaled because
    /// `add_draws` then adds the lane and increments, one instruction fewer
    /// per draw in its loop (5–10 % faster in an A/B).
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
/// Draws `add_draws` takes from each u64.
const PER_WORD: u64 = (64 / KEY_BITS) as u64;
/// Counters per cell in `add_draws`: draws take them in turn.
pub const LANES: usize = 4;
/// One cell's count in `add_draws`, spread over its lanes (sum them to
/// read it).
pub type LaneCounts = [u32; LANES];
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
                *slot = (cell * LANES) as u16;
            }
            next_key = key;
            if threshold & BELOW_KEY != 0 {
                self.by_key[key] = (cells * LANES) as u16;
                self.first_cell[key] = cell as u16;
                self.straddling += 1;
                next_key = key + 1;
            }
        }
        self.by_key[next_key..].fill(((cells - 1) * LANES) as u16);
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
    ///
    /// The generator is advanced here, inline, and only the search is out
    /// of line: a call that took the generator would make the compiler keep
    /// its state in memory, stored and reloaded for every word of draws.
    #[inline]
    fn cell<R: Rng + ?Sized>(&self, rng: &mut R, key: usize) -> usize {
        let cell = usize::from(self.by_key[key & (KEYS - 1)]) / LANES;
        if cell < self.thresholds.len() {
            cell
        } else {
            self.resolve(key, rng.next_u64())
        }
    }

    /// U's key straddles a threshold: `next` supplies the bits below it.
    #[cold]
    fn resolve(&self, key: usize, next: u64) -> usize {
        let u = ((key as u64) << (64 - KEY_BITS)) | (next >> KEY_BITS);
        let cells = self.thresholds.len();
        (self.first_cell[key] as usize..cells)
            .find(|&k| u < self.thresholds[k])
            .unwrap_or(cells - 1)
    }

    /// Adds `n` draws to `counts`, where `counts[k]` holds cell k's count
    /// spread over `LANES` lanes (sum them to read it); `counts` must be at
    /// least as long as the distribution.
    ///
    /// Consecutive draws often land in the same cell, and incrementing one
    /// counter twice in a row waits for the first store, so draws take the
    /// lanes in turn. The caller keeps the counters, so a whole channel's
    /// cohorts can count into one array (offset by acquisition month)
    /// with nothing to fold per cohort.
    pub fn add_draws<R: Rng + ?Sized>(&self, rng: &mut R, n: u64, counts: &mut [LaneCounts]) {
        let counts = &mut counts[..self.thresholds.len()];
        // Whole words with a fixed number of draws (unrolled), then the rest.
        for _ in 0..n / PER_WORD {
            let word = rng.next_u64();
            for j in 0..PER_WORD as usize {
                let key = (word >> (KEY_BITS as usize * j)) as usize & (KEYS - 1);
                self.count(rng, key, counts, j % LANES);
            }
        }
        if !n.is_multiple_of(PER_WORD) {
            let word = rng.next_u64();
            for j in 0..(n % PER_WORD) as usize {
                let key = (word >> (KEY_BITS as usize * j)) as usize & (KEYS - 1);
                self.count(rng, key, counts, j % LANES);
            }
        }
    }

    /// `counts[cell][lane] += 1` for the cell of key `key`, as `cell`
    /// finds it; `counts` is exactly as long as the distribution, so the
    /// table's own test (is the key's counter one of them? a straddling
    /// key's is past the end) is also the bounds check.
    #[inline]
    fn count<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        key: usize,
        counts: &mut [LaneCounts],
        lane: usize,
    ) {
        let at = usize::from(self.by_key[key & (KEYS - 1)]) + lane;
        if let Some(c) = counts.as_flattened_mut().get_mut(at) {
            *c += 1;
        } else {
            counts[self.resolve(key, rng.next_u64())][lane] += 1;
        }
    }
}

/// 2^64 as an f64, for turning a probability into a 64-bit threshold.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::{mix64, seed_stream};

    /// The cell of U by the definition: the first threshold above U.
    fn cell_of(thresholds: &[u64], u: u64) -> usize {
        let last = thresholds.len() - 1;
        thresholds.iter().position(|&t| u < t).unwrap_or(last)
    }

    /// A draw from key `key` by the definition: the key's cell when its
    /// whole interval lies in one cell, else U completed from `more()`.
    fn draw(thresholds: &[u64], key: u64, more: impl FnOnce() -> u64) -> usize {
        let low = key << (64 - KEY_BITS);
        let (first, last) = (
            cell_of(thresholds, low),
            cell_of(thresholds, low | BELOW_KEY),
        );
        if first == last {
            first
        } else {
            cell_of(thresholds, low | (more() >> KEY_BITS))
        }
    }

    #[test]
    fn draws_and_counts_are_the_definitions() {
        for case in 0..400u64 {
            let bits = mix64(case);
            // Up to 1,023 cells, with zero, tiny and large weights.
            let cells = 1 + (bits % MAX_CELLS as u64) as usize;
            let weights: Vec<f64> = (0..cells as u64)
                .map(|i| match mix64(bits ^ i) % 4 {
                    0 => 0.0,
                    1 => 1e-6,
                    _ => (mix64(i ^ !bits) >> 11) as f64,
                })
                .collect();
            let total: f64 = weights.iter().sum::<f64>().max(1.0);
            let cdf: Vec<f64> = weights
                .iter()
                .scan(0.0, |acc, w| {
                    *acc += w / total;
                    Some(*acc)
                })
                .collect();
            let mut table = InversionTable::default();
            table.build(cdf.iter().copied());
            let thresholds = table.thresholds.clone();

            let (mut rng, mut reference) = (seed_stream(bits), seed_stream(bits));
            for _ in 0..200 {
                let got = table.sample(&mut rng);
                let key = reference.next_u64() >> (64 - KEY_BITS);
                let want = draw(&thresholds, key, || reference.next_u64());
                assert_eq!(got, want, "case {case}");
            }

            let n = mix64(bits ^ 1) % 2000;
            let mut counts = vec![[7u32; 4]; cells + 3];
            table.add_draws(&mut rng, n, &mut counts);
            let mut want = vec![[7u32; 4]; cells + 3];
            let mut left = n;
            while left > 0 {
                let word = reference.next_u64();
                for j in 0..left.min(PER_WORD) as usize {
                    let key = (word >> (KEY_BITS as usize * j)) & (KEYS as u64 - 1);
                    want[draw(&thresholds, key, || reference.next_u64())][j & 3] += 1;
                }
                left -= left.min(PER_WORD);
            }
            assert_eq!(counts, want, "case {case}, {n} draws");
            assert_eq!(rng, reference, "case {case}");
        }
    }
}
