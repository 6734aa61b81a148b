//! What can go wrong while the signature stage scans a message.
//!
//! Compiling is where rules fail (see [`crate::rules::RuleErrors`]); a scan
//! of compiled databases fails only when Hyperscan refuses it: scratch in
//! use by another thread, memory exhausted, or a database it no longer
//! accepts. Such a failure used to leave the rules of that database
//! silently unfired; now the scan goes on with the other engines and
//! reports the first failure, so the caller can record it.

use crate::rules::Target;

/// A signature scan that could not run every rule on a message. The
/// evidence gathered holds every rule the failed engine did not cover.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// Hyperscan refused to scan a text of `target`; the rules of the
    /// database it was scanning did not fire on that text.
    #[error("signature: Hyperscan could not scan the {target} text: {source}")]
    Hyperscan {
        /// The target whose database failed.
        target: Target,
        /// Hyperscan's error.
        #[source]
        source: hyperscan::Error,
    },
}

/// The outcome of one Hyperscan scan: a callback asking Hyperscan to stop
/// (to stop at the first match) is not a failure.
pub(super) fn scanned(result: Result<(), hyperscan::Error>) -> Result<(), hyperscan::Error> {
    match result {
        Err(hyperscan::Error::Hyperscan(hyperscan::HsError::ScanTerminated)) => Ok(()),
        other => other,
    }
}
