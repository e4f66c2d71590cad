//! Goal seeking: the smallest budget whose best split meets a gate such as
//! "customers ≥ 3000 in 80 % of outcomes".
//!
//! The best achievable chance of a goal never falls as the budget grows
//! (a larger budget may leave the extra unspent), so the answer is found by
//! bisection on the budget, optimising the chance at each step.

use indicatif::ProgressBar;

use super::search::{Settings, Solution, maximise};
use super::{Problem, Sample};

#[derive(Clone, Debug)]
pub enum Seek {
    /// `budget` is the smallest found (to within `tolerance`) that meets the
    /// gate on the search sample; `solution` is its best split.
    Met {
        budget: f64,
        solution: Solution,
        steps: usize,
    },
    /// Even `cap` cannot meet the gate; `solution` is the best split of it.
    Unreachable { cap: f64, solution: Solution },
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
    let hint = problem.scenario.baseline_spend();
    let solve = |budget: f64, hint: &[f64]| {
        maximise(
            problem,
            sample,
            budget,
            problem.start(budget, hint),
            settings,
            progress,
        )
    };
    let meets = |s: &Solution| s.score.value >= required;
    let at_cap = solve(cap, &hint);
    if !meets(&at_cap) {
        return Seek::Unreachable {
            cap,
            solution: at_cap,
        };
    }
    let floor = problem.min_budget();
    let at_floor = solve(floor, &hint);
    if meets(&at_floor) {
        return Seek::Met {
            budget: floor,
            solution: at_floor,
            steps: 2,
        };
    }
    let (mut lo, mut hi, mut best) = (floor, cap, at_cap);
    let mut steps = 2;
    while hi - lo > (TOLERANCE * hi).max(1.0) {
        let mid = 0.5 * (lo + hi);
        // Warm start: the best split found so far, shrunk to the new budget.
        let s = solve(mid, &best.spend);
        steps += 1;
        if meets(&s) {
            hi = mid;
            best = s;
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
