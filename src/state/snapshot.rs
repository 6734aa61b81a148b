//! The embedded store's snapshot: its entries written to a file on
//! shutdown and read back at start, so that a restarted service does not
//! forget a campaign in progress.
//!
//! Format (all integers little-endian): the magic `FWSTATE1`, the entry
//! count (u64), the entries oldest first (so that loading them in order
//! rebuilds the eviction order), and a checksum (u64) of everything before
//! it. Each entry is its key, last-touched time and lifetime (u64 each),
//! a tag byte (1 band, 2 cluster, 3 sender) and the value's fields in
//! declaration order; a sliding count is its newest slot (u64) and its 12
//! slots (u32), a recent set its length (u16) and its members (u32 id,
//! u32 second). A file that is short, long, of another version or whose
//! checksum does not match is an error naming what is wrong; nothing is
//! loaded from it.

use super::embedded::{Cluster, Sender, Value};
use super::window::{RecentSet, SlidingCount};
use super::{SIGNATURE_LEN, SLOTS};

/// The first eight bytes of a snapshot.
pub const MAGIC: &[u8; 8] = b"FWSTATE1";

/// One stored entry as the snapshot carries it.
#[derive(Debug)]
pub(crate) struct Record {
    pub key: u64,
    pub touched_ms: u64,
    pub ttl_ms: u64,
    pub value: Value,
}

/// Appends `records` as a snapshot to `out`.
pub(crate) fn write<'a>(
    records: impl ExactSizeIterator<Item = (u64, u64, u64, &'a Value)>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(MAGIC);
    put64(out, records.len() as u64);
    for (key, touched_ms, ttl_ms, value) in records {
        put64(out, key);
        put64(out, touched_ms);
        put64(out, ttl_ms);
        match value {
            Value::Band { cluster } => {
                out.push(1);
                put64(out, *cluster);
            }
            Value::Cluster(c) => {
                out.push(2);
                c.signature.iter().for_each(|&v| put32(out, v));
                put64(out, c.first_seen_ms);
                put_count(out, &c.messages);
                put_set(out, &c.senders);
                put_set(out, &c.recipients);
            }
            Value::Sender(s) => {
                out.push(3);
                put_count(out, &s.short);
                put_count(out, &s.long);
                put_set(out, &s.recipients);
                put64(out, s.last_number.map_or(u64::MAX, |n| n));
                put32(out, s.walk);
            }
        }
    }
    let sum = checksum(out);
    put64(out, sum);
}

/// Reads a snapshot; the error says what is wrong with it.
pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let body_len = bytes
        .len()
        .checked_sub(8)
        .ok_or_else(|| "shorter than its checksum".to_string())?;
    let (body, sum) = bytes.split_at(body_len);
    if !body.starts_with(MAGIC) {
        return Err("not a floodwall state snapshot (or another version of one)".into());
    }
    let expected = u64::from_le_bytes(sum.try_into().map_err(|_| "checksum".to_string())?);
    if checksum(body) != expected {
        return Err("checksum mismatch: the file is damaged or truncated".into());
    }
    let mut r = Reader {
        bytes: body,
        at: MAGIC.len(),
    };
    let count = r.u64()?;
    // Each record is at least 33 bytes: a count beyond that is a lie, and
    // believing it would reserve memory the file cannot fill.
    if count > (body.len() / 33) as u64 {
        return Err(format!("claims {count} entries in {} bytes", body.len()));
    }
    let mut records = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let key = r.u64()?;
        let touched_ms = r.u64()?;
        let ttl_ms = r.u64()?;
        let value = match r.u8()? {
            1 => Value::Band { cluster: r.u64()? },
            2 => {
                let mut signature = [0u32; SIGNATURE_LEN];
                for v in signature.iter_mut() {
                    *v = r.u32()?;
                }
                Value::Cluster(Box::new(Cluster {
                    signature,
                    first_seen_ms: r.u64()?,
                    messages: r.count()?,
                    senders: r.set()?,
                    recipients: r.set()?,
                }))
            }
            3 => Value::Sender(Box::new(Sender {
                short: r.count()?,
                long: r.count()?,
                recipients: r.set()?,
                last_number: Some(r.u64()?).filter(|&n| n != u64::MAX),
                walk: r.u32()?,
            })),
            tag => return Err(format!("entry {} has unknown kind {tag}", records.len())),
        };
        records.push(Record {
            key,
            touched_ms,
            ttl_ms,
            value,
        });
    }
    if r.at != body.len() {
        return Err(format!("{} bytes after the last entry", body.len() - r.at));
    }
    Ok(records)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let slice = self
            .bytes
            .get(self.at..self.at + N)
            .ok_or_else(|| format!("ends inside an entry at byte {}", self.at))?;
        self.at += N;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take()?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take()?))
    }

    fn count(&mut self) -> Result<SlidingCount, String> {
        let newest = self.u64()?;
        let mut slots = [0u32; SLOTS as usize];
        for s in slots.iter_mut() {
            *s = self.u32()?;
        }
        Ok(SlidingCount::from_parts(newest, slots))
    }

    fn set(&mut self) -> Result<RecentSet, String> {
        let len = u16::from_le_bytes(self.take()?);
        let mut members = Vec::with_capacity(usize::from(len));
        for _ in 0..len {
            members.push((self.u32()?, self.u32()?));
        }
        Ok(RecentSet::from_members(members))
    }
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_count(out: &mut Vec<u8>, c: &SlidingCount) {
    let (newest, slots) = c.parts();
    put64(out, newest);
    slots.iter().for_each(|&s| put32(out, s));
}

fn put_set(out: &mut Vec<u8>, s: &RecentSet) {
    let members = &s.members()[..s.members().len().min(usize::from(u16::MAX))];
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    for &(id, seen) in members {
        put32(out, id);
        put32(out, seen);
    }
}

/// FNV-1a over the bytes, eight at a time: catches damage and truncation,
/// not tampering (a snapshot is the operator's own file).
fn checksum(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
