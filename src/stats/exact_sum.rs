//! Exact summation of f64 values.
//!
//! Floating-point addition is not associative, so a sum accumulated by
//! several threads (or machines) would depend on how the work was split.
//! This accumulator keeps the sum exactly, as a fixed-point integer spread
//! over 32-bit limbs, so any split and any merge order give the same bits.
//! It costs a few integer additions per value.

/// Limbs of 32 bits covering every f64 exponent, plus headroom for carries.
const LIMBS: usize = 68;
/// Adds between carry propagations: each add puts < 2^32 into a limb, and
/// an i64 limb holds 2^31 such adds before it could overflow.
const ADDS_BEFORE_CARRY: u32 = 1 << 30;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExactSum {
    limbs: [i64; LIMBS],
    pending: u32,
}

impl Default for ExactSum {
    fn default() -> Self {
        ExactSum {
            limbs: [0; LIMBS],
            pending: 0,
        }
    }
}

impl ExactSum {
    /// Adds a finite value (non-finite values are ignored: callers filter
    /// undefined values before they get here).
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() || x == 0.0 {
            return;
        }
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as usize;
        let fraction = bits & ((1u64 << 52) - 1);
        // value = mantissa · 2^(position − 1075)
        let (mantissa, position) = if exponent == 0 {
            (fraction, 1)
        } else {
            (fraction | (1u64 << 52), exponent)
        };
        let limb = position / 32;
        let wide = (mantissa as u128) << (position % 32);
        let parts = [
            (wide & 0xffff_ffff) as i64,
            ((wide >> 32) & 0xffff_ffff) as i64,
            (wide >> 64) as i64,
        ];
        if bits >> 63 == 1 {
            for (i, part) in parts.iter().enumerate() {
                self.limbs[limb + i] -= part;
            }
        } else {
            for (i, part) in parts.iter().enumerate() {
                self.limbs[limb + i] += part;
            }
        }
        self.pending += 1;
        if self.pending >= ADDS_BEFORE_CARRY {
            self.carry();
        }
    }

    /// Propagates carries so every limb but the top is in [0, 2^32).
    fn carry(&mut self) {
        for i in 0..LIMBS - 1 {
            let c = self.limbs[i] >> 32;
            self.limbs[i] -= c << 32;
            self.limbs[i + 1] += c;
        }
        self.pending = 0;
    }

    pub fn merge(&mut self, other: &ExactSum) {
        let mut other = other.clone();
        other.carry();
        self.carry();
        for (a, b) in self.limbs.iter_mut().zip(other.limbs.iter()) {
            *a += b;
        }
        self.pending = 2;
    }

    /// The sum, rounded to f64. A function of the exact sum only, so equal
    /// sums give equal bits whatever order they were added in.
    pub fn value(&self) -> f64 {
        let mut norm = self.clone();
        norm.carry();
        let top = LIMBS - 1;
        if norm.limbs[top] < 0 {
            // Negative: negate in two's complement over the limbs.
            let mut neg = ExactSum::default();
            for i in 0..LIMBS {
                neg.limbs[i] = -norm.limbs[i];
            }
            return -neg.value();
        }
        // Highest non-zero limb; three limbs (96 bits) carry more precision
        // than an f64 holds.
        let Some(hi) = (0..LIMBS).rev().find(|&i| norm.limbs[i] != 0) else {
            return 0.0;
        };
        let lo = hi.saturating_sub(2);
        let mut acc = 0.0f64;
        for i in (lo..=hi).rev() {
            acc += norm.limbs[i] as f64 * pow2(32 * i as i32 - 1075);
        }
        acc
    }
}

fn pow2(e: i32) -> f64 {
    // Split to stay within the normal range on both ends.
    2f64.powi(e / 2) * 2f64.powi(e - e / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_matter() {
        let xs: Vec<f64> = (0..2000)
            .map(|i| ((i * 7919) % 1000) as f64 * 1e3 - 3.3e5 + 1e-7 * i as f64)
            .collect();
        let mut forward = ExactSum::default();
        xs.iter().for_each(|x| forward.add(*x));
        let mut backward = ExactSum::default();
        xs.iter().rev().for_each(|x| backward.add(*x));
        let mut halves = ExactSum::default();
        let mut other = ExactSum::default();
        xs[..777].iter().for_each(|x| halves.add(*x));
        xs[777..].iter().for_each(|x| other.add(*x));
        halves.merge(&other);
        assert_eq!(forward.value().to_bits(), backward.value().to_bits());
        assert_eq!(forward.value().to_bits(), halves.value().to_bits());
        let naive: f64 = xs.iter().sum();
        assert!((forward.value() - naive).abs() < 1e-6 * naive.abs().max(1.0));
    }

    #[test]
    fn cancels_exactly() {
        let mut s = ExactSum::default();
        s.add(1e20);
        s.add(1.5);
        s.add(-1e20);
        assert_eq!(s.value(), 1.5);
        s.add(-3.0);
        assert_eq!(s.value(), -1.5);
        let mut t = ExactSum::default();
        t.add(f64::MIN_POSITIVE / 4.0);
        t.add(1e300);
        t.add(-1e300);
        assert_eq!(t.value(), f64::MIN_POSITIVE / 4.0);
    }
}
