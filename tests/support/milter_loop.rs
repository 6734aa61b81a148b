//! A minimal blocking milter for tests: a thread per MTA connection that
//! drives the library's codec and session and answers every message with
//! the verdict a closure picks. It checks the protocol half against a real
//! MTA before the service exists; it is not the service (no timeouts, no
//! PROGRESS, no pipeline).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use floodwall::milter::codec::{self, DEFAULT_MAX_FRAME};
use floodwall::milter::reply::ReplyConfig;
use floodwall::milter::session::{ScanRequest, Session, SessionConfig, Step};
use floodwall::{Action, Verdict};

/// Picks the verdict for a message.
pub type Judge = dyn Fn(&ScanRequest) -> Verdict + Send + Sync;

/// A listening test milter; every message it saw is kept for the test.
pub struct MilterLoop {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<ScanRequest>>>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl MilterLoop {
    pub fn start(replies: ReplyConfig, judge: Arc<Judge>) -> MilterLoop {
        let listener =
            TcpListener::bind("127.0.0.1:0").expect("bind a loopback port for the test milter");
        let addr = listener.local_addr().expect("the bound address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (seen2, errors2) = (Arc::clone(&seen), Arc::clone(&errors));
        let replies = Arc::new(replies);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, errors) = (Arc::clone(&seen2), Arc::clone(&errors2));
                let (replies, judge) = (Arc::clone(&replies), Arc::clone(&judge));
                std::thread::spawn(move || {
                    if let Err(e) = serve(stream, &replies, &*judge, &seen) {
                        errors.lock().unwrap().push(e);
                    }
                });
            }
        });
        MilterLoop { addr, seen, errors }
    }

    /// `inet:127.0.0.1:PORT`, for `smtpd_milters`.
    pub fn postfix_spec(&self) -> String {
        format!("inet:{}:{}", self.addr.ip(), self.addr.port())
    }

    /// The messages scanned so far.
    pub fn seen(&self) -> Vec<ScanRequest> {
        self.seen.lock().unwrap().clone()
    }

    /// Protocol errors on any connection.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    replies: &ReplyConfig,
    judge: &Judge,
    seen: &Mutex<Vec<ScanRequest>>,
) -> Result<(), String> {
    let mut session = Session::new(SessionConfig::default());
    let mut buf = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    let mut out = Vec::new();
    loop {
        let n = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut used_total = 0;
        while let Some((command, used)) =
            codec::decode(&buf[used_total..], DEFAULT_MAX_FRAME).map_err(|e| e.to_string())?
        {
            used_total += used;
            match session.handle(command).map_err(|e| e.to_string())? {
                Step::Silent => {}
                Step::Reply(reply) => reply.encode(&mut out).map_err(|e| e.to_string())?,
                Step::Scan(request) => {
                    let verdict = judge(&request);
                    seen.lock().unwrap().push(*request);
                    for reply in session
                        .verdict(&verdict, 5.0, replies)
                        .map_err(|e| e.to_string())?
                    {
                        reply.encode(&mut out).map_err(|e| e.to_string())?;
                    }
                }
                Step::Close => {
                    stream.write_all(&out).map_err(|e| format!("write: {e}"))?;
                    return Ok(());
                }
            }
        }
        buf.drain(..used_total);
        stream.write_all(&out).map_err(|e| format!("write: {e}"))?;
        out.clear();
    }
}

/// The verdict named in the Subject (`verdict=reject` …), accept otherwise:
/// the test milter's judge, so that each mail picks the path it tests.
pub fn verdict_by_subject(request: &ScanRequest) -> Verdict {
    let text = String::from_utf8_lossy(&request.message);
    let subject = text
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap_or_default();
    let action = [
        ("verdict=tag", Action::Tag),
        ("verdict=quarantine", Action::Quarantine),
        ("verdict=tempfail", Action::Tempfail),
        ("verdict=reject", Action::Reject),
        ("verdict=discard", Action::Discard),
    ]
    .into_iter()
    .find(|(marker, _)| subject.contains(marker))
    .map_or(Action::Accept, |(_, action)| action);
    let score = if action == Action::Accept { 0.5 } else { 7.25 };
    Verdict {
        score,
        action,
        symbols: Vec::new(),
    }
}
