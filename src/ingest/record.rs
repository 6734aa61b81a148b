//! JSON-lines SMS records: the simplest way to feed text messages from a
//! log or another system, one JSON object per line:
//!
//! ```json
//! {"from": "+447700900123", "to": "+447700900456", "text": "Your parcel is waiting"}
//! ```
//!
//! `from` and `to` are optional; `to` may be a list; `channel` may be
//! `"sms"` (default) or `"mms"`; `subject` is optional; `time`, when the
//! message was received in milliseconds since the Unix epoch, is optional
//! (a replayed log has it, and stream stages count by it).

use std::borrow::Cow;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::{urls, IngestError};
use crate::message::Protocol;
use crate::message::{Address, Channel, Message, TextPart};

/// One SMS (or MMS text) record.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsRecord {
    /// The sender, if known.
    #[serde(default)]
    pub from: Option<String>,
    /// The recipient or recipients.
    #[serde(default)]
    pub to: Recipients,
    /// The message text.
    pub text: String,
    /// A subject (an MMS has one).
    #[serde(default)]
    pub subject: Option<String>,
    /// `"sms"` (the default) or `"mms"`.
    #[serde(default)]
    pub channel: Option<String>,
    /// When the message was received, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub time: Option<u64>,
}

/// One recipient or several.
#[derive(Clone, Debug, Default)]
pub enum Recipients {
    /// No `to` field.
    #[default]
    None,
    /// `"to": "+447700900456"`.
    One(String),
    /// `"to": [...]`.
    Many(Vec<String>),
}

/// By hand rather than `#[serde(untagged)]`: untagged buffers the value and
/// tries each variant in turn, building (and formatting) an error for every
/// miss, which on the SMS record path cost ~5% of the whole scan.
impl<'de> Deserialize<'de> for Recipients {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Recipients, D::Error> {
        deserializer.deserialize_any(RecipientsVisitor)
    }
}

struct RecipientsVisitor;

impl<'de> Visitor<'de> for RecipientsVisitor {
    type Value = Recipients;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a recipient or a list of recipients")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Recipients, E> {
        Ok(Recipients::One(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Recipients, E> {
        Ok(Recipients::One(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Recipients, E> {
        Ok(Recipients::None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Recipients, E> {
        Ok(Recipients::None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Recipients, A::Error> {
        let mut all = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(one) = seq.next_element::<String>()? {
            all.push(one);
        }
        Ok(Recipients::Many(all))
    }
}

impl SmsRecord {
    /// The record as a message: SMS unless `channel` says MMS, text as
    /// its one text part and as its raw bytes.
    pub fn into_message(self) -> Message<'static> {
        let channel = match self.channel.as_deref().and_then(Channel::parse) {
            Some(Channel::Mms) => Channel::Mms,
            _ => Channel::Sms,
        };
        let mut msg = Message::new(
            channel,
            Cow::Owned(self.text.clone().into_bytes()),
            Protocol::None,
        );
        msg.envelope.sender = self.from.map(Address::new);
        msg.envelope.received_ms = self.time;
        msg.envelope.recipients = match self.to {
            Recipients::None => Vec::new(),
            Recipients::One(to) => vec![Address::new(to)],
            Recipients::Many(to) => to.into_iter().map(Address::new).collect(),
        };
        msg.subject = self.subject;
        urls::extract(&self.text, &mut msg.urls);
        msg.text_parts.push(TextPart {
            content_type: "text/plain".into(),
            text: self.text,
        });
        msg
    }
}

/// Parses JSON lines; blank lines and lines starting with `#` are skipped.
pub fn parse_lines(bytes: &[u8]) -> Result<Vec<SmsRecord>, IngestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| IngestError::BadRecord {
        line: line_of(bytes, e.valid_up_to()),
        reason: e.to_string(),
    })?;
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let record = serde_json::from_str(line).map_err(|e| IngestError::BadRecord {
            line: i + 1,
            reason: e.to_string(),
        })?;
        records.push(record);
    }
    Ok(records)
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_with_one_or_many_recipients() {
        let input = b"{\"from\":\"+441\",\"to\":\"+442\",\"text\":\"hi bit.ly/x\"}\n\n{\"to\":[\"1\",\"2\"],\"text\":\"yo\"}\n";
        let records = parse_lines(input).unwrap();
        assert_eq!(records.len(), 2);
        let msg = records[0].clone().into_message();
        assert_eq!(msg.envelope.sender.unwrap().value, "+441");
        assert_eq!(msg.urls, vec!["bit.ly/x"]);
        assert_eq!(
            records[1].clone().into_message().envelope.recipients.len(),
            2
        );
    }

    #[test]
    fn recipients_may_be_null_and_must_be_strings() {
        let records = parse_lines(b"{\"to\":null,\"text\":\"a\"}\n{\"text\":\"b\"}\n").unwrap();
        assert!(records.iter().all(|r| matches!(r.to, Recipients::None)));
        assert!(parse_lines(b"{\"to\":5,\"text\":\"a\"}\n").is_err());
        assert!(parse_lines(b"{\"to\":[\"1\",2],\"text\":\"a\"}\n").is_err());
    }

    #[test]
    fn reports_the_line_of_a_bad_record() {
        let err = parse_lines(b"{\"text\":\"ok\"}\n{\"txt\":1}\n").unwrap_err();
        assert!(
            matches!(err, IngestError::BadRecord { line: 2, .. }),
            "{err}"
        );
    }
}
