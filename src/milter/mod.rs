//! The milter protocol (Sendmail/Postfix mail filter, version 6): how an MTA
//! hands floodwall each message during the SMTP transaction and takes its
//! verdict back as an SMTP reply, headers or a quarantine.
//!
//! Three layers, each testable without the others (as `miltr` and libmilter
//! separate them):
//!
//! - [`codec`]: frames, the commands an MTA sends, the replies we send;
//!   bytes in and out, no state.
//! - [`session`]: one MTA connection's state machine: option negotiation
//!   ([`negotiation`]), macros into an [`Envelope`](crate::Envelope), headers
//!   and body into the message bytes, and at end of body a [`ScanRequest`]
//!   for the engine.
//! - [`reply`]: a [`Verdict`](crate::Verdict) into the replies that carry it
//!   out (tag headers, quarantine, reject with our SMTP reply, …).
//!
//! [`listen`] parses the listener addresses a server
//! and its MTA agree on (`inet:PORT@HOST`, `unix:/path`).
//!
//! The I/O around them (sockets, timeouts, PROGRESS keep-alives while a scan
//! runs) belongs to the server (`floodwall milter`), which drives a [`Session`] with decoded
//! commands and writes what it returns.
//!
//! ```
//! use floodwall::milter::codec::{self, Reply};
//! use floodwall::milter::session::{Session, SessionConfig, Step};
//!
//! let mut session = Session::new(SessionConfig::default());
//! // The MTA's OPTNEG: version 6, every action and step on offer.
//! let frame = b"\x00\x00\x00\x0dO\x00\x00\x00\x06\x00\x00\x01\xff\x00\x1f\xff\xff";
//! let (command, _used) = codec::decode(frame, codec::DEFAULT_MAX_FRAME).unwrap().unwrap();
//! let Step::Reply(Reply::OptNeg(answer)) = session.handle(command).unwrap() else { panic!() };
//! assert_eq!(answer.version, 6);
//! let mut out = Vec::new();
//! Reply::OptNeg(answer).encode(&mut out).unwrap(); // the bytes to write back
//! ```

pub mod codec;
pub mod listen;
pub mod negotiation;
pub mod reply;
pub mod session;

pub use session::{ScanRequest, Session};
