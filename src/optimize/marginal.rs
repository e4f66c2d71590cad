//! Marginal ROI of each channel at a split: the extra expected profit per
//! extra unit of that channel's spend.
//!
//! At the best split of a fully used budget, every channel the bounds leave
//! free has the same marginal ROI (otherwise moving a dollar from the lowest
//! to the highest would gain), so unequal values point at binding bounds.

use crate::stats::Z90;
use serde::{Deserialize, Serialize};

use super::Sample;
use crate::metrics::Total;
use crate::stats::Accumulator;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginalRoi {
    pub mean: f64,
    /// Standard error of `mean` (Monte Carlo uncertainty).
    pub se: f64,
    /// 90 % interval of `mean`.
    pub low: f64,
    pub high: f64,
    /// The spend difference the finite difference used.
    pub step: f64,
}

/// Half-width of the finite difference, as a share of the channel's spend:
/// wide enough that population noise does not swamp it, narrow enough that
/// the curve's bend does not bias it. Relative to the channel's own spend,
/// so it means the same at a budget of thousands or of millions.
pub const RELATIVE_STEP: f64 = 0.10;

/// The half-width for each of `channels` at `spend`: `RELATIVE_STEP` of the
/// channel's spend, but at least of a quarter of the average channel's (a
/// channel at or near zero still gets a step the others' scale makes
/// meaningful), with `scale` standing in for the total when nothing is
/// spent, and at least one currency unit.
pub fn steps(spend: &[f64], channels: &[usize], scale: f64) -> Vec<f64> {
    let total: f64 = channels.iter().map(|&i| spend[i].max(0.0)).sum();
    let total = if total > 0.0 { total } else { scale };
    let typical = total / channels.len().max(1) as f64;
    channels
        .iter()
        .map(|&i| (RELATIVE_STEP * spend[i].max(0.25 * typical)).max(1.0))
        .collect()
}

/// Central finite differences (one-sided at zero spend) of profit, each
/// pair simulated on the same trials so that the difference is not drowned
/// in the trial-to-trial spread of profit. `channels` lists the channels to
/// measure and `steps` their half-widths (see `steps`); the result follows
/// their order.
pub fn marginal_rois(
    sample: &Sample,
    spend: &[f64],
    channels: &[usize],
    steps: &[f64],
) -> Vec<MarginalRoi> {
    let mut spends = Vec::with_capacity(2 * channels.len());
    let mut widths = Vec::with_capacity(channels.len());
    for (&i, &h) in channels.iter().zip(steps) {
        let mut up = spend.to_vec();
        let mut down = spend.to_vec();
        up[i] = spend[i] + h;
        down[i] = (spend[i] - h).max(0.0);
        widths.push(up[i] - down[i]);
        spends.push(up);
        spends.push(down);
    }
    let values = sample.values(&spends, Total::Profit);
    widths
        .iter()
        .enumerate()
        .map(|(k, &width)| {
            let mut acc = Accumulator::default();
            for (u, d) in values[2 * k].iter().zip(&values[2 * k + 1]) {
                acc.add((u - d) / width);
            }
            let mean = acc.mean().unwrap_or(0.0);
            let se = acc.sd().unwrap_or(0.0) / (acc.defined().max(1) as f64).sqrt();
            MarginalRoi {
                mean,
                se,
                low: mean - Z90 * se,
                high: mean + Z90 * se,
                step: width,
            }
        })
        .collect()
}
