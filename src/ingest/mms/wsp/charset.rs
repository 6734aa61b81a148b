//! Charsets by IANA MIBenum (WAP-230-WSP §8.4.2.8 Well-known-charset) and
//! their conversion to UTF-8.

use std::borrow::Cow;

// IANA MIBenum values (RFC 3808 / IANA character-sets registry).
/// `*`: any charset (an Accept-Charset value).
pub const MIB_ANY: u32 = 0;
/// US-ASCII.
pub const MIB_US_ASCII: u32 = 3;
/// ISO-8859-1 (Latin-1).
pub const MIB_ISO_8859_1: u32 = 4;
/// UTF-8.
pub const MIB_UTF_8: u32 = 106;
/// ISO-10646-UCS-2, read as UTF-16BE.
pub const MIB_UCS_2: u32 = 1000;
/// UTF-16BE.
pub const MIB_UTF_16BE: u32 = 1013;
/// UTF-16LE.
pub const MIB_UTF_16LE: u32 = 1014;
/// UTF-16, byte order from its BOM.
pub const MIB_UTF_16: u32 = 1015;
/// Windows-1252, what a mislabelled Latin-1 text usually is.
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

/// The charset's name by MIBenum, for the charsets decoded here.
pub fn charset_name(mib: u32) -> Option<&'static str> {
    CHARSETS.iter().find(|(m, _)| *m == mib).map(|(_, n)| *n)
}

/// The MIBenum of a charset name (any case, common aliases as well).
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

pub(crate) fn is_utf16(mib: u32) -> bool {
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
        Some(m) => match charset_name(m).and_then(|name| decode_named(bytes, name)) {
            Some(text) => (Cow::Owned(text), None),
            None => (
                String::from_utf8_lossy(bytes),
                Some(format!("unsupported charset MIBenum {m}; decoded as utf-8")),
            ),
        },
    }
}

/// Other charsets by name through mail-parser's decoders, which the email
/// side already uses: single-byte tables (ISO-8859-x, windows-125x, KOI8, …)
/// and, with its `full_encoding` feature, the East Asian multi-byte ones
/// (Shift_JIS, EUC-KR, GB 2312/GBK, Big5, ISO-2022-JP).
pub fn decode_named(bytes: &[u8], name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("utf") {
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
