//! Composing outgoing SMS: text in, encoded SMPP PDUs or TPDUs out, segmented
//! and concatenated the way senders do. Used by the seed generator, the tests
//! and anyone who needs realistic traffic.

use super::segment::{segment, Segment};
use super::{smpp, tpdu};
use crate::ingest::sms::dcs::{Alphabet, Dcs};
use crate::ingest::sms::gsm7::Tables;
use crate::ingest::sms::smpp::{Body, Pdu, ShortMessage, SmeAddress, SmppError, Tlv};
use crate::ingest::sms::smpp::{
    MAX_SHORT_MESSAGE, SUBMIT_SM, TLV_MESSAGE_PAYLOAD, TLV_SAR_MSG_REF_NUM, TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
};
use crate::ingest::sms::tpdu::{Timestamp, TpAddress, Tpdu, TpduError, TpduType, Validity};
use crate::ingest::sms::udh::Udh;

/// How an SMPP message longer than one segment is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmppConcat {
    /// UDH in `short_message` with `esm_class` UDHI (IEI 0x00/0x08).
    Udh,
    /// `sar_msg_ref_num` / `sar_total_segments` / `sar_segment_seqnum` TLVs.
    Sar,
    /// One PDU with the whole text in `message_payload`.
    Payload,
}

/// Errors composing a message.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A character of the text is not in the alphabet asked for.
    #[error("the text cannot be carried in {0:?}")]
    Alphabet(Alphabet),
    /// The SMPP encoder refused a field.
    #[error(transparent)]
    Smpp(#[from] SmppError),
    /// The TPDU encoder refused a field.
    #[error(transparent)]
    Tpdu(#[from] TpduError),
}

/// The SMPP `data_coding` for an alphabet (SMPP 3.4 §5.2.19).
fn smpp_data_coding(alphabet: Alphabet) -> u8 {
    match alphabet {
        Alphabet::Gsm7Unpacked | Alphabet::Gsm7Packed => 0x00,
        Alphabet::Ia5 => 0x01,
        Alphabet::Latin1 => 0x03,
        Alphabet::Binary => 0x04,
        Alphabet::Ucs2 => 0x08,
    }
}

/// A text message to send over SMPP.
#[derive(Clone, Debug)]
pub struct SmppText<'t> {
    /// `submit_sm`, `deliver_sm` or `data_sm` (see [`smpp`](crate::ingest::sms::smpp)).
    pub command_id: u32,
    /// The first PDU's `sequence_number`.
    pub sequence: u32,
    /// The sender.
    pub source: SmeAddress,
    /// The recipient.
    pub destination: SmeAddress,
    /// The text to send.
    pub text: &'t str,
    /// `Gsm7Unpacked` (the SMPP default), `Gsm7Packed`, `Ucs2`, `Latin1`, `Ia5`.
    pub alphabet: Alphabet,
    /// How a long text is split.
    pub concat: SmppConcat,
    /// The concatenation reference the segments share.
    pub reference: u16,
    /// `esm_class`; UDHI is added where a segment carries a UDH.
    pub esm_class: u8,
    /// `registered_delivery`.
    pub registered_delivery: u8,
    /// TLVs added to every PDU.
    pub extra_tlvs: Vec<Tlv>,
}

impl<'t> SmppText<'t> {
    /// A submit_sm in unpacked GSM 7-bit, concatenated by UDH, sequence and
    /// reference 1.
    pub fn submit(source: SmeAddress, destination: SmeAddress, text: &'t str) -> SmppText<'t> {
        SmppText {
            command_id: SUBMIT_SM,
            sequence: 1,
            source,
            destination,
            text,
            alphabet: Alphabet::Gsm7Unpacked,
            concat: SmppConcat::Udh,
            reference: 1,
            esm_class: 0,
            registered_delivery: 0,
            extra_tlvs: Vec::new(),
        }
    }

    /// Encodes to one PDU per segment (sequence numbers count up).
    pub fn encode(&self) -> Result<Vec<Vec<u8>>, ComposeError> {
        let segments: Vec<Segment> = if self.concat == SmppConcat::Payload {
            let units = super::segment::encode_text(self.text, self.alphabet, Tables::default())
                .ok_or(ComposeError::Alphabet(self.alphabet))?;
            vec![Segment { udh: None, units }]
        } else {
            segment(self.text, self.alphabet, Tables::default(), self.reference)
                .ok_or(ComposeError::Alphabet(self.alphabet))?
        };
        let total = segments.len();
        let mut out = Vec::with_capacity(total);
        for (i, seg) in segments.into_iter().enumerate() {
            let info = seg.udh.as_ref().and_then(Udh::concat);
            let mut tlvs = Vec::new();
            let (short_message, udhi) = match (self.concat, info) {
                (SmppConcat::Sar, Some(c)) => {
                    let plain = Segment {
                        udh: None,
                        units: seg.units,
                    };
                    tlvs.push(Tlv::new(TLV_SAR_MSG_REF_NUM, c.reference.to_be_bytes()));
                    tlvs.push(Tlv::new(TLV_SAR_TOTAL_SEGMENTS, [c.total]));
                    tlvs.push(Tlv::new(TLV_SAR_SEGMENT_SEQNUM, [c.seq]));
                    (plain.to_octets(self.alphabet).0, false)
                }
                _ => (seg.to_octets(self.alphabet).0, info.is_some()),
            };
            tlvs.extend(self.extra_tlvs.iter().cloned());
            let (short_message, payload) =
                if self.concat == SmppConcat::Payload || short_message.len() > MAX_SHORT_MESSAGE {
                    (Vec::new(), Some(short_message))
                } else {
                    (short_message, None)
                };
            if let Some(p) = payload {
                tlvs.push(Tlv::new(TLV_MESSAGE_PAYLOAD, p));
            }
            let m = ShortMessage {
                source: self.source.clone(),
                destinations: vec![self.destination.clone()],
                esm_class: self.esm_class | if udhi { 0x40 } else { 0 },
                registered_delivery: self.registered_delivery,
                data_coding: smpp_data_coding(self.alphabet),
                short_message,
                ..ShortMessage::default()
            };
            let pdu = Pdu {
                command_id: self.command_id,
                command_status: 0,
                sequence: self.sequence.wrapping_add(i as u32),
                body: Body::Message(Box::new(m)),
                tlvs,
            };
            out.push(smpp::encode(&pdu)?);
        }
        Ok(out)
    }
}

/// A text message as TPDUs.
#[derive(Clone, Debug)]
pub struct TpduText<'t> {
    /// SMS-DELIVER or SMS-SUBMIT.
    pub kind: TpduType,
    /// The SMSC address to prefix, if any.
    pub smsc: Option<TpAddress>,
    /// TP-OA for DELIVER, TP-DA for SUBMIT.
    pub address: TpAddress,
    /// The text to send.
    pub text: &'t str,
    /// `Gsm7Packed`, `Ucs2` or `Binary` (8-bit).
    pub alphabet: Alphabet,
    /// The concatenation reference the segments share.
    pub reference: u16,
    /// TP-SCTS, for SMS-DELIVER.
    pub timestamp: Timestamp,
}

impl TpduText<'_> {
    /// Encodes to one TPDU per segment.
    pub fn encode(&self) -> Result<Vec<Vec<u8>>, ComposeError> {
        let segments = segment(self.text, self.alphabet, Tables::default(), self.reference)
            .ok_or(ComposeError::Alphabet(self.alphabet))?;
        let mut out = Vec::with_capacity(segments.len());
        for (i, seg) in segments.iter().enumerate() {
            let (user_data, udl) = seg.to_octets(self.alphabet);
            let t = Tpdu {
                smsc: self.smsc.clone(),
                kind: self.kind,
                first_octet: 0,
                message_reference: (self.kind == TpduType::Submit).then_some(i as u8),
                address: self.address.clone(),
                dcs: Dcs::from_tp_dcs(Dcs::tp_dcs_for(self.alphabet)),
                scts: (self.kind == TpduType::Deliver).then_some(self.timestamp),
                validity: if self.kind == TpduType::Submit {
                    Validity::Relative(0xA7)
                } else {
                    Validity::None
                },
                udhi: seg.udh.is_some(),
                udl,
                user_data,
                ..Tpdu::default()
            };
            out.push(tpdu::encode(&t)?);
        }
        Ok(out)
    }
}
