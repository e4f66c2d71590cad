//! Cohort retention → `engage.churn` and `engage.churn_polarization`
//! (spec §9): the maximum-likelihood shifted-beta-geometric model of Fader
//! & Hardie (2007), the model the engine simulates (spec §4.3).
//!
//! The likelihood and its first and second derivatives are written as
//! finite sums of rational terms (S(k) = Π_{j<k} (β+j)/(α+β+j)), not with
//! gamma functions: exact, cheap for any realistic number of months, and
//! needing no special functions for the Hessian. A hand-written damped
//! Newton on (ln α, ln β) is enough for two parameters with an analytic
//! Hessian; an optimisation crate would add a dependency and no accuracy.

use std::collections::BTreeMap;

use crate::error::{InputError, InputProblem, clip};
use crate::fit::data::{self, DataTable};

/// Which of the two layouts people keep cohort tables in was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `cohort,month,active` rows.
    Long,
    /// One row per cohort, one column per month.
    Wide,
}

impl Layout {
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Long => "long layout (cohort,month,active rows)",
            Layout::Wide => "wide layout (one row per cohort, one column per month)",
        }
    }
}

/// One cohort: its size (month 0) and the customers still active after
/// each month end, for as many months as observed.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub name: String,
    pub active: Vec<u64>,
}

#[derive(Debug, Clone)]
pub struct Cohorts {
    pub layout: Layout,
    pub cohorts: Vec<Cohort>,
    /// Columns of the file that were not read.
    pub ignored: Option<String>,
}

impl Cohorts {
    pub fn customers(&self) -> u64 {
        self.cohorts.iter().map(|c| c.active[0]).sum()
    }

    /// The longest observation, in months.
    pub fn months(&self) -> usize {
        self.cohorts
            .iter()
            .map(|c| c.active.len() - 1)
            .max()
            .unwrap_or(0)
    }
}

/// A month column of the wide layout: `0`, `month 0`, `month_3`, `m3`, `M03`.
fn month_column(name: &str) -> Option<usize> {
    let n = name.trim().to_ascii_lowercase();
    let digits = n
        .strip_prefix("month")
        .or_else(|| n.strip_prefix('m'))
        .unwrap_or(&n)
        .trim_start_matches([' ', '_', '-']);
    (!digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

pub fn read(path: &std::path::Path) -> Result<Cohorts, InputError> {
    let table = data::read(path)?;
    cohorts_from(&table)
}

pub fn cohorts_from(table: &DataTable) -> Result<Cohorts, InputError> {
    let long = table.column(&["month"]).is_some() && table.column(&["active"]).is_some();
    let months: Vec<(usize, usize)> = table
        .header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| month_column(h).map(|m| (i, m)))
        .collect();
    if long || months.is_empty() {
        read_long(table)
    } else {
        read_wide(table, &months)
    }
}

/// Checks one cohort's counts in month order; `lines[k]` is where month
/// k's count was written.
fn check_cohort(
    table: &DataTable,
    name: &str,
    counts: &[(usize, u64, u64)],
) -> Result<Vec<u64>, InputError> {
    let Some(&(first, _, first_line)) = counts.first() else {
        unreachable!("a cohort is created by its first row");
    };
    if first != 0 {
        return Err(table.error(
            InputProblem::at(
                first_line,
                format!(
                    "cohort `{}` has no month 0: its first month is {first}",
                    clip(name)
                ),
            )
            .help("month 0 is the cohort's size at acquisition; add it before the later months"),
        ));
    }
    let mut active = Vec::with_capacity(counts.len());
    for (k, &(month, n, line)) in counts.iter().enumerate() {
        if month != k {
            return Err(table.error(
                InputProblem::at(
                    line,
                    format!(
                        "cohort `{}` jumps from month {} to month {month}",
                        clip(name),
                        k - 1
                    ),
                )
                .help(format!("give every month from 0 on; month {k} is missing")),
            ));
        }
        if let Some(&before) = active.last()
            && n > before
        {
            return Err(table.error(
                InputProblem::at(
                    line,
                    format!(
                        "cohort `{}` has {n} active in month {month}, more than the {before} of month {}",
                        clip(name),
                        month - 1
                    ),
                )
                .help("a cohort can only shrink: count the customers of the cohort still active, not every active customer"),
            ));
        }
        active.push(n);
    }
    if active[0] == 0 {
        return Err(table.error(
            InputProblem::at(
                first_line,
                format!("cohort `{}` has 0 customers in month 0", clip(name)),
            )
            .help("leave out empty cohorts"),
        ));
    }
    Ok(active)
}

fn read_long(table: &DataTable) -> Result<Cohorts, InputError> {
    let cohort_col = table.require("`cohort` (name)", &["cohort", "cohort_month", "start"])?;
    let month_col = table.require("`month`", &["month", "age", "months_since"])?;
    let active_col = table.require(
        "`active` (customers still active)",
        &["active", "customers", "retained", "count"],
    )?;
    // Cohorts in the order they first appear; months sorted within each.
    let mut order: Vec<String> = Vec::new();
    let mut by_cohort: BTreeMap<String, BTreeMap<usize, (u64, u64)>> = BTreeMap::new();
    for row in &table.rows {
        let name = row.cell(cohort_col).to_string();
        if name.is_empty() {
            return Err(table.error(
                InputProblem::at(row.line, "the cohort is empty")
                    .help("name each row's cohort, e.g. 2024-01"),
            ));
        }
        let month =
            data::count(row.line, "month", row.cell(month_col)).map_err(|p| table.error(p))?;
        let active =
            data::count(row.line, "active", row.cell(active_col)).map_err(|p| table.error(p))?;
        if month > 1200 {
            return Err(table.error(
                InputProblem::at(row.line, format!("month `{month}` is beyond 1200"))
                    .help("months count from the cohort's acquisition (0) in whole months"),
            ));
        }
        let months = by_cohort.entry(name.clone()).or_insert_with(|| {
            order.push(name.clone());
            BTreeMap::new()
        });
        if let Some((_, first)) = months.insert(month as usize, (active, row.line)) {
            return Err(table.error(
                InputProblem::at(
                    row.line,
                    format!("cohort `{}` month {month} is given twice", clip(&name)),
                )
                .help(format!("the first is on line {first}")),
            ));
        }
    }
    let mut cohorts = Vec::new();
    for name in order {
        let counts: Vec<(usize, u64, u64)> = by_cohort[&name]
            .iter()
            .map(|(&m, &(n, line))| (m, n, line))
            .collect();
        let active = check_cohort(table, &name, &counts)?;
        cohorts.push(Cohort { name, active });
    }
    Ok(Cohorts {
        layout: Layout::Long,
        cohorts,
        ignored: table.ignored_note(&[cohort_col, month_col, active_col]),
    })
}

fn read_wide(table: &DataTable, months: &[(usize, usize)]) -> Result<Cohorts, InputError> {
    let month_cols: Vec<usize> = months.iter().map(|&(i, _)| i).collect();
    let cohort_col = table
        .column(&["cohort", "cohort_month", "start"])
        .or_else(|| (0..table.header.len()).find(|i| !month_cols.contains(i)));
    let mut seen = BTreeMap::new();
    for &(i, m) in months {
        if let Some(j) = seen.insert(m, i) {
            return Err(table.error(InputProblem::at(
                table.header_line,
                format!(
                    "month {m} has two columns, `{}` and `{}`",
                    clip(&table.header[j]),
                    clip(&table.header[i])
                ),
            )));
        }
    }
    let mut cohorts = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let name = cohort_col
            .map(|c| row.cell(c).to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("row {}", r + 1));
        // Cells left empty at the end of a row are months not yet observed
        // (right-censored); an empty cell before a number is a hole.
        let mut counts = Vec::new();
        let mut gap: Option<usize> = None;
        for (&m, &i) in &seen {
            let cell = row.cell(i);
            if cell.is_empty() {
                gap.get_or_insert(m);
                continue;
            }
            if let Some(g) = gap {
                return Err(table.error(
                    InputProblem::at(
                        row.line,
                        format!(
                            "cohort `{}` has no count for month {g} but one (`{}`) for month {m}",
                            clip(&name),
                            clip(cell)
                        ),
                    )
                    .help("only the last months of a cohort may be left empty (not yet observed)"),
                ));
            }
            let column = format!("month {m}");
            let n = data::count(row.line, &column, cell).map_err(|p| table.error(p))?;
            counts.push((m, n, row.line));
        }
        if counts.is_empty() {
            return Err(table.error(
                InputProblem::at(row.line, format!("cohort `{}` has no counts", clip(&name)))
                    .help("give the cohort's size under month 0"),
            ));
        }
        let active = check_cohort(table, &name, &counts)?;
        cohorts.push(Cohort { name, active });
    }
    let mut used = month_cols;
    used.extend(cohort_col);
    Ok(Cohorts {
        layout: Layout::Wide,
        cohorts,
        ignored: table.ignored_note(&used),
    })
}

/// The cohort table reduced to what the likelihood needs: customers lost
/// at each month end t (`lost[t]`, t ≥ 1) and customers last seen active
/// at month k (`censored[k]`).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub lost: Vec<f64>,
    pub censored: Vec<f64>,
}

impl Counts {
    pub fn from_cohorts(cohorts: &[Cohort]) -> Counts {
        let months = cohorts.iter().map(|c| c.active.len()).max().unwrap_or(1);
        let mut counts = Counts {
            lost: vec![0.0; months],
            censored: vec![0.0; months],
        };
        for c in cohorts {
            for t in 1..c.active.len() {
                counts.lost[t] += (c.active[t - 1] - c.active[t]) as f64;
            }
            let k = c.active.len() - 1;
            counts.censored[k] += c.active[k] as f64;
        }
        counts
    }

    fn total_lost(&self) -> f64 {
        self.lost.iter().sum()
    }

    /// Customer-months at risk of churning (each active customer faces one
    /// month end per observed month).
    fn exposure(&self) -> f64 {
        let lost: f64 = self
            .lost
            .iter()
            .enumerate()
            .map(|(t, n)| t as f64 * n)
            .sum();
        let kept: f64 = self
            .censored
            .iter()
            .enumerate()
            .map(|(k, n)| k as f64 * n)
            .sum();
        lost + kept
    }
}

/// Log-likelihood with gradient and Hessian in (α, β).
#[derive(Debug, Clone, Copy)]
pub struct Likelihood {
    pub value: f64,
    pub gradient: [f64; 2],
    pub hessian: [[f64; 2]; 2],
}

/// The sBG log-likelihood of `counts` at (α, β): a customer lost at month
/// end t contributes ln P(T = t) = ln α − ln(α+β+t−1) + ln S(t−1), one
/// still active at month k contributes ln S(k), with
/// ln S(k) = Σ_{j<k} [ln(β+j) − ln(α+β+j)].
pub fn log_likelihood(counts: &Counts, alpha: f64, beta: f64) -> Likelihood {
    let s = alpha + beta;
    let mut ll = 0.0;
    let mut g = [0.0; 2];
    let mut h = [[0.0; 2]; 2];
    // ln S(t) and its derivatives, accumulated month by month.
    let (mut l, mut la, mut lb, mut laa, mut lab, mut lbb) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    // At step t, (l, la, …) hold ln S(t) and its derivatives.
    for t in 0..counts.lost.len() {
        // Lost at month end t + 1: ln α − ln(α+β+t) + ln S(t).
        let d = counts.lost.get(t + 1).copied().unwrap_or(0.0);
        if d > 0.0 {
            let q = s + t as f64;
            ll += d * (alpha.ln() - q.ln() + l);
            g[0] += d * (1.0 / alpha - 1.0 / q + la);
            g[1] += d * (-1.0 / q + lb);
            h[0][0] += d * (-1.0 / (alpha * alpha) + 1.0 / (q * q) + laa);
            h[0][1] += d * (1.0 / (q * q) + lab);
            h[1][1] += d * (1.0 / (q * q) + lbb);
        }
        let c = counts.censored[t];
        if c > 0.0 {
            ll += c * l;
            g[0] += c * la;
            g[1] += c * lb;
            h[0][0] += c * laa;
            h[0][1] += c * lab;
            h[1][1] += c * lbb;
        }
        // Extend ln S from t to t + 1 month ends.
        let bj = beta + t as f64;
        let sj = s + t as f64;
        l += bj.ln() - sj.ln();
        la -= 1.0 / sj;
        lb += 1.0 / bj - 1.0 / sj;
        laa += 1.0 / (sj * sj);
        lab += 1.0 / (sj * sj);
        lbb += -1.0 / (bj * bj) + 1.0 / (sj * sj);
    }
    h[1][0] = h[0][1];
    Likelihood {
        value: ll,
        gradient: g,
        hessian: h,
    }
}

/// S(k) = B(α, β + k) / B(α, β), the share of a cohort active k months on.
pub fn survival(alpha: f64, beta: f64, k: usize) -> f64 {
    (0..k)
        .map(|j| (beta + j as f64) / (alpha + beta + j as f64))
        .product()
}

/// An estimate with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
}

/// One month of the fitted-against-observed survival table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SurvivalRow {
    pub month: usize,
    /// Customers of the cohorts observed this long.
    pub cohort_customers: u64,
    pub observed: f64,
    pub fitted: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RetentionFit {
    pub alpha: Estimate,
    pub beta: Estimate,
    pub churn: Estimate,
    pub churn_polarization: Estimate,
    /// Correlation of the α and β estimates.
    pub correlation: f64,
    pub log_likelihood: f64,
    pub iterations: usize,
    /// True when the data show no heterogeneity: the likelihood keeps
    /// rising as α + β grows, so the fit is the geometric model (φ = 0).
    pub homogeneous: bool,
    /// Pearson χ² of the fitted model against the cohorts (`None` when
    /// the table has no degrees of freedom left).
    pub goodness_of_fit: Option<GoodnessOfFit>,
    pub survival: Vec<SurvivalRow>,
}

/// Why a table cannot be fitted (an input problem of the whole file).
#[derive(Debug, Clone, PartialEq)]
pub struct FitProblem(pub String, pub String);

const MAX_ITERATIONS: usize = 500;
/// α + β beyond this is no heterogeneity at all: φ < 1e-7.
const HOMOGENEOUS_SUM: f64 = 1e7;

/// Maximises the likelihood by Newton's method on (ln α, ln β), damped
/// (Levenberg–Marquardt) where the surface is not concave.
pub fn fit(cohorts: &[Cohort]) -> Result<RetentionFit, FitProblem> {
    let counts = Counts::from_cohorts(cohorts);
    let lost = counts.total_lost();
    let exposure = counts.exposure();
    if lost == 0.0 {
        return Err(FitProblem(
            "no customer was lost in any cohort, so churn cannot be estimated (the data say it is near 0)".into(),
            "add cohorts observed for longer, or write a small churn by hand".into(),
        ));
    }
    let all_lost_at_once = counts.lost.get(1).copied().unwrap_or(0.0) == lost
        && counts.censored.iter().skip(1).all(|&c| c == 0.0);
    if exposure == 0.0 || all_lost_at_once {
        return Err(FitProblem(
            "every customer was lost at the first month end, so churn is 1 and there is nothing to fit".into(),
            "check that the counts are customers still active, not new customers".into(),
        ));
    }
    let mut x = [0.0_f64, 0.0_f64]; // ln α, ln β: α = β = 1 to start
    let eval = |x: &[f64; 2]| log_likelihood(&counts, x[0].exp(), x[1].exp());
    let mut cur = eval(&x);
    let mut lambda = 1e-3;
    let mut iterations = 0;
    let mut homogeneous = false;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let (a, b) = (x[0].exp(), x[1].exp());
        // Gradient and Hessian in (ln α, ln β).
        let g = [a * cur.gradient[0], b * cur.gradient[1]];
        let h = [
            [a * a * cur.hessian[0][0] + g[0], a * b * cur.hessian[0][1]],
            [a * b * cur.hessian[0][1], b * b * cur.hessian[1][1] + g[1]],
        ];
        if g[0].abs().max(g[1].abs()) < 1e-9 * (1.0 + cur.value.abs()) {
            break;
        }
        let mut stepped = false;
        while lambda < 1e12 {
            // (−H + λ·diag) δ = g
            let m00 = -h[0][0] + lambda * (1.0 + h[0][0].abs());
            let m11 = -h[1][1] + lambda * (1.0 + h[1][1].abs());
            let m01 = -h[0][1];
            let det = m00 * m11 - m01 * m01;
            if det > 0.0 && m00 > 0.0 {
                let d = [
                    (m11 * g[0] - m01 * g[1]) / det,
                    (m00 * g[1] - m01 * g[0]) / det,
                ];
                let d = [d[0].clamp(-2.0, 2.0), d[1].clamp(-2.0, 2.0)];
                let next = [x[0] + d[0], x[1] + d[1]];
                let trial = eval(&next);
                if trial.value.is_finite() && trial.value >= cur.value {
                    let gain = trial.value - cur.value;
                    x = next;
                    cur = trial;
                    lambda = (lambda / 10.0).max(1e-12);
                    stepped = gain > 0.0 || d[0].abs().max(d[1].abs()) > 1e-12;
                    break;
                }
            }
            lambda *= 10.0;
        }
        if !stepped {
            break;
        }
        if x[0].exp() + x[1].exp() > HOMOGENEOUS_SUM {
            homogeneous = true;
            break;
        }
    }
    let (alpha, beta) = (x[0].exp(), x[1].exp());
    // φ = 0: the geometric model, churn the share of customer-months that
    // ended in a loss, a binomial proportion. It is the limit of the sBG
    // as α + β grows; when it is as likely as the maximum found, the
    // maximum is that limit (Newton stops early on the flat ridge).
    let p = lost / exposure;
    let ll_geometric = lost * p.ln() + (exposure - lost) * (1.0 - p).ln();
    if ll_geometric >= cur.value - 1e-9 * (1.0 + cur.value.abs()) {
        homogeneous = true;
    }
    let survival = survival_table(cohorts, alpha, beta, homogeneous, p);
    if homogeneous {
        let se = (p * (1.0 - p) / exposure).sqrt();
        return Ok(RetentionFit {
            alpha: Estimate {
                value: f64::INFINITY,
                se: f64::NAN,
            },
            beta: Estimate {
                value: f64::INFINITY,
                se: f64::NAN,
            },
            churn: Estimate { value: p, se },
            churn_polarization: Estimate {
                value: 0.0,
                se: 0.0,
            },
            correlation: f64::NAN,
            log_likelihood: ll_geometric,
            iterations,
            homogeneous,
            goodness_of_fit: goodness_of_fit(cohorts, |k| (1.0 - p).powi(k as i32), 1),
            survival,
        });
    }
    if alpha < 1e-6 || beta < 1e-6 || iterations >= MAX_ITERATIONS {
        return Err(FitProblem(
            format!(
                "the sBG fit does not converge (α = {alpha:.3e}, β = {beta:.3e} after {iterations} steps)"
            ),
            "the table may be too short or too small; check its counts".into(),
        ));
    }
    // Observed information in (α, β): the inverse of −H at the maximum.
    let h = cur.hessian;
    let (i00, i01, i11) = (-h[0][0], -h[0][1], -h[1][1]);
    let det = i00 * i11 - i01 * i01;
    if !(det > 0.0 && i00 > 0.0) {
        return Err(FitProblem(
            "the sBG fit found no clear maximum (the observed information is singular)".into(),
            "the table may be too short to tell churn apart from heterogeneity".into(),
        ));
    }
    let cov = [[i11 / det, -i01 / det], [-i01 / det, i00 / det]];
    let s = alpha + beta;
    // Delta method: churn = α/(α+β), φ = 1/(α+β+1).
    let dc = [beta / (s * s), -alpha / (s * s)];
    let dphi = -1.0 / ((s + 1.0) * (s + 1.0));
    let quad = |d: [f64; 2]| {
        d[0] * d[0] * cov[0][0] + 2.0 * d[0] * d[1] * cov[0][1] + d[1] * d[1] * cov[1][1]
    };
    Ok(RetentionFit {
        alpha: Estimate {
            value: alpha,
            se: cov[0][0].sqrt(),
        },
        beta: Estimate {
            value: beta,
            se: cov[1][1].sqrt(),
        },
        churn: Estimate {
            value: alpha / s,
            se: quad(dc).sqrt(),
        },
        churn_polarization: Estimate {
            value: 1.0 / (s + 1.0),
            se: quad([dphi, dphi]).sqrt(),
        },
        correlation: cov[0][1] / (cov[0][0] * cov[1][1]).sqrt(),
        log_likelihood: cur.value,
        iterations,
        homogeneous,
        goodness_of_fit: goodness_of_fit(cohorts, |k| self::survival(alpha, beta, k), 2),
        survival,
    })
}

/// Pearson's chi-square of the cohorts' observed losses per month end and
/// survivors against the fitted model, cohorts grouped by how long they
/// were observed. A small p-value means the model's shape does not fit
/// (for example churn that rises with tenure, which the sBG cannot
/// express); the estimates are then the best sBG, not a good one. Cells
/// with small expectations make the χ² approximation rough.
fn goodness_of_fit(
    cohorts: &[Cohort],
    surv: impl Fn(usize) -> f64,
    parameters: usize,
) -> Option<GoodnessOfFit> {
    let mut by_length: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for c in cohorts {
        let k = c.active.len() - 1;
        let cells = by_length.entry(k).or_insert_with(|| vec![0.0; k + 2]);
        cells[0] += c.active[0] as f64;
        for (cell, pair) in cells[1..].iter_mut().zip(c.active.windows(2)) {
            *cell += (pair[0] - pair[1]) as f64;
        }
        cells[k + 1] += c.active[k] as f64;
    }
    let mut chi_square = 0.0;
    let mut free = 0usize;
    for (&k, cells) in &by_length {
        let n = cells[0];
        // Cells 1..=k: lost at month end t; cell k + 1: still active.
        for (t, &observed) in cells.iter().enumerate().skip(1) {
            let share = if t <= k {
                surv(t - 1) - surv(t)
            } else {
                surv(k)
            };
            let expected = n * share;
            if expected > 0.0 {
                chi_square += (observed - expected).powi(2) / expected;
            }
        }
        free += k;
    }
    let df = free.checked_sub(parameters).filter(|&d| d > 0)?;
    let p_value = statrs::distribution::ChiSquared::new(df as f64)
        .ok()
        .map(|d| statrs::distribution::ContinuousCDF::sf(&d, chi_square))?;
    Some(GoodnessOfFit {
        chi_square,
        df,
        p_value,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GoodnessOfFit {
    pub chi_square: f64,
    pub df: usize,
    pub p_value: f64,
}

/// Observed survival per month (pooled over the cohorts observed that long)
/// beside the fitted S(k).
fn survival_table(
    cohorts: &[Cohort],
    alpha: f64,
    beta: f64,
    homogeneous: bool,
    churn: f64,
) -> Vec<SurvivalRow> {
    let months = cohorts.iter().map(|c| c.active.len()).max().unwrap_or(0);
    (0..months)
        .map(|k| {
            let long_enough = cohorts.iter().filter(|c| c.active.len() > k);
            let (size, active) =
                long_enough.fold((0u64, 0u64), |(s, a), c| (s + c.active[0], a + c.active[k]));
            SurvivalRow {
                month: k,
                cohort_customers: size,
                observed: active as f64 / size as f64,
                fitted: if homogeneous {
                    (1.0 - churn).powi(k as i32)
                } else {
                    survival(alpha, beta, k)
                },
            }
        })
        .collect()
}

/// `churn` as a distribution carrying the fit's uncertainty: the beta with
/// the estimate's mean and standard error (moment matching), so that each
/// trial draws a churn as uncertain as the data leave it. `None` when the
/// error is too small for a beta to differ from the number, or too large
/// for a proper one.
pub fn uncertain_churn(churn: Estimate) -> Option<(f64, f64)> {
    let (m, s) = (churn.value, churn.se);
    if s.is_nan() || s <= 0.0 {
        return None;
    }
    let k = m * (1.0 - m) / (s * s) - 1.0;
    (k > 0.0 && k.is_finite()).then_some((m * k, (1.0 - m) * k))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fader & Hardie (2007), Table 1: surviving customers of a cohort of
    /// 1000 over years 0–7.
    pub const REGULAR: [u64; 8] = [1000, 631, 468, 382, 326, 289, 262, 241];
    pub const HIGH_END: [u64; 8] = [1000, 869, 743, 653, 593, 551, 517, 491];

    fn one(active: &[u64]) -> Vec<Cohort> {
        vec![Cohort {
            name: "c".into(),
            active: active.to_vec(),
        }]
    }

    /// The brief for this work gave the two segments' estimates the other
    /// way round; the likelihood (and the data: regular customers lose 37 %
    /// in year 1, high-end 13 %) says regular α = 0.704, β = 1.182 and
    /// high end α = 0.668, β = 3.806, as the paper's own table has them.
    #[test]
    fn reproduces_fader_hardie_2007() {
        let r = fit(&one(&REGULAR)).unwrap();
        assert_eq!(format!("{:.3}", r.alpha.value), "0.704");
        assert_eq!(format!("{:.3}", r.beta.value), "1.182");
        let h = fit(&one(&HIGH_END)).unwrap();
        assert_eq!(format!("{:.3}", h.alpha.value), "0.668");
        assert_eq!(format!("{:.3}", h.beta.value), "3.806");
        // Their published log-likelihoods.
        assert!(
            (r.log_likelihood - -1680.3).abs() < 0.05,
            "{}",
            r.log_likelihood
        );
        assert!(
            (h.log_likelihood - -1611.2).abs() < 0.05,
            "{}",
            h.log_likelihood
        );
    }

    #[test]
    fn gradient_and_hessian_match_finite_differences() {
        let counts = Counts::from_cohorts(&one(&REGULAR));
        let (a, b) = (0.9, 2.5);
        let at = |a, b| log_likelihood(&counts, a, b);
        let e = 1e-5;
        let l = at(a, b);
        let ga = (at(a + e, b).value - at(a - e, b).value) / (2.0 * e);
        let gb = (at(a, b + e).value - at(a, b - e).value) / (2.0 * e);
        assert!((ga - l.gradient[0]).abs() < 1e-4 * ga.abs().max(1.0));
        assert!((gb - l.gradient[1]).abs() < 1e-4 * gb.abs().max(1.0));
        let haa = (at(a + e, b).gradient[0] - at(a - e, b).gradient[0]) / (2.0 * e);
        let hab = (at(a, b + e).gradient[0] - at(a, b - e).gradient[0]) / (2.0 * e);
        let hbb = (at(a, b + e).gradient[1] - at(a, b - e).gradient[1]) / (2.0 * e);
        assert!((haa - l.hessian[0][0]).abs() < 1e-4 * haa.abs().max(1.0));
        assert!((hab - l.hessian[0][1]).abs() < 1e-4 * hab.abs().max(1.0));
        assert!((hbb - l.hessian[1][1]).abs() < 1e-4 * hbb.abs().max(1.0));
        // And the value against the closed form with Beta functions.
        use statrs::function::beta::ln_beta;
        let mut ll = 0.0;
        for t in 1..REGULAR.len() {
            let d = (REGULAR[t - 1] - REGULAR[t]) as f64;
            ll += d * (ln_beta(a + 1.0, b + t as f64 - 1.0) - ln_beta(a, b));
        }
        ll += REGULAR[7] as f64 * (ln_beta(a, b + 7.0) - ln_beta(a, b));
        assert!((ll - l.value).abs() < 1e-8 * ll.abs());
    }

    #[test]
    fn churn_and_polarization_invert_spec_4_3() {
        let r = fit(&one(&HIGH_END)).unwrap();
        let (a, b) = (r.alpha.value, r.beta.value);
        let (c, phi) = (r.churn.value, r.churn_polarization.value);
        assert!((c * (1.0 / phi - 1.0) - a).abs() < 1e-9);
        assert!(((1.0 - c) * (1.0 / phi - 1.0) - b).abs() < 1e-9);
    }

    #[test]
    fn geometric_data_fit_the_homogeneous_model() {
        // Exactly 10 % lost each month: no heterogeneity.
        let active: Vec<u64> = (0..12)
            .map(|k| (1e6 * 0.9f64.powi(k)).round() as u64)
            .collect();
        let r = fit(&one(&active)).unwrap();
        assert!(r.churn_polarization.value < 1e-3, "{r:?}");
        assert!((r.churn.value - 0.1).abs() < 1e-3);
    }

    #[test]
    fn a_flat_ridge_towards_no_heterogeneity_is_the_geometric_model() {
        // Two cohorts losing exactly 20 % a month: Newton stalls at a large
        // but finite α + β; the geometric limit is at least as likely.
        let cohorts = vec![
            Cohort {
                name: "a".into(),
                active: vec![100, 80],
            },
            Cohort {
                name: "b".into(),
                active: vec![50, 40, 32],
            },
        ];
        let r = fit(&cohorts).unwrap();
        assert!(r.homogeneous);
        assert_eq!(r.churn_polarization.value, 0.0);
        assert!((r.churn.value - 0.2).abs() < 1e-12);
    }

    #[test]
    fn churn_rising_with_tenure_fails_the_goodness_of_fit() {
        let r = fit(&one(&[1000, 500, 0])).unwrap();
        assert!(r.goodness_of_fit.unwrap().p_value < 1e-6);
        let published = fit(&one(&REGULAR)).unwrap();
        assert!(published.goodness_of_fit.unwrap().p_value > 0.5);
    }

    #[test]
    fn impossible_fits_are_problems_not_panics() {
        assert!(fit(&one(&[100, 100, 100])).is_err());
        assert!(fit(&one(&[100, 0])).is_err());
        assert!(fit(&one(&[100])).is_err());
    }

    #[test]
    fn uncertain_churn_matches_mean_and_se() {
        let (a, b) = uncertain_churn(Estimate {
            value: 0.2,
            se: 0.02,
        })
        .unwrap();
        let mean = a / (a + b);
        let var = a * b / ((a + b).powi(2) * (a + b + 1.0));
        assert!((mean - 0.2).abs() < 1e-12);
        assert!((var.sqrt() - 0.02).abs() < 1e-12);
        assert_eq!(
            uncertain_churn(Estimate {
                value: 0.5,
                se: 0.6
            }),
            None
        );
    }

    #[test]
    fn month_columns() {
        assert_eq!(month_column("0"), Some(0));
        assert_eq!(month_column("Month 3"), Some(3));
        assert_eq!(month_column("m12"), Some(12));
        assert_eq!(month_column("month_2"), Some(2));
        assert_eq!(month_column("cohort"), None);
        assert_eq!(month_column("size"), None);
    }
}
