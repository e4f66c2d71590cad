//! The report's charts, drawn with plotters into inline SVG strings.
//!
//! Text, axes and grid are drawn in sentinel colours (`FG`, `GRID`) that
//! the page's CSS re-colours through attribute selectors, so one SVG reads
//! well in light mode, dark mode and print without drawing it three times.

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::document::MonthSummary;
use crate::export::format;
use crate::metrics::Kind;

/// Text and axis colour; CSS maps `#101010` to the theme's foreground.
pub const FG: RGBColor = RGBColor(0x10, 0x10, 0x10);
/// Grid colour; CSS maps `#A0A0A1` to the theme's grid colour.
pub const GRID: RGBColor = RGBColor(0xA0, 0xA0, 0xA1);
/// Page background, for boxes behind labels; CSS maps `#FEFEFD` to it.
pub const BG: RGBColor = RGBColor(0xFE, 0xFE, 0xFD);
/// Good and bad: met targets, the break-even line, losses.
pub const GOOD: RGBColor = RGBColor(0x2E, 0x9E, 0x5B);
pub const BAD: RGBColor = RGBColor(0xD6, 0x45, 0x41);
/// Plan colours, mid-luminance so they read on light and dark pages, none
/// of them the red of targets and losses (the most distinct first: blue,
/// orange, teal, magenta, …). Plan 0 is the baseline.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0x2E, 0x86, 0xDE), // blue
    RGBColor(0xE6, 0x7E, 0x22), // orange
    RGBColor(0x16, 0xA0, 0x85), // teal
    RGBColor(0xC0, 0x39, 0x8B), // magenta
    RGBColor(0x8E, 0x7C, 0xC3), // lavender
    RGBColor(0xB8, 0x86, 0x0B), // dark gold
    RGBColor(0x6A, 0xA8, 0x3A), // green
    RGBColor(0xA4, 0x6E, 0x52), // brown
    RGBColor(0x8A, 0x94, 0x9E), // grey
    RGBColor(0x19, 0xA0, 0xC0), // cyan
];

pub fn plan_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Plans past the palette reuse its colours with dashed lines: the dash
/// length and gap in pixels, `None` for a solid line.
pub fn plan_dash(i: usize) -> Option<(u32, u32)> {
    match i / PALETTE.len() {
        0 => None,
        1 => Some((8, 4)),
        2 => Some((3, 3)),
        _ => Some((12, 3)),
    }
}

/// The same as `plan_dash`, as a CSS border style for legends.
pub fn css_dash(i: usize) -> &'static str {
    match i / PALETTE.len() {
        0 => "solid",
        2 => "dotted",
        _ => "dashed",
    }
}

/// Draws `points` as a line, solid or dashed.
fn line<DB, CT, I>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: I,
    style: ShapeStyle,
    dash: Option<(u32, u32)>,
) -> Result<()>
where
    DB: DrawingBackend,
    CT: CoordTranslate,
    I: IntoIterator<Item = CT::From>,
    I::IntoIter: Clone,
    CT::From: Clone + 'static,
{
    match dash {
        None => chart.draw_series(LineSeries::new(points, style)).map(drop),
        Some((size, gap)) => chart
            .draw_series(DashedLineSeries::new(points, size, gap, style))
            .map(drop),
    }
    .map_err(svg_err)
}

pub fn css_color(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

const WIDTH: u32 = 880;
const HEIGHT: u32 = 340;
const FONT: &str = "sans-serif";

/// An axis's tick label: whole numbers, ratios as whole percent.
fn tick(kind: Kind, x: f64) -> String {
    match kind {
        Kind::Money | Kind::Count => format::thousands(x, 0),
        Kind::Ratio => format!("{:.0} %", 100.0 * x),
        Kind::Points => format!("{:.0} pp", 100.0 * x),
        Kind::Month => format!("{x:.0}"),
    }
}

fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&FG)
}

fn svg_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("cannot draw a chart: {e:?}")
}

/// The frame every x-y chart shares: margins, label areas and a plain
/// f64 plane.
pub fn plane<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    y_label_area: u32,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    ChartBuilder::on(root)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x, y)
        .map_err(svg_err)
}

/// Axis labels of an x-y chart.
pub struct Axes<'f> {
    pub x_desc: &'f str,
    pub y_desc: &'f str,
    pub x_labels: usize,
    pub y_labels: usize,
    pub x_format: &'f dyn Fn(&f64) -> String,
    pub y_format: &'f dyn Fn(&f64) -> String,
    /// Vertical grid lines (histograms leave them out: the bars are the
    /// grid).
    pub x_mesh: bool,
}

/// Draws the grid, axes and labels in the house style.
pub fn axes<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    a: Axes,
) -> Result<()> {
    let mut mesh = chart.configure_mesh();
    if !a.x_mesh {
        mesh.disable_x_mesh();
    }
    mesh.max_light_lines(0)
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(FG)
        .label_style(text(14))
        .axis_desc_style(text(15))
        .x_labels(a.x_labels)
        .y_labels(a.y_labels)
        .x_label_formatter(a.x_format)
        .y_label_formatter(a.y_format)
        .x_desc(a.x_desc)
        .y_desc(a.y_desc)
        .draw()
        .map_err(svg_err)
}

/// One distribution drawn in a histogram.
pub struct Hist<'a> {
    pub color: RGBColor,
    /// Dashes of the outline (`plan_dash`), `None` for solid.
    pub dash: Option<(u32, u32)>,
    /// Fill under the outline with the series' colour, translucent. Many
    /// overlapping fills blend into grey, so with several similar
    /// distributions only the reference one is filled.
    pub filled: bool,
    pub values: &'a [f64],
}

/// A labelled vertical line (zero, a target).
pub struct Marker {
    pub x: f64,
    pub label: String,
    pub color: RGBColor,
    /// Reference lines (break-even) are solid and wide; targets are
    /// dashed, so one drawn over the other leaves both visible.
    pub dashed: bool,
}

/// The central 99 % of the pooled finite values of `series`.
fn central_range(series: &[Hist]) -> (f64, f64) {
    let mut pooled: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|x| x.is_finite())
        .collect();
    pooled.sort_by(f64::total_cmp);
    match pooled.len() {
        0 => (0.0, 1.0),
        n => (pooled[(n - 1) * 5 / 1000], pooled[(n - 1) * 995 / 1000]),
    }
}

/// How many widths of the data's central range a marker may lie from it
/// and still be drawn.
const MARKER_REACH: f64 = 1000.0;

/// Splits `markers` into those a histogram of `series` can draw and those
/// it leaves out (for the caption to mention): a marker more than
/// `MARKER_REACH` data widths away would shrink the data to a sliver, and
/// one near the largest floats (a target at 1e307) sends the chart
/// library's axis layout into an endless loop.
pub fn reachable(series: &[Hist], markers: Vec<Marker>) -> (Vec<Marker>, Vec<Marker>) {
    let (lo, hi) = central_range(series);
    let width = (hi - lo).max(hi.abs().max(lo.abs()) * 1e-3).max(1.0);
    let (min, max) = (lo - MARKER_REACH * width, hi + MARKER_REACH * width);
    markers
        .into_iter()
        .partition(|m| m.x.is_finite() && (min..=max).contains(&m.x))
}

/// Bin edges covering the central 99 % of the pooled finite values (and
/// every marker, which `reachable` keeps within reach), so one extreme
/// trial cannot squash the picture.
pub fn edges(series: &[Hist], markers: &[Marker], bins: usize) -> Vec<f64> {
    let (mut lo, mut hi) = central_range(series);
    for m in markers.iter().filter(|m| m.x.is_finite()) {
        lo = lo.min(m.x);
        hi = hi.max(m.x);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = (hi.abs() * 0.1).max(1.0);
        lo -= pad;
        hi += pad;
    }
    let pad = (hi - lo) * 0.02;
    let (lo, hi) = (lo - pad, hi + pad);
    (0..=bins)
        .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
        .collect()
}

/// Integer-centred bins 0.5..=last+0.5, for months.
pub fn month_edges(last: usize) -> Vec<f64> {
    (0..=last).map(|m| m as f64 + 0.5).collect()
}

/// Share of all trials (undefined ones included in the denominator) in
/// each bin; values outside the edges are not counted.
pub fn shares(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let n = edges.len() - 1;
    let mut counts = vec![0u64; n];
    let (lo, hi) = (edges[0], edges[n]);
    let width = (hi - lo) / n as f64;
    for &x in values {
        if x.is_finite() && x >= lo && x <= hi {
            let i = (((x - lo) / width) as usize).min(n - 1);
            counts[i] += 1;
        }
    }
    let total = values.len().max(1) as f64;
    counts.iter().map(|&c| c as f64 / total).collect()
}

/// Number of finite values outside the edges.
pub fn outside(values: &[f64], edges: &[f64]) -> usize {
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    values
        .iter()
        .filter(|x| x.is_finite() && (**x < lo || **x > hi))
        .count()
}

/// Overlaid histograms (share of trials per bin) with vertical markers.
pub fn histogram(
    series: &[Hist],
    edges: &[f64],
    x_desc: &str,
    kind: Kind,
    markers: &[Marker],
) -> Result<String> {
    let all: Vec<Vec<f64>> = series.iter().map(|s| shares(s.values, edges)).collect();
    let top = all
        .iter()
        .flatten()
        .fold(0.0f64, |a, &b| a.max(b))
        .max(1e-9)
        * 1.15;
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = plane(&root, lo..hi, 0.0..top, 64)?;
        axes(
            &mut chart,
            Axes {
                x_desc,
                y_desc: "share of trials",
                x_labels: 8,
                y_labels: 6,
                x_format: &|x| tick(kind, *x),
                y_format: &|y| format!("{:.0} %", 100.0 * y),
                x_mesh: false,
            },
        )?;
        // Each series' own colour, light enough that overlaps stay readable.
        let filled = series.iter().filter(|s| s.filled).count();
        let alpha = if filled > 1 { 0.2 } else { 0.3 };
        for (s, sh) in series.iter().zip(&all).filter(|(s, _)| s.filled) {
            chart
                .draw_series(
                    sh.iter()
                        .enumerate()
                        .filter(|(_, v)| **v > 0.0)
                        .map(|(i, v)| {
                            Rectangle::new(
                                [(edges[i], 0.0), (edges[i + 1], *v)],
                                s.color.mix(alpha).filled(),
                            )
                        }),
                )
                .map_err(svg_err)?;
        }
        for (s, sh) in series.iter().zip(&all) {
            let mut step = vec![(edges[0], 0.0)];
            for (i, v) in sh.iter().enumerate() {
                step.push((edges[i], *v));
                step.push((edges[i + 1], *v));
            }
            step.push((hi, 0.0));
            line(&mut chart, step, s.color.stroke_width(2), s.dash)?;
        }
        // Reference lines first, dashed targets over them.
        let mut order: Vec<&Marker> = markers.iter().collect();
        order.sort_by_key(|m| m.dashed);
        for m in &order {
            let (style, dash) = if m.dashed {
                (m.color.stroke_width(2), Some((7, 4)))
            } else {
                (m.color.stroke_width(3), None)
            };
            line(&mut chart, [(m.x, 0.0), (m.x, top)], style, dash)?;
        }
        for (k, m) in markers.iter().enumerate() {
            let right = m.x > (lo + hi) / 2.0;
            let (anchor, dx) = if right {
                (HPos::Right, -6)
            } else {
                (HPos::Left, 6)
            };
            let (px, py) = chart.backend_coord(&(m.x, top));
            let style = if m.color == FG {
                text(15)
            } else {
                TextStyle::from((FONT, 15).into_font()).color(&m.color)
            };
            root.draw(&Text::new(
                m.label.clone(),
                (px + dx, py + 4 + 18 * k as i32),
                style.pos(Pos::new(anchor, VPos::Top)),
            ))
            .map_err(svg_err)?;
        }
        root.present().map_err(svg_err)?;
    }
    Ok(buf)
}

/// A bar's value with its interval (P5–P95).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub mid: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Grouped bars with whiskers: `values[group][series]`.
pub struct Bars<'a> {
    pub groups: &'a [String],
    pub colors: &'a [RGBColor],
    pub values: &'a [Vec<Option<Bar>>],
    pub y_desc: &'a str,
    pub kind: Kind,
    /// Text between group i and i + 1, one line per series (funnel
    /// conversion rates).
    pub between: &'a [Vec<String>],
    /// Print each bar's value above it (only readable with few series).
    pub value_labels: bool,
    /// Pixel height of the chart (its width is fixed).
    pub height: u32,
}

/// Grouped bars on a log axis: funnel stages span orders of magnitude.
pub fn bars_log(b: &Bars) -> Result<String> {
    let finite = || {
        b.values
            .iter()
            .flatten()
            .flatten()
            .flat_map(|v| [v.mid, v.lo, v.hi])
            .filter(|x| x.is_finite() && *x > 0.0)
    };
    let lo = finite().fold(f64::INFINITY, f64::min);
    let hi = finite().fold(0.0f64, f64::max);
    let (lo, hi) = if lo.is_finite() && hi > 0.0 {
        (lo / 3.0, hi * 4.0)
    } else {
        (0.1, 10.0)
    };
    draw_bars(b, (lo..hi).log_scale(), lo, hi)
}

/// Grouped bars on a linear axis that always shows zero.
pub fn bars_linear(b: &Bars) -> Result<String> {
    let all: Vec<f64> = b
        .values
        .iter()
        .flatten()
        .flatten()
        .flat_map(|v| [v.mid, v.lo, v.hi])
        .filter(|x| x.is_finite())
        .collect();
    let lo = all.iter().copied().fold(0.0f64, f64::min);
    let hi = all.iter().copied().fold(0.0f64, f64::max);
    let pad = ((hi - lo) * 0.12).max(1e-9);
    let (lo, hi) = (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad);
    draw_bars(b, lo..hi, lo, hi)
}

fn draw_bars<Y, R>(b: &Bars, y: R, y_lo: f64, y_hi: f64) -> Result<String>
where
    R: AsRangedCoord<CoordDescType = Y, Value = f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let groups = b.groups.len().max(1);
    let series = b.colors.len().max(1);
    let base = if y_lo > 0.0 { y_lo } else { 0.0 };
    let mut buf = String::new();
    {
        let root: DrawingArea<SVGBackend, Shift> =
            SVGBackend::with_string(&mut buf, (WIDTH, b.height)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_top(20)
            .x_label_area_size(30)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..groups as f64, y)
            .map_err(svg_err)?;
        let kind = b.kind;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .x_labels(0)
            .bold_line_style(GRID.stroke_width(1))
            .axis_style(FG)
            .label_style(text(14))
            .axis_desc_style(text(15))
            .y_labels(6)
            .y_label_formatter(&|v| tick(kind, *v))
            .y_desc(b.y_desc)
            .draw()
            .map_err(svg_err)?;
        if y_lo < 0.0 && y_hi > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0.0), (groups as f64, 0.0)],
                    FG.stroke_width(1),
                ))
                .map_err(svg_err)?;
        }
        let slot = 0.8 / series as f64;
        for (g, row) in b.values.iter().enumerate() {
            for (s, v) in row.iter().enumerate() {
                let Some(v) = v else { continue };
                let color = b.colors[s % b.colors.len()];
                let x0 = g as f64 + 0.1 + slot * s as f64 + slot * 0.08;
                let x1 = x0 + slot * 0.84;
                let xm = (x0 + x1) / 2.0;
                let mid = clamp(v.mid, y_lo, y_hi);
                chart
                    .draw_series([Rectangle::new(
                        [(x0, base), (x1, mid)],
                        color.mix(0.8).filled(),
                    )])
                    .map_err(svg_err)?;
                // Plans past the palette reuse its colours, outlined.
                if s >= PALETTE.len() {
                    chart
                        .draw_series([Rectangle::new([(x0, base), (x1, mid)], FG.stroke_width(2))])
                        .map_err(svg_err)?;
                }
                let (wlo, whi) = (clamp(v.lo, y_lo, y_hi), clamp(v.hi, y_lo, y_hi));
                let cap = slot * 0.2;
                for seg in [
                    [(xm, wlo), (xm, whi)],
                    [(xm - cap, wlo), (xm + cap, wlo)],
                    [(xm - cap, whi), (xm + cap, whi)],
                ] {
                    chart
                        .draw_series(LineSeries::new(seg, FG.stroke_width(1)))
                        .map_err(svg_err)?;
                }
                if b.value_labels {
                    let (px, py) = chart.backend_coord(&(xm, whi.max(mid)));
                    root.draw(&Text::new(
                        tick(kind, v.mid),
                        (px, py - 3),
                        text(14).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    ))
                    .map_err(svg_err)?;
                }
            }
        }
        for (g, name) in b.groups.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(g as f64 + 0.5, y_lo));
            root.draw(&Text::new(
                name.clone(),
                (px, py + 8),
                text(16).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(svg_err)?;
        }
        // The conversion into stage g + 1 sits just above that stage's
        // bars, at their left edge (above any value labels), one line per
        // plan in its colour.
        let line_height = 20;
        for (g, lines) in b.between.iter().enumerate() {
            let next = g + 1;
            let Some(row) = b.values.get(next) else {
                continue;
            };
            let top = row
                .iter()
                .flatten()
                .map(|v| clamp(v.hi, y_lo, y_hi).max(clamp(v.mid, y_lo, y_hi)))
                .fold(y_lo, f64::max);
            let (px, py) = chart.backend_coord(&(next as f64 + 0.1, top));
            let (_, plot_top) = chart.backend_coord(&(next as f64, y_hi));
            let above = if b.value_labels { 22 } else { 6 };
            let first = (py - above - line_height * lines.len() as i32).max(plot_top + 2);
            for (s, line) in lines.iter().enumerate() {
                let color = if series == 1 {
                    FG
                } else {
                    b.colors[s % b.colors.len()]
                };
                root.draw(&Text::new(
                    line.clone(),
                    (px, first + line_height * s as i32),
                    TextStyle::from((FONT, 18).into_font())
                        .color(&color)
                        .pos(Pos::new(HPos::Left, VPos::Top)),
                ))
                .map_err(svg_err)?;
            }
        }
        root.present().map_err(svg_err)?;
    }
    Ok(buf)
}

fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_finite() { x.clamp(lo, hi) } else { lo }
}

/// One plan's monthly cumulative profit.
pub struct Fan<'a> {
    pub color: RGBColor,
    pub dash: Option<(u32, u32)>,
    pub months: &'a [MonthSummary],
}

/// Cumulative profit by month: the first plan's P5–P95 and P25–P75 bands
/// and median, other plans' medians, and the break-even line.
pub fn fan(fans: &[Fan]) -> Result<String> {
    let q = |m: &MonthSummary| {
        let s = &m.summary;
        [s.p5, s.p25, s.p50, s.p75, s.p95]
    };
    let horizon = fans
        .iter()
        .map(|f| f.months.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let values: Vec<f64> = fans
        .iter()
        .flat_map(|f| f.months.iter().flat_map(q))
        .flatten()
        .collect();
    let lo = values.iter().copied().fold(0.0f64, f64::min);
    let hi = values.iter().copied().fold(0.0f64, f64::max);
    let pad = ((hi - lo) * 0.08).max(1.0);
    let (lo, hi) = (lo - pad, hi + pad);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = plane(&root, 1.0..horizon as f64, lo..hi, 80)?;
        axes(
            &mut chart,
            Axes {
                x_desc: "month",
                y_desc: "cumulative profit (NPV)",
                x_labels: horizon.min(13),
                y_labels: 7,
                x_format: &|x| format!("{x:.0}"),
                y_format: &|y| format::thousands(*y, 0),
                x_mesh: true,
            },
        )?;
        let band = |f: &Fan, a: usize, b: usize| -> Vec<(f64, f64)> {
            let upper = f
                .months
                .iter()
                .filter_map(|m| q(m)[b].map(|v| (m.month as f64, v)));
            let lower: Vec<(f64, f64)> = f
                .months
                .iter()
                .filter_map(|m| q(m)[a].map(|v| (m.month as f64, v)))
                .collect();
            upper.chain(lower.into_iter().rev()).collect()
        };
        if let Some(first) = fans.first() {
            chart
                .draw_series([Polygon::new(band(first, 0, 4), first.color.mix(0.18))])
                .map_err(svg_err)?;
            chart
                .draw_series([Polygon::new(band(first, 1, 3), first.color.mix(0.35))])
                .map_err(svg_err)?;
        }
        line(
            &mut chart,
            [(1.0, 0.0), (horizon as f64, 0.0)],
            FG.stroke_width(2),
            None,
        )?;
        for (i, f) in fans.iter().enumerate().rev() {
            let width = if i == 0 { 3 } else { 2 };
            line(
                &mut chart,
                f.months
                    .iter()
                    .filter_map(|m| m.summary.p50.map(|v| (m.month as f64, v)))
                    .collect::<Vec<_>>(),
                f.color.stroke_width(width),
                f.dash,
            )?;
        }
        // The break-even label goes on top of everything, on a patch of
        // page background, at the right end: below the line when the first
        // plan's median ends above it, else above.
        let end_above = fans
            .first()
            .and_then(|f| f.months.last())
            .and_then(|m| m.summary.p50)
            .is_none_or(|v| v >= 0.0);
        let (px, py) = chart.backend_coord(&(horizon as f64, 0.0));
        let label = "break-even";
        let style = text(15);
        let (w, h) = root.estimate_text_size(label, &style).map_err(svg_err)?;
        let (w, h) = (w as i32, h as i32);
        let top = if end_above { py + 4 } else { py - 4 - h - 4 };
        let left = px - 6 - w - 4;
        root.draw(&Rectangle::new(
            [(left, top), (left + w + 8, top + h + 4)],
            BG.mix(0.9).filled(),
        ))
        .map_err(svg_err)?;
        root.draw(&Text::new(
            label,
            (left + 4, top + 2),
            style.pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .map_err(svg_err)?;
        root.present().map_err(svg_err)?;
    }
    Ok(buf)
}

/// One line of a `lines` chart.
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub dash: Option<(u32, u32)>,
    pub points: Vec<(f64, f64)>,
    /// Also mark each point with a dot (the points are few and each is a
    /// solved budget, not a sampled curve).
    pub dots: bool,
}

/// Lines over a money axis (the frontier's budgets), with a zero line when
/// the values cross it and an optional labelled vertical marker (today's
/// budget).
pub fn lines(
    series: &[Series],
    x_desc: &str,
    y_desc: &str,
    y_kind: Kind,
    marker: Option<(f64, &str)>,
) -> Result<String> {
    let finite = |v: &f64| v.is_finite();
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(marker.map(|m| m.0))
        .filter(finite)
        .collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(finite)
        .collect();
    let (x_lo, x_hi) = xs
        .iter()
        .fold((0.0f64, 1.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    let (y_lo, y_hi) = ys
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
            (a.min(y), b.max(y))
        });
    let (y_lo, y_hi) = if y_lo <= y_hi {
        (y_lo, y_hi)
    } else {
        (0.0, 1.0)
    };
    let pad = ((y_hi - y_lo) * 0.08)
        .max(y_hi.abs().max(y_lo.abs()) * 1e-6)
        .max(1e-9);
    let (y_lo, y_hi) = (y_lo - pad, y_hi + pad);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        let mut chart = plane(&root, x_lo..x_hi, y_lo..y_hi, 80)?;
        let y_format = |y: &f64| match y_kind {
            Kind::Money | Kind::Count => format::thousands(*y, 0),
            _ => format!("{y:.2}"),
        };
        axes(
            &mut chart,
            Axes {
                x_desc,
                y_desc,
                x_labels: 8,
                y_labels: 7,
                x_format: &|x| format::thousands(*x, 0),
                y_format: &y_format,
                x_mesh: true,
            },
        )?;
        if y_lo < 0.0 && y_hi > 0.0 {
            line(
                &mut chart,
                [(x_lo, 0.0), (x_hi, 0.0)],
                FG.stroke_width(1),
                None,
            )?;
        }
        if let Some((x, label)) = marker {
            line(
                &mut chart,
                [(x, y_lo), (x, y_hi)],
                FG.stroke_width(1),
                Some((6, 4)),
            )?;
            chart
                .draw_series([Text::new(
                    label.to_string(),
                    (x, y_hi),
                    text(13).pos(Pos::new(HPos::Left, VPos::Top)),
                )])
                .map_err(svg_err)?;
        }
        for s in series {
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            let color = s.color;
            line(&mut chart, points.clone(), color.stroke_width(3), s.dash)?;
            if s.dots {
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(svg_err)?;
            }
            // A legend entry: plotters' legend needs a series handle, so
            // draw an empty one carrying the label.
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(svg_err)?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(BG)
            .border_style(GRID)
            .label_font(text(14))
            .draw()
            .map_err(svg_err)?;
        root.present().map_err(svg_err)?;
    }
    Ok(buf)
}

/// One channel's quantity in the observed months: the forecast's P5–P95
/// and median, and the actual (see `actuals_over_forecast`).
pub struct ActualMonth {
    pub month: usize,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub actual: f64,
    /// Outside P5–P95: drawn in the colour of a miss.
    pub flagged: bool,
}

/// A tracked quantity month by month (`racesim track --report`): each
/// month's forecast P5–P95 as a bar with its median, the actual as a dot.
/// Bars rather than a band, because a campaign is often tracked after one
/// or two months, where a band has no width to show.
pub fn actuals_over_forecast(months: &[ActualMonth], y_desc: &str, kind: Kind) -> Result<String> {
    let values: Vec<f64> = months
        .iter()
        .flat_map(|m| [m.p5, m.p95, m.actual])
        .filter(|v| v.is_finite())
        .collect();
    let lo = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let hi = values
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(1.0);
    let hi = hi + (hi - lo) * 0.08;
    let last = months.iter().map(|m| m.month).max().unwrap_or(1);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, 260)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(0.5..last as f64 + 0.5, lo..hi)
            .map_err(svg_err)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_x_mesh()
            .bold_line_style(GRID.stroke_width(1))
            .axis_style(FG)
            .label_style(text(14))
            .axis_desc_style(text(15))
            .x_labels(last.min(13) + 1)
            .y_labels(5)
            .x_label_formatter(&|x| {
                if x.fract().abs() < 1e-9 && *x >= 1.0 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| tick(kind, *y))
            .x_desc("month")
            .y_desc(y_desc)
            .draw()
            .map_err(svg_err)?;
        let color = PALETTE[0];
        for m in months {
            let t = m.month as f64;
            chart
                .draw_series([Rectangle::new(
                    [(t - 0.2, m.p5), (t + 0.2, m.p95)],
                    color.mix(0.3).filled(),
                )])
                .map_err(svg_err)?;
            line(
                &mut chart,
                [(t - 0.2, m.p50), (t + 0.2, m.p50)],
                color.stroke_width(3),
                None,
            )?;
            let dot = if m.flagged { BAD } else { FG };
            chart
                .draw_series([Circle::new((t, m.actual), 6, dot.filled())])
                .map_err(svg_err)?;
        }
        root.present().map_err(svg_err)?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_count_every_value_inside_the_edges_once() {
        let values = [0.0, 0.5, 1.0, 1.0, 2.0, f64::NAN, 9.0];
        let e = [0.0, 1.0, 2.0];
        let s = shares(&values, &e);
        // The last edge is inclusive; NaN and 9 are out but still in the denominator.
        assert_eq!(s, vec![2.0 / 7.0, 3.0 / 7.0]);
        assert_eq!(outside(&values, &e), 1);
    }

    #[test]
    fn edges_include_markers_and_survive_constant_data() {
        let v = [5.0; 10];
        let h = [Hist {
            color: FG,
            dash: None,
            filled: true,
            values: &v,
        }];
        let e = edges(&h, &[], 4);
        assert_eq!(e.len(), 5);
        assert!(e[0] < 5.0 && e[4] > 5.0);
        let m = [Marker {
            x: -3.0,
            label: "zero".into(),
            color: FG,
            dashed: false,
        }];
        let e = edges(&h, &m, 4);
        assert!(e[0] <= -3.0);
        assert_eq!(shares(&v, &e).iter().sum::<f64>(), 1.0);
    }

    /// CIE L*a*b* of an sRGB colour (D65).
    fn lab(c: RGBColor) -> [f64; 3] {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (lin(c.0), lin(c.1), lin(c.2));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        [
            116.0 * f(y) - 16.0,
            500.0 * (f(x) - f(y)),
            200.0 * (f(y) - f(z)),
        ]
    }

    fn contrast(a: RGBColor, b: RGBColor) -> f64 {
        let l = |c: RGBColor| (lab(c)[0] + 16.0) / 116.0;
        // Relative luminance from L*: Y = ((L* + 16) / 116)^3 above the knee.
        let (ya, yb) = (l(a).powi(3), l(b).powi(3));
        (ya.max(yb) + 0.05) / (ya.min(yb) + 0.05)
    }

    #[test]
    fn ten_plan_colours_are_distinct_and_readable_in_both_themes() {
        let dist = |a: [f64; 3], b: [f64; 3]| {
            ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
        };
        for (i, a) in PALETTE.iter().enumerate() {
            for b in &PALETTE[i + 1..] {
                assert!(dist(lab(*a), lab(*b)) > 20.0, "{a:?} and {b:?} look alike");
            }
            // Not the red of targets and losses.
            assert!(
                dist(lab(*a), lab(BAD)) > 30.0,
                "{a:?} looks like a target line"
            );
            let light = RGBColor(0xff, 0xff, 0xff);
            let dark = RGBColor(0x15, 0x18, 0x1c);
            assert!(contrast(*a, light) > 2.8, "{a:?} on the light page");
            assert!(contrast(*a, dark) > 2.8, "{a:?} on the dark page");
        }
        // Past ten, colours repeat with dashed lines.
        assert_eq!(plan_color(10), plan_color(0));
        assert!((0..10).all(|i| plan_dash(i).is_none()));
        assert!((10..30).all(|i| plan_dash(i).is_some()));
        assert_ne!(plan_dash(10), plan_dash(20));
    }

    #[test]
    fn month_edges_centre_whole_months() {
        let e = month_edges(3);
        assert_eq!(e, vec![0.5, 1.5, 2.5, 3.5]);
        assert_eq!(shares(&[1.0, 2.0, 3.0, 3.0], &e), vec![0.25, 0.25, 0.5]);
    }
}
