//! `curves`' document in every format: a table per curve, one CSV row per
//! point, the JSON document and (in `xlsx`) a workbook.

use std::fmt::Write;

use anyhow::Result;

use super::Format;
use super::format::{shared_runs_heading, thousands, value};
use crate::curves::{Band, CurvesDoc};
use crate::error::Error;
use crate::metrics::Kind;

pub fn render(doc: &CurvesDoc, format: Format) -> Result<Vec<u8>, Error> {
    Ok(match format {
        Format::Table => render_table(doc).into_bytes(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(doc)?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => render_csv(doc)?.into_bytes(),
        Format::Xlsx => super::xlsx::curves(doc)?,
    })
}

/// Money on a curve is read across many points, so whole units throughout
/// keep the columns comparable (cents would appear only near zero).
fn band(b: &Band, kind: Kind) -> String {
    let show = |x: Option<f64>| match kind {
        Kind::Money => x.map_or("–".into(), |v| thousands(v, 0)),
        _ => value(x, kind),
    };
    format!("{} [{} – {}]", show(b.mean), show(b.p5), show(b.p95))
}

fn render_table(doc: &CurvesDoc) -> String {
    let mut out = shared_runs_heading(
        &doc.provenance,
        "one channel's spend varies, the others stay at scenario spend",
    );
    for curve in &doc.curves {
        let _ = writeln!(
            out,
            "\n{} (scenario spend {})",
            curve.channel,
            thousands(curve.scenario_spend, 0)
        );
        // Cents only when some point needs them, so that neighbouring
        // points never print alike.
        let decimals = if curve.points.iter().all(|p| p.spend.fract() == 0.0) {
            0
        } else {
            2
        };
        let rows: Vec<[String; 7]> = curve
            .points
            .iter()
            .map(|p| {
                [
                    thousands(p.spend, decimals),
                    band(&p.customers, Kind::Count),
                    band(&p.revenue, Kind::Money),
                    band(&p.profit, Kind::Money),
                    p.marginal_roi
                        .as_ref()
                        .map_or(String::new(), |m| m.ratio_text()),
                    p.expected_profit
                        .map_or(String::new(), |e| value(Some(e), Kind::Money)),
                    p.exact_marginal_roi
                        .as_ref()
                        .map_or(String::new(), |m| format!("{:.3} ± {:.3}", m.mean, m.se)),
                ]
            })
            .collect();
        let header = [
            "spend",
            "customers [P5 – P95]",
            "revenue [P5 – P95]",
            "profit [P5 – P95]",
            "marginal ROI [90 %]",
            "E[profit]",
            "exact mROI",
        ];
        // Each column as wide as its widest entry (counted in characters:
        // the dashes are multi-byte), two spaces apart.
        let width = |k: usize| {
            rows.iter()
                .map(|r| r[k].chars().count())
                .chain([header[k].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let w: Vec<usize> = (0..7).map(width).collect();
        let pad = |text: &str, w: usize| {
            format!(
                "{text}{}",
                " ".repeat(w.saturating_sub(text.chars().count()))
            )
        };
        let line = |marker: &str, r: [&str; 7]| {
            format!(
                "{marker} {:>w0$}  {}  {}  {}  {}  {:>w5$}  {}",
                r[0],
                pad(r[1], w[1]),
                pad(r[2], w[2]),
                pad(r[3], w[3]),
                pad(r[4], w[4]),
                r[5],
                r[6],
                w0 = w[0],
                w5 = w[5]
            )
            .trim_end()
            .to_string()
        };
        let _ = writeln!(out, "{}", line(" ", header));
        for (p, r) in curve.points.iter().zip(&rows) {
            let marker = if p.spend == curve.scenario_spend {
                "*"
            } else {
                " "
            };
            let _ = writeln!(
                out,
                "{}",
                line(marker, [&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]]).trim_end()
            );
        }
    }
    let _ = writeln!(
        out,
        "\n* the scenario's spend. Marginal ROI: extra profit (NPV) per extra unit of spend since the \
         previous point, from per-trial paired differences; above 0 the extra spend pays for itself \
         (≈ 0: its 90 % interval holds 0).\n\
         E[profit]: the exact expected profit at that spend (the mean of E[profit | θ] over the same \
         trials, spec §7);\nexact mROI: its derivative in the channel's spend, ± its standard error \
         from the assumption spread."
    );
    out
}

const CSV_HEADER: [&str; 18] = [
    "channel",
    "spend",
    "customers_mean",
    "customers_p5",
    "customers_p95",
    "revenue_mean",
    "revenue_p5",
    "revenue_p95",
    "profit_mean",
    "profit_p5",
    "profit_p95",
    "marginal_roi",
    "marginal_roi_se",
    "marginal_roi_low",
    "marginal_roi_high",
    "expected_profit",
    "exact_marginal_roi",
    "exact_marginal_roi_se",
];

fn render_csv(doc: &CurvesDoc) -> Result<String> {
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for curve in &doc.curves {
        for p in &curve.points {
            let m = p.marginal_roi.as_ref();
            let mut row = vec![curve.channel.clone(), p.spend.to_string()];
            for b in [&p.customers, &p.revenue, &p.profit] {
                row.extend([num(b.mean), num(b.p5), num(b.p95)]);
            }
            row.extend([
                num(m.map(|m| m.mean)),
                num(m.map(|m| m.se)),
                num(m.map(|m| m.low)),
                num(m.map(|m| m.high)),
                num(p.expected_profit),
                num(p.exact_marginal_roi.as_ref().map(|m| m.mean)),
                num(p.exact_marginal_roi.as_ref().map(|m| m.se)),
            ]);
            w.write_record(row)?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
