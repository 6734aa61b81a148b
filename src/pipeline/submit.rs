//! The producer side: a cheap, cloneable handle that any thread submits with.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::job::Job;
use super::reorder::Event;
use super::room::Room;
use super::worker::{Queued, Work};

/// A job the pipeline did not take, handed back to the caller.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the pipeline is finishing and takes no more jobs")]
    /// [`Pipeline::finish`](super::Pipeline::finish) has begun; the job comes back.
    Closed(Job),
}

/// Why [`Submitter::try_submit`] did not take a job; the job comes back.
#[derive(Debug, thiserror::Error)]
pub enum TrySubmitError {
    #[error("the pipeline's queue is full; retry later or use submit() to wait")]
    /// Every queue the job could go to is full.
    Full(Job),
    #[error("the pipeline is finishing and takes no more jobs")]
    /// [`Pipeline::finish`](super::Pipeline::finish) has begun.
    Closed(Job),
}

impl SubmitError {
    /// The job the pipeline did not take.
    pub fn into_job(self) -> Job {
        match self {
            SubmitError::Closed(job) => job,
        }
    }
}

impl TrySubmitError {
    /// The job the pipeline did not take.
    pub fn into_job(self) -> Job {
        match self {
            TrySubmitError::Full(job) | TrySubmitError::Closed(job) => job,
        }
    }
}

/// Admission of submits: state shared by every submitter and the pipeline.
///
/// `finish` must know when no submit is half-way through, without a lock on
/// the submit path: a submit announces itself in `in_submit` *before* it
/// reads `closed`, and `finish` sets `closed` *before* it waits for
/// `in_submit` to reach zero (both sequentially consistent), so every submit
/// either sees `closed` or is waited for.
#[derive(Debug, Default)]
pub(super) struct Admission {
    closed: AtomicBool,
    in_submit: AtomicUsize,
    next_seq: AtomicU64,
}

struct Entered<'a>(&'a Admission);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.in_submit.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    fn enter(&self) -> Option<Entered<'_>> {
        self.in_submit.fetch_add(1, Ordering::SeqCst);
        let entered = Entered(self);
        (!self.closed.load(Ordering::SeqCst)).then_some(entered)
    }

    /// Refuses new submits and waits for those under way (they may be
    /// blocked on a full queue, which the still-running workers drain).
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        while self.in_submit.load(Ordering::SeqCst) != 0 {
            std::thread::yield_now();
        }
    }
}

/// Credits and the collector's inbox, present when results are ordered.
#[derive(Clone)]
pub(super) struct OrderCredits {
    pub(super) credits: Receiver<()>,
    pub(super) events: Sender<Event>,
}

/// Submits jobs to a [`Pipeline`](super::Pipeline) from any thread; clone it
/// for each producer.
#[derive(Clone)]
pub struct Submitter {
    pub(super) gate: Arc<Admission>,
    pub(super) shared: Sender<Queued>,
    pub(super) shared_room: Arc<Room>,
    pub(super) routed: Arc<[Sender<Work>]>,
    /// Where producers wait for room in each routed queue, by index: a
    /// worker wakes only the producers waiting on a queue it drained.
    pub(super) routed_rooms: Arc<[Arc<Room>]>,
    pub(super) order: Option<OrderCredits>,
}

enum Refused {
    Full(Queued),
    Gone(Queued),
}

impl Submitter {
    /// Queues a job, waiting while the queue is full (back-pressure).
    /// Returns the job's sequence number, which its [`Outcome`](super::Outcome) carries.
    pub fn submit(&self, job: Job) -> Result<u64, SubmitError> {
        let Some(_entered) = self.gate.enter() else {
            return Err(SubmitError::Closed(job));
        };
        if let Some(order) = &self.order {
            if order.credits.recv().is_err() {
                return Err(SubmitError::Closed(job));
            }
        }
        let queued = self.queued(job);
        let seq = queued.seq;
        let sent = match self.route(queued.job.route_key) {
            None => self.shared_room.send(&self.shared, queued),
            Some(i) => self.routed_rooms[i]
                .send(&self.routed[i], Work::Job(queued))
                .map_err(unwrap),
        };
        sent.map(|()| seq).map_err(|queued| {
            self.skip(queued.seq);
            SubmitError::Closed(queued.job)
        })
    }

    /// Queues a job if there is room now; hands it back otherwise.
    pub fn try_submit(&self, job: Job) -> Result<u64, TrySubmitError> {
        let Some(_entered) = self.gate.enter() else {
            return Err(TrySubmitError::Closed(job));
        };
        if let Some(order) = &self.order {
            if order.credits.try_recv().is_err() {
                return Err(TrySubmitError::Full(job));
            }
        }
        let queued = self.queued(job);
        let seq = queued.seq;
        let sent = match self.route(queued.job.route_key) {
            None => self.shared.try_send(queued).map_err(|e| match e {
                TrySendError::Full(q) => Refused::Full(q),
                TrySendError::Disconnected(q) => Refused::Gone(q),
            }),
            Some(i) => self.routed[i]
                .try_send(Work::Job(queued))
                .map_err(|e| match e {
                    TrySendError::Full(w) => Refused::Full(unwrap(w)),
                    TrySendError::Disconnected(w) => Refused::Gone(unwrap(w)),
                }),
        };
        sent.map(|()| seq).map_err(|refused| match refused {
            Refused::Full(q) => {
                self.skip(q.seq);
                TrySubmitError::Full(q.job)
            }
            Refused::Gone(q) => {
                self.skip(q.seq);
                TrySubmitError::Closed(q.job)
            }
        })
    }

    fn queued(&self, job: Job) -> Queued {
        Queued {
            seq: self.gate.next_seq.fetch_add(1, Ordering::Relaxed),
            job,
            submitted: Instant::now(),
        }
    }

    /// The worker queue of a routed job, by index. The key is mixed first
    /// so that keys with a pattern (sequential ids) still spread evenly.
    fn route(&self, key: u64) -> Option<usize> {
        if key == 0 || self.routed.is_empty() {
            return None;
        }
        let mixed = key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
        Some((mixed % self.routed.len() as u64) as usize)
    }

    /// Tells the collector a sequence number will never complete.
    fn skip(&self, seq: u64) {
        if let Some(order) = &self.order {
            let _ = order.events.send(Event::Skip(seq));
        }
    }
}

fn unwrap(work: Work) -> Queued {
    match work {
        Work::Job(queued) => queued,
        Work::Stop => unreachable!("submitters only send jobs"),
    }
}
