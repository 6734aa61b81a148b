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
