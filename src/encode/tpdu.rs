//! The SMS-SUBMIT / SMS-DELIVER encoder (3GPP TS 23.040 §9.2.2.1, §9.2.2.2):
//! the inverse of [`ingest::sms::tpdu`](crate::ingest::sms::tpdu).

use crate::ingest::sms::gsm7;
use crate::ingest::sms::tpdu::{Timestamp, TpAddress, Tpdu, TpduError, TpduType, Validity};

/// The type-of-address octet (§9.1.2.5): extension bit set, then TON and NPI.
fn type_of_address(a: &TpAddress) -> u8 {
    0x80 | (a.ton & 0x07) << 4 | (a.npi & 0x0F)
}

fn put_address(out: &mut Vec<u8>, a: &TpAddress) -> Result<(), TpduError> {
    if a.ton == 5 {
        let septets = gsm7::encode(&a.value, gsm7::Tables::default()).map_err(|_| {
            TpduError::Unencodable {
                what: "alphanumeric address outside the GSM 7-bit alphabet",
            }
        })?;
        if septets.len() > 11 {
            return Err(TpduError::Unencodable {
                what: "alphanumeric address longer than 11 characters",
            });
        }
        let packed = gsm7::pack(&septets, 0);
        let semi = (septets.len() * 7).div_ceil(4);
        out.extend_from_slice(&[semi as u8, type_of_address(a)]);
        out.extend_from_slice(&packed);
        return Ok(());
    }
    let digits: Vec<u8> = a
        .value
        .chars()
        .filter(|c| *c != '+')
        .map(|c| match c {
            '0'..='9' => Ok(c as u8 - b'0'),
            '*' => Ok(0xA),
            '#' => Ok(0xB),
            'a' => Ok(0xC),
            'b' => Ok(0xD),
            'c' => Ok(0xE),
            _ => Err(TpduError::Unencodable {
                what: "address character outside 0-9 * # a b c",
            }),
        })
        .collect::<Result<_, _>>()?;
    if digits.len() > 20 {
        return Err(TpduError::Unencodable {
            what: "address longer than 20 digits",
        });
    }
    out.extend_from_slice(&[digits.len() as u8, type_of_address(a)]);
    for pair in digits.chunks(2) {
        out.push(pair[0] | pair.get(1).copied().unwrap_or(0xF) << 4);
    }
    Ok(())
}

/// Encodes an SMS-SUBMIT or SMS-DELIVER (and the SMSC prefix when `smsc` is
/// set). The first octet is rebuilt from the fields; `udl` and `user_data`
/// are written as given (see [`Segment::to_octets`](super::segment::Segment::to_octets)).
pub fn encode(t: &Tpdu) -> Result<Vec<u8>, TpduError> {
    let mut out = Vec::with_capacity(32 + t.user_data.len());
    match &t.smsc {
        None => out.push(0),
        Some(a) => {
            let mut tmp = Vec::new();
            put_address(&mut tmp, a)?;
            // SMSC length counts octets (TOA included), not semi-octets.
            out.push((tmp.len() - 1) as u8);
            out.extend_from_slice(&tmp[1..]);
        }
    }
    if t.user_data.len() > 140 || t.udl > 255 {
        return Err(TpduError::Unencodable {
            what: "user data longer than 140 octets",
        });
    }
    let udhi = if t.udhi { 0x40 } else { 0 };
    let keep = t.first_octet & 0xA4; // TP-RP, TP-SRI/SRR, TP-MMS/RD
    match t.kind {
        TpduType::Deliver => {
            out.push(keep | udhi);
            put_address(&mut out, &t.address)?;
            out.extend_from_slice(&[t.pid, t.dcs.raw]);
            out.extend_from_slice(&t.scts.unwrap_or_default().0);
        }
        TpduType::Submit => {
            let vpf = match t.validity {
                Validity::None => 0b00,
                Validity::Relative(_) => 0b10,
                Validity::Enhanced(_) => 0b01,
                Validity::Absolute(_) => 0b11,
            };
            out.push(keep | udhi | vpf << 3 | 0x01);
            out.push(t.message_reference.unwrap_or(0));
            put_address(&mut out, &t.address)?;
            out.extend_from_slice(&[t.pid, t.dcs.raw]);
            match t.validity {
                Validity::None => {}
                Validity::Relative(v) => out.push(v),
                Validity::Enhanced(v) => out.extend_from_slice(&v),
                Validity::Absolute(ts) => out.extend_from_slice(&ts.0),
            }
        }
        TpduType::StatusReport => {
            return Err(TpduError::Unencodable {
                what: "SMS-STATUS-REPORT (decode only)",
            })
        }
    }
    out.push(t.udl as u8);
    out.extend_from_slice(&t.user_data);
    Ok(out)
}

/// Builds a timestamp from its parts (year within century, zone in quarter hours).
pub fn timestamp(y: u8, mo: u8, d: u8, h: u8, mi: u8, s: u8, tz_quarters: i8) -> Timestamp {
    let bcd = |v: u8| ((v % 10) << 4) | ((v / 10) % 10);
    let q = tz_quarters.unsigned_abs();
    let mut tz = bcd(q);
    if tz_quarters < 0 {
        tz |= 0x08;
    }
    Timestamp([bcd(y), bcd(mo), bcd(d), bcd(h), bcd(mi), bcd(s), tz])
}
