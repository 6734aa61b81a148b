//! `floodwall milter`: the mail filter service an MTA calls during SMTP.
//!
//! A thin shell over the library: [`floodwall::milter`] speaks the protocol,
//! [`floodwall::pipeline`] scans on its worker threads, and this module adds
//! only what a service needs around them: listeners, one async task per MTA
//! connection ([`connection`]), signals (SIGTERM finishes the messages in
//! flight and stops, SIGHUP reloads the rules and keeps the old ones when
//! the new ones fail), the `/metrics` endpoint ([`metrics`]) and logs.
//!
//! It lives in the binary, not the library, so that tokio and tracing are
//! dependencies of the `cli` feature only: a library user who embeds the
//! engine (or drives [`floodwall::milter::Session`] from their own server)
//! builds none of them.

mod config;
mod connection;
mod metrics;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use floodwall::engine::ReloadableEngine;
use floodwall::milter::listen::ListenAddr;
use floodwall::milter::reply::ReplyConfig;
use floodwall::milter::session::SessionConfig;
use floodwall::pipeline::Pipeline;
use floodwall::rules::RuleSet;
use floodwall::stage::Services;
use floodwall::{BuildError, Engine};
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch, Semaphore};

use config::{Config, Timeouts};
use connection::Shared;
use metrics::{ErrorKind, Metrics};

/// `floodwall milter` flags; each overrides the configuration file.
#[derive(clap::Args)]
pub struct MilterArgs {
    /// TOML configuration file (see contrib/floodwall-milter.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listener (inet:PORT@HOST, inet6:PORT@HOST, unix:/path); repeat for
    /// several. Replaces the file's `listen`.
    #[arg(long, value_name = "SPEC")]
    listen: Vec<ListenAddr>,
    /// Serve Prometheus metrics on HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    metrics: Option<SocketAddr>,
    /// Rules directory (reloaded on SIGHUP).
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// Scanning threads (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    state: crate::state::StateArgs,
    /// Log level: error, warn, info (default) or debug. Replaces the file's
    /// `log.level`.
    #[arg(long, value_name = "LEVEL")]
    log_level: Option<String>,
}

/// Runs the service until SIGTERM or SIGINT.
pub fn run(args: MilterArgs) -> ExitCode {
    let mut config = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("floodwall milter: cannot use the configuration: {err}");
                return ExitCode::from(2);
            }
        },
        None => Config::default(),
    };
    if let Some(level) = &args.log_level {
        config.log.level = level.clone();
    }
    let level = match config.log.max_level() {
        Ok(level) => level,
        Err(err) => {
            eprintln!("floodwall milter: {err}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .init();
    if !args.listen.is_empty() {
        config.listen = args.listen;
    }
    config.metrics = args.metrics.or(config.metrics);
    config.rules = args.rules.or(config.rules);
    config.threads = args.threads.or(config.threads);
    config.state = args.state.state.or(config.state);
    config.state_snapshot = args.state.state_snapshot.or(config.state_snapshot);
    let mut replies = ReplyConfig::default();
    replies.subject_prefix = config.reply.subject_prefix.clone();
    let texts = [
        (config.reply.reject.as_deref(), true),
        (config.reply.tempfail.as_deref(), false),
    ];
    for (text, reject) in texts {
        let Some(text) = text else { continue };
        let set = if reject {
            replies.set_reject(text)
        } else {
            replies.set_tempfail(text)
        };
        if let Err(err) = set {
            tracing::error!(error = %err, "cannot use the configured reply");
            return ExitCode::from(2);
        }
    }
    if let Err(err) = config.unix_mode() {
        tracing::error!(error = %err, "cannot use the configuration");
        return ExitCode::from(2);
    }
    let state = match crate::state::OpenState::open(
        config.state.as_deref(),
        config.state_snapshot.as_deref(),
        &floodwall::clock::SystemClock,
    ) {
        Ok(state) => state,
        Err(err) => {
            tracing::error!(error = %err, "cannot open the state store");
            return ExitCode::from(2);
        }
    };
    tracing::info!(store = state.store.kind(), "stream state");
    let services = Services::new().with_state(state.store.clone());
    let rules = match &config.rules {
        Some(dir) => RuleSet::load_dir(dir),
        None => RuleSet::embedded(),
    };
    let engine = rules
        .map_err(BuildError::from)
        .and_then(|rules| Engine::builder(rules).services(services).build());
    let engine = match engine {
        Ok(engine) => ReloadableEngine::new(engine),
        Err(err) => {
            tracing::error!(error = %err, "the rules failed to load");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("floodwall-io")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!(error = %err, "cannot start the I/O runtime");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(serve(config, replies, engine));
    match state.save() {
        Ok(Some((entries, path))) => {
            tracing::info!(entries, path = %path.display(), "state snapshot saved")
        }
        Ok(None) => {}
        Err(err) => tracing::error!(error = %err, "cannot save the state snapshot"),
    }
    code
}

async fn serve(config: Config, replies: ReplyConfig, engine: ReloadableEngine) -> ExitCode {
    let threads = config
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Every job carries its own reply: the pipeline's callback never runs.
    let pipeline = Pipeline::builder(engine.clone())
        .threads(threads)
        .batch(8)
        .on_result(|_| {});
    let metrics = Arc::new(Metrics::default());
    let shared = Arc::new(Shared {
        submitter: pipeline.submitter(),
        metrics: Arc::clone(&metrics),
        session: SessionConfig {
            max_message_bytes: config.limits.max_message_bytes,
            ..SessionConfig::default()
        },
        replies,
        max_frame: config.limits.max_frame_bytes,
        connect_timeout: Timeouts::secs(config.timeouts.connect),
        read_timeout: Timeouts::secs(config.timeouts.read),
        idle_timeout: Timeouts::secs(config.timeouts.idle),
        progress_every: Timeouts::secs(config.timeouts.progress),
        scan_timeout: Timeouts::secs(config.timeouts.scan),
        next_token: AtomicU64::new(1),
        log_addresses: config.log.addresses,
    });
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    tokio::spawn(watch_state(engine.clone(), shutdown_rx.clone()));
    // Each connection holds a sender; all dropped means all finished.
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    let slots = Arc::new(Semaphore::new(config.limits.max_connections.max(1)));
    let mut unix_paths = Vec::new();
    for addr in &config.listen {
        let accept = Acceptor {
            shared: Arc::clone(&shared),
            shutdown: shutdown_rx.clone(),
            alive: alive_tx.clone(),
            slots: Arc::clone(&slots),
        };
        match addr {
            ListenAddr::Tcp(socket) => match TcpListener::bind(socket).await {
                Ok(listener) => {
                    tracing::info!(listen = %addr, "milter listening");
                    tokio::spawn(accept.tcp(listener));
                }
                Err(err) => {
                    tracing::error!(listen = %addr, error = %err, "cannot listen");
                    return ExitCode::from(2);
                }
            },
            ListenAddr::Unix(path) => {
                remove_stale_socket(path);
                let bound = UnixListener::bind(path).and_then(|listener| {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = config.unix_mode().unwrap_or(0o660);
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
                    Ok(listener)
                });
                match bound {
                    Ok(listener) => {
                        tracing::info!(listen = %addr, "milter listening");
                        unix_paths.push(path.clone());
                        tokio::spawn(accept.unix(listener));
                    }
                    Err(err) => {
                        tracing::error!(listen = %addr, error = %err, "cannot listen");
                        return ExitCode::from(2);
                    }
                }
            }
        }
    }
    drop(alive_tx);
    if let Some(addr) = config.metrics {
        match metrics::bind(addr).await {
            Ok(listener) => {
                tracing::info!(%addr, "metrics listening");
                tokio::spawn(metrics::serve(listener, Arc::clone(&metrics)));
            }
            Err(err) => {
                tracing::error!(%addr, error = %err, "cannot serve metrics");
                return ExitCode::from(2);
            }
        }
    }
    if let Err(err) = wait_for_stop(&engine, config.rules.clone(), &metrics).await {
        tracing::error!(error = %err, "cannot install signal handlers");
        return ExitCode::from(1);
    }
    tracing::info!("stopping: no new connections; finishing messages in flight");
    let _ = shutdown_tx.send(true);
    let grace = Timeouts::secs(config.timeouts.shutdown);
    if tokio::time::timeout(grace, alive_rx.recv()).await.is_err() {
        tracing::warn!(
            ?grace,
            "connections still open after the grace period; closing"
        );
    }
    drop(shared);
    let stats = tokio::task::spawn_blocking(move || pipeline.finish()).await;
    for path in unix_paths {
        let _ = std::fs::remove_file(path);
    }
    match stats {
        Ok(stats) => tracing::info!(jobs = stats.jobs, messages = stats.messages, "stopped"),
        Err(err) => tracing::error!(error = %err, "the pipeline did not finish cleanly"),
    }
    ExitCode::SUCCESS
}

/// Logs one line when the state store stops answering (the scans go on
/// without stream evidence, each message carrying `FW_STATE_UNAVAILABLE`)
/// and one when it answers again: an outage is one event in the log, not a
/// line per message.
async fn watch_state(engine: ReloadableEngine, mut shutdown: watch::Receiver<bool>) {
    let mut last = engine.current().services().state.health();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let store = std::sync::Arc::clone(&engine.current().services().state);
        let now = store.health();
        if now.outages > last.outages {
            tracing::warn!(
                store = store.kind(),
                outages = now.outages,
                "state store unavailable: scanning without stream evidence until it answers"
            );
        }
        if now.up && !last.up {
            tracing::info!(
                store = store.kind(),
                failed_batches = now.failed_batches,
                "state store answers again"
            );
        }
        last = now;
    }
}

/// Serves signals until SIGTERM or SIGINT: SIGHUP reloads the rules on a
/// blocking thread, the old rules serving until the new ones are built and
/// staying when they fail.
async fn wait_for_stop(
    engine: &ReloadableEngine,
    rules: Option<PathBuf>,
    metrics: &Arc<Metrics>,
) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
            _ = hup.recv() => {
                let Some(dir) = rules.clone() else {
                    tracing::warn!("SIGHUP: the built-in rules serve; nothing to reload (start with --rules DIR)");
                    continue;
                };
                let engine = engine.clone();
                let metrics = Arc::clone(metrics);
                tokio::task::spawn_blocking(move || {
                    tracing::info!(rules = %dir.display(), "reloading rules");
                    match engine.reload(dir.clone()) {
                        Ok(()) => {
                            metrics.reload(true);
                            tracing::info!(rules = %dir.display(), generation = engine.generation(), "rules reloaded");
                        }
                        Err(err) => {
                            metrics.reload(false);
                            tracing::error!(rules = %dir.display(), error = %err, "reload failed; the old rules keep serving");
                        }
                    }
                });
            }
        }
    }
}

/// A socket file left by an earlier run would make bind fail; anything
/// else at that path is left for bind to report.
fn remove_stale_socket(path: &std::path::Path) {
    use std::os::unix::fs::FileTypeExt;
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(path);
    }
}

/// What an accept loop hands each connection.
struct Acceptor {
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    alive: mpsc::Sender<()>,
    slots: Arc<Semaphore>,
}

impl Acceptor {
    async fn tcp(mut self, listener: TcpListener) {
        let mut id = 0u64;
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = self.shutdown.changed() => return,
            };
            match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    id += 1;
                    self.spawn(stream, id);
                }
                Err(err) => self.accept_failed(err).await,
            }
        }
    }

    async fn unix(mut self, listener: UnixListener) {
        let mut id = 0u64;
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = self.shutdown.changed() => return,
            };
            match accepted {
                Ok((stream, _peer)) => {
                    id += 1;
                    self.spawn(stream, id);
                }
                Err(err) => self.accept_failed(err).await,
            }
        }
    }

    fn spawn<S>(&self, stream: S, id: u64)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() else {
            self.shared.metrics.error(ErrorKind::Overload);
            tracing::warn!(conn = id, "max_connections reached; connection closed");
            return;
        };
        let shared = Arc::clone(&self.shared);
        let shutdown = self.shutdown.clone();
        let alive = self.alive.clone();
        tokio::spawn(async move {
            connection::serve(stream, id, shared, shutdown).await;
            drop(slot);
            drop(alive);
        });
    }

    /// Out of file descriptors and the like: say so, and let it pass
    /// rather than spin.
    async fn accept_failed(&self, err: std::io::Error) {
        tracing::warn!(error = %err, "accept failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
