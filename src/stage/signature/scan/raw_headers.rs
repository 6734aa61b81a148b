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

/// Calls `each(name, value)` for each header field of every MIME part of a
/// message: the top-level header section, then the header of each part that
/// follows a boundary delimiter (`--B` for a boundary `B` named by a
/// Content-Type seen so far), as SpamAssassin's `mimeheader` rules read them.
pub(in crate::stage::signature) fn for_each_part_field(
    raw: &[u8],
    body_offset: usize,
    buf: &mut Vec<u8>,
    mut each: impl FnMut(&[u8], &[u8]),
) {
    let mut boundaries: Vec<Vec<u8>> = Vec::new();
    let mut fields_of = |section: &[u8], buf: &mut Vec<u8>, boundaries: &mut Vec<Vec<u8>>| {
        for_each_field(section, buf, |name, value| {
            if name.eq_ignore_ascii_case(b"content-type") {
                if let Some(b) = boundary_of(value) {
                    if !boundaries.contains(&b) {
                        boundaries.push(b);
                    }
                }
            }
            each(name, value);
        });
    };
    let (head, body) = match body_offset {
        0 => (raw, &[][..]),
        n => (raw.get(..n).unwrap_or(raw), raw.get(n..).unwrap_or(&[])),
    };
    fields_of(head, buf, &mut boundaries);
    let mut at = 0;
    while at < body.len() {
        let end = memchr::memchr(b'\n', &body[at..]).map_or(body.len(), |i| at + i + 1);
        let line = trim_end(&body[at..end]);
        at = end;
        let is_delimiter = line
            .strip_prefix(b"--")
            .is_some_and(|rest| boundaries.iter().any(|b| b.as_slice() == rest));
        if is_delimiter {
            fields_of(&body[at..], buf, &mut boundaries);
        }
    }
}

/// The `boundary` parameter of a Content-Type value.
fn boundary_of(value: &[u8]) -> Option<Vec<u8>> {
    let lower = value.to_ascii_lowercase();
    let at = memchr::memmem::find(&lower, b"boundary=")? + b"boundary=".len();
    let rest = &value[at..];
    let b = match rest.strip_prefix(b"\"") {
        Some(quoted) => &quoted[..memchr::memchr(b'"', quoted)?],
        None => {
            let end = rest
                .iter()
                .position(|&c| c == b';' || c.is_ascii_whitespace())
                .unwrap_or(rest.len());
            &rest[..end]
        }
    };
    (!b.is_empty()).then(|| b.to_vec())
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
    fn part_headers_follow_boundaries_nested_ones_too() {
        let raw = b"Content-Type: multipart/mixed; boundary=\"A\"\n\npreamble\n--A\n\
Content-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\nhi\n\
--B--\n--A\nContent-Type: application/pdf; name=x.pdf\n\n%PDF\n--A--\n";
        let body_offset = raw.windows(8).position(|w| w == b"preamble").unwrap();
        let mut types = Vec::new();
        for_each_part_field(raw, body_offset, &mut Vec::new(), |n, v| {
            if n.eq_ignore_ascii_case(b"content-type") {
                types.push(String::from_utf8_lossy(v).into_owned());
            }
        });
        assert_eq!(
            types,
            [
                "multipart/mixed; boundary=\"A\"",
                "multipart/alternative; boundary=B",
                "text/plain",
                "application/pdf; name=x.pdf",
            ]
        );
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
