//! The Redis state store against a real, private redis-server: the same
//! conformance scenarios as the embedded store, two nodes sharing one
//! campaign, and outages (a stopped server, a frozen one).

#[path = "support/redis_server.rs"]
mod redis_server;

use std::time::{Duration, Instant};

use floodwall::state::conformance::{self, cluster, cluster_op, T0};
use floodwall::state::redis::{RedisConfig, RedisStore};
use floodwall::state::{Op, StateError, StateStore};
use redis_server::RedisServer;

fn server(name: &str) -> RedisServer {
    RedisServer::start(name).unwrap_or_else(|e| panic!("the Redis tests need a redis-server: {e}"))
}

fn store(server: &RedisServer, prefix: &str) -> RedisStore {
    let mut config = RedisConfig::new(&server.url());
    config.prefix = prefix.to_string();
    RedisStore::new(config).expect("a valid configuration")
}

#[test]
fn passes_the_conformance_scenarios() {
    let server = server("conformance");
    for (i, scenario) in conformance::SCENARIOS.iter().enumerate() {
        eprintln!("scenario: {}", scenario.name);
        // A prefix of its own: each scenario starts from nothing.
        let store = store(&server, &format!("t{i}:"));
        (scenario.run)(&store);
        let health = store.health();
        assert!(health.up && health.outages == 0, "{health:?}");
    }
}

#[test]
fn two_nodes_on_one_redis_count_one_campaign() {
    let server = server("nodes");
    let (a, b) = (store(&server, "fw:"), store(&server, "fw:"));
    conformance::shared_between_nodes(&a, &b);
    // And the founder key agrees when both found the same sketch at once.
    let x = cluster(&a, cluster_op(999, 32, 1, 1, T0));
    let y = cluster(&b, cluster_op(999, 32, 2, 2, T0));
    assert_eq!((x.id, y.id, y.messages), (x.id, x.id, 2));
}

#[test]
fn a_batch_is_one_round_trip() {
    let server = server("trips");
    let store = store(&server, "fw:");
    let ops: Vec<Op> = (0..256u32)
        .map(|i| cluster_op(i % 7, 8, u64::from(i), u64::from(i), T0 + u64::from(i)))
        .collect();
    let mut replies = Vec::new();
    store.apply(&ops, &mut replies).expect("applied");
    let after_first = store.health().round_trips;
    // The first batch also loaded the scripts on the new connection.
    assert_eq!(after_first, 2);
    for _ in 0..5 {
        replies.clear();
        store.apply(&ops, &mut replies).expect("applied");
        assert_eq!(replies.len(), ops.len());
    }
    assert_eq!(store.health().round_trips, after_first + 5);
    // Redis lost its scripts: they are loaded again and the batch applied.
    assert!(server
        .command("SCRIPT FLUSH")
        .is_ok_and(|a| a.starts_with("+OK")));
    replies.clear();
    store
        .apply(&ops, &mut replies)
        .expect("applied after SCRIPT FLUSH");
    assert_eq!(replies.len(), ops.len());
}

#[test]
fn workers_share_the_store_from_their_first_batch() {
    let server = server("workers");
    let store = store(&server, "fw:");
    std::thread::scope(|scope| {
        for worker in 0..4u64 {
            let store = &store;
            scope.spawn(move || {
                for i in 0..50 {
                    cluster(store, cluster_op(1, 0, worker, i, T0 + i));
                }
            });
        }
    });
    let last = cluster(&store, cluster_op(1, 0, 9, 9, T0 + 60));
    assert_eq!((last.messages, last.senders), (201, 5));
    let health = store.health();
    assert!(health.up && health.failed_batches == 0, "{health:?}");
}

/// Applies one copy; the time it took.
fn timed_apply(store: &RedisStore, copy: u32) -> (Result<(), StateError>, Duration) {
    let started = Instant::now();
    let mut replies = Vec::new();
    let result = store.apply(
        &[cluster_op(copy, 0, 1, 1, T0 + u64::from(copy))],
        &mut replies,
    );
    (result, started.elapsed())
}

#[test]
fn an_outage_is_unavailable_within_the_timeout_and_redis_is_picked_up_again() {
    let mut server = server("outage");
    let mut config = RedisConfig::new(&server.url());
    config.connect_timeout = Duration::from_millis(100);
    config.response_timeout = Duration::from_millis(150);
    config.max_backoff = Duration::from_millis(200);
    // The configured waits, and room for a busy host to schedule the thread.
    let bound = config.connect_timeout + config.response_timeout + Duration::from_millis(250);
    let store = RedisStore::new(config).expect("valid");
    assert!(timed_apply(&store, 1).0.is_ok());

    // Stopped mid-run.
    server.stop();
    let (result, took) = timed_apply(&store, 2);
    assert!(
        matches!(result, Err(StateError::Unavailable { .. })),
        "{result:?}"
    );
    assert!(took < bound, "failed in {took:?}, bound {bound:?}");
    let health = store.health();
    assert!(!health.up && health.outages == 1, "{health:?}");
    // While it is down, batches keep failing fast, and it stays one outage.
    for copy in 3..20 {
        let (result, took) = timed_apply(&store, copy);
        assert!(result.is_err());
        assert!(took < bound, "failed in {took:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(store.health().outages, 1);

    // Back (empty: no persistence): picked up within the backoff.
    server.start_again().expect("restarted");
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut copy = 100;
    loop {
        copy += 1;
        if timed_apply(&store, copy).0.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not picked up again: {:?}",
            store.health()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let health = store.health();
    assert!(health.up && health.outages == 1, "{health:?}");

    // Frozen: connections stay open but nothing answers.
    server.pause(true);
    let (result, took) = timed_apply(&store, 500);
    server.pause(false);
    assert!(
        matches!(result, Err(StateError::Unavailable { .. })),
        "{result:?}"
    );
    assert!(took < bound, "failed in {took:?}, bound {bound:?}");
    assert_eq!(store.health().outages, 2);
    let deadline = Instant::now() + Duration::from_secs(3);
    while timed_apply(&store, 501).0.is_err() {
        assert!(Instant::now() < deadline, "not picked up after the freeze");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn keys_follow_the_schema_and_all_have_ttls() {
    let server = server("schema");
    let store = store(&server, "sch:");
    let first = cluster(&store, cluster_op(1, 0, 1, 1, T0));
    let id = format!("{:016x}", first.id);
    for key in [
        format!("sch:{{c:{id}}}"),
        format!("sch:{{c:{id}}}:s"),
        format!("sch:{{c:{id}}}:r"),
    ] {
        let ttl = server.command(&format!("PTTL {key}")).expect("PTTL");
        let ms: i64 = ttl
            .trim()
            .trim_start_matches(':')
            .parse()
            .expect("an integer");
        assert!(ms > 3_500_000 && ms <= 3_600_000, "{key}: {ttl}");
    }
    conformance::sender(&store, conformance::sender_op(Some(1), None, T0));
    let keys = server.command("KEYS *").expect("KEYS");
    // 16 bands, 3 cluster keys, 2 sender keys.
    assert!(keys.starts_with("*21\r\n"), "{keys}");
    for line in keys.lines().filter(|l| l.starts_with("sch:")) {
        let ttl = server.command(&format!("PTTL {line}")).expect("PTTL");
        assert!(!ttl.starts_with(":-"), "{line} has no TTL: {ttl}");
    }
    let usage = store.usage();
    assert_eq!(usage.entries, 21, "{usage:?}");
    assert!(usage.bytes > 0);
}
