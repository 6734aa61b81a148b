//! Content transfer encodings (RFC 2045 §6.7–§6.8) that some handsets put
//! on MMS parts as textual headers, and RFC 2047 encoded words that some
//! MMSCs put into the Subject although MMS has its own charset encoding
//! (OMA-TS-MMS_ENC-V1_3 §7.2.9). Spam hides words in both.

use super::wsp;

/// RFC 2045 §6.8 base64, ignoring whitespace and stopping at padding or junk.
pub fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in data {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 2045 §6.7 quoted-printable.
pub fn quoted_printable(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'=' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (data.get(i + 1), data.get(i + 2)) {
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(&a), Some(&b)) if hex(a).is_some() && hex(b).is_some() => {
                    out.push((hex(a).unwrap_or(0) * 16 + hex(b).unwrap_or(0)) as u8);
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            }
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?charset?B|Q?text?=`) in `text`;
/// `None` when there are none. Whitespace between adjacent encoded words
/// is dropped (RFC 2047 §6.2); unknown charsets decode lossily as UTF-8.
pub fn decode_encoded_words(text: &str) -> Option<String> {
    if !text.contains("=?") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut found = false;
    let mut pending_space = "";
    while let Some(start) = rest.find("=?") {
        let (before, tail) = rest.split_at(start);
        let Some((word, after)) = encoded_word(tail) else {
            out.push_str(pending_space);
            pending_space = "";
            out.push_str(before);
            out.push_str("=?");
            rest = &tail[2..];
            continue;
        };
        if !(found && before.trim().is_empty()) {
            out.push_str(pending_space);
            out.push_str(before);
        }
        out.push_str(&word);
        found = true;
        pending_space = "";
        rest = after;
        let ws = rest.len() - rest.trim_start().len();
        if ws > 0 && rest.trim_start().starts_with("=?") {
            pending_space = &rest[..ws];
            rest = &rest[ws..];
        }
    }
    out.push_str(pending_space);
    out.push_str(rest);
    found.then_some(out)
}

/// One encoded word at the start of `s`: its decoded text and the rest.
fn encoded_word(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (encoding, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let (payload, rest) = (&body[..end], &body[end + 2..]);
    // RFC 2231 language suffix: charset*lang.
    let charset = charset.split('*').next().unwrap_or(charset);
    let bytes = match encoding {
        "B" | "b" => base64(payload.as_bytes()),
        "Q" | "q" => quoted_printable(payload.replace('_', " ").as_bytes()),
        _ => return None,
    };
    let mib = wsp::charset_by_name(charset);
    let (text, _) = wsp::decode_text(&bytes, mib.or(Some(wsp::MIB_UTF_8)));
    Some((text.into_owned(), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_decodings() {
        assert_eq!(base64(b"aGVs\r\nbG8="), b"hello");
        assert_eq!(quoted_printable(b"caf=C3=A9=\r\n!"), "café!".as_bytes());
    }

    #[test]
    fn encoded_words_in_subjects() {
        assert_eq!(decode_encoded_words("plain"), None);
        assert_eq!(
            decode_encoded_words("=?utf-8?B?R2V3aW5u?=").as_deref(),
            Some("Gewinn")
        );
        assert_eq!(
            decode_encoded_words("Re: =?iso-8859-1?Q?Gr=FC=DFe?= =?utf-8?Q?_aus_K=C3=B6ln?= !")
                .as_deref(),
            Some("Re: Grüße aus Köln !")
        );
        assert_eq!(decode_encoded_words("=?utf-8?B??=").as_deref(), Some(""));
        assert_eq!(decode_encoded_words("a =? b").as_deref(), None);
    }
}
