//! Quantiles in bounded memory: a DDSketch (Masson, Rim & Lee, VLDB 2019).
//!
//! Values fall into buckets of bounded relative width, so any quantile is
//! known to a relative error of at most `RELATIVE_ACCURACY`, memory grows
//! with the value range rather than with the number of trials, and two
//! sketches merge by adding bucket counts: exact, so the merge order never
//! matters.
//!
//! The buckets come from the bits of the f64 itself (DDSketch's linearly
//! interpolated mapping): the exponent and the top `MANTISSA_BITS` bits of
//! the mantissa. That costs a shift instead of a logarithm, and, unlike a
//! libm logarithm, it is the same on every machine.

/// Mantissa bits kept in a bucket key: each octave is cut into 512 equal
/// slices, so a bucket's upper edge is at most 1 + 1/512 times its lower.
const MANTISSA_BITS: u32 = 9;
const SHIFT: u32 = 52 - MANTISSA_BITS;
/// Relative accuracy of every quantile: half a bucket, 1/(2·512 + 1).
pub const RELATIVE_ACCURACY: f64 = 1.0 / 1025.0;
/// Values closer to zero than this are counted as zero.
const ZERO_THRESHOLD: f64 = 1e-9;

/// A dense store narrower than this many buckets (1 KiB) is never worth
/// replacing by a sparse one.
const DENSE_MIN_SPAN: usize = 256;

/// A sparse store turns dense once its span is at most this many buckets per occupied
/// one (4 bytes a bucket against 8 an entry), and a dense store turns sparse when its span
/// would pass twice that. A dense add is one load where a sparse one is a binary search:
/// trading some memory for speed.
const DENSE_PER_OCCUPIED: usize = 4;

/// Bucket counts, kept in whichever of two layouts is smaller for the
/// values seen. A run with many plans keeps a few hundred sketches per plan,
/// and a metric's values (counts from 1 to 10,000, say) can be spread over
/// thousands of buckets of which a few hundred trials occupy a few: the
/// dense layout alone cost about 2.7 MB per plan. Both layouts hold the same
/// (key, count) pairs, so no reported number depends on the layout.
#[derive(Clone, Debug)]
enum Buckets {
    /// Occupied buckets only, ascending by key: used while the occupied
    /// buckets are spread thinly over their range.
    Sparse(Vec<(i32, u32)>),
    /// Every bucket from `offset` up: one indexed add per value. Kept while
    /// its span stays within `2 · DENSE_PER_OCCUPIED` times the occupied
    /// buckets (or within `DENSE_MIN_SPAN`), so it never holds more than 32
    /// bytes per occupied bucket.
    Dense {
        offset: i32,
        counts: Vec<u32>,
        occupied: usize,
    },
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets::Sparse(Vec::new())
    }
}

/// Bucket counts over the keys of one sign.
#[derive(Clone, Debug, Default)]
struct Store {
    buckets: Buckets,
    total: u64,
}

/// How a store is written to (and read from) a shard's partial result: every
/// bucket from `offset` up, as before stores had two layouts, so partial
/// results keep their format.
#[derive(serde::Serialize, serde::Deserialize)]
struct DenseForm {
    offset: i32,
    /// u32 halves the cache footprint; `options::MAX_TRIALS` keeps every
    /// count below its limit.
    counts: Vec<u32>,
    total: u64,
}

impl serde::Serialize for Store {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (offset, counts) = match &self.buckets {
            Buckets::Dense { offset, counts, .. } => (*offset, counts.clone()),
            Buckets::Sparse(entries) => match (entries.first(), entries.last()) {
                (Some(&(low, _)), Some(&(high, _))) => {
                    let mut counts = vec![0; (high - low) as usize + 1];
                    for &(key, count) in entries {
                        counts[(key - low) as usize] = count;
                    }
                    (low, counts)
                }
                _ => (0, Vec::new()),
            },
        };
        DenseForm {
            offset,
            counts,
            total: self.total,
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Store {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let form = DenseForm::deserialize(deserializer)?;
        let entries = form
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (form.offset + i as i32, *c))
            .collect();
        Ok(Store {
            buckets: Buckets::from_entries(entries),
            total: form.total,
        })
    }
}

/// Stores are equal when they count the same values, whatever their layout.
impl PartialEq for Store {
    fn eq(&self, other: &Store) -> bool {
        self.total == other.total && self.ascending().eq(other.ascending())
    }
}

impl Eq for Store {}

impl Buckets {
    /// The smaller layout for these occupied buckets (ascending by key, no
    /// zero counts).
    fn from_entries(entries: Vec<(i32, u32)>) -> Buckets {
        let (Some(&(low, _)), Some(&(high, _))) = (entries.first(), entries.last()) else {
            return Buckets::Sparse(entries);
        };
        let span = (high - low) as usize + 1;
        if span > DENSE_PER_OCCUPIED * entries.len() {
            return Buckets::Sparse(entries);
        }
        let mut counts = vec![0; span];
        for &(key, count) in &entries {
            counts[(key - low) as usize] = count;
        }
        Buckets::Dense {
            offset: low,
            counts,
            occupied: entries.len(),
        }
    }
}

/// Counts `keys` in turn into the sparse `entries` as long as each has an
/// entry already, and returns how many it counted (the next one needs a new
/// entry). A sparse store can hold a thousand entries (a ratio or a
/// cumulative profit crossing zero spreads over many octaves): its binary
/// searches are chains of dependent loads, so `SIDE_BY_SIDE` keys are
/// searched in lockstep, their loads in flight together.
fn count_present(entries: &mut [(i32, u32)], keys: &[i32]) -> usize {
    const SIDE_BY_SIDE: usize = 8;
    if entries.is_empty() {
        return 0;
    }
    let mut counted = 0;
    for group in keys.chunks(SIDE_BY_SIDE) {
        // at[j]: the last entry below group[j], or the first entry.
        let mut at = [0usize; SIDE_BY_SIDE];
        let mut size = entries.len();
        while size > 1 {
            let half = size / 2;
            for (at, &key) in at.iter_mut().zip(group) {
                let mid = *at + half;
                *at = std::hint::select_unpredictable(entries[mid].0 < key, mid, *at);
            }
            size -= half;
        }
        for (&at, &key) in at.iter().zip(group) {
            let i = at + usize::from(entries[at].0 < key);
            match entries.get_mut(i) {
                Some(entry) if entry.0 == key => entry.1 += 1,
                _ => return counted,
            }
            counted += 1;
        }
    }
    counted
}

impl Store {
    #[inline]
    fn add(&mut self, key: i32, n: u32) {
        self.total += u64::from(n);
        match &mut self.buckets {
            Buckets::Dense {
                offset,
                counts,
                occupied,
            } => {
                let end = *offset + counts.len() as i32;
                if key < *offset || key >= end {
                    let span = (end.max(key + 1) - (*offset).min(key)) as usize;
                    if span > DENSE_MIN_SPAN && span > 2 * DENSE_PER_OCCUPIED * (*occupied + 1) {
                        let mut entries: Vec<(i32, u32)> = counts
                            .iter()
                            .enumerate()
                            .filter(|(_, c)| **c > 0)
                            .map(|(i, c)| (*offset + i as i32, *c))
                            .collect();
                        let at = entries.partition_point(|e| e.0 < key);
                        entries.insert(at, (key, n));
                        self.buckets = Buckets::Sparse(entries);
                        return;
                    }
                    if key < *offset {
                        let grow = (*offset - key) as usize;
                        counts.splice(0..0, std::iter::repeat_n(0, grow));
                        *offset = key;
                    } else {
                        counts.resize((key - *offset) as usize + 1, 0);
                    }
                }
                let count = &mut counts[(key - *offset) as usize];
                if *count == 0 {
                    *occupied += 1;
                }
                *count += n;
            }
            Buckets::Sparse(entries) => match entries.binary_search_by_key(&key, |e| e.0) {
                Ok(i) => entries[i].1 += n,
                Err(i) => {
                    entries.insert(i, (key, n));
                    let span = (entries[entries.len() - 1].0 - entries[0].0) as usize + 1;
                    if span <= DENSE_PER_OCCUPIED * entries.len() {
                        self.buckets = Buckets::from_entries(std::mem::take(entries));
                    }
                }
            },
        }
    }

    /// `add(key, 1)` for each of `keys` in turn. The common case of a warm
    /// store, a key whose bucket it already has, is counted in a loop that
    /// changes neither the layout nor (in a sparse store) the entries; the
    /// first other key goes to `add`, and the loop resumes after it.
    fn add_keys(&mut self, mut keys: &[i32]) {
        while !keys.is_empty() {
            let counted = match &mut self.buckets {
                Buckets::Dense {
                    offset,
                    counts,
                    occupied,
                } => {
                    let mut counted = 0;
                    let mut newly_occupied = 0;
                    for &key in keys {
                        let Some(count) = counts.get_mut(key.wrapping_sub(*offset) as u32 as usize)
                        else {
                            break;
                        };
                        newly_occupied += usize::from(*count == 0);
                        *count += 1;
                        counted += 1;
                    }
                    *occupied += newly_occupied;
                    counted
                }
                Buckets::Sparse(entries) => count_present(entries, keys),
            };
            self.total += counted as u64;
            let Some((&next, rest)) = keys[counted..].split_first() else {
                return;
            };
            self.add(next, 1);
            keys = rest;
        }
    }

    fn merge(&mut self, other: &Store) {
        if other.total == 0 {
            return;
        }
        let mut merged = Vec::new();
        let (mut a, mut b) = (
            self.ascending_u32().peekable(),
            other.ascending_u32().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&x), Some(&y)) if x.0 == y.0 => {
                    a.next();
                    b.next();
                    (x.0, x.1 + y.1)
                }
                (Some(&x), Some(&y)) if x.0 < y.0 => {
                    a.next();
                    x
                }
                (_, Some(&y)) => {
                    b.next();
                    y
                }
                (Some(&x), None) => {
                    a.next();
                    x
                }
                (None, None) => break,
            };
            merged.push(next);
        }
        drop((a, b));
        self.buckets = Buckets::from_entries(merged);
        self.total += other.total;
    }

    /// (key, count) of the occupied buckets from the lowest key up.
    fn ascending_u32(&self) -> Box<dyn DoubleEndedIterator<Item = (i32, u32)> + '_> {
        match &self.buckets {
            Buckets::Sparse(entries) => Box::new(entries.iter().copied()),
            Buckets::Dense { offset, counts, .. } => Box::new(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(move |(i, c)| (*offset + i as i32, *c)),
            ),
        }
    }

    /// (key, count) from the lowest key up.
    fn ascending(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        self.ascending_u32().map(|(k, c)| (k, u64::from(c)))
    }

    /// Bytes held on the heap, for the memory tests.
    fn heap_bytes(&self) -> usize {
        match &self.buckets {
            Buckets::Sparse(entries) => entries.capacity() * 8,
            Buckets::Dense { counts, .. } => counts.capacity() * 4,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuantileSketch {
    positive: Store,
    negative: Store,
    zero: u64,
}

impl QuantileSketch {
    /// The bucket of a positive magnitude: monotone in it, since positive
    /// f64 bit patterns order like the numbers.
    #[inline]
    fn key(&self, magnitude: f64) -> i32 {
        (magnitude.to_bits() >> SHIFT) as i32
    }

    /// The value that represents bucket `key`: the harmonic mean of its
    /// edges, whose relative distance to any value in the bucket is at most
    /// (hi − lo)/(hi + lo) ≤ 1/1025.
    fn representative(key: i32) -> f64 {
        let lo = f64::from_bits((key as u64) << SHIFT);
        let hi = f64::from_bits((key as u64 + 1) << SHIFT);
        2.0 * lo * hi / (lo + hi)
    }

    #[inline]
    pub fn add(&mut self, x: f64) {
        self.add_repeated(x, 1);
    }

    /// `add` on each value of `xs` in turn, leaving NaN out (undefined
    /// values are not counted): the keys of each sign are worked out first,
    /// a part of `xs` at a time, and then counted by their store at once.
    pub fn add_all(&mut self, xs: &[f64]) {
        const AT_ONCE: usize = 128;
        for part in xs.chunks(AT_ONCE) {
            let mut positive = [0i32; AT_ONCE];
            let mut negative = [0i32; AT_ONCE];
            let (mut p, mut n) = (0, 0);
            for &x in part {
                if x > ZERO_THRESHOLD {
                    positive[p] = self.key(x);
                    p += 1;
                } else if x < -ZERO_THRESHOLD {
                    negative[n] = self.key(-x);
                    n += 1;
                } else if !x.is_nan() {
                    self.zero += 1;
                }
            }
            self.positive.add_keys(&positive[..p]);
            self.negative.add_keys(&negative[..n]);
        }
    }

    /// `add(x)` `n` times over, with one bucket update.
    #[inline]
    pub fn add_repeated(&mut self, x: f64, n: u32) {
        if n == 0 {
            return;
        }
        if x > ZERO_THRESHOLD {
            let k = self.key(x);
            self.positive.add(k, n);
        } else if x < -ZERO_THRESHOLD {
            let k = self.key(-x);
            self.negative.add(k, n);
        } else {
            self.zero += u64::from(n);
        }
    }

    pub fn merge(&mut self, other: &QuantileSketch) {
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        self.zero += other.zero;
    }

    /// Bytes its buckets hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.positive.heap_bytes() + self.negative.heap_bytes()
    }

    pub fn count(&self) -> u64 {
        self.positive.total + self.negative.total + self.zero
    }

    /// The values of the 0-based ranks `ranks` (ascending) in sorted
    /// order, approximately, in one walk over the buckets; ranks at or past
    /// the count give the largest value.
    fn at_ranks(&self, ranks: &[u64], out: &mut [f64]) {
        let buckets = self
            .negative
            .ascending()
            .rev()
            .map(|(k, c)| (-Self::representative(k), c))
            .chain(std::iter::once((0.0, self.zero)))
            .chain(
                self.positive
                    .ascending()
                    .map(|(k, c)| (Self::representative(k), c)),
            )
            .filter(|&(_, c)| c > 0);
        let mut next = 0;
        let mut seen = 0u64;
        let mut largest = 0.0;
        for (value, count) in buckets {
            seen += count;
            largest = value;
            while next < ranks.len() && ranks[next] < seen {
                out[next] = value;
                next += 1;
            }
        }
        out[next..].fill(largest);
    }

    /// The `qs`-quantiles (ascending) with linear interpolation between the
    /// two nearest ranks (numpy's default definition), each rank's value
    /// known to relative error α. `whole` rounds each rank's value to an
    /// integer first, which makes quantiles of counts below 1/α exact.
    pub fn quantiles<const N: usize>(&self, qs: &[f64; N], whole: bool) -> [Option<f64>; N] {
        let n = self.count();
        if n == 0 {
            return [None; N];
        }
        let position = |q: f64| q.clamp(0.0, 1.0) * (n - 1) as f64;
        // Each quantile needs the ranks on either side of its position.
        let mut ranks = [0u64; 64];
        let mut values = [0.0f64; 64];
        assert!(2 * N <= ranks.len(), "at most 32 quantiles at once");
        for (i, &q) in qs.iter().enumerate() {
            ranks[2 * i] = position(q).floor() as u64;
            ranks[2 * i + 1] = position(q).ceil() as u64;
        }
        self.at_ranks(&ranks[..2 * N], &mut values[..2 * N]);
        let fix = |v: f64| if whole { v.round() } else { v };
        std::array::from_fn(|i| {
            let (a, b) = (fix(values[2 * i]), fix(values[2 * i + 1]));
            let fraction = position(qs[i]) - ranks[2 * i] as f64;
            Some(if fraction == 0.0 {
                a
            } else {
                a + (b - a) * fraction
            })
        })
    }

    /// The q-quantile (see `quantiles`).
    pub fn quantile(&self, q: f64, whole: bool) -> Option<f64> {
        self.quantiles(&[q], whole)[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_relative_accuracy() {
        let mut s = QuantileSketch::default();
        let xs: Vec<f64> = (1..=10_001).map(|i| -5000.0 + i as f64 * 1.37).collect();
        xs.iter().for_each(|x| s.add(*x));
        for q in [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95] {
            let rank = q * (xs.len() - 1) as f64;
            let exact = xs[rank.floor() as usize]
                + (xs[rank.ceil() as usize] - xs[rank.floor() as usize]) * rank.fract();
            let got = s.quantile(q, false).unwrap();
            assert!(
                (got - exact).abs() <= 2.0 * RELATIVE_ACCURACY * exact.abs() + 1.37,
                "q={q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn merge_equals_single_pass() {
        let xs: Vec<f64> = (0..5000).map(|i| ((i * 37) % 911) as f64 - 300.0).collect();
        let mut one = QuantileSketch::default();
        xs.iter().for_each(|x| one.add(*x));
        let mut a = QuantileSketch::default();
        let mut b = QuantileSketch::default();
        xs.iter().step_by(2).for_each(|x| a.add(*x));
        xs.iter().skip(1).step_by(2).for_each(|x| b.add(*x));
        b.merge(&a);
        assert_eq!(
            one.positive.ascending().collect::<Vec<_>>(),
            b.positive.ascending().collect::<Vec<_>>()
        );
        assert_eq!(
            one.negative.ascending().collect::<Vec<_>>(),
            b.negative.ascending().collect::<Vec<_>>()
        );
        for q in [0.0, 0.05, 0.5, 0.95, 1.0] {
            assert_eq!(one.quantile(q, false), b.quantile(q, false));
        }
    }

    #[test]
    fn small_counts_are_exact_when_whole() {
        let mut s = QuantileSketch::default();
        for x in [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0] {
            s.add(x);
        }
        assert_eq!(s.quantile(0.5, true), Some(5.0));
        assert_eq!(s.quantile(0.05, true), Some(0.5));
        assert_eq!(s.quantile(1.0, true), Some(10.0));
    }

    /// Values from a generator with a fixed seed, spread over `octaves`
    /// powers of two above 1.
    fn spread(n: usize, octaves: f64, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                let sign = if state & 1 == 0 { 1.0 } else { -1.0 };
                sign * 2f64.powf(u * octaves)
            })
            .collect()
    }

    #[test]
    fn few_values_over_a_wide_range_keep_only_their_buckets() {
        // 200 values over 20 octaves: a dense store would span ~10,000
        // buckets per sign; the sparse one holds at most 16 bytes per value.
        let mut s = QuantileSketch::default();
        spread(200, 20.0, 1).iter().for_each(|x| s.add(*x));
        assert!(s.heap_bytes() <= 16 * 200, "{} bytes", s.heap_bytes());
        // Many values in one octave fill its buckets: dense, 4 bytes a bucket.
        let mut dense = QuantileSketch::default();
        spread(20_000, 1.0, 2).iter().for_each(|x| dense.add(*x));
        assert!(matches!(dense.positive.buckets, Buckets::Dense { .. }));
        assert!(
            dense.heap_bytes() <= 4 * 2 * 2 * 513,
            "{} bytes",
            dense.heap_bytes()
        );
    }

    #[test]
    fn layouts_and_merges_give_the_same_buckets_and_quantiles() {
        // Sparse and dense stores, merged in every combination and in pieces,
        // count the same buckets as one pass, and read back from their
        // partial-result form unchanged.
        let xs: Vec<f64> = spread(3000, 3.0, 3)
            .into_iter()
            .chain(spread(300, 30.0, 4))
            .collect();
        let mut one = QuantileSketch::default();
        xs.iter().for_each(|x| one.add(*x));
        for pieces in [2, 3, 7, 50] {
            let mut parts = vec![QuantileSketch::default(); pieces];
            for (i, x) in xs.iter().enumerate() {
                parts[(i * 7919) % pieces].add(*x);
            }
            let mut merged = QuantileSketch::default();
            parts.iter().rev().for_each(|p| merged.merge(p));
            assert_eq!(merged, one, "{pieces} pieces");
            for q in [0.0, 0.05, 0.25, 0.5, 0.9, 0.95, 1.0] {
                assert_eq!(
                    merged.quantile(q, false).map(f64::to_bits),
                    one.quantile(q, false).map(f64::to_bits)
                );
            }
        }
        let json = serde_json::to_string(&one).unwrap();
        assert!(json.contains("\"offset\"") && json.contains("\"counts\""));
        let back: QuantileSketch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, one);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }
}
