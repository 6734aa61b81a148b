//! The word-run gate, for expensive patterns without any literal.
//!
//! Patterns such as `\b[a-z0-9]{24,}\b` or `(?:\w+[\s_]){2}\w{22,}` have no
//! literal to gate on, and cost Hyperscan 1–3 µs per KB alone (profiled on
//! the built-in sample). But every match contains a run of at least N
//! consecutive word bytes, and most texts have no run that long: words are
//! short, and only hashes, tracking ids and long URLs make long runs. The
//! longest run of a text is one [pass](crate::stage::signature::gate::word_bytes) over it, so such a
//! pattern runs only on texts whose longest run reaches its N.
//!
//! *Word byte* here is ASCII `[0-9A-Za-z_]` or any byte ≥ 0x80: a superset
//! of what `\w` matches in any mode (Unicode `\w` with `u`, and the UTF-8
//! bytes of non-ASCII letters a caseless ASCII letter may fold to), so the
//! gate stays a necessary condition.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::stage::signature::gate::word_bytes::{each_word_run, WordClass};

/// Gates on shorter runs would open for ordinary words (English words
/// above 12 letters are rare; runs of 12 are common in base64 and ids).
pub(in crate::stage::signature) const MIN_WORD_RUN: usize = 12;

/// Whether `b` can be part of a `\w` match in any mode.
fn is_word_byte(b: u8) -> bool {
    WordClass::AsciiAndHigh.contains(b)
}

/// Every run of word bytes in `text` at least [`MIN_WORD_RUN`] long, as
/// (start, end), in order: all that a word-run gate needs to know.
pub(in crate::stage::signature) fn long_word_runs(text: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    each_word_run(text, WordClass::AsciiAndHigh, |start, end| {
        if end - start >= MIN_WORD_RUN {
            out.push((start, end));
        }
    });
}

/// The longest run of word bytes in `text`.
pub(in crate::stage::signature) fn longest_word_run(text: &[u8]) -> usize {
    let mut longest = 0;
    each_word_run(text, WordClass::AsciiAndHigh, |start, end| {
        longest = longest.max(end - start)
    });
    longest
}

/// The length of a word-byte run every match of `pattern` contains, or 0
/// when unknown. Patterns `regex-syntax` cannot parse have no `hir` and
/// no word-run gate.
pub(in crate::stage::signature) fn required_word_run(hir: &Hir) -> usize {
    runs(hir).required
}

struct Runs {
    /// Every match is made only of word bytes, at least this many.
    all_word: Option<usize>,
    /// Every match contains a run of at least this many word bytes.
    required: usize,
}

fn class_is_word(class: &Class) -> bool {
    match class {
        Class::Bytes(c) => c.iter().all(|r| (r.start()..=r.end()).all(is_word_byte)),
        Class::Unicode(c) => c
            .iter()
            .all(|r| (r.start()..=r.end()).all(|ch| !ch.is_ascii() || is_word_byte(ch as u8))),
    }
}

fn runs(hir: &Hir) -> Runs {
    match hir.kind() {
        // Zero-width: transparent to a run of the surrounding bytes.
        HirKind::Empty | HirKind::Look(_) => Runs {
            all_word: Some(0),
            required: 0,
        },
        HirKind::Literal(lit) => {
            let longest = longest_word_run(&lit.0);
            Runs {
                all_word: (longest == lit.0.len()).then_some(longest),
                required: longest,
            }
        }
        HirKind::Class(class) => {
            let word = class_is_word(class);
            Runs {
                all_word: word.then_some(1),
                required: usize::from(word),
            }
        }
        HirKind::Capture(cap) => runs(&cap.sub),
        HirKind::Repetition(rep) => {
            let sub = runs(&rep.sub);
            let min = rep.min as usize;
            let all_word = sub.all_word.map(|n| n.saturating_mul(min));
            Runs {
                all_word,
                required: if min == 0 {
                    0
                } else {
                    all_word.unwrap_or(0).max(sub.required)
                },
            }
        }
        HirKind::Concat(parts) => {
            let (mut run, mut required, mut all) = (0usize, 0usize, Some(0usize));
            for part in parts.iter().map(runs) {
                required = required.max(part.required);
                match part.all_word {
                    Some(n) => run = run.saturating_add(n),
                    None => run = 0,
                }
                required = required.max(run);
                all = all.zip(part.all_word).map(|(a, n)| a.saturating_add(n));
            }
            Runs {
                all_word: all,
                required,
            }
        }
        HirKind::Alternation(branches) => {
            let all: Vec<Runs> = branches.iter().map(runs).collect();
            Runs {
                all_word: all
                    .iter()
                    .map(|r| r.all_word)
                    .collect::<Option<Vec<usize>>>()
                    .and_then(|v| v.into_iter().min()),
                required: all.iter().map(|r| r.required).min().unwrap_or(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Flags;
    use crate::stage::signature::build::syntax::parse;

    fn run(pattern: &str) -> usize {
        parse(pattern, Flags::default()).map_or(0, |hir| required_word_run(&hir))
    }

    #[test]
    fn finds_the_run_every_match_contains() {
        assert_eq!(run(r"\b[a-z0-9]{24,}\b"), 24);
        assert_eq!(run(r"(?:\w+[\s_]){2}\w{22,}"), 22);
        assert_eq!(run(r"(?:[a-z]\d){6,}"), 12);
        assert_eq!(run(r"id=[a-f0-9]{16,}"), 16);
        assert_eq!(run(r"[a-z]{20}|\d{3}"), 3);
        assert_eq!(run(r"(?:x{30})?y"), 1);
        assert_eq!(run(r"\b(\w{4,})\s+\1\b"), 0);
    }

    #[test]
    fn measures_the_longest_run_of_a_text() {
        assert_eq!(longest_word_run(b"ab cd_ef-123456"), 6);
        assert_eq!(longest_word_run("naïve".as_bytes()), 6);
        assert_eq!(longest_word_run(b""), 0);
    }
}
