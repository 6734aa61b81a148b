//! MMS ingest: OMA MMS encapsulation PDUs (OMA-TS-MMS_ENC-V1_3, the MM1
//! binary format) and the WAP Push PDUs that carry m-notification-ind over
//! SMS (WAP-230-WSP §8.2.4).
//!
//! The pieces, one concept each:
//! - [`wsp`]: WSP primitive values (uintvar, value-length, strings, charsets)
//!   and the well-known code tables;
//! - [`content_type`]: content-type values with parameters;
//! - [`headers`]: MMS header fields and message types;
//! - [`multipart`]: WSP multipart bodies, nested, with part and depth limits;
//! - [`push`]: the WSP push envelope;
//! - [`encode`]: an encoder for seeds and round-trip tests.
//!
//! ```
//! use floodwall::ingest::mms::{self, encode::{Pdu, PartSpec}, MessageType};
//!
//! let mut pdu = Pdu::new(MessageType::RetrieveConf);
//! pdu.from = Some("+4912345/TYPE=PLMN".into());
//! pdu.subject = Some("Hello".into());
//! pdu.parts.push(PartSpec::text("Visit example.com now"));
//! let bytes = pdu.encode();
//! let msg = mms::decode(&bytes).unwrap();
//! assert_eq!(msg.subject.as_deref(), Some("Hello"));
//! assert_eq!(msg.envelope.sender.unwrap().value, "+4912345");
//! assert_eq!(msg.text_parts[0].text, "Visit example.com now");
//! ```

mod body;
pub mod content_type;
pub mod encode;
pub mod headers;
pub mod multipart;
pub mod push;
pub mod wsp;

use std::borrow::Cow;

use serde::Serialize;

use crate::ingest::Protocol;
use crate::message::{Channel, Message};

pub use content_type::ContentType;
pub use headers::{MessageType, TimeValue};
pub use push::{decode_wap_push, PushDetails};

/// Protocol details of an MMS message for `inspect`: the decoded header
/// fields (raw address forms included) and the part tree.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MmsDetails {
    /// Message type name, e.g. `m-retrieve-conf` (§7.3.30).
    pub message_type: String,
    pub message_type_byte: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mms_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<u64>,
    /// As on the wire, e.g. `+4912345/TYPE=PLMN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bcc: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<TimeValue>,
    /// Every header field in wire order, value decoded for display.
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartInfo>,
    /// The WAP Push envelope, when the PDU came in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<PushDetails>,
}

/// One node of the part tree (multipart containers included).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PartInfo {
    pub depth: u8,
    pub content_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_location: Option<String>,
    pub size: usize,
    pub offset: usize,
}

/// Why a PDU could not be decoded at all, and where.
#[derive(Debug, thiserror::Error)]
pub enum MmsError {
    #[error("byte {offset}: {what} runs past the end of the data")]
    Truncated { what: &'static str, offset: usize },
    #[error("byte {offset}: {what} has no terminating NUL")]
    Unterminated { what: &'static str, offset: usize },
    #[error("byte {offset}: {what} overflows (uintvar over 5 octets/32 bits, or integer over 8 octets)")]
    Overflow { what: &'static str, offset: usize },
    #[error("byte {offset}: unexpected octet 0x{found:02X} in {what}")]
    Unexpected {
        what: &'static str,
        offset: usize,
        found: u8,
    },
    #[error("byte {offset}: not an MMS PDU: expected X-Mms-Message-Type (0x8C) first, found 0x{found:02X}")]
    NotMms { offset: usize, found: u8 },
    #[error("byte {offset}: not a WAP Push PDU (PDU type 0x06/0x07) nor an MMS PDU")]
    NotPush { offset: usize },
    #[error("byte {offset}: WAP Push carries {content_type}, not application/vnd.wap.mms-message")]
    NotMmsPush { offset: usize, content_type: String },
    #[error("byte {offset}: more than {limit} {what}")]
    Limit {
        what: &'static str,
        offset: usize,
        limit: usize,
    },
}

impl MmsError {
    /// The byte offset in the input where decoding failed.
    pub fn offset(&self) -> Option<usize> {
        match self {
            MmsError::Truncated { offset, .. }
            | MmsError::Unterminated { offset, .. }
            | MmsError::Overflow { offset, .. }
            | MmsError::Unexpected { offset, .. }
            | MmsError::NotMms { offset, .. }
            | MmsError::NotPush { offset }
            | MmsError::NotMmsPush { offset, .. }
            | MmsError::Limit { offset, .. } => Some(*offset),
        }
    }

    /// The same error with its offset moved by `by` (for an MMS PDU decoded
    /// from inside a push envelope).
    fn shifted(mut self, by: usize) -> MmsError {
        match &mut self {
            MmsError::Truncated { offset, .. }
            | MmsError::Unterminated { offset, .. }
            | MmsError::Overflow { offset, .. }
            | MmsError::Unexpected { offset, .. }
            | MmsError::NotMms { offset, .. }
            | MmsError::NotPush { offset }
            | MmsError::NotMmsPush { offset, .. }
            | MmsError::Limit { offset, .. } => *offset += by,
        }
        self
    }
}

/// Decodes one MMS PDU. Refused (`Err`) only when the bytes are not an MMS
/// PDU at all; damage further in is recorded as problems on the message.
pub fn decode(bytes: &[u8]) -> Result<Message<'_>, MmsError> {
    let mut details = MmsDetails::default();
    let mut problems = Vec::new();
    let body_start = headers::parse(bytes, &mut details, &mut problems)?;
    let mut msg = Message::new(Channel::Mms, Cow::Borrowed(bytes), Protocol::None);
    msg.problems = problems;
    msg.body_offset = body_start;
    body::fill(&mut msg, &mut details, bytes.get(body_start..).unwrap_or(&[]), body_start);
    msg.protocol = Protocol::Mms(details);
    Ok(msg)
}
