//! `floodwall scan`: one verdict per message, on the library's pipeline.
//!
//! Files are read once and cut into frames (one message of an mbox, one
//! record, one PDU) that the pipeline's workers decode and scan; outcomes
//! come back in input order, so the output is the same at any thread count.
//! SMPP and TPDU frames all go to one worker, whose reassembler then sees
//! every segment of a concatenated SMS however the files spread them.

use std::io::{BufWriter, Stdout, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use floodwall::ingest::{self, mbox, Format, Frame};
use floodwall::pipeline::{Job, JobBytes, Outcome, Pipeline};
use floodwall::{Address, Channel, Engine, Envelope, Verdict};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::inputs;

/// What `scan` was asked to do.
pub struct ScanRequest {
    pub format: Format,
    pub json: bool,
    pub envelope: Option<Envelope>,
    pub threads: usize,
    pub paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    index: usize,
    channel: Channel,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

/// The route key every SMS PDU takes (see the module docs); any non-zero
/// constant does.
const SMS_ROUTE: u64 = 1;

pub fn run(engine: Engine, request: ScanRequest) -> ExitCode {
    let files = inputs::expand(&request.paths);
    let sources: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let bar = inputs::progress(files.len(), "files");
    let printer = Arc::new(Mutex::new(Printer::new(request.json, sources, bar.clone())));
    let sink = Arc::clone(&printer);
    let pipeline = Pipeline::builder(Arc::new(engine))
        .threads(request.threads)
        .ordered(true)
        .on_result(move |outcome| lock(&sink).print(outcome));
    let mut ok = true;
    for (n, file) in files.iter().enumerate() {
        bar.set_position(n as u64);
        let complain = |err: &dyn std::fmt::Display| {
            bar.suspend(|| eprintln!("floodwall: {}: {err}", file.display()));
        };
        let bytes: Arc<[u8]> = match std::fs::read(file) {
            Ok(bytes) => bytes.into(),
            Err(err) => {
                complain(&err);
                ok = false;
                continue;
            }
        };
        let frames = match ingest::frames(request.format, &bytes) {
            Ok(frames) => frames,
            Err(err) => {
                complain(&err);
                ok = false;
                continue;
            }
        };
        for frame in frames {
            let route = match frame.format {
                Format::Smpp | Format::Tpdu => SMS_ROUTE,
                _ => 0,
            };
            let envelope = envelope_for(&bytes, &frame, request.envelope.as_ref());
            let slice = JobBytes::Slice(Arc::clone(&bytes), frame.range);
            let mut job = Job::new(slice, frame.format)
                .with_route_key(route)
                .with_token(token(n, frame.line));
            if let Some(envelope) = envelope {
                job = job.with_envelope(envelope);
            }
            if let Err(err) = pipeline.submit(job) {
                complain(&err);
                ok = false;
            }
        }
    }
    pipeline.finish();
    bar.finish_and_clear();
    let mut printer = lock(&printer);
    printer.summary();
    if ok && printer.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The envelope a frame's message is scanned with: a message of an mbox
/// takes the envelope sender and receive time its `From ` line gives (so a
/// replayed mailbox is judged by its own clock), and the fields given on
/// the command line replace those.
fn envelope_for(bytes: &[u8], frame: &Frame, given: Option<&Envelope>) -> Option<Envelope> {
    let from_line = match frame.format {
        Format::Eml => mbox::FromLine::before(bytes, frame.range.start),
        _ => None,
    };
    let Some(from_line) = from_line else {
        return given.cloned();
    };
    let mut envelope = Envelope {
        sender: from_line.sender.map(Address::new),
        received_ms: from_line.received_ms,
        ..Envelope::default()
    };
    if let Some(given) = given {
        if given.sender.is_some() {
            envelope.sender = given.sender.clone();
        }
        if !given.recipients.is_empty() {
            envelope.recipients = given.recipients.clone();
        }
        envelope.client_addr = given.client_addr.or(envelope.client_addr);
        envelope.helo = given.helo.clone().or(envelope.helo);
        envelope.received_ms = given.received_ms.or(envelope.received_ms);
    }
    Some(envelope)
}

/// A job's token: its file's index and the line its frame starts on.
fn token(file: usize, line: usize) -> u64 {
    ((file as u64) << 32) | (line as u64 & 0xffff_ffff)
}

fn lock(printer: &Mutex<Printer>) -> std::sync::MutexGuard<'_, Printer> {
    printer.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes outcomes as they arrive, in input order.
struct Printer {
    out: BufWriter<Stdout>,
    json: bool,
    sources: Vec<String>,
    bar: ProgressBar,
    /// The file of the last outcome and how many messages it gave so far.
    file: Option<usize>,
    index: usize,
    /// Messages completed only at the end (incomplete concatenated SMS).
    flushed: usize,
    counts: [usize; 6],
    /// No frame failed to decode.
    ok: bool,
}

impl Printer {
    fn new(json: bool, sources: Vec<String>, bar: ProgressBar) -> Printer {
        let mut out = BufWriter::new(std::io::stdout());
        if !json {
            let _ = writeln!(
                out,
                "{:<44} {:<5} {:>8}  {:<10} SYMBOLS",
                "MESSAGE", "CHAN", "SCORE", "ACTION"
            );
        }
        Printer {
            out,
            json,
            sources,
            bar,
            file: None,
            index: 0,
            flushed: 0,
            counts: [0; 6],
            ok: true,
        }
    }

    fn print(&mut self, outcome: Outcome) {
        let file = (outcome.token >> 32) as usize;
        let line = (outcome.token & 0xffff_ffff) as usize;
        if let Some(err) = outcome.error {
            let source = self.sources.get(file).map_or("?", String::as_str);
            let err = err.at_line(line);
            self.bar.suspend(|| eprintln!("floodwall: {source}: {err}"));
            self.ok = false;
        }
        let bar = self.bar.clone();
        bar.suspend(|| {
            for scanned in &outcome.scanned {
                let (source, index) = match outcome.seq {
                    Some(_) => {
                        if self.file != Some(file) {
                            self.file = Some(file);
                            self.index = 0;
                        }
                        self.index += 1;
                        let source = self.sources.get(file).map_or("?", String::as_str);
                        (source, self.index)
                    }
                    None => {
                        self.flushed += 1;
                        ("(incomplete at end of input)", self.flushed)
                    }
                };
                self.counts[scanned.verdict.action as usize] += 1;
                write_verdict(
                    &mut self.out,
                    self.json,
                    source,
                    index,
                    scanned.channel,
                    &scanned.verdict,
                );
            }
        });
    }

    fn summary(&mut self) {
        if !self.json {
            let c = self.counts;
            let total: usize = c.iter().sum();
            let _ = writeln!(
                self.out,
                "\n{total} messages: {} accept, {} tag, {} quarantine, {} tempfail, {} reject, {} discard",
                c[0], c[1], c[2], c[3], c[4], c[5]
            );
        }
        let _ = self.out.flush();
    }
}

fn write_verdict(
    out: &mut impl Write,
    json: bool,
    source: &str,
    index: usize,
    channel: Channel,
    verdict: &Verdict,
) {
    if json {
        let line = Line {
            source,
            index,
            channel,
            verdict,
        };
        let text = serde_json::to_string(&line).expect("verdicts serialise");
        let _ = writeln!(out, "{text}");
        return;
    }
    let symbols: Vec<String> = verdict.symbols.iter().map(|s| s.to_string()).collect();
    let label = format!("{source}#{index}");
    let _ = writeln!(
        out,
        "{:<44} {:<5} {:>8.2}  {:<10} {}",
        shorten(&label, 44),
        channel.as_str(),
        verdict.score,
        verdict.action.as_str(),
        symbols.join(",")
    );
}

/// Keeps the end of a long label (the file name matters most).
fn shorten(label: &str, width: usize) -> String {
    let count = label.chars().count();
    if count <= width {
        return label.to_string();
    }
    let tail: String = label.chars().skip(count - (width - 1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_messages_take_envelope_and_time_from_their_from_line() {
        let mbox = b"From a@b.example Mon Mar  2 00:00:01 2026\nSubject: x\n\nhi\n";
        let frames = ingest::frames(Format::Mbox, mbox).unwrap();
        let envelope = envelope_for(mbox, &frames[0], None).expect("an envelope");
        assert_eq!(envelope.sender.unwrap().value, "a@b.example");
        assert_eq!(envelope.received_ms, Some(1_772_409_601_000));

        let given = Envelope {
            sender: Some(Address::new("given@c.example")),
            ..Envelope::default()
        };
        let envelope = envelope_for(mbox, &frames[0], Some(&given)).unwrap();
        assert_eq!(envelope.sender.unwrap().value, "given@c.example");
        assert_eq!(envelope.received_ms, Some(1_772_409_601_000));

        let eml = b"Subject: x\n\nhi\n";
        let frames = ingest::frames(Format::Eml, eml).unwrap();
        assert!(envelope_for(eml, &frames[0], None).is_none());
    }
}
