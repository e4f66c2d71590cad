//! Reading a scenario CSV: tolerant of what spreadsheets and editors produce
//! (BOM, CRLF, comments, padding, quoted numbers, any column order, any
//! case), strict about meaning, and never content with a vague error.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::inputs::{CHANNEL_INPUTS, Input, PLAN_INPUTS, Stage};
use super::table::{TableSpec, read_table};
use super::target::{Target, TargetMetric, parse_comparison};
use super::value::{Prior, ValueSpec, parse_value};
use super::{
    Assumption, ByMonth, Channel, MonthOverride, Param, REFERRAL, Resolved, Scenario, Source,
    fingerprint,
};
use crate::error::{InputError, InputProblem, clip};
use crate::metrics::{PerChannel, Total, channel_names, total_names};
use crate::suggest::{closest, did_you_mean};

const COLUMNS: [&str; 5] = ["stage", "channel", "metric", "value", "note"];

/// The metrics that take month overrides `metric@K` (spec §2.4).
const OVERRIDABLE: [Input; 4] = [
    Input::Spend,
    Input::CostPerVisit,
    Input::ActRate,
    Input::ConvertRate,
];
const OVERRIDABLE_NAMES: &str = "reach.spend, reach.cost_per_visit, act.rate and convert.rate";

/// The month of `metric@K`, or why it is not one. Whether it falls inside
/// the horizon is checked once the horizon is known.
fn parse_month(text: &str) -> Result<usize, String> {
    if text.is_empty() {
        return Err("no month after `@`".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{}` after `@`, which is not a month number",
            clip(text)
        ));
    }
    match text.parse::<usize>() {
        Ok(0) => Err("month 0, but months count from 1 (the campaign's first month)".into()),
        Ok(k) => Ok(k),
        Err(_) => Err(format!(
            "month `{}`, which is far beyond any horizon",
            clip(text)
        )),
    }
}

pub fn load(path: &Path) -> Result<Scenario, InputError> {
    if super::workbook::is_workbook(path) {
        return load_workbook(path);
    }
    let bytes = crate::input::read(path).map_err(|e| {
        InputError::single(
            path,
            InputProblem::whole_file(format!("cannot read the scenario: {e}")),
        )
    })?;
    from_bytes(path, &bytes)
}

/// A scenario from a file's bytes (`path` names it in errors): what `load`
/// reads, and what `racesim merge` reads back from a partial result.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Scenario, InputError> {
    let text = decode_utf8(path, bytes)?;
    parse_str(path, text).map(|mut s| {
        s.input_hash = format!("{:016x}", fingerprint(bytes));
        s
    })
}

/// A scenario kept in a workbook: its sheet read as the CSV it stands for.
/// The input hash is that text's, so saving the workbook again without
/// changing a value keeps it.
fn load_workbook(path: &Path) -> Result<Scenario, InputError> {
    let sheet = super::workbook::read_sheet(path, super::workbook::Table::Scenario)?;
    let mut scenario = from_sheet(path, &sheet.text, &sheet.name).map_err(|e| sheet.locate(e))?;
    scenario.warnings = std::mem::take(&mut scenario.warnings)
        .into_iter()
        .map(|w| sheet.locate_problem(w))
        .collect();
    Ok(scenario)
}

/// A scenario from the CSV text of a workbook's sheet `sheet`: what `load`
/// reads from a workbook, and what `racesim merge` reads back from the
/// partial result of one.
pub fn from_sheet(path: &Path, text: &str, sheet: &str) -> Result<Scenario, InputError> {
    let mut scenario = parse_str(path, text)?;
    scenario.input_hash = format!("{:016x}", fingerprint(text.as_bytes()));
    scenario.sheet = Some(sheet.to_string());
    Ok(scenario)
}

/// UTF-8 without BOM, or an error naming the line of the first bad byte.
pub fn decode_utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        // A line ends at `\n`, or at a `\r` not followed by one (old Mac).
        let before = &bytes[..e.valid_up_to()];
        let line = 1 + before
            .iter()
            .enumerate()
            .filter(|&(i, b)| *b == b'\n' || (*b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .count() as u64;
        InputError::single(
            path,
            InputProblem::at(line, "the file is not valid UTF-8 text")
                .help("save it as UTF-8 (in Excel: CSV UTF-8)"),
        )
    })
}

/// The raw cells of one data row.
struct Row {
    line: u64,
    stage: String,
    channel: String,
    metric: String,
    value: String,
    note: String,
}

fn valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

pub fn parse_str(path: &Path, text: &str) -> Result<Scenario, InputError> {
    let table = read_table(
        path,
        text,
        &TableSpec {
            columns: &COLUMNS,
            required: &COLUMNS[..4],
            number_column: "value",
        },
    )?;
    let rows: Vec<Row> = table
        .into_iter()
        .map(|(line, mut f)| Row {
            line,
            note: std::mem::take(&mut f[4]),
            value: std::mem::take(&mut f[3]),
            metric: f[2].to_ascii_lowercase(),
            channel: f[1].to_ascii_lowercase(),
            stage: f[0].to_ascii_lowercase(),
        })
        .collect();
    Builder::new(path).build(rows)
}

/// The scenario's months, as channels need them resolved.
#[derive(Clone, Copy)]
struct Months {
    horizon: usize,
    campaign: usize,
}

struct TargetRow {
    line: u64,
    channel: String,
    metric: String,
    op: super::Op,
    value: f64,
    required: Option<f64>,
    note: String,
}

/// 2^53: from here on, not every whole number has an exact f64.
const F64_EXACT: f64 = 9_007_199_254_740_992.0;

struct Builder<'p> {
    path: &'p Path,
    problems: Vec<InputProblem>,
    /// Things worth a look that do not stop the run.
    warnings: Vec<InputProblem>,
    assumptions: Vec<Assumption>,
    targets: Vec<TargetRow>,
    /// Channel names in order of first appearance.
    channel_order: Vec<String>,
    /// The lines of the rows (targets aside) naming each channel.
    channel_lines: HashMap<String, Vec<u64>>,
    /// Channels named by some `reach` row, valid or not.
    reached: HashSet<String>,
    /// (stage, channel, metric) → line, to catch duplicates.
    seen: HashMap<(Stage, String, String), u64>,
    /// (input, channel or `*`) → index into `assumptions`.
    index: HashMap<(Input, String), usize>,
    /// (input, channel or `*`) → its month override rows (month, index
    /// into `assumptions`), in file order.
    overrides: HashMap<(Input, String), Vec<(usize, usize)>>,
    /// Rows of a known metric whose value was rejected: the problem is
    /// already reported, so the metric is not also reported missing.
    rejected: HashSet<(Input, String)>,
    /// `plan,*,seed` read from its digits, exact beyond 2^53.
    exact_seed: Option<u64>,
    /// Whether the file names more than `MAX_CHANNELS` channels (said once).
    too_many_channels: bool,
}

/// The most channels a scenario simulates (besides `referral`). Each channel keeps eleven
/// statistics per plan, and a run's time and memory grow with channels × plans; the
/// measured figures behind this are in docs/reliability.md ("Limits").
pub const MAX_CHANNELS: usize = 1_000;

impl<'p> Builder<'p> {
    fn new(path: &'p Path) -> Self {
        Builder {
            path,
            problems: Vec::new(),
            warnings: Vec::new(),
            assumptions: Vec::new(),
            targets: Vec::new(),
            channel_order: Vec::new(),
            channel_lines: HashMap::new(),
            reached: HashSet::new(),
            seen: HashMap::new(),
            index: HashMap::new(),
            overrides: HashMap::new(),
            rejected: HashSet::new(),
            exact_seed: None,
            too_many_channels: false,
        }
    }

    /// Whether `referral` is among `channel_order` (it does not count towards
    /// `MAX_CHANNELS`).
    fn names_referral(&self) -> bool {
        self.channel_lines.contains_key(REFERRAL)
    }

    fn problem(&mut self, p: InputProblem) {
        self.problems.push(p);
    }

    fn build(mut self, rows: Vec<Row>) -> Result<Scenario, InputError> {
        for row in rows {
            self.row(row);
        }
        let scenario = self.resolve();
        if self.problems.is_empty() {
            Ok(scenario)
        } else {
            self.problems.sort_by_key(|p| p.line.unwrap_or(u64::MAX));
            Err(InputError {
                file: self.path.to_path_buf(),
                problems: self.problems,
            })
        }
    }

    fn row(&mut self, row: Row) {
        let line = row.line;
        let Some(stage) = Stage::from_name(&row.stage) else {
            let help = did_you_mean(&row.stage, Stage::ALL.iter().map(|s| s.name()))
                .unwrap_or_else(|| "stages: plan, reach, act, convert, engage, target".into());
            self.problem(
                InputProblem::at(line, format!("unknown stage `{}`", clip(&row.stage))).help(help),
            );
            return;
        };
        let channel = row.channel.clone();
        if channel != "*" {
            if !valid_channel_name(&channel) {
                self.problem(
                    InputProblem::at(
                        line,
                        format!("`{}` is not a valid channel name", clip(&row.channel)),
                    )
                    .help(
                        "use `*` or lowercase letters, digits, `_` and `-`, such as `paid_search`",
                    ),
                );
                return;
            }
            if stage == Stage::Plan {
                self.problem(
                    InputProblem::at(
                        line,
                        format!(
                            "plan rows apply to the whole scenario, not to channel `{channel}`"
                        ),
                    )
                    .help("write `*` in the channel column"),
                );
                return;
            }
            if channel == REFERRAL && stage == Stage::Reach {
                self.problem(
                    InputProblem::at(line, "the built-in `referral` channel takes no reach rows")
                        .help("referred visitors come from customers' referral_rate (an engage metric), not from spend"),
                );
                return;
            }
            // Targets only refer to channels; the other stages create them.
            if stage != Stage::Target {
                let paid_channels = self.channel_order.len() - usize::from(self.names_referral());
                match self.channel_lines.get_mut(&channel) {
                    Some(lines) => lines.push(line),
                    None if channel != REFERRAL && paid_channels >= MAX_CHANNELS => {
                        // Said once, at the first channel too many; the channels after it
                        // are left out so that a huge file fails fast.
                        if !self.too_many_channels {
                            self.too_many_channels = true;
                            self.problem(
                                InputProblem::at(
                                    line,
                                    format!(
                                        "channel `{}` is channel {} of the scenario: a scenario simulates at most {MAX_CHANNELS} channels",
                                        clip(&channel),
                                        MAX_CHANNELS + 1
                                    ),
                                )
                                .help("merge small channels into groups (for instance by network or region), or split the scenario; see \"Limits\" in docs/reliability.md"),
                            );
                        }
                        return;
                    }
                    None => {
                        self.channel_order.push(channel.clone());
                        self.channel_lines.insert(channel.clone(), vec![line]);
                    }
                }
                if stage == Stage::Reach {
                    self.reached.insert(channel.clone());
                }
            }
        }
        // One metric may carry several targets (`profit > 0` and `profit >= 50000`, spec §2):
        // `target_row` refuses only the same comparison twice.
        if stage == Stage::Target {
            self.target_row(row);
            return;
        }
        // `metric@K` (spec §2.4): the same metric, in month K only. A
        // month written `@03` is month 3, so it is keyed as `@3`.
        let (metric, month_text) = match row.metric.split_once('@') {
            Some((base, k)) => (base.to_string(), Some(k.to_string())),
            None => (row.metric.clone(), None),
        };
        let month = month_text.as_deref().map(parse_month);
        let key_metric = match &month {
            Some(Ok(k)) => format!("{metric}@{k}"),
            _ => row.metric.clone(),
        };
        let key = (stage, channel.clone(), key_metric);
        if let Some(first) = self.seen.get(&key) {
            self.problem(
                InputProblem::at(
                    line,
                    format!(
                        "{}.{} for `{}` is given twice (first on line {first})",
                        stage.name(),
                        clip(&row.metric),
                        channel
                    ),
                )
                .help("keep one row; a named channel row already overrides the `*` row"),
            );
            return;
        }
        self.seen.insert(key, line);

        let Some(input) = Input::lookup(stage, &metric) else {
            let elsewhere = Input::stages_with(&metric);
            let help = if !elsewhere.is_empty() {
                Some(format!(
                    "`{}` is a metric of stage {}",
                    metric,
                    elsewhere.join(" and ")
                ))
            } else {
                did_you_mean(&metric, Input::names_for(stage)).or_else(|| {
                    Some(format!(
                        "{} metrics: {}",
                        stage.name(),
                        Input::names_for(stage).collect::<Vec<_>>().join(", ")
                    ))
                })
            };
            self.problem(
                InputProblem::at(
                    line,
                    format!("unknown {} metric `{}`", stage.name(), clip(&row.metric)),
                )
                .help_opt(help),
            );
            return;
        };
        let def = input.def();
        let month = match month {
            None => None,
            Some(_) if !OVERRIDABLE.contains(&input) => {
                self.rejected.insert((input, channel.clone()));
                self.problem(
                    InputProblem::at(
                        line,
                        format!(
                            "{}.{} takes no month override (`{}`)",
                            stage.name(),
                            def.name,
                            clip(&row.metric)
                        ),
                    )
                    .help(format!(
                        "month overrides `metric@K` are allowed for {}; write `{}` for every month",
                        OVERRIDABLE_NAMES, def.name
                    )),
                );
                return;
            }
            Some(Err(why)) => {
                self.rejected.insert((input, channel.clone()));
                self.problem(
                    InputProblem::at(
                        line,
                        format!(
                            "`{}` has {why}",
                            clip(&row.metric)
                        ),
                    )
                    .help(format!(
                        "write the month as a whole number from 1 to horizon_months after `@`, such as `{}@3` for month 3 of the campaign",
                        def.name
                    )),
                );
                return;
            }
            Some(Ok(k)) => Some(k),
        };
        let shown = match month {
            Some(k) => format!("{}@{k}", def.name),
            None => def.name.to_string(),
        };
        if input == Input::Seed {
            // A seed past 2^53 has no exact f64: keep its digits.
            match row.value.trim().parse::<u64>() {
                Ok(seed) => self.exact_seed = Some(seed),
                Err(_)
                    if parse_value(&row.value)
                        .is_ok_and(|v| v.is_number() && v.support().low >= F64_EXACT) =>
                {
                    self.rejected.insert((input, channel.clone()));
                    self.problem(
                        InputProblem::at(
                            line,
                            format!(
                                "plan.seed = `{}` is not a whole number racesim can use exactly",
                                clip(&row.value)
                            ),
                        )
                        .help(format!(
                            "write the seed in plain digits, from 0 to {}",
                            u64::MAX
                        )),
                    );
                    return;
                }
                Err(_) => {}
            }
        }
        let spec = match parse_value(&row.value) {
            Ok(s) => s,
            Err(e) => {
                self.rejected.insert((input, channel.clone()));
                self.problem(
                    InputProblem::at(line, format!("{}.{}: {}", stage.name(), shown, e.message))
                        .help_opt(e.help),
                );
                return;
            }
        };
        if def.fixed && !spec.is_number() {
            self.rejected.insert((input, channel.clone()));
            self.problem(
                InputProblem::at(
                    line,
                    format!(
                        "{}.{} must be a plain number, not `{}`",
                        stage.name(),
                        shown,
                        clip(&row.value)
                    ),
                )
                .help(format!(
                    "{} is fixed, not uncertain: write {}",
                    def.name,
                    def.domain.describe()
                )),
            );
            return;
        }
        if !def.domain.contains(&spec) {
            self.rejected.insert((input, channel.clone()));
            let what = if spec.is_number() {
                "the value"
            } else {
                "the distribution's range"
            };
            let s = spec.support();
            let range = if let (ValueSpec::LogNormal { mean, .. }, super::Domain::Money { .. }) =
                (&spec, def.domain)
            {
                // Its tail is allowed; only its mean can be too large.
                format!(" (mean {mean:e})")
            } else if spec.is_number() {
                String::new()
            } else {
                format!(
                    " ({}{}, {}{})",
                    if s.low_open { "(" } else { "[" },
                    super::value::show(s.low),
                    super::value::show(s.high),
                    if s.high_open { ")" } else { "]" }
                )
            };
            let mut p = InputProblem::at(
                line,
                format!(
                    "{}.{} = `{}`: {what}{range} is outside the allowed domain",
                    stage.name(),
                    shown,
                    clip(&row.value)
                ),
            )
            .help(format!("{} must be {}", def.name, def.domain.describe()));
            if matches!(spec, ValueSpec::LogNormal { .. })
                && matches!(def.domain, super::Domain::Money { .. })
            {
                p = p.help(format!(
                    "{} must be {}; a lognormal may have a longer tail, but its mean must be at most {:e}",
                    def.name,
                    def.domain.describe(),
                    super::MAX_MONEY
                ));
            }
            if matches!(spec, ValueSpec::LogNormal { .. }) && def.domain == super::Domain::Rate {
                p = p.help("a rate must stay in [0, 1]: use beta(a, b) or pert(low, mode, high) instead of lognormal");
            }
            self.problem(p);
            return;
        }
        // A month row gets a stream of its own, so adding one leaves every
        // other row's draws where they were.
        let metric_key = match month {
            Some(k) => format!("{}@{k}", def.name),
            None => def.name.to_string(),
        };
        let stream_key =
            fingerprint(format!("{}/{}/{}", stage.name(), channel, metric_key).as_bytes());
        match month {
            Some(k) => self
                .overrides
                .entry((input, channel.clone()))
                .or_default()
                .push((k, self.assumptions.len())),
            None => {
                self.index
                    .insert((input, channel.clone()), self.assumptions.len());
            }
        }
        self.assumptions.push(Assumption {
            line,
            stage,
            channel,
            input,
            prior: Prior::new(&spec),
            spec,
            note: row.note,
            stream_key,
            month,
        });
    }

    fn target_row(&mut self, row: Row) {
        let line = row.line;
        let known: Box<dyn Iterator<Item = &str>> = if row.channel == "*" {
            Box::new(total_names())
        } else {
            Box::new(channel_names())
        };
        let known: Vec<&str> = known.collect();
        if !known.contains(&row.metric.as_str()) {
            let scope = if row.channel == "*" {
                "total"
            } else {
                "per-channel"
            };
            let help = did_you_mean(&row.metric, known.iter().copied())
                .unwrap_or_else(|| format!("{scope} output metrics: {}", known.join(", ")));
            self.problem(
                InputProblem::at(
                    line,
                    format!("unknown {scope} target metric `{}`", clip(&row.metric)),
                )
                .help(help),
            );
            return;
        }
        let (op, value, required) = match parse_comparison(&row.value) {
            Ok(parsed) => parsed,
            Err(msg) => return self.problem(InputProblem::at(line, msg)),
        };
        let same = |t: &&TargetRow| {
            t.channel == row.channel && t.metric == row.metric && t.op == op && t.value == value
        };
        if let Some(first) = self.targets.iter().find(same) {
            let subject = if row.channel == "*" {
                row.metric.clone()
            } else {
                format!("{}.{}", row.channel, row.metric)
            };
            let first = first.line;
            self.problem(
                InputProblem::at(
                    line,
                    format!(
                        "target `{subject} {} {value}` is given twice (first on line {first})",
                        op.symbol()
                    ),
                )
                .help("keep one row; targets on one metric must differ in comparison or value"),
            );
            return;
        }
        self.targets.push(TargetRow {
            line,
            channel: row.channel,
            metric: row.metric,
            op,
            value,
            required,
            note: row.note,
        });
    }

    /// The row that gives `input` for `channel`: its own, else the `*` one.
    fn lookup(&self, input: Input, channel: &str) -> Option<(usize, bool)> {
        let find = |ch: &str| self.index.get(&(input, ch.to_string())).copied();
        find(channel)
            .map(|i| (i, true))
            .or_else(|| find("*").map(|i| (i, false)))
    }

    /// The channel's own row giving `input`, if any.
    fn lookup_own(&self, input: Input, channel: &str) -> Option<usize> {
        self.index.get(&(input, channel.to_string())).copied()
    }

    /// Was a row giving `input` to `channel` (its own or `*`) rejected?
    fn rejected_for(&self, input: Input, channel: &str) -> bool {
        self.rejected.contains(&(input, channel.to_string()))
            || self.rejected.contains(&(input, "*".to_string()))
    }

    /// Channels that no reach row names (the built-in `referral` aside):
    /// they never get visitors, so their rows can have no effect. Spec §2
    /// says such a channel exists (it is listed, with zeros), so it is a
    /// warning; but one that is a letter or two away from a channel with
    /// reach rows is almost certainly that channel misspelt, whose own rows
    /// then silently fell back to `*`, so that is an error. Returns the
    /// intended name of each misspelt one.
    fn dead_channels(&mut self) -> HashMap<String, String> {
        let live: Vec<&str> = self
            .channel_order
            .iter()
            .filter(|n| self.reached.contains(*n))
            .map(String::as_str)
            .chain([REFERRAL])
            .collect();
        let dead: Vec<&String> = self
            .channel_order
            .iter()
            .filter(|n| *n != REFERRAL && !self.reached.contains(*n))
            .collect();
        // Suggestions compare names pairwise: bound the work, so that a
        // generated file with thousands of channels still loads at once.
        let mut budget: usize = 4_000_000;
        let mut intended = HashMap::new();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for name in dead {
            let near = if budget >= live.len() {
                budget -= live.len();
                closest(name, live.iter().copied())
            } else {
                None
            };
            let misspelt = near.filter(|n| is_misspelling(name, n));
            let lines = &self.channel_lines[name];
            let also = match lines.len() {
                1 => String::new(),
                2..=6 => format!(
                    " (it is also named on lines {})",
                    lines[1..]
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                n => format!(" (it is also named on {} more lines)", n - 1),
            };
            let message = format!(
                "channel `{name}` has no reach rows, so it never has visitors and its rows have no effect{also}"
            );
            let keep = format!(
                "to keep `{name}` as a channel without spend on purpose (for a plan to fund), add the row `reach,{name},spend,0`"
            );
            match misspelt {
                Some(n) => {
                    intended.insert(name.clone(), n.to_string());
                    problems.push(
                        InputProblem::at(lines[0], message).help(format!("did you mean `{n}`?")),
                    );
                }
                None => {
                    let help = match near {
                        Some(n) => format!("did you mean `{n}`? If not, {keep}"),
                        None => keep,
                    };
                    warnings.push(InputProblem::at(lines[0], message).help(help));
                }
            }
        }
        self.problems.append(&mut problems);
        self.warnings.append(&mut warnings);
        intended
    }

    fn resolve(&mut self) -> Scenario {
        // Every random row gets a slot in the per-trial draw vector.
        let mut drawn = Vec::new();
        let mut slot_of = vec![None; self.assumptions.len()];
        for (i, a) in self.assumptions.iter().enumerate() {
            if !a.prior.is_constant() {
                slot_of[i] = Some(drawn.len());
                drawn.push(i);
            }
        }
        let param_of = |i: usize, a: &Assumption| match slot_of[i] {
            Some(slot) => Param::Drawn(slot),
            None => Param::Fixed(a.spec.mean()),
        };
        let resolve = |b: &Builder, input: Input, channel: &str| -> Resolved {
            match b.lookup(input, channel) {
                Some((i, named)) => Resolved {
                    param: Some(param_of(i, &b.assumptions[i])),
                    source: if named {
                        Source::Named(i)
                    } else {
                        Source::Star(i)
                    },
                },
                None => match input.default_value() {
                    Some(d) => Resolved {
                        param: Some(Param::Fixed(d)),
                        source: Source::Default,
                    },
                    None => Resolved {
                        param: None,
                        source: Source::Missing,
                    },
                },
            }
        };

        let plan_provenance: Vec<(Input, Resolved)> = PLAN_INPUTS
            .iter()
            .map(|&i| (i, resolve(self, i, "*")))
            .collect();
        let plan_value = |input: Input| {
            plan_provenance
                .iter()
                .find(|(i, _)| *i == input)
                .and_then(|(_, r)| r.param)
                .unwrap_or(Param::Fixed(0.0))
        };
        let fixed = |input: Input| plan_value(input).fixed().unwrap_or(0.0);
        let horizon = fixed(Input::HorizonMonths) as usize;
        let campaign = fixed(Input::CampaignMonths) as usize;
        // Against a rejected value (reported already) the comparison would
        // use the default instead, and mislead.
        let months_valid = !self.rejected_for(Input::HorizonMonths, "*")
            && !self.rejected_for(Input::CampaignMonths, "*");
        if campaign > horizon && months_valid {
            let line = self
                .lookup(Input::CampaignMonths, "*")
                .map(|(i, _)| self.assumptions[i].line)
                .unwrap_or(0);
            self.problem(
                InputProblem::at(line, format!("campaign_months ({campaign}) is longer than horizon_months ({horizon})"))
                    .help("the campaign must fit inside the simulated horizon: raise horizon_months or shorten the campaign"),
            );
        }

        if months_valid {
            self.check_override_months(horizon);
        }
        self.check_spend_forms();

        let intended = self.dead_channels();
        // Misspelt channel → the channel it was probably meant for.
        let mut misspelt_for: HashMap<&str, Vec<&str>> = HashMap::new();
        for (typo, meant) in &intended {
            misspelt_for.entry(meant.as_str()).or_default().push(typo);
        }
        for typos in misspelt_for.values_mut() {
            typos.sort_unstable();
        }

        let mut channels = Vec::new();
        let names: Vec<String> = self
            .channel_order
            .iter()
            .filter(|n| *n != REFERRAL)
            .cloned()
            .collect();
        let months = Months {
            horizon: horizon.max(1),
            campaign: campaign.clamp(1, horizon.max(1)),
        };
        for name in &names {
            channels.push(self.channel(name, false, months, &resolve, &param_of));
        }
        // Referrals are simulated when some paid channel may refer: its
        // customers send visitors to the built-in channel.
        let refers = channels.iter().any(Channel::may_refer);
        if refers {
            channels.push(self.channel(REFERRAL, true, months, &resolve, &param_of));
        } else if self.channel_order.iter().any(|n| n == REFERRAL) {
            // Rows for `referral` without any referral_rate are harmless but inert.
        }

        // Required inputs (spec §2.2).
        for c in &channels {
            let needs = if c.is_referral { true } else { c.spend > 0.0 };
            if !needs {
                continue;
            }
            // Referred visitors may arrive in any month; paid ones in the
            // months with spend.
            let live: Vec<usize> = (1..=months.horizon)
                .filter(|&t| c.is_referral || c.spend_by_month[t - 1] > 0.0)
                .collect();
            let mut missing = c.missing_funnel_in(&live, !c.is_referral);
            missing.retain(|&input| !self.rejected_for(input, &c.name));
            if !missing.is_empty() {
                let why = if c.is_referral {
                    "referrals are simulated (some referral_rate > 0)".to_string()
                } else {
                    format!("it has spend {}", super::value::show(c.spend))
                };
                let line = if c.is_referral {
                    // Point at the row that switched referrals on.
                    self.assumptions
                        .iter()
                        .find(|a| {
                            a.input == Input::ReferralRate && a.spec != ValueSpec::Number(0.0)
                        })
                        .map_or(0, |a| a.line)
                } else {
                    self.lookup(Input::Spend, &c.name)
                        .map(|(i, _)| self.assumptions[i].line)
                        .or_else(|| {
                            c.overrides
                                .iter()
                                .find(|o| o.input == Input::Spend)
                                .map(|o| self.assumptions[o.row].line)
                        })
                        .unwrap_or(0)
                };
                let label = |i: Input| format!("{}.{}", i.def().stage.name(), i.def().name);
                let stage_names: Vec<String> =
                    missing.iter().map(|&m| format!("`{}`", label(m))).collect();
                // A row meant for this channel but under a misspelt name.
                let typo_row = misspelt_for
                    .get(c.name.as_str())
                    .into_iter()
                    .flatten()
                    .flat_map(|typo| missing.iter().map(move |&m| (typo, m)))
                    .find_map(|(typo, m)| {
                        self.lookup_own(m, typo)
                            .map(|i| (typo, m, self.assumptions[i].line))
                    });
                let help = match typo_row {
                    Some((typo, m, row_line)) => format!(
                        "line {row_line} gives `{}` to channel `{typo}`: did you mean `{}`?",
                        label(m),
                        c.name
                    ),
                    None => format!(
                        "add a row such as `{},{},{},...` or a `*` row that every channel shares",
                        missing[0].def().stage.name(),
                        c.name,
                        missing[0].def().name
                    ),
                };
                let p = InputProblem {
                    line: (line > 0).then_some(line),
                    message: format!(
                        "channel `{}` needs {} because {why}",
                        c.name,
                        stage_names.join(", ")
                    ),
                    help: Some(help),
                };
                self.problem(p);
            }
        }

        let channel_at: HashMap<&str, usize> = channels
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let mut targets = Vec::new();
        for t in std::mem::take(&mut self.targets) {
            let metric = if t.channel == "*" {
                TargetMetric::Total(Total::from_name(&t.metric).expect("checked when read"))
            } else {
                match channel_at.get(t.channel.as_str()).copied() {
                    Some(ci) => TargetMetric::Channel(
                        ci,
                        PerChannel::from_name(&t.metric).expect("checked when read"),
                    ),
                    None => {
                        let help = if t.channel == REFERRAL {
                            Some("referrals are simulated only when some channel has referral_rate > 0".to_string())
                        } else {
                            did_you_mean(&t.channel, channels.iter().map(|c| c.name.as_str()))
                        };
                        self.problem(
                            InputProblem::at(t.line, format!("target names channel `{}`, which the scenario does not simulate", clip(&t.channel)))
                                .help_opt(help),
                        );
                        continue;
                    }
                }
            };
            targets.push(Target {
                line: t.line,
                channel: t.channel,
                metric_name: t.metric,
                metric,
                op: t.op,
                value: t.value,
                required: t.required,
                note: t.note,
            });
        }

        let name = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into());
        let mut scenario = Scenario {
            path: self.path.to_path_buf(),
            name,
            input_hash: String::new(),
            sheet: None,
            horizon: horizon.max(1),
            campaign: campaign.clamp(1, horizon.max(1)),
            trials: fixed(Input::Trials) as u64,
            seed: self.exact_seed.unwrap_or(fixed(Input::Seed) as u64),
            gross_margin: plan_value(Input::GrossMargin),
            discount_rate: plan_value(Input::DiscountRate),
            fixed_cost: plan_value(Input::FixedCost),
            plan_provenance,
            assumptions: std::mem::take(&mut self.assumptions),
            warnings: std::mem::take(&mut self.warnings),
            drawn,
            channels,
            targets,
        };
        scenario.warnings.extend(super::cycle::warning(&scenario));
        scenario
    }

    /// Month override rows for a month past the horizon (spec §2.4).
    fn check_override_months(&mut self, horizon: usize) {
        let mut late: Vec<usize> = self
            .overrides
            .values()
            .flatten()
            .filter(|(k, _)| *k > horizon)
            .map(|(_, i)| *i)
            .collect();
        late.sort_unstable();
        for i in late {
            let a = &self.assumptions[i];
            let p = InputProblem::at(
                a.line,
                format!(
                    "{}.{} is for month {}, outside the horizon of {horizon} months",
                    a.stage.name(),
                    a.metric_label(),
                    a.month.unwrap_or(0)
                ),
            )
            .help(format!(
                "use a month from 1 to {horizon}, or raise plan.horizon_months (months count from the campaign's start)"
            ));
            self.problem(p);
        }
    }

    /// A channel (or `*`) with `spend@K` rows spends exactly those amounts,
    /// so a plain `spend` row beside them would be ignored: refuse it. A
    /// channel's own `spend` also meets the `*` `spend@K` rows it inherits.
    fn check_spend_forms(&mut self) {
        let mut problems = Vec::new();
        let star_months = self.overrides.get(&(Input::Spend, "*".to_string()));
        let mut owners: Vec<&String> = self
            .index
            .keys()
            .filter(|(input, _)| *input == Input::Spend)
            .map(|(_, ch)| ch)
            .collect();
        owners.sort_unstable();
        for owner in owners {
            let plain = self.assumptions[self.index[&(Input::Spend, owner.clone())]].line;
            let own = self.overrides.get(&(Input::Spend, owner.clone()));
            let (month_rows, whose) = match (own, star_months) {
                (Some(rows), _) => (rows, "its"),
                (None, Some(rows)) if owner != "*" => (rows, "the `*`"),
                _ => continue,
            };
            let first = &self.assumptions[month_rows[0].1];
            let who = if owner == "*" {
                "the `*` rows".to_string()
            } else {
                format!("channel `{owner}`")
            };
            problems.push(
                InputProblem::at(
                    plain,
                    format!(
                        "{who} has a plain reach.spend row and {whose} reach.{} row (line {}): a channel with spend@K rows spends exactly those amounts",
                        first.metric_label(),
                        first.line
                    ),
                )
                .help("keep one form: remove this `spend` row, or give the spend of every month with spend@K rows"),
            );
        }
        self.problems.append(&mut problems);
    }

    /// The month overrides of `input` that hold for `channel`, by month
    /// (its own row first, then the `*` one, spec §2.4).
    fn month_rows(&self, input: Input, channel: &str, horizon: usize) -> Vec<MonthOverride> {
        let own = self.overrides.get(&(input, channel.to_string()));
        let star = self.overrides.get(&(input, "*".to_string()));
        let mut by_month: Vec<Option<MonthOverride>> = vec![None; horizon];
        for (rows, is_star) in [(star, true), (own, false)] {
            for &(k, row) in rows.into_iter().flatten() {
                if k <= horizon {
                    by_month[k - 1] = Some(MonthOverride {
                        input,
                        month: k,
                        row,
                        star: is_star,
                    });
                }
            }
        }
        by_month.into_iter().flatten().collect()
    }

    fn channel(
        &self,
        name: &str,
        is_referral: bool,
        months: Months,
        resolve: &dyn Fn(&Builder, Input, &str) -> Resolved,
        param_of: &dyn Fn(usize, &Assumption) -> Param,
    ) -> Channel {
        let provenance: Vec<(Input, Resolved)> = CHANNEL_INPUTS
            .iter()
            .map(|&input| {
                let mut r = resolve(self, input, name);
                if is_referral && input == Input::Spend {
                    r = Resolved {
                        param: Some(Param::Fixed(0.0)),
                        source: Source::Default,
                    };
                }
                (input, r)
            })
            .collect();
        let get = |input: Input| {
            provenance
                .iter()
                .find(|(i, _)| *i == input)
                .and_then(|(_, r)| r.param)
        };
        let horizon = months.horizon;
        let mut overrides = Vec::new();
        let mut by_month = |input: Input| {
            let rows = if is_referral && input == Input::CostPerVisit {
                Vec::new()
            } else {
                self.month_rows(input, name, horizon)
            };
            let plain = get(input);
            let mut resolved = ByMonth {
                plain,
                months: Vec::new(),
            };
            if !rows.is_empty() {
                resolved.months = vec![plain; horizon];
                for o in &rows {
                    resolved.months[o.month - 1] = Some(param_of(o.row, &self.assumptions[o.row]));
                }
            }
            overrides.extend(rows);
            resolved
        };
        let cost_per_visit_by_month = by_month(Input::CostPerVisit);
        let act_rate_by_month = by_month(Input::ActRate);
        let convert_rate_by_month = by_month(Input::ConvertRate);
        let spend_rows = if is_referral {
            Vec::new()
        } else {
            self.month_rows(Input::Spend, name, horizon)
        };
        let spend_is_monthly = !spend_rows.is_empty();
        let spend_by_month = if spend_is_monthly {
            let mut by = vec![0.0; horizon];
            for o in &spend_rows {
                by[o.month - 1] = self.assumptions[o.row].spec.mean();
            }
            by
        } else {
            let total = get(Input::Spend).and_then(Param::fixed).unwrap_or(0.0);
            super::even_spread(total, months.campaign, horizon)
        };
        let spend = if spend_is_monthly {
            super::money_total(&spend_by_month)
        } else {
            get(Input::Spend).and_then(Param::fixed).unwrap_or(0.0)
        };
        overrides.splice(0..0, spend_rows);
        let mut channel = Channel {
            name: name.to_string(),
            is_referral,
            spend,
            spend_by_month,
            spend_is_monthly,
            overrides,
            cost_per_visit_by_month,
            act_rate_by_month,
            convert_rate_by_month,
            campaign_months: months.campaign,
            population_key: fingerprint(format!("population/{name}").as_bytes()),
            cost_per_visit: get(Input::CostPerVisit),
            audience: get(Input::Audience).map(|p| match p {
                Param::Fixed(a) => Param::Fixed(a.round()),
                drawn => drawn,
            }),
            act_rate: get(Input::ActRate),
            convert_rate: get(Input::ConvertRate),
            order_value: get(Input::OrderValue),
            order_value_cv: get(Input::OrderValueCv).unwrap_or(Param::Fixed(0.0)),
            repeat_rate: get(Input::RepeatRate).unwrap_or(Param::Fixed(0.0)),
            repeat_order_value: get(Input::RepeatOrderValue),
            churn: get(Input::Churn).unwrap_or(Param::Fixed(1.0)),
            churn_polarization: get(Input::ChurnPolarization).unwrap_or(Param::Fixed(0.0)),
            referral_rate: get(Input::ReferralRate).unwrap_or(Param::Fixed(0.0)),
            provenance,
        };
        if channel.repeat_order_value.is_none() {
            channel.repeat_order_value = channel.order_value;
            if let Some((_, r)) = channel
                .provenance
                .iter_mut()
                .find(|(i, _)| *i == Input::RepeatOrderValue)
            {
                r.param = channel.order_value;
                r.source = Source::SameAsOrderValue;
            }
        }
        channel
    }
}

/// Is `name` one or two edits (insert, delete, substitute, swap) away from
/// `live`, and long enough for that to mean a slip rather than a second
/// channel (`tv` and `tv2` are two channels; `serach` is `search`)?
fn is_misspelling(name: &str, live: &str) -> bool {
    let edits = strsim::damerau_levenshtein(name, live);
    edits > 0 && edits <= 2 && 3 * edits <= live.chars().count().min(name.chars().count())
}
