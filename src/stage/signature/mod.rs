//! Signature stage: every regex, literal and list rule, grouped by channel
//! and target, each group scanned in one pass.
//!
//! Per (channel, target) there is one Hyperscan database holding all regex
//! and literal rules (including the prefilter forms of rules Hyperscan cannot
//! run exactly) and the phrase lists, an Aho-Corasick automaton for phrase
//! lists too large to compile into it, and the block lists.
//!
//! The code reads in four parts:
//! - `build/`: what runs once, at build: each pattern's engine, the
//!   databases (cached on disk between starts), the groups.
//! - `scan/`: what runs per message, on the immutable stage and a
//!   thread's scratch.
//! - `gate/`: conditions every match of a pattern needs, found at build
//!   and tested per message, so that an expensive pattern runs only where
//!   it can match.
//! - `tuning/`: where each pattern runs, decided by measuring it: the
//!   split of expensive patterns out of the shared databases and the choice
//!   of lazy DFAs. It changes speed, never a result.

mod build;
mod error;
mod gate;
mod scan;
mod tuning;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hyperscan::prelude::*;

use build::{cache, compile};
use scan::{lists, regexes, targets};
use tuning::{profile, split};

pub use cache::default_cache_dir;
pub use compile::EnginePath;
pub use error::SignatureError;
pub(crate) use lists::{BLOOM_MIN_ENTRIES, PHRASES_IN_HYPERSCAN_MAX};
pub(crate) use profile::builtin_sample;
pub use split::Placement;

use super::{Evidence, ScanContext, Stage, StageError, StageScratch};
use crate::message::{Channel, Message};
use crate::rules::{Flags, ListMatch, Matcher, Origin, RuleError, RuleErrors, RuleSet, Target};
use crate::symbols::SymbolTable;
use build::group::{build_group, Built, GroupOptions};
use compile::{prepare_literal, prepare_regex, PreparedPattern};
use regexes::RegexRegistry;
use scan::group::{GroupScratch, TargetGroup};

/// How one rule was compiled, for `floodwall rules check`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RulePlan {
    /// The rule's id.
    pub id: String,
    #[serde(skip)]
    /// Where the rule is defined.
    pub origin: Origin,
    /// What it reads, as rule files spell it.
    pub target: String,
    /// The channels it applies to.
    pub channels: Vec<Channel>,
    /// The engine of each pattern (one entry for a list rule).
    pub paths: Vec<EnginePath>,
}

/// How the signature stage is built.
#[derive(Clone, Debug)]
pub struct SignatureOptions {
    /// Where compiled databases and pattern profiles are cached; `None`
    /// compiles everything at every build.
    pub cache_dir: Option<PathBuf>,
    /// Profile every pattern and split the expensive ones out of the shared
    /// databases (see `tuning/split.rs`). Results are the same either way.
    pub split: bool,
    /// The text patterns are profiled on (default: a built-in 64 KB sample of spam and ham text);
    /// `rawbody` patterns on its wire form (`tuning/wire_sample.rs`).
    pub sample: Option<Arc<[u8]>>,
    /// Cost (ns per KB of sample) above which a pattern counts as
    /// expensive, instead of the measured `max(EXPENSIVE_FACTOR × median,
    /// EXPENSIVE_FLOOR_NS)`; `Some(0.0)` treats every pattern as expensive,
    /// which tests use to exercise every path.
    pub expensive_above_ns: Option<f64>,
    /// With the split, let lazy DFAs take the patterns they run faster
    /// than the shared database (see `scan/lazy_dfa.rs`). Results are the same
    /// either way; tests turn it off to exercise every gate.
    pub lazy_dfa: bool,
}

impl Default for SignatureOptions {
    fn default() -> SignatureOptions {
        SignatureOptions {
            cache_dir: None,
            split: true,
            sample: None,
            expensive_above_ns: None,
            lazy_dfa: true,
        }
    }
}

/// One Hyperscan pattern's measured cost and where it runs, for
/// `floodwall rules check --profile`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PatternProfile {
    /// The rule the pattern belongs to.
    pub rule: String,
    /// What it reads, as rule files spell it.
    pub target: String,
    /// The pattern as Hyperscan compiles it.
    pub expression: String,
    /// The engine it was compiled for.
    pub path: EnginePath,
    /// Nanoseconds per KB of sample, the pattern alone in Hyperscan.
    pub hyperscan_ns_per_kb: Option<f64>,
    /// The same through PCRE2 (measured for expensive patterns only).
    pub pcre2_ns_per_kb: Option<f64>,
    /// Whether it cost more than the expensive threshold.
    pub expensive: bool,
    /// Where it runs after the split.
    pub placement: Placement,
    /// Literals one of which every match contains, `word-run>=N`, or
    /// `repeated-word`.
    pub gate: Vec<String>,
}

/// The compiled signature rules.
pub struct SignatureStage {
    groups: [Vec<TargetGroup>; 3],
    regexes: RegexRegistry,
    plans: Vec<RulePlan>,
    profiles: Vec<PatternProfile>,
}

/// Per-thread state: what scanning a group needs, and the buffer texts are
/// joined in.
pub struct SignatureScratch {
    group: GroupScratch,
    buf: Vec<u8>,
}

/// Profiles every Hyperscan pattern of `rules` on `sample` (default: the
/// built-in sample), measuring afresh, and reports where each would run.
pub fn profile(rules: &RuleSet, sample: Option<&[u8]>) -> Result<Vec<PatternProfile>, RuleErrors> {
    let table = SymbolTable::for_rules(rules);
    let options = SignatureOptions {
        cache_dir: None,
        split: true,
        sample: sample.map(Arc::from),
        expensive_above_ns: None,
        lazy_dfa: true,
    };
    SignatureStage::build_with(rules, &table, &options).map(|stage| stage.profiles)
}

impl SignatureStage {
    /// Compiles `rules` with default options (split, no cache); their
    /// symbols must already be in `table`.
    pub fn build(rules: &RuleSet, table: &SymbolTable) -> Result<SignatureStage, RuleErrors> {
        SignatureStage::build_with(rules, table, &SignatureOptions::default())
    }

    /// Compiles `rules`; their symbols must already be in `table`.
    pub fn build_with(
        rules: &RuleSet,
        table: &SymbolTable,
        options: &SignatureOptions,
    ) -> Result<SignatureStage, RuleErrors> {
        let mut errors = Vec::new();
        let mut plans = Vec::new();
        let mut prepared: Vec<Vec<PreparedPattern>> = Vec::new();
        for rule in &rules.rules {
            let fail = |msg: String| {
                RuleError::new(&rule.origin.file, rule.origin.line, Some(&rule.id), msg)
            };
            let patterns: Vec<PreparedPattern> = match &rule.matcher {
                Matcher::Regex(ps) => ps
                    .iter()
                    .filter_map(|p| {
                        prepare_regex(p, rule.flags)
                            .map_err(|m| errors.push(fail(m)))
                            .ok()
                    })
                    .collect(),
                Matcher::Literal(ls) => ls.iter().map(|l| prepare_literal(l, rule.flags)).collect(),
                Matcher::List {
                    entries,
                    mode: ListMatch::Contains,
                    ..
                } if entries.len() <= PHRASES_IN_HYPERSCAN_MAX => {
                    let caseless = Flags {
                        caseless: true,
                        ..Flags::default()
                    };
                    entries
                        .iter()
                        .map(|e| prepare_literal(e, caseless))
                        .collect()
                }
                Matcher::List { .. } => Vec::new(),
            };
            let paths = match &rule.matcher {
                Matcher::List {
                    mode: ListMatch::Contains,
                    ..
                } if !patterns.is_empty() => vec![EnginePath::PhraseLiterals],
                Matcher::List {
                    mode: ListMatch::Contains,
                    ..
                } => vec![EnginePath::AhoCorasick],
                Matcher::List { entries, .. } if entries.len() >= BLOOM_MIN_ENTRIES => {
                    vec![EnginePath::Bloom]
                }
                Matcher::List { .. } => vec![EnginePath::HashSet],
                _ => patterns.iter().map(|p| p.path).collect(),
            };
            plans.push(RulePlan {
                id: rule.id.clone(),
                origin: rule.origin.clone(),
                target: rule.target.to_string(),
                channels: rule.channels.clone(),
                paths,
            });
            prepared.push(patterns);
        }

        let mut by_group: BTreeMap<(Channel, Target), Vec<usize>> = BTreeMap::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            for &channel in &rule.channels {
                by_group
                    .entry((channel, rule.target.clone()))
                    .or_default()
                    .push(i);
            }
        }
        let builtin;
        let sample = match (&options.sample, options.split) {
            (_, false) => None,
            (Some(sample), true) => Some(&**sample),
            (None, true) => {
                builtin = builtin_sample();
                Some(builtin.as_slice())
            }
        };
        let group_options = GroupOptions {
            cache_dir: options.cache_dir.as_deref(),
            sample,
            threshold: options.expensive_above_ns,
            lazy_dfa: options.lazy_dfa,
        };
        let mut groups: [Vec<TargetGroup>; 3] = Default::default();
        let mut built = Built::default();
        for ((channel, target), members) in by_group {
            let built = build_group(
                rules,
                table,
                &prepared,
                target,
                &members,
                &group_options,
                &mut built,
            );
            match built {
                Ok(group) => groups[channel.index()].push(group),
                Err(err) => errors.push(err),
            }
        }
        let Built {
            profiled, regexes, ..
        } = built;
        let profiles = profiled
            .into_iter()
            .map(|p| {
                let rule = &rules.rules[p.rule];
                PatternProfile {
                    rule: rule.id.clone(),
                    target: rule.target.to_string(),
                    expression: p.expression,
                    path: p.path,
                    hyperscan_ns_per_kb: p.decision.hyperscan_ns_per_kb,
                    pcre2_ns_per_kb: p.decision.pcre2_ns_per_kb,
                    expensive: p.decision.expensive,
                    placement: p.decision.placement,
                    gate: match &p.decision.gate {
                        None => Vec::new(),
                        Some(split::Gate::WordRun(n)) => vec![format!("word-run>={n}")],
                        Some(split::Gate::RepeatedWord(_)) => vec!["repeated-word".to_string()],
                        Some(split::Gate::Literals(literals)) => literals
                            .iter()
                            .map(|l| String::from_utf8_lossy(l).into_owned())
                            .collect(),
                    },
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(SignatureStage {
                groups,
                regexes,
                plans,
                profiles,
            })
        } else {
            errors.dedup();
            Err(RuleErrors(errors))
        }
    }

    /// Each Hyperscan pattern's measured cost and placement (empty when
    /// the split is off).
    pub fn profiles(&self) -> &[PatternProfile] {
        &self.profiles
    }

    /// How each rule was compiled.
    pub fn plans(&self) -> &[RulePlan] {
        &self.plans
    }

    /// Number of Hyperscan databases (one per channel and target with regexes).
    pub fn database_count(&self) -> usize {
        self.groups
            .iter()
            .flatten()
            .filter(|g| g.has_shared_database())
            .count()
    }

    /// Adds the evidence of every signature rule that matches `msg`
    /// (nothing for a delivery notification). `scratch` is this stage's,
    /// from [`Stage::new_scratch`].
    ///
    /// A Hyperscan failure does not stop the scan: every other engine still
    /// runs and fires, and the first failure is returned so that the caller
    /// can record that some rules could not run on this message.
    ///
    /// # Panics
    /// When `scratch` was made by another stage.
    pub fn scan_message(
        &self,
        msg: &Message<'_>,
        scratch: &mut StageScratch,
        evidence: &mut Evidence,
    ) -> Result<(), SignatureError> {
        if msg.is_notification {
            return Ok(());
        }
        let scratch = scratch
            .downcast_mut::<SignatureScratch>()
            .expect("signature stage runs with its own scratch");
        let SignatureScratch { group: state, buf } = scratch;
        let mut outcome = Ok(());
        for group in &self.groups[msg.channel.index()] {
            targets::for_each_text(msg, &group.target, buf, |text| {
                let scanned = group.scan(text, state, evidence);
                if outcome.is_ok() {
                    outcome = scanned;
                }
            });
        }
        outcome
    }

    fn scratch(&self) -> SignatureScratch {
        let mut hs: Option<Scratch> = None;
        for db in self.groups.iter().flatten().flat_map(|g| g.databases()) {
            match &mut hs {
                None => {
                    hs = Some(
                        db.alloc_scratch()
                            .expect("Hyperscan scratch allocation for a compiled database"),
                    )
                }
                Some(s) => db
                    .realloc_scratch(s)
                    .map(|_| ())
                    .expect("Hyperscan scratch growth for a compiled database"),
            }
        }
        let mut dfas: Vec<_> = self
            .groups
            .iter()
            .flatten()
            .flat_map(|g| g.lazy_dfas())
            .collect();
        dfas.sort_by_key(|d| d.slot());
        SignatureScratch {
            group: GroupScratch {
                hs,
                regexes: self.regexes.clones(),
                dfa: dfas.iter().map(|d| d.new_scratch()).collect(),
                hits: Vec::with_capacity(64),
                due: Vec::new(),
                equal_runs: Vec::new(),
                long_runs: Vec::new(),
                narrowed: Vec::new(),
                lowered: String::new(),
            },
            buf: Vec::with_capacity(8192),
        }
    }
}

impl Stage for SignatureStage {
    fn name(&self) -> &'static str {
        "signature"
    }

    fn new_scratch(&self) -> StageScratch {
        Box::new(self.scratch())
    }

    /// A Hyperscan scan error (a scratch mismatch, an internal error) is
    /// the stage's failure: the engine records it in the verdict and its
    /// counter, and the other groups' evidence stays.
    fn scan(
        &self,
        msg: &Message<'_>,
        _cx: &ScanContext<'_>,
        scratch: &mut StageScratch,
        evidence: &mut Evidence,
    ) -> Result<(), StageError> {
        self.scan_message(msg, scratch, evidence)
            .map_err(|err| StageError::Failed(err.to_string()))
    }
}

#[cfg(test)]
mod tests;
