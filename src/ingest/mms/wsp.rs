//! WSP primitive value decoders (WAP-230-WSP §8.4.2) and the well-known
//! code tables MMS borrows from WSP.
//!
//! Every reader method checks the remaining length before it reads, so a
//! length field that lies turns into a typed [`MmsError`] carrying the byte
//! offset, never a panic or an allocation sized by the input's own claims.

use std::borrow::Cow;

use super::MmsError;

/// A bounds-checked cursor over a slice of the PDU. `base` is the slice's
/// offset in the whole PDU, so errors point at the byte in the input.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], base: usize) -> Reader<'a> {
        Reader { data, pos: 0, base }
    }

    /// Absolute offset of the next byte in the PDU.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The unread bytes, consuming them.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = &self.data[self.pos..];
        self.pos = self.data.len();
        rest
    }

    pub fn byte(&mut self, what: &'static str) -> Result<u8, MmsError> {
        let b = self.peek().ok_or(MmsError::Truncated {
            what,
            offset: self.offset(),
        })?;
        self.pos += 1;
        Ok(b)
    }

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
    pub bytes: &'a [u8],
    /// MIBenum, when the value carried one.
    pub charset: Option<u32>,
    pub offset: usize,
}

impl<'a> EncodedString<'a> {
    /// The text as UTF-8; `None` in the second field when decoding was exact,
    /// else a reason to record as a problem.
    pub fn decode(&self) -> (Cow<'a, str>, Option<String>) {
        decode_text(self.bytes, self.charset)
    }
}

// IANA MIBenum values (RFC 3808 / IANA character-sets registry).
pub const MIB_ANY: u32 = 0;
pub const MIB_US_ASCII: u32 = 3;
pub const MIB_ISO_8859_1: u32 = 4;
pub const MIB_UTF_8: u32 = 106;
pub const MIB_UCS_2: u32 = 1000;
pub const MIB_UTF_16BE: u32 = 1013;
pub const MIB_UTF_16LE: u32 = 1014;
pub const MIB_UTF_16: u32 = 1015;
pub const MIB_WINDOWS_1252: u32 = 2252;

/// Charset names by MIBenum, for display and for the `charset` parameter.
pub const CHARSETS: &[(u32, &str)] = &[
    (MIB_ANY, "*"),
    (MIB_US_ASCII, "us-ascii"),
    (MIB_ISO_8859_1, "iso-8859-1"),
    (5, "iso-8859-2"),
    (6, "iso-8859-3"),
    (7, "iso-8859-4"),
    (8, "iso-8859-5"),
    (9, "iso-8859-6"),
    (10, "iso-8859-7"),
    (11, "iso-8859-8"),
    (12, "iso-8859-9"),
    (17, "shift_jis"),
    (18, "euc-jp"),
    (36, "ks_c_5601-1987"),
    (38, "euc-kr"),
    (39, "iso-2022-jp"),
    (MIB_UTF_8, "utf-8"),
    (109, "iso-8859-13"),
    (111, "iso-8859-15"),
    (113, "gbk"),
    (114, "gb18030"),
    (MIB_UCS_2, "iso-10646-ucs-2"),
    (MIB_UTF_16BE, "utf-16be"),
    (MIB_UTF_16LE, "utf-16le"),
    (MIB_UTF_16, "utf-16"),
    (2025, "gb2312"),
    (2026, "big5"),
    (110, "iso-8859-14"),
    (112, "iso-8859-16"),
    (2084, "koi8-r"),
    (2086, "ibm866"),
    (2088, "koi8-u"),
    (2250, "windows-1250"),
    (2251, "windows-1251"),
    (MIB_WINDOWS_1252, "windows-1252"),
    (2253, "windows-1253"),
    (2254, "windows-1254"),
    (2255, "windows-1255"),
    (2256, "windows-1256"),
    (2257, "windows-1257"),
    (2258, "windows-1258"),
];

pub fn charset_name(mib: u32) -> Option<&'static str> {
    CHARSETS.iter().find(|(m, _)| *m == mib).map(|(_, n)| *n)
}

pub fn charset_by_name(name: &str) -> Option<u32> {
    let name = name.trim();
    match name.to_ascii_lowercase().as_str() {
        "utf8" => return Some(MIB_UTF_8),
        "ascii" => return Some(MIB_US_ASCII),
        "latin1" => return Some(MIB_ISO_8859_1),
        "ucs-2" | "ucs2" => return Some(MIB_UCS_2),
        _ => {}
    }
    CHARSETS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(m, _)| *m)
}

fn is_utf16(mib: u32) -> bool {
    matches!(mib, MIB_UCS_2 | MIB_UTF_16BE | MIB_UTF_16LE | MIB_UTF_16)
}

/// Windows-1252 0x80–0x9F (the rest matches ISO-8859-1).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// Converts text in charset `mib` (None = unspecified) to UTF-8. Unknown
/// charsets and invalid bytes decode lossily and return a reason.
pub fn decode_text(bytes: &[u8], mib: Option<u32>) -> (Cow<'_, str>, Option<String>) {
    match mib {
        None | Some(MIB_ANY) | Some(MIB_UTF_8) | Some(MIB_US_ASCII) => {
            let bytes = if mib != Some(MIB_US_ASCII) {
                bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes)
            } else {
                bytes
            };
            match std::str::from_utf8(bytes) {
                Ok(s) => (Cow::Borrowed(s), None),
                // 8-bit text labelled us-ascii is Latin text from an old
                // handset far more often than it is UTF-8.
                Err(e) if mib == Some(MIB_US_ASCII) => (
                    decode_text(bytes, Some(MIB_WINDOWS_1252)).0,
                    Some(format!(
                        "8-bit octet in us-ascii text at byte {}; decoded as windows-1252",
                        e.valid_up_to()
                    )),
                ),
                Err(e) => (
                    String::from_utf8_lossy(bytes),
                    Some(format!(
                        "invalid {} at byte {} of the text",
                        mib.and_then(charset_name).unwrap_or("utf-8"),
                        e.valid_up_to()
                    )),
                ),
            }
        }
        Some(MIB_ISO_8859_1) => (bytes.iter().map(|&b| char::from(b)).collect(), None),
        Some(MIB_WINDOWS_1252) => (
            bytes
                .iter()
                .map(|&b| match b {
                    0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                    _ => char::from(b),
                })
                .collect(),
            None,
        ),
        Some(m) if is_utf16(m) => decode_utf16(bytes, m == MIB_UTF_16LE),
        Some(m) => match charset_name(m).and_then(|name| decode_single_byte(bytes, name)) {
            Some(text) => (Cow::Owned(text), None),
            None => (
                String::from_utf8_lossy(bytes),
                Some(format!("unsupported charset MIBenum {m}; decoded as utf-8")),
            ),
        },
    }
}

/// Single-byte charsets (ISO-8859-x, windows-125x, KOI8, …) by name, through
/// mail-parser's tables, which the email side already uses. Multi-byte
/// East Asian charsets are not decoded here: mail-parser only decodes them
/// with its `full_encoding` feature, so they stay a recorded problem.
pub fn decode_single_byte(bytes: &[u8], name: &str) -> Option<String> {
    const MULTI_BYTE: [&str; 12] = [
        "jis", "euc", "gb", "big5", "2022", "5601", "ks_c", "949", "936", "chinese", "korean", "hz",
    ];
    let lower = name.to_ascii_lowercase();
    if MULTI_BYTE.iter().any(|m| lower.contains(m)) || lower.starts_with("utf") {
        return None;
    }
    mail_parser::decoders::charsets::map::charset_decoder(lower.as_bytes())
        .map(|decode| decode(bytes))
}

/// UTF-16 per RFC 2781: a BOM decides the byte order. Without one the
/// RFC says big-endian, but encoders on little-endian hosts often omit it,
/// so the side where the NUL high octets of Latin text fall decides.
/// UCS-2 is the BMP subset, so the same decoder serves.
fn decode_utf16(bytes: &[u8], little_default: bool) -> (Cow<'static, str>, Option<String>) {
    let (little, body) = match bytes {
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        _ => {
            let zeros = |first: usize| {
                bytes
                    .iter()
                    .skip(first)
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count()
            };
            (little_default || zeros(1) > zeros(0), bytes)
        }
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut bad = body.len() % 2 == 1;
    let text: String = char::decode_utf16(units)
        .map(|r| {
            r.unwrap_or_else(|_| {
                bad = true;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    let problem = bad.then(|| "invalid utf-16 text".to_string());
    (Cow::Owned(text), problem)
}

/// Well-known content types, WSP Table 40 (WAP-230 Appendix A, with the
/// OMNA additions up to 0x55).
pub const CONTENT_TYPES: &[&str] = &[
    "*/*",
    "text/*",
    "text/html",
    "text/plain",
    "text/x-hdml",
    "text/x-ttml",
    "text/x-vCalendar",
    "text/x-vCard",
    "text/vnd.wap.wml",
    "text/vnd.wap.wmlscript",
    "text/vnd.wap.wta-event",
    "multipart/*",
    "multipart/mixed",
    "multipart/form-data",
    "multipart/byterantes",
    "multipart/alternative",
    "application/*",
    "application/java-vm",
    "application/x-www-form-urlencoded",
    "application/x-hdmlc",
    "application/vnd.wap.wmlc",
    "application/vnd.wap.wmlscriptc",
    "application/vnd.wap.wta-eventc",
    "application/vnd.wap.uaprof",
    "application/vnd.wap.wtls-ca-certificate",
    "application/vnd.wap.wtls-user-certificate",
    "application/x-x509-ca-cert",
    "application/x-x509-user-cert",
    "image/*",
    "image/gif",
    "image/jpeg",
    "image/tiff",
    "image/png",
    "image/vnd.wap.wbmp",
    "application/vnd.wap.multipart.*",
    "application/vnd.wap.multipart.mixed",
    "application/vnd.wap.multipart.form-data",
    "application/vnd.wap.multipart.byteranges",
    "application/vnd.wap.multipart.alternative",
    "application/xml",
    "text/xml",
    "application/vnd.wap.wbxml",
    "application/x-x968-cross-cert",
    "application/x-x968-ca-cert",
    "application/x-x968-user-cert",
    "text/vnd.wap.si",
    "application/vnd.wap.sic",
    "text/vnd.wap.sl",
    "application/vnd.wap.slc",
    "text/vnd.wap.co",
    "application/vnd.wap.coc",
    "application/vnd.wap.multipart.related",
    "application/vnd.wap.sia",
    "text/vnd.wap.connectivity-xml",
    "application/vnd.wap.connectivity-wbxml",
    "application/pkcs7-mime",
    "application/vnd.wap.hashed-certificate",
    "application/vnd.wap.signed-certificate",
    "application/vnd.wap.cert-response",
    "application/xhtml+xml",
    "application/wml+xml",
    "text/css",
    "application/vnd.wap.mms-message",
    "application/vnd.wap.rollover-certificate",
    "application/vnd.wap.locc+wbxml",
    "application/vnd.wap.loc+xml",
    "application/vnd.syncml.dm+wbxml",
    "application/vnd.syncml.dm+xml",
    "application/vnd.syncml.notification",
    "application/vnd.wap.xhtml+xml",
    "application/vnd.wv.csp.cir",
    "application/vnd.oma.dd+xml",
    "application/vnd.oma.drm.message",
    "application/vnd.oma.drm.content",
    "application/vnd.oma.drm.rights+xml",
    "application/vnd.oma.drm.rights+wbxml",
    "application/vnd.wv.csp+xml",
    "application/vnd.wv.csp+wbxml",
    "application/vnd.syncml.ds.notification",
    "audio/*",
    "video/*",
    "application/vnd.oma.dd2+xml",
    "application/mikey",
    "application/vnd.oma.dcd",
    "application/vnd.oma.dcdc",
];

pub fn content_type_name(code: u64) -> Option<&'static str> {
    usize::try_from(code)
        .ok()
        .and_then(|c| CONTENT_TYPES.get(c))
        .copied()
}

pub fn content_type_code(name: &str) -> Option<u8> {
    CONTENT_TYPES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .and_then(|p| u8::try_from(p).ok())
}

/// Well-known parameter names, WSP Table 38 (0x00–0x1D; encoding versions
/// 1.1 to 1.4 — the 1.4 codes 0x17.. take Text-values).
pub const PARAMETERS: &[&str] = &[
    "q",
    "charset",
    "level",
    "type",
    "",
    "name",
    "filename",
    "differences",
    "padding",
    "type",
    "start",
    "start-info",
    "comment",
    "domain",
    "max-age",
    "path",
    "secure",
    "sec",
    "mac",
    "creation-date",
    "modification-date",
    "read-date",
    "size",
    "name",
    "filename",
    "start",
    "start-info",
    "comment",
    "domain",
    "path",
];

pub const PARAM_CHARSET: u8 = 0x01;
pub const PARAM_TYPE_RELATED: u8 = 0x09;
pub const PARAM_START: u8 = 0x0A;
pub const PARAM_NAME: u8 = 0x05;
pub const PARAM_FILENAME: u8 = 0x06;

/// Well-known header field names, WSP Table 39 (encoding version 1.1–1.4).
pub const HEADER_NAMES: &[&str] = &[
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Accept-Language",
    "Accept-Ranges",
    "Age",
    "Allow",
    "Authorization",
    "Cache-Control",
    "Connection",
    "Content-Base",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Location",
    "Content-MD5",
    "Content-Range",
    "Content-Type",
    "Date",
    "Etag",
    "Expires",
    "From",
    "Host",
    "If-Modified-Since",
    "If-Match",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Location",
    "Last-Modified",
    "Max-Forwards",
    "Pragma",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Public",
    "Range",
    "Referer",
    "Retry-After",
    "Server",
    "Transfer-Encoding",
    "Upgrade",
    "User-Agent",
    "Vary",
    "Via",
    "Warning",
    "WWW-Authenticate",
    "Content-Disposition",
    "X-Wap-Application-Id",
    "X-Wap-Content-URI",
    "X-Wap-Initiator-URI",
    "Accept-Application",
    "Bearer-Indication",
    "Push-Flag",
    "Profile",
    "Profile-Diff",
    "Profile-Warning",
    "Expect",
    "TE",
    "Trailer",
    "Accept-Charset",
    "Accept-Encoding",
    "Cache-Control",
    "Content-Range",
    "X-Wap-Tod",
    "Content-ID",
    "Set-Cookie",
    "Cookie",
    "Encoding-Version",
    "Profile-Warning",
    "Content-Disposition",
    "X-WAP-Security",
    "Cache-Control",
];

pub const HDR_CONTENT_LOCATION: u8 = 0x0E;
pub const HDR_CONTENT_DISPOSITION: u8 = 0x2E;
pub const HDR_X_WAP_APPLICATION_ID: u8 = 0x2F;
pub const HDR_CONTENT_ID: u8 = 0x40;
pub const HDR_CONTENT_DISPOSITION_14: u8 = 0x45;

pub fn header_name(code: u8) -> Option<&'static str> {
    HEADER_NAMES.get(usize::from(code)).copied()
}

/// Push application ids, OMNA registry (x-wap-application:*).
pub fn application_id_name(code: u64) -> Option<&'static str> {
    Some(match code {
        0x00 => "x-wap-application:*",
        0x01 => "x-wap-application:push.sia",
        0x02 => "x-wap-application:wml.ua",
        0x03 => "x-wap-application:wta.ua",
        0x04 => "x-wap-application:mms.ua",
        0x05 => "x-wap-application:push.syncml",
        0x06 => "x-wap-application:loc.ua",
        0x07 => "x-wap-application:syncml.dm",
        0x08 => "x-wap-application:drm.ua",
        0x09 => "x-wap-application:emn.ua",
        0x0A => "x-wap-application:wv.ua",
        _ => return None,
    })
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

    #[test]
    fn tables_match_the_spec_codes() {
        assert_eq!(
            content_type_name(0x3E),
            Some("application/vnd.wap.mms-message")
        );
        assert_eq!(
            content_type_name(0x33),
            Some("application/vnd.wap.multipart.related")
        );
        assert_eq!(
            content_type_name(0x23),
            Some("application/vnd.wap.multipart.mixed")
        );
        assert_eq!(content_type_name(0x1E), Some("image/jpeg"));
        assert_eq!(header_name(HDR_CONTENT_ID), Some("Content-ID"));
        assert_eq!(
            header_name(HDR_X_WAP_APPLICATION_ID),
            Some("X-Wap-Application-Id")
        );
        assert_eq!(charset_name(106), Some("utf-8"));
    }
}
