//! Fuzzes the MMS PDU decoder: any input must give a message or a typed
//! error, never a panic or an allocation beyond the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = floodwall::ingest::mms::decode(data);
});
