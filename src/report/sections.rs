//! The report's nine sections, in the order a reviewer reads them:
//! the answer first, then what it rests on.

use std::fmt::Write;

use anyhow::Result;
use plotters::style::RGBColor;

use super::charts::{self, Bar, Bars, Fan, Hist, Marker, Units, plan_color};
use super::page::{display, esc, num};
use super::samples::Samples;
use crate::document::Document;
use crate::export::format;
use crate::scenario::{Scenario, TargetMetric};
use crate::stats::Summary;

/// Everything a section needs.
pub struct Ctx<'a> {
    pub scenario: &'a Scenario,
    pub doc: &'a Document,
    pub samples: &'a Samples,
}

impl Ctx<'_> {
    fn colors(&self) -> Vec<RGBColor> {
        (0..self.doc.plans.len()).map(plan_color).collect()
    }

    fn multi(&self) -> bool {
        self.doc.plans.len() > 1
    }

    fn legend(&self) -> String {
        if !self.multi() {
            return String::new();
        }
        let mut s = String::from(r#"<div class="legend">"#);
        for (i, p) in self.doc.plans.iter().enumerate() {
            let _ = write!(
                s,
                r#"<span><span class="swatch" style="background:{}"></span>{}</span>"#,
                charts::css_color(plan_color(i)),
                esc(&p.plan)
            );
        }
        s.push_str("</div>");
        s
    }

    fn plan_headers(&self) -> String {
        self.doc
            .plans
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    r#"<th class="r"><span class="swatch" style="background:{}"></span>{}</th>"#,
                    charts::css_color(plan_color(i)),
                    esc(&p.plan)
                )
            })
            .collect()
    }
}

fn figure(id: &str, svg: &str, caption: &str) -> String {
    format!(
        "<figure class=\"chart\" id=\"{id}\">\n{svg}<figcaption>{caption}</figcaption></figure>\n"
    )
}

/// Headline metrics of spec §5 a finance reviewer asks for first.
const HEADLINE: [(&str, &str, Units); 7] = [
    ("profit", "Profit (NPV)", Units::Money),
    ("roi", "ROI", Units::Percent),
    ("revenue", "Revenue (PV)", Units::Money),
    ("cost", "Cost (PV)", Units::Money),
    ("customers", "Customers", Units::Count),
    ("ltv", "LTV (gross profit per customer)", Units::Money),
    ("payback_month", "Payback month", Units::Month),
];

pub fn headline(c: &Ctx) -> String {
    let mut s = String::from(
        r#"<section id="kpis"><h2>1. Headline</h2><p>Mean, with the P5 – P95 range underneath: 90 % of simulated outcomes fall inside it.</p><table class="kpi"><thead><tr><th>metric</th>"#,
    );
    s.push_str(&c.plan_headers());
    s.push_str("</tr></thead><tbody>");
    for (metric, label, units) in HEADLINE {
        let _ = write!(s, "<tr><td>{label}</td>");
        for (i, p) in c.doc.plans.iter().enumerate() {
            let m = &p.metrics[metric];
            let key = format!("/plans/{i}/metrics/{metric}");
            let _ = write!(
                s,
                r#"<td class="r"><span class="mean">{}</span><span class="range">{} – {}</span>"#,
                num(&format!("{key}/mean"), units, m.mean),
                num(&format!("{key}/p5"), units, m.p5),
                num(&format!("{key}/p95"), units, m.p95),
            );
            if metric == "payback_month" {
                let share = m.defined as f64 / c.doc.trials.max(1) as f64;
                let _ = write!(
                    s,
                    r#"<span class="range">pays back within {} months in {} of trials</span>"#,
                    c.doc.horizon_months,
                    format::percent(share)
                );
            }
            s.push_str("</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("<tr><td>P(loss): chance that profit is negative</td>");
    for (i, p) in c.doc.plans.iter().enumerate() {
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
                Units::Percent,
                Some(p.probability_of_loss)
            )
        );
    }
    s.push_str("</tr></tbody></table></section>\n");
    s
}

pub fn targets(c: &Ctx) -> String {
    let mut s = String::from(r#"<section id="targets"><h2>2. Targets and gates</h2>"#);
    if c.scenario.targets.is_empty() {
        s.push_str("<p>The scenario states no targets (add <code>target</code> rows to see the chance of hitting them).</p></section>\n");
        return s;
    }
    s.push_str("<p>Chance that each target holds. A <b>gate</b> must hold in at least its required share of trials (the black tick): ✓ met, ✗ missed. A plain target gets ✓ when it is more likely than not.</p><table><thead><tr><th>target</th><th>note</th>");
    s.push_str(&c.plan_headers());
    s.push_str("</tr></thead><tbody>");
    for (k, t) in c.scenario.targets.iter().enumerate() {
        let kind = if t.required.is_some() {
            "gate"
        } else {
            "target"
        };
        let _ = write!(
            s,
            "<tr><td><code>{}</code> <span class=\"note\">{kind}</span></td><td class=\"note\">{}</td>",
            esc(&t.describe()),
            esc(&t.note)
        );
        for (i, p) in c.doc.plans.iter().enumerate() {
            let r = &p.targets[k];
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
                    Units::Percent,
                    Some(r.probability)
                ),
                100.0 * r.probability
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></section>\n");
    s
}

fn bar(sm: &Summary) -> Option<Bar> {
    Some(Bar {
        mid: sm.mean?,
        lo: sm.p5?,
        hi: sm.p95?,
    })
}

/// "→ 5.2 %" between two stages, as a ratio of means.
fn rate(from: &Summary, to: &Summary) -> String {
    match (from.mean, to.mean) {
        (Some(a), Some(b)) if a > 0.0 => format!("→ {:.1} %", 100.0 * b / a),
        _ => "→ –".into(),
    }
}

pub fn funnel(c: &Ctx) -> Result<String> {
    let mut s = String::from(
        r#"<section id="funnel"><h2>3. RACE funnel</h2><p>Mean per stage (bar) with P5 – P95 whiskers, on a log scale because stages differ by orders of magnitude. Percentages between stages are conversion rates (ratio of means).</p>"#,
    );
    s.push_str(&c.legend());
    let colors = c.colors();
    let total_stages = ["visitors", "leads", "customers", "active_customers"];
    let groups: Vec<String> = [
        "Reach: visitors",
        "Act: leads",
        "Convert: customers",
        "Engage: active at horizon",
    ]
    .map(String::from)
    .to_vec();
    let values: Vec<Vec<Option<Bar>>> = total_stages
        .iter()
        .map(|m| c.doc.plans.iter().map(|p| bar(&p.metrics[*m])).collect())
        .collect();
    let between: Vec<Vec<String>> = total_stages
        .windows(2)
        .map(|w| {
            c.doc
                .plans
                .iter()
                .map(|p| rate(&p.metrics[w[0]], &p.metrics[w[1]]))
                .collect()
        })
        .collect();
    let svg = charts::bars_log(&Bars {
        groups: &groups,
        colors: &colors,
        values: &values,
        y_desc: "people (log scale)",
        units: Units::Count,
        between: &between,
        value_labels: !c.multi(),
        height: 340,
    })?;
    s.push_str("<div class=\"keep\"><h3>All channels</h3>");
    s.push_str(&figure(
        "chart-funnel-total",
        &svg,
        &format!(
            "Total funnel, paid and referred visitors together. Active at horizon: customers still active in month {}.",
            c.doc.horizon_months
        ),
    ));
    s.push_str("</div>");
    let stages = ["visitors", "leads", "customers"];
    let groups: Vec<String> = ["Reach: visitors", "Act: leads", "Convert: customers"]
        .map(String::from)
        .to_vec();
    for ch in &c.scenario.channels {
        let values: Vec<Vec<Option<Bar>>> = stages
            .iter()
            .map(|m| {
                c.doc
                    .plans
                    .iter()
                    .map(|p| bar(&p.channels[&ch.name][*m]))
                    .collect()
            })
            .collect();
        let between: Vec<Vec<String>> = stages
            .windows(2)
            .map(|w| {
                c.doc
                    .plans
                    .iter()
                    .map(|p| rate(&p.channels[&ch.name][w[0]], &p.channels[&ch.name][w[1]]))
                    .collect()
            })
            .collect();
        let svg = charts::bars_log(&Bars {
            groups: &groups,
            colors: &colors,
            values: &values,
            y_desc: "people (log scale)",
            units: Units::Count,
            between: &between,
            value_labels: !c.multi(),
            height: 270,
        })?;
        let what = if ch.is_referral {
            " (built-in: visitors referred by existing customers)"
        } else {
            ""
        };
        let _ = write!(s, "<div class=\"keep\"><h3>{}{what}</h3>", esc(&ch.name));
        s.push_str(&figure(
            &format!("chart-funnel-{}", ch.name),
            &svg,
            &format!("Funnel of channel {}.", esc(&ch.name)),
        ));
        s.push_str("</div>");
    }
    s.push_str("</section>\n");
    Ok(s)
}

/// Vertical lines at zero and at every `*` target on `metric`.
fn markers(c: &Ctx, metric: &str, units: Units) -> Vec<Marker> {
    let mut m = vec![Marker {
        x: 0.0,
        label: "break-even".into(),
        color: charts::FG,
    }];
    for t in &c.scenario.targets {
        if t.channel == "*" && t.metric_name == metric && matches!(t.metric, TargetMetric::Total(_))
        {
            m.push(Marker {
                x: t.value,
                label: format!("target {} {}", t.op.symbol(), display(units, Some(t.value))),
                color: charts::BAD,
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
    if c.samples.trials < c.doc.trials {
        let _ = write!(
            s,
            " (the first {} of {}; the headline numbers use all)",
            format::thousands(c.samples.trials as f64, 0),
            format::thousands(c.doc.trials as f64, 0)
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

fn distribution(c: &Ctx, id: &str, metric: &str, label: &str, units: Units) -> Result<String> {
    let series: Vec<Hist> = c
        .samples
        .plans
        .iter()
        .enumerate()
        .map(|(i, p)| Hist {
            color: plan_color(i),
            values: if metric == "roi" { &p.roi } else { &p.profit },
        })
        .collect();
    let marks = markers(c, metric, units);
    let edges = charts::edges(&series, &marks, 40);
    let outside: usize = series
        .iter()
        .map(|h| charts::outside(h.values, &edges))
        .sum();
    let svg = charts::histogram(&series, &edges, label, units, &marks)?;
    Ok(figure(id, &svg, &sample_note(c, outside)))
}

pub fn distributions(c: &Ctx) -> Result<String> {
    let mut s = String::from(
        r#"<section id="distributions"><h2>4. Profit and ROI distributions</h2><p>How likely each outcome is. The black line is break-even; red lines are the scenario's targets.</p>"#,
    );
    s.push_str(&c.legend());
    s.push_str("<div class=\"keep\"><h3>Profit (NPV)</h3>");
    s.push_str(&distribution(
        c,
        "chart-profit-histogram",
        "profit",
        "profit (NPV, currency units)",
        Units::Money,
    )?);
    s.push_str("</div><div class=\"keep\"><h3>ROI</h3>");
    s.push_str(&distribution(
        c,
        "chart-roi-histogram",
        "roi",
        "ROI (profit ÷ cost)",
        Units::Percent,
    )?);
    s.push_str("</div></section>\n");
    Ok(s)
}

pub fn payback(c: &Ctx) -> Result<String> {
    let mut s = String::from(r#"<section id="payback"><h2>5. When the campaign pays back</h2>"#);
    s.push_str(&c.legend());
    let fans: Vec<Fan> = c
        .doc
        .plans
        .iter()
        .enumerate()
        .map(|(i, p)| Fan {
            color: plan_color(i),
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
            "Cumulative discounted profit by month for plan {}: median line, P25 – P75 (dark band) and P5 – P95 (light band). Payback is where it crosses break-even.{others}",
            esc(&c.doc.plans[0].plan)
        ),
    ));
    let series: Vec<Hist> = c
        .samples
        .plans
        .iter()
        .enumerate()
        .map(|(i, p)| Hist {
            color: plan_color(i),
            values: &p.payback_month,
        })
        .collect();
    let edges = charts::month_edges(c.doc.horizon_months);
    let svg = charts::histogram(&series, &edges, "payback month", Units::Month, &[])?;
    let mut never = String::new();
    for (i, p) in c.doc.plans.iter().enumerate() {
        let m = &p.metrics["payback_month"];
        let share = 1.0 - m.defined as f64 / c.doc.trials.max(1) as f64;
        let _ = write!(
            never,
            r#" {}: no payback within {} months in <span class="num" data-key="/plans/{i}/metrics/payback_month/defined" data-value="{}">{}</span> of trials."#,
            esc(&p.plan),
            c.doc.horizon_months,
            m.defined,
            format::percent(share)
        );
    }
    s.push_str(&figure(
        "chart-payback-histogram",
        &svg,
        &format!("{}{never}", sample_note(c, 0)),
    ));
    s.push_str("</section>\n");
    Ok(s)
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
    let mut s = String::from(r#"<section id="channels"><h2>6. Channels: ROI and CAC</h2>"#);
    s.push_str(&c.legend());
    let colors = c.colors();
    let paid: Vec<(usize, String)> = c
        .scenario
        .paid_channels()
        .map(|(i, ch)| (i, ch.name.clone()))
        .collect();
    let names: Vec<String> = paid.iter().map(|(_, n)| n.clone()).collect();
    s.push_str("<p>Channel ROI: mean, P5 – P95 and the channel's budget in each plan.</p><table class=\"kpi\"><thead><tr><th>channel</th>");
    s.push_str(&c.plan_headers());
    s.push_str("</tr></thead><tbody>");
    for name in &names {
        let _ = write!(s, "<tr><td>{}</td>", esc(name));
        for (i, p) in c.doc.plans.iter().enumerate() {
            let roi = &p.channels[name]["roi"];
            let _ = write!(
                s,
                r#"<td class="r"><span class="mean">{}</span><span class="range">{} – {}</span><span class="range">spend {}</span></td>"#,
                num(
                    &format!("/plans/{i}/channels/{name}/roi/mean"),
                    Units::Percent,
                    roi.mean
                ),
                num(
                    &format!("/plans/{i}/channels/{name}/roi/p5"),
                    Units::Percent,
                    roi.p5
                ),
                num(
                    &format!("/plans/{i}/channels/{name}/roi/p95"),
                    Units::Percent,
                    roi.p95
                ),
                num(
                    &format!("/plans/{i}/spend/{name}"),
                    Units::Money,
                    p.spend.get(name).copied()
                ),
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
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
        units: Units::Percent,
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
        units: Units::Money,
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
    let mut s = String::from(r#"<section id="comparison"><h2>7. Plans against the baseline</h2>"#);
    if !c.multi() {
        s.push_str("<p>Only the baseline was simulated. Pass <code>--plans PLANS.csv</code> to compare budget allocations trial by trial.</p></section>\n");
        return Ok(s);
    }
    let _ = write!(
        s,
        "<p>Every plan is simulated on the same random draws as <b>{}</b> (common random numbers), so the difference is measured trial by trial. P(better): share of trials in which the plan is strictly higher. The interval is the 90 % confidence interval of the mean difference.</p>",
        esc(&c.doc.plans[0].plan)
    );
    s.push_str("<table><thead><tr><th>plan</th><th>metric</th><th class=\"r\">mean difference</th><th class=\"r\">90 % CI</th><th class=\"r\">P(better)</th></tr></thead><tbody>");
    for (k, cmp) in c.doc.comparisons.iter().enumerate() {
        let units = match cmp.metric.as_str() {
            "roi" => Units::Percent,
            "customers" => Units::Count,
            _ => Units::Money,
        };
        let key = format!("/comparisons/{k}");
        let _ = write!(
            s,
            r#"<tr><td>{}</td><td>{}</td><td class="r">{}</td><td class="r">{} – {}</td><td class="r">{}</td></tr>"#,
            esc(&cmp.plan),
            if cmp.metric == "roi" {
                "roi (difference in percentage points)"
            } else {
                &cmp.metric
            },
            num(
                &format!("{key}/mean_difference"),
                units,
                cmp.mean_difference
            ),
            num(
                &format!("{key}/mean_difference_low"),
                units,
                cmp.mean_difference_low
            ),
            num(
                &format!("{key}/mean_difference_high"),
                units,
                cmp.mean_difference_high
            ),
            num(
                &format!("{key}/probability_better"),
                Units::Percent,
                cmp.probability_better
            ),
        );
    }
    s.push_str("</tbody></table>");
    let base = &c.samples.plans[0].profit;
    let diffs: Vec<Vec<f64>> = c.samples.plans[1..]
        .iter()
        .map(|p| p.profit.iter().zip(base).map(|(a, b)| a - b).collect())
        .collect();
    let series: Vec<Hist> = diffs
        .iter()
        .enumerate()
        .map(|(i, d)| Hist {
            color: plan_color(i + 1),
            values: d,
        })
        .collect();
    let marks = [Marker {
        x: 0.0,
        label: "no difference".into(),
        color: charts::FG,
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
        Units::Money,
        &marks,
    )?;
    s.push_str(&c.legend());
    s.push_str(&figure(
        "chart-profit-difference",
        &svg,
        &format!(
            "Per-trial profit of each plan minus {}: right of the line, the plan earns more. {}",
            esc(&c.doc.plans[0].plan),
            sample_note(c, outside)
        ),
    ));
    s.push_str("</section>\n");
    Ok(s)
}

pub fn assumptions(c: &Ctx) -> String {
    let mut s = String::from(
        r#"<section id="assumptions"><h2>8. Assumptions</h2><p>Every row of the scenario file: what the forecast rests on. Distributions are drawn once per trial; a <code>*</code> row applies to every channel without its own row.</p><table><thead><tr><th class="r">line</th><th>stage</th><th>channel</th><th>metric</th><th>value</th><th>note</th></tr></thead><tbody>"#,
    );
    for a in &c.scenario.assumptions {
        let _ = write!(
            s,
            r#"<tr><td class="r">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class="note">{}</td></tr>"#,
            a.line,
            a.stage.name(),
            esc(&a.channel),
            a.input.def().name,
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
    s.push_str("</tbody></table></section>\n");
    s
}

pub fn details(c: &Ctx) -> String {
    let d = c.doc;
    let plans: Vec<String> = d.plans.iter().map(|p| esc(&p.plan)).collect();
    format!(
        r#"<section id="details"><h2>9. Run details</h2><dl>
<dt>scenario</dt><dd>{}</dd>
<dt>plans</dt><dd>{}</dd>
<dt>trials</dt><dd>{}</dd>
<dt>seed</dt><dd><span class="num" data-key="/seed" data-value="{seed}">{seed}</span></dd>
<dt>horizon</dt><dd>{} months</dd>
<dt>input hash</dt><dd><code>{}</code></dd>
<dt>racesim version</dt><dd>{} (model version {}, JSON schema {})</dd>
</dl><p>Rerunning with the same scenario, plans, trials and seed reproduces every number here exactly (<code>racesim run --format json</code> gives them at full precision).</p></section>
"#,
        esc(&d.scenario),
        plans.join(", "),
        num("/trials", Units::Count, Some(d.trials as f64)),
        d.horizon_months,
        esc(&d.input_hash),
        esc(&d.racesim_version),
        d.model_version,
        d.schema_version,
        seed = d.seed,
    )
}
