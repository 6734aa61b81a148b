//! Text as a campaign's copies share it: what stays when a spammer's
//! per-copy mutations are taken out.
//!
//! Copies of one campaign differ on purpose: the recipient's name, an
//! amount, a code, a tracking URL per copy, look-alike letters from other
//! scripts, zero-width characters between letters, digits for letters.
//! Normalising folds all of those to one form, so that what is left to
//! differ (inserted random words, swapped synonyms) is what the fuzzy
//! sketch has to absorb:
//!
//! - compatibility decomposition (NFKD: full-width letters, ligatures and
//!   mathematical letters become plain ones), then combining marks dropped
//!   (accents: "frée" is "free"); zero-width and other invisible format
//!   characters dropped;
//! - lower case, then look-alikes from Cyrillic and Greek folded to the
//!   Latin letter they imitate ([`CONFUSABLES`], kept as data);
//! - URLs and host names become `<u>`; a token of letters and digits has
//!   its look-alike digits read as letters ("fr33" is "free"), and one
//!   that still holds digits (numbers, amounts, codes) becomes `#`;
//! - the word after a greeting, and a first word followed by a comma,
//!   become `<n>` (a personalised name);
//! - everything else that is not a letter or digit separates tokens, and
//!   tokens are joined by single spaces.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Look-alike letters and the Latin letter each imitates (after lower
/// casing): the Cyrillic and Greek letters that render like Latin ones in
/// common fonts, and a few Latin letters with strokes that NFKD leaves.
pub const CONFUSABLES: &[(char, char)] = &[
    ('а', 'a'),
    ('в', 'b'),
    ('е', 'e'),
    ('ё', 'e'),
    ('һ', 'h'),
    ('і', 'i'),
    ('ї', 'i'),
    ('ј', 'j'),
    ('к', 'k'),
    ('м', 'm'),
    ('н', 'h'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('т', 't'),
    ('у', 'y'),
    ('х', 'x'),
    ('ѕ', 's'),
    ('ԁ', 'd'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
    ('ɡ', 'g'),
    ('α', 'a'),
    ('β', 'b'),
    ('ε', 'e'),
    ('η', 'n'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('ν', 'v'),
    ('ο', 'o'),
    ('ρ', 'p'),
    ('τ', 't'),
    ('υ', 'u'),
    ('χ', 'x'),
    ('ω', 'w'),
    ('ı', 'i'),
    ('ł', 'l'),
    ('ø', 'o'),
    ('đ', 'd'),
    ('ß', 's'),
];

/// Digits (and two symbols) that stand for letters inside a word.
const LEET: &[(char, char)] = &[
    ('0', 'o'),
    ('1', 'i'),
    ('3', 'e'),
    ('4', 'a'),
    ('5', 's'),
    ('7', 't'),
    ('8', 'b'),
    ('@', 'a'),
    ('$', 's'),
];

/// Words after which a personalised name follows.
const GREETINGS: &[&str] = &["hi", "hello", "dear", "hey", "hiya", "greetings", "attn"];

/// Characters that do not render: zero-width spaces and joiners, the word
/// joiner and invisible operators, the byte-order mark, the soft hyphen.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

fn fold(c: char) -> char {
    CONFUSABLES
        .iter()
        .find(|&&(from, _)| from == c)
        .map_or(c, |&(_, to)| to)
}

/// Reusable buffers: normalising allocates nothing once they have grown.
#[derive(Debug, Default)]
pub struct Normaliser {
    folded: String,
    token: String,
}

impl Normaliser {
    /// Appends the normal form of `text` to `out`, reading at most
    /// `max_chars` characters of it.
    pub fn normalise(&mut self, text: &str, max_chars: usize, out: &mut String) {
        self.folded.clear();
        let text = match text.char_indices().nth(max_chars) {
            Some((end, _)) => &text[..end],
            None => text,
        };
        if text.is_ascii() {
            self.folded
                .extend(text.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            // Char by char through a callback: the `nfkd()` iterator keeps
            // a buffer that reaches the heap on some texts, and the marks
            // it would reorder are dropped anyway.
            let folded = &mut self.folded;
            for c in text.chars() {
                if c.is_ascii() {
                    folded.push(c.to_ascii_lowercase());
                    continue;
                }
                decompose_compatible(c, |d| {
                    if !is_combining_mark(d) && !invisible(d) {
                        folded.extend(d.to_lowercase().map(fold));
                    }
                });
            }
        }
        let mut after_greeting = false;
        let mut first = true;
        for chunk in self.folded.split_whitespace() {
            if is_url(chunk) {
                push(out, "<u>");
                after_greeting = false;
                first = false;
                continue;
            }
            let mut rest = chunk;
            while let Some(start) = rest.find(word_char) {
                rest = &rest[start..];
                let end = rest.find(|c: char| !word_char(c)).unwrap_or(rest.len());
                let (word, tail) = rest.split_at(end);
                rest = tail;
                let name = after_greeting || (first && tail.starts_with(','));
                self.token.clear();
                token_of(word, &mut self.token);
                if self.token.is_empty() {
                    continue;
                }
                if name && self.token != "#" {
                    push(out, "<n>");
                } else {
                    push(out, &self.token);
                }
                after_greeting = GREETINGS.contains(&self.token.as_str());
                first = false;
            }
        }
    }
}

/// A letter or digit, or a look-alike symbol inside a word.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '@' || c == '$'
}

/// The token a run of word characters stands for.
fn token_of(word: &str, token: &mut String) {
    // One pass: the word with look-alike digits read as letters, and what
    // it is made of.
    let (mut letters, mut digits, mut total, mut raw_letters) = (0usize, 0usize, 0usize, 0usize);
    for c in word.chars() {
        let read = LEET.iter().find(|&&(d, _)| d == c).map_or(c, |&(_, l)| l);
        raw_letters += usize::from(c.is_alphabetic());
        letters += usize::from(read.is_alphabetic());
        digits += usize::from(read.is_numeric());
        total += 1;
        token.push(read);
    }
    if raw_letters == 0 {
        // No letter at all: a number (or an amount's digits), else nothing.
        token.clear();
        if word.chars().any(char::is_numeric) {
            token.push('#');
        }
        return;
    }
    if digits > 0 || letters * 2 < total {
        token.clear();
        token.push('#');
    }
}

/// A URL or a bare host name (`bit.ly/x`, `www.example.com`, `example.co.uk`).
fn is_url(chunk: &str) -> bool {
    if chunk.contains("://") || chunk.starts_with("www.") {
        return true;
    }
    let host = chunk
        .split(['/', '?'])
        .next()
        .unwrap_or("")
        .trim_end_matches(['.', ',', '!', ')']);
    let mut labels = host.split('.');
    let (Some(first), Some(last)) = (labels.next(), host.rsplit('.').next()) else {
        return false;
    };
    host.contains('.')
        && !first.is_empty()
        && (2..=6).contains(&last.len())
        && last.chars().all(|c| c.is_ascii_alphabetic())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn push(out: &mut String, token: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(token);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str) -> String {
        let mut out = String::new();
        Normaliser::default().normalise(text, 10_000, &mut out);
        out
    }

    #[test]
    fn personalisation_numbers_and_urls_fold_away() {
        let a =
            norm("Hi Sarah, your parcel 8812 is held: pay £1.99 at https://a1.example/x?id=7 now");
        let b =
            norm("Hi Mohammed, your parcel 10413 is held: pay £2.49 at parcel-fee.top/q/ZZ now");
        assert_eq!(a, b);
        assert_eq!(a, "hi <n> your parcel # is held pay # # at <u> now");
    }

    #[test]
    fn look_alikes_invisible_characters_and_accents_fold_to_latin() {
        // Cyrillic а, е, о; a zero-width space; an accent; full-width letters.
        assert_eq!(
            norm("Wіn а frее ip\u{200B}hone, clаim nоw! Ｆｒée"),
            "win a free iphone claim now free"
        );
    }

    #[test]
    fn digits_read_as_letters_inside_words_and_codes_become_numbers() {
        assert_eq!(
            norm("FR33 c4sh! code X7K2P9 or 0800123"),
            "free cash code # or #"
        );
    }

    #[test]
    fn a_first_word_before_a_comma_is_a_name() {
        assert_eq!(
            norm("John, your account is locked"),
            norm("Priya, your account is locked")
        );
    }

    #[test]
    fn bare_hosts_are_urls_but_abbreviations_are_not() {
        assert!(is_url("bit.ly/3xYz"));
        assert!(is_url("example.co.uk"));
        assert!(!is_url("e.g."));
        assert!(!is_url("U.S.A"));
        assert!(!is_url("end."));
    }

    #[test]
    fn text_beyond_the_limit_is_not_read() {
        let mut out = String::new();
        Normaliser::default().normalise("one two three", 7, &mut out);
        assert_eq!(out, "one two");
    }
}
