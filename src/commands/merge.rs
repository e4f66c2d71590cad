//! `racesim merge`: the partial results of a sharded `run` or `compare`,
//! combined into the bytes the unsharded command prints. It never
//! simulates: the partials hold every statistic's mergeable state.

use crate::cli::MergeArgs;
use crate::error::{EXIT_OK, Error, UsageError};
use crate::output;
use crate::shard::{self, Command};

pub fn run(args: &MergeArgs) -> Result<i32, Error> {
    if args.report.is_some() {
        return Err(UsageError(
            "merge --report is not supported yet: partial results hold statistics, not the \
             per-trial values the report's charts need\n  help: write the report with an \
             unsharded `racesim report` (or `run --report`)"
                .into(),
        )
        .into());
    }
    super::require_output(&args.out)?;
    let merged = shard::merge(&args.partials)?;
    // Partials hold statistics only: a merged workbook has no assumptions
    // sheet and no histogram.
    let extras = crate::export::xlsx::Extras::default();
    let bytes = match merged.command {
        Command::Run => super::run::render(&merged.document, args.out.format, extras)?,
        Command::Compare => super::compare::render(&merged.document, args.out.format, extras)?,
    };
    output::emit_bytes(args.out.output.as_deref(), &bytes)?;
    Ok(EXIT_OK)
}
