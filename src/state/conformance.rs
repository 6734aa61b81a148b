//! Scenarios every [`StateStore`] must pass, whatever it keeps its state
//! in: the reference semantics of the ops, written once and run against
//! the embedded store (its unit tests) and against Redis
//! (`tests/state_redis.rs`), so that the two cannot drift apart.
//!
//! Each scenario panics with a message naming what differed, like a test
//! assertion: this module is a test kit, public so that an integration
//! test (or a third store) can run it. A scenario expects a store that
//! holds nothing under the keys it uses: give each one a fresh store (for
//! Redis, a fresh key prefix).
//!
//! ```
//! use floodwall::state::{conformance, EmbeddedStore};
//!
//! for scenario in conformance::SCENARIOS {
//!     (scenario.run)(&EmbeddedStore::default());
//! }
//! ```

use super::embedded::founder_key;
use super::{
    key, ClusterOp, ClusterReply, Op, Reply, SenderOp, SenderReply, StateStore, Window, BANDS,
    SIGNATURE_LEN,
};

/// One named scenario.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// What it checks, for the failure message.
    pub name: &'static str,
    /// Runs it against a fresh store; panics when the store disagrees.
    pub run: fn(&dyn StateStore),
}

/// Every single-store scenario.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "mutated copies join one cluster and count senders and recipients",
        run: mutated_copies_join_one_cluster,
    },
    Scenario {
        name: "an unrelated sketch founds its own cluster",
        run: an_unrelated_sketch_founds_its_own_cluster,
    },
    Scenario {
        name: "a cluster without copies for a window is forgotten",
        run: a_forgotten_cluster_is_founded_afresh,
    },
    Scenario {
        name: "a late copy counts in its own slot, one older than the window not at all",
        run: a_late_copy_counts_in_its_own_slot,
    },
    Scenario {
        name: "ops of one batch are applied in order and see each other",
        run: ops_of_one_batch_see_each_other,
    },
    Scenario {
        name: "a sender walking adjacent numbers is seen with its fan-out",
        run: a_sender_walking_adjacent_numbers,
    },
    Scenario {
        name: "a sender's windows slide and its recipients leave the long window",
        run: a_senders_windows_slide,
    },
];

/// A time in 2026, in ms since the epoch.
pub const T0: u64 = 1_780_000_000_000;
const MIN: u64 = 60_000;

/// A sketch whose first `changed` values depend on `seed` and the rest are
/// shared by every sketch: two sketches with `changed` = 8 agree on at
/// least 24 of 32 values. Bands are keyed as the bulk stage keys them.
pub fn sketch(seed: u32, changed: usize) -> ([u64; BANDS], [u32; SIGNATURE_LEN]) {
    let mut signature = [0u32; SIGNATURE_LEN];
    for (i, v) in signature.iter_mut().enumerate() {
        *v = if i < changed {
            seed.wrapping_mul(7919).wrapping_add(i as u32 * 104_729)
        } else {
            1_000 + i as u32
        };
    }
    let mut bands = [0u64; BANDS];
    let rows = SIGNATURE_LEN / BANDS;
    for (b, band) in bands.iter_mut().enumerate() {
        let values = &signature[b * rows..(b + 1) * rows];
        *band = key::of_words(
            key::KeyClass::Band,
            std::iter::once(b as u64).chain(values.iter().map(|&v| u64::from(v))),
        );
    }
    (bands, signature)
}

/// A copy of sketch (`seed`, `changed`) from `sender` to `recipient`,
/// counted in an hour.
pub fn cluster_op(seed: u32, changed: usize, sender: u64, recipient: u64, time_ms: u64) -> Op {
    let (bands, signature) = sketch(seed, changed);
    Op::Cluster(ClusterOp {
        time_ms,
        bands,
        signature,
        min_matches: 16,
        sender: Some(sender),
        recipient: Some(recipient),
        window: Window::minutes(60),
        cap: 64,
    })
}

/// A message from sender key 42 to `recipient` (and its number), counted
/// in a minute and a day.
pub fn sender_op(recipient: Option<u64>, number: Option<u64>, time_ms: u64) -> Op {
    Op::Sender(SenderOp {
        time_ms,
        key: 42,
        recipient,
        recipient_number: number,
        short: Window::minutes(1),
        long: Window::minutes(24 * 60),
        cap: 256,
    })
}

/// Applies a batch and returns its replies, failing on an error or a
/// reply count that is not one per op.
pub fn apply(store: &dyn StateStore, ops: &[Op]) -> Vec<Reply> {
    let mut replies = Vec::new();
    if let Err(e) = store.apply(ops, &mut replies) {
        panic!(
            "{} store failed a batch of {}: {e}",
            store.kind(),
            ops.len()
        );
    }
    assert_eq!(replies.len(), ops.len(), "one reply per op: {replies:?}");
    replies
}

/// Applies one cluster op and returns its reply.
pub fn cluster(store: &dyn StateStore, op: Op) -> ClusterReply {
    match apply(store, &[op])[..] {
        [Reply::Cluster(r)] => r,
        ref other => panic!("one cluster reply: {other:?}"),
    }
}

/// Applies one sender op and returns its reply.
pub fn sender(store: &dyn StateStore, op: Op) -> SenderReply {
    match apply(store, &[op])[..] {
        [Reply::Sender(r)] => r,
        ref other => panic!("one sender reply: {other:?}"),
    }
}

fn mutated_copies_join_one_cluster(store: &dyn StateStore) {
    let first = cluster(store, cluster_op(1, 8, 10, 100, T0));
    assert_eq!((first.messages, first.senders, first.recipients), (1, 1, 1));
    assert_eq!(
        first.id,
        founder_key(&sketch(1, 8).1),
        "founded by its sketch"
    );
    assert_eq!(first.first_seen_ms, T0);
    // Each copy differs from the founder in 8 of 32 values, each differently.
    for copy in 2..=5u32 {
        let c = u64::from(copy);
        let r = cluster(
            store,
            cluster_op(copy, 8, 10 + c % 2, 100 + c, T0 + c * MIN),
        );
        assert_eq!(r.id, first.id, "copy {copy} joins the founder's cluster");
        assert_eq!(r.messages, copy);
        assert_eq!(r.first_seen_ms, T0);
    }
    let last = cluster(store, cluster_op(9, 8, 12, 100, T0 + 10 * MIN));
    assert_eq!((last.messages, last.senders, last.recipients), (6, 3, 5));
}

fn an_unrelated_sketch_founds_its_own_cluster(store: &dyn StateStore) {
    let a = cluster(store, cluster_op(1, 0, 1, 1, T0));
    let b = cluster(store, cluster_op(2, SIGNATURE_LEN, 1, 2, T0));
    assert_ne!(a.id, b.id);
    assert_eq!(b.messages, 1);
    // Too far from the founder: 20 of 32 changed leaves 12 < 16 matching.
    let c = cluster(store, cluster_op(3, 20, 1, 3, T0));
    assert_ne!(c.id, a.id);
    assert_eq!(c.messages, 1);
    assert_eq!(cluster(store, cluster_op(1, 0, 1, 1, T0)).messages, 2);
}

fn a_forgotten_cluster_is_founded_afresh(store: &dyn StateStore) {
    let a = cluster(store, cluster_op(1, 0, 1, 1, T0));
    assert_eq!(
        cluster(store, cluster_op(1, 0, 1, 2, T0 + 50 * MIN)).messages,
        2
    );
    // 61 minutes without a copy, by the messages' own clock.
    let later = cluster(store, cluster_op(1, 0, 1, 3, T0 + 111 * MIN));
    assert_eq!(
        (later.id, later.messages, later.first_seen_ms),
        (a.id, 1, T0 + 111 * MIN)
    );
    assert_eq!(
        (later.senders, later.recipients),
        (1, 1),
        "sets forgotten too"
    );
}

fn a_late_copy_counts_in_its_own_slot(store: &dyn StateStore) {
    let t = T0 - T0 % (60 * MIN);
    cluster(store, cluster_op(5, 0, 1, 1, t + 50 * MIN));
    let late = cluster(store, cluster_op(5, 0, 2, 2, t + 20 * MIN));
    assert_eq!((late.messages, late.senders, late.recipients), (2, 2, 2));
    let too_late = cluster(store, cluster_op(5, 0, 1, 1, t - 30 * MIN));
    assert_eq!(too_late.messages, 2, "older than the window");
    // 60 minutes after the late copy its slot has left the window.
    let after = cluster(store, cluster_op(5, 0, 1, 1, t + 80 * MIN));
    assert_eq!(after.messages, 2, "{after:?}");
}

fn ops_of_one_batch_see_each_other(store: &dyn StateStore) {
    let mut ops = Vec::new();
    for i in 0..10u64 {
        ops.push(cluster_op(7, 8, i, 1_000 + i, T0 + i * 1_000));
        ops.push(sender_op(Some(key::mix(i + 1)), None, T0 + i * 1_000));
    }
    let replies = apply(store, &ops);
    for (i, pair) in replies.chunks(2).enumerate() {
        let n = i as u32 + 1;
        match pair {
            [Reply::Cluster(c), Reply::Sender(s)] => {
                assert_eq!((c.messages, c.senders, c.recipients), (n, n, n));
                assert_eq!((s.long_messages, s.recipients, s.walk), (n, n, 0));
            }
            other => panic!("replies out of order: {other:?}"),
        }
    }
}

fn a_sender_walking_adjacent_numbers(store: &dyn StateStore) {
    let mut last = SenderReply::default();
    for i in 0..300u64 {
        let op = sender_op(
            Some(key::mix(i + 1)),
            Some(447_700_900_000 + i),
            T0 + i * 1_000,
        );
        last = sender(store, op);
    }
    assert_eq!(last.walk, 300);
    assert_eq!(last.recipients, 256, "the set is capped");
    assert_eq!(last.long_messages, 300);
    assert!((60..=66).contains(&last.short_messages), "{last:?}");
    let again = sender(
        store,
        sender_op(Some(key::mix(300)), Some(447_700_900_299), T0 + 300_500),
    );
    assert_eq!(
        again.walk, 300,
        "the same number neither grows nor breaks it"
    );
    let jump = sender(
        store,
        sender_op(Some(7), Some(449_000_000_000), T0 + 301_000),
    );
    assert_eq!(jump.walk, 1);
}

fn a_senders_windows_slide(store: &dyn StateStore) {
    const N: u64 = 447_700_900_000;
    const DAY: u64 = 24 * 60 * MIN;
    let first = sender(store, sender_op(Some(1), Some(N), T0));
    assert_eq!(
        (first.short_messages, first.long_messages, first.walk),
        (1, 1, 1)
    );
    sender(store, sender_op(Some(2), Some(N + 1), T0 + 10_000));
    let quiet = sender(store, sender_op(None, None, T0 + 5 * MIN));
    assert_eq!(
        (
            quiet.short_messages,
            quiet.long_messages,
            quiet.recipients,
            quiet.walk
        ),
        (1, 3, 2, 2),
        "no recipient named: counted, recipients only read"
    );
    // A day later recipients 1 and 2 and the first slot have left the long
    // window, but the key lives on (touched within the day): the walk goes on.
    let later = sender(store, sender_op(Some(3), Some(N + 2), T0 + DAY + 2 * MIN));
    assert_eq!(
        (later.long_messages, later.recipients, later.walk),
        (1, 1, 3),
        "{later:?}"
    );
    // Untouched for a whole day: forgotten, walk and all.
    let gone = sender(store, sender_op(None, Some(N + 3), T0 + 2 * DAY + 3 * MIN));
    assert_eq!((gone.long_messages, gone.recipients, gone.walk), (1, 0, 1));
}

/// Two nodes on one store: copies of one campaign split between them are
/// counted as one cluster, and a sender seen by both is one sender. For an
/// in-process store pass the same store twice.
pub fn shared_between_nodes(a: &dyn StateStore, b: &dyn StateStore) {
    let mut last = ClusterReply::default();
    for copy in 1..=20u32 {
        let node = if copy % 2 == 0 { a } else { b };
        let c = u64::from(copy);
        last = cluster(node, cluster_op(100 + copy, 8, c % 5, c, T0 + c * 1_000));
        assert_eq!(last.messages, copy, "copy {copy} on node {}", copy % 2);
    }
    assert_eq!((last.senders, last.recipients), (5, 20));
    assert_eq!(last.first_seen_ms, T0 + 1_000);
    let one = sender(a, sender_op(Some(1), Some(447_700_900_001), T0));
    let two = sender(b, sender_op(Some(2), Some(447_700_900_002), T0 + 1_000));
    assert_eq!((one.long_messages, two.long_messages), (1, 2));
    assert_eq!((two.recipients, two.walk), (2, 2));
}
