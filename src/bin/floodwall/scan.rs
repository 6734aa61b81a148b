//! `floodwall scan`: one verdict per message.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use floodwall::ingest::Format;
use floodwall::{Engine, Envelope};
use serde::Serialize;

use crate::inputs;

#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    index: usize,
    channel: floodwall::Channel,
    #[serde(flatten)]
    verdict: &'a floodwall::Verdict,
}

pub fn run(
    engine: &Engine,
    format: Format,
    json: bool,
    envelope: Option<&Envelope>,
    paths: &[PathBuf],
) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut scratch = engine.scratch();
    let mut counts = [0usize; 6];
    if !json {
        let _ = writeln!(
            out,
            "{:<44} {:<5} {:>8}  {:<10} SYMBOLS",
            "MESSAGE", "CHAN", "SCORE", "ACTION"
        );
    }
    let ok = inputs::for_each_message(engine, format, paths, envelope, |source, index, msg| {
        let verdict = engine.scan(msg, &mut scratch);
        counts[verdict.action as usize] += 1;
        if json {
            let line = Line {
                source,
                index,
                channel: msg.channel,
                verdict: &verdict,
            };
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(&line).expect("verdicts serialise")
            );
        } else {
            let names: Vec<&str> = verdict.symbols.iter().map(|s| &*s.name).collect();
            let label = format!("{source}#{index}");
            let _ = writeln!(
                out,
                "{:<44} {:<5} {:>8.2}  {:<10} {}",
                shorten(&label, 44),
                msg.channel.as_str(),
                verdict.score,
                verdict.action.as_str(),
                names.join(",")
            );
        }
    });
    if !json {
        let total: usize = counts.iter().sum();
        let _ = writeln!(
            out,
            "\n{total} messages: {} accept, {} tag, {} quarantine, {} tempfail, {} reject, {} discard",
            counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]
        );
    }
    let _ = out.flush();
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
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
