//! `racesim compare`: budget plans against the baseline, trial by trial.
//!
//! `run --plans` shows every plan's full forecast; planners asking "is A
//! better than B, and how sure are we?" need only the differences, so this
//! command leads with them.

use std::fmt::Write;

use anyhow::Result;

use crate::cli::{CompareArgs, Format};
use crate::document::{ComparisonDoc, Document, PlanDoc};
use crate::error::EXIT_OK;
use crate::export::format::{percent, thousands, value};
use crate::export::{Exporter, JsonExporter};
use crate::metrics::{Kind, Total};
use crate::options::SimulationOptions;
use crate::{output, plans, report};

pub fn run(args: &CompareArgs) -> Result<i32> {
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let plans = plans::load(&args.plans, &scenario)?;
    let (doc, _, samples) =
        report::simulate(&scenario, &plans, &opts, None, args.report.is_some())?;
    let text = match args.out.format {
        Format::Table => render_table(&doc),
        Format::Json => JsonExporter.render(&doc)?,
        Format::Csv => render_csv(&doc)?,
    };
    output::emit(args.out.output.as_deref(), &text)?;
    if let (Some(path), Some(samples)) = (&args.report, &samples) {
        report::write_report(path, &scenario, &plans, &doc, samples)?;
    }
    Ok(EXIT_OK)
}

fn total_spend(plan: &PlanDoc) -> f64 {
    plan.spend.values().sum()
}

/// "search 70,000 → 50,000 (−20,000) · …": only the channels that change.
pub fn spend_changes(baseline: &PlanDoc, plan: &PlanDoc) -> String {
    let mut parts: Vec<String> = plan
        .spend
        .iter()
        .filter_map(|(channel, &s)| {
            let b = baseline.spend.get(channel).copied().unwrap_or(0.0);
            (s != b).then(|| {
                format!(
                    "{channel} {} → {} ({})",
                    thousands(b, 0),
                    thousands(s, 0),
                    signed_amount(s - b)
                )
            })
        })
        .collect();
    if parts.is_empty() {
        parts.push("same spend as baseline".into());
    }
    let (tb, tp) = (total_spend(baseline), total_spend(plan));
    parts.push(format!(
        "total {} ({})",
        thousands(tp, 0),
        signed_amount(tp - tb)
    ));
    parts.join(" · ")
}

/// Whole currency units with a sign, "±0" for no change.
fn signed_amount(x: f64) -> String {
    if x.round() == 0.0 {
        "±0".into()
    } else if x > 0.0 {
        format!("+{}", thousands(x, 0))
    } else {
        thousands(x, 0)
    }
}

fn signed(x: f64, kind: Kind) -> String {
    let v = value(Some(x), kind);
    if x > 0.0 { format!("+{v}") } else { v }
}

fn kind_of(metric: &str) -> Kind {
    Total::from_name(metric).map_or(Kind::Money, Total::kind)
}

/// The compact table: per plan, what changes in spend and then what that
/// does to each compared metric.
pub fn render_table(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · {} trials · seed {} · each plan minus baseline, trial by trial (common random numbers)",
        doc.scenario,
        thousands(doc.trials as f64, 0),
        doc.seed
    );
    let baseline = &doc.plans[0];
    for plan in &doc.plans[1..] {
        let _ = writeln!(out, "\n{}", plan.plan);
        let _ = writeln!(out, "  spend: {}", spend_changes(baseline, plan));
        comparison_rows(&mut out, doc, &plan.plan);
    }
    let _ = writeln!(out, "\n{TIES_NOTE}");
    let _ = writeln!(
        out,
        "90 % interval: Monte Carlo uncertainty of the mean difference; more trials narrow it."
    );
    out
}

/// How the table's P(better) and its last column read (shared with
/// `optimize`).
pub const TIES_NOTE: &str = "P(better): share of trials in which the plan is strictly better than \
the baseline on that metric;\na tie (the same value in a trial) is not better, so the last column \
says when the plan is never worse\nor identical in every trial.";

/// What the difference's range says about ties: every trial equal, or
/// never worse (so every trial not better is a tie). `None` when neither
/// is known (the share of ties between plans that can be worse is not
/// kept).
fn ties(c: &ComparisonDoc) -> Option<String> {
    let d = &c.difference;
    let (Some(min), Some(max), Some(p)) = (d.min, d.max, c.probability_better) else {
        return None;
    };
    if min == 0.0 && max == 0.0 {
        Some(format!(
            "identical in all {} trials",
            thousands(d.defined as f64, 0)
        ))
    } else if min >= 0.0 && p < 1.0 {
        Some(format!("never worse, equal in {}", percent(1.0 - p)))
    } else if max <= 0.0 {
        Some("never better".into())
    } else {
        None
    }
}

/// The per-metric difference rows of one plan (shared with `optimize`).
pub fn comparison_rows(out: &mut String, doc: &Document, plan: &str) {
    let baseline = &doc.plans[0];
    let Some(p) = doc.plans.iter().find(|p| p.plan == plan) else {
        return;
    };
    let _ = writeln!(
        out,
        "  {:<12}{:>14}{:>14}{:>14}{:>28}{:>12}",
        "metric", baseline.plan, "plan", "mean diff", "90 % interval", "P(better)"
    );
    for c in doc.comparisons.iter().filter(|c| c.plan == plan) {
        let kind = kind_of(&c.metric);
        let m = |pd: &PlanDoc| pd.metrics.get(&c.metric).and_then(|s| s.mean);
        let row = format!(
            "  {:<12}{:>14}{:>14}{:>14}{:>28}{:>12}",
            c.metric,
            value(m(baseline), kind),
            value(m(p), kind),
            c.mean_difference.map_or("–".into(), |d| signed(d, kind)),
            interval(c, kind),
            c.probability_better.map_or("–".into(), percent)
        );
        let _ = match ties(c) {
            Some(note) => writeln!(out, "{row}   {note}"),
            None => writeln!(out, "{row}"),
        };
    }
}

fn interval(c: &ComparisonDoc, kind: Kind) -> String {
    match (c.mean_difference_low, c.mean_difference_high) {
        (Some(lo), Some(hi)) => format!("[{} , {}]", value(Some(lo), kind), value(Some(hi), kind)),
        _ => "–".into(),
    }
}

const CSV_HEADER: [&str; 14] = [
    "plan",
    "against",
    "metric",
    "spend",
    "spend_change",
    "against_mean",
    "plan_mean",
    "mean_difference",
    "mean_difference_low",
    "mean_difference_high",
    "probability_better",
    "difference_sd",
    "difference_p5",
    "difference_p95",
];

/// One row per (plan, metric) comparison.
pub fn render_csv(doc: &Document) -> Result<String> {
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for c in &doc.comparisons {
        let find = |name: &str| doc.plans.iter().find(|p| p.plan == name);
        let (Some(plan), Some(against)) = (find(&c.plan), find(&c.against)) else {
            continue;
        };
        let mean = |p: &PlanDoc| p.metrics.get(&c.metric).and_then(|s| s.mean);
        w.write_record([
            c.plan.clone(),
            c.against.clone(),
            c.metric.clone(),
            total_spend(plan).to_string(),
            (total_spend(plan) - total_spend(against)).to_string(),
            num(mean(against)),
            num(mean(plan)),
            num(c.mean_difference),
            num(c.mean_difference_low),
            num(c.mean_difference_high),
            num(c.probability_better),
            num(c.difference.sd),
            num(c.difference.p5),
            num(c.difference.p95),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
