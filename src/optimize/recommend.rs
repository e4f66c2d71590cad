//! `optimize` short of its arguments and its output: the best split of a
//! budget (solved exactly for mean objectives, searched for risk ones), or
//! the smallest budget that meets a goal, then the recommendation against
//! the current split on the evaluation trials; and the efficient frontier.

use indicatif::ProgressBar;

use super::document::{
    self, ChannelDoc, GoalSeekDoc, OptimalChannel, OptimalityDoc, OptimizeDoc, SearchDoc,
};
use super::exact::{Bound, ExactSolution, ExpectedModel, MeanMetric};
use super::frontier::{self, FrontierDoc};
use super::goal;
use super::marginal::MarginalRoi;
use super::{
    Objective, Problem, SEARCH_FIRST_TRIAL, Score, SearchTrials, Settings, Solution, search,
};
use crate::document::{MODEL_VERSION, SCHEMA_VERSION};
use crate::error::{Error, UsageError};
use crate::export::format::thousands;
use crate::options::{self, SimulationOptions};
use crate::precision;
use crate::report::{SampleCollector, Samples};
use crate::scenario::Scenario;
use crate::simulation::{Plan, TrialValues};

/// Name of the recommended plan in the evaluation and in `--output-plans`.
pub const PLAN_NAME: &str = "optimized";

/// What `optimize` is asked, its arguments checked.
pub struct Request<'a> {
    pub scenario: &'a Scenario,
    pub problem: &'a Problem<'a>,
    pub objective: &'a Objective,
    pub opts: &'a SimulationOptions,
    pub search_trials: u64,
    pub eval_trials: u64,
    /// The budget to split (`--budget`); by default the current total.
    pub budget: Option<f64>,
    /// The goal seek's cap (`--max-budget`).
    pub max_budget: Option<f64>,
    /// Spend the whole budget even where it lowers the objective.
    pub spend_all: bool,
    /// Keep the evaluation's per-trial values (a workbook shows them).
    pub keep_samples: bool,
}

/// The answer: the document, the evaluation's per-trial values when kept,
/// and whether the goal (if any) can be met.
pub struct Recommendation {
    pub doc: OptimizeDoc,
    pub samples: Option<Samples>,
    pub reachable: bool,
}

/// Does `optimize` seek the smallest budget (a target with a confidence
/// and no `--budget`)?
pub fn seeks_budget(objective: &Objective, budget: Option<f64>) -> bool {
    budget.is_none() && matches!(objective, Objective::Target(g) if g.required.is_some())
}

pub fn recommend(req: &Request, bar: &ProgressBar) -> Result<Recommendation, Error> {
    let Request {
        scenario,
        problem,
        objective,
        opts,
        search_trials,
        eval_trials,
        budget: budget_arg,
        max_budget,
        spend_all,
        keep_samples,
    } = *req;
    let current_total: f64 = scenario.paid_channels().map(|(_, c)| c.spend).sum();
    let required = match objective {
        Objective::Target(g) => g.required,
        _ => None,
    };
    let seeking = seeks_budget(objective, budget_arg);
    let sample = SearchTrials::new(
        scenario,
        opts.seed,
        SEARCH_FIRST_TRIAL,
        search_trials,
        opts.threads,
    )?;
    let settings = Settings::default();
    // Mean objectives have a closed form given the assumptions (spec §7):
    // they are solved exactly on the search trials, not searched.
    let exact_model = objective.exact().map(|metric| {
        ExpectedModel::for_problem(
            problem,
            metric,
            opts.seed,
            SEARCH_FIRST_TRIAL,
            search_trials,
        )
    });
    let mut optimum: Option<ExactSolution> = None;
    let (budget, budget_source, solution, goal_seek) = if seeking {
        let required = required.unwrap_or(1.0);
        let cap = match max_budget {
            Some(c) => c,
            None if current_total > 0.0 => (10.0 * current_total).min(options::MAX_SPEND),
            None => {
                return Err(UsageError(
                    "the scenario spends nothing, so there is no default budget cap: give --max-budget"
                        .into(),
                )
                .into());
            }
        };
        check_budget(problem, cap, "--max-budget")?;
        let goal_text = match &objective {
            Objective::Target(g) => g.describe(),
            _ => String::new(),
        };
        let seek = goal::smallest_budget(problem, &sample, required, cap, settings, bar);
        let doc = GoalSeekDoc {
            goal: goal_text,
            required,
            max_budget: cap,
            reachable: seek.reachable,
            steps: seek.steps,
        };
        let solution = Solution {
            candidates: seek.candidates,
            moves: seek.moves,
            ..seek.solution
        };
        if seek.reachable {
            // Whole units, rounded up so the split found still fits.
            (
                seek.budget.ceil(),
                "the smallest budget found to meet the goal".to_string(),
                solution,
                Some(doc),
            )
        } else {
            (
                seek.budget,
                "the goal seek's cap: no budget up to it meets the goal".to_string(),
                solution,
                Some(doc),
            )
        }
    } else {
        let (budget, source) = match budget_arg {
            Some(b) => (b, "--budget".to_string()),
            None if current_total > 0.0 => (
                current_total,
                "the scenario's current total spend".to_string(),
            ),
            None => {
                return Err(UsageError(
                    "the scenario spends nothing, so there is no budget to split: give --budget"
                        .into(),
                )
                .into());
            }
        };
        check_budget(problem, budget, "--budget")?;
        let solution = match &exact_model {
            Some(model) => {
                let solved = model.solve(&problem.lo, &problem.hi, budget, spend_all);
                let solution = Solution {
                    spend: solved.spend.clone(),
                    score: Score {
                        value: solved.value,
                        tie: 0.0,
                    },
                    candidates: 0,
                    moves: 0,
                };
                optimum = Some(solved);
                solution
            }
            // Risk objectives search by Monte Carlo, starting from the
            // mean-profit optimum too, so they never settle below it.
            None => {
                let mean_optimum = ExpectedModel::for_problem(
                    problem,
                    MeanMetric::Profit,
                    opts.seed,
                    SEARCH_FIRST_TRIAL,
                    search_trials,
                )
                .solve(&problem.lo, &problem.hi, budget, false)
                .spend;
                let rounded = problem.round(&mean_optimum, budget);
                let starts = problem.starts(budget, &[rounded.as_slice()]);
                search::maximise(problem, &sample, budget, &starts, settings, bar)
            }
        };
        (budget, source, solution, None)
    };

    let current = scenario.baseline_totals();
    let mut recommended = problem.round(&solution.spend, budget);
    // Never recommend a change that does worse than keeping the current
    // split, when keeping it is allowed: the search started there, but
    // rounding to whole units can cost a little.
    let mut search_score = solution.score;
    if let Some(model) = &exact_model {
        // Exact objectives compare the rounded split with the current one
        // on the same closed form.
        search_score.value = model.value(&recommended);
        if recommended != current
            && problem.feasible(&current, budget)
            && !spend_all
            && model.value(&current) >= search_score.value
        {
            recommended = current.clone();
            search_score.value = model.value(&current);
        }
    } else if recommended != solution.spend || problem.feasible(&current, budget) {
        let v = sample.values(&[current.clone(), recommended.clone()], objective.metric());
        let (kept, moved) = (objective.score(&v[0]), objective.score(&v[1]));
        search_score = moved;
        if recommended != current && problem.feasible(&current, budget) && !moved.better_than(&kept)
        {
            recommended = current.clone();
            search_score = kept;
        }
    }
    // A sought budget is what its best split actually spends: that split
    // meets the goal, so no more is needed.
    let budget = if goal_seek.as_ref().is_some_and(|g| g.reachable) {
        recommended.iter().sum()
    } else {
        budget
    };
    let plans = [
        Plan::baseline(scenario),
        Plan::from_totals(scenario, PLAN_NAME, &recommended),
    ];
    let eval_opts = SimulationOptions {
        trials: eval_trials,
        ..*opts
    };
    // The document and the objective's per-trial values come from one pass.
    let (evaluation, _, (values, samples)) =
        precision::simulate_collecting(scenario, &plans, &eval_opts, None, || {
            (
                TrialValues::new(objective.metric(), plans.len()),
                keep_samples.then(SampleCollector::default),
            )
        })?;
    let samples = samples.map(SampleCollector::finish);
    let values = values.by_plan();
    let score = |v: &[f64]| Some(objective.score(v).value).filter(|x| x.is_finite());
    let (gain, gain_low, gain_high) = document::gain(objective, &values[0], &values[1], opts.seed);
    let measurable: Vec<usize> = scenario
        .paid_channels()
        .filter(|(_, c)| c.missing_funnel_inputs(true).is_empty())
        .map(|(i, _)| i)
        .collect();
    // Exact marginal ROI (spec §7): the mean over the evaluation trials of
    // the derivative of expected profit, with its error from the spread.
    let marginal_model =
        ExpectedModel::for_problem(problem, MeanMetric::Profit, opts.seed, 0, eval_trials);
    let exact_marginals = marginal_model.marginals(&recommended);
    let mut rois = measurable
        .iter()
        .map(|&i| {
            let (mean, se) = exact_marginals[i].unwrap_or((f64::NAN, f64::NAN));
            MarginalRoi::exact(mean, se)
        })
        .collect::<Vec<_>>()
        .into_iter();
    let optimality = optimum.as_ref().map(|s| OptimalityDoc {
        price: s.price,
        unspent: s.unspent,
        holds: s.kkt_holds(1e-3),
        channels: s
            .channels
            .iter()
            .map(|c| OptimalChannel {
                channel: scenario.channels[c.channel].name.clone(),
                bound: match c.bound {
                    Bound::Free => "free",
                    Bound::Lower => "min",
                    Bound::Upper => "max",
                    Bound::Locked => "locked",
                }
                .to_string(),
                marginal: c.marginal,
            })
            .collect(),
    });

    let channels = scenario
        .paid_channels()
        .map(|(i, c)| {
            let bound = if problem.locked[i] {
                Some("locked")
            } else if recommended[i] <= problem.lo[i] {
                Some("min")
            } else if recommended[i] >= problem.hi[i] {
                Some("max")
            } else {
                None
            };
            ChannelDoc {
                channel: c.name.clone(),
                current: current[i],
                recommended: recommended[i],
                min: problem.lo[i],
                max: problem.hi[i].is_finite().then_some(problem.hi[i]),
                locked: problem.locked[i],
                bound: bound.map(String::from),
                marginal_roi: if measurable.contains(&i) {
                    rois.next()
                } else {
                    None
                },
            }
        })
        .collect();
    let reachable = goal_seek.as_ref().is_none_or(|g| g.reachable);
    let doc = OptimizeDoc {
        schema_version: SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        seed: opts.seed,
        racesim_version: env!("CARGO_PKG_VERSION").to_string(),
        model_version: MODEL_VERSION,
        input_hash: scenario.input_hash.clone(),
        objective: objective.name(),
        budget,
        budget_source,
        goal_seek,
        search: SearchDoc {
            trials: search_trials,
            first_trial: SEARCH_FIRST_TRIAL,
            candidates: solution.candidates,
            moves: solution.moves,
            objective: Some(search_score.value).filter(|x| x.is_finite()),
        },
        optimality,
        channels,
        objective_current: score(&values[0]),
        objective_recommended: score(&values[1]),
        gain,
        gain_low,
        gain_high,
        evaluation,
    };
    Ok(Recommendation {
        doc,
        samples,
        reachable,
    })
}

/// A budget below what the minimums and locked channels need has no
/// feasible split at all.
fn check_budget(problem: &Problem, budget: f64, flag: &str) -> Result<(), UsageError> {
    let need = problem.min_budget();
    if budget + 1e-9 >= need {
        return Ok(());
    }
    let parts: Vec<String> = problem
        .scenario
        .channels
        .iter()
        .enumerate()
        .filter(|(i, _)| problem.lo[*i] > 0.0)
        .map(|(i, c)| {
            let why = if problem.locked[i] { "locked" } else { "min" };
            format!("{} {} ({why})", c.name, money(problem.lo[i]))
        })
        .collect();
    Err(UsageError(format!(
        "{flag} {} is below the {} that the minimums and locked channels need ({}): \
         raise the budget or lower a --min / drop a --lock",
        money(budget),
        money(need),
        parts.join(", ")
    )))
}

/// An amount as typed: whole units without decimals, else to the cent.
fn money(x: f64) -> String {
    thousands(x, if x.fract() == 0.0 { 0 } else { 2 })
}

/// `optimize --frontier`: the best expected profit at each of `points`
/// budgets around `budget` (by default the current total).
pub fn frontier(
    scenario: &Scenario,
    problem: &Problem,
    opts: &SimulationOptions,
    search_trials: u64,
    eval_trials: u64,
    points: usize,
    budget: Option<f64>,
) -> Result<FrontierDoc, UsageError> {
    if !(2..=200).contains(&points) {
        return Err(UsageError(format!(
            "--frontier takes 2 to 200 budgets, not {points}"
        )));
    }
    let current_total: f64 = scenario.baseline_totals().iter().sum();
    let reference = match budget {
        Some(b) => b,
        None if current_total > 0.0 => current_total,
        None => {
            return Err(UsageError(
                "the scenario spends nothing: give --budget as the frontier's reference".into(),
            ));
        }
    };
    let model = ExpectedModel::for_problem(
        problem,
        MeanMetric::Profit,
        opts.seed,
        SEARCH_FIRST_TRIAL,
        search_trials,
    );
    let budgets: Vec<f64> = frontier::budgets(reference, points)
        .into_iter()
        .filter(|b| *b >= problem.min_budget())
        .collect();
    let points = frontier::sweep(
        problem,
        &model,
        &budgets,
        opts.seed,
        eval_trials,
        opts.threads,
    );
    let doc = FrontierDoc {
        schema_version: SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        seed: opts.seed,
        search_trials,
        evaluation_trials: eval_trials,
        current_budget: current_total,
        points,
    };
    Ok(doc)
}
