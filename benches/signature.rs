//! The engine on messages already decoded: the signature stage (Hyperscan,
//! fallback regexes, phrase and block lists), the protocol stage, meta rules
//! and policy. Each iteration scans the next message of a generated stream,
//! so the ham/spam mix is measured, not one lucky message.
//!
//! `scan` is every rule; `scan_target` is an engine with only the rules of
//! one target (no meta rules), which shows what each target's databases,
//! lazy DFAs and lists cost on that channel's stream. The protocol stage and
//! policy (about 0.2 µs of an SMS) are in both.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::rules::{RuleSet, Target};
use floodwall::stage::signature::{SignatureOptions, Tuning};
use floodwall::{Channel, Engine};

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

/// Targets as `scan_target` groups them: every header target is one.
fn target_kind(target: &Target) -> &'static str {
    match target {
        Target::Subject => "subject",
        Target::Body => "body",
        Target::RawBody => "rawbody",
        Target::Header(_)
        | Target::AllHeaders
        | Target::RawHeader(_)
        | Target::AllRawHeaders
        | Target::MimeHeader(_) => "headers",
        Target::Url => "url",
        Target::Sender | Target::Recipient => "address",
    }
}

fn scan_target(c: &mut Criterion) {
    let rules = support::rules();
    let full = support::engine();
    let mut group = c.benchmark_group("scan_target");
    group.throughput(Throughput::Elements(1));
    for channel in Channel::ALL {
        let samples = support::samples(channel, STREAM);
        let messages = support::decode(&full, &samples);
        for kind in ["subject", "body", "rawbody", "headers", "url", "address"] {
            let only: Vec<_> = rules
                .rules
                .iter()
                .filter(|r| target_kind(&r.target) == kind && r.channels.contains(&channel))
                .cloned()
                .collect();
            if only.is_empty() {
                continue;
            }
            let subset = RuleSet {
                rules: only,
                metas: Vec::new(),
                policy: rules.policy.clone(),
                models: Default::default(),
            };
            let engine = Engine::builder(subset)
                .signature_options(SignatureOptions {
                    tuning: Tuning::AtBuild,
                    ..SignatureOptions::default()
                })
                .build()
                .unwrap_or_else(|e| panic!("{kind} rules alone do not build: {e}"));
            let mut scratch = engine.scratch();
            let mut next = 0;
            group.bench_function(format!("{channel}/{kind}"), |b| {
                b.iter(|| {
                    let msg = &messages[next % messages.len()];
                    next += 1;
                    engine.scan(msg, &mut scratch)
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = scan, scan_target
}
criterion_main!(benches);
