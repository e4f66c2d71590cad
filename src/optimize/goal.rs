//! Goal seeking: the smallest budget whose best split meets a gate such as
//! "customers ≥ 3000 in 80 % of outcomes".
//!
//! The best achievable chance of a goal never falls as the budget grows
//! (a larger budget may leave the extra unspent), so the answer is
//! bracketed and then found by bisection on the budget, optimising the
//! chance at each budget tried.

use indicatif::ProgressBar;

use super::search::{Settings, Solution, maximise};
use super::{Problem, Sample};

#[derive(Clone, Debug)]
pub enum Seek {
    /// `budget` is the smallest found (to within `TOLERANCE`) that meets
    /// the gate on the search sample; `solution` is its best split.
    Met {
        budget: f64,
        solution: Solution,
        steps: usize,
    },
    /// Even `cap` cannot meet the gate; `solution` is the best split of it.
    Unreachable {
        cap: f64,
        solution: Solution,
        steps: usize,
    },
}

/// Relative precision of the budget found.
pub const TOLERANCE: f64 = 0.01;

pub fn smallest_budget(
    problem: &Problem,
    sample: &Sample,
    required: f64,
    cap: f64,
    settings: Settings,
    progress: &ProgressBar,
) -> Seek {
    let meets = |s: &Solution| s.score.value >= required;
    let mut steps = 0;
    let mut solve = |budget: f64, hint: &[f64], settings: Settings| {
        steps += 1;
        maximise(
            problem,
            sample,
            budget,
            problem.start(budget, hint),
            settings,
            progress,
        )
    };
    // A warm start is already close to its budget's best split, so its
    // search can begin with smaller moves.
    let warm = Settings {
        first_step: settings.first_step / 4.0,
        ..settings
    };
    let floor = problem.min_budget();
    let current = problem.scenario.baseline_spend();
    // Planners ask about budgets near the current one, so the bracket grows
    // from there rather than halving down from the cap.
    let first = current.iter().sum::<f64>().clamp(floor, cap);
    let mut s = solve(first, &current, settings);
    let (mut lo, mut hi, mut best);
    if meets(&s) {
        (hi, best) = (first, s);
        if first > floor {
            s = solve(floor, &best.spend, warm);
            if meets(&s) {
                return Seek::Met {
                    budget: floor,
                    solution: s,
                    steps,
                };
            }
        }
        lo = floor;
    } else {
        lo = first;
        let mut budget = if first > 0.0 { 2.0 * first } else { cap };
        loop {
            budget = budget.min(cap);
            s = solve(budget, &s.spend, warm);
            if meets(&s) {
                (hi, best) = (budget, s);
                break;
            }
            if budget >= cap {
                return Seek::Unreachable {
                    cap,
                    solution: s,
                    steps,
                };
            }
            lo = budget;
            budget *= 2.0;
        }
    }
    while hi - lo > (TOLERANCE * hi).max(1.0) {
        let mid = 0.5 * (lo + hi);
        // The best split found so far, shrunk to the new budget.
        let s = solve(mid, &best.spend, warm);
        if meets(&s) {
            (hi, best) = (mid, s);
        } else {
            lo = mid;
        }
    }
    Seek::Met {
        budget: hi,
        solution: best,
        steps,
    }
}
