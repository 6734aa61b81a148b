use super::*;
use crate::state::conformance::{self, cluster, cluster_op as op, sender, sender_op, T0};

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
