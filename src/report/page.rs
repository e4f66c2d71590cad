//! The page around the sections: stylesheet, escaping and number cells.
//!
//! Everything is inline (no scripts, fonts or external stylesheets), so
//! the file can be e-mailed and opened offline.

use crate::export::format;
use crate::metrics::Kind;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// How a number is written for a reader (the JSON keeps full precision).
/// Money is in whole currency units from 100 up, with cents below, and
/// zero is "0"; `num_in` keeps a row of money values to one convention.
pub fn display(kind: Kind, x: Option<f64>) -> String {
    display_in(kind, x, None)
}

/// Decimals for a row of money values: whole units when any of `leading`
/// (the row's headline values) is 100 or more, so a row never mixes
/// "947.01" with "1,979".
pub fn money_decimals(leading: impl IntoIterator<Item = Option<f64>>) -> usize {
    if leading.into_iter().flatten().any(|x| x.abs() >= 100.0) {
        0
    } else {
        2
    }
}

fn display_in(kind: Kind, x: Option<f64>, money_decimals: Option<usize>) -> String {
    let Some(x) = x else { return "–".into() };
    match kind {
        Kind::Money if x == 0.0 => "0".into(),
        Kind::Money => {
            let d = money_decimals.unwrap_or(if x.abs() >= 100.0 { 0 } else { 2 });
            format::thousands(x, d)
        }
        Kind::Ratio => format!("{:.1} %", 100.0 * x),
        Kind::Points => format!("{:.1} pp", 100.0 * x),
        Kind::Count | Kind::Month => format::value(Some(x), kind),
    }
}

/// A number with the exact value it shows in `data-value`, labelled by
/// where it sits in the JSON document (`key`), so a reader's tool or a
/// test can check it against `--format json`.
pub fn num(key: &str, kind: Kind, x: Option<f64>) -> String {
    num_in(key, kind, x, None)
}

/// `num` with money written to `money_decimals` decimals.
pub fn num_in(key: &str, kind: Kind, x: Option<f64>, money_decimals: Option<usize>) -> String {
    let raw = x.map_or(String::new(), |v| format!("{v:?}"));
    format!(
        r#"<span class="num" data-key="{}" data-value="{}">{}</span>"#,
        esc(key),
        raw,
        esc(&display_in(kind, x, money_decimals))
    )
}

/// Everything before a page's first section: the self-contained head
/// (stylesheet inline, no scripts) and the opening of the body.
pub fn head(title: &str, racesim_version: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="racesim {version}">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
"#,
        version = esc(racesim_version),
        title = esc(title),
    )
}

pub const STYLE: &str = r##"
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1d2127; --muted: #5b6470; --grid: #d5d9de;
  --card: #f4f6f8; --border: #dde1e6; --good: #2E9E5B; --bad: #D64541; --warn: #D4A017;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181c; --fg: #e6e9ed; --muted: #9aa3ad; --grid: #3a4048;
    --card: #1f2329; --border: #2f353d; --good: #4cc07f; --bad: #f0625e; --warn: #e8b53a;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--border); }
h3 { font-size: 16px; margin: 18px 0 6px; }
header p { overflow-wrap: anywhere; }
p, figcaption, .muted { color: var(--muted); }
figcaption { font-size: 13px; margin-top: 2px; }
figure { margin: 8px 0 16px; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
svg [fill="#101010"] { fill: var(--fg); }
svg [stroke="#101010"] { stroke: var(--fg); }
svg [stroke="#A0A0A1"] { stroke: var(--grid); }
svg [fill="#FEFEFD"] { fill: var(--bg); }
.tornado td.bar { width: 40%; }
.tornado .track { position: relative; height: 14px; background: var(--border); border-radius: 2px; }
.tornado .fill { position: absolute; top: 0; bottom: 0; background: #3b7dd8; }
.tornado .fill.down { background: repeating-linear-gradient(45deg, #d8793b, #d8793b 4px, #f0b48a 4px, #f0b48a 8px); }
.stack { display: flex; height: 18px; border-radius: 2px; overflow: hidden; margin: 6px 0; }
.seg.s0, .swatch.s0 { background: #3b7dd8; } .seg.s1, .swatch.s1 { background: #d8793b; }
.seg.s2, .swatch.s2 { background: #4aa564; } .seg.s3, .swatch.s3 { background: #b94a9b; }
.seg.s4, .swatch.s4 { background: #c9a227; } .seg.s5, .swatch.s5 { background: #7f7f7f; }
.seg.s6, .swatch.s6 { background: #bbbbbb; } .seg.s7, .swatch.s7 { background: #222222; }
ul.legend { list-style: none; padding-left: 0; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
.wide { overflow-x: auto; margin: 6px 0 12px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-weight: 600; background: var(--card); }
th.plan, td.plan { overflow-wrap: anywhere; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
td.r { white-space: nowrap; }
table.kpi td:first-child { min-width: 7em; }
td.target { min-width: 13em; width: 34%; }
td.target code { overflow-wrap: anywhere; }
td.target .why { display: block; margin-top: 2px; font-size: 13px; color: var(--muted); }
table.assumptions td { overflow-wrap: break-word; }
.kpi .mean { font-size: 18px; font-weight: 600; color: var(--fg); }
.kpi .range { display: block; font-size: 12px; color: var(--muted); white-space: normal; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; margin: 4px 0; }
.legend > span { overflow-wrap: anywhere; }
ul.legend { list-style: none; padding-left: 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.bar { position: relative; height: 14px; background: var(--card); border: 1px solid var(--border); border-radius: 3px; min-width: 80px; }
.bar > .fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 2px; }
.bar > .req { position: absolute; top: -3px; bottom: -3px; width: 2px; background: var(--fg); }
.good { color: var(--good); } .bad { color: var(--bad); }
.fill.good { background: var(--good); } .fill.bad { background: var(--bad); } .fill.warn { background: var(--warn); }
.mark { font-weight: 700; font-size: 16px; }
.note { font-size: 13px; color: var(--muted); }
code { font-size: 13px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: 14px; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
/* No page size: the reader's A4 or Letter choice holds; the content fits
   the narrower of the two (A4: 186 mm between these margins). */
@page { size: auto; margin: 12mm; }
@media print {
  :root { --bg: #ffffff; --fg: #000000; --muted: #444444; --grid: #cccccc; --card: #f2f2f2; --border: #cccccc;
          --good: #2E9E5B; --bad: #D64541; --warn: #D4A017; }
  html, body { background: #fff; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { margin-top: 18px; }
  h2, h3, .legend { break-after: avoid; page-break-after: avoid; }
  p { orphans: 3; widows: 3; }
  /* A heading, its introduction and the first table or chart stay on one
     page; so do small tables, rows and charts. */
  .keep, table.kpi, table.targets, table.rates, tr, .bar, dl { break-inside: avoid; page-break-inside: avoid; }
  #assumptions { break-before: page; page-break-before: always; }
  .wide { overflow: visible; }
  table { font-size: 8.5pt; }
  th, td { padding: 3px 5px; }
  .kpi .mean { font-size: 11pt; }
  .kpi .range, .note, td.target .why, figcaption, code { font-size: 8pt; }
  td.target { min-width: 0; }
  .bar { min-width: 50px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"##;
