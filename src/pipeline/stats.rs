//! What a pipeline measured, summed over its workers.

use std::time::Duration;

use serde::Serialize;

use super::histogram::LatencyHistogram;
use super::worker::WorkerStats;

/// Time spent in one stage, summed over all workers.
#[derive(Clone, Debug, Serialize)]
pub struct StageTime {
    /// The stage's name (`decode`, a stage's [`Stage::name`](crate::stage::Stage::name), `meta+policy`).
    pub name: &'static str,
    /// Nanoseconds, summed over workers.
    pub nanos: u64,
}

/// Totals from [`Pipeline::finish`](super::Pipeline::finish).
#[derive(Clone, Debug)]
pub struct PipelineStats {
    /// Jobs whose outcome was delivered.
    pub jobs: u64,
    /// Messages decoded from the jobs (and flushed at the end).
    pub messages: u64,
    /// Bytes of those jobs.
    pub bytes: u64,
    /// Jobs whose bytes could not be split into payloads.
    pub errors: u64,
    /// From the pipeline's start to the end of `finish`.
    pub elapsed: Duration,
    /// `decode` (split + decoder), then each engine stage and `meta+policy`.
    /// Engine stages are only timed when the builder's `timing` was on.
    pub stages: Vec<StageTime>,
    /// Per job, from submit to verdict: includes time waiting in the queue.
    pub latency: LatencyHistogram,
    /// Per job, decode plus scan: the work itself.
    pub service: LatencyHistogram,
    /// Jobs each worker took, to see how evenly routing spread them.
    pub jobs_per_worker: Vec<u64>,
    /// Times a worker woke producers waiting for room: about one per half
    /// queue of jobs when producers outpace the workers.
    pub producer_wakeups: u64,
}

impl PipelineStats {
    pub(super) fn merge(
        names: &[&'static str],
        workers: Vec<WorkerStats>,
        elapsed: Duration,
    ) -> PipelineStats {
        let mut stages: Vec<StageTime> = names
            .iter()
            .map(|&name| StageTime { name, nanos: 0 })
            .collect();
        let mut total = PipelineStats {
            jobs: 0,
            messages: 0,
            bytes: 0,
            errors: 0,
            elapsed,
            stages: Vec::new(),
            latency: LatencyHistogram::default(),
            service: LatencyHistogram::default(),
            jobs_per_worker: Vec::with_capacity(workers.len()),
            producer_wakeups: 0,
        };
        for w in workers {
            total.jobs += w.jobs;
            total.messages += w.messages;
            total.bytes += w.bytes;
            total.errors += w.errors;
            total.latency.merge(&w.latency);
            total.service.merge(&w.service);
            total.jobs_per_worker.push(w.jobs);
            total.producer_wakeups += w.producer_wakeups;
            let times = std::iter::once(w.decode_nanos).chain(w.stage_nanos);
            for (stage, nanos) in stages.iter_mut().zip(times) {
                stage.nanos += nanos;
            }
        }
        total.stages = stages;
        total
    }
}
