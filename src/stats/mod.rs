//! Summaries over trials (spec §5) with mergeable accumulators.
//!
//! Every piece of an accumulator merges exactly (integer counts, exact sums,
//! min and max), so results do not depend on how trials were split among
//! threads or machines, and memory does not grow with the number of trials.

pub mod exact_sum;
pub mod sensitivity;
pub mod sketch;
pub mod variance_split;

use serde::{Deserialize, Serialize};

use crate::metrics::Kind;
pub use exact_sum::ExactSum;
pub use sketch::QuantileSketch;

/// z of a two-sided 90 % normal interval, used for every "90 % interval".
pub const Z90: f64 = 1.644_853_626_951_472_2;

/// A mean estimated from trials with its standard error and 90 % interval,
/// as every estimate racesim reports carries its error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    /// Standard error of `mean` (Monte Carlo or sampling uncertainty).
    pub se: f64,
    /// 90 % interval of `mean`.
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    pub fn new(mean: f64, se: f64) -> Self {
        let (low, high) = interval90(mean, se);
        Estimate {
            mean,
            se,
            low,
            high,
        }
    }

    /// Whether the interval holds zero: the estimate cannot be told apart
    /// from zero.
    pub fn spans_zero(&self) -> bool {
        self.low <= 0.0 && self.high >= 0.0
    }

    /// "0.577 [0.532 – 0.623]", with "≈ 0" when the interval holds zero,
    /// for tables of ratios (marginal ROI).
    pub fn ratio_text(&self) -> String {
        let zero = if self.spans_zero() { " ≈ 0" } else { "" };
        format!(
            "{:.3} [{:.3} – {:.3}]{zero}",
            self.mean, self.low, self.high
        )
    }
}

/// The 90 % normal interval of a mean with standard error `se`.
pub fn interval90(mean: f64, se: f64) -> (f64, f64) {
    (mean - Z90 * se, mean + Z90 * se)
}

/// The quantiles every summary reports.
pub const QUANTILES: [f64; 7] = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95];

/// The smaller of a running minimum `min` and a defined value `x`, as one
/// instruction (`f64::min` also tests for NaN, which `add` leaves out). On a
/// tie of +0.0 and −0.0 it keeps `min`: `f64::min` leaves that choice open,
/// and keeping `min` is what it did in the builds whose outputs racesim's
/// must still match byte for byte.
#[inline]
fn lower(min: f64, x: f64) -> f64 {
    if x < min { x } else { min }
}

/// The larger of `max` and `x`, keeping `max` when they compare equal.
#[inline]
fn higher(max: f64, x: f64) -> f64 {
    if x > max { x } else { max }
}

/// Running statistics of one metric.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Accumulator {
    defined: u64,
    sum: ExactSum,
    sum_squares: ExactSum,
    min: f64,
    max: f64,
    sketch: QuantileSketch,
}

impl Accumulator {
    /// Values below which `add_all` adds one value at a time.
    pub const FEW: usize = 8;

    /// Takes defined values from `low` to `high` into the range (the first
    /// values set it), before `defined` counts them.
    #[inline]
    fn widen_range(&mut self, low: f64, high: f64) {
        if self.defined == 0 {
            self.min = low;
            self.max = high;
        } else {
            self.min = lower(self.min, low);
            self.max = higher(self.max, high);
        }
    }

    /// Adds one trial's value; NaN (undefined) is counted out.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.widen_range(x, x);
        self.defined += 1;
        self.sum.add(x);
        self.sum_squares.add(x * x);
        self.sketch.add(x);
    }

    /// Adds a block of trials' values, in order: the same state as `add` on
    /// each, but one component at a time over the whole block (tight loops
    /// whose rare cases are out of line), and a value repeated over the
    /// block (a fixed spend, a month without cost) in one step.
    pub fn add_all(&mut self, xs: &[f64]) {
        let Some(&first) = xs.first() else {
            return;
        };
        // With many plans the driver's blocks are a few trials long: not
        // worth a pass per component.
        if xs.len() < Self::FEW {
            xs.iter().for_each(|x| self.add(*x));
            return;
        }
        if let Ok(n) = u32::try_from(xs.len())
            && xs.iter().all(|x| x.to_bits() == first.to_bits())
        {
            self.add_repeated(first, n);
            return;
        }
        let mut defined = xs.iter().copied().filter(|x| !x.is_nan());
        if self.defined == 0 {
            let Some(x) = defined.next() else {
                return;
            };
            self.min = x;
            self.max = x;
            self.defined = 1;
        }
        let (mut min, mut max, mut count) = (self.min, self.max, 0);
        for x in defined {
            min = lower(min, x);
            max = higher(max, x);
            count += 1;
        }
        self.min = min;
        self.max = max;
        self.defined += count;
        self.sum.add_all(xs.iter().copied());
        self.sum_squares.add_all(xs.iter().map(|x| x * x));
        self.sketch.add_all(xs);
    }

    /// `add(x)` `n` times over: `lower` and `higher` return one of their
    /// arguments, so repeating them with the same `x` changes nothing.
    fn add_repeated(&mut self, x: f64, n: u32) {
        if x.is_nan() || n == 0 {
            return;
        }
        self.widen_range(x, x);
        self.defined += u64::from(n);
        self.sum.add_repeated(x, n);
        self.sum_squares.add_repeated(x * x, n);
        self.sketch.add_repeated(x, n);
    }

    pub fn merge(&mut self, other: &Accumulator) {
        if other.defined == 0 {
            return;
        }
        self.widen_range(other.min, other.max);
        self.defined += other.defined;
        self.sum.merge(&other.sum);
        self.sum_squares.merge(&other.sum_squares);
        self.sketch.merge(&other.sketch);
    }

    pub fn defined(&self) -> u64 {
        self.defined
    }

    /// The mean, kept inside [min, max]: the division can round a constant
    /// metric's mean one ulp past its only value.
    pub fn mean(&self) -> Option<f64> {
        (self.defined > 0)
            .then(|| (self.sum.value() / self.defined as f64).clamp(self.min, self.max))
    }

    /// Sample standard deviation (n − 1).
    pub fn sd(&self) -> Option<f64> {
        let n = self.defined as f64;
        match self.defined {
            0 => None,
            1 => Some(0.0),
            _ if self.min == self.max => Some(0.0),
            _ => {
                let s = self.sum.value();
                let var = (self.sum_squares.value() - s * s / n) / (n - 1.0);
                Some(var.max(0.0).sqrt())
            }
        }
    }

    /// The median over all `trials`, counting each trial without a value as later than any
    /// value (a payback never reached); None when those trials reach the median. A median
    /// over the defined values alone would hide that most trials never get there.
    pub fn median_counting_undefined_as_never(&self, trials: u64, kind: Kind) -> Option<f64> {
        let position = 0.5 * trials.saturating_sub(1) as f64;
        if self.defined == 0 || position.ceil() as u64 >= self.defined {
            return None;
        }
        // The same two ranks, now counted among the defined values only.
        let q = if self.defined == 1 {
            0.0
        } else {
            position / (self.defined - 1) as f64
        };
        self.sketch
            .quantile(q, kind.is_whole())
            .map(|v| v.clamp(self.min, self.max))
    }

    pub fn summary(&self, kind: Kind) -> Summary {
        let [p5, p10, p25, p50, p75, p90, p95] = self
            .sketch
            .quantiles(&QUANTILES, kind.is_whole())
            .map(|q| q.map(|v| v.clamp(self.min, self.max)));
        let defined = self.defined > 0;
        let sd = self.sd();
        Summary {
            mean: self.mean(),
            sd,
            se: sd.map(|sd| sd / (self.defined as f64).sqrt()),
            min: defined.then_some(self.min),
            p5,
            p10,
            p25,
            p50,
            p75,
            p90,
            p95,
            max: defined.then_some(self.max),
            defined: self.defined,
            variance: None,
        }
    }
}

/// The statistics of one metric over trials; `None` (JSON null) when no
/// trial defined the value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub se: Option<f64>,
    pub min: Option<f64>,
    pub p5: Option<f64>,
    pub p10: Option<f64>,
    pub p25: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
    pub defined: u64,
    /// How much of the spread is assumptions and how much luck (spec §7):
    /// given for profit, revenue and customers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<variance_split::Shares>,
}

impl Summary {
    /// (column name, value) pairs in the documented order, for the CSV and
    /// table exporters.
    pub fn columns(&self) -> [(&'static str, Option<f64>); 12] {
        [
            ("mean", self.mean),
            ("sd", self.sd),
            ("se", self.se),
            ("min", self.min),
            ("p5", self.p5),
            ("p10", self.p10),
            ("p25", self.p25),
            ("p50", self.p50),
            ("p75", self.p75),
            ("p90", self.p90),
            ("p95", self.p95),
            ("max", self.max),
        ]
    }
}

#[cfg(test)]
mod median_counting_undefined_as_never {
    use super::*;

    fn accumulator(values: &[f64]) -> Accumulator {
        let mut acc = Accumulator::default();
        values.iter().for_each(|x| acc.add(*x));
        acc
    }

    #[test]
    fn counts_missing_trials_above_every_value() {
        // Ten trials, six pay back in months 1..=6: sorted with four "never"s, the median
        // lies halfway between the 5th and 6th values.
        let acc = accumulator(&[6.0, 1.0, 5.0, 2.0, 4.0, 3.0]);
        assert_eq!(
            acc.median_counting_undefined_as_never(10, Kind::Month),
            Some(5.5)
        );
        // Eleven trials: the 6th of 11 is the median.
        assert_eq!(
            acc.median_counting_undefined_as_never(11, Kind::Month),
            Some(6.0)
        );
        // Twelve: half the trials never pay back, so the median does not exist.
        assert_eq!(
            acc.median_counting_undefined_as_never(12, Kind::Month),
            None
        );
        // With every trial defined it is the ordinary median.
        assert_eq!(
            acc.median_counting_undefined_as_never(6, Kind::Month),
            Some(3.5)
        );
        assert_eq!(
            acc.median_counting_undefined_as_never(6, Kind::Month),
            acc.summary(Kind::Month).p50
        );
    }

    #[test]
    fn one_or_no_defined_value() {
        assert_eq!(
            accumulator(&[4.0]).median_counting_undefined_as_never(1, Kind::Month),
            Some(4.0)
        );
        assert_eq!(
            accumulator(&[4.0]).median_counting_undefined_as_never(2, Kind::Month),
            None
        );
        assert_eq!(
            accumulator(&[]).median_counting_undefined_as_never(3, Kind::Month),
            None
        );
    }
}
