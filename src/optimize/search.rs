//! Pairwise transfer search.
//!
//! From a feasible split, every move of one step of budget from one channel
//! to another is tried (unspent budget counts as a channel, so "spend less"
//! and "spend the rest" are moves too). The best improving move is taken;
//! when none improves, the step is halved, down to a fraction of the budget.
//! Every candidate of a round is simulated in one pass over the sample.
//!
//! Why this and not a gradient method: the objective on a fixed sample is
//! deterministic but only piecewise smooth (counts are integers, a target's
//! chance moves in steps), and bounds are simplest to respect exactly when
//! each move is clipped to them.

use indicatif::ProgressBar;

use super::{Problem, Sample, Score};

#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// First step, as a share of the budget.
    pub first_step: f64,
    /// Stop once the step falls below this share of the budget.
    pub min_step: f64,
    /// A guard against pathological objectives; never reached in practice.
    pub max_moves: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            first_step: 1.0 / 8.0,
            min_step: 0.005,
            max_moves: 400,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Solution {
    /// Spend per channel (`Scenario::channels` order), not rounded.
    pub spend: Vec<f64>,
    /// The objective on the search sample.
    pub score: Score,
    /// Candidate splits simulated.
    pub candidates: usize,
    /// Moves taken.
    pub moves: usize,
}

/// Stands for budget left unspent in a move.
const UNSPENT: usize = usize::MAX;

/// Maximises `problem.objective` over splits of at most `budget`, starting
/// from `start` (which must be feasible).
pub fn maximise(
    problem: &Problem,
    sample: &Sample,
    budget: f64,
    start: Vec<f64>,
    settings: Settings,
    progress: &ProgressBar,
) -> Solution {
    let metric = problem.objective.metric();
    let evaluate = |spends: &[Vec<f64>]| -> Vec<Score> {
        progress.inc_length((spends.len() * sample.trials()) as u64);
        let values = sample.values(spends, metric);
        progress.inc((spends.len() * sample.trials()) as u64);
        values.iter().map(|v| problem.objective.score(v)).collect()
    };
    let mut x = start;
    let mut score = evaluate(std::slice::from_ref(&x))[0];
    let mut candidates = 1;
    let mut moves = 0;
    let mut nodes = problem.movable();
    nodes.push(UNSPENT);
    let mut step = settings.first_step * budget;
    while step >= settings.min_step * budget && moves < settings.max_moves {
        let unspent = (budget - x.iter().sum::<f64>()).max(0.0);
        let mut trials = Vec::new();
        for &from in &nodes {
            for &to in &nodes {
                if from == to {
                    continue;
                }
                let room_from = if from == UNSPENT {
                    unspent
                } else {
                    x[from] - problem.lo[from]
                };
                let room_to = if to == UNSPENT {
                    f64::INFINITY
                } else {
                    problem.hi[to] - x[to]
                };
                let amount = step.min(room_from).min(room_to);
                // Moves clipped to almost nothing only cost time.
                if amount <= 1e-6 * step {
                    continue;
                }
                let mut y = x.clone();
                if from != UNSPENT {
                    y[from] = (y[from] - amount).max(problem.lo[from]);
                }
                if to != UNSPENT {
                    y[to] = (y[to] + amount).min(problem.hi[to]);
                }
                trials.push(y);
            }
        }
        if trials.is_empty() {
            break;
        }
        let scores = evaluate(&trials);
        candidates += trials.len();
        let best = (0..scores.len()).fold(None, |best: Option<usize>, k| match best {
            Some(b) if !scores[k].better_than(&scores[b]) => Some(b),
            _ => Some(k),
        });
        match best {
            Some(k) if scores[k].better_than(&score) => {
                x = trials.swap_remove(k);
                score = scores[k];
                moves += 1;
            }
            _ => step /= 2.0,
        }
    }
    Solution {
        spend: x,
        score,
        candidates,
        moves,
    }
}
