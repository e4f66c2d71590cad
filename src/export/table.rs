use std::fmt::Write;

use anyhow::Result;

use super::Exporter;
use super::format::{percent, value};
use crate::document::{Document, PlanDoc};
use crate::metrics::{Group, Kind, PerChannel, Total};
use crate::stats::Summary;

/// Plain-text tables grouped by RACE stage, for people at a terminal.
pub struct TableExporter;

/// The totals the table shows, each under its group (`Total::group`), in
/// reading order within the group. Spend is left to the CHANNELS table
/// below, orders to the JSON, CSV and workbook.
pub(super) const SHOWN: [Total; 19] = [
    Total::Visitors,
    Total::CostPerVisit,
    Total::Leads,
    Total::LeadRate,
    Total::CostPerLead,
    Total::Customers,
    Total::Cac,
    Total::Revenue,
    Total::AverageOrderValue,
    Total::RepeatOrders,
    Total::ActiveCustomers,
    Total::Ltv,
    Total::Referrals,
    Total::Cost,
    Total::GrossProfit,
    Total::Profit,
    Total::Roi,
    Total::Roas,
    Total::PaybackMonth,
];

fn stat_row(out: &mut String, label: &str, s: &Summary, kind: Kind, trials: u64) {
    let _ = write!(
        out,
        "  {:<22}{:>14}{:>14}{:>14}{:>14}",
        label,
        value(s.mean, kind),
        value(s.p5, kind),
        value(s.p50, kind),
        value(s.p95, kind)
    );
    if s.defined < trials {
        let _ = write!(
            out,
            "   (defined in {} of trials)",
            percent(s.defined as f64 / trials.max(1) as f64)
        );
    }
    out.push('\n');
}

fn plan_section(out: &mut String, doc: &Document, plan: &PlanDoc) {
    let _ = writeln!(
        out,
        "{} · plan {} · {} · seed {} · {}",
        doc.provenance.scenario,
        plan.plan,
        super::format::counted(doc.provenance.trials, "trial"),
        doc.provenance.seed,
        super::format::counted(doc.horizon_months as u64, "month")
    );
    let _ = writeln!(
        out,
        "\n  {:<22}{:>14}{:>14}{:>14}{:>14}",
        "", "mean", "P5", "P50", "P95"
    );
    for group in Group::ALL {
        let _ = writeln!(out, "{}", group.name().to_uppercase());
        for metric in SHOWN.into_iter().filter(|m| m.group() == group) {
            let label = metric.label();
            if metric == Total::PaybackMonth {
                let median = plan
                    .payback_median_month
                    .map(|m| value(Some(m), Kind::Month));
                let share = percent(plan.payback_share(doc.provenance.trials));
                let _ = writeln!(
                    out,
                    "  {:<22}{}",
                    label,
                    super::format::payback(median, share)
                );
                continue;
            }
            stat_row(
                out,
                label,
                plan.metric(metric),
                metric.kind(),
                doc.provenance.trials,
            );
        }
    }
    let _ = writeln!(
        out,
        "  {:<22}{:>14}",
        "P(loss)",
        percent(plan.probability_of_loss)
    );
    let spreads: Vec<String> = [Total::Profit, Total::Revenue, Total::Customers]
        .iter()
        .filter_map(|m| {
            let v = plan.metric(*m).variance?;
            Some(format!(
                "{} spread: {} assumptions, {} luck",
                m.name(),
                super::format::whole_percent(v.assumptions),
                super::format::whole_percent(v.luck)
            ))
        })
        .collect();
    if !spreads.is_empty() {
        let _ = writeln!(
            out,
            "\n  {}\n  (assumptions: what better research could narrow; luck: a finite population, which nothing narrows)",
            spreads.join(" · ")
        );
    }

    let _ = writeln!(out, "\nCHANNELS (mean [P5 – P95])");
    let _ = writeln!(
        out,
        "  {:<14}{:>12}{:>12}{:>12}{:>14}{:>26}",
        "channel", "spend", "visitors", "customers", "revenue", "ROI"
    );
    for (name, m) in &plan.channels {
        let roi = &m[PerChannel::Roi.name()];
        let roi_text = match roi.mean {
            Some(mean) => format!(
                "{} [{} – {}]",
                value(Some(mean), Kind::Ratio),
                value(roi.p5, Kind::Ratio),
                value(roi.p95, Kind::Ratio)
            ),
            None => "–".into(),
        };
        let _ = writeln!(
            out,
            "  {:<14}{:>12}{:>12}{:>12}{:>14}{:>26}",
            name,
            value(m[PerChannel::Spend.name()].mean, Kind::Money),
            value(m[PerChannel::Visitors.name()].mean, Kind::Count),
            value(m[PerChannel::Customers.name()].mean, Kind::Count),
            value(m[PerChannel::Revenue.name()].mean, Kind::Money),
            roi_text
        );
    }

    months_section(out, doc, plan);

    if !plan.targets.is_empty() {
        let _ = writeln!(out, "\nTARGETS");
        for t in &plan.targets {
            let goal = t.goal();
            let status = match (t.required, t.met) {
                (Some(r), Some(true)) => format!("gate ≥ {}  ✓ met", percent(r)),
                (Some(r), Some(false)) => format!("gate ≥ {}  ✗ FAILED", percent(r)),
                _ => String::new(),
            };
            let line = format!("  {:<36}{:>10}   {}", goal, percent(t.probability), status);
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
}

/// The months a terminal shows: all of a horizon up to 18 months; of a
/// longer one the first year, then every twelfth month and the last.
fn shown_months(horizon: usize) -> Vec<usize> {
    if horizon <= 18 {
        return (1..=horizon).collect();
    }
    let mut months: Vec<usize> = (1..=12).chain((24..=horizon).step_by(12)).collect();
    if months.last() != Some(&horizon) {
        months.push(horizon);
    }
    months
}

/// A short monthly view for finance: what is spent, what comes in, where
/// the cumulative profit stands (with its P5–P95), and who is active.
fn months_section(out: &mut String, doc: &Document, plan: &PlanDoc) {
    let series = |name: &str| plan.monthly.get(name);
    let (Some(revenue), Some(cumulative), Some(active)) = (
        series("revenue"),
        series("cumulative_profit"),
        series("active_customers"),
    ) else {
        return;
    };
    let months = shown_months(doc.horizon_months);
    let skipped = months.len() < doc.horizon_months;
    let _ = writeln!(
        out,
        "\nMONTHS (mean; cumulative profit also [P5 – P95]{})",
        if skipped { "; selected months" } else { "" }
    );
    let _ = writeln!(
        out,
        "  {:>5}{:>12}{:>14}{:>16}{:>30}{:>12}",
        "month", "spend", "revenue", "cum. profit", "[P5 – P95]", "active"
    );
    for t in months {
        let spend: f64 = plan
            .monthly_spend
            .values()
            .filter_map(|m| m.get(t - 1))
            .sum();
        let c = &cumulative[t - 1].summary;
        let _ = writeln!(
            out,
            "  {:>5}{:>12}{:>14}{:>16}{:>30}{:>12}",
            t,
            if spend == 0.0 {
                "0".to_string()
            } else {
                value(Some(spend), Kind::Money)
            },
            value(revenue[t - 1].summary.mean, Kind::Money),
            value(c.mean, Kind::Money),
            format!(
                "[{} – {}]",
                value(c.p5, Kind::Money),
                value(c.p95, Kind::Money)
            ),
            value(active[t - 1].summary.mean, Kind::Count),
        );
    }
}

impl Exporter for TableExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let mut out = String::new();
        for (i, plan) in doc.plans.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            plan_section(&mut out, doc, plan);
        }
        if !doc.comparisons.is_empty() {
            let _ = writeln!(
                out,
                "\nCOMPARISONS (per-trial difference, common random numbers)"
            );
            let width = doc
                .comparisons
                .iter()
                .map(|c| c.plan.len() + c.against.len() + 4)
                .max()
                .unwrap_or(0)
                .max(20)
                + 2;
            let _ = writeln!(
                out,
                "  {:<width$}{:<14}{:>16}{:>32}{:>12}",
                "plan", "metric", "mean diff", "90 % interval", "P(better)"
            );
            for c in &doc.comparisons {
                let kind = Total::from_name(&c.metric).map_or(Kind::Money, Total::kind);
                let interval = format!(
                    "[{}, {}]",
                    value(c.mean_difference_low, kind),
                    value(c.mean_difference_high, kind)
                );
                let _ = writeln!(
                    out,
                    "  {:<width$}{:<14}{:>16}{:>32}{:>12}",
                    format!("{} vs {}", c.plan, c.against),
                    c.metric,
                    value(c.mean_difference, kind),
                    interval,
                    c.probability_better.map_or("–".into(), percent)
                );
            }
        }
        Ok(out)
    }
}
