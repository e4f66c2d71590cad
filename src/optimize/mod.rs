//! Budget allocation: the split of a budget across channels that maximises
//! an objective, subject to per-channel bounds and locks.
//!
//! Candidates are compared on one fixed sample of trials (see `sample`), and
//! the search moves budget between pairs of channels (see `search`).

pub mod document;
pub mod exact;
pub mod frontier;
pub mod goal;
pub mod marginal;
pub mod objective;
pub mod recommend;
pub mod search;
pub mod search_trials;

pub use objective::{Goal, Objective, Score};
pub use search::{Settings, Solution};
pub use search_trials::SearchTrials;

use crate::scenario::Scenario;

/// Trial index where the search's sample starts. `run` and `compare` use
/// trials 0, 1, …; searching on a disjoint block means the final evaluation
/// (on trials 0, 1, …, like `compare`) is not flattered by a split that was
/// tuned to the very trials it is judged on.
pub const SEARCH_FIRST_TRIAL: u64 = 1 << 40;

/// Trials per candidate when `--trials` is not given.
pub const DEFAULT_SEARCH_TRIALS: u64 = 2000;

/// The feasible set: per-channel bounds (in `Scenario::channels` order).
#[derive(Clone, Debug)]
pub struct Problem<'a> {
    pub scenario: &'a Scenario,
    pub objective: Objective,
    pub lo: Vec<f64>,
    /// `f64::INFINITY` when only the budget limits the channel.
    pub hi: Vec<f64>,
    pub locked: Vec<bool>,
}

/// A bound or lock from the command line, by channel index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constraint {
    Min(usize, f64),
    Max(usize, f64),
    Lock(usize),
}

impl<'a> Problem<'a> {
    /// Applies the constraints; a contradiction is reported in planner's
    /// terms (the error text is shown as is).
    pub fn new(
        scenario: &'a Scenario,
        objective: Objective,
        constraints: &[Constraint],
    ) -> Result<Self, String> {
        let n = scenario.channels.len();
        let mut lo = vec![0.0; n];
        let mut hi = vec![f64::INFINITY; n];
        let mut locked = vec![false; n];
        let mut seen_min = vec![false; n];
        let mut seen_max = vec![false; n];
        for c in constraints {
            match *c {
                Constraint::Min(i, x) | Constraint::Max(i, x) if !(x.is_finite() && x >= 0.0) => {
                    return Err(format!(
                        "the bound {x} for `{}` must be an amount ≥ 0",
                        scenario.channels[i].name
                    ));
                }
                Constraint::Min(i, x) => {
                    if std::mem::replace(&mut seen_min[i], true) {
                        return Err(format!(
                            "--min is given twice for `{}`",
                            scenario.channels[i].name
                        ));
                    }
                    lo[i] = x;
                }
                Constraint::Max(i, x) => {
                    if std::mem::replace(&mut seen_max[i], true) {
                        return Err(format!(
                            "--max is given twice for `{}`",
                            scenario.channels[i].name
                        ));
                    }
                    hi[i] = x;
                }
                Constraint::Lock(i) => locked[i] = true,
            }
        }
        for (i, c) in scenario.channels.iter().enumerate() {
            if locked[i] {
                if seen_min[i] || seen_max[i] {
                    return Err(format!(
                        "`{}` is locked at its scenario spend, so it cannot also have --min or --max",
                        c.name
                    ));
                }
                lo[i] = c.spend;
                hi[i] = c.spend;
                continue;
            }
            if lo[i] > hi[i] {
                return Err(format!(
                    "`{}` has --min {} above its --max {}",
                    c.name, lo[i], hi[i]
                ));
            }
            let missing = c.missing_funnel_inputs(true);
            if c.is_referral || !missing.is_empty() {
                if lo[i] > 0.0 {
                    return Err(format!(
                        "`{}` cannot take spend (the scenario has no {} for it), so --min {} is impossible",
                        c.name,
                        missing.join(", "),
                        lo[i]
                    ));
                }
                hi[i] = 0.0;
            }
        }
        Ok(Problem {
            scenario,
            objective,
            lo,
            hi,
            locked,
        })
    }

    /// The least budget the bounds allow: every minimum and locked spend.
    pub fn min_budget(&self) -> f64 {
        self.lo.iter().sum()
    }

    /// The most the bounds let the channels absorb.
    pub fn max_absorbable(&self) -> f64 {
        self.hi.iter().sum()
    }

    /// Channels whose spend the search may change.
    pub fn movable(&self) -> Vec<usize> {
        (0..self.lo.len())
            .filter(|&i| self.lo[i] < self.hi[i])
            .collect()
    }

    /// A feasible split of `budget` shaped like `hint` (usually the current
    /// split): minimums first, the rest in proportion to what `hint` gives
    /// above them, filling channels up to their maximum.
    pub fn start(&self, budget: f64, hint: &[f64]) -> Vec<f64> {
        let mut x = self.lo.clone();
        let movable = self.movable();
        let mut weights: Vec<f64> = movable
            .iter()
            .map(|&i| (hint[i] - self.lo[i]).max(0.0))
            .collect();
        let mut remaining = budget - self.min_budget();
        for _ in 0..=movable.len() {
            let open: Vec<usize> = (0..movable.len())
                .filter(|&k| x[movable[k]] < self.hi[movable[k]])
                .collect();
            if remaining <= 1e-9 * budget.max(1.0) || open.is_empty() {
                break;
            }
            if open.iter().all(|&k| weights[k] <= 0.0) {
                for &k in &open {
                    weights[k] = 1.0;
                }
            }
            let total: f64 = open.iter().map(|&k| weights[k]).sum();
            let mut spilled = 0.0;
            for &k in &open {
                let i = movable[k];
                let want = remaining * weights[k] / total;
                let room = self.hi[i] - x[i];
                x[i] += want.min(room);
                spilled += (want - room).max(0.0);
            }
            remaining = spilled;
        }
        x
    }

    /// Is `x` a split of at most `budget` within every bound?
    pub fn feasible(&self, x: &[f64], budget: f64) -> bool {
        let slack = 1e-9 * budget.max(1.0);
        x.len() == self.lo.len()
            && (0..x.len()).all(|i| x[i] >= self.lo[i] && x[i] <= self.hi[i])
            && x.iter().sum::<f64>() <= budget + slack
    }

    /// How much money a split of `budget` typically moves around: the
    /// current spend above the minimums (what the channels are known to
    /// respond to), or the free budget when that is smaller or nothing is
    /// spent now. Search steps are shares of it, so they follow the
    /// channels' scale rather than the budget's.
    pub fn scale(&self, budget: f64) -> f64 {
        let free = (budget - self.min_budget()).max(0.0);
        let current = self.scenario.baseline_totals();
        let now: f64 = self
            .movable()
            .iter()
            .map(|&i| (current[i].min(self.hi[i]) - self.lo[i]).max(0.0))
            .sum();
        if now > 0.0 { now.min(free) } else { free }
    }

    /// Starting points for a search of `budget`, best guesses first (the
    /// search keeps the first of equally good ones): the current split if
    /// it is feasible, each hint as it is if feasible, the current split and
    /// each hint scaled to the budget, the minimums alone, and each channel
    /// alone with the rest of the budget. Duplicates are dropped.
    pub fn starts(&self, budget: f64, hints: &[&[f64]]) -> Vec<Vec<f64>> {
        let current = self.scenario.baseline_totals();
        let mut out: Vec<Vec<f64>> = Vec::new();
        let mut push = |x: Vec<f64>| {
            if !out.contains(&x) {
                out.push(x);
            }
        };
        for h in std::iter::once(current.as_slice()).chain(hints.iter().copied()) {
            if self.feasible(h, budget) {
                push(h.to_vec());
            }
        }
        for h in std::iter::once(current.as_slice()).chain(hints.iter().copied()) {
            push(self.start(budget, h));
        }
        push(self.lo.clone());
        let free = (budget - self.min_budget()).max(0.0);
        for i in self.movable() {
            let mut x = self.lo.clone();
            x[i] = (self.lo[i] + free).min(self.hi[i]);
            push(x);
        }
        out
    }

    /// The split in whole currency units, as a plans file would state it:
    /// rounded to the nearest unit within each channel's bounds, then, if
    /// rounding up pushed the total over `budget`, the excess taken back
    /// from the channels with most room above their minimum. Locked
    /// channels stay exactly at their scenario spend.
    pub fn round(&self, x: &[f64], budget: f64) -> Vec<f64> {
        let mut r: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if self.lo[i] == self.hi[i] {
                    self.lo[i]
                } else {
                    v.round().clamp(self.lo[i], self.hi[i])
                }
            })
            .collect();
        let mut excess = r.iter().sum::<f64>() - budget;
        let mut order: Vec<usize> = self.movable();
        order.sort_by(|&a, &b| (r[b] - self.lo[b]).total_cmp(&(r[a] - self.lo[a])));
        for i in order {
            if excess <= 0.0 {
                break;
            }
            let take = excess.ceil().min((r[i] - self.lo[i]).floor()).max(0.0);
            r[i] -= take;
            excess -= take;
        }
        r
    }
}
