//! Excel workbooks (`--format xlsx`): the same documents the JSON carries,
//! as sheets a finance reviewer can sort, pivot and chart.
//!
//! Every number is written as a number (never as text) with a number
//! format for its kind, so what Excel shows is rounded but what it holds is
//! the JSON's value exactly (the writer prints floats in shortest
//! round-trip form). Each sheet is one table with a frozen header row;
//! nothing but the table is on it, so the sheets read back as data.

use std::collections::HashMap;

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    Chart, ChartFormat, ChartLine, ChartLineDashType, ChartType, DocProperties, ExcelDateTime,
    Format as CellFormat, FormatBorder, Workbook, Worksheet,
};

use super::format::thousands;
use crate::check::CheckReport;
use crate::curves::{Band, CurvesDoc};
use crate::document::{Document, PlanDoc, Provenance};
use crate::drivers::Estimate;
use crate::drivers::document::DriversDoc;
use crate::metrics::{Group, Kind, Monthly, PerChannel, Total};
use crate::optimize::document::{CHANNEL_COLUMNS, OptimizeDoc};
use crate::report::Samples;
use crate::report::charts::{Hist, edges, shares};
use crate::scenario::Scenario;
use crate::scenario::value::ValueSpec;
use crate::stats::Summary;

/// How a number is shown; the cell keeps the full value whatever the style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Money,
    /// Counts of people and orders: whole in a trial, fractional as means.
    Count,
    /// Whole numbers: trials, lines, months, ranks.
    Integer,
    Ratio,
    Percent,
    Month,
    /// As Excel shows a number by default (seeds, hashes as text elsewhere).
    General,
}

impl Style {
    pub fn of(kind: Kind) -> Style {
        match kind {
            Kind::Money => Style::Money,
            Kind::Count => Style::Count,
            Kind::Month => Style::Month,
            Kind::Ratio | Kind::Points => Style::Ratio,
        }
    }

    fn num_format(self) -> &'static str {
        match self {
            Style::Money => "#,##0.00",
            Style::Count => "#,##0.0",
            Style::Integer => "#,##0",
            Style::Ratio => "0.000",
            Style::Percent => "0.0%",
            Style::Month => "0.0",
            Style::General => "General",
        }
    }

    /// Roughly what Excel shows with `num_format`, for column widths.
    fn shown(self, x: f64) -> String {
        match self {
            Style::Money => thousands(x, 2),
            Style::Count => thousands(x, 1),
            Style::Integer => thousands(x, 0),
            Style::Ratio => format!("{x:.3}"),
            Style::Percent => format!("{:.1}%", 100.0 * x),
            Style::Month => format!("{x:.1}"),
            Style::General => format!("{x}"),
        }
    }
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64, Style),
    Bool(bool),
    Empty,
}

impl Cell {
    /// A number, or an empty cell when it is undefined (a CAC without
    /// customers), as the JSON's `null`.
    pub fn num(x: Option<f64>, style: Style) -> Cell {
        match x {
            Some(v) if v.is_finite() => Cell::Number(v, style),
            _ => Cell::Empty,
        }
    }

    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn width(&self) -> usize {
        match self {
            Cell::Text(s) => s.chars().count(),
            Cell::Number(x, style) => style.shown(*x).len(),
            Cell::Bool(_) => 5,
            Cell::Empty => 0,
        }
    }
}

/// A chart placed on a sheet, its data on other sheets.
struct Placed {
    row: u32,
    col: u16,
    chart: Chart,
}

/// One sheet: a header row and the rows under it.
pub struct Sheet {
    name: String,
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
    charts: Vec<Placed>,
}

impl Sheet {
    pub fn new(name: &str, header: &[&str]) -> Sheet {
        Sheet {
            name: name.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            charts: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The worksheet row (0-based, the header being row 0) the next
    /// pushed row lands on.
    fn next_row(&self) -> u32 {
        self.rows.len() as u32 + 1
    }
}

/// Column widths that fit their contents, in Excel's character units.
const MAX_WIDTH: usize = 60;

/// Sheets in order, written as one workbook.
#[derive(Default)]
pub struct Book {
    sheets: Vec<Sheet>,
}

impl Book {
    pub fn add(&mut self, sheet: Sheet) {
        self.sheets.push(sheet);
    }

    /// The workbook's bytes. The creation time is fixed so that the same
    /// inputs and seed give the same bytes (reproducible output).
    pub fn to_bytes(self) -> Result<Vec<u8>> {
        let mut wb = Workbook::new();
        let epoch = ExcelDateTime::from_ymd(2000, 1, 1).context("fixed creation date")?;
        wb.set_properties(
            &DocProperties::new()
                .set_creation_datetime(&epoch)
                .set_title("racesim forecast"),
        );
        let header = CellFormat::new()
            .set_bold()
            .set_border_bottom(FormatBorder::Thin);
        let mut formats: HashMap<Style, CellFormat> = HashMap::new();
        for sheet in self.sheets {
            let ws = wb.add_worksheet();
            write_sheet(ws, &sheet, &header, &mut formats)
                .with_context(|| format!("cannot write the sheet `{}`", sheet.name))?;
        }
        wb.save_to_buffer().context("cannot write the workbook")
    }
}

fn write_sheet(
    ws: &mut Worksheet,
    sheet: &Sheet,
    header: &CellFormat,
    formats: &mut HashMap<Style, CellFormat>,
) -> Result<()> {
    ws.set_name(&sheet.name)?;
    let mut widths: Vec<usize> = sheet.header.iter().map(|h| h.chars().count()).collect();
    for (c, h) in sheet.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, header)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            if widths.len() <= c {
                widths.resize(c + 1, 0);
            }
            widths[c] = widths[c].max(cell.width());
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Number(x, style) => {
                    let f = formats
                        .entry(*style)
                        .or_insert_with(|| CellFormat::new().set_num_format(style.num_format()));
                    ws.write_number_with_format(r, c, *x, f)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean(r, c, *b)?;
                }
                Cell::Empty => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, (w.min(&MAX_WIDTH) + 2) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for p in &sheet.charts {
        ws.insert_chart(p.row, p.col, &p.chart)?;
    }
    Ok(())
}

const STATS: [&str; 13] = [
    "mean", "sd", "se", "min", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "max", "defined",
];

/// A summary's statistics in `STATS` order.
fn stats(s: &Summary, style: Style) -> Vec<Cell> {
    let mut cells: Vec<Cell> = s
        .columns()
        .iter()
        .map(|(_, v)| Cell::num(*v, style))
        .collect();
    cells.push(Cell::Number(s.defined as f64, Style::Integer));
    cells
}

/// An estimated ratio's mean, standard error and 90 % interval; empty
/// cells where there is no estimate.
fn estimate_cells(e: Option<&crate::stats::Estimate>) -> [Cell; 4] {
    [
        e.map(|e| e.mean),
        e.map(|e| e.se),
        e.map(|e| e.low),
        e.map(|e| e.high),
    ]
    .map(|x| Cell::num(x, Style::Ratio))
}

fn header_with_stats<'a>(first: &[&'a str], last: &[&'a str]) -> Vec<&'a str> {
    first
        .iter()
        .copied()
        .chain(STATS)
        .chain(last.iter().copied())
        .collect()
}

fn total_style(metric: Total) -> Style {
    match metric {
        Total::LeadRate => Style::Percent,
        m => Style::of(m.kind()),
    }
}

/// A metric's style from its name in a document (total or per channel).
fn style_of_name(metric: &str) -> Style {
    Total::from_name(metric)
        .map(total_style)
        .or_else(|| PerChannel::from_name(metric).map(|m| Style::of(m.kind())))
        .unwrap_or(Style::General)
}

/// What a workbook of a run can show beyond the document: the scenario's
/// assumptions with their notes, and per-trial profit for the histogram.
#[derive(Default, Clone, Copy)]
pub struct Extras<'a> {
    pub scenario: Option<&'a Scenario>,
    pub samples: Option<&'a Samples>,
}

/// `run` and `compare`: the document's workbook.
pub fn document(doc: &Document, extras: Extras) -> Result<Vec<u8>> {
    let mut book = Book::default();
    document_sheets(&mut book, doc, extras);
    if let Some(d) = &doc.drivers {
        drivers_sheets(&mut book, d);
    }
    book.add(details(&doc_details(doc, extras)));
    book.to_bytes()
}

/// What reproduces a document, as the first rows of its run-details sheet.
fn provenance(p: &Provenance) -> Vec<(&'static str, Cell)> {
    let mut rows = vec![
        ("scenario", Cell::text(p.scenario.as_str())),
        ("racesim version", Cell::text(p.racesim_version.as_str())),
    ];
    rows.extend(versions_seed_trials(
        p.model_version,
        p.schema_version,
        p.seed,
        p.trials,
    ));
    rows
}

/// The rows that, with the inputs, reproduce a result exactly.
fn versions_seed_trials(
    model_version: u32,
    schema_version: u32,
    seed: u64,
    trials: u64,
) -> [(&'static str, Cell); 4] {
    [
        (
            "model version",
            Cell::Number(model_version as f64, Style::Integer),
        ),
        (
            "schema version",
            Cell::Number(schema_version as f64, Style::Integer),
        ),
        // As text: a seed can exceed the 15 digits a spreadsheet keeps.
        ("seed", Cell::text(seed.to_string())),
        ("trials", Cell::Number(trials as f64, Style::Integer)),
    ]
}

/// The run-details rows of a document.
fn doc_details(doc: &Document, extras: Extras) -> Vec<(&'static str, Cell)> {
    let mut rows = provenance(&doc.provenance);
    rows.extend([
        (
            "horizon months",
            Cell::Number(doc.horizon_months as f64, Style::Integer),
        ),
        ("input hash", Cell::text(doc.provenance.input_hash.as_str())),
        (
            "plans",
            Cell::text(
                doc.plans
                    .iter()
                    .map(|p| p.plan.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
    ]);
    if let Some(s) = extras.scenario {
        rows.push(("scenario file", Cell::text(s.path.display().to_string())));
        if let Some(sheet) = &s.sheet {
            rows.push(("scenario sheet", Cell::text(sheet.as_str())));
        }
    }
    if let Some(samples) = extras.samples {
        rows.push((
            "histogram trials",
            Cell::Number(samples.trials as f64, Style::Integer),
        ));
    }
    rows
}

fn details(rows: &[(&str, Cell)]) -> Sheet {
    let mut sheet = Sheet::new("run", &["field", "value"]);
    for (k, v) in rows {
        sheet.push(vec![Cell::text(*k), v.clone()]);
    }
    sheet
}

/// The sheets of a result document, in reading order (the caller adds
/// its run details last).
fn document_sheets(book: &mut Book, doc: &Document, extras: Extras) {
    book.add(summary_sheet(doc));
    book.add(plans_sheet(doc));
    let monthly = monthly_sheet(doc);
    let distribution = extras.samples.map(|s| distribution_sheet(doc, s));
    book.add(charts_sheet(doc, &monthly.1, distribution.as_ref()));
    book.add(channels_sheet(doc));
    book.add(monthly.0);
    book.add(monthly_spend_sheet(doc));
    book.add(targets_sheet(doc));
    book.add(comparisons_sheet(doc));
    if !doc.ranking.is_empty() {
        book.add(ranking_sheet(doc));
    }
    if let Some(s) = extras.scenario {
        book.add(assumptions_sheet(s));
    }
    if let Some((sheet, _)) = distribution {
        book.add(sheet);
    }
}

fn summary_sheet(doc: &Document) -> Sheet {
    let mut sheet = Sheet::new(
        "summary",
        &header_with_stats(
            &["plan", "stage", "metric", "label"],
            &["assumptions share", "luck share", "share se"],
        ),
    );
    // Group by group: the table's rows, then the totals it leaves out.
    let order: Vec<Total> = Group::ALL
        .into_iter()
        .flat_map(|g| {
            let shown = super::table::SHOWN.into_iter();
            let rest = Total::ALL
                .into_iter()
                .filter(|m| !super::table::SHOWN.contains(m));
            shown.chain(rest).filter(move |m| m.group() == g)
        })
        .collect();
    for plan in &doc.plans {
        for m in &order {
            let Some(s) = plan.metrics.get(m.name()) else {
                continue;
            };
            let mut row = vec![
                Cell::text(&plan.plan),
                Cell::text(m.group().name().to_uppercase()),
                Cell::text(m.name()),
                Cell::text(m.label()),
            ];
            row.extend(stats(s, total_style(*m)));
            if let Some(v) = &s.variance {
                row.extend([
                    Cell::Number(v.assumptions, Style::Percent),
                    Cell::Number(v.luck, Style::Percent),
                    Cell::Number(v.se, Style::Percent),
                ]);
            }
            sheet.push(row);
        }
    }
    sheet
}

fn total_spend(plan: &PlanDoc) -> f64 {
    plan.spend.values().sum()
}

fn plans_sheet(doc: &Document) -> Sheet {
    let mut header = vec![
        "plan",
        "total spend",
        "probability of loss",
        "payback median month",
        "share paying back",
    ];
    let channels: Vec<&String> = doc
        .plans
        .first()
        .map_or(Vec::new(), |p| p.spend.keys().collect::<Vec<_>>());
    let spend_headers: Vec<String> = channels.iter().map(|c| format!("spend {c}")).collect();
    header.extend(spend_headers.iter().map(String::as_str));
    let mut sheet = Sheet::new("plans", &header);
    for plan in &doc.plans {
        let mut row = vec![
            Cell::text(&plan.plan),
            Cell::Number(total_spend(plan), Style::Money),
            Cell::Number(plan.probability_of_loss, Style::Percent),
            Cell::num(plan.payback_median_month, Style::Month),
            Cell::Number(plan.payback_share(doc.provenance.trials), Style::Percent),
        ];
        row.extend(
            channels
                .iter()
                .map(|c| Cell::num(plan.spend.get(*c).copied(), Style::Money)),
        );
        sheet.push(row);
    }
    sheet
}

fn channels_sheet(doc: &Document) -> Sheet {
    let mut sheet = Sheet::new(
        "channels",
        &header_with_stats(&["plan", "channel", "metric"], &[]),
    );
    for plan in &doc.plans {
        for (channel, metrics) in &plan.channels {
            for (metric, s) in metrics {
                let mut row = vec![
                    Cell::text(&plan.plan),
                    Cell::text(channel),
                    Cell::text(metric),
                ];
                row.extend(stats(s, style_of_name(metric)));
                sheet.push(row);
            }
        }
    }
    sheet
}

/// Where each plan's cumulative-profit series sits on the monthly sheet
/// (first and last worksheet row), for the fan charts.
type FanRows = Vec<(String, u32, u32)>;

fn monthly_sheet(doc: &Document) -> (Sheet, FanRows) {
    let mut sheet = Sheet::new(
        "monthly",
        &header_with_stats(&["plan", "metric", "month"], &[]),
    );
    let mut fans = Vec::new();
    for plan in &doc.plans {
        for (metric, series) in &plan.monthly {
            let style = Monthly::ALL
                .iter()
                .find(|m| m.name() == metric)
                .map_or(Style::General, |m| Style::of(m.kind()));
            let first = sheet.next_row();
            for m in series {
                let mut row = vec![
                    Cell::text(&plan.plan),
                    Cell::text(metric),
                    Cell::Number(m.month as f64, Style::Integer),
                ];
                row.extend(stats(&m.summary, style));
                sheet.push(row);
            }
            if metric == Monthly::CumulativeProfit.name() && !series.is_empty() {
                fans.push((plan.plan.clone(), first, sheet.next_row() - 1));
            }
        }
    }
    (sheet, fans)
}

fn monthly_spend_sheet(doc: &Document) -> Sheet {
    let mut sheet = Sheet::new("monthly spend", &["plan", "channel", "month", "spend"]);
    for plan in &doc.plans {
        for (channel, months) in &plan.monthly_spend {
            for (i, s) in months.iter().enumerate() {
                sheet.push(vec![
                    Cell::text(&plan.plan),
                    Cell::text(channel),
                    Cell::Number((i + 1) as f64, Style::Integer),
                    Cell::Number(*s, Style::Money),
                ]);
            }
        }
    }
    sheet
}

fn targets_sheet(doc: &Document) -> Sheet {
    let mut sheet = Sheet::new(
        "targets",
        &[
            "plan",
            "channel",
            "metric",
            "op",
            "value",
            "probability",
            "required",
            "met",
        ],
    );
    for plan in &doc.plans {
        for t in &plan.targets {
            sheet.push(vec![
                Cell::text(&plan.plan),
                Cell::text(&t.channel),
                Cell::text(&t.metric),
                Cell::text(&t.op),
                Cell::Number(t.value, style_of_name(&t.metric)),
                Cell::Number(t.probability, Style::Percent),
                Cell::num(t.required, Style::Percent),
                t.met.map_or(Cell::Empty, Cell::Bool),
            ]);
        }
    }
    sheet
}

fn comparisons_sheet(doc: &Document) -> Sheet {
    let mut header = vec![
        "plan",
        "against",
        "metric",
        "plan spend",
        "against spend",
        "plan mean",
        "against mean",
        "mean difference",
        "mean difference low",
        "mean difference high",
        "probability better",
    ];
    // The difference's statistics after its mean, which comes first.
    let difference: Vec<String> = STATS[1..]
        .iter()
        .map(|s| format!("difference {s}"))
        .collect();
    header.extend(difference.iter().map(String::as_str));
    let mut sheet = Sheet::new("comparisons", &header);
    let find = |name: &str| doc.plans.iter().find(|p| p.plan == name);
    for c in &doc.comparisons {
        let style = style_of_name(&c.metric);
        let mean = |p: Option<&PlanDoc>| p.and_then(|p| p.metrics.get(&c.metric)?.mean);
        let spend = |p: Option<&PlanDoc>| p.map(total_spend);
        let (plan, against) = (find(&c.plan), find(&c.against));
        let mut row = vec![
            Cell::text(&c.plan),
            Cell::text(&c.against),
            Cell::text(&c.metric),
            Cell::num(spend(plan), Style::Money),
            Cell::num(spend(against), Style::Money),
            Cell::num(mean(plan), style),
            Cell::num(mean(against), style),
            Cell::num(c.mean_difference, style),
            Cell::num(c.mean_difference_low, style),
            Cell::num(c.mean_difference_high, style),
            Cell::num(c.probability_better, Style::Percent),
        ];
        row.extend(stats(&c.difference, style).into_iter().skip(1));
        sheet.push(row);
    }
    sheet
}

fn ranking_sheet(doc: &Document) -> Sheet {
    // Every plan is ranked; the columns are the plans compared pairwise (all, or the
    // first beyond `simulation::PAIRWISE_PLANS` plans).
    let compared = doc.pairwise_plans();
    let against: Vec<String> = compared
        .iter()
        .map(|p| format!("P(better than {p})"))
        .collect();
    let mut header = vec!["rank", "plan", "mean profit"];
    header.extend(against.iter().map(String::as_str));
    let mut sheet = Sheet::new("ranking", &header);
    for (rank, name) in doc.ranking.iter().enumerate() {
        let mean = doc
            .plans
            .iter()
            .find(|p| &p.plan == name)
            .and_then(|p| p.metric(Total::Profit).mean);
        let mut row = vec![
            Cell::Number((rank + 1) as f64, Style::Integer),
            Cell::text(name),
            Cell::num(mean, Style::Money),
        ];
        row.extend(compared.iter().map(|other| {
            Cell::num(
                doc.pairwise
                    .iter()
                    .find(|c| &c.plan == name && c.against == *other)
                    .and_then(|c| c.probability_better),
                Style::Percent,
            )
        }));
        sheet.push(row);
    }
    sheet
}

fn assumptions_sheet(scenario: &Scenario) -> Sheet {
    let mut sheet = Sheet::new(
        "assumptions",
        &[
            "line",
            "stage",
            "channel",
            "metric",
            "value",
            "distribution",
            "drawn as",
            "note",
        ],
    );
    let drawn = crate::drivers::inputs(scenario);
    for a in &scenario.assumptions {
        let (value, distribution) = match &a.spec {
            ValueSpec::Number(x) => (Cell::Number(*x, Style::General), Cell::Empty),
            spec => (Cell::Empty, Cell::text(spec.to_string())),
        };
        let name = drawn
            .iter()
            .find(|i| i.line == a.line)
            .map_or(Cell::Empty, |i| Cell::text(&i.name));
        sheet.push(vec![
            Cell::Number(a.line as f64, Style::Integer),
            Cell::text(a.stage.name()),
            Cell::text(&a.channel),
            Cell::text(a.metric_label()),
            value,
            distribution,
            name,
            Cell::text(&a.note),
        ]);
    }
    sheet
}

/// Bins of the profit histogram.
const BINS: usize = 40;

/// The histogram's data: per bin its range, middle and each plan's share
/// of trials. Returns the sheet and its last row.
fn distribution_sheet(doc: &Document, samples: &Samples) -> (Sheet, u32) {
    let shares_headers: Vec<String> = doc
        .plans
        .iter()
        .map(|p| format!("share {}", p.plan))
        .collect();
    let mut header = vec!["profit from", "profit to", "profit middle"];
    header.extend(shares_headers.iter().map(String::as_str));
    let mut sheet = Sheet::new("distribution", &header);
    let hists: Vec<Hist> = samples
        .plans
        .iter()
        .map(|p| Hist {
            color: crate::report::charts::plan_color(0),
            dash: None,
            filled: false,
            values: &p.profit,
        })
        .collect();
    let e = edges(&hists, &[], BINS);
    let per_plan: Vec<Vec<f64>> = hists.iter().map(|h| shares(h.values, &e)).collect();
    for b in 0..BINS {
        let mut row = vec![
            Cell::Number(e[b], Style::Money),
            Cell::Number(e[b + 1], Style::Money),
            Cell::Number((e[b] + e[b + 1]) / 2.0, Style::Money),
        ];
        row.extend(per_plan.iter().map(|s| Cell::Number(s[b], Style::Percent)));
        sheet.push(row);
    }
    let last = sheet.next_row() - 1;
    (sheet, last)
}

/// Colours of the plans' series, as the HTML report draws them.
fn color(i: usize) -> String {
    crate::report::charts::css_color(crate::report::charts::plan_color(i))
}

/// Columns of `STATS` after `lead` leading columns.
fn stat_col(lead: u16, stat: &str) -> u16 {
    lead + STATS.iter().position(|s| *s == stat).unwrap_or(0) as u16
}

fn charts_sheet(doc: &Document, fans: &FanRows, distribution: Option<&(Sheet, u32)>) -> Sheet {
    let mut sheet = Sheet::new("charts", &["chart"]);
    let mut row = 1;
    for (i, (plan, first, last)) in fans.iter().enumerate() {
        let mut chart = Chart::new(ChartType::Line);
        chart.title().set_name(&format!(
            "Cumulative profit by month, plan {plan} (P5, P50, P95)"
        ));
        chart.x_axis().set_name("month");
        chart
            .y_axis()
            .set_name("cumulative profit")
            .set_num_format("#,##0");
        for (stat, dash) in [
            ("p95", ChartLineDashType::Dash),
            ("p50", ChartLineDashType::Solid),
            ("p5", ChartLineDashType::Dash),
        ] {
            let col = stat_col(3, stat);
            chart
                .add_series()
                .set_name(&stat.to_uppercase())
                .set_categories(("monthly", *first, 2, *last, 2))
                .set_values(("monthly", *first, col, *last, col))
                .set_format(
                    ChartFormat::new().set_line(
                        ChartLine::new()
                            .set_color(color(i).as_str())
                            .set_dash_type(dash)
                            .set_width(if stat == "p50" { 2.25 } else { 1.25 }),
                    ),
                );
        }
        chart.set_width(720).set_height(360);
        sheet.push(vec![Cell::text(format!("cumulative profit fan, {plan}"))]);
        sheet.charts.push(Placed { row, col: 1, chart });
        row += 19;
        for _ in 0..18 {
            sheet.push(vec![]);
        }
    }
    if let Some((_, last)) = distribution {
        let mut chart = Chart::new(ChartType::Column);
        chart
            .title()
            .set_name("Profit distribution (share of trials)");
        chart.x_axis().set_name("profit").set_num_format("#,##0");
        chart
            .y_axis()
            .set_name("share of trials")
            .set_num_format("0%");
        for (i, plan) in doc.plans.iter().enumerate() {
            let col = 3 + i as u16;
            chart
                .add_series()
                .set_name(plan.plan.as_str())
                .set_categories(("distribution", 1, 2, *last, 2))
                .set_values(("distribution", 1, col, *last, col))
                .set_gap(0)
                .set_format(
                    ChartFormat::new().set_solid_fill(
                        rust_xlsxwriter::ChartSolidFill::new()
                            .set_color(color(i).as_str())
                            .set_transparency(if doc.plans.len() > 1 { 40 } else { 0 }),
                    ),
                );
        }
        chart.set_width(720).set_height(360);
        sheet.push(vec![Cell::text("profit distribution")]);
        sheet.charts.push(Placed { row, col: 1, chart });
    }
    sheet
}

fn estimate(e: &Estimate, style: Style) -> [Cell; 2] {
    [Cell::Number(e.value, style), Cell::Number(e.se, style)]
}

/// `drivers` (and `run --drivers`): the inputs and every analysis table.
fn drivers_sheets(book: &mut Book, d: &DriversDoc) {
    let money = Style::of(
        Total::from_name(&d.metric)
            .map(Total::kind)
            .unwrap_or(Kind::Money),
    );
    let mut inputs = Sheet::new(
        "inputs",
        &["input", "stage", "channel", "metric", "line", "note"],
    );
    for i in &d.inputs {
        inputs.push(vec![
            Cell::text(&i.name),
            Cell::text(&i.stage),
            Cell::text(&i.channel),
            Cell::text(&i.metric),
            Cell::Number(i.line as f64, Style::Integer),
            Cell::text(&i.note),
        ]);
    }
    book.add(inputs);
    let name = |j: usize| Cell::text(d.inputs.get(j).map_or("", |i| i.name.as_str()));
    let a = &d.analysis;
    let mut tornado = Sheet::new(
        "tornado",
        &[
            "input",
            "swing",
            "swing se",
            "low tenth",
            "low tenth se",
            "high tenth",
            "high tenth se",
            "input p10",
            "input p90",
        ],
    );
    for t in &a.tornado {
        let mut row = vec![name(t.input)];
        row.extend(estimate(&t.swing, money));
        row.extend(estimate(&t.low, money));
        row.extend(estimate(&t.high, money));
        row.extend([
            Cell::Number(t.input_p10, Style::General),
            Cell::Number(t.input_p90, Style::General),
        ]);
        tornado.push(row);
    }
    book.add(tornado);
    let mut contributions = Sheet::new("contributions", &["input", "share", "share se"]);
    for c in &a.contributions {
        let mut row = vec![name(c.input)];
        row.extend(estimate(&c.share, Style::Percent));
        contributions.push(row);
    }
    for (label, e) in [("luck", &a.luck), ("interactions", &a.remainder)] {
        let mut row = vec![Cell::text(label)];
        row.extend(estimate(e, Style::Percent));
        contributions.push(row);
    }
    book.add(contributions);
    let mut downside = Sheet::new(
        "downside",
        &["input", "mean percentile", "mean percentile se"],
    );
    for x in &a.downside {
        let mut row = vec![name(x.input)];
        row.extend(estimate(&x.mean_percentile, Style::Ratio));
        downside.push(row);
    }
    book.add(downside);
    if let Some(v) = &a.value_of_information {
        let plan = |k: usize| Cell::text(d.plans.get(k).map_or("", String::as_str));
        let mut voi = Sheet::new(
            "value of information",
            &[
                "input",
                "evppi",
                "evppi se",
                "best when low",
                "best when high",
            ],
        );
        let mut all = vec![Cell::text("all inputs (EVPI)")];
        all.extend(estimate(&v.evpi, money));
        all.extend([plan(v.best_plan), Cell::Empty]);
        voi.push(all);
        for i in &v.inputs {
            let mut row = vec![name(i.input)];
            row.extend(estimate(&i.evppi, money));
            row.extend([plan(i.best_when_low), plan(i.best_when_high)]);
            voi.push(row);
        }
        book.add(voi);
        let mut means = Sheet::new("plan means", &["plan", "mean expected"]);
        for (k, m) in v.plan_means.iter().enumerate() {
            means.push(vec![plan(k), Cell::Number(*m, money)]);
        }
        book.add(means);
    }
}

/// `racesim drivers`.
pub fn drivers(d: &DriversDoc) -> Result<Vec<u8>> {
    let mut book = Book::default();
    drivers_sheets(&mut book, d);
    let mut rows = vec![
        ("scenario", Cell::text(&d.scenario)),
        ("metric", Cell::text(&d.metric)),
    ];
    rows.extend(versions_seed_trials(
        d.model_version,
        d.schema_version,
        d.seed,
        d.trials,
    ));
    rows.extend([
        ("input hash", Cell::text(d.input_hash.as_str())),
        ("plans", Cell::text(d.plans.join(", "))),
    ]);
    book.add(details(&rows));
    book.to_bytes()
}

/// `racesim curves`: one row per (channel, spend point) and a chart of
/// expected profit against spend per channel.
pub fn curves(doc: &CurvesDoc) -> Result<Vec<u8>> {
    let mut book = Book::default();
    let mut sheet = Sheet::new(
        "curves",
        &[
            "channel",
            "spend",
            "scenario spend",
            "customers mean",
            "customers p5",
            "customers p95",
            "revenue mean",
            "revenue p5",
            "revenue p95",
            "profit mean",
            "profit p5",
            "profit p95",
            "marginal roi",
            "marginal roi se",
            "marginal roi low",
            "marginal roi high",
            "expected profit",
            "exact marginal roi",
            "exact marginal roi se",
        ],
    );
    let band = |b: &Band, style: Style| {
        [
            Cell::num(b.mean, style),
            Cell::num(b.p5, style),
            Cell::num(b.p95, style),
        ]
    };
    let mut charts = Sheet::new("charts", &["chart"]);
    let mut chart_row = 1;
    for (i, curve) in doc.curves.iter().enumerate() {
        let first = sheet.next_row();
        for p in &curve.points {
            let m = p.marginal_roi.as_ref();
            let x = p.exact_marginal_roi.as_ref();
            let mut row = vec![
                Cell::text(&curve.channel),
                Cell::Number(p.spend, Style::Money),
                Cell::Number(curve.scenario_spend, Style::Money),
            ];
            row.extend(band(&p.customers, Style::Count));
            row.extend(band(&p.revenue, Style::Money));
            row.extend(band(&p.profit, Style::Money));
            row.extend(estimate_cells(m));
            row.extend([
                Cell::num(p.expected_profit, Style::Money),
                Cell::num(x.map(|m| m.mean), Style::Ratio),
                Cell::num(x.map(|m| m.se), Style::Ratio),
            ]);
            sheet.push(row);
        }
        let last = sheet.next_row() - 1;
        if last < first {
            continue;
        }
        let mut chart = Chart::new(ChartType::ScatterStraight);
        chart.title().set_name(&format!(
            "Profit against {} spend (mean, P5, P95)",
            curve.channel
        ));
        chart.x_axis().set_name("spend").set_num_format("#,##0");
        chart.y_axis().set_name("profit").set_num_format("#,##0");
        for (col, label, dash) in [
            (10, "P95", ChartLineDashType::Dash),
            (9, "mean", ChartLineDashType::Solid),
            (11, "P5", ChartLineDashType::Dash),
        ] {
            chart
                .add_series()
                .set_name(label)
                .set_categories(("curves", first, 1, last, 1))
                .set_values(("curves", first, col, last, col))
                .set_format(
                    ChartFormat::new().set_line(
                        ChartLine::new()
                            .set_color(color(i).as_str())
                            .set_dash_type(dash),
                    ),
                );
        }
        chart.set_width(720).set_height(360);
        charts.push(vec![Cell::text(format!("profit curve, {}", curve.channel))]);
        charts.charts.push(Placed {
            row: chart_row,
            col: 1,
            chart,
        });
        chart_row += 19;
        for _ in 0..18 {
            charts.push(vec![]);
        }
    }
    book.add(sheet);
    book.add(charts);
    let mut rows = provenance(&doc.provenance);
    rows.push(("input hash", Cell::text(doc.provenance.input_hash.as_str())));
    book.add(details(&rows));
    book.to_bytes()
}

/// `racesim optimize`: the recommendation, then the evaluation's sheets.
pub fn optimize(doc: &OptimizeDoc, extras: Extras) -> Result<Vec<u8>> {
    let mut book = Book::default();
    // The CSV's columns, with the standard error beside the estimate.
    let mut header: Vec<String> = Vec::new();
    for column in CHANNEL_COLUMNS {
        header.push(column.replace('_', " "));
        if column == "marginal_roi" {
            header.push("marginal roi se".into());
        }
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut channels = Sheet::new("recommendation", &header);
    for c in &doc.channels {
        let mut row = vec![
            Cell::text(&c.channel),
            Cell::Number(c.current, Style::Money),
            Cell::Number(c.recommended, Style::Money),
            Cell::Number(c.recommended - c.current, Style::Money),
            Cell::Number(c.min, Style::Money),
            Cell::num(c.max, Style::Money),
            Cell::Bool(c.locked),
            c.bound.as_ref().map_or(Cell::Empty, Cell::text),
        ];
        row.extend(estimate_cells(c.marginal_roi.as_deref()));
        channels.push(row);
    }
    book.add(channels);
    let mut fields = Sheet::new("optimization", &["field", "value"]);
    let style =
        Total::from_name(objective_metric(&doc.objective)).map_or(Style::General, total_style);
    let mut field = |k: &str, v: Cell| fields.push(vec![Cell::text(k), v]);
    field("objective", Cell::text(&doc.objective));
    field("budget", Cell::Number(doc.budget, Style::Money));
    field("budget source", Cell::text(&doc.budget_source));
    field("objective current", Cell::num(doc.objective_current, style));
    field(
        "objective recommended",
        Cell::num(doc.objective_recommended, style),
    );
    field("gain", Cell::num(doc.gain, style));
    field("gain low", Cell::num(doc.gain_low, style));
    field("gain high", Cell::num(doc.gain_high, style));
    field(
        "search trials",
        Cell::Number(doc.search.trials as f64, Style::Integer),
    );
    field(
        "search first trial",
        Cell::Number(doc.search.first_trial as f64, Style::Integer),
    );
    field(
        "search candidates",
        Cell::Number(doc.search.candidates as f64, Style::Integer),
    );
    field(
        "search moves",
        Cell::Number(doc.search.moves as f64, Style::Integer),
    );
    field("search objective", Cell::num(doc.search.objective, style));
    if let Some(g) = &doc.goal_seek {
        field("goal", Cell::text(&g.goal));
        field("goal required", Cell::Number(g.required, Style::Percent));
        field("goal max budget", Cell::Number(g.max_budget, Style::Money));
        field("goal reachable", Cell::Bool(g.reachable));
        field("goal steps", Cell::Number(g.steps as f64, Style::Integer));
    }
    if let Some(o) = &doc.optimality {
        field("optimality price", Cell::Number(o.price, Style::Ratio));
        field("optimality unspent", Cell::Number(o.unspent, Style::Money));
        field("optimality holds", Cell::Bool(o.holds));
    }
    book.add(fields);
    if let Some(o) = &doc.optimality {
        let mut sheet = Sheet::new("optimality", &["channel", "bound", "marginal"]);
        for c in &o.channels {
            sheet.push(vec![
                Cell::text(&c.channel),
                Cell::text(&c.bound),
                Cell::Number(c.marginal, Style::Ratio),
            ]);
        }
        book.add(sheet);
    }
    document_sheets(&mut book, &doc.evaluation, extras);
    book.add(details(&doc_details(&doc.evaluation, extras)));
    book.to_bytes()
}

/// The metric an objective's name is about (`p10-profit` → `profit`).
fn objective_metric(objective: &str) -> &str {
    objective
        .rsplit(['-', ':'])
        .next()
        .unwrap_or(objective)
        .split_whitespace()
        .next()
        .unwrap_or("")
}

/// `racesim check`: one row per scenario, gate and moved statistic.
pub fn check(report: &CheckReport) -> Result<Vec<u8>> {
    let mut book = Book::default();
    let mut scenarios = Sheet::new(
        "scenarios",
        &[
            "scenario",
            "passed",
            "baseline status",
            "compared",
            "moved",
            "gates",
            "gates met",
            "trials",
            "seed",
            "file",
            "plans file",
            "baseline file",
            "baseline written",
            "error",
        ],
    );
    let mut gates = Sheet::new(
        "gates",
        &[
            "scenario",
            "target",
            "probability",
            "se",
            "required",
            "met",
            "baseline probability",
        ],
    );
    let mut moved = Sheet::new(
        "changes",
        &[
            "scenario",
            "plan",
            "what",
            "statistic",
            "baseline",
            "now",
            "change",
            "threshold",
        ],
    );
    let mut notes = Sheet::new("notes", &["scenario", "kind", "note"]);
    for r in &report.scenarios {
        let path = |p: &std::path::Path| Cell::text(p.display().to_string());
        scenarios.push(vec![
            Cell::text(&r.scenario),
            Cell::Bool(r.passed),
            Cell::text(
                serde_json::to_value(r.baseline.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
            ),
            Cell::Number(r.baseline.compared as f64, Style::Integer),
            Cell::Number(r.baseline.moved.len() as f64, Style::Integer),
            Cell::Number(r.gates.len() as f64, Style::Integer),
            Cell::Number(
                r.gates.iter().filter(|g| g.met).count() as f64,
                Style::Integer,
            ),
            Cell::num(r.trials.map(|t| t as f64), Style::Integer),
            r.seed.map_or(Cell::Empty, |s| Cell::text(s.to_string())),
            path(&r.file),
            r.plans_file.as_deref().map_or(Cell::Empty, path),
            path(&r.baseline_file),
            Cell::Bool(r.baseline_written),
            r.error.as_ref().map_or(Cell::Empty, Cell::text),
        ]);
        for g in &r.gates {
            gates.push(vec![
                Cell::text(&r.scenario),
                Cell::text(&g.target),
                Cell::Number(g.probability, Style::Percent),
                Cell::Number(g.se, Style::Percent),
                Cell::Number(g.required, Style::Percent),
                Cell::Bool(g.met),
                Cell::num(g.baseline_probability, Style::Percent),
            ]);
        }
        for c in &r.baseline.moved {
            moved.push(vec![
                Cell::text(&r.scenario),
                Cell::text(&c.plan),
                Cell::text(&c.what),
                Cell::text(&c.statistic),
                Cell::num(c.old, Style::General),
                Cell::num(c.new, Style::General),
                Cell::num(c.change, Style::General),
                Cell::Number(c.threshold, Style::General),
            ]);
        }
        for (kind, list) in [
            ("input change", &r.baseline.input_changes),
            ("note", &r.baseline.notes),
        ] {
            for n in list {
                notes.push(vec![
                    Cell::text(&r.scenario),
                    Cell::text(kind),
                    Cell::text(n),
                ]);
            }
        }
    }
    book.add(scenarios);
    book.add(gates);
    book.add(moved);
    book.add(notes);
    let mut fields = vec![
        ("passed", Cell::Bool(report.passed)),
        ("z", Cell::Number(report.z, Style::General)),
        ("update", Cell::Bool(report.update)),
        ("racesim version", Cell::text(env!("CARGO_PKG_VERSION"))),
    ];
    if let Some(why) = &report.update_skipped {
        fields.push(("update skipped", Cell::text(why)));
    }
    book.add(details(&fields));
    book.to_bytes()
}

/// `racesim optimize --frontier`: per budget the best expected profit, its
/// P10 and the split, with the frontier drawn.
pub fn frontier(doc: &crate::optimize::frontier::FrontierDoc) -> Result<Vec<u8>> {
    let mut book = Book::default();
    let channels: Vec<String> = doc
        .channels()
        .iter()
        .map(|c| format!("spend {c}"))
        .collect();
    let mut header = vec![
        "budget",
        "expected profit",
        "mean profit",
        "p10 profit",
        "unspent",
        "marginal roi",
    ];
    header.extend(channels.iter().map(String::as_str));
    let mut sheet = Sheet::new("frontier", &header);
    for p in &doc.points {
        let mut row = vec![
            Cell::Number(p.budget, Style::Money),
            Cell::Number(p.expected_profit, Style::Money),
            Cell::Number(p.mean_profit, Style::Money),
            Cell::Number(p.p10_profit, Style::Money),
            Cell::Number(p.unspent, Style::Money),
            Cell::num(Some(p.marginal_roi), Style::Ratio),
        ];
        row.extend(p.split.iter().map(|(_, s)| Cell::Number(*s, Style::Money)));
        sheet.push(row);
    }
    let last = sheet.next_row() - 1;
    book.add(sheet);
    let mut charts = Sheet::new("charts", &["chart"]);
    if last >= 1 {
        let mut chart = Chart::new(ChartType::ScatterStraightWithMarkers);
        chart
            .title()
            .set_name("Best profit by budget (mean and P10)");
        chart.x_axis().set_name("budget").set_num_format("#,##0");
        chart.y_axis().set_name("profit").set_num_format("#,##0");
        for (col, label) in [(2, "mean profit"), (3, "P10 profit")] {
            chart
                .add_series()
                .set_name(label)
                .set_categories(("frontier", 1, 0, last, 0))
                .set_values(("frontier", 1, col, last, col));
        }
        chart.set_width(720).set_height(360);
        charts.push(vec![Cell::text("efficient frontier")]);
        charts.charts.push(Placed {
            row: 1,
            col: 1,
            chart,
        });
    }
    book.add(charts);
    book.add(details(&[
        ("scenario", Cell::text(&doc.scenario)),
        (
            "schema version",
            Cell::Number(doc.schema_version as f64, Style::Integer),
        ),
        ("seed", Cell::text(doc.seed.to_string())),
        (
            "search trials",
            Cell::Number(doc.search_trials as f64, Style::Integer),
        ),
        (
            "evaluation trials",
            Cell::Number(doc.evaluation_trials as f64, Style::Integer),
        ),
    ]));
    book.to_bytes()
}
