//! On-disk cache of compiled Hyperscan databases and pattern profiles.
//!
//! Compiling is what makes start-up slow: for the 1,500-rule hard set
//! (`examples/gen_hard_rules.rs`), `floodwall rules check` took 30 s cold
//! (compile plus profiling every pattern) and 0.21 s warm, the whole process
//! included (release, shared 2-core machine). Each database is stored as
//! `db-<key>.hsdb`, where the key is a 128-bit hash of everything that
//! decides the bytes Hyperscan would produce: the expressions, their flags
//! and ids, the Hyperscan version, and the platform (architecture, OS and
//! the CPU features Hyperscan specialises for). A changed rule changes the
//! key, so a stale entry is never read; old entries are left for the
//! operator to delete with the directory.
//!
//! The hash is FNV-1a, written out here because `std`'s `DefaultHasher` is
//! not guaranteed stable across Rust versions; two 64-bit lanes with
//! different offsets make accidental collisions irrelevant for a cache.
//!
//! The cache is best-effort: an entry that cannot be read, fails its
//! checksum or is refused by Hyperscan is rebuilt and overwritten, and a
//! directory that cannot be written only costs the next start-up its
//! compile. Entries are written to a temporary name and renamed, so
//! concurrent builders never read a half-written file.

use std::path::{Path, PathBuf};

use hyperscan::prelude::*;
use hyperscan::{BlockMode, SerializedDatabase};

use crate::stage::signature::build::compile::{compile_database, PreparedPattern};

/// Bumped whenever what goes into a key or an entry's layout changes.
const FORMAT: &[u8] = b"floodwall-cache-1";
const MAGIC: &[u8; 8] = b"FWHSDB1\0";

/// The default cache directory: `$XDG_CACHE_HOME/floodwall`, else
/// `$HOME/.cache/floodwall`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("floodwall"))
}

/// FNV-1a over two lanes; stable across Rust versions and platforms.
pub(in crate::stage::signature) struct StableHash([u64; 2]);

impl StableHash {
    pub fn new() -> StableHash {
        StableHash([0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142])
    }

    /// Feeds `bytes` with its length first, so that ("ab","c") and ("a","bc")
    /// differ.
    pub fn feed(&mut self, bytes: &[u8]) -> &mut StableHash {
        for &b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            for lane in &mut self.0 {
                *lane ^= u64::from(b);
                *lane = lane.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        self
    }

    pub fn hex(&self) -> String {
        format!("{:016x}{:016x}", self.0[0], self.0[1])
    }

    fn checksum(bytes: &[u8]) -> u64 {
        StableHash::new().feed(bytes).0[0]
    }
}

/// A hash of the format, Hyperscan version and platform; the start of
/// every key.
pub(in crate::stage::signature) fn environment_hash() -> StableHash {
    let mut h = StableHash::new();
    h.feed(FORMAT)
        .feed(hyperscan::version_str().to_bytes())
        .feed(std::env::consts::ARCH.as_bytes())
        .feed(std::env::consts::OS.as_bytes());
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        let features = [
            std::is_x86_feature_detected!("avx2"),
            std::is_x86_feature_detected!("avx512bw"),
            std::is_x86_feature_detected!("avx512vbmi"),
        ];
        h.feed(&features.map(u8::from));
    }
    h
}

/// Feeds the patterns of one database, in order, into `h`.
pub(in crate::stage::signature) fn feed_patterns(
    h: &mut StableHash,
    patterns: &[&PreparedPattern],
) {
    for (i, p) in patterns.iter().enumerate() {
        h.feed(&(i as u64).to_le_bytes())
            .feed(p.expression.as_bytes())
            .feed(&p.flags.bits().to_le_bytes());
    }
}

/// The database for `patterns`: from `dir` when a valid entry exists, else
/// compiled (and stored when `dir` is given). Errors are compile errors.
pub(in crate::stage::signature) fn database(
    dir: Option<&Path>,
    patterns: &[&PreparedPattern],
) -> Result<BlockDatabase, (Option<usize>, String)> {
    let Some(dir) = dir else {
        return compile_database(patterns);
    };
    let mut key = environment_hash();
    feed_patterns(&mut key, patterns);
    let path = dir.join(format!("db-{}.hsdb", key.hex()));
    if let Some(db) = load(&path) {
        return Ok(db);
    }
    let db = compile_database(patterns)?;
    if let Ok(bytes) = db.serialize() {
        let mut entry = Vec::with_capacity(bytes.len() + 16);
        entry.extend_from_slice(MAGIC);
        entry.extend_from_slice(&StableHash::checksum(&bytes).to_le_bytes());
        entry.extend_from_slice(&bytes);
        store(&path, &entry);
    }
    Ok(db)
}

fn load(path: &Path) -> Option<BlockDatabase> {
    let entry = std::fs::read(path).ok()?;
    let (magic, rest) = entry.split_at_checked(MAGIC.len())?;
    let (sum, payload) = rest.split_at_checked(8)?;
    let sum = u64::from_le_bytes(sum.try_into().ok()?);
    if magic != MAGIC || sum != StableHash::checksum(payload) {
        return None;
    }
    payload.deserialize::<BlockMode>().ok()
}

/// Reads a small text entry (pattern profiles).
pub(in crate::stage::signature) fn read_text(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

/// Writes a small text entry; failures are ignored like any cache miss.
pub(in crate::stage::signature) fn write_text(dir: &Path, name: &str, text: &str) {
    store(&dir.join(name), text.as_bytes());
}

fn store(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Flags;
    use crate::stage::signature::build::compile::prepare_regex;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("floodwall-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn stores_then_loads_and_rebuilds_a_corrupt_entry() {
        let dir = temp_dir("cache");
        let p = prepare_regex(r"\bfree\s+money\b", Flags::default()).expect("valid");
        let scratch_scan = |db: &BlockDatabase| {
            let s = db.alloc_scratch().expect("scratch");
            let mut hit = false;
            db.scan(&b"get free money"[..], &s, |_, _, _, _| {
                hit = true;
                Matching::Continue
            })
            .expect("scan");
            hit
        };
        assert!(scratch_scan(
            &database(Some(&dir), &[&p]).expect("compiles")
        ));
        let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("cache dir written")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(entries.len(), 1);
        assert!(load(&entries[0]).is_some());
        std::fs::write(&entries[0], b"FWHSDB1\0garbage").expect("writable");
        assert!(load(&entries[0]).is_none());
        assert!(scratch_scan(
            &database(Some(&dir), &[&p]).expect("rebuilds")
        ));
        assert!(load(&entries[0]).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn key_depends_on_order_and_flags() {
        let a = prepare_regex("abc", Flags::default()).expect("valid");
        let b = prepare_regex(
            "abc",
            Flags {
                caseless: true,
                ..Flags::default()
            },
        )
        .expect("valid");
        let key = |ps: &[&PreparedPattern]| {
            let mut h = StableHash::new();
            feed_patterns(&mut h, ps);
            h.hex()
        };
        assert_ne!(key(&[&a]), key(&[&b]));
        assert_ne!(key(&[&a, &b]), key(&[&b, &a]));
        assert_eq!(key(&[&a]), key(&[&a]));
    }
}
