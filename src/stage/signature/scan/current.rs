//! The plan the stage scans with now, and the swap to the tuned plan.
//!
//! The interim plan serves until the background build finishes; then the
//! tuned plan replaces it while other threads are scanning. A lock per
//! message is what the pipeline must not have, so the plan sits behind a
//! lock that a scan reads only when the plan's number changed: each
//! thread's scratch holds the plan it was made for and its number, and a
//! scan compares that number with one atomic load. When they differ, the
//! thread takes the new plan and rebuilds its scratch once; in the steady
//! state a scan takes no lock and allocates nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use crate::rules::RuleErrors;

/// Every plan of every stage of the process gets its own number, so that a
/// scratch made by another stage is never taken for this one's.
static NEXT_NUMBER: AtomicU64 = AtomicU64::new(1);

/// Where the background build is.
#[derive(Clone, Debug)]
pub(in crate::stage::signature) enum TuningState {
    /// The tuned plan is being built.
    Running,
    /// The plan in use is the tuned plan (or there is no tuning to wait for).
    Done,
    /// The tuned plan failed to build; the interim plan stays.
    Failed(RuleErrors),
}

/// The current plan, its number, and the state of the tuning.
pub(in crate::stage::signature) struct Current<P> {
    number: AtomicU64,
    plan: RwLock<(u64, Arc<P>)>,
    state: Mutex<TuningState>,
    settled: Condvar,
}

impl<P> Current<P> {
    pub fn new(plan: P, state: TuningState) -> Current<P> {
        let number = NEXT_NUMBER.fetch_add(1, Ordering::Relaxed);
        Current {
            number: AtomicU64::new(number),
            plan: RwLock::new((number, Arc::new(plan))),
            state: Mutex::new(state),
            settled: Condvar::new(),
        }
    }

    /// The number of the plan in use: one atomic load.
    pub fn number(&self) -> u64 {
        self.number.load(Ordering::Acquire)
    }

    /// The plan in use and its number, read together.
    pub fn plan(&self) -> (u64, Arc<P>) {
        let guard = self.plan.read().unwrap_or_else(|e| e.into_inner());
        (guard.0, Arc::clone(&guard.1))
    }

    /// Swaps in the tuned plan (or records why there is none) and wakes
    /// whoever waits for it.
    pub fn settle(&self, tuned: Result<P, RuleErrors>) {
        let state = match tuned {
            Ok(plan) => {
                let number = NEXT_NUMBER.fetch_add(1, Ordering::Relaxed);
                let mut guard = self.plan.write().unwrap_or_else(|e| e.into_inner());
                *guard = (number, Arc::new(plan));
                self.number.store(number, Ordering::Release);
                TuningState::Done
            }
            Err(errors) => TuningState::Failed(errors),
        };
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        self.settled.notify_all();
    }

    /// The tuning state now.
    pub fn state(&self) -> TuningState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Blocks until the tuning is no longer running.
    pub fn wait(&self) -> TuningState {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while matches!(*state, TuningState::Running) {
            state = self.settled.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.clone()
    }
}
