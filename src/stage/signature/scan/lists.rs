//! List rules: phrase lists, and block lists (numbers, domains, URLs) as
//! hash sets fronted by a Bloom filter once they are large.
//!
//! A phrase list of up to [`PHRASES_IN_HYPERSCAN_MAX`] entries becomes
//! caseless literals in its target's Hyperscan database, which scans the
//! text anyway: measured on SMS texts, 1,000 to 50,000 phrases cost Hyperscan
//! about 0.1 µs a text, where an Aho-Corasick DFA took 1 to 7 µs and 6 to
//! 175 MB. Larger lists (an operator's phrase feed) go to one Aho-Corasick
//! automaton per target instead, which builds in a fraction of the seconds
//! Hyperscan takes to compile them, so a feed update is not held up.
//!
//! The Bloom filter earns its place only when the exact set no longer fits
//! in cache: a miss (the common case, most senders are not blocked) is then
//! answered from a few cache lines of bits instead of a hash-table probe.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use fastbloom::BloomFilter;

use crate::ingest::urls;
use crate::rules::ListMatch;
use crate::symbols::SymbolId;

/// Lists at or above this size get a Bloom filter in front of the exact set.
pub const BLOOM_MIN_ENTRIES: usize = 1024;

/// Phrase lists up to this size are matched by Hyperscan, larger ones by
/// Aho-Corasick (50,000 literals take Hyperscan about 2.5 s to compile).
pub const PHRASES_IN_HYPERSCAN_MAX: usize = 10_000;

/// The phrase lists of one target, merged into one automaton.
pub(in crate::stage::signature) struct PhraseLists {
    automaton: AhoCorasick,
    /// Symbol of each automaton pattern.
    symbols: Vec<SymbolId>,
}

impl PhraseLists {
    pub fn build(lists: &[(SymbolId, &[String])]) -> Result<Option<PhraseLists>, String> {
        let mut phrases = Vec::new();
        let mut symbols = Vec::new();
        for (symbol, entries) in lists {
            for entry in entries.iter() {
                phrases.push(entry.as_str());
                symbols.push(*symbol);
            }
        }
        if phrases.is_empty() {
            return Ok(None);
        }
        // The crate's own choice of automaton: lists here are large, and a
        // DFA of 50,000 phrases takes 175 MB.
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .map_err(|e| e.to_string())?;
        Ok(Some(PhraseLists { automaton, symbols }))
    }

    /// Calls `fire` for each list with an entry in `text`.
    pub fn scan(&self, text: &[u8], mut fire: impl FnMut(SymbolId)) {
        // One list on the target (the usual case): any entry will do, and
        // the first match ends the search.
        if self
            .symbols
            .first()
            .is_some_and(|first| self.symbols.iter().all(|s| s == first))
        {
            if self.automaton.is_match(text) {
                fire(self.symbols[0]);
            }
            return;
        }
        for m in self.automaton.find_overlapping_iter(text) {
            fire(self.symbols[m.pattern().as_usize()]);
        }
    }
}

/// The block lists of one target, merged per match mode: each distinct
/// entry maps to the lists that hold it, so a URL's host is extracted,
/// lower-cased and walked up its parent domains once, not once per list.
/// (The three shipped URL lists take 4–5 µs of a phishing mail's ~110 µs,
/// measured by moving them off the email channel; merging them saved less
/// than this machine's noise.)
#[derive(Default)]
pub(in crate::stage::signature) struct BlockLists {
    exact: Index,
    domain: Index,
}

/// Entries of one mode (normalised) and the lists that hold each.
#[derive(Default)]
struct Index {
    entries: HashMap<Box<str>, Vec<SymbolId>>,
    bloom: Option<BloomFilter>,
}

impl BlockLists {
    /// Builds from each list's symbol, mode and entries; `Contains` lists
    /// are phrase lists and do not belong here.
    pub fn build(lists: &[(SymbolId, ListMatch, &[String])]) -> BlockLists {
        let mut out = BlockLists::default();
        for &(symbol, mode, entries) in lists {
            let index = match mode {
                ListMatch::Domain => &mut out.domain,
                _ => &mut out.exact,
            };
            for entry in entries {
                let key = normalize(entry, mode, &mut String::new())
                    .into_owned()
                    .into_boxed_str();
                let holders = index.entries.entry(key).or_default();
                if !holders.contains(&symbol) {
                    holders.push(symbol);
                }
            }
        }
        for index in [&mut out.exact, &mut out.domain] {
            index.bloom = (index.entries.len() >= BLOOM_MIN_ENTRIES).then(|| {
                let mut bloom =
                    BloomFilter::with_false_pos(0.001).expected_items(index.entries.len());
                index.entries.keys().for_each(|e| {
                    bloom.insert(&**e);
                });
                bloom
            });
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.exact.entries.is_empty() && self.domain.entries.is_empty()
    }

    #[cfg(test)]
    fn has_bloom(&self) -> bool {
        self.exact.bloom.is_some() || self.domain.bloom.is_some()
    }

    /// Calls `fire` for each list that holds `value` (a sender, recipient
    /// or URL): exactly, or for domain lists, its host or a parent domain;
    /// again for a list that holds several of them (firing is idempotent).
    /// `buf` is the caller's, reused: an ASCII value is lowercased into it.
    pub fn matches(&self, value: &str, buf: &mut String, mut fire: impl FnMut(SymbolId)) {
        if !self.exact.entries.is_empty() {
            self.exact
                .probe(&normalize(value, ListMatch::Exact, buf), &mut fire);
        }
        if self.domain.entries.is_empty() {
            return;
        }
        let host = lowercase(urls::host(value.trim()).trim_end_matches('.'), buf);
        let mut candidate: &str = &host;
        loop {
            self.domain.probe(candidate, &mut fire);
            match candidate.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => candidate = parent,
                _ => return,
            }
        }
    }
}

impl Index {
    fn probe(&self, key: &str, fire: &mut impl FnMut(SymbolId)) {
        if self
            .bloom
            .as_ref()
            .is_some_and(|bloom| !bloom.contains(key))
        {
            return;
        }
        if let Some(holders) = self.entries.get(key) {
            holders.iter().for_each(|&s| fire(s));
        }
    }
}

/// Canonical form for comparison: lower case; phone numbers as digits only
/// with the international prefix (`+` or `00`) dropped, so `+44 7700 900123`,
/// `0044 7700900123` and `447700900123` are one entry. Borrowed when the
/// value is canonical already (most senders and hosts are), since every
/// message's sender and every URL comes through here.
fn normalize<'a>(value: &'a str, mode: ListMatch, buf: &'a mut String) -> Cow<'a, str> {
    let value = value.trim();
    if mode == ListMatch::Exact && is_phone_number(value) {
        let body = value.strip_prefix('+').unwrap_or(value);
        let digits = if body.bytes().all(|b| b.is_ascii_digit()) {
            Cow::Borrowed(body)
        } else {
            Cow::Owned(body.chars().filter(char::is_ascii_digit).collect())
        };
        return match digits {
            Cow::Borrowed(d) => Cow::Borrowed(d.strip_prefix("00").unwrap_or(d)),
            Cow::Owned(d) => Cow::Owned(d.strip_prefix("00").map(str::to_string).unwrap_or(d)),
        };
    }
    let value = if mode == ListMatch::Domain {
        urls::host(value).trim_end_matches('.')
    } else {
        value
    };
    lowercase(value, buf)
}

/// `value` in lower case: itself where it is already, else in `buf` where it
/// is ASCII (alphanumeric sender ids are capitals: `PRIZEDRAW`), else new.
fn lowercase<'a>(value: &'a str, buf: &'a mut String) -> Cow<'a, str> {
    if !value.chars().any(char::is_uppercase) {
        return Cow::Borrowed(value);
    }
    if !value.is_ascii() {
        return Cow::Owned(value.to_lowercase());
    }
    buf.clear();
    buf.push_str(value);
    buf.make_ascii_lowercase();
    Cow::Borrowed(buf)
}

fn is_phone_number(value: &str) -> bool {
    let body = value.strip_prefix('+').unwrap_or(value);
    body.bytes().any(|b| b.is_ascii_digit())
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b" -().".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(lists: &[(u32, ListMatch, &[&str])]) -> BlockLists {
        let owned: Vec<(SymbolId, ListMatch, Vec<String>)> = lists
            .iter()
            .map(|(s, m, e)| (SymbolId(*s), *m, e.iter().map(|x| x.to_string()).collect()))
            .collect();
        let refs: Vec<(SymbolId, ListMatch, &[String])> = owned
            .iter()
            .map(|(s, m, e)| (*s, *m, e.as_slice()))
            .collect();
        BlockLists::build(&refs)
    }

    fn fired(lists: &BlockLists, value: &str) -> Vec<u32> {
        let mut out = Vec::new();
        lists.matches(value, &mut String::new(), |s| out.push(s.0));
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn phone_numbers_match_in_any_notation() {
        let l = lists(&[(0, ListMatch::Exact, &["+44 7700 900123", "PRIZEDRAW"])]);
        assert_eq!(fired(&l, "447700900123"), [0]);
        assert_eq!(fired(&l, "0044-7700-900123"), [0]);
        assert_eq!(fired(&l, "prizedraw"), [0]);
        assert!(fired(&l, "447700900124").is_empty());
    }

    #[test]
    fn domains_match_subdomains_not_lookalikes() {
        let l = lists(&[(0, ListMatch::Domain, &["bit.ly", "top"])]);
        assert_eq!(fired(&l, "https://bit.ly/abc"), [0]);
        assert_eq!(fired(&l, "http://x.BIT.LY./abc"), [0]);
        assert_eq!(fired(&l, "win.prizes.top/claim"), [0]);
        assert!(fired(&l, "https://notbit.ly/abc").is_empty());
    }

    #[test]
    fn merged_lists_fire_each_list_that_holds_the_value() {
        let l = lists(&[
            (1, ListMatch::Domain, &["bit.ly", "ly"]),
            (2, ListMatch::Domain, &["ly"]),
            (3, ListMatch::Domain, &["example.com"]),
            (4, ListMatch::Exact, &["bit.ly"]),
        ]);
        assert_eq!(fired(&l, "http://bit.ly/x"), [1, 2]);
        assert_eq!(fired(&l, "bit.ly"), [1, 2, 4]);
        assert_eq!(fired(&l, "http://example.com"), [3]);
    }

    #[test]
    fn large_lists_use_a_bloom_filter_and_still_confirm() {
        let entries: Vec<String> = (0..5000).map(|i| format!("+4477009{i:05}")).collect();
        let l = BlockLists::build(&[(SymbolId(0), ListMatch::Exact, &entries)]);
        assert!(l.has_bloom());
        assert_eq!(fired(&l, "+447700901234"), [0]);
        assert!((0..2000).all(|i| fired(&l, &format!("+3361234{i:05}")).is_empty()));
    }

    #[test]
    fn phrases_fire_each_list_case_insensitively() {
        let a = vec!["free gift".to_string()];
        let b = vec!["act now".to_string()];
        let p = PhraseLists::build(&[(SymbolId(1), &a), (SymbolId(2), &b)])
            .unwrap()
            .unwrap();
        let mut fired = Vec::new();
        p.scan(b"Get your FREE GIFT - Act Now!", |s| fired.push(s));
        fired.sort();
        assert_eq!(fired, vec![SymbolId(1), SymbolId(2)]);
    }
}
