//! Data coding: which alphabet the user data is in, and the 8-bit/16-bit
//! text decoders (UCS-2, Latin-1, IA5).
//!
//! Two schemes name the alphabet: the TP-DCS octet of 3GPP TS 23.038 §4 and
//! SMPP's `data_coding` (SMPP 3.4 §5.2.19), whose value 0 means "SMSC default
//! alphabet", which the operator decides per bind (see [`DefaultAlphabet`]).

use serde::Serialize;

use crate::ingest::UnknownName;
pub use crate::message::protocol::sms::{Alphabet, Dcs};

/// What SMPP `data_coding` 0 means on a bind.
///
/// Parsed from and shown as a hyphenated name (`"gsm-unpacked"`), the
/// spelling of `--smpp-default-alphabet`; serialised in snake case, as
/// every other name in `inspect --json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultAlphabet {
    /// GSM 7-bit, one septet per octet: what common SMPP client libraries send.
    #[default]
    GsmUnpacked,
    /// GSM 7-bit packed, as in a TPDU.
    GsmPacked,
    /// ISO-8859-1, as some SMSCs configure it.
    Latin1,
}

impl DefaultAlphabet {
    /// Every choice, the default first.
    pub const ALL: [DefaultAlphabet; 3] = [
        DefaultAlphabet::GsmUnpacked,
        DefaultAlphabet::GsmPacked,
        DefaultAlphabet::Latin1,
    ];

    /// The name [`FromStr`](std::str::FromStr) accepts and `Display` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultAlphabet::GsmUnpacked => "gsm-unpacked",
            DefaultAlphabet::GsmPacked => "gsm-packed",
            DefaultAlphabet::Latin1 => "latin1",
        }
    }
}

impl std::fmt::Display for DefaultAlphabet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DefaultAlphabet {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<DefaultAlphabet, UnknownName> {
        DefaultAlphabet::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| {
                let expected = DefaultAlphabet::ALL.map(DefaultAlphabet::as_str);
                UnknownName::new("SMPP default alphabet", name, &expected)
            })
    }
}

impl Dcs {
    /// Decodes a TP-DCS octet into the alphabet of TPDU user data.
    pub fn from_tp_dcs(raw: u8) -> Dcs {
        let mut dcs = Dcs {
            raw,
            ..Dcs::default()
        };
        let alphabet_bits = |bits: u8, dcs: &mut Dcs| match bits & 0x03 {
            0 => Alphabet::Gsm7Packed,
            1 => Alphabet::Binary,
            2 => Alphabet::Ucs2,
            _ => {
                dcs.reserved = true;
                Alphabet::Gsm7Packed
            }
        };
        match raw >> 4 {
            // General data coding and automatic deletion groups: 00xx / 01xx.
            0x0..=0x7 => {
                dcs.compressed = raw & 0x20 != 0;
                if raw & 0x10 != 0 {
                    dcs.class = Some(raw & 0x03);
                }
                dcs.alphabet = alphabet_bits(raw >> 2, &mut dcs);
            }
            // Reserved coding groups 1000..1011.
            0x8..=0xB => dcs.reserved = true,
            // Message waiting indication groups: discard/store GSM 7-bit, store UCS-2.
            0xC | 0xD => dcs.alphabet = Alphabet::Gsm7Packed,
            0xE => dcs.alphabet = Alphabet::Ucs2,
            // Data coding / message class: bit 2 selects 8-bit data.
            _ => {
                dcs.class = Some(raw & 0x03);
                dcs.alphabet = if raw & 0x04 != 0 {
                    Alphabet::Binary
                } else {
                    Alphabet::Gsm7Packed
                };
            }
        }
        dcs
    }

    /// Decodes an SMPP `data_coding` octet (SMPP 3.4 §5.2.19). Values the SMPP
    /// table does not name are read as a TP-DCS, which is what SMSCs pass through.
    /// GSM 7-bit in `short_message` follows the bind's default packing.
    pub fn from_smpp(raw: u8, default: DefaultAlphabet) -> Dcs {
        let gsm = match default {
            DefaultAlphabet::GsmPacked => Alphabet::Gsm7Packed,
            _ => Alphabet::Gsm7Unpacked,
        };
        let plain = |alphabet| Dcs {
            raw,
            alphabet,
            ..Dcs::default()
        };
        match raw {
            0x00 => plain(match default {
                DefaultAlphabet::GsmUnpacked => Alphabet::Gsm7Unpacked,
                DefaultAlphabet::GsmPacked => Alphabet::Gsm7Packed,
                DefaultAlphabet::Latin1 => Alphabet::Latin1,
            }),
            0x01 => plain(Alphabet::Ia5),
            0x02 | 0x04 => plain(Alphabet::Binary),
            0x03 => plain(Alphabet::Latin1),
            0x08 => plain(Alphabet::Ucs2),
            // JIS, Cyrillic, Hebrew, pictogram, ISO-2022-JP, Kanji, KS C 5601:
            // no decoder here; kept as bytes and decoded as Latin-1 by the caller.
            0x05..=0x07 | 0x09..=0x0F => Dcs {
                raw,
                alphabet: Alphabet::Binary,
                reserved: true,
                ..Dcs::default()
            },
            _ => {
                let mut dcs = Dcs::from_tp_dcs(raw);
                if dcs.alphabet == Alphabet::Gsm7Packed {
                    dcs.alphabet = gsm;
                }
                dcs
            }
        }
    }

    /// The TP-DCS for an alphabet without class (the general group).
    pub fn tp_dcs_for(alphabet: Alphabet) -> u8 {
        match alphabet {
            Alphabet::Gsm7Packed | Alphabet::Gsm7Unpacked => 0x00,
            Alphabet::Binary | Alphabet::Latin1 | Alphabet::Ia5 => 0x04,
            Alphabet::Ucs2 => 0x08,
        }
    }
}

/// Problems decoding 16-bit and 8-bit text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// UCS-2 text of an odd number of octets.
    #[error("UCS-2 text has an odd length ({len} octets); the last octet is dropped")]
    OddLength {
        /// Octets in the text.
        len: usize,
    },
    /// A UTF-16 surrogate without its other half; decoded as U+FFFD.
    #[error("octet {offset}: unpaired UTF-16 surrogate 0x{unit:04X}")]
    UnpairedSurrogate {
        /// Where the surrogate is.
        offset: usize,
        /// Its value.
        unit: u16,
    },
    /// An octet with bit 7 set in IA5 text.
    #[error("octet {offset}: 0x{value:02X} is not IA5 (7-bit ASCII)")]
    NotIa5 {
        /// Where the octet is.
        offset: usize,
        /// Its value.
        value: u8,
    },
}

/// Decodes UCS-2 as UTF-16BE: handsets send emoji as surrogate pairs
/// (3GPP TS 23.038 §6.2.3 leaves UCS-2 to ISO/IEC 10646; UTF-16 is a superset
/// in practice). Unpaired surrogates become U+FFFD and are reported. A
/// leading byte-order mark is dropped, and a little-endian one honoured, for
/// the gateways that send UTF-16 with a BOM.
pub fn decode_ucs2(bytes: &[u8], errors: &mut Vec<TextError>) -> String {
    if bytes.len() % 2 != 0 {
        errors.push(TextError::OddLength { len: bytes.len() });
    }
    let (body, little, skip) = match bytes {
        [0xFE, 0xFF, rest @ ..] => (rest, false, 2),
        [0xFF, 0xFE, rest @ ..] => (rest, true, 2),
        _ => (bytes, false, 0),
    };
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    let mut offset = skip;
    for r in char::decode_utf16(units) {
        match r {
            Ok(c) => {
                out.push(c);
                offset += c.len_utf16() * 2;
            }
            Err(e) => {
                errors.push(TextError::UnpairedSurrogate {
                    offset,
                    unit: e.unpaired_surrogate(),
                });
                out.push('\u{FFFD}');
                offset += 2;
            }
        }
    }
    out
}

/// Encodes text as UTF-16BE.
pub fn encode_ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Decodes ISO-8859-1: every octet is the code point of the same value.
pub fn decode_latin1(bytes: &[u8]) -> String {
    // ASCII reads the same in Latin-1 and UTF-8, and is what SMPP addresses
    // and most texts are: one copy instead of a character at a time.
    if bytes.is_ascii() {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return text.to_owned();
        }
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Encodes to ISO-8859-1; `None` when a character is outside it.
pub fn encode_latin1(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

/// Decodes IA5 (ASCII). Octets with bit 7 set are reported and read as Latin-1.
pub fn decode_ia5(bytes: &[u8], errors: &mut Vec<TextError>) -> String {
    if let Some(offset) = bytes.iter().position(|&b| b > 0x7F) {
        errors.push(TextError::NotIa5 {
            offset,
            value: bytes[offset],
        });
    }
    decode_latin1(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_alphabet_names_are_the_command_line_spellings() {
        for alphabet in DefaultAlphabet::ALL {
            assert_eq!(alphabet.to_string().parse(), Ok(alphabet));
        }
        assert_eq!("latin1".parse(), Ok(DefaultAlphabet::Latin1));
        let err = "gsm_unpacked".parse::<DefaultAlphabet>().unwrap_err();
        assert!(err.to_string().contains("gsm-unpacked, gsm-packed, latin1"));
    }

    #[test]
    fn tp_dcs_groups() {
        assert_eq!(Dcs::from_tp_dcs(0x00).alphabet, Alphabet::Gsm7Packed);
        assert_eq!(Dcs::from_tp_dcs(0x08).alphabet, Alphabet::Ucs2);
        let d = Dcs::from_tp_dcs(0x11);
        assert_eq!((d.alphabet, d.class), (Alphabet::Gsm7Packed, Some(1)));
        let d = Dcs::from_tp_dcs(0xF5);
        assert_eq!((d.alphabet, d.class), (Alphabet::Binary, Some(1)));
        assert!(Dcs::from_tp_dcs(0x20).compressed);
        assert_eq!(Dcs::from_tp_dcs(0x19).alphabet, Alphabet::Ucs2);
    }

    #[test]
    fn smpp_data_coding_follows_the_bind_default() {
        let d = |raw, def| Dcs::from_smpp(raw, def).alphabet;
        assert_eq!(d(0, DefaultAlphabet::GsmUnpacked), Alphabet::Gsm7Unpacked);
        assert_eq!(d(0, DefaultAlphabet::GsmPacked), Alphabet::Gsm7Packed);
        assert_eq!(d(0, DefaultAlphabet::Latin1), Alphabet::Latin1);
        assert_eq!(d(3, DefaultAlphabet::GsmUnpacked), Alphabet::Latin1);
        assert_eq!(d(8, DefaultAlphabet::GsmUnpacked), Alphabet::Ucs2);
        assert_eq!(
            d(0xF0, DefaultAlphabet::GsmUnpacked),
            Alphabet::Gsm7Unpacked
        );
        assert_eq!(d(0xF5, DefaultAlphabet::GsmUnpacked), Alphabet::Binary);
    }

    #[test]
    fn ucs2_with_surrogate_pairs_round_trips() {
        let text = "Grüße 😀👍 中文";
        let mut errs = Vec::new();
        assert_eq!(decode_ucs2(&encode_ucs2(text), &mut errs), text);
        assert!(errs.is_empty());
    }

    #[test]
    fn ucs2_odd_length_and_unpaired_surrogate_are_reported() {
        let mut errs = Vec::new();
        let text = decode_ucs2(&[0x00, 0x41, 0xD8, 0x3D, 0x00, 0x42, 0x00], &mut errs);
        assert_eq!(text, "A\u{FFFD}B");
        assert_eq!(
            errs,
            [
                TextError::OddLength { len: 7 },
                TextError::UnpairedSurrogate {
                    offset: 2,
                    unit: 0xD83D
                }
            ]
        );
    }

    #[test]
    fn ucs2_byte_order_marks_are_honoured() {
        let mut errs = Vec::new();
        assert_eq!(decode_ucs2(&[0xFE, 0xFF, 0x00, 0x41], &mut errs), "A");
        assert_eq!(
            decode_ucs2(&[0xFF, 0xFE, 0x41, 0x00, 0x3D, 0xD8, 0x00, 0xDE], &mut errs),
            "A😀"
        );
        assert!(errs.is_empty());
    }

    #[test]
    fn latin1_reads_every_octet_as_its_code_point() {
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = (0..=255u8).map(char::from).collect();
        assert_eq!(decode_latin1(&all), expected);
        assert_eq!(decode_latin1(b"+447700900123"), "+447700900123");
        assert_eq!(decode_latin1(b""), "");
    }

    #[test]
    fn latin1_round_trips() {
        let text = "Español: señor, ¿qué tal? 5£";
        assert_eq!(decode_latin1(&encode_latin1(text).unwrap()), text);
        assert_eq!(encode_latin1("€"), None);
    }
}
