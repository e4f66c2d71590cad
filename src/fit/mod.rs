//! Learning assumptions from data (spec §9): each fit turns a data file
//! into scenario rows whose notes cite the data, a short human summary,
//! and a JSON document with the estimates, standard errors and
//! diagnostics behind them.

pub mod data;
pub mod orders;
pub mod rate;
pub mod reach;
pub mod retention;

use serde_json::{Value, json};

use rate::group_digits;
use retention::{Cohorts, RetentionFit};

/// One scenario row (spec §2), ready to paste.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub stage: &'static str,
    pub channel: String,
    pub metric: &'static str,
    pub value: String,
    pub note: String,
}

/// What a fit hands to the command: rows, summary lines for stderr,
/// warnings, and the JSON document's fit-specific part.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: &'static str,
    pub rows: Vec<Row>,
    pub summary: Vec<String>,
    pub warnings: Vec<String>,
    /// Remarks that need no action (columns of an export not read).
    pub notes: Vec<String>,
    pub details: Value,
}

/// `x` to `digits` significant digits, as a scenario value shows it: no
/// exponent, no trailing zeros.
pub fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `estimate ± se` to the precision the error allows (two significant
/// digits of the error, at least three decimals for small numbers).
pub fn plus_minus(value: f64, se: f64) -> String {
    format!("{} ± {}", significant(value, 4), significant(se, 2))
}

fn estimate_json(e: retention::Estimate) -> Value {
    json!({ "value": finite(e.value), "se": finite(e.se) })
}

/// JSON has no infinity or NaN: they become null.
fn finite(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

/// "8 cohorts, 6,660 customers, months 0–11".
fn describe_cohorts(cohorts: &Cohorts) -> String {
    let n = cohorts.cohorts.len();
    format!(
        "{n} cohort{}, {} customers, months 0–{}",
        if n == 1 { "" } else { "s" },
        group_digits(cohorts.customers()),
        cohorts.months()
    )
}

/// `sources` are the files read, each with its cohorts; `cohorts` all of
/// them together, as fitted.
pub fn retention_outcome(
    sources: &[(String, Cohorts)],
    cohorts: &Cohorts,
    fit: &RetentionFit,
    channel: &str,
    uncertain: bool,
) -> Outcome {
    let file = sources
        .iter()
        .map(|(f, _)| f.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let months = cohorts.months();
    let n = cohorts.cohorts.len();
    let data = describe_cohorts(cohorts);
    let params = if fit.homogeneous {
        "no heterogeneity: the geometric model (φ = 0) fits best".to_string()
    } else {
        format!(
            "α = {}, β = {}",
            plus_minus(fit.alpha.value, fit.alpha.se),
            plus_minus(fit.beta.value, fit.beta.se)
        )
    };
    let mut warnings = Vec::new();
    let churn_value = match (uncertain, retention::uncertain_churn(fit.churn)) {
        (true, Some((a, b))) => format!("beta({}, {})", significant(a, 5), significant(b, 5)),
        (true, None) => {
            warnings.push(
                "--uncertain: the churn's standard error leaves no proper beta with its mean and error; churn is given as a number".into(),
            );
            significant(fit.churn.value, 4)
        }
        (false, _) => significant(fit.churn.value, 4),
    };
    let churn_note = format!(
        "{file}: sBG fit to {data}; {params}; churn {}{}",
        plus_minus(fit.churn.value, fit.churn.se),
        if churn_value.starts_with("beta") {
            " (beta with the fit's mean and standard error)"
        } else {
            ""
        }
    );
    let phi_note = format!(
        "{file}: sBG fit, polarization {}",
        plus_minus(fit.churn_polarization.value, fit.churn_polarization.se)
    );
    let rows = vec![
        Row {
            stage: "engage",
            channel: channel.into(),
            metric: "churn",
            value: churn_value,
            note: churn_note,
        },
        Row {
            stage: "engage",
            channel: channel.into(),
            metric: "churn_polarization",
            value: significant(fit.churn_polarization.value, 4),
            note: phi_note,
        },
    ];
    let mut summary: Vec<String> = sources
        .iter()
        .map(|(f, c)| format!("read {f}: {}, {}", c.layout.describe(), describe_cohorts(c)))
        .collect();
    summary.extend([
        format!(
            "sBG fit: {params} (log-likelihood {:.1}, {} steps)",
            fit.log_likelihood, fit.iterations
        ),
        format!(
            "churn = {}, churn_polarization = {}",
            plus_minus(fit.churn.value, fit.churn.se),
            plus_minus(fit.churn_polarization.value, fit.churn_polarization.se)
        ),
        "month  observed  fitted  cohort customers".into(),
    ]);
    for s in &fit.survival {
        summary.push(format!(
            "{:>5}  {:>8.4}  {:>6.4}  {:>16}",
            s.month,
            s.observed,
            s.fitted,
            group_digits(s.cohort_customers)
        ));
    }
    if let Some(g) = fit.goodness_of_fit
        && g.p_value < 0.01
    {
        warnings.push(format!(
            "the {} does not fit these cohorts well (χ² = {:.1}, df {}, {}): compare the observed and fitted survival; churn that rises with tenure is beyond it",
            if fit.homogeneous { "geometric model" } else { "sBG model" },
            g.chi_square,
            g.df,
            rate::p_value_text(g.p_value)
        ));
    }
    let details = json!({
        "file": file,
        "layout": sources.first().map(|(_, c)| c.layout),
        "files": sources.iter().map(|(f, c)| json!({ "file": f, "layout": c.layout, "cohorts": c.cohorts.len() })).collect::<Vec<_>>(),
        "cohorts": n,
        "customers": cohorts.customers(),
        "months": months,
        "estimates": {
            "alpha": estimate_json(fit.alpha),
            "beta": estimate_json(fit.beta),
            "churn": estimate_json(fit.churn),
            "churn_polarization": estimate_json(fit.churn_polarization),
        },
        "diagnostics": {
            "log_likelihood": fit.log_likelihood,
            "iterations": fit.iterations,
            "homogeneous": fit.homogeneous,
            "alpha_beta_correlation": finite(fit.correlation),
            "goodness_of_fit": fit.goodness_of_fit,
            "survival": fit.survival,
        },
    });
    Outcome {
        kind: "retention",
        rows,
        summary,
        warnings,
        notes: sources
            .iter()
            .filter_map(|(_, c)| c.ignored.clone())
            .collect(),
        details,
    }
}

pub fn rate_outcome(
    source: &str,
    stage: &'static str,
    fit: &rate::RateFit,
    channel: &str,
) -> Outcome {
    let value = format!("beta({}, {})", significant(fit.a, 6), significant(fit.b, 6));
    let note = fit.note(source);
    let mut warnings = Vec::new();
    if fit.choice == rate::Choice::PooledDespiteSpread {
        warnings.push(
            "the rows' rates differ beyond chance but their spread could not be fitted; the pooled rate understates the uncertainty".into(),
        );
    }
    let mean = fit.a / (fit.a + fit.b);
    let mut summary = vec![format!(
        "{source}: {} row{}, {} successes in {} trials",
        fit.groups.len(),
        if fit.groups.len() == 1 { "" } else { "s" },
        group_digits(fit.successes),
        group_digits(fit.trials)
    )];
    if let Some(h) = fit.homogeneity {
        summary.push(format!(
            "homogeneity: χ² = {:.2}, df {}, {} → {}",
            h.chi_square,
            h.df,
            rate::p_value_text(h.p_value),
            if h.p_value < rate::SIGNIFICANCE {
                "the rates differ"
            } else {
                "they look like one rate"
            }
        ));
    }
    summary.push(format!("{stage}.rate = {value} (mean {:.4})", mean));
    let details = json!({
        "source": source,
        "choice": fit.choice,
        "successes": fit.successes,
        "trials": fit.trials,
        "estimates": { "a": fit.a, "b": fit.b, "mean": mean,
                       "sd": (fit.a * fit.b / ((fit.a + fit.b).powi(2) * (fit.a + fit.b + 1.0))).sqrt() },
        "diagnostics": { "homogeneity": fit.homogeneity, "between_sd": fit.spread_sd, "groups": fit.groups },
    });
    Outcome {
        kind: "rate",
        rows: vec![Row {
            stage,
            channel: channel.into(),
            metric: "rate",
            value,
            note,
        }],
        summary,
        warnings,
        notes: Vec::new(),
        details,
    }
}

pub fn orders_outcome(file: &str, fit: &orders::OrdersFit, channel: &str) -> Outcome {
    let money = orders::round_money;
    let data = format!(
        "{} orders in {file} (`{}`)",
        group_digits(fit.n as u64),
        fit.column
    );
    let rows = vec![
        Row {
            stage: "convert",
            channel: channel.into(),
            metric: "order_value",
            value: format!("lognormal({}, {})", money(fit.mean), significant(fit.se, 3)),
            note: format!("mean of {data} ± its standard error"),
        },
        Row {
            stage: "convert",
            channel: channel.into(),
            metric: "order_value_cv",
            value: significant(fit.cv, 3),
            note: format!("sd {} / mean {} of {data}", money(fit.sd), money(fit.mean)),
        },
    ];
    let summary = vec![
        format!(
            "{data}: mean {} ± {} (se), sd {}, cv {:.3}",
            money(fit.mean),
            significant(fit.se, 3),
            money(fit.sd),
            fit.cv
        ),
        format!(
            "skewness {:.2}, excess kurtosis {:.2}, largest order {}",
            fit.skewness,
            fit.excess_kurtosis,
            money(fit.largest)
        ),
    ];
    let details = json!({
        "file": file,
        "column": fit.column,
        "estimates": {
            "order_value": { "value": fit.mean, "se": fit.se },
            "order_value_cv": { "value": fit.cv },
        },
        "diagnostics": { "n": fit.n, "sd": fit.sd, "skewness": fit.skewness,
                         "excess_kurtosis": fit.excess_kurtosis, "largest": fit.largest },
    });
    Outcome {
        kind: "orders",
        rows,
        summary,
        warnings: fit.warnings.clone(),
        notes: Vec::new(),
        details,
    }
}

pub fn reach_outcome(file: &str, fit: &reach::ReachFit, channel: &str) -> Outcome {
    let data = format!(
        "{file}: {} periods, spend {}, {} visits",
        fit.periods,
        group_digits(fit.spend.round() as u64),
        group_digits(fit.visits as u64)
    );
    let test = format!(
        "likelihood-ratio test of an audience against none: statistic {:.2}, {}",
        fit.lr_statistic,
        rate::p_value_text(fit.lr_p_value)
    );
    let cpv = if fit.cost_per_visit_se.is_finite() && fit.cost_per_visit_se > 0.0 {
        format!(
            "lognormal({}, {})",
            significant(fit.cost_per_visit, 4),
            significant(fit.cost_per_visit_se, 2)
        )
    } else {
        significant(fit.cost_per_visit, 4)
    };
    let mut rows = Vec::new();
    let mut summary = vec![data.clone()];
    let mut warnings = Vec::new();
    match &fit.audience {
        Some(a) => {
            let interval = format!(
                "95 % interval {} – {}",
                group_digits(a.low.round() as u64),
                a.high
                    .map_or("beyond the range searched".into(), |h| group_digits(
                        h.round() as u64
                    ))
            );
            rows.push(Row {
                stage: "reach",
                channel: channel.into(),
                metric: "cost_per_visit",
                value: cpv.clone(),
                note: format!(
                    "{data}; cost of a visit at low spend, fitted with the audience (spec §4.1)"
                ),
            });
            rows.push(Row {
                stage: "reach",
                channel: channel.into(),
                metric: "audience",
                value: format!("{}", a.value.round()),
                note: format!("{data}; saturation ({test}); {interval}"),
            });
            summary.push(format!(
                "saturation: audience {} ({interval}), cost per visit at low spend {cpv}",
                group_digits(a.value.round() as u64)
            ));
        }
        None => {
            rows.push(Row {
                stage: "reach",
                channel: channel.into(),
                metric: "cost_per_visit",
                value: cpv.clone(),
                note: format!("{data}; spend / visits, no saturation shown ({test})"),
            });
            summary.push(format!("cost per visit {cpv} = spend / visits"));
            warnings.push(match fit.best_audience {
                Some(a) => format!(
                    "the data cannot tell an audience (best fit {}) apart from none ({}): no audience row; add one by hand if you know the audience",
                    group_digits(a.round() as u64),
                    rate::p_value_text(fit.lr_p_value)
                ),
                None => "the data show no saturation: visits keep pace with spend, so no audience row".into(),
            });
        }
    }
    summary.push(test);
    if fit.dispersion > 2.0 {
        warnings.push(format!(
            "visits vary {:.1} times as much as Poisson noise around the fit; the cost per visit's error is widened accordingly",
            fit.dispersion
        ));
    }
    let details = json!({
        "file": file,
        "estimates": {
            "cost_per_visit": { "value": fit.cost_per_visit, "se": finite(fit.cost_per_visit_se) },
            "audience": fit.audience.as_ref().map(|a| json!({ "value": a.value, "low": a.low, "high": a.high })),
        },
        "diagnostics": {
            "periods": fit.periods, "spend": fit.spend, "visits": fit.visits,
            "dispersion": fit.dispersion,
            "log_likelihood_no_audience": fit.log_likelihood_no_audience,
            "log_likelihood_audience": fit.log_likelihood_audience,
            "lr_statistic": fit.lr_statistic, "lr_p_value": fit.lr_p_value,
            "best_audience": fit.best_audience,
        },
    });
    Outcome {
        kind: "reach",
        rows,
        summary,
        warnings,
        notes: Vec::new(),
        details,
    }
}

/// The rows as CSV with the scenario header, quoted where needed.
pub fn rows_csv(rows: &[Row]) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(["stage", "channel", "metric", "value", "note"])?;
    for r in rows {
        w.write_record([r.stage, &r.channel, r.metric, &r.value, &r.note])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.373_35, 4), "0.3734");
        assert_eq!(significant(1234.567, 4), "1235");
        assert_eq!(significant(0.000_123_45, 2), "0.00012");
        assert_eq!(significant(2.5, 4), "2.5");
    }
}
