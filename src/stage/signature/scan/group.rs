//! The compiled form of one (channel, target) group and how a text is
//! scanned against it: its shared Hyperscan database (rule patterns,
//! phrase-list literals and gate literals), its lazy DFAs, the slow patterns
//! split out of the database with their gates, PCRE2-only patterns, large
//! phrase lists and block lists. [`build_group`](crate::stage::signature::build::group::build_group)
//! assembles it.

use hyperscan::prelude::*;

use crate::rules::Target;
use crate::stage::signature::error::{scanned, SignatureError};
use crate::stage::signature::gate::narrow::Narrowing;
use crate::stage::signature::gate::repeated_word::{EqualRuns, RepeatedWord, WordPass};
use crate::stage::signature::gate::word_run::long_word_runs;
use crate::stage::signature::scan::lazy_dfa::{DfaScratch, LazyDfa};
use crate::stage::signature::scan::lists::{BlockLists, PhraseLists};
use crate::stage::signature::scan::regexes::RegexSlot;
use crate::stage::Evidence;
use crate::symbols::SymbolId;

pub(in crate::stage::signature) struct HsEntry {
    /// Every rule with this exact expression and flags (see `SlowPattern`).
    pub(in crate::stage::signature) symbols: Vec<SymbolId>,
    pub(in crate::stage::signature) confirm: Option<RegexSlot>,
}

pub(in crate::stage::signature) enum SlowMatcher {
    /// Alone in a database; `confirm` for prefilter patterns.
    Hyperscan {
        db: BlockDatabase,
        confirm: Option<RegexSlot>,
    },
    Pcre2(RegexSlot),
}

pub(in crate::stage::signature) struct SlowPattern {
    /// Every rule with this exact expression and flags: generated and
    /// merged rule sets repeat patterns under several ids, and a slow
    /// pattern is worth running once per text, not once per id.
    pub(in crate::stage::signature) symbols: Vec<SymbolId>,
    pub(in crate::stage::signature) gate: SlowGate,
    pub(in crate::stage::signature) matcher: SlowMatcher,
}

pub(in crate::stage::signature) enum SlowGate {
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
pub(in crate::stage::signature) struct GroupDfa {
    pub(in crate::stage::signature) dfa: LazyDfa,
    pub(in crate::stage::signature) symbols: Vec<Vec<SymbolId>>,
}

pub(in crate::stage::signature) struct TargetGroup {
    pub(in crate::stage::signature) target: Target,
    pub(in crate::stage::signature) db: Option<BlockDatabase>,
    /// Shared-database ids below `entries.len()` are rule patterns...
    pub(in crate::stage::signature) entries: Vec<HsEntry>,
    /// ...and the ids after them gate literals, each opening one slow pattern.
    pub(in crate::stage::signature) gates: Vec<u32>,
    pub(in crate::stage::signature) dfas: Vec<GroupDfa>,
    pub(in crate::stage::signature) slow: Vec<SlowPattern>,
    /// The distinct passes the repeated-word gates need.
    pub(in crate::stage::signature) word_passes: Vec<WordPass>,
    pub(in crate::stage::signature) always: Vec<(SymbolId, RegexSlot)>,
    pub(in crate::stage::signature) phrases: Option<PhraseLists>,
    pub(in crate::stage::signature) blocks: BlockLists,
}

/// One thread's state for scanning any group: Hyperscan scratch big enough
/// for every database, PCRE2 clones (see `regexes`), each lazy DFA's cache
/// by slot, and reused buffers.
pub(in crate::stage::signature) struct GroupScratch {
    pub(in crate::stage::signature) hs: Option<Scratch>,
    pub(in crate::stage::signature) regexes: Vec<pcre2::bytes::Regex>,
    pub(in crate::stage::signature) dfa: Vec<DfaScratch>,
    pub(in crate::stage::signature) hits: Vec<u32>,
    pub(in crate::stage::signature) due: Vec<bool>,
    /// What each word pass found in the text, once a gate asked.
    pub(in crate::stage::signature) equal_runs: Vec<Option<EqualRuns>>,
    /// The text's long runs of word bytes, once a word-run gate asked.
    pub(in crate::stage::signature) long_runs: Vec<(usize, usize)>,
    /// The text narrowed for one pattern.
    pub(in crate::stage::signature) narrowed: Vec<u8>,
    /// A block-list value lowercased.
    pub(in crate::stage::signature) lowered: String,
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
