use anyhow::Result;

use super::Exporter;
use crate::document::Document;
use crate::stats::Summary;

/// One row per (plan, channel, metric); channel `*` holds the totals and
/// monthly rows carry their month. After a plan's summaries come its
/// single numbers (P(loss), the median payback month, each target's
/// probability and, for gates, required share and verdict) and, for every
/// plan after the first, its comparisons with the first: those rows are
/// named `quantity:subject` so that the summary rows keep the plain
/// metric names (README, "What each number means").
pub struct CsvExporter;

const HEADER: [&str; 17] = [
    "plan", "channel", "metric", "month", "mean", "sd", "se", "min", "p5", "p10", "p25", "p50",
    "p75", "p90", "p95", "max", "defined",
];

fn row(plan: &str, channel: &str, metric: &str, month: Option<usize>, s: &Summary) -> Vec<String> {
    let mut r = vec![
        plan.to_string(),
        channel.to_string(),
        metric.to_string(),
        month.map(|m| m.to_string()).unwrap_or_default(),
    ];
    r.extend(
        s.columns()
            .iter()
            .map(|(_, v)| v.map(|x| x.to_string()).unwrap_or_default()),
    );
    r.push(s.defined.to_string());
    r
}

/// A single number (a share, a verdict), in the `mean` column; `defined`
/// says over how many trials it was found.
fn single(plan: &str, channel: &str, metric: &str, x: Option<f64>, trials: u64) -> Vec<String> {
    let mut r = vec![
        plan.to_string(),
        channel.to_string(),
        metric.to_string(),
        String::new(),
        x.filter(|v| v.is_finite())
            .map(|v| v.to_string())
            .unwrap_or_default(),
    ];
    r.extend(std::iter::repeat_n(String::new(), HEADER.len() - 6));
    r.push(trials.to_string());
    r
}

/// The summary of a value that is the same in every trial.
fn constant(x: f64, trials: u64) -> Summary {
    Summary {
        mean: Some(x),
        sd: Some(0.0),
        se: Some(0.0),
        min: Some(x),
        p5: Some(x),
        p10: Some(x),
        p25: Some(x),
        p50: Some(x),
        p75: Some(x),
        p90: Some(x),
        p95: Some(x),
        max: Some(x),
        defined: trials,
        variance: None,
    }
}

impl Exporter for CsvExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(HEADER)?;
        for plan in &doc.plans {
            for (metric, s) in &plan.metrics {
                w.write_record(row(&plan.plan, "*", metric, None, s))?;
            }
            for (channel, metrics) in &plan.channels {
                for (metric, s) in metrics {
                    w.write_record(row(&plan.plan, channel, metric, None, s))?;
                }
            }
            for (metric, series) in &plan.monthly {
                for m in series {
                    w.write_record(row(
                        &plan.plan,
                        "*",
                        &format!("monthly.{metric}"),
                        Some(m.month),
                        &m.summary,
                    ))?;
                }
            }
            // Spend is set by the plan, not drawn: every statistic is the
            // amount itself.
            for (channel, months) in &plan.monthly_spend {
                for (i, &s) in months.iter().enumerate() {
                    w.write_record(row(
                        &plan.plan,
                        channel,
                        "monthly.spend",
                        Some(i + 1),
                        &constant(s, doc.provenance.trials),
                    ))?;
                }
            }
            let (name, trials) = (plan.plan.as_str(), doc.provenance.trials);
            w.write_record(single(
                name,
                "*",
                "probability_of_loss",
                Some(plan.probability_of_loss),
                trials,
            ))?;
            w.write_record(single(
                name,
                "*",
                "payback_median_month",
                plan.payback_median_month,
                trials,
            ))?;
            for t in &plan.targets {
                let target = format!("{} {} {}", t.metric, t.op, t.value);
                let mut put = |quantity: &str, x: Option<f64>| {
                    let metric = format!("{quantity}:{target}");
                    w.write_record(single(name, &t.channel, &metric, x, trials))
                };
                put("target_probability", Some(t.probability))?;
                if let Some(required) = t.required {
                    put("target_required", Some(required))?;
                    put("target_met", t.met.map(|m| if m { 1.0 } else { 0.0 }))?;
                }
            }
            for c in doc.comparisons.iter().filter(|c| c.plan == plan.plan) {
                let m = &c.metric;
                w.write_record(row(
                    name,
                    "*",
                    &format!("difference:{m}"),
                    None,
                    &c.difference,
                ))?;
                let defined = c.difference.defined;
                for (quantity, x) in [
                    ("mean_difference_low", c.mean_difference_low),
                    ("mean_difference_high", c.mean_difference_high),
                    ("probability_better", c.probability_better),
                ] {
                    w.write_record(single(name, "*", &format!("{quantity}:{m}"), x, defined))?;
                }
            }
        }
        Ok(String::from_utf8(w.into_inner()?)?)
    }
}
