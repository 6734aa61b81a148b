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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    /// The value as hex.
    pub value: String,
}

/// One segment of a concatenated message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SegmentInfo {
    pub reference: u16,
    pub total: u8,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smpp: Option<Box<SmppDetails>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpdu: Option<Box<TpduDetails>>,
    /// The decoded TP-DCS (TPDU) or `data_coding` (SMPP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dcs: Option<Dcs>,
    /// The alphabet the text was decoded with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alphabet: Option<Alphabet>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub udh: Vec<Element>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<&'static str>,
    pub command_id: u32,
    pub sequence: u32,
    pub command_status: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esm_class: Option<EsmClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_coding: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_id: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_flag: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_delivery: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_delivery_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_period: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tlvs: Vec<TlvInfo>,
}

/// TPDU fields (3GPP TS 23.040 §9.2.2).
#[derive(Clone, Debug, Default, Serialize)]
pub struct TpduDetails {
    pub tpdu_type: &'static str,
    pub first_octet: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smsc: Option<String>,
    pub protocol_id: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discharge_time: Option<String>,
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
    pub fn is_gsm7(self) -> bool {
        matches!(self, Alphabet::Gsm7Packed | Alphabet::Gsm7Unpacked)
    }
}

/// A decoded TP-DCS octet (3GPP TS 23.038 §4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dcs {
    pub raw: u8,
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
    pub raw: u8,
    pub mode: &'static str,
    pub message_type: &'static str,
    pub udhi: bool,
    pub reply_path: bool,
}

/// TP-VP (§9.2.3.12), in the form TP-VPF selected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "format", content = "value", rename_all = "lowercase")]
pub enum Validity {
    #[default]
    None,
    Relative(u8),
    Enhanced([u8; 7]),
    Absolute(Timestamp),
}

/// A TP-SCTS style timestamp (§9.2.3.11): semi-octet BCD, zone in quarter hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timestamp(pub [u8; 7]);

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
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
    /// 16-bit reference (IEI 0x08) rather than 8-bit (IEI 0x00).
    pub wide: bool,
}

/// One information element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Element {
    Concat(Concat),
    /// Application port addressing (IEI 0x04 8-bit, 0x05 16-bit, §9.2.3.24.3/4).
    Ports {
        destination: u16,
        source: u16,
    },
    /// National language single shift (IEI 0x24, §9.2.3.24.15).
    SingleShift {
        language: u8,
    },
    /// National language locking shift (IEI 0x25, §9.2.3.24.16).
    LockingShift {
        language: u8,
    },
    /// Any other element, kept verbatim.
    Other {
        iei: u8,
        #[serde(serialize_with = "crate::message::protocol::serialize_hex")]
        data: Vec<u8>,
    },
}
