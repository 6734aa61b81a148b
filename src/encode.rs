//! Wire encoders: [`Message`](crate::Message)-shaped content in, the bytes
//! of each channel's wire format out. The inverse of [`ingest`](crate::ingest).
//!
//! A filter only decodes; these build traffic: the synthetic streams of
//! [`workload`](crate::workload), the seed files under `seeds/`, round-trip
//! and conformance tests, benches and fuzz targets. They are compiled with
//! the `synth` feature (on with the default `cli` feature), so that a library
//! user who only scans builds none of them.
//!
//! - [`sms`]: text to segmented, concatenated SMPP PDUs or TPDUs, the way
//!   senders split it;
//! - [`smpp`], [`tpdu`]: one SMPP PDU or one 3GPP TS 23.040 TPDU to bytes;
//! - [`mms`]: an OMA MMS encapsulation PDU (and its WAP Push envelope).
//!
//! ```
//! use floodwall::encode::sms::SmppText;
//! use floodwall::ingest::sms::smpp::SmeAddress;
//!
//! let from = SmeAddress::new(5, 0, "PRIZEDRAW");
//! let to = SmeAddress::new(1, 1, "447700900123");
//! let pdus = SmppText::submit(from, to, "You won! Claim at example.com").encode().unwrap();
//! assert_eq!(pdus.len(), 1);
//! ```

pub mod mms;
pub mod segment;
pub mod smpp;
pub mod sms;
pub mod tpdu;
