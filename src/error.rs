//! Errors and the process exit codes they map to.
//!
//! Exit codes are part of racesim's public interface (CI pipelines branch on
//! them), so they live here as documented constants rather than as literals
//! scattered through the commands.

use std::fmt;
use std::path::PathBuf;

/// Everything ran and every gate and check passed.
pub const EXIT_OK: i32 = 0;
/// The run worked but a gate failed or a regression check found a change.
pub const EXIT_CHECK_FAILED: i32 = 1;
/// The input (scenario, plans, command line) is invalid.
pub const EXIT_INPUT: i32 = 2;
/// racesim could not do its job for another reason (I/O, internal error).
pub const EXIT_FAILURE: i32 = 3;
/// Ctrl-C stopped the command (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = crate::interrupt::EXIT_INTERRUPTED;

/// Standard output is written only through error-handled writes
/// (`output::emit`), never `print!`, which panics when the write fails.
///
/// A *broken pipe* means the reader went away before racesim finished
/// writing, as in `racesim validate big.csv | head -1`: the reader got what
/// it asked for, so racesim stops quietly with [`EXIT_OK`], like other Unix
/// tools. Any other write error (a full disk, `> /dev/full`) is a failure:
/// racesim says so on stderr and exits with [`EXIT_FAILURE`].
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// One problem found in an input file, located precisely enough that a
/// planner can fix it without reading racesim's source.
#[derive(Debug, Clone, PartialEq)]
pub struct InputProblem {
    pub line: Option<u64>,
    pub message: String,
    /// What is allowed, or a suggestion such as "did you mean `cost_per_visit`?".
    pub help: Option<String>,
}

impl InputProblem {
    pub fn at(line: u64, message: impl Into<String>) -> Self {
        InputProblem {
            line: Some(line),
            message: message.into(),
            help: None,
        }
    }

    pub fn whole_file(message: impl Into<String>) -> Self {
        InputProblem {
            line: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

/// The most characters of an offending value that a message quotes.
pub const CLIP_CHARS: usize = 80;

/// `text` as an error message quotes it: whole when short, else its first
/// characters and how long it really is, so a runaway cell (a whole file
/// pasted into one field) does not flood the terminal. Control characters
/// are escaped (`\u{1b}`), so a name holding an ANSI escape sequence cannot
/// recolour or rewrite the user's terminal.
pub fn clip(text: &str) -> String {
    let n = text.chars().count();
    let shown = if n <= CLIP_CHARS { n } else { CLIP_CHARS - 20 };
    let mut head = String::with_capacity(text.len().min(4 * CLIP_CHARS));
    for c in text.chars().take(shown) {
        if c.is_control() {
            head.extend(c.escape_default());
        } else {
            head.push(c);
        }
    }
    if n <= CLIP_CHARS {
        head
    } else {
        format!("{head}… ({n} characters)")
    }
}

/// Names as a help text lists them: the first `LISTED_PROBLEMS`, each
/// clipped, then how many more, so a file with 100,000 channels does not
/// make one hint 100,000 names long.
pub fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut shown: Vec<String> = Vec::new();
    let mut more = 0usize;
    for name in names {
        if shown.len() < LISTED_PROBLEMS {
            shown.push(clip(name));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        shown.push(format!("and {more} more"));
    }
    shown.join(", ")
}

/// The most problems of one file an error lists; the rest are counted.
pub const LISTED_PROBLEMS: usize = 20;

/// All problems found in one input file. Reporting them together saves the
/// planner a fix-rerun loop per typo.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: PathBuf,
    pub problems: Vec<InputProblem>,
}

impl InputError {
    pub fn single(file: impl Into<PathBuf>, problem: InputProblem) -> Self {
        InputError {
            file: file.into(),
            problems: vec![problem],
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        if n > 1 {
            writeln!(f, "{} problems in {}:", n, self.file.display())?;
        }
        for (i, p) in self.problems.iter().enumerate().take(LISTED_PROBLEMS) {
            if i > 0 {
                writeln!(f)?;
            }
            match p.line {
                Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, p.message)?,
                None => write!(f, "{}: {}", self.file.display(), p.message)?,
            }
            if let Some(h) = &p.help {
                write!(f, "\n  help: {h}")?;
            }
        }
        if n > LISTED_PROBLEMS {
            write!(
                f,
                "\nand {} more problems in {}",
                n - LISTED_PROBLEMS,
                self.file.display()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// A command-line value that parsed but makes no sense together with the
/// rest (for example `--threads 0`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The scenario makes some count grow past anything real (a referral cycle
/// that feeds itself, or spend buying more visits than people exist), so
/// the run's numbers would be meaningless. The run stops at the first such
/// trial rather than simulating the rest for nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{scenario}: in trial {trial} (plan `{plan}`) a count of people or orders passed {max:.1e}, so the forecast is meaningless; the run stopped there{cycle}\n  help: the referral cycle grows without bound (referral_rate × act.rate × convert.rate × customer lifetime ≥ 1), or repeat_rate or spend / cost_per_visit implies more orders or visits than can exist; check referral_rate, repeat_rate and the reach rows"
)]
pub struct RunawayError {
    pub scenario: String,
    pub trial: u64,
    pub plan: String,
    pub max: f64,
    /// The referral cycle in this trial (`scenario::cycle`): what one
    /// referred customer brings in and the rows behind it, as lines to
    /// append; empty without referrals.
    pub cycle: String,
}

/// A trial gave NaN or an infinity for a metric that is always defined
/// (money, counts). Such a value would poison every mean, percentile, gate
/// and baseline downstream, so the run stops and names the trial's
/// assumption draws, which are what a planner can look at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{scenario}: {metric} is {value} in trial {trial} (plan `{plan}`), so no statistic of this run can be trusted; the run stopped there\n  the trial's assumption draws: {draws}\n  help: an assumption at the edge of its domain gives a number racesim cannot represent; move the extreme values above towards ordinary ones"
)]
pub struct NonFiniteError {
    pub scenario: String,
    pub metric: &'static str,
    pub value: f64,
    pub trial: u64,
    pub plan: String,
    /// `line N stage,channel,metric = value`, joined (already capped).
    pub draws: String,
}

/// Ctrl-C stopped a simulation; nothing was written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("interrupted after {done} of {total} trials; no output was written")]
pub struct Interrupted {
    pub done: u64,
    pub total: u64,
}

/// Why a guarded simulation stopped before its last trial.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Halt {
    #[error(transparent)]
    Runaway(#[from] RunawayError),
    #[error(transparent)]
    NonFinite(#[from] NonFiniteError),
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

impl Halt {
    /// The trial it happened in: of two halts, the run reports the earlier,
    /// which does not depend on the thread count.
    pub fn trial(&self) -> u64 {
        match self {
            Halt::Runaway(e) => e.trial,
            Halt::NonFinite(e) => e.trial,
            Halt::Interrupted(e) => e.done,
        }
    }
}

/// Every error a command can end with. The exit code is an exhaustive
/// `match` on it: a new kind of error has to be added here, with its code,
/// before a command can return it with `?`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Halt(#[from] Halt),
    /// I/O, and anything else racesim could not do (with its context).
    #[error(transparent)]
    Failure(#[from] anyhow::Error),
}

/// Errors of the libraries racesim writes with: racesim could not do its
/// job (an unwritable file, a closed pipe), never a problem with the input.
macro_rules! failures {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::Failure(e.into())
            }
        }
    )*};
}
failures!(
    std::io::Error,
    serde_json::Error,
    csv::Error,
    std::string::FromUtf8Error
);

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Halt(Halt::Interrupted(_)) => EXIT_INTERRUPTED,
            Error::Input(_)
            | Error::Usage(_)
            | Error::Halt(Halt::Runaway(_) | Halt::NonFinite(_)) => EXIT_INPUT,
            Error::Failure(e) if is_broken_pipe(e) => EXIT_OK,
            Error::Failure(_) => EXIT_FAILURE,
        }
    }

    /// The message as racesim prints it, with the causes behind it.
    pub fn describe(&self) -> String {
        let mut s = self.to_string();
        if let Error::Failure(e) = self {
            for cause in e.chain().skip(1) {
                s.push_str(&format!("\n  caused by: {cause}"));
            }
        }
        s
    }

    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Failure(e) if is_broken_pipe(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_escapes_control_characters_and_shortens_long_values() {
        assert_eq!(clip("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(clip("tab\there"), "tab\\there");
        assert_eq!(clip("rеach"), "rеach");
        let long = "x".repeat(10_000);
        assert_eq!(
            clip(&long),
            format!("{}… (10000 characters)", "x".repeat(60))
        );
    }

    #[test]
    fn a_flood_of_problems_lists_the_first_twenty_then_counts_the_rest() {
        let error = InputError {
            file: "s.csv".into(),
            problems: (1..=100_000)
                .map(|line| InputProblem::at(line, "duplicate row"))
                .collect(),
        };
        let text = error.to_string();
        assert!(text.starts_with("100000 problems in s.csv:"), "{text}");
        assert!(text.contains("s.csv:20: duplicate row"), "{text}");
        assert!(!text.contains("s.csv:21: "), "{text}");
        assert!(text.ends_with("and 99980 more problems in s.csv"), "{text}");
        assert!(text.len() < 2000, "{} bytes", text.len());
        let names: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
        let listed = list(names.iter().map(String::as_str));
        assert!(listed.ends_with("c19, and 99980 more"), "{listed}");
    }

    #[test]
    fn every_kind_of_error_has_its_documented_exit_code() {
        let input = InputError::single("s.csv", InputProblem::at(3, "bad value"));
        assert_eq!(Error::from(input).exit_code(), EXIT_INPUT);
        assert_eq!(
            Error::from(UsageError("--z".into())).exit_code(),
            EXIT_INPUT
        );
        let runaway = RunawayError {
            scenario: "s.csv".into(),
            trial: 1,
            plan: "baseline".into(),
            max: 1e15,
            cycle: String::new(),
        };
        assert_eq!(Error::from(Halt::from(runaway)).exit_code(), EXIT_INPUT);
        let full = std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full");
        assert_eq!(Error::from(full).exit_code(), EXIT_FAILURE);
        let pipe = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "reader went away");
        let wrapped = Error::from(anyhow::Error::from(pipe).context("writing the table"));
        assert!(wrapped.is_broken_pipe());
        assert_eq!(wrapped.exit_code(), EXIT_OK);
        assert!(wrapped.describe().contains("caused by: reader went away"));
    }
}
