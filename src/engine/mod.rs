//! The engine: a list of stages built once, then shared by every scanning
//! thread.
//!
//! An [`Engine`] is immutable and `Send + Sync`; each thread owns a
//! [`Scratch`] (every stage's working memory, the evidence) made by
//! [`Engine::scratch`]. A scan runs each stage over the message in its
//! [`ScanContext`], then the meta rules, then the [`Policy`] that turns the
//! evidence into a [`Verdict`]; stages then hear the verdict. Reloading rules means building a new engine and
//! swapping it in: a rule set that fails to build leaves the old one serving
//! ([`ReloadableEngine`] does this on a background thread).

mod builder;
mod metas;
mod reload;

use std::any::Any;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::ingest::{Decoder, IngestConfig};
use crate::message::Message;
use crate::policy::{Policy, Verdict};
use crate::rules::RuleSet;
use crate::stage::{
    subscriber_of, Evidence, ScanContext, Services, Stage, StageError, StageScratch,
};
use crate::symbols::{SymbolId, SymbolTable};

pub use builder::{BuildError, EngineBuilder, StageSetup};
use metas::MetaRules;
pub use reload::ReloadableEngine;

/// Compiled rules and stages; scan messages with it from any number of threads.
///
/// ```
/// use floodwall::{Engine, ingest};
///
/// let engine = Engine::embedded().expect("the shipped rules compile");
/// let mut scratch = engine.scratch();
/// let raw = b"Subject: hi\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";
/// let msg = ingest::email::parse(raw, engine.ingest_config());
/// let verdict = engine.scan(&msg, &mut scratch);
/// assert!(verdict.has("GTUBE"));
/// ```
pub struct Engine {
    symbols: SymbolTable,
    stages: Vec<Box<dyn Stage>>,
    metas: MetaRules,
    policy: Policy,
    ingest: IngestConfig,
    services: Services,
    /// `FW_STAGE_FAILED`.
    stage_failed: SymbolId,
    /// `FW_STATE_UNAVAILABLE`.
    state_unavailable: SymbolId,
    /// By stage: failures so far (see [`Engine::stage_failures`]).
    failures: Vec<AtomicU64>,
}

/// Per-thread working memory for [`Engine::scan`]: each stage's scratch,
/// the evidence of the message being scanned, and the stage timers.
pub struct Scratch {
    stages: Vec<StageScratch>,
    evidence: Evidence,
    /// Which meta rules have a leaf that fired (see [`MetaRules`]).
    meta_due: Vec<bool>,
    /// By stage: the error its [`Stage::prepare_batch`] gave for the batch
    /// being scanned, recorded on each of its messages.
    batch_failures: Vec<Option<StageError>>,
    /// Nanoseconds spent per stage (same order as [`Engine::stage_names`]),
    /// accumulated while `timing` is on.
    stage_nanos: Vec<u64>,
    timing: bool,
}

impl Scratch {
    /// Times every stage from now on (two clock reads per stage and
    /// message), or stops timing.
    pub fn set_timing(&mut self, on: bool) {
        self.timing = on;
    }

    /// Nanoseconds spent per stage while timing was on, in the order of
    /// [`Engine::stage_names`] (the last: meta rules and policy).
    pub fn stage_nanos(&self) -> &[u64] {
        &self.stage_nanos
    }

    /// Sets the stage timers back to zero.
    pub fn reset_timers(&mut self) {
        self.stage_nanos.iter_mut().for_each(|n| *n = 0);
    }
}

impl Engine {
    /// Builder for an engine with custom ingest limits, services or stages.
    pub fn builder(rules: RuleSet) -> EngineBuilder {
        EngineBuilder::new(rules)
    }

    /// The rules shipped in the binary.
    pub fn embedded() -> Result<Engine, BuildError> {
        EngineBuilder::new(RuleSet::embedded()?).build()
    }

    /// The rules of a directory.
    pub fn from_dir(dir: &Path) -> Result<Engine, BuildError> {
        EngineBuilder::new(RuleSet::load_dir(dir)?).build()
    }

    /// Working memory for one scanning thread.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            stages: self.stages.iter().map(|s| s.new_scratch()).collect(),
            evidence: Evidence::with_symbols(self.symbols.len()),
            meta_due: Vec::new(),
            batch_failures: vec![None; self.stages.len()],
            // One slot per stage plus one for meta rules and policy, as in
            // `stage_names`.
            stage_nanos: vec![0; self.stages.len() + 1],
            timing: false,
        }
    }

    /// A decoder with this engine's ingest limits, for one traffic stream.
    pub fn decoder(&self) -> Decoder {
        Decoder::new(self.ingest.clone())
    }

    /// The decoding limits the rules directory set.
    pub fn ingest_config(&self) -> &IngestConfig {
        &self.ingest
    }

    /// Every symbol the engine can raise, with its score and description.
    pub fn symbols(&self) -> &SymbolTable {
        &self.symbols
    }

    /// The policy verdicts are made by.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The services the stages share (the clock, the state store).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Now, by the engine's clock, in milliseconds since the epoch.
    pub fn now_ms(&self) -> u64 {
        self.services.clock.now_ms()
    }

    /// The stage of type `S`, to reach its own API (the signature stage's
    /// rule plans and pattern profiles, say).
    ///
    /// ```
    /// use floodwall::stage::signature::SignatureStage;
    ///
    /// let engine = floodwall::Engine::embedded().expect("the shipped rules compile");
    /// let signature = engine.stage::<SignatureStage>().expect("a default stage");
    /// assert!(signature.plans().iter().any(|p| p.id == "GTUBE"));
    /// ```
    pub fn stage<S: Stage>(&self) -> Option<&S> {
        self.stages
            .iter()
            .find_map(|s| (s.as_ref() as &dyn Any).downcast_ref::<S>())
    }

    /// The stages' names in the order they run, then `meta+policy`.
    pub fn stage_names(&self) -> Vec<&'static str> {
        self.stages
            .iter()
            .map(|s| s.name())
            .chain(["meta+policy"])
            .collect()
    }

    /// By stage, in the order they run: how often it failed (a failed
    /// batch counts once). Each failure also shows as `FW_STAGE_FAILED` in
    /// the verdicts it touched.
    pub fn stage_failures(&self) -> Vec<(&'static str, u64)> {
        self.stages
            .iter()
            .zip(&self.failures)
            .map(|(s, n)| (s.name(), n.load(Ordering::Relaxed)))
            .collect()
    }

    /// Scans one message now, by the engine's clock.
    pub fn scan(&self, msg: &Message<'_>, scratch: &mut Scratch) -> Verdict {
        self.scan_at(msg, self.now_ms(), scratch)
    }

    /// Scans one message as at `now_ms` (a replay, a simulated clock).
    pub fn scan_at(&self, msg: &Message<'_>, now_ms: u64, scratch: &mut Scratch) -> Verdict {
        self.prepare(std::slice::from_ref(msg), now_ms, scratch);
        self.scan_prepared(msg, now_ms, scratch)
    }

    /// Scans a batch as at `now_ms`: every stage sees the whole batch
    /// first, then each message is scanned in order and its verdict handed
    /// to `each` with its index.
    pub fn scan_batch(
        &self,
        batch: &[Message<'_>],
        now_ms: u64,
        scratch: &mut Scratch,
        mut each: impl FnMut(usize, Verdict),
    ) {
        if batch.is_empty() {
            return;
        }
        self.prepare(batch, now_ms, scratch);
        for (i, msg) in batch.iter().enumerate() {
            each(i, self.scan_prepared(msg, now_ms, scratch));
        }
    }

    fn prepare(&self, batch: &[Message<'_>], now_ms: u64, scratch: &mut Scratch) {
        let cx = ScanContext {
            now_ms,
            subscriber: None,
            services: &self.services,
        };
        for (i, stage) in self.stages.iter().enumerate() {
            let start = scratch.timing.then(Instant::now);
            let result = stage.prepare_batch(batch, &cx, &mut scratch.stages[i]);
            if result.is_err() {
                self.failures[i].fetch_add(1, Ordering::Relaxed);
            }
            scratch.batch_failures[i] = result.err();
            if let Some(start) = start {
                scratch.stage_nanos[i] += nanos_since(start);
            }
        }
    }

    fn scan_prepared(&self, msg: &Message<'_>, now_ms: u64, scratch: &mut Scratch) -> Verdict {
        let cx = ScanContext {
            now_ms,
            subscriber: subscriber_of(msg),
            services: &self.services,
        };
        let Scratch {
            stages,
            evidence,
            meta_due,
            batch_failures,
            stage_nanos,
            timing,
        } = scratch;
        evidence.clear();
        for (i, stage) in self.stages.iter().enumerate() {
            let start = timing.then(Instant::now);
            if let Some(error) = &batch_failures[i] {
                self.record_failure(stage.name(), error, evidence);
            }
            if let Err(error) = stage.scan(msg, &cx, &mut stages[i], evidence) {
                self.failures[i].fetch_add(1, Ordering::Relaxed);
                self.record_failure(stage.name(), &error, evidence);
            }
            if let Some(start) = start {
                stage_nanos[i] += nanos_since(start);
            }
        }
        let start = timing.then(Instant::now);
        self.metas.evaluate(evidence, meta_due);
        let verdict = self.policy.verdict(evidence, &self.symbols);
        if let (Some(start), Some(slot)) = (start, stage_nanos.last_mut()) {
            *slot += nanos_since(start);
        }
        for (i, stage) in self.stages.iter().enumerate() {
            let start = timing.then(Instant::now);
            stage.on_verdict(msg, &cx, &verdict, &mut stages[i]);
            if let Some(start) = start {
                stage_nanos[i] += nanos_since(start);
            }
        }
        verdict
    }

    fn record_failure(&self, stage: &str, error: &StageError, evidence: &mut Evidence) {
        let symbol = match error {
            StageError::StateUnavailable { .. } => self.state_unavailable,
            _ => self.stage_failed,
        };
        let _ = evidence
            .fire_weighted(symbol, 1.0)
            .option(format!("{stage}: {error}"));
    }
}

fn nanos_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("symbols", &self.symbols.len())
            .field("stages", &self.stage_names())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(rules: &str) -> Engine {
        let dir = std::env::temp_dir().join(format!(
            "floodwall-engine-{}-{}",
            std::process::id(),
            rules.len()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("t.toml"), rules).expect("write rules");
        let engine = Engine::from_dir(&dir).expect("test rules compile");
        let _ = std::fs::remove_dir_all(&dir);
        engine
    }

    #[test]
    fn a_meta_over_an_unknown_symbol_fails_the_build_with_its_line() {
        let rules = RuleSet::from_toml(
            "m.toml",
            "[[meta]]\nid = \"OVER_NOTHING\"\ndescription = \"m\"\nscore = 1.0\nexpr = \"NOPE\"\n",
        )
        .expect("the loader leaves leaves to the engine: stages add symbols");
        let err = Engine::builder(rules).build().unwrap_err();
        let errors = err.rule_errors().expect("a rule error");
        assert_eq!(errors.0[0].line, 1);
        assert_eq!(errors.0[0].rule.as_deref(), Some("OVER_NOTHING"));
        assert!(errors.0[0].message.contains("'NOPE'"), "{err}");
    }

    #[test]
    fn metas_fire_alike_on_silent_and_noisy_messages() {
        let e = engine(
            "[[rule]]\nid = \"WIN\"\ndescription = \"w\"\nscore = 1.0\ntarget = \"body\"\nkind = \"literal\"\npattern = 'win'\n\n\
             [[meta]]\nid = \"NO_WIN\"\ndescription = \"n\"\nscore = 0.5\nexpr = \"!WIN\"\n\n\
             [[meta]]\nid = \"WIN_META\"\ndescription = \"m\"\nscore = 2.0\nexpr = \"WIN && !NO_WIN\"\n",
        );
        let mut scratch = e.scratch();
        let quiet = crate::ingest::email::parse(b"Subject: a\r\n\r\nhello\r\n", e.ingest_config());
        let verdict = e.scan(&quiet, &mut scratch);
        assert!(
            verdict.has("NO_WIN") && !verdict.has("WIN_META"),
            "{verdict:?}"
        );
        let loud = crate::ingest::email::parse(b"Subject: a\r\n\r\nwin\r\n", e.ingest_config());
        let verdict = e.scan(&loud, &mut scratch);
        assert!(
            verdict.has("WIN_META") && !verdict.has("NO_WIN"),
            "{verdict:?}"
        );
        let verdict = e.scan(&quiet, &mut scratch);
        assert_eq!(verdict.score, 0.5);
    }
}
