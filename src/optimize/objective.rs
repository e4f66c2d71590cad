//! What the optimizer maximises, computed from per-trial values.

use crate::metrics::{Total, total_names};
use crate::scenario::{Op, parse_comparison};
use crate::suggest::did_you_mean;

/// A probabilistic KPI goal such as `customers >= 3000 @ 0.8`.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub metric: Total,
    pub op: Op,
    pub value: f64,
    /// The share of trials that must meet the comparison (a gate).
    pub required: Option<f64>,
}

impl Goal {
    pub fn describe(&self) -> String {
        let mut s = format!("{} {} {}", self.metric.name(), self.op.symbol(), self.value);
        if let Some(r) = self.required {
            s.push_str(&format!(" @ {r}"));
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Objective {
    /// Expected profit (NPV): the risk-neutral choice.
    MeanProfit,
    /// Expected revenue (present value): growth at a given budget.
    MeanRevenue,
    /// Expected customers acquired (referred ones included).
    MeanCustomers,
    /// The profit exceeded in 90 % of outcomes: guards the downside.
    P10Profit,
    /// The mean profit of the worst 10 % of outcomes (expected shortfall):
    /// like p10, but it also sees how bad the bad tail is.
    Cvar10Profit,
    /// The chance that a goal holds.
    Target(Goal),
}

/// An objective's value; `tie` breaks ties between equal values.
///
/// A target's chance moves in steps of 1/trials and is flat (0 or 1) far
/// from the threshold, where it could not steer the search at all; the mean
/// of the goal's metric (in the goal's direction) is the tie-break that
/// still points towards meeting it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    pub value: f64,
    pub tie: f64,
}

impl Score {
    pub fn better_than(&self, other: &Score) -> bool {
        self.value > other.value || (self.value == other.value && self.tie > other.tie)
    }
}

pub const NAMES: &str = "mean-profit, mean-revenue, mean-customers, p10-profit, cvar10-profit, \
     target:\"<metric> <op> <value> [@ <confidence>]\"";

impl Objective {
    /// Parses `--objective`; names and the `target:` prefix in any case.
    pub fn parse(text: &str) -> Result<Objective, String> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        match lower.as_str() {
            "mean-profit" => return Ok(Objective::MeanProfit),
            "mean-revenue" => return Ok(Objective::MeanRevenue),
            "mean-customers" => return Ok(Objective::MeanCustomers),
            "p10-profit" => return Ok(Objective::P10Profit),
            "cvar10-profit" => return Ok(Objective::Cvar10Profit),
            _ => {}
        }
        const EXAMPLE: &str = "such as --objective \"target:customers >= 3000 @ 0.8\"";
        let Some(goal) = lower.strip_prefix("target:").map(|_| &t["target:".len()..]) else {
            let hint = crate::suggest::closest(
                &lower,
                [
                    "mean-profit",
                    "mean-revenue",
                    "mean-customers",
                    "p10-profit",
                    "cvar10-profit",
                    "target:",
                ],
            )
            .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
            return Err(format!("unknown objective `{t}`: use one of {NAMES}{hint}"));
        };
        let goal = goal.trim();
        let split = goal
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(goal.len());
        let (name, comparison) = goal.split_at(split);
        if name.is_empty() {
            return Err(format!(
                "objective `{t}`: `target:` must be followed by a metric and a comparison, {EXAMPLE}"
            ));
        }
        let metric = Total::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
            let hint =
                did_you_mean(&name.to_ascii_lowercase(), total_names()).unwrap_or_else(|| {
                    format!(
                        "total metrics are: {}",
                        total_names().collect::<Vec<_>>().join(", ")
                    )
                });
            format!("objective `{t}`: unknown metric `{name}`; {hint}")
        })?;
        let comparison = comparison.trim();
        if comparison.is_empty() {
            return Err(format!(
                "objective `{t}`: the metric `{name}` needs a comparison after it \
                 (>=, >, <= or < and a number, optionally `@ confidence`), {EXAMPLE}"
            ));
        }
        if !comparison.starts_with(['>', '<']) {
            return Err(format!(
                "objective `{t}`: after the metric comes one of >=, >, <=, < and a number \
                 (`{comparison}` is not one), {EXAMPLE}"
            ));
        }
        let (op, value, required) =
            parse_comparison(comparison).map_err(|e| format!("objective `{t}`: {e}"))?;
        if !value.is_finite() {
            return Err(format!(
                "objective `{t}`: the threshold must be a finite number, {EXAMPLE}"
            ));
        }
        Ok(Objective::Target(Goal {
            metric,
            op,
            value,
            required,
        }))
    }

    pub fn name(&self) -> String {
        match self {
            Objective::MeanProfit => "mean-profit".into(),
            Objective::MeanRevenue => "mean-revenue".into(),
            Objective::MeanCustomers => "mean-customers".into(),
            Objective::P10Profit => "p10-profit".into(),
            Objective::Cvar10Profit => "cvar10-profit".into(),
            Objective::Target(g) => format!("target:{}", g.describe()),
        }
    }

    /// The metric whose per-trial values the objective needs.
    pub fn metric(&self) -> Total {
        match self {
            Objective::Target(g) => g.metric,
            Objective::MeanRevenue => Total::Revenue,
            Objective::MeanCustomers => Total::Customers,
            _ => Total::Profit,
        }
    }

    /// The closed-form mean this objective maximises (spec §7), if any:
    /// such objectives are solved exactly, not searched.
    pub fn exact(&self) -> Option<super::exact::MeanMetric> {
        use super::exact::MeanMetric;
        match self {
            Objective::MeanProfit => Some(MeanMetric::Profit),
            Objective::MeanRevenue => Some(MeanMetric::Revenue),
            Objective::MeanCustomers => Some(MeanMetric::Customers),
            _ => None,
        }
    }

    /// Is the objective an average of per-trial values (so its gain has a
    /// plain standard error)?
    pub fn is_mean(&self) -> bool {
        matches!(
            self,
            Objective::MeanProfit
                | Objective::MeanRevenue
                | Objective::MeanCustomers
                | Objective::Target(_)
        )
    }

    /// What one trial contributes to a mean objective.
    pub fn per_trial(&self, x: f64) -> f64 {
        match self {
            Objective::Target(g) => f64::from(u8::from(g.op.holds(x, g.value))),
            _ => x,
        }
    }

    pub fn score(&self, values: &[f64]) -> Score {
        let n = values.len().max(1) as f64;
        match self {
            Objective::MeanProfit | Objective::MeanRevenue | Objective::MeanCustomers => Score {
                value: values.iter().sum::<f64>() / n,
                tie: 0.0,
            },
            Objective::P10Profit => Score {
                value: quantile(values, 0.10),
                tie: 0.0,
            },
            Objective::Cvar10Profit => Score {
                value: lower_tail_mean(values, 0.10),
                tie: 0.0,
            },
            Objective::Target(g) => {
                let hits = values.iter().filter(|x| g.op.holds(**x, g.value)).count();
                let defined: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
                let direction = match g.op {
                    Op::Ge | Op::Gt => 1.0,
                    Op::Le | Op::Lt => -1.0,
                };
                let tie = if defined.is_empty() {
                    f64::NEG_INFINITY
                } else {
                    direction * defined.iter().sum::<f64>() / defined.len() as f64
                };
                Score {
                    value: hits as f64 / n,
                    tie,
                }
            }
        }
    }
}

/// The `p` quantile with linear interpolation between order statistics
/// (Hyndman & Fan type 7, the default of R and NumPy).
pub fn quantile(values: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let (_, &mut x_lo, above) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let x_hi = above.iter().copied().fold(f64::INFINITY, f64::min);
    if above.is_empty() {
        x_lo
    } else {
        x_lo + (h - lo as f64) * (x_hi - x_lo)
    }
}

/// Mean of the lowest ⌈p·n⌉ values.
pub fn lower_tail_mean(values: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    let k = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len());
    v.select_nth_unstable_by(k - 1, f64::total_cmp);
    let mut tail = v[..k].to_vec();
    // Summing in sorted order keeps the result independent of how
    // `select_nth_unstable` happened to arrange the tail.
    tail.sort_by(f64::total_cmp);
    tail.iter().sum::<f64>() / k as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objectives() {
        assert_eq!(Objective::parse("mean-profit"), Ok(Objective::MeanProfit));
        assert_eq!(
            Objective::parse("CVaR10-profit"),
            Ok(Objective::Cvar10Profit)
        );
        let Ok(Objective::Target(g)) = Objective::parse("target:customers >= 3000 @ 0.8") else {
            panic!("target should parse");
        };
        assert_eq!(
            (g.metric, g.op, g.value, g.required),
            (Total::Customers, Op::Ge, 3000.0, Some(0.8))
        );
        assert!(
            Objective::parse("mean-proft")
                .unwrap_err()
                .contains("mean-profit")
        );
        assert!(
            Objective::parse("target:custmers >= 3")
                .unwrap_err()
                .contains("customers")
        );
        assert!(Objective::parse("target:roi = 3").is_err());
    }

    #[test]
    fn names_and_prefix_are_case_insensitive_and_errors_say_what_is_missing() {
        assert_eq!(Objective::parse("MEAN-PROFIT"), Ok(Objective::MeanProfit));
        assert_eq!(
            Objective::parse("TARGET:Customers >= 3000 @ 0.8"),
            Objective::parse("target:customers >= 3000 @ 0.8")
        );
        let bare = Objective::parse("target:customers").unwrap_err();
        assert!(bare.contains("needs a comparison"), "{bare}");
        assert!(!bare.contains("target ``"), "{bare}");
        let empty = Objective::parse("target:").unwrap_err();
        assert!(empty.contains("followed by a metric"), "{empty}");
        let op = Objective::parse("target:customers = 3").unwrap_err();
        assert!(op.contains("one of >=, >, <=, <"), "{op}");
        let gate = Objective::parse("target:customers >= 3 @ 80").unwrap_err();
        assert!(gate.contains("(0, 1]"), "{gate}");
        assert!(Objective::parse("target:customers >= inf").is_err());
    }

    #[test]
    fn quantiles_and_tails_match_definitions() {
        let v: Vec<f64> = (1..=11).rev().map(f64::from).collect();
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.1), 2.0);
        assert_eq!(quantile(&v, 0.15), 2.5);
        assert_eq!(quantile(&v, 1.0), 11.0);
        // ⌈0.1 · 11⌉ = 2 worst values: 1 and 2.
        assert_eq!(lower_tail_mean(&v, 0.1), 1.5);
    }

    #[test]
    fn targets_break_ties_towards_the_goal() {
        let goal = Objective::parse("target:customers >= 100").unwrap();
        let low = goal.score(&[10.0, 20.0]);
        let higher = goal.score(&[30.0, 40.0]);
        assert_eq!(low.value, 0.0);
        assert!(higher.better_than(&low));
        assert!(goal.score(&[100.0, 0.0]).better_than(&higher));
    }
}
