//! The stage end to end: each engine path fires and stays quiet as it
//! should, lists by size, notifications, rule errors and scan failures.

use std::borrow::Cow;

use super::*;
use crate::ingest::Protocol;
use crate::message::{Address, TextPart};
use crate::Engine;

fn engine(rules: &str) -> Engine {
    Engine::builder(RuleSet::from_toml("t.toml", rules).unwrap())
        .build()
        .unwrap()
}

fn sms(text: &str, from: &str) -> Message<'static> {
    let mut msg = Message::new(
        Channel::Sms,
        Cow::Owned(text.as_bytes().to_vec()),
        Protocol::None,
    );
    msg.text_parts.push(TextPart {
        content_type: "text/plain".into(),
        text: text.into(),
    });
    msg.envelope.sender = Some(Address::new(from));
    crate::ingest::urls::extract(text, &mut msg.urls);
    msg
}

fn fired(engine: &Engine, msg: &Message<'_>) -> Vec<String> {
    let mut names: Vec<String> = engine
        .scan(msg, &mut engine.scratch())
        .symbols
        .into_iter()
        .map(|s| s.name.to_string())
        .collect();
    names.sort();
    names
}

const RULES: &str = r#"
[[rule]]
id = "HS_RULE"
description = "plain regex"
score = 1.0
target = "body"
pattern = 'win\s+cash'
flags = "i"

[[rule]]
id = "LOOKAHEAD_RULE"
description = "look-ahead: prefilter + confirm"
score = 1.0
target = "body"
pattern = 'prize(?!\s+draw)'

[[rule]]
id = "BACKREF_RULE"
description = "back-reference: confirm only"
score = 1.0
target = "body"
pattern = '\b(\w+)\s+\1\b'

[[rule]]
id = "LITERAL_RULE"
description = "literal with regex metacharacters"
score = 1.0
target = "body"
kind = "literal"
pattern = "a.b*c"

[[rule]]
id = "EMAIL_ONLY"
description = "never on SMS"
score = 1.0
channels = ["email"]
target = "body"
pattern = 'cash'
"#;

#[test]
fn each_engine_path_fires_and_stays_quiet_correctly() {
    let e = engine(RULES);
    let paths: Vec<(&str, Vec<EnginePath>)> = e
        .stage::<SignatureStage>()
        .expect("a default stage")
        .plans()
        .iter()
        .map(|p| (p.id.as_str(), p.paths.clone()))
        .collect();
    assert!(paths.contains(&("HS_RULE", vec![EnginePath::Hyperscan])));
    assert!(
        paths.contains(&("LOOKAHEAD_RULE", vec![EnginePath::Prefilter])),
        "{paths:?}"
    );
    assert!(
        paths.contains(&("BACKREF_RULE", vec![EnginePath::Prefilter]))
            || paths.contains(&("BACKREF_RULE", vec![EnginePath::Pcre2]))
    );
    assert_eq!(fired(&e, &sms("WIN  cash now", "x")), ["HS_RULE"]);
    assert_eq!(fired(&e, &sms("a prize for you", "x")), ["LOOKAHEAD_RULE"]);
    assert!(
        fired(&e, &sms("the prize draw", "x")).is_empty(),
        "prefilter candidates are confirmed"
    );
    assert_eq!(fired(&e, &sms("buy buy now", "x")), ["BACKREF_RULE"]);
    assert_eq!(fired(&e, &sms("xa.b*cx", "x")), ["LITERAL_RULE"]);
    assert!(
        fired(&e, &sms("abbbc", "x")).is_empty(),
        "literal metacharacters are literal"
    );
}

#[test]
fn phrase_lists_fire_through_hyperscan_or_aho_corasick_by_size() {
    let dir = std::env::temp_dir().join(format!("floodwall-phrases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = |id: &str| {
        format!("[[rule]]\nid = \"{id}\"\ndescription = \"x\"\nscore = 1.0\ntarget = \"body\"\nkind = \"list\"\nlist = \"{id}.txt\"\n")
    };
    let large: String = (0..=PHRASES_IN_HYPERSCAN_MAX)
        .map(|n| format!("code {n:05}\n"))
        .collect();
    std::fs::write(dir.join("l.toml"), toml("SMALL") + &toml("LARGE") + RULES).unwrap();
    std::fs::write(dir.join("SMALL.txt"), "free gift\nwin cash\n").unwrap();
    std::fs::write(dir.join("LARGE.txt"), large).unwrap();
    let rules = crate::rules::RuleSource::dir(&dir).and_then(|s| s.load());
    let _ = std::fs::remove_dir_all(&dir);
    let rules = rules.unwrap();
    let e = Engine::builder(rules).build().unwrap();
    let path = |id: &str| {
        e.stage::<SignatureStage>()
            .expect("a default stage")
            .plans()
            .iter()
            .find(|p| p.id == id)
            .unwrap()
            .paths
            .clone()
    };
    assert_eq!(path("SMALL"), [EnginePath::PhraseLiterals]);
    assert_eq!(path("LARGE"), [EnginePath::AhoCorasick]);
    assert_eq!(
        fired(&e, &sms("a FREE Gift awaits", "x")),
        ["SMALL"],
        "caseless"
    );
    assert_eq!(
        fired(&e, &sms("WIN cash, code 10000", "x")),
        ["HS_RULE", "LARGE", "SMALL"],
        "each list and the regex fire on their own"
    );
    assert!(fired(&e, &sms("free gifts? no: free  gift", "x")).contains(&"SMALL".into()));
    assert!(fired(&e, &sms("freegift code 1000", "x")).is_empty());
}

fn stage(rules: &str) -> (SignatureStage, usize) {
    let rules = RuleSet::from_toml("t.toml", rules).unwrap();
    let table = SymbolTable::for_rules(&rules);
    let options = SignatureOptions {
        split: false,
        tuning: Tuning::AtBuild,
        ..SignatureOptions::default()
    };
    let stage = SignatureStage::build_with(&rules, &table, &options).unwrap();
    (stage, table.len())
}

#[test]
fn a_hyperscan_scan_failure_is_returned_not_dropped() {
    let (small, _) = stage(
        "[[rule]]\nid = \"A\"\ndescription = \"x\"\nscore = 1.0\ntarget = \"body\"\npattern = 'cash'\n",
    );
    let (large, symbols) = stage(RULES);
    let msg = sms("WIN  cash now", "x");
    let mut evidence = Evidence::with_symbols(symbols);
    let mut own = large.new_scratch();
    large
        .scan_message(&msg, &mut own, &mut evidence)
        .expect("a scan with its own scratch succeeds");
    // Hyperscan scratch sized for a one-literal database is too small for
    // the larger one: Hyperscan refuses the scan (HS_INVALID).
    let mut foreign = large.new_scratch();
    let small_scratch = small.scratch();
    foreign
        .downcast_mut::<SignatureScratch>()
        .expect("the stage's own scratch")
        .group
        .hs = small_scratch.group.hs;
    let mut evidence = Evidence::with_symbols(symbols);
    let err = large
        .scan_message(&msg, &mut foreign, &mut evidence)
        .expect_err("Hyperscan refuses scratch too small for the database");
    assert!(matches!(
        err,
        SignatureError::Hyperscan {
            target: Target::Body,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("Hyperscan could not scan the body text"),
        "{err}"
    );
}

#[test]
fn notifications_are_not_content_scored() {
    let e = engine(RULES);
    let mut msg = sms("win cash", "x");
    msg.is_notification = true;
    assert!(fired(&e, &msg).is_empty());
}

#[test]
fn empty_matching_patterns_are_errors() {
    let rules = "[[rule]]\nid = \"EMPTY\"\ndescription = \"x\"\nscore = 1.0\ntarget = \"body\"\npattern = 'a*'\n";
    let err = Engine::builder(RuleSet::from_toml("e.toml", rules).unwrap())
        .build()
        .unwrap_err();
    assert!(
        err.rule_errors().expect("rule errors").0[0]
            .message
            .contains("empty"),
        "{err}"
    );
    assert_eq!(
        err.rule_errors().expect("rule errors").0[0].rule.as_deref(),
        Some("EMPTY")
    );
}

#[test]
fn invalid_regex_is_an_error_naming_the_rule() {
    let rules = "[[rule]]\nid = \"BROKEN\"\ndescription = \"x\"\nscore = 1.0\ntarget = \"body\"\npattern = 'a(b'\n";
    let err = Engine::builder(RuleSet::from_toml("e.toml", rules).unwrap())
        .build()
        .unwrap_err();
    assert_eq!(
        err.rule_errors().expect("rule errors").0[0].rule.as_deref(),
        Some("BROKEN")
    );
    assert_eq!(err.rule_errors().expect("rule errors").0[0].line, 1);
}

#[test]
fn the_tuned_plan_replaces_the_interim_plan_and_fires_the_same() {
    let rules = RuleSet::from_toml("t.toml", RULES).unwrap();
    let mut table = SymbolTable::default();
    for rule in &rules.rules {
        table.register(crate::symbols::SymbolDef {
            name: rule.id.as_str().into(),
            score: rule.score,
            description: rule.description.as_str().into(),
        });
    }
    let stage = SignatureStage::build_with(&rules, &table, &SignatureOptions::default()).unwrap();
    let fired = |scratch: &mut StageScratch, text: &str| {
        let mut evidence = Evidence::with_symbols(table.len());
        stage
            .scan_message(&sms(text, "x"), scratch, &mut evidence)
            .expect("scans");
        (0..table.len())
            .filter(|&i| evidence.has(crate::symbols::SymbolId(i as u32)))
            .count()
    };
    let mut scratch = stage.new_scratch();
    let texts = [
        "WIN  cash now",
        "a prize for you",
        "the prize draw",
        "buy buy now",
    ];
    let before: Vec<usize> = texts.iter().map(|t| fired(&mut scratch, t)).collect();
    let number = scratch
        .downcast_ref::<SignatureScratch>()
        .expect("own scratch")
        .number;
    stage.wait_tuned().expect("the tuned plan compiles");
    assert!(stage.is_tuned());
    assert!(
        stage.database_count() > 0,
        "the tuned plan has its database"
    );
    let after: Vec<usize> = texts.iter().map(|t| fired(&mut scratch, t)).collect();
    assert_eq!(before, after);
    assert_eq!(before, [1, 1, 0, 1]);
    assert_ne!(
        scratch
            .downcast_ref::<SignatureScratch>()
            .expect("own scratch")
            .number,
        number,
        "the scratch was rebuilt for the tuned plan"
    );
}

#[test]
fn an_untuned_stage_compiles_no_database_and_is_settled() {
    let rules = RuleSet::from_toml("t.toml", RULES).unwrap();
    let mut table = SymbolTable::default();
    for rule in &rules.rules {
        table.register(crate::symbols::SymbolDef {
            name: rule.id.as_str().into(),
            score: rule.score,
            description: rule.description.as_str().into(),
        });
    }
    let options = SignatureOptions {
        tuning: Tuning::Never,
        ..SignatureOptions::default()
    };
    let stage = SignatureStage::build_with(&rules, &table, &options).unwrap();
    assert!(stage.is_tuned());
    stage.wait_tuned().expect("nothing to wait for");
    assert_eq!(stage.database_count(), 0);
    assert!(stage.profiles().is_empty());
}
