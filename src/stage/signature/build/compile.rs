//! Choosing an engine for each pattern and compiling the per-target
//! Hyperscan databases.
//!
//! Hyperscan runs every regex and literal of a target in one pass, but
//! refuses look-around and back-references. Those patterns still run: where
//! Hyperscan accepts a relaxed version (`HS_FLAG_PREFILTER`, which may
//! over-match but never misses) it finds candidates and PCRE2 confirms them;
//! where it accepts nothing, PCRE2 runs alone.

use std::sync::{Arc, OnceLock};

use hyperscan::prelude::*;
use hyperscan::CompileFlags;
use serde::Serialize;

use regex_syntax::hir::Hir;

use crate::rules::Flags;
use crate::stage::signature::build::syntax;

/// The engine a pattern takes; `rules check` reports it per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnginePath {
    /// Matched in the target's Hyperscan database.
    Hyperscan,
    /// Hyperscan prefilter finds candidates, PCRE2 confirms.
    Prefilter,
    /// PCRE2 alone, on every message of its channels.
    Pcre2,
    /// A phrase list as caseless literals in the target's Hyperscan database.
    PhraseLiterals,
    /// A phrase list too large for that, in the target's Aho-Corasick automaton.
    AhoCorasick,
    /// A block list in a hash set.
    HashSet,
    /// A block list in a Bloom filter with an exact confirm.
    Bloom,
}

impl EnginePath {
    /// The name `rules check` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            EnginePath::Hyperscan => "hyperscan",
            EnginePath::Prefilter => "hyperscan-prefilter+pcre2",
            EnginePath::Pcre2 => "pcre2",
            EnginePath::PhraseLiterals => "hyperscan-literals",
            EnginePath::AhoCorasick => "aho-corasick",
            EnginePath::HashSet => "hash-set",
            EnginePath::Bloom => "bloom+exact",
        }
    }
}

/// A pattern ready to compile: the expression Hyperscan reads, its flags, and
/// the PCRE2 regex that confirms it where Hyperscan cannot decide alone.
pub(in crate::stage::signature) struct PreparedPattern {
    pub expression: String,
    pub flags: CompileFlags,
    pub path: EnginePath,
    pub confirm: Option<Arc<pcre2::bytes::Regex>>,
    /// The rule's flags, to build a PCRE2 equivalent when one is wanted.
    pub rule_flags: Flags,
    /// The expression's [syntax tree](syntax), parsed on first use: most
    /// patterns (phrase-list literals, cheap patterns) are never analysed.
    syntax: OnceLock<Option<Hir>>,
}

impl PreparedPattern {
    /// What makes two patterns one: the same expression with the same
    /// flags (rule sets repeat patterns under several ids).
    pub fn key(&self) -> (&str, u32) {
        (self.expression.as_str(), self.flags.bits())
    }

    /// The expression as `regex-syntax` reads it with the rule's flags, the
    /// one tree every analysis (gates, lazy DFA) reads; `None` where it
    /// would not read it as PCRE does.
    pub fn syntax(&self) -> Option<&Hir> {
        self.syntax
            .get_or_init(|| syntax::parse(&self.expression, self.rule_flags))
            .as_ref()
    }
}

/// Decides the engine of a regex and validates it. The error is for the operator.
pub(in crate::stage::signature) fn prepare_regex(
    pattern: &str,
    flags: Flags,
) -> Result<PreparedPattern, String> {
    let hs_flags = hs_flags(flags);
    let hs_info = Pattern::with_flags(pattern, hs_flags).and_then(|p| p.info());
    // Hyperscan refuses such a pattern only when it compiles the database,
    // which the interim plan never does: say so here, at every build.
    if hs_info.as_ref().is_ok_and(|info| info.min_width() == 0) {
        return Err(format!("pattern /{pattern}/ can match the empty string"));
    }
    if hs_info.is_ok() {
        return Ok(PreparedPattern {
            expression: pattern.to_string(),
            flags: hs_flags,
            path: EnginePath::Hyperscan,
            confirm: None,
            rule_flags: flags,
            syntax: OnceLock::new(),
        });
    }
    let hs_error = hs_info.err().map(|e| e.to_string()).unwrap_or_default();
    if hs_error.contains("empty") {
        return Err(format!("pattern /{pattern}/ can match the empty string"));
    }
    let regex = pcre2_regex(pattern, flags).map_err(|e| format!("pattern /{pattern}/: {e}"))?;
    if regex.is_match(b"").unwrap_or(false) {
        return Err(format!("pattern /{pattern}/ can match the empty string"));
    }
    let prefilter_flags = hs_flags | CompileFlags::PREFILTER;
    let path = match Pattern::with_flags(pattern, prefilter_flags).and_then(|p| p.info()) {
        Ok(_) => EnginePath::Prefilter,
        Err(_) => EnginePath::Pcre2,
    };
    Ok(PreparedPattern {
        expression: pattern.to_string(),
        flags: prefilter_flags,
        path,
        confirm: Some(Arc::new(regex)),
        rule_flags: flags,
        syntax: OnceLock::new(),
    })
}

/// A literal as a Hyperscan expression: every byte that is not alphanumeric
/// escaped, so that no character of the literal is read as syntax.
pub(in crate::stage::signature) fn prepare_literal(literal: &str, flags: Flags) -> PreparedPattern {
    let mut expression = String::with_capacity(literal.len() * 2);
    for &b in literal.as_bytes() {
        if b.is_ascii_alphanumeric() {
            expression.push(b as char);
        } else {
            expression.push_str(&format!("\\x{b:02x}"));
        }
    }
    let flags = Flags {
        utf8: false,
        ..flags
    };
    PreparedPattern {
        expression,
        flags: hs_flags(flags),
        path: EnginePath::Hyperscan,
        confirm: None,
        rule_flags: flags,
        syntax: OnceLock::new(),
    }
}

fn hs_flags(flags: Flags) -> CompileFlags {
    let mut out = CompileFlags::SINGLEMATCH;
    if flags.caseless {
        out |= CompileFlags::CASELESS;
    }
    if flags.multi_line {
        out |= CompileFlags::MULTILINE;
    }
    if flags.dot_all {
        out |= CompileFlags::DOTALL;
    }
    if flags.utf8 {
        out |= CompileFlags::UTF8 | CompileFlags::UCP;
    }
    out
}

pub(in crate::stage::signature) fn pcre2_regex(
    pattern: &str,
    flags: Flags,
) -> Result<pcre2::bytes::Regex, pcre2::Error> {
    pcre2::bytes::RegexBuilder::new()
        .caseless(flags.caseless)
        .multi_line(flags.multi_line)
        .dotall(flags.dot_all)
        .utf(flags.utf8)
        .ucp(flags.utf8)
        .jit_if_available(true)
        .build(pattern)
}

/// Compiles one block-mode database; pattern `i` reports id `i`. On failure,
/// returns the index of the offending pattern where Hyperscan names one.
pub(in crate::stage::signature) fn compile_database(
    patterns: &[&PreparedPattern],
) -> Result<BlockDatabase, (Option<usize>, String)> {
    let mut list = Vec::with_capacity(patterns.len());
    for (i, p) in patterns.iter().enumerate() {
        let mut pattern = Pattern::with_flags(p.expression.as_str(), p.flags)
            .map_err(|e| (Some(i), e.to_string()))?;
        pattern.id = Some(i);
        list.push(pattern);
    }
    Patterns(list)
        .build::<hyperscan::BlockMode>()
        .map_err(|err| match err {
            hyperscan::Error::Hyperscan(hyperscan::HsError::CompileError(ref ce)) => {
                (ce.expression(), ce.message().to_string())
            }
            other => (None, other.to_string()),
        })
}
