//! Writing messages out: SMS as the JSON lines `floodwall scan` reads, mail
//! as an mbox, and a truth row per message.

use std::io::{self, Write};

use serde::Serialize;

/// One message ready to write.
#[derive(Clone, Debug)]
pub struct Outgoing<'a> {
    /// When it was received, in ms since the Unix epoch.
    pub time_ms: u64,
    /// The sender: an MSISDN, an alphanumeric sender id or a mail address.
    pub sender: &'a str,
    /// The one recipient.
    pub recipient: &'a str,
    /// The mail's subject (none for SMS).
    pub subject: Option<&'a str>,
    /// The text or body.
    pub text: &'a str,
    /// A mailing list's id, for a solicited list post.
    pub list: Option<&'a str>,
    /// A token that makes the mail's Message-ID unique.
    pub id: u64,
}

#[derive(Serialize)]
struct SmsLine<'a> {
    from: &'a str,
    to: &'a str,
    text: &'a str,
    time: u64,
}

/// One JSON line as [`crate::ingest::record`] reads it.
pub fn sms_line(out: &mut impl Write, msg: &Outgoing<'_>) -> io::Result<()> {
    let line = SmsLine {
        from: msg.sender,
        to: msg.recipient,
        text: msg.text,
        time: msg.time_ms,
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// One mbox message: the `From ` line carries the envelope sender and the
/// receive time (what [`crate::ingest::mbox::FromLine`] reads back), the
/// headers those and the recipient; body lines that would read as a `From `
/// line are quoted with `>` (mboxrd).
pub fn mbox_message(out: &mut impl Write, msg: &Outgoing<'_>) -> io::Result<()> {
    let civil = Civil::from_ms(msg.time_ms);
    let domain = msg.sender.rsplit_once('@').map_or("localhost", |(_, d)| d);
    writeln!(out, "From {} {}", msg.sender, civil.asctime())?;
    writeln!(out, "Return-Path: <{}>", msg.sender)?;
    writeln!(out, "From: <{}>", msg.sender)?;
    writeln!(out, "To: <{}>", msg.recipient)?;
    writeln!(out, "Date: {}", civil.rfc5322())?;
    writeln!(
        out,
        "Message-ID: <{:016x}.{}@{domain}>",
        msg.id, msg.time_ms
    )?;
    let subject: String = msg
        .subject
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    writeln!(out, "Subject: {subject}")?;
    if let Some(list) = msg.list {
        writeln!(out, "List-Id: <{list}>")?;
        writeln!(
            out,
            "List-Unsubscribe: <mailto:{}?subject=unsubscribe>",
            msg.sender
        )?;
        writeln!(out, "Precedence: list")?;
    }
    writeln!(out, "MIME-Version: 1.0")?;
    writeln!(out, "Content-Type: text/plain; charset=utf-8")?;
    writeln!(out, "Content-Transfer-Encoding: 8bit")?;
    writeln!(out)?;
    for line in msg.text.lines() {
        if line.trim_start_matches('>').starts_with("From ") {
            out.write_all(b">")?;
        }
        writeln!(out, "{line}")?;
    }
    writeln!(out)
}

/// A UTC date and time, from milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    year: i64,
    month: u32,
    day: u32,
    weekday: usize,
    seconds: u64,
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Civil {
    /// The date of `ms` (H. Hinnant's `civil_from_days`).
    pub fn from_ms(ms: u64) -> Civil {
        let days = (ms / 86_400_000) as i64;
        let seconds = (ms / 1000) % 86_400;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            weekday: days.rem_euclid(7) as usize,
            seconds,
        }
    }

    fn clock(&self) -> String {
        let s = self.seconds;
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }

    /// `Mon Mar  2 00:00:00 2026`, as an mbox `From ` line dates a message.
    pub fn asctime(&self) -> String {
        format!(
            "{} {} {:>2} {} {}",
            DAYS[self.weekday],
            MONTHS[self.month as usize - 1],
            self.day,
            self.clock(),
            self.year
        )
    }

    /// `Mon, 02 Mar 2026 00:00:00 +0000` (RFC 5322 §3.3).
    pub fn rfc5322(&self) -> String {
        format!(
            "{}, {:02} {} {} {} +0000",
            DAYS[self.weekday],
            self.day,
            MONTHS[self.month as usize - 1],
            self.year,
            self.clock()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_mbox_and_rfc5322_want_them() {
        // 2026-03-02T00:00:00Z was a Monday.
        let civil = Civil::from_ms(1_772_409_600_000 + 3_723_000);
        assert_eq!(civil.asctime(), "Mon Mar  2 01:02:03 2026");
        assert_eq!(civil.rfc5322(), "Mon, 02 Mar 2026 01:02:03 +0000");
        assert_eq!(Civil::from_ms(0).asctime(), "Thu Jan  1 00:00:00 1970");
    }

    #[test]
    fn mbox_bodies_quote_from_lines() {
        let msg = Outgoing {
            time_ms: 1_772_409_600_000,
            sender: "a@b.example",
            recipient: "c@d.example",
            subject: Some("hi"),
            text: "From here on\n>From there\nok",
            list: None,
            id: 1,
        };
        let mut out = Vec::new();
        mbox_message(&mut out, &msg).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("From a@b.example Mon Mar  2 00:00:00 2026\n"));
        assert!(
            text.contains("\n>From here on\n>>From there\nok\n\n"),
            "{text}"
        );
        assert_eq!(text.matches("\nFrom ").count(), 0);
    }
}
