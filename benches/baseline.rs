//! Benchmark: the shipped baseline scenario with every mechanism it switches
//! on (turnover, VCSE closures, holding, re-referral), on all cores and on one.
//!
//! Criterion reports replicates per second (the throughput of each sample);
//! the events per replicate of the same runs are printed first, so that
//! events per second follow. Run with `cargo bench`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spcap::experiment::{self, Settings};
use std::path::Path;
use std::sync::atomic::AtomicBool;

fn baseline(c: &mut Criterion) {
    let loaded = spcap::scenario::load(Path::new("scenarios/baseline.toml")).expect("the baseline scenario loads");
    let replicates = 500;
    let probe = experiment::run(
        &loaded.scenario,
        &Settings::new(replicates, 1),
        &|| {},
        &AtomicBool::new(false),
    )
    .expect("runs");
    eprintln!(
        "baseline: {:.0} events per replicate; this probe ran {:.0} replicates/s and {:.2} million events/s on {} threads",
        probe.events as f64 / replicates as f64,
        replicates as f64 / probe.wall_seconds,
        probe.events_per_second() / 1e6,
        probe.threads
    );
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(replicates));
    group.bench_function("500 replicates, all cores", |b| {
        b.iter(|| {
            experiment::run(
                &loaded.scenario,
                &Settings::new(replicates, 1),
                &|| {},
                &AtomicBool::new(false),
            )
            .expect("runs")
        })
    });
    // One thread, for the rate per core and to show how the threads scale.
    let mut single = Settings::new(replicates, 1);
    single.threads = 1;
    group.bench_function("500 replicates, one thread", |b| {
        b.iter(|| experiment::run(&loaded.scenario, &single, &|| {}, &AtomicBool::new(false)).expect("runs"))
    });
    group.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
