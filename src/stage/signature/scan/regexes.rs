//! PCRE2 regexes matched with per-thread state.
//!
//! `pcre2::bytes::Regex` keeps its match data in a pool whose fast path
//! belongs to the first thread that uses it; every other thread takes a
//! mutex on each match. A lock on the per-message path is what the pipeline
//! must not have, so each scanning thread gets its own clones (they share the
//! compiled, JIT-ed code) in its scratch, and the compiled groups refer to a
//! regex by its slot.

use std::sync::Arc;

/// Index of a regex in the stage's [`RegexRegistry`] and in every thread's clones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::stage::signature) struct RegexSlot(u32);

impl RegexSlot {
    /// Matches `text` with this thread's clone; a PCRE2 error (match or
    /// depth limit) counts as no match.
    pub fn is_match(self, regexes: &[pcre2::bytes::Regex], text: &[u8]) -> bool {
        regexes[self.0 as usize].is_match(text).unwrap_or(false)
    }
}

/// Every PCRE2 regex the stage uses, each once.
#[derive(Default)]
pub(in crate::stage::signature) struct RegexRegistry {
    regexes: Vec<Arc<pcre2::bytes::Regex>>,
}

impl RegexRegistry {
    /// The slot of `regex`, registering it on first sight.
    pub fn add(&mut self, regex: &Arc<pcre2::bytes::Regex>) -> RegexSlot {
        let index = match self.regexes.iter().position(|r| Arc::ptr_eq(r, regex)) {
            Some(index) => index,
            None => {
                self.regexes.push(Arc::clone(regex));
                self.regexes.len() - 1
            }
        };
        RegexSlot(index as u32)
    }

    /// One thread's clones, indexed by slot.
    pub fn clones(&self) -> Vec<pcre2::bytes::Regex> {
        self.regexes
            .iter()
            .map(|r| pcre2::bytes::Regex::clone(r))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_regex_same_slot_and_clones_match_alike() {
        let a = Arc::new(pcre2::bytes::Regex::new(r"\b(\w+) \1\b").unwrap());
        let b = Arc::new(pcre2::bytes::Regex::new("x").unwrap());
        let mut registry = RegexRegistry::default();
        let slot_a = registry.add(&a);
        assert_eq!(registry.add(&a), slot_a);
        let slot_b = registry.add(&b);
        assert_ne!(slot_a, slot_b);
        let clones = registry.clones();
        assert!(slot_a.is_match(&clones, b"go go"));
        assert!(!slot_a.is_match(&clones, b"go on"));
        assert!(slot_b.is_match(&clones, b"xyz"));
    }
}
