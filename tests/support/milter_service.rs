//! `floodwall milter` as a child process on free loopback ports, with a
//! rules directory of its own and its log in a file.
//!
//! Dropping it sends SIGTERM and waits; [`MilterService::stop`] does the same
//! and returns the exit status, for tests of the shutdown itself.

// Each test crate that includes this file uses only part of it.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `floodwall milter`. See the [module docs](self).
pub struct MilterService {
    child: Option<Child>,
    dir: PathBuf,
    milter: SocketAddr,
    metrics: SocketAddr,
}

impl MilterService {
    /// Starts the binary over the rules in `rules` (a directory the test
    /// owns) and waits until both its ports answer.
    pub fn start(rules: &Path) -> Result<MilterService, String> {
        MilterService::start_with(rules, "", &[])
    }

    /// As [`start`](Self::start), with `config` as its configuration file
    /// (TOML; the flags still name the TCP listener and metrics port) and
    /// more listeners (`unix:/path`).
    pub fn start_with(
        rules: &Path,
        config: &str,
        more_listeners: &[String],
    ) -> Result<MilterService, String> {
        let dir = std::env::temp_dir().join(format!(
            "floodwall-milter-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let milter = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let log = std::fs::File::create(dir.join("milter.log"))
            .map_err(|e| format!("creating the log: {e}"))?;
        let config_file = dir.join("milter.toml");
        std::fs::write(&config_file, config).map_err(|e| format!("writing the config: {e}"))?;
        let child = Command::new(env!("CARGO_BIN_EXE_floodwall"))
            .arg("milter")
            .arg("--config")
            .arg(&config_file)
            .arg("--listen")
            .arg(format!("inet:{}@{}", milter.port(), milter.ip()))
            .args(more_listeners.iter().flat_map(|l| ["--listen", l.as_str()]))
            .arg("--metrics")
            .arg(metrics.to_string())
            .arg("--rules")
            .arg(rules)
            .args(["--threads", "2"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting floodwall milter: {e}"))?;
        let mut service = MilterService {
            child: Some(child),
            dir,
            milter,
            metrics,
        };
        service.wait_for_ports()?;
        Ok(service)
    }

    /// The milter's TCP address.
    pub fn milter_addr(&self) -> SocketAddr {
        self.milter
    }

    /// `smtpd_milters` for Postfix.
    pub fn postfix_spec(&self) -> String {
        format!("inet:{}:{}", self.milter.ip(), self.milter.port())
    }

    /// What the service logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("milter.log")).unwrap_or_default()
    }

    /// Waits until the log has `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        while !self.log().contains(needle) {
            if start.elapsed() > timeout {
                return Err(format!(
                    "no {needle:?} in the milter log after {timeout:?}:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Sends a signal (`libc::SIGHUP`, …) to the service.
    pub fn signal(&self, signal: i32) {
        if let Some(child) = &self.child {
            let pid = child.id() as i32;
            // SAFETY: kill(2) on our own child's pid has no memory effects.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }

    /// The `/metrics` page.
    pub fn metrics(&self) -> Result<String, String> {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect_timeout(&self.metrics, Duration::from_secs(5))
            .map_err(|e| format!("connecting to {}: {e}", self.metrics))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\n\r\n")
            .map_err(|e| format!("writing the request: {e}"))?;
        let mut page = String::new();
        stream
            .read_to_string(&mut page)
            .map_err(|e| format!("reading /metrics: {e}"))?;
        Ok(page)
    }

    /// SIGTERM, then the exit status (killed after 60 s).
    pub fn stop(&mut self) -> Result<ExitStatus, String> {
        let Some(mut child) = self.child.take() else {
            return Err("already stopped".into());
        };
        // SAFETY: as in `signal`.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                return Ok(status);
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no exit 60 s after SIGTERM; log:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for_ports(&mut self) -> Result<(), String> {
        let start = Instant::now();
        for addr in [self.milter, self.metrics] {
            while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                if let Some(child) = self.child.as_mut() {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!(
                            "floodwall milter exited ({status}):\n{}",
                            self.log()
                        ));
                    }
                }
                if start.elapsed() > Duration::from_secs(60) {
                    return Err(format!(
                        "nothing listens on {addr} after 60 s:\n{}",
                        self.log()
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }
}

impl Drop for MilterService {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.stop();
        }
        if std::thread::panicking() {
            eprintln!("milter log:\n{}", self.log());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("binding 127.0.0.1:0: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("reading the bound port: {e}"))
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
