//! Splitting outgoing text into SMS segments, the way handsets and SMSCs
//! do: the inverse of reassembly in [`ingest::sms`](crate::ingest::sms).

use crate::ingest::sms::dcs::{self, Alphabet};
use crate::ingest::sms::gsm7::{self, Tables};
use crate::ingest::sms::udh::{fill_bits, Concat, Element, Udh};

/// Units of `text` in `alphabet`; `None` if it cannot carry the text.
pub(crate) fn encode_text(text: &str, alphabet: Alphabet, tables: Tables) -> Option<Vec<u8>> {
    match alphabet {
        Alphabet::Gsm7Packed | Alphabet::Gsm7Unpacked => gsm7::encode(text, tables).ok(),
        Alphabet::Ucs2 => Some(dcs::encode_ucs2(text)),
        Alphabet::Latin1 | Alphabet::Binary => dcs::encode_latin1(text),
        Alphabet::Ia5 => text.is_ascii().then(|| text.as_bytes().to_vec()),
    }
}

/// One segment of an outgoing message: header (if any) and units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The user data header: concatenation, when the text takes more than
    /// one segment.
    pub udh: Option<Udh>,
    /// This segment's septets (GSM 7-bit, one per element) or octets.
    pub units: Vec<u8>,
}

impl Segment {
    /// Serialises to octets (UDH first). GSM 7-bit is packed after the fill
    /// bits when `packed`, else one septet per octet (SMPP default).
    /// Returns the octets and the TPDU UDL (septets for GSM 7-bit).
    pub fn to_octets(&self, alphabet: Alphabet) -> (Vec<u8>, usize) {
        let mut out = self.udh.as_ref().map(Udh::encode).unwrap_or_default();
        let udh_len = out.len();
        match alphabet {
            Alphabet::Gsm7Packed => {
                let fill = fill_bits(udh_len);
                out.extend(gsm7::pack(&self.units, fill));
                (out, (udh_len * 8 + fill) / 7 + self.units.len())
            }
            _ => {
                out.extend_from_slice(&self.units);
                let n = out.len();
                (out, n)
            }
        }
    }
}

/// Splits text into segments the way handsets do (3GPP TS 23.040 §9.2.3.24.1;
/// capacities 160/153 septets, 140/134 octets), never splitting an escape
/// sequence or a surrogate pair. `reference` goes into an 8-bit concat IE
/// when it fits, else a 16-bit one. `None` if the alphabet cannot carry it.
pub fn segment(
    text: &str,
    alphabet: Alphabet,
    tables: Tables,
    reference: u16,
) -> Option<Vec<Segment>> {
    let units = encode_text(text, alphabet, tables)?;
    let (single, wide) = if alphabet.is_gsm7() {
        (160, false)
    } else {
        (140, false)
    };
    if units.len() <= single {
        return Some(vec![Segment { udh: None, units }]);
    }
    let wide = wide || reference > 0xFF;
    let cap = match (alphabet.is_gsm7(), wide) {
        (true, false) => 153,
        (true, true) => 152,
        (false, false) => 134,
        (false, true) => 132,
    };
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < units.len() {
        let mut end = (start + cap).min(units.len());
        if end < units.len() {
            if alphabet.is_gsm7() {
                // Do not end on an escape whose code is in the next segment.
                let escapes = units[start..end]
                    .iter()
                    .rev()
                    .take_while(|&&u| u == gsm7::ESC)
                    .count();
                if escapes % 2 == 1 {
                    end -= 1;
                }
            } else if alphabet == Alphabet::Ucs2 {
                end -= end % 2;
                if end >= 2 && (0xD8..=0xDB).contains(&units[end - 2]) {
                    end -= 2;
                }
            }
        }
        pieces.push(units[start..end].to_vec());
        start = end;
    }
    let total = pieces.len().min(255) as u8;
    Some(
        pieces
            .into_iter()
            .take(255)
            .enumerate()
            .map(|(i, units)| Segment {
                udh: Some(Udh {
                    elements: vec![Element::Concat(Concat {
                        reference,
                        total,
                        seq: i as u8 + 1,
                        wide,
                    })],
                }),
                units,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::sms::user_data::split_tpdu;

    #[test]
    fn long_gsm_text_splits_into_153_septet_segments() {
        let text = "a".repeat(400);
        let segs = segment(&text, Alphabet::Gsm7Packed, Tables::default(), 7).unwrap();
        assert_eq!(
            segs.iter().map(|s| s.units.len()).collect::<Vec<_>>(),
            [153, 153, 94]
        );
        let (octets, udl) = segs[0].to_octets(Alphabet::Gsm7Packed);
        assert_eq!((octets.len(), udl), (140, 160));
        let back = split_tpdu(&octets, udl, true, Alphabet::Gsm7Packed).unwrap();
        assert_eq!(back.units, segs[0].units);
    }

    #[test]
    fn segmenter_keeps_escapes_and_surrogates_whole() {
        let text = format!("{}€{}", "a".repeat(152), "tail".repeat(5));
        let segs = segment(&text, Alphabet::Gsm7Packed, Tables::default(), 1).unwrap();
        assert_eq!(segs[0].units.len(), 152);
        let text = format!("{}😀{}", "a".repeat(66), "tail".repeat(5));
        let segs = segment(&text, Alphabet::Ucs2, Tables::default(), 1).unwrap();
        assert_eq!(segs[0].units.len(), 132);
    }
}
