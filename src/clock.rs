//! The time a scan happens at, from a clock the caller can replace.
//!
//! Stream stages count messages in sliding windows and the SMS reassembler
//! times segments out, so "now" is part of a scan's input. In production it
//! is the system clock; tests and the traffic generator drive a
//! [`SimulatedClock`] instead, so that a simulated day of traffic runs in
//! seconds and a test of a one-hour window does not wait an hour.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch.
///
/// Read once per batch of messages, not per message: a batch is scanned
/// at one instant, which is as exact as windows of seconds need.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> u64;
}

/// The system's real-time clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that moves only when told to. Clones share one time.
///
/// ```
/// use std::time::Duration;
/// use floodwall::clock::{Clock, SimulatedClock};
///
/// let clock = SimulatedClock::at_ms(1_700_000_000_000);
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now_ms(), 1_700_000_090_000);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SimulatedClock {
    ms: Arc<AtomicU64>,
}

impl SimulatedClock {
    /// A clock standing at `ms` milliseconds since the epoch.
    pub fn at_ms(ms: u64) -> SimulatedClock {
        SimulatedClock {
            ms: Arc::new(AtomicU64::new(ms)),
        }
    }

    /// Sets the time (it may go backwards: a replay may restart).
    pub fn set_ms(&self, ms: u64) {
        self.ms.store(ms, Ordering::Relaxed);
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.ms.fetch_add(by, Ordering::Relaxed);
    }
}

impl Clock for SimulatedClock {
    fn now_ms(&self) -> u64 {
        self.ms.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_ms() > 1_577_836_800_000);
    }

    #[test]
    fn simulated_clones_share_one_time() {
        let clock = SimulatedClock::at_ms(5);
        let other = clock.clone();
        other.advance(Duration::from_millis(10));
        assert_eq!(clock.now_ms(), 15);
        clock.set_ms(1);
        assert_eq!(other.now_ms(), 1);
    }
}
