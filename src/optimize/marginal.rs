//! Marginal ROI of each channel at a split: the extra expected profit per
//! extra unit of that channel's spend, as `optimize` reports it.
//!
//! It is the exact derivative of E[profit | θ] averaged over trials
//! (`exact::ExpectedModel::marginals`, spec §7). At the best split of a
//! fully used budget every channel the bounds leave free has the same
//! marginal ROI, so unequal values point at binding bounds.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginalRoi {
    pub mean: f64,
    /// Standard error of `mean` from the spread of the assumptions.
    pub se: f64,
    /// 90 % interval of `mean`.
    pub low: f64,
    pub high: f64,
    /// The spend difference a finite difference used; 0 for the exact
    /// derivative, which is what racesim reports since model v3 (kept in
    /// the JSON so older readers still parse it).
    pub step: f64,
}
