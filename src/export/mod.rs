//! One exporter per output format, all rendering the same `Document`.

mod csv;
pub mod format;
mod json;
mod table;

use anyhow::Result;

use crate::cli::Format;
use crate::document::Document;

pub use self::csv::CsvExporter;
pub use self::json::JsonExporter;
pub use self::table::TableExporter;

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
