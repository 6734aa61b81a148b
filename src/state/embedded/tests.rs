use super::*;
use crate::state::conformance::{self, cluster, cluster_op as op, sender, sender_op, T0};

const MIN: u64 = 60_000;

#[test]
fn passes_the_conformance_scenarios() {
    for scenario in conformance::SCENARIOS {
        eprintln!("scenario: {}", scenario.name);
        (scenario.run)(&EmbeddedStore::default());
    }
}

#[test]
fn one_store_seen_as_two_nodes_is_one_view() {
    let store = EmbeddedStore::default();
    conformance::shared_between_nodes(&store, &store);
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

#[test]
fn a_sender_cycling_through_a_million_recipients_stays_bounded() {
    let bound = MemoryBound { bytes: 1 << 20 };
    let store = EmbeddedStore::new(bound);
    let mut last = SenderReply::default();
    for i in 0..1_000_000u64 {
        last = sender(&store, sender_op(Some(key::mix(i + 1)), None, T0 + i * 10));
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
    sender(&store, sender_op(Some(1), Some(447_700_900_000), T0));
    let saved = store.save(&path).expect("save");
    assert_eq!(saved, store.usage().entries);
    let loaded = EmbeddedStore::load(&path, MemoryBound::default(), T0 + 6 * MIN).expect("load");
    assert_eq!(loaded.usage().entries, saved);
    let next = cluster(&loaded, op(6, 8, 6, 6, T0 + 6 * MIN));
    assert_eq!((next.messages, next.senders), (6, 6));
    assert_eq!(
        sender(&loaded, sender_op(Some(2), Some(447_700_900_001), T0 + 1)).walk,
        2
    );
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
