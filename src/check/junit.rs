//! JUnit XML, the report format every CI system can display: one test
//! suite per scenario, one test case per gate and one for the baseline
//! comparison. A scenario that could not be checked is one failing
//! baseline-comparison case whose message is the error.

use std::fmt::Write;

use super::CheckReport;
use super::text::{gate_text, num, pair, status_line};

pub fn render(report: &CheckReport) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let cases = |r: &super::ScenarioReport| r.gates.len() + 1;
    let failures =
        |r: &super::ScenarioReport| r.failed_gates().count() + usize::from(!r.comparison_passed);
    let total: usize = report.scenarios.iter().map(cases).sum();
    let failed: usize = report.scenarios.iter().map(failures).sum();
    let _ = writeln!(
        s,
        "<testsuites name=\"racesim check\" tests=\"{total}\" failures=\"{failed}\">"
    );
    for r in &report.scenarios {
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">",
            escape(&r.scenario),
            cases(r),
            failures(r)
        );
        let class = escape(&r.scenario);
        let _ = write!(
            s,
            "    <testcase classname=\"{class}\" name=\"baseline comparison\">"
        );
        if !r.comparison_passed {
            let mut detail = String::new();
            if let Some(e) = &r.error {
                let _ = writeln!(detail, "{e}");
            }
            for note in &r.baseline.notes {
                let _ = writeln!(detail, "{note}");
            }
            for c in &r.baseline.moved {
                let (old, new) = pair(c.old, c.new);
                let _ = writeln!(
                    detail,
                    "{} {} {}: {old} -> {new} (threshold {})",
                    c.plan,
                    c.what,
                    c.statistic,
                    num(c.threshold)
                );
            }
            let _ = write!(
                s,
                "\n      <failure message=\"{}\">{}</failure>\n    ",
                escape(&status_line(r, report.z)),
                escape(&detail)
            );
        }
        s.push_str("</testcase>\n");
        for g in &r.gates {
            let _ = write!(
                s,
                "    <testcase classname=\"{class}\" name=\"gate {}\">",
                escape(&g.target)
            );
            if !g.met {
                let _ = write!(
                    s,
                    "\n      <failure message=\"{}\"/>\n    ",
                    escape(&gate_text(g))
                );
            }
            s.push_str("</testcase>\n");
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}
