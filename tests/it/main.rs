//! The integration tests, as one test binary: linked once instead of once per file, which
//! is most of a fresh `cargo test`'s build time (see the README's performance section).
//! Run one file's tests with `cargo test --test it cli::` (its module name).

mod bad_input;
mod baseline_safety;
mod block_statistics;
mod check_cli;
mod check_shards;
mod cli;
mod common;
mod compare_cli;
mod curves;
mod drivers_cli;
mod fit;
mod guards;
mod init_cli;
mod input_limits;
mod interrupt;
mod messages;
mod model;
mod numeric_edges;
mod optimize;
mod output;
mod precision;
mod readers;
mod report;
mod samplers;
mod samples_out;
mod scale_limits;
mod scale_out_examples;
mod shards;
mod slurm;
mod time_phased;
mod track;
mod track_update;
mod workbook;
mod xlsx_out;
