//! The repeated-word gate, for the classic back-reference idiom
//! `\b(\w{N,}+)(?:[\s,.!]++\1\b){K,}` ("free free free free").
//!
//! Hyperscan cannot run a back-reference, and its prefilter form (four
//! words in a row) matches nearly every text, so such a rule runs in PCRE2
//! on every text: about 5 ns a byte, because PCRE2 tries a match at every
//! word start. That was 8% of all CPU time on mail and SMS for one rule of
//! 0.7 points. But every match holds K+1 *equal words in a row*: the group
//! is a whole word (a word boundary before it, and a separator class without
//! word characters after it), and each back-reference is followed by a word
//! boundary. Finding such a run is one linear pass over the text, so the
//! rule runs only on the few texts that have one. (Asking for only two equal
//! words in a row, as the first version did, let PCRE2 run on 1 generated SMS
//! in 6: "bye bye", "very very".)
//!
//! The idiom is recognised on the pattern text, in exactly this shape or
//! with the back-references written out (`\b(\w{4,})\s+\1\s+\1\b`, common
//! in SpamAssassin-style sets); any other pattern gets no gate and runs as
//! before. Patterns with the `u` flag are refused: their `\w` is Unicode,
//! and the pass below knows ASCII words.

use crate::rules::Flags;
use crate::stage::signature::gate::word_bytes::{each_word_run, WordClass};

/// `min_repeats + 1` words in a row are equal (ASCII case folded when
/// `caseless`), at least `min_len` bytes long, and separated only by
/// `separators`.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::stage::signature) struct RepeatedWord {
    min_len: usize,
    /// K in `{K,}`: the repeats after the first word.
    min_repeats: usize,
    pass: WordPass,
}

/// The pass over a text that gates with the same separators and case
/// folding share: rule sets repeat the idiom with different lengths and
/// counts (27 times in the 1,500-rule set, all with `\s+` and caseless).
#[derive(Clone, Debug, PartialEq)]
pub(in crate::stage::signature) struct WordPass {
    /// Bit `b` is set when byte `b` may separate the words.
    separators: [u64; 4],
    caseless: bool,
}

/// Word lengths counted apart; longer words count as this long.
const LONG: usize = 32;

/// What a [`WordPass`] found: for each word length, the longest run of
/// equal words of that length in a row.
#[derive(Clone, Debug)]
pub(in crate::stage::signature) struct EqualRuns([u32; LONG + 1]);

/// The gate of `pattern`, if it is the repeated-word idiom, in either of
/// its two spellings: a repeated group, `\b(\w{N,}+)(?:[SEP]++\1\b){K,}`, or
/// the back-references written out, `\b(\w{N,})\s+\1\s+\1\b` (K = 2).
pub(in crate::stage::signature) fn recognise(pattern: &str, flags: Flags) -> Option<RepeatedWord> {
    if flags.utf8 {
        return None;
    }
    let rest = pattern.strip_prefix(r"\b(\w{")?;
    let (min_len, rest) = rest.split_once(",}")?;
    let min_len: usize = min_len.parse().ok().filter(|&n| n >= 1)?;
    let rest = rest
        .strip_prefix("+)")
        .or_else(|| rest.strip_prefix("?)"))
        .or_else(|| rest.strip_prefix(')'))?;
    let (separators, min_repeats) = match rest.strip_prefix("(?:") {
        Some(group) => repeated_group(group)?,
        None => written_out(rest)?,
    };
    Some(RepeatedWord {
        min_len,
        min_repeats,
        pass: WordPass {
            separators,
            caseless: flags.caseless,
        },
    })
}

/// `[SEP]++\1\b){K,}`: the separators and K.
fn repeated_group(group: &str) -> Option<([u64; 4], usize)> {
    let (separators, rest) = separator_run(group)?;
    let rest = rest.strip_prefix(r"\1\b)")?;
    Some((separators, min_repeats(rest)?))
}

/// `SEP+\1` one or more times, then `\b`: the separators (of all the gaps)
/// and the number of back-references. Every back-reference but the last is
/// followed by a separator, which is not a word byte, and the last by `\b`,
/// so each repeats the whole word.
fn written_out(mut rest: &str) -> Option<([u64; 4], usize)> {
    let mut separators = [0u64; 4];
    let mut repeats = 0;
    while rest != r"\b" {
        let (set, after) = separator_run(rest)?;
        rest = after.strip_prefix(r"\1")?;
        separators
            .iter_mut()
            .zip(set)
            .for_each(|(all, s)| *all |= s);
        repeats += 1;
    }
    (repeats > 0).then_some((separators, repeats))
}

/// A run of separators, `[class]+` or `\s+` (possessive or not): its bytes
/// and the rest of the pattern.
fn separator_run(pattern: &str) -> Option<([u64; 4], &str)> {
    let (class, rest) = match pattern.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']')?,
        None => (pattern.get(..2).filter(|s| *s == r"\s")?, &pattern[2..]),
    };
    let separators = separator_class(class)?;
    let rest = rest.strip_prefix("++").or_else(|| rest.strip_prefix('+'))?;
    Some((separators, rest))
}

/// The bytes of a class body made of `\s`, `\t`, `\n`, `\r` and ASCII
/// punctuation (escaped or not); `None` for anything else, word characters,
/// ranges and negation included.
fn separator_class(class: &str) -> Option<[u64; 4]> {
    let mut set = [0u64; 4];
    let mut add = |b: u8| set[usize::from(b / 64)] |= 1 << (b % 64);
    let mut bytes = class.bytes();
    let mut any = false;
    while let Some(b) = bytes.next() {
        any = true;
        match b {
            b'\\' => match bytes.next()? {
                b's' => b" \t\n\x0b\x0c\r".iter().for_each(|&c| add(c)),
                b't' => add(b'\t'),
                b'n' => add(b'\n'),
                b'r' => add(b'\r'),
                c if c.is_ascii_punctuation() => add(c),
                _ => return None,
            },
            b'^' | b'-' | b'[' | b'_' => return None,
            c if c.is_ascii_punctuation() || c == b' ' => add(c),
            _ => return None,
        }
    }
    any.then_some(set)
}

/// K of a repeat quantifier `+`, `{K,}`, `{K,M}` (lazy or possessive too),
/// if at least 1.
fn min_repeats(quantifier: &str) -> Option<usize> {
    let q = quantifier
        .strip_suffix('+')
        .filter(|q| !q.is_empty())
        .or_else(|| quantifier.strip_suffix('?'))
        .unwrap_or(quantifier);
    if q == "+" {
        return Some(1);
    }
    let inner = q.strip_prefix('{')?.strip_suffix('}')?;
    let min = inner.split(',').next().unwrap_or("");
    min.parse::<usize>().ok().filter(|&k| k >= 1)
}

impl RepeatedWord {
    pub(in crate::stage::signature) fn pass(&self) -> &WordPass {
        &self.pass
    }

    /// Whether the pass found a run of equal words the idiom could match.
    pub(in crate::stage::signature) fn opens(&self, runs: &EqualRuns) -> bool {
        runs.0[self.min_len.min(LONG)..]
            .iter()
            .any(|&run| run as usize > self.min_repeats)
    }

    #[cfg(test)]
    fn occurs(&self, text: &[u8]) -> bool {
        self.opens(&self.pass.runs(text))
    }
}

impl WordPass {
    fn separates(&self, b: u8) -> bool {
        self.separators[usize::from(b / 64)] & (1 << (b % 64)) != 0
    }

    /// One pass over `text`: each word is compared with the previous one
    /// only when the two have the same length and only separators lie
    /// between them.
    pub(in crate::stage::signature) fn runs(&self, text: &[u8]) -> EqualRuns {
        let mut runs = EqualRuns([0; LONG + 1]);
        let mut previous: Option<(usize, usize)> = None;
        // Equal words in a row so far, ending with the previous word.
        let mut run = 1;
        each_word_run(text, WordClass::Ascii, |start, end| {
            let len = end - start;
            let equal = previous.is_some_and(|(p, p_end)| {
                let (a, b) = (&text[p..p_end], &text[start..end]);
                p_end - p == len
                    && text[p_end..start].iter().all(|&b| self.separates(b))
                    && ((self.caseless && a.eq_ignore_ascii_case(b)) || a == b)
            });
            run = if equal { run + 1 } else { 1 };
            let longest = &mut runs.0[len.min(LONG)];
            *longest = (*longest).max(run);
            previous = Some((start, end));
        });
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDIOM: &str = r"\b(\w{3,}+)(?:[\s,.!]++\1\b){3,}";

    fn caseless() -> Flags {
        Flags {
            caseless: true,
            ..Flags::default()
        }
    }

    #[test]
    fn recognises_only_the_idiom() {
        assert!(recognise(IDIOM, caseless()).is_some());
        assert!(recognise(r"\b(\w{2,})(?:[ \-]+\1\b)+", Flags::default()).is_some());
        let written = recognise(r"\b(\w{4,})\s+\1[,.]+\1\b", caseless()).unwrap();
        assert_eq!(written.min_repeats, 2);
        let pass = written.pass();
        assert!(pass.separates(b' ') && pass.separates(b',') && !pass.separates(b'-'));
        for other in [
            r"\b(\w{3,}+)(?:[\s,.!]++\1\b)*",
            r"\b(\w{3,}+)(?:[\s\w]++\1\b){3,}",
            r"\b(\w{3,}+)(?:[^a]++\1\b){3,}",
            r"\b(\w{3,}+)(?:[\s,.!]++\1){3,}",
            r"(\w{3,}+)(?:[\s,.!]++\1\b){3,}",
            r"\b(\w{3,}+)(?:[\s,.!]++\1\b){3,}x",
            r"\b(\w{3,})\s+\1",
            r"\b(\w{3,})\s*\1\b",
            r"\b(\w{3,})\s+\1\s+\b",
            r"\b(\w{3,})\b",
            r"\b(\w{3,})\s+\1\w\b",
        ] {
            assert_eq!(recognise(other, caseless()), None, "{other}");
        }
        let utf8 = Flags {
            utf8: true,
            ..caseless()
        };
        assert_eq!(recognise(IDIOM, utf8), None);
    }

    #[test]
    fn opens_on_as_many_equal_words_in_a_row_as_the_idiom_needs() {
        let gate = recognise(IDIOM, caseless()).unwrap();
        assert!(gate.occurs(b"get FREE free, free! free now"));
        assert!(!gate.occurs(b"bye bye, very very nice"), "two are not four");
        assert!(gate.occurs(b"win win win, win"), "four in a row");
        assert!(!gate.occurs(b"win win win"), "three are not four");
        assert!(
            !gate.occurs(b"free free free cash free"),
            "the run must be unbroken"
        );
        assert!(!gate.occurs(b"no no no no"), "shorter than three");
        assert!(!gate.occurs(b"free - free"), "'-' is not a separator here");
        assert!(!gate.occurs(b"free freedom"));
        assert!(!gate.occurs(b"free cash free cash"));
        let exact = recognise(IDIOM, Flags::default()).unwrap();
        assert!(!exact.occurs(b"Free free"));
    }

    #[test]
    fn gates_with_the_same_separators_share_one_pass() {
        let pair = recognise(r"\b(\w{3,})\s+\1\b", caseless()).unwrap();
        let triple = recognise(r"\b(\w{5,})\s+\1\s+\1\b", caseless()).unwrap();
        assert_eq!(pair.pass(), triple.pass());
        let runs = pair.pass().runs(b"buy BUY now, hello hello");
        assert!(pair.opens(&runs));
        assert!(!triple.opens(&runs), "two hellos are not three");
        let runs = pair.pass().runs(b"hello hello Hello");
        assert!(pair.opens(&runs) && triple.opens(&runs));
        let long = "x".repeat(40);
        let runs = pair.pass().runs(format!("{long} {long} {long}").as_bytes());
        assert!(triple.opens(&runs), "words longer than the table count");
    }

    /// The gate is a necessary condition: wherever PCRE2 finds the idiom,
    /// in either spelling, the gate is open.
    #[test]
    fn never_closed_where_pcre2_matches() {
        for idiom in [IDIOM, r"\b(\w{3,})\s+\1\b", r"\b(\w{2,})\s+\1[!,]+\1\b"] {
            let re = pcre2::bytes::RegexBuilder::new()
                .caseless(true)
                .build(idiom)
                .unwrap();
            let gate = recognise(idiom, caseless()).unwrap();
            let words = ["buy", "BUY", "now", "bu", "buyer", "é", "_x_"];
            let seps = [" ", ", ", "!", " - ", "\n", "", "é"];
            let mut state = 7u64;
            let mut matched = 0;
            for _ in 0..20_000 {
                let mut text = String::new();
                for _ in 0..8 {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    text.push_str(words[(state % 7) as usize]);
                    text.push_str(seps[((state >> 8) % 7) as usize]);
                }
                if re.is_match(text.as_bytes()).unwrap() {
                    matched += 1;
                    assert!(gate.occurs(text.as_bytes()), "{idiom}: {text:?}");
                }
            }
            assert!(
                matched > 20,
                "the texts exercise {idiom} ({matched} matches)"
            );
        }
    }
}
