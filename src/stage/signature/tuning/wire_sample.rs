//! The sample as the `rawbody` target sees it: on the wire.
//!
//! Patterns are profiled and [lazy DFAs chosen](crate::stage::signature::tuning::dfa_choice) on a
//! sample that stands in for the target's traffic. For every other target
//! that is text, but a raw body is mostly what the text became in transit:
//! quoted-printable (`=3D`, soft line breaks) and base64 attachments. Their
//! bytes make states no text makes: in a base64 line every letter case and
//! digit mix turns up, and over the phishing corpus (27% of raw-body bytes
//! in base64 lines, 21% in quoted-printable ones) a raw-body DFA chosen on
//! text alone grew to 7.8 MB of states against its 2 MB budget.

use crate::stage::signature::tuning::dfa_choice::xorshift;

/// Bytes per line of both encodings (RFC 2045).
const LINE: usize = 76;

/// `text` as a raw mail body: its first third as it is, the second third
/// quoted-printable, then as many bytes as a third of base64 lines of
/// random bytes (attachments are compressed data: their base64 uses every
/// symbol alike), each part after its MIME part header.
pub fn wire_form(text: &[u8]) -> Vec<u8> {
    let third = text.len() / 3;
    let mut out = Vec::with_capacity(text.len() * 3 / 2);
    part(&mut out, "text/html; charset=utf-8", "8bit");
    out.extend_from_slice(&text[..third]);
    part(&mut out, "text/plain; charset=utf-8", "quoted-printable");
    quoted_printable(&text[third..2 * third], &mut out);
    part(&mut out, "application/pdf; name=\"invoice.pdf\"", "base64");
    base64_lines(&random_bytes(third * 3 / 4), &mut out);
    out.extend_from_slice(b"\r\n--sample--\r\n");
    out
}

fn part(out: &mut Vec<u8>, content_type: &str, encoding: &str) {
    let header = format!(
        "\r\n--sample\r\nContent-Type: {content_type}\r\n\
         Content-Transfer-Encoding: {encoding}\r\n\r\n"
    );
    out.extend_from_slice(header.as_bytes());
}

/// RFC 2045 §6.7: printable ASCII but `=` as is, everything else `=XX`,
/// line breaks as CRLF, and soft breaks (`=` CRLF) before a line would
/// pass [`LINE`] bytes.
fn quoted_printable(text: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut column = 0;
    for &byte in text {
        if byte == b'\n' {
            out.extend_from_slice(b"\r\n");
            column = 0;
            continue;
        }
        let plain = matches!(byte, b' ' | b'!'..=b'<' | b'>'..=b'~');
        let width = if plain { 1 } else { 3 };
        if column + width > LINE - 1 {
            out.extend_from_slice(b"=\r\n");
            column = 0;
        }
        if plain {
            out.push(byte);
        } else {
            out.extend_from_slice(&[
                b'=',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ]);
        }
        column += width;
    }
}

fn base64_lines(bytes: &[u8], out: &mut Vec<u8>) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut column = 0;
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let n = u32::from_be_bytes([0, group[0], group[1], group[2]]);
        for k in 0..4 {
            let symbol = if k <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * k) & 63) as usize]
            } else {
                b'='
            };
            out.push(symbol);
        }
        column += 4;
        if column == LINE {
            out.extend_from_slice(b"\r\n");
            column = 0;
        }
    }
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut random = xorshift(1);
    (0..len).map(|_| (random() >> 24) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<&[u8]> {
        bytes
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .collect()
    }

    /// What mail-parser decodes a single-part body of `content_type` in
    /// `encoding` to.
    fn decoded(content_type: &str, encoding: &str, body: &[u8]) -> Option<Vec<u8>> {
        let header = format!(
            "Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
        );
        let mail = [header.as_bytes(), body].concat();
        let message = mail_parser::MessageParser::default().parse(&mail)?;
        Some(message.part(0)?.contents().to_vec())
    }

    #[test]
    fn quoted_printable_keeps_lines_short_and_decodes_back() {
        let text = "Prix: 12,50 \u{20ac}\nsoit =3D tout\tde suite ".repeat(20);
        let mut qp = Vec::new();
        quoted_printable(text.as_bytes(), &mut qp);
        assert!(qp.iter().all(|&b| matches!(b, b'\r' | b'\n' | b' '..=b'~')));
        assert!(
            lines(&qp).iter().all(|l| l.len() <= LINE),
            "RFC 2045 line length"
        );
        let back = decoded("text/plain; charset=utf-8", "quoted-printable", &qp);
        let back = back.map(|b| String::from_utf8_lossy(&b).replace("\r\n", "\n"));
        assert_eq!(back.as_deref(), Some(text.as_str()));
    }

    #[test]
    fn base64_lines_are_full_and_decode_back() {
        let bytes = random_bytes(1000);
        let mut b64 = Vec::new();
        base64_lines(&bytes, &mut b64);
        let all = lines(&b64);
        let (last, full) = all.split_last().expect("lines");
        assert!(full.iter().all(|l| l.len() == LINE));
        assert!(last.ends_with(b"=="), "1,000 bytes leave one byte over");
        let back = decoded("application/octet-stream", "base64", &b64);
        assert_eq!(back.as_deref(), Some(&bytes[..]));
    }

    #[test]
    fn wire_form_is_about_as_long_as_the_text_and_has_every_part() {
        let text = crate::stage::signature::tuning::profile::builtin_sample();
        let wire = wire_form(&text);
        let (low, high) = (text.len(), text.len() * 5 / 4);
        assert!((low..high).contains(&wire.len()), "{} bytes", wire.len());
        for encoding in ["8bit", "quoted-printable", "base64"] {
            let header = format!("Content-Transfer-Encoding: {encoding}\r\n");
            assert!(
                wire.windows(header.len()).any(|w| w == header.as_bytes()),
                "{encoding}"
            );
        }
    }
}
