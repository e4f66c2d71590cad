//! `racesim drivers`: what drives the forecast, and what is worth learning
//! before spending (spec §8).

use crate::cli::DriversArgs;
use crate::document::MODEL_VERSION;
use crate::drivers::collect::DriverValues;
use crate::drivers::document::{DriversDoc, SCHEMA_VERSION};
use crate::drivers::{self, analyse};
use crate::error::{EXIT_OK, Error, UsageError};
use crate::export::Format;
use crate::metrics::Total;
use crate::optimize::exact::{ExpectedModel, MeanMetric};
use crate::optimize::{DEFAULT_SEARCH_TRIALS, Objective, Problem, SEARCH_FIRST_TRIAL};
use crate::options::SimulationOptions;
use crate::scenario::Scenario;
use crate::simulation::{self, Job, Plan};
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
        plans = with_optimum(&scenario, plans, opts.seed)?;
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
    let doc = document(&scenario, &plans, opts.trials, opts.seed, values);
    output::emit_bytes(args.out.output.as_deref(), &render(&doc, args.out.format)?)?;
    Ok(EXIT_OK)
}

/// `plans` and, as one more choice (`--optimize`), the mean-profit optimum
/// of the current total budget.
pub fn with_optimum(
    scenario: &Scenario,
    mut plans: Vec<Plan>,
    seed: u64,
) -> Result<Vec<Plan>, Error> {
    let problem = Problem::new(scenario, Objective::MeanProfit, &[]).map_err(UsageError)?;
    let budget: f64 = Plan::baseline(scenario).totals().iter().sum();
    let model = ExpectedModel::for_problem(
        &problem,
        MeanMetric::Profit,
        seed,
        SEARCH_FIRST_TRIAL,
        DEFAULT_SEARCH_TRIALS,
    );
    let best = model.solve(&problem.lo, &problem.hi, budget, false);
    plans.push(Plan::from_totals(scenario, "optimum", &best.spend));
    Ok(plans)
}

/// The drivers document of `trials` trials' `values` (also what `merge`
/// prints for sharded `drivers`).
pub fn document(
    scenario: &Scenario,
    plans: &[Plan],
    trials: u64,
    seed: u64,
    values: DriverValues,
) -> DriversDoc {
    let metric = values.metric();
    DriversDoc {
        schema_version: SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        metric: metric.name().to_string(),
        trials,
        seed,
        model_version: MODEL_VERSION,
        input_hash: scenario.input_hash.clone(),
        plans: plans.iter().map(|p| p.name.clone()).collect(),
        inputs: drivers::inputs(scenario),
        analysis: analyse(&values.into_trials(), seed),
    }
}

pub fn render(doc: &DriversDoc, format: Format) -> Result<Vec<u8>, Error> {
    Ok(match format {
        Format::Table => doc.table().into_bytes(),
        Format::Json => (serde_json::to_string_pretty(doc)? + "\n").into_bytes(),
        Format::Csv => doc.csv().into_bytes(),
        Format::Xlsx => crate::export::xlsx::drivers(doc)?,
    })
}
