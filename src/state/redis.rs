//! The Redis store: several floodwall nodes sharing one view of every
//! campaign and sender.
//!
//! # Ops, atomicity and round trips
//!
//! Each [`Op`] kind is one Lua script (`src/state/redis/*.lua`), so an op is
//! atomic on the server: two nodes counting copies of one campaign never
//! both found it, and a count never loses an increment. A batch is sent as
//! one pipeline of `EVALSHA` calls: one round trip per [`StateStore::apply`]
//! (counted: [`StoreHealth::round_trips`]), plus one to load the scripts on
//! a new connection and one more if Redis lost them (`NOSCRIPT`: the
//! affected ops are sent again after the load, so they may apply after
//! later ops of their batch).
//!
//! The scripts keep the embedded store's semantics exactly (the shared
//! [`conformance`](super::conformance) scenarios run against both): sliding
//! counts in [`SLOTS`](super::SLOTS) slots, sets of recent members capped
//! with the window's stale members dropped first, then the stalest, and
//! entries forgotten when untouched for their window *by the messages'
//! clock*, so that a replayed day behaves as the day did. Redis's own TTLs
//! (wall clock) only collect the garbage. Two details differ where no count
//! does: when a full set drops its stalest member and several were last
//! seen in the same second, Redis drops the lowest member id among them;
//! and the walk of adjacent numbers compares numbers exactly up to 2^53
//! (Lua's numbers), which holds every E.164 number (15 digits at most).
//!
//! # Client
//!
//! The `redis` crate's synchronous connections, chosen over `fred` by a
//! measurement (pipelines of 256 `EVALSHA` calls of a small script against
//! a local redis-server 7.0, median of 15 batches, three runs on the shared
//! 2-core host): `redis` 1.8 to 3.8 ms a batch, `fred` (on a current-thread
//! tokio runtime) 2.5 to 4.5 ms, `redis` ahead in every run; and the
//! workers that apply ops are plain threads, which `redis` serves without
//! an async runtime that `fred` would impose on every library user.
//!
//! # Key schema
//!
//! `P` is the configured prefix (default `fw:`); ids are 16 lower-case hex
//! digits of the 64-bit keys of [`key`](super::key) (hashes: no address is
//! stored in clear).
//!
//! | key | type | holds | TTL |
//! |---|---|---|---|
//! | `P{c:ID}` | hash | a cluster: `sig` (its founder's 32 values, 4 bytes each), `first` (ms), `exp` (expiry, ms by the messages' clock), `ttl`, `msg` (sliding count, packed) | one window after its last copy |
//! | `P{c:ID}:s`, `P{c:ID}:r` | sorted set | the cluster's distinct senders, recipients: 32-bit member id, scored by the second last seen; at most the op's cap | one window after its last copy |
//! | `Pb:BAND` | string | `ID EXP`: the cluster this band of a sketch leads to, until EXP | one window after the last copy that refreshed it |
//! | `P{s:KEY}` | hash | a sender: `short`, `long` (sliding counts), `last` (recipient number), `walk`, `exp`, `ttl` | one long window after its last message |
//! | `P{s:KEY}:r` | sorted set | the sender's distinct recipients | one long window |
//!
//! A cluster founded by sketch S has `ID = embedded::founder_key(S)`, so two
//! nodes founding the same sketch at once agree on the cluster. The hash
//! tags `{c:ID}` and `{s:KEY}` put a cluster's (a sender's) own keys in one
//! slot.
//!
//! # Cost
//!
//! Measured with `cargo run --release --example state_redis_bench
//! --features redis` (median of 5 runs, a private redis-server 7.0 on
//! loopback, on a 2-core host shared with other builds, load average 8 to
//! 9, so read them as upper bounds): one round trip per batch; SMS traffic
//! (a cluster op and a sender op a message) at about 8,000 ops/s from one
//! worker, 120 to 126 µs an op, for batches of 64 and 256 alike, where the
//! embedded store takes 3 to 5 µs; two workers double the cluster ops'
//! rate (`--threads 2 --only cluster`: 6,000 to 6,600 ops/s, against 2,900
//! to 3,500 from one). The time is Redis running the scripts, not the
//! network: a cluster op makes about 25 to 30 calls from Lua (it writes up
//! to 16 band keys), a sender op about 10. Memory: 4.0 KB per cluster
//! founded by one copy (19 keys, of which 16 are bands) and 5.6 KB per
//! cluster with 64 senders and recipients.
//!
//! # Deployment
//!
//! - **Memory**: every key has a TTL, so `maxmemory` with
//!   `maxmemory-policy volatile-lru` (or `allkeys-lru` on a Redis of its
//!   own) bounds it; evicting a cluster forgets a campaign, as the embedded
//!   store's bound does. Persistence is optional: state lives a window.
//!   Sets are listpacks up to `zset-max-listpack-entries` (128): raise it
//!   to the cap in use to keep larger sets compact.
//! - **Databases**: `redis://HOST:PORT/DB` selects DB; [`StateStore::usage`]
//!   reports the whole DB (`DBSIZE`) and the server's memory, so give
//!   floodwall a DB of its own.
//! - **Redis Cluster** (not tested here): a cluster op reads band keys and
//!   candidate clusters that it only discovers while it runs, which Redis
//!   Cluster allows only within one slot. So on Redis Cluster every key must
//!   share one slot: give a prefix that is itself a hash tag, e.g.
//!   `prefix={fw}:` (Redis hashes the first `{...}` of a key), and point
//!   floodwall at the node that owns that slot (this store follows no
//!   `MOVED` redirection). One shard then holds all the state; replicas give
//!   failover, not scale. Per-campaign sharding would need the band index
//!   split from the clusters, which this version does not do.
//! - **Sentinel** (not tested here): this store does not ask Sentinel for
//!   the master; point it at an address that follows the master (a
//!   virtual IP or a TCP proxy). After a failover the old connections fail,
//!   the batch in flight is lost ([`StateError::Unavailable`]), and the
//!   store reconnects and reloads its scripts.
//!
//! # Faults
//!
//! Connect and response timeouts are bounded ([`RedisConfig`], defaults
//! 200 ms and 250 ms; the response timeout bounds each socket read and
//! write of a batch). A refused, lost or timed-out batch is
//! [`StateError::Unavailable`]; the store then drops its connections and
//! reconnects with a backoff (50 ms doubling to
//! [`RedisConfig::max_backoff`]): while Redis is down a batch fails at once
//! instead of waiting for a connect timeout, and when it returns the next
//! attempt after the backoff picks it up. [`StateStore::health`] counts
//! round trips and outages and says whether Redis is up.

mod link;
mod script;

use std::time::Duration;

use self::link::Link;
use super::{Op, Reply, StateError, StateStore, StoreHealth, StoreUsage};

/// Where Redis is and how long to wait for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://HOST:PORT/DB`, without the floodwall parameters.
    pub url: String,
    /// Prepended to every key (default `fw:`).
    pub prefix: String,
    /// Longest wait to connect (default 200 ms).
    pub connect_timeout: Duration,
    /// Longest wait for each read or write of a batch (default 250 ms).
    pub response_timeout: Duration,
    /// Longest pause between reconnection attempts while Redis is down
    /// (default 1 s).
    pub max_backoff: Duration,
}

impl RedisConfig {
    /// A configuration for Redis at `url` with the defaults.
    pub fn new(url: &str) -> RedisConfig {
        RedisConfig {
            url: url.to_string(),
            prefix: "fw:".to_string(),
            connect_timeout: Duration::from_millis(200),
            response_timeout: Duration::from_millis(250),
            max_backoff: Duration::from_secs(1),
        }
    }

    /// Parses `redis://HOST:PORT/DB?timeout_ms=..&connect_timeout_ms=..&prefix=..`
    /// (every parameter optional).
    pub fn from_url(spec: &str) -> Result<RedisConfig, StateError> {
        let fail = |reason: String| StateError::Spec {
            spec: spec.to_string(),
            reason,
        };
        let (url, query) = spec.split_once('?').unwrap_or((spec, ""));
        let mut config = RedisConfig::new(url);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let millis = || {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|&ms| (1..=60_000).contains(&ms))
                    .map(Duration::from_millis)
                    .ok_or_else(|| fail(format!("{name}={value:?}: expected 1 to 60000 ms")))
            };
            match name {
                "timeout_ms" => config.response_timeout = millis()?,
                "connect_timeout_ms" => config.connect_timeout = millis()?,
                "prefix" => {
                    if value.is_empty()
                        || value.len() > 64
                        || !value.bytes().all(|b| b.is_ascii_graphic())
                    {
                        return Err(fail(format!(
                            "prefix={value:?}: expected 1 to 64 printable ASCII characters"
                        )));
                    }
                    config.prefix = value.to_string();
                }
                _ => {
                    return Err(fail(format!(
                        "unknown parameter {name:?} (timeout_ms, connect_timeout_ms, prefix)"
                    )))
                }
            }
        }
        ::redis::Client::open(url).map_err(|e| fail(format!("not a Redis URL: {e}")))?;
        Ok(config)
    }
}

/// The Redis [`StateStore`]; see the [module docs](self).
#[derive(Debug)]
pub struct RedisStore {
    prefix: String,
    link: Link,
}

impl RedisStore {
    /// A store for Redis at `config.url`. Nothing is connected yet: the
    /// first batch connects.
    pub fn new(config: RedisConfig) -> Result<RedisStore, StateError> {
        Ok(RedisStore {
            link: Link::new(&config)?,
            prefix: config.prefix,
        })
    }

    /// The key prefix in use.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

impl StateStore for RedisStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn apply(&self, ops: &[Op], replies: &mut Vec<Reply>) -> Result<(), StateError> {
        if ops.is_empty() {
            return Ok(());
        }
        self.link.run_batch(&self.prefix, ops, replies)
    }

    fn usage(&self) -> StoreUsage {
        self.link.usage().unwrap_or_default()
    }

    fn health(&self) -> StoreHealth {
        self.link.health()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_parsed_and_checked() {
        let c = RedisConfig::from_url("redis://127.0.0.1:6379/2?timeout_ms=40&prefix={fw}:")
            .expect("valid");
        assert_eq!(c.url, "redis://127.0.0.1:6379/2");
        assert_eq!(c.response_timeout, Duration::from_millis(40));
        assert_eq!(c.connect_timeout, Duration::from_millis(200));
        assert_eq!(c.prefix, "{fw}:");
        for bad in [
            "redis://h:1/0?timeout_ms=0",
            "redis://h:1/0?timeout_ms=abc",
            "redis://h:1/0?prefix=",
            "redis://h:1/0?prefix=a b",
            "redis://h:1/0?tls=1",
            "redis://h:99999999/0",
        ] {
            assert!(
                matches!(RedisConfig::from_url(bad), Err(StateError::Spec { .. })),
                "{bad}"
            );
        }
    }
}
