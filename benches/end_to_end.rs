//! Bytes to verdict on one thread: split, decode (with the decoder's
//! reassembly state), scan. SMS arrive in whatever wire form
//! `workload::sms_payload` produces (JSON records today, SMPP `submit_sm`
//! once that encoder lands), so this bench follows without edits.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::{ingest, Channel};

const STREAM: usize = 1_000;

fn end_to_end(c: &mut Criterion) {
    let engine = support::engine();
    let mut scratch = engine.scratch();
    let mut decoder = engine.decoder();
    let mut group = c.benchmark_group("end_to_end");
    group.throughput(Throughput::Elements(1));
    for channel in Channel::ALL {
        let samples = support::samples(channel, STREAM);
        let mut next = 0;
        let mut messages = Vec::new();
        group.bench_function(channel.as_str(), |b| {
            b.iter(|| {
                let sample = &samples[next % samples.len()];
                next += 1;
                messages.clear();
                let payloads =
                    ingest::split(sample.format, &sample.bytes).expect("generated payloads split");
                for payload in payloads {
                    decoder.decode(payload, 0, &mut messages);
                }
                messages
                    .iter()
                    .map(|m| engine.scan(m, &mut scratch).score)
                    .sum::<f64>()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = end_to_end
}
criterion_main!(benches);
