//! `fit retention --report FILE`: a self-contained HTML page with the
//! fitted-against-observed survival as a chart and a table, to judge the
//! fit by eye before trusting its rows.

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::fit::rate::group_digits;
use crate::fit::retention::SurvivalRow;
use crate::report::charts::{Axes, FG, GRID, PALETTE, axes, plane};
use crate::report::page::esc;

const WIDTH: u32 = 760;
const HEIGHT: u32 = 420;

/// Observed survival (points) and the sBG curve (line) by month.
pub fn survival_chart(survival: &[SurvivalRow]) -> Result<String> {
    let last = survival.last().map_or(1, |s| s.month).max(1) as f64;
    let svg_err = |e: DrawingAreaErrorKind<_>| anyhow!("cannot draw the chart: {e:?}");
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = plane(&root, 0.0..last, 0.0..1.02, 64)?;
        axes(
            &mut chart,
            Axes {
                x_desc: "months since acquisition",
                y_desc: "share still active",
                x_labels: (last as usize + 1).min(13),
                y_labels: 6,
                x_format: &|x| format!("{x:.0}"),
                y_format: &|y| format!("{:.0} %", 100.0 * y),
                x_mesh: true,
            },
        )?;
        let fitted = PALETTE[0];
        let observed = PALETTE[1];
        chart
            .draw_series(LineSeries::new(
                survival.iter().map(|s| (s.month as f64, s.fitted)),
                fitted.stroke_width(3),
            ))
            .map_err(svg_err)?
            .label("fitted (sBG)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], fitted.stroke_width(3)));
        chart
            .draw_series(
                survival
                    .iter()
                    .map(|s| Circle::new((s.month as f64, s.observed), 5, observed.filled())),
            )
            .map_err(svg_err)?
            .label("observed (cohorts observed that long)")
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, observed.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .border_style(GRID)
            .label_font(("sans-serif", 14).into_font().color(&FG))
            .draw()
            .map_err(svg_err)?;
        root.present().map_err(svg_err)?;
    }
    Ok(buf)
}

/// The whole page: title, the fit's summary, the rows, chart and table.
pub fn retention_page(
    title: &str,
    summary: &[String],
    rows_csv: &str,
    survival: &[SurvivalRow],
) -> Result<String> {
    let chart = survival_chart(survival)?;
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str(&format!("<title>{}</title>", esc(title)));
    html.push_str(
        "<style>body{font-family:sans-serif;max-width:820px;margin:2em auto;padding:0 1em}\
         table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}\
         th{border-bottom:1px solid #999}pre{white-space:pre-wrap}</style></head><body>\n",
    );
    html.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    // The summary's own text table is drawn below as chart and table.
    for line in summary.iter().take_while(|l| !l.starts_with("month ")) {
        html.push_str(&format!("<p>{}</p>\n", esc(line)));
    }
    html.push_str("<h2>Scenario rows</h2>\n<pre>");
    html.push_str(&esc(rows_csv));
    html.push_str("</pre>\n<h2>Survival: fitted against observed</h2>\n");
    html.push_str(&chart);
    html.push_str(
        "\n<table><tr><th>month</th><th>observed</th><th>fitted</th><th>cohort customers</th></tr>\n",
    );
    for s in survival {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td></tr>\n",
            s.month,
            s.observed,
            s.fitted,
            group_digits(s.cohort_customers)
        ));
    }
    html.push_str("</table>\n</body></html>\n");
    Ok(html)
}
