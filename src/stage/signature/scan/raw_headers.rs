//! Header fields as the message wrote them, for the `rawheader` targets.
//!
//! The `header` targets read the values the email decoder made, which for
//! structured fields (addresses, Message-Id) are re-rendered: the brackets
//! of a Message-Id dropped, `name <addr>` normalised. Rules written for
//! SpamAssassin test the text as written (`/^<[^@]+@[^>]+>$/`), so the
//! `rawheader` targets give it: each field of the header section unfolded
//! (line breaks before continuation whitespace removed, the whitespace
//! kept), its value without the leading whitespace, encoded words left as
//! they are.

/// Calls `each(name, value)` for each header field of `section` (the bytes
/// before the body), values unfolded into `buf`.
pub(in crate::stage::signature) fn for_each_field(
    section: &[u8],
    buf: &mut Vec<u8>,
    mut each: impl FnMut(&[u8], &[u8]),
) {
    let mut lines = section.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        if name.is_empty() || name[0] == b' ' || name[0] == b'\t' {
            continue;
        }
        buf.clear();
        buf.extend_from_slice(&line[colon + 1..]);
        while let Some(next) = lines.peek() {
            if !next.starts_with(b" ") && !next.starts_with(b"\t") {
                break;
            }
            let next = next.strip_suffix(b"\r").unwrap_or(next);
            buf.extend_from_slice(next);
            lines.next();
        }
        let start = buf
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(buf.len());
        let end = buf
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(start, |e| e + 1);
        let name = trim_end(name);
        each(name, &buf[start..end.max(start)]);
    }
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |e| e + 1);
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(section: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for_each_field(section, &mut Vec::new(), |n, v| {
            out.push((
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        });
        out
    }

    #[test]
    fn unfolds_and_keeps_the_text_as_written() {
        let got = fields(
            b"Message-ID: <a@b>\r\nSubject: one\r\n\ttwo\r\nFrom:  \"X\" <x@y>\nbad line\n\nBody: no\n",
        );
        assert_eq!(
            got,
            [
                ("Message-ID".into(), "<a@b>".into()),
                ("Subject".into(), "one\ttwo".into()),
                ("From".into(), "\"X\" <x@y>".into()),
            ]
        );
        assert!(fields(b"").is_empty());
        assert_eq!(fields(b"Empty:\n"), [("Empty".into(), String::new())]);
    }
}
