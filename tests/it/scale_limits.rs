//! Many plans and many channels (docs/reliability.md, "Limits"): inputs beyond the
//! documented sizes are refused with exit 2, and beyond `PAIRWISE_PLANS` plans the
//! pairwise wins are shown among the best plans only (counted in a second pass beyond
//! `PAIRWISE_IN_PASS`), with the same numbers a run of those plans alone gives, on any
//! thread count and in shards.

use racesim::document::Document;
use racesim::plans::{MAX_PLANS, MAX_STATISTICS};
use racesim::scenario::MAX_CHANNELS;
use racesim::simulation::{PAIRWISE_IN_PASS, PAIRWISE_PLANS};

use super::common::{self, Workspace};

/// A plans file of `n` plans for the shop scenario, each a different split of its
/// 195,000 budget over its four channels.
fn shop_plans(n: usize) -> String {
    let mut text = String::from("plan,channel,spend\n");
    for i in 0..n {
        let search = 20_000 + (i * 7_919) % 100_000;
        let social = 10_000 + (i * 3_571) % (175_000 - search);
        let display = (195_000 - search - social) / 3;
        let influencers = 195_000 - search - social - display;
        for (channel, spend) in [
            ("search", search),
            ("social", social),
            ("display", display),
            ("influencers", influencers),
        ] {
            text.push_str(&format!("plan{i:03},{channel},{spend}\n"));
        }
    }
    text
}

fn shop(plans: usize) -> Workspace {
    let ws = Workspace::new();
    let root = env!("CARGO_MANIFEST_DIR");
    ws.write(
        "dtc_shop.csv",
        std::fs::read(format!("{root}/scenarios/dtc_shop.csv")).unwrap(),
    );
    ws.write("many.plans.csv", shop_plans(plans));
    ws
}

fn compare(ws: &Workspace, plans: &str, extra: &[&str]) -> Document {
    let mut args = vec![
        "compare",
        "dtc_shop.csv",
        plans,
        "-q",
        "-n",
        "60",
        "-f",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = ws.run(&args);
    out.assert_ok();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A scenario of `channels` paid channels over `horizon` months.
fn channels_scenario(channels: usize, horizon: usize) -> String {
    let mut text = format!("stage,channel,metric,value\nplan,*,horizon_months,{horizon}\n");
    for i in 0..channels {
        text.push_str(&format!(
            "reach,c{i},spend,1000\nreach,c{i},cost_per_visit,1.5\n"
        ));
    }
    text.push_str("act,*,rate,0.1\nconvert,*,rate,0.2\nconvert,*,order_value,50\n");
    text
}

#[test]
fn a_scenario_of_one_channel_too_many_is_refused_at_its_first_row() {
    let too_many = channels_scenario(MAX_CHANNELS + 1, 12);
    // Header and horizon take lines 1–2, each channel two rows.
    let line = 3 + 2 * MAX_CHANNELS as u64;
    let out = common::check_both("s.csv", &too_many);
    out.assert_input_error(
        "s.csv",
        Some(line),
        &[
            &format!("channel `c{MAX_CHANNELS}` is channel {}", MAX_CHANNELS + 1),
            &format!("at most {MAX_CHANNELS} channels"),
            "help: merge small channels",
        ],
    );
    assert_eq!(
        out.stderr.matches("error:").count(),
        1,
        "said once:\n{}",
        out.stderr
    );
    let (_ws, at_limit) = common::validate_str("s.csv", channels_scenario(MAX_CHANNELS, 12));
    at_limit.assert_ok();
}

#[test]
fn a_plans_file_of_one_plan_too_many_is_refused_by_every_command() {
    let ws = Workspace::new();
    ws.write("s.csv", common::with_base("plan,*,horizon_months,12,"));
    let mut plans = String::from("plan,channel,spend\n");
    for i in 0..=MAX_PLANS {
        plans.push_str(&format!("p{i},search,{}\n", 500 + i));
    }
    ws.write("s.plans.csv", &plans);
    let needles = [
        &format!("plan `p{MAX_PLANS}` is plan {} of the file", MAX_PLANS + 1)[..],
        &format!("a plans file holds at most {MAX_PLANS} plans"),
        "help: compare the plans in files of at most",
    ];
    let line = Some(MAX_PLANS as u64 + 2);
    for args in [
        &["compare", "s.csv", "s.plans.csv", "-q", "-n", "2"][..],
        &["run", "s.csv", "--plans", "s.plans.csv", "-q", "-n", "2"],
    ] {
        ws.run(args)
            .assert_input_error("s.plans.csv", line, &needles);
    }
    // `check` picks the plans file up beside its scenario.
    let out = ws.run(&["check", "s.csv", "--update", "--baselines", "b"]);
    out.assert_code(common::EXIT_INPUT)
        .assert_stderr_has(&needles);
    // One plan fewer is within the limit.
    let at_limit: String = plans
        .lines()
        .take(MAX_PLANS + 1)
        .collect::<Vec<_>>()
        .join("\n");
    ws.write("s.plans.csv", at_limit);
    ws.run(&[
        "compare",
        "s.csv",
        "s.plans.csv",
        "-q",
        "-n",
        "2",
        "-f",
        "csv",
    ])
    .assert_ok();
}

#[test]
fn plans_of_many_channels_are_limited_by_the_statistics_they_keep() {
    let ws = Workspace::new();
    ws.write("s.csv", channels_scenario(300, 24));
    let per_plan = 21 + 11 * 300 + 5 * 24;
    let fit = MAX_STATISTICS / per_plan - 1;
    let mut plans = String::from("plan,channel,spend\n");
    for i in 0..=fit {
        plans.push_str(&format!("p{i},c{i},500\n"));
    }
    ws.write("p.csv", &plans);
    ws.run(&["compare", "s.csv", "p.csv", "-q", "-n", "2"])
        .assert_input_error(
            "p.csv",
            Some(fit as u64 + 2),
            &[
                &format!("plan `p{fit}` is plan {} of the file", fit + 1)[..],
                &format!("a plan keeps {per_plan} statistics"),
                &format!("at most {fit} plans besides the baseline"),
            ],
        );
}

#[test]
fn beyond_the_pairwise_limit_the_best_plans_are_compared_as_if_alone() {
    best_plans_compared_as_if_alone(PAIRWISE_PLANS + 5);
}

#[test]
fn beyond_the_in_pass_limit_a_second_pass_gives_the_same_pairwise_wins() {
    best_plans_compared_as_if_alone(PAIRWISE_IN_PASS + 5);
}

/// Up to `PAIRWISE_IN_PASS` plans every pair is counted in the pass, beyond it the best
/// plans' in a second pass: either way the document shows the `PAIRWISE_PLANS` best.
fn best_plans_compared_as_if_alone(plans: usize) {
    let ws = shop(plans);
    let many = compare(&ws, "many.plans.csv", &[]);
    // Every plan is ranked and compared with the baseline…
    assert_eq!(many.ranking.len(), plans + 1);
    assert_eq!(many.comparisons.len(), plans * 4);
    // …and the pairs are those among the first PAIRWISE_PLANS of the ranking.
    let best: Vec<&str> = many.ranking[..PAIRWISE_PLANS]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(many.pairwise_plans(), best);
    assert_eq!(many.pairwise.len(), PAIRWISE_PLANS * (PAIRWISE_PLANS - 1));
    assert!(
        many.pairwise
            .iter()
            .all(|c| best.contains(&c.plan.as_str()) && best.contains(&c.against.as_str()))
    );

    // Those plans alone (the baseline is a plan of every run: leave it out of the file)
    // give the same P(better) for every pair, and every plan the same statistics.
    let mut alone = String::from("plan,channel,spend\n");
    for line in shop_plans(plans).lines().skip(1) {
        if best.contains(&line.split(',').next().unwrap()) {
            alone.push_str(line);
            alone.push('\n');
        }
    }
    ws.write("best.plans.csv", alone);
    let few = compare(&ws, "best.plans.csv", &[]);
    for c in &many.pairwise {
        let same = few
            .pairwise
            .iter()
            .find(|f| f.plan == c.plan && f.against == c.against);
        match same {
            Some(f) => assert_eq!(f.probability_better, c.probability_better, "{c:?}"),
            // The baseline may rank among the best of the many but is in every run.
            None => assert!(c.plan == "baseline" || c.against == "baseline"),
        }
    }
    for plan in &few.plans {
        let in_many = many.plans.iter().find(|p| p.plan == plan.plan).unwrap();
        assert_eq!(in_many, plan, "plan {}", plan.plan);
    }

    // The table says what it shows.
    let out = ws.run(&[
        "compare",
        "dtc_shop.csv",
        "many.plans.csv",
        "-q",
        "-n",
        "60",
    ]);
    out.assert_ok();
    let table = out.stdout_text();
    assert!(
        table.contains(&format!(
            "P(better) between the {PAIRWISE_PLANS} plans with the highest mean profit of {};",
            plans + 1
        )),
        "{table}"
    );
}

#[test]
fn many_plans_give_the_same_bytes_on_any_thread_count_and_in_shards() {
    // Beyond `PAIRWISE_IN_PASS`, the merge counts the best plans' wins itself.
    let ws = shop(PAIRWISE_IN_PASS + 3);
    let whole = |format: &str, threads: &str| {
        let out = ws.run(&[
            "compare",
            "dtc_shop.csv",
            "many.plans.csv",
            "-q",
            "-n",
            "31",
            "-f",
            format,
            "--threads",
            threads,
        ]);
        out.assert_ok();
        out.stdout
    };
    let json = whole("json", "1");
    assert!(json == whole("json", "2"), "1 and 2 threads differ");
    let mut partials = Vec::new();
    for k in 1..=3 {
        let name = format!("part-{k}.json");
        let shard = format!("{k}/3");
        ws.run(&[
            "compare",
            "dtc_shop.csv",
            "many.plans.csv",
            "-q",
            "-n",
            "31",
            "--shard",
            &shard,
            "--partial",
            &name,
        ])
        .assert_ok();
        partials.push(name);
    }
    for (format, expected) in [("json", json), ("table", whole("table", "2"))] {
        let mut args = vec!["merge", "-f", format];
        args.extend(partials.iter().map(String::as_str));
        let merged = ws.run(&args);
        merged.assert_ok();
        assert!(
            merged.stdout == expected,
            "{format}: merged shards differ from one machine"
        );
    }
}
