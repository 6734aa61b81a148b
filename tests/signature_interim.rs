//! The interim plan, which serves while the tuned plan is compiled, fires
//! exactly what the tuned plan fires: the shipped rules and generated hard
//! rules, built both ways, on `seeds/email`, generated spam/ham mail, and
//! the same texts as SMS.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use floodwall::ingest::{email, mbox, Protocol};
use floodwall::message::TextPart;
use floodwall::rules::RuleSet;
use floodwall::stage::signature::{SignatureOptions, SignatureStage, Tuning};
use floodwall::{Channel, Engine, Message};

#[allow(dead_code)]
#[path = "../examples/gen_hard_rules.rs"]
mod gen_hard_rules;

fn mail() -> Vec<Vec<u8>> {
    let text = gen_hard_rules::messages(150, 7);
    let mut out: Vec<Vec<u8>> = mbox::split(text.as_bytes()).map(<[u8]>::to_vec).collect();
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/email");
    let entries = std::fs::read_dir(&seeds).expect("seeds/email is in the repository");
    for entry in entries.flatten() {
        let bytes = std::fs::read(entry.path()).expect("a seed reads");
        out.extend(mbox::split(&bytes).map(<[u8]>::to_vec));
    }
    out
}

fn names(engine: &Engine, msg: &Message<'_>) -> Vec<String> {
    let verdict = engine.scan(msg, &mut engine.scratch());
    let mut names: Vec<String> = verdict
        .symbols
        .into_iter()
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    names
}

/// The symbols each message fires, as mail and as an SMS of its text.
fn fired(engine: &Engine, corpus: &[Vec<u8>]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for raw in corpus {
        let msg = email::parse(raw, engine.ingest_config());
        out.push(names(engine, &msg));
        let text: String = msg.text_parts.iter().map(|p| p.text.as_str()).collect();
        let mut sms = Message::new(
            Channel::Sms,
            Cow::Owned(text.as_bytes().to_vec()),
            Protocol::None,
        );
        sms.text_parts.push(TextPart {
            content_type: "text/plain".into(),
            text,
        });
        out.push(names(engine, &sms));
    }
    out
}

fn built(rules: RuleSet, tuning: Tuning, cache: Option<PathBuf>) -> Engine {
    let engine = Engine::builder(rules)
        .signature_options(SignatureOptions {
            cache_dir: cache,
            tuning,
            ..SignatureOptions::default()
        })
        .build()
        .expect("the rules compile");
    let stage = engine.stage::<SignatureStage>().expect("a default stage");
    assert!(stage.is_tuned());
    let databases = stage.database_count();
    match tuning {
        Tuning::Never => assert_eq!(databases, 0, "the interim plan compiles no database"),
        _ => assert!(databases > 0, "the tuned plan has its databases"),
    }
    engine
}

fn same_as_tuned(name: &str, rules: RuleSet) {
    // The tuned plan from a cache kept between runs: only the first run
    // pays for compiling it.
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-cache"));
    let tuned = built(rules.clone(), Tuning::AtBuild, Some(cache));
    let interim = built(rules, Tuning::Never, None);
    let corpus = mail();
    let expected = fired(&tuned, &corpus);
    let hits: usize = expected.iter().map(Vec::len).sum();
    assert!(hits > 300, "the corpus exercises the rules ({hits} hits)");
    for (i, (got, want)) in fired(&interim, &corpus).iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "message {} as {}", i / 2, ["mail", "SMS"][i % 2]);
    }
}

#[test]
fn shipped_rules_fire_the_same_in_the_interim_plan() {
    same_as_tuned(
        "interim-shipped",
        RuleSet::embedded().expect("shipped rules load"),
    );
}

#[test]
fn generated_hard_rules_fire_the_same_in_the_interim_plan() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interim-hard-rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("target tmpdir is writable");
    for (name, text) in gen_hard_rules::generate(600, 42) {
        std::fs::write(dir.join(name), text).expect("target tmpdir is writable");
    }
    let rules = RuleSet::load_dir(&dir).expect("generated rules load");
    same_as_tuned("interim-hard", rules);
}

#[test]
fn a_background_build_fills_the_cache_and_the_next_start_is_tuned_at_once() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interim-warm-rules");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interim-warm-cache");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&cache);
    std::fs::create_dir_all(&dir).expect("target tmpdir is writable");
    for (name, text) in gen_hard_rules::generate(60, 3) {
        std::fs::write(dir.join(name), text).expect("target tmpdir is writable");
    }
    let rules = RuleSet::load_dir(&dir).expect("generated rules load");
    let start = || {
        Engine::builder(rules.clone())
            .signature_options(SignatureOptions {
                cache_dir: Some(cache.clone()),
                ..SignatureOptions::default()
            })
            .build()
            .expect("generated rules compile")
    };
    let cold = start();
    let stage = cold.stage::<SignatureStage>().expect("a default stage");
    assert_eq!(
        stage.database_count(),
        0,
        "a cold start serves from the interim plan"
    );
    stage.wait_tuned().expect("the tuned plan compiles");
    assert!(stage.database_count() > 0);
    let warm = start();
    let stage = warm.stage::<SignatureStage>().expect("a default stage");
    assert!(
        stage.is_tuned(),
        "a warm start loads the tuned plan at build"
    );
    assert!(stage.database_count() > 0);
}
