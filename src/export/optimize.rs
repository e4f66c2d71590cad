//! `optimize`'s documents in every format: the recommendation (table,
//! JSON, CSV, workbook) with its plans file, and the efficient frontier.

use std::fmt::Write;

use anyhow::Result;

use super::Format;
use super::comparison::{TIES_NOTE, comparison_rows};
use super::format::{counted, percent, signed_money, thousands, value};
use super::xlsx::Extras;
use crate::error::Error;
use crate::metrics::Kind;
use crate::optimize::document::{CHANNEL_COLUMNS, OptimalityDoc, OptimizeDoc};
use crate::optimize::frontier::FrontierDoc;
use crate::optimize::recommend::PLAN_NAME;
use crate::optimize::{Objective, goal};

/// The recommendation in `format` (`extras` feed the workbook).
pub fn render(
    doc: &OptimizeDoc,
    objective: &Objective,
    format: Format,
    extras: Extras,
) -> Result<Vec<u8>, Error> {
    Ok(match format {
        Format::Table => render_table(doc, objective).into_bytes(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(doc)?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => render_csv(doc)?.into_bytes(),
        Format::Xlsx => super::xlsx::optimize(doc, extras)?,
    })
}

/// The efficient frontier in `format`.
pub fn render_frontier(doc: &FrontierDoc, format: Format) -> Result<Vec<u8>, Error> {
    Ok(match format {
        Format::Table => frontier_table(doc).into_bytes(),
        Format::Json => (serde_json::to_string_pretty(doc)? + "\n").into_bytes(),
        Format::Csv => frontier_csv(doc)?.into_bytes(),
        Format::Xlsx => super::xlsx::frontier(doc)?,
    })
}

/// The recommendation as a plans file for `racesim compare`.
/// The recommended plan as a plans file (monthly rows when the scenario
/// has `spend@K` rows, so the flighting survives the round trip).
pub fn plans_csv(doc: &OptimizeDoc, monthly: bool) -> Result<String> {
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
            thousands(doc.evaluation.provenance.trials as f64, 0)
        );
    } else {
        let _ = writeln!(
            out,
            "search: {} per candidate, {} tried, {}{over} · evaluation: {} other \
             trials (the ones `run` and `compare` use)",
            counted(doc.search.trials, "trial"),
            counted(doc.search.candidates as u64, "split"),
            counted(doc.search.moves as u64, "move"),
            thousands(doc.evaluation.provenance.trials as f64, 0)
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
