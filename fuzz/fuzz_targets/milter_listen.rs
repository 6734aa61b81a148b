//! Fuzzes the milter listener parser (`inet:PORT@HOST`, `unix:/path`):
//! any string gives a listener or a typed error, never a panic, and a
//! listener prints back to a string that parses to the same listener.
#![no_main]

use floodwall::milter::listen::ListenAddr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(addr) = text.parse::<ListenAddr>() {
        let printed = addr.to_string();
        let again: ListenAddr = printed.parse().expect("a printed listener parses");
        assert_eq!(again, addr);
    }
});
