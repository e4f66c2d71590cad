//! Human-readable check reports: markdown for a pull-request comment and
//! plain text for a terminal. Both put what needs attention first.

use std::fmt::Write;

use super::{Change, CheckReport, Gate, ScenarioReport, Status};
use crate::export::format::thousands;

/// Moved statistics shown per scenario; an edited assumption can move
/// hundreds, and a pull-request comment should stay readable. `--format
/// json` lists them all.
const MAX_ROWS: usize = 25;

pub fn markdown(report: &CheckReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## racesim check: {}\n",
        if report.passed {
            "✅ passed"
        } else {
            "❌ failed"
        }
    );
    s.push_str("| | scenario | baseline | gates |\n|---|---|---|---|\n");
    for r in &report.scenarios {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            mark(r.passed),
            cell(&r.scenario),
            cell(&status_line(r, report.z)),
            gates_line(r)
        );
    }
    for r in &report.scenarios {
        let _ = writeln!(s, "\n### {} {}\n", mark(r.passed), cell(&r.scenario));
        let _ = writeln!(s, "{}\n", cell(&provenance(r)));
        for line in explanation(r) {
            let _ = writeln!(s, "{}  ", cell(&line));
        }
        if r.baseline.moved.is_empty() && r.gates.is_empty() {
            continue;
        }
        s.push_str("\n| | plan | what | baseline | now | change | threshold |\n");
        s.push_str("|---|---|---|---|---|---|---|\n");
        for c in r.baseline.moved.iter().take(MAX_ROWS) {
            let _ = writeln!(
                s,
                "| ⚠️ moved | {} | {} | {} | {} | {} | {} |",
                cell(&c.plan),
                cell(&what(c)),
                opt(c.old),
                opt(c.new),
                change(c),
                threshold(c)
            );
        }
        for g in &r.gates {
            let _ = writeln!(
                s,
                "| {} gate | baseline | {} | {} | {} ± {} | {} | ≥ {} |",
                if g.met { "✓" } else { "✗" },
                cell(&g.target),
                opt(g.baseline_probability),
                num(g.probability),
                se(g.se),
                g.baseline_probability
                    .map_or("–".into(), |b| signed(g.probability - b)),
                num(g.required)
            );
        }
    }
    s
}

pub fn text(report: &CheckReport) -> String {
    let mut s = String::new();
    for r in &report.scenarios {
        let _ = writeln!(
            s,
            "{} {}: {}; {}",
            if r.passed { "PASS" } else { "FAIL" },
            r.scenario,
            status_line(r, report.z),
            gates_line(r)
        );
        let _ = writeln!(s, "    {}", provenance(r));
        for line in explanation(r) {
            let _ = writeln!(s, "    {line}");
        }
        for c in r.baseline.moved.iter().take(MAX_ROWS) {
            let plan = if c.plan.is_empty() {
                String::new()
            } else {
                format!("[{}] ", c.plan)
            };
            let _ = writeln!(
                s,
                "    moved  {plan}{}: {} → {} ({}; threshold {})",
                what(c),
                opt(c.old),
                opt(c.new),
                change(c),
                threshold(c)
            );
        }
        for g in &r.gates {
            let _ = writeln!(
                s,
                "    gate {} {}",
                if g.met { "✓" } else { "✗" },
                gate_text(g)
            );
        }
    }
    let failed = report.scenarios.iter().filter(|r| !r.passed).count();
    let _ = writeln!(
        s,
        "{}: {} of {} scenarios passed",
        if report.passed { "PASSED" } else { "FAILED" },
        report.scenarios.len() - failed,
        report.scenarios.len()
    );
    s
}

pub fn gate_text(g: &Gate) -> String {
    format!(
        "{}: P = {} ± {} (required {})",
        g.target,
        num(g.probability),
        se(g.se),
        num(g.required)
    )
}

/// One-line verdict on the baseline comparison.
pub fn status_line(r: &ScenarioReport, z: f64) -> String {
    let b = &r.baseline;
    let mut line = match b.status {
        Status::Identical => "identical to baseline".to_string(),
        Status::Differs => format!(
            "{} numbers differ from the baseline although inputs, trials, seed and model are unchanged",
            b.moved.len()
        ),
        Status::WithinNoise => format!(
            "inputs changed; none of {} statistics moved beyond {z} standard errors",
            b.compared
        ),
        Status::Moved => format!(
            "{} of {} statistics moved beyond {z} standard errors",
            b.moved.len(),
            b.compared
        ),
        Status::Missing => "no baseline yet".to_string(),
    };
    if r.baseline_written {
        line.push_str(" (baseline written)");
    }
    line
}

fn gates_line(r: &ScenarioReport) -> String {
    if r.gates.is_empty() {
        return "no gates".into();
    }
    let failed = r.failed_gates().count();
    if failed == 0 {
        format!("✓ {} of {} gates hold", r.gates.len(), r.gates.len())
    } else {
        format!("✗ {} of {} gates fail", failed, r.gates.len())
    }
}

fn provenance(r: &ScenarioReport) -> String {
    let plans = r
        .plans_file
        .as_ref()
        .map_or(String::new(), |p| format!(" + {}", p.display()));
    format!(
        "{}{plans} · {} trials · seed {} · baseline {}",
        r.file.display(),
        thousands(r.trials as f64, 0),
        r.seed,
        r.baseline_file.display()
    )
}

fn explanation(r: &ScenarioReport) -> Vec<String> {
    let mut lines = Vec::new();
    if r.baseline.status == Status::Missing && !r.baseline_written {
        lines.push(format!(
            "No baseline at {}: review the forecast, then create it with `racesim check --update`.",
            r.baseline_file.display()
        ));
    }
    if r.baseline.status == Status::Differs {
        lines.push(
            "Same inputs must give the same bytes: this is a change in racesim or in the baseline file, not noise.".into(),
        );
    }
    if !r.baseline.input_changes.is_empty() {
        lines.push(format!(
            "Changed since the baseline: {}.",
            r.baseline.input_changes.join("; ")
        ));
    }
    lines.extend(r.baseline.notes.iter().map(|n| format!("Note: {n}.")));
    if r.baseline.moved.len() > MAX_ROWS {
        lines.push(format!(
            "Showing the first {MAX_ROWS} of {} moved statistics (the scenario's own plan first, largest moves first); `--format json` lists all.",
            r.baseline.moved.len()
        ));
    }
    lines
}

fn what(c: &Change) -> String {
    match c.statistic.as_str() {
        "exact" | "probability" => c.what.clone(),
        stat => format!("{} {stat}", c.what),
    }
}

fn change(c: &Change) -> String {
    let Some(d) = c.change else {
        return "–".into();
    };
    match c.old {
        Some(o) if o != 0.0 && c.statistic != "probability" => {
            format!("{} ({:+.1} %)", signed(d), 100.0 * d / o.abs())
        }
        _ => signed(d),
    }
}

fn threshold(c: &Change) -> String {
    if c.threshold > 0.0 {
        format!("±{}", num(c.threshold))
    } else {
        "exact".into()
    }
}

fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", num(x))
    } else {
        num(x)
    }
}

/// A probability's standard error: three decimals say all it can.
fn se(x: f64) -> String {
    format!("{x:.3}")
}

fn opt(x: Option<f64>) -> String {
    x.map_or("–".into(), num)
}

/// About four significant digits, thousands grouped.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.abs() >= 1000.0 {
        return thousands(x, 0);
    }
    let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn mark(passed: bool) -> &'static str {
    if passed { "✅" } else { "❌" }
}

/// Text safe inside a markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
