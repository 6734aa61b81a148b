//! SMS ingest: SMPP PDUs and 3GPP TS 23.040 TPDUs into [`Message`]s, with
//! concatenated SMS reassembled.
//!
//! The pieces, each usable on its own (the CLI's `inspect` uses them):
//! - [`smpp`]: SMPP 3.4/5.0 PDU decoder;
//! - [`tpdu`]: SMS-SUBMIT, SMS-DELIVER and SMS-STATUS-REPORT decoder;
//! - [`udh`], [`user_data`]: user data headers and septet/octet units;
//! - [`gsm7`], [`dcs`]: alphabets and text decoding;
//! - [`concat`](mod@concat): the bounded reassembler.
//!
//! [`SmsIngest`] ties them together. Segments are joined as *units* (septets
//! or octets) before decoding, so an escape or surrogate pair split across a
//! segment boundary decodes right.
//!
//! ```
//! use floodwall::ingest::sms::{SmsConfig, SmsIngest};
//! let mut ingest = SmsIngest::new(SmsConfig::default());
//! let mut out = Vec::new();
//! // SMS-DELIVER with SMSC prefix: "How are you?" from +31641600986.
//! let tpdu = [
//!     0x07, 0x91, 0x13, 0x26, 0x04, 0x00, 0x00, 0xF0, 0x04, 0x0B, 0x91, 0x13, 0x46, 0x61, 0x00,
//!     0x89, 0xF6, 0x00, 0x00, 0x20, 0x80, 0x62, 0x91, 0x73, 0x14, 0x08, 0x0C, 0xC8, 0xF7, 0x1D,
//!     0x14, 0x96, 0x97, 0x41, 0xF9, 0x77, 0xFD, 0x07,
//! ];
//! ingest.push_tpdu(&tpdu, 0, &mut out);
//! assert_eq!(out[0].text_parts[0].text, "How are you?");
//! ```

pub mod concat;
pub mod dcs;
pub mod gsm7;
pub mod smpp;
pub mod tpdu;
pub mod udh;
pub mod user_data;

mod build;

use std::borrow::Cow;

use crate::message::Message;

pub use crate::message::protocol::sms::{
    SegmentInfo, SmppDetails, SmsDetails, TlvInfo, TpduDetails,
};
pub use crate::message::protocol::Hex;
pub use dcs::{Alphabet, DefaultAlphabet};

/// Per-source decoding choices and reassembly limits.
#[derive(Clone, Debug)]
pub struct SmsConfig {
    /// What SMPP `data_coding` 0 means on this source.
    pub default_alphabet: DefaultAlphabet,
    /// Concatenated messages held at once; the oldest is emitted incomplete beyond it.
    pub max_pending: usize,
    /// Segments a concatenated message may announce (at most 255).
    pub max_segments: usize,
    /// How long a concatenated message may wait for its segments.
    pub timeout_ms: u64,
    /// Bytes of segments held at once (PDU and decoded units); the oldest
    /// messages are emitted incomplete beyond it.
    pub max_buffered_bytes: usize,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            default_alphabet: DefaultAlphabet::GsmUnpacked,
            max_pending: 1024,
            max_segments: 32,
            timeout_ms: 10 * 60 * 1000,
            max_buffered_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Stateful SMS decoder: one per stream of traffic (it owns the reassembler).
pub struct SmsIngest {
    config: SmsConfig,
    reassembler: concat::Reassembler<build::Fragment>,
}

impl SmsIngest {
    /// A decoder with these choices and an empty reassembler.
    pub fn new(config: SmsConfig) -> SmsIngest {
        let reassembler = concat::Reassembler::new(concat::Limits {
            max_pending: config.max_pending,
            max_segments: config.max_segments,
            timeout_ms: config.timeout_ms,
            max_bytes: config.max_buffered_bytes,
        });
        SmsIngest {
            config,
            reassembler,
        }
    }

    /// Takes new decoding choices; the reassembler and the segments it holds
    /// keep their limits (they were accepted under them).
    pub fn set_config(&mut self, config: SmsConfig) {
        self.config = config;
    }

    /// Decodes one SMPP PDU. Message PDUs (submit_sm, deliver_sm, data_sm,
    /// submit_multi, replace_sm) give a message or a buffered segment; session PDUs give
    /// nothing; an undecodable PDU gives a message marked with the problem.
    /// Messages own a copy of the PDU; see [`push_smpp_payload`](Self::push_smpp_payload).
    pub fn push_smpp<'a>(&mut self, pdu: &[u8], now_ms: u64, out: &mut Vec<Message<'a>>) {
        let fragment = build::from_smpp(pdu, &self.config);
        self.accept(fragment.map(|f| (f, Cow::Owned(pdu.to_vec()))), now_ms, out);
    }

    /// Like [`push_smpp`](Self::push_smpp), but a message from a single PDU
    /// keeps `pdu` as its raw bytes instead of a copy (only segments waiting
    /// for their siblings need bytes of their own).
    pub fn push_smpp_payload<'a>(
        &mut self,
        pdu: Cow<'a, [u8]>,
        now_ms: u64,
        out: &mut Vec<Message<'a>>,
    ) {
        let fragment = build::from_smpp(&pdu, &self.config);
        self.accept(fragment.map(|f| (f, pdu)), now_ms, out);
    }

    /// Decodes one TPDU, with or without the SMSC address prefix.
    pub fn push_tpdu<'a>(&mut self, tpdu: &[u8], now_ms: u64, out: &mut Vec<Message<'a>>) {
        let fragment = build::from_tpdu(tpdu);
        self.accept(
            fragment.map(|f| (f, Cow::Owned(tpdu.to_vec()))),
            now_ms,
            out,
        );
    }

    /// Like [`push_tpdu`](Self::push_tpdu), keeping `tpdu` as the raw bytes
    /// as [`push_smpp_payload`](Self::push_smpp_payload) does.
    pub fn push_tpdu_payload<'a>(
        &mut self,
        tpdu: Cow<'a, [u8]>,
        now_ms: u64,
        out: &mut Vec<Message<'a>>,
    ) {
        let fragment = build::from_tpdu(&tpdu);
        self.accept(fragment.map(|f| (f, tpdu)), now_ms, out);
    }

    /// Concatenated messages waiting for segments (bounded by `max_pending`).
    pub fn pending(&self) -> usize {
        self.reassembler.pending()
    }

    /// End of stream: emits incomplete concatenated messages, each marked
    /// `IncompleteConcatenation`.
    pub fn flush(&mut self, out: &mut Vec<Message<'static>>) {
        let mut gone = Vec::new();
        self.reassembler.drain(&mut gone);
        out.extend(gone.into_iter().map(build::incomplete));
    }

    /// Emits what timed out, then the message of `fragment` (with the PDU
    /// bytes it came from) or, for a segment, buffers it until its siblings
    /// arrive.
    fn accept<'a>(
        &mut self,
        fragment: Option<(build::Fragment, Cow<'a, [u8]>)>,
        now_ms: u64,
        out: &mut Vec<Message<'a>>,
    ) {
        let mut gone = Vec::new();
        self.reassembler.expire(now_ms, &mut gone);
        for inc in gone.drain(..) {
            out.push(build::incomplete(inc));
        }
        let Some((fragment, raw)) = fragment else {
            return;
        };
        let Some((key, c)) = fragment.concat_key() else {
            out.push(build::single(fragment, raw));
            return;
        };
        let owned = fragment.with_raw(raw.into_owned());
        let weight = owned.weight();
        let same = |a: &build::Fragment, b: &build::Fragment| a.same_content(b);
        let outcome = self.reassembler.push_with(
            key,
            c.total,
            c.seq,
            (owned, weight),
            now_ms,
            &mut gone,
            same,
        );
        // Messages given up on the way are older: they go out first.
        for inc in gone {
            out.push(build::incomplete(inc));
        }
        match outcome {
            concat::Outcome::Complete(parts) => out.push(build::joined(parts)),
            concat::Outcome::Pending | concat::Outcome::Duplicate(_) => {}
            concat::Outcome::Unusable(f) => out.push(build::unusable_segment(f)),
        }
    }
}

#[cfg(test)]
mod tests;
