//! `drivers`' document in every format: the terminal table, one CSV row
//! per (section, input), JSON and a workbook.

use super::Format;
use super::format::{percent, thousands};
use crate::drivers::Estimate;
use crate::drivers::document::DriversDoc;
use crate::error::Error;

pub fn render(doc: &DriversDoc, format: Format) -> Result<Vec<u8>, Error> {
    Ok(match format {
        Format::Table => table(doc).into_bytes(),
        Format::Json => (serde_json::to_string_pretty(doc)? + "\n").into_bytes(),
        Format::Csv => csv(doc).into_bytes(),
        Format::Xlsx => super::xlsx::drivers(doc)?,
    })
}

fn name(doc: &DriversDoc, input: usize) -> &str {
    &doc.inputs[input].name
}

/// "12,300 ± 410".
fn money(e: Estimate) -> String {
    format!("{} ± {}", thousands(e.value, 0), thousands(e.se, 0))
}

fn share(e: Estimate) -> String {
    format!("{} ± {:.1}", percent(e.value), 100.0 * e.se)
}

/// The mark of an estimate within twice its error of zero.
fn zero_mark(e: Estimate) -> String {
    if e.distinguishable() {
        String::new()
    } else {
        "≈ 0".into()
    }
}

/// A value the size of an input (a rate, a price, a count).
fn plain(x: f64) -> String {
    let a = x.abs();
    if a >= 1000.0 {
        thousands(x, 0)
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.1 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

fn pad(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(" ");
        for (c, cell) in row.iter().enumerate() {
            let fill = widths[c] - cell.chars().count();
            line.push(' ');
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(fill));
            } else {
                line.push_str(&" ".repeat(fill));
                line.push_str(cell);
            }
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn table(doc: &DriversDoc) -> String {
    let a = &doc.analysis;
    let m = &doc.metric;
    let mut out = format!(
        "What drives {m}: {} ({} trials, seed {})\n\n",
        doc.scenario,
        thousands(doc.trials as f64, 0),
        doc.seed
    );
    if doc.inputs.is_empty() {
        out.push_str(&format!(
            "No uncertain inputs: every assumption is a plain number, so the whole spread of {m} is luck.\n"
        ));
        return out;
    }
    out.push_str(&format!(
        "Tornado: mean expected {m} with the input in its lowest and highest tenth\n"
    ));
    let mut rows = vec![vec![
        "input".to_string(),
        "P10 of input".into(),
        "P90 of input".into(),
        "low tenth".into(),
        "high tenth".into(),
        "swing".into(),
        String::new(),
    ]];
    for r in &a.tornado {
        rows.push(vec![
            name(doc, r.input).to_string(),
            plain(r.input_p10),
            plain(r.input_p90),
            thousands(r.low.value, 0),
            thousands(r.high.value, 0),
            money(r.swing),
            zero_mark(r.swing),
        ]);
    }
    out.push_str(&pad(&rows));

    out.push_str(&format!("\nContribution to the variance of {m}\n"));
    let mut rows = vec![vec!["source".to_string(), "share".into(), String::new()]];
    for c in &a.contributions {
        rows.push(vec![
            name(doc, c.input).to_string(),
            share(c.share),
            zero_mark(c.share),
        ]);
    }
    rows.push(vec![
        "luck (finite population)".into(),
        share(a.luck),
        zero_mark(a.luck),
    ]);
    rows.push(vec![
        "interactions (remainder)".into(),
        share(a.remainder),
        zero_mark(a.remainder),
    ]);
    out.push_str(&pad(&rows));

    out.push_str(&format!(
        "\nDownside: where the inputs sit in the worst tenth of {m} (mean rank percentile; 50 = no link)\n"
    ));
    let mut rows = vec![vec!["input".to_string(), "percentile".into()]];
    for d in a.downside.iter().take(8) {
        rows.push(vec![
            name(doc, d.input).to_string(),
            format!(
                "{:.0} ± {:.0}",
                d.mean_percentile.value, d.mean_percentile.se
            ),
        ]);
    }
    out.push_str(&pad(&rows));

    if let Some(v) = &a.value_of_information {
        out.push_str(&format!(
            "\nValue of information (choosing among {}): best without more information: {} (mean expected {m} {})\n",
            doc.plans.join(", "),
            doc.plans[v.best_plan],
            thousands(v.plan_means[v.best_plan], 0)
        ));
        out.push_str(&format!(
            "  EVPI (knowing every assumption before choosing): {} {}\n",
            money(v.evpi),
            zero_mark(v.evpi)
        ));
        let mut rows = vec![vec![
            "input".to_string(),
            "EVPPI".into(),
            String::new(),
            "best if low".into(),
            "best if high".into(),
        ]];
        for i in &v.inputs {
            rows.push(vec![
                name(doc, i.input).to_string(),
                money(i.evppi),
                zero_mark(i.evppi),
                doc.plans[i.best_when_low].clone(),
                doc.plans[i.best_when_high].clone(),
            ]);
        }
        out.push_str(&pad(&rows));
        if let Some(top) = v.inputs.first() {
            if top.evppi.distinguishable() && top.evppi.value > 0.0 {
                out.push_str(&format!(
                    "Learning `{}` before choosing is worth up to {} in expected {m}; a test that costs less may pay.\n",
                    name(doc, top.input),
                    thousands(top.evppi.value, 0)
                ));
            } else {
                out.push_str(
                    "No single input is worth learning before choosing: no EVPPI can be told apart from zero.\n",
                );
            }
        }
    }
    out.push_str("\n± is one bootstrap standard error; ≈ 0 marks estimates within twice their error of zero.\n");
    out
}

/// One row per (section, input) with the estimate and its error.
fn csv(doc: &DriversDoc) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let a = &doc.analysis;
    let _ = w.write_record([
        "section", "input", "stage", "channel", "metric", "line", "value", "se", "low", "high",
    ]);
    let input_fields = |j: usize| {
        let i = &doc.inputs[j];
        [
            i.name.clone(),
            i.stage.clone(),
            i.channel.clone(),
            i.metric.clone(),
            i.line.to_string(),
        ]
    };
    let mut row = |section: &str, fields: [String; 5], e: Estimate, low: String, high: String| {
        let mut r = vec![section.to_string()];
        r.extend(fields);
        r.extend([e.value.to_string(), e.se.to_string(), low, high]);
        let _ = w.write_record(&r);
    };
    let none = || std::array::from_fn(|_| String::new());
    for t in &a.tornado {
        row(
            "tornado",
            input_fields(t.input),
            t.swing,
            t.low.value.to_string(),
            t.high.value.to_string(),
        );
    }
    for c in &a.contributions {
        row(
            "contribution",
            input_fields(c.input),
            c.share,
            String::new(),
            String::new(),
        );
    }
    let mut luck = none();
    luck[0] = "luck".into();
    row("contribution", luck, a.luck, String::new(), String::new());
    let mut rest = none();
    rest[0] = "interactions".into();
    row(
        "contribution",
        rest,
        a.remainder,
        String::new(),
        String::new(),
    );
    for d in &a.downside {
        row(
            "downside",
            input_fields(d.input),
            d.mean_percentile,
            String::new(),
            String::new(),
        );
    }
    if let Some(v) = &a.value_of_information {
        let mut all = none();
        all[0] = "all inputs".into();
        row("evpi", all, v.evpi, String::new(), String::new());
        for i in &v.inputs {
            row(
                "evppi",
                input_fields(i.input),
                i.evppi,
                doc.plans[i.best_when_low].clone(),
                doc.plans[i.best_when_high].clone(),
            );
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
