//! [`SmsDetails`]: the SMPP and TPDU fields an operator debugs with, and
//! the decoded values they hold (data coding, `esm_class`, validity, user
//! data header elements). How each is read off the wire is
//! [`ingest::sms`](crate::ingest::sms)'s business.

use serde::Serialize;

/// One TLV as shown by `inspect`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlvInfo {
    /// The tag as four hex digits.
    pub tag: String,
    /// The parameter's name in SMPP 3.4 §5.3.2, for tags it defines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    /// The value as hex.
    pub value: String,
}

/// One segment of a concatenated message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SegmentInfo {
    /// The reference the segments of one message share.
    pub reference: u16,
    /// How many segments the message has.
    pub total: u8,
    /// This segment's number, from 1.
    pub seq: u8,
    /// "udh" (IEI 0x00/0x08) or "sar" (SMPP TLVs).
    pub via: &'static str,
}

/// Protocol details of an SMS message for `inspect` and protocol rules.
/// The per-protocol parts are boxed so that a message stays small.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SmsDetails {
    /// "smpp" or "tpdu".
    pub protocol: &'static str,
    /// The SMPP fields, for a message that came as an SMPP PDU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smpp: Option<Box<SmppDetails>>,
    /// The TPDU fields, for a message that came as a TPDU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpdu: Option<Box<TpduDetails>>,
    /// The decoded TP-DCS (TPDU) or `data_coding` (SMPP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dcs: Option<Dcs>,
    /// The alphabet the text was decoded with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alphabet: Option<Alphabet>,
    /// The user data header's information elements (3GPP TS 23.040
    /// §9.2.3.24), in wire order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub udh: Vec<Element>,
    /// The application port the message is addressed to (a UDH port
    /// element or SMPP `destination_port`): an application, not a person,
    /// reads it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<u16>,
    /// This PDU's place in a concatenated message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentInfo>,
    /// For a reassembled message: the segments it was built from, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentInfo>,
}

/// SMPP fields (SMPP 3.4 §4.4.1, §4.6.1, §4.7.1).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SmppDetails {
    /// The command's name (`submit_sm`), where SMPP defines the id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<&'static str>,
    /// `command_id` (SMPP 3.4 §5.1.2.1).
    pub command_id: u32,
    /// `sequence_number`: pairs a reply with its request.
    pub sequence: u32,
    /// `command_status` (§5.1.3): 0 in requests.
    pub command_status: u32,
    /// `service_type` (§5.2.11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// `esm_class` (§5.2.12), decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esm_class: Option<EsmClass>,
    /// `data_coding` (§5.2.19) as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_coding: Option<u8>,
    /// `protocol_id` (§5.2.13): the GSM TP-PID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_id: Option<u8>,
    /// `priority_flag` (§5.2.14).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_flag: Option<u8>,
    /// `registered_delivery` (§5.2.17): which receipts the sender wants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_delivery: Option<u8>,
    /// `schedule_delivery_time` (§7.1.1), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_delivery_time: Option<String>,
    /// `validity_period` (§7.1.1), as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_period: Option<String>,
    /// The PDU's optional parameters, in wire order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tlvs: Vec<TlvInfo>,
}

/// TPDU fields (3GPP TS 23.040 §9.2.2).
#[derive(Clone, Debug, Default, Serialize)]
pub struct TpduDetails {
    /// `SMS-DELIVER`, `SMS-SUBMIT` or `SMS-STATUS-REPORT`.
    pub tpdu_type: &'static str,
    /// The first octet whole: TP-MTI, TP-VPF, TP-UDHI, … (§9.2.2).
    pub first_octet: u8,
    /// TP-MR (§9.2.3.6), in SUBMIT and STATUS-REPORT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<u8>,
    /// The SMSC address a modem prepended (3GPP TS 27.005 PDU mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smsc: Option<String>,
    /// TP-PID (§9.2.3.9).
    pub protocol_id: u8,
    /// TP-SCTS (§9.2.3.11), the SMSC's time stamp, as RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scts: Option<String>,
    /// TP-VP (§9.2.3.12), in SUBMIT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
    /// TP-DT (§9.2.3.13), in STATUS-REPORT, as RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discharge_time: Option<String>,
    /// TP-ST (§9.2.3.15), in STATUS-REPORT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
}

/// The alphabet of a short message's user data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alphabet {
    /// GSM 7-bit, packed (TPDU user data; some SMPP binds).
    #[default]
    Gsm7Packed,
    /// GSM 7-bit, one septet per octet (most SMPP binds).
    Gsm7Unpacked,
    /// UCS-2, decoded as UTF-16BE (surrogate pairs accepted, as handsets send them).
    Ucs2,
    /// ISO-8859-1.
    Latin1,
    /// IA5 / ASCII.
    Ia5,
    /// 8-bit data, no text meaning (ringtones, WAP push, vCard).
    Binary,
}

impl Alphabet {
    /// Whether the text is GSM 7-bit, packed or not.
    pub fn is_gsm7(self) -> bool {
        matches!(self, Alphabet::Gsm7Packed | Alphabet::Gsm7Unpacked)
    }
}

/// A decoded TP-DCS octet (3GPP TS 23.038 §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dcs {
    /// The octet as sent.
    pub raw: u8,
    /// The alphabet it selects.
    pub alphabet: Alphabet,
    /// Message class 0–3 where the DCS carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<u8>,
    /// Compressed (TS 23.042); the text cannot be decoded.
    pub compressed: bool,
    /// A reserved coding group or alphabet; decoded as GSM 7-bit per §4
    /// ("any reserved codings shall be assumed to be the GSM 7 bit default alphabet").
    pub reserved: bool,
}

/// Decoded `esm_class` (SMPP 3.4 §5.2.12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EsmClass {
    /// The octet as sent.
    pub raw: u8,
    /// Messaging mode, bits 1–0: `default`, `datagram`, `forward` or
    /// `store_and_forward`.
    pub mode: &'static str,
    /// Message type, bits 5–2: `normal`, `delivery_receipt`, … or
    /// `reserved`.
    pub message_type: &'static str,
    /// Bit 6: the short message starts with a user data header.
    pub udhi: bool,
    /// Bit 7: reply path (GSM TP-RP) requested.
    pub reply_path: bool,
}

/// TP-VP (§9.2.3.12), in the form TP-VPF selected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "format", content = "value", rename_all = "lowercase")]
pub enum Validity {
    /// TP-VPF 00: no validity period.
    #[default]
    None,
    /// TP-VPF 10: one octet, a coded duration (§9.2.3.12.1).
    Relative(u8),
    /// TP-VPF 01: seven octets, enhanced format (§9.2.3.12.3), kept raw.
    Enhanced([u8; 7]),
    /// TP-VPF 11: an absolute time (§9.2.3.12.2).
    Absolute(Timestamp),
}

/// A TP-SCTS style timestamp (§9.2.3.11): semi-octet BCD, zone in quarter hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
///
/// `Display` writes it as RFC 3339, assuming the 21st century.
pub struct Timestamp(
    /// Year, month, day, hour, minute, second and zone, as sent.
    pub [u8; 7],
);

impl Timestamp {
    fn swap(b: u8) -> u8 {
        (b & 0x0F) * 10 + (b >> 4)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d: Vec<u8> = self.0[..6].iter().map(|&b| Timestamp::swap(b)).collect();
        let tz = self.0[6];
        let quarters = i32::from((tz & 0x07) * 10 + (tz >> 4));
        let sign = if tz & 0x08 != 0 { '-' } else { '+' };
        write!(
            f,
            "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            d[0],
            d[1],
            d[2],
            d[3],
            d[4],
            d[5],
            quarters / 4,
            (quarters % 4) * 15
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Concatenation information (IEI 0x00 / 0x08, §9.2.3.24.1 and §9.2.3.24.8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Concat {
    /// The reference the segments of one message share.
    pub reference: u16,
    /// How many segments the message has.
    pub total: u8,
    /// This segment's number, from 1.
    pub seq: u8,
    /// 16-bit reference (IEI 0x08) rather than 8-bit (IEI 0x00).
    pub wide: bool,
}

/// One information element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Element {
    /// Concatenated short message (IEI 0x00 or 0x08).
    Concat(Concat),
    /// Application port addressing (IEI 0x04 8-bit, 0x05 16-bit, §9.2.3.24.3/4).
    Ports {
        /// The port the message is for.
        destination: u16,
        /// The port it came from.
        source: u16,
    },
    /// National language single shift (IEI 0x24, §9.2.3.24.15).
    SingleShift {
        /// The national language identifier (3GPP TS 23.038 §6.2.1.2.4).
        language: u8,
    },
    /// National language locking shift (IEI 0x25, §9.2.3.24.16).
    LockingShift {
        /// The national language identifier (3GPP TS 23.038 §6.2.1.2.4).
        language: u8,
    },
    /// Any other element, kept verbatim.
    Other {
        /// The information element identifier.
        iei: u8,
        /// Its data.
        #[serde(serialize_with = "crate::message::protocol::serialize_hex")]
        data: Vec<u8>,
    },
}
