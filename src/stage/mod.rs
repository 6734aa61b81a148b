//! Stages: each reads a [`Message`] in its [`ScanContext`] and adds
//! [`Evidence`].
//!
//! The engine runs its stages in order; a stage is one job (signatures,
//! protocol anomalies, and later bulk detection, velocity, the classifier).
//! Per-thread state (Hyperscan scratch, buffers) lives in a [`StageScratch`]
//! the stage creates once per worker, so `Stage` itself stays immutable and
//! shared across threads; state that changes across messages (counters of
//! a campaign) lives behind the [`Services`] every stage shares.
//!
//! Besides scanning one message, a stage may look at a worker's whole
//! batch first ([`Stage::prepare_batch`]: one round trip to a remote store
//! per batch rather than per message) and hear each final verdict
//! ([`Stage::on_verdict`]: a classifier learning from feedback, a bulk
//! detector counting what it decided). A stage that fails returns a
//! [`StageError`]; the engine records it in the verdict and a counter, and
//! the scan goes on with the other stages' evidence.

pub mod classifier;
pub mod context;
pub mod evidence;
pub mod protocol;
pub mod signature;
pub mod stream;

use std::any::Any;

use crate::message::Message;
use crate::policy::Verdict;

pub use context::{subscriber_of, ScanContext, Services};
pub use evidence::{Evidence, Fired};

/// A stage's per-thread working memory.
pub type StageScratch = Box<dyn Any + Send>;

/// Why a stage could not give its evidence for a message or a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    /// A shared service (a state store) did not answer in time.
    #[error("{service} unavailable: {reason}")]
    Unavailable {
        /// The service, e.g. `redis`.
        service: &'static str,
        /// What went wrong, for the log and the verdict's options.
        reason: String,
    },
    /// The stream-state store ([`crate::state`]) did not answer: the
    /// message carries `FW_STATE_UNAVAILABLE` rather than
    /// `FW_STAGE_FAILED`, so an operator's alert on store outages does not
    /// fire on other failures.
    #[error("{store} unavailable: {reason}")]
    StateUnavailable {
        /// The store's kind, e.g. `redis`.
        store: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The stage's own work failed (a matcher's scan error).
    #[error("{0}")]
    Failed(String),
    /// The stage's configuration (`[stage.NAME]` in `policy.toml`) is wrong.
    #[error("configuration: {0}")]
    Config(String),
}

/// One step of the scan. `Any` lets callers reach a stage's own API
/// through [`Engine::stage`](crate::Engine::stage).
pub trait Stage: Any + Send + Sync {
    /// Short `snake_case` name: timing counters, `bench` breakdowns, the
    /// `[stage.NAME]` table of its configuration.
    fn name(&self) -> &'static str;

    /// Working memory for one thread; reused for every message it scans.
    fn new_scratch(&self) -> StageScratch;

    /// Adds this stage's evidence about `msg`.
    fn scan(
        &self,
        msg: &Message<'_>,
        cx: &ScanContext<'_>,
        scratch: &mut StageScratch,
        evidence: &mut Evidence,
    ) -> Result<(), StageError>;

    /// Sees a batch of messages before they are scanned one by one
    /// (`batch[i]` then comes to [`scan`](Self::scan) in order). A stage
    /// that talks to a remote store fetches what the whole batch needs here.
    /// `cx.subscriber` is `None`: each message has its own.
    fn prepare_batch(
        &self,
        batch: &[Message<'_>],
        cx: &ScanContext<'_>,
        scratch: &mut StageScratch,
    ) -> Result<(), StageError> {
        let _ = (batch, cx, scratch);
        Ok(())
    }

    /// Hears the final verdict on `msg`, after every stage, the meta rules
    /// and the policy.
    fn on_verdict(
        &self,
        msg: &Message<'_>,
        cx: &ScanContext<'_>,
        verdict: &Verdict,
        scratch: &mut StageScratch,
    ) {
        let _ = (msg, cx, verdict, scratch);
    }
}
