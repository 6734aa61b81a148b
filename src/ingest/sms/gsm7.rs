//! The GSM 7-bit default alphabet, its extension table and the national
//! language shift tables (3GPP TS 23.038 §6.2.1 and Annex A), plus septet
//! packing (3GPP TS 23.038 §6.1.2.1).
//!
//! Tables are data, not code: a decoder indexes them, an encoder searches
//! them. Decoding is lossy by design (a spam filter must still see the rest of
//! the text) and reports every oddity as a typed [`Gsm7Error`] with its septet
//! index.

/// The escape septet that selects the (single shift) extension table.
pub const ESC: u8 = 0x1B;

/// The default alphabet (3GPP TS 23.038 §6.2.1). 0x1B is the escape; it maps
/// to a non-breaking space for the rare stack that shows it.
pub const DEFAULT_BASIC: [char; 128] = table(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{A0}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
     ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

/// Turkish locking shift table (3GPP TS 23.038 §A.3.1).
pub const TURKISH_BASIC: [char; 128] = table(
    "@£$¥€éùıòÇ\nĞğ\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{A0}ŞşßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
     İABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§çabcdefghijklmnopqrstuvwxyzäöñüà",
);

/// Portuguese locking shift table (3GPP TS 23.038 §A.3.3).
pub const PORTUGUESE_BASIC: [char; 128] = table(
    "@£$¥êéúíóç\nÔô\rÁáΔ_ªÇÀ∞^\\€Ó|\u{A0}ÂâÊÉ !\"#º%&'()*+,-./0123456789:;<=>?\
     ÍABCDEFGHIJKLMNOPQRSTUVWXYZÃÕÚÜ§~abcdefghijklmnopqrstuvwxyzãõ`üà",
);

/// The default extension table, reached through ESC (3GPP TS 23.038 §6.2.1.1).
pub const DEFAULT_EXTENSION: &[(u8, char)] = &[
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// Turkish single shift table (3GPP TS 23.038 §A.2.1).
pub const TURKISH_EXTENSION: &[(u8, char)] = &[
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x47, 'Ğ'),
    (0x49, 'İ'),
    (0x53, 'Ş'),
    (0x63, 'ç'),
    (0x65, '€'),
    (0x67, 'ğ'),
    (0x69, 'ı'),
    (0x73, 'ş'),
];

/// Spanish single shift table (3GPP TS 23.038 §A.2.2). Spanish has no
/// locking shift table: it uses the default alphabet.
pub const SPANISH_EXTENSION: &[(u8, char)] = &[
    (0x09, 'ç'),
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x41, 'Á'),
    (0x49, 'Í'),
    (0x4F, 'Ó'),
    (0x55, 'Ú'),
    (0x61, 'á'),
    (0x65, '€'),
    (0x69, 'í'),
    (0x6F, 'ó'),
    (0x75, 'ú'),
];

/// Portuguese single shift table (3GPP TS 23.038 §A.2.3).
pub const PORTUGUESE_EXTENSION: &[(u8, char)] = &[
    (0x05, 'ê'),
    (0x09, 'ç'),
    (0x0A, '\u{0C}'),
    (0x0B, 'Ô'),
    (0x0C, 'ô'),
    (0x0E, 'Á'),
    (0x0F, 'á'),
    (0x12, 'Φ'),
    (0x13, 'Γ'),
    (0x14, '^'),
    (0x15, 'Ω'),
    (0x16, 'Π'),
    (0x17, 'Ψ'),
    (0x18, 'Σ'),
    (0x19, 'Θ'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x41, 'À'),
    (0x49, 'Í'),
    (0x4F, 'Ó'),
    (0x55, 'Ú'),
    (0x5B, 'Ã'),
    (0x5C, 'Õ'),
    (0x61, 'Â'),
    (0x65, '€'),
    (0x69, 'í'),
    (0x6F, 'ó'),
    (0x75, 'ú'),
    (0x7B, 'ã'),
    (0x7C, 'õ'),
    (0x7F, 'â'),
];

/// Builds a 128-entry table from a 128-character string at compile time.
const fn table(s: &str) -> [char; 128] {
    let bytes = s.as_bytes();
    let mut out = ['\0'; 128];
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        // Decode one UTF-8 scalar by hand (const context).
        let b = bytes[i] as u32;
        let (cp, len) = if b < 0x80 {
            (b, 1)
        } else if b < 0xE0 {
            (((b & 0x1F) << 6) | (bytes[i + 1] as u32 & 0x3F), 2)
        } else if b < 0xF0 {
            (
                ((b & 0x0F) << 12)
                    | ((bytes[i + 1] as u32 & 0x3F) << 6)
                    | (bytes[i + 2] as u32 & 0x3F),
                3,
            )
        } else {
            (
                ((b & 0x07) << 18)
                    | ((bytes[i + 1] as u32 & 0x3F) << 12)
                    | ((bytes[i + 2] as u32 & 0x3F) << 6)
                    | (bytes[i + 3] as u32 & 0x3F),
                4,
            )
        };
        out[n] = match char::from_u32(cp) {
            Some(c) => c,
            None => panic!("table literal is valid UTF-8"),
        };
        n += 1;
        i += len;
    }
    assert!(n == 128, "a GSM 7-bit table has 128 entries");
    out
}

static DEFAULT_SAME_AS_ASCII: [bool; 256] = same_as_ascii(&DEFAULT_BASIC);
static TURKISH_SAME_AS_ASCII: [bool; 256] = same_as_ascii(&TURKISH_BASIC);
static PORTUGUESE_SAME_AS_ASCII: [bool; 256] = same_as_ascii(&PORTUGUESE_BASIC);

/// Entry `s` is true where `table[s]` is the ASCII character `s`; indexed
/// by the octet, so octets above 0x7F (invalid septets) are false. The
/// escape never is (its entry is a no-break space).
const fn same_as_ascii(table: &[char; 128]) -> [bool; 256] {
    let mut same = [false; 256];
    let mut s = 0;
    while s < 128 {
        same[s] = table[s] as u32 == s as u32;
        s += 1;
    }
    same
}

/// A national language identifier as carried in UDH IEs 0x24/0x25
/// (3GPP TS 23.038 §6.2.1.2.4). Languages without tables here fall back to
/// the default alphabet and are reported by the caller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// 0: the default alphabet and extension table (§6.2.1, §6.2.1.1).
    #[default]
    Default,
    /// 1: Turkish (locking shift §A.3.1, single shift §A.2.1).
    Turkish,
    /// 2: Spanish (a single shift table only, §A.2.2).
    Spanish,
    /// 3: Portuguese (locking shift §A.3.3, single shift §A.2.3).
    Portuguese,
}

impl Language {
    /// Maps the language identifier octet; `None` for tables not built in.
    pub fn from_id(id: u8) -> Option<Language> {
        match id {
            0 => Some(Language::Default),
            1 => Some(Language::Turkish),
            2 => Some(Language::Spanish),
            3 => Some(Language::Portuguese),
            _ => None,
        }
    }

    /// The language identifier octet.
    pub fn id(self) -> u8 {
        match self {
            Language::Default => 0,
            Language::Turkish => 1,
            Language::Spanish => 2,
            Language::Portuguese => 3,
        }
    }

    fn basic(self) -> &'static [char; 128] {
        match self {
            // Spanish defines no locking shift table (§A.3): default applies.
            Language::Default | Language::Spanish => &DEFAULT_BASIC,
            Language::Turkish => &TURKISH_BASIC,
            Language::Portuguese => &PORTUGUESE_BASIC,
        }
    }

    /// The septets that this basic table maps to the ASCII character of the
    /// same code (letters, digits, most punctuation: most of a typical
    /// text): a run of them decodes by copying the bytes.
    fn same_as_ascii(self) -> &'static [bool; 256] {
        match self {
            Language::Default | Language::Spanish => &DEFAULT_SAME_AS_ASCII,
            Language::Turkish => &TURKISH_SAME_AS_ASCII,
            Language::Portuguese => &PORTUGUESE_SAME_AS_ASCII,
        }
    }

    fn extension(self) -> &'static [(u8, char)] {
        match self {
            Language::Default => DEFAULT_EXTENSION,
            Language::Turkish => TURKISH_EXTENSION,
            Language::Spanish => SPANISH_EXTENSION,
            Language::Portuguese => PORTUGUESE_EXTENSION,
        }
    }
}

/// The pair of tables in force: locking shift (basic) and single shift
/// (extension), selected by UDH IEs 0x25 and 0x24.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tables {
    /// The basic table: what a septet means.
    pub locking: Language,
    /// The extension table: what a septet after ESC (0x1B) means.
    pub single: Language,
}

/// What went wrong decoding or encoding GSM 7-bit text. Indexes count septets.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Gsm7Error {
    /// An unpacked septet with bit 7 set.
    #[error("septet {index}: value 0x{value:02X} is not a 7-bit code (unpacked GSM text with bit 7 set)")]
    InvalidSeptet {
        /// Which septet.
        index: usize,
        /// Its value.
        value: u8,
    },
    /// ESC followed by a septet the extension table leaves undefined;
    /// §6.2.1.1 says to show the basic table's character instead.
    #[error("septet {index}: escape to 0x{value:02X} has no extension character; shown as the basic one")]
    UnknownExtension {
        /// Which septet follows the escape.
        index: usize,
        /// Its value.
        value: u8,
    },
    /// ESC as the last septet.
    #[error("septet {index}: escape at the end of the text")]
    DanglingEscape {
        /// Which septet.
        index: usize,
    },
    /// Fewer packed octets than the septet count needs.
    #[error("{needed} septets need {needed_octets} octets but only {available} are present")]
    Truncated {
        /// Septets to unpack.
        needed: usize,
        /// Octets they take.
        needed_octets: usize,
        /// Octets present.
        available: usize,
    },
    /// Encoding only: a character neither table holds.
    #[error("character {index} ({ch:?}) is not in the GSM 7-bit tables")]
    Unencodable {
        /// Which character (in `char`s).
        index: usize,
        /// The character.
        ch: char,
    },
}

/// Number of octets that `septets` septets take when packed after `fill_bits`.
pub fn packed_len(septets: usize, fill_bits: usize) -> usize {
    (septets * 7 + fill_bits).div_ceil(8)
}

/// Unpacks `count` septets from a little-endian bit stream starting
/// `fill_bits` bits in (3GPP TS 23.038 §6.1.2.1.1; fill bits per
/// 3GPP TS 23.040 §9.2.3.24).
pub fn unpack(bytes: &[u8], fill_bits: usize, count: usize) -> Result<Vec<u8>, Gsm7Error> {
    let needed_octets = packed_len(count, fill_bits);
    if bytes.len() < needed_octets {
        return Err(Gsm7Error::Truncated {
            needed: count,
            needed_octets,
            available: bytes.len(),
        });
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let bit = fill_bits + i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        let lo = u16::from(bytes[byte]);
        let hi = u16::from(bytes.get(byte + 1).copied().unwrap_or(0));
        out.push((((hi << 8 | lo) >> shift) & 0x7F) as u8);
    }
    Ok(out)
}

/// Packs septets into octets after `fill_bits` zero bits.
pub fn pack(septets: &[u8], fill_bits: usize) -> Vec<u8> {
    let mut out = vec![0u8; packed_len(septets.len(), fill_bits)];
    for (i, &s) in septets.iter().enumerate() {
        let bit = fill_bits + i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        let v = u16::from(s & 0x7F) << shift;
        out[byte] |= v as u8;
        if let Some(next) = out.get_mut(byte + 1) {
            *next |= (v >> 8) as u8;
        }
    }
    out
}

/// Decodes septets to text, lossily. Problems are appended to `errors`.
pub fn decode(septets: &[u8], tables: Tables, errors: &mut Vec<Gsm7Error>) -> String {
    let basic = tables.locking.basic();
    let same = tables.locking.same_as_ascii();
    let ext = tables.single.extension();
    let mut out = String::with_capacity(septets.len());
    let mut i = 0;
    while i < septets.len() {
        // Septets that are their own ASCII character are copied a run at a
        // time rather than looked up and pushed one by one.
        let run = septets[i..]
            .iter()
            .position(|&s| !same[usize::from(s)])
            .unwrap_or(septets.len() - i);
        if run > 0 {
            let ascii = std::str::from_utf8(&septets[i..i + run])
                .expect("septets below 0x80 are ASCII, hence UTF-8");
            out.push_str(ascii);
            i += run;
            continue;
        }
        match decode_septet(septets, i, basic, ext, &mut out, errors) {
            Some(next) => i = next,
            None => break,
        }
    }
    out
}

/// Decodes the septet (or escape pair) at `i` through the tables into
/// `out`, and returns the index after it; `None` at a dangling escape.
fn decode_septet(
    septets: &[u8],
    i: usize,
    basic: &[char; 128],
    ext: &[(u8, char)],
    out: &mut String,
    errors: &mut Vec<Gsm7Error>,
) -> Option<usize> {
    let s = septets[i];
    if s > 0x7F {
        errors.push(Gsm7Error::InvalidSeptet { index: i, value: s });
        out.push('\u{FFFD}');
        return Some(i + 1);
    }
    if s != ESC {
        out.push(basic[usize::from(s)]);
        return Some(i + 1);
    }
    let Some(&next) = septets.get(i + 1) else {
        errors.push(Gsm7Error::DanglingEscape { index: i });
        return None;
    };
    let next7 = next & 0x7F;
    if next > 0x7F {
        errors.push(Gsm7Error::InvalidSeptet {
            index: i + 1,
            value: next,
        });
    }
    match ext.iter().find(|(code, _)| *code == next7) {
        Some(&(_, c)) => out.push(c),
        None => {
            // §6.2.1.1: an unknown extension code is shown as the
            // character of the basic table; ESC ESC as a space.
            errors.push(Gsm7Error::UnknownExtension {
                index: i + 1,
                value: next7,
            });
            out.push(if next7 == ESC {
                ' '
            } else {
                basic[usize::from(next7)]
            });
        }
    }
    Some(i + 2)
}

/// Encodes text to septets, using the extension table where needed.
pub fn encode(text: &str, tables: Tables) -> Result<Vec<u8>, Gsm7Error> {
    let basic = tables.locking.basic();
    let ext = tables.single.extension();
    let mut out = Vec::with_capacity(text.len());
    for (index, ch) in text.chars().enumerate() {
        if let Some(pos) = basic.iter().position(|&c| c == ch) {
            if pos != usize::from(ESC) {
                out.push(pos as u8);
                continue;
            }
        }
        match ext.iter().find(|(_, c)| *c == ch) {
            Some(&(code, _)) => out.extend_from_slice(&[ESC, code]),
            None => return Err(Gsm7Error::Unencodable { index, ch }),
        }
    }
    Ok(out)
}

/// Whether `text` can be sent in the default alphabet.
pub fn is_encodable(text: &str) -> bool {
    encode(text, Tables::default()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Septet by septet, as the spec tables read: what [`decode`]'s
    /// copying of ASCII runs must agree with.
    fn decode_one_at_a_time(septets: &[u8], tables: Tables) -> (String, Vec<Gsm7Error>) {
        let (basic, ext) = (tables.locking.basic(), tables.single.extension());
        let (mut out, mut errors) = (String::new(), Vec::new());
        let mut i = 0;
        while i < septets.len() {
            match decode_septet(septets, i, basic, ext, &mut out, &mut errors) {
                Some(next) => i = next,
                None => break,
            }
        }
        (out, errors)
    }

    #[test]
    fn ascii_runs_decode_as_the_tables_say() {
        let languages = [
            Language::Default,
            Language::Turkish,
            Language::Spanish,
            Language::Portuguese,
        ];
        // xorshift64: deterministic, so a failure reproduces.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for locking in languages {
            for single in languages {
                let tables = Tables { locking, single };
                let every: Vec<u8> = (0..=0xFF).collect();
                let mut errors = Vec::new();
                let text = decode(&every, tables, &mut errors);
                assert_eq!((text, errors), decode_one_at_a_time(&every, tables));
                for _ in 0..2_000 {
                    let len = (next() % 24) as usize;
                    let septets: Vec<u8> = (0..len)
                        .map(|_| match next() % 16 {
                            0 => ESC,
                            1 => 0x80 | (next() as u8),
                            _ => (next() % 0x80) as u8,
                        })
                        .collect();
                    let mut errors = Vec::new();
                    let text = decode(&septets, tables, &mut errors);
                    assert_eq!((text, errors), decode_one_at_a_time(&septets, tables));
                }
            }
        }
    }

    #[test]
    fn same_as_ascii_marks_letters_not_the_gsm_specific_codes() {
        let same = Language::Default.same_as_ascii();
        for s in [b'A', b'z', b'0', b' ', b'?', b'\n', b'\r'] {
            assert!(same[usize::from(s)], "{}", s as char);
        }
        // '@' is 0x00 in GSM; 0x40 is '¡', 0x24 '¤', 0x11 '_', 0x1B the escape;
        // 0xC1 is no septet at all.
        for s in [0x40u8, 0x24, 0x1B, 0x00, 0x11, 0xC1] {
            assert!(!same[usize::from(s)], "0x{s:02X}");
        }
    }

    #[test]
    fn hellohello_packs_to_the_reference_octets() {
        let septets = encode("hellohello", Tables::default()).unwrap();
        let packed = pack(&septets, 0);
        assert_eq!(
            packed,
            [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
        assert_eq!(unpack(&packed, 0, 10).unwrap(), septets);
    }

    #[test]
    fn extension_characters_round_trip() {
        let text = "Price: 5€ [a] {b} ~c^ \\d| @£$¥ ÄÖÑÜ§ äöñüà ¡¿";
        let septets = encode(text, Tables::default()).unwrap();
        assert_eq!(septets.iter().filter(|&&s| s == ESC).count(), 9);
        for fill in 0..7 {
            let packed = pack(&septets, fill);
            let unpacked = unpack(&packed, fill, septets.len()).unwrap();
            let mut errs = Vec::new();
            assert_eq!(decode(&unpacked, Tables::default(), &mut errs), text);
            assert!(errs.is_empty());
        }
    }

    #[test]
    fn national_tables_round_trip() {
        for (lang, text) in [
            (Language::Turkish, "Güzel şeyler İstanbul'da ığ Ğ Ş ç €"),
            (Language::Spanish, "Canción: ÁÍÓÚ áíóú ç ñ"),
            (
                Language::Portuguese,
                "Promoção: você já está à frente Ã Õ ê",
            ),
        ] {
            let tables = Tables {
                locking: lang,
                single: lang,
            };
            let septets = encode(text, tables).unwrap();
            let mut errs = Vec::new();
            assert_eq!(decode(&septets, tables, &mut errs), text, "{lang:?}");
            assert!(errs.is_empty());
        }
    }

    #[test]
    fn unencodable_character_is_a_typed_error() {
        assert_eq!(
            encode("ok 😀", Tables::default()),
            Err(Gsm7Error::Unencodable {
                index: 3, ch: '😀'
            })
        );
    }

    #[test]
    fn invalid_and_dangling_septets_are_reported_not_fatal() {
        let mut errs = Vec::new();
        let text = decode(
            &[0x41, 0x80, 0x1B, 0x41, 0x1B],
            Tables::default(),
            &mut errs,
        );
        assert_eq!(text, "A\u{FFFD}A");
        assert_eq!(
            errs,
            [
                Gsm7Error::InvalidSeptet {
                    index: 1,
                    value: 0x80
                },
                Gsm7Error::UnknownExtension {
                    index: 3,
                    value: 0x41
                },
                Gsm7Error::DanglingEscape { index: 4 },
            ]
        );
    }

    #[test]
    fn unpack_refuses_short_input() {
        assert!(matches!(
            unpack(&[0xE8, 0x32], 0, 10),
            Err(Gsm7Error::Truncated { .. })
        ));
    }
}
