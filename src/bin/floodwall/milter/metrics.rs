//! What the service counts, and the Prometheus text endpoint that shows it.
//!
//! Counters are atomics that connection tasks bump without a lock; symbol
//! counts sit behind a mutex taken once per scanned message (a few hundred
//! names at most: the rule set's). The endpoint is a bare HTTP/1.0 answer to
//! `GET /metrics` on its own listener, so that a scrape never competes with
//! the MTA's port and needs no web framework.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use floodwall::{Action, Verdict};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Upper bounds of the scan latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const ACTIONS: [Action; 6] = [
    Action::Accept,
    Action::Tag,
    Action::Quarantine,
    Action::Tempfail,
    Action::Reject,
    Action::Discard,
];

/// Why a connection or message went wrong, one counter each.
#[derive(Clone, Copy, Debug)]
pub enum ErrorKind {
    /// Malformed frame or command out of order.
    Protocol,
    /// Connect, read or idle timeout.
    Timeout,
    /// A socket error or a peer gone mid-message.
    Io,
    /// The pipeline refused the job or returned no verdict.
    Scan,
    /// Over `max_connections`.
    Overload,
}

const ERROR_KINDS: [(&str, usize); 5] = [
    ("protocol", 0),
    ("timeout", 1),
    ("io", 2),
    ("scan", 3),
    ("overload", 4),
];

/// The service's counters. See the [module docs](self).
#[derive(Default)]
pub struct Metrics {
    connections_total: AtomicU64,
    connections_open: AtomicU64,
    messages: AtomicU64,
    truncated: AtomicU64,
    actions: [AtomicU64; 6],
    errors: [AtomicU64; 5],
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    symbols: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// A connection was accepted.
    pub fn connection_opened(&self) {
        self.connections_total.fetch_add(1, Ordering::Relaxed);
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection ended.
    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    /// One error of `kind`.
    pub fn error(&self, kind: ErrorKind) {
        self.errors[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// A reload finished, well or not.
    pub fn reload(&self, ok: bool) {
        let counter = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A message was scanned in `took`, from submit to verdict.
    pub fn scanned(&self, verdict: &Verdict, truncated: bool, took: Duration) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        self.truncated
            .fetch_add(u64::from(truncated), Ordering::Relaxed);
        if let Some(i) = ACTIONS.iter().position(|a| *a == verdict.action) {
            self.actions[i].fetch_add(1, Ordering::Relaxed);
        }
        let secs = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
        if !verdict.symbols.is_empty() {
            let mut symbols = self.symbols.lock().unwrap_or_else(|p| p.into_inner());
            for hit in &verdict.symbols {
                match symbols.get_mut(&*hit.name) {
                    Some(n) => *n += 1,
                    None => {
                        symbols.insert(hit.name.to_string(), 1);
                    }
                }
            }
        }
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(
                out,
                "# HELP floodwall_{name} {help}\n# TYPE floodwall_{name} {kind}"
            );
        };
        family("connections_total", "counter", "MTA connections accepted.");
        family("connections_open", "gauge", "MTA connections open now.");
        family("messages_total", "counter", "Messages scanned.");
        family(
            "messages_truncated_total",
            "counter",
            "Messages scanned up to max_message_bytes.",
        );
        family("actions_total", "counter", "Verdicts by action.");
        family(
            "errors_total",
            "counter",
            "Connections or messages ended by an error, by kind.",
        );
        family("reloads_total", "counter", "Rule reloads by result.");
        family("symbols_total", "counter", "Messages each symbol fired on.");
        family("scan_seconds", "histogram", "Time from submit to verdict.");
        let _ = writeln!(
            out,
            "floodwall_connections_total {}",
            get(&self.connections_total)
        );
        let _ = writeln!(
            out,
            "floodwall_connections_open {}",
            get(&self.connections_open)
        );
        let _ = writeln!(out, "floodwall_messages_total {}", get(&self.messages));
        let _ = writeln!(
            out,
            "floodwall_messages_truncated_total {}",
            get(&self.truncated)
        );
        for (action, n) in ACTIONS.iter().zip(&self.actions) {
            let _ = writeln!(
                out,
                "floodwall_actions_total{{action=\"{}\"}} {}",
                action.as_str(),
                get(n)
            );
        }
        for (kind, i) in ERROR_KINDS {
            let _ = writeln!(
                out,
                "floodwall_errors_total{{kind=\"{kind}\"}} {}",
                get(&self.errors[i])
            );
        }
        let _ = writeln!(
            out,
            "floodwall_reloads_total{{result=\"ok\"}} {}",
            get(&self.reloads_ok)
        );
        let _ = writeln!(
            out,
            "floodwall_reloads_total{{result=\"failed\"}} {}",
            get(&self.reloads_failed)
        );
        for (name, n) in self
            .symbols
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(out, "floodwall_symbols_total{{symbol=\"{name}\"}} {n}");
        }
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "floodwall_scan_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(out, "floodwall_scan_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = get(&self.latency_sum_micros) as f64 / 1e6;
        let _ = writeln!(out, "floodwall_scan_seconds_sum {sum}");
        let _ = writeln!(out, "floodwall_scan_seconds_count {count}");
        out
    }
}

/// Serves `GET /metrics` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((mut stream, peer)) = listener.accept().await else {
            continue;
        };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            if let Err(err) = answer(&mut stream, &metrics).await {
                tracing::debug!(%peer, error = %err, "metrics request failed");
            }
        });
    }
}

/// Reads one request head (at most 8 KiB, 5 s) and answers it.
async fn answer(stream: &mut tokio::net::TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, std::io::Error>(())
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let (status, body) = if head.starts_with(b"GET /metrics ") || head.starts_with(b"GET / ") {
        ("200 OK", metrics.render())
    } else {
        ("404 Not Found", "GET /metrics\n".to_string())
    };
    let response = format!(
        "HTTP/1.0 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// Binds the metrics listener.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_counts_actions_symbols_and_latency() {
        let metrics = Metrics::default();
        let verdict = Verdict {
            score: 7.0,
            action: Action::Tag,
            symbols: Vec::new(),
        };
        metrics.scanned(&verdict, false, Duration::from_millis(3));
        metrics.error(ErrorKind::Timeout);
        metrics.connection_opened();
        let text = metrics.render();
        assert!(text.contains("floodwall_messages_total 1\n"), "{text}");
        assert!(
            text.contains("floodwall_actions_total{action=\"tag\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("floodwall_actions_total{action=\"reject\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("floodwall_errors_total{kind=\"timeout\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("floodwall_scan_seconds_bucket{le=\"0.0025\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("floodwall_scan_seconds_bucket{le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("floodwall_scan_seconds_count 1\n"), "{text}");
        assert!(text.contains("floodwall_connections_open 1\n"), "{text}");
    }
}
