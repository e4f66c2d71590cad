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

/// Central finite differences (one-sided at zero spend) of profit, each
/// pair simulated on the same trials so that the difference is not drowned
/// in the trial-to-trial spread of profit. `channels` lists the channels to
/// measure; the result follows its order.
pub fn marginal_rois(
    sample: &Sample,
    spend: &[f64],
    channels: &[usize],
    h: f64,
) -> Vec<MarginalRoi> {
    let mut spends = Vec::with_capacity(2 * channels.len());
    let mut widths = Vec::with_capacity(channels.len());
    for &i in channels {
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
