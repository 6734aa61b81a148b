//! `--state` and `--state-snapshot`: where a command keeps the stream
//! state (bulk clusters, sender counters), shared by `scan`, `bench` and
//! `milter`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use floodwall::clock::Clock;
use floodwall::state::{self, EmbeddedStore, MemoryBound, StateStore};

/// The state options.
#[derive(Args, Clone, Debug, Default)]
pub struct StateArgs {
    /// Where stream state lives: `embedded` (in this process, 256 MiB at
    /// most), `embedded:SIZE` (another bound, e.g. `1G`) or
    /// `redis://HOST:PORT/DB` (shared by every process that names it).
    #[arg(long, value_name = "SPEC")]
    pub state: Option<String>,
    /// Load the embedded store from FILE at start (when it exists) and
    /// save it there at exit, so a restart does not forget a campaign in
    /// progress.
    #[arg(long, value_name = "FILE")]
    pub state_snapshot: Option<PathBuf>,
}

/// An opened store, and what to do with it at exit.
pub struct OpenState {
    /// The store the engine's services carry.
    pub store: Arc<dyn StateStore>,
    embedded: Option<Arc<EmbeddedStore>>,
    snapshot: Option<PathBuf>,
}

impl OpenState {
    /// Opens the store `spec` names (the default when `None`), loading the
    /// snapshot when one is named and exists.
    pub fn open(
        spec: Option<&str>,
        snapshot: Option<&Path>,
        clock: &dyn Clock,
    ) -> Result<OpenState, String> {
        let spec = spec.unwrap_or("embedded");
        if let Some(bound) = spec.strip_prefix("embedded") {
            let bound = match bound.strip_prefix(':') {
                Some(size) => MemoryBound {
                    bytes: parse_size(size).ok_or_else(|| {
                        format!("--state {spec}: {size:?} is not a size (e.g. 512M, 2G)")
                    })?,
                },
                None if bound.is_empty() => MemoryBound::default(),
                None => {
                    return Err(format!(
                        "--state {spec}: expected embedded, embedded:SIZE or redis://HOST:PORT/DB"
                    ))
                }
            };
            let store = match snapshot.filter(|p| p.exists()) {
                Some(path) => {
                    EmbeddedStore::load(path, bound, clock.now_ms()).map_err(|e| e.to_string())?
                }
                None => EmbeddedStore::new(bound),
            };
            let store = Arc::new(store);
            return Ok(OpenState {
                store: store.clone(),
                embedded: Some(store),
                snapshot: snapshot.map(Path::to_path_buf),
            });
        }
        if snapshot.is_some() {
            return Err(
                "--state-snapshot applies to the embedded store only (Redis keeps its own)".into(),
            );
        }
        let store = state::open(spec).map_err(|e| format!("--state {spec}: {e}"))?;
        Ok(OpenState {
            store,
            embedded: None,
            snapshot: None,
        })
    }

    /// Saves the snapshot, when one was asked for; says what it wrote.
    pub fn save(&self) -> Result<Option<(u64, PathBuf)>, String> {
        match (&self.embedded, &self.snapshot) {
            (Some(store), Some(path)) => store
                .save(path)
                .map(|n| Some((n, path.clone())))
                .map_err(|e| e.to_string()),
            _ => Ok(None),
        }
    }
}

/// `512M`, `2G`, `65536`, `64K` (powers of 1024).
fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let (digits, shift) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 10),
        (i, 'm' | 'M') => (&text[..i], 20),
        (i, 'g' | 'G') => (&text[..i], 30),
        _ => (text, 0),
    };
    digits.parse::<usize>().ok()?.checked_mul(1usize << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size(""), None);
    }
}
