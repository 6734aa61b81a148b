//! Lazy DFAs walked over their texts side by side, a byte of each in turn.
//!
//! A lazy DFA's walk is a chain of dependent loads: where the next state's
//! transitions are is known only once the current transition is loaded.
//! The DFAs of a large rule set have tables far larger than the L1 and L2
//! caches, so each byte waits on memory: on the 1,500 generated hard rules
//! over phishing mail, 87% of the walk's samples (`perf annotate`) sat on
//! that one load, at 4 to 14 ns a byte. Walks of different DFAs do not depend
//! on each other, so stepping them in turn lets the CPU keep one load of
//! each in flight.
//!
//! regex-automata's own overlapping search would do, one DFA at a time, but
//! it takes the general transition at every byte and returns to its caller
//! at every match, so a pattern that ends in a run (`\w{18,}`, `[^\s@]+`)
//! stops it at every byte of the run. Here a known transition between
//! untagged states takes the short path, and a match state is read only
//! when it is not the one just read.

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::{Input, MatchError, PatternSet};

/// How many walks go side by side: as many DFAs as a target may have (more
/// would go in a second round).
pub(in crate::stage::signature) const MAX_WALKS: usize = 4;

/// One DFA's walk over one text, collecting the patterns that match.
pub(in crate::stage::signature) struct Walk<'a> {
    dfa: &'a DFA,
    cache: &'a mut Cache,
    found: &'a mut PatternSet,
    text: &'a [u8],
    /// The state after `text[..at]`; its matches are in `found`.
    sid: LazyStateID,
    at: usize,
    /// The match state read last, so that a run of one match state is read
    /// once.
    last_read: Option<LazyStateID>,
    outcome: Option<Result<(), MatchError>>,
}

impl<'a> Walk<'a> {
    /// A walk from the start of `text`; `found` is cleared.
    pub fn new(
        dfa: &'a DFA,
        cache: &'a mut Cache,
        found: &'a mut PatternSet,
        text: &'a [u8],
    ) -> Walk<'a> {
        found.clear();
        let (sid, outcome) = match dfa.start_state_forward(cache, &Input::new(text)) {
            Ok(sid) => {
                cache.search_start(0);
                (sid, None)
            }
            // The walk is over before it began; the state is never read.
            Err(e) => (LazyStateID::default(), Some(Err(e))),
        };
        Walk {
            dfa,
            cache,
            found,
            text,
            sid,
            at: 0,
            last_read: None,
            outcome,
        }
    }

    /// Whether every pattern was found, the DFA ran out of text, or it gave
    /// up (`Err`: see [`Config::minimum_bytes_per_state`]).
    ///
    /// [`Config::minimum_bytes_per_state`]: regex_automata::hybrid::dfa::Config::minimum_bytes_per_state
    pub fn outcome(&self) -> Option<&Result<(), MatchError>> {
        self.outcome.as_ref()
    }

    /// Takes one byte; false once the walk is over.
    #[inline(always)]
    fn step(&mut self) -> bool {
        if self.outcome.is_some() {
            return false;
        }
        if !self.sid.is_tagged() {
            if let Some(&byte) = self.text.get(self.at) {
                let next = self.dfa.next_state_untagged(self.cache, self.sid, byte);
                if !next.is_tagged() {
                    self.sid = next;
                    self.at += 1;
                    return true;
                }
            }
        }
        self.step_slowly();
        true
    }

    /// A byte whose transition is not yet built or leads to a special state
    /// (match, dead, quit), or the end of the text.
    #[inline(never)]
    fn step_slowly(&mut self) {
        let Some(&byte) = self.text.get(self.at) else {
            let end = self.dfa.next_eoi_state(self.cache, self.sid);
            self.outcome = Some(match end {
                Ok(end) => {
                    self.read(end);
                    Ok(())
                }
                Err(_) => Err(MatchError::gave_up(self.at)),
            });
            self.cache.search_finish(self.at);
            return;
        };
        self.cache.search_update(self.at);
        let clears = self.cache.clear_count();
        let next = self.dfa.next_state(self.cache, self.sid, byte);
        let Ok(next) = next else {
            self.outcome = Some(Err(MatchError::gave_up(self.at)));
            self.cache.search_finish(self.at);
            return;
        };
        if self.cache.clear_count() != clears {
            // A cleared cache gives its ids to new states.
            self.last_read = None;
        }
        self.sid = next;
        self.at += 1;
        if next.is_match() {
            if self.last_read != Some(next) {
                self.last_read = Some(next);
                self.read(next);
                if self.found.is_full() {
                    self.outcome = Some(Ok(()));
                }
            }
        } else if next.is_dead() {
            self.outcome = Some(Ok(()));
        } else if next.is_quit() {
            self.outcome = Some(Err(MatchError::quit(byte, self.at - 1)));
        }
        if self.outcome.is_some() {
            self.cache.search_finish(self.at);
        }
    }

    fn read(&mut self, sid: LazyStateID) {
        if sid.is_match() {
            for i in 0..self.dfa.match_len(self.cache, sid) {
                self.found
                    .insert(self.dfa.match_pattern(self.cache, sid, i));
            }
        }
    }
}

/// Walks all of `walks` to their end, a byte of each in turn.
pub(in crate::stage::signature) fn walk_together<const N: usize>(walks: &mut [Walk<'_>; N]) {
    loop {
        let mut going = false;
        for walk in walks.iter_mut() {
            going |= walk.step();
        }
        if !going {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use regex_automata::nfa::thompson;
    use regex_automata::MatchKind;

    use super::*;

    const PATTERNS: [&str; 12] = [
        r"a+b",
        r"\w{3,}",
        r"(?i)c[\W_]{0,2}d",
        r"d\b",
        r"(?m)e$",
        r"\Aab",
        r"b*",
        r"[^\s@]{4,}@[^\s@]+",
        r"\bca",
        r"f\z",
        r"(?:a\s){3,}",
        r"zzzz",
    ];

    fn dfa(patterns: &[&str], cache_bytes: usize) -> DFA {
        DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(cache_bytes)
                    .skip_cache_capacity_check(true),
            )
            .thompson(thompson::Config::new().utf8(false))
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build_many(patterns)
            .expect("test patterns build")
    }

    /// What regex-automata's own overlapping search finds.
    fn reference(dfa: &DFA, text: &[u8]) -> Vec<usize> {
        let mut cache = dfa.create_cache();
        let mut found = PatternSet::new(dfa.pattern_len());
        dfa.try_which_overlapping_matches(&mut cache, &Input::new(text), &mut found)
            .expect("reference search");
        found.iter().map(|p| p.as_usize()).collect()
    }

    fn random_text(seed: u64, len: usize) -> Vec<u8> {
        let alphabet = b"abcdef @_-\n.zZ";
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    #[test]
    fn walks_side_by_side_find_what_each_search_finds_alone() {
        // Three DFAs over three texts of different lengths, the last with a
        // cache so small that it is cleared during the walk.
        let sets: [&[&str]; 3] = [&PATTERNS[..4], &PATTERNS[4..], &PATTERNS];
        let dfas = [
            dfa(sets[0], 1 << 20),
            dfa(sets[1], 1 << 20),
            dfa(sets[2], 0),
        ];
        let mut caches = dfas.each_ref().map(|d| d.create_cache());
        let mut found = dfas.each_ref().map(|d| PatternSet::new(d.pattern_len()));
        for seed in 1..400u64 {
            let lens = [
                seed as usize % 7,
                seed as usize * 3 % 61,
                seed as usize % 300,
            ];
            let texts = [0, 1, 2].map(|i| random_text(seed * 3 + i as u64, lens[i]));
            let [c0, c1, c2] = caches.each_mut();
            let [f0, f1, f2] = found.each_mut();
            let mut walks = [
                Walk::new(&dfas[0], c0, f0, &texts[0]),
                Walk::new(&dfas[1], c1, f1, &texts[1]),
                Walk::new(&dfas[2], c2, f2, &texts[2]),
            ];
            walk_together(&mut walks);
            for (i, walk) in walks.iter().enumerate() {
                assert!(matches!(walk.outcome(), Some(Ok(()))), "seed {seed}");
                let got: Vec<usize> = walk.found.iter().map(|p| p.as_usize()).collect();
                assert_eq!(got, reference(&dfas[i], &texts[i]), "seed {seed}, lane {i}");
            }
        }
        assert!(caches[2].clear_count() > 10, "the small cache was cleared");
    }

    #[test]
    fn a_walk_stops_when_every_pattern_has_matched() {
        let dfa = dfa(&["a", "b"], 1 << 20);
        let mut cache = dfa.create_cache();
        let mut found = PatternSet::new(2);
        let text = [b"ab".as_slice(), &[b'c'; 1000]].concat();
        let mut walk = [Walk::new(&dfa, &mut cache, &mut found, &text)];
        walk_together(&mut walk);
        assert!(walk[0].at < 10, "stopped at {}", walk[0].at);
        assert!(walk[0].found.is_full());
    }
}
