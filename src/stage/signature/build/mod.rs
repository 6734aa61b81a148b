//! What runs once, when the stage is built: choosing an engine for each
//! pattern ([`compile`]), compiling the per-target Hyperscan databases and
//! keeping them on disk between starts ([`cache`]), and assembling each
//! (channel, target) group from the plan [tuning](super::tuning) chose
//! ([`group`]), or the [`interim`] plan that serves while that is built.
//! Nothing here runs per message.

pub(in crate::stage::signature) mod cache;
pub(in crate::stage::signature) mod compile;
pub(in crate::stage::signature) mod group;
pub(in crate::stage::signature) mod interim;
pub(in crate::stage::signature) mod syntax;
pub(in crate::stage::signature) mod warm;
