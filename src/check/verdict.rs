//! Comparing a run with its baseline.
//!
//! With the same inputs, trials, seed and model version a run must
//! reproduce its baseline exactly, so any difference is real. Otherwise a
//! statistic counts as moved only when the change is more than `z`
//! combined standard errors, so an edit or a new seed alone is not noise
//! mistaken for a regression. Plans share random numbers with their
//! baseline (same seed and trial indices), which makes old and new runs
//! positively correlated; treating them as independent, as here, errs on
//! the side of fewer alarms.

use anyhow::Result;
use serde_json::Value;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::baseline::{self, Baseline};
use super::{BaselineCheck, Change, Status, describe_target, same_target};
use crate::document::Document;
use crate::metrics::Total;
use crate::stats::Summary;
use crate::stats::sketch::RELATIVE_ACCURACY;

/// Exact differences listed in full; more are counted in a note.
const MAX_LISTED: usize = 50;

/// Relative slack for results that are the same number reached by another
/// route (a mean over 4,000 instead of 2,000 identical values).
const ROUNDING: f64 = 1e-9;

pub fn compare(old: &Baseline, new: &Document, z: f64) -> Result<BaselineCheck> {
    let input_changes = input_changes(&old.doc, new);
    if input_changes.is_empty() {
        exact(old, new)
    } else {
        let mut check = statistical(&old.doc, new, z);
        check.input_changes = input_changes;
        Ok(check)
    }
}

/// What differs between the runs' inputs; empty when the new run must be
/// identical to the baseline.
pub fn input_changes(old: &Document, new: &Document) -> Vec<String> {
    let (old, new) = (&old.provenance, &new.provenance);
    [
        (
            old.input_hash != new.input_hash,
            format!(
                "scenario or plans edited (input hash {} → {})",
                old.input_hash, new.input_hash
            ),
        ),
        (
            old.trials != new.trials,
            format!("trials {} → {}", old.trials, new.trials),
        ),
        (
            old.seed != new.seed,
            format!("seed {} → {}", old.seed, new.seed),
        ),
        (
            old.model_version != new.model_version,
            format!(
                "model version {} → {} (racesim {} → {})",
                old.model_version, new.model_version, old.racesim_version, new.racesim_version
            ),
        ),
    ]
    .into_iter()
    .filter_map(|(differs, change)| differs.then_some(change))
    .collect()
}

/// Same inputs: the new result must be the baseline file byte for byte.
/// The racesim version is left out (a release that keeps the model must
/// keep the numbers), so the new result is rendered with the baseline's.
/// When the bytes differ, every differing number is listed; when no
/// number differs, the file itself was re-formatted.
fn exact(old: &Baseline, new: &Document) -> Result<BaselineCheck> {
    let mut same_release = new.clone();
    same_release
        .provenance
        .racesim_version
        .clone_from(&old.doc.provenance.racesim_version);
    let text = baseline::render(&same_release)?;
    let new_value: Value = serde_json::from_str(&text)?;
    let mut diffs = Vec::new();
    let mut compared = 0;
    let mut added = Vec::new();
    diff(
        &old.value,
        &new_value,
        String::new(),
        &mut Found {
            changes: &mut diffs,
            compared: &mut compared,
            added: &mut added,
        },
    );
    let mut check = BaselineCheck {
        status: Status::Identical,
        input_changes: Vec::new(),
        moved: Vec::new(),
        notes: Vec::new(),
        compared,
    };
    if text.as_bytes() == old.text.as_bytes() {
        return Ok(check);
    }
    if diffs.is_empty() && !added.is_empty() {
        // Fields are only ever added within a schema version, and every
        // number the baseline holds is the same: nothing moved.
        added.truncate(3);
        check.notes.push(format!(
            "the baseline lacks fields this racesim writes ({}, …); the numbers it holds are \
             unchanged, and `--update` adds them",
            added.join(", ")
        ));
        return Ok(check);
    }
    if diffs.is_empty() {
        check.status = Status::Reformatted;
        check.notes.push(reformatted_why(&old.text, &text));
        return Ok(check);
    }
    if diffs.len() > MAX_LISTED {
        check.notes.push(format!(
            "{} more numbers differ; compare the files with `racesim run --format json`",
            diffs.len() - MAX_LISTED
        ));
        diffs.truncate(MAX_LISTED);
    }
    check.status = Status::Differs;
    check.moved = diffs;
    Ok(check)
}

/// What tells a re-formatted baseline from racesim's own output.
fn reformatted_why(stored: &str, fresh: &str) -> String {
    let lf = stored.replace("\r\n", "\n");
    if lf == fresh {
        "the baseline file has Windows (CRLF) line endings, racesim writes LF; \
         a checkout with `core.autocrlf` does this (mark baselines `*.json -text` in .gitattributes)"
            .into()
    } else if lf.trim_end() == fresh.trim_end() {
        "the baseline file ends differently (racesim ends it with one newline)".into()
    } else {
        let line = stored
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| stored.lines().count().min(fresh.lines().count()))
            + 1;
        format!(
            "the baseline file's layout differs from racesim's from line {line} on \
             (re-formatted or edited by hand?)"
        )
    }
}

/// What `diff` finds: the numbers that differ, how many were compared, and
/// the fields only the new document has.
struct Found<'a> {
    changes: &'a mut Vec<Change>,
    compared: &'a mut usize,
    added: &'a mut Vec<String>,
}

fn diff(old: &Value, new: &Value, path: String, found: &mut Found) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff(va, b.get(k).unwrap_or(&Value::Null), p, found);
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                found.added.push(format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let va = a.get(i).unwrap_or(&Value::Null);
                let vb = b.get(i).unwrap_or(&Value::Null);
                // Name list items by their plan or month, which reads
                // better in a report than an index.
                let label = ["plan", "month"]
                    .iter()
                    .find_map(|key| va.get(key).or(vb.get(key)))
                    .map_or(i.to_string(), |v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                diff(va, vb, format!("{path}[{label}]"), found);
            }
        }
        _ => {
            *found.compared += 1;
            if old != new {
                let (o, n) = (old.as_f64(), new.as_f64());
                let what = if o.is_none() && n.is_none() {
                    format!("{path}: {old} → {new}")
                } else {
                    path
                };
                found.changes.push(Change {
                    plan: String::new(),
                    what,
                    statistic: "exact".into(),
                    old: o,
                    new: n,
                    change: o.zip(n).map(|(o, n)| n - o),
                    threshold: 0.0,
                });
            }
        }
    }
}

/// Collects the statistics that moved beyond noise.
struct Tests {
    z: f64,
    moved: Vec<(f64, Change)>,
    compared: usize,
}

impl Tests {
    fn record(
        &mut self,
        plan: &str,
        what: &str,
        statistic: &str,
        old: f64,
        new: f64,
        threshold: f64,
    ) {
        self.compared += 1;
        let change = new - old;
        let slack = ROUNDING * old.abs().max(new.abs());
        if change.abs() > threshold + slack {
            let score = if threshold > 0.0 {
                change.abs() / threshold
            } else {
                f64::INFINITY
            };
            self.moved.push((
                score,
                Change {
                    plan: plan.into(),
                    what: what.into(),
                    statistic: statistic.into(),
                    old: Some(old),
                    new: Some(new),
                    change: Some(change),
                    threshold,
                },
            ));
        }
    }

    /// A share of trials: binomial standard errors around the pooled share.
    fn probability(&mut self, plan: &str, what: &str, old: (f64, u64), new: (f64, u64)) {
        let (p_old, n_old) = (old.0, old.1.max(1) as f64);
        let (p_new, n_new) = (new.0, new.1.max(1) as f64);
        let pooled = (p_old * n_old + p_new * n_new) / (n_old + n_new);
        let threshold = self.z * (pooled * (1.0 - pooled) * (1.0 / n_old + 1.0 / n_new)).sqrt();
        self.record(plan, what, "probability", p_old, p_new, threshold);
    }

    fn summary(&mut self, plan: &str, what: &str, old: &Summary, new: &Summary, whole: bool) {
        let (Some(m_old), Some(m_new)) = (old.mean, new.mean) else {
            return;
        };
        let se = |s: &Summary| s.se.unwrap_or(0.0);
        let threshold = self.z * se(old).hypot(se(new));
        self.record(plan, what, "mean", m_old, m_new, threshold);
        for (q, statistic, pick) in QUANTILE_TESTS {
            let (Some(q_old), Some(q_new)) = (pick(old), pick(new)) else {
                continue;
            };
            let sparsity = sparsity(old, q).max(sparsity(new, q));
            let se_q = |n: u64| sparsity * (q * (1.0 - q) / n.max(1) as f64).sqrt();
            // The quantile sketch rounds to within its relative accuracy,
            // and whole-valued quantiles move in steps of one.
            let resolution = 2.0 * RELATIVE_ACCURACY * q_old.abs().max(q_new.abs())
                + if whole { 1.0 } else { 0.0 };
            let threshold = self.z * se_q(old.defined).hypot(se_q(new.defined)) + resolution;
            self.record(plan, what, statistic, q_old, q_new, threshold);
        }
    }
}

type Pick = fn(&Summary) -> Option<f64>;
const QUANTILE_TESTS: [(f64, &str, Pick); 3] = [
    (0.05, "p5", |s| s.p5),
    (0.50, "p50", |s| s.p50),
    (0.95, "p95", |s| s.p95),
];

/// The sparsity 1/f(Q(q)) that scales a sample quantile's standard error,
/// sd(Q̂) ≈ sparsity·sqrt(q(1−q)/n). Two estimates, and the larger wins: a
/// difference quotient of the neighbouring reported quantiles (Siddiqui's
/// estimator), and the value for a normal shape with the same sd. The
/// first alone underrates the error where values cluster on a few points
/// (a CAC that is cost divided by 5, 6 or 7 customers); the second alone
/// underrates it in a long tail.
fn sparsity(s: &Summary, q: f64) -> f64 {
    let local = match q {
        0.05 => s.p10.zip(s.p5).map(|(b, a)| (b - a) / 0.05),
        0.95 => s.p95.zip(s.p90).map(|(b, a)| (b - a) / 0.05),
        _ => s.p75.zip(s.p25).map(|(b, a)| (b - a) / 0.5),
    }
    .unwrap_or(0.0);
    let normal = Normal::standard();
    let shape = s.sd.unwrap_or(0.0) / normal.pdf(normal.inverse_cdf(q));
    local.max(shape)
}

fn statistical(old: &Document, new: &Document, z: f64) -> BaselineCheck {
    let mut tests = Tests {
        z,
        moved: Vec::new(),
        compared: 0,
    };
    let mut notes = Vec::new();
    for plan in &new.plans {
        let Some(before) = old.plans.iter().find(|p| p.plan == plan.plan) else {
            notes.push(format!("plan `{}` is new: nothing to compare", plan.plan));
            continue;
        };
        let name = plan.plan.as_str();
        for (metric, s_new) in &plan.metrics {
            let Some(s_old) = before.metrics.get(metric) else {
                continue;
            };
            let whole = Total::from_name(metric).is_some_and(|m| m.kind().is_whole());
            match (s_old.mean.is_some(), s_new.mean.is_some()) {
                (true, true) => tests.summary(name, metric, s_old, s_new, whole),
                (false, false) => {}
                // Defined in one run only: did the share of trials where
                // it is defined move?
                _ => tests.probability(
                    name,
                    &format!("{metric} defined"),
                    (
                        share(s_old.defined, old.provenance.trials),
                        old.provenance.trials,
                    ),
                    (
                        share(s_new.defined, new.provenance.trials),
                        new.provenance.trials,
                    ),
                ),
            }
        }
        tests.probability(
            name,
            "P(loss)",
            (before.probability_of_loss, old.provenance.trials),
            (plan.probability_of_loss, new.provenance.trials),
        );
        for t in &plan.targets {
            match before.targets.iter().find(|o| same_target(o, t)) {
                Some(o) => tests.probability(
                    name,
                    &format!("P({})", describe_target(&strip_gate(t))),
                    (o.probability, old.provenance.trials),
                    (t.probability, new.provenance.trials),
                ),
                None => notes.push(format!(
                    "target `{}` of plan `{}` is new: nothing to compare",
                    describe_target(t),
                    plan.plan
                )),
            }
        }
    }
    for plan in old
        .plans
        .iter()
        .filter(|o| !new.plans.iter().any(|p| p.plan == o.plan))
    {
        notes.push(format!("plan `{}` was removed", plan.plan));
    }
    for c in &new.comparisons {
        let Some(o) = old
            .comparisons
            .iter()
            .find(|o| o.plan == c.plan && o.against == c.against && o.metric == c.metric)
        else {
            continue;
        };
        let what = format!("{} − {}: {}", c.plan, c.against, c.metric);
        if let (Some(m_old), Some(m_new)) = (o.mean_difference, c.mean_difference) {
            let se = |s: &Summary| s.se.unwrap_or(0.0);
            let threshold = z * se(&o.difference).hypot(se(&c.difference));
            tests.record(&c.plan, &what, "mean difference", m_old, m_new, threshold);
        }
        if let (Some(p_old), Some(p_new)) = (o.probability_better, c.probability_better) {
            tests.probability(
                &c.plan,
                &format!("P({} better than {}: {})", c.plan, c.against, c.metric),
                (p_old, o.difference.defined),
                (p_new, c.difference.defined),
            );
        }
    }
    // The scenario's own plan first, then alternatives in file order; the
    // largest moves first within each.
    let rank = |c: &Change| new.plans.iter().position(|p| p.plan == c.plan);
    let mut moved = tests.moved;
    moved.sort_by(|a, b| rank(&a.1).cmp(&rank(&b.1)).then(b.0.total_cmp(&a.0)));
    BaselineCheck {
        status: if moved.is_empty() {
            Status::WithinNoise
        } else {
            Status::Moved
        },
        input_changes: Vec::new(),
        moved: moved.into_iter().map(|(_, c)| c).collect(),
        notes,
        compared: tests.compared,
    }
}

fn share(defined: u64, trials: u64) -> f64 {
    defined as f64 / trials.max(1) as f64
}

fn strip_gate(t: &crate::targets::TargetResult) -> crate::targets::TargetResult {
    crate::targets::TargetResult {
        required: None,
        met: None,
        ..t.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(mean: f64, sd: f64, n: u64) -> Summary {
        let q = |z: f64| Some(mean + z * sd);
        Summary {
            mean: Some(mean),
            sd: Some(sd),
            se: Some(sd / (n as f64).sqrt()),
            min: q(-4.0),
            p5: q(-1.645),
            p10: q(-1.282),
            p25: q(-0.674),
            p50: q(0.0),
            p75: q(0.674),
            p90: q(1.282),
            p95: q(1.645),
            max: q(4.0),
            defined: n,
            variance: None,
        }
    }

    fn moved(old: &Summary, new: &Summary) -> Vec<String> {
        let mut t = Tests {
            z: 4.0,
            moved: Vec::new(),
            compared: 0,
        };
        t.summary("baseline", "profit", old, new, false);
        assert_eq!(t.compared, 4);
        t.moved.into_iter().map(|(_, c)| c.statistic).collect()
    }

    #[test]
    fn a_mean_moves_only_beyond_z_combined_standard_errors() {
        // se = 100/√10000 = 1 each, so the threshold is 4·√2 ≈ 5.66.
        let old = summary(1000.0, 100.0, 10_000);
        assert!(moved(&old, &summary(1005.5, 100.0, 10_000)).is_empty());
        assert_eq!(moved(&old, &summary(1005.8, 100.0, 10_000)), ["mean"]);
        // A whole-distribution shift of 20 (≈ 0.2 sd) moves every quantile too.
        assert_eq!(
            moved(&old, &summary(1020.0, 100.0, 10_000)),
            ["mean", "p5", "p50", "p95"]
        );
    }

    #[test]
    fn probabilities_use_pooled_binomial_errors() {
        let mut t = Tests {
            z: 4.0,
            moved: Vec::new(),
            compared: 0,
        };
        // Pooled p = 0.5, n = 2000 each: threshold 4·√(0.25·0.001) ≈ 0.063.
        t.probability("baseline", "P(x)", (0.47, 2000), (0.53, 2000));
        assert!(t.moved.is_empty());
        t.probability("baseline", "P(x)", (0.46, 2000), (0.54, 2000));
        assert_eq!(t.moved.len(), 1);
        // Never defined, never held: nothing to report.
        t.probability("baseline", "P(y)", (0.0, 2000), (0.0, 2000));
        assert_eq!(t.moved.len(), 1);
    }
}
