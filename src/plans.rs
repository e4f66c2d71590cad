//! Budget plans (spec §3): `plan,channel,spend` rows, each plan being the
//! scenario with those channels' spend replaced.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{InputError, InputProblem};
use crate::scenario::{REFERRAL, Scenario, value::parse_number};
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
        let Some(ci) = scenario
            .channel_index(&channel)
            .filter(|&i| !scenario.channels[i].is_referral)
        else {
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
            problems
                .push(InputProblem::at(line, format!("unknown channel `{}`", f[1])).help_opt(help));
            continue;
        };
        let spend = match parse_number(&f[2]) {
            Some(s) if s >= 0.0 => s,
            Some(s) => {
                problems.push(
                    InputProblem::at(line, format!("spend `{s}` is negative"))
                        .help("spend must be ≥ 0"),
                );
                continue;
            }
            None => {
                problems.push(
                    InputProblem::at(line, format!("spend `{}` is not a number", f[2]))
                        .help("write a plain amount such as 40000"),
                );
                continue;
            }
        };
        if let Some(first) = seen.insert((plan_name.clone(), channel.clone()), line) {
            problems.push(InputProblem::at(
                line,
                format!(
                    "plan `{plan_name}` sets channel `{channel}` twice (first on line {first})"
                ),
            ));
            continue;
        }
        let index = match plans.iter().position(|p| p.name == plan_name) {
            Some(i) => i,
            None => {
                plans.push(Plan {
                    name: plan_name.clone(),
                    spend: scenario.baseline_spend(),
                });
                plans.len() - 1
            }
        };
        plans[index].spend[ci] = spend;
        if spend > 0.0
            && let Err(msg) = scenario.check_spend(&plans[index].spend)
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
