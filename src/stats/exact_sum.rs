//! Exact summation of f64 values.
//!
//! Floating-point addition is not associative, so a sum accumulated by
//! several threads (or machines) would depend on how the work was split.
//! This accumulator keeps the sum exactly, as a fixed-point integer spread
//! over 32-bit limbs, so any split and any merge order give the same bits.
//!
//! Most values of one metric share a range of magnitudes, so in front of
//! the limbs sits a 128-bit fixed-point window placed by the first value:
//! a value whose bits fall inside it is added with one integer addition,
//! and the window is moved into the limbs before anything reads the sum.
//! Both paths are exact, so which one a value takes never shows.

/// Limbs of 32 bits covering every f64 exponent, plus headroom for carries.
const LIMBS: usize = 68;
/// Adds between carry propagations: each add puts < 2^32 into a limb, and
/// an i64 limb holds 2^31 such adds before it could overflow.
const ADDS_BEFORE_CARRY: u32 = 1 << 30;
/// The window holds values of up to 2^(53 + WINDOW_SPAN) units, leaving
/// 127 − 53 − 43 = 31 bits for 2^30 adds before it must be emptied.
const WINDOW_SPAN: i32 = 43;
/// Where the window's unit sits below the first value's: values down to
/// 2^−20 of the first one take the fast path.
const WINDOW_BELOW_FIRST: i32 = 20;

/// Keeps only the limbs its values reach (`low ..`; the others are zero):
/// a metric's values span a handful of limbs, and a run with many plans
/// keeps two sums per metric, channel and month of each plan, so 68 limbs
/// each (544 bytes) would be most of a plan's memory after the sketches.
/// The top kept limb is signed; every limb below it is in [0, 2^32) after a
/// carry.
#[derive(Clone, Debug, Default)]
pub struct ExactSum {
    low: usize,
    limbs: Vec<i64>,
    pending: u32,
    /// The window's sum, in units of 2^(window_position − 1075).
    window: i128,
    /// Bit position of the window's unit (as in `add`); None before the
    /// first value.
    window_position: Option<i32>,
    window_adds: u32,
}

/// A finite value as (mantissa, position, negative): its magnitude is
/// mantissa · 2^(position − 1075).
#[inline]
fn parts(x: f64) -> (u64, i32, bool) {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, position) = if exponent == 0 {
        (fraction, 1)
    } else {
        (fraction | (1u64 << 52), exponent)
    };
    (mantissa, position, bits >> 63 == 1)
}

impl ExactSum {
    /// Adds a finite value (non-finite values are ignored: callers filter
    /// undefined values before they get here).
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() || x == 0.0 {
            return;
        }
        let (mantissa, position, negative) = parts(x);
        let window = *self
            .window_position
            .get_or_insert((position - WINDOW_BELOW_FIRST).max(0));
        let shift = position - window;
        if (0..=WINDOW_SPAN).contains(&shift) {
            let part = i128::from(mantissa) << shift;
            self.window += if negative { -part } else { part };
            self.window_adds += 1;
            if self.window_adds >= ADDS_BEFORE_CARRY {
                self.empty_window();
            }
        } else {
            self.add_magnitude(mantissa, position as usize, negative);
        }
    }

    /// Adds every value of `xs` in turn: the same state as `add` on each,
    /// with the window's fast path as a tight loop (one integer sum kept in
    /// a register) and the values outside the window out of line. When the
    /// window could fill up within `xs`, every value takes `add`.
    #[inline]
    pub fn add_all(&mut self, xs: impl ExactSizeIterator<Item = f64>) {
        let mut xs = xs;
        // The first value that counts places the window.
        while self.window_position.is_none() {
            match xs.next() {
                Some(x) => self.add(x),
                None => return,
            }
        }
        let Some(window) = self.window_position else {
            return;
        };
        if self.window_adds as usize + xs.len() >= ADDS_BEFORE_CARRY as usize {
            xs.for_each(|x| self.add(x));
            return;
        }
        // With the window above the subnormals' position and below that of
        // infinities and NaN, the exponent alone tells a value of the window:
        // zeros, subnormals and non-finite values all fall outside it.
        if !(2..=0x7fe - WINDOW_SPAN).contains(&window) {
            xs.for_each(|x| self.add(x));
            return;
        }
        let mut sum = 0i128;
        let mut adds = 0u32;
        for x in xs {
            let bits = x.to_bits();
            let shift = ((bits >> 52) & 0x7ff) as i32 - window;
            if !(0..=WINDOW_SPAN).contains(&shift) {
                self.add_out_of_line(x);
                continue;
            }
            // A normal value: ±(fraction + 2^52) · 2^shift window units, the
            // sign folded into the 53-bit mantissa, one 64 × 64-bit product.
            let sign = (bits as i64) >> 63;
            let mantissa = ((bits & ((1u64 << 52) - 1)) | (1u64 << 52)) as i64;
            sum += i128::from((mantissa ^ sign) - sign) * i128::from(1i64 << shift);
            adds += 1;
        }
        // The window sums the same integers whatever the grouping, and
        // stays as far from overflow as `add` keeps it.
        self.window += sum;
        self.window_adds += adds;
    }

    /// `add_all` over `n` copies of `x`: one multiplication when `x` falls
    /// in the window.
    pub fn add_repeated(&mut self, x: f64, n: u32) {
        if n == 0 || !x.is_finite() || x == 0.0 {
            return;
        }
        self.add(x);
        let n = n - 1;
        let (Some(window), true) = (
            self.window_position,
            self.window_adds as u64 + u64::from(n) < u64::from(ADDS_BEFORE_CARRY),
        ) else {
            (0..n).for_each(|_| self.add(x));
            return;
        };
        let (mantissa, position, negative) = parts(x);
        let shift = position - window;
        if !(0..=WINDOW_SPAN).contains(&shift) {
            (0..n).for_each(|_| self.add(x));
            return;
        }
        let part = (i128::from(mantissa) << shift) * i128::from(n);
        self.window += if negative { -part } else { part };
        self.window_adds += n;
    }

    /// `add` of a value outside the window, kept out of `add_all`'s loop.
    #[inline(never)]
    #[cold]
    fn add_out_of_line(&mut self, x: f64) {
        self.add(x);
    }

    /// Adds ±`mantissa` · 2^(position − 1075) to the limbs.
    #[inline]
    fn add_magnitude(&mut self, mantissa: u64, position: usize, negative: bool) {
        if mantissa == 0 {
            return;
        }
        let limb = position / 32;
        self.cover(limb, limb + 2);
        let limb = limb - self.low;
        let wide = (mantissa as u128) << (position % 32);
        let parts = [
            (wide & 0xffff_ffff) as i64,
            ((wide >> 32) & 0xffff_ffff) as i64,
            (wide >> 64) as i64,
        ];
        if negative {
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

    /// Moves the window's sum into the limbs.
    fn empty_window(&mut self) {
        let (Some(position), window) = (self.window_position, self.window) else {
            return;
        };
        let negative = window < 0;
        let magnitude = window.unsigned_abs();
        let position = position as usize;
        self.add_magnitude(magnitude as u64, position, negative);
        self.add_magnitude((magnitude >> 64) as u64, position + 64, negative);
        self.window = 0;
        self.window_adds = 0;
    }

    /// Widens the kept limbs to `low..=high` (zeros).
    fn cover(&mut self, low: usize, high: usize) {
        if self.limbs.is_empty() {
            self.low = low;
        }
        if low < self.low {
            self.limbs
                .splice(0..0, std::iter::repeat_n(0, self.low - low));
            self.low = low;
        }
        if high >= self.low + self.limbs.len() {
            self.limbs.resize(high - self.low + 1, 0);
        }
    }

    /// Propagates carries so every limb but the top is in [0, 2^32), and
    /// keeps one more limb while the top one is outside [−2^31, 2^31) (as
    /// far as the 68 limbs of every f64 exponent go).
    fn carry(&mut self) {
        for i in 0..self.limbs.len().saturating_sub(1) {
            let c = self.limbs[i] >> 32;
            self.limbs[i] -= c << 32;
            self.limbs[i + 1] += c;
        }
        while let Some(&top) = self.limbs.last() {
            if (-(1i64 << 31)..1i64 << 31).contains(&top) || self.low + self.limbs.len() >= LIMBS {
                break;
            }
            let c = top >> 32;
            *self.limbs.last_mut().expect("a top limb") -= c << 32;
            self.limbs.push(c);
        }
        self.pending = 0;
    }

    /// The sum over all 68 limbs, carried: the form `value` and the
    /// partial results read.
    fn dense(&self) -> [i64; LIMBS] {
        let mut norm = self.clone();
        norm.empty_window();
        norm.carry();
        let mut limbs = [0; LIMBS];
        limbs[norm.low..norm.low + norm.limbs.len()].copy_from_slice(&norm.limbs);
        carry_dense(&mut limbs);
        limbs
    }

    /// The same sum from its 68 carried limbs, keeping only those needed:
    /// zeros below and, above, the limbs that only extend the sign.
    fn from_dense(dense: [i64; LIMBS]) -> ExactSum {
        let mut limbs = dense.to_vec();
        while limbs.len() > 1 {
            let (top, below) = (limbs[limbs.len() - 1], limbs[limbs.len() - 2]);
            if top == 0 && below < 1 << 31 {
                limbs.pop();
            } else if top == -1 && below >= 1 << 31 {
                limbs.pop();
                *limbs.last_mut().expect("a limb below the top") -= 1 << 32;
            } else {
                break;
            }
        }
        let low = limbs.iter().position(|&l| l != 0).unwrap_or(limbs.len());
        if low == limbs.len() {
            return ExactSum {
                pending: 2,
                ..ExactSum::default()
            };
        }
        ExactSum {
            low,
            limbs: limbs.split_off(low),
            // Carried limbs have room for as many adds as after a merge.
            pending: 2,
            ..ExactSum::default()
        }
    }

    pub fn merge(&mut self, other: &ExactSum) {
        let mut other = other.clone();
        other.empty_window();
        other.carry();
        self.empty_window();
        self.carry();
        if let Some(last) = other.limbs.len().checked_sub(1) {
            self.cover(other.low, other.low + last);
            let start = other.low - self.low;
            for (a, b) in self.limbs[start..].iter_mut().zip(&other.limbs) {
                *a += b;
            }
        }
        self.pending = 2;
    }

    /// The sum, rounded to f64. A function of the exact sum only, so equal
    /// sums give equal bits whatever order they were added in.
    pub fn value(&self) -> f64 {
        dense_value(self.dense())
    }
}

/// Propagates carries over all 68 limbs: every limb but the top in
/// [0, 2^32), a negative sum in two's complement.
fn carry_dense(limbs: &mut [i64; LIMBS]) {
    for i in 0..LIMBS - 1 {
        let c = limbs[i] >> 32;
        limbs[i] -= c << 32;
        limbs[i + 1] += c;
    }
}

/// The f64 nearest below the carried 68-limb sum `limbs` (its top 96 bits).
fn dense_value(limbs: [i64; LIMBS]) -> f64 {
    let top = LIMBS - 1;
    if limbs[top] < 0 {
        // Negative: negate in two's complement over the limbs.
        let mut neg = limbs.map(|l| -l);
        carry_dense(&mut neg);
        return -dense_value(neg);
    }
    // Highest non-zero limb; three limbs (96 bits) carry more precision
    // than an f64 holds.
    let Some(hi) = (0..LIMBS).rev().find(|&i| limbs[i] != 0) else {
        return 0.0;
    };
    let lo = hi.saturating_sub(2);
    let mut acc = 0.0f64;
    for i in (lo..=hi).rev() {
        acc += limbs[i] as f64 * pow2(32 * i as i32 - 1075);
    }
    acc
}

/// Partial sums travel as their limbs (window emptied, carries
/// propagated): a sum written by one process and read by another merges
/// exactly, as the shards of a run need.
impl serde::Serialize for ExactSum {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.dense().iter())
    }
}

impl<'de> serde::Deserialize<'de> for ExactSum {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let limbs: Vec<i64> = serde::Deserialize::deserialize(deserializer)?;
        let mut limbs: [i64; LIMBS] = limbs.try_into().map_err(|v: Vec<i64>| {
            serde::de::Error::invalid_length(v.len(), &"the limbs of an exact sum")
        })?;
        carry_dense(&mut limbs);
        Ok(ExactSum::from_dense(limbs))
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
    fn matches_an_integer_sum_across_and_beyond_the_window() {
        // Values k·2^e over 2^−40..2^60, so far apart that many miss the
        // window the first value placed; the exact sum is an integer number
        // of 2^−40 units.
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        let values: Vec<(i128, i32)> = (0..3000)
            .map(|_| {
                let k = (next() % (1 << 20)) as i128 - (1 << 19);
                let e = (next() % 101) as i32 - 40;
                (k, e)
            })
            .collect();
        let exact: i128 = values.iter().map(|&(k, e)| k << (e + 40)).sum();
        let want = exact as f64 * 2f64.powi(-40);
        let as_f64 = |&(k, e): &(i128, i32)| k as f64 * 2f64.powi(e);
        let mut one = ExactSum::default();
        values.iter().for_each(|v| one.add(as_f64(v)));
        assert_eq!(one.value(), want);
        let mut parts: Vec<ExactSum> = vec![ExactSum::default(); 7];
        for (i, v) in values.iter().enumerate().rev() {
            parts[i % 7].add(as_f64(v));
        }
        let mut merged = ExactSum::default();
        parts.iter().for_each(|p| merged.merge(p));
        assert_eq!(merged.value().to_bits(), one.value().to_bits());
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

    #[test]
    fn keeps_few_limbs_and_reads_back_from_its_partial_form() {
        let mut s = ExactSum::default();
        for i in 0..5000 {
            s.add(1234.5 + i as f64 * 0.25);
            s.add(-(i as f64) * 1e-3);
        }
        let mut far = ExactSum::default();
        far.add(-1e300);
        far.add(3e-300);
        far.add(7.0);
        s.merge(&far);
        // 1e300 and 3e-300 are 62 limbs apart: only those reached are kept.
        assert!(s.limbs.len() < LIMBS, "{} limbs", s.limbs.len());
        let mut small = ExactSum::default();
        small.add(-2.5);
        small.merge(&ExactSum::default());
        assert!(small.limbs.len() <= 4, "{} limbs", small.limbs.len());
        for sum in [&s, &small, &far, &ExactSum::default()] {
            let json = serde_json::to_string(sum).unwrap();
            assert_eq!(json.matches(',').count(), LIMBS - 1, "68 limbs on disk");
            let back: ExactSum = serde_json::from_str(&json).unwrap();
            assert_eq!(back.value().to_bits(), sum.value().to_bits());
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
        assert_eq!(small.value(), -2.5);
    }
}
