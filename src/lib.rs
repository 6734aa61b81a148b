//! floodwall: a spam and bulk-messaging filter engine for email, SMS and MMS.
//!
//! Bytes go in through [`ingest`], which decodes every channel into one
//! [`Message`]; an [`Engine`] built from a [`rules`] directory runs its
//! [`stage`]s over the message and the [`policy`] turns the evidence into a
//! [`Verdict`]: a score, the symbols that explain it, and an action.
//!
//! With the `synth` feature (on by default, through `cli`), `encode` writes
//! each channel's wire format and `workload` generates seeded traffic, for
//! tests, benchmarks and the seed files. A library user builds with
//! `default-features = false`: no encoders, no generator, and none of the
//! command's dependencies (clap, indicatif, mimalloc).
//!
//! ```
//! use floodwall::Engine;
//!
//! let engine = Engine::embedded().unwrap();
//! let mut scratch = engine.scratch();
//! let msg = floodwall::ingest::email::parse(b"Subject: lunch?\r\n\r\nSee you at noon.\r\n", engine.ingest_config());
//! let verdict = engine.scan(&msg, &mut scratch);
//! assert_eq!(verdict.action, floodwall::Action::Accept);
//! ```

#[cfg(any(test, feature = "synth"))]
pub mod encode;
pub mod engine;
pub mod ingest;
pub mod message;
pub mod pipeline;
pub mod policy;
pub mod rules;
pub mod stage;
pub mod symbols;
#[cfg(any(test, feature = "synth"))]
pub mod workload;

pub use engine::{Engine, EngineBuilder, ReloadableEngine, Scratch};
pub use message::{Address, Channel, Envelope, Message};
pub use policy::{Action, Verdict};

/// The README's Rust examples (the embedding example among them), compiled
/// and run as doc tests so that what a new user copies builds.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
