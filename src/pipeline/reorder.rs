//! Results back in submission order.
//!
//! Workers finish jobs out of order; the collector holds early results until
//! every earlier sequence number has been delivered. Memory is bounded by a
//! window of credits: a producer takes one before it is given a sequence
//! number and the collector returns it on delivery, so at most `window`
//! numbers are ever outstanding and a ring of `window` slots suffices.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use super::job::Outcome;

/// What the collector hears from workers and producers.
pub(super) enum Event {
    Done(Outcome),
    /// A sequence number that will never produce an outcome (a `try_submit`
    /// that found the queue full after taking its number).
    Skip(u64),
    /// Every worker has exited: deliver what is left and stop.
    End,
}

enum Slot<T> {
    Empty,
    Skipped,
    Ready(T),
}

/// A ring of `window` slots indexed by sequence number.
pub(super) struct ReorderBuffer<T> {
    slots: Vec<Slot<T>>,
    next: u64,
}

impl<T> ReorderBuffer<T> {
    pub(super) fn new(window: usize) -> ReorderBuffer<T> {
        ReorderBuffer {
            slots: (0..window.max(1)).map(|_| Slot::Empty).collect(),
            next: 0,
        }
    }

    fn slot(&mut self, seq: u64) -> &mut Slot<T> {
        let len = self.slots.len() as u64;
        assert!(
            seq >= self.next && seq - self.next < len,
            "the credit window keeps sequence numbers within the ring"
        );
        &mut self.slots[(seq % len) as usize]
    }

    /// Stores the item of `seq`; `None` marks it skipped.
    pub(super) fn insert(&mut self, seq: u64, item: Option<T>) {
        *self.slot(seq) = item.map_or(Slot::Skipped, Slot::Ready);
    }

    /// The next item in order once it is there: `Some(None)` for a skipped number.
    pub(super) fn pop(&mut self) -> Option<Option<T>> {
        let next = self.next;
        let slot = std::mem::replace(self.slot(next), Slot::Empty);
        let item = match slot {
            Slot::Empty => return None,
            Slot::Skipped => None,
            Slot::Ready(item) => Some(item),
        };
        self.next += 1;
        Some(item)
    }
}

/// The collector thread's loop: reorders outcomes, hands them to `sink`,
/// returns one credit per sequence number delivered.
pub(super) fn collect(
    events: Receiver<Event>,
    window: usize,
    credits: Sender<()>,
    sink: Arc<dyn Fn(Outcome) + Send + Sync>,
) {
    let mut buffer = ReorderBuffer::new(window);
    let mut flushed = Vec::new();
    for event in events {
        match event {
            Event::Done(outcome) => match outcome.seq {
                Some(seq) => buffer.insert(seq, Some(outcome)),
                None => flushed.push(outcome),
            },
            Event::Skip(seq) => buffer.insert(seq, None),
            Event::End => break,
        }
        while let Some(item) = buffer.pop() {
            if let Some(outcome) = item {
                outcome.deliver(&*sink);
            }
            let _ = credits.try_send(());
        }
    }
    for outcome in flushed {
        outcome.deliver(&*sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_in_order_and_passes_over_skips() {
        let mut buffer = ReorderBuffer::new(4);
        buffer.insert(2, Some("c"));
        buffer.insert(1, None);
        assert!(buffer.pop().is_none());
        buffer.insert(0, Some("a"));
        assert_eq!(buffer.pop(), Some(Some("a")));
        assert_eq!(buffer.pop(), Some(None));
        assert_eq!(buffer.pop(), Some(Some("c")));
        assert!(buffer.pop().is_none());
        buffer.insert(6, Some("g"));
        buffer.insert(3, Some("d"));
        assert_eq!(buffer.pop(), Some(Some("d")));
    }

    #[test]
    #[should_panic(expected = "credit window")]
    fn refuses_numbers_beyond_the_window() {
        let mut buffer = ReorderBuffer::new(2);
        buffer.insert(2, Some(()));
    }
}
