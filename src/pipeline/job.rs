//! What goes into the pipeline ([`Job`]) and what comes out ([`Outcome`]).

use std::ops::Deref;
use std::sync::Arc;

use crate::ingest::{Format, IngestError};
use crate::message::{Channel, Envelope, Message};
use crate::policy::Verdict;

/// The wire bytes of one job: owned, or shared when the same payload is
/// submitted many times (benchmarks, replays) so that a submit costs a
/// reference count rather than a copy.
#[derive(Clone, Debug)]
pub enum JobBytes {
    Owned(Vec<u8>),
    Shared(Arc<[u8]>),
}

impl Deref for JobBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            JobBytes::Owned(bytes) => bytes,
            JobBytes::Shared(bytes) => bytes,
        }
    }
}

impl From<Vec<u8>> for JobBytes {
    fn from(bytes: Vec<u8>) -> JobBytes {
        JobBytes::Owned(bytes)
    }
}

impl From<Arc<[u8]>> for JobBytes {
    fn from(bytes: Arc<[u8]>) -> JobBytes {
        JobBytes::Shared(bytes)
    }
}

/// One payload to scan: its bytes, their format, the transport envelope when
/// the caller knows it (an MTA's MAIL FROM / RCPT TO), and a routing key.
///
/// `format` names the format of this one payload (`Eml`, `Smpp`, `Tpdu`,
/// `Mms`, one `Jsonl` record); container formats (`Mbox`, several SMPP PDUs
/// back to back) are split by the worker and all their messages reported in
/// one [`Outcome`].
#[derive(Clone, Debug)]
pub struct Job {
    pub bytes: JobBytes,
    pub format: Format,
    /// Boxed: most jobs have none, and a small `Job` keeps the queues compact.
    pub envelope: Option<Box<Envelope>>,
    /// Jobs with the same non-zero key go to the same worker; 0 lets any
    /// worker take the job. See [`route_key`].
    pub route_key: u64,
}

impl Job {
    pub fn new(bytes: impl Into<JobBytes>, format: Format) -> Job {
        Job {
            bytes: bytes.into(),
            format,
            envelope: None,
            route_key: 0,
        }
    }

    /// Sets the transport envelope (see [`Outcome`] for how it is applied).
    pub fn with_envelope(mut self, envelope: Envelope) -> Job {
        self.envelope = Some(Box::new(envelope));
        self
    }

    pub fn with_route_key(mut self, key: u64) -> Job {
        self.route_key = key;
        self
    }
}

/// A routing key for SMS traffic from the originator and recipient addresses.
///
/// Concatenated-SMS reassembly state lives in one worker's decoder, so every
/// segment of a message must reach the same worker. A segment's reference
/// number is unique per (originator, recipient) pair (3GPP TS 23.040
/// §9.2.3.24.1), which makes the pair the narrowest key that keeps siblings
/// together while still spreading traffic over all workers. FNV-1a: cheap,
/// and well spread for short strings; never 0, which means "any worker".
pub fn route_key(source: &[u8], dest: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in source.iter().chain([0xffu8].iter()).chain(dest) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash.max(1)
}

/// Copies the caller's envelope fields that are set onto a decoded message:
/// for email the bytes carry no envelope at all, and for SMS/MMS the caller's
/// transport view (an SMSC's routing data) is more trustworthy than a PDU's.
pub(super) fn apply_envelope(msg: &mut Message<'_>, envelope: &Envelope) {
    if let Some(sender) = &envelope.sender {
        msg.envelope.sender = Some(sender.clone());
    }
    if !envelope.recipients.is_empty() {
        msg.envelope.recipients = envelope.recipients.clone();
    }
    if envelope.client_addr.is_some() {
        msg.envelope.client_addr = envelope.client_addr;
    }
    if let Some(helo) = &envelope.helo {
        msg.envelope.helo = Some(helo.clone());
    }
}

/// One message decoded from a job, with its verdict.
#[derive(Clone, Debug)]
pub struct Scanned {
    pub channel: Channel,
    pub verdict: Verdict,
}

/// The result of one job.
///
/// A payload gives zero messages (an SMS segment waiting for its siblings),
/// one, or several (an mbox, segments evicted by the reassembler). The
/// envelope of the job, where given, overrides the decoded one field by
/// field (set fields only).
#[derive(Debug)]
pub struct Outcome {
    /// The number [`Submitter::submit`](super::Submitter::submit) returned;
    /// `None` for messages completed only when the pipeline finished
    /// (incomplete concatenated SMS flushed from a worker's decoder).
    pub seq: Option<u64>,
    pub scanned: Vec<Scanned>,
    /// Why the bytes could not be split into payloads at all (unrecognised
    /// format, invalid JSON record); `scanned` is then empty.
    pub error: Option<IngestError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_key_is_stable_nonzero_and_order_sensitive() {
        let a = route_key(b"+447700900123", b"+447700900456");
        assert_eq!(a, route_key(b"+447700900123", b"+447700900456"));
        assert_ne!(a, route_key(b"+447700900456", b"+447700900123"));
        assert_ne!(route_key(b"", b""), 0);
    }

    #[test]
    fn envelope_overrides_only_the_fields_it_sets() {
        let mut msg = crate::ingest::email::parse(
            b"Subject: x\r\n\r\nhi\r\n",
            &crate::ingest::IngestConfig::default(),
        );
        msg.envelope.helo = Some("decoded".into());
        let envelope = Envelope {
            sender: Some(crate::message::Address::new("mta@example.com")),
            ..Envelope::default()
        };
        apply_envelope(&mut msg, &envelope);
        assert_eq!(
            msg.envelope.sender.map(|a| a.value).as_deref(),
            Some("mta@example.com")
        );
        assert_eq!(msg.envelope.helo.as_deref(), Some("decoded"));
    }
}
