//! `--state` and `--state-snapshot`: where a command keeps the stream
//! state (bulk clusters, sender counters), shared by `scan`, `bench` and
//! `milter`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use floodwall::clock::Clock;
use floodwall::state::{EmbeddedStore, StateSpec, StateStore};

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
        let parsed = StateSpec::parse(spec).map_err(|e| format!("--state: {e}"))?;
        if let StateSpec::Embedded(bound) = parsed {
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
        let store = parsed.open().map_err(|e| format!("--state {spec}: {e}"))?;
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
