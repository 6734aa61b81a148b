//! Fuzzes the WAP Push decoder (the SMS port 2948 entry point).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = floodwall::ingest::mms::decode_wap_push(data);
});
