//! What runs per message: the compiled form of a (channel, target) group
//! and its scan ([`group`]), the texts each target reads ([`targets`]),
//! and the engines a group holds besides its Hyperscan databases: lazy DFAs
//! ([`lazy_dfa`], walked side by side by [`walk`]), PCRE2 regexes with
//! per-thread state ([`regexes`]), phrase and block lists ([`lists`]).
//! Everything here reads the stage's current plan, which is immutable, and
//! writes only a thread's scratch; [`current`] is how a thread finds the
//! plan, which the tuned plan replaces once it is built.

pub(in crate::stage::signature) mod current;
pub(in crate::stage::signature) mod group;
pub(in crate::stage::signature) mod lazy_dfa;
pub(in crate::stage::signature) mod lists;
pub(in crate::stage::signature) mod raw_headers;
pub(in crate::stage::signature) mod regexes;
pub(in crate::stage::signature) mod targets;
pub(in crate::stage::signature) mod walk;
