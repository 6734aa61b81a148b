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
//! The I/O around them (sockets, timeouts, PROGRESS keep-alives while a scan
//! runs) belongs to the server, which drives a [`Session`] with decoded
//! commands and writes what it returns.
//!

pub mod codec;
pub mod negotiation;
