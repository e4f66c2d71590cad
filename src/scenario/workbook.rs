//! Scenario and plans kept in a spreadsheet workbook (`.xlsx`, `.xlsm`,
//! `.ods`). A sheet is turned into the very CSV text the CSV reader takes,
//! one text line per sheet row, so a workbook is read by the same code, with
//! the same messages and suggestions, as its CSV twin; only the place of a
//! problem is translated back from a line to a sheet cell.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::error::{InputError, InputProblem, clip};

/// The file extensions read as workbooks; anything else is CSV.
const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xlsb", "ods"];

/// Which table of the workbook a command needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    /// The sheet named `scenario`, or else the first sheet.
    Scenario,
    /// The sheet named `plans`, which must exist.
    Plans,
}

pub(crate) fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether the workbook at `path` has the sheet for `table` under its own
/// name (a workbook that cannot be read has none).
pub(crate) fn has_sheet(path: &Path, table: Table) -> bool {
    guarded(|| {
        open_workbook_auto(path).is_ok_and(|book| {
            book.sheet_names()
                .iter()
                .any(|n| n.eq_ignore_ascii_case(table.sheet_name()))
        })
    })
    .unwrap_or(false)
}

/// Runs the workbook library on a file, turning a panic inside it (a
/// damaged workbook can trip an overflow check in its zip and XML
/// decoding; found by `tests/it/readers.rs`) into `None`, so racesim
/// reports a damaged file instead of crashing. The panic's own message is
/// kept off the terminal.
fn guarded<T>(read: impl FnOnce() -> T) -> Option<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    std::panic::set_hook(hook);
    result.ok()
}

impl Table {
    fn sheet_name(self) -> &'static str {
        match self {
            Table::Scenario => "scenario",
            Table::Plans => "plans",
        }
    }
}

/// One sheet rendered as CSV text, with what is needed to point back at
/// its cells.
pub(crate) struct Sheet {
    pub name: String,
    /// Line N of the text is row N of the sheet.
    pub text: String,
    /// Each row's cell texts, from column `first_column` on; index N-1 is
    /// row N.
    cells: Vec<Vec<String>>,
    first_column: u32,
}

/// `A`, `B`, …, `Z`, `AA`, … for a 0-based column index.
fn column_name(mut index: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

/// A cell's text as the CSV reader should see it. Numbers are written in
/// the shortest form that reads back as the same `f64`, so a workbook
/// number is the very number its CSV twin holds; a cell formatted as a
/// percentage stores the fraction (8% is 0.08) and reads as that.
fn cell_text(data: &Data) -> Result<String, String> {
    Ok(match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(x) => format!("{x}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => format!("{}", d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("{e}")),
    })
}

/// Quotes a cell for CSV when it must be: a comma or quote inside, or a
/// line break (which would split the row, so it becomes a space).
fn csv_field(text: &str) -> String {
    let text = text.replace("\r\n", " ").replace(['\n', '\r'], " ");
    if text.contains([',', '"']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn whole_file(path: &Path, message: String, help: &str) -> InputError {
    InputError::single(path, InputProblem::whole_file(message).help(help))
}

/// Reads the sheet holding `table` from the workbook at `path`.
pub(crate) fn read_sheet(path: &Path, table: Table) -> Result<Sheet, InputError> {
    crate::input::check(path).map_err(|e| {
        whole_file(
            path,
            format!("cannot read the workbook: {e}"),
            "name a workbook file saved from Excel or LibreOffice",
        )
    })?;
    guarded(|| read_checked_sheet(path, table)).unwrap_or_else(|| {
        Err(whole_file(
            path,
            "cannot read the workbook: it is damaged".into(),
            "save it again from Excel or LibreOffice as .xlsx or .ods, or export the sheet as CSV UTF-8",
        ))
    })
}

fn read_checked_sheet(path: &Path, table: Table) -> Result<Sheet, InputError> {
    let mut book = open_workbook_auto(path).map_err(|e| {
        whole_file(
            path,
            format!("cannot read the workbook: {e}"),
            "save it from Excel or LibreOffice as .xlsx or .ods, or export the sheet as CSV UTF-8",
        )
    })?;
    let names = book.sheet_names();
    let wanted = table.sheet_name();
    let name = match names.iter().find(|n| n.eq_ignore_ascii_case(wanted)) {
        Some(n) => n.clone(),
        None if table == Table::Scenario && !names.is_empty() => names[0].clone(),
        None => {
            return Err(whole_file(
                path,
                format!(
                    "the workbook has no `{wanted}` sheet (its sheets: {})",
                    names.join(", ")
                ),
                "name the sheet holding the plan,channel,spend,month rows `plans`",
            ));
        }
    };
    let range = book.worksheet_range(&name).map_err(|e| {
        whole_file(
            path,
            format!("cannot read sheet `{name}`: {e}"),
            "save the workbook again from Excel or LibreOffice",
        )
    })?;
    // A formula's value is what the program that saved the file computed;
    // racesim computes nothing, so a formula saved without its result
    // cannot be read.
    let formulas = book.worksheet_formula(&name).unwrap_or_default();
    let mut problems = Vec::new();
    if let Some((top, left)) = formulas.start() {
        for (r, row) in formulas.rows().enumerate() {
            for (c, formula) in row.iter().enumerate() {
                let at = (top + r as u32, left + c as u32);
                // Some writers store a missing result as an empty string.
                let empty = range
                    .get_value(at)
                    .is_none_or(|d| matches!(d, Data::Empty) || *d == Data::String(String::new()));
                if !formula.is_empty() && empty {
                    problems.push(
                        InputProblem::whole_file(format!(
                            "sheet `{name}` cell {}{}: the formula `={}` has no saved value (or an empty one)",
                            column_name(at.1),
                            at.0 + 1,
                            clip(formula)
                        ))
                        .help(
                            "open the workbook in Excel or LibreOffice and save it, which stores each formula's result, or type the value into the cell",
                        ),
                    );
                }
            }
        }
    }
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut cells = vec![Vec::new(); top as usize];
    for (r, row) in range.rows().enumerate() {
        let mut texts = Vec::with_capacity(row.len());
        for (c, data) in row.iter().enumerate() {
            match cell_text(data) {
                Ok(t) => texts.push(t),
                Err(e) => {
                    problems.push(
                        InputProblem::whole_file(format!(
                            "sheet `{name}` cell {}{}: the cell holds the error `{e}`",
                            column_name(left + c as u32),
                            top as usize + r + 1
                        ))
                        .help("fix the formula, or type the value into the cell"),
                    );
                    texts.push(String::new());
                }
            }
        }
        while texts.last().is_some_and(String::is_empty) {
            texts.pop();
        }
        cells.push(texts);
    }
    if !problems.is_empty() {
        return Err(InputError {
            file: path.to_path_buf(),
            problems,
        });
    }
    let mut text = String::new();
    for row in &cells {
        let fields: Vec<String> = row.iter().map(|c| csv_field(c)).collect();
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    Ok(Sheet {
        name,
        text,
        cells,
        first_column: left,
    })
}

/// The backquoted snippets of a message, where messages quote the text
/// they are about.
fn quoted(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

impl Sheet {
    /// Where a problem the CSV reader placed on a line is in the sheet:
    /// the cell whose text the message quotes, or else the row.
    fn place(&self, line: u64, message: &str) -> String {
        let row = self
            .cells
            .get(line as usize - 1)
            .map_or(&[][..], Vec::as_slice);
        let snippets = quoted(message);
        let column = snippets.iter().find_map(|s| {
            row.iter().position(|cell| {
                let t = cell.trim();
                !t.is_empty() && (t.eq_ignore_ascii_case(s) || clip(t).eq_ignore_ascii_case(s))
            })
        });
        match column {
            Some(c) => format!(
                "sheet `{}` cell {}{line}",
                self.name,
                column_name(self.first_column + c as u32)
            ),
            None => format!("sheet `{}` row {line}", self.name),
        }
    }

    /// The problem with its line turned into the sheet's cell or row.
    pub(crate) fn locate_problem(&self, mut p: InputProblem) -> InputProblem {
        match p.line.take() {
            Some(line) => p.message = format!("{}: {}", self.place(line, &p.message), p.message),
            None => p.message = format!("sheet `{}`: {}", self.name, p.message),
        }
        p
    }

    pub(crate) fn locate(&self, mut e: InputError) -> InputError {
        e.problems = e
            .problems
            .into_iter()
            .map(|p| self.locate_problem(p))
            .collect();
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_columns_like_spreadsheets() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn numbers_read_back_as_the_same_f64() {
        for x in [0.08, 0.1 + 0.2, 60000.0, 1e-7, 123456.789, 1e21] {
            let t = cell_text(&Data::Float(x)).unwrap();
            assert_eq!(t.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{t}");
        }
    }

    #[test]
    fn quotes_only_what_csv_needs() {
        assert_eq!(csv_field("pert(1, 2, 3)"), "\"pert(1, 2, 3)\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("a\nb"), "a b");
        assert_eq!(csv_field("0.08"), "0.08");
    }
}
