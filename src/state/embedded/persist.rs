//! Saving the embedded store to a snapshot and loading it back (the format
//! is [`crate::state::snapshot`]'s).

use std::path::Path;
use std::sync::atomic::Ordering;

use super::{shard_of, EmbeddedStore, Entry, MemoryBound, Value};
use crate::state::{snapshot, StateError};

impl EmbeddedStore {
    /// Writes every live entry to `path` (through a temporary file renamed
    /// over it, so a crash mid-write leaves the old snapshot whole).
    /// Shards are written one at a time: scans go on meanwhile, and an
    /// entry they change after its shard was written keeps its older state
    /// in the file.
    pub fn save(&self, path: &Path) -> Result<u64, StateError> {
        let error = |reason: String| StateError::Snapshot {
            path: path.display().to_string(),
            reason,
        };
        let mut all: Vec<(u64, u64, u64, Value)> = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            all.extend(
                shard
                    .entries
                    .iter()
                    .map(|(&k, e)| (k, e.touched_ms, e.ttl_ms, e.value.clone())),
            );
        }
        // Oldest first across shards, so loading rebuilds the eviction order.
        all.sort_by_key(|&(_, touched, _, _)| touched);
        let mut bytes = Vec::new();
        snapshot::write(
            all.iter().map(|(k, t, ttl, v)| (*k, *t, *ttl, v)),
            &mut bytes,
        );
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes).map_err(|e| error(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| error(e.to_string()))?;
        Ok(all.len() as u64)
    }

    /// A store of `bound` holding the entries of the snapshot at `path`
    /// that are still live at `now_ms` (oldest first, so that a bound
    /// smaller than the snapshot keeps its newest entries).
    pub fn load(path: &Path, bound: MemoryBound, now_ms: u64) -> Result<EmbeddedStore, StateError> {
        let error = |reason: String| StateError::Snapshot {
            path: path.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| error(e.to_string()))?;
        EmbeddedStore::from_snapshot(&bytes, bound, now_ms).map_err(error)
    }

    /// [`load`](Self::load) from the snapshot's bytes; the error says what
    /// is wrong with them.
    pub fn from_snapshot(
        bytes: &[u8],
        bound: MemoryBound,
        now_ms: u64,
    ) -> Result<EmbeddedStore, String> {
        let records = snapshot::read(bytes)?;
        let store = EmbeddedStore::new(bound);
        for record in records {
            let entry = Entry {
                touched_ms: record.touched_ms,
                ttl_ms: record.ttl_ms,
                value: record.value,
            };
            if !entry.live(now_ms) {
                continue;
            }
            let mut shard = store.shards[shard_of(record.key)]
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            shard.bytes += entry.value.bytes();
            if let Some(old) = shard.entries.insert(record.key, entry) {
                shard.bytes = shard.bytes.saturating_sub(old.value.bytes());
            }
            let evicted = shard.evict_to(store.shard_budget);
            store.evicted.fetch_add(evicted, Ordering::Relaxed);
        }
        Ok(store)
    }
}
