//! SMPP 3.4 / 5.0 PDU decoder and encoder.
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

use super::dcs::decode_latin1;

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

/// The name of a command id (SMPP 3.4 §5.1.2.1, SMPP 5.0 §4.7.5).
pub fn command_name(id: u32) -> Option<&'static str> {
    Some(match id {
        0x8000_0000 => "generic_nack",
        0x01 => "bind_receiver",
        0x8000_0001 => "bind_receiver_resp",
        0x02 => "bind_transmitter",
        0x8000_0002 => "bind_transmitter_resp",
        0x03 => "query_sm",
        0x8000_0003 => "query_sm_resp",
        0x04 => "submit_sm",
        0x8000_0004 => "submit_sm_resp",
        0x05 => "deliver_sm",
        0x8000_0005 => "deliver_sm_resp",
        0x06 => "unbind",
        0x8000_0006 => "unbind_resp",
        0x07 => "replace_sm",
        0x8000_0007 => "replace_sm_resp",
        0x08 => "cancel_sm",
        0x8000_0008 => "cancel_sm_resp",
        0x09 => "bind_transceiver",
        0x8000_0009 => "bind_transceiver_resp",
        0x0B => "outbind",
        0x15 => "enquire_link",
        0x8000_0015 => "enquire_link_resp",
        0x21 => "submit_multi",
        0x8000_0021 => "submit_multi_resp",
        0x102 => "alert_notification",
        0x103 => "data_sm",
        0x8000_0103 => "data_sm_resp",
        0x111 => "broadcast_sm",
        0x8000_0111 => "broadcast_sm_resp",
        0x112 => "query_broadcast_sm",
        0x8000_0112 => "query_broadcast_sm_resp",
        0x113 => "cancel_broadcast_sm",
        0x8000_0113 => "cancel_broadcast_sm_resp",
        _ => return None,
    })
}

/// The name of a TLV tag (SMPP 3.4 §5.3.2, SMPP 5.0 §4.8.4).
pub fn tlv_name(tag: u16) -> Option<&'static str> {
    Some(match tag {
        0x0005 => "dest_addr_subunit",
        0x0006 => "dest_network_type",
        0x0007 => "dest_bearer_type",
        0x0008 => "dest_telematics_id",
        0x000D => "source_addr_subunit",
        0x000E => "source_network_type",
        0x000F => "source_bearer_type",
        0x0010 => "source_telematics_id",
        0x0017 => "qos_time_to_live",
        0x0019 => "payload_type",
        0x001D => "additional_status_info_text",
        0x001E => "receipted_message_id",
        0x0030 => "ms_msg_wait_facilities",
        0x0201 => "privacy_indicator",
        0x0202 => "source_subaddress",
        0x0203 => "dest_subaddress",
        0x0204 => "user_message_reference",
        0x0205 => "user_response_code",
        0x020A => "source_port",
        0x020B => "destination_port",
        0x020C => "sar_msg_ref_num",
        0x020D => "language_indicator",
        0x020E => "sar_total_segments",
        0x020F => "sar_segment_seqnum",
        0x0210 => "sc_interface_version",
        0x0302 => "callback_num_pres_ind",
        0x0303 => "callback_num_atag",
        0x0304 => "number_of_messages",
        0x0381 => "callback_num",
        0x0420 => "dpf_result",
        0x0421 => "set_dpf",
        0x0422 => "ms_availability_status",
        0x0423 => "network_error_code",
        0x0424 => "message_payload",
        0x0425 => "delivery_failure_reason",
        0x0426 => "more_messages_to_send",
        0x0427 => "message_state",
        0x0428 => "congestion_state",
        0x0501 => "ussd_service_op",
        0x0600 => "broadcast_channel_indicator",
        0x0601 => "broadcast_content_type",
        0x0602 => "broadcast_content_type_info",
        0x0603 => "broadcast_message_class",
        0x0604 => "broadcast_rep_num",
        0x0605 => "broadcast_frequency_interval",
        0x0606 => "broadcast_area_identifier",
        0x0607 => "broadcast_error_status",
        0x0608 => "broadcast_area_success",
        0x0609 => "broadcast_end_time",
        0x060A => "broadcast_service_group",
        0x060B => "billing_identification",
        0x060D => "source_network_id",
        0x060E => "dest_network_id",
        0x060F => "source_node_id",
        0x0610 => "dest_node_id",
        0x0611 => "dest_addr_np_resolution",
        0x0612 => "dest_addr_np_information",
        0x0613 => "dest_addr_np_country",
        0x1201 => "display_time",
        0x1203 => "sms_signal",
        0x1204 => "ms_validity",
        0x130C => "alert_on_message_delivery",
        0x1380 => "its_reply_type",
        0x1383 => "its_session_info",
        _ => return None,
    })
}

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

/// The body of submit_sm, deliver_sm, data_sm and submit_multi (SMPP 3.4
/// §4.4.1, §4.6.1, §4.7.1, §4.5.1). Fields a command lacks stay zero/empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShortMessage {
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

/// Decoded `esm_class` (SMPP 3.4 §5.2.12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EsmClass {
    pub raw: u8,
    pub mode: &'static str,
    pub message_type: &'static str,
    pub udhi: bool,
    pub reply_path: bool,
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

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], SmppError> {
        let out =
            self.buf
                .get(self.pos..self.pos.saturating_add(n))
                .ok_or(SmppError::Truncated {
                    offset: self.pos,
                    field,
                })?;
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, SmppError> {
        Ok(self.take(1, field)?[0])
    }

    fn cstr(&mut self, field: &'static str, max: usize) -> Result<String, SmppError> {
        let rest = &self.buf[self.pos..];
        match rest.iter().take(max).position(|&b| b == 0) {
            Some(n) => {
                let s = decode_latin1(&rest[..n]);
                self.pos += n + 1;
                Ok(s)
            }
            None if rest.len() >= max => Err(SmppError::StringTooLong {
                offset: self.pos,
                field,
                max,
            }),
            None => Err(SmppError::UnterminatedString {
                offset: self.pos,
                field,
            }),
        }
    }

    fn address(
        &mut self,
        prefix: &'static [&'static str; 3],
        max: usize,
    ) -> Result<SmeAddress, SmppError> {
        Ok(SmeAddress::new(
            self.u8(prefix[0])?,
            self.u8(prefix[1])?,
            self.cstr(prefix[2], max)?,
        ))
    }

    fn tlvs(&mut self, out: &mut Vec<Tlv>) -> Result<(), SmppError> {
        while self.remaining() > 0 {
            let offset = self.pos;
            let head = self.take(4, "TLV header")?;
            let tag = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            if len > self.remaining() {
                return Err(SmppError::TlvTruncated {
                    offset,
                    tag,
                    len,
                    available: self.remaining(),
                });
            }
            out.push(Tlv::new(tag, self.take(len, "TLV value")?));
        }
        Ok(())
    }
}

const SOURCE: [&str; 3] = ["source_addr_ton", "source_addr_npi", "source_addr"];
const DEST: [&str; 3] = ["dest_addr_ton", "dest_addr_npi", "destination_addr"];
const ESME: [&str; 3] = ["esme_addr_ton", "esme_addr_npi", "esme_addr"];

/// Decodes exactly one PDU.
pub fn decode_pdu(buf: &[u8]) -> Result<Pdu, SmppError> {
    match decode_salvage(buf)? {
        (pdu, None) => Ok(pdu),
        (_, Some(e)) => Err(e),
    }
}

/// Like [`decode_pdu`], but a PDU whose body decoded and whose TLV section is
/// broken (a TLV length that lies, as some SMSCs send in receipts) is
/// returned with the TLVs read so far and the TLV error, so the content can
/// still be scanned.
pub fn decode_salvage(buf: &[u8]) -> Result<(Pdu, Option<SmppError>), SmppError> {
    if buf.len() < HEADER_LEN {
        return Err(SmppError::ShorterThanHeader { len: buf.len() });
    }
    let word = |i: usize| u32::from_be_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
    let declared = word(0);
    if declared as usize != buf.len() || (declared as usize) < HEADER_LEN {
        return Err(SmppError::LengthMismatch {
            declared: u64::from(declared),
            actual: buf.len(),
        });
    }
    let command_id = word(4);
    let command = command_name(command_id).ok_or(SmppError::UnknownCommand { id: command_id })?;
    let mut r = Reader {
        buf,
        pos: HEADER_LEN,
    };
    let mut fields: Vec<(&'static str, String)> = Vec::new();
    fn field(
        r: &mut Reader,
        fields: &mut Vec<(&'static str, String)>,
        name: &'static str,
        max: usize,
    ) -> Result<(), SmppError> {
        let v = r.cstr(name, max)?;
        fields.push((name, v));
        Ok(())
    }
    let body = match command_id {
        0x8000_0000 | 0x06 | 0x8000_0006 | 0x15 | 0x8000_0015 | 0x8000_0007 | 0x8000_0008 => {
            if r.remaining() > 0 {
                return Err(SmppError::UnexpectedBody {
                    offset: HEADER_LEN,
                    command,
                    len: r.remaining(),
                });
            }
            Body::Empty
        }
        SUBMIT_SM | DELIVER_SM | DATA_SM | SUBMIT_MULTI => {
            Body::Message(Box::new(decode_message(&mut r, command_id)?))
        }
        0x01 | 0x02 | 0x09 => {
            field(&mut r, &mut fields, "system_id", 16)?;
            field(&mut r, &mut fields, "password", 9)?;
            field(&mut r, &mut fields, "system_type", 13)?;
            let v = r.u8("interface_version")?;
            fields.push(("interface_version", format!("0x{v:02X}")));
            let a = r.address(&["addr_ton", "addr_npi", "address_range"], 41)?;
            fields.push(("address_range", a.addr));
            Body::Fields(fields)
        }
        0x0B => {
            field(&mut r, &mut fields, "system_id", 16)?;
            field(&mut r, &mut fields, "password", 9)?;
            Body::Fields(fields)
        }
        0x8000_0001 | 0x8000_0002 | 0x8000_0009 => {
            if r.remaining() > 0 {
                field(&mut r, &mut fields, "system_id", 16)?;
            }
            Body::Fields(fields)
        }
        0x8000_0004 | 0x8000_0005 | 0x8000_0103 | 0x8000_0021 => {
            // An error response may omit the body (SMPP 3.4 §4.4.2).
            if r.remaining() > 0 {
                field(&mut r, &mut fields, "message_id", 65)?;
            }
            if command_id == 0x8000_0021 && r.remaining() > 0 {
                let n = r.u8("no_unsuccess")?;
                for _ in 0..n {
                    let a = r.address(&DEST, 21)?;
                    let status = r.take(4, "error_status_code")?;
                    let code = u32::from_be_bytes([status[0], status[1], status[2], status[3]]);
                    fields.push(("unsuccess_sme", format!("{} (0x{code:08X})", a.addr)));
                }
            }
            Body::Fields(fields)
        }
        0x03 => {
            field(&mut r, &mut fields, "message_id", 65)?;
            fields.push(("source_addr", r.address(&SOURCE, 21)?.addr));
            Body::Fields(fields)
        }
        0x8000_0003 => {
            field(&mut r, &mut fields, "message_id", 65)?;
            field(&mut r, &mut fields, "final_date", 17)?;
            fields.push(("message_state", r.u8("message_state")?.to_string()));
            fields.push(("error_code", r.u8("error_code")?.to_string()));
            Body::Fields(fields)
        }
        0x08 => {
            field(&mut r, &mut fields, "service_type", 6)?;
            field(&mut r, &mut fields, "message_id", 65)?;
            fields.push(("source_addr", r.address(&SOURCE, 21)?.addr));
            fields.push(("destination_addr", r.address(&DEST, 21)?.addr));
            Body::Fields(fields)
        }
        REPLACE_SM => {
            field(&mut r, &mut fields, "message_id", 65)?;
            fields.push(("source_addr", r.address(&SOURCE, 21)?.addr));
            field(&mut r, &mut fields, "schedule_delivery_time", 17)?;
            field(&mut r, &mut fields, "validity_period", 17)?;
            r.take(2, "registered_delivery")?;
            let sm = short_message(&mut r)?;
            fields.push(("short_message", hex(&sm)));
            Body::Fields(fields)
        }
        0x102 => {
            fields.push(("source_addr", r.address(&SOURCE, 65)?.addr));
            fields.push(("esme_addr", r.address(&ESME, 65)?.addr));
            Body::Fields(fields)
        }
        _ => {
            // SMPP 5.0 broadcast PDUs: kept whole, not interpreted.
            let rest = r.take(r.remaining(), "body")?;
            Body::Fields(vec![("body", hex(rest))])
        }
    };
    let mut tlvs = Vec::new();
    let tlv_error = r.tlvs(&mut tlvs).err();
    let pdu = Pdu {
        command_id,
        command_status: word(8),
        sequence: word(12),
        body,
        tlvs,
    };
    Ok((pdu, tlv_error))
}

fn short_message(r: &mut Reader) -> Result<Vec<u8>, SmppError> {
    let offset = r.pos;
    let len = usize::from(r.u8("sm_length")?);
    if len > MAX_SHORT_MESSAGE {
        return Err(SmppError::SmLengthTooLarge {
            offset,
            sm_length: len,
        });
    }
    if len > r.remaining() {
        return Err(SmppError::SmLengthBeyondBody {
            offset,
            sm_length: len,
            available: r.remaining(),
        });
    }
    Ok(r.take(len, "short_message")?.to_vec())
}

fn decode_message(r: &mut Reader, command_id: u32) -> Result<ShortMessage, SmppError> {
    let mut m = ShortMessage {
        service_type: r.cstr("service_type", 6)?,
        ..ShortMessage::default()
    };
    // data_sm addresses are up to 64 characters (SMPP 3.4 §4.7.1).
    let addr_max = if command_id == DATA_SM { 65 } else { 21 };
    m.source = r.address(&SOURCE, addr_max)?;
    if command_id == SUBMIT_MULTI {
        let n = r.u8("number_of_dests")?;
        for _ in 0..n {
            let offset = r.pos;
            match r.u8("dest_flag")? {
                1 => m.destinations.push(r.address(&DEST, 21)?),
                2 => m.destinations.push(SmeAddress {
                    addr: r.cstr("dl_name", 21)?,
                    distribution_list: true,
                    ..SmeAddress::default()
                }),
                flag => return Err(SmppError::BadDestFlag { offset, flag }),
            }
        }
    } else {
        m.destinations.push(r.address(&DEST, addr_max)?);
    }
    m.esm_class = r.u8("esm_class")?;
    if command_id == DATA_SM {
        m.registered_delivery = r.u8("registered_delivery")?;
        m.data_coding = r.u8("data_coding")?;
        m.short_message_offset = r.pos;
        return Ok(m);
    }
    m.protocol_id = r.u8("protocol_id")?;
    m.priority_flag = r.u8("priority_flag")?;
    m.schedule_delivery_time = r.cstr("schedule_delivery_time", 17)?;
    m.validity_period = r.cstr("validity_period", 17)?;
    m.registered_delivery = r.u8("registered_delivery")?;
    m.replace_if_present_flag = r.u8("replace_if_present_flag")?;
    m.data_coding = r.u8("data_coding")?;
    m.sm_default_msg_id = r.u8("sm_default_msg_id")?;
    m.short_message_offset = r.pos + 1;
    m.short_message = short_message(r)?;
    Ok(m)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn put_cstr(out: &mut Vec<u8>, field: &'static str, s: &str, max: usize) -> Result<(), SmppError> {
    let bytes = super::dcs::encode_latin1(s).unwrap_or_else(|| s.as_bytes().to_vec());
    if bytes.len() + 1 > max || bytes.contains(&0) {
        return Err(SmppError::FieldTooLong {
            field,
            len: bytes.len() + 1,
            max,
        });
    }
    out.extend_from_slice(&bytes);
    out.push(0);
    Ok(())
}

/// Encodes a PDU: message commands (submit_sm, deliver_sm, data_sm,
/// submit_multi) and body-less ones. `command_length` is computed.
pub fn encode(pdu: &Pdu) -> Result<Vec<u8>, SmppError> {
    let command = pdu.command_name();
    let mut out = vec![0u8; 4];
    out.extend_from_slice(&pdu.command_id.to_be_bytes());
    out.extend_from_slice(&pdu.command_status.to_be_bytes());
    out.extend_from_slice(&pdu.sequence.to_be_bytes());
    match &pdu.body {
        Body::Empty => {}
        Body::Fields(_) => return Err(SmppError::EncodeUnsupported { command }),
        Body::Message(m) => {
            let id = pdu.command_id;
            if !matches!(id, SUBMIT_SM | DELIVER_SM | DATA_SM | SUBMIT_MULTI) {
                return Err(SmppError::EncodeUnsupported { command });
            }
            let addr_max = if id == DATA_SM { 65 } else { 21 };
            put_cstr(&mut out, "service_type", &m.service_type, 6)?;
            out.extend_from_slice(&[m.source.ton, m.source.npi]);
            put_cstr(&mut out, "source_addr", &m.source.addr, addr_max)?;
            if id == SUBMIT_MULTI {
                out.push(m.destinations.len().min(255) as u8);
                for d in m.destinations.iter().take(255) {
                    if d.distribution_list {
                        out.push(2);
                    } else {
                        out.extend_from_slice(&[1, d.ton, d.npi]);
                    }
                    put_cstr(&mut out, "destination_addr", &d.addr, 21)?;
                }
            } else {
                let d = m.destinations.first().cloned().unwrap_or_default();
                out.extend_from_slice(&[d.ton, d.npi]);
                put_cstr(&mut out, "destination_addr", &d.addr, addr_max)?;
            }
            out.push(m.esm_class);
            if id == DATA_SM {
                out.extend_from_slice(&[m.registered_delivery, m.data_coding]);
            } else {
                out.extend_from_slice(&[m.protocol_id, m.priority_flag]);
                put_cstr(
                    &mut out,
                    "schedule_delivery_time",
                    &m.schedule_delivery_time,
                    17,
                )?;
                put_cstr(&mut out, "validity_period", &m.validity_period, 17)?;
                out.extend_from_slice(&[
                    m.registered_delivery,
                    m.replace_if_present_flag,
                    m.data_coding,
                    m.sm_default_msg_id,
                ]);
                if m.short_message.len() > MAX_SHORT_MESSAGE {
                    return Err(SmppError::FieldTooLong {
                        field: "short_message",
                        len: m.short_message.len(),
                        max: MAX_SHORT_MESSAGE,
                    });
                }
                out.push(m.short_message.len() as u8);
                out.extend_from_slice(&m.short_message);
            }
        }
    }
    for t in &pdu.tlvs {
        let len = u16::try_from(t.value.len()).map_err(|_| SmppError::FieldTooLong {
            field: "TLV value",
            len: t.value.len(),
            max: usize::from(u16::MAX),
        })?;
        out.extend_from_slice(&t.tag.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&t.value);
    }
    let len = out.len() as u32;
    out[..4].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

/// Builds a submit_sm / deliver_sm / data_sm PDU from its parts.
pub fn message_pdu(command_id: u32, sequence: u32, message: ShortMessage, tlvs: Vec<Tlv>) -> Pdu {
    Pdu {
        command_id,
        command_status: 0,
        sequence,
        body: Body::Message(Box::new(message)),
        tlvs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn cloudhopper_deliver_sm() {
        let pdu = decode_pdu(&unhex("000000400000000500000000000000030002013837363534333231000409343034303400000000000000000000084024232125262F3A000E0001010006000101")).unwrap();
        assert_eq!((pdu.command_name(), pdu.sequence), ("deliver_sm", 3));
        let m = pdu.message().unwrap();
        assert_eq!(m.source, SmeAddress::new(2, 1, "87654321"));
        assert_eq!(m.destinations, [SmeAddress::new(4, 9, "40404")]);
        assert_eq!(m.data_coding, 0);
        assert_eq!(m.short_message, b"@$#!%&/:");
        assert_eq!(pdu.tlvs, [Tlv::new(0x000E, [1]), Tlv::new(0x0006, [1])]);
    }

    #[test]
    fn cloudhopper_submit_sm_round_trips_through_the_encoder() {
        let bytes = unhex("00000039000000040000000000004FE80001013430343034000101343439353133363139323000000000000001000000084024232125262F3A");
        let pdu = decode_pdu(&bytes).unwrap();
        assert_eq!(pdu.sequence, 20456);
        assert_eq!(pdu.message().unwrap().registered_delivery, 1);
        assert_eq!(encode(&pdu).unwrap(), bytes);
    }

    #[test]
    fn message_payload_and_receipt_tlvs() {
        let pdu = decode_pdu(&unhex("000000640000000500000000000547EB0002013434393531333631393200040934303430340000000000000000000000000E000101000600010104240026404D616964656E6D616E363634207761732069742073617070793F2026526F6D616E7469633F")).unwrap();
        assert!(pdu.message().unwrap().short_message.is_empty());
        assert_eq!(
            pdu.tlv(TLV_MESSAGE_PAYLOAD).unwrap().value,
            b"@Maidenman664 was it sappy? &Romantic?"
        );
    }

    #[test]
    fn data_sm_round_trips() {
        let bytes = unhex("000000300000010300000000000000000001013535353237313030303000000139363935000001000424000454657374");
        let pdu = decode_pdu(&bytes).unwrap();
        assert_eq!(pdu.message().unwrap().destinations[0].addr, "9695");
        assert_eq!(encode(&pdu).unwrap(), bytes);
    }

    #[test]
    fn submit_multi_round_trips() {
        let mut m = ShortMessage {
            source: SmeAddress::new(5, 0, "SHOP"),
            short_message: b"hi all".to_vec(),
            ..ShortMessage::default()
        };
        m.destinations.push(SmeAddress::new(1, 1, "447700900001"));
        m.destinations.push(SmeAddress {
            addr: "friends".into(),
            distribution_list: true,
            ..SmeAddress::default()
        });
        let pdu = message_pdu(SUBMIT_MULTI, 7, m, vec![]);
        let bytes = encode(&pdu).unwrap();
        let mut back = decode_pdu(&bytes).unwrap();
        if let Body::Message(m) = &mut back.body {
            m.short_message_offset = 0;
        }
        let mut want = pdu.clone();
        if let Body::Message(m) = &mut want.body {
            m.short_message_offset = 0;
        }
        assert_eq!(back, want);
    }

    #[test]
    fn malformed_pdus_are_typed_errors_with_offsets() {
        let cases: &[(&str, SmppError)] = &[
            ("0000001000000015000000000a342e", SmppError::ShorterThanHeader { len: 15 }),
            (
                "F000001100000110000000000a342ee7",
                SmppError::LengthMismatch {
                    declared: 0xF000_0011,
                    actual: 16,
                },
            ),
            ("0000001000000110000000000a342ee7", SmppError::UnknownCommand { id: 0x110 }),
            (
                "00000011000000060000000000000000ff",
                SmppError::UnexpectedBody {
                    offset: 16,
                    command: "unbind",
                    len: 1,
                },
            ),
            (
                "0000001b8000000900000000000000015453493735383800021000",
                SmppError::Truncated {
                    offset: 24,
                    field: "TLV header",
                },
            ),
            (
                "00000039000000050000000000000001000101393939393139393134353933000000363436340000000000000000080010c1e1e9edf3faf1fc",
                SmppError::SmLengthBeyondBody {
                    offset: 48,
                    sm_length: 16,
                    available: 8,
                },
            ),
            (
                "000000158000000400000000000000013132333435",
                SmppError::UnterminatedString {
                    offset: 16,
                    field: "message_id",
                },
            ),
        ];
        for (hex, want) in cases {
            assert_eq!(decode_pdu(&unhex(hex)).as_ref(), Err(want), "{hex}");
        }
        // A C-string longer than its maximum.
        let m = ShortMessage {
            service_type: "ABCDEFGH".into(),
            ..ShortMessage::default()
        };
        assert!(matches!(
            encode(&message_pdu(SUBMIT_SM, 1, m, vec![])),
            Err(SmppError::FieldTooLong { .. })
        ));
        let mut bytes = unhex("0000001d0000000400000000000000014142434445464748490000000000");
        bytes[3] = bytes.len() as u8;
        assert!(matches!(
            decode_pdu(&bytes),
            Err(SmppError::StringTooLong {
                offset: 16,
                field: "service_type",
                max: 6
            })
        ));
    }

    #[test]
    fn esm_class_decodes_udhi_and_receipts() {
        let e = EsmClass::new(0x44);
        assert!(e.udhi && e.is_notification());
        assert_eq!(e.message_type, "delivery_receipt");
        assert!(!EsmClass::new(0x43).is_notification());
    }
}
