//! `validate`'s description of a scenario: what racesim read, channel by
//! channel, with where each value came from.

use std::fmt::Write;

use super::format::counted;
use crate::scenario::{Channel, Input, REFERRAL, Resolved, Scenario, Source, value};

fn describe(scn: &Scenario, r: &Resolved, input: Input) -> (String, String, String) {
    let row = |i: usize| &scn.assumptions[i];
    match r.source {
        Source::Named(i) => (
            row(i).spec.to_string(),
            format!("own row, line {}", row(i).line),
            row(i).note.clone(),
        ),
        Source::Star(i) => (
            row(i).spec.to_string(),
            format!("`*` row, line {}", row(i).line),
            row(i).note.clone(),
        ),
        Source::Default => (
            r.param
                .and_then(|p| p.fixed())
                .map_or("-".into(), |x| x.to_string()),
            "default".into(),
            String::new(),
        ),
        Source::SameAsOrderValue => ("= order_value".into(), "default".into(), String::new()),
        Source::Missing => (
            if input == Input::Audience {
                "none".into()
            } else {
                "MISSING".into()
            },
            if input == Input::Audience {
                "no saturation".into()
            } else {
                "not given".into()
            },
            String::new(),
        ),
    }
}

/// A channel's spend month by month, runs of equal months merged:
/// `months 1–3: 10000 each · month 11: 5000`, or `none`.
fn monthly_spend(c: &Channel) -> String {
    let mut runs: Vec<(usize, usize, f64)> = Vec::new();
    for (i, &s) in c.spend_by_month.iter().enumerate() {
        let t = i + 1;
        if s <= 0.0 {
            continue;
        }
        match runs.last_mut() {
            Some((_, end, v)) if *end + 1 == t && *v == s => *end = t,
            _ => runs.push((t, t, s)),
        }
    }
    if runs.is_empty() {
        return "none".into();
    }
    runs.iter()
        .map(|&(a, b, s)| {
            if a == b {
                format!("month {a}: {}", value::show(s))
            } else {
                format!("months {a}–{b}: {} each", value::show(s))
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn render(scn: &Scenario) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: valid · {} · {} ({} uncertain) · {}",
        scn.path.display(),
        counted(scn.channels.len() as u64, "channel"),
        counted(scn.assumptions.len() as u64, "assumption"),
        scn.drawn.len(),
        counted(scn.targets.len() as u64, "target")
    );
    if let Some(sheet) = &scn.sheet {
        let _ = writeln!(
            out,
            "read from workbook {}, sheet `{sheet}` (line N below is row N of the sheet)",
            scn.path.display()
        );
    }
    let _ = writeln!(out, "\nPLAN");
    for (input, r) in &scn.plan_provenance {
        let (value, from, note) = describe(scn, r, *input);
        let _ = writeln!(
            out,
            "  {:<22}{:<28}{:<22}{}",
            input.def().name,
            value,
            from,
            note
        );
    }
    for c in &scn.channels {
        let kind = if c.is_referral {
            " (built-in: visitors referred by customers)"
        } else {
            ""
        };
        let _ = writeln!(out, "\nCHANNEL {}{}", c.name, kind);
        for (input, r) in &c.provenance {
            if c.is_referral
                && matches!(input, Input::Spend | Input::CostPerVisit | Input::Audience)
            {
                continue;
            }
            let (value, from, note) = if *input == Input::Spend && c.spend_is_monthly {
                (
                    value::show(c.spend),
                    "spend@K rows".to_string(),
                    String::new(),
                )
            } else {
                describe(scn, r, *input)
            };
            let def = input.def();
            let label = format!("{}.{}", def.stage.name(), def.name);
            let _ = writeln!(out, "  {:<26}{:<28}{:<22}{}", label, value, from, note);
        }
        if !c.is_referral {
            let _ = writeln!(out, "  {:<26}{}", "spend by month", monthly_spend(c));
        }
        for o in c.overrides.iter().filter(|o| o.input != Input::Spend) {
            let row = &scn.assumptions[o.row];
            let label = format!("{}.{}", row.stage.name(), row.metric_label());
            let from = format!(
                "{} row, line {}",
                if o.star { "`*`" } else { "own" },
                row.line
            );
            let _ = writeln!(
                out,
                "  {:<26}{:<28}{:<22}{}",
                label,
                row.spec.to_string(),
                from,
                row.note
            );
        }
    }
    if !scn.warnings.is_empty() {
        let _ = writeln!(out, "\nWARNINGS");
        for w in scn.warning_text() {
            let _ = writeln!(out, "  {}", w.replace('\n', "\n  "));
        }
    }
    // Rows for the built-in channel while no channel refers are accepted
    // (spec §2.2: referral needs its inputs only when referrals happen) but
    // have no effect: say so, as the reviewer may expect otherwise.
    if scn.referral_index().is_none() {
        let lines: Vec<String> = scn
            .assumptions
            .iter()
            .filter(|a| a.channel == REFERRAL)
            .map(|a| a.line.to_string())
            .collect();
        if !lines.is_empty() {
            let _ = writeln!(out, "\nNOTES");
            let _ = writeln!(
                out,
                "  the `referral` channel is inactive: no channel has referral_rate > 0, so its {} on line{} {} no effect",
                if lines.len() == 1 { "row" } else { "rows" },
                if lines.len() == 1 { "" } else { "s" },
                lines.join(", ") + if lines.len() == 1 { " has" } else { " have" }
            );
        }
    }
    if !scn.targets.is_empty() {
        let _ = writeln!(out, "\nTARGETS");
        for t in &scn.targets {
            let kind = if t.required.is_some() {
                "gate"
            } else {
                "target"
            };
            let _ = writeln!(
                out,
                "  {:<40}{:<8}line {:<5}{}",
                t.describe(),
                kind,
                t.line,
                t.note
            );
        }
    }
    out
}
