//! 3GPP TS 23.040 TPDUs: SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT
//! decoded, optionally preceded by the SMSC address that modems prepend
//! (27.005 PDU mode).
#![cfg_attr(feature = "synth", doc = " The encoder is [`crate::encode::tpdu`].")]
//!
//! TP-MTI is ambiguous without the direction (§9.2.3.1): 00 is DELIVER or
//! DELIVER-REPORT, 01 SUBMIT or SUBMIT-REPORT, 10 STATUS-REPORT or COMMAND.
//! A filter sees SMS-SUBMIT at the MO side and SMS-DELIVER / STATUS-REPORT at
//! the MT side, so those readings are taken.

use serde::Serialize;

use super::dcs::Dcs;
use super::gsm7;
pub use crate::message::protocol::sms::{Timestamp, Validity};

#[cfg(test)]
mod tests;

/// The TPDU types this decoder understands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum TpduType {
    /// SMS-DELIVER (§9.2.2.1): SMSC to handset, the MT side.
    #[default]
    #[serde(rename = "SMS-DELIVER")]
    Deliver,
    /// SMS-SUBMIT (§9.2.2.2): handset to SMSC, the MO side.
    #[serde(rename = "SMS-SUBMIT")]
    Submit,
    /// SMS-STATUS-REPORT (§9.2.2.3): the SMSC reports on a message sent.
    #[serde(rename = "SMS-STATUS-REPORT")]
    StatusReport,
}

impl TpduType {
    /// The type's name in the specification (`SMS-DELIVER`).
    pub fn name(self) -> &'static str {
        match self {
            TpduType::Deliver => "SMS-DELIVER",
            TpduType::Submit => "SMS-SUBMIT",
            TpduType::StatusReport => "SMS-STATUS-REPORT",
        }
    }
}

/// An address field (§9.1.2.5): type of number, numbering plan, value.
/// Alphanumeric addresses (TON 101) are GSM 7-bit packed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TpAddress {
    /// Type of number, bits 6–4 of the type-of-address octet: 1
    /// international, 5 alphanumeric, …
    pub ton: u8,
    /// Numbering plan identification, bits 3–0: 1 ISDN (E.164), …
    pub npi: u8,
    /// The digits, or the text of an alphanumeric address.
    pub value: String,
}

impl TpAddress {
    /// An address of this type, plan and value.
    pub fn new(ton: u8, npi: u8, value: impl Into<String>) -> TpAddress {
        TpAddress {
            ton,
            npi,
            value: value.into(),
        }
    }
}

/// One decoded TPDU. `user_data` is the raw TP-UD; split it with
/// [`super::user_data::split_tpdu`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tpdu {
    /// The SMSC address a modem prepends (3GPP TS 27.005 PDU mode), when
    /// decoded with it and not empty.
    pub smsc: Option<TpAddress>,
    /// The TPDU type, from TP-MTI (§9.2.3.1).
    pub kind: TpduType,
    /// The first octet whole: TP-MTI, TP-VPF, TP-UDHI, … (§9.2.2).
    pub first_octet: u8,
    /// TP-MR (SUBMIT, STATUS-REPORT).
    pub message_reference: Option<u8>,
    /// TP-OA (DELIVER), TP-DA (SUBMIT) or TP-RA (STATUS-REPORT).
    pub address: TpAddress,
    /// TP-PID (§9.2.3.9): the protocol identifier; 0 for a plain SMS.
    pub pid: u8,
    /// TP-DCS (3GPP TS 23.038 §4): the alphabet and class of TP-UD.
    pub dcs: Dcs,
    /// TP-SCTS (DELIVER, STATUS-REPORT).
    pub scts: Option<Timestamp>,
    /// TP-VP (SUBMIT, §9.2.3.12), in the format TP-VPF names.
    pub validity: Validity,
    /// TP-DT and TP-ST (STATUS-REPORT).
    pub discharge_time: Option<Timestamp>,
    /// TP-ST (STATUS-REPORT, §9.2.3.15): what became of the message.
    pub status: Option<u8>,
    /// TP-UDHI (§9.2.3.23): TP-UD starts with a user data header.
    pub udhi: bool,
    /// TP-UDL (§9.2.3.16): septets for GSM 7-bit, octets otherwise.
    pub udl: usize,
    /// TP-UD as on the wire, header included.
    pub user_data: Vec<u8>,
    /// Offset of TP-UD in the input, for problem offsets.
    pub user_data_offset: usize,
}

/// What is wrong with a TPDU, and where (byte offset in the input).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TpduError {
    /// A field starts before the end of the input but ends after it.
    #[error("byte {offset}: {field} runs past the end of the TPDU")]
    Truncated {
        /// Where the field starts.
        offset: usize,
        /// The field's name in the specification (`TP-SCTS`).
        field: &'static str,
    },
    /// TP-MTI 11, which §9.2.3.1 reserves.
    #[error("byte {offset}: TP-MTI 11 is reserved")]
    ReservedMti {
        /// Where the first octet is.
        offset: usize,
    },
    /// An address longer than 20 digits (§9.1.2.5), an SMSC address over 11
    /// octets, or an SMSC type-of-address without its bit 7 set.
    #[error("byte {offset}: address length {len} is out of range")]
    BadAddressLength {
        /// Where the length octet is.
        offset: usize,
        /// The length it declares.
        len: usize,
    },
    /// TP-UDL claims more user data than the input holds.
    #[error("byte {offset}: TP-UDL {udl} needs {needed} octets but {available} remain")]
    UserDataBeyondEnd {
        /// Where TP-UDL is.
        offset: usize,
        /// Its value.
        udl: usize,
        /// The octets it implies in the TPDU's alphabet.
        needed: usize,
        /// The octets left after it.
        available: usize,
    },
    /// TP-UDL implies more than the 140 octets TP-UD holds (§9.2.3.24).
    #[error("byte {offset}: TP-UDL {udl} exceeds the 140-octet TP-UD maximum")]
    UserDataTooLong {
        /// Where TP-UDL is.
        offset: usize,
        /// Its value.
        udl: usize,
    },
    /// Octets after the TPDU's end, where the whole input had to be one.
    #[error("byte {offset}: {count} octets follow the end of the TPDU")]
    TrailingBytes {
        /// Where the TPDU ended.
        offset: usize,
        /// How many octets follow.
        count: usize,
    },
    /// Encoding only: a value the wire format cannot carry.
    #[error("cannot encode: {what}")]
    Unencodable {
        /// What could not be encoded.
        what: &'static str,
    },
}

impl TpduError {
    /// The byte offset the error refers to, where it has one.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            TpduError::Truncated { offset, .. }
            | TpduError::ReservedMti { offset }
            | TpduError::BadAddressLength { offset, .. }
            | TpduError::UserDataBeyondEnd { offset, .. }
            | TpduError::UserDataTooLong { offset, .. }
            | TpduError::TrailingBytes { offset, .. } => Some(offset),
            TpduError::Unencodable { .. } => None,
        }
    }

    /// Whether the input ended early (rather than being wrong in shape).
    pub fn is_truncation(&self) -> bool {
        matches!(
            self,
            TpduError::Truncated { .. } | TpduError::UserDataBeyondEnd { .. }
        )
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], TpduError> {
        let out = self
            .buf
            .get(self.pos..self.pos + n)
            .ok_or(TpduError::Truncated {
                offset: self.pos,
                field,
            })?;
        self.pos += n;
        Ok(out)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, TpduError> {
        Ok(self.take(1, field)?[0])
    }

    fn timestamp(&mut self, field: &'static str) -> Result<Timestamp, TpduError> {
        let mut t = [0u8; 7];
        t.copy_from_slice(self.take(7, field)?);
        Ok(Timestamp(t))
    }

    /// TP-OA/DA/RA: length in useful semi-octets, TOA, digits (§9.1.2.5).
    fn address(&mut self, field: &'static str) -> Result<TpAddress, TpduError> {
        let offset = self.pos;
        let digits = usize::from(self.u8(field)?);
        if digits > 20 {
            return Err(TpduError::BadAddressLength {
                offset,
                len: digits,
            });
        }
        let toa = self.u8(field)?;
        let bytes = self.take(digits.div_ceil(2), field)?;
        Ok(address_value(toa, bytes, digits))
    }

    /// The SMSC address (3GPP TS 24.011 §8.2.5.1): length in octets incl. TOA.
    fn smsc(&mut self) -> Result<Option<TpAddress>, TpduError> {
        let offset = self.pos;
        let len = usize::from(self.u8("SMSC address")?);
        if len == 0 {
            return Ok(None);
        }
        if len > 11 {
            return Err(TpduError::BadAddressLength { offset, len });
        }
        let toa = self.u8("SMSC address")?;
        // Bit 7 of a type-of-address is always 1 (§9.1.2.5); requiring it
        // keeps the SMSC-prefix guess from misreading a bare TPDU.
        if toa & 0x80 == 0 {
            return Err(TpduError::BadAddressLength { offset, len });
        }
        let bytes = self.take(len - 1, "SMSC address")?;
        Ok(Some(address_value(toa, bytes, bytes.len() * 2)))
    }
}

fn address_value(toa: u8, bytes: &[u8], digits: usize) -> TpAddress {
    let ton = (toa >> 4) & 0x07;
    let npi = toa & 0x0F;
    let value = if ton == 5 {
        let septets = digits * 4 / 7;
        let units = gsm7::unpack(bytes, 0, septets).unwrap_or_default();
        gsm7::decode(&units, gsm7::Tables::default(), &mut Vec::new())
    } else {
        let mut s = String::with_capacity(digits);
        for i in 0..digits {
            let b = bytes.get(i / 2).copied().unwrap_or(0xFF);
            let nibble = if i % 2 == 0 { b & 0x0F } else { b >> 4 };
            match nibble {
                0..=9 => s.push(char::from(b'0' + nibble)),
                0xA => s.push('*'),
                0xB => s.push('#'),
                0xC => s.push('a'),
                0xD => s.push('b'),
                0xE => s.push('c'),
                _ => {}
            }
        }
        s
    };
    TpAddress { ton, npi, value }
}

/// Octets TP-UD takes for `udl` in the alphabet of `dcs` (§9.2.3.16).
fn ud_octets(dcs: &Dcs, udl: usize) -> usize {
    if dcs.alphabet.is_gsm7() && !dcs.compressed {
        gsm7::packed_len(udl, 0)
    } else {
        udl
    }
}

/// Decodes a TPDU with (`with_smsc`) or without the SMSC address prefix,
/// returning it and the number of octets it took.
pub fn decode_prefix(bytes: &[u8], with_smsc: bool) -> Result<(Tpdu, usize), TpduError> {
    decode_inner(bytes, with_smsc, false)
}

/// With `loose`, TP-UD is whatever follows TP-UDL: all of it for octet
/// alphabets (encoders that count UCS-2 characters instead of octets get
/// TP-UDL wrong), and as many septets as are present for GSM 7-bit.
fn decode_inner(bytes: &[u8], with_smsc: bool, loose: bool) -> Result<(Tpdu, usize), TpduError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let mut t = Tpdu::default();
    if with_smsc {
        t.smsc = r.smsc()?;
    }
    let fo_offset = r.pos;
    let fo = r.u8("first octet")?;
    t.first_octet = fo;
    t.udhi = fo & 0x40 != 0;
    match fo & 0x03 {
        0b00 => {
            t.kind = TpduType::Deliver;
            t.address = r.address("TP-OA")?;
            t.pid = r.u8("TP-PID")?;
            t.dcs = Dcs::from_tp_dcs(r.u8("TP-DCS")?);
            t.scts = Some(r.timestamp("TP-SCTS")?);
        }
        0b01 => {
            t.kind = TpduType::Submit;
            t.message_reference = Some(r.u8("TP-MR")?);
            t.address = r.address("TP-DA")?;
            t.pid = r.u8("TP-PID")?;
            t.dcs = Dcs::from_tp_dcs(r.u8("TP-DCS")?);
            t.validity = match (fo >> 3) & 0x03 {
                0b00 => Validity::None,
                0b10 => Validity::Relative(r.u8("TP-VP")?),
                0b01 => {
                    let mut v = [0u8; 7];
                    v.copy_from_slice(r.take(7, "TP-VP")?);
                    Validity::Enhanced(v)
                }
                _ => Validity::Absolute(r.timestamp("TP-VP")?),
            };
        }
        0b10 => {
            t.kind = TpduType::StatusReport;
            t.message_reference = Some(r.u8("TP-MR")?);
            t.address = r.address("TP-RA")?;
            t.scts = Some(r.timestamp("TP-SCTS")?);
            t.discharge_time = Some(r.timestamp("TP-DT")?);
            t.status = Some(r.u8("TP-ST")?);
            // TP-PI and what it announces are optional (§9.2.2.3, §9.2.3.27).
            if r.pos == bytes.len() {
                return Ok((t, r.pos));
            }
            let pi = r.u8("TP-PI")?;
            if pi & 0x01 != 0 {
                t.pid = r.u8("TP-PID")?;
            }
            if pi & 0x02 != 0 {
                t.dcs = Dcs::from_tp_dcs(r.u8("TP-DCS")?);
            }
            if pi & 0x04 == 0 {
                return Ok((t, r.pos));
            }
        }
        _ => return Err(TpduError::ReservedMti { offset: fo_offset }),
    }
    let udl_offset = r.pos;
    let udl = usize::from(r.u8("TP-UDL")?);
    let needed = ud_octets(&t.dcs, udl);
    if needed > 140 {
        return Err(TpduError::UserDataTooLong {
            offset: udl_offset,
            udl,
        });
    }
    let available = bytes.len() - r.pos;
    if loose && needed != available {
        let gsm = t.dcs.alphabet.is_gsm7() && !t.dcs.compressed;
        let (udl, take) = if !gsm {
            (available, available)
        } else if needed > available {
            (available * 8 / 7, available)
        } else {
            (udl, needed)
        };
        t.udl = udl;
        t.user_data_offset = r.pos;
        t.user_data = r.take(take, "TP-UD")?.to_vec();
        return Ok((t, r.pos));
    }
    if needed > available {
        return Err(TpduError::UserDataBeyondEnd {
            offset: udl_offset,
            udl,
            needed,
            available,
        });
    }
    t.udl = udl;
    t.user_data_offset = r.pos;
    t.user_data = r.take(needed, "TP-UD")?.to_vec();
    Ok((t, r.pos))
}

/// Decodes a TPDU that must take exactly all of `bytes`.
pub fn decode(bytes: &[u8], with_smsc: bool) -> Result<Tpdu, TpduError> {
    let (t, used) = decode_prefix(bytes, with_smsc)?;
    if used != bytes.len() {
        return Err(TpduError::TrailingBytes {
            offset: used,
            count: bytes.len() - used,
        });
    }
    Ok(t)
}

/// Decodes with or without an SMSC prefix, whichever parse consumes exactly
/// all octets (with the prefix preferred when both do, as modems emit it).
pub fn decode_auto(bytes: &[u8]) -> Result<Tpdu, TpduError> {
    let with = decode(bytes, true);
    if with.is_ok() {
        return with;
    }
    let without = decode(bytes, false);
    match (with, without) {
        (_, Ok(t)) => Ok(t),
        // Report the parse that got further.
        (Err(a), Err(b)) => Err(if a.offset() >= b.offset() { a } else { b }),
        (Ok(t), _) => Ok(t),
    }
}

/// Like [`decode_auto`], but when no parse takes exactly all octets because
/// TP-UDL disagrees with the octets present, the user data is read as
/// present (see `decode_inner`) and the strict error is returned beside the
/// TPDU, so a message with a miscounted length is still scanned.
pub fn decode_lenient(bytes: &[u8]) -> Result<(Tpdu, Option<TpduError>), TpduError> {
    let err = match decode_auto(bytes) {
        Ok(t) => return Ok((t, None)),
        Err(e) => e,
    };
    if !matches!(
        err,
        TpduError::TrailingBytes { .. } | TpduError::UserDataBeyondEnd { .. }
    ) {
        return Err(err);
    }
    for with_smsc in [true, false] {
        if let Ok((t, used)) = decode_inner(bytes, with_smsc, true) {
            if used == bytes.len() {
                return Ok((t, Some(err)));
            }
        }
    }
    Err(err)
}
