//! A private `redis-server` on a free loopback port, with a directory of
//! its own and no persistence, for the Redis state-store tests and bench.
//! Installs the Debian package when the program is missing (as root).
//!
//! Dropping it kills the server. [`RedisServer::stop`] and
//! [`RedisServer::start_again`] take it away and bring it back on the same
//! port, for outage tests; [`RedisServer::pause`] freezes it (SIGSTOP), for
//! timeout tests.

// The test and the bench that include this file use different parts.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const PROGRAM: &str = "/usr/bin/redis-server";

/// One apt-get at a time, whichever test gets there first.
static INSTALL: Mutex<()> = Mutex::new(());

/// A running (or stopped) private Redis.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Installs and starts a server, or says why it cannot.
    pub fn start(name: &str) -> Result<RedisServer, String> {
        ensure_installed()?;
        let dir =
            std::env::temp_dir().join(format!("floodwall-redis-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free loopback port: {e}"))?
            .port();
        let mut server = RedisServer {
            child: None,
            port,
            dir,
        };
        server.start_again()?;
        Ok(server)
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts the server (again) on its port and waits until it answers.
    pub fn start_again(&mut self) -> Result<(), String> {
        let log = self.dir.join("redis.log");
        let child = Command::new(PROGRAM)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {PROGRAM}: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.command("PING").is_ok_and(|a| a.starts_with("+PONG")) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        self.stop();
        Err(format!(
            "redis-server on port {} did not answer PING within 10 s; its log:\n{tail}",
            self.port
        ))
    }

    /// Kills the server and waits for it to be gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Freezes (`true`) or thaws (`false`) the server: it keeps its
    /// connections but answers nothing.
    pub fn pause(&self, frozen: bool) {
        if let Some(child) = &self.child {
            let signal = if frozen { "-STOP" } else { "-CONT" };
            let _ = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status();
        }
    }

    /// Sends one inline command and returns the first answer read.
    pub fn command(&self, line: &str) -> Result<String, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .map_err(|e| e.to_string())?;
        stream
            .write_all(format!("{line}\r\n").as_bytes())
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while complete(&answer).is_none() {
            let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the connection closed mid-answer".to_string());
            }
            answer.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8_lossy(&answer).into_owned())
    }

    /// A field of `INFO`, as a number.
    pub fn info(&self, field: &str) -> Option<u64> {
        let answer = self.command("INFO memory").ok()?;
        answer
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
    }
}

/// The length of the first complete RESP answer in `bytes`, if there is one.
fn complete(bytes: &[u8]) -> Option<usize> {
    let line = bytes.windows(2).position(|w| w == b"\r\n")?;
    let header = std::str::from_utf8(&bytes[1..line]).ok()?;
    let rest = line + 2;
    match bytes.first()? {
        b'$' => {
            let len: i64 = header.parse().ok()?;
            let end = rest + usize::try_from(len).map_or(0, |n| n + 2);
            (bytes.len() >= end).then_some(end)
        }
        b'*' => {
            let mut at = rest;
            for _ in 0..header.parse::<i64>().ok()?.max(0) {
                at += complete(&bytes[at..])?;
            }
            Some(at)
        }
        _ => Some(rest),
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Installs `redis-server` when it is missing, or says why it cannot.
fn ensure_installed() -> Result<(), String> {
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if Path::new(PROGRAM).exists() {
        return Ok(());
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .map_err(|e| {
                format!("running apt-get (the Redis tests need root to install redis-server): {e}")
            })
    };
    let install = ["install", "-y", "--no-install-recommends", "redis-server"];
    let mut output = apt(&install)?;
    if !output.status.success() {
        // Stale package lists: refresh once and try again.
        apt(&["update"])?;
        output = apt(&install)?;
    }
    if !output.status.success() || !Path::new(PROGRAM).exists() {
        return Err(format!(
            "the Redis tests need {PROGRAM}: apt-get install redis-server failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}
