//! User data: splitting off the UDH, turning the rest into *units* (septets
//! for GSM 7-bit, octets otherwise) and units into text.
//!
//! Units are what concatenation joins (3GPP TS 23.040 §9.2.3.24.1: the
//! segments form one message *before* character decoding), so an escape or a
//! surrogate pair split across a segment boundary still decodes right.

use super::dcs::{self, Alphabet, TextError};
use super::gsm7::{self, Gsm7Error, Tables};
use super::udh::{fill_bits, Udh, UdhError};

/// User data with the header split off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserData {
    /// The header, when there is one and it parsed.
    pub udh: Option<Udh>,
    /// Octets taken by the UDH (UDHL included), 0 without one.
    pub udh_len: usize,
    /// Septets (GSM 7-bit, one per element) or octets.
    pub units: Vec<u8>,
    /// A malformed UDH, skipped: the text after it is still read.
    pub udh_error: Option<UdhError>,
}

/// Parses the UDH if `udhi`, tolerating a malformed one: with a UDHL that
/// fits, the header is skipped whole; with one that does not, the data is
/// read as if there were no header.
fn header(data: &[u8], udhi: bool) -> (Option<Udh>, usize, Option<UdhError>) {
    if !udhi {
        return (None, 0, None);
    }
    match Udh::parse(data) {
        Ok((h, n)) => (Some(h), n, None),
        Err(e @ UdhError::LengthBeyondData { .. }) => (None, 0, Some(e)),
        Err(e) => {
            let n = data.first().map_or(0, |&l| usize::from(l) + 1);
            (None, n, Some(e))
        }
    }
}

/// Why user data could not be split.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UserDataError {
    /// The user data header is malformed.
    #[error(transparent)]
    Udh(#[from] UdhError),
    /// The septets could not be unpacked.
    #[error(transparent)]
    Gsm7(#[from] Gsm7Error),
    /// TP-UDL counts fewer septets than the header (and its fill bits)
    /// take.
    #[error(
        "octet {offset}: TP-UDL {udl} septets is shorter than the {header} septets of the UDH"
    )]
    UdlShorterThanHeader {
        /// Where the user data starts (0).
        offset: usize,
        /// TP-UDL.
        udl: usize,
        /// Septets the header takes.
        header: usize,
    },
}

/// Splits TPDU user data: `udl` counts septets for GSM 7-bit (UDH and fill
/// bits included) and octets otherwise (3GPP TS 23.040 §9.2.3.16).
pub fn split_tpdu(
    ud: &[u8],
    udl: usize,
    udhi: bool,
    alphabet: Alphabet,
) -> Result<UserData, UserDataError> {
    let (udh, udh_len, udh_error) = header(ud, udhi);
    let rest = ud.get(udh_len..).unwrap_or(&[]);
    let units = if alphabet.is_gsm7() {
        let fill = fill_bits(udh_len);
        let header = (udh_len * 8 + fill) / 7;
        let count = udl
            .checked_sub(header)
            .ok_or(UserDataError::UdlShorterThanHeader {
                offset: 0,
                udl,
                header,
            })?;
        gsm7::unpack(rest, fill, count)?
    } else {
        rest.get(..udl.saturating_sub(udh_len))
            .unwrap_or(rest)
            .to_vec()
    };
    Ok(UserData {
        udh,
        udh_len,
        units,
        udh_error,
    })
}

/// Splits SMPP `short_message`/`message_payload` octets (no UDL: the length
/// is the octet count). Octet units are `data` itself, the header taken off
/// in place: the decoded PDU's buffer becomes the units without a copy.
pub fn split_octets(
    mut data: Vec<u8>,
    udhi: bool,
    alphabet: Alphabet,
) -> Result<UserData, UserDataError> {
    let (udh, udh_len, udh_error) = header(&data, udhi);
    let rest = data.get(udh_len..).unwrap_or(&[]);
    let units = if alphabet == Alphabet::Gsm7Packed {
        let fill = fill_bits(udh_len);
        let mut count = (rest.len() * 8).saturating_sub(fill) / 7;
        let mut septets = gsm7::unpack(rest, fill, count)?;
        // With 7 spare bits at the end the last septet is padding, CR by
        // 3GPP TS 23.038 §6.1.2.3.1 (zero from careless encoders).
        if (rest.len() * 8).saturating_sub(fill) % 7 == 0
            && matches!(septets.last(), Some(0x0D | 0x00))
            && count > 0
        {
            count -= 1;
            septets.truncate(count);
        }
        septets
    } else {
        data.drain(..udh_len.min(data.len()));
        data
    };
    Ok(UserData {
        udh,
        udh_len,
        units,
        udh_error,
    })
}

/// A problem decoding text, to become a `BadCharset` problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeProblem {
    /// In GSM 7-bit text.
    #[error(transparent)]
    Gsm7(#[from] Gsm7Error),
    /// In UCS-2 or IA5 text.
    #[error(transparent)]
    Text(#[from] TextError),
}

/// Decodes units to text. Binary data is shown as Latin-1 (a URL in a
/// binary payload is still worth seeing), lossily.
pub fn decode_text(
    units: &[u8],
    alphabet: Alphabet,
    tables: Tables,
    problems: &mut Vec<DecodeProblem>,
) -> String {
    match alphabet {
        Alphabet::Gsm7Packed | Alphabet::Gsm7Unpacked => {
            let mut errs = Vec::new();
            let s = gsm7::decode(units, tables, &mut errs);
            problems.extend(errs.into_iter().map(DecodeProblem::from));
            s
        }
        Alphabet::Ucs2 => {
            let mut errs = Vec::new();
            let s = dcs::decode_ucs2(units, &mut errs);
            problems.extend(errs.into_iter().map(DecodeProblem::from));
            s
        }
        Alphabet::Ia5 => {
            let mut errs = Vec::new();
            let s = dcs::decode_ia5(units, &mut errs);
            problems.extend(errs.into_iter().map(DecodeProblem::from));
            s
        }
        Alphabet::Latin1 | Alphabet::Binary => dcs::decode_latin1(units),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_udh_is_skipped_and_the_text_still_read() {
        // IE 0x00 claims 5 octets inside a 5-octet header; text "Hi".
        let ud = [0x05, 0x00, 0x05, 0x01, 0x02, 0x03, b'H', b'i'];
        let got = split_octets(ud.to_vec(), true, Alphabet::Latin1).unwrap();
        assert_eq!(got.units, b"Hi");
        assert!(matches!(
            got.udh_error,
            Some(UdhError::ElementOverrun { offset: 1, .. })
        ));
        // A UDHL past the end: read as if there were no header.
        let got = split_octets(vec![0x40, b'o', b'k'], true, Alphabet::Latin1).unwrap();
        assert_eq!(got.units, [0x40, b'o', b'k']);
        assert!(got.udh_error.is_some());
    }

    #[test]
    fn packed_smpp_text_drops_the_cr_pad() {
        let septets = gsm7::encode("1234567\r", Tables::default()).unwrap();
        let packed = gsm7::pack(&septets, 0);
        let ud = split_octets(packed, false, Alphabet::Gsm7Packed).unwrap();
        assert_eq!(ud.units.len(), 7);
    }
}
