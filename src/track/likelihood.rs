//! The likelihood of the actuals given one trial's assumption draws (spec
//! §9 part 2): the probabilities §4 gives the observed counts.
//!
//! Each channel and month contributes a chain down the funnel. The first
//! count the actuals give in a month (visitors, else leads, else
//! customers) is a *reach* term; each further count is a binomial
//! *thinning* of the one above it, with the product of the rates between
//! them (leads of visitors with act_t; customers of leads with convert_t;
//! customers of visitors with act_t·convert_t when leads are missing).
//! A missing intermediate count is thereby integrated out exactly, not
//! guessed: a binomial thinning of a binomial or Poisson count is again
//! binomial or Poisson.
//!
//! Reach, without an audience, is Poisson(S_t/v_t · rates) per month,
//! independently. With an audience A the months are tied together by the
//! people already reached, so a channel's months form one term: every one
//! of the A people falls into one category ("first reached in month t and
//! counted as the month's first observed count", or the rest), so the
//! observed counts are multinomial, which factorises exactly into
//! binomials: month t's count is Binomial(A − counted before t, c_t / R_t)
//! with c_t the category's probability and R_t the probability of not
//! being in an earlier observed category. With every month's visitors
//! observed this is §4.1's Binomial(U_t, p_t) with U_t = A − visitors
//! before t; a month without visitors (or with leads only) is integrated
//! out rather than refused.
//!
//! The `referral` channel's visitors depend on how many customers are
//! still active, which the actuals do not observe, so its first count
//! carries no term; its thinnings (act, convert rates) are used.

use statrs::function::factorial::ln_binomial;

use super::actuals::{ActualMetric, Actuals};
use crate::scenario::{Param, Scenario};

/// One observed funnel count with where it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    pub metric: ActualMetric,
    pub value: u64,
    pub line: usize,
}

/// A count and the rates that lead to it from being reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Reached {
    pub count: Count,
    /// act_t for leads, act_t and convert_t for customers; none for visitors.
    pub rates: Vec<Param>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReachMonth {
    pub month: usize,
    pub spend: f64,
    /// v_t; `None` only without spend.
    pub cost_per_visit: Option<Param>,
    /// The month's first observed count, if any.
    pub first: Option<Reached>,
}

/// A paid channel's observed reach over months 1..=its last observed one.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    pub channel: usize,
    pub audience: Option<Param>,
    pub months: Vec<ReachMonth>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `lower` of the `upper` counted one or two steps up the funnel, each
    /// with the product of `rates`: Binomial(upper, Π rates).
    Thinning {
        channel: usize,
        month: usize,
        upper: Count,
        lower: Count,
        rates: Vec<Param>,
    },
    Reach(Reach),
}

/// ln Binomial(k; n, p), exact at the ends (0·ln 0 = 0).
pub fn ln_binomial_pmf(n: u64, k: u64, p: f64) -> f64 {
    if k > n || p.is_nan() {
        return f64::NEG_INFINITY;
    }
    if p <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if p >= 1.0 {
        return if k == n { 0.0 } else { f64::NEG_INFINITY };
    }
    let mut ll = ln_binomial(n, k);
    if k > 0 {
        ll += k as f64 * p.ln();
    }
    if n > k {
        ll += (n - k) as f64 * (-p).ln_1p();
    }
    ll
}

/// ln Poisson(k; λ), exact at λ = 0.
pub fn ln_poisson_pmf(k: u64, lambda: f64) -> f64 {
    if lambda.is_nan() || lambda < 0.0 {
        return f64::NEG_INFINITY;
    }
    if lambda == 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    if lambda.is_infinite() {
        return f64::NEG_INFINITY;
    }
    k as f64 * lambda.ln() - lambda - statrs::function::factorial::ln_factorial(k)
}

fn product(rates: &[Param], draws: &[f64]) -> f64 {
    rates.iter().map(|r| r.value(draws)).product()
}

fn drawn_of(params: impl IntoIterator<Item = Param>, out: &mut Vec<usize>) {
    for p in params {
        if let Param::Drawn(i) = p
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
}

impl Reach {
    /// ln L of the channel's counts; `per_month` hears each observed
    /// month's contribution (to name an impossible one).
    pub fn log_likelihood(&self, draws: &[f64], mut per_month: impl FnMut(usize, f64)) -> f64 {
        let mut total = 0.0;
        match self.audience {
            None => {
                for m in &self.months {
                    let Some(first) = &m.first else { continue };
                    let cost = m.cost_per_visit.map_or(f64::INFINITY, |v| v.value(draws));
                    let lambda = if m.spend > 0.0 {
                        m.spend / cost * product(&first.rates, draws)
                    } else {
                        0.0
                    };
                    let ll = ln_poisson_pmf(first.count.value, lambda);
                    per_month(m.month, ll);
                    total += ll;
                }
            }
            Some(audience) => {
                // The engine's audience: a whole number of people, at least one.
                let people = audience.value(draws).round().max(1.0);
                let mut counted = 0u64;
                // ln P(not reached yet) and P(in an unobserved category).
                let mut ln_unreached = 0.0f64;
                let mut hidden = 0.0f64;
                for m in &self.months {
                    let x = if m.spend > 0.0 {
                        let cost = m.cost_per_visit.map_or(f64::INFINITY, |v| v.value(draws));
                        m.spend / (cost * people)
                    } else {
                        0.0
                    };
                    let unreached = ln_unreached.exp();
                    let reached_now = unreached * -(-x).exp_m1();
                    match &m.first {
                        Some(first) => {
                            let r = product(&first.rates, draws);
                            let rest = unreached + hidden;
                            let p = if rest > 0.0 {
                                (reached_now * r / rest).min(1.0)
                            } else {
                                0.0
                            };
                            let n = (people as u64).saturating_sub(counted);
                            let ll = if counted > people as u64 {
                                f64::NEG_INFINITY
                            } else {
                                ln_binomial_pmf(n, first.count.value, p)
                            };
                            per_month(m.month, ll);
                            total += ll;
                            counted = counted.saturating_add(first.count.value);
                            hidden += reached_now * (1.0 - r);
                        }
                        None => hidden += reached_now,
                    }
                    ln_unreached -= x;
                }
            }
        }
        total
    }
}

impl Term {
    pub fn log_likelihood(&self, draws: &[f64]) -> f64 {
        match self {
            Term::Thinning {
                upper,
                lower,
                rates,
                ..
            } => ln_binomial_pmf(upper.value, lower.value, product(rates, draws)),
            Term::Reach(reach) => reach.log_likelihood(draws, |_, _| {}),
        }
    }

    /// The positions in the draw vector this term depends on.
    pub fn drawn(&self) -> Vec<usize> {
        let mut out = Vec::new();
        match self {
            Term::Thinning { rates, .. } => drawn_of(rates.iter().copied(), &mut out),
            Term::Reach(reach) => {
                drawn_of(reach.audience, &mut out);
                for m in &reach.months {
                    drawn_of(m.cost_per_visit, &mut out);
                    if let Some(first) = &m.first {
                        drawn_of(first.rates.iter().copied(), &mut out);
                    }
                }
            }
        }
        out
    }

    /// The observed counts the term explains.
    pub fn counts(&self) -> usize {
        match self {
            Term::Thinning { .. } => 1,
            Term::Reach(r) => r.months.iter().filter(|m| m.first.is_some()).count(),
        }
    }

    /// What the term is about, for a warning: "search month 2: 5000 leads
    /// of 100 visitors (lines 7, 6)". For reach, `month` picks the month.
    pub fn describe(&self, scenario: &Scenario, month: Option<usize>) -> String {
        match self {
            Term::Thinning {
                channel,
                month,
                upper,
                lower,
                ..
            } => format!(
                "channel `{}`, month {month}: {} {} of {} {} (lines {} and {})",
                scenario.channels[*channel].name,
                lower.value,
                lower.metric.name(),
                upper.value,
                upper.metric.name(),
                upper.line,
                lower.line
            ),
            Term::Reach(r) => {
                let name = &scenario.channels[r.channel].name;
                let m = r
                    .months
                    .iter()
                    .filter(|m| m.first.is_some())
                    .find(|m| month.is_none_or(|k| k == m.month));
                match m {
                    Some(m) => {
                        let first = m.first.as_ref().expect("filtered");
                        format!(
                            "channel `{name}`, month {}: {} {} with spend {} (line {})",
                            m.month,
                            first.count.value,
                            first.count.metric.name(),
                            crate::scenario::value::show(m.spend),
                            first.count.line
                        )
                    }
                    None => format!("channel `{name}`'s reach"),
                }
            }
        }
    }
}

/// The actuals as likelihood terms, with what could not be used.
#[derive(Debug, Clone, Default)]
pub struct Likelihood {
    pub terms: Vec<Term>,
    /// Observed counts the model gives no probability for (a rate the
    /// scenario lacks), said once each.
    pub unused: Vec<String>,
}

impl Likelihood {
    /// The terms of `actuals`, with `spend` (`[ci][t − 1]`) the plan's
    /// spend for months whose actual spend is not given.
    pub fn new(scenario: &Scenario, actuals: &Actuals, spend: &[Vec<f64>]) -> Likelihood {
        let spend = actuals.spend_with(spend);
        let mut out = Likelihood::default();
        for (ci, c) in scenario.channels.iter().enumerate() {
            let count_of = |t: usize, metric: ActualMetric| {
                actuals.get(ci, t, metric).map(|v| Count {
                    metric,
                    value: v as u64,
                    line: actuals.line(ci, t, metric).unwrap_or(0),
                })
            };
            let last = (1..=actuals.months).rev().find(|&t| {
                ActualMetric::FUNNEL
                    .iter()
                    .any(|&m| count_of(t, m).is_some())
            });
            let Some(last) = last else { continue };
            let mut months = Vec::new();
            for t in 1..=last {
                // The rate leading from funnel step i to step i + 1 in month t.
                let step = |i: usize| match i {
                    0 => c.act_rate_in(t),
                    _ => c.convert_rate_in(t),
                };
                let rates_between = |from: usize, to: usize| -> Option<Vec<Param>> {
                    (from..to).map(step).collect()
                };
                let counts: Vec<(usize, Count)> = ActualMetric::FUNNEL
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &m)| count_of(t, m).map(|n| (i, n)))
                    .collect();
                let mut first = None;
                if let Some(&(i, count)) = counts.first() {
                    match rates_between(0, i) {
                        Some(rates) => first = Some(Reached { count, rates }),
                        None => out.unused.push(format!(
                            "channel `{}`, month {t}: the {} (line {}) are not used to learn reach, because the scenario has no {} for the channel",
                            c.name,
                            count.metric.name(),
                            count.line,
                            if i == 1 { "act.rate" } else { "act.rate or convert.rate" }
                        )),
                    }
                }
                for pair in counts.windows(2) {
                    let ((i, upper), (j, lower)) = (pair[0], pair[1]);
                    match rates_between(i, j) {
                        Some(rates) => out.terms.push(Term::Thinning {
                            channel: ci,
                            month: t,
                            upper,
                            lower,
                            rates,
                        }),
                        None => out.unused.push(format!(
                            "channel `{}`, month {t}: the {} (line {}) are not used, because the scenario has no rate for the channel in that month",
                            c.name,
                            lower.metric.name(),
                            lower.line
                        )),
                    }
                }
                let s = spend
                    .get(ci)
                    .and_then(|m| m.get(t - 1))
                    .copied()
                    .unwrap_or(0.0);
                months.push(ReachMonth {
                    month: t,
                    spend: s,
                    cost_per_visit: if s > 0.0 {
                        c.cost_per_visit_in(t)
                    } else {
                        None
                    },
                    first,
                });
            }
            if !c.is_referral && months.iter().any(|m| m.first.is_some()) {
                out.terms.push(Term::Reach(Reach {
                    channel: ci,
                    audience: c.audience,
                    months,
                }));
            }
        }
        out
    }

    pub fn log_likelihood(&self, draws: &[f64]) -> f64 {
        self.terms.iter().map(|t| t.log_likelihood(draws)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn setup(scenario: &str, actuals: &str) -> (Scenario, Likelihood) {
        let s = crate::scenario::parse_str(Path::new("s.csv"), scenario).unwrap();
        let a = Actuals::parse_str(Path::new("a.csv"), actuals, &s).unwrap();
        let l = Likelihood::new(&s, &a, &s.baseline_spend());
        (s, l)
    }

    #[test]
    fn binomial_and_poisson_pmfs_match_statrs() {
        use statrs::distribution::{Binomial, Discrete, Poisson};
        let b = Binomial::new(0.3, 40).unwrap();
        assert!((ln_binomial_pmf(40, 11, 0.3) - b.ln_pmf(11)).abs() < 1e-10);
        let p = Poisson::new(7.5).unwrap();
        assert!((ln_poisson_pmf(4, 7.5) - p.ln_pmf(4)).abs() < 1e-10);
        assert_eq!(ln_binomial_pmf(5, 0, 0.0), 0.0);
        assert_eq!(ln_binomial_pmf(5, 6, 0.5), f64::NEG_INFINITY);
        assert_eq!(ln_poisson_pmf(1, 0.0), f64::NEG_INFINITY);
    }

    const AUDIENCE: &str = "stage,channel,metric,value\n\
plan,*,horizon_months,6\n\
plan,*,campaign_months,3\n\
reach,search,spend,3000\n\
reach,search,cost_per_visit,\"uniform(0.5, 2)\"\n\
reach,search,audience,\"uniform(1000, 5000)\"\n\
act,*,rate,\"beta(2, 8)\"\n\
convert,*,rate,0.1\n\
convert,*,order_value,50\n";

    /// With every month's visitors observed the reach term is §4.1's chain
    /// Binomial(U_t, p_t); with month 2 missing, months 1 and 3 follow the
    /// multinomial: month 3's people are those first reached in month 3.
    #[test]
    fn audience_reach_is_the_binomial_chain_and_integrates_out_a_missing_month() {
        let (_, full) = setup(
            AUDIENCE,
            "month,channel,metric,value\n1,search,visitors,600\n2,search,visitors,500\n3,search,visitors,400\n",
        );
        let draws = [1.25, 3000.0, 0.2]; // cost per visit, audience, act rate
        let (v, a) = (1.25f64, 3000.0f64);
        let p = -(-1000.0 / (v * a)).exp_m1();
        let expected = ln_binomial_pmf(3000, 600, p)
            + ln_binomial_pmf(2400, 500, p)
            + ln_binomial_pmf(1900, 400, p);
        assert!((full.log_likelihood(&draws) - expected).abs() < 1e-9);

        let (_, gap) = setup(
            AUDIENCE,
            "month,channel,metric,value\n1,search,visitors,600\n2,search,leads,100\n3,search,visitors,400\n",
        );
        // Categories: first reached in month 1 (p), in month 2 and a lead
        // (q·p·act), in month 3 (q²·p), the rest.
        let (q, act) = (1.0 - p, 0.2);
        let c2 = q * p * act;
        let c3 = q * q * p;
        let expected = ln_binomial_pmf(3000, 600, p)
            + ln_binomial_pmf(2400, 100, c2 / q)
            + ln_binomial_pmf(2300, 400, c3 / (q - c2));
        assert!(
            (gap.log_likelihood(&draws) - expected).abs() < 1e-9,
            "{} vs {expected}",
            gap.log_likelihood(&draws)
        );
    }

    #[test]
    fn poisson_reach_thins_to_the_first_observed_count() {
        let scenario = "stage,channel,metric,value\n\
plan,*,horizon_months,2\n\
reach,social,spend,800\n\
reach,social,cost_per_visit,\"lognormal(1, 0.2)\"\n\
act,*,rate,0.25\n\
convert,*,rate,\"beta(2, 18)\"\n\
convert,*,order_value,50\n";
        let (_, l) = setup(
            scenario,
            "month,channel,metric,value\n1,social,leads,190\n1,social,customers,21\n",
        );
        let draws = [1.1, 0.12];
        let expected = ln_poisson_pmf(190, 800.0 / 1.1 * 0.25) + ln_binomial_pmf(190, 21, 0.12);
        assert!((l.log_likelihood(&draws) - expected).abs() < 1e-9);
        assert_eq!(l.terms.len(), 2);
        let mut deps: Vec<usize> = l.terms.iter().flat_map(Term::drawn).collect();
        deps.sort_unstable();
        assert_eq!(deps, [0, 1]);
    }
}
