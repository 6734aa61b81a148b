//! Campaign mutation: how a bulk sender makes every copy of one text differ,
//! so that no exact hash or exact-match rule catches the campaign.
//!
//! Each copy gets the four mutations issue 20 names: random tokens inserted,
//! words swapped for synonyms, names and numbers personalised, and a URL of
//! its own. The text stays the same campaign to a reader (and to a
//! near-duplicate detector that normalises numbers, URLs and names).

use std::collections::HashMap;

use super::super::Rng;

/// The synonym groups, kept as data beside this file.
const TABLE: &str = include_str!("synonyms.txt");

/// First names a campaign personalises a greeting with, and swaps for
/// another when the template already names someone.
const NAMES: &[&str] = &[
    "James", "Mary", "John", "Linda", "David", "Susan", "Michael", "Karen", "Daniel", "Sarah",
    "Paul", "Lisa", "Mark", "Emma", "Peter", "Grace", "Ahmed", "Fatima", "Chen", "Mei", "Raj",
    "Priya", "Olu", "Ngozi", "Carlos", "Ana", "Ivan", "Olga", "Tom", "Amy", "Ben", "Chloe", "Sam",
    "Lucy", "Jack", "Sophie", "Omar", "Aisha", "Kwame", "Ama",
];

/// Top-level domains throw-away campaign hosts use.
const TLDS: &[&str] = &[
    "top", "xyz", "click", "info", "shop", "live", "online", "site", "link", "icu",
];

/// Greetings a personalised copy may open with; `{}` is the name.
const GREETINGS: &[&str] = &["{}, ", "Hi {}, ", "Dear {}, ", "Hello {}! "];

/// Words and the group of synonyms each belongs to.
#[derive(Debug)]
pub struct Synonyms {
    groups: Vec<Vec<&'static str>>,
    index: HashMap<&'static str, usize>,
}

impl Synonyms {
    /// The table shipped beside this module.
    pub fn table() -> Synonyms {
        let mut groups = Vec::new();
        let mut index = HashMap::new();
        for line in TABLE.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let group: Vec<&'static str> = line.split(',').map(str::trim).collect();
            for word in &group {
                // Only one-word entries can be found in a text split at
                // spaces; phrases are still offered as replacements.
                if !word.contains(' ') {
                    index.entry(*word).or_insert(groups.len());
                }
            }
            groups.push(group);
        }
        Synonyms { groups, index }
    }

    /// The group `word` (lower case) belongs to, if any.
    fn group(&self, word: &str) -> Option<&[&'static str]> {
        self.index.get(word).map(|&i| self.groups[i].as_slice())
    }
}

/// One mutated copy of `template`: every mutation applied, with the amounts
/// a campaign varies by (one to three tokens, about half the swappable words).
pub fn copy(template: &str, rng: &mut Rng, synonyms: &Synonyms) -> String {
    let text = swap_synonyms(template, rng, synonyms, 50);
    let text = personalise_numbers(&text, rng);
    let text = personalise_names(&text, rng);
    let text = replace_urls(&text, rng);
    let tokens = 1 + rng.below(3);
    insert_tokens(&text, rng, tokens)
}

/// Inserts `count` random tokens (letters and digits, 3 to 8 long) at word
/// boundaries: the "hash buster" that defeats exact-copy checks.
pub fn insert_tokens(text: &str, rng: &mut Rng, count: usize) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
    for _ in 0..count {
        let at = rng.below(words.len() + 1);
        let len = 3 + rng.below(6);
        words.insert(at, rng.token(len));
    }
    words.join(" ")
}

/// Swaps each word found in the synonym table for another of its group with
/// probability `percent`/100, keeping a leading capital and the punctuation
/// around the word.
pub fn swap_synonyms(text: &str, rng: &mut Rng, synonyms: &Synonyms, percent: usize) -> String {
    map_words(text, |core| {
        let lower = core.to_lowercase();
        let group = synonyms.group(&lower)?;
        if group.len() < 2 || !rng.chance(percent) {
            return None;
        }
        let mut pick = group[rng.below(group.len())];
        while pick == lower {
            pick = group[rng.below(group.len())];
        }
        Some(match core.chars().next() {
            Some(c) if c.is_uppercase() && core.chars().skip(1).all(|c| !c.is_uppercase()) => {
                capitalise(pick)
            }
            Some(_) if core.chars().all(|c| !c.is_lowercase()) && core.len() > 1 => {
                pick.to_uppercase()
            }
            _ => pick.to_string(),
        })
    })
}

/// Replaces every digit with a random one: account numbers, amounts, codes
/// and call-back numbers differ per recipient, their shape does not.
pub fn personalise_numbers(text: &str, rng: &mut Rng) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from(b'0' + rng.below(10) as u8),
            c => c,
        })
        .collect()
}

/// Swaps every first name of [`NAMES`] in the text for a random one, and
/// opens half the copies with a greeting to a random name.
pub fn personalise_names(text: &str, rng: &mut Rng) -> String {
    let body = map_words(text, |core| {
        NAMES.contains(&core).then(|| rng.pick(NAMES).to_string())
    });
    if !rng.chance(50) {
        return body;
    }
    let greeting = rng.pick(GREETINGS).replace("{}", rng.pick(NAMES));
    greeting + &body
}

/// Gives the copy URLs of its own: every URL in the text is replaced by one
/// with a random host and path, and a text without one gets one appended.
pub fn replace_urls(text: &str, rng: &mut Rng) -> String {
    let mut found = false;
    let mut out = map_words(text, |core| {
        is_url(core).then(|| {
            found = true;
            random_url(rng)
        })
    });
    if !found {
        out.push(' ');
        out.push_str(&random_url(rng));
    }
    out
}

/// A URL on a random throw-away host with a random path.
pub fn random_url(rng: &mut Rng) -> String {
    let scheme = if rng.chance(50) {
        "https://"
    } else {
        "http://"
    };
    let host_len = 4 + rng.below(8);
    let path_len = 4 + rng.below(10);
    format!(
        "{scheme}{}.{}/{}",
        rng.token(host_len),
        rng.pick(TLDS),
        rng.token(path_len)
    )
}

/// Whether a word (without surrounding punctuation) is a URL as spam
/// writes them: with a scheme, `www.`, or a dotted host followed by a path.
fn is_url(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("www.") {
        return true;
    }
    match lower.split_once('/') {
        Some((host, _)) => {
            !host.contains('@')
                && host.contains('.')
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && label
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
                && host
                    .rsplit('.')
                    .next()
                    .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_alphabetic()))
        }
        None => false,
    }
}

/// Rewrites each space-separated word whose core (the word without leading
/// and trailing punctuation) `replace` maps to something; line breaks and
/// punctuation stay where they were.
fn map_words(text: &str, mut replace: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for (j, word) in line.split(' ').enumerate() {
            if j > 0 {
                out.push(' ');
            }
            let start = word
                .find(|c: char| c.is_alphanumeric())
                .unwrap_or(word.len());
            let end = word
                .rfind(|c: char| c.is_alphanumeric() || c == '/')
                .map_or(start, |i| {
                    i + word[i..].chars().next().map_or(1, char::len_utf8)
                });
            let end = end.max(start);
            match replace(&word[start..end]) {
                Some(new) => {
                    out.push_str(&word[..start]);
                    out.push_str(&new);
                    out.push_str(&word[end..]);
                }
                None => out.push_str(word),
            }
        }
    }
    out
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str =
        "URGENT! John, you have won a free prize of 2000. Call 09061701461 or visit www.win.example/claim now.";

    #[test]
    fn inserted_tokens_add_words_and_keep_the_rest_in_order() {
        let mut rng = Rng::new(1);
        let out = insert_tokens("a b c d", &mut rng, 3);
        let words: Vec<&str> = out.split(' ').collect();
        assert_eq!(words.len(), 7);
        let kept: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| ["a", "b", "c", "d"].contains(w))
            .collect();
        assert_eq!(kept, ["a", "b", "c", "d"]);
    }

    #[test]
    fn synonyms_swap_only_table_words_for_their_group() {
        let synonyms = Synonyms::table();
        let mut rng = Rng::new(2);
        let out = swap_synonyms(
            "Claim your FREE prize now, friend.",
            &mut rng,
            &synonyms,
            100,
        );
        let words: Vec<&str> = out.split(' ').collect();
        assert_eq!(words.len(), 6);
        assert_ne!(words[0], "Claim");
        assert!(synonyms
            .group("claim")
            .unwrap()
            .contains(&words[0].to_lowercase().as_str()));
        assert!(words[0].starts_with(|c: char| c.is_uppercase()), "{out}");
        assert!(words[2].chars().all(|c| !c.is_lowercase()), "{out}");
        assert!(words[4].ends_with(','), "{out}");
        assert_eq!(words[5], "friend.");
        assert_eq!(swap_synonyms(&out, &mut rng, &synonyms, 0), out);
    }

    #[test]
    fn every_synonym_group_offers_another_word() {
        // swap_synonyms draws until it finds a word other than the one
        // it replaces: a group of one distinct word would never end.
        for group in &Synonyms::table().groups {
            let distinct: std::collections::HashSet<&&str> = group.iter().collect();
            assert!(distinct.len() >= 2, "{group:?}");
            assert!(group.iter().all(|w| *w == w.to_lowercase()), "{group:?}");
        }
    }

    #[test]
    fn numbers_are_personalised_in_place() {
        let mut rng = Rng::new(3);
        let a = personalise_numbers("Call 09061701461, code 1234.", &mut rng);
        let b = personalise_numbers("Call 09061701461, code 1234.", &mut rng);
        assert_ne!(a, b);
        let shape = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "#");
        assert_eq!(shape(&a), "Call ###########, code ####.");
        assert_eq!(shape(&b), shape(&a));
    }

    #[test]
    fn names_are_swapped_and_greetings_added() {
        let mut rng = Rng::new(4);
        let outs: Vec<String> = (0..40)
            .map(|_| personalise_names("John, your parcel is here.", &mut rng))
            .collect();
        assert!(outs.iter().all(|o| o.ends_with(", your parcel is here.")));
        assert!(outs.iter().any(|o| !o.starts_with("John,")));
        assert!(outs
            .iter()
            .any(|o| o.starts_with("Dear ") || o.starts_with("Hi ")));
    }

    #[test]
    fn every_copy_gets_its_own_url() {
        let mut rng = Rng::new(5);
        let a = replace_urls("Pay at http://pay.example/x?id=1 today", &mut rng);
        let b = replace_urls("Pay at http://pay.example/x?id=1 today", &mut rng);
        assert_ne!(a, b);
        assert!(!a.contains("pay.example"), "{a}");
        assert!(a.starts_with("Pay at http") && a.ends_with(" today"), "{a}");
        let appended = replace_urls("No link here", &mut rng);
        assert!(appended.starts_with("No link here http"), "{appended}");
        assert!(is_url("bit.ly/abc") && is_url("www.x.example") && !is_url("and/or"));
        assert!(!is_url("3.5/10") && !is_url("a@b.example/x"));
    }

    #[test]
    fn copies_differ_but_are_reproducible() {
        let synonyms = Synonyms::table();
        let copies: Vec<String> = (0..50)
            .map(|i| {
                copy(
                    TEMPLATE,
                    &mut Rng::new(super::super::mix(100 + i)),
                    &synonyms,
                )
            })
            .collect();
        let distinct: std::collections::HashSet<&String> = copies.iter().collect();
        assert_eq!(distinct.len(), copies.len());
        assert_eq!(
            copies[7],
            copy(TEMPLATE, &mut Rng::new(super::super::mix(107)), &synonyms)
        );
        assert!(copies.iter().all(|c| !c.contains("www.win.example")));
    }
}
