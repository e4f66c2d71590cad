//! Human-readable check reports: markdown for a pull-request comment and
//! plain text for a terminal. Both put what needs attention first.

use std::fmt::Write;

use super::{Change, CheckReport, Gate, ScenarioReport, Status, update_command};
use crate::export::format::{counted, thousands};

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
    if let Some(why) = &report.update_skipped {
        let _ = writeln!(s, "\n**--update wrote no baseline:** {}", cell(why));
    }
    for r in &report.scenarios {
        let _ = writeln!(s, "\n### {} {}\n", mark(r.passed), cell(&r.scenario));
        let _ = writeln!(s, "{}\n", cell(&provenance(r)));
        if let Some(e) = &r.error {
            s.push_str("This scenario could not be checked:\n\n```\n");
            s.push_str(&e.replace("```", "` ` `"));
            s.push_str("\n```\n\n");
        }
        for line in explanation(r) {
            let _ = writeln!(s, "{}  ", cell(&line));
        }
        if r.baseline.moved.is_empty() && r.gates.is_empty() {
            continue;
        }
        s.push_str("\n| | plan | what | baseline | now | change | threshold |\n");
        s.push_str("|---|---|---|---|---|---|---|\n");
        let label = moved_label(r.baseline.status);
        for c in r.baseline.moved.iter().take(MAX_ROWS) {
            let (old, new) = pair(c.old, c.new);
            let _ = writeln!(
                s,
                "| ⚠️ {label} | {} | {} | {old} | {new} | {} | {} |",
                cell(&c.plan),
                cell(&what(c)),
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
        if let Some(e) = &r.error {
            for line in e.lines() {
                let _ = writeln!(s, "    error: {line}");
            }
        }
        for line in explanation(r) {
            let _ = writeln!(s, "    {line}");
        }
        let label = moved_label(r.baseline.status);
        for c in r.baseline.moved.iter().take(MAX_ROWS) {
            let plan = if c.plan.is_empty() {
                String::new()
            } else {
                format!("[{}] ", c.plan)
            };
            let (old, new) = pair(c.old, c.new);
            let _ = writeln!(
                s,
                "    {label}  {plan}{}: {old} → {new} ({}; threshold {})",
                what(c),
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
    if let Some(why) = &report.update_skipped {
        let _ = writeln!(s, "--update wrote no baseline: {why}");
    }
    let failed = report.scenarios.iter().filter(|r| !r.passed).count();
    let unchecked = report
        .scenarios
        .iter()
        .filter(|r| r.error.is_some())
        .count();
    let _ = writeln!(
        s,
        "{}: {} of {} scenarios passed{}",
        if report.passed { "PASSED" } else { "FAILED" },
        report.scenarios.len() - failed,
        report.scenarios.len(),
        if unchecked > 0 {
            format!(", {unchecked} could not be checked")
        } else {
            String::new()
        }
    );
    s
}

/// How a changed statistic is labelled: noise-tested moves, or exact
/// differences under identical inputs.
fn moved_label(status: Status) -> &'static str {
    if status == Status::Differs {
        "differs"
    } else {
        "moved"
    }
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
            "{} {} from the baseline although inputs, trials, seed and model are unchanged",
            counted(b.moved.len() as u64, "number"),
            if b.moved.len() == 1 {
                "differs"
            } else {
                "differ"
            }
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
        Status::Reformatted => {
            "same numbers, but the baseline file is not in racesim's format".to_string()
        }
        Status::Missing => "no baseline yet".to_string(),
        Status::Error => "could not be checked".to_string(),
    };
    if r.baseline_written {
        line.push_str(" (baseline written)");
    }
    line
}

fn gates_line(r: &ScenarioReport) -> String {
    if r.error.is_some() {
        return "gates not evaluated".into();
    }
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
    let run = match (r.trials, r.seed) {
        (Some(t), Some(seed)) => format!(" · {} · seed {seed}", counted(t, "trial")),
        _ => String::new(),
    };
    format!(
        "{}{plans}{run} · baseline {}",
        r.file.display(),
        r.baseline_file.display()
    )
}

fn explanation(r: &ScenarioReport) -> Vec<String> {
    let mut lines = Vec::new();
    let dir = r
        .baseline_file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let update = format!("`{}`", update_command(&r.file, dir));
    let refresh = !r.baseline_written && r.error.is_none();
    match r.baseline.status {
        Status::Missing if refresh => lines.push(format!(
            "No baseline at {}: review the forecast, then create it with {update}.",
            r.baseline_file.display()
        )),
        Status::Differs => lines.push(
            "Same inputs must give the same bytes: this is a change in racesim or in the baseline file, not noise.".into(),
        ),
        Status::Reformatted => lines.push(
            "Same inputs must give the same bytes: every number matches, but the file is not byte for byte what racesim writes.".into(),
        ),
        _ => {}
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
    if refresh {
        match r.baseline.status {
            Status::Differs => lines.push(format!(
                "If the change is intended, refresh the baseline with {update}."
            )),
            Status::Reformatted => lines.push(format!(
                "The baseline is not in racesim's format: refresh it with {update}."
            )),
            Status::Moved => lines.push(format!(
                "If the moves are intended, refresh the baseline with {update} and commit it with the change."
            )),
            _ => {}
        }
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
            let pct = 100.0 * d / o.abs();
            // One decimal, or two significant digits when that shows 0.0.
            let pct = if pct.abs() >= 0.05 {
                format!("{pct:+.1}")
            } else {
                signed_sig(pct, 2)
            };
            format!("{} ({pct} %)", signed(d))
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
    signed_sig(x, 4)
}

/// `x` with at least `digits` significant digits and its sign.
fn signed_sig(x: f64, digits: i32) -> String {
    let s = sig(x, digits);
    if x > 0.0 { format!("+{s}") } else { s }
}

/// A probability's standard error: three decimals say all it can.
fn se(x: f64) -> String {
    format!("{x:.3}")
}

fn opt(x: Option<f64>) -> String {
    x.map_or("–".into(), num)
}

/// A baseline value and the new one, with enough decimals for their
/// difference to show with two significant digits (293,785.512 →
/// 293,785.502, not 293,786 → 293,786).
pub fn pair(old: Option<f64>, new: Option<f64>) -> (String, String) {
    if let (Some(o), Some(n)) = (old, new) {
        let d = (n - o).abs();
        if d > 0.0 && d.is_finite() {
            let needed = (1 - d.log10().floor() as i32).clamp(0, 17);
            if needed > decimals(o, 4) || needed > decimals(n, 4) {
                let needed = needed as usize;
                return (thousands(o, needed), thousands(n, needed));
            }
        }
    }
    (opt(old), opt(new))
}

/// Decimals that show `x` with `digits` significant digits.
fn decimals(x: f64, digits: i32) -> i32 {
    if x == 0.0 || !x.is_finite() {
        return 0;
    }
    (digits - 1 - x.abs().log10().floor() as i32).clamp(0, 17)
}

/// About four significant digits, thousands grouped.
pub fn num(x: f64) -> String {
    sig(x, 4)
}

/// `digits` significant digits (all of a whole number's), thousands
/// grouped, trailing zeros dropped.
fn sig(x: f64, digits: i32) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".into();
    }
    let s = thousands(x, decimals(x, digits) as usize);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_about_four_significant_digits() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(0.49213), "0.4921");
        assert_eq!(num(62.3), "62.3");
        assert_eq!(num(7178.3), "7,178");
        assert_eq!(num(-1234567.0), "-1,234,567");
    }

    #[test]
    fn a_pair_shows_its_difference() {
        assert_eq!(
            pair(Some(7178.3), Some(7177.8)),
            ("7,178.30".into(), "7,177.80".into())
        );
        assert_eq!(
            pair(Some(293785.512), Some(293785.502)),
            ("293,785.512".into(), "293,785.502".into())
        );
        // A visible change keeps the usual digits.
        assert_eq!(
            pair(Some(3413.2), Some(4433.0)),
            ("3,413".into(), "4,433".into())
        );
        assert_eq!(pair(None, Some(1.0)), ("–".into(), "1".into()));
    }

    #[test]
    fn tiny_relative_changes_are_not_rounded_to_zero() {
        let c = Change {
            plan: String::new(),
            what: "x".into(),
            statistic: "exact".into(),
            old: Some(7178.3),
            new: Some(7177.8),
            change: Some(-0.5),
            threshold: 0.0,
        };
        assert_eq!(change(&c), "-0.5 (-0.007 %)");
    }
}
