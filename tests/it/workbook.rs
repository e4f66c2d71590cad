//! Scenarios and plans kept in spreadsheet workbooks: they must run exactly
//! like their CSV twins, and every mistake must be named by sheet and cell.
//!
//! Workbooks are written here with rust_xlsxwriter, never by hand; the
//! ignored test `writes_the_shipped_workbook` regenerates
//! examples/workbooks/dtc_shop.xlsx from scenarios/dtc_shop.csv.

use super::common;

use std::path::{Path, PathBuf};

use common::{BASE, EXIT_INPUT, Workspace};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Formula, Workbook};

/// One cell as a spreadsheet user would type it.
#[derive(Clone)]
enum Cell {
    Text(String),
    Number(f64),
    /// A number shown as a percentage (the cell stores the fraction).
    Percent(f64),
    /// A formula with its saved result, or none.
    Formula(&'static str, Option<&'static str>),
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A CSV's rows as cells: comment lines dropped, a number column's plain
/// numbers stored as numbers (rates below 1 formatted as percentages,
/// as a planner would), everything else as text.
fn cells_of_csv(text: &str) -> Vec<Vec<Cell>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut number_column = None;
    for record in reader.records() {
        let record = record.expect("a valid CSV");
        if number_column.is_none() {
            number_column = record.iter().position(|c| c == "value" || c == "spend");
        }
        let row = record
            .iter()
            .enumerate()
            .map(|(i, c)| match c.parse::<f64>() {
                Ok(x) if Some(i) == number_column && x > 0.0 && x < 1.0 => Cell::Percent(x),
                Ok(x) if Some(i) == number_column => Cell::Number(x),
                _ => Cell::Text(c.to_string()),
            })
            .collect();
        rows.push(row);
    }
    rows
}

/// A workbook with the given sheets, the same bytes every time.
fn workbook(sheets: &[(&str, &[Vec<Cell>])]) -> Vec<u8> {
    let mut book = Workbook::new();
    let fixed_time = ExcelDateTime::from_ymd(2026, 1, 1).expect("a valid date");
    book.set_properties(&DocProperties::new().set_creation_datetime(&fixed_time));
    let percent = Format::new().set_num_format("0.0#%");
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).expect("a valid sheet name");
        // A formula written without a result stores none, as a file saved
        // by a program that does not calculate would.
        sheet.set_formula_result_default("");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Cell::Text(t) if t.is_empty() => continue,
                    Cell::Text(t) => sheet.write_string(r, c, t),
                    Cell::Number(x) => sheet.write_number(r, c, *x),
                    Cell::Percent(x) => sheet.write_number_with_format(r, c, *x, &percent),
                    Cell::Formula(f, Some(v)) => {
                        sheet.write_formula(r, c, Formula::new(*f).set_result(*v))
                    }
                    Cell::Formula(f, None) => sheet.write_formula(r, c, *f),
                }
                .expect("write a cell");
            }
        }
    }
    book.save_to_buffer().expect("save the workbook")
}

fn text(t: &str) -> Cell {
    Cell::Text(t.into())
}

/// The base scenario's rows as a workbook's `scenario` sheet, with `extra`
/// rows after them (from row 7).
fn base_with(extra: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    let mut rows = cells_of_csv(BASE);
    rows.extend(extra);
    rows
}

fn row(stage: &str, channel: &str, metric: &str, value: Cell) -> Vec<Cell> {
    vec![text(stage), text(channel), text(metric), value]
}

/// Writes the workbook as `name` and runs `validate` on it.
fn validate_book(sheets: &[(&str, &[Vec<Cell>])]) -> (Workspace, common::Outcome) {
    let ws = Workspace::new();
    ws.write("book.xlsx", workbook(sheets));
    let out = ws.run(&["validate", "book.xlsx"]);
    (ws, out)
}

#[track_caller]
fn rejects(extra: Vec<Vec<Cell>>, needles: &[&str]) {
    let (_ws, out) = validate_book(&[("scenario", &base_with(extra))]);
    out.assert_code(EXIT_INPUT);
    assert!(out.stdout.is_empty());
    for needle in needles {
        assert!(
            out.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            out.stderr
        );
    }
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

fn shipped_workbook() -> PathBuf {
    repo().join("examples/workbooks/dtc_shop.xlsx")
}

fn dtc_shop_workbook() -> Vec<u8> {
    let read = |p: &str| std::fs::read_to_string(repo().join(p)).expect("read a shipped CSV");
    workbook(&[
        ("scenario", &cells_of_csv(&read("scenarios/dtc_shop.csv"))),
        (
            "plans",
            &cells_of_csv(&read("scenarios/dtc_shop.plans.csv")),
        ),
    ])
}

#[test]
#[ignore = "regenerates examples/workbooks/dtc_shop.xlsx; run with --ignored after editing the CSV"]
fn writes_the_shipped_workbook() {
    let path = shipped_workbook();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, dtc_shop_workbook()).unwrap();
}

#[test]
fn shipped_workbook_is_generated_from_the_csv() {
    let shipped = std::fs::read(shipped_workbook()).expect("examples/workbooks/dtc_shop.xlsx");
    assert!(
        shipped == dtc_shop_workbook(),
        "examples/workbooks/dtc_shop.xlsx is stale: regenerate it with `cargo test --test it workbook::writes_the_shipped_workbook -- --ignored`"
    );
}

/// `racesim run` output of `scenario` (and `plans`) in `format`.
fn run_output(scenario: &Path, plans: &Path, format: &str) -> Vec<u8> {
    common::success_stdout(
        common::racesim()
            .args(["run", "-q", "-n", "2000", "-f", format])
            .arg(scenario)
            .arg("--plans")
            .arg(plans)
            .output()
            .expect("run racesim"),
    )
}

#[test]
fn workbook_runs_exactly_like_its_csv_twin() {
    let csv = repo().join("scenarios/dtc_shop.csv");
    let csv_plans = repo().join("scenarios/dtc_shop.plans.csv");
    let book = shipped_workbook();
    for format in ["table", "csv"] {
        assert!(
            run_output(&csv, &csv_plans, format) == run_output(&book, &book, format),
            "`run -f {format}` differs between the workbook and the CSV"
        );
    }
    // The JSON names its input by a hash of the file read; everything else
    // is the same bytes.
    let json = |s: &Path, p: &Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&run_output(s, p, "json")).unwrap();
        v.as_object_mut().unwrap().remove("input_hash");
        serde_json::to_string(&v).unwrap()
    };
    assert_eq!(json(&csv, &csv_plans), json(&book, &book));
}

#[test]
fn validate_says_which_workbook_and_sheet() {
    let (_ws, out) = validate_book(&[
        ("notes", &[vec![text("x")]]),
        ("Scenario", &base_with(vec![])),
    ]);
    out.assert_ok();
    assert!(
        out.stdout_text()
            .contains("read from workbook book.xlsx, sheet `Scenario`"),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn first_sheet_is_the_scenario_when_none_is_named_so() {
    let (_ws, out) = validate_book(&[("Sheet1", &base_with(vec![]))]);
    out.assert_ok();
    assert!(out.stdout_text().contains("sheet `Sheet1`"));
}

#[test]
fn numbers_text_percentages_and_formulas_read_as_their_values() {
    // The same scenario four ways: the rates as numbers, as text, as
    // percent-formatted numbers and as formulas with saved results.
    let variants: [(Cell, Cell); 4] = [
        (Cell::Number(0.08), Cell::Number(3000.0)),
        (text("0.08"), text("3000")),
        (Cell::Percent(0.08), Cell::Number(3000.0)),
        (
            Cell::Formula("=0.04*2", Some("0.08")),
            Cell::Formula("=1000*3", Some("3000")),
        ),
    ];
    let ws = Workspace::new();
    let mut outputs = Vec::new();
    for (i, (rate, audience)) in variants.into_iter().enumerate() {
        let name = format!("v{i}.xlsx");
        let rows = base_with(vec![
            row("engage", "*", "churn", rate),
            row("reach", "search", "audience", audience),
        ]);
        ws.write(&name, workbook(&[("scenario", &rows)]));
        let out = ws.run(&["run", "-q", "-n", "500", "-f", "csv", &name]);
        out.assert_ok();
        outputs.push(out.stdout);
    }
    let csv = common::with_base("engage,*,churn,0.08,\nreach,search,audience,3000,");
    ws.write("twin.csv", csv);
    let twin = ws.run(&["run", "-q", "-n", "500", "-f", "csv", "twin.csv"]);
    twin.assert_ok();
    for (i, out) in outputs.iter().enumerate() {
        assert!(*out == twin.stdout, "variant {i} differs from the CSV");
    }
}

#[test]
fn text_percent_gets_the_csv_hint_at_its_cell() {
    rejects(
        vec![row("engage", "*", "churn", text("8%"))],
        &["book.xlsx: sheet `scenario` cell D7: ", "`8%`", "0.08"],
    );
}

#[test]
fn unknown_metric_is_named_at_its_cell_with_a_suggestion() {
    rejects(
        vec![row("reach", "search", "audiense", Cell::Number(5000.0))],
        &[
            "sheet `scenario` cell C7",
            "`audiense`",
            "did you mean `audience`?",
        ],
    );
}

#[test]
fn formula_without_saved_value_is_named_by_cell() {
    rejects(
        vec![row(
            "reach",
            "search",
            "audience",
            Cell::Formula("=B2*2", None),
        )],
        &["sheet `scenario` cell D7", "`=B2*2` has no saved value"],
    );
}

#[test]
fn error_value_is_named_by_cell() {
    rejects(
        vec![row(
            "reach",
            "search",
            "audience",
            Cell::Formula("=1/0", Some("#DIV/0!")),
        )],
        &["sheet `scenario` cell D7", "#DIV/0!"],
    );
}

#[test]
fn plans_sheet_errors_name_the_plans_sheet() {
    let plans = vec![
        vec![text("plan"), text("channel"), text("spend")],
        vec![text("more"), text("serch"), Cell::Number(2000.0)],
    ];
    let ws = Workspace::new();
    ws.write(
        "book.xlsx",
        workbook(&[("scenario", &base_with(vec![])), ("plans", &plans)]),
    );
    let out = ws.run(&["run", "-q", "-n", "10", "book.xlsx", "--plans", "book.xlsx"]);
    out.assert_code(EXIT_INPUT);
    for needle in ["sheet `plans` cell B2", "`serch`", "did you mean `search`?"] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
}

#[test]
fn missing_plans_sheet_lists_the_sheets() {
    let ws = Workspace::new();
    ws.write("book.xlsx", workbook(&[("scenario", &base_with(vec![]))]));
    let out = ws.run(&["run", "-q", "-n", "10", "book.xlsx", "--plans", "book.xlsx"]);
    out.assert_code(EXIT_INPUT);
    assert!(
        out.stderr
            .contains("no `plans` sheet (its sheets: scenario)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_that_is_not_a_workbook_is_an_input_error() {
    let ws = Workspace::new();
    ws.write("book.xlsx", "stage,channel,metric,value\n");
    let out = ws.run(&["validate", "book.xlsx"]);
    out.assert_code(EXIT_INPUT);
    assert!(
        out.stderr.contains("cannot read the workbook"),
        "{}",
        out.stderr
    );
}

// Per-trial values (`run --samples`, once `--trials-csv`): tests/it/samples_out.rs.

// ------------------------------------------------------ OpenDocument

/// A minimal OpenDocument spreadsheet with one sheet of `rows` (numbers,
/// percentages and text, as LibreOffice stores them).
fn ods(sheet: &str, rows: &[Vec<Cell>]) -> Vec<u8> {
    use std::io::Write;
    use zip::write::{SimpleFileOptions, ZipWriter};
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut table = String::new();
    for row in rows {
        table.push_str("<table:table-row>");
        for cell in row {
            table.push_str(&match cell {
                Cell::Text(t) => format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    escape(t)
                ),
                Cell::Number(x) => format!(
                    r#"<table:table-cell office:value-type="float" office:value="{x}"><text:p>{x}</text:p></table:table-cell>"#
                ),
                Cell::Percent(x) => format!(
                    r#"<table:table-cell office:value-type="percentage" office:value="{x}"><text:p>{}%</text:p></table:table-cell>"#,
                    x * 100.0
                ),
                Cell::Formula(..) => unimplemented!("no formulas in the .ods tests"),
            });
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="{sheet}">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in [
        ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", content.as_str()),
    ] {
        zip.start_file(name, stored).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn ods_runs_exactly_like_its_csv_twin() {
    let ws = Workspace::new();
    let rows = base_with(vec![row("engage", "*", "churn", Cell::Percent(0.08))]);
    ws.write("book.ods", ods("scenario", &rows));
    ws.write("twin.csv", common::with_base("engage,*,churn,0.08,"));
    let run = |name: &str| {
        let out = ws.run(&["run", "-q", "-n", "500", "-f", "csv", name]);
        out.assert_ok();
        out.stdout
    };
    assert!(run("book.ods") == run("twin.csv"));
}

#[test]
fn ods_errors_name_the_cell() {
    let ws = Workspace::new();
    let rows = base_with(vec![row("reach", "search", "audiense", Cell::Number(5e3))]);
    ws.write("book.ods", ods("Sheet1", &rows));
    let out = ws.run(&["validate", "book.ods"]);
    out.assert_code(EXIT_INPUT);
    assert!(
        out.stderr
            .contains("book.ods: sheet `Sheet1` cell C7: unknown reach metric `audiense`"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_takes_a_workbook_with_its_plans_sheet() {
    let ws = Workspace::new();
    let plans = vec![
        vec![text("plan"), text("channel"), text("spend")],
        vec![text("more"), text("search"), Cell::Number(2000.0)],
    ];
    ws.write(
        "book.xlsx",
        workbook(&[("scenario", &base_with(vec![])), ("plans", &plans)]),
    );
    let update = ws.run(&["check", "book.xlsx", "--baselines", "bl", "--update"]);
    update.assert_ok();
    let baseline: serde_json::Value =
        serde_json::from_slice(&ws.read("bl/book.json")).expect("a JSON baseline");
    let names: Vec<&str> = baseline["plans"]
        .as_array()
        .expect("plans in the baseline")
        .iter()
        .map(|p| p["plan"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["baseline", "more"]);
    ws.run(&["check", "book.xlsx", "--baselines", "bl"])
        .assert_ok();
}
