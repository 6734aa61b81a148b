//! Which patterns go to a target's [lazy DFA](crate::stage::signature::scan::lazy_dfa).
//!
//! A lazy DFA is worth it only for patterns whose states settle: it builds
//! a state for each new combination of partial matches it meets, and on
//! varied text the combinations of some patterns never stop coming. Which
//! ones is not visible in the pattern. Over the body text of the phishing
//! corpus (1.4 MB), 86 of the 1,500-rule set's obfuscation chains and
//! gaps (`[e3][_\W]{0,3}[a4@]…`) built 0.8 MB of states, while its 59 most
//! expensive patterns, chains mixed with counted class runs
//! (`\b[a-z0-9]{18,}\b`, `(?:[a-z]\d){5,}`), built 7.6 MB. So the choice is
//! measured, on text the DFA has not seen:
//!
//! - *Warm-up.* The sample, shufflings of its words (new sentences, the same
//!   vocabulary) and [`babble`] (new words: each byte drawn after the byte
//!   before it as often as in the sample). Babble is what the sample lacks:
//!   the 119 most expensive body patterns of the 1,500-rule set fit the
//!   cache on shuffled words, and cleared it 3 to 4 times per pass over the
//!   phishing bodies. After babble, the states of DFAs of the 7, 29 and 59
//!   most expensive were within 15% of what those bodies made them build.
//! - *Budget.* The states must then fit in [`STATE_BUDGET`], a quarter of
//!   the cache, since traffic is more varied than any sample.
//! - *Cost.* The DFA is timed on a second pass over more shuffled words and
//!   babble: the steady state, once the states the traffic needs are built.
//!   The timing uses regex-automata's overlapping search, not the engine's
//!   [walk](crate::stage::signature::scan::walk), on purpose: it returns to its caller at every
//!   match, so it charges patterns that match often (runs such as
//!   `\w{18,}`, common words) more than the walk does on the sample, and on
//!   real mail those patterns keep the walk on its slow step too (a match
//!   state is a special state). Timing the walk itself made choices that
//!   scanned the phishing corpus 15–20% slower with the 1,500 hard rules
//!   (three cold choices each, run alternately with the same binary).
//!
//! Candidates are tried most expensive first, [`CHUNK`] at a time: a chunk
//! joins the DFA when the DFA then fits and its cost grows less than the
//! chunk's patterns cost in Hyperscan; a chunk that does not fit is halved
//! until the patterns that do are found. Judging patterns this way, not as
//! prefixes of the cost order, keeps the patterns whose states are cheap
//! and leaves out those between them whose states multiply.

use std::time::Instant;

use regex_syntax::hir::Hir;

use crate::stage::signature::scan::lazy_dfa::{build, DFA_CACHE_BYTES};
use crate::stage::signature::scan::walk::MAX_WALKS;
use regex_automata::{Input, PatternSet};

/// The states a DFA may build on the warm-up texts.
pub const STATE_BUDGET: usize = DFA_CACHE_BYTES / 4;
/// Candidates tried together.
const CHUNK: usize = 8;
/// DFAs per target at most: as many as [walk together](crate::stage::signature::scan::walk), each
/// up to [`DFA_CACHE_BYTES`] more per thread.
const MAX_DFAS: usize = MAX_WALKS;
/// DFAs built and timed per target at most, so that a rule set whose
/// candidates keep not fitting cannot stretch a cold start without bound:
/// each trial scans 450 KB, and one that thrashes takes up to a few hundred
/// ms. The 1,500 hard rules' largest target needed 153, the shipped rules'
/// 115.
const MAX_TRIALS: usize = 256;
/// The choice ends after this many chunks in a row added nothing: the
/// candidates after them cost less in Hyperscan still.
const MAX_IDLE_CHUNKS: usize = 3;
/// Shufflings of the sample's words in the warm-up.
const WARM_SHUFFLES: u64 = 4;
/// Babble texts, each as long as the sample, in the warm-up.
const WARM_BABBLE: u64 = 2;

/// The texts a candidate DFA is tried on.
struct Probe {
    warm: Vec<Vec<u8>>,
    novel: Vec<u8>,
    /// [`STATE_BUDGET`], but for tests.
    budget: usize,
}

impl Probe {
    fn new(sample: &[u8], budget: usize) -> Probe {
        let mut warm = vec![sample.to_vec()];
        warm.extend((1..=WARM_SHUFFLES).map(|seed| shuffled_words(sample, seed)));
        warm.extend((1..=WARM_BABBLE).map(|seed| babble(sample, seed)));
        let mut novel = shuffled_words(sample, WARM_SHUFFLES + 1);
        novel.extend(babble(sample, WARM_BABBLE + 1));
        Probe {
            warm,
            novel,
            budget,
        }
    }

    /// Nanoseconds per KB of novel text, seen once, for a DFA of `hirs`
    /// after the warm-up, or `None` if it does not build, its cache had to
    /// be cleared, or its states outgrow the budget.
    fn cost(&self, hirs: &[Hir]) -> Option<f64> {
        let dfa = build(hirs, DFA_CACHE_BYTES).ok()?;
        let mut cache = dfa.create_cache();
        let mut found = PatternSet::new(dfa.pattern_len());
        let mut scan = |text: &[u8]| {
            found.clear();
            let ok = dfa
                .try_which_overlapping_matches(&mut cache, &Input::new(text), &mut found)
                .is_ok();
            ok && cache.clear_count() == 0 && cache.memory_usage() <= self.budget
        };
        if !self.warm.iter().all(|text| scan(text)) || !scan(&self.novel) {
            return None;
        }
        let start = Instant::now();
        let usable = scan(&self.novel) && !self.novel.is_empty();
        let ns = start.elapsed().as_nanos() as f64 * 1024.0 / self.novel.len().max(1) as f64;
        usable.then_some(ns)
    }
}

/// The words of `text` in an order drawn from `seed`, a line every dozen.
fn shuffled_words(text: &[u8], seed: u64) -> Vec<u8> {
    let mut words: Vec<&[u8]> = text
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let mut random = xorshift(seed);
    for i in (1..words.len()).rev() {
        words.swap(i, (random() % (i as u64 + 1)) as usize);
    }
    let mut out = Vec::with_capacity(text.len() + words.len());
    for (i, word) in words.iter().enumerate() {
        out.extend_from_slice(word);
        out.push(if i % 12 == 11 { b'\n' } else { b' ' });
    }
    out
}

/// As many bytes as `text`, each drawn from the bytes that follow the one
/// before it in `text`, as often as they do there: the sample's letters,
/// digits and punctuation in new words and runs.
fn babble(text: &[u8], seed: u64) -> Vec<u8> {
    let mut followers: Vec<Vec<u8>> = vec![Vec::new(); 256];
    for pair in text.windows(2) {
        followers[usize::from(pair[0])].push(pair[1]);
    }
    let mut random = xorshift(seed);
    let mut out = Vec::with_capacity(text.len());
    let mut last = b' ';
    while out.len() < text.len() {
        let next = &followers[usize::from(last)];
        last = match next.len() {
            0 => b' ',
            n => next[(random() % n as u64) as usize],
        };
        out.push(last);
    }
    out
}

/// A xorshift generator: reproducible noise for samples and tests.
pub(in crate::stage::signature) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// The candidates (each a pattern and what it costs alone in Hyperscan,
/// most expensive first) that go to lazy DFAs, by index: one list per DFA.
pub(in crate::stage::signature) fn choose(
    candidates: &[(Hir, f64)],
    sample: &[u8],
) -> Vec<Vec<usize>> {
    choose_within(candidates, sample, STATE_BUDGET, MAX_TRIALS)
}

fn choose_within(
    candidates: &[(Hir, f64)],
    sample: &[u8],
    budget: usize,
    mut trials: usize,
) -> Vec<Vec<usize>> {
    let probe = Probe::new(sample, budget);
    let mut dfas = Vec::new();
    let mut left: Vec<usize> = (0..candidates.len()).collect();
    while dfas.len() < MAX_DFAS && !left.is_empty() {
        let mut choice = Choice {
            candidates,
            probe: &probe,
            chosen: Vec::new(),
            dfa_cost: 0.0,
            did_not_fit: Vec::new(),
            trials: &mut trials,
        };
        let mut idle = 0;
        let mut tried = 0;
        for chunk in left.chunks(CHUNK) {
            let before = choice.chosen.len();
            choice.add(chunk);
            tried += chunk.len();
            idle = if choice.chosen.len() == before {
                idle + 1
            } else {
                0
            };
            if idle == MAX_IDLE_CHUNKS {
                break;
            }
        }
        if choice.chosen.is_empty() {
            break;
        }
        // The next DFA tries what did not fit this one, and what it did
        // not get to; not what fit but saved nothing.
        let mut next = choice.did_not_fit;
        next.extend_from_slice(&left[tried..]);
        dfas.push(choice.chosen);
        left = next;
    }
    dfas
}

struct Choice<'a> {
    candidates: &'a [(Hir, f64)],
    probe: &'a Probe,
    chosen: Vec<usize>,
    /// What the DFA of `chosen` cost (0 when empty).
    dfa_cost: f64,
    /// Candidates refused because the DFA would not fit with them.
    did_not_fit: Vec<usize>,
    /// Trials left for the whole target.
    trials: &'a mut usize,
}

impl Choice<'_> {
    /// Adds `ids` if the DFA then fits and saves time; halves them if it
    /// does not fit.
    fn add(&mut self, ids: &[usize]) {
        if *self.trials == 0 {
            return;
        }
        *self.trials -= 1;
        let trial: Vec<usize> = self.chosen.iter().chain(ids).copied().collect();
        let hirs: Vec<Hir> = trial
            .iter()
            .map(|&i| self.candidates[i].0.clone())
            .collect();
        let saved = |dfa: f64| ids.iter().map(|&i| self.candidates[i].1).sum::<f64>() - dfa;
        match self.probe.cost(&hirs) {
            Some(dfa) if saved(dfa - self.dfa_cost) > 0.0 => {
                self.chosen = trial;
                self.dfa_cost = dfa;
            }
            Some(_) => {}
            None if ids.len() > 1 => {
                let (first, second) = ids.split_at(ids.len() / 2);
                self.add(first);
                self.add(second);
            }
            None => self.did_not_fit.extend_from_slice(ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::signature::scan::lazy_dfa::tests::{prepared, random_a_b};
    use crate::stage::signature::scan::lazy_dfa::translate;
    use crate::stage::signature::tuning::profile::builtin_sample;
    use crate::stage::signature::tuning::wire_sample::wire_form;

    /// `len` random bytes from `a` to `d`.
    fn random_a_to_d(len: usize) -> Vec<u8> {
        random_a_b(len * 2)
            .chunks(2)
            .map(|pair| b'a' + (pair[0] - b'a') * 2 + (pair[1] - b'a'))
            .collect()
    }

    fn costing(pattern: &str, caseless: bool, ns: f64) -> (Hir, f64) {
        let hir = translate(&prepared(pattern, caseless)).expect("translates");
        (hir, ns)
    }

    #[test]
    fn takes_expensive_patterns_and_leaves_those_that_would_thrash() {
        let words = b"free cash now, act now! ".repeat(400);
        let dear = |p: &str| costing(p, true, 50_000.0);
        assert_eq!(
            choose(&[dear(r"\bfree\s+cash\b"), dear(r"\bact\s+now\b")], &words),
            [[0, 1]]
        );
        let none: Vec<Vec<usize>> = Vec::new();
        assert_eq!(
            choose(&[costing(r"\bfree\s+cash\b", true, 0.0)], &words),
            none,
            "nothing to save"
        );
        assert_eq!(choose(&[], &words), none);
        // Two windows over a 4-letter alphabet: the DFA tracks where in the
        // last 16 bytes each `a` and `b` was, a new state nearly every byte.
        let mut mixed = random_a_to_d(200_000);
        mixed.extend_from_slice(&words);
        let windows = costing("a[a-d]{15}e|b[a-d]{15}e", false, 1e15);
        // However much it would save, a DFA that outgrows its budget is
        // refused, and the patterns beside it in its chunk still join.
        assert_eq!(
            choose(
                &[dear(r"\bfree\s+cash\b"), windows, dear(r"\bact\s+now\b")],
                &mixed
            ),
            [[0, 2]]
        );
    }

    /// Random text over `a`-`d`: a DFA for `a[a-d]{N}e` must remember where
    /// the last N+1 bytes held an `a`, 2^(N+1) states at most: 1.7 KB of
    /// cache for N = 3, 42 KB for N = 8 (measured), and never a clear.
    #[test]
    fn refuses_patterns_whose_states_outgrow_the_budget_though_they_fit_the_cache() {
        let text = random_a_to_d(40_000);
        let dear = |p: &str| costing(p, false, 1e9);
        let candidates = [dear("a[a-d]{3}e"), dear("a[a-d]{8}e"), dear("b[a-d]{3}e")];
        assert_eq!(
            choose_within(&candidates, &text, 16 * 1024, MAX_TRIALS),
            [[0, 2]]
        );
        assert_eq!(
            choose_within(&candidates, &text, STATE_BUDGET, MAX_TRIALS),
            [[0, 1, 2]]
        );
    }

    /// The cache a DFA of `patterns` fills on the probe's texts.
    fn states(probe: &Probe, patterns: &[&str]) -> usize {
        let hirs: Vec<Hir> = patterns.iter().map(|p| costing(p, false, 0.0).0).collect();
        let dfa = build(&hirs, DFA_CACHE_BYTES).expect("builds");
        let mut cache = dfa.create_cache();
        let mut found = PatternSet::new(dfa.pattern_len());
        for text in probe.warm.iter().chain([&probe.novel]) {
            let input = Input::new(text);
            let _ = dfa.try_which_overlapping_matches(&mut cache, &input, &mut found);
        }
        cache.memory_usage()
    }

    #[test]
    fn patterns_that_fit_alone_but_not_together_go_to_two_dfas() {
        let text = random_a_to_d(40_000);
        let (a, b) = ("a[a-d]{6}e", "b[a-d]{6}e");
        let probe = Probe::new(&text, usize::MAX);
        let alone = states(&probe, &[a]).max(states(&probe, &[b]));
        let together = states(&probe, &[a, b]);
        assert!(together > 2 * alone, "{alone} alone, {together} together");
        let budget = (alone + together) / 2;
        let dear = |p: &str| costing(p, false, 1e9);
        assert_eq!(
            choose_within(&[dear(a), dear(b)], &text, budget, MAX_TRIALS),
            [[0], [1]]
        );
    }

    /// Base64 lines put capitals, small letters and digits side by side
    /// without a space for 76 bytes: partial matches of these two patterns
    /// that text never has at once.
    #[test]
    fn a_raw_body_choice_sees_the_states_base64_makes() {
        let text = builtin_sample();
        let wire = wire_form(&text);
        let (a, b) = (r"(?:[A-Z][a-z]+){4,}[A-Z]", r"[^\s@]{16,}@[^\s@]+");
        let on_text = states(&Probe::new(&text, usize::MAX), &[a, b]);
        let on_wire = states(&Probe::new(&wire, usize::MAX), &[a, b]);
        assert!(
            on_wire > 2 * on_text,
            "{on_text} on text, {on_wire} on the wire"
        );
        let budget = (on_text + on_wire) / 2;
        let dear = |p: &str| costing(p, false, 1e9);
        let candidates = [dear(a), dear(b)];
        assert_eq!(
            choose_within(&candidates, &text, budget, MAX_TRIALS),
            [[0, 1]]
        );
        assert_eq!(
            choose_within(&candidates, &wire, budget, MAX_TRIALS),
            [[0], [1]]
        );
    }

    #[test]
    fn stops_trying_after_the_trial_limit() {
        let words = b"free cash now, act now! win big today ".repeat(400);
        let phrases: Vec<(Hir, f64)> = (0..40)
            .map(|n| costing(&format!(r"\bfree\s+cash{n}\b"), true, 50_000.0))
            .collect();
        let all = choose_within(&phrases, &words, STATE_BUDGET, MAX_TRIALS);
        assert_eq!(all, [(0..40).collect::<Vec<_>>()]);
        let two = choose_within(&phrases, &words, STATE_BUDGET, 2);
        assert_eq!(two, [(0..2 * CHUNK).collect::<Vec<_>>()], "a trial a chunk");
    }

    #[test]
    fn babble_keeps_the_sample_s_byte_pairs() {
        let sample = b"abc abd ";
        let text = babble(sample, 1);
        assert_eq!(text.len(), sample.len());
        let pairs: Vec<&[u8]> = sample.windows(2).collect();
        assert!(text.windows(2).all(|pair| pairs.contains(&pair)));
    }
}
