//! `racesim fit`: data file → fit → scenario rows (or the JSON document)
//! on stdout or `--output`, and a short summary on stderr.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use crate::cli::{FitArgs, FitFormat, FitKind, FitOutputArgs, RateStage};
use crate::error::{EXIT_OK, Error, InputError, InputProblem, UsageError};
use crate::fit::{self, Outcome, orders, rate, reach, retention};
use crate::output;

pub fn run(args: &FitArgs) -> Result<i32, Error> {
    let (outcome, out) = match &args.kind {
        FitKind::Retention(a) => {
            let channel = channel(&a.out, false)?;
            let mut sources = Vec::new();
            for path in &a.files {
                sources.push((shown(path), retention::read(path)?));
            }
            let all = retention::Cohorts {
                layout: sources[0].1.layout,
                cohorts: sources
                    .iter()
                    .flat_map(|(_, c)| c.cohorts.clone())
                    .collect(),
                ignored: None,
            };
            let fitted = retention::fit(&all.cohorts).map_err(|retention::FitProblem(m, h)| {
                let m = match a.files.len() {
                    1 => m,
                    n => format!("{m} (in the cohorts of all {n} files together)"),
                };
                whole_file(&a.files[0], m, Some(h))
            })?;
            let outcome = fit::retention_outcome(&sources, &all, &fitted, &channel, a.uncertain);
            if let Some(path) = &a.report {
                let names: Vec<&str> = sources.iter().map(|(f, _)| f.as_str()).collect();
                let page = crate::report::fit::retention_page(
                    &format!("Retention fit: {}", names.join(", ")),
                    &outcome.summary,
                    &fit::rows_csv(&outcome.rows)?,
                    &fitted.survival,
                )?;
                output::write_atomic(path, page.as_bytes())?;
            }
            (outcome, &a.out)
        }
        FitKind::Rate(a) => {
            let channel = channel(&a.out, false)?;
            let stage = match a.stage {
                RateStage::Act => "act",
                RateStage::Convert => "convert",
            };
            let (source, groups, ignored) = match (&a.file, a.successes, a.trials) {
                (Some(path), _, _) => {
                    let (groups, ignored) = rate::read(path)?;
                    (shown(path), groups, ignored)
                }
                (None, Some(s), Some(n)) => {
                    rate::check_counts(s, n).map_err(|(m, h)| UsageError(format!("{m}; {h}")))?;
                    let group = rate::Group {
                        name: "command line".into(),
                        successes: s,
                        trials: n,
                    };
                    ("counts".to_string(), vec![group], None)
                }
                _ => {
                    return Err(
                        UsageError("give a FILE or both --successes and --trials".into()).into(),
                    );
                }
            };
            let fitted = rate::fit(groups).map_err(|m| match &a.file {
                Some(path) => Error::from(whole_file(path, m, None)),
                None => UsageError(m).into(),
            })?;
            let mut outcome = fit::rate_outcome(&source, stage, &fitted, &channel);
            outcome.notes.extend(ignored);
            (outcome, &a.out)
        }
        FitKind::Orders(a) => {
            let channel = channel(&a.out, false)?;
            let (column, values, ignored) = orders::read(&a.file, a.column.as_deref())?;
            let fitted = orders::fit(column, &values).map_err(|m| whole_file(&a.file, m, None))?;
            let mut outcome = fit::orders_outcome(&shown(&a.file), &fitted, &channel);
            outcome.notes.extend(ignored);
            (outcome, &a.out)
        }
        FitKind::Reach(a) => {
            let channel = channel(&a.out, true)?;
            let (periods, ignored) = reach::read(&a.file)?;
            let fitted = reach::fit(&periods).map_err(|m| whole_file(&a.file, m, None))?;
            let mut outcome = fit::reach_outcome(&shown(&a.file), &fitted, &channel);
            outcome.notes.extend(ignored);
            (outcome, &a.out)
        }
    };
    let text = match out.format {
        FitFormat::Csv => fit::rows_csv(&outcome.rows)?,
        FitFormat::Json => json_document(&outcome)?,
    };
    for line in &outcome.summary {
        eprintln!("{line}");
    }
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    output::emit(out.output.as_deref(), &text)?;
    Ok(EXIT_OK)
}

/// The file as the user named it, for notes and messages.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn whole_file(path: &Path, message: String, help: Option<String>) -> InputError {
    InputError::single(path, InputProblem::whole_file(message).help_opt(help))
}

/// The channel the rows are for: a scenario channel name or `*`. Reach
/// needs a paid channel by name, since spend data are one channel's.
fn channel(out: &FitOutputArgs, named: bool) -> Result<String, UsageError> {
    let raw = out.channel.as_deref().unwrap_or("*").trim();
    let name = raw.to_ascii_lowercase();
    if name == "*" {
        if named {
            return Err(UsageError(
                "fit reach needs --channel NAME: the spend and visits are one paid channel's"
                    .into(),
            ));
        }
        return Ok(name);
    }
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !valid {
        return Err(UsageError(format!(
            "--channel `{raw}` is not a channel name: use letters, digits, `_` and `-`, or `*` for every channel"
        )));
    }
    if named && name == "referral" {
        return Err(UsageError(
            "--channel referral has no reach: referred visitors come from customers, not spend"
                .into(),
        ));
    }
    Ok(name)
}

fn json_document(outcome: &Outcome) -> Result<String> {
    let mut doc = json!({
        "schema_version": 1,
        "fit": outcome.kind,
        "rows": outcome.rows,
        "warnings": outcome.warnings,
        "notes": outcome.notes,
    });
    if let (Some(map), Some(details)) = (doc.as_object_mut(), outcome.details.as_object()) {
        for (k, v) in details {
            map.insert(k.clone(), v.clone());
        }
    }
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}
