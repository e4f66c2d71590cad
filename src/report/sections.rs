//! The report's nine sections, in the order a reviewer reads them:
//! the answer first, then what it rests on.

use std::fmt::Write;

use anyhow::Result;
use plotters::style::RGBColor;

use super::charts::{self, Bar, Bars, Fan, Hist, Marker, plan_color, plan_dash};
use super::page::{display, esc, money_decimals, num, num_in};
use super::samples::Samples;
use crate::document::Document;
use crate::export::format;
use crate::metrics::{Group, Kind, Total};
use crate::scenario::{Scenario, TargetMetric};
use crate::stats::Summary;

/// Everything a section needs.
pub struct Ctx<'a> {
    pub scenario: &'a Scenario,
    pub doc: &'a Document,
    pub samples: &'a Samples,
}

/// Plans per table: more would not fit a printed page's width.
const PLANS_PER_TABLE: usize = 4;

/// Plans up to which funnel conversion rates are written in the chart;
/// with more they go into a table under it.
const RATES_IN_CHART: usize = 4;

impl Ctx<'_> {
    fn colors(&self) -> Vec<RGBColor> {
        (0..self.doc.plans.len()).map(plan_color).collect()
    }

    fn multi(&self) -> bool {
        self.doc.plans.len() > 1
    }

    /// Plan `i`'s histogram series: every plan filled when there are at
    /// most two, else only the baseline (their fills would blend to grey).
    fn hist<'a>(&self, i: usize, values: &'a [f64]) -> Hist<'a> {
        Hist {
            color: plan_color(i),
            dash: plan_dash(i),
            filled: i == 0 || self.doc.plans.len() <= 2,
            values,
        }
    }

    fn legend(&self) -> String {
        if !self.multi() {
            return String::new();
        }
        let mut s = String::from(r#"<div class="legend">"#);
        for (i, p) in self.doc.plans.iter().enumerate() {
            let _ = write!(s, r#"<span>{}{}</span>"#, swatch(i), esc(&p.plan));
        }
        s.push_str("</div>");
        s
    }

    /// The plans split into groups of at most `PLANS_PER_TABLE`, as even
    /// as possible: one table per group.
    fn plan_groups(&self) -> Vec<std::ops::Range<usize>> {
        let n = self.doc.plans.len();
        let tables = n.div_ceil(PLANS_PER_TABLE).max(1);
        let (size, extra) = (n / tables, n % tables);
        let mut start = 0;
        (0..tables)
            .map(|t| {
                let len = size + usize::from(t < extra);
                let r = start..start + len;
                start += len;
                r
            })
            .collect()
    }

    /// A table's opening: its first column's header `first`, then one
    /// column per plan of `plans`.
    fn plans_table(&self, class: &str, first: &str, plans: std::ops::Range<usize>) -> String {
        format!(
            r#"<div class="wide"><table class="{class}"><thead><tr><th>{first}</th>{}</tr></thead><tbody>"#,
            self.plan_headers(plans)
        )
    }

    fn plan_headers(&self, plans: std::ops::Range<usize>) -> String {
        plans
            .map(|i| {
                format!(
                    r#"<th class="r plan">{}{}</th>"#,
                    swatch(i),
                    esc(&self.doc.plans[i].plan)
                )
            })
            .collect()
    }
}

/// A plan's colour swatch; plans past the palette are outlined the way
/// their lines are dashed.
fn swatch(i: usize) -> String {
    let outline = match charts::css_dash(i) {
        "solid" => String::new(),
        dash => format!(";outline:2px {dash} var(--fg);outline-offset:-2px"),
    };
    format!(
        r#"<span class="swatch" style="background:{}{outline}"></span>"#,
        charts::css_color(plan_color(i))
    )
}

fn figure(id: &str, svg: &str, caption: &str) -> String {
    format!(
        "<figure class=\"chart\" id=\"{id}\">\n{svg}<figcaption>{caption}</figcaption></figure>\n"
    )
}

/// Headline metrics of spec §5 a finance reviewer asks for first, each
/// with what its label leaves to explain.
const HEADLINE: [(Total, &str); 7] = [
    (Total::Profit, ""),
    (Total::Roi, ""),
    (Total::Revenue, ""),
    (Total::Cost, ""),
    (Total::Customers, ""),
    (Total::Ltv, " (gross profit per customer)"),
    (Total::PaybackMonth, " (median over all trials)"),
];

/// A label at the start of a row: "Profit (NPV)".
fn capitalized(label: &str) -> String {
    let mut chars = label.chars();
    chars.next().map_or(String::new(), |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

pub fn headline(c: &Ctx) -> String {
    let mut s = String::from(
        r#"<section id="kpis"><div class="keep"><h2>1. Headline</h2><p>Mean, with the P5 – P95 range underneath: 90 % of simulated outcomes fall inside it.</p>"#,
    );
    for (n, plans) in c.plan_groups().into_iter().enumerate() {
        if n == 1 {
            s.push_str("</div>");
        }
        s.push_str(&c.plans_table("kpi", "metric", plans.clone()));
        for (total, explained) in HEADLINE {
            let (metric, kind) = (total.name(), total.kind());
            let _ = write!(s, "<tr><td>{}{explained}</td>", capitalized(total.label()));
            // One convention per row, set by the headline numbers (means).
            let decimals = (kind == Kind::Money)
                .then(|| money_decimals(c.doc.plans.iter().map(|p| p.metrics[metric].mean)));
            for i in plans.clone() {
                let p = &c.doc.plans[i];
                let m = &p.metrics[metric];
                let key = format!("/plans/{i}/metrics/{metric}");
                if metric == "payback_month" {
                    // The mean over paying trials would read as a payback most trials miss.
                    let median = match p.payback_median_month {
                        Some(_) => num(
                            &format!("/plans/{i}/payback_median_month"),
                            kind,
                            p.payback_median_month,
                        ),
                        None => "not reached".into(),
                    };
                    let _ = write!(
                        s,
                        r#"<td class="r"><span class="mean">{median}</span><span class="range">pays back in {} of trials</span></td>"#,
                        format::percent(p.payback_share(c.doc.provenance.trials))
                    );
                    continue;
                }
                let _ = write!(
                    s,
                    r#"<td class="r"><span class="mean">{}</span><span class="range">{} – {}</span>"#,
                    num_in(&format!("{key}/mean"), kind, m.mean, decimals),
                    num_in(&format!("{key}/p5"), kind, m.p5, decimals),
                    num_in(&format!("{key}/p95"), kind, m.p95, decimals),
                );
                s.push_str("</td>");
            }
            s.push_str("</tr>");
        }
        s.push_str("<tr><td>P(loss): chance that profit is negative</td>");
        for i in plans {
            let p = &c.doc.plans[i];
            let cls = if p.probability_of_loss > 0.2 {
                "bad"
            } else {
                "good"
            };
            let _ = write!(
                s,
                r#"<td class="r"><span class="mean {cls}">{}</span></td>"#,
                num(
                    &format!("/plans/{i}/probability_of_loss"),
                    Kind::Ratio,
                    Some(p.probability_of_loss)
                )
            );
        }
        s.push_str("</tr></tbody></table></div>");
    }
    if c.plan_groups().len() == 1 {
        s.push_str("</div>");
    }
    // Assumptions against luck (spec §7): what research could narrow.
    if let Some(v) = c.doc.plans[0].metrics["profit"].variance {
        let _ = write!(
            s,
            "<p>The spread of profit{}: {} comes from the assumptions, which better research (a test, a pilot, a cohort study) could narrow, and {} from the luck of a finite population of visitors and customers, which nothing narrows.</p>",
            if c.multi() {
                format!(" in plan {}", esc(&c.doc.plans[0].plan))
            } else {
                String::new()
            },
            num(
                "/plans/0/metrics/profit/variance/assumptions",
                Kind::Ratio,
                Some(v.assumptions)
            ),
            num(
                "/plans/0/metrics/profit/variance/luck",
                Kind::Ratio,
                Some(v.luck)
            ),
        );
    }
    s.push_str("</section>\n");
    s
}

pub fn targets(c: &Ctx) -> String {
    let mut s =
        String::from(r#"<section id="targets"><div class="keep"><h2>2. Targets and gates</h2>"#);
    if c.scenario.targets.is_empty() {
        s.push_str("<p>The scenario states no targets (add <code>target</code> rows to see the chance of hitting them).</p></div></section>\n");
        return s;
    }
    s.push_str("<p>Chance that each target holds. A <b>gate</b> must hold in at least its required share of trials (the tick across its bar): ✓ met, ✗ missed. A plain target gets ✓ when it is more likely than not; its bar is green from 80 %, amber from 50 %, red below.</p>");
    for (n, plans) in c.plan_groups().into_iter().enumerate() {
        if n == 1 {
            s.push_str("</div>");
        }
        s.push_str(&c.plans_table("targets", "target", plans.clone()));
        for (k, t) in c.scenario.targets.iter().enumerate() {
            let kind = if t.required.is_some() {
                "gate"
            } else {
                "target"
            };
            let note = if t.note.is_empty() {
                String::new()
            } else {
                format!(r#"<span class="why">{}</span>"#, esc(&t.note))
            };
            let _ = write!(
                s,
                "<tr><td class=\"target\"><code>{}</code> <span class=\"note\">{kind}</span>{note}</td>",
                esc(&t.describe()),
            );
            for i in plans.clone() {
                let r = &c.doc.plans[i].targets[k];
                let ok = r.met.unwrap_or(r.probability >= 0.5);
                let (cls, mark) = if ok { ("good", "✓") } else { ("bad", "✗") };
                let fill = match r.required {
                    Some(_) => cls,
                    None if r.probability >= 0.8 => "good",
                    None if r.probability >= 0.5 => "warn",
                    None => "bad",
                };
                let req = r.required.map_or(String::new(), |q| {
                    format!(r#"<div class="req" style="left:{:.1}%"></div>"#, 100.0 * q)
                });
                let _ = write!(
                    s,
                    r#"<td class="r"><span class="mark {cls}">{mark}</span> {}<div class="bar"><div class="fill {fill}" style="width:{:.1}%"></div>{req}</div></td>"#,
                    num(
                        &format!("/plans/{i}/targets/{k}/probability"),
                        Kind::Ratio,
                        Some(r.probability)
                    ),
                    100.0 * r.probability
                );
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div>");
    }
    if c.plan_groups().len() == 1 {
        s.push_str("</div>");
    }
    s.push_str("</section>\n");
    s
}

fn bar(sm: &Summary) -> Option<Bar> {
    Some(Bar {
        mid: sm.mean?,
        lo: sm.p5?,
        hi: sm.p95?,
    })
}

/// The conversion rate between two stages as a ratio of means.
fn rate(from: &Summary, to: &Summary) -> Option<f64> {
    match (from.mean, to.mean) {
        (Some(a), Some(b)) if a > 0.0 => Some(b / a),
        _ => None,
    }
}

fn rate_text(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{:.1} %", 100.0 * r))
}

/// One funnel chart, with its conversion rates written into the chart
/// (few plans) or as a table under it (many).
fn funnel_chart(
    c: &Ctx,
    id: &str,
    stages: &[(&str, String)],
    summaries: &dyn Fn(usize, &str) -> Summary,
    height: u32,
    caption: &str,
) -> Result<String> {
    let plans = c.doc.plans.len();
    let colors = c.colors();
    let groups: Vec<String> = stages.iter().map(|(_, label)| label.clone()).collect();
    let values: Vec<Vec<Option<Bar>>> = stages
        .iter()
        .map(|(m, _)| (0..plans).map(|i| bar(&summaries(i, m))).collect())
        .collect();
    let rates: Vec<Vec<Option<f64>>> = stages
        .windows(2)
        .map(|w| {
            (0..plans)
                .map(|i| rate(&summaries(i, w[0].0), &summaries(i, w[1].0)))
                .collect()
        })
        .collect();
    let in_chart = plans <= RATES_IN_CHART;
    let between: Vec<Vec<String>> = if in_chart {
        rates
            .iter()
            .map(|row| row.iter().map(|r| format!("→ {}", rate_text(*r))).collect())
            .collect()
    } else {
        Vec::new()
    };
    let svg = charts::bars_log(&Bars {
        groups: &groups,
        colors: &colors,
        values: &values,
        y_desc: "people (log scale)",
        kind: Kind::Count,
        between: &between,
        value_labels: !c.multi(),
        height,
    })?;
    let mut caption = caption.to_string();
    if in_chart {
        caption.push_str(
            " The percentage above a stage is the conversion rate from the stage before it.",
        );
    }
    let mut s = figure(id, &svg, &caption);
    if !in_chart {
        s.push_str(r#"<div class="wide"><table class="rates"><thead><tr><th>conversion rate</th>"#);
        for w in stages.windows(2) {
            let _ = write!(
                s,
                r#"<th class="r">{} → {}</th>"#,
                w[0].0.replace('_', " "),
                w[1].0.replace('_', " ")
            );
        }
        s.push_str("</tr></thead><tbody>");
        for (i, p) in c.doc.plans.iter().enumerate() {
            let _ = write!(
                s,
                "<tr><td class=\"plan\">{}{}</td>",
                swatch(i),
                esc(&p.plan)
            );
            for row in &rates {
                let _ = write!(s, r#"<td class="r">{}</td>"#, rate_text(row[i]));
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div>");
    }
    Ok(s)
}

pub fn funnel(c: &Ctx) -> Result<String> {
    let where_rates = if c.doc.plans.len() <= RATES_IN_CHART {
        "The percentage above each stage is the conversion rate from the stage before it (ratio of means)."
    } else {
        "The table under each chart gives the conversion rates between stages (ratio of means)."
    };
    let mut s = format!(
        r#"<section id="funnel"><div class="keep"><h2>3. RACE funnel</h2><p>Mean per stage (bar) with P5 – P95 whiskers, on a log scale because stages differ by orders of magnitude. {where_rates}</p>"#
    );
    s.push_str(&c.legend());
    let stages: Vec<(&str, String)> = Group::ALL
        .into_iter()
        .filter_map(|g| {
            let people = g.people()?;
            Some((people.name(), format!("{}: {}", g.name(), people.label())))
        })
        .collect();
    s.push_str("<h3>All channels</h3>");
    s.push_str(&funnel_chart(
        c,
        "chart-funnel-total",
        &stages,
        &|i, m| c.doc.plans[i].metrics[m].clone(),
        340,
        &format!(
            "Total funnel, paid and referred visitors together. Active at horizon: customers still active in month {}.",
            c.doc.horizon_months
        ),
    )?);
    s.push_str("</div>");
    for ch in &c.scenario.channels {
        let what = if ch.is_referral {
            " (built-in: visitors referred by existing customers)"
        } else {
            ""
        };
        let _ = write!(s, "<div class=\"keep\"><h3>{}{what}</h3>", esc(&ch.name));
        s.push_str(&funnel_chart(
            c,
            &format!("chart-funnel-{}", ch.name),
            &stages,
            &|i, m| c.doc.plans[i].channels[&ch.name][m].clone(),
            270,
            &format!(
                "Funnel of channel {}: visitors → leads → customers → still active in month {}.",
                esc(&ch.name),
                c.doc.horizon_months
            ),
        )?);
        s.push_str("</div>");
    }
    s.push_str("</section>\n");
    Ok(s)
}

/// Vertical lines at zero and at every `*` target on `metric`.
fn markers(c: &Ctx, metric: &str, kind: Kind) -> Vec<Marker> {
    let mut m = vec![Marker {
        x: 0.0,
        label: "break-even".into(),
        color: charts::FG,
        dashed: false,
    }];
    for t in &c.scenario.targets {
        if t.channel == "*" && t.metric_name == metric && matches!(t.metric, TargetMetric::Total(_))
        {
            m.push(Marker {
                x: t.value,
                label: format!("target {} {}", t.op.symbol(), display(kind, Some(t.value))),
                color: charts::BAD,
                dashed: true,
            });
        }
    }
    m
}

fn sample_note(c: &Ctx, outside: usize) -> String {
    let mut s = format!(
        "Histogram of {} simulated trials per plan",
        format::thousands(c.samples.trials as f64, 0)
    );
    if c.samples.trials < c.doc.provenance.trials {
        let _ = write!(
            s,
            " (the first {} of {}; the headline numbers use all)",
            format::thousands(c.samples.trials as f64, 0),
            format::thousands(c.doc.provenance.trials as f64, 0)
        );
    }
    s.push('.');
    if outside > 0 {
        let _ = write!(
            s,
            " {} extreme trial values lie outside the range shown.",
            format::thousands(outside as f64, 0)
        );
    }
    s
}

/// What the vertical lines of a histogram mean, and which were left out
/// as too far from the data to draw, for its caption.
fn marker_note(marks: &[Marker], left_out: &[Marker]) -> String {
    let mut s = String::new();
    for m in marks {
        if m.dashed {
            let _ = write!(s, " Dashed red line: {}.", esc(&m.label));
        } else {
            let _ = write!(s, " Solid line: {}.", esc(&m.label));
        }
    }
    for m in left_out {
        let _ = write!(
            s,
            " Not drawn, too far from the simulated values: {}.",
            esc(&m.label)
        );
    }
    s
}

fn distribution(c: &Ctx, id: &str, metric: &str, label: &str, kind: Kind) -> Result<String> {
    let series: Vec<Hist> = c
        .samples
        .plans
        .iter()
        .enumerate()
        .map(|(i, p)| c.hist(i, if metric == "roi" { &p.roi } else { &p.profit }))
        .collect();
    let (marks, left_out) = charts::reachable(&series, markers(c, metric, kind));
    let edges = charts::edges(&series, &marks, 40);
    let outside: usize = series
        .iter()
        .map(|h| charts::outside(h.values, &edges))
        .sum();
    let svg = charts::histogram(&series, &edges, label, kind, &marks)?;
    Ok(figure(
        id,
        &svg,
        &format!(
            "{}{}",
            sample_note(c, outside),
            marker_note(&marks, &left_out)
        ),
    ))
}

pub fn distributions(c: &Ctx) -> Result<String> {
    let per_plan = match c.doc.plans.len() {
        1 => "",
        2 => " Each plan in its own colour: outline over a translucent fill.",
        _ => " Each plan's outline in its own colour; the baseline's area is filled.",
    };
    let mut s = format!(
        r#"<section id="distributions"><div class="keep"><h2>4. Profit and ROI distributions</h2><p>How likely each outcome is: the share of trials per range of values.{per_plan} A solid vertical line marks break-even, a dashed red one each of the scenario's targets on that metric.</p>"#
    );
    s.push_str(&c.legend());
    s.push_str("<h3>Profit (NPV)</h3>");
    s.push_str(&distribution(
        c,
        "chart-profit-histogram",
        "profit",
        "profit (NPV, currency units)",
        Kind::Money,
    )?);
    s.push_str("</div><div class=\"keep\"><h3>ROI</h3>");
    s.push_str(&distribution(
        c,
        "chart-roi-histogram",
        "roi",
        "ROI (profit ÷ cost)",
        Kind::Ratio,
    )?);
    s.push_str("</div></section>\n");
    Ok(s)
}

pub fn payback(c: &Ctx) -> Result<String> {
    let mut s = String::from(
        r#"<section id="payback"><div class="keep"><h2>5. When the campaign pays back</h2>"#,
    );
    s.push_str(&c.legend());
    let fans: Vec<Fan> = c
        .doc
        .plans
        .iter()
        .enumerate()
        .map(|(i, p)| Fan {
            color: plan_color(i),
            dash: plan_dash(i),
            months: &p.monthly["cumulative_profit"],
        })
        .collect();
    let svg = charts::fan(&fans)?;
    let others = if c.multi() {
        " Other plans: their median lines."
    } else {
        ""
    };
    s.push_str(&figure(
        "chart-cumulative-profit",
        &svg,
        &format!(
            "Cumulative discounted profit (currency units) by month for plan {}: median line, P25 – P75 (darker band) and P5 – P95 (lighter band). The horizontal line at 0 is break-even; the campaign has paid back where the median crosses it.{others}",
            esc(&c.doc.plans[0].plan)
        ),
    ));
    s.push_str("</div>");
    let series: Vec<Hist> = c
        .samples
        .plans
        .iter()
        .enumerate()
        .map(|(i, p)| c.hist(i, &p.payback_month))
        .collect();
    let edges = charts::month_edges(c.doc.horizon_months);
    let svg = charts::histogram(&series, &edges, "payback month", Kind::Month, &[])?;
    let mut paid = String::new();
    for (i, p) in c.doc.plans.iter().enumerate() {
        let m = &p.metrics["payback_month"];
        let median = p.payback_median_month.map(|_| {
            num(
                &format!("/plans/{i}/payback_median_month"),
                Kind::Month,
                p.payback_median_month,
            )
        });
        let _ = write!(
            paid,
            r#" {}: payback month {}; {} of {} trials pay back within {} months."#,
            esc(&p.plan),
            format::payback(
                median,
                format::percent(p.payback_share(c.doc.provenance.trials))
            ),
            num(
                &format!("/plans/{i}/metrics/payback_month/defined"),
                Kind::Count,
                Some(m.defined as f64)
            ),
            format::thousands(c.doc.provenance.trials as f64, 0),
            c.doc.horizon_months,
        );
    }
    s.push_str(&figure(
        "chart-payback-histogram",
        &svg,
        &format!(
            "Payback month: the first month in which cumulative discounted profit reaches 0. {}{paid}",
            sample_note(c, 0)
        ),
    ));
    s.push_str("</section>\n");
    Ok(s)
}

/// The months a monthly table shows: all of a horizon up to 36 months; of
/// a longer one the first two years, then every twelfth month and the last.
fn table_months(horizon: usize) -> Vec<usize> {
    if horizon <= 36 {
        return (1..=horizon).collect();
    }
    let mut months: Vec<usize> = (1..=24).chain((36..=horizon).step_by(12)).collect();
    if months.last() != Some(&horizon) {
        months.push(horizon);
    }
    months
}

/// Spend by channel and the cash flow, month by month, per plan: when the
/// money goes out, when it comes back, and where cumulative profit stands.
pub fn monthly_cash_flow(c: &Ctx) -> String {
    let mut s = String::from(
        r#"<section id="monthly"><div class="keep"><h2>6. Monthly spend and cash flow</h2><p>Spend per channel as the plan sets it (nominal, in its month), cost (spend plus fixed cost, nominal), mean revenue (nominal) and cumulative discounted profit (P5, median, P95) by month."#,
    );
    let months = table_months(c.doc.horizon_months);
    if months.len() < c.doc.horizon_months {
        s.push_str(" Selected months of the horizon.");
    }
    s.push_str("</p>");
    for (i, p) in c.doc.plans.iter().enumerate() {
        if c.multi() {
            let _ = write!(s, "<h3>{}</h3>", esc(&p.plan));
        }
        // Two tables side by side in the text flow: spend by channel, then
        // the cash flow, so neither grows past a printed page's width.
        s.push_str(r#"<div class="wide"><table class="kpi"><thead><tr><th class="r">month</th>"#);
        for name in p.monthly_spend.keys() {
            let _ = write!(s, r#"<th class="r">{}</th>"#, esc(name));
        }
        s.push_str(r#"<th class="r">cost</th></tr></thead><tbody>"#);
        for &t in &months {
            let _ = write!(s, r#"<tr><td class="r">{t}</td>"#);
            for (name, spend) in &p.monthly_spend {
                let _ = write!(
                    s,
                    r#"<td class="r">{}</td>"#,
                    num(
                        &format!("/plans/{i}/monthly_spend/{name}/{}", t - 1),
                        Kind::Money,
                        spend.get(t - 1).copied()
                    )
                );
            }
            let cost = p.monthly["cost"][t - 1].summary.mean;
            let _ = write!(
                s,
                r#"<td class="r">{}</td></tr>"#,
                num(
                    &format!("/plans/{i}/monthly/cost/{}/mean", t - 1),
                    Kind::Money,
                    cost
                )
            );
        }
        s.push_str("</tbody></table></div>");
        s.push_str(r#"<div class="wide"><table class="kpi"><thead><tr><th class="r">month</th><th class="r">revenue</th><th class="r">cumulative profit P5</th><th class="r">median</th><th class="r">P95</th></tr></thead><tbody>"#);
        for &t in &months {
            let _ = write!(s, r#"<tr><td class="r">{t}</td>"#);
            let cell = |metric: &str, stat: &str, x: Option<f64>| {
                format!(
                    r#"<td class="r">{}</td>"#,
                    num(
                        &format!("/plans/{i}/monthly/{metric}/{}/{stat}", t - 1),
                        Kind::Money,
                        x
                    )
                )
            };
            let at = |metric: &str| &p.monthly[metric][t - 1].summary;
            s.push_str(&cell("revenue", "mean", at("revenue").mean));
            let cp = at("cumulative_profit");
            s.push_str(&cell("cumulative_profit", "p5", cp.p5));
            s.push_str(&cell("cumulative_profit", "p50", cp.p50));
            s.push_str(&cell("cumulative_profit", "p95", cp.p95));
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div>");
        if i == 0 {
            // The heading stays with the first table.
            s.push_str("</div>");
        }
    }
    s.push_str("</section>\n");
    s
}

/// Linear-interpolated quantile of sorted values.
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    match sorted.len() {
        0 => None,
        n => {
            let h = p * (n - 1) as f64;
            let (i, f) = (h.floor() as usize, h.fract());
            let next = sorted[(i + 1).min(n - 1)];
            Some(sorted[i] + f * (next - sorted[i]))
        }
    }
}

pub fn channels(c: &Ctx) -> Result<String> {
    let mut s = String::from(
        r#"<section id="channels"><div class="keep"><h2>7. Channels: ROI and CAC</h2>"#,
    );
    s.push_str(&c.legend());
    let colors = c.colors();
    let paid: Vec<(usize, String)> = c
        .scenario
        .paid_channels()
        .map(|(i, ch)| (i, ch.name.clone()))
        .collect();
    let names: Vec<String> = paid.iter().map(|(_, n)| n.clone()).collect();
    s.push_str("<p>Channel ROI: mean, P5 – P95 and the channel's budget in each plan.</p>");
    for plans in c.plan_groups() {
        s.push_str(&c.plans_table("kpi", "channel", plans.clone()));
        for name in &names {
            let _ = write!(s, "<tr><td>{}</td>", esc(name));
            let spend_decimals =
                money_decimals(c.doc.plans.iter().map(|p| p.spend.get(name).copied()));
            for i in plans.clone() {
                let p = &c.doc.plans[i];
                let roi = &p.channels[name]["roi"];
                let spend = p.spend.get(name).copied();
                if roi.mean.is_none() {
                    let _ = write!(
                        s,
                        r#"<td class="r"><span class="mean">–</span><span class="range">not defined without spend</span><span class="range">spend {}</span></td>"#,
                        num_in(
                            &format!("/plans/{i}/spend/{name}"),
                            Kind::Money,
                            spend,
                            Some(spend_decimals)
                        ),
                    );
                    continue;
                }
                let _ = write!(
                    s,
                    r#"<td class="r"><span class="mean">{}</span><span class="range">{} – {}</span><span class="range">spend {}</span></td>"#,
                    num(
                        &format!("/plans/{i}/channels/{name}/roi/mean"),
                        Kind::Ratio,
                        roi.mean
                    ),
                    num(
                        &format!("/plans/{i}/channels/{name}/roi/p5"),
                        Kind::Ratio,
                        roi.p5
                    ),
                    num(
                        &format!("/plans/{i}/channels/{name}/roi/p95"),
                        Kind::Ratio,
                        roi.p95
                    ),
                    num_in(
                        &format!("/plans/{i}/spend/{name}"),
                        Kind::Money,
                        spend,
                        Some(spend_decimals)
                    ),
                );
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div>");
    }
    s.push_str("</div>");
    let roi: Vec<Vec<Option<Bar>>> = names
        .iter()
        .map(|n| {
            c.doc
                .plans
                .iter()
                .map(|p| bar(&p.channels[n]["roi"]))
                .collect()
        })
        .collect();
    let svg = charts::bars_linear(&Bars {
        groups: &names,
        colors: &colors,
        values: &roi,
        y_desc: "channel ROI",
        kind: Kind::Ratio,
        between: &[],
        value_labels: !c.multi(),
        height: 320,
    })?;
    s.push_str(&figure(
        "chart-channel-roi",
        &svg,
        "Channel ROI: (channel gross profit − channel spend) ÷ channel spend, present values; bar = mean, whiskers = P5 – P95. Referred customers are not credited to any paid channel.",
    ));
    let cac: Vec<Vec<Option<Bar>>> = paid
        .iter()
        .map(|(ci, _)| {
            c.samples
                .plans
                .iter()
                .map(|p| {
                    let mut v: Vec<f64> = p.channel_cac[*ci]
                        .iter()
                        .copied()
                        .filter(|x| x.is_finite())
                        .collect();
                    v.sort_by(f64::total_cmp);
                    Some(Bar {
                        mid: quantile(&v, 0.5)?,
                        lo: quantile(&v, 0.05)?,
                        hi: quantile(&v, 0.95)?,
                    })
                })
                .collect()
        })
        .collect();
    let svg = charts::bars_linear(&Bars {
        groups: &names,
        colors: &colors,
        values: &cac,
        y_desc: "CAC (currency per customer)",
        kind: Kind::Money,
        between: &[],
        value_labels: !c.multi(),
        height: 320,
    })?;
    s.push_str(&figure(
        "chart-channel-cac",
        &svg,
        &format!(
            "Channel CAC: channel spend (present value) ÷ the channel's new customers, trial by trial; bar = median, whiskers = P5 – P95 over {} trials (CAC is not in the JSON document; its total counterpart is <code>cac</code>).",
            format::thousands(c.samples.trials as f64, 0)
        ),
    ));
    s.push_str("</section>\n");
    Ok(s)
}

pub fn comparison(c: &Ctx) -> Result<String> {
    let mut s = String::from(
        r#"<section id="comparison"><div class="keep"><h2>8. Plans against the baseline</h2>"#,
    );
    if !c.multi() {
        s.push_str("<p>Only the baseline was simulated. Pass <code>--plans PLANS.csv</code> to compare budget allocations trial by trial.</p></div></section>\n");
        return Ok(s);
    }
    let _ = write!(
        s,
        "<p>Every plan is simulated on the same random draws as <b>{}</b> (common random numbers), so the difference is measured trial by trial. P(better): share of trials in which the plan is strictly higher. The interval is the 90 % confidence interval of the mean difference. Money in currency units, ROI differences in percentage points (pp).</p>",
        esc(&c.doc.plans[0].plan)
    );
    s.push_str("<div class=\"wide\"><table><thead><tr><th>plan</th><th>metric</th><th class=\"r\">mean difference</th><th class=\"r\">90 % CI</th><th class=\"r\">P(better)</th></tr></thead><tbody>");
    for (k, cmp) in c.doc.comparisons.iter().enumerate() {
        let kind = Total::from_name(&cmp.metric)
            .map_or(Kind::Money, Total::kind)
            .difference();
        let decimals = (kind == Kind::Money).then(|| money_decimals([cmp.mean_difference]));
        let key = format!("/comparisons/{k}");
        let _ = write!(
            s,
            r#"<tr><td class="plan">{}</td><td>{}</td><td class="r">{}</td><td class="r">{} – {}</td><td class="r">{}</td></tr>"#,
            esc(&cmp.plan),
            if cmp.metric == "roi" {
                "roi (difference in percentage points)"
            } else {
                &cmp.metric
            },
            num_in(
                &format!("{key}/mean_difference"),
                kind,
                cmp.mean_difference,
                decimals
            ),
            num_in(
                &format!("{key}/mean_difference_low"),
                kind,
                cmp.mean_difference_low,
                decimals
            ),
            num_in(
                &format!("{key}/mean_difference_high"),
                kind,
                cmp.mean_difference_high,
                decimals
            ),
            num(
                &format!("{key}/probability_better"),
                Kind::Ratio,
                cmp.probability_better
            ),
        );
    }
    s.push_str("</tbody></table></div></div>");
    let base = &c.samples.plans[0].profit;
    let diffs: Vec<Vec<f64>> = c.samples.plans[1..]
        .iter()
        .map(|p| p.profit.iter().zip(base).map(|(a, b)| a - b).collect())
        .collect();
    let series: Vec<Hist> = diffs
        .iter()
        .enumerate()
        .map(|(i, d)| Hist {
            filled: true,
            ..c.hist(i + 1, d)
        })
        .collect();
    let marks = [Marker {
        x: 0.0,
        label: "no difference".into(),
        color: charts::FG,
        dashed: false,
    }];
    let edges = charts::edges(&series, &marks, 40);
    let outside: usize = series
        .iter()
        .map(|h| charts::outside(h.values, &edges))
        .sum();
    let svg = charts::histogram(
        &series,
        &edges,
        &format!(
            "profit difference against {} (currency units)",
            c.doc.plans[0].plan
        ),
        Kind::Money,
        &marks,
    )?;
    s.push_str(&c.legend());
    s.push_str(&figure(
        "chart-profit-difference",
        &svg,
        &format!(
            "Per-trial profit of each plan minus {}: right of the solid line at 0, the plan earns more. {}",
            esc(&c.doc.plans[0].plan),
            sample_note(c, outside)
        ),
    ));
    s.push_str("</section>\n");
    Ok(s)
}

pub fn assumptions(c: &Ctx) -> String {
    let mut s = String::from(
        r#"<section id="assumptions"><h2>9. Assumptions</h2><p>Every row of the scenario file: what the forecast rests on. Distributions are drawn once per trial; a <code>*</code> row applies to every channel without its own row.</p><div class="wide"><table class="assumptions"><thead><tr><th class="r">line</th><th>stage</th><th>channel</th><th>metric</th><th>value</th><th>note</th></tr></thead><tbody>"#,
    );
    for a in &c.scenario.assumptions {
        let _ = write!(
            s,
            r#"<tr><td class="r">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class="note">{}</td></tr>"#,
            a.line,
            a.stage.name(),
            esc(&a.channel),
            a.metric_label(),
            esc(&a.spec.to_string()),
            esc(&a.note)
        );
    }
    for t in &c.scenario.targets {
        let mut value = format!("{} {}", t.op.symbol(), t.value);
        if let Some(r) = t.required {
            let _ = write!(value, " @ {r}");
        }
        let _ = write!(
            s,
            r#"<tr><td class="r">{}</td><td>target</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class="note">{}</td></tr>"#,
            t.line,
            esc(&t.channel),
            esc(&t.metric_name),
            esc(&value),
            esc(&t.note)
        );
    }
    s.push_str("</tbody></table></div></section>\n");
    s
}

pub fn details(c: &Ctx) -> String {
    let d = c.doc;
    let plans: Vec<String> = d.plans.iter().map(|p| esc(&p.plan)).collect();
    format!(
        r#"<section id="details"><h2>10. Run details</h2><dl>
<dt>scenario</dt><dd>{}</dd>
<dt>plans</dt><dd>{}</dd>
<dt>trials</dt><dd>{}</dd>
<dt>seed</dt><dd><span class="num" data-key="/seed" data-value="{seed}">{seed}</span></dd>
<dt>horizon</dt><dd>{} months</dd>
<dt>input hash</dt><dd><code>{}</code></dd>
<dt>racesim version</dt><dd>{} (model version {}, JSON schema {})</dd>
</dl><p>Rerunning with the same scenario, plans, trials and seed reproduces every number here exactly (<code>racesim run --format json</code> gives them at full precision).</p></section>
"#,
        esc(&d.provenance.scenario),
        plans.join(", "),
        num("/trials", Kind::Count, Some(d.provenance.trials as f64)),
        d.horizon_months,
        esc(&d.provenance.input_hash),
        esc(&d.provenance.racesim_version),
        d.provenance.model_version,
        d.provenance.schema_version,
        seed = d.provenance.seed,
    )
}

/// What drives profit (spec §8), right after the headline: a tornado of the
/// inputs with the largest swing and the contribution of each to the
/// variance, beside the luck share; with plans, the value of information.
pub fn drivers(c: &Ctx) -> String {
    let Some(d) = &c.samples.drivers else {
        return String::new();
    };
    let a = &d.analysis;
    let name = |j: usize| esc(&d.inputs[j].name);
    let money = |x: f64| format::thousands(x, 0);
    let mut s = String::from(r#"<div id="drivers" class="keep"><h3>What drives profit</h3>"#);
    if d.inputs.is_empty() {
        s.push_str(
            "<p>No assumption is uncertain: the whole spread of profit is luck.</p></div>\n",
        );
        return s;
    }
    let shown: Vec<_> = a.tornado.iter().take(8).collect();
    let lo = shown
        .iter()
        .map(|r| r.low.value.min(r.high.value))
        .fold(f64::INFINITY, f64::min);
    let hi = shown
        .iter()
        .map(|r| r.low.value.max(r.high.value))
        .fold(f64::NEG_INFINITY, f64::max);
    let width = (hi - lo).max(1e-9);
    let pct = |x: f64| 100.0 * (x - lo) / width;
    s.push_str(r#"<figure id="chart-tornado"><div class="wide"><table class="tornado"><thead><tr><th>input (P10 – P90)</th><th class="r">low tenth</th><th>expected profit</th><th>high tenth</th></tr></thead><tbody>"#);
    for r in &shown {
        let (left, right) = (r.low.value.min(r.high.value), r.low.value.max(r.high.value));
        let rises = r.high.value >= r.low.value;
        let _ = write!(
            s,
            r#"<tr><td>{} <span class="range">{} – {}</span></td><td class="r">{}</td><td class="bar"><div class="track"><div class="fill {}" style="left:{:.1}%;width:{:.1}%"></div></div></td><td>{}</td></tr>"#,
            name(r.input),
            format::thousands(r.input_p10, if r.input_p10.abs() < 10.0 { 3 } else { 1 }),
            format::thousands(r.input_p90, if r.input_p90.abs() < 10.0 { 3 } else { 1 }),
            money(r.low.value),
            if rises { "up" } else { "down" },
            pct(left),
            (pct(right) - pct(left)).max(0.5),
            money(r.high.value)
        );
    }
    s.push_str("</tbody></table></div><figcaption>Tornado: mean expected profit with each input in its lowest and in its highest tenth of trials; the inputs with the largest swing first. Solid bars: profit rises with the input; hatched: it falls.</figcaption></figure>");

    // Contribution to variance as one stacked bar.
    let mut parts: Vec<(String, f64)> = a
        .contributions
        .iter()
        .take(5)
        .map(|c| (d.inputs[c.input].name.clone(), c.share.value.max(0.0)))
        .collect();
    let rest: f64 = a
        .contributions
        .iter()
        .skip(5)
        .map(|c| c.share.value.max(0.0))
        .sum();
    if rest > 0.0 {
        parts.push(("other inputs".into(), rest));
    }
    parts.push(("luck".into(), a.luck.value.max(0.0)));
    parts.push(("interactions".into(), a.remainder.value.max(0.0)));
    let total: f64 = parts.iter().map(|p| p.1).sum::<f64>().max(1e-12);
    s.push_str(r#"<figure id="chart-contributions"><div class="stack">"#);
    for (k, (_, share)) in parts.iter().enumerate() {
        let _ = write!(
            s,
            r#"<div class="seg s{}" style="width:{:.2}%"></div>"#,
            k % 8,
            100.0 * share / total
        );
    }
    s.push_str(r#"</div><ul class="legend">"#);
    for (k, (label, share)) in parts.iter().enumerate() {
        let _ = write!(
            s,
            r#"<li><span class="swatch s{}"></span>{} {}</li>"#,
            k % 8,
            esc(label),
            format::percent(*share)
        );
    }
    s.push_str("</ul><figcaption>Contribution to the variance of profit: each input's first-order share (20 rank groups), the luck of a finite population, and interactions. Every share has a bootstrap standard error in <code>racesim drivers</code>.</figcaption></figure>");

    if let Some(v) = &a.value_of_information {
        let _ = write!(
            s,
            r#"<p>Value of information, choosing among {}: knowing every assumption before choosing would be worth {} ± {} in expected profit (EVPI).</p><div class="wide"><table class="kpi"><thead><tr><th>learning this first</th><th class="r">worth (EVPPI)</th><th>best if low</th><th>best if high</th></tr></thead><tbody>"#,
            esc(&d.plans.join(", ")),
            money(v.evpi.value),
            money(v.evpi.se)
        );
        for i in v.inputs.iter().take(5) {
            let _ = write!(
                s,
                r#"<tr><td>{}</td><td class="r">{} ± {}{}</td><td>{}</td><td>{}</td></tr>"#,
                name(i.input),
                money(i.evppi.value),
                money(i.evppi.se),
                if i.evppi.distinguishable() {
                    ""
                } else {
                    " (≈ 0)"
                },
                esc(&d.plans[i.best_when_low]),
                esc(&d.plans[i.best_when_high])
            );
        }
        s.push_str("</tbody></table></div>");
    }
    s.push_str("</div>\n");
    s
}
