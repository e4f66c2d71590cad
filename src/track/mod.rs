//! Tracking a running campaign (spec §9 "Actuals"): reading what really
//! happened, learning the assumptions from it, and reforecasting.
//!
//! `Actuals::load` reads the file against the scenario; `update` turns it
//! into posterior draws laid out like `engine::draw_assumptions`' (rows
//! the actuals do not inform keep the draws a run would make);
//! `updated_scenario` writes the scenario back with the posterior.

pub mod actuals;
pub mod check;
pub mod document;
pub mod likelihood;
pub mod posterior;
pub mod reforecast;
pub mod rewrite;

pub use actuals::{Actual, ActualMetric, Actuals};
pub use posterior::{AssumptionUpdate, GroupReport, Method, Posterior, Spread, update};
pub use rewrite::updated_scenario;

#[cfg(test)]
mod tests;
