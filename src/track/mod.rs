//! Tracking a running campaign (spec §9 "Actuals"): reading what really
//! happened, learning the assumptions from it, and reforecasting.

pub mod actuals;
pub mod check;
pub mod reforecast;

pub use actuals::{Actual, ActualMetric, Actuals};
pub mod likelihood;
pub mod posterior;

#[cfg(test)]
mod tests;
