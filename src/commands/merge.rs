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
    let merged = shard::merge(&args.partials)?;
    let text = match merged.command {
        Command::Run => super::run::render(&merged.document, args.out.format)?,
        Command::Compare => super::compare::render(&merged.document, args.out.format)?,
    };
    output::emit(args.out.output.as_deref(), &text)?;
    Ok(EXIT_OK)
}
