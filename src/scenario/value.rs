//! Assumption values: plain numbers and the distributions of spec §2.1.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, LogNormal, Triangular, Uniform};

use crate::error::clip;
use crate::suggest::did_you_mean;

/// Names accepted in a value cell, for suggestions.
pub const DISTRIBUTION_FORMS: [&str; 5] = ["uniform", "triangular", "pert", "beta", "lognormal"];

/// A parsed value cell, before any domain check.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSpec {
    Number(f64),
    Uniform { low: f64, high: f64 },
    Triangular { low: f64, mode: f64, high: f64 },
    Pert { low: f64, mode: f64, high: f64 },
    Beta { a: f64, b: f64 },
    LogNormal { mean: f64, sd: f64 },
}

/// Where a distribution's draws can land. `open` bounds are never reached
/// (a beta draw is never exactly 0 or 1; a log-normal draw never 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Support {
    pub low: f64,
    pub low_open: bool,
    pub high: f64,
    pub high_open: bool,
}

impl ValueSpec {
    pub fn is_number(&self) -> bool {
        matches!(self, ValueSpec::Number(_))
    }

    pub fn support(&self) -> Support {
        let closed = |low, high| Support {
            low,
            low_open: false,
            high,
            high_open: false,
        };
        match *self {
            ValueSpec::Number(x) => closed(x, x),
            ValueSpec::Uniform { low, high }
            | ValueSpec::Triangular { low, high, .. }
            | ValueSpec::Pert { low, high, .. } => closed(low, high),
            ValueSpec::Beta { .. } => Support {
                low: 0.0,
                low_open: true,
                high: 1.0,
                high_open: true,
            },
            ValueSpec::LogNormal { .. } => Support {
                low: 0.0,
                low_open: true,
                high: f64::INFINITY,
                high_open: true,
            },
        }
    }

    /// The distribution's mean, shown by `validate` so a reviewer can sanity
    /// check the order of magnitude.
    pub fn mean(&self) -> f64 {
        match *self {
            ValueSpec::Number(x) => x,
            ValueSpec::Uniform { low, high } => (low + high) / 2.0,
            ValueSpec::Triangular { low, mode, high } => (low + mode + high) / 3.0,
            ValueSpec::Pert { low, mode, high } => (low + 4.0 * mode + high) / 6.0,
            // a + b can overflow (beta(1e308, 1e308)): then b/a cannot.
            ValueSpec::Beta { a, b } if (a + b).is_finite() => a / (a + b),
            ValueSpec::Beta { a, b } => 1.0 / (1.0 + b / a),
            ValueSpec::LogNormal { mean, .. } => mean,
        }
    }
}

/// A number as a message or listing shows it: plainly (`0.08`, `60000`),
/// or in exponent form when that would take dozens of digits (`1e-300`).
pub fn show(x: f64) -> String {
    if x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

impl std::fmt::Display for ValueSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = show;
        match *self {
            ValueSpec::Number(x) => write!(f, "{}", n(x)),
            ValueSpec::Uniform { low, high } => write!(f, "uniform({}, {})", n(low), n(high)),
            ValueSpec::Triangular { low, mode, high } => {
                write!(f, "triangular({}, {}, {})", n(low), n(mode), n(high))
            }
            ValueSpec::Pert { low, mode, high } => {
                write!(f, "pert({}, {}, {})", n(low), n(mode), n(high))
            }
            ValueSpec::Beta { a, b } => write!(f, "beta({}, {})", n(a), n(b)),
            ValueSpec::LogNormal { mean, sd } => write!(f, "lognormal({}, {})", n(mean), n(sd)),
        }
    }
}

/// The largest sd/mean ratio of a `lognormal(mean, sd)`.
pub const MAX_LOGNORMAL_SPREAD: f64 = 1e3;

/// Why a value cell was rejected; the caller adds file and line.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueError {
    pub message: String,
    pub help: Option<String>,
}

fn value_error(message: impl Into<String>, help: Option<String>) -> ValueError {
    ValueError {
        message: message.into(),
        help,
    }
}

/// Why a text is not a usable number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    NotANumber,
    /// Written as a number, but beyond what a 64-bit float holds (`1e400`).
    OutOfRange,
}

/// Reads a plain number, accepting the forms a spreadsheet exports
/// (`60000`, `1e6`, `0.08`, `+5`) but not `inf` or `NaN`, which are never a
/// meaningful assumption. `-0` reads as `0`, so it never shows as `-0`.
pub fn read_number(text: &str) -> Result<f64, NumberError> {
    let t = text.trim();
    if t.is_empty()
        || t.chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return Err(NumberError::NotANumber);
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x + 0.0),
        Ok(_) => Err(NumberError::OutOfRange),
        Err(_) => Err(NumberError::NotANumber),
    }
}

/// Parses a plain number; see [`read_number`].
pub fn parse_number(text: &str) -> Option<f64> {
    read_number(text).ok()
}

const OUT_OF_RANGE_HELP: &str =
    "a number must be at most about 1.8e308 in size (and no input allows more than 1e12)";

/// `1,000` or `12,500.50`: digits in groups of three after a comma.
fn has_thousands_separator(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut groups = t.split(',');
    let lead = groups.next().unwrap_or("");
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let rest: Vec<&str> = groups.collect();
    if !digits(lead) || lead.len() > 3 || lead.starts_with('0') || rest.is_empty() {
        return false;
    }
    rest.iter().enumerate().all(|(i, g)| {
        let (int, frac) = g.split_once('.').unwrap_or((g, ""));
        int.len() == 3 && digits(int) && (frac.is_empty() || (i + 1 == rest.len() && digits(frac)))
    })
}

/// `62%` as the share racesim reads (`0.62`), when `t` is a number with a percent sign:
/// spreadsheets show rates that way, racesim takes them as decimals.
pub fn percent_as_share(t: &str) -> Option<String> {
    let x = read_number(t.trim().strip_suffix('%')?).ok()?;
    Some(format!("{}", x / 100.0))
}

/// The help for a percentage written where a decimal belongs.
pub fn percent_help(share: &str) -> String {
    format!("write `{share}`: racesim takes rates and shares as decimals, not percentages")
}

/// A value that is not a number: explain the likely spreadsheet habit
/// behind it, or list what is allowed.
pub fn not_a_number(t: &str) -> ValueError {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(share) = percent_as_share(t) {
        return value_error(
            format!("`{}` is a percentage", clip(t)),
            Some(percent_help(&share)),
        );
    }
    if has_thousands_separator(t) {
        let plain = t.replace(',', "");
        let decimal = if t.matches(',').count() == 1 && !t.contains('.') {
            format!(
                " (if the comma is a decimal comma, write `{}`)",
                t.replace(',', ".")
            )
        } else {
            String::new()
        };
        return value_error(
            format!("`{t}` has a thousands separator"),
            Some(format!(
                "write `{plain}`: racesim takes numbers without thousands separators{decimal}"
            )),
        );
    }
    if let Some((int, frac)) = t.strip_prefix(['-', '+']).unwrap_or(t).split_once(',')
        && digits(int)
        && digits(frac)
    {
        return value_error(
            format!("`{t}` has a decimal comma"),
            Some(format!(
                "write `{}`: racesim needs a decimal point",
                t.replace(',', ".")
            )),
        );
    }
    value_error(
        format!("`{}` is neither a number nor a distribution", clip(t)),
        Some(
            "allowed: a number, uniform(low, high), triangular(low, mode, high), pert(low, mode, high), beta(a, b), lognormal(mean, sd)"
                .into(),
        ),
    )
}

pub fn parse_value(text: &str) -> Result<ValueSpec, ValueError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(value_error(
            "the value is empty",
            Some(
                "give a number such as `0.08` or a distribution such as `pert(0.9, 1.2, 1.8)`"
                    .into(),
            ),
        ));
    }
    match read_number(t) {
        Ok(x) => return Ok(ValueSpec::Number(x)),
        Err(NumberError::OutOfRange) => {
            return Err(value_error(
                format!("`{}` is out of range", clip(t)),
                Some(OUT_OF_RANGE_HELP.into()),
            ));
        }
        Err(NumberError::NotANumber) => {}
    }
    let Some(open) = t.find('(') else {
        return Err(not_a_number(t));
    };
    if !t.ends_with(')') {
        return Err(match t.find(')') {
            Some(close) => value_error(
                format!(
                    "`{}` has text after its closing parenthesis: `{}`",
                    clip(t),
                    clip(t[close + 1..].trim())
                ),
                Some(format!(
                    "the value is `{}` alone; a remark belongs in the note column",
                    clip(&t[..=close])
                )),
            ),
            None => value_error(
                format!("`{}` is missing its closing parenthesis", clip(t)),
                Some(format!("end it with `)`: `{})`", clip(t))),
            ),
        });
    }
    let name = t[..open].trim().to_ascii_lowercase();
    let inner = &t[open + 1..t.len() - 1];
    let mut args = Vec::new();
    for part in inner.split(',') {
        match read_number(part) {
            Ok(x) => args.push(x),
            Err(e) => {
                let what = match e {
                    NumberError::NotANumber => "is not a number",
                    NumberError::OutOfRange => "is out of range",
                };
                let help = match e {
                    NumberError::OutOfRange => Some(OUT_OF_RANGE_HELP.into()),
                    NumberError::NotANumber => percent_as_share(part).map(|share| {
                        format!(
                            "`{}` is a percentage: {}",
                            part.trim(),
                            percent_help(&share)
                        )
                    }),
                };
                return Err(value_error(
                    format!("`{}` in `{}` {what}", clip(part.trim()), clip(t)),
                    help,
                ));
            }
        }
    }
    let arity = |want: usize, sig: &str| -> Result<(), ValueError> {
        if args.len() == want {
            Ok(())
        } else {
            Err(value_error(
                format!(
                    "{name} takes {want} arguments, `{}` has {}",
                    clip(t),
                    args.len()
                ),
                Some(format!("write {sig}")),
            ))
        }
    };
    let spec = match name.as_str() {
        "uniform" => {
            arity(2, "uniform(low, high)")?;
            ValueSpec::Uniform {
                low: args[0],
                high: args[1],
            }
        }
        "triangular" => {
            arity(3, "triangular(low, mode, high)")?;
            ValueSpec::Triangular {
                low: args[0],
                mode: args[1],
                high: args[2],
            }
        }
        "pert" => {
            arity(3, "pert(low, mode, high)")?;
            ValueSpec::Pert {
                low: args[0],
                mode: args[1],
                high: args[2],
            }
        }
        "beta" => {
            arity(2, "beta(a, b)")?;
            ValueSpec::Beta {
                a: args[0],
                b: args[1],
            }
        }
        "lognormal" => {
            arity(2, "lognormal(mean, sd)")?;
            ValueSpec::LogNormal {
                mean: args[0],
                sd: args[1],
            }
        }
        other => {
            let help = did_you_mean(other, DISTRIBUTION_FORMS.iter().copied())
                .or_else(|| Some(format!("allowed forms: {}", DISTRIBUTION_FORMS.join(", "))));
            return Err(value_error(
                format!("unknown distribution `{}`", clip(other)),
                help,
            ));
        }
    };
    check_parameters(&spec, t)?;
    Ok(spec)
}

fn check_parameters(spec: &ValueSpec, text: &str) -> Result<(), ValueError> {
    let text = &clip(text);
    let fail = |msg: String| Err(value_error(msg, None));
    match *spec {
        ValueSpec::Number(_) => Ok(()),
        ValueSpec::Uniform { low, high } => {
            if low < high {
                Ok(())
            } else {
                Err(value_error(
                    format!("`{text}` needs low < high"),
                    Some(if low == high {
                        format!("for a certain value write the number `{low}`")
                    } else {
                        format!("swap the bounds: uniform({high}, {low})")
                    }),
                ))
            }
        }
        ValueSpec::Triangular { low, mode, high } | ValueSpec::Pert { low, mode, high } => {
            if low >= high {
                fail(format!("`{text}` needs low < high"))
            } else if !(low <= mode && mode <= high) {
                fail(format!("`{text}` needs low <= mode <= high"))
            } else {
                Ok(())
            }
        }
        ValueSpec::Beta { a, b } => {
            if a > 0.0 && b > 0.0 {
                Ok(())
            } else {
                Err(value_error(
                    format!("`{text}` needs a > 0 and b > 0"),
                    Some("from a test with s successes and f failures write beta(s+1, f+1)".into()),
                ))
            }
        }
        ValueSpec::LogNormal { mean, sd } => {
            if !(mean > 0.0 && sd > 0.0) {
                fail(format!("`{text}` needs mean > 0 and sd > 0"))
            } else if sd / mean > MAX_LOGNORMAL_SPREAD {
                Err(value_error(
                    format!(
                        "`{text}` has sd/mean = {:e}, more than racesim allows ({MAX_LOGNORMAL_SPREAD:e})",
                        sd / mean
                    ),
                    Some(format!(
                        "an sd at most {MAX_LOGNORMAL_SPREAD:e} times the mean: beyond it nearly every draw is close to 0 and the mean rests on a few astronomic ones"
                    )),
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// A ready-to-draw assumption: the distribution a row states, which trials
/// draw from and which tracking (spec §9) treats as the prior it updates.
/// Constructed once per scenario so that trials pay only for the draw, not
/// for parameter set-up.
#[derive(Debug, Clone)]
pub enum Prior {
    Constant(f64),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    /// low + (high − low)·Beta(a, b), as spec §2.1 defines Beta-PERT.
    ScaledBeta {
        low: f64,
        width: f64,
        beta: Beta<f64>,
    },
    LogNormal(LogNormal<f64>),
    /// low + (high − low)·Bernoulli(p): the limit of Beta(a, b) as a and
    /// b vanish (all its mass moves to the ends, a share a/(a + b) at the
    /// top), where rand_distr's Beta breaks down (subnormal parameters).
    ScaledBernoulli {
        low: f64,
        width: f64,
        p: f64,
    },
}

/// Beta parameters below this are drawn as their Bernoulli limit: the
/// mass strictly between the ends is then below 1e-290.
const TINY_BETA: f64 = 1e-290;
/// Beta parameters summing beyond this are drawn as their mean: the sd is
/// below 1e-145.
const HUGE_BETA: f64 = 1e290;

/// `low + width·Beta(a, b)`, or its limit where rand_distr's sampler fails
/// (it returns NaN for a + b overflowing, and always 1 for subnormal a, b).
fn scaled_beta(low: f64, width: f64, a: f64, b: f64) -> Option<Prior> {
    let top_share = 1.0 / (1.0 + b / a);
    if a.min(b) < TINY_BETA {
        return Some(Prior::ScaledBernoulli {
            low,
            width,
            p: top_share,
        });
    }
    if (a + b).is_nan() || a + b > HUGE_BETA {
        return Some(Prior::Constant(low + width * top_share));
    }
    Beta::new(a, b)
        .ok()
        .map(|beta| Prior::ScaledBeta { low, width, beta })
}

/// (μ, σ) of the normal behind `lognormal(mean, sd)`, whose own mean and
/// sd are the given ones: σ² = ln(1 + (sd/mean)²), μ = ln mean − σ²/2. A
/// tiny ratio would lose the spread to rounding (1 + r² == 1) and a huge
/// one overflow the square, so those get forms of their own; the common
/// range keeps the plain formula, bit for bit (baselines).
pub fn lognormal_log_params(mean: f64, sd: f64) -> (f64, f64) {
    let r = sd / mean;
    let sigma2 = if r < 1e-3 {
        (r * r).ln_1p()
    } else if r < 1e150 {
        (1.0 + r * r).ln()
    } else {
        2.0 * r.ln() + (1.0 / (r * r)).ln_1p()
    };
    (mean.ln() - sigma2 / 2.0, sigma2.sqrt())
}

impl Prior {
    pub fn new(spec: &ValueSpec) -> Prior {
        // Parameters were checked by `parse_value`, so construction cannot fail;
        // fall back to the mean rather than panic if that ever changes.
        let built = match *spec {
            ValueSpec::Number(x) => Some(Prior::Constant(x)),
            ValueSpec::Uniform { low, high } => {
                Uniform::new_inclusive(low, high).ok().map(Prior::Uniform)
            }
            ValueSpec::Triangular { low, mode, high } => {
                Triangular::new(low, high, mode).ok().map(Prior::Triangular)
            }
            ValueSpec::Pert { low, mode, high } => {
                let width = high - low;
                let a = 1.0 + 4.0 * (mode - low) / width;
                let b = 1.0 + 4.0 * (high - mode) / width;
                scaled_beta(low, width, a, b)
            }
            ValueSpec::Beta { a, b } => scaled_beta(0.0, 1.0, a, b),
            ValueSpec::LogNormal { mean, sd } => {
                let (mu, sigma) = lognormal_log_params(mean, sd);
                LogNormal::new(mu, sigma).ok().map(Prior::LogNormal)
            }
        };
        built.unwrap_or(Prior::Constant(spec.mean()))
    }

    pub fn is_constant(&self) -> bool {
        matches!(self, Prior::Constant(_))
    }

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Prior::Constant(x) => *x,
            Prior::Uniform(d) => d.sample(rng),
            Prior::Triangular(d) => d.sample(rng),
            Prior::ScaledBeta { low, width, beta } => low + width * beta.sample(rng),
            Prior::LogNormal(d) => d.sample(rng),
            Prior::ScaledBernoulli { low, width, p } => {
                let top = rng.random::<f64>() < *p;
                low + if top { *width } else { 0.0 }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_and_forms() {
        assert_eq!(parse_value(" 1e6 ").unwrap(), ValueSpec::Number(1e6));
        assert_eq!(
            parse_value("PERT(0.9, 1.2, 1.8)").unwrap(),
            ValueSpec::Pert {
                low: 0.9,
                mode: 1.2,
                high: 1.8
            }
        );
        assert!(parse_value("inf").is_err());
        assert!(parse_value("NaN").is_err());
    }

    #[test]
    fn lognormal_keeps_its_spread_at_extreme_ratios() {
        use rand::SeedableRng;
        // (sd/mean)² overflows for this ratio; the shape must not collapse
        // into the constant mean.
        let wide = Prior::new(&ValueSpec::LogNormal {
            mean: 1.0,
            sd: 1e200,
        });
        assert!(!wide.is_constant());
        // 1 + (sd/mean)² rounds to 1 here; the spread must survive too.
        let narrow = Prior::new(&ValueSpec::LogNormal {
            mean: 1.0,
            sd: 1e-9,
        });
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let draws: Vec<f64> = (0..1000).map(|_| narrow.sample(&mut rng)).collect();
        let mean = draws.iter().sum::<f64>() / 1000.0;
        let sd = (draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 999.0).sqrt();
        assert!((mean - 1.0).abs() < 1e-9, "{mean}");
        assert!(sd > 0.5e-9 && sd < 2e-9, "{sd}");
    }

    #[test]
    fn shows_extreme_numbers_compactly() {
        assert_eq!(show(60000.0), "60000");
        assert_eq!(show(0.08), "0.08");
        assert_eq!(show(1e-300), "1e-300");
        assert_eq!(show(1.7e308), "1.7e308");
        assert_eq!(parse_value("-0").unwrap().to_string(), "0");
    }

    #[test]
    fn rejects_bad_parameters_with_help() {
        let e = parse_value("uniform(2, 1)").unwrap_err();
        assert!(e.message.contains("low < high"));
        let e = parse_value("pert(1, 3, 2)").unwrap_err();
        assert!(e.message.contains("mode"));
        let e = parse_value("beta(0, 3)").unwrap_err();
        assert!(e.help.unwrap().contains("s+1"));
        let e = parse_value("normal(1, 2)").unwrap_err();
        assert!(e.message.contains("unknown distribution"));
        let e = parse_value("lognromal(1, 2)").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `lognormal`?"));
        let e = parse_value("pert(1, 2)").unwrap_err();
        assert!(e.message.contains("takes 3 arguments"));
    }
}
