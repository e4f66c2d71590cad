//! `racesim init FILE.csv` / `racesim init --xlsx FILE.xlsx`: a starter
//! scenario with every input metric, its meaning, domain and default, that
//! validates and runs as it is.
//!
//! The rows come from the input table (`scenario::inputs::INPUTS`), so a
//! new metric or a changed default reaches the template without an edit
//! here; only the example values of the inputs that have no default are
//! chosen below.

use std::path::Path;

use crate::cli::InitArgs;
use crate::error::{EXIT_OK, Error, UsageError};
use crate::export::xlsx::{Book, Cell, Sheet, Style};
use crate::scenario::{INPUTS, Input, InputDef, Stage};

/// The starter's one paid channel.
const CHANNEL: &str = "search";

/// Values for the inputs without a default, so the starter runs; a few are
/// distributions, to show how uncertainty is written.
fn example(input: Input) -> Option<&'static str> {
    Some(match input {
        Input::Spend => "10000",
        Input::CostPerVisit => "pert(0.8, 1.0, 1.6)",
        Input::ActRate => "beta(5, 95)",
        Input::ConvertRate => "uniform(0.05, 0.15)",
        Input::OrderValue => "60",
        Input::RepeatOrderValue => "45",
        _ => return None,
    })
}

/// Rows the starter leaves commented out: with them the model changes
/// (a saturating audience), so they are shown, not set.
fn commented(input: Input) -> Option<&'static str> {
    (input == Input::Audience).then_some("200000")
}

/// Channel-level inputs go on the paid channel; the rest apply to every
/// channel (`*`).
fn channel_of(def: &InputDef) -> &'static str {
    match def.input {
        Input::Spend | Input::CostPerVisit | Input::Audience => CHANNEL,
        _ => "*",
    }
}

/// "meaning · domain · default" for a row's note.
fn note(def: &InputDef) -> String {
    let default = match def.input.default_value() {
        Some(x) => format!("default {x}"),
        None if def.input == Input::Audience => "default: no limit".to_string(),
        None if def.input == Input::RepeatOrderValue => "default: the order value".to_string(),
        None => "required for a channel with spend".to_string(),
    };
    let kind = if def.fixed {
        "a plain number"
    } else {
        "a number or a distribution"
    };
    format!(
        "{} · {} ({kind}) · {default}",
        def.meaning,
        def.domain.describe()
    )
}

/// A row's value: the example, else the default.
fn value(def: &InputDef) -> Option<String> {
    example(def.input)
        .map(String::from)
        .or_else(|| def.input.default_value().map(|x| x.to_string()))
}

const HELP: [&str; 9] = [
    "racesim starter scenario: edit the values, then `racesim validate` and `racesim run` it.",
    "Columns: stage (plan, reach, act, convert, engage, target), channel (`*` = every channel), metric, value, note.",
    "A value is a number or a distribution: uniform(low, high), triangular(low, mode, high), pert(low, mode, high), beta(a, b), lognormal(mean, sd).",
    "Rates and shares are decimals (0.05, not 5%). Money is in one currency throughout.",
    "Add a channel with its own reach rows (spend, cost_per_visit); act/convert/engage rows on `*` apply to every channel, a row naming a channel overrides them.",
    "A metric's value for one month only: metric@K (e.g. convert,*,rate@11,0.2); monthly spend: a plans file with a month column.",
    "Targets: target,*,profit,> 0 @ 0.8 (holds in at least 80% of trials); channel targets name their channel.",
    "Each row's note says what the metric means, its domain and its default; rows left at their default can be deleted.",
    "See README.md, 'The scenario format', for the whole format.",
];

const COLUMNS: [&str; 5] = ["stage", "channel", "metric", "value", "note"];

/// One row of the starter, in `COLUMNS` order.
struct Row {
    stage: &'static str,
    channel: &'static str,
    metric: &'static str,
    value: String,
    note: String,
}

/// The rows the starter sets, ending with an example gate, and the rows it
/// only shows (`commented`).
fn rows() -> (Vec<Row>, Vec<Row>) {
    let (mut set, mut shown) = (Vec::new(), Vec::new());
    for def in &INPUTS {
        let (rows, value) = match (commented(def.input), value(def)) {
            (Some(v), _) => (&mut shown, v.to_string()),
            (None, Some(v)) => (&mut set, v),
            (None, None) => continue,
        };
        rows.push(Row {
            stage: def.stage.name(),
            channel: channel_of(def),
            metric: def.name,
            value,
            note: note(def),
        });
    }
    set.push(Row {
        stage: Stage::Target.name(),
        channel: "*",
        metric: "profit",
        value: "> 0 @ 0.5".into(),
        note: "example gate: the campaign pays for itself in at least half the trials".into(),
    });
    (set, shown)
}

fn csv_text() -> anyhow::Result<String> {
    let mut out = String::new();
    for line in HELP {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    let (set, shown) = rows();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in &set {
        w.write_record([r.stage, r.channel, r.metric, &r.value, &r.note])?;
    }
    out.push_str(std::str::from_utf8(&w.into_inner()?)?);
    out.push_str("# Uncomment to cap the people a channel can reach (visits then saturate):\n");
    for r in shown {
        out.push_str(&format!(
            "# {},{},{},{},\"{}\"\n",
            r.stage, r.channel, r.metric, r.value, r.note
        ));
    }
    Ok(out)
}

fn workbook() -> anyhow::Result<Vec<u8>> {
    let (set, shown) = rows();
    let mut scenario = Sheet::new("scenario", &COLUMNS);
    let mut help = Sheet::new("help", &["about this workbook"]);
    for line in HELP {
        help.push(vec![Cell::text(line)]);
    }
    help.push(vec![Cell::text(
        "Optional rows, not set here (add them to the scenario sheet to use them):",
    )]);
    for r in shown {
        help.push(vec![Cell::text(format!(
            "{},{},{},{} · {}",
            r.stage, r.channel, r.metric, r.value, r.note
        ))]);
    }
    for r in set {
        // Numbers as numbers, distributions as text, as a planner types them.
        let value = match r.value.parse::<f64>() {
            Ok(x) => Cell::Number(x, Style::General),
            Err(_) => Cell::text(r.value),
        };
        scenario.push(vec![
            Cell::text(r.stage),
            Cell::text(r.channel),
            Cell::text(r.metric),
            value,
            Cell::text(r.note),
        ]);
    }
    let mut book = Book::default();
    book.add(scenario);
    book.add(help);
    book.to_bytes()
}

/// Writes `bytes` as a new file: never over an existing one, and whole or
/// not at all.
fn create_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = crate::output::write_temporary(path, bytes, None)?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::from(refuse(path))
        } else {
            Error::from(
                anyhow::Error::from(e.error).context(format!("cannot write {}", path.display())),
            )
        }
    })?;
    Ok(())
}

fn refuse(path: &Path) -> UsageError {
    UsageError(format!(
        "{} already exists: `racesim init` never overwrites a file\n  help: give a new file name, \
         or delete or rename the existing file first",
        path.display()
    ))
}

pub fn run(args: &InitArgs) -> Result<i32, Error> {
    let path = &args.file;
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(refuse(path).into());
    }
    let xlsx = args.xlsx
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let bytes = if xlsx {
        workbook()?
    } else {
        csv_text()?.into_bytes()
    };
    create_new(path, &bytes)?;
    eprintln!(
        "wrote {}: a starter scenario; edit it, then `racesim validate {0}` and `racesim run {0}`",
        path.display()
    );
    Ok(EXIT_OK)
}
