use std::sync::Arc;

use crate::ingest::record::{Recipients, SmsRecord};
use crate::message::Message;
use crate::rules::RuleSet;
use crate::stage::Services;
use crate::state::{Op, Reply, StateError, StateStore};
use crate::Engine;

const T0: u64 = 1_780_000_000_000;

fn sms(from: &str, to: &str, text: &str, time: u64) -> Message<'static> {
    SmsRecord {
        from: Some(from.into()),
        to: Recipients::One(to.into()),
        text: text.into(),
        subject: None,
        channel: None,
        time: Some(time),
    }
    .into_message()
}

fn engine_with(policy_extra: &str, services: Services) -> Engine {
    let mut rules = RuleSet::embedded().expect("embedded rules");
    if !policy_extra.is_empty() {
        let table: toml::Table = toml::from_str(policy_extra).expect("test policy");
        for (name, value) in table["stage"].as_table().expect("[stage.*]") {
            rules
                .policy
                .stages
                .insert(name.clone(), value.as_table().expect("table").clone());
        }
    }
    Engine::builder(rules)
        .services(services)
        .build()
        .expect("engine")
}

/// Copies of one parcel-fee lure: a name, an amount, a URL and a code per
/// copy, a synonym swapped in some, a random word inserted in others.
fn lure(i: usize) -> String {
    let names = ["Sarah", "Tom", "Priya", "Ahmed", "Li", "Maria"];
    let noun = ["parcel", "package"][i % 2];
    let verb = ["pay", "settle"][(i / 2) % 2];
    let noise = ["", "qzxv ", "", "wtfk "][i % 4];
    format!(
        "Hi {}, your {noun} {} is held at our depot: {noise}{verb} the fee of £{}.{:02} at https://x{i}.top/{} now",
        names[i % names.len()],
        10_000 + i * 7919,
        1 + i % 3,
        i * 13 % 100,
        i * 31
    )
}

#[test]
fn a_mutated_campaign_is_flagged_from_its_fourth_copy_with_its_counts() {
    let engine = engine_with("", Services::new());
    let mut scratch = engine.scratch();
    for i in 0..20 {
        let msg = sms(
            &format!("+4477009{i:05}"),
            &format!("+4477001{i:05}"),
            &lure(i),
            T0 + i as u64 * 30_000,
        );
        let verdict = engine.scan_at(&msg, T0, &mut scratch);
        let hit = verdict.symbols.iter().find(|s| &*s.name == "BULK_CAMPAIGN");
        assert_eq!(hit.is_some(), i >= 3, "copy {}: {verdict:?}", i + 1);
        if let Some(hit) = hit {
            assert_eq!(hit.options[0], format!("size={}", i + 1));
            assert!(verdict.has("BULK_MANY_SENDERS"));
        }
    }
}

#[test]
fn unrelated_texts_and_exempt_senders_are_not_bulk() {
    let engine = engine_with(
        "[stage.stream]\nexempt_senders = [\"MYBANK\"]\n",
        Services::new(),
    );
    let mut scratch = engine.scratch();
    let texts = [
        "are we still on for dinner tonight, i can bring the wine",
        "the meeting moved to thursday afternoon, room four",
        "happy birthday grandma, hope the garden is blooming",
        "did you see the match last night, what a finish that was",
        "can you pick up milk and bread on the way home please",
    ];
    for (i, text) in texts.iter().enumerate() {
        let verdict = engine.scan_at(
            &sms("+447700900001", &format!("+4477002{i:05}"), text, T0),
            T0,
            &mut scratch,
        );
        assert!(!verdict.has("BULK_CAMPAIGN"), "{verdict:?}");
    }
    for i in 0..10u64 {
        let alert = format!(
            "MYBANK: your code is {} and expires in 10 minutes, never share it",
            100_000 + i * 7
        );
        let verdict = engine.scan_at(
            &sms("MyBank", &format!("+4477003{i:05}"), &alert, T0 + i),
            T0,
            &mut scratch,
        );
        assert!(
            !verdict.has("BULK_CAMPAIGN") && !verdict.has("FANOUT_SEQUENTIAL"),
            "{verdict:?}"
        );
    }
}

#[test]
fn a_sender_walking_numbers_and_bursting_is_seen() {
    let engine = engine_with("", Services::new());
    let mut scratch = engine.scratch();
    let mut last = None;
    for i in 0..70u64 {
        let msg = sms(
            "+447700900777",
            &format!("+4477004{i:05}"),
            &format!("ok {i}"),
            T0 + i * 500,
        );
        last = Some(engine.scan_at(&msg, T0, &mut scratch));
        let walking = last.as_ref().is_some_and(|v| v.has("FANOUT_SEQUENTIAL"));
        assert_eq!(walking, i >= 9, "message {}", i + 1);
    }
    let last = last.expect("scanned");
    assert!(last.has("VELOCITY_BURST"), "{last:?}");
}

#[derive(Debug)]
struct DownStore;

impl StateStore for DownStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn apply(&self, _: &[Op], _: &mut Vec<Reply>) -> Result<(), StateError> {
        Err(StateError::Unavailable {
            store: "redis",
            reason: "connection refused".into(),
        })
    }
}

#[test]
fn an_unreachable_store_is_shown_and_the_scan_goes_on() {
    let engine = engine_with("", Services::new().with_state(Arc::new(DownStore)));
    let mut scratch = engine.scratch();
    let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-SMS*C.34X";
    let verdict = engine.scan_at(
        &sms("+447700900001", "+447700900002", gtube, T0),
        T0,
        &mut scratch,
    );
    assert!(verdict.has("FW_STATE_UNAVAILABLE"), "{verdict:?}");
    assert!(!verdict.has("FW_STAGE_FAILED"), "{verdict:?}");
    assert!(
        verdict.symbols.len() > 1,
        "the other stages still ran: {verdict:?}"
    );
    let failures = engine.stage_failures();
    assert!(
        failures.iter().any(|&(name, n)| name == "stream" && n == 1),
        "{failures:?}"
    );
}

#[test]
fn a_bad_setting_fails_the_build_with_the_stage_named() {
    let mut rules = RuleSet::embedded().expect("embedded rules");
    let table: toml::Table = toml::from_str("min_similarity = 1.5").expect("toml");
    let mut stream = toml::Table::new();
    stream.insert("bulk".into(), toml::Value::Table(table));
    rules.policy.stages.insert("stream".into(), stream);
    let err = Engine::builder(rules).build().unwrap_err();
    assert!(
        err.to_string().contains("stream") && err.to_string().contains("min_similarity"),
        "{err}"
    );
}

#[test]
fn mail_without_an_envelope_counts_its_to_header_as_the_recipient() {
    let engine = engine_with("", Services::new());
    let mut scratch = engine.scratch();
    let mut last = None;
    for i in 0..6 {
        let raw = format!(
            "From: Billing <billing@invoices-{i}.example>\r\nTo: \"Customer {i}\" <user{i}@example.net>, other@example.net\r\n\
             Subject: Your invoice {i} is overdue\r\n\r\nDear customer, your invoice number {} is overdue. Pay the \
             outstanding balance of {}.00 EUR today at the link below to avoid a suspension of your service and \
             additional collection fees being added to your account this week.\r\n",
            1000 + i * 17,
            40 + i
        );
        let mut msg =
            crate::ingest::email::parse(raw.as_bytes(), engine.ingest_config()).into_owned();
        msg.envelope.received_ms = Some(T0 + i as u64 * 1000);
        last = Some(engine.scan_at(&msg, T0, &mut scratch));
    }
    let last = last.expect("scanned");
    let hit = last
        .symbols
        .iter()
        .find(|s| &*s.name == "BULK_CAMPAIGN")
        .expect("bulk");
    assert!(hit.options.contains(&"recipients=6".to_string()), "{hit:?}");
}

#[test]
fn a_rules_reload_keeps_the_campaigns_counted_so_far() {
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let engine = crate::ReloadableEngine::new(Engine::from_dir(&rules).expect("rules"));
    for i in 0..3 {
        let current = engine.current();
        let msg = sms(
            &format!("+4477009{i:05}"),
            &format!("+4477001{i:05}"),
            &lure(i),
            T0 + i as u64,
        );
        assert!(!current
            .scan_at(&msg, T0, &mut current.scratch())
            .has("BULK_CAMPAIGN"));
    }
    engine.reload(rules).expect("reload");
    let current = engine.current();
    let msg = sms("+447700900099", "+447700100099", &lure(3), T0 + 10);
    let verdict = current.scan_at(&msg, T0, &mut current.scratch());
    let hit = verdict
        .symbols
        .iter()
        .find(|s| &*s.name == "BULK_CAMPAIGN")
        .expect("the 4th copy, after the reload");
    assert_eq!(hit.options[0], "size=4");
}
