//! The classifier stage in an engine: a small model rebuilt from a
//! generated set scores through the engine with graded, two-sided
//! evidence; a damaged or mismatched model file stops the build with an
//! error naming it; without models the stage is silent; the shipped rules
//! carry both models.

use std::path::{Path, PathBuf};

use floodwall::classifier::{Family, FeatureParams, Model, TrainOptions};
use floodwall::ingest::record::SmsRecord;
use floodwall::stage::classifier::ClassifierStage;
use floodwall::{Engine, Message};

fn sms(text: &str) -> Message<'static> {
    SmsRecord {
        from: None,
        to: Default::default(),
        text: text.into(),
        subject: None,
        channel: None,
        time: None,
    }
    .into_message()
}

/// A tiny generated set: spam and ham templates over a few fillers, so
/// the model must learn the words, not memorise the messages.
fn generated() -> Vec<(Message<'static>, bool)> {
    let spam = [
        "WINNER you have won a {} cash prize, call now to claim",
        "URGENT your {} account is suspended, verify at http://x.example/login",
        "FREE {} entry, text WIN to 80086 to claim your reward",
    ];
    let ham = [
        "are we still on for {} later, running a bit late",
        "can you pick up {} on the way home",
        "thanks for the {} yesterday, see you soon",
    ];
    let fillers = [
        "lunch", "milk", "bread", "dinner", "coffee", "tickets", "books",
    ];
    let mut out = Vec::new();
    for filler in fillers {
        for t in spam {
            out.push((sms(&t.replace("{}", filler)), true));
        }
        for t in ham {
            out.push((sms(&t.replace("{}", filler)), false));
        }
    }
    out
}

/// A rules directory with one plain rule, the shipped policy with
/// `CLASSIFIER_HAM` scored at the stage's own default (the shipped policy
/// only shows it), and the given model files.
fn rules_dir(name: &str, models: &[(&str, Vec<u8>)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floodwall-clf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("models")).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let policy = std::fs::read_to_string(shipped.join("policy.toml")).unwrap();
    let scored = policy.replace("ham_score = 0.0", "ham_score = -3.0");
    assert_ne!(policy, scored, "the shipped policy sets ham_score = 0.0");
    std::fs::write(dir.join("policy.toml"), scored).unwrap();
    std::fs::write(
        dir.join("one.toml"),
        "[[rule]]\nid = \"ONE_RULE\"\ndescription = \"x\"\nscore = 1.0\ntarget = \"body\"\npattern = 'zzqqzz'\n",
    )
    .unwrap();
    for (file, bytes) in models {
        std::fs::write(dir.join("models").join(file), bytes).unwrap();
    }
    dir
}

fn small_text_model() -> Model {
    let params = FeatureParams {
        bits: 12,
        ..FeatureParams::default_for(Family::Text)
    };
    Model::train(Family::Text, params, TrainOptions::default(), &generated())
}

#[test]
fn a_rebuilt_small_model_scores_through_the_engine() {
    let model = small_text_model();
    let dir = rules_dir("small", &[("text.fwm", model.to_bytes())]);
    let engine = Engine::from_dir(&dir).expect("the engine builds with the model");
    let mut scratch = engine.scratch();
    let stage = engine
        .stage::<ClassifierStage>()
        .expect("the default engine has the stage");
    assert!(stage.model(Family::Text).is_some());
    assert!(stage.model(Family::Email).is_none());

    let spam = engine.scan(
        &sms("WINNER claim your cash prize now, call to claim"),
        &mut scratch,
    );
    let hit = spam.symbol("CLASSIFIER_SPAM").expect("spam scores as spam");
    assert!(hit.score > 0.0, "{hit:?}");
    assert!(
        hit.options
            .iter()
            .any(|o| o.starts_with("p=0.") || o == "p=1.000"),
        "{hit:?}"
    );
    assert!(!spam.has("CLASSIFIER_HAM"));

    let ham = engine.scan(
        &sms("can you pick up the tickets on the way home"),
        &mut scratch,
    );
    let hit = ham.symbol("CLASSIFIER_HAM").expect("ham scores as ham");
    assert!(hit.score < 0.0, "{hit:?}");
    assert!(!ham.has("CLASSIFIER_SPAM"));
    assert!(spam.score > ham.score);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_models_the_stage_is_silent() {
    let dir = rules_dir("none", &[]);
    let engine = Engine::from_dir(&dir).expect("the engine builds without models");
    let mut scratch = engine.scratch();
    let v = engine.scan(&sms("WINNER claim your cash prize now"), &mut scratch);
    assert!(
        !v.has("CLASSIFIER_SPAM") && !v.has("CLASSIFIER_HAM"),
        "{v:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_or_mismatched_model_is_a_build_error_naming_the_file() {
    let mut bytes = small_text_model().to_bytes();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let cases = [
        ("corrupt", "text.fwm", bytes, "checksum"),
        (
            "mismatch",
            "email.fwm",
            small_text_model().to_bytes(),
            "expected email",
        ),
        ("garbage", "text.fwm", b"not a model".to_vec(), "text.fwm"),
        (
            "unknown",
            "mms.fwm",
            small_text_model().to_bytes(),
            "not a model file",
        ),
    ];
    for (name, file, bytes, says) in cases {
        let dir = rules_dir(name, &[(file, bytes)]);
        let err = match Engine::from_dir(&dir) {
            Ok(_) => panic!("{name}: a bad model built"),
            Err(err) => err.to_string(),
        };
        assert!(err.contains(&format!("models/{file}")), "{name}: {err}");
        assert!(err.contains(says), "{name}: {err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_shipped_rules_carry_both_models() {
    let engine = Engine::embedded().expect("the shipped rules build");
    let stage = engine.stage::<ClassifierStage>().expect("the stage is on");
    for family in [Family::Text, Family::Email] {
        assert!(stage.model(family).is_some(), "no shipped {family} model");
    }
    let mut scratch = engine.scratch();
    let v = engine.scan(
        &sms("URGENT! You have won a 1 week FREE membership in our £100,000 Prize Jackpot! Txt the word: CLAIM to No: 81010"),
        &mut scratch,
    );
    assert!(v.has("CLASSIFIER_SPAM"), "{v:?}");
}
