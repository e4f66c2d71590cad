//! Learning assumptions from data (spec §9): each fit turns a data file
//! into scenario rows whose notes cite the data, plus the estimates,
//! standard errors and diagnostics behind them.

pub mod data;
pub mod retention;
pub mod rate;
pub mod orders;
pub mod reach;
