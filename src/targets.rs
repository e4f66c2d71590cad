//! Evaluating KPI targets and gates (spec §2.3) against simulated trials.

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;
use crate::simulation::PlanStats;

/// A target's result in the section 5 JSON shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    pub channel: String,
    pub metric: String,
    pub op: String,
    pub value: f64,
    /// Share of all trials in which the comparison held.
    pub probability: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met: Option<bool>,
}

impl TargetResult {
    /// The target as the tables show it: `roi >= 0.25`, `search.roi > 0`.
    pub fn goal(&self) -> String {
        let subject = if self.channel == "*" {
            self.metric.clone()
        } else {
            format!("{}.{}", self.channel, self.metric)
        };
        format!("{} {} {}", subject, self.op, self.value)
    }
}

pub fn results(scenario: &Scenario, stats: &PlanStats) -> Vec<TargetResult> {
    scenario
        .targets
        .iter()
        .zip(stats.target_probabilities())
        .map(|(t, probability)| TargetResult {
            channel: t.channel.clone(),
            metric: t.metric_name.clone(),
            op: t.op.symbol().to_string(),
            value: t.value,
            probability,
            required: t.required,
            met: t.required.map(|r| probability >= r),
        })
        .collect()
}
