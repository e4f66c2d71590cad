//! Trials per second of the engine on the shipped direct-to-consumer
//! scenario, and its independence of the audience size.
//!
//! `cargo bench --bench trials`. Each benchmark simulates a block of trials
//! on one thread through the same path as `racesim run`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use indicatif::ProgressBar;
use racesim::scenario::{self, Scenario};
use racesim::simulation::{self, Job, Plan};

const SHOP: &str = "scenarios/dtc_shop.csv";
const TRIALS: u64 = 2_000;

fn shop_text() -> String {
    std::fs::read_to_string(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(SHOP))
        .expect("shipped scenario")
}

/// The shop with every paid channel's audience set to `people`.
fn with_audience(people: f64) -> Scenario {
    let text: String = shop_text()
        .lines()
        .filter(|l| !l.starts_with("reach,") || !l.contains(",audience,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let base = scenario::parse_str(Path::new(SHOP), &text).expect("valid scenario");
    let rows: String = base
        .paid_channels()
        .map(|(_, c)| format!("reach,{},audience,{people}\n", c.name))
        .collect();
    scenario::parse_str(Path::new(SHOP), &(text + &rows)).expect("valid scenario")
}

fn simulate(s: &Scenario) -> u64 {
    let plans = [Plan::baseline(s)];
    let job = Job {
        scenario: s,
        plans: &plans,
        seed: 1,
        first_trial: 0,
        trials: TRIALS,
        threads: 1,
    };
    simulation::run(&job, &ProgressBar::hidden())
        .expect("no runaway")
        .trials()
}

fn trials(c: &mut Criterion) {
    let shop = scenario::parse_str(Path::new(SHOP), &shop_text()).expect("valid scenario");
    let mut group = c.benchmark_group("trials");
    group.throughput(Throughput::Elements(TRIALS));
    group.sample_size(20);
    group.bench_function("dtc_shop", |b| b.iter(|| black_box(simulate(&shop))));
    for people in [1e4, 1e9, 1e12] {
        let s = with_audience(people);
        group.bench_function(format!("dtc_shop_audience_{people:.0e}"), |b| {
            b.iter(|| black_box(simulate(&s)))
        });
    }
    group.finish();
}

/// A cohort's lifetimes customer by customer (as the engine draws them:
/// counted into a buffer it keeps) against one conditional binomial per
/// age, at the shop's churn (13 %, φ = 0.4) over 23 months: the ratio of
/// the two sets `PER_CUSTOMER_FACTOR` in src/sampling.rs.
fn survival(c: &mut Criterion) {
    use racesim::sampling::{LaneCounts, Survival, stream};
    let max_age = 23;
    let mut group = c.benchmark_group("survival");
    group.sample_size(20);
    for n in [10u64, 50, 200, 1000] {
        let mut s = Survival::default();
        s.reset(0.13, 0.4, max_age);
        let mut rng = stream(1, 2, 3);
        let mut counts = vec![LaneCounts::default(); max_age + 1];
        group.bench_function(format!("customers_{n}"), |b| {
            b.iter(|| s.count_customers(&mut rng, black_box(n), &mut counts))
        });
        black_box(&counts);
        group.bench_function(format!("by_age_{n}"), |b| {
            b.iter(|| black_box(s.sample_by_age(&mut rng, black_box(n), max_age, |_, _| {})))
        });
    }
    group.finish();
}

criterion_group!(benches, trials, survival);
criterion_main!(benches);
