//! Pairwise transfer search.
//!
//! Several feasible splits are tried as starting points (see
//! `Problem::starts`: the current split, the current split scaled to the
//! budget, and each channel alone) and the best is refined. From it, every
//! move of one step of budget from one channel to another is tried (unspent
//! budget counts as a channel, so "spend less" and "spend the rest" are
//! moves too). The best improving move is taken and then extended (two,
//! four and eight times as far, and as far as the bounds allow, in one
//! batch), so that a split far from the optimum gets there in few rounds.
//! When no move improves, the step is halved; at the smallest step, moves
//! of everything one channel can give are tried once more before stopping.
//! Every candidate of a round is simulated in one pass over the sample.
//!
//! Steps are shares of the spend the split currently allocates above the
//! minimums, never of the budget: with a budget far above what pays off, the
//! search still moves in amounts the channels respond to (the budget only
//! bounds how much "spend the rest" can add).
//!
//! Why this and not a gradient method: the objective on a fixed sample is
//! deterministic but only piecewise smooth (counts are integers, a target's
//! chance moves in steps), and bounds are simplest to respect exactly when
//! each move is clipped to them.

use indicatif::ProgressBar;

use super::{Problem, Score, SearchTrials};

#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// First step, as a share of the spend being allocated (see `unit`).
    pub first_step: f64,
    /// Stop once the step falls below this share.
    pub min_step: f64,
    /// A guard against pathological objectives; never reached in practice.
    pub max_moves: usize,
    /// Stop as soon as the objective reaches this value: goal seeking only
    /// asks whether a budget can meet a gate.
    pub stop_at: Option<f64>,
    /// Try moving everything one channel can give before stopping (see
    /// `maximise`); a warm start close to its optimum can skip it.
    pub drain: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            first_step: 1.0 / 4.0,
            min_step: 1.0 / 128.0,
            max_moves: 400,
            stop_at: None,
            drain: true,
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

/// Moves smaller than this (in currency units) are not worth a candidate:
/// the recommendation is rounded to whole units anyway.
const SMALLEST_MOVE: f64 = 0.5;

/// Maximises `problem.objective` over splits of at most `budget`, starting
/// from the best of `starts` (each must be feasible; the first wins ties,
/// so put the current split first).
pub fn maximise(
    problem: &Problem,
    sample: &SearchTrials,
    budget: f64,
    starts: &[Vec<f64>],
    settings: Settings,
    progress: &ProgressBar,
) -> Solution {
    let metric = problem.objective.metric();
    let mut candidates = 0;
    let mut evaluate = |spends: &[Vec<f64>]| -> Vec<Score> {
        candidates += spends.len();
        progress.inc_length((spends.len() * sample.trials()) as u64);
        let values = sample.values(spends, metric);
        progress.inc((spends.len() * sample.trials()) as u64);
        values.iter().map(|v| problem.objective.score(v)).collect()
    };
    let scores = evaluate(starts);
    let Some(first) = best_of(&scores) else {
        return Solution {
            spend: problem.lo.clone(),
            score: Score {
                value: f64::NAN,
                tie: f64::NAN,
            },
            candidates: 0,
            moves: 0,
        };
    };
    let mut x = starts[first].clone();
    let mut score = scores[first];
    let mut moves = 0;
    let mut nodes = problem.movable();
    nodes.push(UNSPENT);
    let floor = problem.scale(budget) * settings.min_step;
    let mut step = settings.first_step;
    let mut drained = false;
    let reached = |s: &Score| settings.stop_at.is_some_and(|t| s.value >= t);
    while !reached(&score) && moves < settings.max_moves {
        let unit = allocated(problem, &x).max(floor);
        // At the smallest step, one last round that moves everything a
        // channel can give: on a jagged objective (a tiny funnel's counts)
        // small moves can all look worse while a large one gains.
        let draining = step < settings.min_step;
        if draining && (drained || !settings.drain) {
            break;
        }
        let (tried, splits, scores) = if draining {
            let mut tried = Vec::new();
            let mut splits = Vec::new();
            for &from in &nodes {
                for &to in &nodes {
                    if from != to
                        && let Some(y) = transfer(problem, budget, &x, from, to, f64::INFINITY)
                    {
                        tried.push((from, to, f64::INFINITY));
                        splits.push(y);
                    }
                }
            }
            let scores = evaluate(&splits);
            (tried, splits, scores)
        } else {
            probe_round(
                problem,
                budget,
                &x,
                &score,
                (step * unit).max(1.0),
                &mut evaluate,
            )
        };
        let Some(k) = best_of(&scores).filter(|&k| scores[k].better_than(&score)) else {
            if draining {
                drained = true;
            } else {
                step /= 2.0;
            }
            continue;
        };
        let (from, to, amount) = tried[k];
        let mut best = (splits[k].clone(), scores[k]);
        if !draining {
            // The same move, further: 2×, 4× and 8× as far, and as far as
            // the bounds allow.
            let further: Vec<Vec<f64>> = [2.0, 4.0, 8.0, f64::INFINITY]
                .iter()
                .filter_map(|m| transfer(problem, budget, &x, from, to, m * amount))
                .filter(|y| y != &best.0)
                .fold(Vec::new(), |mut acc, y| {
                    if !acc.contains(&y) {
                        acc.push(y);
                    }
                    acc
                });
            if !further.is_empty() {
                let scores = evaluate(&further);
                if let Some(j) = best_of(&scores).filter(|&j| scores[j].better_than(&best.1)) {
                    best = (further[j].clone(), scores[j]);
                }
            }
        } else {
            // A drain found a better region: search it from the top again.
            step = settings.first_step;
        }
        (x, score) = best;
        moves += 1;
    }
    Solution {
        spend: x,
        score,
        candidates,
        moves,
    }
}

/// One round of moves of `amount`, in two batches.
///
/// First every movable channel is probed `amount` up and `amount` down.
/// A probe down is the move "spend less on it"; a probe up is "spend more
/// from the unspent budget" when enough is unspent, and otherwise only
/// information (it may exceed the budget, and is never taken). The
/// objective of a fully used budget is close to a sum of per-channel terms
/// (channels share only referrals and the objective's shape), so a transfer
/// from i to j gains about down(i) + up(j): the `PAIRS` transfers with the
/// best such estimate are then simulated for real. That is 2·channels + 3
/// candidates a round instead of every ordered pair's (channels + 1)·channels.
///
/// Returns the moves `(from, to, amount)` that are feasible, their splits
/// and their scores.
#[allow(clippy::type_complexity)]
fn probe_round(
    problem: &Problem,
    budget: f64,
    x: &[f64],
    score: &Score,
    amount: f64,
    evaluate: &mut impl FnMut(&[Vec<f64>]) -> Vec<Score>,
) -> (Vec<(usize, usize, f64)>, Vec<Vec<f64>>, Vec<Score>) {
    const PAIRS: usize = 3;
    let movable = problem.movable();
    let unspent = (budget - x.iter().sum::<f64>()).max(0.0);
    let mut probes = Vec::new();
    // (channel, up?, the split, feasible as a move?)
    let mut what = Vec::new();
    for &i in &movable {
        let up = amount.min(problem.hi[i] - x[i]);
        if up >= SMALLEST_MOVE {
            let mut y = x.to_vec();
            y[i] += up;
            probes.push(y);
            what.push((i, true, up <= unspent));
        }
        let down = amount.min(x[i] - problem.lo[i]);
        if down >= SMALLEST_MOVE {
            let mut y = x.to_vec();
            y[i] -= down;
            probes.push(y);
            what.push((i, false, true));
        }
    }
    let scores = evaluate(&probes);
    let gain = |k: usize| scores[k].value - score.value;
    let mut tried = Vec::new();
    let mut splits = Vec::new();
    let mut kept = Vec::new();
    let mut ups = Vec::new();
    let mut downs = vec![(UNSPENT, 0.0)];
    for (k, &(i, up, feasible)) in what.iter().enumerate() {
        if feasible {
            tried.push(if up {
                (UNSPENT, i, amount)
            } else {
                (i, UNSPENT, amount)
            });
            splits.push(probes[k].clone());
            kept.push(scores[k]);
        }
        if up {
            ups.push((i, gain(k)));
        } else {
            downs.push((i, gain(k)));
        }
    }
    let mut pairs: Vec<(usize, usize, f64)> = downs
        .iter()
        .flat_map(|&(i, gi)| {
            ups.iter()
                .filter(move |&&(j, _)| j != i)
                .map(move |&(j, gj)| (i, j, gi + gj))
        })
        // A move from the unspent budget that fits is a probe already.
        .filter(|&(i, j, _)| !(i == UNSPENT && what.contains(&(j, true, true))))
        .filter(|(_, _, g)| !g.is_nan())
        .collect();
    // Best estimate first; ties in channel order, so the choice is
    // deterministic.
    pairs.sort_by(|a, b| b.2.total_cmp(&a.2));
    let mut extra = Vec::new();
    for &(i, j, _) in &pairs {
        if extra.len() == PAIRS {
            break;
        }
        if let Some(y) = transfer(problem, budget, x, i, j, amount)
            && !splits.contains(&y)
            && !extra.contains(&y)
        {
            tried.push((i, j, amount));
            extra.push(y);
        }
    }
    let extra_scores = evaluate(&extra);
    splits.extend(extra);
    kept.extend(extra_scores);
    (tried, splits, kept)
}

/// The index of the best score; the first of equals.
fn best_of(scores: &[Score]) -> Option<usize> {
    (0..scores.len()).fold(None, |best, k| match best {
        Some(b) if !scores[k].better_than(&scores[b]) => Some(b),
        _ => Some(k),
    })
}

/// The spend `x` allocates above the minimums: what the moves shift around.
fn allocated(problem: &Problem, x: &[f64]) -> f64 {
    problem
        .movable()
        .iter()
        .map(|&i| x[i] - problem.lo[i])
        .sum()
}

/// `x` with up to `amount` moved from `from` to `to` (either may be
/// `UNSPENT`), clipped to the bounds and the budget; `None` when the bounds
/// leave less than `SMALLEST_MOVE` to move.
fn transfer(
    problem: &Problem,
    budget: f64,
    x: &[f64],
    from: usize,
    to: usize,
    amount: f64,
) -> Option<Vec<f64>> {
    let room_from = if from == UNSPENT {
        (budget - x.iter().sum::<f64>()).max(0.0)
    } else {
        x[from] - problem.lo[from]
    };
    let room_to = if to == UNSPENT {
        f64::INFINITY
    } else {
        problem.hi[to] - x[to]
    };
    let amount = amount.min(room_from).min(room_to);
    if amount.is_nan() || amount < SMALLEST_MOVE {
        return None;
    }
    let mut y = x.to_vec();
    if from != UNSPENT {
        y[from] = (y[from] - amount).max(problem.lo[from]);
    }
    if to != UNSPENT {
        y[to] = (y[to] + amount).min(problem.hi[to]);
    }
    Some(y)
}
