//! The embedded store's snapshot reader on arbitrary bytes: a typed error
//! or a store, never a panic, and a store read from any input still
//! answers ops.
#![no_main]

use floodwall::state::{EmbeddedStore, MemoryBound, Op, SenderOp, StateStore, Window};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(store) = EmbeddedStore::from_snapshot(data, MemoryBound { bytes: 1 << 20 }, 0) {
        let op = Op::Sender(SenderOp {
            time_ms: 1,
            key: 7,
            recipient: Some(9),
            recipient_number: Some(447_700_900_000),
            short: Window::minutes(1),
            long: Window::minutes(60),
            cap: 16,
        });
        let mut replies = Vec::new();
        let _ = store.apply(&[op], &mut replies);
    }
});
