//! One (channel, target) group: its shared Hyperscan database (rule patterns,
//! phrase-list literals and gate literals), its lazy DFAs, the slow patterns
//! split out of the database with their gates, PCRE2-only patterns, large
//! phrase lists and block lists, and how a text is scanned against all of them.

use std::collections::HashMap;
use std::path::Path;

use hyperscan::prelude::*;
use regex_syntax::hir::Hir;

use super::cache;
use super::compile::{prepare_literal, EnginePath, PreparedPattern};
use super::error::{scanned, SignatureError};
use super::lazy_dfa::{DfaScratch, LazyDfa};
use super::lists::{BlockLists, PhraseLists};
use super::narrow::Narrowing;
use super::regexes::{RegexRegistry, RegexSlot};
use super::repeated_word::{EqualRuns, RepeatedWord, WordPass};
use super::split::{self, Decision, Gate, Placement};
use super::wire_sample::wire_form;
use super::word_run::long_word_runs;
use crate::rules::{Flags, ListMatch, Matcher, RuleError, RuleSet, Target};
use crate::stage::Evidence;
use crate::symbols::{SymbolId, SymbolTable};

/// How a group is built: where the cache is, and the sample to profile on
/// (`None`: no split, every Hyperscan pattern in the shared database).
pub(super) struct GroupOptions<'a> {
    pub cache_dir: Option<&'a Path>,
    pub sample: Option<&'a [u8]>,
    pub threshold: Option<f64>,
    pub lazy_dfa: bool,
}

struct HsEntry {
    /// Every rule with this exact expression and flags (see `SlowPattern`).
    symbols: Vec<SymbolId>,
    confirm: Option<RegexSlot>,
}

enum SlowMatcher {
    /// Alone in a database; `confirm` for prefilter patterns.
    Hyperscan {
        db: BlockDatabase,
        confirm: Option<RegexSlot>,
    },
    Pcre2(RegexSlot),
}

struct SlowPattern {
    /// Every rule with this exact expression and flags: generated and
    /// merged rule sets repeat patterns under several ids, and a slow
    /// pattern is worth running once per text, not once per id.
    symbols: Vec<SymbolId>,
    gate: SlowGate,
    matcher: SlowMatcher,
}

enum SlowGate {
    None,
    /// A gate literal in the shared database fired (`due`).
    Literals,
    /// The text has a run of word bytes at least this long; with a
    /// [`Narrowing`], only the stretches around such runs are scanned.
    WordRun(usize, Option<Narrowing>),
    /// The same word occurs as many times in a row as the idiom needs, as
    /// found by the group's word pass of this index.
    RepeatedWord(RepeatedWord, usize),
}

/// One of a group's lazy DFAs, and every rule of each of its patterns, by
/// pattern index.
struct GroupDfa {
    dfa: LazyDfa,
    symbols: Vec<Vec<SymbolId>>,
}

/// A lazy DFA while the group is built: its patterns' regex-syntax forms,
/// the patterns (for the fallback database), their first rules (for errors)
/// and all their rules.
#[derive(Default)]
struct DfaParts<'p> {
    hirs: Vec<Hir>,
    patterns: Vec<&'p PreparedPattern>,
    owner: Vec<usize>,
    symbols: Vec<Vec<SymbolId>>,
}

pub(super) struct TargetGroup {
    pub target: Target,
    db: Option<BlockDatabase>,
    /// Shared-database ids below `entries.len()` are rule patterns...
    entries: Vec<HsEntry>,
    /// ...and the ids after them gate literals, each opening one slow pattern.
    gates: Vec<u32>,
    dfas: Vec<GroupDfa>,
    slow: Vec<SlowPattern>,
    /// The distinct passes the repeated-word gates need.
    word_passes: Vec<WordPass>,
    always: Vec<(SymbolId, RegexSlot)>,
    phrases: Option<PhraseLists>,
    blocks: BlockLists,
}

/// One thread's state for scanning any group: Hyperscan scratch big enough
/// for every database, PCRE2 clones (see `regexes`), each lazy DFA's cache
/// by slot, and reused buffers.
pub(super) struct GroupScratch {
    pub hs: Option<Scratch>,
    pub regexes: Vec<pcre2::bytes::Regex>,
    pub dfa: Vec<DfaScratch>,
    pub hits: Vec<u32>,
    pub due: Vec<bool>,
    /// What each word pass found in the text, once a gate asked.
    pub equal_runs: Vec<Option<EqualRuns>>,
    /// The text's long runs of word bytes, once a word-run gate asked.
    pub long_runs: Vec<(usize, usize)>,
    /// The text narrowed for one pattern.
    pub narrowed: Vec<u8>,
    /// A block-list value lowercased.
    pub lowered: String,
}

/// One Hyperscan pattern's profile, for `rules check --profile`.
pub(super) struct Profiled {
    pub rule: usize,
    pub expression: String,
    pub path: EnginePath,
    pub decision: Decision,
}

/// What building the groups collects across all of them.
#[derive(Default)]
pub(super) struct Built {
    pub profiled: Vec<Profiled>,
    pub regexes: RegexRegistry,
    /// Lazy DFAs built so far: the next one's scratch slot.
    pub lazy_dfas: usize,
}

pub(super) fn build_group(
    rules: &RuleSet,
    table: &SymbolTable,
    prepared: &[Vec<PreparedPattern>],
    target: Target,
    members: &[usize],
    options: &GroupOptions<'_>,
    built: &mut Built,
) -> Result<TargetGroup, RuleError> {
    let Built {
        profiled,
        regexes,
        lazy_dfas,
    } = built;
    let symbol = |i: usize| {
        table
            .lookup(&rules.rules[i].id)
            .expect("rule symbols are registered before compiling")
    };
    let mut group = TargetGroup {
        target,
        db: None,
        entries: Vec::new(),
        gates: Vec::new(),
        dfas: Vec::new(),
        slow: Vec::new(),
        word_passes: Vec::new(),
        always: Vec::new(),
        phrases: None,
        blocks: BlockLists::default(),
    };
    let mut hs_patterns: Vec<(&PreparedPattern, usize)> = Vec::new();
    // Phrase-list literals: cheap by construction, so never profiled (a
    // 10,000-phrase list would otherwise compile 10,000 one-pattern databases).
    let mut phrase_patterns: Vec<(&PreparedPattern, usize)> = Vec::new();
    let mut phrase_lists = Vec::new();
    let mut block_lists = Vec::new();
    for &i in members {
        let list = match &rules.rules[i].matcher {
            Matcher::List { entries, mode, .. } => Some((entries, *mode)),
            _ => None,
        };
        for p in &prepared[i] {
            match (p.path, &p.confirm) {
                (EnginePath::Pcre2, Some(re)) => group.always.push((symbol(i), regexes.add(re))),
                _ if list.is_some() => phrase_patterns.push((p, i)),
                _ => hs_patterns.push((p, i)),
            }
        }
        match list {
            Some((entries, ListMatch::Contains)) if prepared[i].is_empty() => {
                phrase_lists.push((symbol(i), entries.as_slice()))
            }
            Some((_, ListMatch::Contains)) | None => {}
            Some((entries, mode)) => block_lists.push((symbol(i), mode, entries.as_slice())),
        }
    }
    let fail = |index: Option<usize>, message: String| {
        let rule = &rules.rules[index.unwrap_or(members[0])];
        RuleError::new(
            &rule.origin.file,
            rule.origin.line,
            index.map(|_| rule.id.as_str()),
            message,
        )
    };
    group.blocks = BlockLists::build(&block_lists);
    group.phrases = PhraseLists::build(&phrase_lists)
        .map_err(|m| fail(None, format!("phrase lists of {}: {m}", group.target)))?;
    if hs_patterns.is_empty() && phrase_patterns.is_empty() {
        return Ok(group);
    }
    let all: Vec<&PreparedPattern> = hs_patterns.iter().map(|(p, _)| *p).collect();
    // A raw body is the text as it travels: see `wire_sample`.
    let wire;
    let sample = match options.sample {
        Some(text) if group.target == Target::RawBody => {
            wire = wire_form(text);
            Some(wire.as_slice())
        }
        other => other,
    };
    let mut decisions = match sample {
        Some(sample) if all.len() > 1 => {
            split::decide(&all, sample, options.cache_dir, options.threshold)
        }
        _ => Vec::new(),
    };
    let mut dfa_forms = match sample {
        Some(sample) if options.lazy_dfa && !decisions.is_empty() => {
            split::choose_lazy_dfa(&all, &mut decisions, sample, options.cache_dir)
        }
        _ => HashMap::new(),
    };
    let placement = |k: usize| decisions.get(k).map_or(Placement::Shared, |d| d.placement);

    let mut shared: Vec<&PreparedPattern> = Vec::new();
    let mut shared_owner: Vec<usize> = Vec::new();
    let mut gate_patterns: Vec<PreparedPattern> = Vec::new();
    let mut slow_index: HashMap<(&str, u32), usize> = HashMap::new();
    let mut dfa_index: HashMap<(&str, u32), (usize, usize)> = HashMap::new();
    let dfa_count = dfa_forms.values().map(|(d, _)| d + 1).max().unwrap_or(0);
    let mut dfa_parts: Vec<DfaParts> = (0..dfa_count).map(|_| DfaParts::default()).collect();
    let mut shared_index: HashMap<(&str, u32), usize> = HashMap::new();
    // Phrase literals come last, past the decisions: placed shared.
    for (k, (p, i)) in hs_patterns.iter().chain(&phrase_patterns).enumerate() {
        let hs_error = |index: Option<usize>, message: String| {
            fail(Some(*i).filter(|_| index.is_some()), message)
        };
        let key = p.key();
        match placement(k) {
            Placement::Shared if shared_index.contains_key(&key) => {
                group.entries[shared_index[&key]].symbols.push(symbol(*i));
            }
            Placement::Shared => {
                shared_index.insert(key, group.entries.len());
                shared.push(*p);
                shared_owner.push(*i);
                group.entries.push(HsEntry {
                    symbols: vec![symbol(*i)],
                    confirm: p.confirm.as_ref().map(|re| regexes.add(re)),
                });
            }
            Placement::LazyDfa => match dfa_index.get(&key) {
                Some(&(d, x)) => dfa_parts[d].symbols[x].push(symbol(*i)),
                None => {
                    let (d, hir) = dfa_forms
                        .remove(&k)
                        .expect("the first pattern of each lazy-DFA key has its form");
                    let parts = &mut dfa_parts[d];
                    dfa_index.insert(key, (d, parts.symbols.len()));
                    parts.symbols.push(vec![symbol(*i)]);
                    parts.hirs.push(hir);
                    parts.patterns.push(*p);
                    parts.owner.push(*i);
                }
            },
            _ if slow_index.contains_key(&key) => {
                group.slow[slow_index[&key]].symbols.push(symbol(*i));
            }
            placement => {
                let decision = &decisions[k];
                let matcher = match (&decision.regex, placement) {
                    (Some(re), Placement::GatedPcre2 | Placement::Pcre2) => {
                        SlowMatcher::Pcre2(regexes.add(re))
                    }
                    _ => SlowMatcher::Hyperscan {
                        db: cache::database(options.cache_dir, &[p])
                            .map_err(|(x, m)| hs_error(x, format!("Hyperscan: {m}")))?,
                        confirm: p.confirm.as_ref().map(|re| regexes.add(re)),
                    },
                };
                let slot = group.slow.len() as u32;
                let gate = match &decision.gate {
                    None => SlowGate::None,
                    Some(Gate::WordRun(n)) => {
                        SlowGate::WordRun(*n, Narrowing::of(&p.expression, p.rule_flags))
                    }
                    Some(Gate::RepeatedWord(r)) => {
                        let pass = match group.word_passes.iter().position(|w| w == r.pass()) {
                            Some(pass) => pass,
                            None => {
                                group.word_passes.push(r.pass().clone());
                                group.word_passes.len() - 1
                            }
                        };
                        SlowGate::RepeatedWord(r.clone(), pass)
                    }
                    Some(Gate::Literals(literals)) => {
                        for literal in literals {
                            gate_patterns.push(gate_pattern(literal));
                            group.gates.push(slot);
                        }
                        SlowGate::Literals
                    }
                };
                slow_index.insert(key, group.slow.len());
                group.slow.push(SlowPattern {
                    symbols: vec![symbol(*i)],
                    gate,
                    matcher,
                });
            }
        }
    }
    for parts in dfa_parts.into_iter().filter(|parts| !parts.hirs.is_empty()) {
        let owner = |x: usize| parts.owner.get(x).copied();
        let fallback = cache::database(options.cache_dir, &parts.patterns)
            .map_err(|(x, m)| fail(x.and_then(owner), format!("Hyperscan: {m}")))?;
        let dfa = LazyDfa::new(&parts.hirs, fallback, *lazy_dfas)
            .map_err(|m| fail(None, format!("lazy DFA of {}: {m}", group.target)))?;
        *lazy_dfas += 1;
        group.dfas.push(GroupDfa {
            dfa,
            symbols: parts.symbols,
        });
    }
    shared.extend(gate_patterns.iter());
    if !shared.is_empty() {
        let owner = |x: usize| shared_owner.get(x).copied();
        group.db = Some(
            cache::database(options.cache_dir, &shared)
                .map_err(|(x, m)| fail(x.and_then(owner), format!("Hyperscan: {m}")))?,
        );
    }
    profiled.extend(
        hs_patterns
            .iter()
            .zip(decisions)
            .map(|((p, i), decision)| Profiled {
                rule: *i,
                expression: p.expression.clone(),
                path: p.path,
                decision,
            }),
    );
    Ok(group)
}

/// A gate literal as a caseless literal pattern.
fn gate_pattern(literal: &[u8]) -> PreparedPattern {
    let text = String::from_utf8_lossy(literal);
    prepare_literal(
        &text,
        Flags {
            caseless: true,
            ..Flags::default()
        },
    )
}

impl AsRef<LazyDfa> for GroupDfa {
    fn as_ref(&self) -> &LazyDfa {
        &self.dfa
    }
}

impl TargetGroup {
    /// The databases, for sizing the per-thread Hyperscan scratch.
    pub fn databases(&self) -> impl Iterator<Item = &BlockDatabase> {
        self.db
            .iter()
            .chain(self.dfas.iter().map(|d| d.dfa.fallback()))
            .chain(self.slow.iter().filter_map(|s| match &s.matcher {
                SlowMatcher::Hyperscan { db, .. } => Some(db),
                SlowMatcher::Pcre2(_) => None,
            }))
    }

    pub fn lazy_dfas(&self) -> impl Iterator<Item = &LazyDfa> {
        self.dfas.iter().map(|d| &d.dfa)
    }

    pub fn has_shared_database(&self) -> bool {
        self.db.is_some()
    }

    /// Fires the group's rules that match `text`. A Hyperscan failure
    /// leaves the rules of the failing database unfired for this text but
    /// the scan goes on with the other engines; the first failure is
    /// returned.
    pub fn scan(
        &self,
        text: &[u8],
        scratch: &mut GroupScratch,
        evidence: &mut Evidence,
    ) -> Result<(), SignatureError> {
        let GroupScratch {
            hs,
            regexes,
            dfa: dfa_scratch,
            hits,
            due,
            equal_runs,
            long_runs,
            narrowed,
            lowered,
        } = scratch;
        let hs = hs.as_ref();
        let mut failure: Option<hyperscan::Error> = None;
        due.clear();
        due.resize(self.slow.len(), false);
        if let (Some(db), Some(scratch)) = (&self.db, hs) {
            hits.clear();
            let scanned = scanned(db.scan(text, scratch, |id, _, _, _| {
                hits.push(id);
                Matching::Continue
            }));
            if let Err(err) = scanned {
                failure.get_or_insert(err);
            } else {
                for &id in hits.iter() {
                    let Some(entry) = self.entries.get(id as usize) else {
                        let slot = self.gates[id as usize - self.entries.len()];
                        due[slot as usize] = true;
                        continue;
                    };
                    let pending = entry.symbols.iter().any(|&s| !evidence.has(s));
                    if pending && confirmed(entry.confirm, regexes, text) {
                        entry.symbols.iter().for_each(|&s| evidence.fire(s));
                    }
                }
            }
        }
        let fire = |i: usize, x: usize| {
            self.dfas[i].symbols[x]
                .iter()
                .for_each(|&s| evidence.fire(s))
        };
        if let Err(err) = LazyDfa::scan_together(&self.dfas, text, dfa_scratch, hs, fire) {
            failure.get_or_insert(err);
        }
        let mut runs_found = false;
        equal_runs.clear();
        equal_runs.resize(self.word_passes.len(), None);
        for (slow, &due) in self.slow.iter().zip(due.iter()) {
            if slow.symbols.iter().all(|&s| evidence.has(s)) {
                continue;
            }
            let subject: &[u8] = match &slow.gate {
                SlowGate::None => text,
                SlowGate::Literals if due => text,
                SlowGate::Literals => continue,
                SlowGate::RepeatedWord(r, pass) => {
                    let runs =
                        equal_runs[*pass].get_or_insert_with(|| self.word_passes[*pass].runs(text));
                    if !r.opens(runs) {
                        continue;
                    }
                    text
                }
                SlowGate::WordRun(n, narrowing) => {
                    if !runs_found {
                        long_word_runs(text, long_runs);
                        runs_found = true;
                    }
                    match narrowing {
                        None if long_runs.iter().any(|(s, e)| e - s >= *n) => text,
                        None => continue,
                        Some(narrowing) => {
                            narrowed.clear();
                            narrowing.narrow(text, long_runs, *n, narrowed);
                            if narrowed.is_empty() {
                                continue;
                            }
                            narrowed.as_slice()
                        }
                    }
                }
            };
            let matched = match &slow.matcher {
                SlowMatcher::Pcre2(re) => re.is_match(regexes, subject),
                SlowMatcher::Hyperscan { db, confirm } => {
                    let found = match hs {
                        Some(scratch) => hyperscan_matches(db, scratch, subject),
                        None => Ok(false),
                    };
                    found.unwrap_or_else(|err| {
                        failure.get_or_insert(err);
                        false
                    }) && confirmed(*confirm, regexes, subject)
                }
            };
            if matched {
                slow.symbols.iter().for_each(|&s| evidence.fire(s));
            }
        }
        for (symbol, re) in &self.always {
            if !evidence.has(*symbol) && re.is_match(regexes, text) {
                evidence.fire(*symbol);
            }
        }
        if let Some(phrases) = &self.phrases {
            phrases.scan(text, |s| evidence.fire(s));
        }
        if !self.blocks.is_empty() {
            if let Ok(value) = std::str::from_utf8(text) {
                self.blocks.matches(value, lowered, |s| evidence.fire(s));
            }
        }
        match failure {
            None => Ok(()),
            Some(source) => Err(SignatureError::Hyperscan {
                target: self.target.clone(),
                source,
            }),
        }
    }
}

fn confirmed(confirm: Option<RegexSlot>, regexes: &[pcre2::bytes::Regex], text: &[u8]) -> bool {
    confirm.is_none_or(|re| re.is_match(regexes, text))
}

/// Whether a one-pattern database matches; stops at the first match.
fn hyperscan_matches(
    db: &BlockDatabase,
    scratch: &Scratch,
    text: &[u8],
) -> Result<bool, hyperscan::Error> {
    let mut hit = false;
    scanned(db.scan(text, scratch, |_, _, _, _| {
        hit = true;
        Matching::Terminate
    }))?;
    Ok(hit)
}
