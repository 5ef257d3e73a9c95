//! Benchmark: the shipped baseline scenario, every mechanism it switches on.
//! Reports replicates per second (and, through `events`, events per second).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spcap::experiment::{self, Settings};
use std::path::Path;

fn baseline(c: &mut Criterion) {
    let loaded = spcap::scenario::load(Path::new("scenarios/baseline.toml")).expect("the baseline scenario loads");
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    let replicates = 200;
    group.throughput(Throughput::Elements(replicates));
    group.bench_function("200 replicates", |b| {
        b.iter(|| experiment::run(&loaded.scenario, &Settings::new(replicates, 1), &|| {}).expect("runs"))
    });
    group.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
