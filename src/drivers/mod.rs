//! What drives the forecast, and what is worth learning before spending
//! (spec §8).
//!
//! The inputs are the scenario's uncertain rows (one per row with a
//! distribution; a `*` row shared by channels is one input). From each
//! trial's input draws, its conditional expectation E[Y | θ] per plan and
//! its simulated Y, this module ranks inputs by their swing (tornado),
//! splits the variance into first-order contributions, luck and
//! interactions, finds the inputs behind the worst outcomes, and prices
//! information as EVPI and per-input EVPPI. Every estimate carries a
//! bootstrap standard error.

pub mod collect;
pub mod document;

use serde::{Deserialize, Serialize};

use crate::error::UsageError;
use crate::optimize::exact::{ExpectedModel, MeanMetric};
use crate::optimize::{DEFAULT_SEARCH_TRIALS, Objective, Problem, SEARCH_FIRST_TRIAL};
use crate::scenario::Scenario;
use crate::simulation::Plan;
use crate::stats::sensitivity::{self as est, GROUPS};

/// Bootstrap replicates behind every standard error.
pub const REPLICATES: usize = 200;

/// An uncertain input, named the way a planner reads the scenario.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Input {
    /// `convert.rate (*)`, `reach.cost_per_visit (search)`.
    pub name: String,
    pub stage: String,
    pub channel: String,
    pub metric: String,
    pub line: u64,
    pub note: String,
    /// Position in a trial's assumption draws.
    #[serde(skip)]
    pub draw: usize,
}

/// The scenario's uncertain inputs, in file order.
pub fn inputs(scenario: &Scenario) -> Vec<Input> {
    scenario
        .drawn
        .iter()
        .enumerate()
        .map(|(draw, &row)| {
            let a = &scenario.assumptions[row];
            let stage = a.stage.name().to_string();
            let metric = a.metric_label();
            Input {
                name: format!("{stage}.{metric} ({})", a.channel),
                stage,
                channel: a.channel.clone(),
                metric,
                line: a.line,
                note: a.note.clone(),
                draw,
            }
        })
        .collect()
}

/// Per-trial values gathered from a run, trial-major by index.
#[derive(Clone, Debug, Default)]
pub struct DriverTrials {
    /// `inputs[j][i]`: input j's draw in trial i.
    pub inputs: Vec<Vec<f64>>,
    /// `expected[k][i]`: E[Y | θ_i] under plan k (plan 0 the baseline).
    pub expected: Vec<Vec<f64>>,
    /// The simulated Y of plan 0 in trial i.
    pub outcome: Vec<f64>,
}

/// An estimate with its bootstrap standard error.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
}

impl Estimate {
    /// Can the estimate be told apart from zero (at least twice its error)?
    /// (A value within rounding of zero never is.)
    pub fn distinguishable(&self) -> bool {
        self.value.abs() >= 2.0 * self.se && self.value.abs() > 1e-9
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TornadoRow {
    pub input: usize,
    /// Mean of E[Y | θ] over the trials with the input in its lowest and
    /// highest tenth.
    pub low: Estimate,
    pub high: Estimate,
    /// high − low.
    pub swing: Estimate,
    /// The input's own P10 and P90.
    pub input_p10: f64,
    pub input_p90: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Contribution {
    pub input: usize,
    /// First-order index Var(E[Y | X_j]) / Var(Y).
    pub share: Estimate,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Downside {
    pub input: usize,
    /// Mean rank percentile of the input in the worst tenth of trials.
    pub mean_percentile: Estimate,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InputValue {
    pub input: usize,
    pub evppi: Estimate,
    /// The best plan (index) when the input is in its lowest tenth and in
    /// its highest tenth.
    pub best_when_low: usize,
    pub best_when_high: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ValueOfInformation {
    /// Index of the plan with the best mean E[Y | θ] (the choice without
    /// more information).
    pub best_plan: usize,
    pub plan_means: Vec<f64>,
    pub evpi: Estimate,
    /// Sorted by EVPPI, largest first.
    pub inputs: Vec<InputValue>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Analysis {
    pub trials: usize,
    /// Sorted by swing, largest first.
    pub tornado: Vec<TornadoRow>,
    /// Sorted by share, largest first.
    pub contributions: Vec<Contribution>,
    pub luck: Estimate,
    /// 1 − Σ first-order − luck: interactions (and estimation noise).
    pub remainder: Estimate,
    /// Sorted by distance from 50, largest first.
    pub downside: Vec<Downside>,
    pub value_of_information: Option<ValueOfInformation>,
}

/// Analyses the trials; `seed` seeds the bootstrap.
pub fn analyse(t: &DriverTrials, seed: u64) -> Analysis {
    let n = t.outcome.len();
    debug_assert!(
        t.expected.iter().chain(&t.inputs).all(|v| v.len() == n),
        "every per-trial series covers the same trials"
    );
    let ones = vec![1.0; n];
    let boot = est::bootstrap_weights(n, REPLICATES, seed ^ 0x4452_4956_4552_5321);
    // An estimate and its spread over bootstrap replicates.
    let estimate = |f: &dyn Fn(&[f64]) -> f64| Estimate {
        value: f(&ones),
        se: est::spread(&boot.iter().map(|w| f(w)).collect::<Vec<_>>()),
    };
    let expected = &t.expected[0];
    let luck_values: Vec<f64> = t.outcome.iter().zip(expected).map(|(y, e)| y - e).collect();
    let orders: Vec<Vec<u32>> = t.inputs.iter().map(|x| est::rank_order(x)).collect();

    let share_of = |w: &[f64], numerator: f64| numerator / est::variance(&t.outcome, w);
    let mut contributions: Vec<Contribution> = orders
        .iter()
        .enumerate()
        .map(|(j, order)| Contribution {
            input: j,
            share: estimate(&|w| share_of(w, est::between_group_variance(order, expected, w))),
        })
        .collect();
    let luck = estimate(&|w| share_of(w, est::variance(&luck_values, w)));
    let remainder = estimate(&|w| {
        let first: f64 = orders
            .iter()
            .map(|o| est::between_group_variance(o, expected, w))
            .sum();
        1.0 - share_of(w, first + est::variance(&luck_values, w))
    });
    contributions.sort_by(|a, b| {
        b.share
            .value
            .total_cmp(&a.share.value)
            .then(a.input.cmp(&b.input))
    });

    let mut tornado: Vec<TornadoRow> = orders
        .iter()
        .enumerate()
        .map(|(j, order)| {
            let (low, high) = est::tenths(order);
            TornadoRow {
                input: j,
                low: estimate(&|w| est::mean_over(low, expected, w)),
                high: estimate(&|w| est::mean_over(high, expected, w)),
                swing: estimate(&|w| {
                    est::mean_over(high, expected, w) - est::mean_over(low, expected, w)
                }),
                input_p10: est::quantile(order, &t.inputs[j], 0.10),
                input_p90: est::quantile(order, &t.inputs[j], 0.90),
            }
        })
        .collect();
    tornado.sort_by(|a, b| {
        b.swing
            .value
            .abs()
            .total_cmp(&a.swing.value.abs())
            .then(a.input.cmp(&b.input))
    });

    let outcome_order = est::rank_order(&t.outcome);
    let (worst, _) = est::tenths(&outcome_order);
    let mut downside: Vec<Downside> = orders
        .iter()
        .enumerate()
        .map(|(j, order)| {
            // Percentiles are fixed by the full sample's ranks; the
            // bootstrap reweights the worst trials.
            let mut rank = vec![0.0; n];
            for (r, &i) in order.iter().enumerate() {
                rank[i as usize] = 100.0 * (r as f64 + 0.5) / n as f64;
            }
            Downside {
                input: j,
                mean_percentile: estimate(&|w| est::mean_over(worst, &rank, w)),
            }
        })
        .collect();
    downside.sort_by(|a, b| {
        (b.mean_percentile.value - 50.0)
            .abs()
            .total_cmp(&(a.mean_percentile.value - 50.0).abs())
            .then(a.input.cmp(&b.input))
    });

    let value_of_information = (t.expected.len() > 1).then(|| {
        let plans: Vec<&[f64]> = t.expected.iter().map(Vec::as_slice).collect();
        let all: Vec<u32> = (0..n as u32).collect();
        let plan_means: Vec<f64> = plans
            .iter()
            .map(|p| est::mean_over(&all, p, &ones))
            .collect();
        let best_plan = argmax(&plan_means);
        let mut inputs: Vec<InputValue> = orders
            .iter()
            .enumerate()
            .map(|(j, order)| {
                let (low, high) = est::tenths(order);
                let best_in = |trials: &[u32]| {
                    argmax(
                        &plans
                            .iter()
                            .map(|p| est::mean_over(trials, p, &ones))
                            .collect::<Vec<_>>(),
                    )
                };
                InputValue {
                    input: j,
                    evppi: estimate(&|w| est::evppi(order, &plans, w)),
                    best_when_low: best_in(low),
                    best_when_high: best_in(high),
                }
            })
            .collect();
        inputs.sort_by(|a, b| {
            b.evppi
                .value
                .total_cmp(&a.evppi.value)
                .then(a.input.cmp(&b.input))
        });
        ValueOfInformation {
            best_plan,
            plan_means,
            evpi: estimate(&|w| est::evpi(&plans, w)),
            inputs,
        }
    });

    Analysis {
        trials: n,
        tornado,
        contributions,
        luck,
        remainder,
        downside,
        value_of_information,
    }
}

/// The first index of the largest value.
fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv { (i, v) } else { (bi, bv) }
        })
        .0
}

/// Groups behind the first-order index and EVPPI, for the docs.
pub const RANK_GROUPS: usize = GROUPS;

/// `plans` and, as one more choice (`--optimize`), the mean-profit optimum
/// of the current total budget.
pub fn with_optimum(
    scenario: &Scenario,
    mut plans: Vec<Plan>,
    seed: u64,
) -> Result<Vec<Plan>, UsageError> {
    let problem = Problem::new(scenario, Objective::MeanProfit, &[]).map_err(UsageError)?;
    let budget: f64 = Plan::baseline(scenario).totals().iter().sum();
    let model = ExpectedModel::for_problem(
        &problem,
        MeanMetric::Profit,
        seed,
        SEARCH_FIRST_TRIAL,
        DEFAULT_SEARCH_TRIALS,
    );
    let best = model.solve(&problem.lo, &problem.hi, budget, false);
    plans.push(Plan::from_totals(scenario, "optimum", &best.spend));
    Ok(plans)
}

#[cfg(test)]
mod tests;
