//! Baseline files: the section 5 JSON document of an accepted run.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use crate::document::{Document, SCHEMA_VERSION};
use crate::error::{InputError, InputProblem};
use crate::export::{Exporter, JsonExporter};

/// A baseline as stored: the document, and the JSON value parsed from the
/// file's text. Exact comparisons use the value, so the baseline's numbers
/// are read exactly the way the new run's are.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub doc: Document,
    pub value: Value,
    /// The file as stored, so `--update` rewrites only what changed.
    pub text: String,
}

const REGENERATE: &str =
    "if the scenario's current results are right, regenerate it with `racesim check --update`";

/// Reads a baseline; `None` when there is none yet.
pub fn read(path: &Path) -> Result<Option<Baseline>, InputError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(problem(
                path,
                InputProblem::whole_file(format!("cannot read the baseline: {e}")),
            ));
        }
    };
    parse(path, &text).map(Some)
}

pub fn parse(path: &Path, text: &str) -> Result<Baseline, InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        problem(
            path,
            InputProblem::at(
                e.line() as u64,
                format!("the baseline is not valid JSON: {e}"),
            ),
        )
    })?;
    match value.get("schema_version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(problem(
                path,
                InputProblem::whole_file(format!(
                    "the baseline has schema_version {v}, this racesim reads {SCHEMA_VERSION}"
                )),
            ));
        }
        None => {
            return Err(problem(
                path,
                InputProblem::whole_file(
                    "the baseline has no schema_version: it is not a racesim result document",
                ),
            ));
        }
    }
    let doc = <Document as serde::Deserialize>::deserialize(&value).map_err(|e| {
        problem(
            path,
            InputProblem::whole_file(format!(
                "the baseline is not a racesim result document: {e}"
            )),
        )
    })?;
    Ok(Baseline {
        doc,
        value,
        text: text.to_string(),
    })
}

/// The text a baseline file holds: exactly `racesim run --format json`.
pub fn render(doc: &Document) -> Result<String> {
    JsonExporter.render(doc)
}

/// The JSON value of a new result, read back from its own text like a
/// baseline is.
pub fn value_of(doc: &Document) -> Result<Value> {
    Ok(serde_json::from_str(&render(doc)?)?)
}

fn problem(path: &Path, p: InputProblem) -> InputError {
    InputError::single(path, p.help(REGENERATE))
}
