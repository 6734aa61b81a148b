//! The word-run gate narrows the text, not only opens it.
//!
//! A pattern behind the [word-run gate](crate::stage::signature::gate::word_run) runs on every text
//! with a long enough run of word bytes, and base64 has such runs on most
//! lines: over the phishing corpus's raw bodies the gate of
//! `(?:\w+[\s_]){3}\w{18,}` opens for 71% of the mails, and the four
//! word-run patterns of the 1,500 hard rules' `rawbody` target cost 35 to
//! 50 µs a mail. Yet a match is made only of bytes the pattern can match
//! at all (for that pattern `[\w\s]`), so it lies within one stretch of
//! such bytes, and that stretch holds the long run. Only those stretches
//! are scanned: on those raw bodies, 18–25% of the bytes.
//!
//! *Exactly the same matches.* The stretches are joined by a byte the
//! pattern cannot match, so no match spans two. Their set of bytes always
//! holds every ASCII word byte, so what lies just outside a stretch, in the
//! text or in the narrowed copy (the joining byte, or the end), is a
//! non-word byte or the end, and `\b` and `\B` decide as they would in the
//! text. Patterns with any other assertion (`^`, `$`, `\A`) are not
//! narrowed, nor `u` patterns or anything `regex-syntax` reads differently
//! from PCRE.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

use crate::rules::Flags;
use crate::stage::signature::gate::word_bytes::WordClass;

/// The bytes a pattern's matches can be made of, and a byte outside them
/// to join the stretches with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::stage::signature) struct Narrowing {
    bytes: ByteSet,
    joint: u8,
}

/// A set of bytes, a bit each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }
}

impl Narrowing {
    /// For a pattern that can be narrowed: one whose assertions are all
    /// ASCII word boundaries and whose bytes leave one out.
    pub fn of(hir: &Hir, flags: Flags) -> Option<Narrowing> {
        if flags.utf8 {
            return None;
        }
        let mut bytes = ByteSet::default();
        (0..=255u8)
            .filter(|&b| WordClass::Ascii.contains(b))
            .for_each(|b| bytes.insert(b));
        closure(hir, &mut bytes)?;
        let joint = (0..=255u8).find(|&b| !bytes.contains(b))?;
        Some(Narrowing { bytes, joint })
    }

    fn has(&self, b: u8) -> bool {
        self.bytes.contains(b)
    }

    /// Appends to `out` each stretch of `text` made of the pattern's bytes
    /// that holds `n` of them in a row within one of `runs` (the text's
    /// runs of word bytes, in order), each followed by the joint. Nothing
    /// is appended when no stretch qualifies: the pattern cannot match.
    pub fn narrow(&self, text: &[u8], runs: &[(usize, usize)], n: usize, out: &mut Vec<u8>) {
        let mut done = 0;
        for &(start, end) in runs.iter().filter(|(s, e)| e - s >= n) {
            let mut at = start.max(done);
            while at < end {
                let from = at;
                if text[from..end].is_ascii() {
                    // ASCII word bytes, all of them the pattern's.
                    at = end;
                }
                while at < end && self.has(text[at]) {
                    at += 1;
                }
                if at - from >= n {
                    let first = text[..from]
                        .iter()
                        .rposition(|&b| !self.has(b))
                        .map_or(0, |i| i + 1);
                    let last = text[at..]
                        .iter()
                        .position(|&b| !self.has(b))
                        .map_or(text.len(), |i| at + i);
                    out.extend_from_slice(&text[first..last]);
                    out.push(self.joint);
                    done = last;
                    at = last;
                }
                at += 1;
            }
        }
    }
}

/// Adds every byte a match of `hir` can contain to `bytes`; `None` for an
/// assertion other than a word boundary.
fn closure(hir: &Hir, bytes: &mut ByteSet) -> Option<()> {
    match hir.kind() {
        HirKind::Empty => Some(()),
        HirKind::Look(Look::WordAscii | Look::WordAsciiNegate) => Some(()),
        HirKind::Look(_) => None,
        HirKind::Literal(lit) => {
            lit.0.iter().for_each(|&b| bytes.insert(b));
            Some(())
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.iter() {
                (range.start()..=range.end()).for_each(|b| bytes.insert(b));
            }
            Some(())
        }
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.iter() {
                let (start, end) = (u8::try_from(range.start()), u8::try_from(range.end()));
                let (Ok(start), Ok(end @ 0..=0x7f)) = (start, end) else {
                    return None;
                };
                (start..=end).for_each(|b| bytes.insert(b));
            }
            Some(())
        }
        HirKind::Repetition(rep) => closure(&rep.sub, bytes),
        HirKind::Capture(cap) => closure(&cap.sub, bytes),
        HirKind::Concat(all) | HirKind::Alternation(all) => {
            all.iter().try_for_each(|h| closure(h, bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::signature::build::syntax::parse;
    use crate::stage::signature::gate::word_bytes::each_word_run;

    fn narrowing(pattern: &str, flags: Flags) -> Option<Narrowing> {
        Narrowing::of(&parse(pattern, flags)?, flags)
    }

    fn flags(caseless: bool) -> Flags {
        Flags {
            caseless,
            ..Flags::default()
        }
    }

    fn narrowed(pattern: &str, caseless: bool, n: usize, text: &[u8]) -> Vec<u8> {
        let narrowing = narrowing(pattern, flags(caseless)).expect("narrows");
        let mut runs = Vec::new();
        each_word_run(text, WordClass::AsciiAndHigh, |s, e| runs.push((s, e)));
        let mut out = Vec::new();
        narrowing.narrow(text, &runs, n, &mut out);
        out
    }

    #[test]
    fn knows_the_bytes_of_a_pattern() {
        let n = narrowing(r"(?:\w+[\s_]){3}\w{18,}", flags(false)).expect("narrows");
        assert!(n.has(b'a') && n.has(b'_') && n.has(b' ') && n.has(b'\n'));
        assert!(
            n.has(0x0b) && n.has(0x0c),
            "PCRE's and Hyperscan's \\s has VT and FF"
        );
        assert!(!n.has(b'+') && !n.has(b'/') && !n.has(0x80));
        assert_eq!(n.joint, 0, "the first byte outside");
        let caseless = narrowing(r"\b[a-z]{20,}\b", flags(true)).expect("narrows");
        assert!(
            caseless.has(b'Q') && caseless.has(b'7'),
            "word bytes are always in"
        );
        assert!(!caseless.has(b' '));
        let dot = narrowing(r"x.{12,}", flags(false)).expect("narrows");
        assert_eq!(dot.joint, b'\n');
        assert!(
            narrowing(r"(?s)x.{12,}", flags(false)).is_none(),
            "no byte left out"
        );
        assert!(narrowing(r"^\w{12,}", flags(false)).is_none());
        assert!(narrowing(r"\w{12,}$", flags(false)).is_none());
        assert!(narrowing(r"\<\w{12,}", flags(false)).is_none());
        assert!(narrowing(r"(?<=a)\w{12,}", flags(false)).is_none());
    }

    /// Words of 1 to 30 bytes (letters of both cases, digits, `_`, a UTF-8
    /// letter) between separators (spaces, newlines, base64's `+` and `/`,
    /// punctuation).
    fn random_text(seed: u64) -> Vec<u8> {
        let mut random = crate::stage::signature::tuning::dfa_choice::xorshift(seed);
        let mut next = move |below: u64| (random() % below) as usize;
        let word: &[&[u8]] = &[
            b"a",
            b"Z",
            b"q",
            b"7",
            b"_",
            b"e",
            b"X",
            "\u{e9}".as_bytes(),
        ];
        let gaps: &[&[u8]] = &[b" ", b"\n", b"+", b"/", b"; ", b"=", b"@", b"_", b" - "];
        let mut text = Vec::new();
        for _ in 0..next(40) {
            for _ in 0..1 + next(30) {
                text.extend_from_slice(word[next(word.len() as u64)]);
            }
            text.extend_from_slice(gaps[next(gaps.len() as u64)]);
        }
        text
    }

    /// PCRE2, which agrees with Hyperscan on these patterns, finds a match
    /// in the narrowed text exactly when it finds one in the text.
    #[test]
    fn finds_a_match_in_the_narrowed_text_exactly_when_the_text_has_one() {
        // (pattern, caseless, whether most texts narrow to under half)
        let patterns = [
            (r"(?:\w+[\s_]){3}\w{12,}", false, true),
            (r"\b[a-z0-9]{14,}\b", true, true),
            (r"\B[a-z]{12,}", true, true),
            (r"\b[a-z7]{12,}\B", true, true),
            (r"[A-Zaqe7]{12,}", false, true),
            (r"x.{0,5}\w{12,}", true, false),
            (r"[a-eq-z0-9_]{14,}", true, true),
            (r"\w{12,}\b[-+]", false, true),
            (r"\w+[@=]\w{12,}[\s/]", false, true),
        ];
        for (pattern, caseless, narrows) in patterns {
            let n = parse(pattern, Flags::default()).map_or(0, |hir| {
                crate::stage::signature::gate::word_run::required_word_run(&hir)
            });
            assert!(n >= 12, "{pattern}: a gate of {n}");
            let re = pcre2::bytes::RegexBuilder::new()
                .caseless(caseless)
                .build(pattern)
                .expect("compiles");
            let (mut found, mut narrower) = (0, 0);
            for seed in 0..3_000 {
                let text = random_text(seed);
                let narrow = narrowed(pattern, caseless, n, &text);
                let in_text = re.is_match(&text).expect("matches");
                let in_narrow = re.is_match(&narrow).expect("matches");
                assert_eq!(
                    in_text,
                    in_narrow,
                    "{pattern} in {:?}",
                    String::from_utf8_lossy(&text)
                );
                found += usize::from(in_text);
                narrower += usize::from(narrow.len() < text.len() / 2);
            }
            assert!(
                (200..2_800).contains(&found),
                "{pattern}: {found} texts match"
            );
            assert_eq!(
                narrower > 1_500,
                narrows,
                "{pattern}: {narrower} narrowed by half"
            );
        }
    }

    #[test]
    fn keeps_only_the_stretches_around_long_runs() {
        let text = b"a short line; ab_cdefghijklmn opq+rs/AAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let got = narrowed(r"(?:\w+[\s_]){1}\w{12,}", false, 12, text);
        assert_eq!(got, b" ab_cdefghijklmn opq\0AAAAAAAAAAAAAAAAAAAAAAAAAAAA\0");
        assert!(narrowed(r"(?:\w+[\s_]){1}\w{30,}", false, 30, text).is_empty());
    }
}
