//! Whether the disk cache holds a whole tuned plan, so that a start can
//! load it at build instead of serving from the interim plan.
//!
//! The tuned plan is many cache entries (profiles, lazy-DFA choices,
//! databases), each found by its own key only once the entries before it
//! are read. Rather than walk that chain twice, a tuned build that
//! finishes leaves a marker named by the rules and the options; a start
//! that finds it loads the tuned plan at build (about 0.3 s with the
//! shipped rules). An entry evicted since only makes that build slower,
//! never wrong.

use std::path::PathBuf;

use crate::rules::RuleSet;
use crate::stage::signature::build::cache::{self, StableHash};
use crate::stage::signature::SignatureOptions;

/// Changes whenever the marker's meaning changes.
const FORMAT: &[u8] = b"tuned-plan-1";

fn marker(rules: &RuleSet, options: &SignatureOptions) -> Option<PathBuf> {
    let dir = options.cache_dir.as_ref()?;
    let mut key = cache::environment_hash();
    key.feed(FORMAT)
        .feed(&[u8::from(options.split), u8::from(options.lazy_dfa)])
        .feed(&options.expensive_above_ns.map_or(-1.0, |t| t).to_le_bytes())
        .feed(
            &options
                .sample
                .as_deref()
                .map_or_else(String::new, |s| StableHash::new().feed(s).hex())
                .into_bytes(),
        )
        .feed(format!("{:?}", rules.rules).as_bytes());
    Some(dir.join(format!("tuned-{}.ok", key.hex())))
}

/// Whether a tuned build of these rules with these options finished
/// before, with this cache.
pub(in crate::stage::signature) fn is_warm(rules: &RuleSet, options: &SignatureOptions) -> bool {
    marker(rules, options).is_some_and(|path| path.exists())
}

/// Records that the cache now holds the tuned plan.
pub(in crate::stage::signature) fn mark_warm(rules: &RuleSet, options: &SignatureOptions) {
    if let Some(path) = marker(rules, options) {
        if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
            cache::write_text(dir, &name.to_string_lossy(), "");
        }
    }
}
