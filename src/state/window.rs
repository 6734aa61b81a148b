//! Sliding-window counters and capped sets of recent members: the two
//! shapes every count of the stream state takes, in the embedded store and
//! in the snapshot it writes.

use super::{Window, SLOTS};

/// A count over a sliding window, kept in [`SLOTS`] slots. Adding at time
/// `t` first clears the slots that fell out of the window; a message that
/// arrives late (older than the newest slot but still inside the window)
/// is counted in its own slot; one older than the window is not counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlidingCount {
    /// Index of the newest slot: time divided by the slot length.
    newest: u64,
    counts: [u32; SLOTS as usize],
}

impl SlidingCount {
    /// Counts one event at `time_ms` and returns the count in the window
    /// that ends at the newest event seen.
    pub fn add(&mut self, window: Window, time_ms: u64) -> u32 {
        let slot = time_ms / window.slot_ms();
        if slot > self.newest {
            let gap = (slot - self.newest).min(SLOTS);
            for s in self.newest + 1..=self.newest + gap {
                self.counts[(s % SLOTS) as usize] = 0;
            }
            self.newest = slot;
        }
        if self.newest - slot < SLOTS {
            let cell = &mut self.counts[(slot % SLOTS) as usize];
            *cell = cell.saturating_add(1);
        }
        self.total()
    }

    /// The count in the window ending at the newest slot.
    pub fn total(&self) -> u32 {
        self.counts.iter().fold(0u32, |a, &c| a.saturating_add(c))
    }

    /// The slots, oldest first, and the newest slot's index: what a
    /// snapshot writes.
    pub fn parts(&self) -> (u64, [u32; SLOTS as usize]) {
        let mut ordered = [0; SLOTS as usize];
        for (i, cell) in ordered.iter_mut().enumerate() {
            let s = self.newest + 1 + i as u64;
            *cell = self.counts[(s % SLOTS) as usize];
        }
        (self.newest, ordered)
    }

    /// Rebuilds a count from [`parts`](Self::parts).
    pub fn from_parts(newest: u64, ordered: [u32; SLOTS as usize]) -> SlidingCount {
        let mut counts = [0; SLOTS as usize];
        for (i, &c) in ordered.iter().enumerate() {
            counts[((newest + 1 + i as u64) % SLOTS) as usize] = c;
        }
        SlidingCount { newest, counts }
    }
}

/// Distinct members seen within a window, exact up to a cap. Each member
/// is a 32-bit slice of its key with the second it was last seen: 8 bytes
/// a member, so a cap of 256 costs 2 KiB at most. When the set is full,
/// members older than the window go first, then the least recently seen:
/// the count then says "at least the cap".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecentSet {
    members: Vec<(u32, u32)>,
}

impl RecentSet {
    /// Adds `member` seen at `time_ms` and returns the number of distinct
    /// members seen within `window` of it.
    pub fn add(&mut self, window: Window, cap: u16, member: u64, time_ms: u64) -> u32 {
        let id = (member >> 32) as u32 ^ member as u32;
        let now = seconds(time_ms);
        let oldest = seconds(time_ms.saturating_sub(window.span_ms));
        match self.members.iter_mut().find(|(m, _)| *m == id) {
            Some((_, seen)) => *seen = (*seen).max(now),
            None => {
                if self.members.len() >= usize::from(cap.max(1)) {
                    self.members.retain(|&(_, seen)| seen > oldest);
                }
                if self.members.len() >= usize::from(cap.max(1)) {
                    if let Some(stalest) =
                        (0..self.members.len()).min_by_key(|&i| self.members[i].1)
                    {
                        self.members.swap_remove(stalest);
                    }
                }
                self.members.push((id, now));
            }
        }
        self.count_since(oldest)
    }

    /// Distinct members within `window` of `time_ms`, without adding one.
    pub fn count(&self, window: Window, time_ms: u64) -> u32 {
        self.count_since(seconds(time_ms.saturating_sub(window.span_ms)))
    }

    fn count_since(&self, oldest: u32) -> u32 {
        self.members
            .iter()
            .filter(|&&(_, seen)| seen > oldest)
            .count() as u32
    }

    /// Bytes the set holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.members.capacity() * std::mem::size_of::<(u32, u32)>()
    }

    /// The members and when each was last seen (seconds): what a snapshot
    /// writes.
    pub fn members(&self) -> &[(u32, u32)] {
        &self.members
    }

    /// Rebuilds a set from [`members`](Self::members).
    pub fn from_members(members: Vec<(u32, u32)>) -> RecentSet {
        RecentSet { members }
    }
}

/// Seconds since the epoch, saturating in 2106.
fn seconds(time_ms: u64) -> u32 {
    u32::try_from(time_ms / 1000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Window = Window::minutes(60);
    const MIN: u64 = 60_000;

    #[test]
    fn a_count_slides_out_of_its_window() {
        let mut c = SlidingCount::default();
        let t0 = 1_000 * HOUR.span_ms;
        assert_eq!(c.add(HOUR, t0), 1);
        assert_eq!(c.add(HOUR, t0 + 10 * MIN), 2);
        assert_eq!(c.add(HOUR, t0 + 30 * MIN), 3);
        // The first slot (t0) has left the window 60 minutes later.
        assert_eq!(c.add(HOUR, t0 + 60 * MIN), 3);
        assert_eq!(c.add(HOUR, t0 + 200 * MIN), 1);
    }

    #[test]
    fn a_late_message_counts_in_its_own_slot_or_not_at_all() {
        let mut c = SlidingCount::default();
        let t0 = 1_000 * HOUR.span_ms;
        c.add(HOUR, t0 + 50 * MIN);
        assert_eq!(c.add(HOUR, t0 + 20 * MIN), 2);
        assert_eq!(c.add(HOUR, t0 - 30 * MIN), 2, "older than the window");
    }

    #[test]
    fn parts_round_trip() {
        let mut c = SlidingCount::default();
        for m in [0, 7, 13, 40, 41, 59] {
            c.add(HOUR, 5 * HOUR.span_ms + m * MIN);
        }
        let (newest, parts) = c.parts();
        assert_eq!(SlidingCount::from_parts(newest, parts), c);
    }

    #[test]
    fn a_set_counts_distinct_members_in_the_window() {
        let mut s = RecentSet::default();
        let t0 = 100 * HOUR.span_ms;
        assert_eq!(s.add(HOUR, 8, 1, t0), 1);
        assert_eq!(s.add(HOUR, 8, 1, t0 + MIN), 1);
        assert_eq!(s.add(HOUR, 8, 2, t0 + 2 * MIN), 2);
        assert_eq!(
            s.add(HOUR, 8, 3, t0 + 61 * MIN),
            2,
            "member 1 left the window"
        );
    }

    #[test]
    fn a_full_set_stays_at_its_cap_and_drops_the_stalest() {
        let mut s = RecentSet::default();
        let t0 = 100 * HOUR.span_ms;
        for m in 0..1_000u64 {
            let n = s.add(HOUR, 16, m << 40, t0 + m * 1_000);
            assert!(n <= 16);
        }
        assert_eq!(s.count(HOUR, t0 + 1_000_000), 16);
        assert!(s
            .members()
            .iter()
            .all(|&(_, seen)| seen >= seconds(t0 + 984_000)));
        assert!(s.heap_bytes() <= 32 * 8);
    }
}
