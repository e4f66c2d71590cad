//! Reach from a spend-and-visits export: `reach.cost_per_visit` and, when
//! the data show saturation, `reach.audience` (spec §4.1).
//!
//! The model is the engine's own, cumulative over the export's periods in
//! row order: U_1 = A people not yet reached, V_t ~ Binomial(U_t, p_t) with
//! p_t = 1 − exp(−S_t / (v·A)), U_{t+1} = U_t − V_t; without an audience
//! V_t ~ Poisson(S_t / v). Both are fitted by maximum likelihood and
//! compared with a likelihood-ratio test, so "saturation" means the data
//! prefer an audience to none beyond chance, and the report says so when
//! they cannot tell the two apart.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::gamma::ln_gamma;

use crate::error::{InputError, InputProblem, clip};
use crate::fit::data;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub line: u64,
    pub spend: f64,
    pub visits: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Audience {
    pub value: f64,
    /// 95 % profile-likelihood interval; the upper end is `None` when the
    /// likelihood does not fall far enough within the range searched.
    pub low: f64,
    pub high: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReachFit {
    pub periods: usize,
    pub spend: f64,
    pub visits: f64,
    pub cost_per_visit: f64,
    pub cost_per_visit_se: f64,
    /// Pearson χ² / df of the model chosen: above 1 the visits vary more
    /// than the model's own noise, and the standard error is widened.
    pub dispersion: f64,
    pub log_likelihood_no_audience: f64,
    pub log_likelihood_audience: f64,
    pub lr_statistic: f64,
    pub lr_p_value: f64,
    /// Present when the data show saturation (p < 0.05).
    pub audience: Option<Audience>,
    /// The audience at the likelihood's maximum, whether or not it is
    /// significant (`None` when the likelihood keeps rising with A).
    pub best_audience: Option<f64>,
}

pub const SIGNIFICANCE: f64 = 0.05;

pub fn read(path: &std::path::Path) -> Result<(Vec<Period>, Option<String>), InputError> {
    let table = data::read(path)?;
    let s_col = table.require(
        "`spend`",
        &["spend", "cost", "amount_spent", "amount spent"],
    )?;
    let v_col = table.require(
        "`visits` (or `clicks`)",
        &[
            "visits",
            "clicks",
            "sessions",
            "visitors",
            "link clicks",
            "link_clicks",
        ],
    )?;
    let mut periods = Vec::new();
    for row in &table.rows {
        let spend = data::number(row.line, "spend", row.cell(s_col)).map_err(|p| table.error(p))?;
        if spend < 0.0 {
            return Err(table.error(
                InputProblem::at(
                    row.line,
                    format!("spend `{}` is negative", clip(row.cell(s_col))),
                )
                .help("spend is an amount ≥ 0"),
            ));
        }
        let visits =
            data::count(row.line, "visits", row.cell(v_col)).map_err(|p| table.error(p))?;
        if spend == 0.0 && visits > 0 {
            return Err(table.error(
                InputProblem::at(row.line, format!("{visits} visits with no spend"))
                    .help("paid reach comes from spend: leave out organic visits, or rows of periods with no spend"),
            ));
        }
        periods.push(Period {
            line: row.line,
            spend,
            visits: visits as f64,
        });
    }
    Ok((periods, table.ignored_note(&[s_col, v_col])))
}

/// ln of the no-audience likelihood, at cost per visit v.
fn ll_poisson(periods: &[Period], v: f64) -> f64 {
    periods
        .iter()
        .map(|p| {
            let mean = p.spend / v;
            if mean == 0.0 {
                0.0
            } else {
                p.visits * mean.ln() - mean - ln_gamma(p.visits + 1.0)
            }
        })
        .sum()
}

/// ln of the audience likelihood at audience `a` and c = 1/(v·A), the
/// chance per unit of spend that one person not yet reached is reached.
fn ll_audience(periods: &[Period], a: f64, c: f64) -> f64 {
    let mut unreached = a;
    let mut ll = 0.0;
    for p in periods {
        let x = c * p.spend;
        let v = p.visits;
        ll += ln_gamma(unreached + 1.0) - ln_gamma(v + 1.0) - ln_gamma(unreached - v + 1.0);
        if v > 0.0 {
            ll += v * (-(-x).exp_m1()).ln();
        }
        ll -= (unreached - v) * x;
        unreached -= v;
    }
    ll
}

/// The best c for audience `a`: the likelihood is concave in c, so its
/// derivative Σ V·S·e^{−cS}/(1 − e^{−cS}) − Σ (U − V)·S falls through 0
/// once; found by bisection on ln c.
fn best_c(periods: &[Period], a: f64) -> f64 {
    let slope = |c: f64| {
        let mut unreached = a;
        let mut d = 0.0;
        for p in periods {
            let x = c * p.spend;
            if p.visits > 0.0 {
                d += p.visits * p.spend / x.exp_m1();
            }
            d -= (unreached - p.visits) * p.spend;
            unreached -= p.visits;
        }
        d
    };
    let (mut lo, mut hi) = (-60.0_f64, 10.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if slope(mid.exp()) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

fn profile(periods: &[Period], ln_a: f64) -> f64 {
    let a = ln_a.exp();
    ll_audience(periods, a, best_c(periods, a))
}

/// How far above the visits seen the audience is searched: 10⁶ times.
const SEARCH_DECADES: f64 = 6.0;

pub fn fit(periods: &[Period]) -> Result<ReachFit, String> {
    let spend: f64 = periods.iter().map(|p| p.spend).sum();
    let visits: f64 = periods.iter().map(|p| p.visits).sum();
    if spend == 0.0 {
        return Err("there is no spend in any row, so there is no cost per visit to fit".into());
    }
    if visits == 0.0 {
        return Err(
            "no visits in any row: the cost per visit is unbounded (spend bought nothing)".into(),
        );
    }
    let v0 = spend / visits;
    let ll0 = ll_poisson(periods, v0);
    let spending: Vec<&Period> = periods.iter().filter(|p| p.spend > 0.0).collect();
    let df = spending.len().saturating_sub(1).max(1) as f64;
    let pearson: f64 = spending
        .iter()
        .map(|p| {
            let m = p.spend / v0;
            (p.visits - m).powi(2) / m
        })
        .sum();
    let dispersion = pearson / df;
    // The Poisson standard error of ln v is 1/√(visits); with visits
    // varying more than Poisson it is widened by √dispersion.
    let se0 = v0 * (dispersion.max(1.0) / visits).sqrt();

    // Profile likelihood over ln A from just above the visits seen.
    let lo = (visits * (1.0 + 1e-9)).ln();
    let hi = lo + SEARCH_DECADES * std::f64::consts::LN_10;
    let grid = 240;
    let at = |i: usize| lo + (hi - lo) * i as f64 / grid as f64;
    let (best_i, _) = (0..=grid)
        .map(|i| (i, profile(periods, at(i))))
        .max_by(|x, y| x.1.total_cmp(&y.1))
        .expect("the grid is not empty");
    let (mut a_lo, mut a_hi) = (at(best_i.saturating_sub(1)), at((best_i + 1).min(grid)));
    // Golden-section refinement between the neighbours.
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..100 {
        let x1 = a_hi - g * (a_hi - a_lo);
        let x2 = a_lo + g * (a_hi - a_lo);
        if profile(periods, x1) >= profile(periods, x2) {
            a_hi = x2;
        } else {
            a_lo = x1;
        }
    }
    let ln_a = 0.5 * (a_lo + a_hi);
    let ll1 = profile(periods, ln_a).max(ll0);
    let interior = best_i < grid;
    let statistic = (2.0 * (ll1 - ll0)).max(0.0);
    // A = ∞ is the boundary of the audience model: the statistic is a
    // 50:50 mixture of 0 and χ²₁ under no audience.
    let p_value = 0.5
        * ChiSquared::new(1.0)
            .expect("one degree of freedom")
            .sf(statistic);
    let p_value = if statistic == 0.0 { 1.0 } else { p_value };
    // A maximum no higher than no audience's (up to rounding) is none.
    let interior = interior && statistic > 1e-6;
    let best_audience = interior.then(|| ln_a.exp());
    let mut fit = ReachFit {
        periods: periods.len(),
        spend,
        visits,
        cost_per_visit: v0,
        cost_per_visit_se: se0,
        dispersion,
        log_likelihood_no_audience: ll0,
        log_likelihood_audience: ll1,
        lr_statistic: statistic,
        lr_p_value: p_value,
        audience: None,
        best_audience,
    };
    if !(interior && p_value < SIGNIFICANCE) {
        return Ok(fit);
    }
    let a = ln_a.exp();
    let c = best_c(periods, a);
    let v = 1.0 / (c * a);
    // 95 % profile interval for A: where the profile falls by χ²₁(0.95)/2.
    let drop = 3.841_458_820_694_124 / 2.0;
    let cut = |x: f64| profile(periods, x) - (ll1 - drop);
    let root = |mut inside: f64, mut outside: f64| {
        for _ in 0..100 {
            let mid = 0.5 * (inside + outside);
            if cut(mid) > 0.0 {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        (0.5 * (inside + outside)).exp()
    };
    let low = if cut(lo) > 0.0 {
        lo.exp()
    } else {
        root(ln_a, lo)
    };
    let high = (cut(hi) <= 0.0).then(|| root(ln_a, hi));
    // Standard error of v from the observed information in (ln c, ln A),
    // by central differences of the likelihood.
    let f = |lc: f64, la: f64| ll_audience(periods, la.exp(), lc.exp());
    let (x0, y0) = (c.ln(), ln_a);
    let h = 1e-4;
    let fxx = (f(x0 + h, y0) - 2.0 * f(x0, y0) + f(x0 - h, y0)) / (h * h);
    let fyy = (f(x0, y0 + h) - 2.0 * f(x0, y0) + f(x0, y0 - h)) / (h * h);
    let fxy = (f(x0 + h, y0 + h) - f(x0 + h, y0 - h) - f(x0 - h, y0 + h) + f(x0 - h, y0 - h))
        / (4.0 * h * h);
    let (i00, i01, i11) = (-fxx, -fxy, -fyy);
    let det = i00 * i11 - i01 * i01;
    // ln v = −ln c − ln A: Var = Var(ln c) + Var(ln A) + 2 Cov.
    let var_ln_v = (i11 + i00 - 2.0 * i01) / det;
    let se_v = if det > 0.0 && var_ln_v > 0.0 {
        v * (var_ln_v * dispersion_of(periods, a, c).max(1.0)).sqrt()
    } else {
        f64::NAN
    };
    fit.cost_per_visit = v;
    fit.cost_per_visit_se = se_v;
    fit.dispersion = dispersion_of(periods, a, c);
    fit.audience = Some(Audience {
        value: a,
        low,
        high,
    });
    Ok(fit)
}

/// Pearson χ² / df of the audience fit (df = periods − 2).
fn dispersion_of(periods: &[Period], a: f64, c: f64) -> f64 {
    let mut unreached = a;
    let mut chi = 0.0;
    let mut n = 0usize;
    for p in periods {
        let prob = -(-c * p.spend).exp_m1();
        let mean = unreached * prob;
        let var = mean * (1.0 - prob);
        if var > 0.0 {
            chi += (p.visits - mean).powi(2) / var;
            n += 1;
        }
        unreached -= p.visits;
    }
    chi / n.saturating_sub(2).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periods(spend: &[f64], visits: &[f64]) -> Vec<Period> {
        spend
            .iter()
            .zip(visits)
            .map(|(&s, &v)| Period {
                line: 0,
                spend: s,
                visits: v,
            })
            .collect()
    }

    #[test]
    fn without_saturation_the_cost_per_visit_is_spend_over_visits() {
        // Visits proportional to spend: no sign of an audience.
        let s = [1000.0, 2000.0, 1500.0, 3000.0, 2500.0, 1000.0];
        let v: Vec<f64> = s.iter().map(|x| x / 1.25).collect();
        let f = fit(&periods(&s, &v)).unwrap();
        assert!((f.cost_per_visit - 1.25).abs() < 1e-12);
        assert!(f.audience.is_none());
        assert!(f.lr_p_value > 0.2, "{}", f.lr_p_value);
        // Poisson se of ln v: 1/√visits (dispersion 0 here, floored at 1).
        assert!((f.cost_per_visit_se - 1.25 / (8800.0f64).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn saturating_visits_recover_the_audience() {
        // The expected visits of spec §4.1 with A = 20,000 and v = 0.50:
        // 2,000 a week for 12 weeks reaches most of the audience.
        let (a, v): (f64, f64) = (20_000.0, 0.5);
        let spend = vec![2000.0_f64; 12];
        let mut unreached: f64 = a;
        let visits: Vec<f64> = spend
            .iter()
            .map(|s| {
                let n = (unreached * (1.0 - (-s / (v * a)).exp())).round();
                unreached -= n;
                n
            })
            .collect();
        let f = fit(&periods(&spend, &visits)).unwrap();
        let aud = f.audience.expect("saturation is clear");
        assert!((aud.value - a).abs() / a < 0.01, "{}", aud.value);
        assert!(
            (f.cost_per_visit - v).abs() / v < 0.01,
            "{}",
            f.cost_per_visit
        );
        assert!(aud.low < a && aud.high.is_some_and(|h| h > a));
        assert!(f.lr_p_value < 1e-6);
    }

    #[test]
    fn no_spend_or_no_visits_is_a_problem() {
        assert!(fit(&periods(&[0.0, 0.0], &[0.0, 0.0])).is_err());
        assert!(fit(&periods(&[10.0, 20.0], &[0.0, 0.0])).is_err());
    }
}
