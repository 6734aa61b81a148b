//! The model file: versioned, little-endian, checksummed.
//!
//! ```text
//! offset  size      field
//!      0     8      magic "FWMODEL\0"
//!      8     2      format version (1)
//!     10     1      family: 1 = text (SMS, MMS), 2 = email
//!     11     1      hash bits b (10..=26): the model has 2^b weights
//!     12     4      hash seed
//!     16     4      feature kinds (bit mask, see FeatureKinds)
//!     20     4      training epochs                 (u32)
//!     24     4      learning rate                   (f32)
//!     28     4      L2 penalty                      (f32)
//!     32     8      shuffle seed                    (u64)
//!     40     8      n: learned-message hashes       (u64)
//!     48   4·2^b    weights                         (f32)
//!      …   4·2^b    AdaGrad sums of squared gradients (f32)
//!      …   8·n      content hashes of learned messages, sorted by all
//!                   bits but the lowest, which is the label (1 = spam)
//!  end-8     8      checksum of every byte before it
//! ```
//!
//! Everything a scorer needs to reproduce the features is in the header,
//! so a model is never fed features hashed another way; the training
//! options are there so that `learn` continues with the step sizes that
//! trained it. A loader checks the length against the header before
//! reading, the checksum before trusting any weight, and every weight for
//! a finite value: a damaged file is an error, never a model that scores
//! everything 0.5 or NaN.

use std::path::Path;

use super::features::{FeatureKinds, FeatureParams};
use super::hashing::checksum;
use super::model::{Model, TrainOptions};
use super::Family;

const MAGIC: &[u8; 8] = b"FWMODEL\0";
/// The format version this code writes and reads.
pub const VERSION: u16 = 1;
const HEADER_LEN: usize = 48;
const CHECKSUM_LEN: usize = 8;

/// Why a model file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Fewer bytes than a header and checksum.
    #[error("model file is {len} bytes, shorter than the {min}-byte header and checksum")]
    TooShort {
        /// The file's length.
        len: usize,
        /// The least a model file can be.
        min: usize,
    },
    /// The first eight bytes are not `FWMODEL\0`.
    #[error("not a floodwall model file (bad magic bytes)")]
    BadMagic,
    /// Written by a version of the format this code does not read.
    #[error("model format version {found}; this floodwall reads version {supported}: retrain or upgrade")]
    UnsupportedVersion {
        /// The file's version.
        found: u16,
        /// The version this code reads.
        supported: u16,
    },
    /// The family byte names no family.
    #[error("unknown model family {0} (1 = text, 2 = email)")]
    UnknownFamily(u8),
    /// The hash-bits byte is outside [`FeatureParams::BITS`].
    #[error("hash bits {0} outside 10..=26")]
    BadHashBits(u8),
    /// The feature mask has bits this code does not know how to extract.
    #[error("feature kinds {0:#x} include kinds this floodwall does not know: retrain or upgrade")]
    UnknownFeatureKinds(u32),
    /// The length disagrees with what the header says the file holds.
    #[error("model file is {found} bytes; its header says {expected} (truncated or padded)")]
    WrongLength {
        /// The length the header implies.
        expected: u64,
        /// The file's length.
        found: usize,
    },
    /// The trailer does not match the bytes before it.
    #[error(
        "checksum mismatch (stored {stored:#018x}, computed {computed:#018x}): the file is corrupt"
    )]
    ChecksumMismatch {
        /// The checksum in the file.
        stored: u64,
        /// The checksum of its bytes.
        computed: u64,
    },
    /// A weight or step-size sum is NaN or infinite.
    #[error("{what} {index} is not a finite number")]
    NotFinite {
        /// Which array.
        what: &'static str,
        /// The position in it.
        index: usize,
    },
    /// A training option in the header cannot be trained with.
    #[error("training option {0} is out of range")]
    BadOption(&'static str),
    /// The learned-message hashes are not sorted and distinct.
    #[error("learned-message hash {index} is out of order")]
    UnsortedLearned {
        /// The first hash out of order.
        index: usize,
    },
    /// A model for the other family where one was asked for.
    #[error("model is for {found} messages, expected {expected}")]
    FamilyMismatch {
        /// The family asked for.
        expected: Family,
        /// The file's family.
        found: Family,
    },
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The model file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
}

fn family_code(family: Family) -> u8 {
    match family {
        Family::Text => 1,
        Family::Email => 2,
    }
}

impl Model {
    /// The model as the bytes of its file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let size = self.weights.len();
        let mut out = Vec::with_capacity(HEADER_LEN + 8 * size + 8 * self.learned.len() + 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(family_code(self.family));
        out.push(self.params.bits);
        out.extend_from_slice(&self.params.seed.to_le_bytes());
        out.extend_from_slice(&self.params.kinds.0.to_le_bytes());
        out.extend_from_slice(&self.options.epochs.to_le_bytes());
        out.extend_from_slice(&self.options.learning_rate.to_le_bytes());
        out.extend_from_slice(&self.options.l2.to_le_bytes());
        out.extend_from_slice(&self.options.shuffle_seed.to_le_bytes());
        out.extend_from_slice(&(self.learned.len() as u64).to_le_bytes());
        for w in self.weights.iter().chain(&self.squares) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for h in &self.learned {
            out.extend_from_slice(&h.to_le_bytes());
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads a model from the bytes of its file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let min = HEADER_LEN + CHECKSUM_LEN;
        if bytes.len() < min {
            return Err(ModelError::TooShort {
                len: bytes.len(),
                min,
            });
        }
        let (header, _) = bytes.split_at(HEADER_LEN);
        if &header[..8] != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let version = u16::from_le_bytes([header[8], header[9]]);
        if version != VERSION {
            return Err(ModelError::UnsupportedVersion {
                found: version,
                supported: VERSION,
            });
        }
        let family = match header[10] {
            1 => Family::Text,
            2 => Family::Email,
            other => return Err(ModelError::UnknownFamily(other)),
        };
        let bits = header[11];
        if !FeatureParams::BITS.contains(&bits) {
            return Err(ModelError::BadHashBits(bits));
        }
        let seed = u32_at(header, 12);
        let kinds = FeatureKinds(u32_at(header, 16));
        if !FeatureKinds::KNOWN.contains(kinds) {
            return Err(ModelError::UnknownFeatureKinds(kinds.0));
        }
        let options = TrainOptions {
            epochs: u32_at(header, 20),
            learning_rate: f32::from_bits(u32_at(header, 24)),
            l2: f32::from_bits(u32_at(header, 28)),
            shuffle_seed: u64_at(header, 32),
        };
        let learned_count = u64_at(header, 40);
        let size = 1u64 << bits;
        let expected = (HEADER_LEN as u64 + CHECKSUM_LEN as u64 + 8 * size)
            .checked_add(learned_count.saturating_mul(8))
            .filter(|&e| e == bytes.len() as u64)
            .ok_or(ModelError::WrongLength {
                expected: (HEADER_LEN as u64 + CHECKSUM_LEN as u64 + 8 * size)
                    .saturating_add(learned_count.saturating_mul(8)),
                found: bytes.len(),
            })?;
        let body_end = expected as usize - CHECKSUM_LEN;
        let stored = u64_at(bytes, body_end);
        let computed = checksum(&bytes[..body_end]);
        if stored != computed {
            return Err(ModelError::ChecksumMismatch { stored, computed });
        }
        let finite_positive = |x: f32| x.is_finite() && x > 0.0;
        if !finite_positive(options.learning_rate) {
            return Err(ModelError::BadOption("learning rate"));
        }
        if !(options.l2.is_finite() && options.l2 >= 0.0) {
            return Err(ModelError::BadOption("L2 penalty"));
        }
        let size = size as usize;
        let weights = read_f32s(&bytes[HEADER_LEN..], size, "weight")?;
        let squares = read_f32s(
            &bytes[HEADER_LEN + 4 * size..],
            size,
            "squared-gradient sum",
        )?;
        let learned_start = HEADER_LEN + 8 * size;
        let learned: Vec<u64> = bytes[learned_start..body_end]
            .chunks_exact(8)
            .map(|c| u64_at(c, 0))
            .collect();
        if let Some(index) = learned.windows(2).position(|w| w[0] >> 1 >= w[1] >> 1) {
            return Err(ModelError::UnsortedLearned { index: index + 1 });
        }
        Ok(Model {
            family,
            params: FeatureParams { bits, seed, kinds },
            weights,
            squares,
            learned,
            options,
        })
    }

    /// Loads a model file.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Model::from_bytes(&bytes)
    }

    /// Loads a model file that must be for `family`.
    pub fn load_for(path: &Path, family: Family) -> Result<Model, ModelError> {
        let model = Model::load(path)?;
        if model.family != family {
            return Err(ModelError::FamilyMismatch {
                expected: family,
                found: model.family,
            });
        }
        Ok(model)
    }

    /// Writes the model file: to a temporary file beside `path`, then
    /// renamed over it, so that a scanner loading it concurrently sees the
    /// old model or the new one, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let io = |source| ModelError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = std::path::PathBuf::from(tmp);
        std::fs::write(&tmp, self.to_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }
}

/// The checksum a model file's last eight bytes hold (little-endian), of
/// every byte before them: for tools that write or repair model files.
pub fn file_checksum(body: &[u8]) -> u64 {
    checksum(body)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut buf = [0u8; 4];
    buf.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(buf)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(buf)
}

fn read_f32s(bytes: &[u8], count: usize, what: &'static str) -> Result<Vec<f32>, ModelError> {
    let mut out = Vec::with_capacity(count);
    for (index, chunk) in bytes.chunks_exact(4).take(count).enumerate() {
        let value = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        if !value.is_finite() {
            return Err(ModelError::NotFinite { what, index });
        }
        out.push(value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::Features;

    fn trained() -> Model {
        let params = FeatureParams {
            bits: 10,
            seed: 9,
            kinds: FeatureKinds::TEXT_DEFAULT,
        };
        let mut model = Model::new(Family::Text, params, TrainOptions::default());
        let mut f = Features::default();
        for (text, spam) in [("win cash now", true), ("lunch at noon", false)] {
            let msg = crate::ingest::record::SmsRecord {
                from: None,
                to: Default::default(),
                text: text.into(),
                subject: None,
                channel: None,
                time: None,
            }
            .into_message();
            model.learn(&msg, spam, &mut f);
        }
        model
    }

    /// Rewrites the checksum after a deliberate change to the body, so the
    /// check behind it is reached.
    fn resealed(mut bytes: Vec<u8>) -> Vec<u8> {
        let end = bytes.len() - 8;
        let sum = checksum(&bytes[..end]);
        bytes[end..].copy_from_slice(&sum.to_le_bytes());
        bytes
    }

    #[test]
    fn round_trips_exactly() {
        let model = trained();
        let back = Model::from_bytes(&model.to_bytes()).unwrap();
        assert_eq!(back, model);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = trained().to_bytes();
        for len in [0, 7, 55, HEADER_LEN + 8, bytes.len() - 1] {
            assert!(Model::from_bytes(&bytes[..len]).is_err(), "length {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Model::from_bytes(&longer),
            Err(ModelError::WrongLength { .. })
        ));
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum() {
        let mut bytes = trained().to_bytes();
        let at = HEADER_LEN + 100;
        bytes[at] ^= 0x10;
        assert!(matches!(
            Model::from_bytes(&bytes),
            Err(ModelError::ChecksumMismatch { .. })
        ));
    }

    #[test]
    fn header_fields_are_checked() {
        let bytes = trained().to_bytes();
        let with = |at: usize, value: u8| {
            let mut b = bytes.clone();
            b[at] = value;
            Model::from_bytes(&resealed(b))
        };
        assert!(matches!(with(0, b'X'), Err(ModelError::BadMagic)));
        assert!(matches!(
            with(8, 2),
            Err(ModelError::UnsupportedVersion { found: 2, .. })
        ));
        assert!(matches!(with(10, 7), Err(ModelError::UnknownFamily(7))));
        assert!(matches!(with(11, 40), Err(ModelError::BadHashBits(40))));
        assert!(matches!(with(11, 11), Err(ModelError::WrongLength { .. })));
        assert!(matches!(
            with(19, 0x80),
            Err(ModelError::UnknownFeatureKinds(_))
        ));
        assert!(matches!(with(27, 0xff), Err(ModelError::BadOption(_))));
    }

    #[test]
    fn non_finite_weights_are_refused() {
        let mut bytes = trained().to_bytes();
        bytes[HEADER_LEN + 8..HEADER_LEN + 12].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(matches!(
            Model::from_bytes(&resealed(bytes)),
            Err(ModelError::NotFinite { index: 2, .. })
        ));
    }

    #[test]
    fn a_huge_learned_count_is_a_length_error_not_an_allocation() {
        let mut bytes = trained().to_bytes();
        bytes[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            Model::from_bytes(&resealed(bytes)),
            Err(ModelError::WrongLength { .. })
        ));
    }

    #[test]
    fn save_and_load_for_the_family() {
        let dir = std::env::temp_dir().join(format!("fw-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("text.fwm");
        let model = trained();
        model.save(&path).unwrap();
        assert_eq!(Model::load_for(&path, Family::Text).unwrap(), model);
        assert!(matches!(
            Model::load_for(&path, Family::Email),
            Err(ModelError::FamilyMismatch { .. })
        ));
        assert!(matches!(
            Model::load(&dir.join("missing")),
            Err(ModelError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
