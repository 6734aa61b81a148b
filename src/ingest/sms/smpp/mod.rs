//! SMPP 3.4 / 5.0 PDU decoder (the encoder is [`crate::encode::smpp`]).
//!
//! A PDU is a 16-octet header (SMPP 3.4 §3.2: `command_length` including the
//! header, `command_id`, `command_status`, `sequence_number`) and a body whose
//! layout the command id fixes (§4), optionally followed by TLVs (§3.3, §5.3).
//! The decoder takes exactly one PDU: the caller frames the stream, and a
//! buffer whose length disagrees with `command_length` is refused, because a
//! lying length is the first sign of a corrupt or hostile stream.
//!
//! Every error names the field and the byte offset from the PDU start.

use serde::Serialize;

mod decode;
mod names;
#[cfg(test)]
mod tests;

pub use crate::message::protocol::sms::EsmClass;
use crate::message::protocol::sms::TlvInfo;
pub use decode::{decode_pdu, decode_salvage};
pub use names::{command_name, tlv_name};

pub const HEADER_LEN: usize = 16;
/// `short_message` is 0–254 octets (SMPP 3.4 §4.4.1, `sm_length`).
pub const MAX_SHORT_MESSAGE: usize = 254;

pub const GENERIC_NACK: u32 = 0x8000_0000;
pub const SUBMIT_SM: u32 = 0x04;
pub const DELIVER_SM: u32 = 0x05;
pub const REPLACE_SM: u32 = 0x07;
pub const SUBMIT_MULTI: u32 = 0x21;
pub const DATA_SM: u32 = 0x103;

pub const TLV_SOURCE_PORT: u16 = 0x020A;
pub const TLV_DESTINATION_PORT: u16 = 0x020B;
pub const TLV_SAR_MSG_REF_NUM: u16 = 0x020C;
pub const TLV_SAR_TOTAL_SEGMENTS: u16 = 0x020E;
pub const TLV_SAR_SEGMENT_SEQNUM: u16 = 0x020F;
pub const TLV_MESSAGE_PAYLOAD: u16 = 0x0424;
pub const TLV_RECEIPTED_MESSAGE_ID: u16 = 0x001E;
pub const TLV_MESSAGE_STATE: u16 = 0x0427;

/// What is wrong with a PDU, and where (byte offset from the PDU start).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmppError {
    #[error("byte 0: {len} bytes is shorter than the 16-byte SMPP header")]
    ShorterThanHeader { len: usize },
    #[error("byte 0: command_length {declared} but the PDU has {actual} bytes")]
    LengthMismatch { declared: u64, actual: usize },
    #[error("byte 4: unknown command_id 0x{id:08X}")]
    UnknownCommand { id: u32 },
    #[error("byte {offset}: {field} runs past the end of the PDU")]
    Truncated { offset: usize, field: &'static str },
    #[error("byte {offset}: C-octet string {field} has no NUL before the end of the PDU")]
    UnterminatedString { offset: usize, field: &'static str },
    #[error("byte {offset}: C-octet string {field} is longer than its maximum of {max} octets (NUL included)")]
    StringTooLong {
        offset: usize,
        field: &'static str,
        max: usize,
    },
    #[error("byte {offset}: sm_length {sm_length} exceeds the 254-octet maximum")]
    SmLengthTooLarge { offset: usize, sm_length: usize },
    #[error("byte {offset}: sm_length {sm_length} runs past the body ({available} octets left)")]
    SmLengthBeyondBody {
        offset: usize,
        sm_length: usize,
        available: usize,
    },
    #[error("byte {offset}: {command} has no body but {len} octets follow the header")]
    UnexpectedBody {
        offset: usize,
        command: &'static str,
        len: usize,
    },
    #[error("byte {offset}: TLV 0x{tag:04X} declares {len} octets but only {available} remain")]
    TlvTruncated {
        offset: usize,
        tag: u16,
        len: usize,
        available: usize,
    },
    #[error("byte {offset}: submit_multi dest_flag {flag} is neither 1 (SME) nor 2 (list)")]
    BadDestFlag { offset: usize, flag: u8 },
    #[error("cannot encode: {field} is {len} octets, over its maximum of {max}")]
    FieldTooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("cannot encode a {command} body")]
    EncodeUnsupported { command: &'static str },
}

impl SmppError {
    /// The byte offset the error refers to, where it has one.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            SmppError::ShorterThanHeader { .. } | SmppError::LengthMismatch { .. } => Some(0),
            SmppError::UnknownCommand { .. } => Some(4),
            SmppError::Truncated { offset, .. }
            | SmppError::UnterminatedString { offset, .. }
            | SmppError::StringTooLong { offset, .. }
            | SmppError::SmLengthTooLarge { offset, .. }
            | SmppError::SmLengthBeyondBody { offset, .. }
            | SmppError::UnexpectedBody { offset, .. }
            | SmppError::TlvTruncated { offset, .. }
            | SmppError::BadDestFlag { offset, .. } => Some(offset),
            SmppError::FieldTooLong { .. } | SmppError::EncodeUnsupported { .. } => None,
        }
    }

    /// Whether the PDU ended early (rather than being wrong in shape).
    pub fn is_truncation(&self) -> bool {
        matches!(
            self,
            SmppError::ShorterThanHeader { .. }
                | SmppError::Truncated { .. }
                | SmppError::UnterminatedString { .. }
                | SmppError::SmLengthBeyondBody { .. }
                | SmppError::TlvTruncated { .. }
        )
    }
}

/// A tag-length-value optional parameter; unknown tags are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u16,
    pub value: Vec<u8>,
}

impl Tlv {
    pub fn new(tag: u16, value: impl Into<Vec<u8>>) -> Tlv {
        Tlv {
            tag,
            value: value.into(),
        }
    }

    /// The value as a big-endian integer (1, 2 or 4 octets).
    pub fn as_int(&self) -> Option<u32> {
        match self.value.as_slice() {
            [a] => Some(u32::from(*a)),
            [a, b] => Some(u32::from(u16::from_be_bytes([*a, *b]))),
            [a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => None,
        }
    }
}

/// An SME address: type of number, numbering plan, digits or alphanumeric id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SmeAddress {
    pub ton: u8,
    pub npi: u8,
    pub addr: String,
    /// A submit_multi distribution list name rather than an address.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distribution_list: bool,
}

impl SmeAddress {
    pub fn new(ton: u8, npi: u8, addr: impl Into<String>) -> SmeAddress {
        SmeAddress {
            ton,
            npi,
            addr: addr.into(),
            distribution_list: false,
        }
    }
}

/// The body of submit_sm, deliver_sm, data_sm, submit_multi and replace_sm
/// (SMPP 3.4 §4.4.1, §4.6.1, §4.7.1, §4.5.1, §4.10.1). Fields a command
/// lacks stay zero/empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShortMessage {
    /// replace_sm only: the message whose text is replaced.
    pub message_id: String,
    pub service_type: String,
    pub source: SmeAddress,
    pub destinations: Vec<SmeAddress>,
    pub esm_class: u8,
    pub protocol_id: u8,
    pub priority_flag: u8,
    pub schedule_delivery_time: String,
    pub validity_period: String,
    pub registered_delivery: u8,
    pub replace_if_present_flag: u8,
    pub data_coding: u8,
    pub sm_default_msg_id: u8,
    pub short_message: Vec<u8>,
    /// Offset of `short_message` within the PDU, for problem offsets.
    pub short_message_offset: usize,
}

/// A PDU body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Empty,
    Message(Box<ShortMessage>),
    /// Other commands: their fields by name, for display.
    Fields(Vec<(&'static str, String)>),
}

/// One decoded PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu {
    pub command_id: u32,
    pub command_status: u32,
    pub sequence: u32,
    pub body: Body,
    pub tlvs: Vec<Tlv>,
}

impl Pdu {
    pub fn command_name(&self) -> &'static str {
        command_name(self.command_id).unwrap_or("unknown")
    }

    pub fn tlv(&self, tag: u16) -> Option<&Tlv> {
        self.tlvs.iter().find(|t| t.tag == tag)
    }

    pub fn message(&self) -> Option<&ShortMessage> {
        match &self.body {
            Body::Message(m) => Some(m),
            _ => None,
        }
    }
}

impl From<&Tlv> for TlvInfo {
    fn from(t: &Tlv) -> TlvInfo {
        TlvInfo {
            tag: format!("{:04x}", t.tag),
            name: tlv_name(t.tag),
            value: crate::ingest::sms::Hex(&t.value).to_string(),
        }
    }
}

impl EsmClass {
    pub fn new(raw: u8) -> EsmClass {
        EsmClass {
            raw,
            mode: match raw & 0x03 {
                0 => "default",
                1 => "datagram",
                2 => "forward",
                _ => "store_and_forward",
            },
            message_type: match raw & 0x3C {
                0x00 => "normal",
                0x04 => "delivery_receipt",
                0x08 => "delivery_ack",
                0x10 => "user_ack",
                0x18 => "conversation_abort",
                0x20 => "intermediate_notification",
                _ => "reserved",
            },
            udhi: raw & 0x40 != 0,
            reply_path: raw & 0x80 != 0,
        }
    }

    /// Receipts and acknowledgements are protocol notifications, not content.
    pub fn is_notification(self) -> bool {
        self.raw & 0x3C != 0
    }
}
