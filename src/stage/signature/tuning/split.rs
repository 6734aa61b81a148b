//! Splitting a target's patterns into the shared database and slow paths.
//!
//! Every pattern first goes through [`profile`](crate::stage::signature::tuning::profile). A cheap
//! one stays in the target's shared Hyperscan database. An expensive one
//! leaves it when that pays:
//!
//! - with a gate, a necessary condition for a match that is cheap to test,
//!   it runs alone, and only on texts that pass the gate; alone in its own
//!   Hyperscan database, or through PCRE2 if PCRE2 measured cheaper on the
//!   sample. The gate is [literals](crate::stage::signature::gate::literals) every match contains, seen
//!   by the shared database, or else a [run of word bytes](crate::stage::signature::gate::word_run)
//!   of a length every match contains, or a [run of equal
//!   words](crate::stage::signature::gate::repeated_word) for the repeated-word idiom;
//! - without a gate, it runs on every text either way, so it leaves only for
//!   PCRE2 alone, when that measured cheaper: for a prefilter pattern,
//!   cheaper than its prefilter scan alone, so the move wins whatever share
//!   of texts the prefilter would pass to the confirm (this took relaxed
//!   back-references such as `\b(\w{4,})\s+\1\b` out of the shared
//!   database, before the repeated-word gate knew them: their prefilter
//!   costs 4–8 µs/KB and matches nearly every text, PCRE2 alone about
//!   3.5 µs/KB); for a Hyperscan pattern at least
//!   [`PCRE2_MARGIN`] times cheaper; otherwise it stays in the shared
//!   database. Comparing with prefilter-plus-confirm instead moved a
//!   shipped rule whose prefilter rarely passes ham, and slowed the shipped
//!   set by about 15%.
//!
//! On the 1,500-rule hard set this moves 50 to 60 patterns (fresh profiles
//! differ with machine noise; a cached profile keeps the split fixed) and, with
//! repeated expressions run once, took end-to-end email throughput from
//! about 890 to 1,300 messages/s (`benches/large_rules.rs`, medians of
//! three runs on a loaded machine); on the shipped rules it moves one or
//! two patterns and is neutral.
//!
//! Then the patterns a [lazy DFA](crate::stage::signature::scan::lazy_dfa) runs with Hyperscan's
//! meaning move to one of up to four per target, whatever their placement,
//! when [the choice](crate::stage::signature::tuning::dfa_choice) measures that their DFA's states
//! fit and that it costs less than they did ([`choose_lazy_dfa`]). On the
//! shipped rules that is about 140 patterns in 10 DFAs, the obfuscation
//! chains and long alternations among them, which Hyperscan ran on every
//! byte of every SMS.
//!
//! Results are identical with and without the split: a gate is a necessary
//! condition for a match, and the same pattern runs on the same text in
//! another engine with PCRE semantics (`tests/signature_split.rs` checks
//! this on generated rules and mail).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use regex_syntax::hir::Hir;

use crate::stage::signature::build::cache::{self, StableHash};
use crate::stage::signature::build::compile::{pcre2_regex, PreparedPattern};
use crate::stage::signature::gate::literals::gate_literals;
use crate::stage::signature::gate::repeated_word::{self, RepeatedWord};
use crate::stage::signature::gate::word_run::{required_word_run, MIN_WORD_RUN};
use crate::stage::signature::scan::lazy_dfa;
use crate::stage::signature::tuning::dfa_choice;
use crate::stage::signature::tuning::profile;

/// An ungated expensive pattern moves to PCRE2 only if PCRE2 is at least
/// this many times cheaper: below that, measurement noise on a shared
/// machine could move it back and forth between builds.
pub const PCRE2_MARGIN: f64 = 2.0;

type Regex = Arc<pcre2::bytes::Regex>;

/// Changes whenever what a profile entry measures changes, so that old
/// cached costs are not read with new meaning.
const PROFILE_FORMAT: &[u8] = b"profile-3";
/// The same for the lazy-DFA choice.
const LAZY_DFA_FORMAT: &[u8] = b"lazy-dfa-4";

/// Where a pattern runs after the split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// In the target's shared Hyperscan database.
    Shared,
    /// Alone in its own Hyperscan database, when a gate literal occurs.
    GatedHyperscan,
    /// Through PCRE2, when a gate literal occurs.
    GatedPcre2,
    /// Through PCRE2 on every text (no gate, PCRE2 much cheaper).
    Pcre2,
    /// In one of the target's lazy DFAs (`scan/lazy_dfa.rs`), with other
    /// patterns that run faster there.
    LazyDfa,
}

/// The necessary condition under which a moved pattern runs.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::stage::signature) enum Gate {
    /// One of these literals (lower case) occurs, caseless.
    Literals(Vec<Vec<u8>>),
    /// The text has a run of at least this many word bytes.
    WordRun(usize),
    /// The text has a run of equal words as long as the idiom needs.
    RepeatedWord(RepeatedWord),
}

/// The measurements and decision for one pattern.
#[derive(Clone, Debug)]
pub(in crate::stage::signature) struct Decision {
    pub hyperscan_ns_per_kb: Option<f64>,
    pub pcre2_ns_per_kb: Option<f64>,
    pub expensive: bool,
    pub placement: Placement,
    pub gate: Option<Gate>,
    /// The regex for the PCRE2 placements.
    pub regex: Option<Regex>,
}

/// Decides the placement of each pattern of one database. Costs come from
/// `cache_dir` when this exact pattern list was profiled on this sample and
/// platform before (so a warm start does not re-measure, and the split stays
/// the same between starts), else they are measured and stored.
pub(in crate::stage::signature) fn decide(
    patterns: &[&PreparedPattern],
    sample: &[u8],
    cache_dir: Option<&Path>,
    threshold: Option<f64>,
) -> Vec<Decision> {
    let mut key = cache::environment_hash();
    key.feed(PROFILE_FORMAT)
        .feed(&StableHash::new().feed(sample).hex().into_bytes())
        .feed(&threshold.map_or(-1.0, |t| t).to_le_bytes());
    cache::feed_patterns(&mut key, patterns);
    let name = format!("profile-{}.txt", key.hex());
    let cached = cache_dir
        .and_then(|dir| cache::read_text(dir, &name))
        .and_then(|text| parse_costs(&text, patterns.len()));
    let costs = cached.unwrap_or_else(|| {
        let sample_costs = measure(patterns, sample, threshold);
        let text = format_costs(&sample_costs);
        if let Some(dir) = cache_dir {
            cache::write_text(dir, &name, &text);
        }
        // Decide on the costs as the cache holds them (a tenth of a ns), so
        // that the next start, reading them, splits and orders the patterns
        // the same way and finds this start's lazy-DFA choice and databases
        // in the cache. With full precision, the shipped rules' second start
        // missed both and took 7 s instead of 0.1.
        parse_costs(&text, patterns.len()).unwrap_or(sample_costs)
    });
    let hs_costs: Vec<Option<f64>> = costs.iter().map(|c| c.0).collect();
    let expensive = profile::expensive(&hs_costs, threshold);
    // PCRE2 equivalents only for the expensive few: compiling one for each
    // of 1,500 patterns would add a quarter second to every warm start.
    let regexes: Vec<Option<Regex>> = patterns
        .iter()
        .zip(&expensive)
        .map(|(p, &e)| e.then(|| pcre2_equivalent(p)).flatten())
        .collect();
    patterns
        .iter()
        .zip(costs)
        .zip(expensive)
        .zip(regexes)
        .map(|(((p, (hs, pc)), expensive), regex)| {
            let caseless_unicode = p.rule_flags.caseless && p.rule_flags.utf8;
            let gate = expensive.then(|| gate(p, caseless_unicode)).flatten();
            // A prefilter pattern's match is PCRE2's decision already; only
            // a Hyperscan pattern changes engine, and needs the margin.
            let margin = if p.confirm.is_some() {
                1.0
            } else {
                PCRE2_MARGIN
            };
            let pcre2_cheaper = |margin: f64| match (hs, pc, &regex) {
                (Some(hs), Some(pc), Some(_)) => pc * margin < hs,
                _ => false,
            };
            let placement = match (expensive, &gate) {
                (false, _) => Placement::Shared,
                (true, Some(_)) if pcre2_cheaper(1.0) => Placement::GatedPcre2,
                (true, Some(_)) => Placement::GatedHyperscan,
                (true, None) if pcre2_cheaper(margin) => Placement::Pcre2,
                (true, None) => Placement::Shared,
            };
            Decision {
                hyperscan_ns_per_kb: hs,
                pcre2_ns_per_kb: pc,
                expensive,
                placement,
                gate,
                regex: matches!(placement, Placement::GatedPcre2 | Placement::Pcre2)
                    .then_some(regex)
                    .flatten(),
            }
        })
        .collect()
}

/// Places in lazy DFAs the patterns [`dfa_choice::choose`] picks among
/// those they run with Hyperscan's meaning, whatever their placement was,
/// and returns which DFA takes each and its regex-syntax form, by the index
/// of its first occurrence (repeated expressions are one DFA pattern). The
/// choice is cached like the profile, so that it stays the same between
/// starts.
pub(in crate::stage::signature) fn choose_lazy_dfa(
    patterns: &[&PreparedPattern],
    decisions: &mut [Decision],
    sample: &[u8],
    cache_dir: Option<&Path>,
) -> HashMap<usize, (usize, Hir)> {
    let mut seen = HashSet::new();
    let mut candidates: Vec<(usize, Hir, f64)> = Vec::new();
    for (k, (p, d)) in patterns.iter().zip(decisions.iter()).enumerate() {
        if !seen.insert(p.key()) {
            continue;
        }
        if let (Some(cost), Some(hir)) = (d.hyperscan_ns_per_kb, lazy_dfa::translate(p)) {
            candidates.push((k, hir, cost));
        }
    }
    candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));

    let mut key = cache::environment_hash();
    key.feed(LAZY_DFA_FORMAT)
        .feed(&StableHash::new().feed(sample).hex().into_bytes());
    cache::feed_patterns(&mut key, patterns);
    // Which patterns are candidates depends on this build's rules of
    // translation; the cached choice is of positions in this exact list.
    for (k, _, _) in &candidates {
        key.feed(&(*k as u64).to_le_bytes());
    }
    let name = format!("lazy-dfa-{}.txt", key.hex());
    let cached = cache_dir
        .and_then(|dir| cache::read_text(dir, &name))
        .and_then(|text| parse_choice(&text, candidates.len()));
    let dfas = cached.unwrap_or_else(|| {
        let costed: Vec<(Hir, f64)> = candidates.iter().map(|(_, h, c)| (h.clone(), *c)).collect();
        let dfas = dfa_choice::choose(&costed, sample);
        if let Some(dir) = cache_dir {
            cache::write_text(dir, &name, &format_choice(&dfas));
        }
        dfas
    });
    let mut forms = HashMap::new();
    let mut moved = HashSet::new();
    for (dfa, positions) in dfas.iter().enumerate() {
        for &position in positions {
            let (k, hir, _) = &candidates[position];
            moved.insert(patterns[*k].key());
            forms.insert(*k, (dfa, hir.clone()));
        }
    }
    for (p, d) in patterns.iter().zip(decisions.iter_mut()) {
        if moved.contains(&p.key()) {
            d.placement = Placement::LazyDfa;
            d.gate = None;
            d.regex = None;
        }
    }
    forms
}

/// A choice as text: a line per DFA, of candidate positions.
fn format_choice(dfas: &[Vec<usize>]) -> String {
    dfas.iter()
        .map(|positions| {
            let line: Vec<String> = positions.iter().map(usize::to_string).collect();
            line.join(" ") + "\n"
        })
        .collect()
}

/// A cached choice: candidate positions, each below `count` and in one DFA
/// at most.
fn parse_choice(text: &str, count: usize) -> Option<Vec<Vec<usize>>> {
    let mut seen = HashSet::new();
    text.lines()
        .map(|line| {
            line.split_whitespace()
                .map(|n| n.parse().ok().filter(|&n| n < count && seen.insert(n)))
                .collect()
        })
        .collect()
}

type Costs = (Option<f64>, Option<f64>);

/// Hyperscan cost of every pattern; PCRE2 cost of the expensive ones (the
/// others never leave the shared database, so it is not worth measuring).
fn measure(patterns: &[&PreparedPattern], sample: &[u8], threshold: Option<f64>) -> Vec<Costs> {
    let hs: Vec<Option<f64>> = patterns
        .iter()
        .map(|p| profile::hyperscan_cost(p, sample))
        .collect();
    let expensive = profile::expensive(&hs, threshold);
    hs.into_iter()
        .zip(expensive)
        .zip(patterns)
        .map(|((hs, expensive), p)| {
            let pc = expensive
                .then(|| pcre2_equivalent(p))
                .flatten()
                .and_then(|re| profile::pcre2_cost(&re, sample));
            (hs, pc)
        })
        .collect()
}

/// The confirm regex of a prefilter pattern, or a PCRE2 build of the
/// expression (`None` in the rare case PCRE2 refuses what Hyperscan took).
pub(in crate::stage::signature) fn pcre2_equivalent(p: &PreparedPattern) -> Option<Regex> {
    p.confirm
        .clone()
        .or_else(|| pcre2_regex(&p.expression, p.rule_flags).ok().map(Arc::new))
}

/// A literal gate if there is one; else a word-run gate if the run is
/// long enough to be rare.
fn gate(p: &PreparedPattern, caseless_unicode: bool) -> Option<Gate> {
    let syntax = p.syntax();
    syntax
        .and_then(|hir| gate_literals(hir, caseless_unicode))
        .map(Gate::Literals)
        .or_else(|| {
            let run = syntax.map_or(0, required_word_run);
            (run >= MIN_WORD_RUN).then_some(Gate::WordRun(run))
        })
        .or_else(|| repeated_word::recognise(&p.expression, p.rule_flags).map(Gate::RepeatedWord))
}

fn format_costs(costs: &[Costs]) -> String {
    let cell = |c: Option<f64>| c.map_or("-".to_string(), |v| format!("{v:.1}"));
    costs
        .iter()
        .map(|(hs, pc)| format!("{} {}\n", cell(*hs), cell(*pc)))
        .collect()
}

fn parse_costs(text: &str, count: usize) -> Option<Vec<Costs>> {
    let cell = |c: &str| -> Option<Option<f64>> {
        match c {
            "-" => Some(None),
            v => v.parse().ok().map(Some),
        }
    };
    let costs: Vec<Costs> = text
        .lines()
        .map(|line| {
            let (hs, pc) = line.split_once(' ')?;
            Some((cell(hs)?, cell(pc)?))
        })
        .collect::<Option<_>>()?;
    (costs.len() == count).then_some(costs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_round_trip_and_reject_mismatches() {
        let dfas = vec![vec![0, 3], vec![1]];
        let text = format_choice(&dfas);
        assert_eq!(parse_choice(&text, 4), Some(dfas));
        assert_eq!(parse_choice(&text, 3), None, "position out of range");
        assert_eq!(parse_choice("0 1\n1\n", 4), None, "one pattern, two DFAs");
        assert_eq!(parse_choice("", 4), Some(vec![]));
    }

    #[test]
    fn cost_entries_round_trip_and_reject_mismatches() {
        let costs = vec![
            (Some(120.5), None),
            (None, None),
            (Some(9000.0), Some(300.0)),
        ];
        let text = format_costs(&costs);
        assert_eq!(parse_costs(&text, 3), Some(costs));
        assert_eq!(parse_costs(&text, 2), None);
        assert_eq!(parse_costs("12 x\n", 1), None);
    }
}
