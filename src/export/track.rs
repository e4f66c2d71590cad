//! `track`'s document in every format: the terminal table, markdown (the
//! same rows under headings), JSON and CSV.

use std::fmt::Write as _;

use super::format::{percent, thousands, value};
use crate::cli::TrackFormat;
use crate::error::Error;
use crate::metrics::{Kind, Total};
use crate::report::tracking::number;
use crate::track::actuals::ActualMetric;
use crate::track::check::percentile_label;
use crate::track::document::TrackDoc;
use crate::track::{posterior, reforecast};

pub fn render(doc: &TrackDoc, format: TrackFormat) -> Result<String, Error> {
    Ok(match format {
        TrackFormat::Json => {
            let mut s = serde_json::to_string_pretty(doc)?;
            s.push('\n');
            s
        }
        TrackFormat::Table => table(doc, false)?,
        TrackFormat::Markdown => table(doc, true)?,
        TrackFormat::Csv => csv(doc)?,
    })
}

/// A value as the tables show it: counts whole, money grouped, ratios to
/// three decimals.
fn shown(x: Option<f64>, kind: Kind) -> String {
    value(x, kind)
}

/// Markdown wraps a section in a heading and its rows in a code block, so
/// the columns survive any renderer; the terminal gets the same rows.
struct Sections {
    markdown: bool,
    out: String,
}

impl Sections {
    fn heading(&mut self, title: &str, note: &str) {
        if self.markdown {
            let _ = write!(self.out, "\n## {title}\n\n{note}\n\n```\n");
        } else {
            let _ = writeln!(self.out, "\n{} ({note})", title.to_uppercase());
        }
    }

    fn end(&mut self) {
        if self.markdown {
            self.out.push_str("```\n");
        }
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", text.trim_end());
    }
}

fn table(doc: &TrackDoc, markdown: bool) -> Result<String, Error> {
    let mut s = Sections {
        markdown,
        out: String::new(),
    };
    let title = format!(
        "{} · actuals through month {} ({}) · {} trials · seed {}",
        doc.scenario,
        doc.months_observed,
        doc.actuals,
        thousands(doc.trials as f64, 0),
        doc.seed
    );
    if markdown {
        let _ = writeln!(s.out, "# Tracking {title}");
    } else {
        s.line(&title);
    }

    s.heading(
        "Forecast check",
        "each actual against the forecast made before the campaign, at the actual spend; ! outside P5–P95",
    );
    s.line(&format!(
        "  {:<14}{:>5}  {:<10}{:>12}{:>12}{:>12}{:>12}{:>9}",
        "channel", "month", "metric", "actual", "P5", "P50", "P95", "pctile"
    ));
    for r in &doc.check.rows {
        let kind = ActualMetric::kind_of(r.metric);
        s.line(&format!(
            "  {:<14}{:>5}  {:<10}{:>12}{:>12}{:>12}{:>12}{:>9} {}",
            r.channel,
            r.month,
            r.metric,
            shown(Some(r.actual), kind),
            shown(r.p5, kind),
            shown(r.p50, kind),
            shown(r.p95, kind),
            r.percentile.map_or("–".into(), percentile_label),
            if r.flagged { "!" } else { "" }
        ));
    }
    if doc.check.findings.is_empty() {
        s.line("\n  Every actual lies within the forecast's P5–P95.");
    } else {
        s.line("\n  Outside the forecast's P5–P95:");
        for f in &doc.check.findings {
            s.line(&format!("    {}", f.sentence()));
        }
    }
    s.end();

    s.heading(
        "Update",
        "each assumption the actuals inform, prior → posterior: mean [P5 – P95], shift in prior sds",
    );
    if doc.update.assumptions.is_empty() {
        s.line("  The actuals inform no uncertain assumption: the reforecast uses the prior.");
    }
    for a in &doc.update.assumptions {
        let band = |x: &posterior::Spread| {
            format!("{} [{} – {}]", number(x.mean), number(x.p5), number(x.p95))
        };
        s.line(&format!(
            "  {:<36}{:>30}  →  {:<30}{:>+6.1} sd",
            a.label,
            band(&a.prior),
            band(&a.posterior),
            a.shift_sd
        ));
    }
    for g in &doc.update.groups {
        s.line(&format!(
            "  {}: {}, ESS {} of {} draws{}",
            g.labels.join(", "),
            g.method.name(),
            thousands(g.ess, 0),
            thousands(doc.update.particles as f64, 0),
            if g.prior_ess < doc.update.particles as f64 {
                format!(
                    " (plain importance sampling would keep {})",
                    thousands(g.prior_ess, 0)
                )
            } else {
                String::new()
            }
        ));
    }
    for w in &doc.update.warnings {
        s.line(&format!("  warning: {w}"));
    }
    s.end();

    s.heading(
        "Reforecast",
        &format!(
            "{} as observed, the rest simulated from the posterior with the plan's spend",
            if doc.months_observed == 1 {
                "month 1".to_string()
            } else {
                format!("months 1–{}", doc.months_observed)
            }
        ),
    );
    let body = super::exporter_for(super::Format::Table)
        .expect("tables have a text exporter")
        .render(&doc.reforecast)?;
    s.out.push_str(&body);
    if !body.ends_with('\n') {
        s.out.push('\n');
    }
    s.end();

    s.heading(
        "Then → now",
        "forecast before the campaign → reforecast, P50 [P5 – P95]; target probabilities",
    );
    for m in &doc.then_now.metrics {
        let kind = Total::from_name(m.metric).map_or(Kind::Money, Total::kind);
        let band = |b: &reforecast::Band| {
            format!(
                "{} [{} – {}]",
                shown(b.p50, kind),
                shown(b.p5, kind),
                shown(b.p95, kind)
            )
        };
        s.line(&format!(
            "  {:<12}{:>34}  →  {}",
            m.metric,
            band(&m.then),
            band(&m.now)
        ));
    }
    for t in &doc.then_now.targets {
        let gate = match (t.required, t.met_now) {
            (Some(r), Some(true)) => format!("   gate ≥ {}  ✓ met", percent(r)),
            (Some(r), Some(false)) => format!("   gate ≥ {}  ✗ FAILED", percent(r)),
            _ => String::new(),
        };
        s.line(&format!(
            "  {:<34}{:>10}  →  {:>7}{gate}",
            t.target,
            percent(t.then),
            percent(t.now)
        ));
    }
    s.end();
    Ok(s.out)
}

/// Long format: `section,plan,channel,month,metric,statistic,value`.
fn csv(doc: &TrackDoc) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "section",
        "plan",
        "channel",
        "month",
        "metric",
        "statistic",
        "value",
    ])?;
    let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for r in &doc.check.rows {
        let month = r.month.to_string();
        for (stat, v) in [
            ("actual", Some(r.actual)),
            ("p5", r.p5),
            ("p50", r.p50),
            ("p95", r.p95),
            ("percentile", r.percentile),
        ] {
            w.write_record(["check", "", &r.channel, &month, r.metric, stat, &opt(v)])?;
        }
    }
    for a in &doc.update.assumptions {
        for (when, x) in [("prior", &a.prior), ("posterior", &a.posterior)] {
            for (stat, v) in [
                ("mean", x.mean),
                ("sd", x.sd),
                ("p5", x.p5),
                ("p50", x.p50),
                ("p95", x.p95),
            ] {
                w.write_record([
                    "update",
                    "",
                    &a.channel,
                    "",
                    &format!("{}.{}", a.stage, a.metric),
                    &format!("{when}_{stat}"),
                    &v.to_string(),
                ])?;
            }
        }
    }
    let baseline = doc.reforecast.plans.first().map_or("baseline", |p| &p.plan);
    for m in &doc.then_now.metrics {
        for (when, b) in [("then", &m.then), ("now", &m.now)] {
            for (stat, v) in [("p5", b.p5), ("p50", b.p50), ("p95", b.p95)] {
                w.write_record([
                    "then_now",
                    baseline,
                    "*",
                    "",
                    m.metric,
                    &format!("{when}_{stat}"),
                    &opt(v),
                ])?;
            }
        }
    }
    for t in &doc.then_now.targets {
        for (stat, v) in [("then_probability", t.then), ("now_probability", t.now)] {
            w.write_record([
                "then_now",
                baseline,
                "*",
                "",
                &t.target,
                stat,
                &v.to_string(),
            ])?;
        }
    }
    for plan in &doc.reforecast.plans {
        for (metric, summary) in &plan.metrics {
            for (stat, v) in summary.columns() {
                w.write_record(["reforecast", &plan.plan, "*", "", metric, stat, &opt(v)])?;
            }
        }
        for (channel, metrics) in &plan.channels {
            for (metric, summary) in metrics {
                for (stat, v) in summary.columns() {
                    w.write_record(["reforecast", &plan.plan, channel, "", metric, stat, &opt(v)])?;
                }
            }
        }
        for t in &plan.targets {
            w.write_record([
                "reforecast",
                &plan.plan,
                &t.channel,
                "",
                &t.goal(),
                "probability",
                &t.probability.to_string(),
            ])?;
        }
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8(bytes)?)
}
