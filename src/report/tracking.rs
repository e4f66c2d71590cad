//! `racesim track --report`: one self-contained HTML page (the run
//! report's style and charts) with each actual drawn over its forecast,
//! channel by channel and month by month, what the update learned, and
//! then → now.

use std::fmt::Write as _;

use anyhow::Result;

use crate::export::format::{percent, thousands};
use crate::report::charts::{self, ActualMonth};
use crate::report::page::{self, esc};
use crate::track::actuals::ActualMetric;
use crate::track::check::ForecastCheck;
use crate::track::posterior::{Posterior, Spread};
use crate::track::reforecast::ThenNow;

/// What the page shows, besides the check, the update and then → now.
pub struct Heading<'a> {
    pub scenario: &'a str,
    pub actuals: &'a str,
    pub months: usize,
    pub trials: u64,
    pub seed: u64,
}

pub fn render(
    heading: &Heading,
    check: &ForecastCheck,
    update: &Posterior,
    then_now: &ThenNow,
) -> Result<String> {
    let mut html = page::head(
        &format!("Tracking: {}", heading.scenario),
        env!("CARGO_PKG_VERSION"),
    );
    html.push_str(&format!(
        r#"<header><h1>Tracking: {name}</h1>
<p>Actuals through month {months} ({actuals}) · {trials} trials · seed {seed}.</p></header>
"#,
        name = esc(heading.scenario),
        months = heading.months,
        actuals = esc(heading.actuals),
        trials = thousands(heading.trials as f64, 0),
        seed = heading.seed,
    ));
    html.push_str(&actuals_section(check)?);
    html.push_str(&update_section(update));
    html.push_str(&then_now_section(then_now));
    html.push_str("</main>\n</body>\n</html>\n");
    Ok(html)
}

/// Every channel's quantities with a forecast, one chart each.
fn actuals_section(check: &ForecastCheck) -> Result<String> {
    let mut s = String::from(
        "<section><h2>Actuals against the forecast</h2>\n<p>Each bar is the forecast made before the campaign (at the spend actually billed): P5–P95 with the median; each dot is the actual, red when it lies outside P5–P95.</p>\n",
    );
    if check.findings.is_empty() {
        s.push_str("<p>Every actual lies within the forecast's P5–P95.</p>\n");
    } else {
        s.push_str("<ul>\n");
        for f in &check.findings {
            let _ = writeln!(s, "<li>{}</li>", esc(&f.sentence()));
        }
        s.push_str("</ul>\n");
    }
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in check.rows.iter().filter(|r| r.metric != "spend") {
        if !keys.contains(&(r.channel.as_str(), r.metric)) {
            keys.push((r.channel.as_str(), r.metric));
        }
    }
    for (channel, metric) in keys {
        let months: Vec<ActualMonth> = check
            .rows
            .iter()
            .filter(|r| r.channel == channel && r.metric == metric)
            .filter_map(|r| {
                Some(ActualMonth {
                    month: r.month,
                    p5: r.p5?,
                    p50: r.p50?,
                    p95: r.p95?,
                    actual: r.actual,
                    flagged: r.flagged,
                })
            })
            .collect();
        if months.is_empty() {
            continue;
        }
        let kind = ActualMetric::kind_of(metric);
        let svg = charts::actuals_over_forecast(&months, metric, kind)?;
        let _ = writeln!(
            s,
            "<figure>{svg}<figcaption>{} {}: forecast P5–P95 and median by month, actuals as dots.</figcaption></figure>",
            esc(channel),
            esc(metric)
        );
    }
    s.push_str("</section>\n");
    Ok(s)
}

/// An assumption's value: large values grouped, small ones to about
/// three significant digits (rates, costs per visit).
pub fn number(x: f64) -> String {
    if x.abs() >= 1000.0 {
        thousands(x, 0)
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// Prior and posterior P5–P95 of each informed assumption, drawn as two
/// bars on the row's own scale.
fn update_section(update: &Posterior) -> String {
    let mut s = String::from(
        "<section><h2>What the actuals taught</h2>\n<p>Each assumption the actuals inform: the prior's P5–P95 (grey) and the posterior's (blue), on the row's own scale.</p>\n<table><thead><tr><th>assumption</th><th>prior mean [P5 – P95]</th><th>posterior mean [P5 – P95]</th><th>shift</th><th style=\"width:40%\"></th></tr></thead><tbody>\n",
    );
    let blue = charts::css_color(charts::PALETTE[0]);
    for a in &update.assumptions {
        let lo = a.prior.p5.min(a.posterior.p5);
        let hi = a.prior.p95.max(a.posterior.p95);
        let span = (hi - lo).max(f64::MIN_POSITIVE);
        let bar = |x: &Spread, color: &str, top: u32| {
            let left = 100.0 * (x.p5 - lo) / span;
            let width = (100.0 * (x.p95 - x.p5) / span).max(0.5);
            format!(
                "<span style=\"position:absolute;left:{left:.2}%;width:{width:.2}%;top:{top}px;height:8px;background:{color}\"></span>"
            )
        };
        let band =
            |x: &Spread| format!("{} [{} – {}]", number(x.mean), number(x.p5), number(x.p95));
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:+.1} sd</td><td><div style=\"position:relative;height:24px\">{}{}</div></td></tr>",
            esc(&a.label),
            band(&a.prior),
            band(&a.posterior),
            a.shift_sd,
            bar(&a.prior, "#8A949E", 2),
            bar(&a.posterior, &blue, 13),
        );
    }
    s.push_str("</tbody></table>\n");
    for w in &update.warnings {
        let _ = writeln!(s, "<p>warning: {}</p>", esc(w));
    }
    s.push_str("</section>\n");
    s
}

fn then_now_section(t: &ThenNow) -> String {
    let mut s = String::from(
        "<section><h2>Then → now</h2>\n<p>The forecast before the campaign against the reforecast from the actuals: P50 [P5 – P95].</p>\n<table><thead><tr><th>metric</th><th>then</th><th>now</th></tr></thead><tbody>\n",
    );
    let band = |b: &crate::track::reforecast::Band| {
        let f = |x: Option<f64>| x.map_or("–".into(), number);
        format!("{} [{} – {}]", f(b.p50), f(b.p5), f(b.p95))
    };
    for m in &t.metrics {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            m.metric,
            band(&m.then),
            band(&m.now)
        );
    }
    for x in &t.targets {
        let _ = writeln!(
            s,
            "<tr><td>P({})</td><td>{}</td><td>{}</td></tr>",
            esc(&x.target),
            percent(x.then),
            percent(x.now)
        );
    }
    s.push_str("</tbody></table></section>\n");
    s
}
