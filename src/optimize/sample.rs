//! A fixed set of trials on which candidate splits are simulated.
//!
//! Every candidate sees the same trial indices and the same seed, so they
//! share their assumption draws (common random numbers): the objective
//! becomes a deterministic function of spend, and Monte Carlo noise cannot
//! steer the search toward a split that merely got lucky draws.

use rayon::prelude::*;

use crate::engine::{self, Outcome, Workspace};
use crate::metrics::Total;
use crate::scenario::Scenario;

/// Trials simulated together per task: enough to amortise the hand-out,
/// few enough to balance two cores on a thousand trials.
const CHUNK: usize = 16;

pub struct Sample<'a> {
    scenario: &'a Scenario,
    seed: u64,
    first_trial: u64,
    trials: usize,
    /// Assumption draws of every trial, trial-major: they depend only on
    /// (seed, trial), so they are drawn once, not once per candidate.
    draws: Vec<f64>,
    width: usize,
    pool: rayon::ThreadPool,
}

impl<'a> Sample<'a> {
    /// Trials `first_trial .. first_trial + trials` of `seed`.
    pub fn new(
        scenario: &'a Scenario,
        seed: u64,
        first_trial: u64,
        trials: u64,
        threads: usize,
    ) -> anyhow::Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()?;
        let trials = usize::try_from(trials)?;
        let width = scenario.drawn.len();
        let mut draws = vec![0.0; trials * width];
        if width > 0 {
            pool.install(|| {
                draws
                    .par_chunks_mut(width)
                    .enumerate()
                    .for_each_init(Vec::new, |buf, (i, row)| {
                        engine::draw_assumptions(scenario, seed, first_trial + i as u64, buf);
                        row.copy_from_slice(buf);
                    });
            });
        }
        Ok(Sample {
            scenario,
            seed,
            first_trial,
            trials,
            draws,
            width,
            pool,
        })
    }

    pub fn trials(&self) -> usize {
        self.trials
    }

    pub fn first_trial(&self) -> u64 {
        self.first_trial
    }

    pub fn scenario(&self) -> &Scenario {
        self.scenario
    }

    /// `metric` of every candidate in every trial: `values[c][t]`.
    ///
    /// Each value lands at its own index, so the result is the same for any
    /// number of threads.
    pub fn values(&self, spends: &[Vec<f64>], metric: Total) -> Vec<Vec<f64>> {
        let c = spends.len();
        if c == 0 {
            return Vec::new();
        }
        let scenario = self.scenario;
        // Candidates are totals per channel; each spends them in the
        // channel's own monthly pattern.
        let spends: Vec<Vec<Vec<f64>>> = spends
            .iter()
            .map(|s| scenario.spend_for_totals(s))
            .collect();
        let mut flat = vec![0.0; c * self.trials];
        self.pool.install(|| {
            flat.par_chunks_mut(c * CHUNK).enumerate().for_each_init(
                || (Workspace::default(), Outcome::new(scenario)),
                |(ws, outcome), (block, out)| {
                    for (k, row) in out.chunks_mut(c).enumerate() {
                        let i = block * CHUNK + k;
                        let trial = self.first_trial + i as u64;
                        let draws = &self.draws[i * self.width..(i + 1) * self.width];
                        for (spend, v) in spends.iter().zip(row.iter_mut()) {
                            engine::simulate(scenario, spend, draws, self.seed, trial, ws, outcome);
                            // A runaway count makes the candidate
                            // unusable, never attractive.
                            *v = if outcome.overflow {
                                f64::NAN
                            } else {
                                outcome.total(metric)
                            };
                        }
                    }
                },
            );
        });
        (0..c)
            .map(|j| flat.iter().skip(j).step_by(c).copied().collect())
            .collect()
    }
}
