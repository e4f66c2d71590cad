//! A fixed set of trials on which candidate splits are simulated.
//!
//! Every candidate sees the same trial indices and the same seed, so they
//! share their assumption draws (common random numbers): the objective
//! becomes a deterministic function of spend, and Monte Carlo noise cannot
//! steer the search toward a split that merely got lucky draws.

use indicatif::ProgressBar;

use crate::metrics::Total;
use crate::scenario::Scenario;
use crate::simulation::{self, Job, Plan, TrialValues};

pub struct SearchTrials<'a> {
    scenario: &'a Scenario,
    seed: u64,
    first_trial: u64,
    trials: u64,
    threads: usize,
    /// Built once: the search evaluates thousands of small batches.
    pool: Option<rayon::ThreadPool>,
}

impl<'a> SearchTrials<'a> {
    /// Trials `first_trial .. first_trial + trials` of `seed`.
    pub fn new(
        scenario: &'a Scenario,
        seed: u64,
        first_trial: u64,
        trials: u64,
        threads: usize,
    ) -> anyhow::Result<Self> {
        usize::try_from(trials)?;
        Ok(SearchTrials {
            scenario,
            seed,
            first_trial,
            trials,
            threads,
            pool: simulation::pool(threads),
        })
    }

    pub fn trials(&self) -> usize {
        self.trials as usize
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn first_trial(&self) -> u64 {
        self.first_trial
    }

    /// `metric` of every candidate in every trial: `values[c][t]`, NaN
    /// where a count ran away.
    pub fn values(&self, spends: &[Vec<f64>], metric: Total) -> Vec<Vec<f64>> {
        if spends.is_empty() {
            return Vec::new();
        }
        // Candidates are totals per channel; each spends them in the
        // channel's own monthly pattern.
        let plans: Vec<Plan> = spends
            .iter()
            .map(|spend| Plan::from_totals(self.scenario, String::new(), spend))
            .collect();
        let job = Job {
            scenario: self.scenario,
            plans: &plans,
            seed: self.seed,
            first_trial: self.first_trial,
            trials: self.trials,
            threads: self.threads,
        };
        simulation::drive_on(
            self.pool.as_ref(),
            &job,
            || TrialValues::new(metric, plans.len()),
            &ProgressBar::hidden(),
        )
        .by_plan()
    }
}
