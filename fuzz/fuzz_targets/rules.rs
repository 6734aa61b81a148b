//! The rule-file parser (TOML, meta expressions) and compiler on arbitrary text.
#![no_main]

use floodwall::rules::RuleSet;
use floodwall::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(set) = RuleSet::from_toml("fuzz.toml", text) {
        let _ = Engine::builder(set).build();
    }
});
