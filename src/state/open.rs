//! `--state SPEC`: which store holds the stream state, as one string that
//! a flag, a configuration file and an environment variable can all carry.
//!
//! - `embedded`: the in-process store with its default memory bound;
//! - `embedded:BYTES`: the same, bounded to BYTES (`536870912`, `512M`,
//!   `512MiB`, `2G`; suffixes are binary: K = 1024);
//! - `redis://HOST:PORT/DB`: Redis (feature `redis`), with optional
//!   `?timeout_ms=..&connect_timeout_ms=..&prefix=..` (see
//!   [`RedisConfig`](super::redis::RedisConfig)).

use std::sync::Arc;

use super::{EmbeddedStore, MemoryBound, StateError, StateStore};

/// A parsed store specification (the forms are listed at [`open`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateSpec {
    /// The in-process store, bounded.
    Embedded(MemoryBound),
    /// Redis.
    #[cfg(feature = "redis")]
    Redis(super::redis::RedisConfig),
}

impl StateSpec {
    /// Parses `spec`; nothing is opened or connected.
    pub fn parse(spec: &str) -> Result<StateSpec, StateError> {
        let fail = |reason: &str| StateError::Spec {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        if spec == "embedded" {
            return Ok(StateSpec::Embedded(MemoryBound::default()));
        }
        if let Some(bytes) = spec.strip_prefix("embedded:") {
            return parse_bytes(bytes)
                .map(|bytes| StateSpec::Embedded(MemoryBound { bytes }))
                .map_err(|reason| fail(&reason));
        }
        if spec.starts_with("redis://") {
            #[cfg(feature = "redis")]
            return super::redis::RedisConfig::from_url(spec).map(StateSpec::Redis);
            #[cfg(not(feature = "redis"))]
            return Err(fail(
                "this build has no Redis store (build with the cargo feature `redis`)",
            ));
        }
        Err(fail(
            "expected `embedded`, `embedded:BYTES` (e.g. embedded:512M) or redis://HOST:PORT/DB",
        ))
    }

    /// Opens the store. Opening Redis does not connect: the first batch
    /// does, so a service starts while Redis is down and picks it up when
    /// it comes.
    pub fn open(self) -> Result<Arc<dyn StateStore>, StateError> {
        match self {
            StateSpec::Embedded(bound) => Ok(Arc::new(EmbeddedStore::new(bound))),
            #[cfg(feature = "redis")]
            StateSpec::Redis(config) => Ok(Arc::new(super::redis::RedisStore::new(config)?)),
        }
    }
}

/// Parses and opens a store specification:
///
/// - `embedded`: the in-process store with its default memory bound;
/// - `embedded:BYTES`: the same, bounded to BYTES (`536870912`, `512M`,
///   `512MiB`, `2G`; suffixes are binary: K = 1024);
/// - `redis://HOST:PORT/DB`: Redis (feature `redis`), with optional
///   `?timeout_ms=..&connect_timeout_ms=..&prefix=..`.
///
/// ```
/// let store = floodwall::state::open("embedded:64M").unwrap();
/// assert_eq!(store.kind(), "embedded");
/// assert!(floodwall::state::open("embedded:lots").is_err());
/// ```
pub fn open(spec: &str) -> Result<Arc<dyn StateStore>, StateError> {
    StateSpec::parse(spec)?.open()
}

/// A byte count with an optional binary suffix.
fn parse_bytes(text: &str) -> Result<usize, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, suffix) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a byte count (e.g. 512M)"))?;
    let shift = match suffix.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("unknown size suffix {suffix:?} (K, M, G or T)")),
    };
    let bytes = number
        .checked_mul(1 << shift)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(|| format!("{text} is more memory than this machine can address"))?;
    if bytes == 0 {
        return Err("a memory bound of zero bytes holds nothing".to_string());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_specs_parse_with_binary_suffixes() {
        let bound = |spec| match StateSpec::parse(spec) {
            Ok(StateSpec::Embedded(b)) => Some(b.bytes),
            _ => None,
        };
        assert_eq!(bound("embedded"), Some(MemoryBound::default().bytes));
        assert_eq!(bound("embedded:512M"), Some(512 << 20));
        assert_eq!(bound("embedded:512MiB"), Some(512 << 20));
        assert_eq!(bound("embedded:2g"), Some(2 << 30));
        assert_eq!(bound("embedded:4096"), Some(4096));
    }

    #[test]
    fn bad_specs_say_what_is_accepted() {
        for spec in [
            "",
            "embedded:",
            "embedded:0",
            "embedded:12X",
            "embedded:-1",
            "embedded:99999999999T",
            "memcached://x",
            "Embedded",
        ] {
            match StateSpec::parse(spec) {
                Err(StateError::Spec { reason, .. }) => assert!(!reason.is_empty()),
                other => panic!("{spec:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn open_gives_the_store_named() {
        let store = open("embedded:1M").expect("a valid spec");
        assert_eq!(store.kind(), "embedded");
    }
}
