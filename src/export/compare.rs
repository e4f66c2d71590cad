//! `compare`'s document in every format: the table leads with each plan's
//! differences from the baseline and the ranking, the CSV has one row per
//! (plan, metric) difference, JSON and the workbook are the run's.

use std::fmt::Write;

use anyhow::Result;

use super::Format;
use super::comparison::{TIES_NOTE, comparison_rows};
use super::format::{percent, shared_runs_heading, signed_money, thousands, value};
use super::{Exporter, JsonExporter};
use crate::document::{Document, PlanDoc};
use crate::error::Error;
use crate::metrics::{Kind, Total};

/// `compare`'s output in `format` (also what `merge` prints for sharded runs);
/// a workbook also shows what `extras` holds.
pub fn render(
    doc: &Document,
    format: Format,
    extras: super::xlsx::Extras,
) -> Result<Vec<u8>, Error> {
    Ok(match format {
        Format::Table => render_table(doc).into_bytes(),
        Format::Json => JsonExporter.render(doc)?.into_bytes(),
        Format::Csv => render_csv(doc)?.into_bytes(),
        Format::Xlsx => super::xlsx::document(doc, extras)?,
    })
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
                    signed_money(s - b)
                )
            })
        })
        .collect();
    // Channels whose total stays but whose months move (spec §3).
    let rephased: Vec<String> = plan
        .monthly_spend
        .iter()
        .filter(|(channel, months)| {
            plan.spend.get(*channel) == baseline.spend.get(*channel)
                && baseline.monthly_spend.get(*channel) != Some(months)
        })
        .map(|(channel, _)| channel.clone())
        .collect();
    if !rephased.is_empty() {
        parts.push(format!("{} moved between months", rephased.join(", ")));
    }
    if parts.is_empty() {
        parts.push("same spend as baseline".into());
    }
    let (tb, tp) = (total_spend(baseline), total_spend(plan));
    parts.push(format!(
        "total {} ({})",
        thousands(tp, 0),
        signed_money(tp - tb)
    ));
    parts.join(" · ")
}

/// The compact table: per plan, what changes in spend and then what that
/// does to each compared metric.
pub fn render_table(doc: &Document) -> String {
    let mut out = shared_runs_heading(
        &doc.provenance,
        "each plan minus baseline, trial by trial (common random numbers)",
    );
    let baseline = &doc.plans[0];
    for plan in &doc.plans[1..] {
        let _ = writeln!(out, "\n{}", plan.plan);
        let _ = writeln!(out, "  spend: {}", spend_changes(baseline, plan));
        comparison_rows(&mut out, doc, &plan.plan);
    }
    ranking_rows(&mut out, doc);
    let _ = writeln!(out, "\n{TIES_NOTE}");
    let _ = writeln!(
        out,
        "90 % interval: Monte Carlo uncertainty of the mean difference; more trials narrow it."
    );
    out
}

/// Every plan by mean profit, with P(better) on profit between every two: the baseline is
/// one plan among the others here, so planners can pick among the alternatives too. With
/// more than `PAIRWISE_PLANS` plans, the table shows the plans compared pairwise (the
/// first in the ranking) and says so; every plan is compared with the baseline above.
fn ranking_rows(out: &mut String, doc: &Document) {
    if doc.ranking.len() < 3 {
        return; // With two plans the comparison above says it all.
    }
    let compared = doc.pairwise_plans();
    let plan = |name: &str| doc.plans.iter().find(|p| p.plan == name);
    let widths: Vec<usize> = compared
        .iter()
        .map(|n| n.chars().count().max(8) + 2)
        .collect();
    let name_width = compared
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(4)
        + 2;
    let _ = writeln!(
        out,
        "\nRANKING by mean profit · P(better): share of trials in which the row's plan earns more \
         profit\nthan the column's"
    );
    if compared.len() < doc.ranking.len() {
        let _ = writeln!(
            out,
            "P(better) between the {} plans with the highest mean profit of {}; every plan is \
             compared with the baseline above.",
            compared.len(),
            thousands(doc.ranking.len() as f64, 0)
        );
    }
    let _ = write!(
        out,
        "  {:>4}  {:<name_width$}{:>14}",
        "rank", "plan", "mean profit"
    );
    for (name, w) in compared.iter().zip(&widths) {
        let _ = write!(out, "{name:>w$}");
    }
    out.push('\n');
    for (rank, name) in compared.iter().enumerate() {
        let mean = plan(name).and_then(|p| p.metric(Total::Profit).mean);
        let _ = write!(
            out,
            "  {:>4}  {:<name_width$}{:>14}",
            rank + 1,
            name,
            value(mean, Kind::Money)
        );
        for (against, w) in compared.iter().zip(&widths) {
            let cell = doc
                .pairwise
                .iter()
                .find(|c| c.plan == *name && c.against == *against)
                .and_then(|c| c.probability_better)
                .map_or("–".into(), percent);
            let _ = write!(out, "{cell:>w$}");
        }
        out.push('\n');
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

/// One row per (plan, metric) comparison with the baseline, then one per pair of other
/// plans on profit (the ranking's P(better)): those carry the difference of the means,
/// which is the mean paired difference, but no interval or spread, which are not kept.
pub fn render_csv(doc: &Document) -> Result<String> {
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    let find = |name: &str| doc.plans.iter().find(|p| p.plan == name);
    // The columns every row starts with: which plans and metric, their
    // spend, and both means.
    let lead = |name: &str, against_name: &str, metric: &str| {
        let (plan, against) = (find(name)?, find(against_name)?);
        let mean = |p: &PlanDoc| p.metrics.get(metric).and_then(|s| s.mean);
        let cells = vec![
            name.to_string(),
            against_name.to_string(),
            metric.to_string(),
            total_spend(plan).to_string(),
            (total_spend(plan) - total_spend(against)).to_string(),
            num(mean(against)),
            num(mean(plan)),
        ];
        Some((cells, mean(plan).zip(mean(against)).map(|(a, b)| a - b)))
    };
    for c in &doc.comparisons {
        let Some((mut row, _)) = lead(&c.plan, &c.against, &c.metric) else {
            continue;
        };
        row.extend([
            num(c.mean_difference),
            num(c.mean_difference_low),
            num(c.mean_difference_high),
            num(c.probability_better),
            num(c.difference.sd),
            num(c.difference.p5),
            num(c.difference.p95),
        ]);
        w.write_record(row)?;
    }
    let baseline = doc.plans.first().map(|p| p.plan.as_str());
    for c in doc
        .pairwise
        .iter()
        .filter(|c| Some(c.against.as_str()) != baseline)
    {
        let Some((mut row, difference)) = lead(&c.plan, &c.against, &c.metric) else {
            continue;
        };
        row.extend([
            num(difference),
            String::new(),
            String::new(),
            num(c.probability_better),
            String::new(),
            String::new(),
            String::new(),
        ]);
        w.write_record(row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
