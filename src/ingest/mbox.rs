//! mbox files split into messages, without copying.
//!
//! A message starts at a line beginning `From ` at the start of the file or
//! after a newline (the mboxo/mboxrd convention; quoted `>From ` lines stay
//! as they are, which rules do not mind).

/// Iterates over the messages of an mbox file, each without its `From ` line.
pub fn split(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let start = if rest.starts_with(b"From ") {
            rest.iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |i| i + 1)
        } else {
            0
        };
        let body = &rest[start..];
        let end = find_separator(body).unwrap_or(body.len());
        let message = &body[..end];
        rest = &body[end..];
        if message.iter().any(|b| !b.is_ascii_whitespace()) {
            return Some(message);
        }
    })
}

/// Offset just after the newline that precedes the next `From ` line.
/// One `memmem` search: the byte-at-a-time scan for newlines it replaces
/// read every byte of every message a second time.
fn find_separator(body: &[u8]) -> Option<usize> {
    memchr::memmem::find(body, b"\nFrom ").map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_from_lines_only_at_line_start() {
        let mbox = b"From a@b Mon Jan 1\nSubject: one\n\nbody From x\n\nFrom c@d Tue\nSubject: two\n\nbody\n";
        let messages: Vec<_> = split(mbox).collect();
        assert_eq!(messages.len(), 2);
        assert!(messages[0].starts_with(b"Subject: one"));
        assert!(messages[1].starts_with(b"Subject: two"));
    }

    #[test]
    fn separator_is_the_first_from_line_after_a_newline() {
        assert_eq!(find_separator(b"a\nFrom x\nFrom y"), Some(2));
        assert_eq!(find_separator(b"a From x\n>From y\nFrom"), None);
        assert_eq!(find_separator(b"\nFrom "), Some(1));
        assert_eq!(find_separator(b""), None);
    }

    #[test]
    fn file_without_from_line_is_one_message() {
        assert_eq!(split(b"Subject: x\n\nhi\n").count(), 1);
        assert_eq!(split(b"").count(), 0);
    }
}
