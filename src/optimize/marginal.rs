//! Marginal ROI of each channel at a split: the extra expected profit per
//! extra unit of that channel's spend, as `optimize` reports it.
//!
//! It is the exact derivative of E[profit | θ] averaged over trials
//! (`exact::ExpectedModel::marginals`, spec §7). At the best split of a
//! fully used budget every channel the bounds leave free has the same
//! marginal ROI, so unequal values point at binding bounds.

use serde::{Deserialize, Serialize};

use crate::stats::Estimate;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarginalRoi {
    /// The mean derivative, its standard error from the spread of the
    /// assumptions and its 90 % interval.
    #[serde(flatten)]
    pub estimate: Estimate,
    /// The spend difference a finite difference used; 0 for the exact
    /// derivative, which is what racesim reports since model v3 (kept in
    /// the JSON so older readers still parse it).
    pub step: f64,
}

impl MarginalRoi {
    /// The exact derivative's mean and standard error over trials.
    pub fn exact(mean: f64, se: f64) -> Self {
        MarginalRoi {
            estimate: Estimate::new(mean, se),
            step: 0.0,
        }
    }
}

impl std::ops::Deref for MarginalRoi {
    type Target = Estimate;
    fn deref(&self) -> &Estimate {
        &self.estimate
    }
}
