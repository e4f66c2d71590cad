//! Validated settings, built from the raw `cli` arguments and the
//! scenario's own defaults.

use crate::cli::SimulationArgs;
use crate::error::UsageError;
use crate::scenario::{REFERRAL, Scenario};
use crate::suggest::did_you_mean;

/// Quantile sketches count in u32 buckets.
pub const MAX_TRIALS: u64 = u32::MAX as u64;

/// How to simulate: resolved trials, seed and threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulationOptions {
    pub trials: u64,
    pub seed: u64,
    pub threads: usize,
    pub show_progress: bool,
}

impl SimulationOptions {
    pub fn resolve(args: &SimulationArgs, scenario: &Scenario) -> Result<Self, UsageError> {
        let trials = args.trials.unwrap_or(scenario.trials);
        if trials == 0 {
            return Err(UsageError("--trials must be at least 1".into()));
        }
        if trials > MAX_TRIALS {
            return Err(UsageError(format!("--trials must be at most {MAX_TRIALS}")));
        }
        let threads = match args.threads {
            Some(0) => return Err(UsageError("--threads must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(SimulationOptions {
            trials,
            seed: args.seed.unwrap_or(scenario.seed),
            threads,
            show_progress: !args.quiet,
        })
    }
}

/// The largest spend or budget a command line accepts: the same trillion
/// currency units a scenario or plans file may state.
pub const MAX_SPEND: f64 = crate::scenario::MAX_MONEY;

/// An amount of money from the command line (`what` names it in the
/// error): finite, at least 0 (above 0 when `positive`), at most
/// `MAX_SPEND`.
pub fn amount(what: &str, x: f64, positive: bool) -> Result<f64, UsageError> {
    // As typed, except that 1e300 is not spelled out in 301 digits.
    let shown = if x.is_finite() && x.abs() >= 1e15 {
        format!("{x:e}")
    } else {
        format!("{x}")
    };
    let least = if positive { "> 0" } else { "≥ 0" };
    if !x.is_finite() || x < 0.0 || (positive && x == 0.0) {
        return Err(UsageError(format!(
            "{what} {shown} must be an amount {least}, such as 100000"
        )));
    }
    if x > MAX_SPEND {
        return Err(UsageError(format!(
            "{what} {shown} is above the largest amount racesim accepts ({MAX_SPEND:e})"
        )));
    }
    Ok(x)
}

/// A paid channel by name, or a usage error that says what exists.
pub fn channel_index(scenario: &Scenario, name: &str) -> Result<usize, UsageError> {
    let wanted = name.trim().to_ascii_lowercase();
    if wanted == REFERRAL {
        return Err(UsageError(
            "the `referral` channel has no spend: its visitors come from customers".into(),
        ));
    }
    scenario
        .paid_channels()
        .find(|(_, c)| c.name == wanted)
        .map(|(i, _)| i)
        .ok_or_else(|| {
            let names: Vec<&str> = scenario
                .paid_channels()
                .map(|(_, c)| c.name.as_str())
                .collect();
            let hint = did_you_mean(&wanted, names.iter().copied())
                .map_or(String::new(), |h| format!("; {h}"));
            UsageError(format!(
                "unknown channel `{name}`: the scenario's paid channels are {}{hint}",
                names.join(", ")
            ))
        })
}
