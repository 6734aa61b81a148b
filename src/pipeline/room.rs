//! Back-pressure with hysteresis: a producer that finds its queue full
//! sleeps until the queue has drained to half, not until one slot is free.
//!
//! A plain blocking `send` on a full bounded channel wakes the producer for
//! every job a worker takes; under saturation (the normal state of a
//! benchmark, and of a busy SMSC feed) producer and worker then ping-pong
//! through the kernel once per job. On 200-byte SMS that cost 13% of the
//! CPU in futex wake-ups (`perf record` on `floodwall bench --channel sms`).
//! Waking at the half-way mark costs one wake-up per half queue instead.
//!
//! There is one `Room` per queue. With one for the shared queue and every
//! worker's routed queue together, a worker that drained its (empty) routed
//! queue woke the producer waiting on the shared queue, and the other way
//! round: a wake-up per batch, 5% of the worker's CPU in `futex_wake` on the
//! SMS bench, whose jobs are routed.

use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// How long a waiting producer sleeps before it looks again on its own: a
/// missed wake-up (or a worker that died) costs this much latency, never a
/// hang.
const RECHECK: Duration = Duration::from_millis(5);

/// Where producers wait for room in the queues; one per pipeline.
#[derive(Debug, Default)]
pub(super) struct Room {
    waiting: AtomicUsize,
    /// Set by the worker that woke the waiting producers, cleared by a
    /// producer that starts to wait: the worker's next batches, taken
    /// before the producers are back on a CPU, do not wake them again.
    woken: AtomicBool,
    lock: Mutex<()>,
    cond: Condvar,
}

impl Room {
    /// Sends `item`, waiting while `queue` is full; gives the item back only
    /// when every receiver is gone.
    pub(super) fn send<T>(&self, queue: &Sender<T>, mut item: T) -> Result<(), T> {
        loop {
            match queue.try_send(item) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(back)) => return Err(back),
                Err(TrySendError::Full(back)) => {
                    item = back;
                    self.wait_for_low_water(queue);
                }
            }
        }
    }

    fn wait_for_low_water<T>(&self, queue: &Sender<T>) {
        let low = low_water(queue.capacity());
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.woken.store(false, Ordering::SeqCst);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        // Pairs with the fence in `taken`: either the worker sees `waiting`,
        // or this thread sees the length after the worker's receive.
        fence(Ordering::SeqCst);
        if queue.len() > low {
            let _ = self
                .cond
                .wait_timeout(guard, RECHECK)
                .unwrap_or_else(|e| e.into_inner());
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// A worker calls this after taking jobs from `queue`: wakes the waiting
    /// producers once it is at or below the low-water mark. Returns whether
    /// it woke them.
    pub(super) fn taken<T>(&self, queue: &Receiver<T>) -> bool {
        fence(Ordering::SeqCst);
        if self.waiting.load(Ordering::SeqCst) == 0
            || queue.len() > low_water(queue.capacity())
            || self.woken.swap(true, Ordering::SeqCst)
        {
            return false;
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.cond.notify_all();
        true
    }
}

fn low_water(capacity: Option<usize>) -> usize {
    capacity.map_or(usize::MAX, |c| c / 2)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_blocked_sender_resumes_once_the_queue_drains_to_half() {
        let room = Arc::new(Room::default());
        let (tx, rx) = crossbeam_channel::bounded(8);
        for n in 0..8 {
            room.send(&tx, n).expect("room for the first eight");
        }
        let producer = {
            let room = Arc::clone(&room);
            std::thread::spawn(move || room.send(&tx, 8).map(|()| tx.len()))
        };
        let mut got = Vec::new();
        while got.len() < 9 {
            if let Ok(n) = rx.recv_timeout(Duration::from_secs(5)) {
                got.push(n);
                room.taken(&rx);
            } else {
                panic!("the producer never sent its ninth item");
            }
        }
        assert_eq!(got, (0..9).collect::<Vec<_>>());
        assert!(producer.join().expect("producer").is_ok());
    }

    #[test]
    fn a_sender_without_receivers_gets_its_item_back() {
        let room = Room::default();
        let (tx, rx) = crossbeam_channel::bounded(1);
        room.send(&tx, 1).expect("first fits");
        drop(rx);
        assert_eq!(room.send(&tx, 2), Err(2));
    }
}
