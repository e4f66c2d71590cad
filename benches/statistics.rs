//! Cost of the per-trial statistics (`PlanStats::add_block`): every metric,
//! channel and month of a trial goes through an accumulator, which was a
//! third of a run's time before it was made cheap.
//!
//! `cargo bench --bench statistics`. The outcomes are simulated once up
//! front, so only the statistics are timed.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use racesim::engine::{self, Outcome, Workspace};
use racesim::scenario::{self, Scenario};
use racesim::simulation::PlanStats;

const SHOP: &str = "scenarios/dtc_shop.csv";
const TRIALS: usize = 2_048;
/// As the driver hands them out.
const BLOCK: usize = 128;

fn outcomes(s: &Scenario) -> Vec<Outcome> {
    let spend = s.baseline_spend();
    let mut ws = Workspace::default();
    let mut draws = Vec::new();
    (0..TRIALS as u64)
        .map(|trial| {
            let mut o = Outcome::new(s);
            engine::draw_assumptions(s, 1, trial, &mut draws);
            engine::simulate(s, &spend, &draws, 1, trial, &mut ws, &mut o);
            o
        })
        .collect()
}

fn statistics(c: &mut Criterion) {
    let text =
        std::fs::read_to_string(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(SHOP))
            .expect("shipped scenario");
    let shop = scenario::parse_str(Path::new(SHOP), &text).expect("valid scenario");
    let outcomes = outcomes(&shop);
    let mut group = c.benchmark_group("statistics");
    group.throughput(Throughput::Elements(TRIALS as u64));
    group.sample_size(30);
    // A worker's statistics have seen earlier blocks, so their sketches
    // already span the values: start warm, as in a run.
    let mut stats = PlanStats::new(&shop);
    stats.add_block(&shop, &outcomes);
    group.bench_function("plan_stats_add_block", |b| {
        b.iter(|| {
            for block in outcomes.chunks(BLOCK) {
                stats.add_block(&shop, block);
            }
            black_box(stats.trials)
        })
    });
    // With 1,000 plans the driver hands out blocks of 2 trials, and a run of 200 trials
    // leaves most sketches sparse: the case the compact sketch layout is for.
    group.throughput(Throughput::Elements(200));
    group.bench_function("plan_stats_cold_200_trials_in_blocks_of_2", |b| {
        b.iter(|| {
            let mut stats = PlanStats::new(&shop);
            for block in outcomes[..200].chunks(2) {
                stats.add_block(&shop, block);
            }
            black_box(stats.trials)
        })
    });
    group.throughput(Throughput::Elements(TRIALS as u64));
    group.bench_function("plan_stats_merge", |b| {
        let mut part = PlanStats::new(&shop);
        part.add_block(&shop, &outcomes);
        b.iter(|| {
            let mut all = PlanStats::new(&shop);
            all.merge(&part);
            all.merge(&part);
            black_box(all.trials)
        })
    });
    group.finish();
}

criterion_group!(benches, statistics);
criterion_main!(benches);
