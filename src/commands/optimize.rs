//! `racesim optimize`: the best split of a budget, or the smallest budget
//! that meets a goal.

use std::fmt::Write;

use anyhow::Result;

use crate::cli::{Format, OptimizeArgs};
use crate::document::{MODEL_VERSION, SCHEMA_VERSION};
use crate::error::{EXIT_CHECK_FAILED, EXIT_OK, Error, UsageError};
use crate::export::comparison::{TIES_NOTE, comparison_rows};
use crate::export::format::{counted, percent, signed_money, thousands, value};
use crate::metrics::Kind;
use crate::optimize::Score;
use crate::optimize::exact::{Bound, ExactSolution, ExpectedModel, MeanMetric};
use crate::optimize::frontier::{self, FrontierDoc};
use crate::optimize::goal;
use crate::optimize::marginal::MarginalRoi;
use crate::optimize::report::{
    self, CHANNEL_COLUMNS, ChannelDoc, GoalSeekDoc, OptimalChannel, OptimalityDoc, OptimizeDoc,
    SearchDoc,
};
use crate::optimize::{
    Constraint, DEFAULT_SEARCH_TRIALS, Objective, Problem, SEARCH_FIRST_TRIAL, Sample, Settings,
    Solution, search,
};
use crate::options::{self, SimulationOptions, channel_index};
use crate::scenario::Scenario;
use crate::simulation::{Plan, TrialValues};
use crate::{output, precision, progress};

/// Name of the recommended plan in the evaluation and in `--output-plans`.
pub const PLAN_NAME: &str = "optimized";

pub fn run(args: &OptimizeArgs) -> Result<i32, Error> {
    super::require_output(&args.out)?;
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let search_trials = args.simulation.trials.unwrap_or(DEFAULT_SEARCH_TRIALS);
    let eval_trials = args.eval_trials.unwrap_or(scenario.trials);
    if eval_trials == 0 {
        return Err(UsageError("--eval-trials must be at least 1".into()).into());
    }
    let objective = Objective::parse(&args.objective).map_err(UsageError)?;
    let constraints = constraints(&scenario, args)?;
    let problem = Problem::new(&scenario, objective.clone(), &constraints).map_err(UsageError)?;
    let current_total: f64 = scenario.paid_channels().map(|(_, c)| c.spend).sum();
    if let Some(points) = args.frontier {
        return frontier(
            args,
            &scenario,
            &problem,
            &opts,
            search_trials,
            eval_trials,
            points,
        );
    }
    let required = match &objective {
        Objective::Target(g) => g.required,
        _ => None,
    };
    let seeking = args.budget.is_none() && required.is_some();
    if args.max_budget.is_some() && !seeking {
        return Err(UsageError(
            "--max-budget only applies when seeking the smallest budget for a target with a \
             confidence (an `--objective target:\"… @ 0.8\"` without --budget)"
                .into(),
        )
        .into());
    }
    for (flag, b) in [("--budget", args.budget), ("--max-budget", args.max_budget)] {
        if let Some(b) = b {
            options::amount(flag, b, false)?;
        }
    }

    let sample = Sample::new(
        &scenario,
        opts.seed,
        SEARCH_FIRST_TRIAL,
        search_trials,
        opts.threads,
    )?;
    let bar = progress::bar(
        0,
        &format!("{} · optimizing", scenario.name),
        opts.show_progress,
    );
    let settings = Settings::default();
    // Mean objectives have a closed form given the assumptions (spec §7):
    // they are solved exactly on the search trials, not searched.
    let exact_model = objective.exact().map(|metric| {
        ExpectedModel::for_problem(
            &problem,
            metric,
            opts.seed,
            SEARCH_FIRST_TRIAL,
            search_trials,
        )
    });
    let mut optimum: Option<ExactSolution> = None;
    let (budget, budget_source, solution, goal_seek) = if seeking {
        let required = required.unwrap_or(1.0);
        let cap = match args.max_budget {
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
        check_budget(&problem, cap, "--max-budget")?;
        let goal_text = match &objective {
            Objective::Target(g) => g.describe(),
            _ => String::new(),
        };
        let seek = goal::smallest_budget(&problem, &sample, required, cap, settings, &bar);
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
        let (budget, source) = match args.budget {
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
        check_budget(&problem, budget, "--budget")?;
        let solution = match &exact_model {
            Some(model) => {
                let solved = model.solve(&problem.lo, &problem.hi, budget, args.spend_all);
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
                    &problem,
                    MeanMetric::Profit,
                    opts.seed,
                    SEARCH_FIRST_TRIAL,
                    search_trials,
                )
                .solve(&problem.lo, &problem.hi, budget, false)
                .spend;
                let rounded = problem.round(&mean_optimum, budget);
                let starts = problem.starts(budget, &[rounded.as_slice()]);
                search::maximise(&problem, &sample, budget, &starts, settings, &bar)
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
            && !args.spend_all
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
        Plan::baseline(&scenario),
        Plan::from_totals(&scenario, PLAN_NAME, &recommended),
    ];
    let eval_opts = SimulationOptions {
        trials: eval_trials,
        ..opts
    };
    // The document and the objective's per-trial values come from one pass.
    let (evaluation, _, (values, samples)) =
        precision::simulate_collecting(&scenario, &plans, &eval_opts, None, || {
            (
                TrialValues::new(objective.metric(), plans.len()),
                args.out
                    .format
                    .is_binary()
                    .then(crate::report::SampleCollector::default),
            )
        })?;
    let samples = samples.map(crate::report::SampleCollector::finish);
    let values = values.by_plan();
    let score = |v: &[f64]| Some(objective.score(v).value).filter(|x| x.is_finite());
    let (gain, gain_low, gain_high) = report::gain(&objective, &values[0], &values[1], opts.seed);
    let measurable: Vec<usize> = scenario
        .paid_channels()
        .filter(|(_, c)| c.missing_funnel_inputs(true).is_empty())
        .map(|(i, _)| i)
        .collect();
    // Exact marginal ROI (spec §7): the mean over the evaluation trials of
    // the derivative of expected profit, with its error from the spread.
    let marginal_model =
        ExpectedModel::for_problem(&problem, MeanMetric::Profit, opts.seed, 0, eval_trials);
    let exact_marginals = marginal_model.marginals(&recommended);
    let mut rois = measurable
        .iter()
        .map(|&i| {
            let (mean, se) = exact_marginals[i].unwrap_or((f64::NAN, f64::NAN));
            MarginalRoi::exact(mean, se)
        })
        .collect::<Vec<_>>()
        .into_iter();
    bar.finish_and_clear();
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
    if let Some(path) = &args.output_plans {
        if reachable {
            output::write_atomic(
                path,
                plans_csv(&doc, scenario.has_monthly_spend())?.as_bytes(),
            )?;
        } else {
            eprintln!(
                "note: {} not written: no budget up to the cap meets the goal",
                path.display()
            );
        }
    }
    let bytes = match args.out.format {
        Format::Table => render_table(&doc, &objective).into_bytes(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&doc)?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => render_csv(&doc)?.into_bytes(),
        Format::Xlsx => crate::export::xlsx::optimize(
            &doc,
            crate::export::xlsx::Extras {
                scenario: Some(&scenario),
                samples: samples.as_ref(),
            },
        )?,
    };
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    Ok(if reachable {
        EXIT_OK
    } else {
        EXIT_CHECK_FAILED
    })
}

/// `--min CH=X`, `--max CH=X` and `--lock CH`, resolved to channels.
fn constraints(scenario: &Scenario, args: &OptimizeArgs) -> Result<Vec<Constraint>, UsageError> {
    let mut out = Vec::new();
    for (flag, list) in [("--min", &args.min), ("--max", &args.max)] {
        for item in list {
            let Some((name, amount)) = item.split_once('=') else {
                return Err(UsageError(format!(
                    "{flag} `{item}` must be CHANNEL=AMOUNT, such as {flag} search=20000"
                )));
            };
            let i = channel_index(scenario, name)?;
            let x = crate::scenario::value::parse_number(amount)
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    UsageError(format!(
                        "{flag} {item}: `{}` is not an amount ≥ 0, such as 20000",
                        amount.trim()
                    ))
                })?;
            options::amount(&format!("{flag} {}=", name.trim()), x, false)
                .map_err(|e| UsageError(e.0.replacen("= ", "=", 1)))?;
            out.push(if flag == "--min" {
                Constraint::Min(i, x)
            } else {
                Constraint::Max(i, x)
            });
        }
    }
    for name in &args.lock {
        out.push(Constraint::Lock(channel_index(scenario, name)?));
    }
    Ok(out)
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

/// The recommendation as a plans file for `racesim compare`.
/// The recommended plan as a plans file (monthly rows when the scenario
/// has `spend@K` rows, so the flighting survives the round trip).
fn plans_csv(doc: &OptimizeDoc, monthly: bool) -> Result<String> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    if monthly {
        // The scenario flights its spend: the plan keeps each channel's
        // months (spec §3), a channel without spend as one zero month.
        w.write_record(["plan", "channel", "spend", "month"])?;
        let months = doc
            .evaluation
            .plans
            .iter()
            .find(|p| p.plan == PLAN_NAME)
            .map(|p| &p.monthly_spend);
        for c in &doc.channels {
            let spend = months.and_then(|m| m.get(&c.channel));
            let rows: Vec<(usize, f64)> = spend
                .into_iter()
                .flatten()
                .enumerate()
                .filter(|(_, s)| **s > 0.0)
                .map(|(i, s)| (i + 1, *s))
                .collect();
            let rows = if rows.is_empty() {
                vec![(1, 0.0)]
            } else {
                rows
            };
            for (t, s) in rows {
                w.write_record([PLAN_NAME, &c.channel, &s.to_string(), &t.to_string()])?;
            }
        }
    } else {
        w.write_record(["plan", "channel", "spend"])?;
        for c in &doc.channels {
            w.write_record([PLAN_NAME, &c.channel, &c.recommended.to_string()])?;
        }
    }
    let body = String::from_utf8(w.into_inner()?)?;
    Ok(format!(
        "# racesim optimize {} · objective {} · budget {} · seed {}\n{body}",
        doc.scenario, doc.objective, doc.budget, doc.seed
    ))
}

fn objective_value(x: Option<f64>, objective: &Objective, signed: bool) -> String {
    let Some(x) = x else { return "–".into() };
    let text = match objective {
        Objective::Target(_) => {
            if signed {
                format!("{:.1} pts", 100.0 * x)
            } else {
                percent(x)
            }
        }
        _ => value(Some(x), Kind::Money),
    };
    // A change that rounds to nothing reads "±0", never "+0.0" or "-0.0".
    let zero = !text.chars().any(|c| c.is_ascii_digit() && c != '0');
    if signed && zero {
        format!("±{}", text.trim_start_matches('-'))
    } else if signed && x > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

fn render_table(doc: &OptimizeDoc, objective: &Objective) -> String {
    let mut out = String::new();
    let money = |x: f64| thousands(x, 0);
    let _ = writeln!(
        out,
        "{} · optimize {} · budget {} ({}) · seed {}",
        doc.scenario,
        doc.objective,
        money(doc.budget),
        doc.budget_source,
        doc.seed
    );
    if let Some(g) = &doc.goal_seek {
        if g.reachable {
            let _ = writeln!(
                out,
                "goal {}: smallest budget that meets it ≈ {} (to within {} %, {} budgets tried, cap {})",
                g.goal,
                money(doc.budget),
                100.0 * goal::TOLERANCE,
                g.steps,
                money(g.max_budget)
            );
        } else {
            let _ = writeln!(
                out,
                "goal {}: NOT reachable — even the best split of {} (the cap) meets it in only {} of \
                 trials, below the required {}. Raise --max-budget or revisit the goal.",
                g.goal,
                money(g.max_budget),
                doc.search.objective.map_or("–".into(), percent),
                percent(g.required)
            );
        }
    }
    let over = doc.goal_seek.as_ref().map_or(String::new(), |g| {
        format!(" over {}", counted(g.steps as u64, "budget"))
    });
    if doc.optimality.is_some() {
        let _ = writeln!(
            out,
            "solved exactly: the mean of expected {} given the assumptions (spec §7) over {} \
             search trials · evaluation: {} other trials (the ones `run` and `compare` use)",
            objective.metric().name(),
            thousands(doc.search.trials as f64, 0),
            thousands(doc.evaluation.trials as f64, 0)
        );
    } else {
        let _ = writeln!(
            out,
            "search: {} per candidate, {} tried, {}{over} · evaluation: {} other \
             trials (the ones `run` and `compare` use)",
            counted(doc.search.trials, "trial"),
            counted(doc.search.candidates as u64, "split"),
            counted(doc.search.moves as u64, "move"),
            thousands(doc.evaluation.trials as f64, 0)
        );
    }
    if doc.channels.iter().all(|c| c.recommended == c.current) {
        let _ = writeln!(
            out,
            "no split tried beats the current one on the search trials (or the bounds and locks \
             leave no other): the recommendation is to keep it"
        );
    }
    let _ = writeln!(
        out,
        "\n  {:<16}{:>12}{:>14}{:>12}  {:<8}marginal ROI [90 %]",
        "channel", "current", "recommended", "change", "bound"
    );
    for c in &doc.channels {
        let change = c.recommended - c.current;
        let mroi = c
            .marginal_roi
            .as_ref()
            .map_or("–".into(), |m| m.ratio_text());
        let _ = writeln!(
            out,
            "  {:<16}{:>12}{:>14}{:>12}  {:<8}{}",
            c.channel,
            money(c.current),
            money(c.recommended),
            signed_money(change),
            c.bound.as_deref().unwrap_or(""),
            mroi
        );
    }
    let (cur, rec): (f64, f64) = doc
        .channels
        .iter()
        .fold((0.0, 0.0), |(a, b), c| (a + c.current, b + c.recommended));
    let _ = writeln!(
        out,
        "  {:<16}{:>12}{:>14}{:>12}  unspent {}",
        "total",
        money(cur),
        money(rec),
        signed_money(rec - cur),
        money((doc.budget - rec).max(0.0))
    );
    let _ = writeln!(
        out,
        "\nOBJECTIVE {} on the evaluation trials",
        doc.objective
    );
    let _ = writeln!(
        out,
        "  {:<20}{:>14}",
        "current split",
        objective_value(doc.objective_current, objective, false)
    );
    let _ = writeln!(
        out,
        "  {:<20}{:>14}",
        "recommended",
        objective_value(doc.objective_recommended, objective, false)
    );
    let _ = writeln!(
        out,
        "  {:<20}{:>14}   90 % interval [{} , {}]",
        "gain",
        objective_value(doc.gain, objective, true),
        objective_value(doc.gain_low, objective, true),
        objective_value(doc.gain_high, objective, true)
    );
    if let (Objective::Target(g), Some(p)) = (objective, doc.objective_recommended)
        && let Some(required) = g.required
    {
        let verdict = if p >= required { "met" } else { "NOT met" };
        let _ = writeln!(
            out,
            "  gate ≥ {}: {verdict} on the evaluation trials (search trials: {})",
            percent(required),
            doc.search.objective.map_or("–".into(), percent)
        );
        if (p >= required) != doc.search.objective.is_some_and(|q| q >= required) {
            let _ = writeln!(
                out,
                "  the two samples disagree because the chance is within Monte Carlo noise of \
                 the gate; more --trials sharpen the answer"
            );
        }
    }
    let _ = writeln!(
        out,
        "\nRECOMMENDED vs CURRENT (per-trial differences, common random numbers)"
    );
    comparison_rows(&mut out, &doc.evaluation, PLAN_NAME);
    let _ = writeln!(out, "\n{TIES_NOTE}");
    if let Some(o) = &doc.optimality {
        let _ = writeln!(out, "\n{}", certificate(o));
    }
    let _ = writeln!(
        out,
        "\nMarginal ROI: the exact derivative of expected profit (NPV) with respect to a channel's \
         spend,\nits monthly pattern kept (spec §7), averaged over the evaluation trials; the 90 % \
         interval is\nthe uncertainty of that average from the spread of the assumptions; ≈ 0 marks an \
         interval that holds 0."
    );
    out
}

/// `optimize --frontier`: the best expected profit at each of `points`
/// budgets.
fn frontier(
    args: &OptimizeArgs,
    scenario: &Scenario,
    problem: &Problem,
    opts: &SimulationOptions,
    search_trials: u64,
    eval_trials: u64,
    points: usize,
) -> Result<i32, Error> {
    if !(2..=200).contains(&points) {
        return Err(UsageError(format!("--frontier takes 2 to 200 budgets, not {points}")).into());
    }
    let current_total: f64 = scenario.baseline_totals().iter().sum();
    let reference = match args.budget {
        Some(b) => b,
        None if current_total > 0.0 => current_total,
        None => {
            return Err(UsageError(
                "the scenario spends nothing: give --budget as the frontier's reference".into(),
            )
            .into());
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
    if let Some(path) = &args.report {
        let html = crate::report::frontier::render(&doc)?;
        output::write_atomic(path, html.as_bytes())?;
    }
    let bytes = match args.out.format {
        Format::Table => frontier_table(&doc).into_bytes(),
        Format::Json => (serde_json::to_string_pretty(&doc)? + "\n").into_bytes(),
        Format::Csv => frontier_csv(&doc)?.into_bytes(),
        Format::Xlsx => crate::export::xlsx::frontier(&doc)?,
    };
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    Ok(EXIT_OK)
}

fn frontier_table(doc: &FrontierDoc) -> String {
    let mut out = format!(
        "{} · efficient frontier · mean-profit solved exactly on {} search trials · profit \
         simulated on {} evaluation trials\n\n",
        doc.scenario,
        thousands(doc.search_trials as f64, 0),
        thousands(doc.evaluation_trials as f64, 0)
    );
    let channels = doc.channels();
    let _ = write!(
        out,
        "  {:>12}{:>14}{:>14}{:>12}{:>10}",
        "budget", "E[profit]", "P10 profit", "next 10k", "mROI"
    );
    for c in &channels {
        let _ = write!(out, "{:>13}", c);
    }
    out.push('\n');
    let mut previous: Option<(f64, f64)> = None;
    for p in &doc.points {
        // What the next 10,000 of budget buys, from the previous point.
        let next = previous
            .map(|(b, v)| signed_money((p.expected_profit - v) / (p.budget - b) * 10_000.0))
            .unwrap_or_else(|| "–".into());
        let _ = write!(
            out,
            "  {:>12}{:>14}{:>14}{:>12}{:>10.3}",
            thousands(p.budget, 0),
            thousands(p.expected_profit, 0),
            thousands(p.p10_profit, 0),
            next,
            p.marginal_roi
        );
        for (_, s) in &p.split {
            let _ = write!(out, "{:>13}", thousands(*s, 0));
        }
        if p.unspent > 0.5 {
            let _ = write!(out, "   unspent {}", thousands(p.unspent, 0));
        }
        out.push('\n');
        previous = Some((p.budget, p.expected_profit));
    }
    out.push_str(
        "\nE[profit]: the exact optimum's expected profit; P10: the profit exceeded in 90 % of \
         simulated outcomes;\nnext 10k: extra expected profit per 10,000 more budget since the \
         previous row; mROI: the marginal ROI\nthe free channels share at the optimum (0 when \
         money is left unspent).\n",
    );
    out
}

fn frontier_csv(doc: &FrontierDoc) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "budget",
        "expected_profit",
        "mean_profit",
        "p10_profit",
        "marginal_roi",
        "unspent",
        "channel",
        "spend",
    ])?;
    for p in &doc.points {
        for (c, s) in &p.split {
            w.write_record([
                p.budget.to_string(),
                p.expected_profit.to_string(),
                p.mean_profit.to_string(),
                p.p10_profit.to_string(),
                p.marginal_roi.to_string(),
                p.unspent.to_string(),
                c.clone(),
                s.to_string(),
            ])?;
        }
    }
    Ok(String::from_utf8(
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
    )?)
}

/// The optimum's certificate in a planner's words.
fn certificate(o: &OptimalityDoc) -> String {
    let free: Vec<&str> = o
        .channels
        .iter()
        .filter(|c| c.bound == "free")
        .map(|c| c.channel.as_str())
        .collect();
    let mut parts = Vec::new();
    if !free.is_empty() {
        parts.push(format!(
            "{} at marginal return {:.3}",
            if free.len() == 1 {
                free[0].to_string()
            } else {
                format!("free channels ({})", free.join(", "))
            },
            o.price
        ));
    }
    for c in o.channels.iter().filter(|c| c.bound != "free") {
        let at = match c.bound.as_str() {
            "max" => "at its max",
            "min" => "at its min",
            _ => "locked",
        };
        parts.push(format!("{} {at} ({:.3})", c.channel, c.marginal));
    }
    let verdict = if o.holds {
        "optimal (Karush–Kuhn–Tucker conditions hold on the search trials)"
    } else {
        "NOT certified optimal (the conditions fail by more than 0.1 %)"
    };
    let mut text = format!("{verdict}: {}", parts.join("; "));
    if o.unspent > 0.5 {
        text.push_str(&format!(
            "\nthe best plan leaves {} of the budget unspent: spending it would lower the objective \
             (--spend-all requires the whole budget)",
            thousands(o.unspent, 0)
        ));
    }
    text
}

/// One row per paid channel.
fn render_csv(doc: &OptimizeDoc) -> Result<String> {
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CHANNEL_COLUMNS)?;
    for c in &doc.channels {
        let m = c.marginal_roi.as_ref();
        w.write_record([
            c.channel.clone(),
            c.current.to_string(),
            c.recommended.to_string(),
            (c.recommended - c.current).to_string(),
            c.min.to_string(),
            num(c.max),
            c.locked.to_string(),
            c.bound.clone().unwrap_or_default(),
            num(m.map(|m| m.mean)),
            num(m.map(|m| m.low)),
            num(m.map(|m| m.high)),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
