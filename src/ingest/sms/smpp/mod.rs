//! SMPP 3.4 / 5.0 PDU decoder.
#![cfg_attr(feature = "synth", doc = " The encoder is [`crate::encode::smpp`].")]
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

/// Octets in the PDU header (SMPP 3.4 §3.2): four big-endian 32-bit fields.
pub const HEADER_LEN: usize = 16;
/// `short_message` is 0–254 octets (SMPP 3.4 §4.4.1, `sm_length`).
pub const MAX_SHORT_MESSAGE: usize = 254;

// Command ids (SMPP 3.4 §5.1.2.1) of the PDUs that carry a short message,
// and generic_nack; [`command_name`] names the rest.

/// `generic_nack`: the reply to a PDU the peer could not parse (§4.3).
pub const GENERIC_NACK: u32 = 0x8000_0000;
/// `submit_sm`: an ESME hands one message to the SMSC (§4.4).
pub const SUBMIT_SM: u32 = 0x04;
/// `deliver_sm`: the SMSC hands a message, or a receipt, to an ESME (§4.6).
pub const DELIVER_SM: u32 = 0x05;
/// `replace_sm`: new text for a message already submitted (§4.10).
pub const REPLACE_SM: u32 = 0x07;
/// `submit_multi`: one message to many destinations (§4.5).
pub const SUBMIT_MULTI: u32 = 0x21;
/// `data_sm`: a message either way, text in `message_payload` (§4.7).
pub const DATA_SM: u32 = 0x103;

// Tags of the optional parameters the decoder reads (SMPP 3.4 §5.3.2);
// [`tlv_name`] names the rest.

/// `source_port` (§5.3.2.20): the application port of the sender.
pub const TLV_SOURCE_PORT: u16 = 0x020A;
/// `destination_port` (§5.3.2.21): the application port of the receiver; a
/// message to a port is for an application, not a person.
pub const TLV_DESTINATION_PORT: u16 = 0x020B;
/// `sar_msg_ref_num` (§5.3.2.22): the reference shared by the segments of a
/// concatenated message.
pub const TLV_SAR_MSG_REF_NUM: u16 = 0x020C;
/// `sar_total_segments` (§5.3.2.23): how many segments the message has.
pub const TLV_SAR_TOTAL_SEGMENTS: u16 = 0x020E;
/// `sar_segment_seqnum` (§5.3.2.24): this segment's number, from 1.
pub const TLV_SAR_SEGMENT_SEQNUM: u16 = 0x020F;
/// `message_payload` (§5.3.2.32): the text when it does not fit
/// `short_message` (up to 64 K octets); then `sm_length` is 0.
pub const TLV_MESSAGE_PAYLOAD: u16 = 0x0424;
/// `receipted_message_id` (§5.3.2.12): the message a delivery receipt is
/// about.
pub const TLV_RECEIPTED_MESSAGE_ID: u16 = 0x001E;
/// `message_state` (§5.3.2.35): the state a delivery receipt reports.
pub const TLV_MESSAGE_STATE: u16 = 0x0427;

/// What is wrong with a PDU, and where (byte offset from the PDU start).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmppError {
    /// The buffer cannot hold even the header.
    #[error("byte 0: {len} bytes is shorter than the 16-byte SMPP header")]
    ShorterThanHeader {
        /// Octets in the buffer.
        len: usize,
    },
    /// `command_length` disagrees with the buffer (or is under 16): the
    /// stream is mis-framed, corrupt or hostile.
    #[error("byte 0: command_length {declared} but the PDU has {actual} bytes")]
    LengthMismatch {
        /// The header's `command_length`.
        declared: u64,
        /// Octets in the buffer.
        actual: usize,
    },
    /// A `command_id` SMPP 3.4 and 5.0 do not define.
    #[error("byte 4: unknown command_id 0x{id:08X}")]
    UnknownCommand {
        /// The header's `command_id`.
        id: u32,
    },
    /// A fixed-size field starts before the end of the PDU but ends after it.
    #[error("byte {offset}: {field} runs past the end of the PDU")]
    Truncated {
        /// Where the field starts.
        offset: usize,
        /// The field's name in the specification.
        field: &'static str,
    },
    /// A C-octet string (SMPP 3.4 §3.1) whose NUL terminator is missing.
    #[error("byte {offset}: C-octet string {field} has no NUL before the end of the PDU")]
    UnterminatedString {
        /// Where the string starts.
        offset: usize,
        /// The field's name in the specification.
        field: &'static str,
    },
    /// A C-octet string longer than its field allows (SMPP 3.4 §4).
    #[error("byte {offset}: C-octet string {field} is longer than its maximum of {max} octets (NUL included)")]
    StringTooLong {
        /// Where the string starts.
        offset: usize,
        /// The field's name in the specification.
        field: &'static str,
        /// The field's maximum size, NUL included.
        max: usize,
    },
    /// `sm_length` over the 254 octets SMPP 3.4 §4.4.1 allows.
    #[error("byte {offset}: sm_length {sm_length} exceeds the 254-octet maximum")]
    SmLengthTooLarge {
        /// Where `sm_length` is.
        offset: usize,
        /// Its value.
        sm_length: usize,
    },
    /// `sm_length` claims more octets than the body has left.
    #[error("byte {offset}: sm_length {sm_length} runs past the body ({available} octets left)")]
    SmLengthBeyondBody {
        /// Where `sm_length` is.
        offset: usize,
        /// Its value.
        sm_length: usize,
        /// Octets after it.
        available: usize,
    },
    /// A command with no body (enquire_link, unbind, …) followed by octets.
    #[error("byte {offset}: {command} has no body but {len} octets follow the header")]
    UnexpectedBody {
        /// Where the stray octets start.
        offset: usize,
        /// The command's name.
        command: &'static str,
        /// How many there are.
        len: usize,
    },
    /// A TLV whose length runs past the end of the PDU.
    #[error("byte {offset}: TLV 0x{tag:04X} declares {len} octets but only {available} remain")]
    TlvTruncated {
        /// Where the TLV starts.
        offset: usize,
        /// Its tag.
        tag: u16,
        /// The length it declares.
        len: usize,
        /// Octets left after its header.
        available: usize,
    },
    /// A `submit_multi` destination whose `dest_flag` is neither an SME
    /// address nor a distribution list (SMPP 3.4 §4.5.1.1).
    #[error("byte {offset}: submit_multi dest_flag {flag} is neither 1 (SME) nor 2 (list)")]
    BadDestFlag {
        /// Where the flag is.
        offset: usize,
        /// Its value.
        flag: u8,
    },
    /// Encoding only: a field is longer than the wire format can carry.
    #[error("cannot encode: {field} is {len} octets, over its maximum of {max}")]
    FieldTooLong {
        /// The field's name in the specification.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The most the field holds.
        max: usize,
    },
    /// Encoding only: the encoder writes message bodies, not this command.
    #[error("cannot encode a {command} body")]
    EncodeUnsupported {
        /// The command's name.
        command: &'static str,
    },
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
    /// The parameter tag (SMPP 3.4 §5.3.2), such as [`TLV_MESSAGE_PAYLOAD`].
    pub tag: u16,
    /// The value octets, as on the wire.
    pub value: Vec<u8>,
}

impl Tlv {
    /// A TLV with this tag and value.
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
    /// Type of number (SMPP 3.4 §5.2.5): 1 international, 5 alphanumeric, …
    pub ton: u8,
    /// Numbering plan indicator (SMPP 3.4 §5.2.6): 1 ISDN (E.164), …
    pub npi: u8,
    /// The address as sent: digits, or an alphanumeric sender id.
    pub addr: String,
    /// A submit_multi distribution list name rather than an address.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distribution_list: bool,
}

impl SmeAddress {
    /// An SME address (not a distribution list).
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
    /// `service_type` (SMPP 3.4 §5.2.11): empty for the SMSC default.
    pub service_type: String,
    /// The sender.
    pub source: SmeAddress,
    /// The recipients: one, except for submit_multi; none for replace_sm.
    pub destinations: Vec<SmeAddress>,
    /// `esm_class` (SMPP 3.4 §5.2.12); [`EsmClass::new`] reads it.
    pub esm_class: u8,
    /// `protocol_id`: the GSM TP-PID (3GPP TS 23.040 §9.2.3.9).
    pub protocol_id: u8,
    /// `priority_flag` (SMPP 3.4 §5.2.14).
    pub priority_flag: u8,
    /// `schedule_delivery_time` (SMPP 3.4 §7.1.1), empty for immediate.
    pub schedule_delivery_time: String,
    /// `validity_period` (SMPP 3.4 §7.1.1), empty for the SMSC default.
    pub validity_period: String,
    /// `registered_delivery` (SMPP 3.4 §5.2.17): which receipts to send.
    pub registered_delivery: u8,
    /// `replace_if_present_flag` (SMPP 3.4 §5.2.18).
    pub replace_if_present_flag: u8,
    /// `data_coding` (SMPP 3.4 §5.2.19): the alphabet of the text.
    pub data_coding: u8,
    /// `sm_default_msg_id` (SMPP 3.4 §5.2.20): a canned message, rarely used.
    pub sm_default_msg_id: u8,
    /// `short_message`: user data, a UDH first when `esm_class` says so.
    pub short_message: Vec<u8>,
    /// Offset of `short_message` within the PDU, for problem offsets.
    pub short_message_offset: usize,
}

/// A PDU body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A command without a body (enquire_link, unbind, generic_nack, …).
    Empty,
    /// A command that carries a short message.
    Message(Box<ShortMessage>),
    /// Other commands: their fields by name, for display.
    Fields(Vec<(&'static str, String)>),
}

/// One decoded PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu {
    /// `command_id` (SMPP 3.4 §5.1.2.1), such as [`SUBMIT_SM`].
    pub command_id: u32,
    /// `command_status` (§5.1.3): 0 in requests, the error code in replies.
    pub command_status: u32,
    /// `sequence_number`: pairs a reply with its request.
    pub sequence: u32,
    /// The body, by command.
    pub body: Body,
    /// The optional parameters after the body, in wire order.
    pub tlvs: Vec<Tlv>,
}

impl Pdu {
    /// The command's name (`submit_sm`), or `unknown`.
    pub fn command_name(&self) -> &'static str {
        command_name(self.command_id).unwrap_or("unknown")
    }

    /// The first TLV with this tag.
    pub fn tlv(&self, tag: u16) -> Option<&Tlv> {
        self.tlvs.iter().find(|t| t.tag == tag)
    }

    /// The short message, for the commands that carry one.
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
    /// Reads `esm_class` (SMPP 3.4 §5.2.12): messaging mode in bits 1–0,
    /// message type in bits 5–2, UDHI in bit 6, reply path in bit 7.
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
