//! The drivers document: what `racesim drivers` reports, in one shape that
//! every format renders (`export::drivers`).

use serde::{Deserialize, Serialize};

use super::{Analysis, Input};

/// Version of the drivers JSON layout. Bump on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriversDoc {
    pub schema_version: u32,
    pub scenario: String,
    /// The output analysed (`profit`, `revenue`, …).
    pub metric: String,
    pub trials: u64,
    pub seed: u64,
    pub model_version: u32,
    pub input_hash: String,
    pub plans: Vec<String>,
    pub inputs: Vec<Input>,
    #[serde(flatten)]
    pub analysis: Analysis,
}

impl DriversDoc {
    /// The drivers of a run's document, analysed from the per-trial values
    /// collected in the same pass (same trials, seed and inputs).
    pub fn of_run(
        scenario: &crate::scenario::Scenario,
        plans: &[crate::simulation::Plan],
        metric: crate::metrics::Total,
        doc: &crate::document::Document,
        values: super::collect::DriverValues,
    ) -> DriversDoc {
        let analysis = super::analyse(&values.into_trials(), doc.provenance.seed);
        DriversDoc {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            metric: metric.name().to_string(),
            trials: doc.provenance.trials,
            seed: doc.provenance.seed,
            model_version: doc.provenance.model_version,
            input_hash: doc.provenance.input_hash.clone(),
            plans: plans.iter().map(|p| p.name.clone()).collect(),
            inputs: super::inputs(scenario),
            analysis,
        }
    }

    /// The drivers document of `trials` trials' `values` (also what
    /// `merge` prints for sharded `drivers`).
    pub fn build(
        scenario: &crate::scenario::Scenario,
        plans: &[crate::simulation::Plan],
        trials: u64,
        seed: u64,
        values: super::collect::DriverValues,
    ) -> DriversDoc {
        let metric = values.metric();
        DriversDoc {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.name.clone(),
            metric: metric.name().to_string(),
            trials,
            seed,
            model_version: crate::document::MODEL_VERSION,
            input_hash: scenario.input_hash.clone(),
            plans: plans.iter().map(|p| p.name.clone()).collect(),
            inputs: super::inputs(scenario),
            analysis: super::analyse(&values.into_trials(), seed),
        }
    }
}
