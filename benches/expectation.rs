//! Cost of the expectation layer (spec §7) per trial on the shipped shop,
//! beside the engine's simulation of the same trial, and of building the
//! optimizer's exact model.
//!
//! `cargo bench --bench expectation`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use racesim::engine::{self, Outcome};
use racesim::expectation::{self, Expected};
use racesim::optimize::exact::{ExpectedModel, MeanMetric};
use racesim::scenario;
use racesim::simulation::Plan;

fn bench(c: &mut Criterion) {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join("scenarios/dtc_shop.csv");
    let s = scenario::load(&path).expect("shipped scenario");
    let plan = Plan::baseline(&s);
    let months = plan.spend.clone();
    let mut draws = Vec::new();
    engine::draw_assumptions(&s, 1, 0, &mut draws);
    let mut group = c.benchmark_group("per_trial");
    let mut ws = expectation::Workspace::default();
    let mut e = Expected::default();
    group.bench_function("expectation", |b| {
        b.iter(|| expectation::expect(&s, &months, black_box(&draws), false, &mut ws, &mut e))
    });
    group.bench_function("expectation_with_marginals", |b| {
        b.iter(|| expectation::expect(&s, &months, black_box(&draws), true, &mut ws, &mut e))
    });
    let mut ews = engine::Workspace::default();
    let mut out = Outcome::new(&s);
    let mut trial = 0;
    group.bench_function("simulation", |b| {
        b.iter(|| {
            trial += 1;
            engine::simulate(
                &s,
                &plan.spend,
                black_box(&draws),
                1,
                trial,
                &mut ews,
                &mut out,
            )
        })
    });
    group.finish();
    let channels: Vec<usize> = s.paid_channels().map(|(i, _)| i).collect();
    c.bench_function("exact_model_2000_trials", |b| {
        b.iter(|| ExpectedModel::build(&s, &months, &channels, MeanMetric::Profit, 1, 0, 2000))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
