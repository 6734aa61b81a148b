//! Fuzzy sketches of normalised text: MinHash by one-permutation hashing,
//! looked up by locality-sensitive bands.
//!
//! Why MinHash rather than SimHash: copies are judged by the share of
//! shingles they have in common (Jaccard similarity), which is what a
//! campaign's mutations change (an inserted word or a swapped synonym
//! changes the shingles around it and nothing else), and MinHash estimates
//! exactly that, one agreeing value per 1/[`SIGNATURE_LEN`] of similarity;
//! its bands give a candidate lookup by plain key equality, which a
//! key-value store (the embedded one, Redis) does in one read per band.
//! SimHash needs permuted tables to find fingerprints within a Hamming
//! distance, and its bits blur a short text's few features. One-permutation
//! hashing (each shingle hashed once, into one of [`SIGNATURE_LEN`] bins,
//! the minimum kept per bin, empty bins filled from their neighbour) costs
//! one hash per shingle instead of one per shingle and value.
//!
//! Shingles are characters for SMS-length texts (a word shingle of a
//! 15-word text has too few members to estimate from, and characters
//! survive an inserted space or a misspelling) and words for mail.
//!
//! Bands: [`BANDS`] bands of two values. Two texts of similarity `s` share
//! a band with probability `1 − (1 − s²)^16`: 0.99 at `s = 0.5`, 0.5 at
//! `s = 0.2`; candidates are then checked on the whole signature.

use crate::state::key::{self, KeyClass};
use crate::state::{BANDS, SIGNATURE_LEN};

/// A text's sketch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sketch {
    /// The min-hash values, one per bin.
    pub signature: [u32; SIGNATURE_LEN],
    /// The band keys.
    pub bands: [u64; BANDS],
}

/// What a sketch is built from; part of every band key, so that a
/// character sketch never meets a word sketch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shingles {
    /// Runs of this many characters.
    Chars(usize),
    /// Runs of this many words.
    Words(usize),
}

impl Shingles {
    fn namespace(self) -> u64 {
        match self {
            Shingles::Chars(k) => 0x100 | k as u64,
            Shingles::Words(k) => 0x200 | k as u64,
        }
    }
}

/// Reusable buffers for sketching.
#[derive(Debug, Default)]
pub struct Sketcher {
    hashes: Vec<u64>,
    starts: Vec<usize>,
    words: Vec<u64>,
}

impl Sketcher {
    /// The sketch of normalised `text`, or `None` when it has fewer than
    /// `min_shingles` shingles: too little text to tell a campaign from a
    /// coincidence ("ok see you" is sent by millions, unrelated).
    pub fn sketch(
        &mut self,
        text: &str,
        shingles: Shingles,
        min_shingles: usize,
    ) -> Option<Sketch> {
        self.hashes.clear();
        match shingles {
            Shingles::Chars(k) => char_shingles(text, k, &mut self.starts, &mut self.hashes),
            Shingles::Words(k) => word_shingles(text, k, &mut self.words, &mut self.hashes),
        }
        if self.hashes.len() < min_shingles.max(1) {
            return None;
        }
        let mut signature = [u32::MAX; SIGNATURE_LEN];
        let mut filled = [false; SIGNATURE_LEN];
        for &h in &self.hashes {
            let bin = (h >> 59) as usize % SIGNATURE_LEN;
            let value = h as u32;
            filled[bin] = true;
            signature[bin] = signature[bin].min(value);
        }
        densify(&mut signature, &filled);
        let namespace = shingles.namespace();
        let rows = SIGNATURE_LEN / BANDS;
        let mut bands = [0u64; BANDS];
        for (b, band) in bands.iter_mut().enumerate() {
            let values = &signature[b * rows..(b + 1) * rows];
            *band = key::of_words(
                KeyClass::Band,
                [namespace, b as u64]
                    .into_iter()
                    .chain(values.iter().map(|&v| u64::from(v))),
            );
        }
        Some(Sketch { signature, bands })
    }
}

/// Fills each empty bin from the next filled one (circularly), mixed with
/// the distance, so that two texts with the same filled bins get the same
/// signature and empty bins do not all agree by construction.
fn densify(signature: &mut [u32; SIGNATURE_LEN], filled: &[bool; SIGNATURE_LEN]) {
    for i in 0..SIGNATURE_LEN {
        if filled[i] {
            continue;
        }
        if let Some(step) = (1..SIGNATURE_LEN).find(|s| filled[(i + s) % SIGNATURE_LEN]) {
            let from = signature[(i + step) % SIGNATURE_LEN];
            signature[i] = key::mix(u64::from(from) ^ (step as u64) << 40) as u32;
        }
    }
}

fn char_shingles(text: &str, k: usize, starts: &mut Vec<usize>, out: &mut Vec<u64>) {
    let k = k.max(1);
    if text.is_ascii() {
        let bytes = text.as_bytes();
        out.extend(bytes.windows(k).map(|w| key::of(KeyClass::Sketch, w)));
        return;
    }
    starts.clear();
    starts.extend(text.char_indices().map(|(i, _)| i));
    if starts.len() < k {
        return;
    }
    for w in 0..=starts.len() - k {
        let end = starts.get(w + k).copied().unwrap_or(text.len());
        out.push(key::of(KeyClass::Sketch, &text.as_bytes()[starts[w]..end]));
    }
}

fn word_shingles(text: &str, k: usize, words: &mut Vec<u64>, out: &mut Vec<u64>) {
    let k = k.max(1);
    words.clear();
    words.extend(
        text.split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| key::of(KeyClass::Sketch, w.as_bytes())),
    );
    if words.len() < k {
        return;
    }
    for window in words.windows(k) {
        out.push(key::of_words(KeyClass::Sketch, window.iter().copied()));
    }
}

/// Signature values two sketches share: `SIGNATURE_LEN` times their
/// estimated similarity.
pub fn agreement(a: &Sketch, b: &Sketch) -> usize {
    a.signature
        .iter()
        .zip(&b.signature)
        .filter(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(text: &str) -> Sketch {
        Sketcher::default()
            .sketch(text, Shingles::Chars(5), 10)
            .expect("long enough")
    }

    #[test]
    fn copies_with_an_inserted_word_agree_and_unrelated_texts_do_not() {
        let a =
            sketch("urgent your account is suspended verify your details at <u> within # hours");
        let b = sketch(
            "urgent your account is suspended qzvx verify your details at <u> within # hours",
        );
        let c = sketch("are we still on for dinner tonight i can bring the wine if you want");
        assert!(agreement(&a, &b) >= 20, "{}", agreement(&a, &b));
        assert!(agreement(&a, &c) <= 6, "{}", agreement(&a, &c));
        assert!(a.bands.iter().any(|x| b.bands.contains(x)));
        assert!(!a.bands.iter().any(|x| c.bands.contains(x)));
    }

    #[test]
    fn too_short_a_text_has_no_sketch() {
        assert!(Sketcher::default()
            .sketch("ok see u", Shingles::Chars(5), 10)
            .is_none());
    }

    #[test]
    fn character_and_word_sketches_never_share_a_band() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let mut s = Sketcher::default();
        let c = s.sketch(text, Shingles::Chars(5), 1).expect("chars");
        let w = s.sketch(text, Shingles::Words(1), 1).expect("words");
        assert!(!c.bands.iter().any(|x| w.bands.contains(x)));
    }
}
