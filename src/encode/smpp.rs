//! The SMPP PDU encoder for message and body-less commands: the inverse of
//! [`ingest::sms::smpp`](crate::ingest::sms::smpp).

use crate::ingest::sms::dcs::encode_latin1;
use crate::ingest::sms::smpp::*;

fn put_cstr(out: &mut Vec<u8>, field: &'static str, s: &str, max: usize) -> Result<(), SmppError> {
    let bytes = encode_latin1(s).unwrap_or_else(|| s.as_bytes().to_vec());
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

fn put_short_message(out: &mut Vec<u8>, sm: &[u8]) -> Result<(), SmppError> {
    if sm.len() > MAX_SHORT_MESSAGE {
        return Err(SmppError::FieldTooLong {
            field: "short_message",
            len: sm.len(),
            max: MAX_SHORT_MESSAGE,
        });
    }
    out.push(sm.len() as u8);
    out.extend_from_slice(sm);
    Ok(())
}

/// Encodes a PDU: message commands (submit_sm, deliver_sm, data_sm,
/// submit_multi, replace_sm) and body-less ones. `command_length` is computed.
pub fn encode(pdu: &Pdu) -> Result<Vec<u8>, SmppError> {
    let command = pdu.command_name();
    let mut out = vec![0u8; 4];
    out.extend_from_slice(&pdu.command_id.to_be_bytes());
    out.extend_from_slice(&pdu.command_status.to_be_bytes());
    out.extend_from_slice(&pdu.sequence.to_be_bytes());
    match &pdu.body {
        Body::Empty => {}
        Body::Fields(_) => return Err(SmppError::EncodeUnsupported { command }),
        Body::Message(m) if pdu.command_id == REPLACE_SM => {
            put_cstr(&mut out, "message_id", &m.message_id, 65)?;
            out.extend_from_slice(&[m.source.ton, m.source.npi]);
            put_cstr(&mut out, "source_addr", &m.source.addr, 21)?;
            put_cstr(
                &mut out,
                "schedule_delivery_time",
                &m.schedule_delivery_time,
                17,
            )?;
            put_cstr(&mut out, "validity_period", &m.validity_period, 17)?;
            out.extend_from_slice(&[m.registered_delivery, m.sm_default_msg_id]);
            put_short_message(&mut out, &m.short_message)?;
        }
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
                put_short_message(&mut out, &m.short_message)?;
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
