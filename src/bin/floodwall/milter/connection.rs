//! One MTA connection: frames in, the session's steps out, scans on the
//! pipeline's workers, PROGRESS while they run.
//!
//! Whatever a peer sends, the worst it gets is a closed connection and one
//! log line: a malformed or oversized frame, a command out of order, a
//! timeout, a disconnect mid-message. Memory per connection is bounded by
//! the largest frame plus the session's message limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use floodwall::ingest::Format;
use floodwall::milter::codec::{self, Reply};
use floodwall::milter::reply::ReplyConfig;
use floodwall::milter::session::{ScanRequest, SessionConfig, Step};
use floodwall::milter::Session;
use floodwall::pipeline::{Job, Outcome, Submitter};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{oneshot, watch};

use super::metrics::{ErrorKind, Metrics};

/// What every connection shares.
pub struct Shared {
    /// Hands scans to the pipeline's workers.
    pub submitter: Submitter,
    /// The service's counters.
    pub metrics: Arc<Metrics>,
    /// Limits and negotiation of each session.
    pub session: SessionConfig,
    /// How verdicts are answered.
    pub replies: ReplyConfig,
    /// Largest frame accepted.
    pub max_frame: u32,
    /// Accept to first frame.
    pub connect_timeout: Duration,
    /// To finish a frame once begun.
    pub read_timeout: Duration,
    /// Silence between frames.
    pub idle_timeout: Duration,
    /// PROGRESS interval while a scan runs.
    pub progress_every: Duration,
    /// The longest wait for a verdict; then the message is tempfailed.
    pub scan_timeout: Duration,
    /// Put envelope addresses in each message's log line (`log.addresses`).
    pub log_addresses: bool,
    /// Numbers each scan's job, for the logs.
    pub next_token: AtomicU64,
}

/// Why a connection ended early; logged once, counted by kind.
#[derive(Debug, thiserror::Error)]
enum Ended {
    #[error("protocol error: {0}")]
    Codec(#[from] codec::CodecError),
    #[error("protocol error: {0}")]
    Session(#[from] floodwall::milter::session::SessionError),
    #[error("no frame within {0:?}")]
    Timeout(Duration),
    #[error("peer closed the connection mid-frame or mid-message")]
    Disconnected,
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
    #[error("the scan could not be run: {0}")]
    Scan(String),
}

impl Ended {
    fn kind(&self) -> ErrorKind {
        match self {
            Ended::Codec(_) | Ended::Session(_) => ErrorKind::Protocol,
            Ended::Timeout(_) => ErrorKind::Timeout,
            Ended::Disconnected | Ended::Io(_) => ErrorKind::Io,
            Ended::Scan(_) => ErrorKind::Scan,
        }
    }
}

/// Serves one connection to its end. `shutdown` turning true closes it as
/// soon as no message is under way.
pub async fn serve<S>(stream: S, id: u64, shared: Arc<Shared>, shutdown: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    shared.metrics.connection_opened();
    match run(stream, &shared, shutdown).await {
        Ok(()) => tracing::debug!(conn = id, "milter connection closed"),
        Err(err) => {
            shared.metrics.error(err.kind());
            tracing::warn!(conn = id, error = %err, "milter connection dropped");
        }
    }
    shared.metrics.connection_closed();
}

async fn run<S>(
    mut stream: S,
    shared: &Shared,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), Ended>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut session = Session::new(shared.session.clone());
    // Grown as frames need (a 64 KiB body chunk at most per frame the MTA
    // sends) and let go between messages: an idle connection holds little.
    let mut buf: Vec<u8> = Vec::new();
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    let mut started = false;
    loop {
        // Every complete frame in the buffer, in order.
        let mut pos = 0;
        while let Some((command, used)) = codec::decode(&buf[pos..], shared.max_frame)? {
            started = true;
            let step = session.handle(command)?;
            pos += used;
            match step {
                Step::Silent => {}
                Step::Reply(reply) => send(&mut stream, &mut out, &[reply]).await?,
                Step::Scan(request) => {
                    let replies =
                        scan(&mut stream, &mut out, &mut session, *request, shared).await?;
                    send(&mut stream, &mut out, &replies).await?;
                }
                Step::Close => return Ok(()),
            }
        }
        buf.drain(..pos);
        if buf.is_empty() && buf.capacity() > IDLE_BUFFER {
            buf = Vec::new();
        }
        if *shutdown.borrow() && buf.is_empty() && !session.in_message() {
            return Ok(());
        }
        let timeout = if !started {
            shared.connect_timeout
        } else if !buf.is_empty() {
            shared.read_timeout
        } else {
            shared.idle_timeout
        };
        let between_messages = buf.is_empty() && !session.in_message();
        tokio::select! {
            read = tokio::time::timeout(timeout, read_more(&mut stream, &mut buf)) => {
                match read {
                    Err(_) => return Err(Ended::Timeout(timeout)),
                    Ok(Err(err)) => return Err(err.into()),
                    Ok(Ok(0)) if buf.is_empty() && !session.in_message() => return Ok(()),
                    Ok(Ok(0)) => return Err(Ended::Disconnected),
                    Ok(Ok(_)) => {}
                }
            }
            _ = shutdown.changed(), if between_messages && !*shutdown.borrow() => {}
        }
    }
}

/// The read buffer a connection keeps between frames; more is freed.
const IDLE_BUFFER: usize = 64 * 1024;

/// Appends what the socket has to `buf`, straight into its spare capacity
/// (no buffer on the task's stack: ten thousand idle connections must stay
/// small).
async fn read_more<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    buf.reserve(4096);
    stream.read_buf(buf).await
}

async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut Vec<u8>,
    replies: &[Reply],
) -> Result<(), Ended> {
    out.clear();
    for reply in replies {
        reply.encode(out)?;
    }
    stream.write_all(out).await?;
    Ok(())
}

/// Runs the message through the pipeline, sending PROGRESS every
/// `progress_every` until its outcome is in, and returns the replies that
/// end it.
async fn scan<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut Vec<u8>,
    session: &mut Session,
    request: ScanRequest,
    shared: &Shared,
) -> Result<Vec<Reply>, Ended> {
    let token = shared.next_token.fetch_add(1, Ordering::Relaxed);
    let truncated = request.truncated;
    let (tx, mut rx) = oneshot::channel::<Outcome>();
    let tx = Mutex::new(Some(tx));
    // Addresses go in the log only when the operator asked for them.
    let addresses = shared.log_addresses.then(|| {
        let sender = request
            .envelope
            .sender
            .as_ref()
            .map_or("", |a| a.value.as_str());
        let recipients: Vec<&str> = request
            .envelope
            .recipients
            .iter()
            .map(|a| a.value.as_str())
            .collect();
        (sender.to_string(), recipients.join(","))
    });
    let job = Job::new(request.message, Format::Eml)
        .with_envelope(request.envelope)
        .with_token(token)
        .with_truncated(truncated)
        .with_reply(move |outcome| {
            if let Some(tx) = tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = tx.send(outcome);
            }
        });
    let started = Instant::now();
    // Submit waits while the queues are full: never on the executor.
    let submitter = shared.submitter.clone();
    tokio::task::spawn_blocking(move || submitter.submit(job))
        .await
        .map_err(|err| Ended::Scan(err.to_string()))?
        .map_err(|err| Ended::Scan(err.to_string()))?;
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + shared.progress_every,
        shared.progress_every,
    );
    let deadline = tokio::time::sleep(shared.scan_timeout);
    tokio::pin!(deadline);
    let outcome = loop {
        tokio::select! {
            outcome = &mut rx => break outcome.map_err(|_| Ended::Scan("the pipeline dropped the job".into()))?,
            _ = tick.tick() => send(stream, out, &[Reply::Progress]).await?,
            // The pipeline always answers, but a verdict later than the
            // MTA will wait is worth nothing: the sender retries.
            _ = &mut deadline => {
                shared.metrics.error(ErrorKind::Scan);
                tracing::warn!(token, queue_id = ?request.context.queue_id, timeout = ?shared.scan_timeout, "no verdict in time; tempfail");
                let late = floodwall::Verdict {
                    score: 0.0,
                    action: floodwall::Action::Tempfail,
                    symbols: Vec::new(),
                };
                return Ok(session.verdict(&late, f64::INFINITY, &shared.replies)?);
            }
        }
    };
    let took = started.elapsed();
    let Some(scanned) = outcome.scanned.first() else {
        let why = outcome
            .error
            .map_or_else(|| "no message decoded".to_string(), |e| e.to_string());
        shared.metrics.error(ErrorKind::Scan);
        tracing::warn!(token, queue_id = ?request.context.queue_id, error = %why, "no verdict; tempfail");
        let replies = session.verdict(
            &floodwall::Verdict {
                score: 0.0,
                action: floodwall::Action::Tempfail,
                symbols: Vec::new(),
            },
            outcome.tag_threshold.unwrap_or(f64::INFINITY),
            &shared.replies,
        )?;
        return Ok(replies);
    };
    let verdict = &scanned.verdict;
    shared.metrics.scanned(verdict, truncated, took);
    tracing::info!(
        token,
        queue_id = request.context.queue_id.as_deref().unwrap_or("-"),
        action = verdict.action.as_str(),
        score = verdict.score,
        symbols = verdict.symbols.len(),
        bytes = request.message_size,
        truncated,
        micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        from = addresses.as_ref().map(|a| a.0.as_str()),
        to = addresses.as_ref().map(|a| a.1.as_str()),
        "scanned"
    );
    // Without a tag threshold nothing is ever tagged: show it as never met.
    let required = outcome.tag_threshold.unwrap_or(f64::INFINITY);
    Ok(session.verdict(verdict, required, &shared.replies)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use floodwall::pipeline::Pipeline;
    use floodwall::Engine;
    use tokio::io::DuplexStream;

    fn frame(code: u8, data: &[u8]) -> Vec<u8> {
        let mut out = ((data.len() + 1) as u32).to_be_bytes().to_vec();
        out.push(code);
        out.extend_from_slice(data);
        out
    }

    async fn reply(stream: &mut DuplexStream) -> Option<(u8, Vec<u8>)> {
        let mut len = [0u8; 4];
        stream.read_exact(&mut len).await.ok()?;
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
        stream.read_exact(&mut body).await.ok()?;
        Some((*body.first()?, body[1..].to_vec()))
    }

    fn engine() -> Engine {
        let dir = std::env::temp_dir().join(format!("floodwall-conn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("t.toml"),
            "[[rule]]\nid = \"T\"\ndescription = \"t\"\nscore = 6.0\ntarget = \"body\"\nkind = \"literal\"\npattern = 'tag-this-one'\n",
        )
        .expect("write");
        let engine = Engine::from_dir(&dir).expect("rules compile");
        let _ = std::fs::remove_dir_all(&dir);
        engine
    }

    /// One message from an MTA while the only worker is kept busy for
    /// 1.6 s by a job whose reply sleeps, so the milter's scan waits in the
    /// queue: the PROGRESS frames, the headers added and the final reply.
    fn mta_behind_a_busy_worker(scan_timeout: Duration) -> (usize, String, (u8, Vec<u8>)) {
        let pipeline = Pipeline::builder(engine())
            .threads(1)
            .batch(1)
            .on_result(|_| {});
        let blocker = Job::new(b"Subject: x\r\n\r\nx\r\n".to_vec(), Format::Eml)
            .with_reply(|_| std::thread::sleep(Duration::from_millis(1600)));
        pipeline.submit(blocker).expect("submit");
        let shared = Arc::new(Shared {
            submitter: pipeline.submitter(),
            metrics: Arc::new(Metrics::default()),
            session: SessionConfig::default(),
            replies: ReplyConfig::default(),
            max_frame: codec::DEFAULT_MAX_FRAME,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(5),
            progress_every: Duration::from_millis(300),
            scan_timeout,
            next_token: AtomicU64::new(1),
            log_addresses: false,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (progress, headers, last) = runtime.block_on(async {
            let (mut mta, milter) = tokio::io::duplex(1 << 16);
            let (_stop, shutdown) = watch::channel(false);
            let server = tokio::spawn(serve(milter, 1, Arc::clone(&shared), shutdown));
            let mut offer = 6u32.to_be_bytes().to_vec();
            offer.extend_from_slice(&0x1ffu32.to_be_bytes());
            offer.extend_from_slice(&0x1f_ffffu32.to_be_bytes());
            mta.write_all(&frame(b'O', &offer)).await.expect("write");
            assert_eq!(reply(&mut mta).await.expect("OPTNEG").0, b'O');
            for step in [
                frame(b'C', b"client\0U"),
                frame(b'M', b"<alice@example.org>\0"),
                frame(b'R', b"<bob@example.test>\0"),
                frame(b'L', b"Subject\0 hi\0"),
                frame(b'N', b""),
                frame(b'B', b"tag-this-one\r\n"),
                frame(b'E', b""),
            ] {
                mta.write_all(&step).await.expect("write");
            }
            let mut progress = 0;
            let mut headers = String::new();
            let last = loop {
                let (code, data) = reply(&mut mta).await.expect("a reply");
                match code {
                    b'p' => progress += 1,
                    b'c' | b'a' | b'r' | b't' | b'd' | b'y' => break (code, data),
                    b'h' | b'i' => headers.push_str(&String::from_utf8_lossy(&data)),
                    _ => {}
                }
            };
            mta.write_all(&frame(b'Q', b"")).await.expect("write");
            server.await.expect("server task");
            (progress, headers, last)
        });
        pipeline.finish();
        (progress, headers, last)
    }

    /// PROGRESS must go out while the scan waits, then the verdict.
    #[test]
    fn progress_keeps_the_mta_waiting_while_a_scan_is_queued() {
        let (progress, headers, last) = mta_behind_a_busy_worker(Duration::from_secs(60));
        assert!(progress >= 2, "{progress} PROGRESS frames");
        assert!(headers.contains("X-Spam-Flag\0YES"), "{headers:?}");
        assert_eq!(last.0, b'c');
    }

    /// No verdict within the scan timeout: a tempfail, so the sender
    /// retries, rather than a wait as long as the queue.
    #[test]
    fn a_verdict_later_than_the_scan_timeout_is_a_tempfail() {
        let (_, headers, (code, text)) = mta_behind_a_busy_worker(Duration::from_millis(700));
        assert_eq!(code, b'y', "{headers:?}");
        assert!(
            text.starts_with(b"451 4.7.1"),
            "{:?}",
            String::from_utf8_lossy(&text)
        );
        assert!(!headers.contains("X-Spam-Flag"), "{headers:?}");
    }
}
