//! `optimize --frontier --report FILE`: the efficient frontier as a page a
//! planner can forward: what each budget earns at best, how bad its bad
//! year is (P10), what the next slice of budget buys and where the money
//! goes.

use std::fmt::Write;

use anyhow::Result;

use super::charts::{self, Series};
use super::page::{self, esc, num};
use crate::metrics::Kind;
use crate::optimize::frontier::FrontierDoc;

pub fn render(doc: &FrontierDoc) -> Result<String> {
    let mut html = page::head(
        &format!("Efficient frontier: {}", doc.scenario),
        env!("CARGO_PKG_VERSION"),
    );
    html.push_str(&format!(
        r#"<header><h1>Efficient frontier: {name}</h1>
<p>{points} budgets · the best split of each solved exactly for expected profit on {search} search trials, then simulated on {eval} evaluation trials · seed {seed}. Profit is a present value in the scenario's currency.</p></header>
"#,
        name = esc(&doc.scenario),
        points = doc.points.len(),
        search = crate::export::format::thousands(doc.search_trials as f64, 0),
        eval = crate::export::format::thousands(doc.evaluation_trials as f64, 0),
        seed = doc.seed,
    ));
    html.push_str(&profit_section(doc)?);
    html.push_str(&split_section(doc)?);
    html.push_str(&table(doc));
    html.push_str("</main>\n</body>\n</html>\n");
    Ok(html)
}

fn current_marker(doc: &FrontierDoc) -> Option<(f64, &'static str)> {
    (doc.current_budget > 0.0).then_some((doc.current_budget, " today's budget"))
}

fn profit_section(doc: &FrontierDoc) -> Result<String> {
    let at = |f: fn(&crate::optimize::frontier::FrontierPoint) -> f64| -> Vec<(f64, f64)> {
        doc.points.iter().map(|p| (p.budget, f(p))).collect()
    };
    budget_section(
        doc,
        "frontier",
        "1. Profit by budget",
        "Each point is the best split of that budget. The gap between the lines is the \
         risk: the profit exceeded in 90 % of simulated outcomes. Where the expected-profit \
         line flattens, extra budget buys little; where it falls, the best plan leaves money \
         unspent.",
        &[
            Series {
                label: "expected profit (exact optimum)".into(),
                color: charts::plan_color(0),
                dash: None,
                points: at(|p| p.expected_profit),
                dots: true,
            },
            Series {
                label: "P10 profit (simulated)".into(),
                color: charts::plan_color(1),
                dash: Some((8, 4)),
                points: at(|p| p.p10_profit),
                dots: true,
            },
        ],
        "profit (NPV)",
    )
}

fn split_section(doc: &FrontierDoc) -> Result<String> {
    let channels = doc.channels();
    let series: Vec<Series> = channels
        .iter()
        .enumerate()
        .map(|(k, name)| Series {
            label: (*name).to_string(),
            color: charts::plan_color(k),
            dash: charts::plan_dash(k),
            points: doc
                .points
                .iter()
                .map(|p| (p.budget, p.split[k].1))
                .collect(),
            dots: true,
        })
        .collect();
    budget_section(
        doc,
        "split",
        "2. Where the money goes",
        "The best spend of each paid channel at each budget: a channel enters when its \
         marginal ROI at zero spend beats the others' at the optimum, and stops at its upper \
         bound.",
        &series,
        "channel spend",
    )
}

/// A section with one chart of money against the budget, today's budget
/// marked.
fn budget_section(
    doc: &FrontierDoc,
    id: &str,
    heading: &str,
    intro: &str,
    series: &[Series],
    y_desc: &str,
) -> Result<String> {
    let chart = charts::lines(series, "budget", y_desc, Kind::Money, current_marker(doc))?;
    Ok(format!(
        "<section id=\"{id}\"><div class=\"keep\"><h2>{heading}</h2><p>{intro}</p>{chart}</div></section>\n"
    ))
}

fn table(doc: &FrontierDoc) -> String {
    let mut s = String::from(
        r#"<section id="points"><h2>3. Every budget</h2><div class="wide"><table class="kpi"><thead><tr><th>budget</th><th>expected profit</th><th>P10 profit</th><th>next 10k buys</th><th>marginal ROI</th><th>unspent</th>"#,
    );
    let channels = doc.channels();
    for c in &channels {
        let _ = write!(s, "<th>{}</th>", esc(c));
    }
    s.push_str("</tr></thead><tbody>");
    let mut previous: Option<(f64, f64)> = None;
    for (i, p) in doc.points.iter().enumerate() {
        let key = |field: &str| format!("/points/{i}/{field}");
        let next = previous
            .map(|(b, v)| (p.expected_profit - v) / (p.budget - b) * 10_000.0)
            .filter(|x| x.is_finite());
        let _ = write!(
            s,
            r#"<tr><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td><td class="r">{}</td>"#,
            num(&key("budget"), Kind::Money, Some(p.budget)),
            num(
                &key("expected_profit"),
                Kind::Money,
                Some(p.expected_profit)
            ),
            num(&key("p10_profit"), Kind::Money, Some(p.p10_profit)),
            next.map_or_else(|| "–".into(), crate::export::format::signed_money),
            num(&key("marginal_roi"), Kind::Ratio, Some(p.marginal_roi)),
            num(&key("unspent"), Kind::Money, Some(p.unspent)),
        );
        for (k, (_, spend)) in p.split.iter().enumerate() {
            let _ = write!(
                s,
                r#"<td class="r">{}</td>"#,
                num(
                    &format!("/points/{i}/split/{k}/1"),
                    Kind::Money,
                    Some(*spend)
                )
            );
        }
        s.push_str("</tr>");
        previous = Some((p.budget, p.expected_profit));
    }
    s.push_str(
        "</tbody></table></div><p>Next 10k buys: the extra expected profit per 10,000 more \
         budget since the previous row. Marginal ROI: what the last unit of spend returns in \
         expected profit at the optimum, shared by every channel not held at a bound (0 when \
         money is left unspent).</p></section>\n",
    );
    s
}
