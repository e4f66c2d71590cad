//! The trial-by-trial comparison of a plan with the baseline, as the
//! terminal tables of `compare` and `optimize` show it.

use std::fmt::Write;

use crate::document::{ComparisonDoc, Document, PlanDoc};
use crate::export::format::{percent, thousands, value};
use crate::metrics::{Kind, Total};

/// How the table's P(better) and its last column read (`compare` and `optimize`).
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

/// The per-metric difference rows of one plan (`compare` and `optimize`).
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

fn signed(x: f64, kind: Kind) -> String {
    let v = value(Some(x), kind);
    if x > 0.0 { format!("+{v}") } else { v }
}

fn kind_of(metric: &str) -> Kind {
    Total::from_name(metric).map_or(Kind::Money, Total::kind)
}
