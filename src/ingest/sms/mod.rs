//! SMS ingest: SMPP PDUs and 3GPP TS 23.040 TPDUs into messages, with
//! concatenated SMS reassembled. (Stub: replaced by the SMS decoder work.)

pub mod concat;
pub mod dcs;
pub mod gsm7;
pub mod smpp;
pub mod tpdu;
pub mod udh;
pub mod user_data;

use serde::Serialize;

pub(crate) fn serialize_hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    s.serialize_str(&hex)
}

use crate::message::Message;

/// Per-source decoding choices and reassembly limits.
#[derive(Clone, Debug, Default)]
pub struct SmsConfig {}

/// Protocol details of an SMS message for `inspect`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SmsDetails {}

/// Stateful SMS decoder (reassembles concatenated messages).
pub struct SmsIngest {}

impl SmsIngest {
    pub fn new(_config: SmsConfig) -> SmsIngest {
        SmsIngest {}
    }

    pub fn push_smpp<'a>(&mut self, _pdu: &[u8], _now_ms: u64, _out: &mut Vec<Message<'a>>) {}

    pub fn push_tpdu<'a>(&mut self, _tpdu: &[u8], _now_ms: u64, _out: &mut Vec<Message<'a>>) {}

    pub fn flush(&mut self, _out: &mut Vec<Message<'static>>) {}
}
