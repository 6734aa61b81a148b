//! One MTA connection's state machine, apart from any I/O.
//!
//! A [`Session`] takes the commands [`codec::decode`](super::codec::decode)
//! reads and says what to do with each ([`Step`]): send a reply, send
//! nothing, scan a message, or close. Between OPTNEG and QUIT it gathers what
//! the MTA tells it (the client from CONNECT and macros, HELO, the envelope
//! from MAIL and RCPT, headers and body chunks) into a [`ScanRequest`]; when
//! the server has the engine's verdict it hands it to [`Session::verdict`],
//! which returns the replies that end the message.
//!
//! The commands of one SMTP connection come in a fixed order (CONNECT, HELO,
//! then per message MAIL, RCPT…, DATA, headers, EOH, body, end of body);
//! the MTA may leave out steps it was asked to skip, but never goes back
//! within a message. A command out of that order is a
//! [`SessionError::OutOfOrder`] and the server closes the connection.

use std::net::IpAddr;

use super::codec::{Command, ConnectAddress, Reply};
use super::negotiation::{Negotiated, NegotiationConfig, NegotiationError, Protocol};
use super::reply::{self, MessageHeaders, ReplyConfig, SubjectHeader};
use crate::{Address, Envelope, Verdict};

/// Limits and choices for every session of a server.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// What to ask of the MTA in OPTNEG.
    pub negotiation: NegotiationConfig,
    /// The most message bytes (headers and body) kept for the scan; a larger
    /// message is scanned up to here and its request marked
    /// [`truncated`](ScanRequest::truncated). As `IngestConfig`'s default.
    pub max_message_bytes: usize,
    /// The most recipients kept per message (Postfix's own
    /// `smtpd_recipient_limit` defaults to 1000); more are counted, not kept.
    pub max_recipients: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            negotiation: NegotiationConfig::default(),
            max_message_bytes: 10 * 1024 * 1024,
            max_recipients: 1000,
        }
    }
}

/// What the server does after a command.
#[derive(Debug)]
pub enum Step {
    /// Nothing to send: MACRO, ABORT, QUIT_NC, or a step the MTA was told
    /// not to wait on.
    Silent,
    /// Send this reply.
    Reply(Reply),
    /// End of message: scan it, then pass the verdict to
    /// [`Session::verdict`] and send the replies it returns. Send
    /// [`Reply::Progress`] meanwhile if the scan takes long.
    Scan(Box<ScanRequest>),
    /// QUIT: close the connection.
    Close,
}

/// A message ready for the engine: the SMTP envelope, the RFC 5322 bytes as
/// the MTA passed them (CRLF line ends) and what the MTA's macros said.
#[derive(Clone, Debug)]
pub struct ScanRequest {
    /// Sender, recipients, client address and HELO, from commands and macros.
    pub envelope: Envelope,
    /// The header fields as `Name: value` lines, a blank line, the body.
    pub message: Vec<u8>,
    /// The message was longer than `max_message_bytes`; `message` holds its
    /// start. The caller records it as the `Oversize` problem (`FW_OVERSIZE`).
    pub truncated: bool,
    /// How many bytes of header and body the MTA passed in all.
    pub message_size: u64,
    /// Recipients past `max_recipients`, not in the envelope.
    pub dropped_recipients: usize,
    /// Queue id, login and names, for logs and policy.
    pub context: MessageContext,
}

/// What the MTA's macros say beyond the envelope: for logs and for policy
/// that trusts authenticated senders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageContext {
    /// `i`: the MTA's queue id, the key operators grep their logs by.
    pub queue_id: Option<String>,
    /// `{auth_authen}`: the SASL login of an authenticated client.
    pub auth_authen: Option<String>,
    /// `{daemon_name}`: which of the MTA's listeners took the connection.
    pub daemon_name: Option<String>,
    /// `j`: the MTA's own host name.
    pub mta_name: Option<String>,
    /// The client's host name as the MTA resolved it (CONNECT, or `_`).
    pub client_name: Option<String>,
}

/// A command the session cannot take.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// A command the protocol does not allow where the session is.
    #[error("milter command '{}' out of order ({phase})", char::from(*.code))]
    OutOfOrder {
        /// The command byte.
        code: u8,
        /// Where the session was.
        phase: &'static str,
    },
    /// The MTA's offer cannot be answered.
    #[error(transparent)]
    Negotiation(#[from] NegotiationError),
    /// [`Session::verdict`] without a scan outstanding (or after ABORT).
    #[error("a verdict was given but no message is waiting for one")]
    NoScanPending,
}

/// Where in the connection the session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing yet: OPTNEG first.
    Negotiate,
    /// Negotiated; no CONNECT yet.
    Connect,
    /// After QUIT_NC: a new SMTP connection on this socket, with a fresh
    /// OPTNEG or straight to CONNECT.
    Reused,
    /// Connected, between messages.
    Idle,
    /// After MAIL: recipients.
    Envelope,
    /// After DATA or the first header.
    Headers,
    /// After EOH or the first body chunk.
    Body,
    /// End of body seen; the scan is out.
    AwaitVerdict,
    /// After QUIT.
    Closed,
}

impl Phase {
    fn describe(self) -> &'static str {
        match self {
            Phase::Negotiate => "before option negotiation",
            Phase::Connect => "before CONNECT",
            Phase::Reused => "after QUIT_NC",
            Phase::Idle => "between messages",
            Phase::Envelope => "in the envelope",
            Phase::Headers => "in the headers",
            Phase::Body => "in the body",
            Phase::AwaitVerdict => "while a verdict is pending",
            Phase::Closed => "after QUIT",
        }
    }
}

/// What the connection told us; kept across messages, reset by QUIT_NC.
#[derive(Debug, Default)]
struct ConnectionFacts {
    connect_addr: Option<IpAddr>,
    macro_client_addr: Option<IpAddr>,
    client_name: Option<String>,
    helo: Option<String>,
    daemon_name: Option<String>,
    mta_name: Option<String>,
}

/// How many distinct foreign `X-Spam-*` header names are remembered for
/// deletion. Each costs the MTA a header line, so a mail cannot make this
/// large cheaply; the bound keeps memory fixed whatever it sends.
const MAX_FOREIGN_NAMES: usize = 64;

/// The message under way; reset at its end or by ABORT.
#[derive(Debug, Default)]
struct MessageFacts {
    sender: Option<Address>,
    recipients: Vec<Address>,
    dropped_recipients: usize,
    /// `{mail_addr}` and `{rcpt_addr}` arrive in the MACRO before their command.
    pending_mail_addr: Option<String>,
    pending_rcpt_addr: Option<String>,
    queue_id: Option<String>,
    auth_authen: Option<String>,
    bytes: Vec<u8>,
    size: u64,
    truncated: bool,
    in_body: bool,
    skip_sent: bool,
    subject: SubjectHeader,
    /// Each foreign `X-Spam-*` name (as first spelled) and how often it occurs.
    foreign: Vec<(String, u32)>,
}

/// One MTA connection's protocol state. See the [module docs](self).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    phase: Phase,
    negotiated: Option<Negotiated>,
    connection: ConnectionFacts,
    message: MessageFacts,
}

impl Session {
    /// A session for a new MTA connection, waiting for OPTNEG.
    pub fn new(config: SessionConfig) -> Session {
        Session {
            config,
            phase: Phase::Negotiate,
            negotiated: None,
            connection: ConnectionFacts::default(),
            message: MessageFacts::default(),
        }
    }

    /// Whether a verdict is pending: the server sends PROGRESS while it is.
    pub fn awaiting_verdict(&self) -> bool {
        self.phase == Phase::AwaitVerdict
    }

    /// Whether a message is under way (from MAIL to its verdict): a server
    /// shutting down closes a connection only when none is, so that no
    /// message the MTA has begun to pass is cut off.
    pub fn in_message(&self) -> bool {
        matches!(
            self.phase,
            Phase::Envelope | Phase::Headers | Phase::Body | Phase::AwaitVerdict
        )
    }

    /// Whether QUIT was seen.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Takes one command from the MTA.
    pub fn handle(&mut self, command: Command<'_>) -> Result<Step, SessionError> {
        use Phase::*;
        let code = command.code();
        let phase = self.phase;
        let out_of_order = || SessionError::OutOfOrder {
            code,
            phase: phase.describe(),
        };
        match command {
            Command::OptNeg(offer) => {
                if !matches!(phase, Negotiate | Reused) {
                    return Err(out_of_order());
                }
                let (negotiated, answer) = Negotiated::answer(&offer, self.config.negotiation)?;
                self.negotiated = Some(negotiated);
                self.phase = Connect;
                Ok(Step::Reply(Reply::OptNeg(answer)))
            }
            Command::Macro { pairs, .. } => {
                if matches!(phase, Negotiate | AwaitVerdict | Closed) {
                    return Err(out_of_order());
                }
                for (name, value) in pairs {
                    self.macro_value(name, value);
                }
                Ok(Step::Silent)
            }
            Command::Connect { hostname, address } => {
                if !matches!(phase, Connect | Reused) {
                    return Err(out_of_order());
                }
                self.connection.client_name = Some(lossy(hostname));
                self.connection.connect_addr = match address {
                    ConnectAddress::Inet { address, .. }
                    | ConnectAddress::Inet6 { address, .. } => parse_ip(address),
                    ConnectAddress::Unix { .. } | ConnectAddress::Unknown => None,
                };
                self.phase = Idle;
                Ok(self.continue_unless(Protocol::NR_CONNECT))
            }
            Command::Helo { name } => {
                if !matches!(phase, Connect | Idle) {
                    return Err(out_of_order());
                }
                self.connection.helo = Some(lossy(name));
                self.phase = Idle;
                Ok(self.continue_unless(Protocol::NR_HELO))
            }
            Command::Mail { args } => {
                if !matches!(phase, Connect | Idle) {
                    return Err(out_of_order());
                }
                let from_macro = self.message.pending_mail_addr.take();
                let value = from_macro
                    .unwrap_or_else(|| path_address(args.first().copied().unwrap_or_default()));
                self.message.sender = Some(Address::new(value));
                self.phase = Envelope;
                Ok(self.continue_unless(Protocol::NR_MAIL))
            }
            Command::Rcpt { args } => {
                if phase != Envelope {
                    return Err(out_of_order());
                }
                let from_macro = self.message.pending_rcpt_addr.take();
                if self.message.recipients.len() < self.config.max_recipients {
                    let value = from_macro
                        .unwrap_or_else(|| path_address(args.first().copied().unwrap_or_default()));
                    self.message.recipients.push(Address::new(value));
                } else {
                    self.message.dropped_recipients += 1;
                }
                Ok(self.continue_unless(Protocol::NR_RCPT))
            }
            Command::Data => {
                if phase != Envelope {
                    return Err(out_of_order());
                }
                self.phase = Headers;
                Ok(self.continue_unless(Protocol::NR_DATA))
            }
            Command::Header { name, value } => {
                if !matches!(phase, Envelope | Headers) {
                    return Err(out_of_order());
                }
                self.header(name, value);
                self.phase = Headers;
                Ok(self.continue_unless(Protocol::NR_HEADER))
            }
            Command::EndOfHeaders => {
                if !matches!(phase, Envelope | Headers) {
                    return Err(out_of_order());
                }
                self.start_body();
                self.phase = Body;
                Ok(self.continue_unless(Protocol::NR_EOH))
            }
            Command::Body { chunk } => {
                if !matches!(phase, Envelope | Headers | Body) {
                    return Err(out_of_order());
                }
                self.start_body();
                self.append(chunk);
                self.phase = Body;
                Ok(self.body_reply())
            }
            Command::EndOfBody { chunk } => {
                if !matches!(phase, Envelope | Headers | Body) {
                    return Err(out_of_order());
                }
                self.start_body();
                self.append(chunk);
                self.phase = AwaitVerdict;
                Ok(Step::Scan(Box::new(self.scan_request())))
            }
            Command::Abort => {
                if matches!(phase, Negotiate | Closed) {
                    return Err(out_of_order());
                }
                self.message = MessageFacts::default();
                if matches!(phase, Envelope | Headers | Body | AwaitVerdict) {
                    self.phase = Idle;
                }
                Ok(Step::Silent)
            }
            Command::Unknown { .. } => {
                if !matches!(phase, Connect | Idle | Envelope | Headers) {
                    return Err(out_of_order());
                }
                Ok(self.continue_unless(Protocol::NR_UNKNOWN))
            }
            Command::Quit => {
                self.phase = Closed;
                Ok(Step::Close)
            }
            Command::QuitNewConnection => {
                if matches!(phase, Negotiate | Closed) {
                    return Err(out_of_order());
                }
                self.connection = ConnectionFacts::default();
                self.message = MessageFacts::default();
                self.phase = Reused;
                Ok(Step::Silent)
            }
        }
    }

    /// Turns the engine's verdict on the pending message into the replies
    /// that end it: header changes first, then the one final reply.
    ///
    /// `required` is the score at which mail is tagged (the engine's `tag`
    /// threshold), shown in `X-Spam-Status` as SpamAssassin does.
    pub fn verdict(
        &mut self,
        verdict: &Verdict,
        required: f64,
        config: &ReplyConfig,
    ) -> Result<Vec<Reply>, SessionError> {
        if self.phase != Phase::AwaitVerdict {
            return Err(SessionError::NoScanPending);
        }
        let negotiated = self.negotiated.expect("a message cannot end before OPTNEG");
        let headers = MessageHeaders {
            subject: &self.message.subject,
            foreign: &self.message.foreign,
        };
        let replies = reply::replies(verdict, required, &headers, negotiated.actions, config);
        self.message = MessageFacts::default();
        self.phase = Phase::Idle;
        Ok(replies)
    }

    fn continue_unless(&self, no_reply: Protocol) -> Step {
        match self.negotiated {
            Some(n) if !n.expects_reply(no_reply) => Step::Silent,
            _ => Step::Reply(Reply::Continue),
        }
    }

    /// CONTINUE, or SKIP once the message is past the limit and the MTA
    /// allows it (the rest of the body would be read only to be dropped).
    fn body_reply(&mut self) -> Step {
        let step = self.continue_unless(Protocol::NR_BODY);
        let can_skip = self
            .negotiated
            .is_some_and(|n| n.protocol.contains(Protocol::SKIP));
        if matches!(step, Step::Reply(_))
            && self.message.truncated
            && can_skip
            && !self.message.skip_sent
        {
            self.message.skip_sent = true;
            return Step::Reply(Reply::Skip);
        }
        step
    }

    fn macro_value(&mut self, name: &[u8], value: &[u8]) {
        let name = name
            .strip_prefix(b"{")
            .and_then(|n| n.strip_suffix(b"}"))
            .unwrap_or(name);
        match name {
            b"j" => self.connection.mta_name = Some(lossy(value)),
            b"daemon_name" => self.connection.daemon_name = Some(lossy(value)),
            b"client_addr" => self.connection.macro_client_addr = parse_ip(value),
            b"_" => {
                // "name [address]", perhaps with "(may be forged)" after it.
                if self.connection.macro_client_addr.is_none() {
                    let bracketed = value.iter().position(|&b| b == b'[').and_then(|open| {
                        let rest = &value[open + 1..];
                        rest.iter()
                            .position(|&b| b == b']')
                            .map(|close| &rest[..close])
                    });
                    self.connection.macro_client_addr = bracketed.and_then(parse_ip);
                }
                if self.connection.client_name.is_none() {
                    let name = value.split(|&b| b == b' ').next().unwrap_or_default();
                    self.connection.client_name = Some(lossy(name));
                }
            }
            b"i" => self.message.queue_id = Some(lossy(value)),
            b"auth_authen" => self.message.auth_authen = Some(lossy(value)),
            b"mail_addr" => self.message.pending_mail_addr = Some(lossy(value)),
            b"rcpt_addr" => self.message.pending_rcpt_addr = Some(lossy(value)),
            _ => {}
        }
    }

    fn header(&mut self, name: &[u8], value: &[u8]) {
        let message = &mut self.message;
        if name.eq_ignore_ascii_case(b"Subject") && message.subject == SubjectHeader::Missing {
            // A prefix is written back with the value; raw 8-bit text that is
            // not UTF-8 would be damaged by a lossy round trip, so it is left alone.
            message.subject = match std::str::from_utf8(value) {
                Ok(text) => SubjectHeader::Text(text.to_string()),
                Err(_) => SubjectHeader::Undecodable,
            };
        }
        if name.len() > 7 && name[..7].eq_ignore_ascii_case(b"X-Spam-") {
            let spelled = lossy(name);
            let seen = message
                .foreign
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(&spelled));
            match seen {
                Some(i) => message.foreign[i].1 = message.foreign[i].1.saturating_add(1),
                None if message.foreign.len() < MAX_FOREIGN_NAMES => {
                    message.foreign.push((spelled, 1))
                }
                None => {}
            }
        }
        self.append(name);
        self.append(b": ");
        // Folded values come with bare LF line breaks; the message has CRLF.
        let mut rest = value;
        while let Some(lf) = memchr::memchr(b'\n', rest) {
            let line = &rest[..lf];
            self.append(line.strip_suffix(b"\r").unwrap_or(line));
            self.append(b"\r\n");
            rest = &rest[lf + 1..];
        }
        self.append(rest);
        self.append(b"\r\n");
    }

    /// Ends the header section once: EOH may be skipped (we ask for that).
    fn start_body(&mut self) {
        if !self.message.in_body {
            self.message.in_body = true;
            self.append(b"\r\n");
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        let message = &mut self.message;
        message.size += bytes.len() as u64;
        let room = self
            .config
            .max_message_bytes
            .saturating_sub(message.bytes.len());
        if bytes.len() > room {
            message.truncated = true;
        }
        message
            .bytes
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn scan_request(&mut self) -> ScanRequest {
        let connection = &self.connection;
        let message = &mut self.message;
        ScanRequest {
            envelope: Envelope {
                sender: message.sender.take(),
                recipients: std::mem::take(&mut message.recipients),
                client_addr: connection.connect_addr.or(connection.macro_client_addr),
                helo: connection.helo.clone(),
                received_ms: None,
            },
            message: std::mem::take(&mut message.bytes),
            truncated: message.truncated,
            message_size: message.size,
            dropped_recipients: message.dropped_recipients,
            context: MessageContext {
                queue_id: message.queue_id.take(),
                auth_authen: message.auth_authen.take(),
                daemon_name: connection.daemon_name.clone(),
                mta_name: connection.mta_name.clone(),
                client_name: connection.client_name.clone(),
            },
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An IP address as MTAs write it: plain, in brackets, or with Sendmail's
/// `IPv6:` tag.
fn parse_ip(text: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let text = match text.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => &text[5..],
        _ => text,
    };
    text.parse().ok()
}

/// The address of an SMTP path: `<a@example.org>` is `a@example.org`, and
/// the null reverse path `<>` of a bounce an empty address.
fn path_address(path: &[u8]) -> String {
    let path = path
        .strip_prefix(b"<")
        .and_then(|p| p.strip_suffix(b">"))
        .unwrap_or(path);
    lossy(path)
}

#[cfg(test)]
mod tests;
