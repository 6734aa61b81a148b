//! Measurement-driven tuning: where each pattern runs, decided by timing
//! it. Patterns are [profiled](profile) alone on a sample text (raw-body
//! patterns on its [wire form](wire_sample)); [`split`] moves the expensive
//! ones out of the shared database behind a [gate](super::gate) or into
//! PCRE2, and hands the patterns a lazy DFA runs faster to DFAs whose
//! members [`dfa_choice`] picks. The plan changes speed only, never which
//! rules fire.

pub(in crate::stage::signature) mod dfa_choice;
pub(in crate::stage::signature) mod profile;
pub(in crate::stage::signature) mod split;
pub(in crate::stage::signature) mod wire_sample;
