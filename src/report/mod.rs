//! `racesim report` and `--report`: one self-contained HTML page with
//! charts that a planner can e-mail to finance.
//!
//! Headline numbers come from the `Document` (so they equal the JSON
//! output); shapes of distributions come from `Samples`, per-trial values
//! collected in the same pass over the trials.

pub mod charts;
pub mod fit;
pub mod frontier;
pub mod page;
pub mod samples;
mod sections;
pub mod tracking;

use crate::drivers::collect::DriverValues;
use std::path::Path;

use anyhow::Result;

use crate::document::Document;
use crate::error::Halt;
use crate::options::SimulationOptions;
use crate::output;
use crate::precision::{self, Precision, Stop};
use crate::scenario::Scenario;
use crate::simulation::Plan;
pub use samples::{SampleCollector, Samples};
use sections::Ctx;

/// Renders the report of a finished run. `plans` and `samples` must be
/// those the `doc` was built from (same order, seed and trials).
pub fn render(
    scenario: &Scenario,
    plans: &[Plan],
    doc: &Document,
    samples: &Samples,
) -> Result<String> {
    debug_assert_eq!(plans.len(), doc.plans.len());
    debug_assert_eq!(samples.plans.len(), doc.plans.len());
    let c = Ctx {
        scenario,
        doc,
        samples,
    };
    let plan_names: Vec<&str> = doc.plans.iter().map(|p| p.plan.as_str()).collect();
    let mut html = page::head(
        &format!("Forecast: {}", doc.provenance.scenario),
        &doc.provenance.racesim_version,
    );
    html.push_str(&format!(
        r#"<header><h1>Forecast: {name}</h1>
<p>{trials} simulated trials · seed {seed} · {horizon}-month horizon · plans: {plans}. Money is in the scenario's currency; profit, revenue and cost are present values.</p></header>
"#,
        name = page::esc(&doc.provenance.scenario),
        trials = crate::export::format::thousands(doc.provenance.trials as f64, 0),
        seed = doc.provenance.seed,
        horizon = doc.horizon_months,
        plans = page::esc(&plan_names.join(", ")),
    ));
    html.push_str(&sections::headline(&c));
    html.push_str(&sections::drivers(&c));
    html.push_str(&sections::targets(&c));
    html.push_str(&sections::funnel(&c)?);
    html.push_str(&sections::distributions(&c)?);
    html.push_str(&sections::payback(&c)?);
    html.push_str(&sections::monthly_cash_flow(&c));
    html.push_str(&sections::channels(&c)?);
    html.push_str(&sections::comparison(&c)?);
    html.push_str(&sections::assumptions(&c));
    html.push_str(&sections::details(&c));
    html.push_str("</main>\n</body>\n</html>\n");
    Ok(html)
}

/// Renders the report and writes it to `path` atomically. `compare` and
/// `run --report` call this after building their Document.
pub fn write_report(
    path: &Path,
    scenario: &Scenario,
    plans: &[Plan],
    doc: &Document,
    samples: &Samples,
) -> Result<()> {
    let html = render(scenario, plans, doc, samples)?;
    output::write_atomic(path, html.as_bytes())
}

/// Simulates `plans`, and when `with_samples` also collects the per-trial
/// samples a report's charts need, in the same pass over the trials.
pub fn simulate(
    scenario: &Scenario,
    plans: &[Plan],
    opts: &SimulationOptions,
    precision: Option<&Precision>,
    with_samples: bool,
) -> Result<(Document, Option<Stop>, Option<Samples>), Halt> {
    let fresh = || {
        with_samples.then(|| {
            (
                SampleCollector::default(),
                DriverValues::new(crate::metrics::Total::Profit),
            )
        })
    };
    precision::simulate_collecting(scenario, plans, opts, precision, fresh).map(
        |(doc, stop, collected)| {
            let samples = collected.map(|(samples, drivers)| {
                with_drivers(samples.finish(), scenario, plans, &doc, drivers)
            });
            (doc, stop, samples)
        },
    )
}

/// The samples with the run's drivers (what the report's tornado shows).
pub fn with_drivers(
    mut samples: Samples,
    scenario: &Scenario,
    plans: &[Plan],
    doc: &Document,
    drivers: DriverValues,
) -> Samples {
    samples.drivers = Some(crate::drivers::document::DriversDoc::of_run(
        scenario,
        plans,
        crate::metrics::Total::Profit,
        doc,
        drivers,
    ));
    samples
}
