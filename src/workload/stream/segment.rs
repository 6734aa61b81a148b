//! Ham mail text cut into SMS-length pieces, for when a stream needs more SMS
//! ham than the SMS corpora hold.
//!
//! Only the author's own prose is cut: quoted lines (`>`), attribution lines
//! (`… wrote:`), signatures (after `-- `), patches and list footers are left
//! out, as is any line that is mostly not letters (code, tables, logs). A
//! quoted line or a footer repeats across a thread or a list; cut into the
//! stream it would be ham sent many times over, which is bulk by definition.

use super::super::Rng;

/// The shortest piece kept: shorter ones read as fragments.
const MIN_CHARS: usize = 20;
/// The longest piece: one GSM 7-bit segment.
const MAX_CHARS: usize = 160;
/// Words longer than this (hashes, URLs, paths) are left out.
const MAX_WORD: usize = 30;

/// Appends to `out` the pieces of `body`, each of 20 to 160 characters cut
/// at word boundaries, with lengths drawn from `lengths` (the lengths of
/// real SMS ham, so that the pieces are as long as SMS are; uniform when
/// empty).
pub fn cut(body: &str, lengths: &[usize], rng: &mut Rng, out: &mut Vec<String>) {
    let draw = |rng: &mut Rng| match lengths {
        [] => MIN_CHARS + rng.below(MAX_CHARS - MIN_CHARS + 1),
        _ => lengths[rng.below(lengths.len())].clamp(MIN_CHARS, MAX_CHARS),
    };
    for paragraph in paragraphs(body) {
        let mut piece = String::new();
        let mut target = draw(rng);
        for word in paragraph.split_whitespace() {
            if word.chars().count() > MAX_WORD {
                continue;
            }
            if !piece.is_empty() && piece.len() + 1 + word.len() > target {
                push(&mut piece, out);
                target = draw(rng);
            }
            if !piece.is_empty() {
                piece.push(' ');
            }
            piece.push_str(word);
        }
        push(&mut piece, out);
    }
}

fn push(piece: &mut String, out: &mut Vec<String>) {
    let text = std::mem::take(piece);
    let chars = text.chars().count();
    if (MIN_CHARS..=MAX_CHARS).contains(&chars) && text.split(' ').count() >= 3 {
        out.push(text);
    }
}

/// The author's own prose, as paragraphs of kept lines.
fn paragraphs(body: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        let trimmed = line.trim();
        if ends_prose(trimmed) {
            break;
        }
        if trimmed.is_empty() || !is_prose(trimmed) {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(trimmed);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// A line after which nothing is the author's prose: a signature, a patch,
/// a list footer, a forwarded or quoted original.
fn ends_prose(line: &str) -> bool {
    line == "--"
        || line == "---"
        || line.starts_with("diff --git")
        || line.starts_with("____")
        || line.starts_with("-----Original Message")
        || line.starts_with("- - - - -")
        || line.starts_with("-------- Forwarded")
}

/// A line of prose: not quoted, not an attribution, mostly letters.
fn is_prose(line: &str) -> bool {
    if line.starts_with('>') || line.starts_with('|') || line.ends_with("wrote:") {
        return false;
    }
    let (mut letters, mut others) = (0usize, 0usize);
    for c in line.chars().filter(|c| !c.is_whitespace()) {
        if c.is_alphabetic() {
            letters += 1;
        } else {
            others += 1;
        }
    }
    letters >= 8 && letters * 10 >= (letters + others) * 8
}

/// Enron-Spam's preprocessed text puts a space before punctuation
/// (`gary , production`); SMS is not written that way.
pub fn detokenise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        let glued = matches!(word, "," | "." | "!" | "?" | ";" | ":" | ")" | "'s" | "n't");
        if i > 0 && !glued {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_sms_length_and_cut_at_words() {
        let body = "word ".repeat(400);
        let mut out = Vec::new();
        cut(&body, &[], &mut Rng::new(1), &mut out);
        assert!(out.len() > 10);
        for piece in &out {
            assert!((MIN_CHARS..=MAX_CHARS).contains(&piece.len()), "{piece}");
            assert!(piece.split(' ').all(|w| w == "word"), "{piece}");
        }
    }

    #[test]
    fn quotes_signatures_and_code_are_left_out() {
        let body = "On Monday Alice wrote:\n> quoted text that repeats in every reply\n\
                    I think the driver should probe the device later than it does now.\n\
                    x = foo(bar[1], 0x20); // 17\n\n\
                    Thanks for looking at this patch series again.\n-- \nBob, Example Corp, phone and address here\n";
        let mut out = Vec::new();
        cut(body, &[], &mut Rng::new(2), &mut out);
        let all = out.join(" ");
        assert!(all.contains("driver should probe"), "{all}");
        assert!(all.contains("Thanks for looking"), "{all}");
        assert!(!all.contains("quoted") && !all.contains("wrote"), "{all}");
        assert!(
            !all.contains("foo") && !all.contains("Example Corp"),
            "{all}"
        );
    }

    #[test]
    fn pieces_follow_the_given_lengths() {
        let body = "abcd ".repeat(2_000);
        let mut out = Vec::new();
        cut(&body, &[24], &mut Rng::new(3), &mut out);
        assert!(out.len() > 300);
        assert!(out.iter().all(|p| p.len() == 24), "{out:?}");
    }

    #[test]
    fn detokenise_glues_punctuation() {
        assert_eq!(detokenise("gary , it 's done ."), "gary, it's done.");
    }
}
