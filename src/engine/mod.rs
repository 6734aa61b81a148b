//! The engine: rules compiled once, then shared by every scanning thread.
//!
//! An [`Engine`] is immutable and `Send + Sync`; each thread owns a
//! [`Scratch`] (Hyperscan scratch, buffers, evidence) made by
//! [`Engine::scratch`]. Reloading rules means building a new engine and
//! swapping it in: a rule set that fails to build leaves the old one serving
//! ([`ReloadableEngine`] does this on a background thread).

mod metas;
mod reload;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::ingest::{Decoder, IngestConfig};
use crate::message::Message;
use crate::policy::{self, SymbolHit, Verdict};
use crate::rules::{RuleErrors, RuleSet, Thresholds};
use crate::stage::protocol::ProtocolStage;
use crate::stage::signature::{PatternProfile, RulePlan, SignatureOptions, SignatureStage};
use crate::stage::{Evidence, Stage, StageScratch};
use crate::symbols::{SymbolDef, SymbolId, SymbolTable};

use metas::MetaRules;
pub use reload::ReloadableEngine;

type StageFactory = Box<dyn FnOnce(&mut SymbolTable) -> Box<dyn Stage>>;

/// Builds an [`Engine`] from a rule set, ingest limits and extra stages.
pub struct EngineBuilder {
    rules: RuleSet,
    ingest: IngestConfig,
    extra_stages: Vec<StageFactory>,
    signature: SignatureOptions,
}

impl EngineBuilder {
    pub fn new(rules: RuleSet) -> EngineBuilder {
        EngineBuilder {
            rules,
            ingest: IngestConfig::default(),
            extra_stages: Vec::new(),
            signature: SignatureOptions::default(),
        }
    }

    /// Where compiled Hyperscan databases are cached between starts (see
    /// [`crate::stage::signature::default_cache_dir`]); `None`, the default,
    /// compiles every time. With the 1,500-rule hard set a warm start loads
    /// in well under a second instead of compiling for tens of seconds.
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> EngineBuilder {
        self.signature.cache_dir = dir;
        self
    }

    /// Whether expensive patterns are profiled and split out of the shared
    /// databases (default on; results are the same either way, only speed
    /// and the first build's time differ).
    pub fn split_expensive_patterns(mut self, on: bool) -> EngineBuilder {
        self.signature.split = on;
        self
    }

    /// All signature-stage options at once (cache, split, profiling sample
    /// and threshold).
    pub fn signature_options(mut self, options: SignatureOptions) -> EngineBuilder {
        self.signature = options;
        self
    }

    /// Decoding limits and per-source SMS choices.
    pub fn ingest(mut self, config: IngestConfig) -> EngineBuilder {
        self.ingest = config;
        self
    }

    /// Adds a stage after the built-in ones. The factory registers the
    /// symbols the stage raises.
    pub fn stage(
        mut self,
        factory: impl FnOnce(&mut SymbolTable) -> Box<dyn Stage> + 'static,
    ) -> EngineBuilder {
        self.extra_stages.push(Box::new(factory));
        self
    }

    /// Compiles everything. All rule errors are reported together.
    pub fn build(self) -> Result<Engine, RuleErrors> {
        let EngineBuilder {
            rules,
            mut ingest,
            extra_stages,
            signature,
        } = self;
        let mut symbols = SymbolTable::default();
        for rule in &rules.rules {
            symbols.register(SymbolDef {
                name: rule.id.as_str().into(),
                score: rule.score,
                description: rule.description.as_str().into(),
            });
        }
        for meta in &rules.metas {
            symbols.register(SymbolDef {
                name: meta.id.as_str().into(),
                score: meta.score,
                description: meta.description.as_str().into(),
            });
        }
        let signature = SignatureStage::build_with(&rules, &symbols, &signature)?;
        let plans = signature.plans().to_vec();
        let profiles = signature.profiles().to_vec();
        let mut stages: Vec<Box<dyn Stage>> = vec![
            Box::new(signature),
            Box::new(ProtocolStage::new(&mut symbols)),
        ];
        for factory in extra_stages {
            stages.push(factory(&mut symbols));
        }
        for (name, score) in &rules.policy.score_overrides {
            if let Some(id) = symbols.lookup(name) {
                symbols.set_score(id, *score);
            }
        }
        let metas = MetaRules::new(&rules, &symbols)?;
        let hidden = symbols
            .iter()
            .map(|(_, d)| crate::rules::is_hidden(&d.name))
            .collect();
        if let Some(max) = rules.policy.max_message_bytes {
            ingest.max_message_bytes = max;
        }
        Ok(Engine {
            symbols,
            stages,
            metas,
            hidden,
            thresholds: rules.policy.thresholds.clone(),
            ingest,
            plans,
            profiles,
        })
    }
}

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
    hidden: Vec<bool>,
    thresholds: Thresholds,
    ingest: IngestConfig,
    plans: Vec<RulePlan>,
    profiles: Vec<PatternProfile>,
}

/// Per-thread working memory for [`Engine::scan`].
pub struct Scratch {
    stages: Vec<StageScratch>,
    evidence: Evidence,
    /// Which meta rules have a leaf that fired (see [`MetaRules`]).
    meta_due: Vec<bool>,
    /// Nanoseconds spent per stage (same order as [`Engine::stage_names`]),
    /// accumulated while `timing` is on.
    pub stage_nanos: Vec<u64>,
    pub timing: bool,
}

impl Engine {
    /// Builder for an engine with custom ingest limits or extra stages.
    pub fn builder(rules: RuleSet) -> EngineBuilder {
        EngineBuilder::new(rules)
    }

    /// The rules shipped in the binary.
    pub fn embedded() -> Result<Engine, RuleErrors> {
        EngineBuilder::new(RuleSet::embedded()?).build()
    }

    /// The rules of a directory.
    pub fn from_dir(dir: &Path) -> Result<Engine, RuleErrors> {
        EngineBuilder::new(RuleSet::load_dir(dir)?).build()
    }

    pub fn scratch(&self) -> Scratch {
        Scratch {
            stages: self.stages.iter().map(|s| s.new_scratch()).collect(),
            evidence: Evidence::with_symbols(self.symbols.len()),
            meta_due: Vec::new(),
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

    pub fn ingest_config(&self) -> &IngestConfig {
        &self.ingest
    }

    pub fn symbols(&self) -> &SymbolTable {
        &self.symbols
    }

    /// How each signature rule was compiled.
    pub fn rule_plans(&self) -> &[RulePlan] {
        &self.plans
    }

    /// Each Hyperscan pattern's measured cost and where it runs (empty
    /// when the split is off).
    pub fn pattern_profiles(&self) -> &[PatternProfile] {
        &self.profiles
    }

    pub fn stage_names(&self) -> Vec<&'static str> {
        self.stages
            .iter()
            .map(|s| s.name())
            .chain(["meta+policy"])
            .collect()
    }

    /// Scans one message.
    pub fn scan(&self, msg: &Message<'_>, scratch: &mut Scratch) -> Verdict {
        scratch.evidence.clear();
        for (i, stage) in self.stages.iter().enumerate() {
            if scratch.timing {
                let start = Instant::now();
                stage.run(msg, &mut scratch.stages[i], &mut scratch.evidence);
                scratch.stage_nanos[i] += start.elapsed().as_nanos() as u64;
            } else {
                stage.run(msg, &mut scratch.stages[i], &mut scratch.evidence);
            }
        }
        let start = scratch.timing.then(Instant::now);
        let verdict = self.verdict(&mut scratch.evidence, &mut scratch.meta_due);
        if let Some(start) = start {
            if let Some(slot) = scratch.stage_nanos.last_mut() {
                *slot += start.elapsed().as_nanos() as u64;
            }
        }
        verdict
    }

    fn verdict(&self, evidence: &mut Evidence, meta_due: &mut Vec<bool>) -> Verdict {
        self.metas.evaluate(evidence, meta_due);
        // Sized once from what fired and shows: the verdict's one
        // allocation, and none where only sub-rules fired.
        let shown = |id: &&SymbolId| !self.hidden[id.0 as usize];
        let count = evidence.fired().iter().filter(shown).count();
        let mut symbols = Vec::with_capacity(count);
        symbols.extend(evidence.fired().iter().filter(shown).map(|&id| {
            let def = self.symbols.get(id);
            SymbolHit {
                name: def.name.clone(),
                score: def.score,
                description: def.description.clone(),
            }
        }));
        symbols.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.name.cmp(&b.name))
        });
        let score = symbols.iter().map(|s| s.score).sum::<f64>();
        // Rounded so that sums print as the scores that make them up; `+ 0.0`
        // turns the empty sum's -0.0 into 0.0.
        let score = (score * 1000.0).round() / 1000.0 + 0.0;
        Verdict {
            score,
            action: policy::decide(&self.thresholds, score),
            symbols,
        }
    }
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
