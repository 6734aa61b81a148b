//! Ingest: wire formats in, [`Message`]s out.
//!
//! Each channel has its own decoder module; this module ties them together:
//! the [`Format`] a caller names (or [`detect()`] guesses), the split of
//! container files (mbox, hex lines, JSON lines) into [`Payload`]s, and the
//! stateful [`Decoder`] that turns payloads into messages (stateful because
//! concatenated SMS arrive as several payloads).

pub mod detect;
pub mod email;
pub mod frames;
pub mod mbox;
pub mod mms;
pub mod record;
pub mod sms;
pub mod urls;

use std::borrow::Cow;

use serde::Serialize;

use crate::message::{Channel, Message, ProblemKind};

pub use crate::message::protocol::Protocol;
pub use detect::detect;
pub use frames::{frames, Frame};

/// An input format, as named on the command line (`--format`).
///
/// Parsed from and shown as its lower-case name (`"eml"`, `"smpp"`), so a
/// command line or a configuration file names it the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Guess from the first bytes of each file.
    Auto,
    /// One RFC 5322 message.
    Eml,
    /// An mbox file of RFC 5322 messages.
    Mbox,
    /// SMPP PDUs: binary (back to back) or hex, one per line.
    Smpp,
    /// 3GPP TS 23.040 TPDUs as hex, one per line (with or without SMSC address).
    Tpdu,
    /// One binary OMA MMS encapsulation PDU.
    Mms,
    /// JSON lines of SMS records: {"from", "to", "text"}.
    Jsonl,
}

impl Format {
    /// Every format, in the order a usage message lists them.
    pub const ALL: [Format; 7] = [
        Format::Auto,
        Format::Eml,
        Format::Mbox,
        Format::Smpp,
        Format::Tpdu,
        Format::Mms,
        Format::Jsonl,
    ];

    /// The name [`FromStr`](std::str::FromStr) accepts and `Display` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Eml => "eml",
            Format::Mbox => "mbox",
            Format::Smpp => "smpp",
            Format::Tpdu => "tpdu",
            Format::Mms => "mms",
            Format::Jsonl => "jsonl",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Format {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Format, UnknownName> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == name)
            .ok_or_else(|| UnknownName::new("input format", name, &Format::ALL.map(Format::as_str)))
    }
}

/// A name that is none of a closed set of choices: an input [`Format`] or
/// an SMPP [`DefaultAlphabet`](sms::DefaultAlphabet) spelled wrong. It
/// lists the names that would have been accepted, so the message alone
/// tells the user what to type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?} (expected one of: {expected})")]
pub struct UnknownName {
    what: &'static str,
    given: String,
    expected: String,
}

impl UnknownName {
    pub(crate) fn new(what: &'static str, given: &str, expected: &[&str]) -> UnknownName {
        UnknownName {
            what,
            given: given.to_string(),
            expected: expected.join(", "),
        }
    }
}

/// One message's worth of wire bytes, split out of an input file.
#[derive(Clone, Debug)]
pub enum Payload<'a> {
    /// One RFC 5322 message.
    Email(&'a [u8]),
    /// One SMPP PDU: borrowed from a binary stream, owned when decoded from
    /// hex.
    Smpp(Cow<'a, [u8]>),
    /// One TPDU, SMSC address prefix or not.
    Tpdu(Cow<'a, [u8]>),
    /// One MMS PDU, bare or in a WAP Push.
    Mms(&'a [u8]),
    /// One JSON-lines SMS record.
    Record(record::SmsRecord),
}

/// Errors splitting an input file into payloads.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A hex line that does not decode.
    #[error("line {line}: invalid hex: {reason}")]
    BadHex {
        /// Line in the input, from 1.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A JSON line that is not an SMS record.
    #[error("line {line}: invalid SMS record: {reason}")]
    BadRecord {
        /// Line in the input, from 1.
        line: usize,
        /// What is wrong with it (the JSON error).
        reason: String,
    },
    /// [`Format::Auto`] and the first bytes match no format.
    #[error("could not recognise the input format (try --format)")]
    UnknownFormat,
    /// The input could not be cut into messages (no splitter returns it
    /// today; kept for framings that can fail).
    #[error("byte {offset}: {reason}")]
    BadFraming {
        /// Where framing failed.
        offset: usize,
        /// Why.
        reason: String,
    },
}

impl IngestError {
    /// The same error for a payload that starts on line `line` of its file
    /// (a [`Frame`] decoded on its own counts its lines from 1).
    pub fn at_line(self, line: usize) -> IngestError {
        match self {
            IngestError::BadHex { line: l, reason } => IngestError::BadHex {
                line: l + line - 1,
                reason,
            },
            IngestError::BadRecord { line: l, reason } => IngestError::BadRecord {
                line: l + line - 1,
                reason,
            },
            other => other,
        }
    }
}

/// Limits and per-source choices for decoding.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// Messages longer than this are scanned up to it and marked `FW_OVERSIZE`.
    pub max_message_bytes: usize,
    /// Structural limits for mail.
    pub email: email::EmailLimits,
    /// SMPP choices and SMS reassembly limits.
    pub sms: sms::SmsConfig,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_message_bytes: 10 * 1024 * 1024,
            email: email::EmailLimits::default(),
            sms: sms::SmsConfig::default(),
        }
    }
}

/// Splits an input file into payloads. `Format::Auto` detects first.
pub fn split(format: Format, bytes: &[u8]) -> Result<Vec<Payload<'_>>, IngestError> {
    let mut payloads = Vec::new();
    split_each(format, bytes, |payload| payloads.push(payload))?;
    Ok(payloads)
}

/// Like [`split`], handing each payload to `each` instead of collecting
/// them: a pipeline worker splits every job, and most jobs are one payload,
/// so the `Vec` would be an allocation per message for nothing. `each` is
/// called only once the whole input has split: an error means no payload
/// was handed over.
pub fn split_each<'a>(
    format: Format,
    bytes: &'a [u8],
    mut each: impl FnMut(Payload<'a>),
) -> Result<(), IngestError> {
    let format = if format == Format::Auto {
        detect(bytes).ok_or(IngestError::UnknownFormat)?
    } else {
        format
    };
    match format {
        Format::Auto => return Err(IngestError::UnknownFormat),
        Format::Eml => each(Payload::Email(bytes)),
        Format::Mbox => mbox::split(bytes).map(Payload::Email).for_each(each),
        Format::Mms => each(Payload::Mms(bytes)),
        Format::Smpp => detect::split_smpp(bytes, each)?,
        Format::Tpdu => detect::hex_lines(bytes)?
            .into_iter()
            .map(|b| Payload::Tpdu(Cow::Owned(b)))
            .for_each(each),
        Format::Jsonl => record::parse_lines(bytes)?
            .into_iter()
            .map(Payload::Record)
            .for_each(each),
    }
    Ok(())
}

/// Turns payloads into messages. Holds the concatenated-SMS reassembly state,
/// so one decoder serves one stream of traffic.
pub struct Decoder {
    config: IngestConfig,
    sms: sms::SmsIngest,
}

impl Decoder {
    /// A decoder with these limits and no SMS segments held.
    pub fn new(config: IngestConfig) -> Decoder {
        let sms = sms::SmsIngest::new(config.sms.clone());
        Decoder { config, sms }
    }

    /// The limits it decodes with.
    pub fn config(&self) -> &IngestConfig {
        &self.config
    }

    /// Takes new limits (an engine swapped in with other rules) and keeps
    /// the concatenated SMS waiting for their segments.
    pub fn set_config(&mut self, config: IngestConfig) {
        self.sms.set_config(config.sms.clone());
        self.config = config;
    }

    /// Decodes one payload. A single payload gives zero messages (an SMS
    /// segment still waiting for its siblings, a protocol PDU such as
    /// `enquire_link`), one, or several (segments evicted by the reassembler).
    /// Undecodable input still gives a message, marked with a problem.
    pub fn decode<'a>(&mut self, payload: Payload<'a>, now_ms: u64, out: &mut Vec<Message<'a>>) {
        match payload {
            Payload::Email(bytes) => out.push(email::parse(bytes, &self.config)),
            Payload::Mms(bytes) => {
                let max = self.config.max_message_bytes;
                let scanned = &bytes[..bytes.len().min(max)];
                let mut msg = mms::decode(scanned).unwrap_or_else(|err| {
                    let mut msg =
                        Message::new(Channel::Mms, Cow::Borrowed(scanned), Protocol::None);
                    msg.problem(ProblemKind::Unparseable, err.offset(), err.to_string());
                    msg
                });
                if bytes.len() > max {
                    let detail = format!(
                        "MMS of {} bytes scanned up to the limit of {max}",
                        bytes.len()
                    );
                    msg.problem(ProblemKind::Oversize, Some(max), detail);
                }
                out.push(msg);
            }
            Payload::Smpp(pdu) => self.sms.push_smpp_payload(pdu, now_ms, out),
            Payload::Tpdu(tpdu) => self.sms.push_tpdu_payload(tpdu, now_ms, out),
            Payload::Record(record) => out.push(record.into_message()),
        }
    }

    /// Ends the stream: concatenated SMS still incomplete are emitted, each
    /// marked `FW_SMS_INCOMPLETE`, so nothing accepted is lost.
    pub fn finish(&mut self, out: &mut Vec<Message<'static>>) {
        self.sms.flush(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip_and_a_wrong_one_lists_the_choices() {
        for format in Format::ALL {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        let err = "xml".parse::<Format>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown input format \"xml\" (expected one of: auto, eml, mbox, smpp, tpdu, mms, jsonl)"
        );
    }

    #[test]
    fn oversize_mms_is_cut_and_marked() {
        let pdu = crate::encode::mms::Pdu::new(mms::MessageType::SendReq).encode();
        let mut big = pdu.clone();
        big.extend(std::iter::repeat_n(0u8, 64));
        let config = IngestConfig {
            max_message_bytes: pdu.len(),
            ..IngestConfig::default()
        };
        let mut out = Vec::new();
        Decoder::new(config).decode(Payload::Mms(&big), 0, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0]
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::Oversize));
    }
}
