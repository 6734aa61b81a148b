//! Gates: a condition every match of a pattern needs, cheap to test, so
//! that an expensive pattern runs only on the texts that pass it. Skipping a
//! pattern whose gate is closed never changes a result.
//!
//! A gate is found in the pattern's syntax when the stage is built and
//! tested per message: [literals] one of which every match contains (seen by
//! the shared Hyperscan database), a [run of word bytes](word_run) of a
//! length every match contains (which also [narrows](narrow) the text to
//! the stretches around such runs), or a [run of equal
//! words](repeated_word) for the repeated-word idiom. [`word_bytes`] finds
//! the word runs the last two read. Which patterns are expensive enough to
//! be gated is [tuning](super::tuning)'s decision.

pub(in crate::stage::signature) mod literals;
pub(in crate::stage::signature) mod narrow;
pub(in crate::stage::signature) mod repeated_word;
pub(in crate::stage::signature) mod word_bytes;
pub(in crate::stage::signature) mod word_run;
