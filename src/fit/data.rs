//! Reading the data files `racesim fit` learns from: exports from shops,
//! billing systems, A/B-test tools and ad platforms.
//!
//! The scenario reader (`scenario::table`) is strict about columns because
//! an unknown column there is a typo in an assumption; an export has
//! columns racesim does not need (dates, ids, currencies), which are
//! ignored and named in a note instead, and a cohort table may be wide
//! (one column per month), so its columns are not known in advance. Hence
//! this reader of its own, with the same line-precise errors.

use std::path::{Path, PathBuf};

use crate::error::{InputError, InputProblem, clip};
use crate::scenario::decode_utf8;
use crate::suggest::did_you_mean;

/// A data file's header and rows, cells trimmed, with their line numbers.
#[derive(Debug)]
pub struct DataTable {
    pub path: PathBuf,
    pub header_line: u64,
    /// Header cells as written (trimmed).
    pub header: Vec<String>,
    pub rows: Vec<DataRow>,
}

#[derive(Debug)]
pub struct DataRow {
    pub line: u64,
    pub cells: Vec<String>,
}

impl DataRow {
    /// The cell of column `i`; a short row reads as empty cells.
    pub fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map_or("", String::as_str)
    }
}

/// Reads `path` as UTF-8 CSV with a header line.
pub fn read(path: &Path) -> Result<DataTable, InputError> {
    let bytes = crate::input::read(path).map_err(|e| {
        InputError::single(
            path,
            InputProblem::whole_file(format!("cannot read the data file: {e}")),
        )
    })?;
    let text = decode_utf8(path, &bytes)?;
    parse(path, text)
}

/// The line (1-based) of each record: the csv crate counts lines itself,
/// which is right for records but not for blank lines between them, so
/// lines are counted from the byte where the record's first field starts.
fn line_of(text: &[u8], newlines: &[usize], byte: usize) -> u64 {
    let mut at = byte;
    while at < text.len() && (text[at] == b'\r' || text[at] == b'\n') {
        at += 1;
    }
    1 + newlines.partition_point(|&nl| nl < at) as u64
}

fn lone_cr_as_newline(text: &str) -> String {
    let bytes = text.as_bytes();
    let out: Vec<u8> = bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                b'\n'
            } else {
                b
            }
        })
        .collect();
    String::from_utf8(out).expect("replacing one ASCII byte by another keeps UTF-8")
}

pub fn parse(path: &Path, text: &str) -> Result<DataTable, InputError> {
    let problem = |p: InputProblem| InputError::single(path, p);
    // A lone `\r` (old Mac files) ends a line like `\n`; same length, so
    // byte offsets still name the same characters.
    let text = lone_cr_as_newline(text);
    if text.trim().is_empty() {
        return Err(problem(
            InputProblem::at(1, "the file is empty")
                .help("a data file starts with a header line naming its columns"),
        ));
    }
    let bytes = text.as_bytes();
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| line_of(bytes, &newlines, p.byte() as usize));
                return Err(problem(InputProblem::at(
                    line,
                    format!("cannot read this CSV line: {e}"),
                )));
            }
        };
        let line = record
            .position()
            .map_or(0, |p| line_of(bytes, &newlines, p.byte() as usize));
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if header.is_none() {
            if let Some(sep) = [';', '\t']
                .into_iter()
                .find(|s| cells.len() == 1 && cells[0].contains(*s))
            {
                let name = if sep == ';' { "`;`" } else { "tabs" };
                return Err(problem(
                    InputProblem::at(
                        line,
                        format!(
                            "the header `{}` seems to use {name} to separate columns; racesim needs commas",
                            clip(&cells[0])
                        ),
                    )
                    .help("save the file as comma-separated CSV (in Excel: CSV UTF-8)"),
                ));
            }
            header = Some((line, cells));
            continue;
        }
        let width = header.as_ref().map_or(0, |(_, h)| h.len());
        if cells.len() > width && cells[width..].iter().any(|c| !c.is_empty()) {
            return Err(problem(
                InputProblem::at(
                    line,
                    format!(
                        "this row `{}` has {} fields but the header has {width}",
                        clip(&cells.join(",")),
                        cells.len()
                    ),
                )
                .help("a number with a thousands separator or a decimal comma must be quoted (\"1,234.50\"), or written without the comma"),
            ));
        }
        rows.push(DataRow { line, cells });
    }
    let Some((header_line, header)) = header else {
        return Err(problem(InputProblem::at(1, "the file is empty")));
    };
    if rows.is_empty() {
        return Err(problem(
            InputProblem::at(
                header_line,
                format!(
                    "the header `{}` is followed by no data rows",
                    clip(&header.join(","))
                ),
            )
            .help("add one row per observation below the header"),
        ));
    }
    Ok(DataTable {
        path: path.to_path_buf(),
        header_line,
        header,
        rows,
    })
}

impl DataTable {
    /// The column named (in any case) as the first of `names` the header has.
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }

    /// Like [`column`](Self::column), but a missing column is an error on
    /// the header line that says which names are accepted.
    pub fn require(&self, what: &str, names: &[&str]) -> Result<usize, InputError> {
        self.column(names).ok_or_else(|| {
            let suggestion = self
                .header
                .iter()
                .find_map(|h| did_you_mean(h, names.iter().copied()));
            let accepted = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            InputError::single(
                &self.path,
                InputProblem::at(
                    self.header_line,
                    format!(
                        "the header `{}` has no {what} column",
                        clip(&self.header.join(","))
                    ),
                )
                .help(suggestion.unwrap_or_else(|| format!("name it {accepted}"))),
            )
        })
    }

    /// A note naming the header's columns not in `used`, if any: extra
    /// columns are normal in an export and ignored, but silently ignoring a
    /// column the planner meant to be read would hide a mistake.
    pub fn ignored_note(&self, used: &[usize]) -> Option<String> {
        let ignored: Vec<String> = self
            .header
            .iter()
            .enumerate()
            .filter(|(i, h)| !used.contains(i) && !h.is_empty())
            .map(|(_, h)| format!("`{}`", clip(h)))
            .collect();
        (!ignored.is_empty()).then(|| {
            format!(
                "{}: ignored column{} {}",
                self.path.display(),
                if ignored.len() == 1 { "" } else { "s" },
                ignored.join(", ")
            )
        })
    }

    pub fn error(&self, problem: InputProblem) -> InputError {
        InputError::single(&self.path, problem)
    }
}

/// `12,345.60` with commas grouping thousands (as a spreadsheet exports
/// inside quotes) without the commas; `None` when the commas are anything
/// else (a decimal comma, a list).
fn without_thousands_separators(t: &str) -> Option<String> {
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut groups = unsigned.split(',');
    let lead = groups.next()?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let rest: Vec<&str> = groups.collect();
    if !digits(lead) || lead.len() > 3 || rest.is_empty() {
        return None;
    }
    let ok = rest.iter().enumerate().all(|(i, g)| {
        let (int, frac) = g.split_once('.').unwrap_or((g, ""));
        int.len() == 3 && digits(int) && (frac.is_empty() || (i + 1 == rest.len() && digits(frac)))
    });
    ok.then(|| t.replace(',', ""))
}

/// Reads a number cell as exports write them: `1234.5`, `"1,234.50"`,
/// `$1,234.50`, `1234.50 EUR`. The problem names the column and the value.
pub fn number(line: u64, column: &str, cell: &str) -> Result<f64, InputProblem> {
    let t = cell
        .trim()
        .trim_start_matches(['$', '€', '£'])
        .trim_end_matches(|c: char| c.is_ascii_alphabetic() && c.is_ascii_uppercase())
        .trim();
    let plain = without_thousands_separators(t).unwrap_or_else(|| t.to_string());
    let bad = || {
        // A decimal comma (`12,5`): suggest the point only when that reads.
        let decimal_point = t.replace(',', ".");
        let help = if t.contains(',') && crate::scenario::value::read_number(&decimal_point).is_ok()
        {
            format!("write `{}` with a decimal point", clip(&decimal_point))
        } else {
            "a plain number, e.g. 1234.5 or \"1,234.5\"".to_string()
        };
        InputProblem::at(
            line,
            if cell.is_empty() {
                format!("{column} is empty")
            } else {
                format!("{column} `{}` is not a number", clip(cell))
            },
        )
        .help(help)
    };
    match crate::scenario::value::read_number(&plain) {
        Ok(x) => Ok(x),
        Err(_) => Err(bad()),
    }
}

/// A head count: a whole number ≥ 0.
pub fn count(line: u64, column: &str, cell: &str) -> Result<u64, InputProblem> {
    let x = number(line, column, cell)?;
    if x < 0.0 {
        return Err(
            InputProblem::at(line, format!("{column} `{}` is negative", clip(cell)))
                .help("a count is a whole number ≥ 0"),
        );
    }
    if x.fract() != 0.0 || x > 9.0e15 {
        return Err(InputProblem::at(
            line,
            format!("{column} `{}` is not a whole number", clip(cell)),
        )
        .help("a count is a whole number ≥ 0"));
    }
    Ok(x as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exported_numbers() {
        assert_eq!(number(1, "v", "1,234.50").unwrap(), 1234.5);
        assert_eq!(number(1, "v", "$12,000").unwrap(), 12000.0);
        assert_eq!(number(1, "v", "85.10 EUR").unwrap(), 85.1);
        assert!(number(1, "v", "12,5").is_err());
        assert!(number(1, "v", "abc").is_err());
        assert!(number(1, "v", "").is_err());
        assert!(count(1, "n", "-3").is_err());
        assert!(count(1, "n", "2.5").is_err());
        assert_eq!(count(1, "n", "1,000").unwrap(), 1000);
    }

    #[test]
    fn lines_count_blank_lines_and_crlf() {
        let t = parse(Path::new("x.csv"), "A,B\r\n\r\n1,2\r\n3,4\n").unwrap();
        assert_eq!(t.header_line, 1);
        assert_eq!(t.rows[0].line, 3);
        assert_eq!(t.rows[1].line, 4);
        assert_eq!(t.column(&["b"]), Some(1));
    }

    #[test]
    fn empty_and_header_only_files_are_errors() {
        assert!(parse(Path::new("x.csv"), "").is_err());
        let e = parse(Path::new("x.csv"), "a,b\n\n").unwrap_err();
        assert_eq!(e.problems[0].line, Some(1));
    }
}
