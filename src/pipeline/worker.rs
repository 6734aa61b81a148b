//! A worker thread: its own engine scratch and decoder, batches taken from
//! its own queue (jobs routed to it by key) and the shared queue (any job).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crossbeam_channel::{Receiver, Select, Sender, TryRecvError};

use super::histogram::LatencyHistogram;
use super::job::{apply_envelope, Job, Outcome, Scanned};
use super::pool::ScratchPool;
use super::reorder::Event;
use super::room::Room;
use crate::engine::{Engine, Scratch};
use crate::ingest::{self, Decoder};
use crate::message::Message;

/// A job with the sequence number and time of its submission.
#[derive(Debug)]
pub(super) struct Queued {
    pub(super) seq: u64,
    pub(super) job: Job,
    pub(super) submitted: Instant,
}

/// What a worker's own queue carries: routed jobs, then the stop signal
/// that [`Pipeline::finish`](super::Pipeline::finish) sends once no more
/// jobs can arrive.
#[derive(Debug)]
pub(super) enum Work {
    Job(Queued),
    Stop,
}

/// Where outcomes go: straight to the caller, or to the reordering collector.
#[derive(Clone)]
pub(super) enum Sink {
    Direct(Arc<dyn Fn(Outcome) + Send + Sync>),
    Ordered(Sender<Event>),
}

impl Sink {
    fn deliver(&self, outcome: Outcome) {
        match self {
            Sink::Direct(f) => f(outcome),
            Sink::Ordered(events) => {
                let _ = events.send(Event::Done(outcome));
            }
        }
    }
}

/// What one worker measured; merged into [`PipelineStats`](super::PipelineStats).
#[derive(Debug, Default)]
pub(super) struct WorkerStats {
    pub(super) jobs: u64,
    pub(super) messages: u64,
    pub(super) bytes: u64,
    pub(super) errors: u64,
    pub(super) decode_nanos: u64,
    pub(super) stage_nanos: Vec<u64>,
    pub(super) latency: LatencyHistogram,
    pub(super) service: LatencyHistogram,
    pub(super) producer_wakeups: u64,
}

pub(super) struct Worker {
    pub(super) engine: Arc<Engine>,
    pub(super) own: Receiver<Work>,
    pub(super) shared: Receiver<Queued>,
    /// Where producers wait for room in `own` and in `shared`.
    pub(super) own_room: Arc<Room>,
    pub(super) shared_room: Arc<Room>,
    pub(super) sink: Sink,
    pub(super) batch: usize,
    pub(super) timing: bool,
    pub(super) pool: Option<ScratchPool>,
}

/// Per-thread state that lives as long as the worker.
struct State {
    scratch: Scratch,
    decoder: Decoder,
    stats: WorkerStats,
    clock: WallClock,
}

/// Wall-clock milliseconds (what the SMS reassembler times segments out
/// by) derived from the `Instant` each job reads anyway: reading the system
/// clock too was one clock read in four per job (the four together were
/// 1.7% of the SMS bench's perf samples). Steady within a worker, as
/// timeouts want; the decoder and its reassembly state are per worker too.
struct WallClock {
    origin: Instant,
    origin_ms: u64,
}

impl WallClock {
    fn new() -> WallClock {
        let origin = Instant::now();
        let origin_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        WallClock { origin, origin_ms }
    }

    fn ms_at(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.origin).as_millis();
        self.origin_ms
            .saturating_add(u64::try_from(since).unwrap_or(u64::MAX))
    }
}

impl Worker {
    pub(super) fn run(self) -> WorkerStats {
        let mut scratch = match &self.pool {
            Some(pool) => pool.take(&self.engine),
            None => self.engine.scratch(),
        };
        scratch.timing = self.timing;
        let mut state = State {
            scratch,
            decoder: self.engine.decoder(),
            stats: WorkerStats::default(),
            clock: WallClock::new(),
        };
        let mut batch = Vec::with_capacity(self.batch);
        let mut stopping = false;
        while !stopping {
            stopping = self.take_batch(&mut batch);
            state.stats.producer_wakeups += u64::from(self.own_room.taken(&self.own))
                + u64::from(self.shared_room.taken(&self.shared));
            for queued in batch.drain(..) {
                self.process(queued, &mut state);
            }
        }
        // No job can be submitted any more: what is left in the shared
        // queue is all there will ever be.
        loop {
            batch.extend(self.shared.try_iter().take(self.batch));
            if batch.is_empty() {
                break;
            }
            for queued in batch.drain(..) {
                self.process(queued, &mut state);
            }
        }
        self.flush(&mut state);
        state.stats.stage_nanos = state.scratch.stage_nanos.clone();
        if let Some(pool) = &self.pool {
            pool.give_back(&self.engine, state.scratch);
        }
        state.stats
    }

    /// Blocks for one job, then takes up to the batch size without waiting,
    /// routed jobs first. Returns whether the stop signal came.
    fn take_batch(&self, batch: &mut Vec<Queued>) -> bool {
        let mut stopping = match self.own.try_recv() {
            Ok(work) => self.accept(work, batch),
            Err(TryRecvError::Disconnected) => true,
            Err(TryRecvError::Empty) => match self.shared.try_recv() {
                Ok(queued) => {
                    batch.push(queued);
                    false
                }
                Err(_) => self.wait(batch),
            },
        };
        while !stopping && batch.len() < self.batch {
            match self.own.try_recv() {
                Ok(work) => stopping = self.accept(work, batch),
                Err(_) => break,
            }
        }
        let free = self.batch.saturating_sub(batch.len());
        batch.extend(self.shared.try_iter().take(free));
        stopping
    }

    fn accept(&self, work: Work, batch: &mut Vec<Queued>) -> bool {
        match work {
            Work::Job(queued) => {
                batch.push(queued);
                false
            }
            Work::Stop => true,
        }
    }

    /// Sleeps until either queue has something.
    fn wait(&self, batch: &mut Vec<Queued>) -> bool {
        let mut select = Select::new();
        let own = select.recv(&self.own);
        select.recv(&self.shared);
        let op = select.select();
        if op.index() == own {
            match op.recv(&self.own) {
                Ok(work) => self.accept(work, batch),
                Err(_) => true,
            }
        } else {
            match op.recv(&self.shared) {
                Ok(queued) => {
                    batch.push(queued);
                    false
                }
                // Only when the pipeline itself is gone.
                Err(_) => true,
            }
        }
    }

    fn process(&self, queued: Queued, state: &mut State) {
        let start = Instant::now();
        let Queued {
            seq,
            job,
            submitted,
        } = queued;
        let mut messages = Vec::new();
        let now = state.clock.ms_at(start);
        let decoder = &mut state.decoder;
        let error = ingest::split_each(job.format, &job.bytes, |payload| {
            decoder.decode(payload, now, &mut messages);
        })
        .err();
        let decoded = Instant::now();
        let scanned = self.scan_all(&mut messages, job.envelope.as_deref(), state);
        let done = Instant::now();
        let stats = &mut state.stats;
        stats.jobs += 1;
        stats.bytes += job.bytes.len() as u64;
        stats.errors += u64::from(error.is_some());
        stats.decode_nanos += nanos(decoded - start);
        stats.service.record(nanos(done - start));
        stats
            .latency
            .record(nanos(done.saturating_duration_since(submitted)));
        self.sink.deliver(Outcome {
            seq: Some(seq),
            scanned,
            error,
        });
    }

    fn scan_all(
        &self,
        messages: &mut [Message<'_>],
        envelope: Option<&crate::message::Envelope>,
        state: &mut State,
    ) -> Vec<Scanned> {
        state.stats.messages += messages.len() as u64;
        messages
            .iter_mut()
            .map(|msg| {
                if let Some(envelope) = envelope {
                    apply_envelope(msg, envelope);
                }
                Scanned {
                    channel: msg.channel,
                    verdict: self.engine.scan(msg, &mut state.scratch),
                }
            })
            .collect()
    }

    /// Scans what the decoder still holds (incomplete concatenated SMS).
    fn flush(&self, state: &mut State) {
        let mut rest = Vec::new();
        state.decoder.finish(&mut rest);
        if rest.is_empty() {
            return;
        }
        let scanned = self.scan_all(&mut rest, None, state);
        self.sink.deliver(Outcome {
            seq: None,
            scanned,
            error: None,
        });
    }
}

fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn wall_clock_follows_the_instant_from_the_system_time_at_start() {
        let before = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let clock = WallClock::new();
        assert!(clock.origin_ms >= before);
        assert_eq!(clock.ms_at(clock.origin), clock.origin_ms);
        let later = clock.origin + Duration::from_millis(1_500);
        assert_eq!(clock.ms_at(later), clock.origin_ms + 1_500);
    }
}
