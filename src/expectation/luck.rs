//! Assumptions against luck per plan (spec §7), as a collector of the
//! one driver: each trial's simulated totals beside their conditional
//! expectation given the trial's assumptions.

use serde::{Deserialize, Serialize};

use crate::expectation::{BlockExpectations, Expected};
use crate::metrics::Total;
use crate::simulation::{Block, Collector};
use crate::stats::variance_split::VarianceSplit;

/// The metrics whose spread is split (spec §7 and the issue): the ones a
/// finance reviewer reads first.
pub const SPLIT: [Total; 3] = [Total::Profit, Total::Revenue, Total::Customers];

/// `splits[plan][k]` for metric `SPLIT[k]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Luck {
    pub splits: Vec<Vec<VarianceSplit>>,
    #[serde(skip)]
    expectations: BlockExpectations,
}

impl Luck {
    pub fn new(plans: usize) -> Self {
        Luck {
            splits: vec![vec![VarianceSplit::default(); SPLIT.len()]; plans],
            expectations: BlockExpectations::default(),
        }
    }
}

/// E[Y | θ] of a linear total.
pub fn expected_total(e: &Expected, metric: Total) -> f64 {
    match metric {
        Total::Profit => e.profit,
        Total::Revenue => e.revenue,
        Total::Customers => e.customers,
        Total::GrossProfit => e.gross_profit,
        Total::Cost => e.cost,
        Total::Orders => e.orders,
        Total::RepeatOrders => e.repeat_orders,
        Total::Visitors => e.visitors,
        Total::Leads => e.leads,
        Total::ActiveCustomers => e.active_customers,
        Total::Referrals => e.referrals,
        Total::Roi => e.roi(),
        Total::Roas => e.roas(),
        _ => f64::NAN,
    }
}

impl Collector for Luck {
    fn add(&mut self, block: &Block) {
        // E[Y | θ] knows nothing of observed months, so a warm-started
        // trial's Y − E[Y | θ] would not be luck: no split for those.
        if block.observed.is_some() {
            return;
        }
        for (plan, splits) in self.splits.iter_mut().enumerate() {
            let outcomes = block.outcomes(plan);
            self.expectations.each_trial(block, plan, |i, expected| {
                let trial = block.first_trial + i as u64;
                for (split, metric) in splits.iter_mut().zip(SPLIT) {
                    split.add(
                        trial,
                        outcomes[i].total(metric),
                        expected_total(expected, metric),
                    );
                }
            });
        }
    }

    fn merge(&mut self, other: Self) {
        self.merge_from(&other);
    }
}

impl Luck {
    pub fn merge_from(&mut self, other: &Luck) {
        for (a, b) in self.splits.iter_mut().zip(&other.splits) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
    }
}
