//! Multi-threaded scanning: many producers, N workers, bounded queues.
//!
//! Producers submit [`Job`]s (wire bytes, their format, an optional
//! envelope) through cloneable [`Submitter`]s. Each worker thread owns an
//! [`Engine::scratch`](crate::Engine::scratch) and a [`Decoder`](crate::ingest::Decoder), takes jobs
//! in batches, and delivers one [`Outcome`] per job to a callback or a
//! results channel: in completion order, or in submission order when
//! [`PipelineBuilder::ordered`] asks for it.
//!
//! - **Back-pressure**: queues are bounded; [`Submitter::submit`] waits for
//!   room (until the queue has drained to half, so that a saturated pipeline
//!   does not wake its producer once per job) and [`Submitter::try_submit`]
//!   hands the job back when there is none, so a burst never grows memory
//!   without bound.
//! - **Routing**: a job with route key 0 goes to a queue every worker takes
//!   from (the least busy worker gets it). Jobs with the same non-zero key go
//!   to the same worker, which concatenated SMS need: their reassembly state
//!   lives in one worker's decoder. [`route_key`] makes the key from the
//!   originator and recipient.
//! - **Shutdown**: [`Pipeline::finish`] refuses new jobs, lets the workers
//!   drain every queued one, flushes incomplete SMS from their decoders and
//!   returns [`PipelineStats`]: nothing accepted is lost.
//!
//! ```
//! use std::sync::Arc;
//! use floodwall::ingest::Format;
//! use floodwall::pipeline::{Job, Pipeline};
//! use floodwall::Engine;
//!
//! let engine = Arc::new(Engine::embedded().unwrap());
//! let (pipeline, results) = Pipeline::builder(engine).threads(2).ordered(true).with_results();
//! for text in ["Subject: a\r\n\r\nhello\r\n", "Subject: b\r\n\r\nbye\r\n"] {
//!     pipeline.submit(Job::new(text.as_bytes().to_vec(), Format::Eml)).unwrap();
//! }
//! let stats = pipeline.finish();
//! let seqs: Vec<_> = results.iter().map(|o| o.seq).collect();
//! assert_eq!(seqs, [Some(0), Some(1)]);
//! assert_eq!(stats.jobs, 2);
//! ```

mod batch;
mod histogram;
mod job;
mod pool;
mod reorder;
mod room;
mod stats;
mod submit;
mod worker;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

pub use histogram::LatencyHistogram;
pub use job::{route_key, Job, JobBytes, Outcome, Reply, Scanned};
pub use pool::ScratchPool;
pub use stats::{PipelineStats, StageTime};
pub use submit::{SubmitError, Submitter, TrySubmitError};

use crate::engine::ReloadableEngine;
use reorder::Event;
use room::Room;
use submit::{Admission, OrderCredits};
use worker::{Sink, Work, Worker, WorkerStats};

/// Options of a [`Pipeline`]; finish with [`on_result`](Self::on_result) or
/// [`with_results`](Self::with_results).
pub struct PipelineBuilder {
    engine: ReloadableEngine,
    threads: usize,
    queue_capacity: usize,
    batch: usize,
    ordered: bool,
    window: usize,
    timing: bool,
    pool: Option<ScratchPool>,
}

impl PipelineBuilder {
    /// Worker threads (default: the number of CPUs).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// Jobs each queue holds before submit waits (default 1,024).
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }

    /// Jobs a worker takes per receive (default 32): fewer wake-ups and
    /// less queue contention for small SMS jobs.
    pub fn batch(mut self, n: usize) -> Self {
        self.batch = n.max(1);
        self
    }

    /// Deliver outcomes in submission order (default: completion order).
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// How far ahead of the oldest undelivered job producers may run when
    /// ordered (default 4,096): bounds the reorder buffer.
    pub fn reorder_window(mut self, n: usize) -> Self {
        self.window = n.max(1);
        self
    }

    /// Time each engine stage (see [`PipelineStats::stages`]); costs two
    /// clock reads per stage and message.
    pub fn timing(mut self, timing: bool) -> Self {
        self.timing = timing;
        self
    }

    /// Take the workers' scratches from `pool` and give them back at
    /// [`Pipeline::finish`], so that what they built (lazy DFA states,
    /// buffers) serves the next pipeline (default: new scratches).
    pub fn scratch_pool(mut self, pool: ScratchPool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Starts the workers; `callback` gets every outcome, from a worker
    /// thread (or, when ordered, from the collector thread).
    pub fn on_result(self, callback: impl Fn(Outcome) + Send + Sync + 'static) -> Pipeline {
        self.start(Arc::new(callback))
    }

    /// Starts the workers; outcomes arrive on the returned channel, which
    /// closes after [`Pipeline::finish`]. It is unbounded so that a caller
    /// may submit everything before reading; read it concurrently to keep
    /// memory flat.
    pub fn with_results(self) -> (Pipeline, Receiver<Outcome>) {
        let (tx, rx) = crossbeam_channel::unbounded();
        let pipeline = self.start(Arc::new(move |outcome| {
            let _ = tx.send(outcome);
        }));
        (pipeline, rx)
    }

    fn start(self, callback: Arc<dyn Fn(Outcome) + Send + Sync>) -> Pipeline {
        let (shared_tx, shared_rx) = crossbeam_channel::bounded(self.queue_capacity);
        let (order, collector, sink) = if self.ordered {
            let (events_tx, events_rx) = crossbeam_channel::unbounded();
            let (credits_tx, credits_rx) = crossbeam_channel::bounded(self.window);
            for _ in 0..self.window {
                let _ = credits_tx.try_send(());
            }
            let window = self.window;
            let handle = std::thread::Builder::new()
                .name("floodwall-order".into())
                .spawn(move || reorder::collect(events_rx, window, credits_tx, callback))
                .expect("spawning the collector thread");
            let order = OrderCredits {
                credits: credits_rx,
                events: events_tx.clone(),
            };
            (
                Some(order),
                Some((events_tx.clone(), handle)),
                Sink::Ordered(events_tx),
            )
        } else {
            (None, None, Sink::Direct(callback))
        };
        let shared_room = Arc::new(Room::default());
        let mut routed = Vec::with_capacity(self.threads);
        let mut routed_rooms = Vec::with_capacity(self.threads);
        let mut workers = Vec::with_capacity(self.threads);
        for i in 0..self.threads {
            let (own_tx, own_rx) = crossbeam_channel::bounded(self.queue_capacity);
            routed.push(own_tx);
            let own_room = Arc::new(Room::default());
            routed_rooms.push(Arc::clone(&own_room));
            let worker = Worker {
                engine: self.engine.clone(),
                own: own_rx,
                shared: shared_rx.clone(),
                own_room,
                shared_room: Arc::clone(&shared_room),
                sink: sink.clone(),
                batch: self.batch,
                timing: self.timing,
                pool: self.pool.clone(),
            };
            let handle = std::thread::Builder::new()
                .name(format!("floodwall-{i}"))
                .spawn(move || worker.run())
                .expect("spawning a worker thread");
            workers.push(handle);
        }
        let mut stage_names = vec!["decode"];
        stage_names.extend(self.engine.current().stage_names());
        Pipeline {
            submitter: Submitter {
                gate: Arc::new(Admission::default()),
                shared: shared_tx,
                shared_room,
                routed: routed.into(),
                routed_rooms: routed_rooms.into(),
                order,
            },
            workers,
            collector,
            stage_names,
            started: Instant::now(),
        }
    }
}

/// Running workers; see the [module docs](self).
pub struct Pipeline {
    submitter: Submitter,
    workers: Vec<JoinHandle<WorkerStats>>,
    collector: Option<(Sender<Event>, JoinHandle<()>)>,
    stage_names: Vec<&'static str>,
    started: Instant,
}

impl Pipeline {
    /// A pipeline over `engine`: an `Arc<Engine>`, or a [`ReloadableEngine`]
    /// whose swaps the workers take up at their next batch (each worker's
    /// SMS reassembly state carries over).
    pub fn builder(engine: impl Into<ReloadableEngine>) -> PipelineBuilder {
        let engine = engine.into();
        PipelineBuilder {
            engine,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue_capacity: 1024,
            batch: 32,
            ordered: false,
            window: 4096,
            timing: false,
            pool: None,
        }
    }

    /// A handle for another producer thread.
    pub fn submitter(&self) -> Submitter {
        self.submitter.clone()
    }

    /// See [`Submitter::submit`].
    pub fn submit(&self, job: Job) -> Result<u64, SubmitError> {
        self.submitter.submit(job)
    }

    /// See [`Submitter::try_submit`].
    pub fn try_submit(&self, job: Job) -> Result<u64, TrySubmitError> {
        self.submitter.try_submit(job)
    }

    /// Stops taking jobs, waits until every job already accepted has its
    /// outcome delivered, and returns what the workers measured.
    ///
    /// Submitters still held elsewhere get [`SubmitError::Closed`] from now on.
    pub fn finish(mut self) -> PipelineStats {
        let per_worker = self.stop();
        PipelineStats::merge(&self.stage_names, per_worker, self.started.elapsed())
    }

    fn stop(&mut self) -> Vec<WorkerStats> {
        self.submitter.gate.close();
        for own in self.submitter.routed.iter() {
            let _ = own.send(Work::Stop);
        }
        let mut per_worker = Vec::with_capacity(self.workers.len());
        let mut panic = None;
        for handle in self.workers.drain(..) {
            match handle.join() {
                Ok(stats) => per_worker.push(stats),
                Err(payload) => panic = Some(payload),
            }
        }
        if let Some((events, handle)) = self.collector.take() {
            let _ = events.send(Event::End);
            if let Err(payload) = handle.join() {
                panic = Some(payload);
            }
        }
        if let Some(payload) = panic {
            std::panic::resume_unwind(payload);
        }
        per_worker
    }
}

impl Drop for Pipeline {
    /// A pipeline dropped without [`finish`](Pipeline::finish) still drains
    /// its queues, so that outcomes are not silently lost.
    fn drop(&mut self) {
        if !self.workers.is_empty() && !std::thread::panicking() {
            self.stop();
        }
    }
}

#[cfg(test)]
mod tests;
