//! `floodwall inspect`: what the engine saw in each message — the decoded
//! envelope, text, URLs, attachments, protocol details and decode problems.
//!
//! Whatever the input holds, nothing reaches the terminal that could drive
//! it: decoders turn invalid UTF-8 into U+FFFD, JSON escapes C0 controls,
//! and [`escape_controls`] escapes what JSON leaves raw (DEL, C1 controls
//! such as CSI, and the invisible bidirectional and format characters that
//! make text read differently from what it is). Random bytes given as mail
//! show as `\u001b`, `\u009b`, `\u202e`, not as terminal commands.

use std::borrow::Cow;
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
            let text = serde_json::to_string(&line).expect("messages serialise");
            let _ = writeln!(out, "{}", escape_controls(&text));
        } else {
            let _ = writeln!(out, "== {}#{index}", escape_controls(source));
            let pretty = serde_json::to_string_pretty(&line).expect("messages serialise");
            let _ = writeln!(out, "{}", escape_controls(&pretty));
        }
    });
    let _ = out.flush();
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Whether a character must not reach a terminal raw: every control but
/// the newline that ends a line (C0, DEL, and the C1 controls U+0080..U+009F,
/// where U+009B is CSI, an escape sequence on its own) and the invisible
/// format characters that reorder or hide text (zero widths, bidirectional
/// marks, embeddings, overrides and isolates, line and paragraph separators,
/// the byte-order mark).
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Replaces every [unsafe](is_unsafe) character with its `\uXXXX` escape.
/// In serialised JSON such characters can only stand inside strings (JSON
/// already escapes C0 there), where the escape means the same character: the
/// output parses to the same values, and is unchanged (borrowed) when there
/// is nothing to escape. Outside JSON (a file name) it makes them visible.
fn escape_controls(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            // Every unsafe character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_invisible_marks_are_escaped_and_parse_back() {
        let text = "a\u{7f}b\u{9b}2Jc\u{202e}d\u{feff}e\u{fffd}f";
        let json = serde_json::to_string(text).unwrap();
        let escaped = escape_controls(&json);
        assert_eq!(escaped, "\"a\\u007fb\\u009b2Jc\\u202ed\\ufeffe\u{fffd}f\"");
        assert!(!escaped.chars().any(is_unsafe));
        let back: String = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn a_file_name_with_an_escape_sequence_shows_it_escaped() {
        assert_eq!(escape_controls("mail\u{1b}[2J.eml"), "mail\\u001b[2J.eml");
    }

    #[test]
    fn text_without_controls_is_borrowed_unchanged() {
        let json = r#"{"subject":"Grüße, 你好 😀"}"#;
        assert!(matches!(escape_controls(json), Cow::Borrowed(j) if j == json));
    }
}
