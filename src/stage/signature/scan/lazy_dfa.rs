//! A lazy DFA for the patterns a shared Hyperscan database runs slowly.
//!
//! Most spam rules are word alternations joined by `\s+`, `\b` and bounded
//! gaps (`\b(?:act|order|claim)\s+(?:now|today)\b`). Hyperscan splits such a
//! pattern into literals and small automata woken wherever a literal occurs,
//! and common words wake them all the time: on the shipped SMS body rules it
//! spent about 18 ns a byte. regex-automata's lazy DFA runs any number of
//! patterns in one pass at about 3 ns a byte as long as the states it builds
//! fit its cache (measured on generated SMS and mail, every pattern in one
//! DFA: SMS body 2.8 µs a text in Hyperscan against 0.6 µs, mail body 100
//! against 18 µs). On real text that "as long as" decides everything: over
//! varied English the states of some sets of patterns never stop growing,
//! so [which patterns](crate::stage::signature::tuning::dfa_choice) go to the DFA is measured on text
//! it has not seen.
//!
//! *The same meaning.* With Unicode off, regex-syntax and PCRE agree on
//! classes (`\w`, `\s`, `\d`, POSIX), `\b`, ASCII-only caseless matching and
//! `.`; `tests` checks every byte. They differ on `$` without multi-line:
//! PCRE also matches before a final newline. Such patterns, UTF-8 (`u`)
//! ones, prefilter ones and everything regex-syntax refuses (look-around,
//! back-references, possessive quantifiers, `\Q…\E`) stay in Hyperscan.
//!
//! *Windows.* A counted repetition such as `.{0,60}` makes the DFA track
//! every position in the window, and in one DFA with other patterns those
//! positions multiply with their partial matches: with the 15 shipped
//! patterns that have one, the shipped mail body rules cleared an 8 MB cache
//! about three times per pass over the phishing corpus (250 µs a KB);
//! without them, one pass used 2.8 MB and the next cost 3.1 µs a KB.
//! Hyperscan has engines made for bounded repeats, so a pattern with a
//! repetition bound above [`MAX_REPEAT`] stays there.
//!
//! *Hostile text.* A lazy DFA builds its states while it scans, in a
//! per-thread cache; a text made to create a new state every few bytes would
//! make it slow. It gives up instead (after [`MIN_CACHE_CLEARS`] clears at
//! fewer than [`MIN_BYTES_PER_STATE`] bytes per state) and that text runs
//! through a Hyperscan database of the same patterns, with the same result.
//! Traffic that clears a cache at all within [`MIN_BYTES_PER_CLEAR`] turns
//! the DFA off for good: the texts the choice is measured on are only a
//! stand-in for the operator's traffic.

use std::sync::atomic::{AtomicBool, Ordering};

use hyperscan::prelude::*;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::{MatchKind, PatternSet};
use regex_syntax::hir::{Hir, HirKind, Look};

use crate::stage::signature::build::compile::{EnginePath, PreparedPattern};
use crate::stage::signature::error::scanned;
use crate::stage::signature::scan::walk::{walk_together, Walk, MAX_WALKS};

/// Per-thread state cache of one lazy DFA; the choice (`tuning/dfa_choice.rs`)
/// keeps only a set of patterns whose states fit well within it on text
/// they have not seen.
pub const DFA_CACHE_BYTES: usize = 8 << 20;
/// A thread's cache cleared after fewer bytes of traffic than this turns
/// the DFA off for every thread: the choice said its states would fit, the
/// traffic says otherwise (1,500 generated rules, chosen on the sample
/// alone, took phishing mail from 1,540 to 187 a second until this switch
/// turned their DFAs off). A set that settles but slowly meets new states
/// should clear far less often than this.
const MIN_BYTES_PER_CLEAR: u64 = 256 << 20;
/// Cache clears tolerated before the DFA may give up on a text.
const MIN_CACHE_CLEARS: usize = 3;
/// After that, fewer bytes scanned per state built than this gives up
/// (regex-automata's meta engine uses the same figure).
const MIN_BYTES_PER_STATE: usize = 10;

/// A pattern with a counted repetition bound above this stays in Hyperscan
/// (see *Windows* above); the shipped rules' `{0,3}` separator runs and
/// `\d{4,8}` codes are well below it, their `.{0,30}` windows above.
pub const MAX_REPEAT: u32 = 16;

/// The pattern as regex-syntax reads it, if it means there exactly what it
/// means to Hyperscan and has no wide window.
pub(in crate::stage::signature) fn translate(p: &PreparedPattern) -> Option<Hir> {
    let flags = p.rule_flags;
    if p.path != EnginePath::Hyperscan || p.confirm.is_some() || flags.utf8 {
        return None;
    }
    let hir = p.syntax()?;
    (same_anchors(hir) && widest_repeat(hir) <= MAX_REPEAT).then(|| hir.clone())
}

/// The largest bound of any counted repetition (unbounded ones count by
/// their minimum: `x+` tracks no window).
fn widest_repeat(hir: &Hir) -> u32 {
    match hir.kind() {
        HirKind::Repetition(r) => r.max.unwrap_or(r.min).max(widest_repeat(&r.sub)),
        HirKind::Capture(c) => widest_repeat(&c.sub),
        HirKind::Concat(all) | HirKind::Alternation(all) => {
            all.iter().map(widest_repeat).max().unwrap_or(0)
        }
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => 0,
    }
}

/// Whether every assertion means the same in PCRE: all do but the end of
/// text, which PCRE's `$` also finds before a final newline (and which
/// regex-syntax cannot tell from `\z`).
fn same_anchors(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Look(look) => *look != Look::End,
        HirKind::Repetition(r) => same_anchors(&r.sub),
        HirKind::Capture(c) => same_anchors(&c.sub),
        HirKind::Concat(all) | HirKind::Alternation(all) => all.iter().all(same_anchors),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => true,
    }
}

/// One lazy DFA over several patterns, and the Hyperscan database of the
/// same patterns for the texts it gives up on.
pub(in crate::stage::signature) struct LazyDfa {
    dfa: DFA,
    fallback: BlockDatabase,
    /// This DFA's cache in every thread's scratch.
    slot: usize,
    /// Set when traffic makes the DFA thrash (see [`MIN_BYTES_PER_CLEAR`]):
    /// from then on every thread uses the Hyperscan database.
    off: AtomicBool,
}

/// One thread's state for one [`LazyDfa`].
pub(in crate::stage::signature) struct DfaScratch {
    cache: Cache,
    found: PatternSet,
    /// Bytes this thread scanned since its cache was last cleared.
    scanned: u64,
}

impl AsRef<LazyDfa> for LazyDfa {
    fn as_ref(&self) -> &LazyDfa {
        self
    }
}

impl LazyDfa {
    pub fn new(hirs: &[Hir], fallback: BlockDatabase, slot: usize) -> Result<LazyDfa, String> {
        let dfa = build(hirs, DFA_CACHE_BYTES)?;
        Ok(LazyDfa {
            dfa,
            fallback,
            slot,
            off: AtomicBool::new(false),
        })
    }

    pub fn slot(&self) -> usize {
        self.slot
    }

    pub fn fallback(&self) -> &BlockDatabase {
        &self.fallback
    }

    pub fn new_scratch(&self) -> DfaScratch {
        DfaScratch {
            cache: self.dfa.create_cache(),
            found: PatternSet::new(self.dfa.pattern_len()),
            scanned: 0,
        }
    }

    /// Calls `each(i, p)` for every pattern `p` of `dfas[i]` that matches
    /// `text`, the DFAs [walked side by side](crate::stage::signature::scan::walk), up to
    /// [`MAX_WALKS`] at a time. A failed Hyperscan fallback leaves its
    /// DFA's patterns unreported for this text; the first failure is
    /// returned once every DFA has run.
    pub fn scan_together<T: AsRef<LazyDfa>>(
        dfas: &[T],
        text: &[u8],
        scratch: &mut [DfaScratch],
        hs: Option<&Scratch>,
        mut each: impl FnMut(usize, usize),
    ) -> Result<(), hyperscan::Error> {
        let mut failure = Ok(());
        for (k, chunk) in dfas.chunks(MAX_WALKS).enumerate() {
            let each = |i, p| each(k * MAX_WALKS + i, p);
            // Written out so that each count walks as an array of known
            // length: a slice of optional walks measured 5 to 8% slower.
            let chunk_result = match chunk {
                [] => Ok(()),
                [a] => Self::scan_n([a.as_ref()], text, scratch, hs, each),
                [a, b] => Self::scan_n([a, b].map(T::as_ref), text, scratch, hs, each),
                [a, b, c] => Self::scan_n([a, b, c].map(T::as_ref), text, scratch, hs, each),
                [a, b, c, d, ..] => {
                    Self::scan_n([a, b, c, d].map(T::as_ref), text, scratch, hs, each)
                }
            };
            failure = failure.and(chunk_result);
        }
        failure
    }

    fn scan_n<const N: usize>(
        dfas: [&LazyDfa; N],
        text: &[u8],
        scratch: &mut [DfaScratch],
        hs: Option<&Scratch>,
        mut each: impl FnMut(usize, usize),
    ) -> Result<(), hyperscan::Error> {
        // A group's DFAs take consecutive slots when it is built.
        let Some(first) = dfas.first().map(|d| d.slot) else {
            return Ok(());
        };
        let mut failure = Ok(());
        let consecutive = dfas.iter().enumerate().all(|(i, d)| d.slot == first + i);
        let window = scratch.get_mut(first..first + N).filter(|_| consecutive);
        let Some(Ok(mine)) = window.map(<&mut [DfaScratch; N]>::try_from) else {
            assert!(N > 1, "lazy DFA slot {first} has no scratch");
            for (i, dfa) in dfas.into_iter().enumerate() {
                let alone: &mut dyn FnMut(usize, usize) = &mut |_, p| each(i, p);
                failure = failure.and(LazyDfa::scan_n([dfa], text, scratch, hs, alone));
            }
            return failure;
        };
        let on = dfas.map(|d| !d.off.load(Ordering::Relaxed));
        let clears = mine.each_ref().map(|s| s.cache.clear_count());
        let mut lane = 0;
        let mut walks = mine.each_mut().map(|s| {
            let dfa = &dfas[lane].dfa;
            let walked = if on[lane] { text } else { &[] };
            lane += 1;
            Walk::new(dfa, &mut s.cache, &mut s.found, walked)
        });
        walk_together(&mut walks);
        let walked =
            std::array::from_fn::<_, N, _>(|i| on[i] && matches!(walks[i].outcome(), Some(Ok(()))));
        for (i, s) in mine.iter_mut().enumerate() {
            if on[i] {
                dfas[i].account(s, text.len(), clears[i]);
            }
            if !walked[i] {
                failure = failure.and(dfas[i].fall_back(text, s, hs));
            }
            s.found.iter().for_each(|id| each(i, id.as_usize()));
        }
        failure
    }

    /// Turns the DFA off if this thread's cache was cleared too soon (see
    /// [`MIN_BYTES_PER_CLEAR`]).
    fn account(&self, scratch: &mut DfaScratch, walked: usize, clears: usize) {
        scratch.scanned += walked as u64;
        if scratch.cache.clear_count() != clears {
            if scratch.scanned < MIN_BYTES_PER_CLEAR {
                self.off.store(true, Ordering::Relaxed);
                scratch.cache = self.dfa.create_cache();
            }
            scratch.scanned = 0;
        }
    }

    /// The same patterns, exactly, in Hyperscan: for a text the DFA gave up
    /// on, or every text once it is off.
    fn fall_back(
        &self,
        text: &[u8],
        scratch: &mut DfaScratch,
        hs: Option<&Scratch>,
    ) -> Result<(), hyperscan::Error> {
        scratch.found.clear();
        let Some(hs) = hs else { return Ok(()) };
        let found = &mut scratch.found;
        let result = scanned(self.fallback.scan(text, hs, |id, _, _, _| {
            found.insert(regex_automata::PatternID::must(id as usize));
            Matching::Continue
        }));
        if result.is_err() {
            // What was found before the failure is true, but the set is
            // incomplete; report none rather than a part.
            scratch.found.clear();
        }
        result
    }
}

pub(in crate::stage::signature) fn build(hirs: &[Hir], cache_bytes: usize) -> Result<DFA, String> {
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .utf8(false)
                .which_captures(WhichCaptures::None),
        )
        .build_many_from_hir(hirs)
        .map_err(|e| e.to_string())?;
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(MatchKind::All)
                .cache_capacity(cache_bytes)
                .minimum_cache_clear_count(Some(MIN_CACHE_CLEARS))
                .minimum_bytes_per_state(Some(MIN_BYTES_PER_STATE)),
        )
        .build_from_nfa(nfa)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
pub(in crate::stage::signature) mod tests {
    use super::*;
    use crate::rules::Flags;
    use crate::stage::signature::build::compile::{
        compile_database, prepare_literal, prepare_regex,
    };

    pub(in crate::stage::signature) fn prepared(pattern: &str, caseless: bool) -> PreparedPattern {
        let flags = Flags {
            caseless,
            ..Flags::default()
        };
        prepare_regex(pattern, flags).expect("test patterns compile")
    }

    fn dfa_of(patterns: &[&PreparedPattern], cache_bytes: usize) -> LazyDfa {
        let hirs: Vec<Hir> = patterns
            .iter()
            .map(|p| translate(p).expect("test patterns translate"))
            .collect();
        LazyDfa {
            dfa: build(&hirs, cache_bytes).expect("test DFA builds"),
            fallback: compile_database(patterns).expect("test database compiles"),
            slot: 0,
            off: AtomicBool::new(false),
        }
    }

    fn found(dfa: &LazyDfa, text: &[u8]) -> Vec<usize> {
        let hs = dfa.fallback.alloc_scratch().expect("scratch");
        let mut out = Vec::new();
        let mut scratch = [dfa.new_scratch()];
        LazyDfa::scan_together(&[dfa], text, &mut scratch, Some(&hs), |_, x| out.push(x))
            .expect("test scans succeed");
        out
    }

    fn hyperscan_found(dfa: &LazyDfa, text: &[u8]) -> Vec<usize> {
        let hs = dfa.fallback.alloc_scratch().expect("scratch");
        let mut out = Vec::new();
        let _ = dfa.fallback.scan(text, &hs, |id, _, _, _| {
            out.push(id as usize);
            Matching::Continue
        });
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn translates_only_what_means_the_same_in_both_engines() {
        for ok in [
            r"\bfree\s+cash\b",
            r"^win",
            r"[^\w\s]{3}",
            r"a.{0,5}b",
            "(?m)^stop$",
        ] {
            assert!(translate(&prepared(ok, true)).is_some(), "{ok}");
        }
        assert!(translate(&prepare_literal("50% off!", Flags::default())).is_some());
        // Windows stay in Hyperscan.
        assert!(translate(&prepared(r"\bverify\b.{0,60}\baccount", true)).is_none());
        assert!(translate(&prepared(r"\d{4,16}", true)).is_some());
        // PCRE's `$` also matches before a final newline.
        assert!(translate(&prepared(r"stop$", false)).is_none());
        // Look-around and back-references run as prefilter + PCRE2.
        assert!(translate(&prepared(r"(?<!\w)win", false)).is_none());
        assert!(translate(&prepared(r"\b(\w+)\s+\1\b", false)).is_none());
        let utf8 = Flags {
            utf8: true,
            ..Flags::default()
        };
        let unicode = prepare_regex(r"\x{0430}\w+", utf8).expect("compiles");
        assert!(translate(&unicode).is_none());
    }

    #[test]
    fn classes_and_assertions_agree_with_hyperscan_on_every_byte() {
        let patterns = [
            r"\s",
            r"\S",
            r"\w",
            r"\W",
            r"\d",
            r"\D",
            r".",
            r"[[:punct:]]",
            r"[[:alpha:]]",
            r"[[:space:]]",
            r"[[:print:]]",
            r"[[:graph:]]",
            r"[[:cntrl:]]",
            r"[[:xdigit:]]",
            r"[[:upper:]]",
            r"[[:lower:]]",
            r"[[:alnum:]]",
            r"[[:blank:]]",
            r"\bq",
            r"q\b",
            r"\Bq",
            r"q\B",
            r"^q",
            r"(?m)^q",
            r"(?m)q$",
            r"[^a-z]",
            r"k",
            r"[\W_]",
            r"\x80",
        ];
        for caseless in [false, true] {
            let prepared: Vec<PreparedPattern> =
                patterns.iter().map(|p| prepared(p, caseless)).collect();
            let refs: Vec<&PreparedPattern> = prepared.iter().collect();
            let dfa = dfa_of(&refs, DFA_CACHE_BYTES);
            for b in 0..=255u8 {
                for text in [vec![b], vec![b'q', b], vec![b, b'q'], vec![b'\n', b, b'\n']] {
                    let mut got = found(&dfa, &text);
                    got.sort();
                    assert_eq!(
                        got,
                        hyperscan_found(&dfa, &text),
                        "byte {b:#04x} in {text:?}, caseless {caseless}"
                    );
                }
            }
        }
    }

    #[test]
    fn dfas_in_any_slots_scan_as_they_would_alone() {
        let p = [
            prepared("ab+c", false),
            prepared(r"\bcd", false),
            prepared("zz", false),
        ];
        let mut a = dfa_of(&[&p[0], &p[1]], DFA_CACHE_BYTES);
        let b = dfa_of(&[&p[2]], DFA_CACHE_BYTES);
        a.slot = 1;
        let hs = a.fallback.alloc_scratch().expect("scratch");
        let mut scratch = [b.new_scratch(), a.new_scratch()];
        let text = b"xabbbc cd zz";
        let mut out = Vec::new();
        LazyDfa::scan_together(&[&a, &b], text, &mut scratch, Some(&hs), |i, x| {
            out.push((i, x))
        })
        .expect("test scans succeed");
        out.sort();
        assert_eq!(out, [(0, 0), (0, 1), (1, 0)]);
    }

    pub(in crate::stage::signature) fn random_a_b(len: usize) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x & 1 == 0 {
                    b'a'
                } else {
                    b'b'
                }
            })
            .collect()
    }

    #[test]
    fn hostile_text_falls_back_to_hyperscan_with_the_same_result_and_turns_the_dfa_off() {
        // Never matching until the end, `a[ab]{12}c` makes the DFA track the
        // last 13 bytes: a new state for nearly every byte of random a/b.
        let p = [prepared("a[ab]{12}c", false), prepared("zzz", false)];
        let dfa = dfa_of(&[&p[0], &p[1]], 64 * 1024);
        let mut text = random_a_b(50_000);
        text.extend_from_slice(b"abbbbbbbbbbbbc");
        let mut scratch = dfa.new_scratch();
        let mut walk = [Walk::new(
            &dfa.dfa,
            &mut scratch.cache,
            &mut scratch.found,
            &text,
        )];
        walk_together(&mut walk);
        let gave_up = matches!(walk[0].outcome(), Some(Err(_)));
        assert!(gave_up, "the DFA gives up on this text");
        assert!(!dfa.off.load(Ordering::Relaxed));
        assert_eq!(found(&dfa, &text), [0]);
        assert!(
            dfa.off.load(Ordering::Relaxed),
            "a cache cleared within a few KB turns the DFA off"
        );
        assert_eq!(found(&dfa, b"xxzzzx"), [1], "and Hyperscan runs the next");
    }
}
