//! [`SmsDetails`]: the protocol fields an operator debugs with.

use serde::Serialize;

use super::dcs::{Alphabet, Dcs};
use super::smpp::{tlv_name, EsmClass, Tlv};
use super::tpdu::Validity;
use super::udh::Element;

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

impl From<&Tlv> for TlvInfo {
    fn from(t: &Tlv) -> TlvInfo {
        TlvInfo {
            tag: format!("{:04x}", t.tag),
            name: tlv_name(t.tag),
            value: super::Hex(&t.value).to_string(),
        }
    }
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
/// Fields that do not apply to the protocol are absent.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SmsDetails {
    /// "smpp" or "tpdu".
    pub protocol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_status: Option<u32>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpdu_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_octet: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smsc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discharge_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
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
