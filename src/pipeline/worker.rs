//! A worker thread: its own engine scratch and decoder, batches taken from
//! its own queue (jobs routed to it by key) and the shared queue (any job).

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, Select, Sender, TryRecvError};

use super::batch::scan_batch;
use super::histogram::LatencyHistogram;
use super::job::{Job, Outcome, Scanned};
use super::pool::ScratchPool;
use super::reorder::Event;
use super::room::Room;
use crate::engine::{Engine, ReloadableEngine, Scratch};
use crate::ingest::Decoder;

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
/// A job's own reply takes precedence over a direct callback; the collector
/// honours it likewise once the outcome's turn comes.
#[derive(Clone)]
pub(super) enum Sink {
    Direct(Arc<dyn Fn(Outcome) + Send + Sync>),
    Ordered(Sender<Event>),
}

impl Sink {
    pub(super) fn deliver(&self, outcome: Outcome) {
        match self {
            Sink::Direct(f) => outcome.deliver(&**f),
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

impl WorkerStats {
    /// Adds a scratch's stage timers (those of an engine swapped out, or
    /// of the last one at the end). Engines of other stage lists add what
    /// they share by position.
    fn add_timers(&mut self, scratch: &Scratch) {
        let timers = scratch.stage_nanos();
        if self.stage_nanos.len() < timers.len() {
            self.stage_nanos.resize(timers.len(), 0);
        }
        for (sum, t) in self.stage_nanos.iter_mut().zip(timers) {
            *sum += t;
        }
    }
}

pub(super) struct Worker {
    pub(super) engine: ReloadableEngine,
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
pub(super) struct State {
    /// The engine this worker scans with, and the reloadable's generation
    /// it was taken at: checked once per batch.
    pub(super) engine: Arc<Engine>,
    generation: u64,
    pub(super) scratch: Scratch,
    /// Kept across an engine swap: concatenated SMS half-way through
    /// reassembly are not lost to a rules reload.
    pub(super) decoder: Decoder,
    pub(super) stats: WorkerStats,
}

impl Worker {
    pub(super) fn run(self) -> WorkerStats {
        let generation = self.engine.generation();
        let engine = self.engine.current();
        let mut state = State {
            scratch: self.take_scratch(&engine),
            decoder: engine.decoder(),
            engine,
            generation,
            stats: WorkerStats::default(),
        };
        let mut batch = Vec::with_capacity(self.batch);
        let mut stopping = false;
        while !stopping {
            stopping = self.take_batch(&mut batch);
            state.stats.producer_wakeups += u64::from(self.own_room.taken(&self.own))
                + u64::from(self.shared_room.taken(&self.shared));
            self.process(&mut batch, &mut state);
        }
        // No job can be submitted any more: what is left in the shared
        // queue is all there will ever be.
        loop {
            batch.extend(self.shared.try_iter().take(self.batch));
            if batch.is_empty() {
                break;
            }
            self.process(&mut batch, &mut state);
        }
        self.flush(&mut state);
        state.stats.add_timers(&state.scratch);
        if let Some(pool) = &self.pool {
            pool.give_back(&state.engine, state.scratch);
        }
        state.stats
    }

    fn take_scratch(&self, engine: &Arc<Engine>) -> Scratch {
        let mut scratch = match &self.pool {
            Some(pool) => pool.take(engine),
            None => engine.scratch(),
        };
        scratch.set_timing(self.timing);
        scratch
    }

    /// Scans a batch with the engine serving now: one swapped in since the
    /// last batch is taken up here, the decoder and its reassembly state
    /// staying as they are.
    fn process(&self, batch: &mut Vec<Queued>, state: &mut State) {
        if batch.is_empty() {
            return;
        }
        let generation = self.engine.generation();
        if generation != state.generation {
            let engine = self.engine.current();
            state.stats.add_timers(&state.scratch);
            state.scratch = self.take_scratch(&engine);
            state.decoder.set_config(engine.ingest_config().clone());
            state.engine = engine;
            state.generation = generation;
        }
        scan_batch(batch, state, &self.sink);
        batch.clear();
    }

    /// Scans what the decoder still holds (incomplete concatenated SMS).
    fn flush(&self, state: &mut State) {
        let mut rest = Vec::new();
        state.decoder.finish(&mut rest);
        if rest.is_empty() {
            return;
        }
        state.stats.messages += rest.len() as u64;
        let mut scanned = Vec::with_capacity(rest.len());
        let now = state.engine.now_ms();
        state
            .engine
            .scan_batch(&rest, now, &mut state.scratch, |i, verdict| {
                scanned.push(Scanned {
                    channel: rest[i].channel,
                    verdict,
                });
            });
        self.sink.deliver(Outcome {
            seq: None,
            token: 0,
            scanned,
            error: None,
            tag_threshold: state.engine.policy().thresholds().tag,
            reply: None,
        });
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
}
