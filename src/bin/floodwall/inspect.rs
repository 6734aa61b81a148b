//! `floodwall inspect`: what the engine saw in each message — the decoded
//! envelope, text, URLs, attachments, protocol details and decode problems.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use floodwall::ingest::Format;
use floodwall::{Engine, Message};
use serde::Serialize;

use crate::inputs;

#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    index: usize,
    #[serde(flatten)]
    message: &'a Message<'a>,
    raw_bytes: usize,
}

pub fn run(engine: &Engine, format: Format, json: bool, paths: &[PathBuf]) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let ok = inputs::for_each_message(engine, format, paths, |source, index, msg| {
        let line = Line {
            source,
            index,
            message: msg,
            raw_bytes: msg.raw.len(),
        };
        if json {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(&line).expect("messages serialise")
            );
        } else {
            let _ = writeln!(out, "== {source}#{index}");
            let pretty = serde_json::to_string_pretty(&line).expect("messages serialise");
            let _ = writeln!(out, "{pretty}");
        }
    });
    let _ = out.flush();
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
