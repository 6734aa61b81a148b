//! Labelled messages for `train`, `learn` and `eval`: TSV (`label<TAB>text`),
//! JSON lines (`{"label": "spam", "text": "…"}`), mbox, Maildir and
//! directories of `.eml` files.
//!
//! A path given as `--ham` yields ham, as `--spam` spam. A record file
//! (TSV, JSON lines) labels each row itself: only the rows with the label
//! of the flag it was given under are read, so one file of both classes
//! can be named under both flags. Raw mail files are all of the flag's
//! label.

use std::path::{Path, PathBuf};

use floodwall::ingest::record::SmsRecord;
use floodwall::ingest::{email, mbox, IngestConfig};
use floodwall::{Channel, Message};

use crate::inputs;

/// A message and whether it is spam.
pub type Labelled = (Message<'static>, bool);

/// What was read, and what was skipped and why.
#[derive(Default)]
pub struct Read {
    /// The messages, in path order.
    pub messages: Vec<Labelled>,
    /// Files that could not be read (path and reason).
    pub errors: Vec<String>,
    /// Record rows without a `ham`/`spam` label or text.
    pub malformed_rows: usize,
}

/// Reads every message under `ham` and `spam` (directories recursively).
/// Records become `channel` messages: SMS text, or a header-less mail whose
/// first line may be `Subject: …`.
pub fn read(channel: Channel, ham: &[PathBuf], spam: &[PathBuf]) -> Read {
    let mut read = Read::default();
    let config = IngestConfig::default();
    for (paths, is_spam) in [(ham, false), (spam, true)] {
        let files = inputs::expand(paths);
        let bar = inputs::progress(files.len(), "files");
        for file in &files {
            bar.inc(1);
            if let Err(err) = read_file(file, channel, is_spam, &config, &mut read) {
                read.errors.push(format!("{}: {err}", file.display()));
            }
        }
        bar.finish_and_clear();
    }
    read
}

fn read_file(
    path: &Path,
    channel: Channel,
    spam: bool,
    config: &IngestConfig,
    read: &mut Read,
) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "tsv" => {
            let text = String::from_utf8_lossy(&bytes);
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                match line
                    .split_once('\t')
                    .and_then(|(l, t)| Some((label(l)?, t)))
                {
                    Some((label, text)) if label == spam => {
                        read.messages.push((record(channel, text), spam))
                    }
                    Some(_) => {}
                    None => read.malformed_rows += 1,
                }
            }
        }
        "jsonl" | "json" | "ndjson" => {
            let text = String::from_utf8_lossy(&bytes);
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let row = serde_json::from_str::<serde_json::Value>(line).ok();
                let fields = row.as_ref().and_then(|row| {
                    let label = label(row.get("label")?.as_str()?)?;
                    Some((label, row.get("text")?.as_str()?))
                });
                match fields {
                    Some((label, text)) if label == spam => {
                        read.messages.push((record(channel, text), spam))
                    }
                    Some(_) => {}
                    None => read.malformed_rows += 1,
                }
            }
        }
        _ if bytes.starts_with(b"From ") => {
            for raw in mbox::split(&bytes) {
                read.messages
                    .push((email::parse(raw, config).into_owned(), spam));
            }
        }
        // A Maildir entry or an .eml file: one raw mail.
        _ => read
            .messages
            .push((email::parse(&bytes, config).into_owned(), spam)),
    }
    Ok(())
}

fn label(text: &str) -> Option<bool> {
    match text.trim() {
        "spam" | "1" => Some(true),
        "ham" | "0" => Some(false),
        _ => None,
    }
}

/// A record's text as a message of `channel`.
fn record(channel: Channel, text: &str) -> Message<'static> {
    let mut msg = SmsRecord {
        from: None,
        to: Default::default(),
        text: text.to_string(),
        subject: None,
        channel: None,
        time: None,
    }
    .into_message();
    if channel == Channel::Email {
        let (subject, body) = match text.strip_prefix("Subject: ") {
            Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
            None => ("", text),
        };
        msg = SmsRecord {
            from: None,
            to: Default::default(),
            text: body.to_string(),
            subject: None,
            channel: None,
            time: None,
        }
        .into_message();
        msg.channel = Channel::Email;
        msg.subject = Some(subject.to_string());
    }
    msg
}

/// Reports what could not be read on stderr; returns whether all was read.
pub fn report(read: &Read) -> bool {
    for error in &read.errors {
        eprintln!("floodwall: {error}");
    }
    if read.malformed_rows > 0 {
        eprintln!(
            "floodwall: {} record rows skipped (no ham/spam label or no text)",
            read.malformed_rows
        );
    }
    read.errors.is_empty()
}
