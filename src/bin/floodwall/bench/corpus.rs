//! What a benchmark scans: a generated stream per channel, or the messages
//! of given files, each held once and shared by every submit.

use std::path::PathBuf;
use std::sync::Arc;

use floodwall::ingest::{self, Format, Payload};
use floodwall::pipeline::Job;
use floodwall::{workload, Channel};

use crate::inputs;

/// Jobs ready to submit, and what they are.
pub struct Corpus {
    /// `email`, `sms`, `mms` or `files`.
    pub name: String,
    /// Where the messages came from, for the report.
    pub source: String,
    pub jobs: Vec<Job>,
    pub bytes: u64,
    /// The share generated as spam (none for files: unknown).
    pub spam_share: Option<f64>,
}

/// Seed of every generated stream: runs and machines compare.
const SEED: u64 = 0x5eed_f100d;

pub fn generated(channel: Channel, count: usize) -> Corpus {
    let samples = workload::generate(channel, SEED, count);
    let spam = samples.iter().filter(|s| s.spam).count();
    let jobs: Vec<Job> = samples
        .into_iter()
        .map(|s| Job::new(Arc::<[u8]>::from(s.bytes), s.format))
        .collect();
    Corpus {
        name: channel.as_str().to_string(),
        source: format!("generated (seed {SEED:#x})"),
        bytes: jobs.iter().map(|j| j.bytes.len() as u64).sum(),
        spam_share: Some(spam as f64 / count.max(1) as f64),
        jobs,
    }
}

/// The messages of `paths` (directories recursively), one job per payload.
/// Returns the corpus and whether every file could be read and recognised.
pub fn from_files(paths: &[PathBuf], format: Format, limit: Option<usize>) -> (Corpus, bool) {
    let files = inputs::expand(paths);
    let mut jobs = Vec::new();
    let mut ok = true;
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!("floodwall: {}: {err}", file.display());
                ok = false;
                continue;
            }
        };
        if let Err(err) = split(&bytes, format, &mut jobs) {
            eprintln!("floodwall: {}: {err}", file.display());
            ok = false;
        }
    }
    if let Some(limit) = limit {
        jobs.truncate(limit);
    }
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let corpus = Corpus {
        name: "files".to_string(),
        source: names.join(" "),
        bytes: jobs.iter().map(|j| j.bytes.len() as u64).sum(),
        spam_share: None,
        jobs,
    };
    (corpus, ok)
}

/// One job per payload, each in a form a pipeline job can carry alone.
fn split(bytes: &[u8], format: Format, jobs: &mut Vec<Job>) -> Result<(), ingest::IngestError> {
    let format = match format {
        Format::Auto => ingest::detect(bytes).ok_or(ingest::IngestError::UnknownFormat)?,
        named => named,
    };
    if format == Format::Jsonl {
        // Records are split here rather than by `ingest::split`, which
        // returns them parsed; a job carries the record's JSON line.
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.trim_ascii();
            if !line.is_empty() && !line.starts_with(b"#") {
                jobs.push(job(line.to_vec(), Format::Jsonl));
            }
        }
        return Ok(());
    }
    for payload in ingest::split(format, bytes)? {
        jobs.push(match payload {
            Payload::Email(b) => job(b.to_vec(), Format::Eml),
            Payload::Smpp(pdu) => job(pdu.into_owned(), Format::Smpp),
            Payload::Tpdu(tpdu) => job(hex(&tpdu).into_bytes(), Format::Tpdu),
            Payload::Mms(b) => job(b.to_vec(), Format::Mms),
            Payload::Record(_) => unreachable!("JSON lines are split above"),
        });
    }
    Ok(())
}

fn job(bytes: Vec<u8>, format: Format) -> Job {
    Job::new(Arc::<[u8]>::from(bytes), format)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
