//! Opening a store by name.

use std::sync::Arc;

use super::{EmbeddedStore, StateError, StateStore};

/// The store `spec` names: `embedded` (the default store). Other stores
/// arrive with their backends.
pub fn open(spec: &str) -> Result<Arc<dyn StateStore>, StateError> {
    match spec {
        "embedded" => Ok(Arc::new(EmbeddedStore::default())),
        _ => Err(StateError::Unavailable {
            store: "state",
            reason: format!("{spec}: unknown store"),
        }),
    }
}
