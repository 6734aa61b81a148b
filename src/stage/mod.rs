//! Stages: each reads a [`Message`] and adds [`Evidence`].
//!
//! The engine runs its stages in order; a stage is one job (signatures,
//! protocol anomalies, and later bulk detection, velocity, the classifier).
//! Per-thread state (Hyperscan scratch, buffers) lives in a [`StageScratch`]
//! the stage creates once per worker, so `Stage` itself stays immutable and
//! shared across threads.

pub mod protocol;
pub mod signature;

use std::any::Any;

use crate::message::Message;
use crate::symbols::SymbolId;

/// A stage's per-thread working memory.
pub type StageScratch = Box<dyn Any + Send>;

/// One step of the scan.
pub trait Stage: Send + Sync {
    /// Short name for timing counters and `bench` breakdowns.
    fn name(&self) -> &'static str;

    /// Working memory for one thread; reused for every message it scans.
    fn new_scratch(&self) -> StageScratch;

    /// Adds this stage's evidence about `msg`.
    fn run(&self, msg: &Message<'_>, scratch: &mut StageScratch, evidence: &mut Evidence);
}

/// The symbols fired so far for one message. Reset in time proportional to
/// what fired, not to the size of the symbol table.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    fired: Vec<bool>,
    order: Vec<SymbolId>,
}

impl Evidence {
    pub fn with_symbols(count: usize) -> Evidence {
        Evidence {
            fired: vec![false; count],
            order: Vec::new(),
        }
    }

    /// Records that a symbol fired (once per message).
    pub fn fire(&mut self, id: SymbolId) {
        let slot = &mut self.fired[id.0 as usize];
        if !*slot {
            *slot = true;
            self.order.push(id);
        }
    }

    pub fn has(&self, id: SymbolId) -> bool {
        self.fired[id.0 as usize]
    }

    /// The fired symbols, in the order they fired.
    pub fn fired(&self) -> &[SymbolId] {
        &self.order
    }

    pub fn clear(&mut self) {
        for id in self.order.drain(..) {
            self.fired[id.0 as usize] = false;
        }
    }
}
