//! Stream state: what the bulk and velocity stages remember across
//! messages, behind one trait so that nothing else knows where it lives.
//!
//! Unsolicited bulk shows only across the stream: one campaign, mutated
//! copy by copy, from many senders to many recipients. The stages that see
//! it turn each message into a few [`Op`]s ("this content sketch was seen
//! from this sender to this recipient", "this sender sent to this number")
//! and a [`StateStore`] applies a whole batch of them at once, answering
//! each with the counts the stage scores from. Ops rather than a key-value
//! API because each op must be atomic (two nodes counting one campaign
//! must not both found it) and a batch must be one round trip to a remote
//! store.
//!
//! Two stores implement it: [`EmbeddedStore`] (the default: in-process,
//! sharded, bounded, expiring by the messages' own clock) and a Redis store
//! for several nodes sharing one view. Keys are hashes ([`key`]): the store
//! never holds a subscriber's address in clear.
//!
//! Counts are kept in sliding [`Window`]s of [`SLOTS`] slots, and sets of
//! distinct members (senders, recipients) are exact up to a cap: beyond it
//! the count says "at least the cap", which is all a threshold needs.

pub mod conformance;
pub mod embedded;
pub mod key;
mod open;
#[cfg(feature = "redis")]
pub mod redis;
pub mod snapshot;
pub mod window;

use std::fmt;

pub use embedded::{EmbeddedStore, MemoryBound};
pub use open::{open, StateSpec};

/// Number of min-hash values in a content sketch.
pub const SIGNATURE_LEN: usize = 32;

/// Number of locality-sensitive bands a sketch is looked up by.
pub const BANDS: usize = 16;

/// Slots a sliding window is counted in: a count is exact to one slot
/// (a twelfth of the window) at its old end.
pub const SLOTS: u64 = 12;

/// A sliding time window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Its length in milliseconds (at least [`SLOTS`]).
    pub span_ms: u64,
}

impl Window {
    /// A window of `minutes`.
    pub const fn minutes(minutes: u64) -> Window {
        Window {
            span_ms: minutes * 60_000,
        }
    }

    /// The length of one slot.
    pub fn slot_ms(self) -> u64 {
        (self.span_ms / SLOTS).max(1)
    }
}

/// One content sketch seen once: find the campaign cluster it belongs to,
/// or found one, and count this copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterOp {
    /// When the message was received (ms since the epoch).
    pub time_ms: u64,
    /// The sketch's band keys: a cluster that shares any band with this
    /// sketch is a candidate.
    pub bands: [u64; BANDS],
    /// The sketch itself: a candidate is joined when at least
    /// `min_matches` of its founder's values equal these.
    pub signature: [u32; SIGNATURE_LEN],
    /// How many signature values must agree to join a cluster.
    pub min_matches: u8,
    /// The sender's key, where the message names one.
    pub sender: Option<u64>,
    /// The recipient's key, where the message names one.
    pub recipient: Option<u64>,
    /// The window messages are counted in; a cluster with no copy for a
    /// whole window is forgotten.
    pub window: Window,
    /// The most distinct senders and recipients counted exactly.
    pub cap: u16,
}

/// What the store knows of the cluster a [`ClusterOp`] joined or founded,
/// this copy included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterReply {
    /// The cluster's id: the key of its founding sketch.
    pub id: u64,
    /// Copies in the window.
    pub messages: u32,
    /// Distinct senders in the window (at most the op's cap).
    pub senders: u32,
    /// Distinct recipients in the window (at most the op's cap).
    pub recipients: u32,
    /// When the cluster was founded.
    pub first_seen_ms: u64,
}

/// One message from a sender key: count it, and the recipient it went to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderOp {
    /// When the message was received (ms since the epoch).
    pub time_ms: u64,
    /// The sender key (class and value, hashed: see [`key`]).
    pub key: u64,
    /// The recipient's key, where the message names one.
    pub recipient: Option<u64>,
    /// The recipient as a number (an MSISDN's digits), for the walk of
    /// adjacent numbers.
    pub recipient_number: Option<u64>,
    /// The short window (bursts).
    pub short: Window,
    /// The long window (daily volume and fan-out); also the key's lifetime.
    pub long: Window,
    /// The most distinct recipients counted exactly.
    pub cap: u16,
}

/// Largest gap between two recipient numbers that still counts as a walk
/// (a sender skipping unallocated numbers still walks).
pub const ADJACENT_GAP: u64 = 16;

/// A sender key's counts, this message included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SenderReply {
    /// Messages in the short window.
    pub short_messages: u32,
    /// Messages in the long window.
    pub long_messages: u32,
    /// Distinct recipients in the long window (at most the op's cap).
    pub recipients: u32,
    /// Length of the current walk: consecutive messages whose recipient
    /// number is within [`ADJACENT_GAP`] of the one before (1 when the
    /// last two were not adjacent).
    pub walk: u32,
}

/// One update of the stream state. Unboxed although the variants differ
/// in size: a stage keeps its batch's ops in one reused vector, and a box
/// per op would be an allocation per message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Op {
    /// A content sketch (the bulk stage).
    Cluster(ClusterOp),
    /// A sender key (the velocity stage).
    Sender(SenderOp),
}

/// The answer to one [`Op`], of the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// For [`Op::Cluster`].
    Cluster(ClusterReply),
    /// For [`Op::Sender`].
    Sender(SenderReply),
}

/// Why a store could not apply a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The store did not answer (connection refused or lost, timeout).
    #[error("{store} unavailable: {reason}")]
    Unavailable {
        /// The store's kind, e.g. `redis`.
        store: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The store answered something this version does not understand.
    #[error("{store} answered unexpectedly: {reason}")]
    Protocol {
        /// The store's kind.
        store: &'static str,
        /// What was wrong with the answer.
        reason: String,
    },
    /// A store specification (`--state`) could not be understood.
    #[error("state store {spec:?}: {reason}")]
    Spec {
        /// The specification as given.
        spec: String,
        /// What was wrong, and what is accepted.
        reason: String,
    },
    /// A snapshot file could not be read or written.
    #[error("snapshot {path}: {reason}")]
    Snapshot {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// How much a store holds, for `/metrics`, `bench` and memory bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreUsage {
    /// Keys held (band index entries, clusters, senders).
    pub entries: u64,
    /// Bytes they take, as the store accounts them.
    pub bytes: u64,
    /// Entries evicted to stay under the memory bound.
    pub evicted: u64,
}

/// Whether a store is answering, for one log line per outage and for
/// `/metrics`. An in-process store is always up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreHealth {
    /// The last batch (or connection attempt) succeeded.
    pub up: bool,
    /// Requests sent and answered, or failed: one per batch when the
    /// store is remote and healthy, zero for an in-process store.
    pub round_trips: u64,
    /// Times the store went from up to down.
    pub outages: u64,
    /// Batches that were not applied (the store was down or failed).
    pub failed_batches: u64,
}

impl Default for StoreHealth {
    fn default() -> StoreHealth {
        StoreHealth {
            up: true,
            round_trips: 0,
            outages: 0,
            failed_batches: 0,
        }
    }
}

/// Where stream state lives. Each op of a batch is applied atomically and
/// in order: a later op sees what earlier ones (of this batch, of other
/// batches, of other nodes on the same store) wrote.
pub trait StateStore: Send + Sync + fmt::Debug {
    /// The store's kind, for logs and errors (`embedded`, `redis`).
    fn kind(&self) -> &'static str;

    /// Applies `ops` in order and appends one reply per op to `replies`.
    /// On error no reply is appended and the caller goes on without
    /// stream evidence for this batch.
    fn apply(&self, ops: &[Op], replies: &mut Vec<Reply>) -> Result<(), StateError>;

    /// What the store holds now, where it can tell.
    fn usage(&self) -> StoreUsage {
        StoreUsage::default()
    }

    /// Whether the store answers, and its round trips and outages so far.
    fn health(&self) -> StoreHealth {
        StoreHealth::default()
    }
}
