//! The fast/slow split never changes a verdict: the same generated hard
//! rules, built with every Hyperscan pattern in the shared databases, with
//! every pattern treated as expensive (so every gate and every PCRE2 move is
//! exercised), and with the lazy DFA taking what it runs faster, fire the
//! same symbols on generated spam/ham mail and on `seeds/email` when present.

use std::path::{Path, PathBuf};

use floodwall::ingest::{email, mbox};
use floodwall::rules::RuleSet;
use floodwall::stage::signature::{Placement, SignatureOptions, Tuning};
use floodwall::Engine;

#[allow(dead_code)]
#[path = "../examples/gen_hard_rules.rs"]
mod gen_hard_rules;

/// The generated rules in a directory of their own per test (tests run in
/// parallel, and each starts by emptying it).
fn rules_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("target tmpdir is writable");
    for (name, text) in gen_hard_rules::generate(600, 42) {
        std::fs::write(dir.join(name), text).expect("target tmpdir is writable");
    }
    dir
}

fn messages() -> Vec<Vec<u8>> {
    let text = gen_hard_rules::messages(150, 42);
    let mut out: Vec<Vec<u8>> = mbox::split(text.as_bytes()).map(<[u8]>::to_vec).collect();
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/email");
    if let Ok(entries) = std::fs::read_dir(&seeds) {
        for entry in entries.flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                out.extend(mbox::split(&bytes).map(<[u8]>::to_vec));
            }
        }
    }
    out
}

fn fired(engine: &Engine, raw: &[u8]) -> Vec<String> {
    let msg = email::parse(raw, engine.ingest_config());
    let verdict = engine.scan(&msg, &mut engine.scratch());
    let mut names: Vec<String> = verdict
        .symbols
        .into_iter()
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    names
}

fn placed(engine: &Engine, p: Placement) -> usize {
    engine
        .stage::<floodwall::stage::signature::SignatureStage>()
        .expect("a default stage")
        .profiles()
        .iter()
        .filter(|x| x.placement == p)
        .count()
}

#[test]
fn split_engine_fires_exactly_what_the_shared_engine_fires() {
    let split = |cache| SignatureOptions {
        cache_dir: Some(cache),
        expensive_above_ns: Some(0.0),
        lazy_dfa: false,
        tuning: Tuning::AtBuild,
        ..SignatureOptions::default()
    };
    same_symbols_as_shared("split-rules", split, |engine| {
        let gated =
            placed(engine, Placement::GatedHyperscan) + placed(engine, Placement::GatedPcre2);
        assert!(gated > 50, "{gated} gated patterns");
    });
}

#[test]
fn lazy_dfa_engine_fires_exactly_what_the_shared_engine_fires() {
    let split = |cache| SignatureOptions {
        cache_dir: Some(cache),
        tuning: Tuning::AtBuild,
        ..SignatureOptions::default()
    };
    same_symbols_as_shared("lazy-dfa-rules", split, |engine| {
        let in_dfa = placed(engine, Placement::LazyDfa);
        assert!(in_dfa > 50, "{in_dfa} patterns in lazy DFAs");
    });
}

fn same_symbols_as_shared(
    name: &str,
    options: impl Fn(PathBuf) -> SignatureOptions,
    check: impl Fn(&Engine),
) {
    let rules = RuleSet::load_dir(&rules_dir(name)).expect("generated rules load");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-cache"));
    let shared = Engine::builder(rules.clone())
        .signature_options(SignatureOptions {
            cache_dir: Some(cache.clone()),
            split: false,
            tuning: Tuning::AtBuild,
            ..SignatureOptions::default()
        })
        .build()
        .expect("generated rules compile");
    let split = Engine::builder(rules)
        .signature_options(options(cache))
        .build()
        .expect("generated rules compile split");
    check(&split);
    let mut total_hits = 0;
    for (i, raw) in messages().iter().enumerate() {
        let expected = fired(&shared, raw);
        total_hits += expected.len();
        assert_eq!(fired(&split, raw), expected, "message {i}");
    }
    assert!(
        total_hits > 500,
        "the corpus exercises the rules ({total_hits} hits)"
    );
}

#[test]
fn rules_sharing_one_expression_all_fire() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("duplicate-rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("target tmpdir is writable");
    let mut text = String::new();
    for (id, pattern) in [
        ("DUP_A", r"\bfree\s+money\b"),
        ("DUP_B", r"\bfree\s+money\b"),
        ("REF_A", r"\b(\w{4,})\s+\1\b"),
        ("REF_B", r"\b(\w{4,})\s+\1\b"),
    ] {
        text.push_str(&format!(
            "[[rule]]\nid = \"{id}\"\ndescription = \"d\"\nscore = 1.0\ntarget = \"body\"\npattern = '''{pattern}'''\nflags = \"i\"\n\n"
        ));
    }
    std::fs::write(dir.join("dup.toml"), text).expect("target tmpdir is writable");
    let rules = RuleSet::load_dir(&dir).expect("rules load");
    for (split, tuning) in [
        (false, Tuning::AtBuild),
        (true, Tuning::AtBuild),
        (false, Tuning::Never),
    ] {
        let engine = Engine::builder(rules.clone())
            .signature_options(SignatureOptions {
                split,
                expensive_above_ns: Some(0.0),
                tuning,
                ..SignatureOptions::default()
            })
            .build()
            .expect("rules compile");
        let raw = b"Subject: s\r\n\r\nget free money money now\r\n";
        assert_eq!(
            fired(&engine, raw),
            ["DUP_A", "DUP_B", "REF_A", "REF_B"],
            "split {split}, {tuning:?}"
        );
    }
}

/// A start after a cold one reads every profile, lazy-DFA choice and
/// database the cold one wrote, and writes nothing new: it is the warm
/// start the cache is for. (Deciding on costs more precise than the cache
/// keeps made the shipped rules' second start miss.)
#[test]
fn the_start_after_a_cold_one_finds_everything_in_the_cache() {
    let rules = RuleSet::embedded().expect("shipped rules load");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("warm-start-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let entries = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&cache)
            .map(|dir| {
                dir.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let build = || {
        Engine::builder(rules.clone())
            .signature_options(SignatureOptions {
                cache_dir: Some(cache.clone()),
                tuning: Tuning::AtBuild,
                ..SignatureOptions::default()
            })
            .build()
            .expect("generated rules compile")
    };
    build();
    let cold = entries();
    assert!(cold.iter().any(|n| n.starts_with("lazy-dfa-")), "{cold:?}");
    build();
    assert_eq!(entries(), cold);
}
