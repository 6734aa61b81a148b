//! The PDU decoder: a bounds-checked reader and one body layout per command.

use super::*;
use crate::ingest::sms::dcs::decode_latin1;

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
        // replace_sm swaps the text of a message already submitted (SMPP 3.4
        // §4.10): content to scan like any other, so it is a message body.
        REPLACE_SM => {
            let mut m = ShortMessage {
                message_id: r.cstr("message_id", 65)?,
                source: r.address(&SOURCE, 21)?,
                schedule_delivery_time: r.cstr("schedule_delivery_time", 17)?,
                validity_period: r.cstr("validity_period", 17)?,
                registered_delivery: r.u8("registered_delivery")?,
                sm_default_msg_id: r.u8("sm_default_msg_id")?,
                ..ShortMessage::default()
            };
            m.short_message_offset = r.pos + 1;
            m.short_message = short_message(&mut r)?;
            Body::Message(Box::new(m))
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
