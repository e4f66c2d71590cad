//! `--write-scenario`: the scenario with what the actuals taught it, so the
//! next planning cycle starts from the posterior rather than the old guess.
//!
//! Each informed row keeps its stage, channel, metric and place in the
//! file; its value becomes a distribution of the row's own domain fitted
//! to the posterior's mean and sd, and its note says so (keeping the prior
//! and the old note). Every other byte of the file is left as written, so
//! the change reads well in a diff:
//! - rates: `beta(a, b)`, the exact posterior of a conjugate update, else
//!   by moments;
//! - money and other positive amounts (cost per visit): `lognormal(mean, sd)`;
//! - an audience, whose domain starts at one person (which a log-normal's
//!   support does not): `pert(low, mode, high)` with the posterior's mean
//!   and sd (a symmetric PERT spans ±√7 sd), cut at 1.

use std::path::Path;

use super::posterior::{Method, Posterior};
use crate::error::InputError;
use crate::scenario::{Domain, Scenario, TableSpec, ValueSpec, read_table};

const COLUMNS: [&str; 5] = ["stage", "channel", "metric", "value", "note"];

/// Six significant digits: enough to keep the fitted moments.
fn round6(x: f64) -> f64 {
    format!("{x:.5e}").parse().unwrap_or(x)
}

/// A distribution of `domain` with this mean and sd (a plain number when
/// the posterior has no spread left).
pub fn fitted(domain: Domain, mean: f64, sd: f64) -> ValueSpec {
    if sd.is_nan() || sd <= 0.0 || !mean.is_finite() {
        return ValueSpec::Number(round6(mean));
    }
    match domain {
        Domain::Rate | Domain::Polarization => {
            let m = mean.clamp(1e-12, 1.0 - 1e-12);
            // A beta's variance is below m(1 − m).
            let var = (sd * sd).min(0.99 * m * (1.0 - m));
            let k = m * (1.0 - m) / var - 1.0;
            ValueSpec::Beta {
                a: round6(m * k),
                b: round6((1.0 - m) * k),
            }
        }
        Domain::Audience | Domain::UpTo(_) | Domain::Whole { .. } => {
            let (floor, ceiling) = match domain {
                Domain::Audience => (1.0, f64::INFINITY),
                Domain::UpTo(max) => (0.0, max),
                _ => (0.0, f64::INFINITY),
            };
            let half = 7f64.sqrt() * sd;
            let low = round6((mean - half).max(floor));
            let high = round6((mean + half).min(ceiling));
            // The mode that keeps the mean, (low + 4·mode + high)/6.
            let mode = round6(((6.0 * mean - low - high) / 4.0).clamp(low, high));
            if low < high {
                ValueSpec::Pert { low, mode, high }
            } else {
                ValueSpec::Number(round6(mean))
            }
        }
        Domain::Money { .. } | Domain::Positive | Domain::NonNegative => ValueSpec::LogNormal {
            mean: round6(mean),
            sd: round6(sd),
        },
    }
}

/// The scenario `source` (the text `scenario` was read from) with the
/// informed rows replaced by the posterior: a new scenario CSV text whose
/// rows keep their line numbers (without a `note` column, the note goes on
/// a comment line above the row instead). For a scenario read from a
/// workbook, `source` is the sheet's CSV text.
pub fn updated_scenario(
    source: &str,
    scenario: &Scenario,
    posterior: &Posterior,
) -> Result<String, InputError> {
    let path: &Path = &scenario.path;
    // Lone CRs end lines for the table reader; same length, same offsets.
    let bytes = source.as_bytes();
    let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    let normalized: String = source
        .char_indices()
        .map(|(i, c)| if c == '\r' && lone_cr(i) { '\n' } else { c })
        .collect();
    let rows = read_table(
        path,
        &normalized,
        &TableSpec {
            columns: &COLUMNS,
            required: &COLUMNS[..4],
            number_column: "value",
        },
    )?;
    let header = header_columns(&normalized);
    let has_note = header.iter().any(|c| c == "note");
    let mut line_starts = vec![0usize];
    line_starts.extend(normalized.match_indices('\n').map(|(i, _)| i + 1));

    let through = format!("updated with actuals through month {}", posterior.months);
    // (byte range, replacement), for the rows to rewrite.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for update in &posterior.assumptions {
        if posterior.groups[update.group].method == Method::PriorKept {
            continue;
        }
        let row = &scenario.assumptions[scenario.drawn[update.draw]];
        let Some((_, fields)) = rows.iter().find(|(l, _)| *l == row.line) else {
            continue;
        };
        let Some(&start) = line_starts.get(row.line as usize - 1) else {
            continue;
        };
        let value = match update.exact_beta {
            Some((a, b)) => ValueSpec::Beta {
                a: round6(a),
                b: round6(b),
            },
            None => fitted(
                row.input.def().domain,
                update.posterior.mean,
                update.posterior.sd,
            ),
        };
        let was = if fields[4].is_empty() {
            format!("prior {}", fields[3])
        } else {
            format!("prior {}: {}", fields[3], fields[4])
        };
        let note = format!("{through} ({was})");
        let cells: Vec<String> = header
            .iter()
            .map(|c| match c.as_str() {
                "stage" => fields[0].clone(),
                "channel" => fields[1].clone(),
                "metric" => fields[2].clone(),
                "value" => value.to_string(),
                "note" => note.clone(),
                _ => String::new(),
            })
            .collect();
        let mut record = csv_line(&cells);
        if !has_note {
            record = format!("# {}\n{record}", note.replace('\n', " "));
        }
        let end = record_end(&normalized, start);
        edits.push((start, end, record));
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = source.to_string();
    for (start, end, record) in edits {
        out.replace_range(start..end, &record);
    }
    Ok(out)
}

/// The header's column names, lowercased, in file order.
fn header_columns(text: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .find(|r| r.iter().any(|c| !c.is_empty()))
        .map(|r| r.iter().map(|c| c.to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

/// One CSV record, quoted where needed, without a line ending.
fn csv_line(cells: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(cells).expect("writing to memory");
    let bytes = w.into_inner().expect("writing to memory");
    String::from_utf8(bytes)
        .expect("cells are UTF-8")
        .trim_end_matches(['\r', '\n'])
        .to_string()
}

/// The byte where the record starting at `start` ends, before its line
/// ending (a quoted note may hold line breaks, so this follows CSV).
fn record_end(text: &str, start: usize) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&text.as_bytes()[start..]);
    let mut record = csv::ByteRecord::new();
    let next = match reader.read_byte_record(&mut record) {
        Ok(true) => start + reader.position().byte() as usize,
        _ => text.len(),
    };
    // Back over the line ending.
    let mut end = next.min(text.len());
    while end > start && matches!(text.as_bytes()[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::actuals::Actuals;
    use crate::track::posterior::update;

    const SCENARIO: &str = "# tracked campaign\r\n\
Stage,Channel,Metric,Value,Note\r\n\
plan,*,horizon_months,12\r\n\
plan,*,campaign_months,3\r\n\
reach,search,spend,9000\r\n\
reach,search,cost_per_visit,\"pert(0.6, 1.0, 1.8)\",agency quote\r\n\
reach,search,audience,\"uniform(4000, 12000)\",\"first line\nsecond line\"\r\n\
act,*,rate,beta(2, 38),landing-page test\r\n\
convert,*,rate,\"pert(0.05, 0.08, 0.12)\"\r\n\
convert,*,order_value,\"lognormal(85, 20)\"\r\n";

    #[test]
    fn the_written_scenario_parses_runs_and_carries_the_posterior() {
        let s = crate::scenario::parse_str(Path::new("s.csv"), SCENARIO).unwrap();
        let a = Actuals::parse_str(
            Path::new("a.csv"),
            "month,channel,metric,value\n1,search,visitors,2300\n1,search,leads,120\n2,search,visitors,1750\n2,search,leads,95\n2,search,customers,8\n",
            &s,
        )
        .unwrap();
        let p = update(&s, &a, &s.baseline_spend(), 1, 2000).unwrap();
        let text = updated_scenario(SCENARIO, &s, &p).unwrap();
        let again = crate::scenario::parse_str(Path::new("s2.csv"), &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(again.drawn.len(), s.drawn.len());
        // Untouched rows stay byte for byte.
        assert!(
            text.contains("convert,*,order_value,\"lognormal(85, 20)\"\r\n"),
            "{text}"
        );
        assert!(text.contains("plan,*,campaign_months,3\r\n"), "{text}");
        assert!(
            text.contains(
                "updated with actuals through month 2 (prior beta(2, 38): landing-page test)"
            ),
            "{text}"
        );
        for u in &p.assumptions {
            let row = &again.assumptions[again.drawn[u.draw]];
            assert_eq!(row.line, s.assumptions[s.drawn[u.draw]].line, "{text}");
            let (mean, sd) = moments(&row.spec);
            assert!(
                (mean - u.posterior.mean).abs() < 1e-4 * u.posterior.mean,
                "{}: {mean} vs {:?}",
                u.label,
                u.posterior
            );
            assert!(
                (sd - u.posterior.sd).abs() < 1e-3 * u.posterior.sd,
                "{}: {sd} vs {:?}",
                u.label,
                u.posterior
            );
        }
        let kinds: Vec<String> = p
            .assumptions
            .iter()
            .map(|u| {
                let spec = &again.assumptions[again.drawn[u.draw]].spec;
                spec.to_string().split('(').next().unwrap().to_string()
            })
            .collect();
        assert_eq!(kinds, ["lognormal", "pert", "beta", "beta"]);
        // And it runs.
        let mut draws = Vec::new();
        crate::engine::draw_assumptions(&again, 0, 0, &mut draws);
        assert!(draws.iter().all(|d| d.is_finite()));
    }

    /// The mean and sd of a distribution the rewrite writes.
    fn moments(spec: &ValueSpec) -> (f64, f64) {
        match *spec {
            ValueSpec::Beta { a, b } => {
                let m = a / (a + b);
                (m, (m * (1.0 - m) / (a + b + 1.0)).sqrt())
            }
            ValueSpec::LogNormal { mean, sd } => (mean, sd),
            ValueSpec::Pert { low, mode, high } => {
                let w = high - low;
                let (a, b) = (1.0 + 4.0 * (mode - low) / w, 1.0 + 4.0 * (high - mode) / w);
                let var = a * b / ((a + b).powi(2) * (a + b + 1.0)) * w * w;
                (low + w * a / (a + b), var.sqrt())
            }
            _ => panic!("unexpected {spec}"),
        }
    }

    #[test]
    fn without_a_note_column_the_note_goes_on_a_comment_line() {
        let source = "stage,channel,metric,value\n\
reach,search,spend,9000\n\
reach,search,cost_per_visit,1\n\
act,*,rate,\"beta(2, 38)\"\n\
convert,*,rate,0.1\n\
convert,*,order_value,85\n";
        let s = crate::scenario::parse_str(Path::new("s.csv"), source).unwrap();
        let a = Actuals::parse_str(
            Path::new("a.csv"),
            "month,channel,metric,value\n1,search,visitors,9000\n1,search,leads,400\n",
            &s,
        )
        .unwrap();
        let p = update(&s, &a, &s.baseline_spend(), 1, 500).unwrap();
        let text = updated_scenario(source, &s, &p).unwrap();
        assert!(
            text.contains("# updated with actuals through month 1 (prior beta(2, 38))\nact,*,rate,\"beta(402, 8638)\"\n"),
            "{text}"
        );
        crate::scenario::parse_str(Path::new("s2.csv"), &text).unwrap();
    }

    #[test]
    fn fitted_distributions_keep_to_the_domain() {
        assert_eq!(
            fitted(Domain::Rate, 0.5, 0.1),
            ValueSpec::Beta { a: 12.0, b: 12.0 }
        );
        let ValueSpec::Pert { low, .. } = fitted(Domain::Audience, 10.0, 20.0) else {
            panic!()
        };
        assert_eq!(low, 1.0);
        assert_eq!(fitted(Domain::Rate, 0.3, 0.0), ValueSpec::Number(0.3));
        assert!(Domain::Audience.contains(&fitted(Domain::Audience, 5000.0, 300.0)));
        assert!(Domain::Money { positive: true }.contains(&fitted(
            Domain::Money { positive: true },
            1.2,
            0.1
        )));
    }
}
