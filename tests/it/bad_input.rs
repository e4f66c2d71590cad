//! Black-box tests of invalid input: one test per class of mistake in a
//! scenario or plans file, and the command-line usage errors.
//!
//! Every invalid input must exit with code 2, print nothing on stdout, and
//! say on stderr which file and line is wrong, quote the offending value
//! or name, and say what is allowed (or suggest the intended name) —
//! never panic.

use super::common;

use common::{
    BASE, EXIT_INPUT, FIRST_EXTRA_LINE, Workspace, check_both, run_json, validate_str, with_base,
};

const L: u64 = FIRST_EXTRA_LINE;

/// Appends `extra` to the valid base scenario and checks that `validate`
/// and `run` both reject it with the problem at `line`.
#[track_caller]
fn rejects(extra: &str, line: u64, needles: &[&str]) {
    check_both("s.csv", with_base(extra)).assert_input_error("s.csv", Some(line), needles);
}

#[test]
fn base_scenario_is_valid() {
    // Every other test appends to it, so it must be valid on its own.
    let (_ws, out) = validate_str("s.csv", BASE);
    out.assert_ok();
    assert!(out.stdout_text().contains("valid"));
}

// ---------------------------------------------------------------- names

#[test]
fn unknown_stage_suggests_the_closest() {
    rejects(
        "reahc,search,audience,5000,",
        L,
        &["unknown stage `reahc`", "did you mean `reach`?"],
    );
}

#[test]
fn unknown_stage_without_a_close_match_lists_the_stages() {
    rejects(
        "budget,search,audience,5000,",
        L,
        &[
            "unknown stage `budget`",
            "plan, reach, act, convert, engage, target",
        ],
    );
}

#[test]
fn unknown_metric_suggests_the_closest() {
    rejects(
        "reach,search,cost_per_vist,1,",
        L,
        &[
            "unknown reach metric `cost_per_vist`",
            "did you mean `cost_per_visit`?",
        ],
    );
}

#[test]
fn metric_under_the_wrong_stage_names_its_stage() {
    rejects(
        "reach,search,order_value,60,",
        L,
        &[
            "unknown reach metric `order_value`",
            "`order_value` is a metric of stage convert",
        ],
    );
}

#[test]
fn invalid_channel_name_is_rejected() {
    let out = check_both("s.csv", with_base("reach,Paid Search!,spend,100,"));
    out.assert_input_error(
        "s.csv",
        Some(L),
        &["is not a valid channel name", "`paid_search`"],
    );
    // The name is quoted (case-folded, as every scenario name is).
    assert!(
        out.stderr.to_lowercase().contains("`paid search!`"),
        "{}",
        out.stderr
    );
}

#[test]
fn plan_row_must_use_star() {
    rejects(
        "plan,search,horizon_months,12,",
        L,
        &[
            "plan rows apply to the whole scenario, not to channel `search`",
            "write `*` in the channel column",
        ],
    );
}

#[test]
fn referral_channel_takes_no_reach_rows() {
    rejects(
        "reach,referral,spend,500,",
        L,
        &["the built-in `referral` channel takes no reach rows"],
    );
    rejects(
        "reach,referral,cost_per_visit,1,",
        L,
        &["the built-in `referral` channel takes no reach rows"],
    );
}

#[test]
fn duplicate_row_names_the_first_line() {
    // BASE line 4 is `act,*,rate,0.1`.
    rejects(
        "act,*,rate,0.2,",
        L,
        &[
            "act.rate for `*` is given twice (first on line 4)",
            "keep one row",
        ],
    );
    // Names are case-folded, so a differently cased row is the same row
    // (BASE line 2 is `reach,search,spend,1000`).
    rejects(
        "REACH,Search,SPEND,2000,",
        L,
        &["reach.spend for `search` is given twice (first on line 2)"],
    );
}

// --------------------------------------------------------------- values

#[test]
fn value_that_is_neither_number_nor_distribution() {
    rejects(
        "reach,search,audience,lots,",
        L,
        &[
            "reach.audience: `lots` is neither a number nor a distribution",
            "pert(low, mode, high)",
        ],
    );
    rejects(
        "reach,search,audience,,",
        L,
        &["reach.audience: the value is empty"],
    );
    // Not meaningful assumptions even though Rust would parse them.
    for v in ["inf", "NaN"] {
        rejects(
            &format!("reach,search,audience,{v},"),
            L,
            &[&format!("`{v}` is neither a number nor a distribution")],
        );
    }
    rejects(
        "act,search,rate,\"beta(1, x)\",",
        L,
        &["`x` in `beta(1, x)` is not a number"],
    );
}

#[test]
fn number_out_of_range_is_named_as_such() {
    rejects(
        "plan,*,fixed_cost,1e400,",
        L,
        &[
            "plan.fixed_cost: `1e400` is out of range",
            "at most about 1.8e308",
        ],
    );
    rejects(
        "act,search,rate,\"uniform(0, 1e999)\",",
        L,
        &["`1e999` in `uniform(0, 1e999)` is out of range"],
    );
}

#[test]
fn distribution_with_text_after_the_parenthesis() {
    rejects(
        "act,search,rate,\"uniform(0.1, 0.2) x\",",
        L,
        &[
            "act.rate: `uniform(0.1, 0.2) x` has text after its closing parenthesis: `x`",
            "the value is `uniform(0.1, 0.2)` alone",
        ],
    );
    rejects(
        "act,search,rate,\"uniform(0.1, 0.2\",",
        L,
        &[
            "`uniform(0.1, 0.2` is missing its closing parenthesis",
            "`uniform(0.1, 0.2)`",
        ],
    );
}

#[test]
fn quoted_number_with_separators_says_how_to_write_it() {
    rejects(
        "reach,display,spend,\"60,000\",",
        L,
        &[
            "reach.spend: `60,000` has a thousands separator",
            "write `60000`",
        ],
    );
    rejects(
        "reach,display,spend,\"1,250,000.50\",",
        L,
        &[
            "`1,250,000.50` has a thousands separator",
            "write `1250000.50`",
        ],
    );
    rejects(
        "act,search,rate,\"0,45\",",
        L,
        &["act.rate: `0,45` has a decimal comma", "write `0.45`"],
    );
}

#[test]
fn unquoted_thousands_separator_is_not_read_as_a_small_number() {
    // `60,000` unquoted is `60` in the value column and `000` in the note:
    // read as it stands, the spend would silently be 60.
    for (row, written, meant) in [
        ("reach,display,spend,60,000", "60,000", "60000"),
        ("plan,*,fixed_cost,1,000,", "1,000", "1000"),
        ("reach,display,spend,1,000,000,", "1,000,000", "1000000"),
        ("reach,display,spend,12,500.50", "12,500.50", "12500.50"),
        ("target,*,customers,>= 5,000,", ">= 5,000", ">= 5000"),
    ] {
        rejects(
            row,
            L,
            &[
                &format!("value `{written}` has a thousands separator"),
                &format!("write `{meant}`"),
            ],
        );
    }
    // Without a note column the separator makes the row too long; the
    // message still names the separator.
    let text = "stage,channel,metric,value\nact,*,rate,0.1\nplan,*,fixed_cost,2,500\n";
    check_both("s.csv", text).assert_input_error(
        "s.csv",
        Some(3),
        &["value `2,500` has a thousands separator", "write `2500`"],
    );
    // A note that merely starts with digits is a note.
    let (_ws, out) = validate_str(
        "s.csv",
        with_base("plan,*,fixed_cost,60,000 extra for creative"),
    );
    out.assert_ok();
}

#[test]
fn overlong_value_is_quoted_in_part() {
    let long = "1".repeat(200_000);
    let out = check_both("s.csv", with_base(&format!("engage,*,churn,x{long},")));
    out.assert_input_error(
        "s.csv",
        Some(L),
        &["engage.churn: `x111", "… (200001 characters)`"],
    );
    assert!(
        out.stderr.len() < 1000,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

#[test]
fn unknown_distribution_suggests_the_closest() {
    rejects(
        "act,search,rate,\"lognromal(0.1, 0.01)\",",
        L,
        &[
            "act.rate: unknown distribution `lognromal`",
            "did you mean `lognormal`?",
        ],
    );
    rejects(
        "act,search,rate,\"gaussian(0.1, 0.01)\",",
        L,
        &[
            "unknown distribution `gaussian`",
            "uniform, triangular, pert, beta, lognormal",
        ],
    );
}

#[test]
fn wrong_number_of_distribution_arguments() {
    rejects(
        "reach,search,audience,\"pert(1000, 2000)\",",
        L,
        &[
            "pert takes 3 arguments, `pert(1000, 2000)` has 2",
            "write pert(low, mode, high)",
        ],
    );
    rejects(
        "reach,search,audience,\"uniform(1000, 2000, 3000)\",",
        L,
        &["uniform takes 2 arguments", "write uniform(low, high)"],
    );
    rejects(
        "act,search,rate,\"beta(3)\",",
        L,
        &["beta takes 2 arguments", "write beta(a, b)"],
    );
    rejects(
        "convert,search,order_value,\"lognormal(50, 10, 2)\",",
        L,
        &["lognormal takes 2 arguments", "write lognormal(mean, sd)"],
    );
}

#[test]
fn bad_distribution_parameters() {
    rejects(
        "act,search,rate,\"uniform(0.2, 0.1)\",",
        L,
        &["`uniform(0.2, 0.1)` needs low < high", "swap the bounds"],
    );
    rejects(
        "act,search,rate,\"uniform(0.2, 0.2)\",",
        L,
        &["needs low < high", "write the number `0.2`"],
    );
    rejects(
        "act,search,rate,\"pert(0.1, 0.5, 0.3)\",",
        L,
        &["`pert(0.1, 0.5, 0.3)` needs low <= mode <= high"],
    );
    rejects(
        "act,search,rate,\"triangular(0.1, 0.05, 0.3)\",",
        L,
        &["needs low <= mode <= high"],
    );
    rejects(
        "act,search,rate,\"beta(0, 1)\",",
        L,
        &["`beta(0, 1)` needs a > 0 and b > 0", "beta(s+1, f+1)"],
    );
    rejects(
        "convert,search,order_value,\"lognormal(50, 0)\",",
        L,
        &["`lognormal(50, 0)` needs mean > 0 and sd > 0"],
    );
}

#[test]
fn fixed_metric_takes_plain_numbers_only() {
    rejects(
        "plan,*,horizon_months,\"uniform(1, 2)\",",
        L,
        &[
            "plan.horizon_months must be a plain number, not `uniform(1, 2)`",
            "horizon_months is fixed, not uncertain",
        ],
    );
    rejects(
        "reach,display,spend,\"pert(900, 1000, 1200)\",",
        L,
        &[
            "reach.spend must be a plain number, not `pert(900, 1000, 1200)`",
            "spend is fixed, not uncertain",
        ],
    );
}

#[test]
fn plain_number_outside_the_domain() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "act,search,rate,1.5,",
            "act.rate = `1.5`",
            "a rate in [0, 1]",
        ),
        (
            "engage,*,churn_polarization,1,",
            "engage.churn_polarization = `1`",
            "a value in [0, 1)",
        ),
        ("reach,display,spend,-5,", "reach.spend = `-5`", "≥ 0"),
        (
            "plan,*,horizon_months,0,",
            "plan.horizon_months = `0`",
            "a whole number from 1 to 600",
        ),
        (
            "plan,*,horizon_months,24.5,",
            "plan.horizon_months = `24.5`",
            "a whole number from 1 to 600",
        ),
        (
            "plan,*,horizon_months,601,",
            "plan.horizon_months = `601`",
            "a whole number from 1 to 600",
        ),
        (
            "reach,search,audience,0,",
            "reach.audience = `0`",
            "a head count ≥ 1",
        ),
        // BASE already names search's cost_per_visit, so use `*`.
        (
            "reach,*,cost_per_visit,0,",
            "reach.cost_per_visit = `0`",
            "an amount > 0",
        ),
    ];
    for (row, what, help) in cases {
        rejects(row, L, &[what, "outside the allowed domain", help]);
    }
}

#[test]
fn money_and_spread_beyond_any_plan_are_rejected() {
    // Far beyond any budget, and large enough to overflow downstream into
    // null or constant results: rejected with the limit.
    for (row, what, help) in [
        (
            "reach,display,spend,1e13,",
            "reach.spend = `1e13`",
            "spend must be an amount ≥ 0 and at most 1e12",
        ),
        (
            "plan,*,fixed_cost,1e308,",
            "plan.fixed_cost = `1e308`",
            "at most 1e12",
        ),
        (
            "reach,*,cost_per_visit,2e12,",
            "reach.cost_per_visit = `2e12`",
            "an amount > 0 and at most 1e12",
        ),
        (
            "convert,search,order_value,1e308,",
            "convert.order_value = `1e308`",
            "at most 1e12",
        ),
        (
            "engage,*,repeat_order_value,\"uniform(1e-300, 1.7e308)\",",
            "the distribution's range ([1e-300, 1.7e308])",
            "repeat_order_value must be an amount > 0 and at most 1e12",
        ),
        (
            "convert,search,order_value,\"lognormal(2e12, 10)\",",
            "convert.order_value = `lognormal(2e12, 10)`: the distribution's range (mean 2e12)",
            "a lognormal may have a longer tail, but its mean must be at most 1e12",
        ),
        (
            "convert,*,order_value_cv,1e300,",
            "convert.order_value_cv = `1e300`",
            "order_value_cv must be a value from 0 to 100",
        ),
    ] {
        rejects(row, L, &[what, "outside the allowed domain", help]);
    }
    // The log-normal's shape comes from (sd/mean)²: bounded, so it stays a
    // distribution instead of collapsing into its mean.
    rejects(
        "convert,search,order_value,\"lognormal(1, 1e200)\",",
        L,
        &[
            "convert.order_value: `lognormal(1, 1e200)` has sd/mean = 1e200, more than racesim allows (1e3)",
            "an sd at most 1e3 times the mean",
        ],
    );
}

#[test]
fn distribution_whose_support_leaves_the_domain() {
    rejects(
        "act,search,rate,\"lognormal(0.1, 0.05)\",",
        L,
        &[
            "act.rate = `lognormal(0.1, 0.05)`: the distribution's range",
            "outside the allowed domain",
            "use beta(a, b) or pert(low, mode, high) instead of lognormal",
        ],
    );
    // 0 is in the support of pert(0, 1, 2), and a cost per visit must be > 0.
    rejects(
        "reach,*,cost_per_visit,\"pert(0, 1, 2)\",",
        L,
        &[
            "reach.cost_per_visit = `pert(0, 1, 2)`: the distribution's range ([0, 2])",
            "cost_per_visit must be an amount > 0",
        ],
    );
    rejects(
        "act,search,rate,\"uniform(0.5, 1.2)\",",
        L,
        &["the distribution's range ([0.5, 1.2])", "a rate in [0, 1]"],
    );
}

#[test]
fn distribution_inside_the_domain_is_accepted() {
    // Spec §2.2's own examples, plus open supports that touch a bound.
    let (_ws, out) = validate_str(
        "s.csv",
        with_base(
            "act,search,rate,\"pert(0, 0.1, 0.3)\",\n\
             reach,*,cost_per_visit,\"lognormal(1, 0.5)\",\n\
             engage,*,churn_polarization,\"beta(2, 5)\",",
        ),
    );
    out.assert_ok();
}

#[test]
fn campaign_longer_than_horizon() {
    rejects(
        "plan,*,horizon_months,6,\nplan,*,campaign_months,9,",
        L + 1,
        &[
            "campaign_months (9) is longer than horizon_months (6)",
            "raise horizon_months or shorten the campaign",
        ],
    );
    // Against the default horizon of 12.
    rejects(
        "plan,*,campaign_months,13,",
        L,
        &["campaign_months (13) is longer than horizon_months (12)"],
    );
}

// ------------------------------------------------------ required inputs

#[test]
fn channel_with_spend_needs_cost_per_visit() {
    rejects(
        "reach,display,spend,500,",
        L,
        &[
            "channel `display` needs `reach.cost_per_visit` because it has spend 500",
            "reach,display,cost_per_visit,",
        ],
    );
}

#[test]
fn channel_with_spend_needs_act_rate() {
    let text = "\
stage,channel,metric,value,note
convert,*,rate,0.2,
convert,*,order_value,50,
reach,search,spend,1000,
reach,search,cost_per_visit,1.5,
";
    check_both("s.csv", text).assert_input_error(
        "s.csv",
        Some(4),
        &[
            "channel `search` needs `act.rate` because it has spend 1000",
            "act,search,rate,",
        ],
    );
}

#[test]
fn channel_without_spend_needs_nothing() {
    // A placeholder channel with zero spend has no visitors, so no
    // cost_per_visit, convert or order value is required.
    let (_ws, out) = validate_str(
        "s.csv",
        with_base("reach,display,spend,0,\nact,display,rate,0.05,"),
    );
    out.assert_ok();
    assert!(out.stdout_text().contains("CHANNEL display"));
}

#[test]
fn channel_without_reach_rows_is_a_misspelling() {
    // Spec §2: a channel exists when any row names it. One that no reach
    // row names never gets visitors: its rows would silently do nothing.
    rejects(
        "convert,serach,rate,0.5,search override",
        L,
        &[
            "channel `serach` has no reach rows, so it never has visitors and its rows have no effect",
            "did you mean `search`?",
        ],
    );
    rejects(
        "engage,*,referral_rate,0.01,\nact,referal,rate,0.3,",
        L + 1,
        &[
            "channel `referal` has no reach rows",
            "did you mean `referral`?",
        ],
    );
}

#[test]
fn channel_without_reach_rows_and_no_close_name_is_a_warning() {
    // Spec §2: a channel exists when any row names it, so a channel no
    // reach row names is simulated (with zeros) and listed; racesim warns,
    // with how to keep such a placeholder on purpose, and runs.
    let ws = Workspace::new();
    ws.write(
        "s.csv",
        with_base("act,display,rate,0.02,\nengage,display,churn,0.1,"),
    );
    for command in [
        &["run", "s.csv", "-n", "20", "-q"][..],
        &["validate", "s.csv"],
    ] {
        let out = ws.run(command);
        out.assert_ok();
        let shown = format!("{}{}", out.stdout_text(), out.stderr);
        for needle in [
            "s.csv:7: channel `display` has no reach rows",
            "(it is also named on lines 8)",
            "add the row `reach,display,spend,0`",
        ] {
            assert!(
                shown.contains(needle),
                "{command:?} lacks {needle:?}:\n{shown}"
            );
        }
    }
    let json = run_json(&ws, "s.csv", &["-n", "20"]);
    let display = &json["plans"][0]["channels"]["display"];
    assert_eq!(display["customers"]["mean"], 0.0, "{display}");
    // A second channel whose name merely starts like another is no
    // misspelling: still a warning, with the near name offered.
    ws.write("t.csv", with_base("engage,search_brand,churn,0.1,"));
    let out = ws.run(&["validate", "t.csv"]);
    out.assert_ok();
    assert!(
        out.stdout_text()
            .contains("did you mean `search`? If not, to keep `search_brand`"),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn missing_input_points_at_a_misspelt_channel_row() {
    let text = "\
stage,channel,metric,value,note
reach,search,spend,1000,
reach,search,cost_per_visit,1.5,
act,serach,rate,0.1,
convert,*,rate,0.2,
convert,*,order_value,50,
";
    let out = check_both("s.csv", text);
    out.assert_input_error(
        "s.csv",
        Some(2),
        &[
            "s.csv:2: channel `search` needs `act.rate` because it has spend 1000",
            "line 4 gives `act.rate` to channel `serach`: did you mean `search`?",
            "s.csv:4: channel `serach` has no reach rows",
        ],
    );
}

#[test]
fn invalid_row_is_not_also_reported_missing() {
    // The row is there; only its value is wrong. Saying "add a row" too
    // would send the planner looking for the wrong mistake.
    // Each case replaces one line of BASE with an invalid value.
    for (line, row, problem) in [
        (
            3,
            "reach,search,cost_per_visit,0,",
            "reach.cost_per_visit = `0`: the value is outside",
        ),
        (
            3,
            "reach,search,cost_per_visit,\"uniform(0, 1)\",",
            "reach.cost_per_visit = `uniform(0, 1)`: the distribution's range",
        ),
        (
            4,
            "act,*,rate,lots,",
            "act.rate: `lots` is neither a number",
        ),
        (
            6,
            "convert,*,order_value,-5,",
            "convert.order_value = `-5`: the value is outside",
        ),
    ] {
        let mut lines: Vec<&str> = BASE.lines().collect();
        lines[line - 1] = row;
        let out = check_both("s.csv", lines.join("\n") + "\n");
        out.assert_input_error("s.csv", Some(line as u64), &[problem]);
        assert!(!out.stderr.contains("needs"), "{row}: {}", out.stderr);
        assert!(!out.stderr.contains("problems"), "{row}: {}", out.stderr);
    }
    // A rejected horizon is not compared with the campaign as the default.
    let out = check_both(
        "s.csv",
        with_base("plan,*,horizon_months,0,\nplan,*,campaign_months,13,"),
    );
    out.assert_input_error("s.csv", Some(L), &["plan.horizon_months = `0`"]);
    assert!(!out.stderr.contains("longer than"), "{}", out.stderr);
}

/// A scenario whose funnel rows all name `search`, so the built-in
/// `referral` channel inherits nothing.
const NAMED_ONLY: &str = "\
stage,channel,metric,value,note
reach,search,spend,1000,
reach,search,cost_per_visit,1.5,
act,search,rate,0.1,
convert,search,rate,0.2,
convert,search,order_value,50,
";

#[test]
fn referral_needs_act_convert_and_order_value_when_referrals_happen() {
    let text = format!("{NAMED_ONLY}engage,search,referral_rate,0.05,\n");
    check_both("s.csv", &text).assert_input_error(
        "s.csv",
        Some(7),
        &[
            "channel `referral` needs `act.rate`, `convert.rate`, `convert.order_value`",
            "referrals are simulated (some referral_rate > 0)",
            "act,referral,rate,",
        ],
    );
    // Only what is still missing is named.
    let text = format!("{NAMED_ONLY}engage,search,referral_rate,0.05,\nact,referral,rate,0.3,\n");
    let out = check_both("s.csv", &text);
    out.assert_input_error(
        "s.csv",
        Some(7),
        &["channel `referral` needs `convert.rate`, `convert.order_value`"],
    );
    assert!(!out.stderr.contains("`act.rate`"), "{}", out.stderr);
}

#[test]
fn referral_problem_points_at_the_referral_rate_row() {
    let text = format!("{NAMED_ONLY}engage,search,referral_rate,0.05,\n");
    check_both("s.csv", &text).assert_input_error(
        "s.csv",
        Some(7),
        &["channel `referral` needs `act.rate`"],
    );
}

#[test]
fn referral_inputs_are_optional_without_referrals() {
    // No referral_rate anywhere: referral rows are inert, nothing required,
    // and validate says they have no effect.
    let (_ws, out) = validate_str("s.csv", format!("{NAMED_ONLY}act,referral,rate,0.3,\n"));
    out.assert_ok();
    assert!(
        out.stdout_text().contains(
            "the `referral` channel is inactive: no channel has referral_rate > 0, so its row on line 7 has no effect"
        ),
        "{}",
        out.stdout_text()
    );
    assert!(!out.stdout_text().contains("CHANNEL referral"));
    // With referrals but `*` rows, the referral channel inherits them.
    let (_ws, out) = validate_str("s.csv", with_base("engage,*,referral_rate,0.05,"));
    out.assert_ok();
    assert!(out.stdout_text().contains("CHANNEL referral"));
}

// -------------------------------------------------------------- targets

#[test]
fn target_with_unknown_metric_suggests_the_closest() {
    rejects(
        "target,*,proft,> 0,",
        L,
        &[
            "unknown total target metric `proft`",
            "did you mean `profit`?",
        ],
    );
    // Channels have fewer metrics: the message lists them (`cac` and `cost`
    // are among them since channels report them).
    rejects(
        "target,search,ltv,>= 10,",
        L,
        &[
            "unknown per-channel target metric `ltv`",
            "spend, visitors, leads, customers, orders, revenue, gross_profit, roi, \
             active_customers, cost, cac",
        ],
    );
}

#[test]
fn target_with_bad_comparison() {
    rejects(
        "target,*,roi,= 3,",
        L,
        &[
            "target `= 3` must start with one of >=, >, <=, <",
            "`> 0 @ 0.8`",
        ],
    );
    rejects(
        "target,*,roi,>= abc,",
        L,
        &["`abc` in target `>= abc` is not a number"],
    );
    rejects(
        "target,*,roi,> 0 @ 80,",
        L,
        &["the confidence `80` after `@` must be a share in (0, 1]"],
    );
    rejects("target,*,roi,,", L, &["target `` must start with one of"]);
    rejects(
        "target,*,roi,>= 1e400,",
        L,
        &["`1e400` in target `>= 1e400` is out of range"],
    );
}

#[test]
fn a_percentage_gets_the_decimal_to_write() {
    rejects(
        "convert,search,rate,62%,",
        L,
        &[
            "convert.rate: `62%` is a percentage",
            "write `0.62`: racesim takes rates and shares as decimals",
        ],
    );
    rejects(
        "convert,search,rate,\"pert(5%, 6.5%, 9%)\",",
        L,
        &[
            "`5%` in `pert(5%, 6.5%, 9%)` is not a number",
            "write `0.05`",
        ],
    );
    rejects(
        "target,*,roi,>= 25%,",
        L,
        &["`25%` in target `>= 25%` is a percentage; write `0.25`"],
    );
    rejects(
        "target,*,roi,>= 0 @ 80%,",
        L,
        &["the confidence `80%` after `@` is a percentage; write `0.8`"],
    );
}

#[test]
fn the_same_target_twice_names_the_first_line() {
    // Two targets on one metric are fine (see cli.rs); the same comparison twice is
    // a copy-paste slip, whatever gate it carries, and `check` could not tell them apart.
    rejects(
        "target,*,profit,> 0,\ntarget,*,profit,>= 50000,\ntarget,*,profit,> 0 @ 0.8,",
        L + 2,
        &[
            "target `profit > 0` is given twice (first on line 7)",
            "targets on one metric must differ in comparison or value",
        ],
    );
    rejects(
        "target,search,roi,>= 0.5,\ntarget,Search,ROI,>= 0.50,",
        L + 1,
        &["target `search.roi >= 0.5` is given twice (first on line 7)"],
    );
}

#[test]
fn target_on_referral_without_referrals() {
    rejects(
        "target,referral,customers,> 0,",
        L,
        &[
            "target names channel `referral`, which the scenario does not simulate",
            "referral_rate > 0",
        ],
    );
}

#[test]
fn target_on_unknown_channel_suggests_the_closest() {
    rejects(
        "target,serch,roi,> 0,",
        L,
        &[
            "target names channel `serch`, which the scenario does not simulate",
            "did you mean `search`?",
        ],
    );
}

// ------------------------------------------------------ the CSV layer

#[test]
fn unknown_column_suggests_the_closest() {
    let text = "stage,channel,metric,vaule,note\nact,*,rate,0.1,\n";
    check_both("s.csv", text).assert_input_error(
        "s.csv",
        Some(1),
        &["unknown column `vaule`", "did you mean `value`?"],
    );
}

#[test]
fn missing_required_column() {
    let text = "stage,channel,value,note\nact,*,0.1,\n";
    check_both("s.csv", text).assert_input_error(
        "s.csv",
        Some(1),
        &[
            "the header has no `metric` column",
            "stage,channel,metric,value,note",
        ],
    );
}

#[test]
fn column_given_twice() {
    let text = "stage,channel,metric,value,Value\nact,*,rate,0.1,0.2\n";
    check_both("s.csv", text).assert_input_error(
        "s.csv",
        Some(1),
        &["column `value` appears twice"],
    );
}

#[test]
fn non_utf8_bytes_name_the_line_of_the_bad_byte() {
    let mut bytes = with_base("engage,*,churn,0.1,").into_bytes();
    // A Latin-1 "é" in a note on line 8.
    bytes.extend_from_slice(b"engage,*,repeat_rate,0.2,caf\xe9 campaign\n");
    check_both("s.csv", bytes).assert_input_error(
        "s.csv",
        Some(8),
        &["the file is not valid UTF-8 text", "save it as UTF-8"],
    );
}

#[test]
fn missing_file_names_the_path() {
    let ws = Workspace::new();
    let out = ws.run(&["validate", "nowhere/missing.csv"]);
    out.assert_input_error("nowhere/missing.csv", None, &["cannot read the scenario"]);
    let out = ws.run(&["run", "-q", "-n", "10", "nowhere/missing.csv"]);
    out.assert_input_error("nowhere/missing.csv", None, &["cannot read the scenario"]);
}

#[test]
fn empty_file_has_no_header() {
    for text in ["", "\n\n", "# only a comment\n\n# and another\n"] {
        check_both("s.csv", text).assert_input_error(
            "s.csv",
            None,
            &[
                "the file has no header line",
                "stage,channel,metric,value,note",
            ],
        );
    }
}

#[test]
fn header_only_file_is_a_valid_empty_scenario() {
    // Documented behaviour of the parser: a header with no rows is valid,
    // has no channels, and every plan input takes its default.
    let ws = Workspace::new();
    ws.write("s.csv", "stage,channel,metric,value,note\n");
    let out = ws.run(&["validate", "s.csv"]);
    out.assert_ok();
    let text = out.stdout_text();
    assert!(
        text.contains("valid · 0 channels · 0 assumptions"),
        "{text}"
    );
    assert!(text.contains("horizon_months"), "{text}");
    let doc = common::run_json(&ws, "s.csv", &["-n", "10"]);
    let plan = &doc["plans"][0];
    assert_eq!(plan["channels"].as_object().unwrap().len(), 0);
    assert_eq!(plan["metrics"]["customers"]["mean"], 0.0);
    assert_eq!(doc["horizon_months"], 12);
}

#[test]
fn unclosed_quote_is_named() {
    // A quote that opens a field and never closes would swallow the rest
    // of the file into one field.
    let out = check_both(
        "s.csv",
        with_base("plan,*,fixed_cost,\"100,\nengage,*,churn,0.1,"),
    );
    out.assert_input_error(
        "s.csv",
        Some(L),
        &[
            "the quote that opens `\"100,` is never closed",
            "close the quote with another `\"`",
        ],
    );
    assert!(!out.stderr.contains("neither"), "{}", out.stderr);
    // After padding, CSV does not treat the quote as quoting, but racesim
    // does; unclosed, it is named too.
    rejects(
        "reach,*,cost_per_visit, \"pert(1, 2, 3),",
        L,
        &["the quote that opens `\"pert(1, 2, 3)` is never closed"],
    );
}

#[test]
fn semicolon_separated_file_is_named_as_such() {
    let text = "stage;channel;metric;value;note\nact;*;rate;0.1;\n";
    let out = check_both("s.csv", text);
    out.assert_input_error(
        "s.csv",
        Some(1),
        &[
            "the header `stage;channel;metric;value;note` seems to use `;` to separate columns; racesim needs commas",
            "stage,channel,metric,value,note",
        ],
    );
    // One message, not one per column.
    assert!(!out.stderr.contains("problems"), "{}", out.stderr);
    run_plans("plan;channel;spend\nshift;search;800\n").assert_input_error(
        "p.csv",
        Some(1),
        &["seems to use `;`", "plan,channel,spend"],
    );
}

#[test]
fn header_with_trailing_empty_columns_is_accepted() {
    // Spreadsheets export blank columns as trailing empty cells, in rows
    // and in the header alike.
    let text = BASE.replacen("value,note\n", "value,note,,\n", 1);
    let (_ws, out) = validate_str("s.csv", text);
    out.assert_ok();
    // An empty column between named ones is still a mistake, said once.
    let text = "stage,,channel,metric,value,,note\nact,,*,rate,0.1,,\n";
    let out = check_both("s.csv", text);
    out.assert_input_error(
        "s.csv",
        Some(1),
        &[
            "column 2 of the header is empty",
            "column 6 of the header is empty",
        ],
    );
    assert_eq!(out.stderr.matches("column 2 ").count(), 1, "{}", out.stderr);
}

#[test]
fn first_line_that_is_a_row_is_not_taken_for_a_header() {
    let out = check_both("s.csv", "act,*,rate,0.1,\nconvert,*,rate,0.2,\n");
    out.assert_input_error(
        "s.csv",
        Some(1),
        &[
            "the first line `act,*,rate,0.1,` names none of the columns, so the file has no header",
            "stage,channel,metric,value,note",
        ],
    );
    assert!(!out.stderr.contains("problems"), "{}", out.stderr);
}

#[test]
fn row_with_more_fields_than_the_header() {
    rejects(
        "act,search,rate,0.1,agency quote, revised in May",
        L,
        &[
            "this row has 6 fields but the header has 5",
            "quote a field that contains a comma",
        ],
    );
}

#[test]
fn row_with_fewer_fields_than_the_header() {
    // Stops before the value column: reported, not a panic.
    rejects(
        "engage,*,churn_polarization",
        L,
        &["engage.churn_polarization", "the value is empty"],
    );
    rejects("act,search", L, &["act"]);
}

#[test]
fn several_problems_are_reported_together() {
    let text = with_base(
        "reahc,search,audience,5000,\n\
         act,search,rate,1.5,\n\
         convert,search,rate,\"lognromal(0.1, 0.01)\",\n\
         target,*,proft,> 0,",
    );
    let out = check_both("s.csv", text);
    out.assert_input_error(
        "s.csv",
        Some(L),
        &[
            "4 problems in s.csv:",
            "s.csv:7: unknown stage `reahc`",
            "s.csv:8: act.rate = `1.5`",
            "s.csv:9: convert.rate: unknown distribution `lognromal`",
            "s.csv:10: unknown total target metric `proft`",
            "did you mean `reach`?",
            "did you mean `lognormal`?",
            "did you mean `profit`?",
        ],
    );
    // In line order.
    let pos = |s: &str| out.stderr.find(s).unwrap();
    assert!(pos("s.csv:7:") < pos("s.csv:8:"));
    assert!(pos("s.csv:8:") < pos("s.csv:9:"));
    assert!(pos("s.csv:9:") < pos("s.csv:10:"));
}

#[test]
fn problems_found_late_are_reported_with_those_found_early() {
    // A missing input is found after all rows are read; a bad value and a
    // campaign problem come from rows. All are reported at once.
    let text =
        with_base("reach,display,spend,500,\nplan,*,campaign_months,20,\nact,search,rate,2,");
    let out = check_both("s.csv", text);
    out.assert_input_error(
        "s.csv",
        Some(L),
        &[
            "3 problems in s.csv:",
            "s.csv:7: channel `display` needs `reach.cost_per_visit`",
            "s.csv:8: campaign_months (20) is longer than horizon_months (12)",
            "s.csv:9: act.rate = `2`",
        ],
    );
}

// -------------------------------------------------- line numbers

/// The line a bad row sits on must be reported whatever the file looks
/// like around it; the tests below put the bad row after the things the
/// parser skips.
#[track_caller]
fn bad_row_is_on_line(text: &str, line: u64) {
    check_both("s.csv", text).assert_input_error("s.csv", Some(line), &["convert.rate = `2`"]);
}

#[test]
fn line_numbers_in_a_plain_file() {
    bad_row_is_on_line(
        "stage,channel,metric,value\nact,*,rate,0.1\nconvert,*,rate,2\n",
        3,
    );
    // A comment line before the header counts.
    bad_row_is_on_line(
        "# comment\nstage,channel,metric,value\nact,*,rate,0.1\nconvert,*,rate,2\n",
        4,
    );
    // A quoted note spanning two lines counts as two lines.
    bad_row_is_on_line(
        "stage,channel,metric,value,note\nact,*,rate,0.1,\"two\nlines\"\nconvert,*,rate,2,\n",
        4,
    );
}

#[test]
fn line_numbers_with_crlf_line_endings() {
    bad_row_is_on_line(
        "stage,channel,metric,value\r\nact,*,rate,0.1\r\nconvert,*,rate,2\r\n",
        3,
    );
}

#[test]
fn line_numbers_with_old_mac_line_endings() {
    // A lone CR ends a line, as in files saved by classic Mac OS apps.
    bad_row_is_on_line(
        "stage,channel,metric,value\ract,*,rate,0.1\r# note\r\rconvert,*,rate,2\r",
        5,
    );
}

#[test]
fn line_numbers_count_blank_lines() {
    bad_row_is_on_line(
        "stage,channel,metric,value\nact,*,rate,0.1\n\nconvert,*,rate,2\n",
        4,
    );
}

#[test]
fn line_numbers_count_comment_lines_after_the_header() {
    bad_row_is_on_line(
        "stage,channel,metric,value\nact,*,rate,0.1\n# one\n# two\nconvert,*,rate,2\n",
        5,
    );
}

// ----------------------------------------------------------- plans

/// A scenario with two paid channels and one (`display`) that has no
/// cost per visit, for the plans tests.
const PLANNED: &str = "\
stage,channel,metric,value
reach,search,spend,1000
reach,search,cost_per_visit,1.5
reach,social,spend,500
reach,social,cost_per_visit,0.8
reach,display,spend,0
act,*,rate,0.1
act,display,rate,0.02
convert,*,rate,0.2
convert,*,order_value,50
";

/// Runs the PLANNED scenario with `plans` (a plans file body, header
/// included) and returns the outcome.
fn run_plans(plans: impl AsRef<[u8]>) -> common::Outcome {
    let ws = Workspace::new();
    ws.write("s.csv", PLANNED);
    ws.write("p.csv", plans);
    ws.run(&["run", "-q", "-n", "10", "s.csv", "--plans", "p.csv"])
}

#[test]
fn plans_scenario_is_valid_with_good_plans() {
    let out = run_plans("plan,channel,spend\nshift,search,800\nshift,social,700\n");
    out.assert_ok();
}

#[test]
fn plans_unknown_channel_suggests_the_closest() {
    run_plans("plan,channel,spend\nshift,serch,800\n").assert_input_error(
        "p.csv",
        Some(2),
        &["unknown channel `serch`", "did you mean `search`?"],
    );
    run_plans("plan,channel,spend\nshift,tv,800\n").assert_input_error(
        "p.csv",
        Some(2),
        &[
            "unknown channel `tv`",
            "the scenario's channels are: search, social",
        ],
    );
    run_plans("plan,channel,spend\nshift,referral,800\n").assert_input_error(
        "p.csv",
        Some(2),
        &["unknown channel `referral`", "has no spend"],
    );
}

#[test]
fn plans_negative_spend() {
    run_plans("plan,channel,spend\nshift,search,-100\n").assert_input_error(
        "p.csv",
        Some(2),
        &["spend `-100` is negative", "spend must be ≥ 0"],
    );
}

#[test]
fn plans_spend_beyond_any_budget() {
    run_plans("plan,channel,spend\nshift,search,5e12\n").assert_input_error(
        "p.csv",
        Some(2),
        &["spend `5e12` is too large", "spend must be at most 1e12"],
    );
    run_plans("plan,channel,spend\nshift,search,1e400\n").assert_input_error(
        "p.csv",
        Some(2),
        &["spend `1e400` is out of range", "at most 1e12"],
    );
    run_plans("plan,channel,spend\nshift,search,\"40,000\"\n").assert_input_error(
        "p.csv",
        Some(2),
        &["spend: `40,000` has a thousands separator", "write `40000`"],
    );
}

#[test]
fn plans_non_number_spend() {
    run_plans("plan,channel,spend\nshift,search,lots\n").assert_input_error(
        "p.csv",
        Some(2),
        &["spend `lots` is not a number", "40000"],
    );
    run_plans("plan,channel,spend\nshift,search,\"pert(1, 2, 3)\"\n").assert_input_error(
        "p.csv",
        Some(2),
        &["spend `pert(1, 2, 3)` is not a number"],
    );
}

#[test]
fn plans_spend_with_a_thousands_separator() {
    for (plans, written, meant) in [
        (
            "plan,channel,spend\nshift,search,40,000\n",
            "40,000",
            "40000",
        ),
        (
            "plan,channel,spend\nshift,search,40,000,\n",
            "40,000",
            "40000",
        ),
    ] {
        run_plans(plans).assert_input_error(
            "p.csv",
            Some(2),
            &[
                &format!("spend `{written}` has a thousands separator"),
                &format!("write `{meant}`"),
            ],
        );
    }
}

#[test]
fn plans_duplicate_plan_and_channel() {
    run_plans("plan,channel,spend\nshift,search,800\nshift,social,700\nshift,Search,900\n")
        .assert_input_error(
            "p.csv",
            Some(4),
            &["plan `shift` sets channel `search` twice (first on line 2)"],
        );
}

#[test]
fn plans_cannot_redefine_baseline() {
    run_plans("plan,channel,spend\nBaseline,search,800\n").assert_input_error(
        "p.csv",
        Some(2),
        &[
            "`baseline` is the scenario itself and cannot be redefined",
            "give this plan another name",
        ],
    );
}

#[test]
fn plans_spend_on_a_channel_that_cannot_use_it() {
    run_plans("plan,channel,spend\nshift,display,300\n").assert_input_error(
        "p.csv",
        Some(2),
        &["channel `display` gets spend 300", "reach.cost_per_visit"],
    );
}

#[test]
fn plans_file_without_plans() {
    run_plans("plan,channel,spend\n").assert_input_error(
        "p.csv",
        None,
        &["the plans file defines no plan", "shift,search,40000"],
    );
}

#[test]
fn plans_file_with_a_bad_header_or_bytes() {
    run_plans("plan,chanel,spend\nshift,search,800\n").assert_input_error(
        "p.csv",
        Some(1),
        &["unknown column `chanel`", "did you mean `channel`?"],
    );
    run_plans(b"plan,channel,spend\nshift,search,800\nm\xe4rz,social,700\n".as_slice())
        .assert_input_error("p.csv", Some(3), &["not valid UTF-8"]);
}

#[test]
fn plans_missing_file() {
    let ws = Workspace::new();
    ws.write("s.csv", PLANNED);
    ws.run(&["run", "-q", "-n", "10", "s.csv", "--plans", "nope.csv"])
        .assert_input_error("nope.csv", None, &["cannot read the plans file"]);
}

#[test]
fn plans_several_problems_together() {
    let out =
        run_plans("plan,channel,spend\nbaseline,search,1\nshift,serch,800\nshift,social,-1\n");
    out.assert_input_error(
        "p.csv",
        Some(2),
        &[
            "3 problems in p.csv:",
            "p.csv:2: `baseline`",
            "p.csv:3: unknown channel `serch`",
            "p.csv:4: spend `-1` is negative",
        ],
    );
}

// ------------------------------------------------------- command line

#[test]
fn zero_threads_is_a_usage_error() {
    let ws = Workspace::new();
    ws.write("s.csv", BASE);
    let out = ws.run(&["run", "-q", "-n", "10", "--threads", "0", "s.csv"]);
    out.assert_code(EXIT_INPUT);
    out.assert_stderr_has(&["error: --threads must be at least 1"]);
    assert!(out.stdout.is_empty());
}

#[test]
fn zero_trials_is_a_usage_error() {
    let ws = Workspace::new();
    ws.write("s.csv", BASE);
    let out = ws.run(&["run", "-q", "--trials", "0", "s.csv"]);
    out.assert_code(EXIT_INPUT);
    out.assert_stderr_has(&["error: --trials must be at least 1"]);
    assert!(out.stdout.is_empty());
}

#[test]
fn malformed_arguments_are_usage_errors() {
    let ws = Workspace::new();
    ws.write("s.csv", BASE);
    for args in [
        &["run", "-n", "abc", "s.csv"][..],
        &["run", "-n", "-5", "s.csv"],
        &["run", "-f", "xml", "s.csv"],
        &["run"],
        &["frobnicate", "s.csv"],
        &[],
    ] {
        let out = ws.run(args);
        out.assert_code(EXIT_INPUT);
        assert!(out.stdout.is_empty(), "{args:?}");
        // clap's message, or the usage when no command is given at all.
        assert!(
            out.stderr.contains("error:") || out.stderr.contains("Usage:"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn scenario_trials_beyond_the_limit_is_an_input_error_with_a_line() {
    check_both("s.csv", with_base("plan,*,trials,5000000000,")).assert_input_error(
        "s.csv",
        Some(L),
        &["plan.trials", "5000000000"],
    );
}

// ------------------------------------------------------- no panics

#[test]
fn runaway_referrals_do_not_panic() {
    // Every input is inside its domain: 2 referred visits per active
    // customer per month, a quarter of whom become customers, grow the
    // customer base by ~50 % a month for 20 years.
    let text = "\
stage,channel,metric,value
plan,*,horizon_months,240
reach,search,spend,1000
reach,search,cost_per_visit,1
act,*,rate,0.5
convert,*,rate,0.5
convert,*,order_value,50
engage,*,churn,0.01
engage,*,referral_rate,2
";
    let ws = Workspace::new();
    ws.write("s.csv", text);
    let out = ws.run(&["run", "-q", "-n", "5", "-f", "json", "s.csv"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    // Either a forecast (counts saturate or are reported as huge floats)
    // or a clear input error naming the referral_rate row.
    match out.code {
        Some(0) => {
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let customers = doc["plans"][0]["metrics"]["customers"]["mean"]
                .as_f64()
                .unwrap();
            assert!(customers > 1e19, "counts must not wrap: {customers}");
        }
        Some(2) => {
            assert!(out.stderr.contains("s.csv"), "{}", out.stderr);
            assert!(out.stderr.contains("grows without bound"), "{}", out.stderr);
            assert!(out.stderr.contains("referral_rate"), "{}", out.stderr);
        }
        other => panic!("unexpected exit {other:?}: {}", out.stderr),
    }
}

#[test]
fn extreme_but_valid_inputs_do_not_panic() {
    // Tiny costs, huge audiences, extreme polarization and variation:
    // inside every domain, so racesim must simulate them.
    for extra in [
        "reach,*,cost_per_visit,1e-12,",
        "reach,search,audience,1e15,",
        "engage,*,churn_polarization,0.999999999999,\nengage,*,churn,0.5,",
        "engage,*,churn_polarization,\"beta(50, 0.01)\",\nengage,*,churn,0.5,",
        "convert,*,order_value_cv,100,",
        "convert,*,order_value_cv,1e-200,",
        "plan,*,discount_rate,1e300,",
        "plan,*,fixed_cost,1e12,",
        "convert,search,order_value,\"lognormal(1e12, 1e15)\",",
        "reach,display,spend,1e12,\nreach,display,cost_per_visit,1,",
        "engage,*,churn,0,\nengage,*,repeat_rate,1000,\nplan,*,horizon_months,600,",
    ] {
        let ws = Workspace::new();
        ws.write("s.csv", with_base(extra));
        let out = ws.run(&["run", "-q", "-n", "20", "-f", "json", "s.csv"]);
        assert!(
            !out.stderr.contains("panicked"),
            "panic with {extra:?}:\n{}",
            out.stderr
        );
        assert_eq!(out.code, Some(0), "{extra:?}: {}", out.stderr);
        let _: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    }
}

#[test]
fn absurd_repeat_rate_is_reported_not_wrapped() {
    // 1e300 orders per customer per month is inside the domain (≥ 0) but
    // no count can hold it: a clear error, not a panic or a wrapped number.
    let ws = Workspace::new();
    ws.write(
        "s.csv",
        with_base("engage,*,churn,0,\nengage,*,repeat_rate,1e300,"),
    );
    let out = ws.run(&["run", "-q", "-n", "20", "-f", "json", "s.csv"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("s.csv"), "{}", out.stderr);
    assert!(out.stderr.contains("repeat_rate"), "{}", out.stderr);
}
