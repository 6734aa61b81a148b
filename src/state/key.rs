//! Keys of the stream state: stable 64-bit hashes of a class and a value.
//!
//! Stable because two processes sharing one Redis, and a process reading
//! yesterday's snapshot, must derive the same key from the same sender;
//! so the function is written down here rather than taken from `std`,
//! whose hasher may change between Rust releases. Hashes, because a store
//! must not hold subscribers' addresses in clear: a key names a sender to
//! whoever knows the sender already, and to nobody else.

/// The kinds of thing a key names; part of the hash, so the same string
/// as a sender and as a recipient are different keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum KeyClass {
    /// A phone number (MSISDN) sender.
    Msisdn = 1,
    /// An alphanumeric SMS sender id.
    SenderId = 2,
    /// A client IP address.
    Ip = 3,
    /// A client network (/24 for IPv4, /64 for IPv6).
    IpPrefix = 4,
    /// An envelope sender's domain.
    Domain = 5,
    /// A recipient.
    Recipient = 6,
    /// A mail envelope sender address.
    MailSender = 7,
    /// A content sketch.
    Sketch = 8,
    /// One band of a content sketch.
    Band = 9,
}

/// The key of `value` in `class`.
pub fn of(class: KeyClass, value: &[u8]) -> u64 {
    let mut hash = mix(0x9e37_79b9_7f4a_7c15 ^ class as u64);
    let mut words = value.chunks_exact(8);
    for word in &mut words {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(word);
        hash = step(hash, u64::from_le_bytes(buf));
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    mix(step(
        hash,
        u64::from_le_bytes(tail) ^ (value.len() as u64) << 56,
    ))
}

/// The key of `value` trimmed and lower-cased, as [`of`] would give for
/// that string, without building it: addresses are compared without case,
/// and a key per message must not cost an allocation.
pub fn of_folded(class: KeyClass, value: &str) -> u64 {
    let mut hasher = Hasher::new(class);
    let mut buf = [0u8; 4];
    for c in value.trim().chars() {
        if c.is_ascii() {
            hasher.write(&[c.to_ascii_lowercase() as u8]);
        } else {
            for lower in c.to_lowercase() {
                hasher.write(lower.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    hasher.finish()
}

/// Hashes bytes eight at a time, little-endian, as they arrive.
struct Hasher {
    hash: u64,
    word: [u8; 8],
    filled: usize,
    len: u64,
}

impl Hasher {
    fn new(class: KeyClass) -> Hasher {
        Hasher {
            hash: mix(0x9e37_79b9_7f4a_7c15 ^ class as u64),
            word: [0; 8],
            filled: 0,
            len: 0,
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.word[self.filled] = b;
            self.filled += 1;
            if self.filled == 8 {
                self.hash = step(self.hash, u64::from_le_bytes(self.word));
                self.filled = 0;
            }
        }
        self.len += bytes.len() as u64;
    }

    fn finish(mut self) -> u64 {
        self.word[self.filled..].fill(0);
        mix(step(
            self.hash,
            u64::from_le_bytes(self.word) ^ self.len << 56,
        ))
    }
}

/// The key of a sequence of numbers in `class` (a sketch, a band).
pub fn of_words(class: KeyClass, words: impl IntoIterator<Item = u64>) -> u64 {
    let hash = words
        .into_iter()
        .fold(mix(0x9e37_79b9_7f4a_7c15 ^ class as u64), step);
    mix(hash)
}

#[inline]
fn step(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(23) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// MurmurHash3's 64-bit finaliser.
#[inline]
pub fn mix(mut hash: u64) -> u64 {
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_across_builds() {
        // Written down: a change here orphans every key in a shared store
        // and every snapshot.
        assert_eq!(
            of(KeyClass::Msisdn, b"+447700900123"),
            0x8a89_9c9f_f06e_fc87
        );
        assert_eq!(of_words(KeyClass::Band, [1, 2, 3]), 0x77cc_1593_1de3_798d);
    }

    #[test]
    fn class_length_and_content_all_change_the_key() {
        let a = of(KeyClass::Msisdn, b"+447700900123");
        assert_ne!(a, of(KeyClass::Recipient, b"+447700900123"));
        assert_ne!(a, of(KeyClass::Msisdn, b"+447700900124"));
        assert_ne!(of(KeyClass::Domain, b"a"), of(KeyClass::Domain, b"a\0"));
        assert_ne!(
            of_words(KeyClass::Band, [1, 2]),
            of_words(KeyClass::Band, [2, 1])
        );
    }

    #[test]
    fn a_folded_key_is_the_key_of_the_folded_string() {
        for value in [
            "  Alice@Example.COM ",
            "ÉLODIE@exemple.fr",
            "+447700900123",
            "",
            "abcdefghijklmnopq",
        ] {
            let folded = value.trim().to_lowercase();
            assert_eq!(
                of_folded(KeyClass::MailSender, value),
                of(KeyClass::MailSender, folded.as_bytes()),
                "{value:?}"
            );
        }
    }
}
