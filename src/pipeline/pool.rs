//! Engine scratches kept warm from one pipeline to the next.
//!
//! A worker's scratch holds more than buffers: each lazy DFA builds its
//! states in it while it scans, and on varied mail the first pass over the
//! traffic spends much of its time building them (23% of the CPU of a
//! benchmark run with the 1,500 generated hard rules went to
//! determinization while every run started cold, in `perf`). A pipeline given a [`ScratchPool`] takes its workers' scratches
//! from it and puts them back when it finishes, so a pipeline restarted
//! with another thread count, or a benchmark's next run, starts warm.

use std::sync::{Arc, Mutex};

use crate::engine::{Engine, Scratch};

/// Scratches of one engine; cheap to clone (clones share the scratches).
#[derive(Clone)]
pub struct ScratchPool {
    engine: Arc<Engine>,
    idle: Arc<Mutex<Vec<Scratch>>>,
}

impl ScratchPool {
    /// An empty pool for scratches of `engine`.
    pub fn new(engine: &Arc<Engine>) -> ScratchPool {
        ScratchPool {
            engine: Arc::clone(engine),
            idle: Arc::default(),
        }
    }

    /// An idle scratch if `engine` is this pool's (a scratch only works
    /// with the engine that made it), else a new one; its stage timers at
    /// zero either way.
    pub(super) fn take(&self, engine: &Arc<Engine>) -> Scratch {
        let idle = Arc::ptr_eq(engine, &self.engine)
            .then(|| self.idle.lock().ok()?.pop())
            .flatten();
        let mut scratch = idle.unwrap_or_else(|| engine.scratch());
        scratch.reset_timers();
        scratch
    }

    /// Keeps `scratch` for the next pipeline, if it is of this pool's engine.
    pub(super) fn give_back(&self, engine: &Arc<Engine>, scratch: Scratch) {
        if Arc::ptr_eq(engine, &self.engine) {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(scratch);
            }
        }
    }

    /// Scratches waiting for a worker.
    pub fn idle(&self) -> usize {
        self.idle.lock().map_or(0, |idle| idle.len())
    }
}
