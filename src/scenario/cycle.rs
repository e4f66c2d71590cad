//! The referral cycle (spec §4.4): referred customers refer again, so what
//! one referred customer brings in over the horizon decides whether
//! referrals fade out or multiply month after month. `validate` warns when
//! they multiply at the rows' mean values, and a run that stops on a
//! runaway count names the rows and this trial's values.

use super::{Channel, Input, Param, Scenario, Source};
use crate::error::InputProblem;
use crate::sampling::Survival;

/// The referral channel's inputs that close the cycle.
const CYCLE_INPUTS: [Input; 5] = [
    Input::ReferralRate,
    Input::ActRate,
    Input::ConvertRate,
    Input::Churn,
    Input::ChurnPolarization,
];

/// Expected referred customers one referred customer brings in over the
/// horizon: referral_rate · act · convert · Σ_{k=1}^{H−1} S(k), with S the
/// sBG survival after k month ends (a customer sends referrals in the
/// months after the one they were acquired in, while active). `None`
/// without a referral channel.
pub fn growth(scenario: &Scenario, value: impl Fn(Param) -> f64) -> Option<f64> {
    let channel = &scenario.channels[scenario.referral_index()?];
    let rate = |p: Option<Param>| p.map_or(0.0, &value);
    let sends = value(channel.referral_rate) * rate(channel.act_rate) * rate(channel.convert_rate);
    let mut survival = Survival::default();
    let ages = scenario.horizon.saturating_sub(1);
    survival.reset(
        value(channel.churn),
        value(channel.churn_polarization),
        ages,
    );
    let active_months: f64 = (1..=ages).map(|k| survival.survival(k)).sum();
    Some(sends * active_months)
}

/// The rows behind the cycle: `line 12 engage,*,referral_rate = 0.4`
/// (or `referral_rate: default 0`), a drawn row with its value from
/// `value`, called `which` ("mean", "in this trial").
pub fn rows(scenario: &Scenario, value: impl Fn(Param) -> f64, which: &str) -> Vec<String> {
    let Some(ri) = scenario.referral_index() else {
        return Vec::new();
    };
    let channel = &scenario.channels[ri];
    CYCLE_INPUTS
        .iter()
        .map(|&input| {
            let name = input.def().name;
            let here = param(channel, input).map(&value);
            let shown = here.map_or("none".into(), brief);
            match source(channel, input) {
                Some(i) => {
                    let a = &scenario.assumptions[i];
                    let drawn = if a.spec.is_number() {
                        String::new()
                    } else {
                        format!(" ({which} {shown})")
                    };
                    format!(
                        "line {} {},{},{} = {}{drawn}",
                        a.line,
                        a.stage.name(),
                        a.channel,
                        a.metric_label(),
                        a.spec
                    )
                }
                None => format!("{name}: default {shown}"),
            }
        })
        .collect()
}

/// The warning `validate` (and every command) shows when referrals
/// multiply at the rows' mean values.
pub fn warning(scenario: &Scenario) -> Option<InputProblem> {
    let mean = |p: Param| match p {
        Param::Fixed(x) => x,
        Param::Drawn(i) => scenario.assumptions[scenario.drawn[i]].spec.mean(),
    };
    let g = growth(scenario, mean)?;
    if g.is_nan() || g < 1.0 {
        return None;
    }
    let channel = &scenario.channels[scenario.referral_index()?];
    let line = CYCLE_INPUTS
        .iter()
        .find_map(|&input| source(channel, input))
        .map(|i| scenario.assumptions[i].line);
    let message = format!(
        "the referral cycle multiplies: at the rows' mean values each referred customer brings \
         {} more over the {}-month horizon, so referrals grow month after month and may run away \
         (rows: {})",
        brief(g),
        scenario.horizon,
        rows(scenario, mean, "mean").join("; ")
    );
    let help = "for referrals that fade out, keep referral_rate × act.rate × convert.rate × the \
                months a customer stays active below 1: lower the referral channel's rates or \
                raise its churn";
    Some(
        match line {
            Some(l) => InputProblem::at(l, message),
            None => InputProblem::whole_file(message),
        }
        .help(help),
    )
}

fn param(channel: &Channel, input: Input) -> Option<Param> {
    match input {
        Input::ReferralRate => Some(channel.referral_rate),
        Input::ActRate => channel.act_rate,
        Input::ConvertRate => channel.convert_rate,
        Input::Churn => Some(channel.churn),
        Input::ChurnPolarization => Some(channel.churn_polarization),
        _ => None,
    }
}

/// The row a channel's input comes from, if a row gives it.
fn source(channel: &Channel, input: Input) -> Option<usize> {
    channel
        .provenance
        .iter()
        .find(|(i, _)| *i == input)
        .and_then(|(_, r)| match r.source {
            Source::Named(i) | Source::Star(i) => Some(i),
            _ => None,
        })
}

/// A value to four significant digits, for messages.
pub fn brief(x: f64) -> String {
    if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        format!("{x:.3e}")
    } else {
        let digits = (3 - x.abs().max(1e-3).log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}
