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
//!
//! Compiling the tuned plan's databases takes about 30 s with the shipped
//! rules and an empty cache, most of it Hyperscan on the three body
//! databases; tuning in the background behind an untuned Hyperscan plan
//! would still leave the first answer 20 s away. So a cold start answers
//! from the interim plan (`build/interim.rs`), which compiles no Hyperscan
//! database at all (PCRE2 with JIT and Aho-Corasick, the same symbols
//! fire) and builds in about 0.1 s, while a background thread builds the
//! tuned plan exactly as a blocking build would, writing the disk cache.
//! When it is ready the stage swaps it in: the plan sits behind a lock a
//! scan reads only when the plan's number changed (see
//! `scan/current.rs`), so each thread's scratch is rebuilt once
//! and the steady state takes no lock and allocates nothing. With a warm
//! cache the tuned plan loads at build (no interim plan). [`Tuning`] says
//! which: in the background (the default), at build (benches, and tests
//! that measure or exercise the tuned engines), or never (tests that only
//! need answers).

mod build;
mod error;
mod gate;
mod scan;
mod tuning;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hyperscan::prelude::*;

use build::{cache, compile, warm};
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
use scan::current::{Current, TuningState};
use scan::group::{GroupScratch, TargetGroup};

/// The engine a regex with these flags runs on (Hyperscan, a Hyperscan
/// prefilter with a PCRE2 confirm, or PCRE2 alone), or why the stage refuses
/// it: the same decision the stage makes when it builds, so that a rule
/// importer can report it and leave out a pattern the stage would refuse.
///
/// Hyperscan reports some limits (a pattern too large) only when it builds a
/// database, so a long pattern Hyperscan takes is also built alone here.
pub fn regex_engine(pattern: &str, flags: Flags) -> Result<EnginePath, String> {
    /// Patterns shorter than this are far from Hyperscan's size limits.
    const BUILD_ALONE_FROM: usize = 256;
    let prepared = prepare_regex(pattern, flags)?;
    if prepared.path != EnginePath::Pcre2 && pattern.len() >= BUILD_ALONE_FROM {
        compile::compile_database(&[&prepared])
            .map_err(|(_, e)| format!("pattern /{pattern}/: Hyperscan: {e}"))?;
    }
    Ok(prepared.path)
}

/// How one rule was compiled, for `floodwall rules check`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RulePlan {
    /// The rule's id (its symbol).
    pub id: String,
    /// Where the rule is defined.
    #[serde(skip)]
    pub origin: Origin,
    /// The text the rule reads, as written in the rules.
    pub target: String,
    /// The channels the rule runs on.
    pub channels: Vec<Channel>,
    /// The engine of each pattern (one entry for a list rule).
    pub paths: Vec<EnginePath>,
}

/// When the stage tunes its plan: profiling, the split and the lazy DFAs
/// (see the module documentation), and compiling the Hyperscan databases.
///
/// Compiling the shipped rules' databases takes about 30 s on a 2-core
/// machine with an empty cache; [`Background`](Tuning::Background) answers
/// within a fraction of a second from the interim plan (PCRE2, Aho-Corasick)
/// meanwhile. The symbols that fire are the same under every setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tuning {
    /// Build the interim plan (PCRE2, Aho-Corasick, no Hyperscan compile)
    /// and return at once; a background thread builds the tuned plan
    /// (writing the disk cache) and the stage swaps it in when ready. With
    /// a warm cache the tuned plan loads at build, as with
    /// [`AtBuild`](Tuning::AtBuild). For the command and services, which
    /// must answer soon after they start.
    #[default]
    Background,
    /// Build the tuned plan before returning. For benches and tests that
    /// measure or exercise the tuned engines.
    AtBuild,
    /// Only ever the interim plan: no Hyperscan compile at all. For tests
    /// that need answers, not speed, and must build in well under a second.
    Never,
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
    /// When the tuned plan is built (default: in the background).
    pub tuning: Tuning,
}

impl Default for SignatureOptions {
    fn default() -> SignatureOptions {
        SignatureOptions {
            cache_dir: None,
            split: true,
            sample: None,
            expensive_above_ns: None,
            lazy_dfa: true,
            tuning: Tuning::default(),
        }
    }
}

/// One Hyperscan pattern's measured cost and where it runs, for
/// `floodwall rules check --profile`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PatternProfile {
    /// The id of the rule the pattern belongs to.
    pub rule: String,
    /// The text the rule reads.
    pub target: String,
    /// The expression as Hyperscan reads it (literals escaped).
    pub expression: String,
    /// The engine the pattern takes before tuning.
    pub path: EnginePath,
    /// Nanoseconds per KB of sample, the pattern alone in Hyperscan.
    pub hyperscan_ns_per_kb: Option<f64>,
    /// The same through PCRE2 (measured for expensive patterns only).
    pub pcre2_ns_per_kb: Option<f64>,
    /// Whether the pattern measured expensive enough to consider moving.
    pub expensive: bool,
    /// Where the pattern runs in the tuned plan.
    pub placement: Placement,
    /// Literals one of which every match contains, `word-run>=N`, or
    /// `repeated-word`.
    pub gate: Vec<String>,
}

/// The compiled signature rules.
///
/// The stage scans with its current plan: the tuned plan, or the interim
/// plan while the tuned one is built in the background (see [`Tuning`]).
pub struct SignatureStage {
    plans: Vec<RulePlan>,
    current: Arc<Current<Plan>>,
}

/// One compiled plan: the groups by channel, the PCRE2 regexes they refer
/// to, and the profiles tuning measured (none for the interim plan).
struct Plan {
    groups: [Vec<TargetGroup>; 3],
    regexes: RegexRegistry,
    profiles: Arc<[PatternProfile]>,
}

/// Per-thread state: the plan it was made for and that plan's number,
/// what scanning a group needs, and the buffer texts are joined in.
pub struct SignatureScratch {
    number: u64,
    plan: Arc<Plan>,
    group: GroupScratch,
    buf: Vec<u8>,
}

/// A handle on a stage's background tuning, from
/// [`SignatureStage::tuning_progress`].
#[derive(Clone)]
pub struct TuningProgress(Arc<Current<Plan>>);

impl TuningProgress {
    /// Whether the build is over (or there was none).
    pub fn is_done(&self) -> bool {
        !matches!(self.0.state(), TuningState::Running)
    }

    /// Blocks until the build is over; its rule errors if the tuned plan
    /// failed to compile (the interim plan then stays, with the same
    /// results).
    pub fn wait(&self) -> Result<(), RuleErrors> {
        match self.0.wait() {
            TuningState::Failed(errors) => Err(errors),
            TuningState::Running | TuningState::Done => Ok(()),
        }
    }
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
        tuning: Tuning::AtBuild,
    };
    SignatureStage::build_with(rules, &table, &options).map(|stage| stage.profiles().to_vec())
}

impl SignatureStage {
    /// Compiles `rules` with default options (split, no cache, tuned in the
    /// background); their symbols must already be in `table`.
    pub fn build(rules: &RuleSet, table: &SymbolTable) -> Result<SignatureStage, RuleErrors> {
        SignatureStage::build_with(rules, table, &SignatureOptions::default())
    }

    /// Compiles `rules`; their symbols must already be in `table`. Every
    /// rule error is found here, whatever the tuning setting, except a
    /// Hyperscan compile failure of the tuned plan built in the background:
    /// [`wait_tuned`](Self::wait_tuned) returns that one.
    pub fn build_with(
        rules: &RuleSet,
        table: &SymbolTable,
        options: &SignatureOptions,
    ) -> Result<SignatureStage, RuleErrors> {
        let (plans, prepared) = prepare(rules)?;
        let tuning = match options.tuning {
            Tuning::Background if warm::is_warm(rules, options) => Tuning::AtBuild,
            tuning => tuning,
        };
        if tuning == Tuning::AtBuild {
            let plan = compile_plan(rules, table, &prepared, options, false, &|| true)?;
            warm::mark_warm(rules, options);
            return Ok(SignatureStage {
                plans,
                current: Arc::new(Current::new(plan, TuningState::Done)),
            });
        }
        let interim = compile_plan(rules, table, &prepared, options, true, &|| true)?;
        if tuning == Tuning::Never {
            return Ok(SignatureStage {
                plans,
                current: Arc::new(Current::new(interim, TuningState::Done)),
            });
        }
        let current = Arc::new(Current::new(interim, TuningState::Running));
        let weak = Arc::downgrade(&current);
        let (rules, table, options) = (rules.clone(), table.clone(), options.clone());
        std::thread::Builder::new()
            .name("floodwall-tuning".into())
            .spawn(move || {
                background_priority();
                // Stop between groups once nobody holds the stage.
                let wanted = || weak.strong_count() > 0;
                let tuned = compile_plan(&rules, &table, &prepared, &options, false, &wanted);
                if tuned.is_ok() && wanted() {
                    warm::mark_warm(&rules, &options);
                }
                if let Some(current) = weak.upgrade() {
                    current.settle(tuned);
                }
            })
            .map_err(|e| {
                RuleErrors(vec![RuleError::new(
                    "<signature>",
                    0,
                    None,
                    format!("cannot start the tuning thread: {e}"),
                )])
            })?;
        Ok(SignatureStage { plans, current })
    }

    /// Whether the stage scans with its final plan: the tuned plan, or the
    /// interim plan under [`Tuning::Never`].
    pub fn is_tuned(&self) -> bool {
        self.tuning_progress().is_done()
    }

    /// Blocks until the background build (if any) is over, after which
    /// the stage scans with the tuned plan and the disk cache holds it. A
    /// tuned plan that failed to compile is reported here; the stage then
    /// keeps scanning with the interim plan, which gives the same results.
    pub fn wait_tuned(&self) -> Result<(), RuleErrors> {
        self.tuning_progress().wait()
    }

    /// A handle on the background build that outlives the stage: while a
    /// handle is held the build goes on (without one, it stops once the
    /// stage is dropped), so that a command can answer, drop its engine,
    /// and still wait for the disk cache to be written for the next start.
    pub fn tuning_progress(&self) -> TuningProgress {
        TuningProgress(Arc::clone(&self.current))
    }

    /// Each Hyperscan pattern's measured cost and placement (empty when
    /// the split is off, and while the interim plan serves).
    pub fn profiles(&self) -> Arc<[PatternProfile]> {
        Arc::clone(&self.current.plan().1.profiles)
    }

    /// How each rule was compiled.
    pub fn plans(&self) -> &[RulePlan] {
        &self.plans
    }

    /// Number of shared Hyperscan databases in the current plan (one per
    /// channel and target with regexes; none in the interim plan).
    pub fn database_count(&self) -> usize {
        self.current
            .plan()
            .1
            .groups
            .iter()
            .flatten()
            .filter(|g| g.has_shared_database())
            .count()
    }

    /// Adds the evidence of every signature rule that matches `msg`
    /// (nothing for a delivery notification). `scratch` is this stage's,
    /// from [`Stage::new_scratch`]; a scratch made for an earlier plan (or
    /// another stage) is rebuilt once for the current plan.
    ///
    /// A Hyperscan failure does not stop the scan: every other engine still
    /// runs and fires, and the first failure is returned so that the caller
    /// can record that some rules could not run on this message.
    ///
    /// # Panics
    /// When `scratch` was made by a stage of another kind.
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
        if scratch.number != self.current.number() {
            *scratch = self.scratch();
        }
        let SignatureScratch {
            plan,
            group: state,
            buf,
            ..
        } = scratch;
        let mut outcome = Ok(());
        for group in &plan.groups[msg.channel.index()] {
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
        let (number, plan) = self.current.plan();
        let mut hs: Option<Scratch> = None;
        for db in plan.groups.iter().flatten().flat_map(|g| g.databases()) {
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
        let mut dfas: Vec<_> = plan
            .groups
            .iter()
            .flatten()
            .flat_map(|g| g.lazy_dfas())
            .collect();
        dfas.sort_by_key(|d| d.slot());
        let group = GroupScratch {
            hs,
            regexes: plan.regexes.clones(),
            dfa: dfas.iter().map(|d| d.new_scratch()).collect(),
            hits: Vec::with_capacity(64),
            due: Vec::new(),
            equal_runs: Vec::new(),
            long_runs: Vec::new(),
            narrowed: Vec::new(),
            lowered: String::new(),
        };
        SignatureScratch {
            number,
            plan,
            group,
            buf: Vec::with_capacity(8192),
        }
    }
}

/// Lowers the calling thread's priority, so that on a busy machine the
/// threads answering messages (and the tests building engines side by side)
/// go first and the tuning takes the idle time. Linux only: there a nice
/// value is per thread.
fn background_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with `who` 0 changes only the calling thread's
    // nice value and reads no memory; a failure leaves the priority as is.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Each rule's plan for `rules check`, and its patterns ready to compile.
fn prepare(rules: &RuleSet) -> Result<(Vec<RulePlan>, Vec<Vec<PreparedPattern>>), RuleErrors> {
    let mut errors = Vec::new();
    let mut plans = Vec::new();
    let mut prepared: Vec<Vec<PreparedPattern>> = Vec::new();
    for rule in &rules.rules {
        let fail =
            |msg: String| RuleError::new(&rule.origin.file, rule.origin.line, Some(&rule.id), msg);
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
    if errors.is_empty() {
        Ok((plans, prepared))
    } else {
        errors.dedup();
        Err(RuleErrors(errors))
    }
}

/// Compiles the groups of `rules` from their prepared patterns: the tuned
/// plan, or with `interim` the [interim plan](build::interim). `wanted` is
/// asked between groups; once it says no, the build stops with no plan.
fn compile_plan(
    rules: &RuleSet,
    table: &SymbolTable,
    prepared: &[Vec<PreparedPattern>],
    options: &SignatureOptions,
    interim: bool,
    wanted: &dyn Fn() -> bool,
) -> Result<Plan, RuleErrors> {
    let mut errors = Vec::new();
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
    let sample = match (&options.sample, options.split && !interim) {
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
        interim,
    };
    let mut groups: [Vec<TargetGroup>; 3] = Default::default();
    let mut built = Built::default();
    for ((channel, target), members) in by_group {
        if !wanted() {
            return Err(RuleErrors(Vec::new()));
        }
        let built = build_group(
            rules,
            table,
            prepared,
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
        Ok(Plan {
            groups,
            regexes,
            profiles,
        })
    } else {
        errors.dedup();
        Err(RuleErrors(errors))
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
