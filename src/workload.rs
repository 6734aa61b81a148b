//! Synthetic traffic for benchmarks: deterministic, seeded streams of ham and
//! spam per channel, shaped like operator traffic.
//!
//! - SMS: full-length single segments, 160-character GSM 7-bit texts and
//!   70-character UCS-2 texts (3GPP TS 23.038 §6.1.2), about 20% spam from
//!   templates with varied amounts, numbers and URLs.
//! - Email: about 7 KB each (a Received chain, DKIM signature,
//!   multipart/alternative text and HTML), about 30% spam.
//! - MMS: m-retrieve-conf PDUs with a subject, about 480 characters of text
//!   and for half of them an image part, about 20% spam.
//!
//! The same seed always gives the same stream, so benchmark runs compare.
//!
//! ```
//! use floodwall::workload;
//! use floodwall::Channel;
//!
//! let stream = workload::generate(Channel::Sms, 7, 100);
//! assert_eq!(stream.len(), 100);
//! assert_eq!(stream, workload::generate(Channel::Sms, 7, 100));
//! ```

mod email;
mod sms;
pub mod stream;

use crate::encode::sms::SmppText;
use crate::ingest::sms::smpp::SmeAddress;
use crate::ingest::sms::Alphabet;
use crate::ingest::Format;
use crate::message::Channel;

/// One generated payload and whether it was generated as spam.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The payload's wire bytes.
    pub bytes: Vec<u8>,
    /// The format to split and decode it with.
    pub format: Format,
    /// Whether it was generated from a spam template.
    pub spam: bool,
}

/// `count` payloads of `channel` from `seed`.
pub fn generate(channel: Channel, seed: u64, count: usize) -> Vec<Sample> {
    let mut rng = Rng::new(seed ^ (channel.index() as u64).wrapping_mul(0x9e37_79b9));
    (0..count)
        .map(|_| match channel {
            Channel::Sms => sms::sample(&mut rng),
            Channel::Email => email::sample(&mut rng),
            Channel::Mms => sms::mms_sample(&mut rng),
        })
        .collect()
}

/// The wire form of one SMS: SMPP `submit_sm` PDUs as operators' SMSCs
/// receive them, GSM 7-bit unpacked (data_coding 0, what common SMPP clients
/// send) when the text fits the GSM alphabet, UCS-2 otherwise. A text longer
/// than one segment becomes several PDUs back to back (UDH concatenation).
pub fn sms_payload(from: &str, to: &str, text: &str) -> (Vec<u8>, Format) {
    let source = SmeAddress::new(address_ton(from), 1, from.trim_start_matches('+'));
    let destination = SmeAddress::new(1, 1, to.trim_start_matches('+'));
    let mut message = SmppText::submit(source, destination, text);
    let pdus = message.encode().or_else(|_| {
        message.alphabet = Alphabet::Ucs2;
        message.encode()
    });
    let pdus = pdus.expect("every generated text encodes in UCS-2");
    (pdus.concat(), Format::Smpp)
}

/// TON 5 (alphanumeric) for sender ids like `PRIZEDRAW`, 1 (international) for numbers.
fn address_ton(address: &str) -> u8 {
    if address
        .trim_start_matches('+')
        .bytes()
        .all(|b| b.is_ascii_digit())
    {
        1
    } else {
        5
    }
}

/// xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift
/// generators", 2016): tiny, fast, and good enough to vary test traffic.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x2545_f491_4f6c_dd1d | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant here.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// `len` decimal digits.
    pub(crate) fn digits(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// `len` lower-case letters and digits.
    pub(crate) fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
        (0..len)
            .map(|_| char::from(ALPHABET[self.below(ALPHABET.len())]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{self, Decoder, IngestConfig};

    /// Whether every character is in the GSM 7-bit default alphabet without the
    /// extension table (3GPP TS 23.038 §6.2.1): one septet each.
    fn is_gsm7(text: &str) -> bool {
        const EXTRA: &str = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà";
        text.chars().all(|c| {
            (c.is_ascii_graphic() && !"[]{}\\^~|`".contains(c))
                || c == ' '
                || c == '\n'
                || c == '\r'
                || EXTRA.contains(c)
        })
    }

    fn spam_share(channel: Channel) -> f64 {
        let stream = generate(channel, 1, 2_000);
        stream.iter().filter(|s| s.spam).count() as f64 / stream.len() as f64
    }

    #[test]
    fn spam_shares_match_the_traffic_mix() {
        assert!((0.15..0.25).contains(&spam_share(Channel::Sms)));
        assert!((0.25..0.35).contains(&spam_share(Channel::Email)));
        assert!((0.15..0.25).contains(&spam_share(Channel::Mms)));
    }

    #[test]
    fn every_sample_decodes_to_one_message() {
        let mut decoder = Decoder::new(IngestConfig::default());
        for channel in Channel::ALL {
            for sample in generate(channel, 3, 200) {
                let mut out = Vec::new();
                for payload in ingest::split(sample.format, &sample.bytes).expect("valid payload") {
                    decoder.decode(payload, 0, &mut out);
                }
                assert_eq!(out.len(), 1);
                assert_eq!(out[0].channel, channel);
                assert!(out[0].problems.is_empty(), "{:?}", out[0].problems);
            }
        }
    }

    #[test]
    fn sms_texts_fill_one_segment() {
        let mut decoder = Decoder::new(IngestConfig::default());
        for sample in generate(Channel::Sms, 5, 500) {
            let mut out = Vec::new();
            for payload in ingest::split(sample.format, &sample.bytes).expect("valid payload") {
                decoder.decode(payload, 0, &mut out);
            }
            let text = &out[0].text_parts[0].text;
            let chars = text.chars().count();
            assert!(chars == 160 || chars == 70, "{chars}: {text}");
            if chars == 160 {
                assert!(is_gsm7(text), "{text}");
            }
        }
    }

    #[test]
    fn emails_are_about_seven_kilobytes() {
        let stream = generate(Channel::Email, 9, 200);
        let mean = stream.iter().map(|s| s.bytes.len()).sum::<usize>() / stream.len();
        assert!((6_000..8_500).contains(&mean), "{mean}");
    }
}
