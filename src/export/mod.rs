//! Every document in every format it is written in: one exporter per
//! format for the run's `Document`, and a module per other command's
//! document (`curves`, …), so commands only parse, compute and write.

pub mod compare;
pub mod comparison;
mod csv;
pub mod curves;
pub mod drivers;
pub mod format;
mod json;
pub mod optimize;
pub mod samples;
mod table;
pub mod track;
pub mod validate;
pub mod xlsx;

use anyhow::Result;

use crate::document::Document;

pub use self::csv::CsvExporter;
pub use self::json::JsonExporter;
pub use self::table::TableExporter;

/// The output formats; `ValueEnum` lets the command line offer them as
/// they are, with these descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable tables grouped by RACE stage.
    Table,
    /// The versioned JSON document (schema_version 1).
    Json,
    /// One row per (plan, channel, metric).
    Csv,
    /// An Excel workbook (needs --output): a sheet per table, native charts.
    Xlsx,
}

impl Format {
    /// Formats that are not text, so never written to a terminal.
    pub fn is_binary(self) -> bool {
        self == Format::Xlsx
    }
}

pub trait Exporter {
    fn render(&self, doc: &Document) -> Result<String>;
}

/// The text exporter of `format`; `None` for a workbook, which needs more
/// than the document (see `xlsx::document`).
pub fn exporter_for(format: Format) -> Option<Box<dyn Exporter>> {
    match format {
        Format::Table => Some(Box::new(TableExporter)),
        Format::Json => Some(Box::new(JsonExporter)),
        Format::Csv => Some(Box::new(CsvExporter)),
        Format::Xlsx => None,
    }
}

/// `run`'s output in `format` (also what `merge` prints for sharded runs);
/// a workbook also shows what `extras` holds.
pub fn render_run(
    doc: &Document,
    format: Format,
    extras: xlsx::Extras,
) -> Result<Vec<u8>, crate::error::Error> {
    let Some(exporter) = exporter_for(format) else {
        return Ok(xlsx::document(doc, extras)?);
    };
    let mut text = exporter.render(doc)?;
    if let (Format::Table, Some(drivers)) = (format, &doc.drivers) {
        text.push('\n');
        text.push_str(&drivers::table(drivers));
    }
    Ok(text.into_bytes())
}
