//! The connections to Redis: a pool shared by the workers, bounded waits,
//! and a backoff while Redis is down so that a batch then fails at once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::{Connection, ServerErrorKind, Value};

use super::script::{self, SCRIPTS};
use super::RedisConfig;
use crate::state::{Op, Reply, StateError, StoreHealth, StoreUsage};

const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// The way to Redis, and what it has been like.
pub(super) struct Link {
    client: redis::Client,
    connect_timeout: Duration,
    response_timeout: Duration,
    max_backoff: Duration,
    /// Idle connections; a worker takes one for a batch and puts it back.
    idle: Mutex<Vec<Connection>>,
    retry: Mutex<Retry>,
    up: AtomicBool,
    round_trips: AtomicU64,
    outages: AtomicU64,
    failed_batches: AtomicU64,
}

/// When the next connection attempt may be made.
#[derive(Debug)]
struct Retry {
    not_before: Option<Instant>,
    backoff: Duration,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("server", &self.client.get_connection_info().addr())
            .field("health", &self.health())
            .finish_non_exhaustive()
    }
}

impl Link {
    pub(super) fn new(config: &RedisConfig) -> Result<Link, StateError> {
        let client = redis::Client::open(config.url.as_str()).map_err(|e| StateError::Spec {
            spec: config.url.clone(),
            reason: format!("not a Redis URL: {e}"),
        })?;
        Ok(Link {
            client,
            connect_timeout: config.connect_timeout,
            response_timeout: config.response_timeout,
            max_backoff: config.max_backoff.max(FIRST_BACKOFF),
            idle: Mutex::new(Vec::new()),
            retry: Mutex::new(Retry {
                not_before: None,
                backoff: FIRST_BACKOFF,
            }),
            up: AtomicBool::new(true),
            round_trips: AtomicU64::new(0),
            outages: AtomicU64::new(0),
            failed_batches: AtomicU64::new(0),
        })
    }

    pub(super) fn health(&self) -> StoreHealth {
        StoreHealth {
            up: self.up.load(Ordering::Relaxed),
            round_trips: self.round_trips.load(Ordering::Relaxed),
            outages: self.outages.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
        }
    }

    /// Applies `ops` in one pipeline and appends their replies.
    pub(super) fn run_batch(
        &self,
        prefix: &str,
        ops: &[Op],
        replies: &mut Vec<Reply>,
    ) -> Result<(), StateError> {
        let result = self.connection().and_then(|mut con| {
            let result = self.pipeline(&mut con, prefix, ops, replies);
            match &result {
                Err(StateError::Unavailable { .. }) => self.lost(),
                _ => self.put_back(con),
            }
            result
        });
        if result.is_err() {
            self.failed_batches.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    fn pipeline(
        &self,
        con: &mut Connection,
        prefix: &str,
        ops: &[Op],
        replies: &mut Vec<Reply>,
    ) -> Result<(), StateError> {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for op in ops {
            script::push(&mut pipe, prefix, op);
        }
        let mut values = self.query(&pipe, con)?;
        // Redis lost the scripts (a restart behind a proxy, SCRIPT FLUSH):
        // load them and send again the ops that were refused.
        let refused: Vec<usize> = (0..values.len())
            .filter(|&i| is_noscript(&values[i]))
            .collect();
        if !refused.is_empty() {
            self.load_scripts(con)?;
            let mut again = redis::pipe();
            again.ignore_errors();
            for &i in &refused {
                script::push(&mut again, prefix, &ops[i]);
            }
            for (i, value) in refused.into_iter().zip(self.query(&again, con)?) {
                values[i] = value;
            }
        }
        if values.len() != ops.len() {
            return Err(protocol(format!(
                "{} answers to {} ops",
                values.len(),
                ops.len()
            )));
        }
        let start = replies.len();
        for (op, value) in ops.iter().zip(&values) {
            match script::decode(op, value) {
                Ok(reply) => replies.push(reply),
                Err(reason) => {
                    replies.truncate(start);
                    return Err(protocol(reason));
                }
            }
        }
        Ok(())
    }

    /// Sends a pipeline and reads its answers: one round trip.
    fn query(
        &self,
        pipe: &redis::Pipeline,
        con: &mut Connection,
    ) -> Result<Vec<Value>, StateError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        pipe.query::<Vec<Value>>(con).map_err(unavailable)
    }

    fn load_scripts(&self, con: &mut Connection) -> Result<(), StateError> {
        let mut pipe = redis::pipe();
        for s in [&SCRIPTS.cluster, &SCRIPTS.sender] {
            pipe.cmd("SCRIPT").arg("LOAD").arg(s.code);
        }
        let loaded = self.query(&pipe, con)?;
        let expected = [&SCRIPTS.cluster.hash, &SCRIPTS.sender.hash];
        for (value, hash) in loaded.iter().zip(expected) {
            match value {
                Value::BulkString(b) if b == hash.as_bytes() => {}
                other => return Err(protocol(format!("SCRIPT LOAD answered {other:?}"))),
            }
        }
        Ok(())
    }

    /// An idle connection, or a new one when the backoff allows.
    fn connection(&self) -> Result<Connection, StateError> {
        if let Some(con) = lock(&self.idle).pop() {
            return Ok(con);
        }
        // While Redis is up, workers connect side by side (a new pool at
        // start); while it is down, one attempt at a time after the backoff.
        if !self.up.load(Ordering::Relaxed) {
            let mut retry = lock(&self.retry);
            let now = Instant::now();
            if let Some(at) = retry.not_before.filter(|&at| at > now) {
                return Err(StateError::Unavailable {
                    store: "redis",
                    reason: format!(
                        "down; next connection attempt in {} ms",
                        (at - now).as_millis()
                    ),
                });
            }
            // Other workers wait for this attempt's outcome by failing
            // fast until the backoff has passed.
            retry.not_before = Some(now + retry.backoff);
        }
        match self.connect() {
            Ok(con) => {
                let mut retry = lock(&self.retry);
                retry.not_before = None;
                retry.backoff = FIRST_BACKOFF;
                self.up.store(true, Ordering::Relaxed);
                Ok(con)
            }
            Err(e) => {
                let mut retry = lock(&self.retry);
                retry.not_before = Some(Instant::now() + retry.backoff);
                retry.backoff = (retry.backoff * 2).min(self.max_backoff);
                self.down();
                Err(e)
            }
        }
    }

    fn connect(&self) -> Result<Connection, StateError> {
        let mut con = self
            .client
            .get_connection_with_timeout(self.connect_timeout)
            .map_err(unavailable)?;
        con.set_read_timeout(Some(self.response_timeout))
            .and_then(|()| con.set_write_timeout(Some(self.response_timeout)))
            .map_err(unavailable)?;
        self.load_scripts(&mut con)?;
        Ok(con)
    }

    fn put_back(&self, con: Connection) {
        lock(&self.idle).push(con);
    }

    /// A batch failed on its connection: the others are likely broken
    /// too (a restart, a failover), so all are dropped and the next batch
    /// reconnects at once.
    fn lost(&self) {
        lock(&self.idle).clear();
        lock(&self.retry).not_before = None;
        self.down();
    }

    fn down(&self) {
        if self.up.swap(false, Ordering::Relaxed) {
            self.outages.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Keys in the database and the server's memory, or `None` when Redis
    /// does not answer.
    pub(super) fn usage(&self) -> Option<StoreUsage> {
        let mut con = lock(&self.idle).pop()?;
        let mut pipe = redis::pipe();
        pipe.cmd("DBSIZE").cmd("INFO").arg("memory").arg("stats");
        let answer: Result<(u64, String), _> = pipe.query(&mut con);
        let (entries, info) = answer.ok()?;
        self.put_back(con);
        let field = |name: &str| {
            info.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        Some(StoreUsage {
            entries,
            bytes: field("used_memory"),
            evicted: field("evicted_keys"),
        })
    }
}

fn is_noscript(value: &Value) -> bool {
    matches!(value, Value::ServerError(e) if e.kind() == Some(ServerErrorKind::NoScript))
}

fn unavailable(e: redis::RedisError) -> StateError {
    StateError::Unavailable {
        store: "redis",
        reason: e.to_string(),
    }
}

fn protocol(reason: String) -> StateError {
    StateError::Protocol {
        store: "redis",
        reason,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
