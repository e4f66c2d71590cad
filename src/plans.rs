//! Budget plans (spec §3): `plan,channel,spend` rows, each plan being the
//! scenario with those channels' spend replaced.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{InputError, InputProblem, clip};
use crate::scenario::value::{NumberError, not_a_number, read_number};
use crate::scenario::{MAX_MONEY, REFERRAL, Scenario};
use crate::simulation::Plan;
use crate::suggest::did_you_mean;

const COLUMNS: [&str; 3] = ["plan", "channel", "spend"];

/// Reads a plans file; the result starts with `baseline` (the scenario).
pub fn load(path: &Path, scenario: &Scenario) -> Result<Vec<Plan>, InputError> {
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::single(
            path,
            InputProblem::whole_file(format!("cannot read the plans file: {e}")),
        )
    })?;
    let text = crate::scenario::decode_utf8(path, &bytes)?;
    parse_str(path, text, scenario)
}

pub fn parse_str(path: &Path, text: &str, scenario: &Scenario) -> Result<Vec<Plan>, InputError> {
    let rows = crate::scenario::read_table(
        path,
        text,
        &crate::scenario::TableSpec {
            columns: &COLUMNS,
            required: &COLUMNS,
            number_column: "spend",
        },
    )?;
    let mut plans = vec![Plan::baseline(scenario)];
    let mut problems = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    // Name → index, so that each row costs the same however long the files.
    let channel_at: HashMap<&str, usize> = scenario
        .paid_channels()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut plan_at: HashMap<String, usize> = HashMap::new();
    for (line, f) in rows {
        let plan_name = f[0].trim().to_string();
        let channel = f[1].to_ascii_lowercase();
        if plan_name.is_empty() {
            problems.push(InputProblem::at(line, "the plan name is empty"));
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
                        scenario
                            .paid_channels()
                            .map(|(_, c)| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
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
        if let Some(first) = seen.insert((plan_name.clone(), channel.clone()), line) {
            problems.push(InputProblem::at(
                line,
                format!(
                    "plan `{}` sets channel `{channel}` twice (first on line {first})",
                    clip(&plan_name)
                ),
            ));
            continue;
        }
        let index = *plan_at.entry(plan_name.clone()).or_insert_with(|| {
            plans.push(Plan {
                name: plan_name.clone(),
                spend: scenario.baseline_spend(),
            });
            plans.len() - 1
        });
        plans[index].spend[ci] = spend;
        // Other channels keep the scenario's spend, which it can simulate,
        // or a spend of their own row, checked there.
        if spend > 0.0
            && let Err(msg) = scenario.check_channel_spend(ci, spend)
        {
            problems.push(InputProblem::at(line, msg));
        }
    }
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
