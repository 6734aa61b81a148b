//! The runs of word bytes in a text, found 64 bytes at a time.
//!
//! The word-run and repeated-word gates need every maximal run of `\w`
//! bytes. Classifying byte by byte cost about 1.5 ns a byte, and on the
//! 1,500 hard rules the two gates' passes took 11% of a phishing mail's CPU
//! (`perf`). Here eight bytes are classified at once with integer arithmetic
//! (each byte's range test in its own lane, no carries between lanes), a
//! block's 64 answers become one bit mask, and runs are read off the mask
//! with `trailing_zeros`, so the cost follows the number of words, not
//! bytes.

/// Which bytes count as word bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::stage::signature) enum WordClass {
    /// `[A-Za-z0-9_]`: `\w` without the `u` flag.
    Ascii,
    /// The same and every byte from 0x80: a UTF-8 letter's bytes, for gates
    /// that must hold for `u` patterns too.
    AsciiAndHigh,
}

impl WordClass {
    pub fn contains(self, b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_' || (self == WordClass::AsciiAndHigh && b >= 0x80)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// In each byte lane of `x7` (no byte above 0x7f), the high bit if the byte
/// is in `lo..=hi`.
fn in_range(x7: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x7.wrapping_add(ONES * u64::from(0x80 - lo));
    let above_hi = x7.wrapping_add(ONES * u64::from(0x7f - hi));
    at_least_lo & !above_hi & HIGH
}

/// Bit `i` set if byte `i` of the eight is a word byte.
fn word_bits8(bytes: [u8; 8], class: WordClass) -> u64 {
    let x = u64::from_le_bytes(bytes);
    let high = x & HIGH;
    let x7 = x & !HIGH;
    let letters = in_range(x7 | (ONES * 0x20), b'a', b'z');
    let ascii = (letters | in_range(x7, b'0', b'9') | in_range(x7, b'_', b'_')) & !high;
    let lanes = match class {
        WordClass::Ascii => ascii,
        WordClass::AsciiAndHigh => ascii | high,
    };
    // Lane i's bit lands on bit 56 + i, with no two products overlapping.
    ((lanes >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Bit `i` set if `block[i]` is a word byte (`block` at most 64 bytes).
fn word_mask(block: &[u8], class: WordClass) -> u64 {
    let mut mask = 0;
    let mut eights = block.chunks_exact(8);
    for (i, eight) in eights.by_ref().enumerate() {
        let bytes: [u8; 8] = eight.try_into().unwrap_or_default();
        mask |= word_bits8(bytes, class) << (8 * i);
    }
    let done = block.len() - eights.remainder().len();
    for (i, &b) in eights.remainder().iter().enumerate() {
        mask |= u64::from(class.contains(b)) << (done + i);
    }
    mask
}

/// Calls `each(start, end)` for every maximal run of word bytes in `text`,
/// in order.
pub(in crate::stage::signature) fn each_word_run(
    text: &[u8],
    class: WordClass,
    mut each: impl FnMut(usize, usize),
) {
    let mut run_start: Option<usize> = None;
    for (b, block) in text.chunks(64).enumerate() {
        let base = b * 64;
        let words = word_mask(block, class);
        let valid = u64::MAX >> (64 - block.len());
        let gaps = !words & valid;
        let mut at = 0;
        while at < block.len() {
            let ahead = if run_start.is_some() { gaps } else { words } >> at;
            if ahead == 0 {
                break;
            }
            at += ahead.trailing_zeros() as usize;
            match run_start.take() {
                Some(start) => each(start, base + at),
                None => run_start = Some(base + at),
            }
        }
    }
    if let Some(start) = run_start {
        each(start, text.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn byte_by_byte(text: &[u8], class: WordClass) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut start = None;
        for (i, &b) in text.iter().enumerate() {
            match (class.contains(b), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    runs.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        runs.extend(start.map(|s| (s, text.len())));
        runs
    }

    #[test]
    fn every_byte_is_classified_as_the_table_says() {
        for class in [WordClass::Ascii, WordClass::AsciiAndHigh] {
            for b in 0..=255u8 {
                for at in 0..8 {
                    let mut bytes = [b' '; 8];
                    bytes[at] = b;
                    let expected = u64::from(class.contains(b)) << at;
                    assert_eq!(
                        word_bits8(bytes, class),
                        expected,
                        "{b:#04x} at {at}, {class:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn finds_the_runs_byte_by_byte_finds() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in (0..300).chain([1000, 4096]) {
            // Mostly words and spaces, some high bytes and punctuation, and
            // long runs across block edges.
            let text: Vec<u8> = (0..len)
                .map(|_| match random() % 16 {
                    0..=9 => b"aZ9_q"[(random() % 5) as usize],
                    10..=12 => b' ',
                    13 => 0x80 | (random() as u8),
                    _ => b"!-.\n@[`{"[(random() % 8) as usize],
                })
                .collect();
            for class in [WordClass::Ascii, WordClass::AsciiAndHigh] {
                let mut runs = Vec::new();
                each_word_run(&text, class, |s, e| runs.push((s, e)));
                assert_eq!(runs, byte_by_byte(&text, class), "length {len}, {class:?}");
            }
        }
        let long = vec![b'w'; 200];
        let mut runs = Vec::new();
        each_word_run(&long, WordClass::Ascii, |s, e| runs.push((s, e)));
        assert_eq!(runs, [(0, 200)]);
    }
}
