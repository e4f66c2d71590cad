//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod curves;
pub mod drivers;
pub mod fit;
pub mod optimize;
pub mod report;
pub mod run;
pub mod validate;

use std::path::Path;

use crate::error::InputError;
use crate::scenario::{self, Scenario};

/// Reads a scenario for a command that simulates it, printing its warnings
/// (which do not stop the run) on stderr.
pub fn load_scenario(path: &Path) -> Result<Scenario, InputError> {
    let scenario = scenario::load(path)?;
    for warning in scenario.warning_text() {
        eprintln!("warning: {warning}");
    }
    Ok(scenario)
}
