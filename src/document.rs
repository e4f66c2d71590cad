//! The result document of a run: spec §5's JSON, and the single source
//! every exporter (table, CSV, JSON, HTML) renders from, so they can never
//! disagree about a number.

use crate::stats::interval90;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::expectation::luck::SPLIT;
use crate::metrics::{Monthly, PerChannel, Total};
use crate::scenario::Scenario;
use crate::simulation::{COMPARED, Pairwise, Plan, Results};
use crate::stats::Summary;
use crate::targets::{self, TargetResult};

/// Version of the JSON layout. Bump on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;
/// Version of the simulation model: bump whenever the same inputs and seed
/// would give different numbers, so baselines know to expect a change.
pub const MODEL_VERSION: u32 = 3;

/// What reproduces a result: the same inputs (by hash), seed and trials
/// under the same versions give the same numbers. The first fields of the
/// run and curves documents, in this order (flattened into their JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub schema_version: u32,
    pub scenario: String,
    pub trials: u64,
    pub seed: u64,
    pub racesim_version: String,
    pub model_version: u32,
    pub input_hash: String,
}

impl Provenance {
    /// The provenance of a result of this racesim build and model.
    pub fn new(
        schema_version: u32,
        scenario: &Scenario,
        trials: u64,
        seed: u64,
        input_hash: String,
    ) -> Self {
        Provenance {
            schema_version,
            scenario: scenario.name.clone(),
            trials,
            seed,
            racesim_version: env!("CARGO_PKG_VERSION").to_string(),
            model_version: MODEL_VERSION,
            input_hash,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(flatten)]
    pub provenance: Provenance,
    pub horizon_months: usize,
    pub plans: Vec<PlanDoc>,
    pub comparisons: Vec<ComparisonDoc>,
    /// Plans by mean profit, highest first (equal means keep the plans' order); only with
    /// two plans or more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranking: Vec<String>,
    /// P(better) on profit between every two plans, trial by trial, in ranking order; only
    /// with two plans or more. With more than `simulation::PAIRWISE_PLANS` plans, between
    /// every two of the `PAIRWISE_PLANS` first in the ranking (every plan is still compared
    /// with the baseline in `comparisons`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairwise: Vec<PairwiseDoc>,
    /// What drives profit (`run --drivers`), spec §8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drivers: Option<Box<crate::drivers::document::DriversDoc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairwiseDoc {
    pub plan: String,
    pub against: String,
    pub metric: String,
    /// Share of trials (with both values defined) in which `plan` is strictly higher.
    pub probability_better: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanDoc {
    pub plan: String,
    /// Spend per paid channel in this plan, over the horizon.
    pub spend: IndexMap<String, f64>,
    /// Spend per paid channel in months 1..=horizon (nominal; added in
    /// model v3, so documents written before it read as empty).
    #[serde(default)]
    pub monthly_spend: IndexMap<String, Vec<f64>>,
    pub metrics: IndexMap<String, Summary>,
    pub channels: IndexMap<String, IndexMap<String, Summary>>,
    pub monthly: IndexMap<String, Vec<MonthSummary>>,
    pub targets: Vec<TargetResult>,
    /// Share of trials with negative profit.
    pub probability_of_loss: f64,
    /// Median payback month over all trials, a trial that never pays back counting as
    /// later than the horizon; null when fewer than half the trials pay back. The
    /// `payback_month` summary is over the paying trials only.
    #[serde(default)]
    pub payback_median_month: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonthSummary {
    pub month: usize,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonDoc {
    pub plan: String,
    pub against: String,
    pub metric: String,
    /// Mean of the per-trial difference (plan − against).
    pub mean_difference: Option<f64>,
    /// 90 % confidence interval of the mean difference.
    pub mean_difference_low: Option<f64>,
    pub mean_difference_high: Option<f64>,
    /// Share of trials (with both values defined) in which the plan is
    /// strictly higher.
    pub probability_better: Option<f64>,
    /// Distribution of the per-trial difference.
    pub difference: Summary,
}

/// Fingerprint of everything simulated: the scenario file and, when there
/// are alternatives, every plan's name and spend, so a baseline notices an
/// edited plans file too. A scenario alone keeps its file's hash.
pub fn input_hash(scenario: &Scenario, plans: &[Plan]) -> String {
    if plans.len() <= 1 {
        return scenario.input_hash.clone();
    }
    let mut text = scenario.input_hash.clone();
    for plan in plans {
        text.push('\n');
        text.push_str(&plan.name);
        for s in plan.spend.iter().flatten() {
            text.push_str(&format!(",{:016x}", s.to_bits()));
        }
    }
    format!("{:016x}", crate::scenario::fingerprint(text.as_bytes()))
}

impl Document {
    /// The ranking's plans that `pairwise` compares with each other: all of them, or with
    /// more than `simulation::PAIRWISE_PLANS` plans the first ones.
    pub fn pairwise_plans(&self) -> Vec<&str> {
        self.ranking
            .iter()
            .filter(|name| self.pairwise.iter().any(|c| &c.plan == *name))
            .map(String::as_str)
            .collect()
    }
}

impl PlanDoc {
    pub fn metric(&self, m: Total) -> &Summary {
        &self.metrics[m.name()]
    }

    /// Share of all `trials` that pay back within the horizon.
    pub fn payback_share(&self, trials: u64) -> f64 {
        self.metric(Total::PaybackMonth).defined as f64 / trials.max(1) as f64
    }
}

impl Document {
    pub fn build(scenario: &Scenario, plans: &[Plan], results: &Results, seed: u64) -> Document {
        let plan_docs: Vec<PlanDoc> = plans
            .iter()
            .zip(&results.plans)
            .zip(&results.luck.splits)
            .map(|((plan, stats), splits)| PlanDoc {
                plan: plan.name.clone(),
                spend: scenario
                    .paid_channels()
                    .map(|(i, _)| (scenario.channels[i].name.clone(), plan.channel_total(i)))
                    .collect(),
                monthly_spend: scenario
                    .paid_channels()
                    .map(|(i, c)| (c.name.clone(), plan.spend[i].clone()))
                    .collect(),
                metrics: Total::ALL
                    .iter()
                    .map(|m| {
                        let mut summary = stats.total(*m).summary(m.kind());
                        summary.variance = SPLIT
                            .iter()
                            .position(|s| s == m)
                            .and_then(|k| splits[k].shares());
                        (m.name().to_string(), summary)
                    })
                    .collect(),
                channels: scenario
                    .channels
                    .iter()
                    .zip(&stats.channels)
                    .map(|(c, accs)| {
                        let per: IndexMap<String, Summary> = PerChannel::ALL
                            .iter()
                            .zip(accs)
                            .map(|(m, acc)| (m.name().to_string(), acc.summary(m.kind())))
                            .collect();
                        (c.name.clone(), per)
                    })
                    .collect(),
                monthly: Monthly::ALL
                    .iter()
                    .map(|m| {
                        let series = stats
                            .monthly
                            .iter()
                            .enumerate()
                            .map(|(t, accs)| MonthSummary {
                                month: t + 1,
                                summary: accs[m.index()].summary(m.kind()),
                            })
                            .collect();
                        (m.name().to_string(), series)
                    })
                    .collect(),
                targets: targets::results(scenario, stats),
                probability_of_loss: if stats.trials > 0 {
                    stats.loss_trials as f64 / stats.trials as f64
                } else {
                    0.0
                },
                payback_median_month: stats
                    .total(Total::PaybackMonth)
                    .median_counting_undefined_as_never(stats.trials, Total::PaybackMonth.kind()),
            })
            .collect();
        let comparisons = plans
            .iter()
            .skip(1)
            .zip(&results.comparisons)
            .flat_map(|(plan, cmp)| {
                COMPARED.iter().enumerate().map(move |(k, metric)| {
                    let acc = &cmp.difference[k];
                    let summary = acc.summary(metric.kind());
                    let interval = summary
                        .mean
                        .zip(summary.se)
                        .map(|(m, se)| interval90(m, se));
                    ComparisonDoc {
                        plan: plan.name.clone(),
                        against: plans[0].name.clone(),
                        metric: metric.name().to_string(),
                        mean_difference: summary.mean,
                        mean_difference_low: interval.map(|i| i.0),
                        mean_difference_high: interval.map(|i| i.1),
                        probability_better: (acc.defined() > 0)
                            .then(|| cmp.better[k] as f64 / acc.defined() as f64),
                        difference: summary,
                    }
                })
            })
            .collect();
        let (ranking, pairwise) = rank(&plan_docs, &results.pairwise);
        Document {
            provenance: Provenance::new(
                SCHEMA_VERSION,
                scenario,
                results.trials(),
                seed,
                input_hash(scenario, plans),
            ),
            horizon_months: scenario.horizon,
            plans: plan_docs,
            comparisons,
            ranking,
            pairwise,
            drivers: None,
        }
    }
}

/// The plans by mean profit and, in that order, every ordered pair's P(better).
fn rank(plans: &[PlanDoc], wins: &Pairwise) -> (Vec<String>, Vec<PairwiseDoc>) {
    if plans.len() < 2 {
        return (Vec::new(), Vec::new());
    }
    let order =
        crate::simulation::ranking_order(plans.len(), |i| plans[i].metric(Total::Profit).mean);
    // Every plan, or beyond `PAIRWISE_PLANS` plans the best ones.
    let compared: Vec<usize> = order
        .iter()
        .copied()
        .take(crate::simulation::PAIRWISE_PLANS)
        .filter(|&i| wins.covers(i))
        .collect();
    let pairwise = compared
        .iter()
        .flat_map(|&a| {
            compared
                .iter()
                .filter(move |&&b| b != a)
                .map(move |&b| (a, b))
        })
        .map(|(a, b)| PairwiseDoc {
            plan: plans[a].plan.clone(),
            against: plans[b].plan.clone(),
            metric: Total::Profit.name().to_string(),
            probability_better: wins.probability_better(a, b),
        })
        .collect();
    (
        order.iter().map(|&i| plans[i].plan.clone()).collect(),
        pairwise,
    )
}
