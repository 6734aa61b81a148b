//! The text each rule target reads, taken from a [`Message`] without copying
//! where one slice serves (a single text part, a subject), and through one
//! reused buffer where parts must be joined.

use super::raw_headers;
use crate::message::Message;
use crate::rules::Target;

/// Calls `scan` with each text the target has in `msg` (none, one, or one per
/// URL/recipient). `buf` is per-thread scratch.
pub(in crate::stage::signature) fn for_each_text(
    msg: &Message<'_>,
    target: &Target,
    buf: &mut Vec<u8>,
    mut scan: impl FnMut(&[u8]),
) {
    match target {
        Target::Subject => {
            if let Some(subject) = &msg.subject {
                scan(subject.as_bytes());
            }
        }
        Target::Body => match msg.text_parts.as_slice() {
            [] => {}
            [one] => scan(one.text.as_bytes()),
            parts => {
                buf.clear();
                for part in parts {
                    buf.extend_from_slice(part.text.as_bytes());
                    buf.push(b'\n');
                }
                scan(buf);
            }
        },
        Target::RawBody => scan(msg.raw_body()),
        Target::Header(name) => {
            buf.clear();
            let mut found = 0;
            for value in msg.header_values(name) {
                if found > 0 {
                    buf.push(b'\n');
                }
                buf.extend_from_slice(value.as_bytes());
                found += 1;
            }
            if found > 0 {
                scan(buf);
            }
        }
        Target::AllHeaders => {
            if msg.headers.is_empty() {
                return;
            }
            buf.clear();
            for h in &msg.headers {
                buf.extend_from_slice(h.name.as_bytes());
                buf.extend_from_slice(b": ");
                buf.extend_from_slice(h.value.as_bytes());
                buf.push(b'\n');
            }
            scan(buf);
        }
        Target::RawHeader(name) => {
            let mut joined = Vec::new();
            let mut found = 0;
            raw_headers::for_each_field(header_section(msg), buf, |field, value| {
                if field.eq_ignore_ascii_case(name.as_bytes()) {
                    if found > 0 {
                        joined.push(b'\n');
                    }
                    joined.extend_from_slice(value);
                    found += 1;
                }
            });
            if found > 0 {
                scan(&joined);
            }
        }
        Target::MimeHeader(name) => {
            let raw = &msg.raw;
            raw_headers::for_each_part_field(raw, msg.body_offset, buf, |field, value| {
                if field.eq_ignore_ascii_case(name.as_bytes()) {
                    scan(value);
                }
            });
        }
        Target::AllRawHeaders => {
            let mut all = Vec::new();
            raw_headers::for_each_field(header_section(msg), buf, |field, value| {
                all.extend_from_slice(field);
                all.extend_from_slice(b": ");
                all.extend_from_slice(value);
                all.push(b'\n');
            });
            if !all.is_empty() {
                scan(&all);
            }
        }
        Target::Url => msg.urls.iter().for_each(|u| scan(u.as_bytes())),
        Target::Sender => {
            if let Some(sender) = sender(msg) {
                scan(sender.as_bytes());
            }
        }
        Target::Recipient => msg
            .envelope
            .recipients
            .iter()
            .for_each(|r| scan(r.value.as_bytes())),
    }
}

/// The bytes before the body: the header section (all of the message when
/// it has no body).
fn header_section<'m>(msg: &'m Message<'_>) -> &'m [u8] {
    match msg.body_offset {
        0 => &msg.raw,
        n => msg.raw.get(..n).unwrap_or(&msg.raw),
    }
}

/// The envelope sender, or for mail without one, the address in `From`.
fn sender<'m>(msg: &'m Message<'_>) -> Option<&'m str> {
    if let Some(sender) = &msg.envelope.sender {
        return Some(&sender.value);
    }
    let from = msg.header_values("from").next()?;
    let addr = match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => &from[open + 1..close],
        _ => from,
    };
    Some(addr.trim())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::ingest::Protocol;
    use crate::message::{Channel, Header, TextPart};

    fn texts(msg: &Message<'_>, target: &Target) -> Vec<String> {
        let mut out = Vec::new();
        for_each_text(msg, target, &mut Vec::new(), |t| {
            out.push(String::from_utf8_lossy(t).into_owned())
        });
        out
    }

    #[test]
    fn joins_parts_and_headers_and_falls_back_to_from() {
        let mut msg = Message::new(
            Channel::Email,
            Cow::Borrowed(b"H: v\n\nraw body"),
            Protocol::None,
        );
        msg.body_offset = 6;
        msg.text_parts = vec![
            TextPart {
                content_type: "text/plain".into(),
                text: "one".into(),
            },
            TextPart {
                content_type: "text/html".into(),
                text: "two".into(),
            },
        ];
        msg.headers = vec![
            Header {
                name: "From".into(),
                value: "Bob <bob@example.com>".into(),
            },
            Header {
                name: "Received".into(),
                value: "a".into(),
            },
            Header {
                name: "received".into(),
                value: "b".into(),
            },
        ];
        assert_eq!(texts(&msg, &Target::Body), ["one\ntwo\n"]);
        assert_eq!(texts(&msg, &Target::RawBody), ["raw body"]);
        assert_eq!(texts(&msg, &Target::Header("received".into())), ["a\nb"]);
        msg.headers[1].value = "".into();
        assert_eq!(
            texts(&msg, &Target::Header("received".into())),
            ["\nb"],
            "an empty first value keeps its line"
        );
        assert_eq!(texts(&msg, &Target::Sender), ["bob@example.com"]);
        assert!(texts(&msg, &Target::Subject).is_empty());
        assert!(texts(&msg, &Target::Header("x-none".into())).is_empty());
    }
}
