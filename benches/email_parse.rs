//! Email ingest alone: `ingest::email::parse` (mail-parser, charset
//! decoding, HTML to text, URL extraction) on a generated ~7 KB
//! multipart/alternative message and on a phishing-style HTML message.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::ingest::{email, IngestConfig};
use floodwall::Channel;

fn email_parse(c: &mut Criterion) {
    let config = IngestConfig::default();
    let generated = support::samples(Channel::Email, 1)
        .pop()
        .expect("one generated email")
        .bytes;
    let phishing = support::phishing_like();
    let mut group = c.benchmark_group("email_parse");
    for (name, bytes) in [("generated_7kb", &generated), ("phishing_like", &phishing)] {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| email::parse(bytes, &config)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = email_parse
}
criterion_main!(benches);
