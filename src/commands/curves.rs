//! `racesim curves`: response curves of channel spend.

use anyhow::Result;

use crate::cli::CurvesArgs;
use crate::curves::{self, Curve, CurvesDoc};
use crate::error::{EXIT_OK, Error, UsageError};
use crate::options::{self, SimulationOptions, channel_index};
use crate::{output, progress};

pub fn run(args: &CurvesArgs) -> Result<i32, Error> {
    super::require_output(&args.out)?;
    let scenario = super::load_scenario(&args.scenario)?;
    let opts = SimulationOptions::resolve(&args.simulation, &scenario)?;
    if args.points < 2 {
        return Err(UsageError(format!(
            "--points {} is too few: a curve needs at least 2 points (0 and the maximum)",
            args.points
        ))
        .into());
    }
    if args.points > curves::MAX_POINTS {
        return Err(UsageError(format!(
            "--points {} is too many: at most {} points per curve (sweep a narrower \
             --max-spend for a finer grid)",
            args.points,
            curves::MAX_POINTS
        ))
        .into());
    }
    if let Some(m) = args.max_spend {
        options::amount("--max-spend", m, true)?;
    }
    let channels = match &args.channel {
        Some(name) => vec![channel_index(&scenario, name)?],
        None => scenario.paid_channels().map(|(i, _)| i).collect(),
    };
    let mut sweeps = Vec::new();
    for ci in channels {
        let c = &scenario.channels[ci];
        let missing = c.missing_funnel_inputs(true);
        if !missing.is_empty() {
            let msg = format!(
                "channel `{}` cannot be given spend: the scenario has no {} for it",
                c.name,
                missing.join(", ")
            );
            if args.channel.is_some() {
                return Err(UsageError(msg).into());
            }
            eprintln!("note: skipping {msg}");
            continue;
        }
        let max = match args
            .max_spend
            .or_else(|| curves::default_max_spend(&scenario, ci))
        {
            Some(m) => m,
            None => {
                return Err(UsageError(
                    "no channel has spend in the scenario, so there is no default range: \
                     give --max-spend, such as --max-spend 100000"
                        .into(),
                )
                .into());
            }
        };
        let spends = curves::spend_points(max, args.points);
        if spends[1] < 0.01 {
            // Blame what the user wrote: --max-spend, or else the scenario's
            // spend the default range comes from.
            let msg = if args.max_spend.is_some() {
                format!(
                    "--max-spend {max} over {} points would step by less than a cent: \
                     give fewer --points or a larger --max-spend",
                    args.points
                )
            } else {
                format!(
                    "the curve of `{}` runs to twice the scenario's spend ({max}), and over {} points \
                     that steps by less than a cent: give a larger range with --max-spend, such as \
                     --max-spend 100000, or fewer --points",
                    scenario.channels[ci].name, args.points
                )
            };
            return Err(UsageError(msg).into());
        }
        sweeps.push((ci, spends));
    }
    // Each pass over the trials takes a group of curves (`curves::passes`).
    let bar = progress::bar(
        opts.trials * curves::passes(&sweeps).len() as u64,
        &scenario.name,
        opts.show_progress,
    );
    let list: Vec<Curve> = curves::sweep(
        &scenario,
        &sweeps,
        opts.seed,
        opts.trials,
        opts.threads,
        &bar,
    )?;
    bar.finish_and_clear();
    let doc = CurvesDoc::new(&scenario, opts.trials, opts.seed, list);
    let bytes = crate::export::curves::render(&doc, args.out.format)?;
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    Ok(EXIT_OK)
}
