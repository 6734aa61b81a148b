//! One worker batch from bytes to outcomes: every job decoded, the batch
//! handed to the engine's stages at once, then each job's outcome delivered
//! as soon as its last message has its verdict.

use std::time::{Duration, Instant};

use super::job::{apply_envelope, Outcome, Scanned};
use super::worker::{Queued, Sink, State, WorkerStats};
use crate::ingest::{self, IngestError};
use crate::message::{Message, ProblemKind};

/// A decoded job of the batch waiting for its messages' verdicts.
struct Pending {
    /// One past the index of its last message in the batch's messages.
    end: usize,
    error: Option<IngestError>,
    /// Nanoseconds of work so far: decoding, then each message's scan.
    service: u64,
}

/// Decodes and scans `batch`. The batch is read at one instant of the
/// engine's clock: decoding (reassembly timeouts) and scanning (the
/// windows of stream stages) share it.
pub(super) fn scan_batch(batch: &[Queued], state: &mut State, sink: &Sink) {
    let State {
        engine,
        scratch,
        decoder,
        stats,
        ..
    } = state;
    let now = engine.now_ms();
    let mut messages = Vec::new();
    let mut jobs = Vec::with_capacity(batch.len());
    for queued in batch {
        let start = Instant::now();
        let first = messages.len();
        let job = &queued.job;
        let error = ingest::split_each(job.format, &job.bytes, |payload| {
            decoder.decode(payload, now, &mut messages);
        })
        .err();
        if let Some(envelope) = job.envelope.as_deref() {
            messages[first..]
                .iter_mut()
                .for_each(|msg| apply_envelope(msg, envelope));
        }
        if job.truncated {
            messages[first..].iter_mut().for_each(mark_truncated);
        }
        let decode = nanos(start.elapsed());
        stats.decode_nanos += decode;
        stats.errors += u64::from(error.is_some());
        jobs.push(Pending {
            end: messages.len(),
            error,
            service: decode,
        });
    }
    stats.messages += messages.len() as u64;
    let mut delivery = Delivery {
        batch,
        tag_threshold: engine.policy().thresholds().tag,
        jobs: &mut jobs,
        next: 0,
        scanned: Vec::new(),
        sink,
        stats,
        since: Instant::now(),
    };
    delivery.deliver_up_to(0);
    engine.scan_batch(&messages, now, scratch, |i, verdict| {
        delivery.scanned.push(Scanned {
            channel: messages[i].channel,
            verdict,
        });
        delivery.deliver_up_to(i + 1);
    });
}

/// Hands each job of a batch its outcome as soon as its messages are
/// scanned, in batch order.
struct Delivery<'a> {
    batch: &'a [Queued],
    /// The scanning engine's `tag` threshold, reported with each outcome.
    tag_threshold: Option<f64>,
    jobs: &'a mut [Pending],
    /// The next job to deliver.
    next: usize,
    /// Verdicts of the next job's messages so far.
    scanned: Vec<Scanned>,
    sink: &'a Sink,
    stats: &'a mut WorkerStats,
    /// When the last verdict came (or scanning started).
    since: Instant,
}

impl Delivery<'_> {
    /// Delivers every job whose messages all lie below `scanned_up_to`,
    /// charging the time since the last verdict to the job being scanned.
    fn deliver_up_to(&mut self, scanned_up_to: usize) {
        let now = Instant::now();
        if let Some(job) = self.jobs.get_mut(self.next) {
            job.service += nanos(now - self.since);
        }
        self.since = now;
        while let Some(job) = self.jobs.get_mut(self.next) {
            if job.end > scanned_up_to {
                break;
            }
            let queued = &self.batch[self.next];
            self.stats.jobs += 1;
            self.stats.bytes += queued.job.bytes.len() as u64;
            self.stats.service.record(job.service);
            self.stats
                .latency
                .record(nanos(now.saturating_duration_since(queued.submitted)));
            self.sink.deliver(Outcome {
                seq: Some(queued.seq),
                token: queued.job.token,
                scanned: std::mem::take(&mut self.scanned),
                error: job.error.take(),
                tag_threshold: self.tag_threshold,
                reply: queued.job.reply.clone(),
            });
            self.next += 1;
        }
    }
}

/// Records that the caller cut the message's bytes at its size limit,
/// unless the decoder already found it over its own.
fn mark_truncated(msg: &mut Message<'_>) {
    if !msg.problems.iter().any(|p| p.kind == ProblemKind::Oversize) {
        let detail = "message cut at the submitter's size limit";
        msg.problem(ProblemKind::Oversize, Some(msg.raw.len()), detail);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
