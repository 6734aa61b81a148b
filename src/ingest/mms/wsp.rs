//! WSP primitive value decoders (WAP-230-WSP §8.4.2) and the well-known
//! code tables MMS borrows from WSP.
//!
//! The code tables live in two data modules (charsets with
//! their decoders, well-known content types, parameters and header names),
//! re-exported here.
//!
//! Every reader method checks the remaining length before it reads, so a
//! length field that lies turns into a typed [`MmsError`] carrying the byte
//! offset, never a panic or an allocation sized by the input's own claims.

use std::borrow::Cow;

use super::MmsError;

mod charset;
mod tables;

pub use charset::*;
pub use tables::*;

/// A bounds-checked cursor over a slice of the PDU. `base` is the slice's
/// offset in the whole PDU, so errors point at the byte in the input.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, which starts at offset `base` of the PDU.
    pub fn new(data: &'a [u8], base: usize) -> Reader<'a> {
        Reader { data, pos: 0, base }
    }

    /// Absolute offset of the next byte in the PDU.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The next byte, not consumed.
    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The unread bytes, consuming them.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = &self.data[self.pos..];
        self.pos = self.data.len();
        rest
    }

    /// The next byte, consumed.
    pub fn byte(&mut self, what: &'static str) -> Result<u8, MmsError> {
        let b = self.peek().ok_or(MmsError::Truncated {
            what,
            offset: self.offset(),
        })?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `n` bytes, consumed.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], MmsError> {
        if n > self.remaining() {
            return Err(MmsError::Truncated {
                what,
                offset: self.offset(),
            });
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A reader over the next `n` bytes (a value-length bounded value).
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Reader<'a>, MmsError> {
        let base = self.offset();
        Ok(Reader::new(self.take(n, what)?, base))
    }

    /// Uintvar (WSP §8.1.2): 7 bits per octet, high bit = more follow. We
    /// accept at most 5 octets and 32 bits of value; anything longer is an
    /// overflow, not a silently wrapped number.
    pub fn uintvar(&mut self, what: &'static str) -> Result<u32, MmsError> {
        let start = self.offset();
        let mut value: u64 = 0;
        for _ in 0..5 {
            let b = self.byte(what)?;
            value = (value << 7) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| MmsError::Overflow {
                    what,
                    offset: start,
                });
            }
        }
        Err(MmsError::Overflow {
            what,
            offset: start,
        })
    }

    /// Short-integer (WSP §8.4.2.1): one octet with the high bit set.
    pub fn short_integer(&mut self, what: &'static str) -> Result<u8, MmsError> {
        let offset = self.offset();
        let b = self.byte(what)?;
        if b & 0x80 == 0 {
            return Err(MmsError::Unexpected {
                what,
                offset,
                found: b,
            });
        }
        Ok(b & 0x7F)
    }

    /// Long-integer (WSP §8.4.2.1): Short-length (0–30) + big-endian octets.
    /// More than 8 octets cannot be held and is an overflow.
    pub fn long_integer(&mut self, what: &'static str) -> Result<u64, MmsError> {
        let offset = self.offset();
        let len = self.byte(what)?;
        if len > 30 {
            return Err(MmsError::Unexpected {
                what,
                offset,
                found: len,
            });
        }
        if len > 8 {
            return Err(MmsError::Overflow { what, offset });
        }
        let bytes = self.take(usize::from(len), what)?;
        Ok(bytes.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
    }

    /// Integer-value (WSP §8.4.2.3): Short-integer or Long-integer.
    pub fn integer_value(&mut self, what: &'static str) -> Result<u64, MmsError> {
        match self.peek() {
            Some(b) if b & 0x80 != 0 => Ok(u64::from(self.short_integer(what)?)),
            _ => self.long_integer(what),
        }
    }

    /// Value-length (WSP §8.4.2.2): 0–30 directly, or 31 + uintvar. The
    /// length is checked against the remaining data here, once.
    pub fn value_length(&mut self, what: &'static str) -> Result<usize, MmsError> {
        let offset = self.offset();
        let b = self.byte(what)?;
        let len = match b {
            0..=30 => usize::from(b),
            31 => self.uintvar(what)? as usize,
            _ => {
                return Err(MmsError::Unexpected {
                    what,
                    offset,
                    found: b,
                })
            }
        };
        if len > self.remaining() {
            return Err(MmsError::Truncated { what, offset });
        }
        Ok(len)
    }

    /// A Value-length and a reader over exactly that many bytes.
    pub fn length_bounded(&mut self, what: &'static str) -> Result<Reader<'a>, MmsError> {
        let len = self.value_length(what)?;
        self.sub(len, what)
    }

    /// Text-string (WSP §8.4.2.1): optional 0x7F quote + text + NUL. Returns
    /// the text without quote and NUL.
    pub fn text_string(&mut self, what: &'static str) -> Result<&'a [u8], MmsError> {
        let offset = self.offset();
        let rest = &self.data[self.pos..];
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(MmsError::Unterminated { what, offset })?;
        self.pos += nul + 1;
        let text = &rest[..nul];
        Ok(text.strip_prefix(&[0x7F]).unwrap_or(text))
    }

    /// Quoted-string (WSP §8.4.2.1) or Text-string: a leading 0x22 quote is
    /// dropped (Content-ID uses it, WSP §8.4.2.67).
    pub fn quoted_or_text(&mut self, what: &'static str) -> Result<&'a [u8], MmsError> {
        let text = self.text_string(what)?;
        Ok(text.strip_prefix(b"\"").unwrap_or(text))
    }

    /// Encoded-string-value (OMA-TS-MMS_ENC-V1_3 §7.2.9): a Text-string, or
    /// Value-length + Char-set + Text-string. With a length the text is bounded
    /// by it, which is what lets UTF-16 text (full of NUL octets) through.
    pub fn encoded_string(&mut self, what: &'static str) -> Result<EncodedString<'a>, MmsError> {
        match self.peek() {
            // 0x00 is an empty Text-string: a Value-length of 0 could not
            // hold the mandatory charset.
            Some(1..=31) => {
                let mut inner = self.length_bounded(what)?;
                let charset = inner.charset(what)?;
                let offset = inner.offset();
                let text = inner.rest();
                Ok(EncodedString {
                    bytes: strip_terminator(text, charset),
                    charset: Some(charset),
                    offset,
                })
            }
            _ => {
                let offset = self.offset();
                Ok(EncodedString {
                    bytes: self.text_string(what)?,
                    charset: None,
                    offset,
                })
            }
        }
    }

    /// Well-known-charset (WSP §8.4.2.8): Any-charset (0x80, "*", here 0) or
    /// an Integer-value MIBenum.
    pub fn charset(&mut self, what: &'static str) -> Result<u32, MmsError> {
        let offset = self.offset();
        let v = self.integer_value(what)?;
        u32::try_from(v).map_err(|_| MmsError::Overflow { what, offset })
    }

    /// Skips one value of unknown meaning using the generic WSP value framing
    /// (WSP §8.4.1.2): 0–30 and 31 are lengths, 32–127 start a text string,
    /// 128–255 are a one-octet short-integer.
    pub fn skip_value(&mut self, what: &'static str) -> Result<&'a [u8], MmsError> {
        let start = self.pos;
        match self.peek() {
            None => {
                return Err(MmsError::Truncated {
                    what,
                    offset: self.offset(),
                })
            }
            Some(0..=31) => {
                let len = self.value_length(what)?;
                self.take(len, what)?;
            }
            Some(0x80..) => {
                self.pos += 1;
            }
            Some(_) => {
                self.text_string(what)?;
            }
        }
        Ok(&self.data[start..self.pos])
    }
}

/// Drops the trailing NUL terminator(s) of a length-bounded string and a
/// leading 0x7F quote. UTF-16 text may end in one NUL octet or a NUL code unit.
fn strip_terminator(text: &[u8], charset: u32) -> &[u8] {
    let mut t = text;
    if is_utf16(charset) {
        if t.len() % 2 == 1 && t.last() == Some(&0) {
            t = &t[..t.len() - 1];
        }
        if t.ends_with(&[0, 0]) {
            t = &t[..t.len() - 2];
        }
        return t;
    }
    if let Some(p) = t.iter().position(|&b| b == 0) {
        t = &t[..p];
    }
    t.strip_prefix(&[0x7F]).unwrap_or(t)
}

/// A string value as found on the wire, before charset conversion.
#[derive(Clone, Copy, Debug)]
pub struct EncodedString<'a> {
    /// The text octets, quote and NUL removed.
    pub bytes: &'a [u8],
    /// MIBenum, when the value carried one.
    pub charset: Option<u32>,
    /// Offset of the text in the PDU.
    pub offset: usize,
}

impl<'a> EncodedString<'a> {
    /// The text as UTF-8; `None` in the second field when decoding was exact,
    /// else a reason to record as a problem.
    pub fn decode(&self) -> (Cow<'a, str>, Option<String>) {
        decode_text(self.bytes, self.charset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uintvar_decodes_multi_octet_values() {
        let mut r = Reader::new(&[0x81, 0x80, 0x00], 0);
        assert_eq!(r.uintvar("n").ok(), Some(0x4000));
        let mut r = Reader::new(&[0x8F, 0xFF, 0xFF, 0xFF, 0x7F], 0);
        assert_eq!(r.uintvar("n").ok(), Some(u32::MAX));
    }

    #[test]
    fn uintvar_overflow_is_a_typed_error() {
        let mut r = Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 7);
        assert!(matches!(
            r.uintvar("n"),
            Err(MmsError::Overflow { offset: 7, .. })
        ));
        // Five octets but more than 32 bits of value.
        let mut r = Reader::new(&[0x9F, 0xFF, 0xFF, 0xFF, 0x7F], 0);
        assert!(matches!(r.uintvar("n"), Err(MmsError::Overflow { .. })));
    }

    #[test]
    fn value_length_beyond_the_buffer_is_truncated() {
        let mut r = Reader::new(&[0x1F, 0x90, 0x00, 0x01], 3);
        assert!(matches!(
            r.value_length("v"),
            Err(MmsError::Truncated { offset: 3, .. })
        ));
        let mut r = Reader::new(&[0x05, 0x01], 0);
        assert!(r.value_length("v").is_err());
    }

    #[test]
    fn text_string_without_nul_is_unterminated() {
        let mut r = Reader::new(b"abc", 10);
        assert!(matches!(
            r.text_string("t"),
            Err(MmsError::Unterminated { offset: 10, .. })
        ));
        let mut r = Reader::new(b"\x7F\xC3\xA9\0", 0);
        assert_eq!(r.text_string("t").ok(), Some(&b"\xC3\xA9"[..]));
    }

    #[test]
    fn long_integer_and_short_integer() {
        let mut r = Reader::new(&[0x04, 0x47, 0x9F, 0xD5, 0x96, 0x8E], 0);
        assert_eq!(r.long_integer("d").ok(), Some(0x479F_D596));
        assert_eq!(r.integer_value("s").ok(), Some(0x0E));
        let mut r = Reader::new(&[0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0);
        assert!(matches!(
            r.long_integer("d"),
            Err(MmsError::Overflow { .. })
        ));
    }

    #[test]
    fn encoded_string_with_charsets() {
        // us-ascii with a length prefix
        let mut r = Reader::new(&[0x04, 0x83, b'h', b'i', 0], 0);
        let s = r.encoded_string("s").expect("valid");
        assert_eq!(s.decode().0, "hi");
        // utf-16 without BOM, little-endian as some hosts write it
        assert_eq!(decode_text(&[b'h', 0, b'i', 0], Some(MIB_UTF_16)).0, "hi");
        assert_eq!(decode_text(&[0, b'h', 0, b'i'], Some(MIB_UTF_16)).0, "hi");
        // utf-16 (MIBenum 1015 as long-integer) with BOM and NUL code unit
        let bytes = [0x09, 0x02, 0x03, 0xF7, 0xFE, 0xFF, 0x00, b'h', 0x00, 0x00];
        let mut r = Reader::new(&bytes, 0);
        let s = r.encoded_string("s").expect("valid");
        assert_eq!(s.decode().0, "h");
        // iso-8859-1
        let mut r = Reader::new(&[0x03, 0x84, 0xE9, 0], 0);
        assert_eq!(r.encoded_string("s").expect("valid").decode().0, "é");
        // single-byte charsets through the shared tables
        assert_eq!(decode_text(&[0xCF, 0xD2, 0xC9], Some(2251)).0, "ПТЙ");
        assert_eq!(decode_text(&[0xD0, 0xD2], Some(2084)).0, "пр");
        // unknown charset: lossy with a reason
        let (text, why) = decode_text(b"ok", Some(9999));
        assert_eq!(text, "ok");
        assert!(why.is_some());
    }
}
