//! `racesim validate`: check a scenario and show what each channel rests on.

use std::fmt::Write;

use anyhow::Result;

use crate::cli::ValidateArgs;
use crate::error::{EXIT_OK, Error};
use crate::scenario::{self, Input, REFERRAL, Resolved, Scenario, Source};

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

pub fn render(scn: &Scenario) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: valid · {} channels · {} assumptions ({} uncertain) · {} targets",
        scn.path.display(),
        scn.channels.len(),
        scn.assumptions.len(),
        scn.drawn.len(),
        scn.targets.len()
    );
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
            let (value, from, note) = describe(scn, r, *input);
            let def = input.def();
            let label = format!("{}.{}", def.stage.name(), def.name);
            let _ = writeln!(out, "  {:<26}{:<28}{:<22}{}", label, value, from, note);
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

pub fn run(args: &ValidateArgs) -> Result<i32, Error> {
    let scn = scenario::load(&args.scenario)?;
    crate::output::emit(None, &render(&scn))?;
    Ok(EXIT_OK)
}
