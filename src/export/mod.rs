//! One exporter per output format, all rendering the same `Document`.

pub mod comparison;
mod csv;
pub mod format;
mod json;
mod table;

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
}

pub trait Exporter {
    fn render(&self, doc: &Document) -> Result<String>;
}

pub fn exporter_for(format: Format) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(TableExporter),
        Format::Json => Box::new(JsonExporter),
        Format::Csv => Box::new(CsvExporter),
    }
}
