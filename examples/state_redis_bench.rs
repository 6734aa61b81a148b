//! What the Redis state store costs, against a private redis-server on
//! loopback, beside the embedded store on the same ops:
//!
//! - ops/s and µs per op for batches of 64 and 256 ops, median of 5 runs of
//!   `--ops` ops each (default 51,200); the ops are those of SMS traffic,
//!   one cluster op and one sender op per message, half the messages
//!   copies of 20 mutated campaigns from 1,000 senders and half unique;
//! - round trips per batch (the store's own counter);
//! - Redis memory per cluster key set: `INFO memory` before and after
//!   founding N clusters (one copy each, and 64 copies each from distinct
//!   senders to distinct recipients).
//!
//! ```text
//! cargo run --release --example state_redis_bench --features redis [-- --ops N --threads T --only cluster|sender]
//! ```

#[path = "../tests/support/redis_server.rs"]
mod redis_server;

use std::time::Instant;

use floodwall::state::conformance::{cluster_op, sketch};
use floodwall::state::redis::{RedisConfig, RedisStore};
use floodwall::state::{
    key, ClusterOp, EmbeddedStore, Op, SenderOp, StateStore, Window, SIGNATURE_LEN,
};
use redis_server::RedisServer;

const T0: u64 = 1_780_000_000_000;
const RUNS: usize = 5;

fn main() -> Result<(), String> {
    let mut ops_per_run = 51_200usize;
    let mut threads = 1usize;
    let mut only = Kinds::Both;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match (arg.as_str(), value.as_str()) {
            ("--ops", n) if n.parse::<usize>().is_ok() => ops_per_run = n.parse().unwrap_or(0),
            ("--threads", n) if n.parse::<usize>().is_ok() => threads = n.parse().unwrap_or(1),
            ("--only", "cluster") => only = Kinds::Cluster,
            ("--only", "sender") => only = Kinds::Sender,
            _ => {
                return Err(format!(
                    "usage: state_redis_bench [--ops N] [--threads T] [--only cluster|sender]; got {arg}"
                ))
            }
        }
    }
    let server = RedisServer::start("bench")?;
    println!(
        "redis-server at {} ({} thread(s), {ops_per_run} ops a run)",
        server.url(),
        threads.max(1)
    );
    println!(
        "{:<10} {:>6} {:>12} {:>10} {:>14}",
        "store", "batch", "ops/s", "µs/op", "trips/batch"
    );
    for batch in [64usize, 256] {
        let embedded = EmbeddedStore::default();
        report(
            "embedded",
            batch,
            &embedded,
            ops_per_run,
            threads,
            only,
            &|| 0,
        );
        let mut config = RedisConfig::new(&server.url());
        config.prefix = format!("b{batch}:");
        let redis = RedisStore::new(config).map_err(|e| e.to_string())?;
        report("redis", batch, &redis, ops_per_run, threads, only, &|| {
            redis.health().round_trips
        });
    }
    if only == Kinds::Both {
        memory(&server, 10_000, 1)?;
        memory(&server, 1_000, 64)?;
    }
    Ok(())
}

/// Which ops of each message are sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kinds {
    Both,
    Cluster,
    Sender,
}

/// Runs `RUNS` runs and prints the median.
fn report(
    name: &str,
    batch: usize,
    store: &dyn StateStore,
    ops_per_run: usize,
    threads: usize,
    only: Kinds,
    trips: &dyn Fn() -> u64,
) {
    let threads = threads.max(1);
    let mut rates = Vec::new();
    let mut trips_per_batch = 0.0;
    for run in 0..RUNS {
        let trips_before = trips();
        let started = Instant::now();
        std::thread::scope(|scope| {
            for thread in 0..threads {
                scope.spawn(move || {
                    let mut ops = Vec::with_capacity(batch);
                    let mut replies = Vec::with_capacity(batch);
                    let per_message = if only == Kinds::Both { 2 } else { 1 };
                    let messages = ops_per_run / threads / per_message;
                    let base = (run * threads + thread) * messages;
                    for m in base..base + messages {
                        let [cluster, sender] = message_ops(m as u64);
                        match only {
                            Kinds::Both => ops.extend([cluster, sender]),
                            Kinds::Cluster => ops.push(cluster),
                            Kinds::Sender => ops.push(sender),
                        }
                        if ops.len() >= batch {
                            replies.clear();
                            if let Err(e) = store.apply(&ops, &mut replies) {
                                panic!("{name}: {e}");
                            }
                            ops.clear();
                        }
                    }
                });
            }
        });
        let seconds = started.elapsed().as_secs_f64();
        rates.push(ops_per_run as f64 / seconds);
        let batches = (ops_per_run / batch).max(1) as f64;
        trips_per_batch = (trips() - trips_before) as f64 / batches;
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[RUNS / 2];
    println!(
        "{name:<10} {batch:>6} {median:>12.0} {:>10.2} {trips_per_batch:>14.2}",
        1e6 / median * threads as f64
    );
}

/// The two ops of SMS message `m`: its content sketch and its sender.
fn message_ops(m: u64) -> [Op; 2] {
    let time_ms = T0 + m * 10;
    let sender = key::mix(m % 1_000 + 1);
    let recipient = key::mix(m ^ 0x5555);
    let cluster = if m % 2 == 0 {
        // A copy of one of 20 campaigns, mutated in 8 of 32 values.
        let campaign = (m / 2 % 20) as u32;
        let (bands, mut signature) = sketch(campaign, 0);
        for v in signature.iter_mut().take(8) {
            *v ^= (key::mix(m) as u32) | 1;
        }
        let mut bands = bands;
        for (b, band) in bands.iter_mut().enumerate().take(4) {
            *band = key::mix(m ^ b as u64);
        }
        Op::Cluster(ClusterOp {
            time_ms,
            bands,
            signature,
            min_matches: 16,
            sender: Some(sender),
            recipient: Some(recipient),
            window: Window::minutes(60),
            cap: 64,
        })
    } else {
        cluster_op(
            m as u32 ^ 0x4000_0000,
            SIGNATURE_LEN,
            sender,
            recipient,
            time_ms,
        )
    };
    let sender = Op::Sender(SenderOp {
        time_ms,
        key: sender,
        recipient: Some(recipient),
        recipient_number: Some(447_700_000_000 + m % 1_000_000),
        short: Window::minutes(1),
        long: Window::minutes(24 * 60),
        cap: 256,
    });
    [cluster, sender]
}

/// Redis memory per cluster: `clusters` clusters of `copies` copies each.
fn memory(server: &RedisServer, clusters: u32, copies: u32) -> Result<(), String> {
    let _ = server.command("FLUSHALL");
    let before = server.info("used_memory").ok_or("INFO memory")?;
    let store = RedisStore::new(RedisConfig::new(&server.url())).map_err(|e| e.to_string())?;
    let mut ops = Vec::new();
    let mut replies = Vec::new();
    for c in 0..clusters {
        for copy in 0..copies {
            let n = u64::from(c) * 1_000 + u64::from(copy);
            ops.push(cluster_op(c | 0x8000_0000, SIGNATURE_LEN, n, n, T0 + n));
            if ops.len() == 256 {
                store.apply(&ops, &mut replies).map_err(|e| e.to_string())?;
                ops.clear();
            }
        }
    }
    store.apply(&ops, &mut replies).map_err(|e| e.to_string())?;
    let after = server.info("used_memory").ok_or("INFO memory")?;
    let keys = server.command("DBSIZE")?;
    println!(
        "memory: {clusters} clusters of {copies} cop{} ({} senders and recipients each): {} bytes per cluster key set ({} keys in all: 16 bands, a hash and 2 sorted sets a cluster)",
        if copies == 1 { "y" } else { "ies" },
        copies,
        after.saturating_sub(before) / u64::from(clusters),
        keys.trim().trim_start_matches(':'),
    );
    Ok(())
}
