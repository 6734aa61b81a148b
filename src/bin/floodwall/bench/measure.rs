//! One measured run: a fresh pipeline, the corpus submitted from this thread
//! until the time budget is spent, then drained. Its workers take their
//! scratches from a pool the warm-up filled, as long-running workers would
//! have them: the lazy DFAs' states already built.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use floodwall::pipeline::{Pipeline, ScratchPool};
use floodwall::{Action, Engine};
use serde::Serialize;

use super::corpus::Corpus;

/// What one run (or the median of several) measured.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub threads: usize,
    pub messages: u64,
    pub msgs_per_sec: f64,
    pub mb_per_sec: f64,
    /// Process CPU time (user + system, all threads, the producer included)
    /// per message.
    pub cpu_us_per_msg: f64,
    /// Decode + scan of one job, in µs.
    pub latency_us: Percentiles,
    /// Submit to verdict, queueing included; under a saturating load this
    /// mostly measures the queue length.
    pub queue_latency_us: Percentiles,
    /// Wall-clock µs per message in each stage, summed over workers (a
    /// worker descheduled mid-stage counts the wait too).
    pub stages: Vec<StageCost>,
    /// Share of messages whose action was not `accept`.
    pub flagged_share: f64,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct StageCost {
    pub name: &'static str,
    pub us_per_msg: f64,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
}

/// Submits the corpus over and over until `budget` has passed (at least
/// once), then finishes the pipeline. With `timing`, every stage is timed
/// (clock reads cost a few percent on SMS), otherwise `stages` holds only
/// the decode time the pipeline always measures.
pub fn run(
    engine: &Arc<Engine>,
    pool: &ScratchPool,
    corpus: &Corpus,
    threads: usize,
    budget: Duration,
    timing: bool,
) -> Point {
    let flagged = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&flagged);
    let pipeline = Pipeline::builder(Arc::clone(engine))
        .threads(threads)
        .timing(timing)
        .scratch_pool(pool.clone())
        .on_result(move |outcome| {
            if outcome
                .scanned
                .iter()
                .any(|s| s.verdict.action != Action::Accept)
            {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
    let cpu_start = cpu_time();
    let start = Instant::now();
    loop {
        for job in &corpus.jobs {
            if pipeline.submit(job.clone()).is_err() {
                break;
            }
        }
        if start.elapsed() >= budget {
            break;
        }
    }
    let stats = pipeline.finish();
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_time().saturating_sub(cpu_start).as_secs_f64();
    let jobs = stats.jobs.max(1) as f64;
    let percentiles = |h: &floodwall::pipeline::LatencyHistogram| Percentiles {
        p50: h.quantile(0.5) as f64 / 1e3,
        p99: h.quantile(0.99) as f64 / 1e3,
        p999: h.quantile(0.999) as f64 / 1e3,
    };
    Point {
        threads,
        messages: stats.jobs,
        msgs_per_sec: stats.jobs as f64 / wall,
        mb_per_sec: stats.bytes as f64 / wall / 1e6,
        cpu_us_per_msg: cpu * 1e6 / jobs,
        latency_us: percentiles(&stats.service),
        queue_latency_us: percentiles(&stats.latency),
        stages: stats
            .stages
            .iter()
            .map(|s| StageCost {
                name: s.name,
                us_per_msg: s.nanos as f64 / 1e3 / jobs,
            })
            .collect(),
        flagged_share: flagged.load(Ordering::Relaxed) as f64 / jobs,
    }
}

/// The median of each figure over several runs of one configuration, so
/// that one run disturbed by other work on the machine does not decide.
pub fn median(runs: &[Point]) -> Point {
    let mid = |f: &dyn Fn(&Point) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(f).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let first = &runs[0];
    let pct = |f: &dyn Fn(&Point) -> Percentiles| Percentiles {
        p50: mid(&|p| f(p).p50),
        p99: mid(&|p| f(p).p99),
        p999: mid(&|p| f(p).p999),
    };
    Point {
        threads: first.threads,
        messages: mid(&|p| p.messages as f64) as u64,
        msgs_per_sec: mid(&|p| p.msgs_per_sec),
        mb_per_sec: mid(&|p| p.mb_per_sec),
        cpu_us_per_msg: mid(&|p| p.cpu_us_per_msg),
        latency_us: pct(&|p| p.latency_us),
        queue_latency_us: pct(&|p| p.queue_latency_us),
        stages: (0..first.stages.len())
            .map(|i| StageCost {
                name: first.stages[i].name,
                us_per_msg: mid(&|p| p.stages[i].us_per_msg),
            })
            .collect(),
        flagged_share: mid(&|p| p.flagged_share),
    }
}

/// CPU time of the whole process so far: user plus system, every thread.
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given,
    // which points at a zeroed one of that type; RUSAGE_SELF is always valid.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return Duration::ZERO;
        }
        usage.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}
