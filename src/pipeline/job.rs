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
    /// The job's own bytes.
    Owned(Vec<u8>),
    /// Bytes shared with other jobs.
    Shared(Arc<[u8]>),
    /// A range of a shared buffer: one message of a file read once (see
    /// [`frames`](fn@crate::ingest::frames)).
    Slice(Arc<[u8]>, std::ops::Range<usize>),
}

impl Deref for JobBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            JobBytes::Owned(bytes) => bytes,
            JobBytes::Shared(bytes) => bytes,
            JobBytes::Slice(bytes, range) => bytes.get(range.clone()).unwrap_or(&[]),
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

/// Where a job's [`Outcome`] goes instead of the pipeline's own callback or
/// channel: a service hands each request its own reply (a milter session
/// waiting for its verdict). Called once, from a worker or the collector
/// thread; `Fn` rather than `FnOnce` so that a job stays cheap to clone
/// (a benchmark submits one job many times).
pub type Reply = Arc<dyn Fn(Outcome) + Send + Sync>;

/// One payload to scan: its bytes, their format, the transport envelope when
/// the caller knows it (an MTA's MAIL FROM / RCPT TO), a routing key, and
/// the caller's token and reply.
///
/// `format` names the format of this one payload (`Eml`, `Smpp`, `Tpdu`,
/// `Mms`, one `Jsonl` record); container formats (`Mbox`, several SMPP PDUs
/// back to back) are split by the worker and all their messages reported in
/// one [`Outcome`].
#[derive(Clone)]
pub struct Job {
    /// The wire bytes of the payload.
    pub bytes: JobBytes,
    /// The format of those bytes alone (see above).
    pub format: Format,
    /// Boxed: most jobs have none, and a small `Job` keeps the queues compact.
    pub envelope: Option<Box<Envelope>>,
    /// Jobs with the same non-zero key go to the same worker; 0 lets any
    /// worker take the job. See [`route_key`].
    pub route_key: u64,
    /// The caller's own number for the job, handed back in its
    /// [`Outcome::token`] (a connection and message id, a line number).
    pub token: u64,
    /// Where the outcome goes; `None`: the pipeline's callback or channel.
    pub reply: Option<Reply>,
    /// The bytes are the start of a longer message that the caller cut at
    /// its own size limit (a milter session's `max_message_bytes`): every
    /// message decoded from them gets the `Oversize` problem
    /// (`FW_OVERSIZE`), as one cut by the decoder's own limit does.
    pub truncated: bool,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("bytes", &self.bytes.len())
            .field("format", &self.format)
            .field("envelope", &self.envelope)
            .field("route_key", &self.route_key)
            .field("token", &self.token)
            .field("reply", &self.reply.is_some())
            .field("truncated", &self.truncated)
            .finish()
    }
}

impl Job {
    /// A job of `bytes` in `format`, any worker, token 0, no own reply.
    pub fn new(bytes: impl Into<JobBytes>, format: Format) -> Job {
        Job {
            bytes: bytes.into(),
            format,
            envelope: None,
            route_key: 0,
            token: 0,
            reply: None,
            truncated: false,
        }
    }

    /// Sets the transport envelope. Its fields that are set replace the
    /// decoded ones, field by field and on every channel: for email the
    /// bytes carry no envelope at all, and for SMS/MMS the caller's
    /// transport view (an SMSC's routing data) is more trustworthy than a
    /// PDU's. Fields it leaves unset keep what was decoded.
    pub fn with_envelope(mut self, envelope: Envelope) -> Job {
        self.envelope = Some(Box::new(envelope));
        self
    }

    /// Sends the job to the worker of `key` (see [`route_key`]).
    pub fn with_route_key(mut self, key: u64) -> Job {
        self.route_key = key;
        self
    }

    /// Tags the job with the caller's `token`, returned in its outcome.
    pub fn with_token(mut self, token: u64) -> Job {
        self.token = token;
        self
    }

    /// Delivers this job's outcome to `reply` rather than to the
    /// pipeline's callback or channel (in order, when the pipeline is
    /// ordered).
    pub fn with_reply(mut self, reply: impl Fn(Outcome) + Send + Sync + 'static) -> Job {
        self.reply = Some(Arc::new(reply));
        self
    }

    /// Marks the bytes as cut at the caller's size limit (see
    /// [`Job::truncated`]).
    pub fn with_truncated(mut self, truncated: bool) -> Job {
        self.truncated = truncated;
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

/// Copies the caller's envelope fields that are set onto a decoded message
/// (the rule [`Job::with_envelope`] states).
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
    if envelope.received_ms.is_some() {
        msg.envelope.received_ms = envelope.received_ms;
    }
}

/// One message decoded from a job, with its verdict.
#[derive(Clone, Debug)]
pub struct Scanned {
    /// The channel the message came on.
    pub channel: Channel,
    /// What the engine concluded.
    pub verdict: Verdict,
}

/// The result of one job.
///
/// A payload gives zero messages (an SMS segment waiting for its siblings),
/// one, or several (an mbox, segments evicted by the reassembler). The
/// envelope of the job, where given, overrides the decoded one as
/// [`Job::with_envelope`] says.
pub struct Outcome {
    /// The number [`Submitter::submit`](super::Submitter::submit) returned;
    /// `None` for messages completed only when the pipeline finished
    /// (incomplete concatenated SMS flushed from a worker's decoder).
    pub seq: Option<u64>,
    /// The job's [`Job::token`] (0 for flushed messages).
    pub token: u64,
    /// Each message decoded from the job, in order, with its verdict.
    pub scanned: Vec<Scanned>,
    /// Why the bytes could not be split into payloads at all (unrecognised
    /// format, invalid JSON record); `scanned` is then empty.
    pub error: Option<IngestError>,
    /// The `tag` threshold of the engine that scanned the job: the
    /// `required=` a service shows in `X-Spam-Status`. Carried here because
    /// a rule reload can change it between submit and outcome; `None` when
    /// those rules never tag.
    pub tag_threshold: Option<f64>,
    /// The job's own reply, which the delivering thread calls.
    pub(super) reply: Option<Reply>,
}

impl Outcome {
    /// Hands the outcome to its job's reply, else to `sink`.
    pub(super) fn deliver(mut self, sink: &(dyn Fn(Outcome) + Send + Sync)) {
        match self.reply.take() {
            Some(reply) => reply(self),
            None => sink(self),
        }
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("seq", &self.seq)
            .field("token", &self.token)
            .field("scanned", &self.scanned)
            .field("error", &self.error)
            .field("tag_threshold", &self.tag_threshold)
            .finish()
    }
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
