//! The readers on random input, as CI (stable) runs what `fuzz/` does with
//! cargo-fuzz: every reader is held to `racesim::oracle` (no panic, clear
//! errors, finite numbers from what it accepts) on a few hundred inputs:
//! rows built from the real vocabulary with random values, and random
//! bytes.

use proptest::prelude::*;

fn check(broken: Result<(), String>) -> Result<(), TestCaseError> {
    broken.map_err(TestCaseError::fail)
}

/// A value as a scenario might hold one, including the edges.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| x.to_string()),
        (0.0..2.0f64).prop_map(|x| x.to_string()),
        prop::sample::select(vec![
            "0",
            "1",
            "-1",
            "1e308",
            "1e-320",
            "0.9999999999999999",
            "NaN",
            "inf",
            "",
            "\"beta(1e-320, 1e-320)\"",
            "\"beta(1e308, 1e308)\"",
            "\"pert(0.1, 0.2, 0.3)\"",
            "\"lognormal(1.5, 0.2)\"",
            "\"uniform(0, 1)\"",
            "\"normal(50, 5)\"",
            "10%",
            "4294967295",
            "18446744073709551615",
        ])
        .prop_map(str::to_string),
    ]
}

fn row() -> impl Strategy<Value = String> {
    let stage = prop::sample::select(vec!["reach", "act", "convert", "engage", "plan", "target"]);
    let channel = prop::sample::select(vec!["*", "search", "social", "referral", "r\u{435}ach"]);
    let metric = prop::sample::select(vec![
        "spend",
        "cost_per_visit",
        "audience",
        "rate",
        "order_value",
        "order_value_cv",
        "repeat_rate",
        "repeat_order_value",
        "churn",
        "churn_polarization",
        "referral_rate",
        "trials",
        "seed",
        "horizon_months",
        "campaign_months",
        "discount_rate",
        "gross_margin",
        "fixed_cost",
        "profit",
        "spend@2",
        "rate@1",
    ]);
    (stage, channel, metric, value()).prop_map(|(s, c, m, v)| format!("{s},{c},{m},{v}"))
}

/// A valid base scenario with random rows appended, kept small in trials
/// and horizon so each case simulates in milliseconds.
fn scenario_text() -> impl Strategy<Value = String> {
    prop::collection::vec(row(), 0..6).prop_map(|rows| {
        let mut text = String::from(
            "stage,channel,metric,value\nreach,search,spend,1000\nreach,search,cost_per_visit,1.5\nact,*,rate,0.1\nconvert,*,rate,0.2\nconvert,*,order_value,50\n",
        );
        for r in rows {
            // Trials and horizon stay small, whatever the row says.
            if r.starts_with("plan,") && (r.contains(",trials,") || r.contains("months,")) {
                continue;
            }
            text.push_str(&r);
            text.push('\n');
        }
        text
    })
}

fn plans_text() -> impl Strategy<Value = String> {
    let plan = prop::sample::select(vec!["a", "b", "baseline", "", "\u{1b}[31m"]);
    let channel = prop::sample::select(vec!["search", "social", "referral", "tv"]);
    let month = prop::sample::select(vec!["", ",1", ",12", ",0", ",x"]);
    prop::collection::vec((plan, channel, value(), month), 0..6).prop_map(|rows| {
        let mut text = String::from("plan,channel,spend,month\n");
        for (p, c, v, m) in rows {
            let m = if m.is_empty() { "," } else { m };
            text.push_str(&format!("{p},{c},{v}{m}\n"));
        }
        text
    })
}

fn actuals_text() -> impl Strategy<Value = String> {
    let month = prop::sample::select(vec!["1", "2", "3", "0", "13", "x", ""]);
    let channel = prop::sample::select(vec![
        "search",
        "social",
        "referral",
        "*",
        "tv",
        "\u{1b}[31m",
    ]);
    let metric = prop::sample::select(vec![
        "spend",
        "visitors",
        "leads",
        "customers",
        "revenue",
        "cac",
    ]);
    let count = prop::sample::select(vec![
        "0",
        "1",
        "13",
        "70",
        "640",
        "50000",
        "1e12",
        "1e300",
        "-5",
        "2.5",
        "NaN",
        "inf",
        "\"1,234\"",
        "$10",
    ]);
    prop::collection::vec((month, channel, metric, count), 0..10).prop_map(|rows| {
        let mut text = String::from("month,channel,metric,value\n");
        for (m, c, k, v) in rows {
            text.push_str(&format!("{m},{c},{k},{v}\n"));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn scenario_reader(text in scenario_text()) {
        check(racesim::oracle::scenario(text.as_bytes()))?;
    }

    #[test]
    fn scenario_reader_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check(racesim::oracle::scenario(&bytes))?;
    }

    #[test]
    fn plans_reader(text in plans_text()) {
        check(racesim::oracle::plans(text.as_bytes()))?;
    }

    #[test]
    fn actuals_reader(text in actuals_text()) {
        check(racesim::oracle::actuals(text.as_bytes()))?;
    }

    #[test]
    fn actuals_reader_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(racesim::oracle::actuals(&bytes))?;
    }

    #[test]
    fn baseline_reader(cut in 0usize..4000, byte in any::<u8>()) {
        // A real baseline, damaged at one byte or cut short.
        let mut bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/baseline/tiny.json")).unwrap();
        let at = cut * bytes.len() / 4000;
        bytes[at] = byte;
        check(racesim::oracle::baseline(&bytes))?;
        check(racesim::oracle::baseline(&bytes[..at]))?;
    }

    #[test]
    fn workbook_reader(cut in 0usize..1000, byte in any::<u8>()) {
        let mut bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/workbooks/dtc_shop.xlsx")).unwrap();
        let at = cut * bytes.len() / 1000;
        bytes[at] = byte;
        check(racesim::oracle::workbook(&bytes))?;
    }
}

/// Found by the actuals fuzz target: a value with NUL bytes and commas got
/// a "with a decimal point" suggestion that echoed the NULs raw.
#[test]
fn a_number_with_control_characters_is_quoted_escaped_in_every_hint() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/seeds/actuals/nul_in_a_number.csv"
    ))
    .unwrap();
    racesim::oracle::actuals(&bytes).unwrap();
}
