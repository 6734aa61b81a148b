//! The stream stage on the embedded store: what bulk and velocity cost per
//! message, a worker's batch at a time, as the pipeline runs it.
//!
//! Each of the 1,024 generated messages has its own sender and recipient,
//! and each pass gives it a receive time a few milliseconds after the one
//! before, so the store is updated and expires as on live traffic; the
//! generated texts repeat their templates, so most of them join clusters
//! (the expensive path: candidates checked, sets of senders and recipients
//! updated, symbols fired with their options).

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::stage::stream::StreamStage;
use floodwall::stage::{Evidence, ScanContext, Stage};
use floodwall::{Address, Channel};

const BATCH: usize = 256;

fn stream(c: &mut Criterion) {
    let engine = support::engine();
    let stage = engine
        .stage::<StreamStage>()
        .expect("the default engine has the stream stage");
    let mut scratch = stage.new_scratch();
    let mut evidence = Evidence::with_symbols(engine.symbols().len());
    let mut group = c.benchmark_group("stream");
    group.throughput(Throughput::Elements(BATCH as u64));
    for channel in [Channel::Sms, Channel::Email] {
        let samples = support::samples(channel, 4 * BATCH);
        let mut messages = support::decode(&engine, &samples);
        for (i, msg) in messages.iter_mut().enumerate() {
            msg.envelope.sender = Some(Address::new(format!("+44{:010}", i * 31)));
            msg.envelope.recipients = vec![Address::new(format!("+44{:010}", i * 7919))];
        }
        let mut clock = 1_780_000_000_000u64;
        let mut next = 0usize;
        group.bench_function(channel.as_str(), |b| {
            b.iter(|| {
                let start = next % (messages.len() - BATCH);
                let batch = &mut messages[start..start + BATCH];
                next += BATCH;
                for msg in batch.iter_mut() {
                    clock += 3;
                    msg.envelope.received_ms = Some(clock);
                }
                let cx = ScanContext {
                    now_ms: clock,
                    subscriber: None,
                    services: engine.services(),
                };
                stage
                    .prepare_batch(batch, &cx, &mut scratch)
                    .expect("embedded store answers");
                for msg in batch.iter() {
                    evidence.clear();
                    stage
                        .scan(msg, &cx, &mut scratch, &mut evidence)
                        .expect("scan");
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = stream
}
criterion_main!(benches);
