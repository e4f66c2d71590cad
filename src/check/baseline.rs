//! Baseline files: the section 5 JSON document of an accepted run.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use crate::document::{Document, SCHEMA_VERSION};
use crate::error::{InputError, InputProblem};
use crate::export::{Exporter, JsonExporter};

/// A baseline as stored: its bytes, the document, and the JSON value parsed
/// from the file's text. An unchanged run must reproduce the bytes; when it
/// does not, the values tell which numbers differ, read exactly the way the
/// new run's are.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub doc: Document,
    pub value: Value,
    /// The file as stored: an unchanged run must reproduce these bytes, and
    /// `--update` rewrites only what changed.
    pub text: String,
}

/// Reads a baseline; `None` when there is none yet. `update` is the command
/// that would regenerate it, for the error message.
pub fn read(path: &Path, update: &str) -> Result<Option<Baseline>, InputError> {
    let read = crate::input::read(path).and_then(|bytes| {
        String::from_utf8(bytes).map_err(|_| {
            crate::input::ReadError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "it is not UTF-8 text",
            ))
        })
    });
    let text = match read {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => {
            return Err(problem(
                path,
                update,
                InputProblem::whole_file(format!("cannot read the baseline: {e}")),
            ));
        }
    };
    parse(path, &text, update).map(Some)
}

pub fn parse(path: &Path, text: &str, update: &str) -> Result<Baseline, InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        problem(
            path,
            update,
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
                update,
                InputProblem::whole_file(format!(
                    "the baseline has schema_version {v}, this racesim reads {SCHEMA_VERSION}"
                )),
            ));
        }
        None => {
            return Err(problem(
                path,
                update,
                InputProblem::whole_file(
                    "the baseline has no schema_version: it is not a racesim result document",
                ),
            ));
        }
    }
    let doc = <Document as serde::Deserialize>::deserialize(&value).map_err(|e| {
        problem(
            path,
            update,
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

fn problem(path: &Path, update: &str, p: InputProblem) -> InputError {
    InputError::single(
        path,
        p.help(format!(
            "if the scenario's current results are right, regenerate it with `{update}`"
        )),
    )
}
