//! SpamAssassin `.cf` text through the whole import (reader, conditions,
//! Perl regexes, meta arithmetic, conversion): never a panic or a hang,
//! and every imported meta names only symbols the import defined.
#![no_main]

use std::collections::HashSet;

use floodwall::rules::spamassassin::{import_config, Config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = Config::read_text("fuzz.cf", data) else {
        return;
    };
    let import = import_config(&config);
    let defined: HashSet<&str> = import
        .rules
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .chain(import.rules.metas.iter().map(|m| m.id.as_str()))
        .collect();
    for meta in &import.rules.metas {
        for leaf in meta.expr.leaves() {
            assert!(defined.contains(leaf.as_str()), "{} reads undefined {leaf}", meta.id);
        }
    }
});
