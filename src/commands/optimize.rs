//! `racesim optimize`: the best split of a budget, or the smallest budget
//! that meets a goal. Parses the arguments, asks `optimize::recommend`,
//! and writes what `export::optimize` renders.

use crate::cli::OptimizeArgs;
use crate::error::{EXIT_CHECK_FAILED, EXIT_OK, Error, UsageError};
use crate::export::optimize::{plans_csv, render, render_frontier};
use crate::export::xlsx::Extras;
use crate::optimize::recommend::{self, Recommendation, Request};
use crate::optimize::{Constraint, DEFAULT_SEARCH_TRIALS, Objective, Problem};
use crate::options::{self, SimulationOptions, channel_index};
use crate::scenario::Scenario;
use crate::{output, progress};

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
    if let Some(points) = args.frontier {
        let doc = recommend::frontier(
            &scenario,
            &problem,
            &opts,
            search_trials,
            eval_trials,
            points,
            args.budget,
        )?;
        if let Some(path) = &args.report {
            let html = crate::report::frontier::render(&doc)?;
            output::write_atomic(path, html.as_bytes())?;
        }
        output::emit_bytes(
            args.out.output.as_deref(),
            &render_frontier(&doc, args.out.format)?,
        )?;
        return Ok(EXIT_OK);
    }
    if args.max_budget.is_some() && !recommend::seeks_budget(&objective, args.budget) {
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
    let bar = progress::bar(
        0,
        &format!("{} · optimizing", scenario.name),
        opts.show_progress,
    );
    let request = Request {
        scenario: &scenario,
        problem: &problem,
        objective: &objective,
        opts: &opts,
        search_trials,
        eval_trials,
        budget: args.budget,
        max_budget: args.max_budget,
        spend_all: args.spend_all,
        keep_samples: args.out.format.is_binary(),
    };
    let Recommendation {
        doc,
        samples,
        reachable,
    } = recommend::recommend(&request, &bar)?;
    bar.finish_and_clear();
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
    let extras = Extras {
        scenario: Some(&scenario),
        samples: samples.as_ref(),
    };
    let bytes = render(&doc, &objective, args.out.format, extras)?;
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
