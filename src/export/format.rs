//! Number formatting for people (tables and HTML), never for machines.

use crate::document::Provenance;
use crate::metrics::Kind;

/// Groups thousands: 1234567.8 → "1,234,568".
pub fn thousands(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Whole currency units with a sign, "±0" for no change.
pub fn signed_money(x: f64) -> String {
    if x.round() == 0.0 {
        "±0".into()
    } else if x > 0.0 {
        format!("+{}", thousands(x, 0))
    } else {
        thousands(x, 0)
    }
}

/// A value of the given kind, or "–" when undefined.
pub fn value(x: Option<f64>, kind: Kind) -> String {
    let Some(x) = x else { return "–".into() };
    match kind {
        Kind::Count | Kind::Month => {
            if x.fract() == 0.0 || x.abs() >= 100.0 {
                thousands(x, 0)
            } else {
                thousands(x, 1)
            }
        }
        Kind::Money => {
            if x.abs() >= 1000.0 {
                thousands(x, 0)
            } else {
                thousands(x, 2)
            }
        }
        Kind::Ratio | Kind::Points => format!("{x:.3}"),
    }
}

/// "1 channel", "2 channels", "10,000 trials": a count with its noun in the right number.
pub fn counted(n: u64, noun: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {noun}{s}", thousands(n as f64, 0))
}

/// A share as whole percent ("99 %"), with "< 1 %" and "> 99 %" so a
/// small part never reads as none.
pub fn whole_percent(p: f64) -> String {
    let x = 100.0 * p;
    if x > 0.0 && x < 0.5 {
        "< 1 %".into()
    } else if x < 100.0 && x > 99.5 {
        "> 99 %".into()
    } else {
        format!("{x:.0} %")
    }
}

pub fn percent(p: f64) -> String {
    format!("{:.1} %", 100.0 * p)
}

/// How payback reads everywhere: the median over all trials and the share that pays back
/// lead, so nobody reads a payback month that most trials never reach. The numbers come
/// already rendered (plain for a terminal, tagged for HTML); `median` is None when under
/// half the trials pay back.
pub fn payback(median: Option<String>, share: String) -> String {
    match median {
        Some(m) => format!("median {m} (pays back in {share} of trials)"),
        None => format!("median not reached: pays back in only {share} of trials"),
    }
}

/// The first line (with its newline) of a terminal table of many runs on
/// common random numbers: the scenario, trials and seed they share, then
/// `what` varies.
pub fn shared_runs_heading(p: &Provenance, what: &str) -> String {
    format!(
        "{} · {} · seed {} · {what}\n",
        p.scenario,
        counted(p.trials, "trial"),
        p.seed
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(1234567.8, 0), "1,234,568");
        assert_eq!(thousands(-1234.5, 1), "-1,234.5");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(-0.0001, 2), "0.00");
    }
}
