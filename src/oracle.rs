//! What every reader is held to on any input at all, for the fuzz targets
//! (`fuzz/`) and the property tests CI runs (`tests/it/readers.rs`): it
//! returns a clear error or a value, never panics, and what it accepts
//! simulates to finite numbers or to a clear error (issue 17). Each
//! function returns the broken promise as `Err`; a panic propagates.

use std::path::Path;

use crate::document::Document;
use crate::options::SimulationOptions;
use crate::scenario::Scenario;
use crate::simulation::Plan;
use crate::stats::Summary;

/// Trials the oracle simulates an accepted input with: enough to reach
/// every code path of a trial, few enough for thousands of inputs a second.
const TRIALS: u64 = 8;

/// A scenario file's bytes.
pub fn scenario(bytes: &[u8]) -> Result<(), String> {
    match crate::scenario::from_bytes(Path::new("fuzz.csv"), bytes) {
        Ok(s) => simulates_finitely(&s, &[Plan::baseline(&s)]),
        Err(e) => clear(&e.to_string()),
    }
}

/// A plans file's bytes, for a small fixed two-channel scenario.
pub fn plans(bytes: &[u8]) -> Result<(), String> {
    let scenario = reference_scenario();
    match crate::plans::from_bytes(Path::new("fuzz.plans.csv"), bytes, &scenario) {
        Ok(plans) => simulates_finitely(&scenario, &plans),
        Err(e) => clear(&e.to_string()),
    }
}

/// A baseline file's bytes: what parses renders back, with finite numbers.
pub fn baseline(bytes: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    match crate::check::baseline::parse(Path::new("fuzz.json"), text, "racesim check --update") {
        Ok(b) => {
            finite_document(&b.doc)?;
            crate::check::baseline::render(&b.doc)
                .map(drop)
                .map_err(|e| format!("an accepted baseline does not render: {e:#}"))
        }
        Err(e) => clear(&e.to_string()),
    }
}

/// A workbook's bytes, read as a scenario workbook (`.xlsx`, or `.ods`
/// when it starts like one: both are zip files, told apart by name).
pub fn workbook(bytes: &[u8]) -> Result<(), String> {
    let is_ods = bytes
        .windows(39)
        .take(200)
        .any(|w| w == b"application/vnd.oasis.opendocument.spre");
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir
        .path()
        .join(if is_ods { "fuzz.ods" } else { "fuzz.xlsx" });
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    match crate::scenario::load(&path) {
        Ok(s) => simulates_finitely(&s, &[Plan::baseline(&s)]),
        Err(e) => clear(&e.to_string()),
    }
}

/// An actuals file's bytes (`racesim track`), for the reference scenario:
/// what it accepts updates the assumptions to finite draws.
pub fn actuals(bytes: &[u8]) -> Result<(), String> {
    let scenario = reference_scenario();
    let path = Path::new("fuzz.actuals.csv");
    let text = match crate::scenario::decode_utf8(path, bytes) {
        Ok(text) => text,
        Err(e) => return clear(&e.to_string()),
    };
    let actuals = match crate::track::Actuals::parse_str(path, text, &scenario) {
        Ok(a) => a,
        Err(e) => return clear(&e.to_string()),
    };
    let spend = actuals.spend_with(&scenario.baseline_spend());
    match crate::track::update(&scenario, &actuals, &spend, 1, PARTICLES) {
        Ok(posterior) => {
            if let Some(bad) = posterior.draws.iter().flatten().find(|x| !x.is_finite()) {
                return Err(format!(
                    "a non-finite posterior draw {bad} from accepted actuals"
                ));
            }
            posterior.warnings.iter().try_for_each(|w| clear(w))
        }
        Err(e) => clear(&e.to_string()),
    }
}

/// Posterior draws the actuals oracle asks for: enough for every update
/// method (conjugate, grid, sequential Monte Carlo) to run.
const PARTICLES: usize = 64;

/// The scenario `plans` inputs are read against.
pub fn reference_scenario() -> Scenario {
    let text = "stage,channel,metric,value\n\
                reach,search,spend,1000\n\
                reach,search,cost_per_visit,\"lognormal(1.5, 0.2)\"\n\
                reach,social,spend,500\n\
                reach,social,cost_per_visit,0.8\n\
                act,*,rate,\"beta(10, 90)\"\n\
                convert,*,rate,0.2\n\
                convert,*,order_value,50\n\
                engage,*,churn,0.1\n";
    crate::scenario::parse_str(Path::new("reference.csv"), text).expect("a valid scenario")
}

fn simulates_finitely(scenario: &Scenario, plans: &[Plan]) -> Result<(), String> {
    let opts = SimulationOptions {
        trials: TRIALS,
        seed: 1,
        threads: 1,
        show_progress: false,
    };
    match crate::precision::simulate(scenario, plans, &opts, None) {
        Ok((doc, _)) => finite_document(&doc),
        // A stopped simulation is a clear error (a runaway count, a
        // non-finite trial): the promise is kept.
        Err(halt) => clear(&halt.to_string()),
    }
}

/// An error message must say something, and say it in printable text.
fn clear(message: &str) -> Result<(), String> {
    if message.trim().is_empty() {
        return Err("an error without a message".into());
    }
    if let Some(c) = message
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!(
            "an error message carries the raw control character {c:?}: {message:?}"
        ));
    }
    Ok(())
}

/// No NaN or infinity anywhere in a result document (undefined statistics
/// are `None`, never a non-finite number).
pub fn finite_document(doc: &Document) -> Result<(), String> {
    let bad = |what: String| Err(format!("non-finite {what} in the result"));
    for plan in &doc.plans {
        let name = &plan.plan;
        for (channel, x) in &plan.spend {
            if !x.is_finite() {
                return bad(format!("{name} spend of {channel}"));
            }
        }
        if !plan.probability_of_loss.is_finite() {
            return bad(format!("{name} probability of loss"));
        }
        let channels = plan.channels.iter().flat_map(|(c, m)| {
            m.iter()
                .map(move |(metric, s)| (format!("{c}.{metric}"), s))
        });
        let months = plan.monthly.iter().flat_map(|(metric, months)| {
            months
                .iter()
                .map(move |m| (format!("{metric} month {}", m.month), &m.summary))
        });
        let totals = plan.metrics.iter().map(|(m, s)| (m.clone(), s));
        for (what, summary) in totals.chain(channels).chain(months) {
            if !finite_summary(summary) {
                return bad(format!("{name} {what}"));
            }
        }
        for t in &plan.targets {
            if !t.probability.is_finite() {
                return bad(format!("{name} target probability"));
            }
        }
    }
    for c in &doc.comparisons {
        let values = [
            c.mean_difference,
            c.mean_difference_low,
            c.mean_difference_high,
        ];
        if !values.iter().flatten().all(|x| x.is_finite()) || !finite_summary(&c.difference) {
            return bad(format!("comparison {} against {}", c.plan, c.against));
        }
    }
    Ok(())
}

fn finite_summary(s: &Summary) -> bool {
    s.columns()
        .iter()
        .all(|(_, x)| x.is_none_or(f64::is_finite))
}
