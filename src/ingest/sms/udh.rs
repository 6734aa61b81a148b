//! The User Data Header (3GPP TS 23.040 §9.2.3.24): concatenation, ports and
//! national language shift tables, with every other element kept as bytes.

use serde::Serialize;

use super::gsm7::{Language, Tables};
pub use crate::message::protocol::sms::{Concat, Element};

impl Element {
    fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Element::Concat(c) if c.wide => {
                let [hi, lo] = c.reference.to_be_bytes();
                out.extend_from_slice(&[0x08, 4, hi, lo, c.total, c.seq]);
            }
            Element::Concat(c) => {
                out.extend_from_slice(&[0x00, 3, c.reference as u8, c.total, c.seq]);
            }
            Element::Ports {
                destination,
                source,
            } => {
                out.extend_from_slice(&[0x05, 4]);
                out.extend_from_slice(&destination.to_be_bytes());
                out.extend_from_slice(&source.to_be_bytes());
            }
            Element::SingleShift { language } => out.extend_from_slice(&[0x24, 1, language]),
            Element::LockingShift { language } => out.extend_from_slice(&[0x25, 1, language]),
            Element::Other { iei, ref data } => {
                out.push(iei);
                out.push(data.len().min(255) as u8);
                out.extend_from_slice(&data[..data.len().min(255)]);
            }
        }
    }
}

/// A parsed UDH.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Udh {
    /// The information elements, in wire order.
    pub elements: Vec<Element>,
}

/// UDH problems, with offsets relative to the start of the user data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UdhError {
    /// UDHL claims more octets than the user data holds.
    #[error("octet {offset}: UDH length {udhl} runs past the {available}-octet user data")]
    LengthBeyondData {
        /// Where UDHL is (0).
        offset: usize,
        /// Its value.
        udhl: usize,
        /// Octets of user data.
        available: usize,
    },
    /// An element (or its length octet) runs past the end of the header.
    #[error("octet {offset}: element 0x{iei:02X} length {len} runs past the header")]
    ElementOverrun {
        /// Where the element starts.
        offset: usize,
        /// Its identifier.
        iei: u8,
        /// The length it declares (0 when the length octet is missing).
        len: usize,
    },
    /// A known element whose length is not the one §9.2.3.24 fixes.
    #[error("octet {offset}: element 0x{iei:02X} has length {len}, expected {expected}")]
    BadElementLength {
        /// Where the element starts.
        offset: usize,
        /// Its identifier.
        iei: u8,
        /// The length it declares.
        len: usize,
        /// The length its identifier requires.
        expected: usize,
    },
}

impl UdhError {
    /// The offset in the user data the error refers to.
    pub fn offset(&self) -> usize {
        match *self {
            UdhError::LengthBeyondData { offset, .. }
            | UdhError::ElementOverrun { offset, .. }
            | UdhError::BadElementLength { offset, .. } => offset,
        }
    }
}

impl Udh {
    /// Parses the UDH at the start of `ud` (UDHL first). Returns the header and
    /// its total length including the UDHL octet.
    pub fn parse(ud: &[u8]) -> Result<(Udh, usize), UdhError> {
        let Some(&udhl) = ud.first() else {
            return Err(UdhError::LengthBeyondData {
                offset: 0,
                udhl: 0,
                available: 0,
            });
        };
        let end = 1 + usize::from(udhl);
        if end > ud.len() {
            return Err(UdhError::LengthBeyondData {
                offset: 0,
                udhl: usize::from(udhl),
                available: ud.len(),
            });
        }
        let mut elements = Vec::new();
        let mut pos = 1;
        while pos < end {
            let iei = ud[pos];
            let Some(&len) = ud.get(pos + 1).filter(|_| pos + 1 < end) else {
                return Err(UdhError::ElementOverrun {
                    offset: pos,
                    iei,
                    len: 0,
                });
            };
            let len = usize::from(len);
            let data = ud
                .get(pos + 2..pos + 2 + len)
                .filter(|_| pos + 2 + len <= end)
                .ok_or(UdhError::ElementOverrun {
                    offset: pos,
                    iei,
                    len,
                })?;
            let expect = |expected: usize| {
                if len == expected {
                    Ok(())
                } else {
                    Err(UdhError::BadElementLength {
                        offset: pos,
                        iei,
                        len,
                        expected,
                    })
                }
            };
            let element = match iei {
                0x00 => {
                    expect(3)?;
                    Element::Concat(Concat {
                        reference: u16::from(data[0]),
                        total: data[1],
                        seq: data[2],
                        wide: false,
                    })
                }
                0x08 => {
                    expect(4)?;
                    Element::Concat(Concat {
                        reference: u16::from_be_bytes([data[0], data[1]]),
                        total: data[2],
                        seq: data[3],
                        wide: true,
                    })
                }
                0x04 => {
                    expect(2)?;
                    Element::Ports {
                        destination: u16::from(data[0]),
                        source: u16::from(data[1]),
                    }
                }
                0x05 => {
                    expect(4)?;
                    Element::Ports {
                        destination: u16::from_be_bytes([data[0], data[1]]),
                        source: u16::from_be_bytes([data[2], data[3]]),
                    }
                }
                0x24 => {
                    expect(1)?;
                    Element::SingleShift { language: data[0] }
                }
                0x25 => {
                    expect(1)?;
                    Element::LockingShift { language: data[0] }
                }
                _ => Element::Other {
                    iei,
                    data: data.to_vec(),
                },
            };
            elements.push(element);
            pos += 2 + len;
        }
        Ok((Udh { elements }, end))
    }

    /// Serialises the header, UDHL first.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0];
        for e in &self.elements {
            e.encode(&mut out);
        }
        out[0] = (out.len() - 1).min(255) as u8;
        out
    }

    /// The concatenation element, if any (the first one wins, §9.2.3.24.1).
    pub fn concat(&self) -> Option<Concat> {
        self.elements.iter().find_map(|e| match e {
            Element::Concat(c) => Some(*c),
            _ => None,
        })
    }

    /// The destination application port, if any.
    pub fn destination_port(&self) -> Option<u16> {
        self.elements.iter().find_map(|e| match e {
            Element::Ports { destination, .. } => Some(*destination),
            _ => None,
        })
    }

    /// The shift tables in force, and any language id that has no table here.
    pub fn tables(&self) -> (Tables, Option<u8>) {
        let mut tables = Tables::default();
        let mut unknown = None;
        for e in &self.elements {
            let (slot, id) = match *e {
                Element::SingleShift { language } => (&mut tables.single, language),
                Element::LockingShift { language } => (&mut tables.locking, language),
                _ => continue,
            };
            match Language::from_id(id) {
                Some(l) => *slot = l,
                None => unknown = Some(id),
            }
        }
        (tables, unknown)
    }
}

/// Fill bits between a UDH of `udh_len` octets (UDHL included) and 7-bit text
/// so that the text starts on a septet boundary (3GPP TS 23.040 §9.2.3.24).
pub fn fill_bits(udh_len: usize) -> usize {
    (7 - (udh_len * 8) % 7) % 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_concat_ports_shift_and_unknown_elements() {
        let ud = [
            0x11, 0x00, 0x03, 0x63, 0x08, 0x01, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x24, 0x01,
            0x01, 0x70, 0x01, 0xAA, b'x',
        ];
        let (udh, len) = Udh::parse(&ud).unwrap();
        assert_eq!(len, 18);
        assert_eq!(
            udh.concat(),
            Some(Concat {
                reference: 0x63,
                total: 8,
                seq: 1,
                wide: false
            })
        );
        assert_eq!(udh.destination_port(), Some(2948));
        assert_eq!(udh.tables().0.single, Language::Turkish);
        assert_eq!(
            udh.elements[3],
            Element::Other {
                iei: 0x70,
                data: vec![0xAA]
            }
        );
        assert_eq!(udh.encode(), ud[..18]);
    }

    #[test]
    fn lying_lengths_are_typed_errors() {
        assert!(matches!(
            Udh::parse(&[0x09, 0x00, 0x03]),
            Err(UdhError::LengthBeyondData { .. })
        ));
        assert!(matches!(
            Udh::parse(&[0x03, 0x00, 0x05, 0x01]),
            Err(UdhError::ElementOverrun { offset: 1, .. })
        ));
        assert!(matches!(
            Udh::parse(&[0x04, 0x00, 0x02, 0x01, 0x02]),
            Err(UdhError::BadElementLength { .. })
        ));
    }

    #[test]
    fn fill_bits_for_common_headers() {
        assert_eq!(fill_bits(6), 1);
        assert_eq!(fill_bits(7), 0);
        assert_eq!(fill_bits(0), 0);
    }
}
