//! A private Postfix instance on a loopback port, for the milter's
//! integration tests.
//!
//! [`Postfix::start`] installs Debian's `postfix`, `swaks` and `miltertest`
//! when they are missing (apt-get, as root), writes a configuration of its
//! own in a fresh directory (its own config, queue and data directories,
//! chroot off, the log in a file via `maillog_file`, every recipient of
//! `example.test` delivered to one Maildir) and starts the master process on
//! a free port of 127.0.0.1. Dropping it stops Postfix and removes the
//! directory (kept when the test failed, to read the log).
//!
//! Anything that stops Postfix from starting is an error with the reason
//! and the log's tail: a test that needs an MTA never passes without one.

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The domain whose mail the instance delivers to its Maildir.
pub const DOMAIN: &str = "example.test";

/// Debian packages the tests drive, each with a program that shows it is in.
const PACKAGES: [(&str, &str); 3] = [
    ("postfix", "/usr/sbin/postfix"),
    ("swaks", "/usr/bin/swaks"),
    ("miltertest", "/usr/bin/miltertest"),
];

/// One apt-get at a time, whichever test gets there first.
static INSTALL: Mutex<()> = Mutex::new(());

/// How the instance is set up.
#[derive(Clone, Debug, Default)]
pub struct PostfixConfig {
    /// `smtpd_milters`, e.g. `inet:127.0.0.1:8891`; none for plain delivery.
    pub milter: Option<String>,
    /// `milter_default_action` when the milter cannot be reached.
    pub milter_default_action: Option<String>,
    /// `milter_protocol` (Postfix's default is 6).
    pub milter_protocol: Option<u32>,
}

/// A running private Postfix. See the [module docs](self).
pub struct Postfix {
    dir: PathBuf,
    port: u16,
}

impl Postfix {
    /// Installs what is missing, configures and starts an instance, and
    /// waits until its SMTP port answers.
    pub fn start(config: &PostfixConfig) -> Result<Postfix, String> {
        ensure_installed()?;
        let dir = fresh_dir()?;
        let port = free_port()?;
        let postfix = Postfix { dir, port };
        postfix.write_config(config)?;
        let output = postfix.postfix(&["start"])?;
        if !output.status.success() {
            return Err(postfix.failure("`postfix start` failed", &output));
        }
        postfix.wait_for_smtp()?;
        Ok(postfix)
    }

    /// The SMTP listener's address.
    pub fn smtp_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The Postfix log (`maillog_file`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }

    /// Waits until the log has a line containing `needle` (Postfix logs
    /// through its postlogd service, a moment after the event).
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        while !self.log().contains(needle) {
            if start.elapsed() > timeout {
                return Err(format!(
                    "no {needle:?} in the Postfix log after {timeout:?}:\n{}",
                    tail(&self.log(), 40)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// The Maildir every `example.test` recipient is delivered to.
    pub fn maildir(&self) -> PathBuf {
        self.dir.join("mail/inbox")
    }

    /// The files of Postfix's hold queue (where quarantined mail waits).
    pub fn held(&self) -> Vec<PathBuf> {
        let mut held = Vec::new();
        let mut dirs = vec![self.dir.join("queue/hold")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    held.push(path);
                }
            }
        }
        held
    }

    /// Sends one mail with swaks: `from`, `to`, and the message (header and
    /// body, CRLF or LF line ends). Returns swaks' output; a refusal by the
    /// server is not an error here (tests check the reply).
    pub fn send(&self, from: &str, to: &str, message: &str) -> Result<Output, String> {
        let file = self.dir.join(format!("send-{}.eml", unique()));
        std::fs::write(&file, message).map_err(|e| format!("writing {}: {e}", file.display()))?;
        let port = self.port.to_string();
        let args = [
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--from",
            from,
            "--to",
            to,
            "--data",
        ];
        Command::new("swaks")
            .args(args)
            .arg(&file)
            .args(["--helo", "client.floodwall.test", "--timeout", "60"])
            .output()
            .map_err(|e| format!("running swaks: {e}"))
    }

    /// Waits until the Maildir holds `count` messages and returns them, or
    /// says what the log shows.
    pub fn wait_for_delivery(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<String>, String> {
        let new = self.maildir().join("new");
        let start = Instant::now();
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
                .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            if files.len() >= count {
                files.sort();
                return files
                    .iter()
                    .map(|f| {
                        std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))
                    })
                    .collect();
            }
            if start.elapsed() > timeout {
                return Err(format!(
                    "{} of {count} messages delivered to {} after {timeout:?}; Postfix log:\n{}",
                    files.len(),
                    new.display(),
                    tail(&self.log(), 40)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `postfix -c CONFIG args…`.
    fn postfix(&self, args: &[&str]) -> Result<Output, String> {
        Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(self.dir.join("config"))
            .args(args)
            .output()
            .map_err(|e| format!("running postfix {args:?}: {e}"))
    }

    fn write_config(&self, config: &PostfixConfig) -> Result<(), String> {
        let dir = &self.dir;
        for sub in ["config", "queue", "data", "mail"] {
            std::fs::create_dir_all(dir.join(sub))
                .map_err(|e| format!("creating {}/{sub}: {e}", dir.display()))?;
        }
        // The master's lock and the caches live in data_directory, which
        // the postfix user writes; the virtual agent delivers as `nobody`.
        let (postfix_uid, postfix_gid) = (id("-u")?, id("-g")?);
        let nobody = 65534;
        for (sub, uid, gid) in [("data", postfix_uid, postfix_gid), ("mail", nobody, nobody)] {
            std::os::unix::fs::chown(dir.join(sub), Some(uid), Some(gid))
                .map_err(|e| format!("chown {}/{sub}: {e}", dir.display()))?;
        }
        let d = dir.display();
        let mut main = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {d}/queue\n\
             data_directory = {d}/data\n\
             maillog_file = {d}/maillog\n\
             maillog_file_prefixes = {d}\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             myhostname = mx.floodwall.test\n\
             mydomain = floodwall.test\n\
             myorigin = $myhostname\n\
             mydestination =\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             mynetworks = 127.0.0.0/8\n\
             relay_domains =\n\
             alias_maps =\n\
             alias_database =\n\
             local_recipient_maps =\n\
             smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n\
             virtual_mailbox_domains = {DOMAIN}\n\
             virtual_mailbox_base = {d}/mail\n\
             virtual_mailbox_maps = static:inbox/\n\
             virtual_uid_maps = static:{nobody}\n\
             virtual_gid_maps = static:{nobody}\n\
             virtual_minimum_uid = 100\n\
             default_transport = discard\n\
             biff = no\n\
             smtputf8_enable = no\n\
             smtpd_banner = $myhostname ESMTP floodwall-test\n"
        );
        if let Some(milter) = &config.milter {
            let _ = writeln!(main, "smtpd_milters = {milter}");
        }
        if let Some(version) = config.milter_protocol {
            let _ = writeln!(main, "milter_protocol = {version}");
        }
        if let Some(action) = &config.milter_default_action {
            let _ = writeln!(main, "milter_default_action = {action}");
        }
        // master.cf of the services a delivery needs, every one unchrooted.
        let port = self.port;
        let master = format!(
            "127.0.0.1:{port} inet n - n - - smtpd\n\
             pickup    unix n - n 60 1 pickup\n\
             cleanup   unix n - n - 0 cleanup\n\
             qmgr      unix n - n 300 1 qmgr\n\
             rewrite   unix - - n - - trivial-rewrite\n\
             bounce    unix - - n - 0 bounce\n\
             defer     unix - - n - 0 bounce\n\
             trace     unix - - n - 0 bounce\n\
             verify    unix - - n - 1 verify\n\
             flush     unix n - n 1000? 0 flush\n\
             proxymap  unix - - n - - proxymap\n\
             proxywrite unix - - n - 1 proxymap\n\
             smtp      unix - - n - - smtp\n\
             relay     unix - - n - - smtp\n\
             showq     unix n - n - - showq\n\
             error     unix - - n - - error\n\
             retry     unix - - n - - error\n\
             discard   unix - - n - - discard\n\
             virtual   unix - n n - - virtual\n\
             anvil     unix - - n - 1 anvil\n\
             scache    unix - - n - 1 scache\n\
             postlog   unix-dgram n - n - 1 postlogd\n"
        );
        let config_dir = dir.join("config");
        std::fs::write(config_dir.join("main.cf"), main)
            .map_err(|e| format!("writing main.cf: {e}"))?;
        std::fs::write(config_dir.join("master.cf"), master)
            .map_err(|e| format!("writing master.cf: {e}"))?;
        Ok(())
    }

    fn wait_for_smtp(&self) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if TcpStream::connect_timeout(&self.smtp_addr(), Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "Postfix started but nothing listens on {} after 20 s; log:\n{}",
            self.smtp_addr(),
            tail(&self.log(), 40)
        ))
    }

    /// What went wrong, with Postfix's own words: it prints its fatal
    /// errors only to a terminal (or syslog), so `postfix check` runs again
    /// under `script` for them.
    fn failure(&self, what: &str, output: &Output) -> String {
        let config = self.dir.join("config");
        let check = Command::new("script")
            .args([
                "-qc",
                &format!("/usr/sbin/postfix -c {} check", config.display()),
                "/dev/null",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        format!(
            "{what} ({}):\n{}{}{check}\nlog:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            tail(&self.log(), 40)
        )
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = self.postfix(&["stop"]);
        if std::thread::panicking() {
            eprintln!(
                "Postfix test instance kept for inspection: {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Installs the packages whose programs are missing, or says why it cannot.
pub fn ensure_installed() -> Result<(), String> {
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, program)| !Path::new(program).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // apt-get needs root, and so does Postfix's master process.
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("running id: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err(format!(
            "the Postfix tests need {missing:?} installed (apt-get install {}) and must run as root",
            missing.join(" ")
        ));
    }
    // No questions, and no system-wide Postfix started by the package.
    let debconf = "postfix postfix/main_mailer_type select No configuration\n";
    let mut selections = Command::new("debconf-set-selections")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("running debconf-set-selections: {e}"))?;
    if let Some(stdin) = selections.stdin.as_mut() {
        use std::io::Write;
        let _ = stdin.write_all(debconf.as_bytes());
    }
    let _ = selections.wait();
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .map_err(|e| format!("running apt-get: {e}"))
    };
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(&missing);
    let mut output = apt(&install)?;
    if !output.status.success() {
        // Stale package lists: refresh once and try again.
        apt(&["update"])?;
        output = apt(&install)?;
    }
    if !output.status.success() {
        return Err(format!(
            "apt-get install {} failed ({}):\n{}",
            missing.join(" "),
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr), 20)
        ));
    }
    Ok(())
}

/// The postfix user's id (`-u`) or group (`-g`).
fn id(which: &str) -> Result<u32, String> {
    let output = Command::new("id")
        .args([which, "postfix"])
        .output()
        .map_err(|e| format!("running id: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            format!(
                "no postfix user ({}): is the postfix package installed?",
                output.status
            )
        })
}

fn fresh_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "floodwall-postfix-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

/// A port nobody listens on now (the kernel's pick, released at once).
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

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
