//! Reforecast (spec §9 "Actuals", part 3): the campaign from the observed
//! months on, under the posterior, and how its headline numbers moved.
//!
//! Trial i runs posterior draw i from the observed state (`engine::observed`:
//! the actual counts and revenue of months 1..m, their customers as cohorts,
//! the audience they reached removed), with the actual spend of months
//! 1..m and the plan's spend after. Targets are evaluated on the combined
//! months, so "P(ROI ≥ 0.25)" now counts the money already spent.

use indicatif::ProgressBar;
use serde::Serialize;

use crate::document::{Document, PlanDoc};
use crate::engine::observed::Observed;
use crate::error::Halt;
use crate::metrics::Total;
use crate::scenario::Scenario;
use crate::simulation::{self, Given, Job, Pairwise, Plan, Results};
use crate::stats::Summary;
use crate::track::{ActualMetric, Actuals};

/// What the actuals pin, in the engine's terms (spend goes into the plan:
/// `as_run`).
pub fn observed(scenario: &Scenario, actuals: &Actuals) -> Observed {
    let mut observed = Observed::new(scenario.channels.len(), actuals.months);
    let count = |x: f64| x.round().max(0.0) as u64;
    for ((ci, t, metric), actual) in actuals.iter() {
        let cell = observed.cell_mut(ci, t);
        match metric {
            ActualMetric::Spend => {}
            ActualMetric::Visitors => cell.visitors = Some(count(actual.value)),
            ActualMetric::Leads => cell.leads = Some(count(actual.value)),
            ActualMetric::Customers => cell.customers = Some(count(actual.value)),
            ActualMetric::Revenue => cell.revenue = Some(actual.value),
        }
    }
    observed
}

/// `plan` as it has run: the actual spend of the observed months where the
/// actuals give it, the plan's own spend elsewhere.
pub fn as_run(actuals: &Actuals, plan: &Plan) -> Plan {
    Plan {
        name: plan.name.clone(),
        spend: actuals.spend_with(&plan.spend),
    }
}

/// The reforecast of `plans` (already `as_run`): one trial per posterior
/// draw in `draws`, every plan on the same draws and population streams
/// (common random numbers), as `run`'s document.
pub fn reforecast(
    scenario: &Scenario,
    plans: &[Plan],
    draws: &[Vec<f64>],
    observed: &Observed,
    seed: u64,
    threads: usize,
    progress: &ProgressBar,
) -> Result<Document, Halt> {
    let job = Job {
        scenario,
        plans,
        seed,
        first_trial: 0,
        trials: draws.len() as u64,
        threads,
    };
    let given = Given {
        draws: Some(draws),
        observed: Some(observed),
        ..Given::default()
    };
    let mut results = simulation::drive_given(
        &job,
        given,
        || Results::new(scenario, plans.len()),
        progress,
    )?;
    results.complete_pairwise(plans, |best| {
        let job = Job { plans: best, ..job };
        let hidden = ProgressBar::hidden();
        simulation::drive_given(&job, given, || Pairwise::new(best.len()), &hidden)
    })?;
    Ok(Document::build(scenario, plans, &results, seed))
}

/// The headline metrics "then → now" compares.
pub const HEADLINE: [Total; 4] = [Total::Profit, Total::Revenue, Total::Customers, Total::Roi];

/// P5, P50 and P95 of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub p5: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
}

impl Band {
    fn of(s: &Summary) -> Band {
        Band {
            p5: s.p5,
            p50: s.p50,
            p95: s.p95,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricShift {
    pub metric: &'static str,
    pub then: Band,
    pub now: Band,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetShift {
    /// `roi >= 0.25`, `search.roi > 0`.
    pub target: String,
    pub then: f64,
    pub now: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_then: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_now: Option<bool>,
}

/// The forecast before the campaign against the reforecast, for one plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThenNow {
    pub metrics: Vec<MetricShift>,
    pub targets: Vec<TargetShift>,
}

impl ThenNow {
    pub fn of(then: &PlanDoc, now: &PlanDoc) -> ThenNow {
        ThenNow {
            metrics: HEADLINE
                .iter()
                .map(|&m| MetricShift {
                    metric: m.name(),
                    then: Band::of(then.metric(m)),
                    now: Band::of(now.metric(m)),
                })
                .collect(),
            targets: then
                .targets
                .iter()
                .zip(&now.targets)
                .map(|(a, b)| TargetShift {
                    target: a.goal(),
                    then: a.probability,
                    now: b.probability,
                    required: a.required,
                    met_then: a.met,
                    met_now: b.met,
                })
                .collect(),
        }
    }
}
