//! Forecast check (spec §9 "Actuals", part 1): where each actual falls in
//! the forecast of the same channel, month and quantity, and what the ones
//! far out in the tails point at.
//!
//! The forecast is the plan simulated as before the campaign (prior
//! assumptions, nothing pinned), with the months' actual spend where the
//! actuals give it: a planner asks whether the money bought what it was
//! expected to buy, not whether a different budget would have. Spend itself
//! is checked against the plan.

use serde::Serialize;

use crate::engine::observed::CellMetric;
use crate::optimize::objective::quantile;
use crate::scenario::Scenario;
use crate::simulation::{Block, Collector};
use crate::track::{ActualMetric, Actuals};

/// Percentiles outside [`LOW`, `HIGH`] are flagged (the forecast's 90 %
/// band).
pub const LOW: f64 = 5.0;
pub const HIGH: f64 = 95.0;

/// Spend is not random: it is flagged when it strays from the plan by more
/// than this share (a rounding of the plan's monthly split is no news).
pub const SPEND_TOLERANCE: f64 = 0.05;

/// The engine's per-channel monthly quantity an actual is compared with
/// (spend has none: it is the plan's).
fn cell_metric(metric: ActualMetric) -> Option<CellMetric> {
    match metric {
        ActualMetric::Spend => None,
        ActualMetric::Visitors => Some(CellMetric::Visitors),
        ActualMetric::Leads => Some(CellMetric::Leads),
        ActualMetric::Customers => Some(CellMetric::Customers),
        ActualMetric::Revenue => Some(CellMetric::Revenue),
    }
}

/// Keeps, for every actual with a simulated counterpart, its value in each
/// trial of one plan (trial order restored at the end, so the result does
/// not depend on the threads).
pub struct CellValues {
    plan: usize,
    keys: Vec<(usize, usize, CellMetric)>,
    /// (first trial, values of the block trial by trial, `keys` each).
    blocks: Vec<(u64, Vec<f64>)>,
}

impl CellValues {
    /// Values of `plan`'s outcomes (made with cells, `Given::cells`) for
    /// the quantities `actuals` report.
    pub fn new(actuals: &Actuals, plan: usize) -> Self {
        let keys = actuals
            .iter()
            .into_iter()
            .filter_map(|((ci, t, m), _)| cell_metric(m).map(|c| (ci, t, c)))
            .collect();
        CellValues {
            plan,
            keys,
            blocks: Vec::new(),
        }
    }

    /// Each key's values over the trials, in trial order.
    fn by_key(mut self) -> Vec<((usize, usize, CellMetric), Vec<f64>)> {
        self.blocks.sort_by_key(|(first, _)| *first);
        let n = self.keys.len();
        self.keys
            .iter()
            .enumerate()
            .map(|(k, key)| {
                let values = self
                    .blocks
                    .iter()
                    .flat_map(|(_, v)| v.chunks_exact(n).map(move |trial| trial[k]))
                    .collect();
                (*key, values)
            })
            .collect()
    }
}

impl Collector for CellValues {
    fn add(&mut self, block: &Block) {
        if self.keys.is_empty() {
            return;
        }
        let mut values = Vec::with_capacity(block.len() * self.keys.len());
        for o in block.outcomes(self.plan) {
            values.extend(self.keys.iter().map(|&(ci, t, m)| o.cell(ci, t, m)));
        }
        self.blocks.push((block.first_trial, values));
    }

    fn merge(&mut self, other: Self) {
        self.blocks.extend(other.blocks);
    }
}

/// One actual against its forecast.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRow {
    pub channel: String,
    pub month: usize,
    pub metric: &'static str,
    pub actual: f64,
    /// The actuals file's line.
    pub line: u64,
    /// Forecast percentiles; `None` where the engine does not forecast the
    /// quantity month by month (the referral channel's visitors and leads).
    pub p5: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    /// Rank percentile of the actual among the trials (mid-rank: ties
    /// count half), 0–100; `None` for spend, which is compared with the
    /// plan (`p50`) instead.
    pub percentile: Option<f64>,
    /// Outside the forecast's P5–P95 (spend: off the plan by more than
    /// `SPEND_TOLERANCE`).
    pub flagged: bool,
}

/// Consecutive flagged months of one channel's quantity, on the same side.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub channel: String,
    pub metric: &'static str,
    pub first_month: usize,
    pub last_month: usize,
    /// The most extreme percentile of the run of months (spend: the
    /// largest relative deviation from the plan, signed).
    pub percentile: f64,
    pub below: bool,
    /// What it points at, in the planner's words.
    pub meaning: String,
}

impl Finding {
    /// "search visitors at P2 in months 1–2: cost per visit higher (or
    /// audience smaller) than assumed".
    pub fn sentence(&self) -> String {
        let months = if self.first_month == self.last_month {
            format!("month {}", self.first_month)
        } else {
            format!("months {}–{}", self.first_month, self.last_month)
        };
        if self.metric == ActualMetric::Spend.name() {
            return format!(
                "{} spend {:.0} % {} the plan in {months}",
                self.channel,
                100.0 * self.percentile.abs(),
                if self.below { "below" } else { "above" }
            );
        }
        format!(
            "{} {} at {} in {months}: {}",
            self.channel,
            self.metric,
            percentile_label(self.percentile),
            self.meaning
        )
    }
}

/// `P2`, `P0.3`, `P99.8`: whole percentiles except in the far tails,
/// rounded away from the middle outside P5–P95 so that a flagged value
/// never reads as P5 or P95.
pub fn percentile_label(p: f64) -> String {
    if !(1.0..=99.0).contains(&p) {
        format!("P{p:.1}")
    } else if p < LOW {
        format!("P{}", p.floor())
    } else if p > HIGH {
        format!("P{}", p.ceil())
    } else {
        format!("P{}", p.round())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ForecastCheck {
    pub trials: usize,
    pub rows: Vec<CheckRow>,
    pub findings: Vec<Finding>,
}

/// Rank percentile of `x` among `values` (NaN ignored), mid-rank for ties.
pub fn rank_percentile(values: &[f64], x: f64) -> Option<f64> {
    let (mut below, mut equal, mut n) = (0u64, 0u64, 0u64);
    for &v in values.iter().filter(|v| !v.is_nan()) {
        n += 1;
        if v < x {
            below += 1;
        } else if v == x {
            equal += 1;
        }
    }
    (n > 0).then(|| 100.0 * (below as f64 + 0.5 * equal as f64) / n as f64)
}

/// What an actual far below (`below`) or above its forecast points at.
fn meaning(metric: ActualMetric, below: bool, has_audience: bool) -> String {
    let (less, more) = if below {
        ("lower", "higher")
    } else {
        ("higher", "lower")
    };
    let fewer = if below { "fewer" } else { "more" };
    match metric {
        ActualMetric::Spend => format!("spend {} plan", if below { "below" } else { "above" }),
        ActualMetric::Visitors if has_audience => format!(
            "cost per visit {more} (or audience {}) than assumed",
            if below { "smaller" } else { "larger" }
        ),
        ActualMetric::Visitors => format!("cost per visit {more} than assumed"),
        ActualMetric::Leads => format!("act rate {less} than assumed (or {fewer} visitors)"),
        ActualMetric::Customers => format!("convert rate {less} than assumed (or {fewer} leads)"),
        ActualMetric::Revenue => {
            format!("order value or repeat orders {less} than assumed (or {fewer} customers)")
        }
    }
}

impl ForecastCheck {
    /// The check of `actuals`, with `plan` the plan's spend before the
    /// actuals and `values` the forecast's trials (see the module doc).
    pub fn build(
        scenario: &Scenario,
        actuals: &Actuals,
        plan: &[Vec<f64>],
        values: CellValues,
        trials: usize,
    ) -> ForecastCheck {
        let values = values.by_key();
        let mut rows = Vec::new();
        for ((ci, t, metric), actual) in actuals.iter() {
            let simulated = cell_metric(metric)
                .and_then(|c| values.iter().find(|(k, _)| *k == (ci, t, c)))
                .map(|(_, v)| v.as_slice())
                .filter(|v| v.iter().any(|x| !x.is_nan()));
            let (p5, p50, p95, percentile) = match (metric, simulated) {
                (ActualMetric::Spend, _) => {
                    let planned = plan[ci][t - 1];
                    (Some(planned), Some(planned), Some(planned), None)
                }
                (_, Some(v)) => (
                    Some(quantile(v, 0.05)),
                    Some(quantile(v, 0.5)),
                    Some(quantile(v, 0.95)),
                    rank_percentile(v, actual.value),
                ),
                (_, None) => (None, None, None, None),
            };
            rows.push(CheckRow {
                channel: scenario.channels[ci].name.clone(),
                month: t,
                metric: metric.name(),
                actual: actual.value,
                line: actual.line,
                p5,
                p50,
                p95,
                percentile,
                flagged: match (metric, percentile) {
                    (ActualMetric::Spend, _) => {
                        spend_deviation(actual.value, p50.unwrap_or(0.0)).abs() > SPEND_TOLERANCE
                    }
                    (_, p) => p.is_some_and(|p| !(LOW..=HIGH).contains(&p)),
                },
            });
        }
        let findings = findings(scenario, &rows);
        ForecastCheck {
            trials,
            rows,
            findings,
        }
    }
}

/// Actual spend against the plan's, as a share of the plan's (any spend
/// where none was planned counts as 100 % more).
fn spend_deviation(actual: f64, planned: f64) -> f64 {
    if planned > 0.0 {
        actual / planned - 1.0
    } else if actual > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Flagged rows grouped by channel and quantity into runs of consecutive
/// months on the same side of the forecast.
fn findings(scenario: &Scenario, rows: &[CheckRow]) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    // Rows come sorted by channel, month, metric; group by channel and
    // metric in that order.
    let mut flagged: Vec<&CheckRow> = rows.iter().filter(|r| r.flagged).collect();
    flagged.sort_by_key(|r| {
        (
            scenario.channel_index(&r.channel),
            ActualMetric::from_name(r.metric),
            r.month,
        )
    });
    for r in flagged {
        let p = match r.percentile {
            Some(p) => p,
            None => spend_deviation(r.actual, r.p50.unwrap_or(0.0)),
        };
        let below = if r.percentile.is_some() {
            p < LOW
        } else {
            p < 0.0
        };
        if let Some(last) = out.last_mut()
            && last.channel == r.channel
            && last.metric == r.metric
            && last.below == below
            && last.last_month + 1 == r.month
        {
            last.last_month = r.month;
            last.percentile = if below {
                last.percentile.min(p)
            } else {
                last.percentile.max(p)
            };
            continue;
        }
        let metric = ActualMetric::from_name(r.metric).expect("an actuals metric");
        let has_audience = scenario
            .channel_index(&r.channel)
            .is_some_and(|ci| scenario.channels[ci].audience.is_some());
        out.push(Finding {
            channel: r.channel.clone(),
            metric: r.metric,
            first_month: r.month,
            last_month: r.month,
            percentile: p,
            below,
            meaning: meaning(metric, below, has_audience),
        });
    }
    // A count off on the same side as the one above it, in the same
    // months, is explained by it first: the rate between them may be fine.
    let upstream_of = |metric: &str| match metric {
        "leads" => Some(("visitors", "act rate")),
        "customers" => Some(("leads", "convert rate")),
        _ => None,
    };
    let explained: Vec<(usize, String)> = out
        .iter()
        .enumerate()
        .filter_map(|(k, f)| {
            let (upstream, rate) = upstream_of(f.metric)?;
            out.iter()
                .any(|u| {
                    u.channel == f.channel
                        && u.metric == upstream
                        && u.below == f.below
                        && u.first_month <= f.last_month
                        && f.first_month <= u.last_month
                })
                .then(|| {
                    let fewer = if f.below { "fewer" } else { "more" };
                    (
                        k,
                        format!("{fewer} {upstream} (the {rate} may be as assumed)"),
                    )
                })
        })
        .collect();
    for (k, meaning) in explained {
        out[k].meaning = meaning;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_rank_counts_ties_half() {
        let v = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(rank_percentile(&v, 2.0), Some(50.0));
        assert_eq!(rank_percentile(&v, 0.0), Some(0.0));
        assert_eq!(rank_percentile(&v, 3.0), Some(87.5));
        assert_eq!(rank_percentile(&[], 3.0), None);
    }

    #[test]
    fn meanings_name_the_assumption() {
        assert_eq!(
            meaning(ActualMetric::Visitors, true, true),
            "cost per visit higher (or audience smaller) than assumed"
        );
        assert_eq!(
            meaning(ActualMetric::Leads, false, false),
            "act rate higher than assumed (or more visitors)"
        );
        assert_eq!(percentile_label(2.2), "P2");
        assert_eq!(percentile_label(0.34), "P0.3");
    }
}
