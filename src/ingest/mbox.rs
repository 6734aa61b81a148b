//! mbox files split into messages, without copying.
//!
//! A message starts at a line beginning `From ` at the start of the file or
//! after a newline (the mboxo/mboxrd convention; quoted `>From ` lines stay
//! as they are, which rules do not mind).
//!
//! The `From ` line itself names the envelope sender and the time the
//! mailbox received the message; [`FromLine`] reads both, so that a replayed
//! mbox is judged by its own clock (stream stages count by
//! `Envelope::received_ms`).

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

/// What an mbox `From ` line says: `From sender Www Mmm dd hh:mm:ss yyyy`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FromLine {
    /// The envelope sender, when the line names one address (`user@host`;
    /// pipermail's `user at host` and `MAILER-DAEMON` are not taken).
    pub sender: Option<String>,
    /// The receive time in milliseconds since the Unix epoch, read as UTC
    /// (the asctime form carries no zone; a numeric zone after the time is
    /// skipped, not applied).
    pub received_ms: Option<u64>,
}

impl FromLine {
    /// Reads a `From ` line (with or without its newline); `None` when the
    /// line does not start with `From `. A date that does not parse leaves
    /// `received_ms` empty rather than failing: the message is still mail.
    pub fn parse(line: &[u8]) -> Option<FromLine> {
        let rest = line.strip_prefix(b"From ")?;
        let text = String::from_utf8_lossy(rest);
        let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
        let date_at = (0..tokens.len())
            .find(|&i| weekday(tokens[i]) && tokens.get(i + 1).is_some_and(|m| month(m).is_some()));
        let sender_tokens = &tokens[..date_at.unwrap_or(tokens.len().min(1))];
        let sender = match sender_tokens {
            [one] if one.contains('@') && !one.starts_with('@') => Some(one.to_string()),
            _ => None,
        };
        let received_ms = date_at.and_then(|i| asctime_ms(&tokens[i + 1..]));
        Some(FromLine {
            sender,
            received_ms,
        })
    }

    /// The `From ` line just before `start`, the first byte of a message
    /// that [`split`] gave (a frame's range start), if there is one.
    pub fn before(bytes: &[u8], start: usize) -> Option<FromLine> {
        let head = bytes.get(..start)?.strip_suffix(b"\n")?;
        let head = head.strip_suffix(b"\r").unwrap_or(head);
        let line_start = memchr::memrchr(b'\n', head).map_or(0, |i| i + 1);
        FromLine::parse(&head[line_start..])
    }
}

fn weekday(token: &str) -> bool {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&token)
}

fn month(token: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS
        .iter()
        .position(|m| *m == token)
        .map(|i| i as i64 + 1)
}

/// `Mmm dd hh:mm:ss [zone] yyyy` as milliseconds since the epoch.
fn asctime_ms(tokens: &[&str]) -> Option<u64> {
    let month = month(tokens.first()?)?;
    let day: i64 = tokens.get(1)?.parse().ok()?;
    let mut clock = tokens.get(2)?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (
        clock.next()??,
        clock.next()??,
        clock.next().flatten().unwrap_or(0),
    );
    let year: i64 = tokens[3..]
        .iter()
        .take(2)
        .find(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))?
        .parse()
        .ok()?;
    if !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&m)
        || !(0..=60).contains(&s)
    {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    u64::try_from(seconds).ok().map(|s| s * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms", `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_lines_give_sender_and_time() {
        let line = FromLine::parse(b"From a@b.example Mon Mar  2 01:02:03 2026\n").unwrap();
        assert_eq!(line.sender.as_deref(), Some("a@b.example"));
        assert_eq!(line.received_ms, Some(1_772_409_600_000 + 3_723_000));
        let piper = FromLine::parse(b"From bugzilla at fiji.sc  Sat Aug 16 09:16:27 2014").unwrap();
        assert_eq!(piper.sender, None);
        assert_eq!(piper.received_ms, Some(1_408_180_587_000));
        let zoned = FromLine::parse(b"From x@y Thu Jan  1 00:00:10 +0000 1970").unwrap();
        assert_eq!(zoned.received_ms, Some(10_000));
    }

    #[test]
    fn bad_from_lines_give_no_time_and_no_panic() {
        assert_eq!(FromLine::parse(b"Subject: x"), None);
        for line in [
            &b"From "[..],
            b"From a@b",
            b"From a@b Mon Foo 2 01:02:03 2026",
            b"From a@b Mon Mar 99 01:02:03 2026",
            b"From a@b Mon Mar 2 25:02:03 2026",
            b"From a@b Mon Mar 2 01:02:03",
            b"From a@b Mon Mar 2 :: 2026",
        ] {
            assert_eq!(FromLine::parse(line).unwrap().received_ms, None, "{line:?}");
        }
    }

    #[test]
    fn the_from_line_before_a_split_message_is_found() {
        let mbox = b"From a@b Mon Mar  2 00:00:00 2026\nSubject: one\n\nbody\n\nFrom c@d Mon Mar  2 00:00:01 2026\nSubject: two\n\nx\n";
        let starts: Vec<usize> = split(mbox)
            .map(|m| m.as_ptr() as usize - mbox.as_ptr() as usize)
            .collect();
        let lines: Vec<FromLine> = starts
            .iter()
            .map(|&s| FromLine::before(mbox, s).unwrap())
            .collect();
        assert_eq!(lines[0].sender.as_deref(), Some("a@b"));
        assert_eq!(lines[1].received_ms, Some(1_772_409_601_000));
        assert_eq!(FromLine::before(b"Subject: x\n\n", 0), None);
    }

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
