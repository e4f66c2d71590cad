//! Rates from counts (spec §9): s successes in n trials give
//! `beta(s + 1, n − s + 1)`, the posterior of a uniform prior. Several
//! rows (landing pages, weeks) are pooled only when they look like one
//! rate; otherwise the rate varies and a beta fitted to the spread across
//! them is what a new page or week will draw from.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::{InputError, InputProblem};
use crate::fit::data::{self, DataTable};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Group {
    pub name: String,
    pub successes: u64,
    pub trials: u64,
}

/// Pearson's chi-square test that every group has the same rate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Homogeneity {
    pub chi_square: f64,
    pub df: u64,
    pub p_value: f64,
}

/// The distribution offered, and why.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// One group, or groups that look like one rate: beta(S + 1, N − S + 1).
    Pooled,
    /// The rates differ: a beta with the mean and between-group spread of
    /// the rates (method of moments for the beta-binomial).
    Spread,
    /// The rates differ but the groups are too few or the spread too
    /// small for a beta: pooled, with a warning.
    PooledDespiteSpread,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RateFit {
    pub groups: Vec<Group>,
    pub successes: u64,
    pub trials: u64,
    pub a: f64,
    pub b: f64,
    pub choice: Choice,
    pub homogeneity: Option<Homogeneity>,
    /// Between-group standard deviation of the rate (method of moments).
    pub spread_sd: Option<f64>,
}

/// Groups differ when the homogeneity test's p-value is below this.
pub const SIGNIFICANCE: f64 = 0.05;

/// The groups of a counts file, with a note on the columns not read.
pub fn read(path: &std::path::Path) -> Result<(Vec<Group>, Option<String>), InputError> {
    groups_from(&data::read(path)?)
}

pub fn groups_from(table: &DataTable) -> Result<(Vec<Group>, Option<String>), InputError> {
    let s_col = table.require(
        "`successes`",
        &["successes", "conversions", "leads", "customers", "s"],
    )?;
    let n_col = table.require(
        "`trials`",
        &["trials", "visitors", "visits", "sessions", "n"],
    )?;
    let name_col = table.column(&["name", "page", "variant", "week", "group"]);
    let mut groups = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let s = data::count(row.line, "successes", row.cell(s_col)).map_err(|p| table.error(p))?;
        let n = data::count(row.line, "trials", row.cell(n_col)).map_err(|p| table.error(p))?;
        let name = name_col
            .map(|c| row.cell(c).to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("row {}", r + 1));
        check_counts(s, n).map_err(|(m, h)| table.error(InputProblem::at(row.line, m).help(h)))?;
        groups.push(Group {
            name,
            successes: s,
            trials: n,
        });
    }
    let mut used = vec![s_col, n_col];
    used.extend(name_col);
    Ok((groups, table.ignored_note(&used)))
}

/// Successes must be a part of the trials. The message quotes both values.
pub fn check_counts(s: u64, n: u64) -> Result<(), (String, String)> {
    if s > n {
        return Err((
            format!("successes `{s}` is more than trials `{n}`"),
            "successes are the trials that converted, so at most the trials; check the column order".into(),
        ));
    }
    Ok(())
}

pub fn fit(groups: Vec<Group>) -> Result<RateFit, String> {
    let successes: u64 = groups.iter().map(|g| g.successes).sum();
    let trials: u64 = groups.iter().map(|g| g.trials).sum();
    if trials == 0 {
        return Err("there are no trials (every row has 0), so there is no rate to fit".into());
    }
    let pooled = |choice, homogeneity, spread_sd| RateFit {
        a: successes as f64 + 1.0,
        b: (trials - successes) as f64 + 1.0,
        groups: groups.clone(),
        successes,
        trials,
        choice,
        homogeneity,
        spread_sd,
    };
    let used: Vec<&Group> = groups.iter().filter(|g| g.trials > 0).collect();
    if used.len() < 2 {
        return Ok(pooled(Choice::Pooled, None, None));
    }
    let p = successes as f64 / trials as f64;
    let homogeneity = homogeneity(&used, p);
    if homogeneity.is_none_or(|h| h.p_value >= SIGNIFICANCE) {
        return Ok(pooled(Choice::Pooled, homogeneity, None));
    }
    // Method of moments: the observed variance of the rates less the part
    // binomial sampling explains is the variance of the rate itself.
    let k = used.len() as f64;
    let rates: Vec<f64> = used
        .iter()
        .map(|g| g.successes as f64 / g.trials as f64)
        .collect();
    let mean = rates.iter().sum::<f64>() / k;
    let observed = rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (k - 1.0);
    let sampling = used
        .iter()
        .map(|g| mean * (1.0 - mean) / g.trials as f64)
        .sum::<f64>()
        / k;
    let between = observed - sampling;
    let concentration = mean * (1.0 - mean) / between - 1.0;
    let proper = between > 0.0 && concentration > 0.0 && concentration.is_finite();
    if !proper || mean <= 0.0 || mean >= 1.0 {
        return Ok(pooled(Choice::PooledDespiteSpread, homogeneity, None));
    }
    Ok(RateFit {
        a: mean * concentration,
        b: (1.0 - mean) * concentration,
        groups: groups.clone(),
        successes,
        trials,
        choice: Choice::Spread,
        homogeneity,
        spread_sd: Some(between.sqrt()),
    })
}

/// Pearson's chi-square on the k × 2 table of successes and failures;
/// `None` when the pooled rate is 0 or 1 (every group agrees exactly).
fn homogeneity(groups: &[&Group], p: f64) -> Option<Homogeneity> {
    if p <= 0.0 || p >= 1.0 {
        return None;
    }
    let chi_square: f64 = groups
        .iter()
        .map(|g| {
            let n = g.trials as f64;
            let expected = n * p;
            (g.successes as f64 - expected).powi(2) / (expected * (1.0 - p))
        })
        .sum();
    let df = groups.len() as u64 - 1;
    let dist = ChiSquared::new(df as f64).ok()?;
    Some(Homogeneity {
        chi_square,
        df,
        p_value: dist.sf(chi_square),
    })
}

impl RateFit {
    pub fn note(&self, source: &str) -> String {
        let pct = |x: f64| format!("{:.2} %", 100.0 * x);
        let groups = self.groups.len();
        let counts = format!(
            "{} successes in {} trials",
            group_digits(self.successes),
            group_digits(self.trials)
        );
        match (self.choice, self.homogeneity) {
            (Choice::Pooled, None) => format!(
                "{source}: {counts} ({})",
                pct(self.successes as f64 / self.trials as f64)
            ),
            (Choice::Pooled, Some(h)) => format!(
                "{source}: {counts} over {groups} rows, pooled; they look like one rate (χ² = {:.1}, df {}, {})",
                h.chi_square,
                h.df,
                p_value_text(h.p_value)
            ),
            (Choice::Spread, Some(h)) => format!(
                "{source}: {groups} rows whose rates differ (χ² = {:.1}, df {}, {}); beta fitted to the spread across them: mean {}, sd {}",
                h.chi_square,
                h.df,
                p_value_text(h.p_value),
                pct(self.a / (self.a + self.b)),
                pct(self.spread_sd.unwrap_or(0.0))
            ),
            (_, h) => format!(
                "{source}: {counts} over {groups} rows, pooled although the rates differ ({}): too few rows to fit their spread",
                h.map_or("?".into(), |h| p_value_text(h.p_value))
            ),
        }
    }
}

/// `p = 0.0123`, or `p < 0.0001` for a p-value too small to print.
pub fn p_value_text(p: f64) -> String {
    if p < 1e-4 {
        "p < 0.0001".into()
    } else {
        format!("p = {p:.4}")
    }
}

/// `6420` as `6,420`: counts in notes read like the reports they came from.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: u64, n: u64) -> Group {
        Group {
            name: String::new(),
            successes: s,
            trials: n,
        }
    }

    #[test]
    fn one_count_is_the_uniform_prior_posterior() {
        let f = fit(vec![g(42, 1000)]).unwrap();
        assert_eq!((f.a, f.b), (43.0, 959.0));
        assert_eq!(f.choice, Choice::Pooled);
    }

    #[test]
    fn chi_square_against_a_hand_computed_table() {
        // 10/100 and 30/100: p = 0.2, expected 20 each,
        // χ² = 2 · 100 / (20 · 0.8) = 12.5, df 1, p = 0.000407.
        let f = fit(vec![g(10, 100), g(30, 100)]).unwrap();
        let h = f.homogeneity.unwrap();
        assert!((h.chi_square - 12.5).abs() < 1e-12);
        assert_eq!(h.df, 1);
        assert!((h.p_value - 4.0695e-4).abs() < 1e-7, "{}", h.p_value);
    }

    #[test]
    fn equal_rates_pool() {
        let f = fit(vec![g(50, 1000), g(52, 1000), g(49, 1000)]).unwrap();
        assert_eq!(f.choice, Choice::Pooled);
        assert_eq!((f.a, f.b), (152.0, 2850.0));
    }

    #[test]
    fn different_rates_get_a_beta_with_their_mean_and_spread() {
        let groups: Vec<Group> = [0.02, 0.05, 0.08, 0.03, 0.07, 0.04]
            .iter()
            .map(|r| g((r * 10_000.0_f64).round() as u64, 10_000))
            .collect();
        let f = fit(groups).unwrap();
        assert_eq!(f.choice, Choice::Spread);
        let mean = f.a / (f.a + f.b);
        assert!((mean - 0.29 / 6.0).abs() < 1e-12);
        // Rates' sample variance 0.0161 / 30 less the binomial variance
        // m(1 − m) / 10000 of each rate.
        let m = 0.29 / 6.0;
        let between = 0.0161 / 30.0 - m * (1.0 - m) / 10_000.0;
        let var = f.a * f.b / ((f.a + f.b).powi(2) * (f.a + f.b + 1.0));
        assert!((var - between).abs() < 1e-12, "{var} {between}");
    }

    #[test]
    fn digits_are_grouped() {
        assert_eq!(group_digits(6420), "6,420");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1_000_000), "1,000,000");
    }
}
