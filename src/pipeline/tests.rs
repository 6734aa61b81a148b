use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use super::*;
use crate::engine::Engine;
use crate::ingest::Format;

/// An engine with one literal SMS rule, built from a temporary directory so
/// that the tests do not depend on the shipped rules.
fn engine() -> Arc<Engine> {
    // One directory per call: the tests run in parallel, and each removes
    // its directory once the engine is built.
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("floodwall-pipeline-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("test.toml"),
        "[[rule]]\nid = \"WIN\"\ndescription = \"win\"\nscore = 6.0\ntarget = \"body\"\nkind = \"literal\"\npattern = 'you won'\n",
    )
    .expect("write rule");
    let engine = Engine::from_dir(&dir).expect("test rules compile");
    let _ = std::fs::remove_dir_all(&dir);
    Arc::new(engine)
}

fn sms(n: usize) -> Job {
    let text = if n % 5 == 0 {
        "you won a prize"
    } else {
        "see you at noon"
    };
    Job::new(
        format!("{{\"from\":\"+44{n}\",\"text\":\"{text} {n}\"}}").into_bytes(),
        Format::Jsonl,
    )
}

#[test]
fn engine_is_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Engine>();
    shareable::<Submitter>();
}

#[test]
fn drains_every_job_on_finish() {
    let (pipeline, results) = Pipeline::builder(engine())
        .threads(3)
        .queue_capacity(64)
        .with_results();
    for n in 0..10_000 {
        pipeline.submit(sms(n)).expect("open pipeline takes jobs");
    }
    let stats = pipeline.finish();
    let outcomes: Vec<Outcome> = results.iter().collect();
    assert_eq!(outcomes.len(), 10_000);
    assert_eq!(stats.jobs, 10_000);
    assert_eq!(stats.messages, 10_000);
    assert_eq!(stats.latency.count(), 10_000);
    let spam = outcomes
        .iter()
        .filter(|o| o.scanned[0].verdict.has("WIN"))
        .count();
    assert_eq!(spam, 2_000);
    let mut seqs: Vec<u64> = outcomes.iter().filter_map(|o| o.seq).collect();
    seqs.sort_unstable();
    assert!(seqs.iter().copied().eq(0..10_000));
}

#[test]
fn ordered_results_follow_submission_order() {
    let (pipeline, results) = Pipeline::builder(engine())
        .threads(4)
        .batch(3)
        .ordered(true)
        .reorder_window(16)
        .with_results();
    for n in 0..2_000 {
        // Mix cheap and expensive jobs so that workers finish out of order.
        let job = if n % 7 == 0 {
            let body = "lorem ipsum dolor sit amet ".repeat(400);
            Job::new(
                format!("Subject: {n}\r\n\r\n{body}\r\n").into_bytes(),
                Format::Eml,
            )
        } else {
            sms(n)
        };
        pipeline.submit(job).expect("open pipeline takes jobs");
    }
    pipeline.finish();
    let seqs: Vec<Option<u64>> = results.iter().map(|o| o.seq).collect();
    assert!(seqs.iter().copied().eq((0..2_000).map(Some)));
}

#[test]
fn full_queue_pushes_back() {
    let gate = Arc::new(Barrier::new(2));
    let held = Arc::clone(&gate);
    let first = AtomicU64::new(0);
    // The callback blocks the only worker on its first outcome, so the
    // queue fills and try_submit must hand jobs back.
    let pipeline = Pipeline::builder(engine())
        .threads(1)
        .queue_capacity(4)
        .batch(1)
        .on_result(move |_| {
            if first.fetch_add(1, Ordering::SeqCst) == 0 {
                held.wait();
            }
        });
    pipeline.submit(sms(0)).expect("first job taken");
    let mut accepted = 1;
    let mut refused = None;
    for n in 1..100 {
        match pipeline.try_submit(sms(n)) {
            Ok(_) => accepted += 1,
            Err(TrySubmitError::Full(job)) => {
                refused = Some(job);
                break;
            }
            Err(err) => panic!("unexpected {err}"),
        }
    }
    let job = refused.expect("a bounded queue refuses jobs once full");
    assert!(accepted <= 1 + 4 + 1, "accepted {accepted}");
    assert!(job.bytes.starts_with(b"{"), "the job comes back whole");
    gate.wait();
    pipeline
        .submit(job)
        .expect("room again once the worker runs");
    let stats = pipeline.finish();
    assert_eq!(stats.jobs, accepted + 1);
}

#[test]
fn ordered_try_submit_refusals_leave_no_gap() {
    let (pipeline, results) = Pipeline::builder(engine())
        .threads(2)
        .queue_capacity(2)
        .ordered(true)
        .with_results();
    let mut accepted = 0;
    for n in 0..500 {
        if pipeline.try_submit(sms(n)).is_ok() {
            accepted += 1;
        }
    }
    pipeline.finish();
    let seqs: Vec<u64> = results.iter().filter_map(|o| o.seq).collect();
    assert_eq!(seqs.len(), accepted);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn many_producers_lose_nothing() {
    let count = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&count);
    let pipeline = Pipeline::builder(engine())
        .threads(2)
        .queue_capacity(8)
        .on_result(move |o| {
            assert!(o.error.is_none());
            seen.fetch_add(1, Ordering::SeqCst);
        });
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let submitter = pipeline.submitter();
            std::thread::spawn(move || {
                for n in 0..1_000 {
                    let job = sms(n).with_route_key(if n % 2 == 0 { 0 } else { p + 1 });
                    submitter.submit(job).expect("open pipeline takes jobs");
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().expect("producer thread");
    }
    let stats = pipeline.finish();
    assert_eq!(count.load(Ordering::SeqCst), 4_000);
    assert_eq!(stats.jobs_per_worker.iter().sum::<u64>(), 4_000);
}

#[test]
fn routed_jobs_stay_on_one_worker() {
    let threads = Arc::new(Mutex::new(std::collections::HashSet::new()));
    let names = Arc::clone(&threads);
    let pipeline = Pipeline::builder(engine()).threads(4).on_result(move |_| {
        let name = std::thread::current().name().map(str::to_string);
        names.lock().expect("test lock").insert(name);
    });
    let key = route_key(b"+447700900123", b"+447700900456");
    for n in 0..200 {
        pipeline.submit(sms(n).with_route_key(key)).expect("open");
    }
    pipeline.finish();
    assert_eq!(threads.lock().expect("test lock").len(), 1);
}

#[test]
fn closed_pipeline_hands_jobs_back() {
    let pipeline = Pipeline::builder(engine()).threads(1).on_result(|_| {});
    let submitter = pipeline.submitter();
    pipeline.finish();
    let err = submitter
        .submit(sms(1))
        .expect_err("finished pipeline refuses");
    assert!(err.into_job().bytes.starts_with(b"{"));
    assert!(matches!(
        submitter.try_submit(sms(2)),
        Err(TrySubmitError::Closed(_))
    ));
}

#[test]
fn bad_bytes_give_an_error_outcome_and_timing_counts_stages() {
    let (pipeline, results) = Pipeline::builder(engine())
        .threads(1)
        .timing(true)
        .with_results();
    pipeline
        .submit(Job::new(b"{not json".to_vec(), Format::Jsonl))
        .expect("open");
    pipeline.submit(sms(5)).expect("open");
    let stats = pipeline.finish();
    let outcomes: Vec<Outcome> = results.iter().collect();
    assert!(outcomes.iter().any(|o| o.error.is_some()));
    assert_eq!(stats.errors, 1);
    let names: Vec<&str> = stats.stages.iter().map(|s| s.name).collect();
    assert_eq!(names[0], "decode");
    assert_eq!(names.last(), Some(&"meta+policy"));
    assert!(
        stats.stages.iter().all(|s| s.nanos > 0),
        "{:?}",
        stats.stages
    );
    assert!(stats.service.quantile(0.5) < Duration::from_secs(1).as_nanos() as u64);
}

#[test]
fn a_scratch_pool_carries_scratches_to_the_next_pipeline_with_timers_reset() {
    let engine = engine();
    let pool = ScratchPool::new(&engine);
    let run = |threads: usize, jobs: usize| {
        let (pipeline, results) = Pipeline::builder(Arc::clone(&engine))
            .threads(threads)
            .timing(true)
            .scratch_pool(pool.clone())
            .with_results();
        for n in 0..jobs {
            pipeline.submit(sms(n)).expect("open");
        }
        let stats = pipeline.finish();
        let spam = results
            .iter()
            .filter(|o| o.scanned[0].verdict.has("WIN"))
            .count();
        assert_eq!(spam, jobs.div_ceil(5));
        stats.stages.iter().skip(1).map(|s| s.nanos).sum::<u64>()
    };
    let many = run(2, 5_000);
    assert_eq!(pool.idle(), 2, "both workers gave their scratch back");
    let one = run(1, 1);
    assert_eq!(
        pool.idle(),
        2,
        "the next pipeline took one and gave it back"
    );
    // Without the reset, `one` would hold a worker's share of `many`.
    assert!(
        one * 10 < many,
        "timers start at zero: {one} ns against {many}"
    );
    // Another engine's pipeline makes its own scratches.
    let (pipeline, results) = Pipeline::builder(self::engine())
        .threads(1)
        .scratch_pool(pool.clone())
        .with_results();
    pipeline.submit(sms(0)).expect("open");
    pipeline.finish();
    assert_eq!(results.iter().count(), 1);
    assert_eq!(pool.idle(), 2);
}

#[test]
fn producers_are_woken_per_half_queue_not_per_batch() {
    let pipeline = Pipeline::builder(engine())
        .threads(1)
        .queue_capacity(256)
        .batch(4)
        .on_result(|_| {});
    let key = route_key(b"+447700900123", b"+447700900456");
    let jobs = 40_000;
    for n in 0..jobs {
        pipeline.submit(sms(n).with_route_key(key)).expect("open");
    }
    let stats = pipeline.finish();
    // The queue drains to half once per 128 jobs: at most 312 wake-ups
    // (fewer when the producer finds room without waiting). A Room shared
    // by both queues gave 1,288; waking again on each batch until the
    // producer is back, 841; a wake-up per batch of 4 would be 10,000.
    assert!(
        stats.producer_wakeups < jobs as u64 / 100,
        "{} wake-ups for {jobs} jobs",
        stats.producer_wakeups
    );
}

/// An engine of `engine()`'s rule with its own `tag` threshold.
fn engine_tagging_at(tag: f64) -> Engine {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "floodwall-pipeline-tag-{}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("test.toml"),
        "[[rule]]\nid = \"WIN\"\ndescription = \"win\"\nscore = 6.0\ntarget = \"body\"\nkind = \"literal\"\npattern = 'you won'\n",
    )
    .expect("write rule");
    std::fs::write(dir.join("policy.toml"), format!("[actions]\ntag = {tag}\n"))
        .expect("write policy");
    let engine = Engine::from_dir(&dir).expect("test rules compile");
    let _ = std::fs::remove_dir_all(&dir);
    engine
}

#[test]
fn a_truncated_job_gets_the_oversize_problem_and_others_do_not() {
    let (pipeline, results) = Pipeline::builder(engine())
        .threads(1)
        .ordered(true)
        .with_results();
    let mail = b"Subject: hi\r\n\r\nsee you at noon\r\n".to_vec();
    pipeline
        .submit(Job::new(mail.clone(), Format::Eml).with_truncated(true))
        .unwrap();
    pipeline.submit(Job::new(mail, Format::Eml)).unwrap();
    pipeline.finish();
    let outcomes: Vec<Outcome> = results.iter().collect();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].scanned[0].verdict.has("FW_OVERSIZE"));
    assert!(!outcomes[1].scanned[0].verdict.has("FW_OVERSIZE"));
}

#[test]
fn outcomes_carry_the_tag_threshold_of_the_engine_that_scanned_them() {
    let reloadable = ReloadableEngine::new(engine_tagging_at(4.5));
    let (pipeline, results) = Pipeline::builder(reloadable.clone())
        .threads(1)
        .with_results();
    let mail = || Job::new(b"Subject: hi\r\n\r\nhello\r\n".to_vec(), Format::Eml);
    pipeline.submit(mail()).unwrap();
    assert_eq!(results.recv().unwrap().tag_threshold, Some(4.5));
    reloadable.swap(engine_tagging_at(7.25));
    pipeline.submit(mail()).unwrap();
    assert_eq!(results.recv().unwrap().tag_threshold, Some(7.25));
    pipeline.finish();
}
