use anyhow::Result;

use super::Exporter;
use crate::document::Document;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, doc: &Document) -> Result<String> {
        let mut s = serde_json::to_string_pretty(doc)?;
        s.push('\n');
        Ok(s)
    }
}
