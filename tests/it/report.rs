//! `racesim report` / `run --report`: the HTML page is complete, its
//! numbers are the JSON's, it needs nothing from the network, and a real
//! browser lays it out.

use super::common::racesim;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use scraper::{Html, Selector};
use serde_json::Value;

const SCENARIO: &str = "scenarios/dtc_shop.csv";
const PLANS: &str = "scenarios/dtc_shop.plans.csv";
const TRIALS: &str = "1500";
const SEED: &str = "11";

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Writes the report of `args` into `dir` and returns its path and text.
fn report(dir: &Path, name: &str, args: &[&str]) -> (PathBuf, String) {
    let path = dir.join(name);
    racesim()
        .arg("report")
        .args(args)
        .args(["-n", TRIALS, "-s", SEED, "-q", "-o"])
        .arg(&path)
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn json(args: &[&str]) -> Value {
    let out = racesim()
        .arg("run")
        .args(args)
        .args(["-n", TRIALS, "-s", SEED, "-q", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

const SECTIONS: [&str; 10] = [
    "kpis",
    "targets",
    "funnel",
    "distributions",
    "payback",
    "monthly",
    "channels",
    "comparison",
    "assumptions",
    "details",
];

/// Parses a number as the page writes it ("-1,234", "49.1 %", "13.9")
/// and returns it with half a unit of its last printed digit.
fn read_number(text: &str) -> Option<(f64, f64)> {
    let t = text.trim();
    let (t, scale) = match t.strip_suffix('%').or_else(|| t.strip_suffix("pp")) {
        Some(p) => (p.trim(), 0.01),
        None => (t, 1.0),
    };
    let clean: String = t.chars().filter(|c| *c != ',').collect();
    let x: f64 = clean.parse().ok()?;
    let decimals = clean.split_once('.').map_or(0, |(_, f)| f.len());
    Some((x * scale, 0.5 * 10f64.powi(-(decimals as i32)) * scale))
}

#[test]
fn every_section_and_chart_is_there_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = report(dir.path(), "r.html", &[SCENARIO, "--plans", PLANS]);
    let html = Html::parse_document(&text);
    assert!(
        html.errors.is_empty(),
        "HTML parse errors: {:?}",
        html.errors
    );
    let ids: Vec<String> = html
        .select(&sel("main > section"))
        .map(|s| s.value().id().unwrap_or("").to_string())
        .collect();
    assert_eq!(ids, SECTIONS);
    let doc = json(&[SCENARIO, "--plans", PLANS]);
    let mut charts = vec![
        "chart-funnel-total".to_string(),
        "chart-profit-histogram".into(),
        "chart-roi-histogram".into(),
        "chart-cumulative-profit".into(),
        "chart-payback-histogram".into(),
        "chart-channel-roi".into(),
        "chart-channel-cac".into(),
        "chart-profit-difference".into(),
    ];
    for ch in doc["plans"][0]["channels"].as_object().unwrap().keys() {
        charts.push(format!("chart-funnel-{ch}"));
    }
    for id in &charts {
        let fig = html
            .select(&sel(&format!("figure#{id}")))
            .next()
            .unwrap_or_else(|| panic!("chart {id} is missing"));
        let svg = fig.select(&sel("svg")).next().expect("an inline svg");
        let shapes = svg
            .select(&sel("rect, polyline, polygon, line, path"))
            .count();
        assert!(shapes > 10, "chart {id} draws only {shapes} shapes");
        assert!(
            svg.select(&sel("text")).count() > 3,
            "chart {id} has no axis labels"
        );
        assert!(fig.select(&sel("figcaption")).next().is_some());
    }
    // One assumption row per scenario row, targets included.
    let rows = html.select(&sel("#assumptions tbody tr")).count();
    let scenario_rows = std::fs::read_to_string(SCENARIO)
        .unwrap()
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(rows, scenario_rows);
    // Targets: one ✓ or ✗ and one bar per target and plan.
    let targets = doc["plans"][0]["targets"].as_array().unwrap().len();
    let plans = doc["plans"].as_array().unwrap().len();
    assert_eq!(html.select(&sel("#targets .mark")).count(), targets * plans);
    assert_eq!(
        html.select(&sel("#targets .bar .fill")).count(),
        targets * plans
    );
}

#[test]
fn numbers_shown_are_the_json_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = report(dir.path(), "r.html", &[SCENARIO, "--plans", PLANS]);
    let html = Html::parse_document(&text);
    let doc = json(&[SCENARIO, "--plans", PLANS]);
    let mut checked = Vec::new();
    for el in html.select(&sel(".num[data-key]")) {
        let key = el.value().attr("data-key").unwrap();
        let raw = el.value().attr("data-value").unwrap();
        let expected = doc
            .pointer(key)
            .unwrap_or_else(|| panic!("{key} is not in the JSON document"));
        if raw.is_empty() {
            assert!(
                expected.is_null(),
                "{key}: shown as undefined, JSON has {expected}"
            );
            continue;
        }
        let value: f64 = raw.parse().unwrap();
        assert_eq!(Some(value), expected.as_f64(), "{key}: data-value differs");
        // The text shows the very quantity of the key, rounded.
        let shown: String = el.text().collect();
        let (x, tol) = read_number(&shown).unwrap_or_else(|| panic!("{key}: `{shown}`"));
        assert!(
            (x - value).abs() <= tol * (1.0 + 1e-9) + 1e-12,
            "{key}: shows {shown}, JSON has {value}"
        );
        checked.push(key.to_string());
    }
    // The headline and every comparison are among the checked numbers.
    for i in 0..doc["plans"].as_array().unwrap().len() {
        for m in ["profit", "roi", "revenue", "customers", "ltv"] {
            for stat in ["mean", "p5", "p95"] {
                let key = format!("/plans/{i}/metrics/{m}/{stat}");
                assert!(checked.contains(&key), "{key} is not shown");
            }
        }
        // Payback leads with the median over all trials, not the paying trials' mean.
        let key = format!("/plans/{i}/payback_median_month");
        assert!(
            !doc.pointer(&key).unwrap().is_null(),
            "the test plans pay back"
        );
        assert!(checked.contains(&key), "{key} is not shown");
        let key = format!("/plans/{i}/metrics/payback_month/mean");
        assert!(!checked.contains(&key), "{key} is shown");
        assert!(checked.contains(&format!("/plans/{i}/probability_of_loss")));
    }
    for k in 0..doc["comparisons"].as_array().unwrap().len() {
        assert!(checked.contains(&format!("/comparisons/{k}/probability_better")));
    }
    assert!(checked.contains(&"/seed".to_string()));
    assert!(checked.contains(&"/trials".to_string()));
}

#[test]
fn histograms_use_the_same_trials_as_the_document() {
    use racesim::options::SimulationOptions;
    use racesim::report::Samples;
    let scn = racesim::scenario::load(Path::new(SCENARIO)).unwrap();
    let plans = racesim::plans::load(Path::new(PLANS), &scn).unwrap();
    let opts = SimulationOptions {
        trials: 700,
        seed: 3,
        threads: 2,
        show_progress: false,
    };
    let simulate = |opts: &SimulationOptions| {
        let (doc, _, samples) =
            racesim::report::simulate(&scn, &plans, opts, None, true).expect("no runaway counts");
        (doc, samples.expect("samples were asked for"))
    };
    let (doc, samples) = simulate(&opts);
    let (doc_one_thread, samples_one_thread) = simulate(&SimulationOptions { threads: 1, ..opts });
    assert_eq!(doc, doc_one_thread);
    // Bit for bit (NaN marks undefined values), whatever the thread count.
    let bits = |s: &Samples| -> Vec<u64> {
        s.plans
            .iter()
            .flat_map(|p| {
                p.profit
                    .iter()
                    .chain(&p.roi)
                    .chain(&p.payback_month)
                    .chain(p.channel_cac.iter().flatten())
                    .map(|x| x.to_bits())
            })
            .collect()
    };
    assert!(bits(&samples) == bits(&samples_one_thread));
    assert_eq!(samples.trials, 700);
    for (p, s) in doc.plans.iter().zip(&samples.plans) {
        for (metric, values) in [("profit", &s.profit), ("roi", &s.roi)] {
            let m = &p.metrics[metric];
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            // Min and max are exact in both: the very same trials.
            assert_eq!(Some(min), m.min, "{} {metric} min", p.plan);
            assert_eq!(Some(max), m.max, "{} {metric} max", p.plan);
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let tol = 1e-9 * mean.abs().max(1.0);
            assert!(
                (mean - m.mean.unwrap()).abs() < tol,
                "{} {metric} mean",
                p.plan
            );
        }
        let paid = s.payback_month.iter().filter(|x| x.is_finite()).count();
        assert_eq!(paid as u64, p.metrics["payback_month"].defined);
        let loss = s.profit.iter().filter(|x| **x < 0.0).count();
        assert_eq!(loss as f64 / 700.0, p.probability_of_loss);
    }
    for cmp in doc.comparisons.iter().filter(|c| c.metric == "profit") {
        let k = doc.plans.iter().position(|p| p.plan == cmp.plan).unwrap();
        let better = samples.plans[k]
            .profit
            .iter()
            .zip(&samples.plans[0].profit)
            .filter(|(a, b)| a > b)
            .count();
        assert_eq!(Some(better as f64 / 700.0), cmp.probability_better);
    }
}

#[test]
fn report_needs_nothing_from_outside() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = report(dir.path(), "r.html", &[SCENARIO, "--plans", PLANS]);
    let html = Html::parse_document(&text);
    assert_eq!(
        html.select(&sel("script, link, img, iframe, object, embed"))
            .count(),
        0
    );
    let refs: Vec<_> = html
        .select(&sel("[src], [href], [xlink\\:href]"))
        .map(|el| format!("{:?}", el.value()))
        .collect();
    assert!(refs.is_empty(), "external references: {refs:?}");
    // The only URL is the SVG namespace name, which is never fetched.
    let without_ns = text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in ["http://", "https://", "url(", "@import", "@font-face"] {
        assert!(!without_ns.contains(needle), "report contains {needle}");
    }
    assert!(text.contains("@media print"));
    assert!(text.contains("prefers-color-scheme: dark"));
}

#[test]
fn run_report_flag_and_thread_count_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (_, one) = report(
        dir.path(),
        "a.html",
        &[SCENARIO, "--plans", PLANS, "-j", "1"],
    );
    let (_, two) = report(
        dir.path(),
        "b.html",
        &[SCENARIO, "--plans", PLANS, "-j", "2"],
    );
    assert!(one == two, "report depends on the thread count");
    let path = dir.path().join("c.html");
    racesim()
        .args([
            "run", SCENARIO, "--plans", PLANS, "-n", TRIALS, "-s", SEED, "-q", "-f", "json",
        ])
        .arg("--report")
        .arg(&path)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&path).unwrap() == one);
    // Only the report file is left: it was written through a temporary file.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a.html", "b.html", "c.html"]);
}

#[test]
fn single_plan_scenarios_report_without_a_comparison() {
    let dir = tempfile::tempdir().unwrap();
    for scn in [
        "scenarios/b2b_leadgen.csv",
        "scenarios/subscription_app.csv",
    ] {
        let (_, text) = report(dir.path(), "r.html", &[scn]);
        let html = Html::parse_document(&text);
        let cmp: String = html
            .select(&sel("#comparison"))
            .next()
            .unwrap()
            .text()
            .collect();
        assert!(cmp.contains("Only the baseline"), "{scn}");
        assert_eq!(html.select(&sel("#chart-profit-difference")).count(), 0);
        assert!(html.select(&sel("figure.chart svg")).count() >= 8, "{scn}");
    }
}

#[test]
fn bad_input_is_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    racesim()
        .args(["report", "no/such/scenario.csv", "-q", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no/such/scenario.csv"));
    racesim()
        .args(["report", SCENARIO, "-q"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--output"));
    let bad_plans = dir.path().join("plans.csv");
    std::fs::write(&bad_plans, "plan,channel,spend\nx,nosuch,100\n").unwrap();
    racesim()
        .args(["report", SCENARIO, "-q", "-n", "10", "--plans"])
        .arg(&bad_plans)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(":2:"));
    racesim()
        .args(["report", SCENARIO, "-q", "-n", "10", "-o"])
        .arg(dir.path().join("missing-dir").join("r.html"))
        .assert()
        .code(3);
    assert!(!out.exists());
}

/// A plans file with `n` alternative plans with long names.
fn many_plans(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("many.plans.csv");
    let mut text = String::from("plan,channel,spend\n");
    for i in 1..=n {
        text.push_str(&format!(
            "a_rather_long_plan_name_number_{i},search,{}\n",
            50_000 + 2_000 * i
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn many_plans_get_their_own_colours_and_tables_that_fit() {
    let dir = tempfile::tempdir().unwrap();
    let plans = many_plans(dir.path(), 11);
    let path = dir.path().join("many.html");
    racesim()
        .args(["report", SCENARIO, "--plans"])
        .arg(&plans)
        .args(["-n", "300", "-s", SEED, "-q", "-o"])
        .arg(&path)
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    let html = Html::parse_document(&text);
    // The legend: ten distinct colours, then the palette again, outlined
    // (their lines dashed).
    let swatches: Vec<String> = html
        .select(&sel("#funnel .legend .swatch"))
        .map(|e| e.value().attr("style").unwrap().to_string())
        .collect();
    assert_eq!(swatches.len(), 12);
    let colour = |s: &str| s.split(';').next().unwrap().to_string();
    let first: std::collections::BTreeSet<String> =
        swatches[..10].iter().map(|s| colour(s)).collect();
    assert_eq!(first.len(), 10, "{swatches:?}");
    for s in &swatches[..10] {
        assert!(!s.contains("outline"), "{s}");
    }
    for s in &swatches[10..] {
        assert!(s.contains("outline"), "{s}");
    }
    // Per-plan tables hold at most four plans each, every plan once.
    for section in ["kpis", "targets", "channels"] {
        let mut seen = Vec::new();
        for table in html.select(&sel(&format!("#{section} table"))) {
            let names: Vec<String> = table
                .select(&sel("th.plan"))
                .map(|th| th.text().collect::<String>())
                .collect();
            assert!(names.len() <= 4, "{section}: {names:?}");
            seen.extend(names);
        }
        assert_eq!(seen.len(), 12, "{section}: {seen:?}");
    }
    // With this many plans the funnel's conversion rates are a table.
    assert!(html.select(&sel("#funnel table.rates")).count() > 1);
}

#[test]
fn numbers_are_formatted_for_reading() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = report(dir.path(), "r.html", &[SCENARIO, "--plans", PLANS]);
    let html = Html::parse_document(&text);
    let shown = |key: &str| -> String {
        html.select(&sel(&format!(r#".num[data-key="{key}"]"#)))
            .next()
            .unwrap_or_else(|| panic!("{key} not shown"))
            .text()
            .collect()
    };
    let doc = json(&[SCENARIO, "--plans", PLANS]);
    for (i, p) in doc["plans"].as_array().unwrap().iter().enumerate() {
        // Money of 100 or more: whole currency units, the range too.
        for m in ["profit", "revenue", "cost"] {
            for stat in ["mean", "p5", "p95"] {
                let s = shown(&format!("/plans/{i}/metrics/{m}/{stat}"));
                assert!(!s.contains('.'), "{m} {stat}: {s}");
            }
        }
        // No spend is "0", not "0.00".
        for (ch, spend) in p["spend"].as_object().unwrap() {
            let s = shown(&format!("/plans/{i}/spend/{ch}"));
            if spend.as_f64() == Some(0.0) {
                assert_eq!(s, "0");
            }
        }
    }
    for (k, c) in doc["comparisons"].as_array().unwrap().iter().enumerate() {
        let s = shown(&format!("/comparisons/{k}/mean_difference"));
        let low = shown(&format!("/comparisons/{k}/mean_difference_low"));
        match c["metric"].as_str().unwrap() {
            "roi" => assert!(s.ends_with(" pp") && low.ends_with(" pp"), "{s}"),
            "profit" | "revenue" if c["mean_difference"].as_f64().unwrap().abs() >= 100.0 => {
                assert!(!s.contains('.') && !low.contains('.'), "{s}, {low}")
            }
            _ => {}
        }
    }
    assert!(!text.contains(">0.00<"), "a zero shown as 0.00");
    let profit = html
        .select(&sel("#chart-profit-histogram"))
        .next()
        .unwrap()
        .html();
    assert!(profit.contains("\ntarget &gt; 0\n</text>"), "{profit}");
    // Captions name no colour that dark mode inverts.
    let words: String = html.select(&sel("main")).next().unwrap().text().collect();
    for word in ["black", "white"] {
        assert!(!words.contains(word), "the page says `{word}`");
    }
}

#[test]
fn the_page_prints_without_stranded_headings() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = report(dir.path(), "r.html", &[SCENARIO, "--plans", PLANS]);
    // No fixed paper size (the reader's A4 or Letter holds), margins set.
    assert!(text.contains("@page { size: auto; margin:"));
    let html = Html::parse_document(&text);
    // Each section's heading is kept with what follows it.
    for id in &SECTIONS[..8] {
        let keep = html
            .select(&sel(&format!("#{id} > div.keep")))
            .next()
            .unwrap_or_else(|| panic!("#{id} has no .keep block"));
        let first = keep.select(&sel("h2")).next().expect("the heading in it");
        assert!(first.text().collect::<String>().contains('.'));
        assert!(
            keep.children().filter(|c| c.value().is_element()).count() > 2,
            "#{id}: the heading is kept with nothing"
        );
    }
    // Every channel's funnel runs through to the customers still active at
    // the horizon (the Engage stage), like the all-channels one.
    for channel in ["search", "social", "display", "influencers", "referral"] {
        let chart = html
            .select(&sel(&format!("#chart-funnel-{channel}")))
            .next()
            .unwrap_or_else(|| panic!("no funnel for {channel}"));
        let words: String = chart.text().collect();
        assert!(
            words.contains("Engage: active at horizon")
                && words.contains("still active in month 24"),
            "{channel}: {words}"
        );
    }
}

// ---- the report in a real browser --------------------------------------

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RACESIM_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn headless(browser: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .timeout(Duration::from_secs(120));
    cmd
}

const PROBE: &str = r#"<script>
(function () {
  var out = [];
  document.querySelectorAll("figure.chart").forEach(function (f) {
    var r = f.querySelector("svg").getBoundingClientRect();
    out.push(f.id + " " + Math.round(r.width) + " " + Math.round(r.height));
  });
  var pre = document.createElement("pre");
  pre.id = "racesim-probe";
  pre.textContent = out.join("\n");
  document.body.appendChild(pre);
  console.log("racesim-probe " + out.length + " charts");
})();
</script>
"#;

#[test]
fn report_renders_in_a_real_browser() {
    // A fresh clone's `cargo test` must pass without a browser, so a missing one is a loud
    // skip; CI installs Chromium and sets RACESIM_REQUIRE_BROWSER=1 so the test really runs.
    let Some(browser) = chromium() else {
        let how = "headless Chromium at /usr/bin/chromium (apt-get install chromium), \
                   or RACESIM_CHROMIUM=/path/to/chromium";
        if std::env::var("RACESIM_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("RACESIM_REQUIRE_BROWSER=1 but no browser was found: this test needs {how}");
        }
        // Straight to stderr, not eprintln!: the harness swallows a passing test's eprintln!.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: no Chromium: report_renders_in_a_real_browser did not run; \
             it needs {how} (set RACESIM_REQUIRE_BROWSER=1 to make a missing browser fail) ***\n"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (page, text) = report(dir.path(), "r.html", &[SCENARIO, "--plans", PLANS]);
    let figures = Html::parse_document(&text)
        .select(&sel("figure.chart"))
        .count();

    // Layout: every chart's SVG has a real size once the page is laid out.
    let probe = dir.path().join("probe.html");
    std::fs::write(&probe, text.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let out = headless(&browser, &dir.path().join("profile-a"))
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(format!("file://{}", probe.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = Html::parse_document(&String::from_utf8_lossy(&out.stdout));
    let sizes: String = dom
        .select(&sel("#racesim-probe"))
        .next()
        .expect("the probe ran in the browser")
        .text()
        .collect();
    let lines: Vec<&str> = sizes.lines().collect();
    assert_eq!(lines.len(), figures);
    for line in lines {
        let f: Vec<&str> = line.split(' ').collect();
        let (w, h): (f64, f64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
        assert!(w > 400.0 && h > 100.0, "chart {} laid out at {w}x{h}", f[0]);
    }
    // Console: only the probe's own message, no error from the page.
    let log = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(
        console.iter().any(|l| l.contains("racesim-probe")),
        "the browser's console was not captured:\n{log}"
    );
    for line in &console {
        assert!(line.contains("racesim-probe"), "console message: {line}");
    }
    assert!(!log.contains("Uncaught"), "{log}");

    // Pixels: the unmodified page paints text and coloured charts.
    let png = dir.path().join("r.png");
    headless(&browser, &dir.path().join("profile-b"))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,4000")
        .arg(format!("file://{}", page.display()))
        .assert()
        .success();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let px = |i: usize| &buf[i * channels..i * channels + 3];
    let total = (info.width * info.height) as usize;
    let background = px(0).to_vec();
    let painted = (0..total)
        .filter(|&i| px(i) != background.as_slice())
        .count();
    let plan_blue = (0..total)
        .filter(|&i| {
            let p = px(i);
            (p[0] as i32 - 0x2E).abs() < 40
                && (p[1] as i32 - 0x86).abs() < 40
                && (p[2] as i32 - 0xDE).abs() < 40
        })
        .count();
    assert!(
        painted > total / 20,
        "page looks blank: {painted} of {total} pixels painted"
    );
    assert!(
        plan_blue > 2000,
        "charts not painted: {plan_blue} plan-coloured pixels"
    );

    // Paper: A4 between 12 mm margins is 186 mm, about 700 CSS pixels. At
    // that width, even with eight long-named plans, nothing is wider than
    // the page and no table needs scrolling.
    let plans = many_plans(dir.path(), 7);
    let many = dir.path().join("many.html");
    racesim()
        .args(["report", SCENARIO, "--plans"])
        .arg(&plans)
        .args(["-n", "300", "-q", "-o"])
        .arg(&many)
        .assert()
        .success();
    let probe = dir.path().join("fit.html");
    let text = std::fs::read_to_string(&many).unwrap();
    std::fs::write(
        &probe,
        text.replace("</body>", &format!("{FIT_PROBE}</body>")),
    )
    .unwrap();
    let out = headless(&browser, &dir.path().join("profile-c"))
        .args(["--window-size=700,2000", "--dump-dom"])
        .arg(format!("file://{}", probe.display()))
        .output()
        .unwrap();
    let dom = Html::parse_document(&String::from_utf8_lossy(&out.stdout));
    let fit: String = dom
        .select(&sel("#racesim-fit"))
        .next()
        .expect("the fit probe ran")
        .text()
        .collect();
    assert_eq!(fit.trim(), "fits", "too wide at 700 px: {fit}");
}

const FIT_PROBE: &str = r#"<script>
(function () {
  var bad = [];
  var page = document.documentElement;
  if (page.scrollWidth > page.clientWidth + 1) bad.push("page " + page.scrollWidth);
  document.querySelectorAll(".wide").forEach(function (w, i) {
    if (w.scrollWidth > w.clientWidth + 1) {
      var t = w.closest("section");
      bad.push((t ? t.id : "?") + " table " + i + ": " + w.scrollWidth + " > " + w.clientWidth);
    }
  });
  var pre = document.createElement("pre");
  pre.id = "racesim-fit";
  pre.textContent = bad.length ? bad.join("\n") : "fits";
  document.body.appendChild(pre);
})();
</script>
"#;
