//! A stage written against the engine's seams, as the classifier and the
//! stream stages will be: weighted symbols with options, the injected
//! clock, its own configuration, the batch hook, the verdict hook, and a
//! failure that the scan survives. Then the pipeline's side: a reply and a
//! token per job, and an engine swapped in while it runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use floodwall::clock::SimulatedClock;
use floodwall::ingest::{self, Format, IngestConfig};
use floodwall::pipeline::{Job, Pipeline};
use floodwall::rules::RuleSet;
use floodwall::stage::{Evidence, ScanContext, Services, Stage, StageError, StageScratch};
use floodwall::symbols::SymbolId;
use floodwall::{Action, BuildError, Engine, Message, ReloadableEngine, Verdict};

/// What the probe stage heard, shared with the test.
#[derive(Default)]
struct Heard {
    /// The size of each batch `prepare_batch` saw.
    batches: Vec<usize>,
    /// Per verdict: the clock's time, the score and the action.
    verdicts: Vec<(u64, f64, Action)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeConfig {
    /// The weight `PROBE_SPAMMY` fires with.
    #[serde(default = "one")]
    weight: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for ProbeConfig {
    fn default() -> ProbeConfig {
        ProbeConfig { weight: one() }
    }
}

/// Fires `PROBE_SPAMMY` on texts with "spammy", weighted by its
/// configuration, with the clock's time in its options; fails on "outage".
struct Probe {
    spammy: SymbolId,
    weight: f64,
    heard: Arc<Mutex<Heard>>,
}

impl Stage for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }

    fn new_scratch(&self) -> StageScratch {
        Box::new(())
    }

    fn prepare_batch(
        &self,
        batch: &[Message<'_>],
        _cx: &ScanContext<'_>,
        _scratch: &mut StageScratch,
    ) -> Result<(), StageError> {
        self.heard.lock().unwrap().batches.push(batch.len());
        Ok(())
    }

    fn scan(
        &self,
        msg: &Message<'_>,
        cx: &ScanContext<'_>,
        _scratch: &mut StageScratch,
        evidence: &mut Evidence,
    ) -> Result<(), StageError> {
        let text: String = msg.text_parts.iter().map(|p| p.text.as_str()).collect();
        if text.contains("outage") {
            return Err(StageError::Unavailable {
                service: "store",
                reason: "no answer within 50 ms".into(),
            });
        }
        if text.contains("spammy") {
            let _ = evidence
                .fire_weighted(self.spammy, self.weight)
                .option(format!("{:.1}%", self.weight * 100.0))
                .option(format!("t={}", cx.now_ms));
        }
        Ok(())
    }

    fn on_verdict(
        &self,
        _msg: &Message<'_>,
        cx: &ScanContext<'_>,
        verdict: &Verdict,
        _scratch: &mut StageScratch,
    ) {
        let entry = (cx.now_ms, verdict.score, verdict.action);
        self.heard.lock().unwrap().verdicts.push(entry);
    }
}

const RULES: &str = r#"
[[rule]]
id = "OFFER"
description = "Mentions an offer"
score = 1.0
target = "body"
kind = "literal"
pattern = "offer"

[[meta]]
id = "SPAMMY_OFFER"
description = "A spammy text with an offer"
score = 3.0
expr = "PROBE_SPAMMY && OFFER"
"#;

fn engine_with(
    policy: &str,
    clock: &SimulatedClock,
    heard: &Arc<Mutex<Heard>>,
) -> Result<Engine, BuildError> {
    let dir = tempdir(policy);
    let rules = RuleSet::load_dir(&dir).expect("test rules load");
    let _ = std::fs::remove_dir_all(&dir);
    let heard = Arc::clone(heard);
    Engine::builder(rules)
        .split_expensive_patterns(false)
        .services(Services::new().with_clock(Arc::new(clock.clone())))
        .stage("probe", move |setup| {
            let config: ProbeConfig = setup.config()?;
            let spammy = setup.register("PROBE_SPAMMY", 8.0, "The probe found the text spammy");
            Ok(Box::new(Probe {
                spammy,
                weight: config.weight,
                heard,
            }))
        })
        .build()
}

fn tempdir(policy: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "floodwall-seams-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("rules.toml"), RULES).expect("write rules");
    std::fs::write(dir.join("policy.toml"), policy).expect("write policy");
    dir
}

fn sms(text: &str) -> Message<'static> {
    let line =
        format!("{{\"from\": \"+447700900123\", \"to\": \"+447700900456\", \"text\": \"{text}\"}}");
    let mut out = Vec::new();
    let mut decoder = floodwall::ingest::Decoder::new(IngestConfig::default());
    for payload in ingest::split(Format::Jsonl, line.as_bytes()).expect("a record") {
        decoder.decode(payload, 0, &mut out);
    }
    out.pop().expect("one message").into_owned()
}

const POLICY: &str = "[actions]\ntag = 5.0\n\n[stage.probe]\nweight = 0.5\n";

#[test]
fn a_weighted_symbol_scores_its_weight_shows_its_options_and_feeds_metas() {
    let clock = SimulatedClock::at_ms(1_700_000_000_000);
    let heard = Arc::default();
    let engine = engine_with(POLICY, &clock, &heard).expect("engine builds");
    let verdict = engine.scan(&sms("a spammy offer"), &mut engine.scratch());
    let probe = verdict.symbol("PROBE_SPAMMY").expect("the probe fired");
    assert_eq!(probe.score, 4.0, "8.0 times the configured weight 0.5");
    assert_eq!(probe.options, ["50.0%", "t=1700000000000"]);
    assert_eq!(
        probe.to_string(),
        "PROBE_SPAMMY(4.00){50.0%,t=1700000000000}"
    );
    assert!(
        verdict.has("SPAMMY_OFFER"),
        "meta rules see a weighted symbol: {verdict:?}"
    );
    assert_eq!(verdict.score, 8.0);
    assert_eq!(verdict.action, Action::Tag);
    let json = serde_json::to_value(&verdict).expect("verdicts serialise");
    assert_eq!(json["symbols"][0]["name"], "PROBE_SPAMMY");
    assert_eq!(json["symbols"][0]["options"][0], "50.0%");
}

#[test]
fn stages_read_the_injected_clock() {
    let clock = SimulatedClock::at_ms(1_000);
    let heard = Arc::default();
    let engine = engine_with(POLICY, &clock, &heard).expect("engine builds");
    let mut scratch = engine.scratch();
    let msg = sms("spammy");
    let first = engine.scan(&msg, &mut scratch);
    clock.advance(Duration::from_secs(3_600));
    let later = engine.scan(&msg, &mut scratch);
    let time = |v: &Verdict| v.symbol("PROBE_SPAMMY").map(|s| s.options[1].clone());
    assert_eq!(time(&first).as_deref(), Some("t=1000"));
    assert_eq!(time(&later).as_deref(), Some("t=3601000"));
}

#[test]
fn a_batch_is_prepared_once_and_every_verdict_is_heard() {
    let clock = SimulatedClock::at_ms(42);
    let heard: Arc<Mutex<Heard>> = Arc::default();
    let engine = engine_with(POLICY, &clock, &heard).expect("engine builds");
    let batch = [sms("hello"), sms("a spammy offer"), sms("bye")];
    let mut actions = Vec::new();
    engine.scan_batch(&batch, clock_now(&engine), &mut engine.scratch(), |i, v| {
        actions.push((i, v.action))
    });
    assert_eq!(
        actions,
        [(0, Action::Accept), (1, Action::Tag), (2, Action::Accept)]
    );
    let heard = heard.lock().unwrap();
    assert_eq!(heard.batches, [3]);
    assert_eq!(
        heard.verdicts,
        [
            (42, 0.0, Action::Accept),
            (42, 8.0, Action::Tag),
            (42, 0.0, Action::Accept)
        ]
    );
}

fn clock_now(engine: &Engine) -> u64 {
    engine.now_ms()
}

#[test]
fn a_failing_stage_is_recorded_and_the_scan_goes_on() {
    let clock = SimulatedClock::at_ms(0);
    let heard = Arc::default();
    let engine = engine_with(POLICY, &clock, &heard).expect("engine builds");
    let verdict = engine.scan(&sms("outage offer"), &mut engine.scratch());
    let failed = verdict
        .symbol("FW_STAGE_FAILED")
        .expect("the failure shows");
    assert_eq!(
        failed.options,
        ["probe: store unavailable: no answer within 50 ms"]
    );
    assert_eq!(failed.score, 0.0);
    assert!(
        verdict.has("OFFER"),
        "other stages' evidence stays: {verdict:?}"
    );
    let failures = engine.stage_failures();
    assert!(failures.contains(&("probe", 1)), "{failures:?}");
    assert!(failures.contains(&("signature", 0)), "{failures:?}");
}

#[test]
fn stage_configuration_errors_are_clear() {
    let clock = SimulatedClock::default();
    let heard = Arc::default();
    let typo = engine_with("[stage.probe]\nwieght = 0.5\n", &clock, &heard).unwrap_err();
    assert!(
        matches!(&typo, BuildError::Stage { stage: "probe", .. })
            && typo.to_string().contains("wieght"),
        "{typo}"
    );
    let unknown = engine_with("[stage.bayes]\nmin_tokens = 5\n", &clock, &heard).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "policy.toml: [stage.bayes] names no stage of this engine (it has: signature, protocol, stream, classifier, probe)"
    );
    let score = engine_with(
        "[scores]\nPROBE_SPAMMY = 1.5\nNO_SUCH_SYMBOL = 1\n",
        &clock,
        &heard,
    )
    .unwrap_err();
    assert!(score.to_string().contains("NO_SUCH_SYMBOL"), "{score}");
}

#[test]
fn a_score_override_reaches_a_stage_symbol() {
    let clock = SimulatedClock::default();
    let heard = Arc::default();
    let engine =
        engine_with("[scores]\nPROBE_SPAMMY = 2.0\n", &clock, &heard).expect("engine builds");
    let verdict = engine.scan(&sms("spammy"), &mut engine.scratch());
    assert_eq!(verdict.symbol("PROBE_SPAMMY").map(|s| s.score), Some(2.0));
}

/// One JSON SMS record as a pipeline job.
fn record_job(text: &str) -> Job {
    let line = format!("{{\"from\": \"+447700900123\", \"text\": \"{text}\"}}");
    Job::new(line.into_bytes(), Format::Jsonl)
}

#[test]
fn each_job_gets_its_own_reply_with_its_token() {
    let clock = SimulatedClock::at_ms(0);
    let heard = Arc::default();
    let engine = Arc::new(engine_with(POLICY, &clock, &heard).expect("engine builds"));
    let (pipeline, shared) = Pipeline::builder(engine).threads(2).with_results();
    let (tx, rx) = crossbeam_channel::unbounded();
    for token in 0..20u64 {
        let tx = tx.clone();
        let text = if token % 2 == 0 { "spammy" } else { "hello" };
        let job = record_job(text).with_token(token).with_reply(move |o| {
            let _ = tx.send(o);
        });
        pipeline.submit(job).expect("open pipeline");
    }
    pipeline.finish();
    assert_eq!(
        shared.try_iter().count(),
        0,
        "replies go to their jobs only"
    );
    let mut got: Vec<(u64, bool)> = rx
        .try_iter()
        .map(|o| (o.token, o.scanned[0].verdict.has("PROBE_SPAMMY")))
        .collect();
    got.sort();
    let want: Vec<(u64, bool)> = (0..20).map(|t| (t, t % 2 == 0)).collect();
    assert_eq!(got, want);
}

#[test]
fn a_swapped_engine_serves_the_next_batch_and_keeps_sms_reassembly() {
    let clock = SimulatedClock::at_ms(0);
    let heard = Arc::default();
    let reloadable =
        ReloadableEngine::new(engine_with(POLICY, &clock, &heard).expect("engine builds"));
    let (pipeline, results) = Pipeline::builder(reloadable.clone())
        .threads(1)
        .ordered(true)
        .with_results();
    // The first two segments of a three-part SMS, the engine swapped for
    // one whose probe weighs 1.0, then the last segment.
    let segments = concat_segments();
    for segment in &segments[..2] {
        pipeline
            .submit(Job::new(segment.clone(), Format::Tpdu).with_route_key(7))
            .expect("open");
    }
    pipeline.submit(record_job("spammy before")).expect("open");
    while results.len() < 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    reloadable
        .swap(engine_with("[stage.probe]\nweight = 1.0\n", &clock, &heard).expect("engine builds"));
    pipeline
        .submit(Job::new(segments[2].clone(), Format::Tpdu).with_route_key(7))
        .expect("open");
    pipeline.submit(record_job("spammy after")).expect("open");
    pipeline.finish();
    let outcomes: Vec<_> = results.iter().collect();
    let probe = |i: usize| {
        outcomes[i].scanned[0]
            .verdict
            .symbol("PROBE_SPAMMY")
            .map(|s| s.score)
    };
    assert_eq!(probe(2), Some(4.0), "the first engine");
    assert_eq!(probe(4), Some(8.0), "the swapped-in engine");
    assert_eq!(
        outcomes[3].scanned.len(),
        1,
        "the SMS completes across the swap"
    );
    assert!(outcomes[3].scanned[0]
        .verdict
        .symbols
        .iter()
        .all(|s| &*s.name != "FW_SMS_INCOMPLETE"));
}

/// The three TPDU hex lines of the seed's UCS-2 prize SMS (the second of
/// its concatenated messages).
fn concat_segments() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/sms/concat.tpdu"
    ))
    .expect("seeds/sms/concat.tpdu");
    let lines: Vec<Vec<u8>> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    assert_eq!(lines.len(), 8, "the seed holds SMS of 2, 3 and 3 segments");
    lines[2..5].to_vec()
}
