//! `racesim track`: check a running campaign's actuals against the
//! forecast, learn the assumptions from them and reforecast (spec §9
//! "Actuals"). Parses, asks `track::document::track`, writes what
//! `export::track` renders.

use crate::cli::TrackArgs;
use crate::error::{EXIT_OK, Error};
use crate::export::track::render;
use crate::options::SimulationOptions;
use crate::scenario::Scenario;
use crate::track::Actuals;
use crate::track::document::track;
use crate::{output, plans};

pub fn run(args: &TrackArgs) -> Result<i32, Error> {
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let actuals = Actuals::load(&args.actuals, &scenario)?;
    let plans = plans::load_or_baseline(args.plans.as_deref(), &scenario)?;
    let doc = track(&scenario, &actuals, &plans, &opts)?;
    let text = render(&doc, args.format)?;
    if let Some(path) = &args.write_scenario {
        let source = scenario_text(&scenario)?;
        let updated = crate::track::updated_scenario(&source, &scenario, &doc.update)?;
        output::write_atomic(path, updated.as_bytes())?;
    }
    if let Some(path) = &args.report {
        let heading = crate::report::tracking::Heading {
            scenario: &doc.scenario,
            actuals: &doc.actuals,
            months: doc.months_observed,
            trials: doc.trials,
            seed: doc.seed,
        };
        let html =
            crate::report::tracking::render(&heading, &doc.check, &doc.update, &doc.then_now)?;
        output::write_atomic(path, html.as_bytes())?;
    }
    output::emit(args.output.as_deref(), &text)?;
    Ok(EXIT_OK)
}

/// The text `scenario` was read from: the file, or a workbook's scenario
/// sheet as the CSV it stands for.
fn scenario_text(scenario: &Scenario) -> Result<String, Error> {
    use crate::scenario::workbook;
    let path = &scenario.path;
    if workbook::is_workbook(path) {
        return Ok(workbook::read_sheet(path, workbook::Table::Scenario)?.text);
    }
    let bytes = std::fs::read(path)?;
    Ok(crate::scenario::decode_utf8(path, &bytes)?.to_string())
}
