//! Reassembly of concatenated SMS (3GPP TS 23.040 §9.2.3.24.1 and SMPP 3.4
//! `sar_*` TLVs §5.3.2.22–24).
//!
//! Segments are keyed by (source, destination, reference) and held until all
//! `total` have arrived, in any order; duplicates are dropped (SMSCs retry).
//! Memory is bounded: at most `max_pending` messages are held, oldest evicted
//! first, and a message that has waited longer than `timeout_ms` since its
//! first segment is given up. Both are handed back as [`Incomplete`] so the
//! caller can still scan what arrived: a spammer must not hide content by
//! never sending the last segment.

use std::collections::{HashMap, VecDeque};

/// Where a concatenated message comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The sender's address.
    pub source: String,
    /// The (first) recipient's address.
    pub destination: String,
    /// The concatenation reference the segments share.
    pub reference: u16,
}

/// Reassembly limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Messages held at once; the oldest is evicted beyond it (at least 1).
    pub max_pending: usize,
    /// Segments a message may announce (clamped to 2–255); a segment over
    /// it is [`Outcome::Unusable`].
    pub max_segments: usize,
    /// How long a message may wait, from its first segment.
    pub timeout_ms: u64,
    /// Total weight (bytes, as the caller counts them) held at once.
    pub max_bytes: usize,
}

/// Why a partial message was given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GiveUp {
    /// It waited longer than [`Limits::timeout_ms`].
    TimedOut,
    /// Evicted, oldest first, to keep within the limit on messages or bytes
    /// held.
    Evicted,
    /// The stream ended ([`Reassembler::drain`]).
    EndOfStream,
    /// A segment with the same key announced a different total.
    Superseded,
}

impl GiveUp {
    /// The reason in words, for a problem message.
    pub fn as_str(self) -> &'static str {
        match self {
            GiveUp::TimedOut => "timed out",
            GiveUp::Evicted => "evicted (too many pending messages)",
            GiveUp::EndOfStream => "end of stream",
            GiveUp::Superseded => "superseded by a segment with another total",
        }
    }
}

/// A partial message: the segments that arrived, in sequence order.
#[derive(Debug)]
pub struct Incomplete<T> {
    /// Where the message came from.
    pub key: Key,
    /// The segments it announced.
    pub total: u8,
    /// The segments that arrived, with their numbers.
    pub parts: Vec<(u8, T)>,
    /// Why it was given up.
    pub reason: GiveUp,
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    /// All segments are here, in sequence order.
    Complete(Vec<T>),
    /// Buffered, waiting for the rest.
    Pending,
    /// The same segment was already buffered; this copy was dropped.
    Duplicate(T),
    /// The segment numbers are unusable (seq 0, seq > total, total < 2) or
    /// over the segment limit: treat it as a single message.
    Unusable(T),
}

struct Pending<T> {
    id: u64,
    bytes: usize,
    total: u8,
    first_ms: u64,
    parts: Vec<Option<T>>,
    received: usize,
}

/// The reassembler, generic over what a segment carries.
pub struct Reassembler<T> {
    limits: Limits,
    pending: HashMap<Key, Pending<T>>,
    /// Keys in arrival order of their first segment; stale entries (completed
    /// messages) are skipped lazily and compacted when the queue grows.
    order: VecDeque<(u64, Key)>,
    next_id: u64,
    bytes: usize,
}

impl<T> Reassembler<T> {
    /// An empty reassembler; limits out of range are brought into it.
    pub fn new(limits: Limits) -> Reassembler<T> {
        Reassembler {
            limits: Limits {
                max_pending: limits.max_pending.max(1),
                max_segments: limits.max_segments.clamp(2, 255),
                timeout_ms: limits.timeout_ms,
                max_bytes: limits.max_bytes,
            },
            pending: HashMap::new(),
            order: VecDeque::new(),
            next_id: 0,
            bytes: 0,
        }
    }

    /// Number of messages waiting for segments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Total weight of the segments held.
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Adds one segment; a repeated position is always a duplicate.
    /// Partial messages given up on the way (timeout, eviction) are appended
    /// to `given_up`.
    pub fn push(
        &mut self,
        key: Key,
        total: u8,
        seq: u8,
        item: T,
        now_ms: u64,
        given_up: &mut Vec<Incomplete<T>>,
    ) -> Outcome<T> {
        self.push_with(key, total, seq, (item, 0), now_ms, given_up, |_, _| true)
    }

    /// Adds one segment of `weight` bytes. A repeated position whose content
    /// is the `same` is a retransmission and dropped; different content means
    /// the 8-bit reference wrapped and a new message began, so the old one is
    /// given up (as it is when the announced total changes). Oldest messages
    /// are given up while the byte budget would be exceeded; a segment alone
    /// over the budget is not buffered.
    #[allow(clippy::too_many_arguments)]
    pub fn push_with(
        &mut self,
        key: Key,
        total: u8,
        seq: u8,
        (item, weight): (T, usize),
        now_ms: u64,
        given_up: &mut Vec<Incomplete<T>>,
        same: impl Fn(&T, &T) -> bool,
    ) -> Outcome<T> {
        self.expire(now_ms, given_up);
        if total < 2
            || seq == 0
            || seq > total
            || usize::from(total) > self.limits.max_segments
            || weight > self.limits.max_bytes
        {
            return Outcome::Unusable(item);
        }
        if let Some(p) = self.pending.get(&key) {
            let clash = p.total != total
                || p.parts[usize::from(seq) - 1]
                    .as_ref()
                    .is_some_and(|old| !same(old, &item));
            if clash {
                if let Some(p) = self.remove(&key) {
                    given_up.push(Self::incomplete(key.clone(), p, GiveUp::Superseded));
                }
            }
        }
        // Make room, sparing the message this segment belongs to unless it
        // alone is over the budget.
        while self.bytes + weight > self.limits.max_bytes {
            let victim = self.pop_oldest_other(&key).or_else(|| {
                let p = self.remove(&key)?;
                Some((key.clone(), p))
            });
            match victim {
                Some((k, p)) => given_up.push(Self::incomplete(k, p, GiveUp::Evicted)),
                None => break,
            }
        }
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= self.limits.max_pending {
                match self.pop_oldest() {
                    Some((k, p)) => given_up.push(Self::incomplete(k, p, GiveUp::Evicted)),
                    None => break,
                }
            }
            let id = self.next_id;
            self.next_id += 1;
            self.order.push_back((id, key.clone()));
            let mut parts = Vec::with_capacity(usize::from(total));
            parts.resize_with(usize::from(total), || None);
            self.pending.insert(
                key.clone(),
                Pending {
                    id,
                    bytes: 0,
                    total,
                    first_ms: now_ms,
                    parts,
                    received: 0,
                },
            );
        }
        let Some(p) = self.pending.get_mut(&key) else {
            return Outcome::Pending;
        };
        let slot = &mut p.parts[usize::from(seq) - 1];
        if slot.is_some() {
            return Outcome::Duplicate(item);
        }
        *slot = Some(item);
        p.received += 1;
        p.bytes += weight;
        self.bytes += weight;
        if p.received < usize::from(p.total) {
            return Outcome::Pending;
        }
        let Some(p) = self.remove(&key) else {
            return Outcome::Pending;
        };
        self.compact();
        Outcome::Complete(p.parts.into_iter().flatten().collect())
    }

    /// Gives up messages whose first segment is older than the timeout.
    pub fn expire(&mut self, now_ms: u64, given_up: &mut Vec<Incomplete<T>>) {
        while let Some((id, key)) = self.order.front() {
            match self.pending.get(key) {
                Some(p) if p.id == *id => {
                    if now_ms.saturating_sub(p.first_ms) <= self.limits.timeout_ms {
                        break;
                    }
                    if let Some((k, p)) = self.pop_oldest() {
                        given_up.push(Self::incomplete(k, p, GiveUp::TimedOut));
                    }
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }

    /// Gives up everything still pending, oldest first.
    pub fn drain(&mut self, given_up: &mut Vec<Incomplete<T>>) {
        while let Some((k, p)) = self.pop_oldest() {
            given_up.push(Self::incomplete(k, p, GiveUp::EndOfStream));
        }
        self.order.clear();
    }

    fn pop_oldest(&mut self) -> Option<(Key, Pending<T>)> {
        while let Some((id, key)) = self.order.pop_front() {
            if self.pending.get(&key).is_some_and(|p| p.id == id) {
                let (k, p) = self.pending.remove_entry(&key)?;
                self.bytes -= p.bytes;
                return Some((k, p));
            }
        }
        None
    }

    fn pop_oldest_other(&mut self, skip: &Key) -> Option<(Key, Pending<T>)> {
        let pending = &self.pending;
        let pos = self
            .order
            .iter()
            .position(|(id, k)| k != skip && pending.get(k).is_some_and(|p| p.id == *id))?;
        let (_, k) = self.order.remove(pos)?;
        let p = self.remove(&k)?;
        Some((k, p))
    }

    fn remove(&mut self, key: &Key) -> Option<Pending<T>> {
        let p = self.pending.remove(key)?;
        self.bytes -= p.bytes;
        Some(p)
    }

    fn compact(&mut self) {
        if self.order.len() > 2 * self.pending.len() + 64 {
            let pending = &self.pending;
            self.order
                .retain(|(id, key)| pending.get(key).is_some_and(|p| p.id == *id));
        }
    }

    fn incomplete(key: Key, p: Pending<T>, reason: GiveUp) -> Incomplete<T> {
        Incomplete {
            key,
            total: p.total,
            parts: p
                .parts
                .into_iter()
                .enumerate()
                .filter_map(|(i, t)| t.map(|t| (i as u8 + 1, t)))
                .collect(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dcs::{self, Alphabet};
    use super::super::gsm7::{self, Tables};
    use super::super::user_data::decode_text;
    use super::*;

    fn key(r: u16) -> Key {
        Key {
            source: "4477".into(),
            destination: "Bank".into(),
            reference: r,
        }
    }

    fn limits() -> Limits {
        Limits {
            max_pending: 4,
            max_segments: 16,
            timeout_ms: 1000,
            max_bytes: 1000,
        }
    }

    #[test]
    fn out_of_order_and_duplicate_segments() {
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        assert_eq!(r.push(key(1), 3, 3, "c", 0, &mut gone), Outcome::Pending);
        assert_eq!(r.push(key(1), 3, 1, "a", 1, &mut gone), Outcome::Pending);
        assert_eq!(
            r.push(key(1), 3, 3, "C", 2, &mut gone),
            Outcome::Duplicate("C")
        );
        assert_eq!(
            r.push(key(1), 3, 2, "b", 3, &mut gone),
            Outcome::Complete(vec!["a", "b", "c"])
        );
        assert!(gone.is_empty());
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn a_reused_reference_starts_a_new_message() {
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        let same = |a: &&str, b: &&str| a == b;
        assert_eq!(
            r.push_with(key(1), 2, 1, ("a", 1), 0, &mut gone, same),
            Outcome::Pending
        );
        assert_eq!(
            r.push_with(key(1), 2, 1, ("a", 1), 0, &mut gone, same),
            Outcome::Duplicate("a")
        );
        assert_eq!(
            r.push_with(key(1), 2, 1, ("x", 1), 0, &mut gone, same),
            Outcome::Pending
        );
        assert_eq!(gone.len(), 1);
        assert_eq!(
            (gone[0].reason, gone[0].parts[0].1),
            (GiveUp::Superseded, "a")
        );
        assert_eq!(
            r.push_with(key(1), 2, 2, ("y", 1), 0, &mut gone, same),
            Outcome::Complete(vec!["x", "y"])
        );
    }

    #[test]
    fn the_byte_budget_evicts_oldest_first() {
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        let same = |_: &u8, _: &u8| true;
        for i in 0..3u16 {
            r.push_with(key(i), 2, 1, (0, 400), 0, &mut gone, same);
        }
        assert_eq!((r.pending(), r.buffered_bytes(), gone.len()), (2, 800, 1));
        assert_eq!(gone[0].key.reference, 0);
        assert_eq!(
            r.push_with(key(9), 2, 1, (7, 1001), 0, &mut gone, same),
            Outcome::Unusable(7)
        );
        // Completing ref 1 evicts ref 2, not ref 1 itself.
        assert_eq!(
            r.push_with(key(1), 2, 2, (0, 400), 0, &mut gone, same),
            Outcome::Complete(vec![0, 0])
        );
        assert_eq!(gone.last().unwrap().key.reference, 2);
        assert_eq!((r.pending(), r.buffered_bytes()), (0, 0));
        // A message that alone outgrows the budget is given up.
        r.push_with(key(3), 3, 1, (0, 600), 0, &mut gone, same);
        r.push_with(key(3), 3, 2, (0, 600), 0, &mut gone, same);
        assert_eq!(gone.last().unwrap().key.reference, 3);
        assert_eq!(r.buffered_bytes(), 600);
        r.drain(&mut gone);
        assert_eq!(r.buffered_bytes(), 0);
    }

    #[test]
    fn unusable_numbers_pass_through() {
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        assert_eq!(r.push(key(1), 3, 0, 1, 0, &mut gone), Outcome::Unusable(1));
        assert_eq!(r.push(key(1), 3, 4, 2, 0, &mut gone), Outcome::Unusable(2));
        assert_eq!(r.push(key(1), 1, 1, 3, 0, &mut gone), Outcome::Unusable(3));
        assert_eq!(
            r.push(key(1), 200, 1, 4, 0, &mut gone),
            Outcome::Unusable(4)
        );
    }

    #[test]
    fn oldest_is_evicted_and_timeouts_fire() {
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        for i in 0..6u16 {
            r.push(key(i), 2, 1, i, u64::from(i), &mut gone);
        }
        assert_eq!(r.pending(), 4);
        assert_eq!(gone.len(), 2);
        assert_eq!(
            (gone[0].key.reference, gone[0].reason),
            (0, GiveUp::Evicted)
        );
        assert_eq!(gone[1].key.reference, 1);
        gone.clear();
        r.expire(1004, &mut gone);
        assert_eq!(
            gone.iter().map(|g| g.key.reference).collect::<Vec<_>>(),
            [2, 3]
        );
        assert!(gone
            .iter()
            .all(|g| g.reason == GiveUp::TimedOut && g.parts.len() == 1));
        gone.clear();
        r.drain(&mut gone);
        assert_eq!(gone.len(), 2);
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn a_flood_of_never_completed_segments_stays_bounded() {
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        for i in 0..100_000u32 {
            r.push(key(i as u16), 9, 1, i, 0, &mut gone);
            gone.clear();
            assert!(r.pending() <= 4);
        }
        // Many completions do not grow the order queue without bound.
        for i in 0..10_000u16 {
            r.push(key(i), 2, 1, 0, 0, &mut gone);
            r.push(key(i), 2, 2, 0, 0, &mut gone);
        }
        assert!(r.order.len() <= 2 * r.pending() + 64 + 1);
    }

    #[test]
    fn an_escape_split_across_segments_decodes_after_joining() {
        let septets = gsm7::encode("Pay 5€ now", Tables::default()).unwrap();
        let at = septets.iter().position(|&s| s == gsm7::ESC).unwrap() + 1;
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        r.push(key(9), 2, 2, septets[at..].to_vec(), 0, &mut gone);
        let Outcome::Complete(parts) = r.push(key(9), 2, 1, septets[..at].to_vec(), 0, &mut gone)
        else {
            panic!("not complete");
        };
        let joined: Vec<u8> = parts.concat();
        let mut problems = Vec::new();
        let text = decode_text(
            &joined,
            Alphabet::Gsm7Packed,
            Tables::default(),
            &mut problems,
        );
        assert_eq!(text, "Pay 5€ now");
        assert!(problems.is_empty());
    }

    #[test]
    fn a_surrogate_pair_split_across_segments_decodes_after_joining() {
        let octets = dcs::encode_ucs2("hi 😀 there");
        let mut r = Reassembler::new(limits());
        let mut gone = Vec::new();
        r.push(key(5), 2, 1, octets[..8].to_vec(), 0, &mut gone);
        let Outcome::Complete(parts) = r.push(key(5), 2, 2, octets[8..].to_vec(), 0, &mut gone)
        else {
            panic!("not complete");
        };
        let mut problems = Vec::new();
        let text = decode_text(
            &parts.concat(),
            Alphabet::Ucs2,
            Tables::default(),
            &mut problems,
        );
        assert_eq!(text, "hi 😀 there");
        assert!(problems.is_empty());
    }
}
