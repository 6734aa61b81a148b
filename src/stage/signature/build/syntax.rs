//! A pattern's syntax tree, parsed once and read by every analysis.
//!
//! The [gates](crate::stage::signature::gate) (literals, word runs,
//! narrowing) and the [lazy DFA](crate::stage::signature::scan::lazy_dfa)
//! translation all read the pattern as `regex-syntax` does. They read one
//! tree, parsed with the rule's own flags, so that they cannot disagree on
//! what the pattern means, and a 1,500-rule set is not parsed three times.
//!
//! Unicode is off: with it off, `regex-syntax` and PCRE agree on classes
//! (`\w`, `\s`, `\d`, POSIX), `\b`, ASCII-only caseless matching and `.`
//! (see the lazy DFA's tests). `\<`, `\>` and `\b{…}` are word boundaries to
//! `regex-syntax` but a literal `<`, `>` and a repeated `\b` to PCRE, so a
//! pattern containing them has no tree here (refusing a few extra, such as
//! an escaped backslash before `<`, only costs a gate or a DFA); so have
//! the patterns `regex-syntax` refuses (look-around, back-references).
//! Patterns Hyperscan cannot run exactly (a PCRE2 confirm) may still have a
//! tree: the gates read it (a condition every match of a looser reading
//! needs is needed by the exact one too), the lazy DFA does not.

use regex_syntax::hir::Hir;

use crate::rules::Flags;

/// The tree of `pattern` with the rule's caseless, multi-line and dot-all
/// flags applied, or `None` where `regex-syntax` would not read it as PCRE
/// does. The `u` flag is left to each reader: the tree is the ASCII
/// reading.
pub(in crate::stage::signature) fn parse(pattern: &str, flags: Flags) -> Option<Hir> {
    if ["\\<", "\\>", "\\b{", "\\B{"]
        .iter()
        .any(|s| pattern.contains(s))
    {
        return None;
    }
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .case_insensitive(flags.caseless)
        .multi_line(flags.multi_line)
        .dot_matches_new_line(flags.dot_all)
        .build()
        .parse(pattern)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_pcre_reads_differently_or_regex_syntax_cannot_read() {
        for refused in [r"\<font\>", r"\b{start}x", r"(?<=a)b", r"\b(\w+)\s+\1\b"] {
            assert!(parse(refused, Flags::default()).is_none(), "{refused}");
        }
        assert!(parse(r"\bfree\s+cash\b", Flags::default()).is_some());
    }

    #[test]
    fn applies_the_rule_flags() {
        let caseless = Flags {
            caseless: true,
            ..Flags::default()
        };
        assert_ne!(parse("win", caseless), parse("win", Flags::default()));
        assert_eq!(parse("win", caseless), parse("(?i)win", Flags::default()));
    }
}
