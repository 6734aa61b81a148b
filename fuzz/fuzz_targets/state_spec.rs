//! `--state` specifications on arbitrary text: a spec or a typed error,
//! never a panic; every spec that parses opens (opening Redis does not
//! connect) as the store it names.
#![no_main]

use floodwall::state::StateSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(spec) = StateSpec::parse(text) {
        let kind = match spec {
            StateSpec::Embedded(_) => "embedded",
            StateSpec::Redis(_) => "redis",
        };
        let store = spec.open().expect("a parsed spec opens");
        assert_eq!(store.kind(), kind);
    }
});
