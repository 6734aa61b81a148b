//! Email ingest and the whole scan on arbitrary bytes: must never panic or hang.
#![no_main]

use std::sync::OnceLock;

use floodwall::{ingest, Engine};
use libfuzzer_sys::fuzz_target;

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(|| Engine::embedded().expect("shipped rules compile"));
    let msg = ingest::email::parse(data, engine.ingest_config());
    let _ = engine.scan(&msg, &mut engine.scratch());
    for part in ingest::mbox::split(data).take(4) {
        let _ = ingest::email::parse(part, engine.ingest_config());
    }
});
