//! Goal seeking: the smallest budget whose best split meets a gate such as
//! "customers ≥ 3000 in 80 % of outcomes".
//!
//! The best achievable chance of a goal never falls as the budget grows
//! (a larger budget may leave the extra unspent), so:
//!
//! 1. the cap is tried first: if even its best split misses the gate, no
//!    budget up to it can meet it, and the answer comes after one search;
//! 2. then the current total spend, since planners ask about budgets near
//!    it (and, if that meets the gate, the least budget the bounds allow);
//! 3. then bisection between the largest budget known to miss and the
//!    smallest known to meet, halving their ratio (or, from 0, their
//!    difference) until they are within `TOLERANCE` of each other.
//!
//! A budget that meets the gate is settled as soon as any split of it does
//! (the search stops there); only budgets that miss need a full search.
//! Each search starts from the best meeting split found so far, scaled to
//! its budget.

use indicatif::ProgressBar;

use super::search::{Settings, Solution, maximise};
use super::{Problem, SearchTrials};

#[derive(Clone, Debug)]
pub struct Seek {
    /// Whether some budget up to the cap meets the gate on the search
    /// sample.
    pub reachable: bool,
    /// Reachable: the smallest budget found (to within `TOLERANCE`) that
    /// meets the gate. Not: the cap.
    pub budget: f64,
    /// A split of `budget` that meets the gate (reachable), or the best
    /// split of the cap.
    pub solution: Solution,
    /// Budgets tried.
    pub steps: usize,
    /// Candidate splits simulated and moves taken, over the whole seek.
    pub candidates: usize,
    pub moves: usize,
}

/// Relative precision of the budget found.
pub const TOLERANCE: f64 = 0.01;

pub fn smallest_budget(
    problem: &Problem,
    sample: &SearchTrials,
    required: f64,
    cap: f64,
    settings: Settings,
    progress: &ProgressBar,
) -> Seek {
    let meets = |s: &Solution| s.score.value >= required;
    let (mut steps, mut candidates, mut moves) = (0, 0, 0);
    let quick = Settings {
        stop_at: Some(required),
        ..settings
    };
    // A warm start is already close to its budget's best split, so its
    // search can begin with smaller moves.
    let warm = Settings {
        first_step: settings.first_step / 4.0,
        drain: false,
        ..quick
    };
    let mut solve = |budget: f64, hint: Option<&[f64]>, settings: Settings| {
        let hints: Vec<&[f64]> = hint.into_iter().collect();
        let s = maximise(
            problem,
            sample,
            budget,
            &problem.starts(budget, &hints),
            settings,
            progress,
        );
        steps += 1;
        candidates += s.candidates;
        moves += s.moves;
        s
    };
    let at_cap = solve(cap, None, quick);
    if !meets(&at_cap) {
        return Seek {
            reachable: false,
            budget: cap,
            solution: at_cap,
            steps,
            candidates,
            moves,
        };
    }
    // The bracket: `lo` misses the gate (or is the floor, not yet tried),
    // `hi` meets it; each with the chance its search reached.
    let (mut hi, mut p_hi, mut best) = (cap, at_cap.score.value, at_cap);
    let floor = problem.min_budget();
    let current: f64 = problem.scenario.baseline_totals().iter().sum();
    let first = current.clamp(floor, cap);
    let (mut lo, mut p_lo) = (floor, None);
    if first < cap {
        let s = solve(first, Some(&best.spend), warm);
        if meets(&s) {
            (hi, p_hi, best) = (first, s.score.value, s);
        } else {
            (lo, p_lo) = (first, Some(s.score.value));
        }
    }
    if p_lo.is_none() && hi > floor {
        let s = solve(floor, Some(&best.spend), warm);
        if meets(&s) {
            (hi, best) = (floor, s);
        } else {
            p_lo = Some(s.score.value);
        }
    }
    let trials = sample.trials();
    // Steps in a row that kept the same end of the bracket (Illinois):
    // a split found by a search stopped at the gate reports a chance just
    // above it, which pulls guesses towards `hi`; each further step that
    // keeps `lo` halves its weight, and likewise for `hi`.
    let (mut kept_lo, mut kept_hi) = (0, 0);
    let mut interpolate = true;
    while hi - lo > (TOLERANCE * hi).max(1.0) {
        let width = bracket_width(lo, hi);
        let guess = match p_lo {
            Some(p) if interpolate => next_budget(
                (lo, p, 0.5f64.powi((kept_lo - 1).max(0))),
                (hi, p_hi, 0.5f64.powi((kept_hi - 1).max(0))),
                required,
                trials,
            ),
            _ => None,
        };
        let mid = guess.unwrap_or_else(|| midpoint(lo, hi));
        let s = solve(mid, Some(&best.spend), warm);
        if meets(&s) {
            (hi, p_hi, best) = (mid, s.score.value, s);
            (kept_lo, kept_hi) = (kept_lo + 1, 0);
        } else {
            (lo, p_lo) = (mid, Some(s.score.value));
            (kept_lo, kept_hi) = (0, kept_hi + 1);
        }
        // Interpolation that fails to halve the bracket gives way to a
        // bisection step, so the seek never takes many more steps than
        // bisection would.
        interpolate = guess.is_none() || bracket_width(lo, hi) <= 0.5 * width;
    }
    Seek {
        reachable: true,
        budget: hi,
        solution: best,
        steps,
        candidates,
        moves,
    }
}

/// The bracket's width in the unit it is split in: the ratio (log) when
/// both ends are positive, else the difference.
fn bracket_width(lo: f64, hi: f64) -> f64 {
    if lo > 0.0 { (hi / lo).ln() } else { hi - lo }
}

fn midpoint(lo: f64, hi: f64) -> f64 {
    if lo > 0.0 {
        (lo * hi).sqrt()
    } else {
        0.5 * (lo + hi)
    }
}

/// Where the chance probably reaches `required`, between a budget `lo`
/// whose best split reached chance `p_lo` and `hi` that reached `p_hi`,
/// each end given with a weight (see the Illinois rule above): a chance
/// that rises with the budget usually follows a normal curve of the log
/// budget, so the probits of the two chances are interpolated linearly in
/// the log budget (linearly in the budget when `lo` is 0). The guess stays
/// at least half the tolerance inside the bracket, so that a root next to
/// an end is closed in one step. `None` when the chances say nothing (not
/// increasing).
fn next_budget(
    (lo, p_lo, w_lo): (f64, f64, f64),
    (hi, p_hi, w_hi): (f64, f64, f64),
    required: f64,
    trials: usize,
) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    let normal = Normal::standard();
    // A chance of 0 or 1 on n trials is read as 1/(2n) from it.
    let edge = 0.5 / trials.max(1) as f64;
    let z = |p: f64| normal.inverse_cdf(p.clamp(edge, 1.0 - edge));
    let z_req = z(required);
    // A search that meets the gate stops there, so a chance just above the
    // gate (within a few times its sampling noise of about 1/(2√n) in
    // probit units) only says that the best split reaches at least that:
    // no basis for a guess.
    let noise = 0.5 / (trials.max(1) as f64).sqrt();
    let below = w_lo * (z_req - z(p_lo));
    let above = z(p_hi) - z_req;
    if !(below > 0.0 && above > 4.0 * noise) {
        return None;
    }
    let above = w_hi * above;
    let t = below / (below + above);
    let (a, b) = (lo * (1.0 + 0.5 * TOLERANCE), hi / (1.0 + 0.5 * TOLERANCE));
    if a >= b {
        return None;
    }
    let guess = if lo > 0.0 {
        lo * (hi / lo).powf(t)
    } else {
        lo + t * (hi - lo)
    };
    Some(guess.clamp(a, b))
}
