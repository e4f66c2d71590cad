//! Tracking a running campaign (spec §9 "Actuals"): reading what really
//! happened, learning the assumptions from it, and reforecasting.

pub mod actuals;
pub mod likelihood;
pub mod posterior;
pub mod rewrite;

pub use actuals::{Actual, ActualMetric, Actuals};
pub use posterior::{AssumptionUpdate, GroupReport, Method, Posterior, Spread, update};
pub use rewrite::updated_scenario;

#[cfg(test)]
mod tests;
