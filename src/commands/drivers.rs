//! `racesim drivers`: what drives the forecast, and what is worth learning
//! before spending (spec §8).

use crate::cli::DriversArgs;
use crate::drivers;
use crate::drivers::collect::DriverValues;
use crate::drivers::document::DriversDoc;
use crate::error::{EXIT_OK, Error, UsageError};
use crate::metrics::Total;
use crate::options::SimulationOptions;
use crate::simulation::{self, Job};
use crate::{output, plans, progress};

/// Outputs whose expectation given the assumptions has a closed form.
pub const METRICS: [Total; 8] = [
    Total::Profit,
    Total::Revenue,
    Total::GrossProfit,
    Total::Customers,
    Total::Orders,
    Total::Roi,
    Total::Roas,
    Total::ActiveCustomers,
];

fn metric(name: &str) -> Result<Total, UsageError> {
    let lower = name.trim().to_ascii_lowercase();
    METRICS
        .iter()
        .copied()
        .find(|m| m.name() == lower)
        .ok_or_else(|| {
            let names: Vec<&str> = METRICS.iter().map(|m| m.name()).collect();
            let hint = crate::suggest::did_you_mean(&lower, names.iter().copied())
                .map_or(String::new(), |h| format!("; {h}"));
            UsageError(format!(
                "--metric `{name}` has no expectation given the assumptions; use one of {}{hint}",
                names.join(", ")
            ))
        })
}

pub fn run(args: &DriversArgs) -> Result<i32, Error> {
    let metric = metric(&args.metric)?;
    if args.shard.shard.is_some() {
        return super::run_shard(
            crate::shard::Command::Drivers,
            &args.scenario,
            args.plans.as_deref(),
            &args.simulation,
            &args.shard,
            &[("--output", args.out.output.is_some())],
            crate::shard::Extras {
                drivers: Some(metric),
                optimize: args.optimize,
                ..Default::default()
            },
        );
    }
    super::require_output(&args.out)?;
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    let mut plans = plans::load_or_baseline(args.plans.as_deref(), &scenario)?;
    if args.optimize {
        plans = drivers::with_optimum(&scenario, plans, opts.seed)?;
    }
    let bar = progress::bar(
        opts.trials,
        &format!("{} · drivers", scenario.name),
        opts.show_progress,
    );
    let job = Job {
        scenario: &scenario,
        plans: &plans,
        seed: opts.seed,
        first_trial: 0,
        trials: opts.trials,
        threads: opts.threads,
    };
    let values = simulation::drive(&job, || DriverValues::new(metric), &bar);
    bar.finish_and_clear();
    let doc = DriversDoc::build(&scenario, &plans, opts.trials, opts.seed, values);
    output::emit_bytes(
        args.out.output.as_deref(),
        &crate::export::drivers::render(&doc, args.out.format)?,
    )?;
    Ok(EXIT_OK)
}
