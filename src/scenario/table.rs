//! The CSV layer shared by scenario and plans files: header, rows and line
//! numbers, tolerant of what spreadsheets and editors produce (BOM, CRLF or
//! old-Mac CR line endings, comments, blank lines, padding around fields,
//! quoted or unquoted distributions, any column order, any case) and strict
//! about anything that would silently change a number.

use std::collections::HashSet;
use std::path::Path;

use crate::error::{InputError, InputProblem, clip};
use crate::suggest::closest;

/// What a table reader needs to know about one kind of file.
pub(crate) struct TableSpec<'a> {
    /// The known columns, lowercase; rows come back in this order.
    pub columns: &'a [&'a str],
    /// The columns the header must name.
    pub required: &'a [&'a str],
    /// The column holding a number (`value`, `spend`), checked for a
    /// thousands separator that split it over two fields.
    pub number_column: &'a str,
}

/// Line ending characters that are not `\n` become `\n`: a lone `\r` (old
/// Mac files) ends a line like `\n` does. The text keeps its length, so
/// byte offsets still point at the same characters.
fn normalize_line_endings(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone_cr) {
        return text.into();
    }
    let mut out = bytes.to_vec();
    for (i, b) in out.iter_mut().enumerate() {
        if lone_cr(i) {
            *b = b'\n';
        }
    }
    String::from_utf8(out)
        .expect("replacing one ASCII byte by another keeps UTF-8")
        .into()
}

/// The line (1-based) of byte offset `at` in a text whose line ends are the
/// offsets in `newlines`.
fn line_at(newlines: &[usize], at: usize) -> u64 {
    1 + newlines.partition_point(|&nl| nl < at) as u64
}

/// Finds a quote that opens a field and is never closed: the CSV reader
/// would then swallow the rest of the file into one field. Follows the csv
/// crate's own state machine (a quote is special only at the start of a
/// field; a comment line starts with `#` and ends at `\n`). Returns the
/// byte offset of the opening quote.
fn unclosed_quote(text: &str) -> Option<usize> {
    #[derive(Clone, Copy)]
    enum S {
        RecordStart,
        FieldStart,
        Field,
        Quoted(usize),
        QuoteInQuoted(usize),
        Comment,
    }
    let mut s = S::RecordStart;
    for (i, b) in text.bytes().enumerate() {
        let term = b == b'\n' || b == b'\r';
        s = match s {
            S::RecordStart if term => S::RecordStart,
            S::RecordStart if b == b'#' => S::Comment,
            S::RecordStart | S::FieldStart if b == b'"' => S::Quoted(i),
            S::Quoted(o) if b == b'"' => S::QuoteInQuoted(o),
            S::QuoteInQuoted(o) if b == b'"' => S::Quoted(o),
            S::Quoted(o) => S::Quoted(o),
            S::RecordStart | S::FieldStart | S::Field | S::QuoteInQuoted(_) if b == b',' => {
                S::FieldStart
            }
            S::RecordStart | S::FieldStart | S::Field | S::QuoteInQuoted(_) if term => {
                S::RecordStart
            }
            S::RecordStart | S::FieldStart | S::Field | S::QuoteInQuoted(_) => S::Field,
            S::Comment if b == b'\n' => S::RecordStart,
            S::Comment => S::Comment,
        };
    }
    match s {
        S::Quoted(o) => Some(o),
        _ => None,
    }
}

/// Reads the CSV layer: header, rows, line numbers. Each row comes back as
/// its line and its cells in the order of `spec.columns` (empty when the
/// file has no such column).
pub(crate) fn read_table(
    path: &Path,
    text: &str,
    spec: &TableSpec,
) -> Result<Vec<(u64, Vec<String>)>, InputError> {
    let text = normalize_line_endings(text);
    let text = text.as_ref();
    let newlines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    if let Some(at) = unclosed_quote(text) {
        let line = line_at(&newlines, at);
        let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
        let opened = text[at..end].trim_end();
        return Err(InputError::single(
            path,
            InputProblem::at(
                line,
                format!(
                    "the quote that opens `{}` is never closed, so the rest of the file would be read as one field",
                    clip(opened)
                ),
            )
            .help("close the quote with another `\"` (a quote inside a quoted field is written twice: `\"\"`)"),
        ));
    }
    // Fields are not trimmed here: `rejoin` needs them as written, to put
    // back together what a comma inside an unquoted value split apart.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::None)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let bytes = text.as_bytes();
    // The csv crate's record offsets can sit before the line breaks and
    // comment lines that precede the record, so lines are counted here.
    let line_of = |pos: Option<&csv::Position>| {
        let Some(p) = pos else { return 0 };
        let mut at = p.byte() as usize;
        loop {
            while at < bytes.len() && (bytes[at] == b'\r' || bytes[at] == b'\n') {
                at += 1;
            }
            if at < bytes.len() && bytes[at] == b'#' {
                at = newlines
                    .get(newlines.partition_point(|&nl| nl < at))
                    .map_or(bytes.len(), |nl| nl + 1);
                continue;
            }
            break;
        }
        line_at(&newlines, at)
    };
    let columns = spec.columns;
    let mut problems = Vec::new();
    // The header: each cell's position in `columns`, or `None`.
    let mut header: Option<Vec<Option<usize>>> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = line_of(e.position());
                problems.push(InputProblem::at(
                    line,
                    format!("cannot read this CSV line: {e}"),
                ));
                continue;
            }
        };
        let line = line_of(record.position());
        let cells = match tidy(record.iter().collect()) {
            Ok(cells) => cells,
            Err(opened) => {
                problems.push(
                    InputProblem::at(
                        line,
                        format!("the quote that opens `{}` is never closed", clip(&opened)),
                    )
                    .help("close the quote with another `\"` before the end of the line"),
                );
                continue;
            }
        };
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let Some(map) = &header else {
            match read_header(line, &cells, spec) {
                Ok((map, mut found)) => {
                    problems.append(&mut found);
                    header = Some(map);
                }
                Err(problem) => {
                    // Nothing else in the file can be read the right way.
                    return Err(InputError::single(path, problem));
                }
            }
            continue;
        };
        if let Some(p) = split_thousands(line, &cells, map, spec) {
            problems.push(p);
            continue;
        }
        if cells.len() > map.len() && cells[map.len()..].iter().any(|c| !c.is_empty()) {
            problems.push(
                InputProblem::at(
                    line,
                    format!(
                        "this row has {} fields but the header has {}",
                        cells.len(),
                        map.len()
                    ),
                )
                .help("quote a field that contains a comma: \"pert(0.9, 1.2, 1.8)\""),
            );
            continue;
        }
        let mut fields = vec![String::new(); columns.len()];
        for (cell, slot) in cells.into_iter().zip(map) {
            if let Some(i) = slot {
                fields[*i] = cell;
            }
        }
        rows.push((line, fields));
    }
    if header.is_none() {
        problems.push(
            InputProblem::whole_file("the file has no header line").help(format!(
                "the first line must name the columns: {}",
                columns.join(",")
            )),
        );
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(InputError {
            file: path.to_path_buf(),
            problems,
        })
    }
}

/// Maps the header's cells to `spec.columns`, with the problems found. An
/// `Err` is a header that makes the whole file unreadable (another
/// separator than a comma).
#[allow(clippy::type_complexity)]
fn read_header(
    line: u64,
    cells: &[String],
    spec: &TableSpec,
) -> Result<(Vec<Option<usize>>, Vec<InputProblem>), InputProblem> {
    let columns = spec.columns;
    for sep in [';', '\t'] {
        let known = |cell: &String| {
            cell.split(sep)
                .filter(|c| columns.contains(&c.trim().to_ascii_lowercase().as_str()))
                .count()
        };
        if cells
            .iter()
            .filter(|c| c.contains(sep))
            .map(known)
            .sum::<usize>()
            >= 2
        {
            let name = if sep == ';' { "`;`" } else { "tabs" };
            return Err(InputProblem::at(
                line,
                format!(
                    "the header `{}` seems to use {name} to separate columns; racesim needs commas",
                    clip(&cells.join(","))
                ),
            )
            .help(format!(
                "save the file as comma-separated CSV (in Excel: CSV UTF-8), so that the header reads {}",
                columns.join(",")
            )));
        }
    }
    let is_column = |c: &String| columns.contains(&c.to_ascii_lowercase().as_str());
    let close_to_column = |c: &String| closest(c, columns.iter().copied()).is_some();
    if !cells.iter().any(|c| is_column(c) || close_to_column(c)) {
        // Most likely the header is missing and this is the first row.
        return Err(InputProblem::at(
            line,
            format!(
                "the first line `{}` names none of the columns, so the file has no header",
                clip(&cells.join(","))
            ),
        )
        .help(format!(
            "add a first line naming the columns: {}",
            columns.join(",")
        )));
    }
    // Trailing empty header cells (`…,note,,`) are tolerated like trailing
    // empty cells in rows: spreadsheets export them for blank columns.
    let used = cells
        .iter()
        .rposition(|c| !c.is_empty())
        .map_or(0, |i| i + 1);
    let mut problems = Vec::new();
    let mut map = Vec::new();
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    let mut suggested = HashSet::new();
    for (n, cell) in cells[..used].iter().enumerate() {
        let name = cell.to_ascii_lowercase();
        if name.is_empty() {
            map.push(None);
            problems.push(
                InputProblem::at(line, format!("column {} of the header is empty", n + 1))
                    .help(format!("name each column: {}", columns.join(", "))),
            );
            continue;
        }
        match columns.iter().position(|c| *c == name) {
            Some(i) => {
                if !seen.insert(i) {
                    problems.push(InputProblem::at(
                        line,
                        format!("column `{name}` appears twice"),
                    ));
                }
                map.push(Some(i));
            }
            None => {
                map.push(None);
                if !reported.insert(name.clone()) {
                    continue;
                }
                let near = closest(&name, columns.iter().copied());
                if let Some(near) = near {
                    suggested.insert(near);
                }
                problems.push(
                    InputProblem::at(line, format!("unknown column `{}`", clip(cell))).help(
                        near.map_or_else(
                            || format!("the columns are {}", columns.join(", ")),
                            |n| format!("did you mean `{n}`?"),
                        ),
                    ),
                );
            }
        }
    }
    for req in spec.required {
        let i = columns.iter().position(|c| c == req);
        // A misspelt column already says which column it should be.
        if !map.contains(&i) && !suggested.contains(req) {
            problems.push(
                InputProblem::at(line, format!("the header has no `{req}` column")).help(format!(
                    "the first line must name the columns: {}",
                    columns.join(",")
                )),
            );
        }
    }
    Ok((map, problems))
}

/// Cleans up the raw cells of one record: puts back together a value that
/// commas split apart (a distribution written without quotes, or quoted
/// after padding, which CSV does not recognise as quoting), then trims each
/// cell and removes the quotes around a padded quoted cell. An `Err` holds
/// the text of a padded quote that is never closed.
fn tidy(raw: Vec<&str>) -> Result<Vec<String>, String> {
    let mut cells: Vec<String> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let t = raw[i].trim();
        // A quote after padding, ` "pert(1, 2, 3)"`: CSV takes it literally
        // and splits at its commas. Keep the raw text; it is unquoted below.
        let opens_quote = t.starts_with('"')
            && raw[i].starts_with(char::is_whitespace)
            && (t.len() == 1 || !t.ends_with('"'));
        // `pert(0.9, 1.2, 1.8)` written without quotes arrives as three
        // cells; the parentheses make the intent unambiguous.
        let opens_paren = !opens_quote && t.contains('(') && !t.contains(')');
        let end = if opens_quote {
            match (i + 1..raw.len()).find(|&j| raw[j].trim_end().ends_with('"')) {
                Some(end) => end,
                None => {
                    let rest = raw[i..].join(",");
                    return Err(rest.trim().trim_end_matches([',', ' ']).to_string());
                }
            }
        } else if opens_paren {
            (i + 1..raw.len())
                .find(|&j| raw[j].contains(')'))
                .unwrap_or(i)
        } else {
            i
        };
        let joined = raw[i..=end].join(",");
        cells.push(unquote_padded(&joined));
        i = end + 1;
    }
    Ok(cells)
}

/// Trims a cell; a cell that was quoted after padding (` "12" `) loses its
/// quotes, with doubled quotes inside made single, as CSV quoting does.
fn unquote_padded(cell: &str) -> String {
    let t = cell.trim();
    if cell.starts_with(char::is_whitespace)
        && t.len() >= 2
        && t.starts_with('"')
        && t.ends_with('"')
    {
        t[1..t.len() - 1].replace("\"\"", "\"")
    } else {
        t.to_string()
    }
}

/// `60,000` written without quotes arrives as `60` in the number column
/// and `000` in the next cell (the note, or a cell beyond the header):
/// read as it stands it would silently be 60. Reports it instead.
fn split_thousands(
    line: u64,
    cells: &[String],
    map: &[Option<usize>],
    spec: &TableSpec,
) -> Option<InputProblem> {
    let number = spec.columns.iter().position(|c| *c == spec.number_column)?;
    let v = map.iter().position(|m| *m == Some(number))?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    // A target's threshold (`>= 5,000`) can be split the same way.
    // A row shorter than the header has no value here to split.
    let lead = cells.get(v)?.trim_start_matches(['>', '<', '=', ' ']);
    let lead = lead.strip_prefix(['-', '+']).unwrap_or(lead);
    if lead.is_empty() || lead.len() > 3 || !digits(lead, lead.len()) {
        return None;
    }
    // The next cell is free text or beyond the header (or the row is too
    // long anyway): then `000` there is not a value of its own.
    let next_is_spare = match map.get(v + 1) {
        None | Some(None) => true,
        Some(Some(c)) => !spec.required.contains(&spec.columns[*c]) || cells.len() > map.len(),
    };
    if !next_is_spare {
        return None;
    }
    let mut groups = Vec::new();
    for cell in &cells[v + 1..] {
        let (int, frac) = cell.split_once('.').unwrap_or((cell, ""));
        if !digits(int, 3) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        groups.push(cell.as_str());
        if cell.contains('.') {
            break;
        }
    }
    if groups.is_empty() {
        return None;
    }
    let written = format!("{},{}", cells[v], groups.join(","));
    let meant = written.replace(',', "");
    Some(
        InputProblem::at(
            line,
            format!(
                "{} `{}` has a thousands separator: the comma splits it, so it would read as `{}` followed by `{}`",
                spec.number_column,
                clip(&written),
                cells[v],
                groups.join(","),
            ),
        )
        .help(format!(
            "write `{meant}`: racesim takes numbers without thousands separators"
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tidied(cells: &[&str]) -> Vec<String> {
        tidy(cells.to_vec()).unwrap()
    }

    #[test]
    fn tidy_rejoins_and_unquotes() {
        assert_eq!(
            tidied(&["reach", " pert(0.9", " 1.2", " 1.8) ", " note "]),
            ["reach", "pert(0.9, 1.2, 1.8)", "note"]
        );
        assert_eq!(
            tidied(&["plan", " \"pert(0.90", " 1.20", " 1.80)\" ", ""]),
            ["plan", "pert(0.90, 1.20, 1.80)", ""]
        );
        assert_eq!(
            tidied(&[" \"12\"", " \"a \"\"b\"\", c\""]),
            ["12", "a \"b\", c"]
        );
        // A quote the csv reader already removed stays as it is.
        assert_eq!(tidied(&["\"x\""]), ["\"x\""]);
        assert_eq!(
            tidy(vec![" \"open", " still", ""]).unwrap_err(),
            "\"open, still"
        );
    }

    #[test]
    fn finds_an_unclosed_quote() {
        assert_eq!(unclosed_quote("a,b\nc,\"d\n"), Some(6));
        assert_eq!(unclosed_quote("a,\"b,\"\"c\"\"\"\n"), None);
        // A quote inside an unquoted field or a comment is literal.
        assert_eq!(unclosed_quote("a,1\"00\n# \"\nb\n"), None);
    }

    #[test]
    fn normalizes_lone_carriage_returns_only() {
        assert_eq!(normalize_line_endings("a\rb\r\nc"), "a\nb\r\nc");
    }
}
