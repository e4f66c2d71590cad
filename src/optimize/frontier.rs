//! The efficient frontier: the best expected profit at each budget, its
//! downside (P10) and the split, so a planner sees what the next slice of
//! budget buys.
//!
//! Every budget is solved exactly on the same search trials (spec §7), and
//! every optimum is then simulated on the same evaluation trials (common
//! random numbers), so neighbouring budgets differ by the budget, not by
//! the draws.

use indicatif::ProgressBar;
use serde::Serialize;

use super::Problem;
use super::exact::ExpectedModel;
use super::objective::quantile;
use crate::metrics::Total;
use crate::simulation::{self, Job, Plan, TrialValues};

/// Budgets swept by default: 10 % to 200 % of the reference budget.
pub const DEFAULT_POINTS: usize = 20;

#[derive(Clone, Debug, Serialize)]
pub struct FrontierPoint {
    pub budget: f64,
    /// The exact optimum's mean expected profit over the search trials.
    pub expected_profit: f64,
    /// Mean and P10 of simulated profit over the evaluation trials.
    pub mean_profit: f64,
    pub p10_profit: f64,
    /// Spend per paid channel, rounded to whole units.
    pub split: Vec<(String, f64)>,
    /// Budget the optimum leaves unspent (spending it would lower profit).
    pub unspent: f64,
    /// The marginal ROI the free channels share.
    pub marginal_roi: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FrontierDoc {
    pub schema_version: u32,
    pub scenario: String,
    pub seed: u64,
    pub search_trials: u64,
    pub evaluation_trials: u64,
    /// Today's total spend of the paid channels (the report marks it).
    pub current_budget: f64,
    pub points: Vec<FrontierPoint>,
}

impl FrontierDoc {
    /// The paid channels every point splits the budget among, in split order.
    pub fn channels(&self) -> Vec<&str> {
        self.points.first().map_or(Vec::new(), |p| {
            p.split.iter().map(|(c, _)| c.as_str()).collect()
        })
    }
}

/// Budgets `reference · 2k/points` for k = 1..=points.
pub fn budgets(reference: f64, points: usize) -> Vec<f64> {
    (1..=points)
        .map(|k| (reference * 2.0 * k as f64 / points as f64).round())
        .collect()
}

/// Solves every budget on `model` and simulates the optima on trials
/// `0..eval_trials`.
pub fn sweep(
    problem: &Problem,
    model: &ExpectedModel,
    budgets: &[f64],
    seed: u64,
    eval_trials: u64,
    threads: usize,
) -> Vec<FrontierPoint> {
    let scenario = problem.scenario;
    let solved: Vec<_> = budgets
        .iter()
        .map(|&b| {
            let s = model.solve(&problem.lo, &problem.hi, b, false);
            let rounded = problem.round(&s.spend, b);
            (s, rounded)
        })
        .collect();
    let plans: Vec<Plan> = solved
        .iter()
        .map(|(_, x)| Plan::from_totals(scenario, "", x))
        .collect();
    let job = Job {
        scenario,
        plans: &plans,
        seed,
        first_trial: 0,
        trials: eval_trials,
        threads,
    };
    let values = simulation::drive(
        &job,
        || TrialValues::new(Total::Profit, plans.len()),
        &ProgressBar::hidden(),
    )
    .by_plan();
    budgets
        .iter()
        .zip(solved)
        .zip(values)
        .map(|((&budget, (s, rounded)), profit)| FrontierPoint {
            budget,
            expected_profit: model.value(&rounded),
            mean_profit: profit.iter().sum::<f64>() / profit.len().max(1) as f64,
            p10_profit: quantile(&profit, 0.10),
            split: scenario
                .paid_channels()
                .map(|(i, c)| (c.name.clone(), rounded[i]))
                .collect(),
            unspent: s.unspent.round(),
            marginal_roi: s.price,
        })
        .collect()
}
