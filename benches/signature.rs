//! The engine on messages already decoded: the signature stage (Hyperscan,
//! fallback regexes, phrase and block lists), the protocol stage, meta rules
//! and policy. Each iteration scans the next message of a generated stream,
//! so the ham/spam mix is measured, not one lucky message.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::Channel;

const STREAM: usize = 1_000;

fn scan(c: &mut Criterion) {
    let engine = support::engine();
    let mut scratch = engine.scratch();
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Elements(1));
    for channel in Channel::ALL {
        let samples = support::samples(channel, STREAM);
        let messages = support::decode(&engine, &samples);
        let mut next = 0;
        group.bench_function(channel.as_str(), |b| {
            b.iter(|| {
                let msg = &messages[next % messages.len()];
                next += 1;
                engine.scan(msg, &mut scratch)
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = scan
}
criterion_main!(benches);
