//! KPI targets (spec §2.3): `>= 0.25`, `> 0 @ 0.8`, …

use crate::metrics::{PerChannel, Total};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Gt,
    Le,
    Lt,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }

    /// An undefined value (NaN) never holds, as spec §2.3 requires; every
    /// comparison with NaN is false, which is exactly that.
    #[inline]
    pub fn holds(self, x: f64, threshold: f64) -> bool {
        match self {
            Op::Ge => x >= threshold,
            Op::Gt => x > threshold,
            Op::Le => x <= threshold,
            Op::Lt => x < threshold,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetMetric {
    Total(Total),
    /// Channel index into `Scenario::channels`.
    Channel(usize, PerChannel),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub line: u64,
    /// `*` or the channel's name.
    pub channel: String,
    pub metric_name: String,
    pub metric: TargetMetric,
    pub op: Op,
    pub value: f64,
    /// Set for a gate: the share of trials that must meet the comparison.
    pub required: Option<f64>,
    pub note: String,
}

impl Target {
    pub fn describe(&self) -> String {
        let subject = if self.channel == "*" {
            self.metric_name.clone()
        } else {
            format!("{}.{}", self.channel, self.metric_name)
        };
        let mut s = format!("{} {} {}", subject, self.op.symbol(), self.value);
        if let Some(p) = self.required {
            s.push_str(&format!(" @ {p}"));
        }
        s
    }
}

/// Parses `>= 0.25` or `>= 0.25 @ 0.8` into (op, value, required share).
pub fn parse_comparison(text: &str) -> Result<(Op, f64, Option<f64>), String> {
    use crate::error::clip;
    use crate::scenario::value::{NumberError, percent_as_share, percent_help, read_number};
    let t = text.trim();
    let (cmp, gate) = match t.split_once('@') {
        Some((c, g)) => (c.trim(), Some(g.trim())),
        None => (t, None),
    };
    let (op, rest) = if let Some(r) = cmp.strip_prefix(">=") {
        (Op::Ge, r)
    } else if let Some(r) = cmp.strip_prefix("<=") {
        (Op::Le, r)
    } else if let Some(r) = cmp.strip_prefix('>') {
        (Op::Gt, r)
    } else if let Some(r) = cmp.strip_prefix('<') {
        (Op::Lt, r)
    } else {
        return Err(format!(
            "target `{}` must start with one of >=, >, <=, < (for example `>= 0.25` or `> 0 @ 0.8`)",
            clip(t)
        ));
    };
    let value = read_number(rest).map_err(|e| {
        let what = match (e, percent_as_share(rest)) {
            (NumberError::NotANumber, Some(share)) => {
                format!("is a percentage; {}", percent_help(&share))
            }
            (NumberError::NotANumber, None) => "is not a number".into(),
            (NumberError::OutOfRange, _) => "is out of range".into(),
        };
        format!("`{}` in target `{}` {what}", clip(rest.trim()), clip(t))
    })?;
    let required = match gate {
        None => None,
        Some(g) => {
            let p = read_number(g)
                .ok()
                .filter(|p| *p > 0.0 && *p <= 1.0)
                .ok_or_else(|| match percent_as_share(g) {
                    Some(share) => format!(
                        "the confidence `{}` after `@` is a percentage; {}",
                        clip(g),
                        percent_help(&share)
                    ),
                    None => format!(
                        "the confidence `{}` after `@` must be a share in (0, 1], such as 0.8",
                        clip(g)
                    ),
                })?;
            Some(p)
        }
    };
    Ok((op, value, required))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comparisons_and_gates() {
        assert_eq!(parse_comparison(">= 0.25").unwrap(), (Op::Ge, 0.25, None));
        assert_eq!(
            parse_comparison("> 0 @ 0.8").unwrap(),
            (Op::Gt, 0.0, Some(0.8))
        );
        assert_eq!(parse_comparison("<=120").unwrap(), (Op::Le, 120.0, None));
        assert!(parse_comparison("= 3").is_err());
        assert!(parse_comparison("> 0 @ 80").is_err());
        assert!(parse_comparison(">= abc").is_err());
    }

    #[test]
    fn nan_never_holds() {
        for op in [Op::Ge, Op::Gt, Op::Le, Op::Lt] {
            assert!(!op.holds(f64::NAN, 0.0));
        }
    }
}
