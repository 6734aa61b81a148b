//! End-to-end email throughput (parse + every stage + verdict, one thread)
//! with the shipped rules and with a generated hard rule set.
//!
//! ```text
//! cargo run --release --example gen_hard_rules -- target/hard-rules 1500
//! cargo bench --bench large_rules
//! ```
//!
//! Messages: the phishing mboxes of `../shared/corpora` (real mail, about
//! 8 KB each), else the generator's spam/ham-like mail. The hard rule set is
//! read from `$FLOODWALL_HARD_RULES` (default `target/hard-rules`); its group
//! is skipped with a note if the directory is missing. Each rule set runs
//! twice: `shared` with every Hyperscan pattern in one database per target
//! (the behaviour before the split), `split` with expensive patterns moved
//! out and gated. Engines are built outside the measurement, with the cache
//! in `target/floodwall-cache`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::ingest::{email, mbox};
use floodwall::rules::RuleSet;
use floodwall::stage::signature::{SignatureOptions, Tuning};
use floodwall::Engine;

#[allow(dead_code)]
#[path = "../examples/gen_hard_rules.rs"]
mod gen_hard_rules;

/// Messages per iteration: enough for a stable per-message mean, few enough
/// that a slow engine still gets ten samples in a short run.
const MESSAGES: usize = 300;

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/email/phishing");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let mut out: Vec<Vec<u8>> = Vec::new();
    for file in files {
        if let Ok(bytes) = std::fs::read(&file) {
            out.extend(mbox::split(&bytes).map(<[u8]>::to_vec));
        }
    }
    if out.is_empty() {
        eprintln!("{} missing: using generated mail", dir.display());
        let text = gen_hard_rules::messages(MESSAGES, 7);
        out.extend(mbox::split(text.as_bytes()).map(<[u8]>::to_vec));
    }
    out.truncate(MESSAGES);
    out
}

fn bench_engine(c: &mut Criterion, name: &str, engine: &Engine, messages: &[Vec<u8>]) {
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("email_end_to_end");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Bytes(bytes as u64));
    let mut scratch = engine.scratch();
    group.bench_function(format!("{name}/{}msgs", messages.len()), |b| {
        b.iter(|| {
            let mut score = 0.0;
            for raw in messages {
                let msg = email::parse(raw, engine.ingest_config());
                score += engine.scan(&msg, &mut scratch).score;
            }
            score
        })
    });
    group.finish();
}

fn both_ways(c: &mut Criterion, name: &str, rules: RuleSet, messages: &[Vec<u8>]) {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/floodwall-cache");
    for split in [false, true] {
        let engine = Engine::builder(rules.clone())
            .signature_options(SignatureOptions {
                cache_dir: Some(cache.clone()),
                split,
                tuning: Tuning::AtBuild,
                ..SignatureOptions::default()
            })
            .build()
            .expect("the rules compile");
        let label = format!("{name}/{}", if split { "split" } else { "shared" });
        bench_engine(c, &label, &engine, messages);
    }
}

fn large_rules(c: &mut Criterion) {
    let messages = corpus();
    match RuleSet::embedded() {
        Ok(rules) => both_ways(c, "shipped", rules, &messages),
        Err(errors) => eprintln!("shipped rules skipped: {errors}"),
    }
    let dir = std::env::var_os("FLOODWALL_HARD_RULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/hard-rules"));
    match RuleSet::load_dir(&dir) {
        Ok(rules) => both_ways(c, "hard", rules, &messages),
        Err(errors) => eprintln!("{}: run gen_hard_rules first: {errors}", dir.display()),
    }
}

criterion_group!(benches, large_rules);
criterion_main!(benches);
