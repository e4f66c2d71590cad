//! Order values (spec §9): `convert.order_value` as `lognormal(mean, se)`
//! (the mean order value with the uncertainty of its estimate) and
//! `convert.order_value_cv` as the sample sd / mean.

use crate::error::{InputError, InputProblem, clip};
use crate::fit::data::{self, DataTable};

/// Below this many orders the sample's mean and sd are themselves rough.
pub const SMALL_SAMPLE: usize = 30;

#[derive(Debug, Clone, serde::Serialize)]
pub struct OrdersFit {
    pub column: String,
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub se: f64,
    pub cv: f64,
    pub skewness: f64,
    pub excess_kurtosis: f64,
    pub largest: f64,
    pub warnings: Vec<String>,
}

/// The order-value column: `--column`, else the only column, else the
/// first of the usual names.
fn value_column(table: &DataTable, column: Option<&str>) -> Result<usize, InputError> {
    const USUAL: [&str; 7] = [
        "order_value",
        "value",
        "amount",
        "total",
        "revenue",
        "order_total",
        "price",
    ];
    if let Some(c) = column {
        return table.require(&format!("`{}`", clip(c)), &[c]);
    }
    if table.header.len() == 1 {
        return Ok(0);
    }
    table.column(&USUAL).ok_or_else(|| {
        table.error(
            InputProblem::at(
                table.header_line,
                format!(
                    "which column holds the order values? The header is `{}`",
                    clip(&table.header.join(","))
                ),
            )
            .help(format!(
                "name it with --column, e.g. --column {}",
                table.header.first().map_or("amount", String::as_str)
            )),
        )
    })
}

pub fn read(
    path: &std::path::Path,
    column: Option<&str>,
) -> Result<(String, Vec<f64>, Option<String>), InputError> {
    let table = data::read(path)?;
    let col = value_column(&table, column)?;
    let name = table.header[col].clone();
    let mut values = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let x = data::number(row.line, &name, row.cell(col)).map_err(|p| table.error(p))?;
        if x < 0.0 {
            return Err(table.error(
                InputProblem::at(
                    row.line,
                    format!("{name} `{}` is negative", clip(row.cell(col))),
                )
                .help("leave refunds and returns out: an order value is ≥ 0"),
            ));
        }
        values.push(x);
    }
    Ok((name, values, table.ignored_note(&[col])))
}

pub fn fit(column: String, values: &[f64]) -> Result<OrdersFit, String> {
    let n = values.len();
    if n < 2 {
        return Err(format!(
            "{n} order value{} cannot give a spread: at least 2 are needed",
            if n == 1 { "" } else { "s" }
        ));
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    if mean <= 0.0 {
        return Err("every order value is 0, so there is no order value to fit".into());
    }
    let m2 = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / nf;
    let m3 = values.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / nf;
    let m4 = values.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / nf;
    let sd = (m2 * nf / (nf - 1.0)).sqrt();
    let se = sd / nf.sqrt();
    let cv = sd / mean;
    let (skewness, excess_kurtosis) = if m2 > 0.0 {
        (m3 / m2.powf(1.5), m4 / (m2 * m2) - 3.0)
    } else {
        (0.0, 0.0)
    };
    let largest = values.iter().copied().fold(0.0, f64::max);
    let mut warnings = Vec::new();
    if n < SMALL_SAMPLE {
        warnings.push(format!(
            "only {n} orders: the mean and cv are rough (fewer than {SMALL_SAMPLE}); the lognormal's sd of {} carries the mean's uncertainty, not the cv's",
            round_money(se)
        ));
    }
    // Two signs that the mean rests on a few orders: one order is a tenth
    // of the total, or the tail is much heavier than the gamma order values
    // the engine draws with this cv (excess kurtosis 6·cv²), so that the
    // simulation under-represents the rare large orders. (Below
    // SMALL_SAMPLE every order is a large share; that has its own warning.)
    let gamma_kurtosis = 6.0 * cv * cv;
    let largest_share = largest / (mean * nf);
    if n >= SMALL_SAMPLE && (largest_share > 0.1 || excess_kurtosis > 2.0 * gamma_kurtosis + 3.0) {
        warnings.push(format!(
            "heavy tail: excess kurtosis {excess_kurtosis:.1} against {gamma_kurtosis:.1} for the gamma order values racesim draws with cv {cv:.2}; the largest order ({}) is {:.1} % of the total, so the mean rests on a few orders",
            round_money(largest),
            100.0 * largest_share
        ));
    }
    Ok(OrdersFit {
        column,
        n,
        mean,
        sd,
        se,
        cv,
        skewness,
        excess_kurtosis,
        largest,
        warnings,
    })
}

/// Money as a note and a value show it: to the cent, trailing zeros off.
pub fn round_money(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_se_and_cv_against_hand_computation() {
        let v = [10.0, 20.0, 30.0, 40.0];
        let f = fit("v".into(), &v).unwrap();
        // mean 25, sample variance 500/3.
        assert_eq!(f.mean, 25.0);
        assert!((f.sd - (500.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((f.se - f.sd / 2.0).abs() < 1e-12);
        assert!((f.cv - f.sd / 25.0).abs() < 1e-12);
        assert!(f.warnings.iter().any(|w| w.contains("only 4 orders")));
    }

    #[test]
    fn a_heavy_tail_is_flagged_and_a_light_one_is_not() {
        let mut v: Vec<f64> = (0..200).map(|i| 50.0 + (i % 7) as f64).collect();
        let light = fit("v".into(), &v).unwrap();
        assert!(light.warnings.is_empty(), "{:?}", light.warnings);
        v.push(20_000.0);
        let heavy = fit("v".into(), &v).unwrap();
        assert!(heavy.warnings.iter().any(|w| w.starts_with("heavy tail")));
    }

    #[test]
    fn too_few_or_all_zero_is_a_problem() {
        assert!(fit("v".into(), &[5.0]).is_err());
        assert!(fit("v".into(), &[0.0, 0.0]).is_err());
    }
}
