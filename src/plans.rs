//! Budget plans (spec §3): `plan,channel,spend` rows with an optional
//! `month`, each plan being the scenario with those channels' spend
//! replaced: a row without a month sets the channel's total (spread over
//! the campaign), rows with months set those months.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{InputError, InputProblem, clip};
use crate::scenario::value::{NumberError, not_a_number, read_number};
use crate::scenario::{MAX_MONEY, REFERRAL, Scenario, even_spread};
use crate::simulation::Plan;
use crate::suggest::did_you_mean;

const COLUMNS: [&str; 4] = ["plan", "channel", "spend", "month"];

/// The most plans a plans file holds besides the baseline. A run keeps every plan's
/// statistics; the measured time and memory behind this are in docs/reliability.md
/// ("Limits").
pub const MAX_PLANS: usize = 1_000;

/// The most statistics (accumulators: a mean, spread and quantiles each) a run of plans
/// keeps, baseline included: each plan keeps `statistics_per_plan`. 200,000 is 1,000 plans
/// of a four-channel, two-year scenario; with many channels or months fewer plans fit.
pub const MAX_STATISTICS: usize = 200_000;

/// Statistics one plan keeps: every total, every channel's metrics, every month's.
pub fn statistics_per_plan(scenario: &Scenario) -> usize {
    use crate::metrics::{Monthly, PerChannel, Total};
    Total::COUNT + PerChannel::COUNT * scenario.channels.len() + Monthly::COUNT * scenario.horizon
}

/// The most plans besides the baseline a plans file may hold for `scenario`, and why.
fn plan_limit(scenario: &Scenario) -> (usize, String) {
    let per_plan = statistics_per_plan(scenario);
    let fit = (MAX_STATISTICS / per_plan).saturating_sub(1);
    if fit >= MAX_PLANS {
        (
            MAX_PLANS,
            format!("a plans file holds at most {MAX_PLANS} plans"),
        )
    } else {
        (
            fit,
            format!(
                "with this scenario's {} channels and {} months a plan keeps {per_plan} statistics, and a run at most {MAX_STATISTICS}: at most {fit} plans besides the baseline",
                scenario.channels.len(),
                scenario.horizon
            ),
        )
    }
}

/// How one plan sets one channel: by its total or month by month.
struct ChannelForm {
    monthly: bool,
    /// The first row setting it.
    first: u64,
    spend: Vec<f64>,
}

/// A plan row's month: none when the cell is empty (the row gives the
/// channel's total), else a whole month of the horizon.
fn read_month(cell: &str, horizon: usize) -> Result<Option<usize>, InputProblem> {
    let text = cell.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let allowed = format!(
        "a month is a whole number from 1 to {horizon} (the scenario's horizon_months), counted from the campaign's start; leave it empty to give the channel's total"
    );
    match read_number(text) {
        Ok(k) if k.fract() == 0.0 && k >= 1.0 && k <= horizon as f64 => Ok(Some(k as usize)),
        Ok(k) if k.fract() == 0.0 => Err(InputProblem::whole_file(format!(
            "month `{}` is outside the horizon of {horizon} months",
            clip(text)
        ))
        .help(allowed)),
        _ => Err(
            InputProblem::whole_file(format!("month `{}` is not a month number", clip(text)))
                .help(allowed),
        ),
    }
}

/// The plans of a file, or without one the scenario's own spend alone.
pub fn load_or_baseline(path: Option<&Path>, scenario: &Scenario) -> Result<Vec<Plan>, InputError> {
    match path {
        Some(path) => load(path, scenario),
        None => Ok(vec![Plan::baseline(scenario)]),
    }
}

/// Reads a plans file; the result starts with `baseline` (the scenario).
pub fn load(path: &Path, scenario: &Scenario) -> Result<Vec<Plan>, InputError> {
    use crate::scenario::workbook;
    if workbook::is_workbook(path) {
        let sheet = workbook::read_sheet(path, workbook::Table::Plans)?;
        return parse_str(path, &sheet.text, scenario).map_err(|e| sheet.locate(e));
    }
    let bytes = crate::input::read(path).map_err(|e| {
        InputError::single(
            path,
            InputProblem::whole_file(format!("cannot read the plans file: {e}")),
        )
    })?;
    from_bytes(path, &bytes, scenario)
}

/// Plans from a file's bytes (`path` names it in errors): what `load` reads,
/// and what `racesim merge` reads back from a partial result.
pub fn from_bytes(path: &Path, bytes: &[u8], scenario: &Scenario) -> Result<Vec<Plan>, InputError> {
    let text = crate::scenario::decode_utf8(path, bytes)?;
    parse_str(path, text, scenario)
}

pub fn parse_str(path: &Path, text: &str, scenario: &Scenario) -> Result<Vec<Plan>, InputError> {
    let rows = crate::scenario::read_table(
        path,
        text,
        &crate::scenario::TableSpec {
            columns: &COLUMNS,
            required: &COLUMNS[..3],
            number_column: "spend",
        },
    )?;
    let mut plans = vec![Plan::baseline(scenario)];
    let mut problems = Vec::new();
    let mut seen: HashMap<(String, String, Option<usize>), u64> = HashMap::new();
    // (plan index, channel index) → how the plan sets that channel.
    let mut forms: HashMap<(usize, usize), ChannelForm> = HashMap::new();
    // Name → index, so that each row costs the same however long the files.
    let channel_at: HashMap<&str, usize> = scenario
        .paid_channels()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut plan_at: HashMap<String, usize> = HashMap::new();
    let (limit, why) = plan_limit(scenario);
    for (line, f) in rows {
        let plan_name = f[0].trim().to_string();
        let channel = f[1].to_ascii_lowercase();
        if plan_name.is_empty() {
            problems.push(InputProblem::at(line, "the plan name is empty"));
            continue;
        }
        // A name is echoed on terminals and in every report: an escape
        // sequence in it would recolour or rewrite the screen.
        if let Some((at, c)) = plan_name.chars().enumerate().find(|(_, c)| c.is_control()) {
            problems.push(
                InputProblem::at(
                    line,
                    format!(
                        "the plan name `{}` has the control character U+{:04X} (character {})",
                        crate::error::clip(&plan_name),
                        c as u32,
                        at + 1
                    ),
                )
                .help("plan names are shown on terminals and in reports; write the name in printable characters"),
            );
            continue;
        }
        if plan_name.eq_ignore_ascii_case("baseline") {
            problems.push(
                InputProblem::at(
                    line,
                    "`baseline` is the scenario itself and cannot be redefined",
                )
                .help("give this plan another name, such as `proposal`"),
            );
            continue;
        }
        let Some(&ci) = channel_at.get(channel.as_str()) else {
            let help = if channel == REFERRAL {
                Some(
                    "the `referral` channel has no spend: its visitors come from customers"
                        .to_string(),
                )
            } else {
                did_you_mean(
                    &channel,
                    scenario.paid_channels().map(|(_, c)| c.name.as_str()),
                )
                .or_else(|| {
                    Some(format!(
                        "the scenario's channels are: {}",
                        crate::error::list(scenario.paid_channels().map(|(_, c)| c.name.as_str()))
                    ))
                })
            };
            problems.push(
                InputProblem::at(line, format!("unknown channel `{}`", clip(&f[1]))).help_opt(help),
            );
            continue;
        };
        let spend = match read_number(&f[2]) {
            Ok(s) if (0.0..=MAX_MONEY).contains(&s) => s,
            Ok(s) if s < 0.0 => {
                problems.push(
                    InputProblem::at(line, format!("spend `{}` is negative", clip(&f[2])))
                        .help("spend must be ≥ 0"),
                );
                continue;
            }
            Ok(_) => {
                problems.push(
                    InputProblem::at(line, format!("spend `{}` is too large", clip(&f[2])))
                        .help(format!("spend must be at most {MAX_MONEY:e}")),
                );
                continue;
            }
            Err(NumberError::OutOfRange) => {
                problems.push(
                    InputProblem::at(line, format!("spend `{}` is out of range", clip(&f[2])))
                        .help(format!("spend must be at most {MAX_MONEY:e}")),
                );
                continue;
            }
            Err(NumberError::NotANumber) => {
                let why = not_a_number(&f[2]);
                let p = if why.message.contains("separator") || why.message.contains("comma") {
                    InputProblem::at(line, format!("spend: {}", why.message)).help_opt(why.help)
                } else {
                    InputProblem::at(line, format!("spend `{}` is not a number", clip(&f[2])))
                        .help("write a plain amount such as 40000")
                };
                problems.push(p);
                continue;
            }
        };
        let month = match read_month(&f[3], scenario.horizon) {
            Ok(m) => m,
            Err(mut p) => {
                p.line = Some(line);
                problems.push(p);
                continue;
            }
        };
        if let Some(first) = seen.insert((plan_name.clone(), channel.clone(), month), line) {
            let what = match month {
                Some(k) => format!("month {k} of channel `{channel}`"),
                None => format!("channel `{channel}`"),
            };
            problems.push(InputProblem::at(
                line,
                format!(
                    "plan `{}` sets {what} twice (first on line {first})",
                    clip(&plan_name)
                ),
            ));
            continue;
        }
        if !plan_at.contains_key(&plan_name) && plans.len() > limit {
            // The rest of the file is not read: one clear problem, not thousands.
            problems.push(
                InputProblem::at(
                    line,
                    format!(
                        "plan `{}` is plan {} of the file: {why}",
                        clip(&plan_name),
                        plans.len()
                    ),
                )
                .help(format!(
                    "compare the plans in files of at most {limit} (the best of each can meet in a final compare); see \"Limits\" in docs/reliability.md"
                )),
            );
            break;
        }
        let index = *plan_at.entry(plan_name.clone()).or_insert_with(|| {
            plans.push(Plan {
                name: plan_name.clone(),
                spend: scenario.baseline_spend(),
            });
            plans.len() - 1
        });
        let form = forms.entry((index, ci)).or_insert(ChannelForm {
            monthly: month.is_some(),
            first: line,
            spend: vec![0.0; scenario.horizon],
        });
        if form.monthly != month.is_some() {
            let (total_line, month_line) = if form.monthly {
                (line, form.first)
            } else {
                (form.first, line)
            };
            problems.push(
                InputProblem::at(
                    line,
                    format!(
                        "plan `{}` gives channel `{channel}` both a total (line {total_line}) and monthly spend (line {month_line})",
                        clip(&plan_name)
                    ),
                )
                .help("set a channel either by its total, with no month (spread over the campaign), or month by month, with a month on every row"),
            );
            continue;
        }
        match month {
            Some(k) => form.spend[k - 1] = spend,
            None => {
                form.spend = even_spread(spend, scenario.campaign, scenario.horizon);
            }
        }
    }
    let mut forms: Vec<((usize, usize), ChannelForm)> = forms.into_iter().collect();
    forms.sort_by_key(|(_, f)| f.first);
    for ((index, ci), form) in forms {
        // Other channels keep the scenario's spend, which it can simulate.
        if let Err(msg) = scenario.check_channel_spend(ci, &form.spend) {
            problems.push(InputProblem::at(form.first, msg));
        }
        plans[index].spend[ci] = form.spend;
    }
    problems.sort_by_key(|p| p.line.unwrap_or(u64::MAX));
    if plans.len() == 1 && problems.is_empty() {
        problems.push(
            InputProblem::whole_file("the plans file defines no plan")
                .help("add rows such as `shift,search,40000`"),
        );
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(InputError {
            file: path.to_path_buf(),
            problems,
        })
    }
}
