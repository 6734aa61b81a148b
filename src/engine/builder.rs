//! Building an engine: the rule set's symbols, then each stage in order,
//! then the meta rules and the policy over every symbol the stages raise.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use serde::de::DeserializeOwned;

use super::metas::MetaRules;
use super::Engine;
use crate::ingest::IngestConfig;
use crate::policy::Policy;
use crate::rules::{RuleError, RuleErrors, RuleSet};
use crate::stage::classifier::{self, ClassifierStage};
use crate::stage::protocol::ProtocolStage;
use crate::stage::signature::{SignatureOptions, SignatureStage};
use crate::stage::stream::{self, StreamStage};
use crate::stage::{Services, Stage, StageError};
use crate::symbols::{self, SymbolDef, SymbolId, SymbolTable};

/// Why an engine could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The rule set has errors (every one is listed).
    #[error("{0}")]
    Rules(#[from] RuleErrors),
    /// A stage could not be built.
    #[error("stage {stage}: {error}")]
    Stage {
        /// The stage's name.
        stage: &'static str,
        /// What went wrong.
        error: StageError,
    },
    /// `policy.toml` configures a stage the engine does not have.
    #[error("policy.toml: [stage.{name}] names no stage of this engine (it has: {known})")]
    UnknownStage {
        /// The table's name.
        name: String,
        /// The engine's stages, comma-separated.
        known: String,
    },
}

impl BuildError {
    /// The rule errors, when that is what went wrong.
    pub fn rule_errors(&self) -> Option<&RuleErrors> {
        match self {
            BuildError::Rules(errors) => Some(errors),
            _ => None,
        }
    }
}

/// What a stage factory may read and register while the engine is built.
pub struct StageSetup<'a> {
    /// The rule set the engine is built from.
    pub rules: &'a RuleSet,
    /// The engine's symbols: register every symbol the stage can raise, so
    /// that `rules check`, score overrides and meta rules know it.
    pub symbols: &'a mut SymbolTable,
    /// The services the engine's stages share.
    pub services: &'a Services,
    config: Option<&'a toml::Table>,
}

impl StageSetup<'_> {
    /// The stage's `[stage.NAME]` table from `policy.toml`, or `T::default()`
    /// when there is none. Unknown keys are an error where `T` says
    /// `#[serde(deny_unknown_fields)]`, as an operator's typo should be.
    pub fn config<T: DeserializeOwned + Default>(&self) -> Result<T, StageError> {
        match self.config {
            None => Ok(T::default()),
            Some(table) => T::deserialize(toml::Value::Table(table.clone()))
                .map_err(|err| StageError::Config(err.message().to_string())),
        }
    }

    /// Registers a symbol (or takes the existing one of that name).
    pub fn register(&mut self, name: &str, score: f64, description: &str) -> SymbolId {
        match self.symbols.lookup(name) {
            Some(id) => id,
            None => self.symbols.register(SymbolDef {
                name: name.into(),
                score,
                description: description.into(),
            }),
        }
    }
}

type StageFactory =
    Box<dyn FnOnce(&mut StageSetup<'_>) -> Result<Box<dyn Stage>, StageError> + Send>;

/// One entry of the stage list, built in order.
enum StageSpec {
    /// The rule set's signature rules ([`SignatureStage`]).
    Signature,
    /// Decode problems as `FW_*` symbols ([`ProtocolStage`]).
    Protocol,
    /// A stage the caller added.
    Added(&'static str, StageFactory),
}

/// Builds an [`Engine`] from a rule set, ingest limits, services and stages.
///
/// The stages run in the order they are listed: the signature, protocol
/// and classifier stages first, then those added with
/// [`stage`](Self::stage). The classifier scores the families the rule
/// set has models for, and nothing without any.
pub struct EngineBuilder {
    rules: RuleSet,
    ingest: IngestConfig,
    services: Services,
    signature: SignatureOptions,
    stages: Vec<StageSpec>,
}

impl EngineBuilder {
    /// A builder with the default stages and options.
    pub fn new(rules: RuleSet) -> EngineBuilder {
        EngineBuilder {
            rules,
            ingest: IngestConfig::default(),
            services: Services::default(),
            signature: SignatureOptions::default(),
            stages: vec![
                StageSpec::Signature,
                StageSpec::Protocol,
                StageSpec::Added(
                    stream::NAME,
                    Box::new(|setup| Ok(Box::new(StreamStage::build(setup)?))),
                ),
                StageSpec::Added(
                    classifier::NAME,
                    Box::new(|setup| Ok(Box::new(ClassifierStage::build(setup)?))),
                ),
            ],
        }
    }

    /// Where compiled Hyperscan databases are cached between starts (see
    /// [`crate::stage::signature::default_cache_dir`]); `None`, the default,
    /// compiles every time.
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> EngineBuilder {
        self.signature.cache_dir = dir;
        self
    }

    /// Whether expensive patterns are profiled and split out of the shared
    /// databases (results are the same either way, only speed and the first
    /// build's time differ).
    pub fn split_expensive_patterns(mut self, on: bool) -> EngineBuilder {
        self.signature.split = on;
        self
    }

    /// All signature-stage options at once.
    pub fn signature_options(mut self, options: SignatureOptions) -> EngineBuilder {
        self.signature = options;
        self
    }

    /// Decoding limits and per-source SMS choices.
    pub fn ingest(mut self, config: IngestConfig) -> EngineBuilder {
        self.ingest = config;
        self
    }

    /// The clock and shared state every stage sees.
    pub fn services(mut self, services: Services) -> EngineBuilder {
        self.services = services;
        self
    }

    /// Adds a stage after those already listed. `name` must be the stage's
    /// [`Stage::name`]; its `[stage.NAME]` table in `policy.toml` is what
    /// [`StageSetup::config`] reads. The factory registers the symbols the
    /// stage raises, and may fail with a clear error.
    pub fn stage(
        mut self,
        name: &'static str,
        factory: impl FnOnce(&mut StageSetup<'_>) -> Result<Box<dyn Stage>, StageError> + Send + 'static,
    ) -> EngineBuilder {
        self.stages.push(StageSpec::Added(name, Box::new(factory)));
        self
    }

    /// Compiles everything. All rule errors are reported together.
    pub fn build(self) -> Result<Engine, BuildError> {
        let EngineBuilder {
            rules,
            mut ingest,
            services,
            signature,
            stages: specs,
        } = self;
        let mut symbols = SymbolTable::for_rules(&rules);
        for builtin in symbols::BUILTINS {
            if symbols.lookup(builtin.name).is_none() {
                symbols.register(SymbolDef {
                    name: builtin.name.into(),
                    score: builtin.score,
                    description: builtin.description.into(),
                });
            }
        }
        let mut stages: Vec<Box<dyn Stage>> = Vec::with_capacity(specs.len());
        let mut configs: BTreeMap<&str, &toml::Table> = rules
            .policy
            .stages
            .iter()
            .map(|(name, table)| (name.as_str(), table))
            .collect();
        for spec in specs {
            let stage: Box<dyn Stage> = match spec {
                StageSpec::Signature => {
                    configs.remove("signature");
                    Box::new(SignatureStage::build_with(&rules, &symbols, &signature)?)
                }
                StageSpec::Protocol => {
                    configs.remove("protocol");
                    Box::new(ProtocolStage::new(&mut symbols))
                }
                StageSpec::Added(name, factory) => {
                    let mut setup = StageSetup {
                        rules: &rules,
                        symbols: &mut symbols,
                        services: &services,
                        config: configs.remove(name),
                    };
                    let stage = factory(&mut setup)
                        .map_err(|error| BuildError::Stage { stage: name, error })?;
                    if stage.name() != name {
                        let error = StageError::Config(format!(
                            "the factory added as {name:?} built a stage named {:?}",
                            stage.name()
                        ));
                        return Err(BuildError::Stage { stage: name, error });
                    }
                    stage
                }
            };
            stages.push(stage);
        }
        if let Some(name) = configs.keys().next() {
            let known: Vec<&str> = stages.iter().map(|s| s.name()).collect();
            return Err(BuildError::UnknownStage {
                name: name.to_string(),
                known: known.join(", "),
            });
        }
        apply_score_overrides(&rules, &mut symbols)?;
        let metas = MetaRules::new(&rules, &symbols)?;
        if let Some(max) = rules.policy.max_message_bytes {
            ingest.max_message_bytes = max;
        }
        let stage_failed = symbols
            .lookup(symbols::STAGE_FAILED)
            .expect("every built-in symbol is registered above");
        let state_unavailable = symbols
            .lookup(symbols::STATE_UNAVAILABLE)
            .expect("every built-in symbol is registered above");
        Ok(Engine {
            policy: Policy::new(rules.policy.thresholds.clone(), &symbols),
            failures: stages.iter().map(|_| AtomicU64::new(0)).collect(),
            symbols,
            stages,
            metas,
            ingest,
            services,
            stage_failed,
            state_unavailable,
        })
    }
}

/// `policy.toml`'s `[scores]`: each must name a symbol of this engine (a
/// built-in one, or one a stage registered), else it is a typo that would
/// silently score nothing.
fn apply_score_overrides(rules: &RuleSet, symbols: &mut SymbolTable) -> Result<(), RuleErrors> {
    let mut errors = Vec::new();
    for (name, score) in &rules.policy.score_overrides {
        match symbols.lookup(name) {
            Some(id) => symbols.set_score(id, *score),
            None => errors.push(RuleError::new(
                "policy.toml",
                1,
                Some(name),
                "[scores] names no symbol of this engine (built-in or a stage's)",
            )),
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(RuleErrors(errors)),
    }
}
