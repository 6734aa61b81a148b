//! The interim plan: what answers while the tuned plan is compiled.
//!
//! Compiling Hyperscan databases is most of a cold start: with the shipped
//! rules, the three email body databases (about 210 patterns each) take 5
//! to 6 s each, the whole tuned plan about 30 s on the project's machine.
//! A cold start must answer sooner than that, so the stage first builds a
//! plan that needs no Hyperscan compile at all:
//!
//! - every regex and literal runs through PCRE2 with JIT, the engine the
//!   tuned plan itself uses for patterns Hyperscan refuses (they keep their
//!   PCRE2 regex) and for the expensive ones tuning moves out of the
//!   databases ([`Placement::Pcre2`]); PCRE2 compiles a pattern in tens of
//!   microseconds where Hyperscan takes milliseconds per database pattern;
//! - every phrase list goes to the target's Aho-Corasick automaton, as
//!   lists too large for Hyperscan already do (same ASCII-caseless
//!   meaning);
//! - block lists are built as always.
//!
//! The same pattern, with the same flags, runs on the same text with PCRE
//! semantics, so the same symbols fire: `tests.rs` scans the seeds with
//! both plans and compares. Scanning is slower (each pattern is a pass over
//! the text, where a database is one pass for all), which is the price of
//! answering in a fraction of a second; the stage swaps in the tuned plan
//! as soon as it is ready.

use crate::stage::signature::build::compile::PreparedPattern;
use crate::stage::signature::tuning::split::{pcre2_equivalent, Decision, Placement};

/// Every pattern to PCRE2 on every text. In the rare case PCRE2 refuses
/// what Hyperscan took, the pattern keeps no regex and the group compiles
/// it alone in a one-pattern database, which is quick.
pub(in crate::stage::signature) fn decisions(patterns: &[&PreparedPattern]) -> Vec<Decision> {
    patterns
        .iter()
        .map(|p| Decision {
            hyperscan_ns_per_kb: None,
            pcre2_ns_per_kb: None,
            expensive: false,
            placement: Placement::Pcre2,
            gate: None,
            regex: pcre2_equivalent(p),
        })
        .collect()
}
