use super::*;
use crate::state::{Window, BANDS};

const T0: u64 = 1_780_000_000_000;
const MIN: u64 = 60_000;

fn sketch(seed: u32, changed: usize) -> ([u64; BANDS], [u32; SIGNATURE_LEN]) {
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

fn op(seed: u32, changed: usize, sender: u64, recipient: u64, time_ms: u64) -> Op {
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

fn cluster(store: &EmbeddedStore, op: Op) -> ClusterReply {
    let mut replies = Vec::new();
    store
        .apply(&[op], &mut replies)
        .expect("embedded never fails");
    match replies[..] {
        [Reply::Cluster(r)] => r,
        _ => panic!("one cluster reply: {replies:?}"),
    }
}

#[test]
fn mutated_copies_join_one_cluster_and_count_senders_and_recipients() {
    let store = EmbeddedStore::default();
    let first = cluster(&store, op(1, 8, 10, 100, T0));
    assert_eq!((first.messages, first.senders, first.recipients), (1, 1, 1));
    // Each copy differs from the founder in 8 of 32 values, each differently.
    for copy in 2..=5u32 {
        let r = cluster(
            &store,
            op(
                copy,
                8,
                10 + u64::from(copy % 2),
                100 + u64::from(copy),
                T0 + u64::from(copy) * MIN,
            ),
        );
        assert_eq!(r.id, first.id, "copy {copy} joins the founder's cluster");
        assert_eq!(r.messages, copy);
        assert_eq!(r.first_seen_ms, T0);
    }
    let last = cluster(&store, op(9, 8, 12, 100, T0 + 10 * MIN));
    assert_eq!((last.messages, last.senders, last.recipients), (6, 3, 5));
}

#[test]
fn an_unrelated_sketch_founds_its_own_cluster() {
    let store = EmbeddedStore::default();
    let a = cluster(&store, op(1, 0, 1, 1, T0));
    let b = cluster(&store, op(2, SIGNATURE_LEN, 1, 2, T0));
    assert_ne!(a.id, b.id);
    assert_eq!(b.messages, 1);
    // Too far from the founder: 20 of 32 changed leaves 12 < 16 matching.
    let c = cluster(&store, op(3, 20, 1, 3, T0));
    assert_ne!(c.id, a.id);
}

#[test]
fn a_cluster_without_copies_for_a_window_is_forgotten() {
    let store = EmbeddedStore::default();
    let a = cluster(&store, op(1, 0, 1, 1, T0));
    assert_eq!(cluster(&store, op(1, 0, 1, 2, T0 + 50 * MIN)).messages, 2);
    let later = cluster(&store, op(1, 0, 1, 3, T0 + 50 * MIN + 61 * MIN));
    assert_eq!(
        (later.id, later.messages, later.first_seen_ms),
        (a.id, 1, T0 + 111 * MIN)
    );
}

#[test]
fn a_flood_of_distinct_texts_stays_under_the_bound_and_evicts_oldest_first() {
    let bound = MemoryBound { bytes: 4 << 20 };
    let store = EmbeddedStore::new(bound);
    for i in 0..100_000u32 {
        cluster(
            &store,
            op(
                i,
                SIGNATURE_LEN,
                u64::from(i),
                u64::from(i),
                T0 + u64::from(i),
            ),
        );
    }
    let usage = store.usage();
    assert!(usage.bytes <= bound.bytes as u64, "{usage:?}");
    assert!(usage.evicted > 0, "{usage:?}");
    // The newest cluster is still known; the first one is gone.
    let newest = cluster(&store, op(99_999, SIGNATURE_LEN, 7, 7, T0 + 100_000));
    assert_eq!(newest.messages, 2);
    let oldest = cluster(&store, op(0, SIGNATURE_LEN, 7, 7, T0 + 100_001));
    assert_eq!(oldest.messages, 1);
}

fn sender(store: &EmbeddedStore, recipient: u64, number: Option<u64>, time_ms: u64) -> SenderReply {
    let mut replies = Vec::new();
    let op = Op::Sender(SenderOp {
        time_ms,
        key: 42,
        recipient: Some(recipient),
        recipient_number: number,
        short: Window::minutes(1),
        long: Window::minutes(24 * 60),
        cap: 256,
    });
    store
        .apply(&[op], &mut replies)
        .expect("embedded never fails");
    match replies[..] {
        [Reply::Sender(r)] => r,
        _ => panic!("one sender reply: {replies:?}"),
    }
}

#[test]
fn a_sender_walking_adjacent_numbers_is_seen_with_its_fan_out() {
    let store = EmbeddedStore::default();
    let mut last = SenderReply::default();
    for i in 0..300u64 {
        last = sender(
            &store,
            key::mix(i + 1),
            Some(447_700_900_000 + i),
            T0 + i * 1_000,
        );
    }
    assert_eq!(last.walk, 300);
    assert_eq!(last.recipients, 256, "the set is capped");
    assert_eq!(last.long_messages, 300);
    assert!(last.short_messages <= 66, "{last:?}");
    let jump = sender(&store, 7, Some(449_000_000_000), T0 + 301_000);
    assert_eq!(jump.walk, 1);
}

#[test]
fn a_sender_cycling_through_a_million_recipients_stays_bounded() {
    let bound = MemoryBound { bytes: 1 << 20 };
    let store = EmbeddedStore::new(bound);
    let mut last = SenderReply::default();
    for i in 0..1_000_000u64 {
        last = sender(&store, key::mix(i + 1), None, T0 + i * 10);
    }
    assert_eq!(last.recipients, 256);
    assert_eq!(last.long_messages, 1_000_000);
    assert!(
        store.usage().bytes <= bound.bytes as u64,
        "{:?}",
        store.usage()
    );
}

#[test]
fn a_snapshot_keeps_a_campaign_across_a_restart_and_a_damaged_one_is_refused() {
    let dir = std::env::temp_dir().join(format!("floodwall-snapshot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("state.fws");
    let store = EmbeddedStore::default();
    for copy in 1..=5u32 {
        cluster(
            &store,
            op(
                copy,
                8,
                u64::from(copy),
                u64::from(copy),
                T0 + u64::from(copy) * MIN,
            ),
        );
    }
    sender(&store, 1, Some(447_700_900_000), T0);
    let saved = store.save(&path).expect("save");
    assert_eq!(saved, store.usage().entries);
    let loaded = EmbeddedStore::load(&path, MemoryBound::default(), T0 + 6 * MIN).expect("load");
    assert_eq!(loaded.usage().entries, saved);
    let next = cluster(&loaded, op(6, 8, 6, 6, T0 + 6 * MIN));
    assert_eq!((next.messages, next.senders), (6, 6));
    assert_eq!(sender(&loaded, 2, Some(447_700_900_001), T0 + 1).walk, 2);
    // Everything has expired a day later: nothing is loaded.
    let stale =
        EmbeddedStore::load(&path, MemoryBound::default(), T0 + 2 * 24 * 60 * MIN).expect("load");
    assert_eq!(stale.usage().entries, 0);

    let mut bytes = std::fs::read(&path).expect("read");
    let last = bytes.len() - 20;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).expect("write");
    let err = EmbeddedStore::load(&path, MemoryBound::default(), T0).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    std::fs::write(&path, b"FWSTATE0").expect("write");
    assert!(EmbeddedStore::load(&path, MemoryBound::default(), T0).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
