//! Feature hashing: tokens to weight indices without a dictionary.
//!
//! A dictionary would grow with every new word an operator's traffic brings
//! and make `learn` allocate; hashing bounds the model to `2^bits` weights
//! and lets extraction hash a token while reading it, character by
//! character, without building the lower-cased string first. Collisions
//! cost a little accuracy: at 2^20 weights and a few hundred thousand
//! distinct features they are rare enough not to show in the study.

/// One step of the token hash: FxHash's rotate, xor and multiply. Cheap
/// enough to run per character; [`finish`] mixes the result well.
#[inline]
pub(crate) fn step(hash: u64, value: u64) -> u64 {
    (hash.rotate_left(5) ^ value).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// MurmurHash3's 64-bit finaliser: every input bit affects the top bits,
/// which [`index`] keeps.
#[inline]
pub(crate) fn finish(mut hash: u64) -> u64 {
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The start of a token's hash in a namespace: the same word in the subject
/// and in a URL are different features.
#[inline]
pub(crate) fn namespace(seed: u32, space: u8) -> u64 {
    step(u64::from(seed) ^ 0x9e37_79b9_7f4a_7c15, u64::from(space))
}

/// Hashes a whole byte string in a namespace.
pub(crate) fn bytes(seed: u32, space: u8, text: &[u8]) -> u64 {
    text.iter()
        .fold(namespace(seed, space), |h, &b| step(h, u64::from(b)))
}

/// The weight index of a finished token hash: its top `bits` bits.
#[inline]
pub(crate) fn index(hash: u64, bits: u8) -> u32 {
    (finish(hash) >> (64 - u32::from(bits))) as u32
}

/// A 64-bit checksum of a byte string, eight bytes at a time, for the model
/// file: it catches corruption and truncation, not tampering (a model file
/// is trusted configuration, like the rules).
pub(crate) fn checksum(data: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ data.len() as u64;
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(word);
        hash = step(hash, u64::from_le_bytes(buf));
    }
    for &b in words.remainder() {
        hash = step(hash, u64::from(b));
    }
    finish(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_separate_equal_tokens() {
        assert_ne!(bytes(0, b'S', b"win"), bytes(0, b'B', b"win"));
        assert_ne!(bytes(0, b'S', b"win"), bytes(1, b'S', b"win"));
        assert_eq!(bytes(7, b'S', b"win"), bytes(7, b'S', b"win"));
    }

    #[test]
    fn index_stays_within_the_table() {
        for token in [&b"a"[..], b"free", b"http", b""] {
            assert!(index(bytes(0, b'B', token), 12) < 1 << 12);
            assert!(index(bytes(0, b'B', token), 24) < 1 << 24);
        }
    }

    #[test]
    fn checksum_sees_every_byte_and_the_length() {
        let data = b"0123456789abcdefXYZ".to_vec();
        let base = checksum(&data);
        for i in 0..data.len() {
            let mut changed = data.clone();
            changed[i] ^= 1;
            assert_ne!(checksum(&changed), base, "byte {i}");
        }
        assert_ne!(checksum(&data[..18]), base);
        assert_ne!(checksum(&[0u8; 8]), checksum(&[0u8; 16]));
    }
}
