//! Black-box tests of the `racesim` command line on valid input: what it
//! tolerates, what `validate` and `run` print in each format, the JSON
//! document of spec §5, reproducibility (spec §6), `--output`, option
//! overrides, and the shipped example scenarios.

use super::common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use common::{EXIT_OK, Workspace, run_json};

// ------------------------------------------------------------ scenario

/// One row of the test scenario: stage, channel, metric, value, note.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// A two-channel shop with every kind of row: plan settings, a saturating
/// channel, `*` defaults and a named override, distributions of every
/// family used by planners, referrals, targets and a gate. Notes with
/// commas exercise quoting.
const SHOP: &[Row] = &[
    ("plan", "*", "horizon_months", "12", "one year"),
    ("plan", "*", "campaign_months", "3", ""),
    (
        "plan",
        "*",
        "gross_margin",
        "0.5",
        "blended margin, after shipping",
    ),
    ("plan", "*", "discount_rate", "0.08", ""),
    ("plan", "*", "fixed_cost", "2000", ""),
    ("reach", "search", "spend", "20000", "agency quote"),
    (
        "reach",
        "search",
        "cost_per_visit",
        "pert(0.9, 1.2, 1.8)",
        "Keyword Planner",
    ),
    ("reach", "search", "audience", "50000", ""),
    ("reach", "social", "spend", "10000", ""),
    ("reach", "social", "cost_per_visit", "0.8", ""),
    ("act", "*", "rate", "beta(42, 958)", "Q2 landing-page test"),
    ("act", "social", "rate", "0.03", ""),
    ("convert", "*", "rate", "pert(0.15, 0.2, 0.3)", ""),
    ("convert", "*", "order_value", "lognormal(150, 40)", ""),
    ("convert", "*", "order_value_cv", "0.5", ""),
    ("engage", "*", "churn", "0.1", ""),
    ("engage", "*", "churn_polarization", "0.3", ""),
    ("engage", "*", "repeat_rate", "0.3", ""),
    ("engage", "*", "referral_rate", "0.05", ""),
    ("target", "*", "roi", ">= 0.25", "board ask"),
    ("target", "*", "profit", "> 0 @ 0.5", "must pay back"),
    ("target", "search", "customers", ">= 100", ""),
];

const SHOP_HORIZON: usize = 12;
const SHOP_FIXED_COST: f64 = 2000.0;
const SHOP_SPEND: f64 = 30000.0;

/// How to write a scenario file; the default is the plain form of spec §2.
#[derive(Clone, Copy, Default, Debug)]
struct Style {
    crlf: bool,
    bom: bool,
    comments: bool,
    blank_lines: bool,
    padding: bool,
    /// Columns in the order value,metric,note,channel,stage.
    reorder_columns: bool,
    quote_numbers: bool,
    mixed_case: bool,
    /// Distributions written without quotes, so their commas split them
    /// over several fields.
    unquoted_distributions: bool,
}

impl Style {
    const ALL: Style = Style {
        crlf: true,
        bom: true,
        comments: true,
        blank_lines: true,
        padding: true,
        reorder_columns: true,
        quote_numbers: true,
        mixed_case: true,
        unquoted_distributions: true,
    };
}

/// Mixed case: `search` → `SeArCh`.
fn mix_case(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn render(rows: &[Row], style: Style) -> Vec<u8> {
    let eol = if style.crlf { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = Vec::new();
    if style.comments {
        lines.push("# shop scenario, written by hand".into());
    }
    let header = ["stage", "channel", "metric", "value", "note"];
    let order: [usize; 5] = if style.reorder_columns {
        [3, 2, 4, 1, 0]
    } else {
        [0, 1, 2, 3, 4]
    };
    let cell = |text: &str, column: usize| -> String {
        let is_number = text.parse::<f64>().is_ok();
        let is_distribution = text.contains('(');
        let mut s = text.to_string();
        if style.mixed_case && column <= 2 && s != "*" {
            s = mix_case(&s);
        }
        if style.mixed_case && column == 3 && is_distribution {
            // Distribution names are case-insensitive too.
            s = s.to_ascii_uppercase();
        }
        let quoted = if column == 3 && is_distribution {
            !style.unquoted_distributions
        } else if column == 3 && is_number {
            style.quote_numbers
        } else {
            s.contains(',')
        };
        if quoted && style.padding {
            // Padding around a quoted field: plain CSV takes such quotes
            // literally, racesim strips them.
            format!("  \"{s}\" ")
        } else if quoted {
            format!("\"{s}\"")
        } else if style.padding {
            format!("  {s} ")
        } else {
            s
        }
    };
    let header_cells: Vec<String> = order
        .iter()
        .map(|&i| {
            if style.mixed_case {
                header[i].to_ascii_uppercase()
            } else {
                header[i].to_string()
            }
        })
        .collect();
    lines.push(header_cells.join(","));
    for (n, r) in rows.iter().enumerate() {
        let fields = [r.0, r.1, r.2, r.3, r.4];
        let cells: Vec<String> = order.iter().map(|&i| cell(fields[i], i)).collect();
        if style.blank_lines && n % 5 == 0 {
            lines.push(String::new());
        }
        if style.comments && n % 7 == 3 {
            lines.push(format!("# about row {n}, with a comma"));
        }
        lines.push(cells.join(","));
    }
    let mut bytes = Vec::new();
    if style.bom {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    for l in lines {
        bytes.extend_from_slice(l.as_bytes());
        bytes.extend_from_slice(eol.as_bytes());
    }
    bytes
}

fn shop_text() -> String {
    String::from_utf8(render(SHOP, Style::default())).unwrap()
}

/// A workspace holding the plain shop scenario as `shop.csv`.
fn shop() -> Workspace {
    let ws = Workspace::new();
    ws.write("shop.csv", shop_text());
    ws
}

fn run_ok(ws: &Workspace, args: &[&str]) -> Vec<u8> {
    let out = ws.run(args);
    out.assert_ok();
    out.stdout
}

// ------------------------------------------------------------ tolerance

/// The JSON of a run, minus `input_hash`, which fingerprints the file's
/// bytes and so differs between two spellings of one scenario by design.
fn json_without_hash(bytes: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut out = Vec::new();
    let mut removed = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("\"input_hash\":") {
            removed += 1;
            continue;
        }
        out.extend_from_slice(line.as_bytes());
    }
    assert_eq!(removed, 1, "the JSON has exactly one input_hash line");
    out
}

/// Runs the shop scenario written in `style` and in the plain style, each
/// as `shop.csv` in its own directory (the scenario name is the file
/// stem), and checks both validate and give the same forecast.
#[track_caller]
fn same_forecast_as_plain(style: Style) {
    let plain = shop();
    let styled = Workspace::new();
    styled.write("shop.csv", render(SHOP, style));
    let v = styled.run(&["validate", "shop.csv"]);
    v.assert_ok();
    let summary = v.stdout_text();
    assert!(
        summary.contains("valid · 3 channels · 19 assumptions (4 uncertain) · 3 targets"),
        "{style:?}:\n{summary}"
    );
    let args = [
        "run", "shop.csv", "-q", "-f", "json", "-n", "2000", "-s", "1",
    ];
    let a = run_ok(&plain, &args);
    let b = run_ok(&styled, &args);
    let (a, b) = (json_without_hash(&a), json_without_hash(&b));
    assert!(
        a == b,
        "{style:?}: the forecast differs from the plain file's:\n{}",
        first_difference(&a, &b)
    );
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: {x:?} vs {y:?}", n + 1);
        }
    }
    format!("lengths {} vs {}", a.len(), b.len())
}

#[test]
fn each_tolerated_spelling_gives_the_same_forecast() {
    let one = |f: fn(&mut Style)| {
        let mut s = Style::default();
        f(&mut s);
        s
    };
    for style in [
        one(|s| s.crlf = true),
        one(|s| s.bom = true),
        one(|s| s.comments = true),
        one(|s| s.blank_lines = true),
        one(|s| s.padding = true),
        one(|s| s.reorder_columns = true),
        one(|s| s.quote_numbers = true),
        one(|s| s.mixed_case = true),
        one(|s| s.unquoted_distributions = true),
    ] {
        same_forecast_as_plain(style);
    }
}

#[test]
fn all_tolerated_spellings_together_give_the_same_forecast() {
    // Check the renderer really produced the awkward file.
    let bytes = render(SHOP, Style::ALL);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("\r\n\r\n"));
    assert!(text.contains("\r\n# about row"));
    assert!(text.contains("VALUE,METRIC,NOTE,CHANNEL,STAGE"));
    assert!(text.contains("  \"20000\" ,"));
    assert!(text.contains("  \"blended margin, after shipping\" "));
    assert!(text.contains("  SeArCh "));
    assert!(text.contains("PERT(0.9, 1.2, 1.8)"));
    assert!(!text.contains("\"PERT"));
    same_forecast_as_plain(Style::ALL);
}

// ------------------------------------------------------------ validate

/// The lines of `validate`'s section `title` (up to the next blank line).
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|l| *l != title);
    assert!(lines.next().is_some(), "no section {title:?} in:\n{text}");
    lines.take_while(|l| !l.trim().is_empty()).collect()
}

/// The line of `section` that starts with the input `label`.
fn input_line<'a>(section: &[&'a str], label: &str) -> &'a str {
    section
        .iter()
        .find(|l| l.split_whitespace().next() == Some(label))
        .unwrap_or_else(|| panic!("no {label} in {section:#?}"))
}

#[test]
fn validate_lists_channels_with_provenance_and_notes() {
    let ws = shop();
    let text = String::from_utf8(run_ok(&ws, &["validate", "shop.csv"])).unwrap();
    assert!(text.starts_with("shop.csv: valid · 3 channels"), "{text}");

    let plan = section(&text, "PLAN");
    let horizon = input_line(&plan, "horizon_months");
    assert!(horizon.contains("12") && horizon.contains("own row, line 2"));
    assert!(horizon.contains("one year"), "{horizon}");
    let margin = input_line(&plan, "gross_margin");
    assert!(
        margin.contains("blended margin, after shipping"),
        "{margin}"
    );
    let trials = input_line(&plan, "trials");
    assert!(trials.contains("10000") && trials.contains("default"));

    let search = section(&text, "CHANNEL search");
    let cpv = input_line(&search, "reach.cost_per_visit");
    assert!(cpv.contains("pert(0.9, 1.2, 1.8)"), "{cpv}");
    assert!(cpv.contains("own row, line 8"), "{cpv}");
    assert!(cpv.contains("Keyword Planner"), "{cpv}");
    let act = input_line(&search, "act.rate");
    assert!(act.contains("beta(42, 958)"), "{act}");
    assert!(act.contains("`*` row, line 12"), "{act}");
    assert!(act.contains("Q2 landing-page test"), "{act}");
    let rov = input_line(&search, "engage.repeat_order_value");
    assert!(rov.contains("= order_value") && rov.contains("default"));
    let cv = input_line(&search, "convert.order_value_cv");
    assert!(cv.contains("`*` row, line 16"), "{cv}");

    // social overrides the `*` act rate with its own row.
    let social = section(&text, "CHANNEL social");
    let act = input_line(&social, "act.rate");
    assert!(act.contains("0.03") && act.contains("own row, line 13"));
    let audience = input_line(&social, "reach.audience");
    assert!(audience.contains("none") && audience.contains("no saturation"));

    // referral_rate > 0 brings in the built-in channel, which inherits `*`.
    let referral = section(
        &text,
        "CHANNEL referral (built-in: visitors referred by customers)",
    );
    assert!(input_line(&referral, "act.rate").contains("`*` row, line 12"));
    assert!(!referral.iter().any(|l| l.contains("reach.")));

    let targets = section(&text, "TARGETS");
    assert_eq!(targets.len(), 3, "{targets:#?}");
    assert!(targets[0].contains("roi >= 0.25") && targets[0].contains("target"));
    assert!(targets[0].contains("line 21") && targets[0].contains("board ask"));
    assert!(targets[1].contains("profit > 0 @ 0.5") && targets[1].contains("gate"));
    assert!(targets[2].contains("search.customers >= 100"));
}

#[test]
fn validate_prints_nothing_on_stderr() {
    let ws = shop();
    let out = ws.run(&["validate", "shop.csv"]);
    out.assert_ok();
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

// ------------------------------------------------------------ table

#[test]
fn table_output_groups_by_stage_and_lists_channels_and_targets() {
    let ws = shop();
    let out = ws.run(&["run", "shop.csv", "-q", "-n", "500", "-s", "3"]);
    out.assert_ok();
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(
        text.starts_with("shop · plan baseline · 500 trials · seed 3 · 12 months"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let position = |heading: &str| {
        lines
            .iter()
            .position(|l| l.trim_end() == heading || l.starts_with(heading))
            .unwrap_or_else(|| panic!("no {heading:?} in:\n{text}"))
    };
    let order: Vec<usize> = [
        "REACH", "ACT", "CONVERT", "ENGAGE", "MONEY", "CHANNELS", "TARGETS",
    ]
    .iter()
    .map(|h| position(h))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    for label in [
        "visitors",
        "leads",
        "customers",
        "revenue (PV)",
        "repeat orders",
        "LTV",
        "profit (NPV)",
        "ROI",
        "payback month",
        "P(loss)",
    ] {
        assert!(
            lines.iter().any(|l| l.trim_start().starts_with(label)),
            "no {label:?} row"
        );
    }
    let channels = &lines[order[5]..order[6]];
    for name in ["search", "social", "referral"] {
        assert!(
            channels.iter().any(|l| l.trim_start().starts_with(name)),
            "no channel {name} in {channels:#?}"
        );
    }
    let targets = &lines[order[6] + 1..];
    assert_eq!(targets.iter().filter(|l| l.contains(" %")).count(), 3);
    assert!(targets[0].contains("roi >= 0.25"));
    assert!(targets[1].contains("profit > 0") && targets[1].contains("gate ≥ 50.0 %"));
    assert!(targets[1].contains("met") || targets[1].contains("FAILED"));
    assert!(targets[2].contains("search.customers >= 100"));
}

// ------------------------------------------------------------ JSON

/// Spec §5 total metrics.
const TOTALS: [&str; 17] = [
    "spend",
    "cost",
    "visitors",
    "leads",
    "customers",
    "orders",
    "repeat_orders",
    "revenue",
    "gross_profit",
    "profit",
    "roi",
    "roas",
    "cac",
    "ltv",
    "payback_month",
    "active_customers",
    "referrals",
];

/// Spec §5 per-channel metrics.
/// Spec §5 per-channel metrics, then racesim's addition (active customers
/// at the horizon, the end of a channel's funnel).
const PER_CHANNEL: [&str; 11] = [
    "spend",
    "visitors",
    "leads",
    "customers",
    "orders",
    "revenue",
    "gross_profit",
    "roi",
    "active_customers",
    "cost",
    "cac",
];

/// Spec §5 monthly series.
const MONTHLY: [&str; 5] = [
    "revenue",
    "cost",
    "cumulative_profit",
    "active_customers",
    "customers",
];

const SUMMARY_KEYS: [&str; 13] = [
    "mean", "sd", "se", "min", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "max", "defined",
];

const ORDERED: [&str; 9] = ["min", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "max"];

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn mean(s: &Value, what: &str) -> f64 {
    num(&s["mean"], &format!("{what}.mean"))
}

/// Checks one summary's shape and internal consistency.
#[track_caller]
fn check_summary(s: &Value, what: &str, trials: u64) {
    let keys: BTreeSet<&str> = s
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object"))
        .keys()
        .map(String::as_str)
        .collect();
    for k in SUMMARY_KEYS {
        assert!(keys.contains(k), "{what} lacks {k}: {s}");
    }
    let defined = s["defined"]
        .as_u64()
        .unwrap_or_else(|| panic!("{what}.defined is not a count"));
    assert!(defined <= trials, "{what}: defined {defined} > {trials}");
    if defined == 0 {
        for k in &SUMMARY_KEYS[..12] {
            assert!(s[k].is_null(), "{what}.{k} must be null when undefined");
        }
        return;
    }
    let v = |k: &str| num(&s[k], &format!("{what}.{k}"));
    for w in ORDERED.windows(2) {
        assert!(
            v(w[0]) <= v(w[1]),
            "{what}: {} {} > {} {}",
            w[0],
            v(w[0]),
            w[1],
            v(w[1])
        );
    }
    let (lo, hi, m) = (v("min"), v("max"), v("mean"));
    let slack = 1e-12 * lo.abs().max(hi.abs());
    assert!(
        lo - slack <= m && m <= hi + slack,
        "{what}: mean {m} outside [{lo}, {hi}]"
    );
    let (sd, se) = (v("sd"), v("se"));
    assert!(sd >= 0.0, "{what}: sd {sd}");
    assert!(
        close(se, sd / (defined as f64).sqrt(), 1e-12),
        "{what}: se {se} != sd/sqrt(defined) = {}",
        sd / (defined as f64).sqrt()
    );
    if lo == hi {
        assert_eq!(sd, 0.0, "{what}: constant but sd {sd}");
    }
}

#[test]
fn json_document_has_the_spec_schema_and_is_consistent() {
    let ws = shop();
    let trials = 1500;
    let doc = run_json(&ws, "shop.csv", &["-n", "1500", "-s", "11"]);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["scenario"], "shop");
    assert_eq!(doc["trials"], trials);
    assert_eq!(doc["seed"], 11);
    assert_eq!(doc["horizon_months"], SHOP_HORIZON);
    assert!(doc["input_hash"].is_string());
    assert!(doc["racesim_version"].is_string());
    assert!(doc["comparisons"].as_array().unwrap().is_empty());
    let plans = doc["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    assert_eq!(plan["plan"], "baseline");
    assert_eq!(plan["spend"]["search"], 20000.0);
    assert_eq!(plan["spend"]["social"], 10000.0);
    let loss = num(&plan["probability_of_loss"], "probability_of_loss");
    assert!((0.0..=1.0).contains(&loss));

    // Totals: every spec metric, every statistic.
    let metrics = &plan["metrics"];
    for m in TOTALS {
        check_summary(&metrics[m], &format!("metrics.{m}"), trials);
    }
    for m in metrics.as_object().unwrap().keys() {
        check_summary(&metrics[m], &format!("metrics.{m}"), trials);
    }
    let total = |m: &str| mean(&metrics[m], m);
    // Counts and plain money are defined in every trial.
    for m in [
        "spend",
        "cost",
        "customers",
        "revenue",
        "profit",
        "referrals",
    ] {
        assert_eq!(metrics[m]["defined"], trials, "{m}");
    }
    assert!(total("customers") > 0.0 && total("referrals") > 0.0);

    // The identities of spec §4.5 and §5.
    assert!(close(
        total("profit"),
        total("gross_profit") - total("cost"),
        1e-6
    ));
    assert!(close(
        total("orders"),
        total("customers") + total("repeat_orders"),
        1e-9
    ));
    assert!(close(total("gross_profit"), 0.5 * total("revenue"), 1e-9));
    assert_eq!(total("spend"), SHOP_SPEND);
    assert_eq!(metrics["spend"]["sd"], 0.0);
    // Cost is the present value of spend and fixed cost, so a bit less.
    assert!(total("cost") < SHOP_SPEND + SHOP_FIXED_COST);
    assert!(total("cost") > 0.97 * (SHOP_SPEND + SHOP_FIXED_COST));
    assert_eq!(metrics["cost"]["sd"], 0.0);

    // Channels: paid channels in order, then referral; 11 metrics each.
    let channels = plan["channels"].as_object().unwrap();
    let names: Vec<&str> = channels.keys().map(String::as_str).collect();
    assert_eq!(names, ["search", "social", "referral"]);
    for (name, ch) in channels {
        let keys: Vec<&str> = ch.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, PER_CHANNEL, "channel {name}");
        for m in PER_CHANNEL {
            check_summary(&ch[m], &format!("channels.{name}.{m}"), trials);
        }
    }
    let sum = |m: &str| -> f64 { channels.values().map(|c| mean(&c[m], m)).sum::<f64>() };
    for m in [
        "spend",
        "visitors",
        "leads",
        "customers",
        "orders",
        "revenue",
        "gross_profit",
        "active_customers",
    ] {
        let t = total(m);
        assert!(
            close(t, sum(m), 1e-9),
            "{m}: total {t} != Σ channels {}",
            sum(m)
        );
    }
    // Referred visitors are the referral channel's visitors.
    assert!(close(
        total("referrals"),
        mean(&channels["referral"]["visitors"], "referral.visitors"),
        1e-12
    ));
    assert_eq!(channels["referral"]["spend"]["mean"], 0.0);
    assert_eq!(
        channels["referral"]["roi"]["defined"], 0,
        "no spend ⇒ no roi"
    );
    assert_eq!(channels["search"]["spend"]["mean"], 20000.0);
    // A channel's cost is its spend's present value: the channels' costs
    // are the total's but for the fixed cost; its CAC is that cost per
    // customer, trial by trial (cost is the same in every trial, so the
    // extremes of CAC are the cost over the extremes of customers).
    assert!(sum("cost") < total("cost"));
    let fixed_pv = total("cost") - sum("cost");
    assert!(fixed_pv > 0.97 * SHOP_FIXED_COST && fixed_pv <= SHOP_FIXED_COST);
    for name in ["search", "social"] {
        let ch = &channels[name];
        assert_eq!(ch["cost"]["sd"], 0.0);
        let cost = mean(&ch["cost"], "cost");
        assert!(
            cost < ch["spend"]["mean"].as_f64().unwrap()
                && cost > 0.97 * ch["spend"]["mean"].as_f64().unwrap()
        );
        let customers = &ch["customers"];
        assert!(customers["min"].as_f64().unwrap() > 0.0);
        assert_eq!(ch["cac"]["defined"], trials);
        assert_eq!(
            ch["cac"]["max"].as_f64().unwrap(),
            cost / customers["min"].as_f64().unwrap()
        );
        assert_eq!(
            ch["cac"]["min"].as_f64().unwrap(),
            cost / customers["max"].as_f64().unwrap()
        );
    }
    assert_eq!(
        channels["referral"]["cac"]["defined"], 0,
        "no spend ⇒ no CAC"
    );

    // Monthly series for months 1..=H.
    let monthly = plan["monthly"].as_object().unwrap();
    let keys: Vec<&str> = monthly.keys().map(String::as_str).collect();
    assert_eq!(keys, MONTHLY);
    for (name, series) in monthly {
        let series = series.as_array().unwrap();
        assert_eq!(series.len(), SHOP_HORIZON, "monthly.{name}");
        for (i, m) in series.iter().enumerate() {
            assert_eq!(m["month"], i + 1, "monthly.{name}");
            check_summary(m, &format!("monthly.{name}[{}]", i + 1), trials);
        }
    }
    let month = |name: &str, t: usize| mean(&monthly[name][t - 1], name);
    let through = |name: &str| (1..=SHOP_HORIZON).map(|t| month(name, t)).sum::<f64>();
    assert!(close(through("customers"), total("customers"), 1e-9));
    // Nominal cost: spend over the 3 campaign months plus the fixed cost.
    assert!(close(through("cost"), SHOP_SPEND + SHOP_FIXED_COST, 1e-9));
    assert_eq!(month("cost", 4), 0.0);
    assert!(close(
        month("cost", 1),
        SHOP_SPEND / 3.0 + SHOP_FIXED_COST,
        1e-9
    ));
    // Revenue is nominal per month, discounted in the total.
    assert!(through("revenue") > total("revenue"));
    assert!(close(
        month("cumulative_profit", SHOP_HORIZON),
        total("profit"),
        1e-9
    ));
    assert!(close(
        month("active_customers", SHOP_HORIZON),
        total("active_customers"),
        1e-9
    ));

    // Targets: in file order; `required` and `met` only on gates.
    let targets = plan["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 3);
    let expect = [
        ("*", "roi", ">=", 0.25, None),
        ("*", "profit", ">", 0.0, Some(0.5)),
        ("search", "customers", ">=", 100.0, None),
    ];
    for (t, (channel, metric, op, value, required)) in targets.iter().zip(expect) {
        assert_eq!(t["channel"], channel);
        assert_eq!(t["metric"], metric);
        assert_eq!(t["op"], op);
        assert_eq!(t["value"], value);
        let p = num(&t["probability"], "probability");
        assert!((0.0..=1.0).contains(&p), "{t}");
        // Probabilities are shares of trials.
        let hits = p * trials as f64;
        assert!((hits - hits.round()).abs() < 1e-6, "{t}");
        match required {
            None => {
                assert!(t.get("required").is_none(), "{t}");
                assert!(t.get("met").is_none(), "{t}");
            }
            Some(r) => {
                assert_eq!(t["required"], r);
                assert_eq!(t["met"], p >= r, "{t}");
            }
        }
    }
    // profit > 0 is the complement of a loss (profit < 0) up to ties at 0.
    let p_profit = num(&targets[1]["probability"], "probability");
    assert!(p_profit <= 1.0 - loss + 1e-12);
}

#[test]
fn json_mean_lies_within_min_and_max_exactly() {
    // `cost` is the same in every trial here, so its mean must equal it.
    let ws = shop();
    for n in ["3", "100", "700"] {
        let out = ws.run(&["run", "shop.csv", "-q", "-f", "json", "-n", n, "-s", "5"]);
        out.assert_ok();
        // Compare the numbers as printed, without a lossy float parser.
        let text = out.stdout_text();
        let cost = text
            .split("\"cost\": {")
            .nth(1)
            .expect("metrics.cost")
            .split('}')
            .next()
            .unwrap();
        let field = |k: &str| -> String {
            cost.lines()
                .find(|l| l.trim_start().starts_with(&format!("\"{k}\":")))
                .unwrap()
                .split(':')
                .nth(1)
                .unwrap()
                .trim()
                .trim_end_matches(',')
                .to_string()
        };
        assert_eq!(field("min"), field("max"), "-n {n}: cost is constant");
        assert_eq!(field("mean"), field("min"), "-n {n}: mean of a constant");
    }
}

#[test]
fn json_undefined_metrics_are_null_with_zero_defined() {
    // No spend and no customers: roi, cac, ltv are undefined in every trial.
    let ws = Workspace::new();
    ws.write(
        "idle.csv",
        "stage,channel,metric,value\nreach,search,spend,0\nact,search,rate,0.1\nconvert,*,rate,0.2\n",
    );
    let doc = run_json(&ws, "idle.csv", &["-n", "50"]);
    let metrics = &doc["plans"][0]["metrics"];
    for m in ["roi", "roas", "cac", "ltv"] {
        check_summary(&metrics[m], m, 50);
        assert_eq!(metrics[m]["defined"], 0, "{m}");
        assert!(metrics[m]["mean"].is_null(), "{m}");
    }
    assert_eq!(metrics["customers"]["mean"], 0.0);
    assert_eq!(metrics["customers"]["defined"], 50);
}

// ------------------------------------------------------------ CSV

const CSV_HEADER: [&str; 17] = [
    "plan", "channel", "metric", "month", "mean", "sd", "se", "min", "p5", "p10", "p25", "p50",
    "p75", "p90", "p95", "max", "defined",
];

#[test]
fn csv_output_matches_the_json_document() {
    let ws = shop();
    ws.write(
        "shop.plans.csv",
        "plan,channel,spend\nmore_social,social,15000\nmore_social,search,15000\n",
    );
    let common = [
        "shop.csv",
        "--plans",
        "shop.plans.csv",
        "-q",
        "-n",
        "700",
        "-s",
        "5",
    ];
    let mut args = vec!["run"];
    args.extend_from_slice(&common);
    let mut json_args = args.clone();
    json_args.extend_from_slice(&["-f", "json"]);
    let mut csv_args = args.clone();
    csv_args.extend_from_slice(&["-f", "csv"]);
    let doc: Value = serde_json::from_slice(&run_ok(&ws, &json_args)).unwrap();
    let csv_bytes = run_ok(&ws, &csv_args);

    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_HEADER);
    let mut seen = BTreeSet::new();
    let mut rows = 0;
    let mut extra_rows = 0;
    for record in reader.records() {
        let r = record.expect("a well-formed CSV row");
        assert_eq!(r.len(), CSV_HEADER.len());
        rows += 1;
        let (plan_name, channel, metric, month) = (&r[0], &r[1], &r[2], &r[3]);
        let plan = doc["plans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["plan"] == plan_name)
            .unwrap_or_else(|| panic!("plan {plan_name} not in JSON"));
        if metric == "monthly.spend" {
            // A plan's spend is set, not drawn: every statistic of a
            // channel's monthly spend is the amount in `monthly_spend`.
            let m: usize = month.parse().expect("monthly rows carry their month");
            let amount = plan["monthly_spend"][channel][m - 1].as_f64().unwrap();
            for (i, key) in CSV_HEADER.iter().enumerate().skip(4) {
                let x: f64 = r[i].parse().unwrap();
                let want = match *key {
                    "sd" | "se" => 0.0,
                    "defined" => doc["trials"].as_f64().unwrap(),
                    _ => amount,
                };
                assert_eq!(
                    x, want,
                    "{plan_name},{channel},monthly.spend,{month}: {key}"
                );
            }
            assert!(seen.insert((
                plan_name.to_string(),
                channel.to_string(),
                metric.to_string(),
                month.to_string()
            )));
            continue;
        }
        if let Some(want) = single_number(&doc, plan, channel, metric) {
            // P(loss), payback, targets and gates, comparisons: one number
            // in `mean` (or a whole summary for a difference).
            let cell =
                |key: &str| r[CSV_HEADER.iter().position(|h| *h == key).unwrap()].to_string();
            match want {
                Value::Object(_) => {
                    for (i, key) in CSV_HEADER.iter().enumerate().skip(4) {
                        let json = &want[*key];
                        match json.as_f64() {
                            Some(y) => {
                                assert_eq!(r[i].parse::<f64>().unwrap(), y, "{metric} {key}")
                            }
                            None => assert!(r[i].is_empty(), "{metric} {key}"),
                        }
                    }
                }
                Value::Null => assert!(cell("mean").is_empty(), "{metric}"),
                Value::Bool(b) => assert_eq!(cell("mean"), if b { "1" } else { "0" }),
                v => assert_eq!(
                    cell("mean").parse::<f64>().unwrap(),
                    v.as_f64().unwrap(),
                    "{metric}"
                ),
            }
            assert!(seen.insert((
                plan_name.to_string(),
                channel.to_string(),
                metric.to_string(),
                month.to_string()
            )));
            extra_rows += 1;
            continue;
        }
        let summary = if let Some(series) = metric.strip_prefix("monthly.") {
            assert_eq!(channel, "*");
            let m: usize = month.parse().expect("monthly rows carry their month");
            &plan["monthly"][series][m - 1]
        } else if channel == "*" {
            assert!(month.is_empty());
            &plan["metrics"][metric]
        } else {
            assert!(month.is_empty());
            &plan["channels"][channel][metric]
        };
        assert!(
            summary.is_object(),
            "{plan_name},{channel},{metric},{month}"
        );
        assert!(
            seen.insert((
                plan_name.to_string(),
                channel.to_string(),
                metric.to_string(),
                month.to_string()
            )),
            "duplicate row {plan_name},{channel},{metric},{month}"
        );
        for (i, key) in CSV_HEADER.iter().enumerate().skip(4) {
            let cell = &r[i];
            let json = &summary[*key];
            if json.is_null() {
                assert!(cell.is_empty(), "{plan_name},{channel},{metric}: {key}");
            } else {
                // Parsed by the same parser as the JSON: serde_json's default
                // float parsing may be off by an ulp, but identically so for
                // the same digits.
                let x: f64 = serde_json::from_str(cell).unwrap_or_else(|_| {
                    panic!("{plan_name},{channel},{metric},{month}: {key} = {cell:?}")
                });
                assert_eq!(
                    x,
                    json.as_f64().unwrap(),
                    "{plan_name},{channel},{metric},{month}: {key}"
                );
            }
        }
    }
    // Every summary of the JSON has its row.
    let mut expected = 0;
    for plan in doc["plans"].as_array().unwrap() {
        expected += plan["metrics"].as_object().unwrap().len();
        expected += plan["channels"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c.as_object().unwrap().len())
            .sum::<usize>();
        expected += plan["monthly"]
            .as_object()
            .unwrap()
            .values()
            .map(|s| s.as_array().unwrap().len())
            .sum::<usize>();
        expected += plan["monthly_spend"]
            .as_object()
            .unwrap()
            .values()
            .map(|s| s.as_array().unwrap().len())
            .sum::<usize>();
    }
    // The single numbers and comparisons: two per plan, a row per target
    // and two more per gate, four per comparison.
    for plan in doc["plans"].as_array().unwrap() {
        expected += 2;
        for t in plan["targets"].as_array().unwrap() {
            expected += if t.get("required").is_some() { 3 } else { 1 };
        }
    }
    expected += 4 * doc["comparisons"].as_array().unwrap().len();
    assert!(extra_rows > 4 && doc["comparisons"].as_array().unwrap().len() > 1);
    assert_eq!(rows, expected);
    assert_eq!(doc["plans"].as_array().unwrap().len(), 2);
}

/// What the JSON says for one of the CSV's `quantity:subject` rows (or
/// P(loss) and payback), `None` for a summary row.
fn single_number(doc: &Value, plan: &Value, channel: &str, metric: &str) -> Option<Value> {
    match metric {
        "probability_of_loss" | "payback_median_month" => return Some(plan[metric].clone()),
        _ => {}
    }
    let (quantity, subject) = metric.split_once(':')?;
    if let Some(key) = quantity.strip_prefix("target_") {
        let t = plan["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| {
                t["channel"] == channel
                    && format!(
                        "{} {} {}",
                        t["metric"].as_str().unwrap(),
                        t["op"].as_str().unwrap(),
                        t["value"].as_f64().unwrap()
                    ) == subject
            })
            .unwrap_or_else(|| panic!("no target {channel} {subject}"));
        return Some(t[key].clone());
    }
    let c = doc["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["plan"] == plan["plan"] && c["metric"] == subject)
        .unwrap_or_else(|| panic!("no comparison {subject}"));
    Some(c[quantity].clone())
}

// ------------------------------------------------------------ reproducibility

#[test]
fn same_seed_gives_identical_output_whatever_the_threads() {
    let ws = shop();
    // 3000 trials are 24 blocks of 128: every thread count splits them
    // differently.
    let run = |threads: &str, seed: &str, format: &str| {
        run_ok(
            &ws,
            &[
                "run", "shop.csv", "-q", "-n", "3000", "-s", seed, "-j", threads, "-f", format,
            ],
        )
    };
    let one = run("1", "7", "json");
    assert_eq!(one, run("2", "7", "json"), "2 threads differ from 1");
    assert_eq!(one, run("3", "7", "json"), "3 threads differ from 1");
    assert_eq!(run("1", "7", "csv"), run("3", "7", "csv"));
    assert_eq!(one, run("2", "7", "json"), "a rerun differs");
    let other = run("2", "8", "json");
    assert_ne!(one, other, "a different seed must change the forecast");
    let a: Value = serde_json::from_slice(&one).unwrap();
    let b: Value = serde_json::from_slice(&other).unwrap();
    assert_ne!(
        a["plans"][0]["metrics"]["profit"]["mean"],
        b["plans"][0]["metrics"]["profit"]["mean"]
    );
}

#[test]
fn trials_and_seed_options_override_the_scenario() {
    let ws = Workspace::new();
    let text = shop_text() + "plan,*,trials,40,\nplan,*,seed,7,\n";
    ws.write("shop.csv", text);
    let doc = run_json(&ws, "shop.csv", &[]);
    assert_eq!(doc["trials"], 40);
    assert_eq!(doc["seed"], 7);
    assert_eq!(doc["plans"][0]["metrics"]["spend"]["defined"], 40);
    let same = run_json(&ws, "shop.csv", &["-n", "40", "-s", "7"]);
    assert_eq!(
        doc, same,
        "explicit options equal to the scenario's change nothing"
    );
    let doc = run_json(&ws, "shop.csv", &["--trials", "60", "--seed", "9"]);
    assert_eq!(doc["trials"], 60);
    assert_eq!(doc["seed"], 9);
    assert_eq!(doc["plans"][0]["metrics"]["spend"]["defined"], 60);
}

// ------------------------------------------------------------ --output

#[test]
fn output_option_writes_the_file_and_nothing_else() {
    let ws = shop();
    let args = ["run", "shop.csv", "-q", "-n", "300", "-f", "json"];
    let expected = run_ok(&ws, &args);
    let mut with_output = args.to_vec();
    with_output.extend_from_slice(&["--output", "result.json"]);
    let out = ws.run(&with_output);
    out.assert_ok();
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty with --output"
    );
    assert_eq!(ws.read("result.json"), expected);
    assert_eq!(
        ws.listing(),
        ["result.json", "shop.csv"],
        "no temporary files"
    );

    // Replacing an existing file, in another format.
    let mut again = args[..args.len() - 2].to_vec();
    again.extend_from_slice(&["-f", "csv", "-o", "result.json"]);
    let out = ws.run(&again);
    out.assert_ok();
    assert!(ws.read("result.json").starts_with(b"plan,channel,metric"));
    assert_eq!(ws.listing(), ["result.json", "shop.csv"]);
}

#[test]
fn output_into_a_missing_directory_fails_and_touches_nothing() {
    let ws = shop();
    ws.write("keep.json", "{\"old\": true}\n");
    let out = ws.run(&[
        "run",
        "shop.csv",
        "-q",
        "-n",
        "50",
        "-f",
        "json",
        "-o",
        "missing/result.json",
    ]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_ne!(out.code, Some(EXIT_OK));
    assert_eq!(out.code, Some(common::EXIT_FAILURE), "{}", out.stderr);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("missing"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert_eq!(ws.read("keep.json"), b"{\"old\": true}\n");
    assert_eq!(ws.listing(), ["keep.json", "shop.csv"]);
}

#[test]
fn output_onto_a_directory_fails_and_leaves_no_temporary_file() {
    let ws = shop();
    std::fs::create_dir(ws.path("out")).unwrap();
    let out = ws.run(&["run", "shop.csv", "-q", "-n", "50", "-o", "out"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.code, Some(common::EXIT_FAILURE), "{}", out.stderr);
    assert_eq!(ws.listing(), ["out", "shop.csv"]);
    assert!(std::fs::read_dir(ws.path("out")).unwrap().next().is_none());
}

#[test]
fn failing_run_leaves_the_existing_output_untouched() {
    let ws = Workspace::new();
    ws.write("bad.csv", "stage,channel,metric,value\nact,*,rate,2\n");
    let previous = b"{\"previous\": \"results\"}\n";
    ws.write("existing.json", previous);
    let out = ws.run(&[
        "run",
        "bad.csv",
        "-q",
        "-n",
        "50",
        "-f",
        "json",
        "-o",
        "existing.json",
    ]);
    out.assert_code(common::EXIT_INPUT);
    assert_eq!(ws.read("existing.json"), previous);
    assert_eq!(ws.listing(), ["bad.csv", "existing.json"]);
    // A bad plans file fails after the scenario was read: same guarantee.
    ws.write("shop.csv", shop_text());
    ws.write("p.csv", "plan,channel,spend\nx,tv,1\n");
    let out = ws.run(&[
        "run",
        "shop.csv",
        "--plans",
        "p.csv",
        "-q",
        "-n",
        "50",
        "-o",
        "existing.json",
    ]);
    out.assert_code(common::EXIT_INPUT);
    assert_eq!(ws.read("existing.json"), previous);
}

#[cfg(unix)]
#[test]
fn output_file_gets_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let ws = shop();
    // What the umask gives an ordinary new file in this directory.
    ws.write("reference.txt", "x");
    let ordinary = std::fs::metadata(ws.path("reference.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    let out = ws.run(&["run", "shop.csv", "-q", "-n", "50", "-o", "result.txt"]);
    out.assert_ok();
    let mode = std::fs::metadata(ws.path("result.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode, ordinary,
        "result.txt has mode {mode:o}, expected {ordinary:o}"
    );
    // Replacing a file keeps its mode.
    std::fs::set_permissions(
        ws.path("reference.txt"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = ws.run(&["run", "shop.csv", "-q", "-n", "50", "-o", "reference.txt"]);
    out.assert_ok();
    let mode = std::fs::metadata(ws.path("reference.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o644);
}

// ------------------------------------------------------------ help

#[test]
fn help_lists_the_exit_codes() {
    let out = common::racesim().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "Exit codes",
        "0 success",
        "2 invalid input",
        "3 other failure",
        "run",
        "validate",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}:\n{text}");
    }
    let out = common::racesim().args(["run", "--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--trials",
        "--seed",
        "--threads",
        "--plans",
        "--format",
        "--output",
    ] {
        assert!(text.contains(flag), "run --help lacks {flag}");
    }
}

// ------------------------------------------------------------ shipped scenarios

fn shipped_scenarios() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".csv") && !name.ends_with(".plans.csv")
        })
        .collect();
    found.sort();
    assert!(found.len() >= 3, "shipped scenarios: {found:?}");
    found
}

#[test]
fn shipped_scenarios_run_in_every_format() {
    for path in shipped_scenarios() {
        let p = path.to_str().unwrap();
        let name = path.file_stem().unwrap().to_str().unwrap();
        let run = |format: &str| {
            let out = common::racesim()
                .args(["run", p, "-q", "-n", "500", "-f", format])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{p} -f {format}: {stderr}");
            assert!(stderr.is_empty(), "{p} -f {format}: {stderr}");
            out.stdout
        };
        let table = String::from_utf8(run("table")).unwrap();
        assert!(table.starts_with(&format!("{name} · plan baseline · 500 trials")));
        let doc: Value = serde_json::from_slice(&run("json")).unwrap();
        assert_eq!(doc["scenario"], name);
        assert_eq!(doc["trials"], 500);
        for m in TOTALS {
            check_summary(&doc["plans"][0]["metrics"][m], &format!("{name}.{m}"), 500);
        }
        let csv = run("csv");
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        assert_eq!(reader.headers().unwrap(), CSV_HEADER.as_slice());
        assert!(reader.records().all(|r| r.is_ok()));
        let out = common::racesim().args(["validate", p]).output().unwrap();
        assert!(out.status.success(), "validate {p}");
    }
}

#[test]
fn shipped_plans_give_one_plan_each_and_four_comparisons() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenario = dir.join("dtc_shop.csv");
    let plans = dir.join("dtc_shop.plans.csv");
    let doc: Value = common::success_json(
        common::racesim()
            .arg("run")
            .arg(&scenario)
            .arg("--plans")
            .arg(&plans)
            .args(["-q", "-f", "json", "-n", "1000"])
            .output()
            .unwrap(),
    );
    let names: Vec<&str> = doc["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["plan"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "baseline",
            "shift_to_social",
            "more_influencers",
            "cut_display"
        ]
    );
    let spend = |plan: usize, channel: &str| num(&doc["plans"][plan]["spend"][channel], channel);
    assert_eq!(spend(0, "search"), 70000.0);
    assert_eq!(spend(1, "search"), 50000.0);
    assert_eq!(spend(1, "social"), 80000.0);
    assert_eq!(
        spend(1, "display"),
        30000.0,
        "unnamed channels keep their spend"
    );
    assert_eq!(spend(2, "influencers"), 60000.0);
    assert_eq!(spend(2, "display"), 5000.0);
    assert_eq!(spend(3, "display"), 0.0);
    for (i, plan) in doc["plans"].as_array().unwrap().iter().enumerate() {
        let total: f64 = plan["spend"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert_eq!(plan["metrics"]["spend"]["mean"], total, "plan {i}");
    }

    let comparisons = doc["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 3 * 4);
    for (k, c) in comparisons.iter().enumerate() {
        assert_eq!(c["plan"], names[1 + k / 4]);
        assert_eq!(c["against"], "baseline");
        assert_eq!(
            c["metric"],
            ["profit", "roi", "revenue", "customers"][k % 4]
        );
        let p = num(&c["probability_better"], "probability_better");
        assert!((0.0..=1.0).contains(&p), "{c}");
        let (lo, m, hi) = (
            num(&c["mean_difference_low"], "low"),
            num(&c["mean_difference"], "mean_difference"),
            num(&c["mean_difference_high"], "high"),
        );
        assert!(lo <= m && m <= hi, "{c}");
        // The mean difference is the difference of the plans' means.
        let metric = c["metric"].as_str().unwrap();
        let plan_mean = mean(&doc["plans"][1 + k / 4]["metrics"][metric], metric);
        let base_mean = mean(&doc["plans"][0]["metrics"][metric], metric);
        assert!(
            close(m, plan_mean - base_mean, 1e-6),
            "{metric}: {m} vs {}",
            plan_mean - base_mean
        );
        check_summary(&c["difference"], &format!("comparison {k}"), 1000);
    }
    // Cutting display's spend loses its customers.
    let cut_customers = &comparisons[2 * 4 + 3];
    assert_eq!(cut_customers["plan"], "cut_display");
    assert!(num(&cut_customers["mean_difference"], "d") < 0.0);
}

#[test]
fn plans_keep_untouched_channels_identical() {
    // Common random numbers (spec §3, §6): a plan that changes only
    // display's spend leaves every other paid channel's trials unchanged.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let ws = Workspace::new();
    ws.write(
        "only_display.csv",
        "plan,channel,spend\nless_display,display,10000\n",
    );
    let doc = run_json(
        &ws,
        dir.join("dtc_shop.csv").to_str().unwrap(),
        &["--plans", "only_display.csv", "-n", "400"],
    );
    let base = &doc["plans"][0]["channels"];
    let plan = &doc["plans"][1]["channels"];
    for channel in ["search", "social", "influencers"] {
        for metric in ["visitors", "leads", "customers"] {
            assert_eq!(
                base[channel][metric], plan[channel][metric],
                "{channel}.{metric} moved although only display changed"
            );
        }
    }
    assert_ne!(base["display"]["visitors"], plan["display"]["visitors"]);
}

#[test]
fn validate_shows_negative_zero_as_zero() {
    let ws = Workspace::new();
    ws.write(
        "s.csv",
        "stage,channel,metric,value\nplan,*,discount_rate,-0\nreach,web,spend,-0\n",
    );
    let out = ws.run(&["validate", "s.csv"]);
    out.assert_ok();
    let text = out.stdout_text();
    let plan = section(&text, "PLAN");
    assert!(
        input_line(&plan, "discount_rate").contains("  0  "),
        "{text}"
    );
    assert!(!text.contains("-0"), "{text}");
}

// ------------------------------------------------------------ standard output

/// A valid scenario whose `validate` listing is far larger than a pipe's
/// buffer (64 KiB), so writing it must block until the reader is gone.
fn many_channels(n: usize) -> String {
    let mut s = String::from(
        "stage,channel,metric,value,note\nact,*,rate,0.1,\nconvert,*,rate,0.2,\nconvert,*,order_value,50,\n",
    );
    for i in 0..n {
        s.push_str(&format!("reach,channel_{i},spend,0,\n"));
    }
    s
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    // `racesim validate big.csv | head -1`: the reader leaves early. That is
    // not a failure (exit 0, nothing on stderr), and certainly no panic.
    let ws = Workspace::new();
    ws.write("big.csv", many_channels(racesim::scenario::MAX_CHANNELS));
    let listing = ws.run(&["validate", "big.csv"]);
    listing.assert_ok();
    assert!(
        listing.stdout.len() > 256 * 1024,
        "the listing must overflow a pipe"
    );
    for args in [
        &["validate", "big.csv"][..],
        &["run", "big.csv", "-q", "-n", "10", "-f", "csv"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_racesim"))
            .current_dir(ws.dir())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end at once, as `head` does after its line.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(EXIT_OK), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn output_to_a_full_device_is_a_failure() {
    // `racesim validate s.csv > /dev/full`: a write error other than a
    // closed pipe is reported (exit 3), not a panic (exit 101).
    let ws = shop();
    for args in [
        &["validate", "shop.csv"][..],
        &["run", "shop.csv", "-q", "-n", "10"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_racesim"))
            .current_dir(ws.dir())
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(
            out.status.code(),
            Some(common::EXIT_FAILURE),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.starts_with("error: cannot write to standard output"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("No space left on device"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn several_targets_on_one_metric_are_each_evaluated() {
    // Spec §2.3: `customers > 0` and `customers >= 14` are two questions about one metric.
    // Here customers ~ Poisson(1000 / 1.5 · 0.1 · 0.2 = 13.33) (Poisson thinned twice), so
    // each share has a closed form to meet within 5 standard errors.
    let ws = Workspace::new();
    ws.write(
        "s.csv",
        common::with_base(
            "target,*,customers,> 0,\ntarget,*,customers,>= 14 @ 0.3,\ntarget,search,customers,>= 14,\n",
        ),
    );
    let trials = 4000u32;
    let doc = run_json(&ws, "s.csv", &["-n", &trials.to_string(), "-s", "3"]);
    let targets = doc["plans"][0]["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 3, "{targets:#?}");
    let lambda = 1000.0 / 1.5 * 0.1 * 0.2;
    let at_least_14 = {
        use statrs::distribution::{DiscreteCDF, Poisson};
        1.0 - Poisson::new(lambda).unwrap().cdf(13)
    };
    let expect = [
        (">", 0.0, 1.0 - (-lambda).exp()),
        (">=", 14.0, at_least_14),
        (">=", 14.0, at_least_14),
    ];
    for (t, (op, value, p)) in targets.iter().zip(expect) {
        assert_eq!(
            (t["metric"].as_str(), t["op"].as_str()),
            (Some("customers"), Some(op))
        );
        assert_eq!(t["value"], value);
        let got = num(&t["probability"], "probability");
        let se = (p * (1.0 - p) / trials as f64)
            .sqrt()
            .max(1.0 / trials as f64);
        assert!((got - p).abs() < 5.0 * se, "{t}: expected {p} ± {se}");
    }
    // One paid channel: its customers are the total's, so the two targets agree trial by trial.
    assert_eq!(targets[1]["probability"], targets[2]["probability"]);
    assert_eq!(targets[1]["required"], 0.3);
    assert!(targets[0].get("required").is_none());

    let table = String::from_utf8(run_ok(&ws, &["run", "s.csv", "-q", "-n", "200"])).unwrap();
    let listed = section(&table, "TARGETS");
    assert!(
        listed.iter().any(|l| l.contains("customers > 0")),
        "{listed:#?}"
    );
    assert!(
        listed
            .iter()
            .any(|l| l.contains("customers >= 14") && l.contains("gate"))
    );
    let validated = ws.run(&["validate", "s.csv"]);
    validated.assert_ok();
    let listed = validated.stdout_text();
    assert!(listed.contains("customers > 0") && listed.contains("customers >= 14 @ 0.3"));
}

#[test]
fn payback_leads_with_the_median_over_all_trials_and_the_share_that_pays_back() {
    // Customers ~ Poisson(1000 / 1.5 · 0.1 · 0.2 = 13.33), each buying once (churn 1) in month
    // 1, where all 1,000 is spent: a trial pays back (in month 1) iff order_value · N >= 1000,
    // and otherwise never. So the share is a Poisson tail and the median is 1 or not reached.
    use statrs::distribution::{DiscreteCDF, Poisson};
    let lambda = 1000.0 / 1.5 * 0.1 * 0.2;
    let tail = |k: u64| 1.0 - Poisson::new(lambda).unwrap().cdf(k - 1);
    let trials = 4000u32;
    for (order_value, needed) in [(80, 13), (50, 20)] {
        let ws = Workspace::new();
        let text = common::BASE.replace(
            "convert,*,order_value,50",
            &format!("convert,*,order_value,{order_value}"),
        );
        ws.write("s.csv", text);
        let doc = run_json(&ws, "s.csv", &["-n", &trials.to_string(), "-s", "9"]);
        let plan = &doc["plans"][0];
        let share = num(&plan["metrics"]["payback_month"]["defined"], "defined") / trials as f64;
        let p = tail(needed);
        let se = (p * (1.0 - p) / trials as f64).sqrt();
        assert!((share - p).abs() < 5.0 * se, "{share} vs {p} ± {se}");
        let table = String::from_utf8(run_ok(
            &ws,
            &["run", "s.csv", "-q", "-n", &trials.to_string(), "-s", "9"],
        ))
        .unwrap();
        let line = table.lines().find(|l| l.contains("payback month")).unwrap();
        let share_text = format!("{:.1} %", 100.0 * share);
        if p > 0.5 {
            assert_eq!(plan["payback_median_month"], 1.0);
            assert!(
                line.contains(&format!("median 1 (pays back in {share_text} of trials)")),
                "{line}"
            );
        } else {
            // The mean over paying trials (month 1) would wrongly read as a quick payback.
            assert!(plan["payback_median_month"].is_null(), "{plan}");
            assert!(
                line.contains(&format!(
                    "median not reached: pays back in only {share_text} of trials"
                )),
                "{line}"
            );
        }
    }
}

#[test]
fn counts_take_the_singular_for_one() {
    let ws = Workspace::new();
    ws.write("s.csv", common::with_base("target,*,roi,> 0,"));
    let out = ws.run(&["validate", "s.csv"]);
    out.assert_ok();
    let text = out.stdout_text();
    assert!(
        text.contains("valid · 1 channel · 5 assumptions (0 uncertain) · 1 target\n"),
        "{text}"
    );
    let table = String::from_utf8(run_ok(&ws, &["run", "s.csv", "-q", "-n", "1"])).unwrap();
    assert!(table.contains(" · 1 trial · seed "), "{table}");
}
