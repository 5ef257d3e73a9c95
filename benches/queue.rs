//! Benchmark: the event queue alone, in the classic "hold" loop (pop the
//! earliest event, push it back a random delay later), against the standard
//! library's binary heap doing the same.
//!
//! The pending events and delays are shaped like a baseline replicate's:
//! a few hundred events, most due within weeks. It measures how much of the
//! time per event of `benches/baseline.rs` the queue itself takes (compare
//! `../shared/PERFORMANCE.md`). Criterion reports events per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_distr::Exp1;
use rand_xoshiro::Xoshiro256PlusPlus;
use spcap::model::queue::{EventKind, EventQueue};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Events pending at once: about as many as a baseline replicate keeps.
const PENDING: u32 = 300;
/// Mean delay in days: between a contact interval and a VCSE place.
const MEAN_DELAY: f64 = 20.0;
const EVENTS: u64 = 1_000_000;

fn delay(rng: &mut Xoshiro256PlusPlus) -> f64 {
    let e: f64 = rng.sample(Exp1);
    e * MEAN_DELAY
}

fn calendar() -> f64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut queue = EventQueue::default();
    for id in 0..PENDING {
        queue.push(delay(&mut rng), EventKind::SupportStep, id, 0, 0);
    }
    let mut last = 0.0;
    for _ in 0..EVENTS {
        let e = queue.pop().expect("the hold loop keeps its events");
        last = e.time;
        queue.push(e.time + delay(&mut rng), e.kind, e.id, e.slot, e.epoch);
    }
    last
}

fn binary_heap() -> f64 {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut heap = BinaryHeap::new();
    let key = |time: f64, id: u32| Reverse((u128::from(time.to_bits()) << 64) | u128::from(id));
    for id in 0..PENDING {
        heap.push(key(delay(&mut rng), id));
    }
    let mut last = 0.0;
    for _ in 0..EVENTS {
        let Reverse(k) = heap.pop().expect("the hold loop keeps its events");
        last = f64::from_bits((k >> 64) as u64);
        heap.push(key(last + delay(&mut rng), k as u32));
    }
    last
}

fn hold(c: &mut Criterion) {
    // Both queues must hand out the same events in the same order.
    assert_eq!(calendar(), binary_heap());
    let mut group = c.benchmark_group("hold loop, 300 pending");
    group.sample_size(10);
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("calendar queue", |b| b.iter(calendar));
    group.bench_function("binary heap", |b| b.iter(binary_heap));
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
