//! Mean objectives solved exactly (spec §7 "Mean objectives").
//!
//! The mean over the search trials of E[Y | θ] is separable across paid
//! channels: each channel's part is a smooth function F_c of the scale σ_c
//! of its spend pattern, and the referral cycle it feeds is linear, so it
//! belongs to the channel that sends the referrals. Maximising Σ F_c(σ_c)
//! under a budget and bounds is then a one-dimensional search for the
//! budget's price λ: every channel takes the σ_c that maximises
//! F_c(σ_c) − λ·σ_c in its bounds, and λ is set so the budget is spent.
//! The result satisfies the Karush–Kuhn–Tucker conditions to solver
//! precision, which the solution reports as its certificate.
//!
//! Each F_c is a sum of exponentials (channels with an audience) plus a
//! linear part, so it and its derivatives cost one pass over a flat list
//! of terms, whatever the number of customers.

use crate::engine;
use crate::expectation::{self, ChannelTrial};
use crate::scenario::Scenario;

/// The mean objectives with a closed form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeanMetric {
    Profit,
    Revenue,
    Customers,
}

/// One channel's F_c(σ) = slope·σ + Σ c·exp(−σ·r), averaged over trials,
/// with each trial's own terms kept for the spread of the derivative.
#[derive(Clone, Debug, Default)]
pub struct ChannelCurve {
    /// (c, r) pairs of every trial, each divided by the number of trials.
    terms: Vec<(f64, f64)>,
    /// Where trial i's terms start in `terms` (one more entry at the end).
    trial_start: Vec<usize>,
    /// Per trial: the linear coefficient (already divided by trials).
    trial_slope: Vec<f64>,
    slope: f64,
    concave: bool,
}

impl ChannelCurve {
    pub fn value(&self, sigma: f64) -> f64 {
        self.slope * sigma
            + self
                .terms
                .iter()
                .map(|&(c, r)| c * (-sigma * r).exp())
                .sum::<f64>()
    }

    /// F_c'(σ): the mean marginal return of one more unit of spend.
    pub fn derivative(&self, sigma: f64) -> f64 {
        self.slope
            - self
                .terms
                .iter()
                .map(|&(c, r)| c * r * (-sigma * r).exp())
                .sum::<f64>()
    }

    fn second_derivative(&self, sigma: f64) -> f64 {
        self.terms
            .iter()
            .map(|&(c, r)| c * r * r * (-sigma * r).exp())
            .sum()
    }

    /// The standard error of F_c'(σ) from the spread of the per-trial
    /// derivatives (the assumption spread over the search trials).
    pub fn derivative_se(&self, sigma: f64) -> f64 {
        let trials = self.trial_slope.len();
        if trials < 2 {
            return 0.0;
        }
        let n = trials as f64;
        let per_trial: Vec<f64> = (0..trials)
            .map(|i| {
                let terms = &self.terms[self.trial_start[i]..self.trial_start[i + 1]];
                n * (self.trial_slope[i]
                    - terms
                        .iter()
                        .map(|&(c, r)| c * r * (-sigma * r).exp())
                        .sum::<f64>())
            })
            .collect();
        let mean = per_trial.iter().sum::<f64>() / n;
        let var = per_trial.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (var / n).sqrt()
    }

    fn is_linear(&self) -> bool {
        self.terms.is_empty()
    }

    /// The σ in [lo, hi] that maximises F(σ) − λ·σ. A linear channel at
    /// its exact price returns `lo` (the caller hands it what is left).
    fn best_at_price(&self, lambda: f64, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            return lo;
        }
        if self.is_linear() {
            return if self.slope > lambda { hi } else { lo };
        }
        let gap = |s: f64| self.derivative(s) - lambda;
        if self.concave {
            if gap(lo) <= 0.0 {
                return lo;
            }
            if gap(hi) >= 0.0 {
                return hi;
            }
            return self.root(lambda, lo, hi);
        }
        // Not concave (a seasonal rise): the best of a grid, refined where
        // the derivative crosses the price next to it.
        const GRID: usize = 128;
        let step = (hi - lo) / GRID as f64;
        let objective = |s: f64| self.value(s) - lambda * s;
        let best = (0..=GRID)
            .map(|k| lo + step * k as f64)
            .max_by(|a, b| objective(*a).total_cmp(&objective(*b)))
            .unwrap_or(lo);
        let (a, b) = ((best - step).max(lo), (best + step).min(hi));
        let mut candidate = best;
        if gap(a) > 0.0 && gap(b) < 0.0 {
            candidate = self.root(lambda, a, b);
        }
        if objective(candidate) >= objective(best) {
            candidate
        } else {
            best
        }
    }

    /// σ in (lo, hi) with F'(σ) = λ, F' − λ positive at lo and negative at
    /// hi: Newton steps kept inside a shrinking bracket.
    fn root(&self, lambda: f64, mut lo: f64, mut hi: f64) -> f64 {
        let mut s = 0.5 * (lo + hi);
        for _ in 0..200 {
            let g = self.derivative(s) - lambda;
            if g > 0.0 {
                lo = s;
            } else {
                hi = s;
            }
            let h = self.second_derivative(s);
            let newton = s - g / h;
            s = if h < 0.0 && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if hi - lo <= 1e-12 * hi.abs().max(1.0) || g == 0.0 {
                break;
            }
        }
        s
    }
}

/// Every paid channel's curve over the search trials.
#[derive(Clone, Debug)]
pub struct ExpectedModel {
    pub metric: MeanMetric,
    /// By `Scenario::channels` index (`None` for channels that cannot spend).
    pub curves: Vec<Option<ChannelCurve>>,
    /// Each channel's spend shape (sums to 1): the pattern that σ scales.
    pub shapes: Vec<Vec<f64>>,
    /// Fixed part of the objective: −(present value of the fixed cost)
    /// for profit.
    pub constant: f64,
    pub trials: u64,
}

impl ExpectedModel {
    /// The curves of `channels` (paid, able to take spend) spending in the
    /// shapes of `patterns` (monthly spend per channel; a channel whose
    /// pattern is empty spreads evenly over the campaign), over trials
    /// `first_trial .. first_trial + trials` of `seed`.
    pub fn build(
        scenario: &Scenario,
        patterns: &[Vec<f64>],
        channels: &[usize],
        metric: MeanMetric,
        seed: u64,
        first_trial: u64,
        trials: u64,
    ) -> ExpectedModel {
        let shapes: Vec<Vec<f64>> = patterns
            .iter()
            .map(|p| shape(p, scenario.horizon, scenario.campaign))
            .collect();
        let mut curves: Vec<Option<ChannelCurve>> = vec![None; scenario.channels.len()];
        for &ci in channels {
            curves[ci] = Some(ChannelCurve {
                trial_start: vec![0],
                concave: true,
                ..ChannelCurve::default()
            });
        }
        let n = trials as f64;
        let mut draws = Vec::new();
        let mut ws = expectation::Workspace::default();
        let mut views = vec![ChannelTrial::default(); channels.len()];
        let mut constant = 0.0;
        for i in 0..trials {
            engine::draw_assumptions(scenario, seed, first_trial + i, &mut draws);
            expectation::channel_trials(scenario, &shapes, channels, &draws, &mut ws, &mut views);
            if metric == MeanMetric::Profit {
                let fixed = scenario.fixed_cost.value(&draws);
                let rate = scenario.discount_rate.value(&draws);
                constant -= fixed * (1.0 + rate).powf(-1.0 / 12.0) / n;
            }
            for (&ci, view) in channels.iter().zip(&views) {
                let curve = curves[ci].as_mut().expect("curve of a listed channel");
                let weight = match metric {
                    MeanMetric::Profit => view.gross_margin,
                    MeanMetric::Revenue | MeanMetric::Customers => 1.0,
                };
                let per_visitor = match metric {
                    MeanMetric::Customers => &view.values.customers,
                    _ => &view.values.revenue,
                };
                // Visitors of later months worth no more than earlier ones
                // make this trial's part concave (spec §7); a seasonal
                // rise may not.
                let mut last = f64::INFINITY;
                for t in 1..=scenario.horizon {
                    if view.response.rate(t) > 0.0 {
                        let worth = weight * per_visitor[t - 1];
                        if worth > last * (1.0 + 1e-12) {
                            curve.concave = false;
                        }
                        last = worth;
                    }
                }
                let terms = &mut curve.terms;
                let mut slope = view.response.decompose(
                    |t| weight * per_visitor[t - 1],
                    |c, r| terms.push((c / n, r)),
                );
                if metric == MeanMetric::Profit {
                    slope -= view.unit_cost;
                }
                curve.trial_slope.push(slope / n);
                curve.slope += slope / n;
                curve.trial_start.push(curve.terms.len());
            }
        }
        for curve in curves.iter_mut().flatten() {
            if !curve.concave {
                curve.concave = is_concave(curve);
            }
        }
        ExpectedModel {
            metric,
            curves,
            shapes,
            constant,
            trials,
        }
    }

    /// The objective at spend totals `spend` (by channel index; channels
    /// without a curve contribute nothing).
    pub fn value(&self, spend: &[f64]) -> f64 {
        self.constant
            + self
                .curves
                .iter()
                .zip(spend)
                .filter_map(|(c, &s)| c.as_ref().map(|c| c.value(s)))
                .sum::<f64>()
    }

    /// The model of a problem's objective over its search trials: every
    /// paid channel that can take spend, in the shape of the scenario's
    /// own monthly pattern.
    pub fn for_problem(
        problem: &super::Problem,
        metric: MeanMetric,
        seed: u64,
        first_trial: u64,
        trials: u64,
    ) -> ExpectedModel {
        let scenario = problem.scenario;
        let channels: Vec<usize> = scenario
            .paid_channels()
            .filter(|(i, _)| problem.hi[*i] > 0.0)
            .map(|(i, _)| i)
            .collect();
        ExpectedModel::build(
            scenario,
            &scenario.baseline_spend(),
            &channels,
            metric,
            seed,
            first_trial,
            trials,
        )
    }

    /// Each channel's mean marginal return at spend totals `x`, with its
    /// standard error (None for channels without a curve).
    pub fn marginals(&self, x: &[f64]) -> Vec<Option<(f64, f64)>> {
        self.curves
            .iter()
            .zip(x)
            .map(|(c, &s)| c.as_ref().map(|c| (c.derivative(s), c.derivative_se(s))))
            .collect()
    }

    /// Maximises the objective with channel totals in [lo, hi] and their
    /// sum at most `budget` (exactly `budget` when `spend_all`).
    pub fn solve(&self, lo: &[f64], hi: &[f64], budget: f64, spend_all: bool) -> ExactSolution {
        let free = (budget - lo.iter().sum::<f64>()).max(0.0);
        let movable: Vec<usize> = (0..lo.len())
            .filter(|&i| self.curves[i].is_some() && lo[i] < hi[i])
            .collect();
        let cap = |i: usize| hi[i].min(lo[i] + free);
        let allocation = |lambda: f64| -> Vec<f64> {
            let mut x = lo.to_vec();
            for &i in &movable {
                let curve = self.curves[i].as_ref().expect("movable has a curve");
                x[i] = curve.best_at_price(lambda, lo[i], cap(i));
            }
            x
        };
        let total = |x: &[f64]| x.iter().sum::<f64>();
        let at_zero = allocation(0.0);
        let (x, price) = if !spend_all && total(&at_zero) <= budget {
            (at_zero, 0.0)
        } else {
            // Bracket the price: at `high` every channel stays at its
            // minimum, at `low` the channels want at least the budget.
            let steepest = movable
                .iter()
                .map(|&i| {
                    let c = self.curves[i].as_ref().expect("curve");
                    c.derivative(lo[i]).max(c.derivative(cap(i))).abs()
                })
                .fold(1.0, f64::max);
            let mut high = 2.0 * steepest;
            let mut low = if spend_all { -2.0 * steepest } else { 0.0 };
            while total(&allocation(low)) < budget && low > -1e30 {
                low = 2.0 * low - 1.0;
            }
            for _ in 0..200 {
                let mid = 0.5 * (low + high);
                if mid == low || mid == high {
                    break;
                }
                if total(&allocation(mid)) > budget {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            // At `high` the split fits the budget; channels that would
            // take more at the slightly lower price (linear channels at
            // their exact price, rounding elsewhere) share what is left.
            let mut x = allocation(high);
            let wanting = allocation(low);
            let mut left = budget - total(&x);
            let extra: Vec<f64> = (0..x.len()).map(|i| (wanting[i] - x[i]).max(0.0)).collect();
            let extra_total: f64 = extra.iter().sum();
            if left > 0.0 && extra_total > 0.0 {
                let share = (left / extra_total).min(1.0);
                for i in 0..x.len() {
                    x[i] += share * extra[i];
                }
                left = budget - total(&x);
            }
            // Linear channels at one price with no room found above: the
            // first with room takes the remainder, as the price allows.
            if left > 1e-9 * budget.max(1.0) {
                for &i in &movable {
                    let room = cap(i) - x[i];
                    let take = room.min(left);
                    if take > 0.0
                        && self.curves[i]
                            .as_ref()
                            .is_some_and(|c| c.is_linear() && c.slope >= low)
                    {
                        x[i] += take;
                        left -= take;
                    }
                }
            }
            (x, 0.5 * (low + high))
        };
        // A channel can hold no more than the free budget either: that is
        // its effective upper bound.
        let caps: Vec<f64> = (0..lo.len()).map(cap).collect();
        self.certify(x, price, lo, &caps, budget)
    }

    fn certify(
        &self,
        x: Vec<f64>,
        price: f64,
        lo: &[f64],
        hi: &[f64],
        budget: f64,
    ) -> ExactSolution {
        let tolerance = 1e-9 * budget.max(1.0);
        let channels = (0..x.len())
            .filter_map(|i| {
                let curve = self.curves[i].as_ref()?;
                let bound = if lo[i] >= hi[i] {
                    Bound::Locked
                } else if x[i] <= lo[i] + tolerance {
                    Bound::Lower
                } else if x[i] >= hi[i] - tolerance {
                    Bound::Upper
                } else {
                    Bound::Free
                };
                Some(ChannelOptimum {
                    channel: i,
                    spend: x[i],
                    marginal: curve.derivative(x[i]),
                    marginal_se: curve.derivative_se(x[i]),
                    bound,
                })
            })
            .collect();
        ExactSolution {
            value: self.value(&x),
            unspent: (budget - x.iter().sum::<f64>()).max(0.0),
            spend: x,
            price,
            channels,
        }
    }
}

/// Where a channel sits in the optimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Free,
    Lower,
    Upper,
    Locked,
}

#[derive(Clone, Debug)]
pub struct ChannelOptimum {
    pub channel: usize,
    pub spend: f64,
    /// The mean marginal return F_c'(σ_c): for profit, the marginal ROI.
    pub marginal: f64,
    pub marginal_se: f64,
    pub bound: Bound,
}

#[derive(Clone, Debug)]
pub struct ExactSolution {
    /// Total spend per channel (`Scenario::channels` order).
    pub spend: Vec<f64>,
    /// The objective's mean at `spend`.
    pub value: f64,
    /// The budget's price λ: the marginal return every free channel has.
    pub price: f64,
    /// Budget the optimum leaves unspent (spending it would lower the
    /// objective).
    pub unspent: f64,
    pub channels: Vec<ChannelOptimum>,
}

impl ExactSolution {
    /// Do the Karush–Kuhn–Tucker conditions hold within `tolerance`
    /// (relative to the price, or to the largest marginal return when the
    /// price is 0)? Free channels at the price, channels at their upper
    /// bound at or above it, at their lower bound at or below.
    pub fn kkt_holds(&self, tolerance: f64) -> bool {
        let scale = self
            .channels
            .iter()
            .map(|c| c.marginal.abs())
            .fold(self.price.abs(), f64::max);
        // At a price of 0 (budget left unspent) free channels sit at a
        // marginal return of 0 up to rounding, whatever the scale.
        let slack = tolerance * scale.max(1e-6);
        self.channels.iter().all(|c| match c.bound {
            Bound::Free => (c.marginal - self.price).abs() <= slack,
            Bound::Upper => c.marginal >= self.price - slack,
            Bound::Lower => c.marginal <= self.price + slack,
            Bound::Locked => true,
        })
    }
}

/// A channel's monthly pattern scaled to sum to 1; an empty pattern
/// spreads over the campaign months.
pub fn shape(pattern: &[f64], horizon: usize, campaign: usize) -> Vec<f64> {
    let total: f64 = pattern.iter().sum();
    if total > 0.0 {
        pattern.iter().map(|s| s / total).collect()
    } else {
        (1..=horizon)
            .map(|t| {
                if t <= campaign {
                    1.0 / campaign as f64
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// F'' ≤ 0 over the range where the exponentials still matter.
fn is_concave(curve: &ChannelCurve) -> bool {
    let smallest_rate = curve
        .terms
        .iter()
        .map(|&(_, r)| r)
        .filter(|&r| r > 0.0)
        .fold(f64::INFINITY, f64::min);
    if !smallest_rate.is_finite() {
        return true;
    }
    let span = 40.0 / smallest_rate;
    (0..=64).all(|k| {
        let s = span * k as f64 / 64.0;
        curve.second_derivative(s) <= 1e-12 * curve.derivative(s).abs().max(1e-300)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn model(text: &str, metric: MeanMetric) -> (Scenario, ExpectedModel) {
        let scenario = crate::scenario::parse_str(Path::new("t.csv"), text).unwrap();
        let patterns = scenario.baseline_spend();
        let channels: Vec<usize> = scenario.paid_channels().map(|(i, _)| i).collect();
        let m = ExpectedModel::build(&scenario, &patterns, &channels, metric, 7, 100, 300);
        (scenario, m)
    }

    const THREE: &str = "\
stage,channel,metric,value
plan,*,horizon_months,12
plan,*,campaign_months,3
plan,*,gross_margin,0.5
plan,*,discount_rate,0.1
plan,*,fixed_cost,1000
reach,a,spend,10000
reach,a,cost_per_visit,\"pert(0.8, 1, 1.4)\"
reach,a,audience,20000
reach,b,spend,10000
reach,b,cost_per_visit,0.7
reach,b,audience,\"uniform(8000, 16000)\"
reach,c,spend,5000
reach,c,cost_per_visit,2.5
act,*,rate,\"beta(30, 270)\"
convert,*,rate,0.3
convert,*,order_value,\"lognormal(60, 10)\"
engage,*,churn,\"pert(0.1, 0.15, 0.25)\"
engage,*,churn_polarization,0.3
engage,*,repeat_rate,0.3
engage,*,repeat_order_value,40
engage,*,referral_rate,0.05
act,referral,rate,0.3
";

    #[test]
    fn the_optimum_satisfies_kkt_and_beats_every_feasible_neighbour() {
        let (scenario, m) = model(THREE, MeanMetric::Profit);
        let n = scenario.channels.len();
        let lo = vec![0.0; n];
        let hi = vec![f64::INFINITY; n];
        for budget in [5_000.0, 20_000.0, 60_000.0] {
            let s = m.solve(&lo, &hi, budget, false);
            assert!(s.kkt_holds(1e-3), "{budget}: {s:?}");
            assert!(s.spend.iter().sum::<f64>() <= budget * (1.0 + 1e-9));
            // Moving money between any two channels, or leaving some
            // unspent, never helps.
            for i in 0..3 {
                for j in 0..3 {
                    if i == j {
                        continue;
                    }
                    for step in [1.0f64, 50.0, 500.0] {
                        let mut x = s.spend.clone();
                        let moved = step.min(x[i]);
                        x[i] -= moved;
                        x[j] += moved;
                        assert!(
                            m.value(&x) <= s.value + 1e-9 * s.value.abs(),
                            "{budget}: moving {moved} from {i} to {j} helps: {} > {}",
                            m.value(&x),
                            s.value
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_budget_beyond_the_profitable_spend_is_left_unspent_unless_required() {
        let (scenario, m) = model(THREE, MeanMetric::Profit);
        let n = scenario.channels.len();
        let (lo, hi) = (vec![0.0; n], vec![f64::INFINITY; n]);
        let generous = m.solve(&lo, &hi, 1e7, false);
        assert!(generous.unspent > 0.0, "{generous:?}");
        assert!(generous.price == 0.0);
        // Free channels sit where one more unit of spend earns nothing.
        for c in &generous.channels {
            if c.bound == Bound::Free {
                assert!(c.marginal.abs() < 1e-6, "{c:?}");
            }
        }
        let forced = m.solve(&lo, &hi, 1e6, true);
        assert!((forced.spend.iter().sum::<f64>() - 1e6).abs() < 1e-3);
        assert!(forced.price < 0.0 && forced.kkt_holds(1e-3), "{forced:?}");
        assert!(forced.value < generous.value);
    }

    #[test]
    fn bounds_hold_and_bound_channels_have_the_right_side_of_the_price() {
        let (scenario, m) = model(THREE, MeanMetric::Revenue);
        let n = scenario.channels.len();
        let lo = vec![3000.0, 0.0, 0.0];
        let hi = vec![f64::INFINITY, 4000.0, f64::INFINITY];
        assert_eq!(n, 4, "three paid channels and referral");
        let (lo, hi) = ([lo, vec![0.0]].concat(), [hi, vec![0.0]].concat());
        let s = m.solve(&lo, &hi, 30_000.0, false);
        assert!(s.kkt_holds(1e-3), "{s:?}");
        assert!(s.spend[0] >= 3000.0 && s.spend[1] <= 4000.0 + 1e-6);
        assert!(
            (s.spend.iter().sum::<f64>() - 30_000.0).abs() < 1e-6,
            "revenue spends it all"
        );
    }

    #[test]
    fn curve_derivative_matches_the_expectation_layer() {
        // The model's F_c'(σ) at the scenario's own spend equals the mean
        // of the expectation layer's marginal profit over the same trials.
        let (scenario, m) = model(THREE, MeanMetric::Profit);
        let patterns = scenario.baseline_spend();
        let mut ws = crate::expectation::Workspace::default();
        let mut e = crate::expectation::Expected::default();
        let mut draws = Vec::new();
        let mut mean = vec![0.0; scenario.channels.len()];
        let mut mean_profit = 0.0;
        for i in 0..300 {
            engine::draw_assumptions(&scenario, 7, 100 + i, &mut draws);
            crate::expectation::expect(&scenario, &patterns, &draws, true, &mut ws, &mut e);
            for (ci, c) in e.channels.iter().enumerate() {
                mean[ci] += c.marginal_profit / 300.0;
            }
            mean_profit += e.profit / 300.0;
        }
        let spend: Vec<f64> = patterns.iter().map(|p| p.iter().sum()).collect();
        for (ci, _) in scenario.paid_channels() {
            let d = m.curves[ci].as_ref().unwrap().derivative(spend[ci]);
            assert!(
                (d - mean[ci]).abs() < 1e-9 * mean[ci].abs().max(1.0),
                "{ci}: {d} vs {}",
                mean[ci]
            );
        }
        let v = m.value(&spend);
        assert!(
            (v - mean_profit).abs() < 1e-9 * mean_profit.abs(),
            "{v} vs {mean_profit}"
        );
    }
}

#[cfg(test)]
mod seasonal_tests {
    use super::*;
    use std::path::Path;

    /// A December rise (month 3 converts four times better than month 1)
    /// makes a flighted channel's curve non-concave; the solver must still
    /// beat every feasible move of money.
    #[test]
    fn a_seasonal_rise_is_solved_without_assuming_concavity() {
        let text = "stage,channel,metric,value\n\
                    plan,*,horizon_months,6\n\
                    reach,a,spend@1,2000\nreach,a,spend@3,2000\nreach,a,cost_per_visit,1\n\
                    reach,a,audience,3000\nconvert,a,rate@3,0.4\n\
                    reach,b,spend,3000\nreach,b,cost_per_visit,1\nreach,b,audience,5000\n\
                    act,*,rate,0.5\nconvert,*,rate,0.1\nconvert,*,order_value,20\n";
        let scenario = crate::scenario::parse_str(Path::new("t.csv"), text).unwrap();
        let m = ExpectedModel::build(
            &scenario,
            &scenario.baseline_spend(),
            &[0, 1],
            MeanMetric::Revenue,
            1,
            0,
            20,
        );
        assert!(!m.curves[0].as_ref().unwrap().concave);
        let s = m.solve(&[0.0; 2], &[f64::INFINITY; 2], 6000.0, false);
        assert!(s.kkt_holds(1e-3), "{s:?}");
        for step in [-2000.0, -300.0, -10.0, 10.0, 300.0, 2000.0] {
            let x = [s.spend[0] + step, s.spend[1] - step];
            if x.iter().all(|&v| v >= 0.0) {
                assert!(
                    m.value(&x) <= s.value * (1.0 + 1e-9),
                    "{step}: {x:?} beats {s:?}"
                );
            }
        }
    }
}

#[cfg(test)]
mod linear_tests {
    use super::*;
    use std::path::Path;

    /// Without audiences every channel returns a constant per unit, so the
    /// optimum fills the best channel to its maximum, then the next.
    #[test]
    fn linear_channels_fill_in_order_of_their_return() {
        let text = "stage,channel,metric,value\n\
                    reach,a,spend,100\nreach,a,cost_per_visit,1\n\
                    reach,b,spend,100\nreach,b,cost_per_visit,2\n\
                    reach,c,spend,100\nreach,c,cost_per_visit,0.5\n\
                    act,*,rate,0.5\nconvert,*,rate,0.5\nconvert,*,order_value,20\n";
        let scenario = crate::scenario::parse_str(Path::new("t.csv"), text).unwrap();
        let patterns = scenario.baseline_spend();
        let m = ExpectedModel::build(
            &scenario,
            &patterns,
            &[0, 1, 2],
            MeanMetric::Profit,
            1,
            0,
            10,
        );
        // Profit per unit: 0.25·20/v − 1 = 4, 1.5, 9.
        let s = m.solve(
            &[0.0; 3],
            &[f64::INFINITY, f64::INFINITY, 700.0],
            1000.0,
            false,
        );
        assert_eq!(s.spend, vec![300.0, 0.0, 700.0]);
        assert!((s.price - 4.0).abs() < 1e-9, "{s:?}");
        assert!(s.kkt_holds(1e-9));
    }
}
