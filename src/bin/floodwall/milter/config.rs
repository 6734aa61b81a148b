//! The service's TOML configuration, every key optional with the default
//! documented beside it (and in `contrib/floodwall-milter.toml`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use floodwall::milter::listen::ListenAddr;

/// What `floodwall milter` runs with: the file, then the flags over it.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Milter listeners (default `["inet:8891@127.0.0.1"]`).
    pub listen: Vec<ListenAddr>,
    /// Permissions of `unix:` sockets, in octal (default `"0660"`: the
    /// service's user and group, so put the MTA's user in that group).
    pub unix_mode: String,
    /// Prometheus `/metrics` listener, `HOST:PORT` (default: none).
    pub metrics: Option<SocketAddr>,
    /// Rules directory (default: the rules built into the binary, which a
    /// SIGHUP cannot reload).
    pub rules: Option<PathBuf>,
    /// Scanning threads (default: the number of CPUs).
    pub threads: Option<usize>,
    /// Where stream state (bulk clusters, sender counters) lives:
    /// `embedded` (default), `embedded:SIZE` or `redis://HOST:PORT/DB`.
    /// Kept across SIGHUP reloads.
    pub state: Option<String>,
    /// The embedded store's snapshot: loaded at start when it exists,
    /// written at shutdown (default: none).
    pub state_snapshot: Option<PathBuf>,
    /// Sizes and counts.
    pub limits: Limits,
    /// Timeouts, in seconds.
    pub timeouts: Timeouts,
    /// How verdicts are answered.
    pub reply: ReplyTexts,
    /// What the log says.
    pub log: LogConfig,
}

/// The log (stderr, one line per event).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `error`, `warn`, `info` (default: a line per message) or `debug`.
    pub level: String,
    /// Put each message's envelope sender and recipients in its log line
    /// (default false: subscribers' addresses stay out of the log unless
    /// the operator asks; message bodies never go in).
    pub addresses: bool,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            level: "info".into(),
            addresses: false,
        }
    }
}

impl LogConfig {
    /// The level as `tracing` reads it.
    pub fn max_level(&self) -> Result<tracing::Level, String> {
        self.level.parse().map_err(|_| {
            format!(
                "log.level {:?}: expected error, warn, info or debug",
                self.level
            )
        })
    }
}

/// Sizes and counts that bound memory.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Message bytes kept for the scan; a larger message is scanned up to
    /// here and gets `FW_OVERSIZE` (default 10 MiB).
    pub max_message_bytes: usize,
    /// Largest milter frame accepted; a larger one closes the connection
    /// (default 1 MiB + 1, the largest an MTA sends with `SMFIP_MDS_1M`).
    pub max_frame_bytes: u32,
    /// MTA connections served at once; more are closed at once (default 10,000).
    pub max_connections: usize,
}

/// Timeouts of the MTA connections, in seconds.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// From accept to the MTA's first frame (default 10).
    pub connect: u64,
    /// To finish a frame once it has begun (default 30).
    pub read: u64,
    /// Between frames: a connection that says nothing this long is closed
    /// (default 300, Postfix's `milter_content_timeout`).
    pub idle: u64,
    /// A PROGRESS keep-alive after a scan has run this long, and again as
    /// often (default 5).
    pub progress: u64,
    /// The longest wait for a verdict: a message still unscanned then is
    /// answered with a tempfail, and its sender retries (default 120, below
    /// Postfix's 300-second `milter_content_timeout`).
    pub scan: u64,
    /// SIGTERM waits this long for messages in flight (default 30).
    pub shutdown: u64,
}

/// SMTP replies and the Subject prefix.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplyTexts {
    /// Reply to rejected mail (default `550 5.7.1 Message rejected as spam`).
    pub reject: Option<String>,
    /// Reply to tempfailed mail (default `451 4.7.1 Message deferred, try again later`).
    pub tempfail: Option<String>,
    /// Put in front of the Subject of tagged mail, e.g. `[SPAM]` (default none).
    pub subject_prefix: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: vec![ListenAddr::Tcp(SocketAddr::from(([127, 0, 0, 1], 8891)))],
            unix_mode: "0660".to_string(),
            metrics: None,
            rules: None,
            threads: None,
            state: None,
            state_snapshot: None,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            reply: ReplyTexts::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 10 * 1024 * 1024,
            max_frame_bytes: floodwall::milter::codec::DEFAULT_MAX_FRAME,
            max_connections: 10_000,
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: 10,
            read: 30,
            idle: 300,
            progress: 5,
            scan: 120,
            shutdown: 30,
        }
    }
}

impl Timeouts {
    /// A timeout as a duration; 0 would close every connection at once, so
    /// it counts as one second.
    pub fn secs(value: u64) -> Duration {
        Duration::from_secs(value.max(1))
    }
}

/// Why the configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong kind.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where and why.
        source: Box<toml::de::Error>,
    },
}

impl Config {
    /// [`unix_mode`](Self::unix_mode) as permission bits, or why not.
    pub fn unix_mode(&self) -> Result<u32, String> {
        u32::from_str_radix(&self.unix_mode, 8)
            .ok()
            .filter(|mode| *mode <= 0o777)
            .ok_or_else(|| {
                format!(
                    "unix_mode {:?} is not an octal permission such as \"0660\"",
                    self.unix_mode
                )
            })
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_defaults() {
        let config: Config = toml::from_str("").unwrap();
        assert_eq!(config.listen[0].to_string(), "inet:8891@127.0.0.1");
        assert_eq!(config.limits.max_message_bytes, 10 * 1024 * 1024);
        assert_eq!(config.timeouts.idle, 300);
        assert!(config.metrics.is_none());
    }

    #[test]
    fn the_shipped_example_parses_to_the_defaults_it_documents() {
        let text = include_str!("../../../../contrib/floodwall-milter.toml");
        let config: Config = toml::from_str(text).unwrap();
        let defaults = Config::default();
        assert_eq!(config.listen, defaults.listen);
        assert_eq!(
            config.limits.max_frame_bytes,
            defaults.limits.max_frame_bytes
        );
        assert_eq!(config.timeouts.progress, defaults.timeouts.progress);
        assert_eq!(config.metrics, Some("127.0.0.1:9891".parse().unwrap()));
    }

    #[test]
    fn unix_mode_is_octal_permission_bits() {
        assert_eq!(Config::default().unix_mode(), Ok(0o660));
        let config: Config = toml::from_str("unix_mode = \"0666\"").unwrap();
        assert_eq!(config.unix_mode(), Ok(0o666));
        for bad in ["\"rw\"", "\"0999\"", "\"7777\""] {
            let config: Config = toml::from_str(&format!("unix_mode = {bad}")).unwrap();
            assert!(config.unix_mode().is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_keys_and_bad_listeners_are_errors() {
        assert!(toml::from_str::<Config>("listn = []").is_err());
        let err = toml::from_str::<Config>("listen = [\"tcp:1\"]").unwrap_err();
        assert!(err.to_string().contains("inet:PORT@HOST"), "{err}");
    }
}
