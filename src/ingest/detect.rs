//! Format detection and the framing of binary and hex-line inputs.
//!
//! Callers that know what they have name the [`Format`]; the CLI's
//! `--format auto` uses [`detect`], which looks only at the first bytes.

use std::borrow::Cow;

use super::{Format, IngestError, Payload};

/// SMPP command ids that a stream of PDUs starts with in practice
/// (SMPP 3.4 §5.1.2.1, plus the v5.0 broadcast commands).
const SMPP_COMMANDS: &[u32] = &[
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x15, 0x21, 0x102, 0x103, 0x111,
    0x112, 0x113,
];

/// Guesses the format of an input file from its first bytes.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    if looks_like_smpp(bytes) {
        return Some(Format::Smpp);
    }
    // OMA MMS encapsulation: X-Mms-Message-Type (0x8C) comes first, with a
    // message type value 0x80..=0x8A (OMA-TS-MMS_ENC §7.3.30).
    if bytes.len() >= 2 && bytes[0] == 0x8C && (0x80..=0x8A).contains(&bytes[1]) {
        return Some(Format::Mms);
    }
    let text = bytes.trim_ascii_start();
    if text.is_empty() {
        return None;
    }
    if text.starts_with(b"{") {
        return Some(Format::Jsonl);
    }
    if text.starts_with(b"From ") {
        return Some(Format::Mbox);
    }
    if let Ok(lines) = hex_lines(bytes) {
        let first = lines.first()?;
        return Some(if looks_like_smpp(first) {
            Format::Smpp
        } else {
            Format::Tpdu
        });
    }
    Some(Format::Eml)
}

pub(crate) fn looks_like_smpp(bytes: &[u8]) -> bool {
    if bytes.len() < 16 {
        return false;
    }
    let length = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let id = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    (16..=bytes.len()).contains(&length) && SMPP_COMMANDS.contains(&(id & 0x7FFF_FFFF))
}

/// Splits SMPP input: hex lines, or binary PDUs back to back framed by their
/// `command_length`, handing each PDU to `each`. A PDU whose length field
/// lies is passed on whole to the decoder, which reports it: nothing is
/// dropped here.
pub(crate) fn split_smpp<'a>(
    bytes: &'a [u8],
    mut each: impl FnMut(Payload<'a>),
) -> Result<(), IngestError> {
    if !looks_like_smpp(bytes) {
        if let Ok(lines) = hex_lines(bytes) {
            for pdu in lines {
                each(Payload::Smpp(Cow::Owned(pdu)));
            }
            return Ok(());
        }
    }
    let mut rest = bytes;
    while !rest.is_empty() {
        let length = if rest.len() >= 4 {
            u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize
        } else {
            0
        };
        let take = if (16..=rest.len()).contains(&length) {
            length
        } else {
            rest.len()
        };
        each(Payload::Smpp(Cow::Borrowed(&rest[..take])));
        rest = &rest[take..];
    }
    Ok(())
}

/// Decodes hex, one item per line. Blank lines and `#` comments are skipped;
/// white space inside a line and a `0x` prefix are allowed.
pub fn hex_lines(bytes: &[u8]) -> Result<Vec<Vec<u8>>, IngestError> {
    let mut out = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let line = line.strip_prefix(b"0x").unwrap_or(line);
        out.push(decode_hex(line).map_err(|reason| IngestError::BadHex {
            line: i + 1,
            reason,
        })?);
    }
    if out.is_empty() {
        return Err(IngestError::BadHex {
            line: 1,
            reason: "no hex lines",
        });
    }
    Ok(out)
}

fn decode_hex(line: &[u8]) -> Result<Vec<u8>, &'static str> {
    let digits: Vec<u8> = line
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.len() % 2 != 0 {
        return Err("odd number of hex digits");
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16).ok_or("not a hex digit")?;
            let lo = (pair[1] as char).to_digit(16).ok_or("not a hex digit")?;
            Ok((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENQUIRE_LINK: &[u8] = &[0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1];

    #[test]
    fn detects_each_format() {
        assert_eq!(detect(ENQUIRE_LINK), Some(Format::Smpp));
        assert_eq!(
            detect(b"00000010000000150000000000000001\n"),
            Some(Format::Smpp)
        );
        assert_eq!(
            detect(
                b"07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07\n"
            ),
            Some(Format::Tpdu)
        );
        assert_eq!(detect(&[0x8C, 0x84, 0x98]), Some(Format::Mms));
        assert_eq!(detect(b"{\"text\":\"hi\"}\n"), Some(Format::Jsonl));
        assert_eq!(detect(b"From x Mon\nSubject: a\n\nb\n"), Some(Format::Mbox));
        assert_eq!(detect(b"Subject: a\n\nb\n"), Some(Format::Eml));
        assert_eq!(detect(b"  \n"), None);
    }

    #[test]
    fn binary_smpp_is_framed_by_command_length() {
        let mut two = ENQUIRE_LINK.to_vec();
        two.extend_from_slice(ENQUIRE_LINK);
        two.extend_from_slice(&[0, 0, 0, 99, 1]);
        let mut payloads = Vec::new();
        split_smpp(&two, |p| payloads.push(p)).unwrap();
        assert_eq!(
            payloads.len(),
            3,
            "the lying tail is kept for the decoder to report"
        );
    }

    #[test]
    fn hex_errors_name_the_line() {
        assert!(matches!(
            hex_lines(b"00\nzz\n"),
            Err(IngestError::BadHex { line: 2, .. })
        ));
    }
}
