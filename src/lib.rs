//! floodwall: a spam and bulk-messaging filter engine for email, SMS and MMS.
//!
//! Bytes go in through [`ingest`], which decodes every channel into one
//! [`Message`]; an [`Engine`] built from a [`rules`] directory runs its
//! [`stage`]s over the message in a scan context (the time from a [`clock`],
//! the subscriber, shared services), each stage adding weighted, explained
//! evidence; the [`policy`] turns that evidence into a [`Verdict`]: a score,
//! the [`symbols`] that explain it, and an action. A [`pipeline`] runs the
//! whole path from bytes to verdicts on many threads.
//!
//! # Embed an engine
//!
//! One engine per process, one [`Scratch`] per scanning thread:
//!
//! ```
//! use floodwall::{ingest, Action, Engine};
//!
//! let engine = Engine::embedded().expect("the shipped rules compile");
//! let mut scratch = engine.scratch();
//! let raw = b"Subject: lunch?\r\n\r\nSee you at noon.\r\n";
//! let msg = ingest::email::parse(raw, engine.ingest_config());
//! let verdict = engine.scan(&msg, &mut scratch);
//! assert_eq!(verdict.action, Action::Accept);
//! ```
//!
//! # Run a pipeline
//!
//! Wire bytes in from any thread, verdicts out in submission order:
//!
//! ```
//! use std::sync::Arc;
//! use floodwall::ingest::Format;
//! use floodwall::pipeline::{Job, Pipeline};
//! use floodwall::Engine;
//!
//! let engine = Arc::new(Engine::embedded().expect("the shipped rules compile"));
//! let (pipeline, results) = Pipeline::builder(engine).threads(2).ordered(true).with_results();
//! let gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
//! for (token, body) in [(7, "See you at noon."), (8, gtube)] {
//!     let raw = format!("Subject: hi\r\n\r\n{body}\r\n").into_bytes();
//!     pipeline.submit(Job::new(raw, Format::Eml).with_token(token)).expect("open");
//! }
//! pipeline.finish();
//! let spam: Vec<(u64, bool)> =
//!     results.iter().map(|o| (o.token, o.scanned[0].verdict.has("GTUBE"))).collect();
//! assert_eq!(spam, [(7, false), (8, true)]);
//! ```
//!
//! # Decode an SMS
//!
//! A [`ingest::Decoder`] per traffic stream: it holds the segments of
//! concatenated SMS until their siblings arrive.
//!
//! ```
//! use floodwall::ingest::{self, Decoder, Format, IngestConfig};
//! use floodwall::Channel;
//!
//! // An SMS-DELIVER TPDU, GSM 7-bit, as an SMSC hands it over (hex).
//! let hex = b"07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";
//! let mut decoder = Decoder::new(IngestConfig::default());
//! let mut messages = Vec::new();
//! for payload in ingest::split(Format::Tpdu, hex).expect("one hex line") {
//!     decoder.decode(payload, 0, &mut messages);
//! }
//! assert_eq!(messages[0].channel, Channel::Sms);
//! assert_eq!(messages[0].text_parts[0].text, "How are you?");
//! ```
//!
//! # Features
//!
//! With the `synth` feature (on by default, through `cli`), `encode` writes
//! each channel's wire format and `workload` generates seeded traffic, for
//! tests, benchmarks and the seed files. A library user builds with
//! `default-features = false`: no encoders, no generator, and none of the
//! command's dependencies (clap, indicatif, mimalloc).

#![warn(missing_docs)]

pub mod classifier;
pub mod clock;
#[cfg(any(test, feature = "synth"))]
pub mod encode;
pub mod engine;
pub mod ingest;
pub mod message;
pub mod milter;
pub mod pipeline;
pub mod policy;
pub mod rules;
pub mod stage;
pub mod state;
pub mod symbols;
#[cfg(any(test, feature = "synth"))]
pub mod workload;

pub use engine::{BuildError, Engine, EngineBuilder, ReloadableEngine, Scratch};
pub use message::{Address, Channel, Envelope, Message};
pub use policy::{Action, Verdict};

/// The README's Rust examples (the embedding example among them), compiled
/// and run as doc tests so that what a new user copies builds.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
