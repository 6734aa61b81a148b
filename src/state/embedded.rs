//! The in-process store: the default, for one node.
//!
//! Sharded by key so that workers rarely wait on each other (a lock is
//! held for one entry's update, never across shards), bounded in memory
//! (each shard evicts its least recently touched entries, oldest first,
//! when it is over its share of the bound), and expiring by the messages'
//! own clock (an entry untouched for its window is gone), so a replayed
//! day behaves as the day did.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use hashlink::LinkedHashMap;

use super::window::{RecentSet, SlidingCount};
use super::{
    key, ClusterOp, ClusterReply, Op, Reply, SenderOp, SenderReply, StateError, StateStore,
    StoreUsage, ADJACENT_GAP, BANDS, SIGNATURE_LEN,
};

/// How much memory the embedded store may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryBound {
    /// Bytes of entries, as the store accounts them (keys, counts, sets,
    /// sketches, and a fixed allowance per entry for the map's own
    /// bookkeeping).
    pub bytes: usize,
}

impl Default for MemoryBound {
    /// 256 MiB: about a million campaign clusters, or two million senders.
    fn default() -> MemoryBound {
        MemoryBound { bytes: 256 << 20 }
    }
}

const SHARDS: usize = 64;

/// Per-entry allowance for the hash map's links and control bytes.
const ENTRY_OVERHEAD: usize = 48;

/// The in-process [`StateStore`].
#[derive(Debug)]
pub struct EmbeddedStore {
    shards: Box<[Mutex<Shard>]>,
    shard_budget: usize,
    evicted: AtomicU64,
}

#[derive(Debug, Default)]
struct Shard {
    entries: LinkedHashMap<u64, Entry>,
    bytes: usize,
}

#[derive(Debug)]
struct Entry {
    /// Last touched (ms, by the messages' clock).
    touched_ms: u64,
    /// Untouched for this long, the entry is gone.
    ttl_ms: u64,
    value: Value,
}

/// What a key holds. One map for all kinds, so that "oldest first" is one
/// order across them.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// A band of a sketch: the cluster it leads to.
    Band { cluster: u64 },
    /// A campaign cluster.
    Cluster(Box<Cluster>),
    /// A sender key.
    Sender(Box<Sender>),
}

#[derive(Clone, Debug)]
pub(crate) struct Cluster {
    pub(crate) signature: [u32; SIGNATURE_LEN],
    pub(crate) first_seen_ms: u64,
    pub(crate) messages: SlidingCount,
    pub(crate) senders: RecentSet,
    pub(crate) recipients: RecentSet,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Sender {
    pub(crate) short: SlidingCount,
    pub(crate) long: SlidingCount,
    pub(crate) recipients: RecentSet,
    pub(crate) last_number: Option<u64>,
    pub(crate) walk: u32,
}

impl Entry {
    fn live(&self, now_ms: u64) -> bool {
        self.touched_ms.saturating_add(self.ttl_ms) > now_ms
    }
}

impl Value {
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD
            + std::mem::size_of::<Entry>()
            + match self {
                Value::Band { .. } => 0,
                Value::Cluster(c) => {
                    std::mem::size_of::<Cluster>()
                        + c.senders.heap_bytes()
                        + c.recipients.heap_bytes()
                }
                Value::Sender(s) => std::mem::size_of::<Sender>() + s.recipients.heap_bytes(),
            }
    }
}

impl Default for EmbeddedStore {
    fn default() -> EmbeddedStore {
        EmbeddedStore::new(MemoryBound::default())
    }
}

impl EmbeddedStore {
    /// An empty store that holds at most `bound`.
    pub fn new(bound: MemoryBound) -> EmbeddedStore {
        EmbeddedStore {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_budget: (bound.bytes / SHARDS).max(1),
            evicted: AtomicU64::new(0),
        }
    }

    /// Runs `f` on the live entry under `key`, creating it with `make`
    /// when absent (or expired) and `make` gives one. `f` says whether it
    /// touched the entry: a touched entry lives another ttl and moves to
    /// the young end. Then the shard evicts its oldest entries while it is
    /// over budget.
    fn with_entry<R>(
        &self,
        key: u64,
        now_ms: u64,
        make: impl FnOnce() -> Option<(u64, Value)>,
        f: impl FnOnce(&mut Entry) -> (R, bool),
    ) -> Option<R> {
        let mut shard = self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shard.expire(now_ms);
        if shard.entries.get(&key).is_some_and(|e| !e.live(now_ms)) {
            shard.remove(key);
        }
        let (result, touched, before) = match shard.entries.get_mut(&key) {
            Some(entry) => {
                let before = entry.value.bytes();
                let (result, touched) = f(entry);
                (result, touched, before)
            }
            None => {
                let (ttl_ms, value) = make()?;
                let mut entry = Entry {
                    touched_ms: now_ms,
                    ttl_ms,
                    value,
                };
                let (result, _) = f(&mut entry);
                shard.entries.insert(key, entry);
                (result, true, 0)
            }
        };
        if touched {
            if let Some(entry) = shard.entries.to_back(&key) {
                entry.touched_ms = entry.touched_ms.max(now_ms);
            }
        }
        let after = shard.entries.get(&key).map_or(0, |e| e.value.bytes());
        shard.bytes = (shard.bytes + after).saturating_sub(before);
        let evicted = shard.evict_to(self.shard_budget);
        if evicted > 0 {
            self.evicted.fetch_add(evicted, Ordering::Relaxed);
        }
        Some(result)
    }

    fn cluster(&self, op: &ClusterOp) -> ClusterReply {
        let now = op.time_ms;
        // At most one candidate per band: a fixed array, no allocation.
        let mut candidates = [0u64; BANDS];
        let mut found_count = 0;
        // What each band led to and when it was last touched: a band that
        // already leads to the chosen cluster and was touched within the
        // last slot is not written again (its lifetime moves by a slot at
        // most), which spares a campaign's copies most of their locks.
        let mut seen = [(0u64, 0u64); BANDS];
        for (b, &band) in op.bands.iter().enumerate() {
            let found = self.peek_entry(band, now, |e| match e.value {
                Value::Band { cluster } => Some((cluster, e.touched_ms)),
                _ => None,
            });
            if let Some(Some((cluster, touched))) = found {
                seen[b] = (cluster, touched);
                if !candidates[..found_count].contains(&cluster) {
                    candidates[found_count] = cluster;
                    found_count += 1;
                }
            }
        }
        let mut best: Option<(u64, usize)> = None;
        for &candidate in &candidates[..found_count] {
            let matches = self.peek(candidate, now, |v| match v {
                Value::Cluster(c) => Some(matching(&c.signature, &op.signature)),
                _ => None,
            });
            if let Some(Some(m)) = matches {
                if m >= usize::from(op.min_matches) && best.is_none_or(|(_, b)| m > b) {
                    best = Some((candidate, m));
                }
            }
        }
        let id = best.map_or_else(|| founder_key(&op.signature), |(id, _)| id);
        let ttl = op.window.span_ms;
        let reply = self
            .with_entry(
                id,
                now,
                || {
                    Some((
                        ttl,
                        Value::Cluster(Box::new(Cluster {
                            signature: op.signature,
                            first_seen_ms: now,
                            messages: SlidingCount::default(),
                            senders: RecentSet::default(),
                            recipients: RecentSet::default(),
                        })),
                    ))
                },
                |e| match &mut e.value {
                    Value::Cluster(c) => (count_copy(id, c, op), true),
                    _ => (ClusterReply::default(), false),
                },
            )
            .unwrap_or_default();
        let fresh = now.saturating_sub(op.window.slot_ms());
        for (b, &band) in op.bands.iter().enumerate() {
            let (led_to, touched) = seen[b];
            if led_to == id && touched > fresh {
                continue;
            }
            self.point_band(band, now, ttl, id);
        }
        reply
    }

    fn sender(&self, op: &SenderOp) -> SenderReply {
        self.with_entry(
            op.key,
            op.time_ms,
            || Some((op.long.span_ms, Value::Sender(Box::default()))),
            |e| match &mut e.value {
                Value::Sender(s) => (count_sender(s, op), true),
                _ => (SenderReply::default(), false),
            },
        )
        .unwrap_or_default()
    }

    /// Makes `band` lead to cluster `id` unless it leads to another live
    /// cluster already (it is then not refreshed on this cluster's
    /// behalf): the hot path of every sketch, so one lookup, not the
    /// general [`with_entry`](Self::with_entry).
    fn point_band(&self, band: u64, now_ms: u64, ttl_ms: u64, id: u64) {
        let mut shard = self.shards[shard_of(band)]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shard.expire(now_ms);
        if let Some(entry) = shard.entries.get_mut(&band) {
            let live = entry.live(now_ms);
            match &mut entry.value {
                Value::Band { cluster } if *cluster == id || !live => {
                    *cluster = id;
                    entry.touched_ms = now_ms;
                    entry.ttl_ms = ttl_ms;
                    shard.entries.to_back(&band);
                }
                _ => {}
            }
            return;
        }
        let value = Value::Band { cluster: id };
        shard.bytes += value.bytes();
        shard.entries.insert(
            band,
            Entry {
                touched_ms: now_ms,
                ttl_ms,
                value,
            },
        );
        let evicted = shard.evict_to(self.shard_budget);
        if evicted > 0 {
            self.evicted.fetch_add(evicted, Ordering::Relaxed);
        }
    }

    /// Reads the live entry under `key`, with its bookkeeping, without
    /// touching it.
    fn peek_entry<R>(&self, key: u64, now_ms: u64, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        let shard = self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shard.entries.get(&key).filter(|e| e.live(now_ms)).map(f)
    }

    /// Reads the live entry under `key` without touching it.
    fn peek<R>(&self, key: u64, now_ms: u64, f: impl FnOnce(&Value) -> R) -> Option<R> {
        let shard = self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shard
            .entries
            .get(&key)
            .filter(|e| e.live(now_ms))
            .map(|e| f(&e.value))
    }
}

impl StateStore for EmbeddedStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    fn apply(&self, ops: &[Op], replies: &mut Vec<Reply>) -> Result<(), StateError> {
        replies.extend(ops.iter().map(|op| match op {
            Op::Cluster(op) => Reply::Cluster(self.cluster(op)),
            Op::Sender(op) => Reply::Sender(self.sender(op)),
        }));
        Ok(())
    }

    fn usage(&self) -> StoreUsage {
        let mut usage = StoreUsage {
            evicted: self.evicted.load(Ordering::Relaxed),
            ..StoreUsage::default()
        };
        for shard in self.shards.iter() {
            let shard = shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            usage.entries += shard.entries.len() as u64;
            usage.bytes += shard.bytes as u64;
        }
        usage
    }
}

impl Shard {
    /// Drops entries from the old end that have outlived their ttl. The
    /// map is in touch order, so this stops at the first live one; an
    /// entry with a long ttl behind it may keep shorter-lived ones a while,
    /// and they are then skipped when read.
    fn expire(&mut self, now_ms: u64) {
        while let Some((_, front)) = self.entries.front() {
            if front.live(now_ms) {
                break;
            }
            self.pop_front();
        }
    }

    fn remove(&mut self, key: u64) {
        if let Some(entry) = self.entries.remove(&key) {
            self.bytes = self.bytes.saturating_sub(entry.value.bytes());
        }
    }

    fn evict_to(&mut self, budget: usize) -> u64 {
        let mut evicted = 0;
        while self.bytes > budget && self.entries.len() > 1 {
            self.pop_front();
            evicted += 1;
        }
        evicted
    }

    fn pop_front(&mut self) {
        if let Some((_, entry)) = self.entries.pop_front() {
            self.bytes = self.bytes.saturating_sub(entry.value.bytes());
        }
    }
}

fn shard_of(key: u64) -> usize {
    (key >> 58) as usize % SHARDS
}

/// The id a sketch founds a cluster under: the same sketch on two nodes
/// founds the same cluster.
pub(crate) fn founder_key(signature: &[u32; SIGNATURE_LEN]) -> u64 {
    key::of_words(
        key::KeyClass::Sketch,
        signature.iter().map(|&v| u64::from(v)),
    )
}

/// Signature values two sketches share.
pub(crate) fn matching(a: &[u32; SIGNATURE_LEN], b: &[u32; SIGNATURE_LEN]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

fn count_copy(id: u64, c: &mut Cluster, op: &ClusterOp) -> ClusterReply {
    let messages = c.messages.add(op.window, op.time_ms);
    let senders = match op.sender {
        Some(s) => c.senders.add(op.window, op.cap, s, op.time_ms),
        None => c.senders.count(op.window, op.time_ms),
    };
    let recipients = match op.recipient {
        Some(r) => c.recipients.add(op.window, op.cap, r, op.time_ms),
        None => c.recipients.count(op.window, op.time_ms),
    };
    ClusterReply {
        id,
        messages,
        senders,
        recipients,
        first_seen_ms: c.first_seen_ms,
    }
}

fn count_sender(s: &mut Sender, op: &SenderOp) -> SenderReply {
    let short_messages = s.short.add(op.short, op.time_ms);
    let long_messages = s.long.add(op.long, op.time_ms);
    let recipients = match op.recipient {
        Some(r) => s.recipients.add(op.long, op.cap, r, op.time_ms),
        None => s.recipients.count(op.long, op.time_ms),
    };
    if let Some(number) = op.recipient_number {
        match s.last_number {
            Some(last) if last == number => {}
            Some(last) if last.abs_diff(number) <= ADJACENT_GAP => s.walk += 1,
            _ => s.walk = 1,
        }
        s.last_number = Some(number);
    }
    SenderReply {
        short_messages,
        long_messages,
        recipients,
        walk: s.walk,
    }
}

mod persist;
#[cfg(test)]
mod tests;
