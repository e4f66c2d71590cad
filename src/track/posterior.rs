//! The posterior over the assumptions given the actuals (spec §9 part 2):
//! p(θ | data) ∝ p(θ)·L(data | θ), as N equally weighted draws laid out
//! like `engine::draw_assumptions`' (one value per uncertain row), so a
//! reforecast runs them exactly as a run runs prior draws.
//!
//! Data can be far more informative than the prior (50,000 visitors
//! against a vague act rate), where reweighting prior draws leaves a
//! handful of them carrying all the weight. So the likelihood is split
//! into independent groups of rows (rows that share a likelihood term, and
//! rows connected through such rows), and each group is updated by the
//! most exact method that applies:
//! - **conjugate**: one `beta` row informed only by binomial thinnings with
//!   that rate alone (leads of visitors, customers of leads): the posterior
//!   is exactly Beta(a + Σk, b + Σ(n − k)), drawn by its inverse CDF;
//! - **grid**: any other single row: the exact posterior density on a grid
//!   in an unbounded coordinate (logit of the row's range, or the log of a
//!   log-normal), zoomed until the grid resolves the posterior mass, drawn
//!   by its inverse CDF;
//! - **SMC**: several rows (cost per visit with an audience): sequential
//!   Monte Carlo from the prior draws, tempering the likelihood in steps
//!   chosen by bisection so each keeps an effective sample size of N/2,
//!   with systematic resampling and random-walk Metropolis moves on the
//!   unbounded coordinates (proposal from the particles' covariance).
//!
//! Exact draws are stratified (the i-th of N takes the quantile at
//! (π(i) + ½)/N for a random permutation π), so means and percentiles
//! carry next to no Monte Carlo error. Rows no actual informs keep the
//! draws a run would make. Every random number comes from a stream keyed
//! by (seed, particle, what), so results do not depend on the threads.

use rand::RngExt;
use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF};

use super::actuals::Actuals;
use super::likelihood::{Likelihood, Term};
use crate::engine::draw_assumptions;
use crate::error::{Error, UsageError};
use crate::sampling::{mix64, stream};
use crate::scenario::{Param, Scenario, ValueSpec};

/// Salt of the posterior's own streams ("POSTERIO").
const POSTERIOR_KEY: u64 = 0x504f_5354_4552_494f;

/// How a group of rows was updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact beta posterior.
    Conjugate,
    /// Exact one-dimensional posterior on a grid.
    Grid,
    /// Sequential Monte Carlo.
    Smc,
    /// The actuals are impossible under every prior draw: prior kept.
    PriorKept,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Conjugate => "conjugate (exact beta)",
            Method::Grid => "grid (exact 1-D)",
            Method::Smc => "sequential Monte Carlo",
            Method::PriorKept => "prior kept (impossible data)",
        }
    }
}

/// One group of rows learned together.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    /// Positions in the draw vector.
    pub draws: Vec<usize>,
    /// The rows as `drivers` names them: `act.rate (*)`.
    pub labels: Vec<String>,
    pub method: Method,
    /// Observed counts the group's likelihood explains.
    pub counts: usize,
    /// Effective sample size of the final draws: N for exact methods, the
    /// last tempering step's for SMC.
    pub ess: f64,
    /// Effective sample size of the prior draws weighted by the whole
    /// likelihood: what plain importance sampling would have had, and so a
    /// measure of how far the data moved the group (N: not at all).
    pub prior_ess: f64,
    /// SMC: the effective sample size after the first tempering step.
    pub first_step_ess: Option<f64>,
    /// SMC: tempering steps taken.
    pub stages: usize,
    /// SMC: share of Metropolis moves accepted, over all stages.
    pub acceptance: Option<f64>,
}

/// Mean, sd and percentiles of one row's draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let mean = sorted.iter().sum::<f64>() / n;
        let var = sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        Spread {
            mean,
            sd: var.sqrt(),
            p5: quantile(&sorted, 0.05),
            p50: quantile(&sorted, 0.5),
            p95: quantile(&sorted, 0.95),
        }
    }
}

/// The q-quantile of sorted values, interpolating between order
/// statistics (type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = q * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// One informed row, before and after the actuals.
#[derive(Debug, Clone, Serialize)]
pub struct AssumptionUpdate {
    /// Position in the draw vector.
    pub draw: usize,
    /// `drivers`' name: `stage.metric (channel)`.
    pub label: String,
    pub stage: String,
    pub channel: String,
    pub metric: String,
    /// The scenario line of the row.
    pub line: u64,
    pub prior: Spread,
    pub posterior: Spread,
    /// (posterior mean − prior mean) / prior sd.
    pub shift_sd: f64,
    /// Index into `Posterior::groups`.
    pub group: usize,
    /// The exact posterior Beta(a, b) of a conjugate update.
    pub exact_beta: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Posterior {
    /// N equally weighted draws, each laid out like `draw_assumptions`'.
    #[serde(skip)]
    pub draws: Vec<Vec<f64>>,
    pub groups: Vec<GroupReport>,
    /// The informed rows, in draw order.
    pub assumptions: Vec<AssumptionUpdate>,
    pub warnings: Vec<String>,
    /// m: the last observed month.
    pub months: usize,
    pub particles: usize,
    pub seed: u64,
}

impl Posterior {
    /// The update of the row at draw position `draw`, if the actuals inform it.
    pub fn assumption(&self, draw: usize) -> Option<&AssumptionUpdate> {
        self.assumptions.iter().find(|a| a.draw == draw)
    }
}

/// The posterior given `actuals`, with `spend` (`[ci][t − 1]`) the plan's
/// spend for the months whose actual spend is not given; `particles`
/// draws, from `seed`.
pub fn update(
    scenario: &Scenario,
    actuals: &Actuals,
    spend: &[Vec<f64>],
    seed: u64,
    particles: usize,
) -> Result<Posterior, Error> {
    if particles < 2 {
        return Err(UsageError(format!(
            "the update needs at least 2 particles, not {particles}"
        ))
        .into());
    }
    let likelihood = Likelihood::new(scenario, actuals, spend);
    let labels: Vec<String> = crate::drivers::inputs(scenario)
        .into_iter()
        .map(|i| i.name)
        .collect();
    let prior: Vec<Vec<f64>> = (0..particles)
        .into_par_iter()
        .map(|i| {
            let mut d = Vec::new();
            draw_assumptions(scenario, seed, i as u64, &mut d);
            d
        })
        .collect();
    let mut draws = prior.clone();
    let mut warnings = likelihood.unused.clone();

    // Terms with no uncertain row can only be checked.
    let mut fixed = vec![0.0; scenario.drawn.len()];
    for (j, &row) in scenario.drawn.iter().enumerate() {
        fixed[j] = scenario.assumptions[row].spec.mean();
    }
    for term in likelihood.terms.iter().filter(|t| t.drawn().is_empty()) {
        if term.log_likelihood(&fixed) == f64::NEG_INFINITY {
            warnings.push(format!(
                "{}: impossible under the scenario's fixed assumptions, so it is not learned from; check the actuals and the scenario",
                impossible_term(scenario, term, &[fixed.clone()])
            ));
        }
    }

    let mut groups = Vec::new();
    let mut assumptions = Vec::new();
    for (gi, group) in components(&likelihood.terms, scenario.drawn.len())
        .into_iter()
        .enumerate()
    {
        let terms: Vec<&Term> = likelihood
            .terms
            .iter()
            .filter(|t| t.drawn().first().is_some_and(|j| group.contains(j)))
            .collect();
        let key = mix64(scenario.assumptions[scenario.drawn[group[0]]].stream_key ^ POSTERIOR_KEY);
        let loglik = |d: &[f64]| terms.iter().map(|t| t.log_likelihood(d)).sum::<f64>();
        let prior_ll: Vec<f64> = prior.par_iter().map(|d| loglik(d)).collect();
        let prior_ess = ess(&prior_ll, 1.0);
        let group_labels: Vec<String> = group.iter().map(|&j| labels[j].clone()).collect();
        let mut report = GroupReport {
            draws: group.clone(),
            labels: group_labels.clone(),
            method: Method::Smc,
            counts: terms.iter().map(|t| t.counts()).sum(),
            ess: particles as f64,
            prior_ess,
            first_step_ess: None,
            stages: 0,
            acceptance: None,
        };
        let mut exact_beta = None;
        let coords: Vec<Coordinate> = group
            .iter()
            .map(|&j| Coordinate::new(&scenario.assumptions[scenario.drawn[j]].spec))
            .collect();
        if prior_ll.iter().all(|l| *l == f64::NEG_INFINITY) {
            report.method = Method::PriorKept;
            let culprit = terms
                .iter()
                .map(|t| impossible_term(scenario, t, &prior))
                .find(|s| !s.is_empty())
                .unwrap_or_else(|| "the actuals together".to_string());
            warnings.push(format!(
                "{culprit}: impossible under every prior draw of {} (more visitors than the audience, visitors without spend, or a rate the prior rules out), so these assumptions keep their prior; check the actuals and the scenario",
                group_labels.join(", ")
            ));
        } else if let Some((a, b)) = conjugate(scenario, &group, &terms) {
            report.method = Method::Conjugate;
            let (a, b) = conjugate_update(a, b, &terms);
            exact_beta = Some((a, b));
            let beta = Beta::new(a, b).expect("positive shapes");
            let j = group[0];
            for (d, u) in draws.iter_mut().zip(stratified(particles, seed, key)) {
                d[j] = beta.inverse_cdf(u);
            }
        } else if group.len() == 1 {
            let j = group[0];
            let mut scratch = fixed.clone();
            let grid = Grid::new(&coords[0], |x| {
                scratch[j] = x;
                loglik(&scratch)
            });
            match grid {
                Some(grid) => {
                    report.method = Method::Grid;
                    for (d, u) in draws.iter_mut().zip(stratified(particles, seed, key)) {
                        d[j] = coords[0].x(grid.quantile(u));
                    }
                }
                None => {
                    report.method = Method::PriorKept;
                    warnings.push(format!(
                        "the actuals informing {} could not be resolved on a grid; the prior is kept",
                        group_labels.join(", ")
                    ));
                }
            }
        } else {
            let smc = Smc {
                group: &group,
                coords: &coords,
                loglik: &loglik,
                base: &fixed,
                seed,
                key,
            };
            let result = smc.run(&prior, &prior_ll);
            for (d, x) in draws.iter_mut().zip(&result.values) {
                for (k, &j) in group.iter().enumerate() {
                    d[j] = x[k];
                }
            }
            report.ess = result.ess;
            report.first_step_ess = Some(result.first_step_ess);
            report.stages = result.stages;
            report.acceptance = Some(result.acceptance);
            if result.distinct < particles / 10 || result.acceptance < 0.02 {
                warnings.push(format!(
                    "the update of {} did not mix well ({} distinct draws of {particles}, {:.1} % of moves accepted): its posterior is unreliable; check the actuals, or give the update more particles",
                    group_labels.join(", "),
                    result.distinct,
                    100.0 * result.acceptance
                ));
            }
        }
        for &j in &group {
            let a = &scenario.assumptions[scenario.drawn[j]];
            let before: Vec<f64> = prior.iter().map(|d| d[j]).collect();
            let after: Vec<f64> = draws.iter().map(|d| d[j]).collect();
            let p = Spread::of(&before);
            let q = Spread::of(&after);
            let mut sorted = before.clone();
            sorted.sort_by(f64::total_cmp);
            let (lo, hi) = (quantile(&sorted, 0.005), quantile(&sorted, 0.995));
            if report.method != Method::PriorKept && (q.mean < lo || q.mean > hi) {
                warnings.push(format!(
                    "the actuals put {} at {} on average, outside what its prior allows (P0.5–P99.5 {} – {}, scenario line {}): the assumption was far off, or the actuals are wrong",
                    labels[j],
                    show(q.mean),
                    show(lo),
                    show(hi),
                    a.line
                ));
            }
            assumptions.push(AssumptionUpdate {
                draw: j,
                label: labels[j].clone(),
                stage: a.stage.name().to_string(),
                channel: a.channel.clone(),
                metric: a.metric_label(),
                line: a.line,
                prior: p,
                posterior: q,
                shift_sd: if p.sd > 0.0 {
                    (q.mean - p.mean) / p.sd
                } else {
                    0.0
                },
                group: gi,
                exact_beta,
            });
        }
        groups.push(report);
    }
    assumptions.sort_by_key(|a| a.draw);
    Ok(Posterior {
        draws,
        groups,
        assumptions,
        warnings,
        months: actuals.months,
        particles,
        seed,
    })
}

fn show(x: f64) -> String {
    crate::scenario::value::show(format!("{x:.4e}").parse::<f64>().unwrap_or(x))
}

/// The groups of draw positions tied together by some term, each sorted,
/// in order of their first position.
fn components(terms: &[Term], n: usize) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut used = vec![false; n];
    for t in terms {
        let d = t.drawn();
        for &j in &d {
            used[j] = true;
        }
        for w in d.windows(2) {
            let (a, b) = (root(&mut parent, w[0]), root(&mut parent, w[1]));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut at = vec![usize::MAX; n];
    for j in (0..n).filter(|&j| used[j]) {
        let r = root(&mut parent, j);
        if at[r] == usize::MAX {
            at[r] = groups.len();
            groups.push(Vec::new());
        }
        groups[at[r]].push(j);
    }
    groups
}

/// The prior Beta(a, b) when the group is one `beta` row whose every term
/// is a thinning with that rate alone.
fn conjugate(scenario: &Scenario, group: &[usize], terms: &[&Term]) -> Option<(f64, f64)> {
    let [j] = group else { return None };
    let ValueSpec::Beta { a, b } = scenario.assumptions[scenario.drawn[*j]].spec else {
        return None;
    };
    terms
        .iter()
        .all(|t| matches!(t, Term::Thinning { rates, .. } if rates[..] == [Param::Drawn(*j)]))
        .then_some((a, b))
}

fn conjugate_update(a: f64, b: f64, terms: &[&Term]) -> (f64, f64) {
    terms.iter().fold((a, b), |(a, b), t| match t {
        Term::Thinning { upper, lower, .. } => (
            a + lower.value as f64,
            b + (upper.value - lower.value) as f64,
        ),
        Term::Reach(_) => (a, b),
    })
}

/// Names the observed count that no draw in `draws` can explain, or "".
fn impossible_term(scenario: &Scenario, term: &Term, draws: &[Vec<f64>]) -> String {
    match term {
        Term::Reach(reach) => {
            let mut months: Vec<usize> = Vec::new();
            for (i, d) in draws.iter().enumerate() {
                let mut impossible = Vec::new();
                reach.log_likelihood(d, |t, ll| {
                    if ll == f64::NEG_INFINITY {
                        impossible.push(t);
                    }
                });
                if i == 0 {
                    months = impossible;
                } else {
                    months.retain(|t| impossible.contains(t));
                }
            }
            months
                .first()
                .map(|&t| term.describe(scenario, Some(t)))
                .unwrap_or_default()
        }
        Term::Thinning { .. } => {
            if draws
                .iter()
                .all(|d| term.log_likelihood(d) == f64::NEG_INFINITY)
            {
                term.describe(scenario, None)
            } else {
                String::new()
            }
        }
    }
}

/// (Σw)²/Σw² of the weights exp(scale·ℓ).
fn ess(ll: &[f64], scale: f64) -> f64 {
    let max = ll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return 0.0;
    }
    let (mut s, mut s2) = (0.0, 0.0);
    for &l in ll {
        let w = (scale * (l - max)).exp();
        s += w;
        s2 += w * w;
    }
    s * s / s2
}

/// N stratified uniforms, (π(i) + ½)/N, in a random order π.
fn stratified(n: usize, seed: u64, key: u64) -> Vec<f64> {
    let mut rng = stream(seed, 0, key ^ 0x5045_524d_5554_4521); // "PERMUTE!"
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let k = rng.random_range(0..=i);
        order.swap(i, k);
    }
    order
        .into_iter()
        .map(|k| (k as f64 + 0.5) / n as f64)
        .collect()
}

/// ln(1 + e^t), without overflow.
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// A prior's shape in the unbounded coordinate z.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// uniform: flat in y.
    Flat,
    /// triangular with its mode at y = `mode`.
    Triangular { mode: f64 },
    /// y ~ Beta(a, b): `beta` and `pert`.
    Beta { a: f64, b: f64 },
    /// z = ln x ~ Normal(mu, sigma): `lognormal`.
    Normal { mu: f64, sigma: f64 },
}

/// An uncertain row's value x as z: the logit of y = (x − low)/width for a
/// bounded prior, ln x for a log-normal one, with the prior's log-density
/// in z (up to a constant, the Jacobian included).
#[derive(Debug, Clone, Copy)]
pub struct Coordinate {
    low: f64,
    width: f64,
    shape: Shape,
}

impl Coordinate {
    pub fn new(spec: &ValueSpec) -> Coordinate {
        let bounded = |low: f64, high: f64, shape| Coordinate {
            low,
            width: high - low,
            shape,
        };
        match *spec {
            ValueSpec::Uniform { low, high } => bounded(low, high, Shape::Flat),
            ValueSpec::Triangular { low, mode, high } => bounded(
                low,
                high,
                Shape::Triangular {
                    mode: (mode - low) / (high - low),
                },
            ),
            ValueSpec::Pert { low, mode, high } => {
                let w = high - low;
                bounded(
                    low,
                    high,
                    Shape::Beta {
                        a: 1.0 + 4.0 * (mode - low) / w,
                        b: 1.0 + 4.0 * (high - mode) / w,
                    },
                )
            }
            ValueSpec::Beta { a, b } => bounded(0.0, 1.0, Shape::Beta { a, b }),
            ValueSpec::LogNormal { mean, sd } => {
                let (mu, sigma) = crate::scenario::value::lognormal_log_params(mean, sd);
                Coordinate {
                    low: 0.0,
                    width: f64::INFINITY,
                    shape: Shape::Normal { mu, sigma },
                }
            }
            // Not drawn; a point mass has no coordinate to move.
            ValueSpec::Number(x) => bounded(x, x, Shape::Flat),
        }
    }

    fn is_log(&self) -> bool {
        matches!(self.shape, Shape::Normal { .. })
    }

    pub fn x(&self, z: f64) -> f64 {
        if self.is_log() {
            z.exp()
        } else {
            let y = 1.0 / (1.0 + (-z).exp());
            (self.low + self.width * y).min(self.low + self.width)
        }
    }

    pub fn z(&self, x: f64) -> f64 {
        let z = if self.is_log() {
            x.ln()
        } else {
            let y = (x - self.low) / self.width;
            y.ln() - (-y).ln_1p()
        };
        z.clamp(-700.0, 700.0)
    }

    pub fn log_prior(&self, z: f64) -> f64 {
        // ln y and ln(1 − y) of y = logistic(z), exact in both tails.
        let ln_y = -softplus(-z);
        let ln_1my = -softplus(z);
        match self.shape {
            Shape::Flat => ln_y + ln_1my,
            Shape::Triangular { mode } => {
                let y = ln_y.exp();
                let pdf = if y <= mode && mode > 0.0 {
                    ln_y - mode.ln()
                } else {
                    ln_1my - (1.0 - mode).ln()
                };
                pdf + ln_y + ln_1my
            }
            Shape::Beta { a, b } => a * ln_y + b * ln_1my,
            Shape::Normal { mu, sigma } => -0.5 * ((z - mu) / sigma).powi(2),
        }
    }

    /// The z range a grid starts from: far beyond any plausible mass.
    fn range(&self) -> (f64, f64) {
        match self.shape {
            Shape::Normal { mu, sigma } => (mu - 40.0 * sigma - 5.0, mu + 40.0 * sigma + 5.0),
            _ => (-60.0, 60.0),
        }
    }
}

/// A one-dimensional posterior density on a grid in z, normalised, for
/// inverse-CDF draws.
struct Grid {
    z: Vec<f64>,
    density: Vec<f64>,
    cdf: Vec<f64>,
}

/// Grid points per pass; the zoom stops once the posterior mass spans at
/// least `RESOLVED` of them.
const GRID_POINTS: usize = 4097;
const RESOLVED: usize = 1500;
/// Log-density below the maximum beyond which the grid drops mass (e^−46 ≈ 1e−20).
const NEGLIGIBLE: f64 = 46.0;

impl Grid {
    fn new(coord: &Coordinate, mut loglik: impl FnMut(f64) -> f64) -> Option<Grid> {
        let (mut lo, mut hi) = coord.range();
        for _ in 0..30 {
            let h = (hi - lo) / (GRID_POINTS - 1) as f64;
            let z: Vec<f64> = (0..GRID_POINTS).map(|i| lo + h * i as f64).collect();
            let lp: Vec<f64> = z
                .iter()
                .map(|&z| {
                    let p = coord.log_prior(z);
                    if p == f64::NEG_INFINITY {
                        p
                    } else {
                        p + loglik(coord.x(z))
                    }
                })
                .map(|v| if v.is_nan() { f64::NEG_INFINITY } else { v })
                .collect();
            let max = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if max == f64::NEG_INFINITY {
                return None;
            }
            let first = lp.iter().position(|&v| v > max - NEGLIGIBLE)?;
            let last = lp.iter().rposition(|&v| v > max - NEGLIGIBLE)?;
            let (a, b) = (first.saturating_sub(1), (last + 1).min(GRID_POINTS - 1));
            if b - a >= RESOLVED || h < 1e-13 * (1.0 + lo.abs().max(hi.abs())) {
                let z = z[a..=b].to_vec();
                let density: Vec<f64> = lp[a..=b].iter().map(|&v| (v - max).exp()).collect();
                let mut cdf = vec![0.0; z.len()];
                for i in 1..z.len() {
                    cdf[i] = cdf[i - 1] + 0.5 * (density[i] + density[i - 1]) * (z[i] - z[i - 1]);
                }
                return Some(Grid { z, density, cdf });
            }
            lo = z[a];
            hi = z[b];
        }
        None
    }

    /// The z at which the CDF reaches `u`, the density linear between points.
    fn quantile(&self, u: f64) -> f64 {
        let total = *self.cdf.last().expect("grid has points");
        let target = u * total;
        let k = self
            .cdf
            .partition_point(|&c| c <= target)
            .clamp(1, self.z.len() - 1)
            - 1;
        let (f0, f1) = (self.density[k], self.density[k + 1]);
        let h = self.z[k + 1] - self.z[k];
        let r = target - self.cdf[k];
        let slope = (f1 - f0) / h;
        let t = if slope.abs() * h < 1e-9 * f0.max(f1) || f0 + f1 == 0.0 {
            if f0 > 0.0 { r / f0 } else { 0.5 * h }
        } else {
            (-f0 + (f0 * f0 + 2.0 * slope * r).max(0.0).sqrt()) / slope
        };
        self.z[k] + t.clamp(0.0, h)
    }
}

struct Smc<'a, F: Fn(&[f64]) -> f64 + Sync> {
    group: &'a [usize],
    coords: &'a [Coordinate],
    loglik: &'a F,
    base: &'a [f64],
    seed: u64,
    key: u64,
}

struct SmcResult {
    values: Vec<Vec<f64>>,
    ess: f64,
    first_step_ess: f64,
    stages: usize,
    acceptance: f64,
    distinct: usize,
}

/// A particle in z, with its prior log-density and log-likelihood.
#[derive(Clone)]
struct Particle {
    z: Vec<f64>,
    log_prior: f64,
    log_lik: f64,
}

/// Tempering steps before the update gives up on reaching the posterior.
const MAX_STAGES: usize = 500;

impl<F: Fn(&[f64]) -> f64 + Sync> Smc<'_, F> {
    fn log_prior(&self, z: &[f64]) -> f64 {
        z.iter()
            .zip(self.coords)
            .map(|(&z, c)| c.log_prior(z))
            .sum()
    }

    fn log_lik(&self, z: &[f64], scratch: &mut [f64]) -> f64 {
        for ((&j, c), &z) in self.group.iter().zip(self.coords).zip(z) {
            scratch[j] = c.x(z);
        }
        let ll = (self.loglik)(scratch);
        if ll.is_nan() { f64::NEG_INFINITY } else { ll }
    }

    fn run(&self, prior: &[Vec<f64>], prior_ll: &[f64]) -> SmcResult {
        let n = prior.len();
        let d = self.group.len();
        let mut particles: Vec<Particle> = prior
            .iter()
            .zip(prior_ll)
            .map(|(draw, &ll)| {
                let z: Vec<f64> = self
                    .group
                    .iter()
                    .zip(self.coords)
                    .map(|(&j, c)| c.z(draw[j]))
                    .collect();
                Particle {
                    log_prior: self.log_prior(&z),
                    z,
                    log_lik: ll,
                }
            })
            .collect();
        let mut phi = 0.0f64;
        let mut scale = 2.38 / (d as f64).sqrt();
        let (mut first_step_ess, mut last_ess) = (None, n as f64);
        let (mut proposed, mut accepted) = (0u64, 0u64);
        let mut stages = 0;
        while phi < 1.0 && stages < MAX_STAGES {
            let ll: Vec<f64> = particles.iter().map(|p| p.log_lik).collect();
            let rest = 1.0 - phi;
            let target = n as f64 / 2.0;
            let delta = if ess(&ll, rest) >= target {
                rest
            } else {
                let (mut a, mut b) = (0.0, rest);
                for _ in 0..100 {
                    let mid = 0.5 * (a + b);
                    if ess(&ll, mid) >= target {
                        a = mid;
                    } else {
                        b = mid;
                    }
                }
                a.max(f64::MIN_POSITIVE)
            };
            last_ess = ess(&ll, delta);
            first_step_ess.get_or_insert(last_ess);
            phi = if delta >= rest { 1.0 } else { phi + delta };
            // Systematic resampling.
            let max = ll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = ll.iter().map(|&l| (delta * (l - max)).exp()).collect();
            let total: f64 = w.iter().sum();
            let mut rng = stream(self.seed, stages as u64, self.key ^ 0x5245_5341_4d50_4c45); // "RESAMPLE"
            let u0: f64 = rng.random::<f64>();
            let mut next = Vec::with_capacity(n);
            let (mut cum, mut i) = (w[0] / total, 0usize);
            for k in 0..n {
                let u = (k as f64 + u0) / n as f64;
                while u > cum && i + 1 < n {
                    i += 1;
                    cum += w[i] / total;
                }
                next.push(particles[i].clone());
            }
            particles = next;
            // Move: random-walk Metropolis with the particles' covariance.
            let chol = cholesky(&covariance(&particles, d), d);
            let mut moves = 0;
            let mut wanted = 3;
            while moves < wanted {
                let stage_key = mix64(self.key ^ ((stages as u64) << 20 | moves as u64));
                let results: Vec<(Particle, bool)> = particles
                    .par_iter()
                    .enumerate()
                    .map_init(
                        || self.base.to_vec(),
                        |scratch, (i, p)| {
                            let mut rng = stream(self.seed, i as u64, stage_key);
                            let e: Vec<f64> = (0..d)
                                .map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal))
                                .collect();
                            let z: Vec<f64> = (0..d)
                                .map(|r| {
                                    p.z[r]
                                        + scale
                                            * (0..=r).map(|c| chol[r * d + c] * e[c]).sum::<f64>()
                                })
                                .collect();
                            let log_prior = self.log_prior(&z);
                            if log_prior == f64::NEG_INFINITY || z.iter().any(|v| !v.is_finite()) {
                                return (p.clone(), false);
                            }
                            let log_lik = self.log_lik(&z, scratch);
                            let now = p.log_prior + phi * p.log_lik;
                            let then = log_prior + phi * log_lik;
                            let u: f64 = rng.random::<f64>();
                            if then.is_finite() && u.ln() < then - now {
                                (
                                    Particle {
                                        z,
                                        log_prior,
                                        log_lik,
                                    },
                                    true,
                                )
                            } else {
                                (p.clone(), false)
                            }
                        },
                    )
                    .collect();
                let stage_accepted = results.iter().filter(|(_, a)| *a).count();
                proposed += n as u64;
                accepted += stage_accepted as u64;
                particles = results.into_iter().map(|(p, _)| p).collect();
                moves += 1;
                if moves == 1 {
                    // Enough moves that a particle has moved with
                    // probability 99 % (Drovandi and Pettitt, 2011).
                    let rate = (stage_accepted as f64 / n as f64).clamp(1e-3, 0.999);
                    wanted = ((0.01f64.ln() / (1.0 - rate).ln()).ceil() as usize).clamp(3, 50);
                    if rate < 0.15 {
                        scale *= 0.7;
                    } else if rate > 0.45 {
                        scale *= 1.3;
                    }
                }
            }
            stages += 1;
        }
        let mut distinct: Vec<&Vec<f64>> = particles.iter().map(|p| &p.z).collect();
        distinct.sort_by(|a, b| {
            a.iter()
                .zip(b.iter())
                .map(|(x, y)| x.total_cmp(y))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        distinct.dedup();
        SmcResult {
            distinct: distinct.len(),
            values: particles
                .iter()
                .map(|p| p.z.iter().zip(self.coords).map(|(&z, c)| c.x(z)).collect())
                .collect(),
            ess: last_ess,
            first_step_ess: first_step_ess.unwrap_or(n as f64),
            stages,
            acceptance: if proposed > 0 {
                accepted as f64 / proposed as f64
            } else {
                1.0
            },
        }
    }
}

/// The particles' covariance in z (row-major d × d).
fn covariance(particles: &[Particle], d: usize) -> Vec<f64> {
    let n = particles.len() as f64;
    let mut mean = vec![0.0; d];
    for p in particles {
        for (m, z) in mean.iter_mut().zip(&p.z) {
            *m += z / n;
        }
    }
    let mut cov = vec![0.0; d * d];
    for p in particles {
        for r in 0..d {
            for c in 0..d {
                cov[r * d + c] += (p.z[r] - mean[r]) * (p.z[c] - mean[c]) / (n - 1.0);
            }
        }
    }
    cov
}

/// The lower Cholesky factor of a covariance, with a little added to the
/// diagonal when the particles have collapsed onto a line or a point.
fn cholesky(cov: &[f64], d: usize) -> Vec<f64> {
    let trace = (0..d).map(|i| cov[i * d + i]).sum::<f64>() / d as f64;
    let mut jitter = 1e-10 * trace.max(1e-12);
    loop {
        let mut l = vec![0.0; d * d];
        let mut ok = true;
        for r in 0..d {
            for c in 0..=r {
                let mut s = cov[r * d + c] + if r == c { jitter } else { 0.0 };
                for k in 0..c {
                    s -= l[r * d + k] * l[c * d + k];
                }
                if r == c {
                    if s <= 0.0 || !s.is_finite() {
                        ok = false;
                        break;
                    }
                    l[r * d + c] = s.sqrt();
                } else {
                    l[r * d + c] = s / l[c * d + c];
                }
            }
            if !ok {
                break;
            }
        }
        if ok {
            return l;
        }
        jitter *= 100.0;
        if !jitter.is_finite() {
            // Degenerate beyond repair: a small isotropic step.
            return (0..d * d)
                .map(|i| if i % (d + 1) == 0 { 0.01 } else { 0.0 })
                .collect();
        }
    }
}
