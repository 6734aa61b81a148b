//! Framing: where each message of a container file lies, without decoding.
//!
//! [`split`](super::split) decodes as it splits (hex to bytes, JSON to
//! records), which a single decoder wants. A pipeline wants the opposite:
//! cheap byte ranges it can hand to many workers, each decoding its own.
//! A frame is one payload's range, its format and its first line, so an
//! error in one frame names the line in the file and spares the others.

use std::ops::Range;

use super::detect::{self, looks_like_smpp};
use super::{mbox, Format, IngestError};

/// One payload of a file: its byte range, the format of those bytes alone,
/// and the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Where the payload lies in the file.
    pub range: Range<usize>,
    /// The format of the payload on its own (`Eml` for a message of an
    /// mbox, `Jsonl` for one record, `Smpp` for one PDU, hex or binary).
    pub format: Format,
    /// The line of the file the payload starts on.
    pub line: usize,
}

/// The frames of a file in `format` (`Auto` detects it first).
pub fn frames(format: Format, bytes: &[u8]) -> Result<Vec<Frame>, IngestError> {
    let format = match format {
        Format::Auto => detect::detect(bytes).ok_or(IngestError::UnknownFormat)?,
        other => other,
    };
    let whole = || {
        vec![Frame {
            range: 0..bytes.len(),
            format,
            line: 1,
        }]
    };
    Ok(match format {
        Format::Auto => return Err(IngestError::UnknownFormat),
        Format::Eml | Format::Mms => whole(),
        Format::Mbox => {
            // Lines are counted from the previous message on, not from the
            // start of the file each time: that was quadratic in the size
            // of an mbox (18% of a scan of the phishing corpus).
            let (mut line, mut counted) = (1, 0);
            mbox::split(bytes)
                .map(|message| {
                    let start = offset_in(bytes, message);
                    line += memchr::memchr_iter(b'\n', &bytes[counted.min(start)..start]).count();
                    counted = start;
                    Frame {
                        range: start..start + message.len(),
                        format: Format::Eml,
                        line,
                    }
                })
                .collect()
        }
        Format::Jsonl => lines(bytes, Format::Jsonl, |_| true),
        Format::Tpdu => lines(bytes, Format::Tpdu, |line| !line.starts_with(b"#")),
        Format::Smpp if !looks_like_smpp(bytes) && detect::hex_lines(bytes).is_ok() => {
            lines(bytes, Format::Smpp, |line| !line.starts_with(b"#"))
        }
        Format::Smpp => binary_pdus(bytes),
    })
}

/// Each non-blank line that `keep` accepts, as a frame of `format`.
fn lines(bytes: &[u8], format: Format, keep: impl Fn(&[u8]) -> bool) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty() && keep(trimmed) {
            out.push(Frame {
                range: start..start + line.len(),
                format,
                line: i + 1,
            });
        }
        start += line.len() + 1;
    }
    out
}

/// SMPP PDUs back to back, framed by their `command_length` as
/// [`detect::split_smpp`] frames them (a length that cannot be right takes
/// the rest, which the decoder then reports).
fn binary_pdus(bytes: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let rest = &bytes[start..];
        let length = match rest {
            [a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]) as usize,
            _ => 0,
        };
        let take = if (16..=rest.len()).contains(&length) {
            length
        } else {
            rest.len()
        };
        out.push(Frame {
            range: start..start + take,
            format: Format::Smpp,
            line: 1,
        });
        start += take;
    }
    out
}

/// Where `part`, a subslice of `whole`, starts in it.
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(bytes: &'a [u8], frames: &[Frame]) -> Vec<&'a str> {
        frames
            .iter()
            .map(|f| std::str::from_utf8(&bytes[f.range.clone()]).expect("test text"))
            .collect()
    }

    #[test]
    fn records_are_framed_by_line_and_blank_lines_skipped() {
        let bytes = b"{\"text\":\"a\"}\n\n{\"text\":\"b\"}\n";
        let frames = frames(Format::Jsonl, bytes).expect("frames");
        assert_eq!(
            texts(bytes, &frames),
            ["{\"text\":\"a\"}", "{\"text\":\"b\"}"]
        );
        assert_eq!(frames[1].line, 3);
    }

    #[test]
    fn mbox_messages_become_eml_frames() {
        let bytes = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: 1\n\nx\nFrom c@d Mon Jan  1 00:00:00 2024\nSubject: 2\n\ny\nFrom e@f Mon Jan  1 00:00:00 2024\nSubject: 3\n\nz\n";
        let frames = frames(Format::Mbox, bytes).expect("frames");
        assert_eq!(frames.len(), 3);
        assert!(frames.iter().all(|f| f.format == Format::Eml));
        let lines: Vec<usize> = frames.iter().map(|f| f.line).collect();
        assert_eq!(
            lines,
            [2, 6, 10],
            "each message starts after its From_ line"
        );
        assert!(texts(bytes, &frames)[1].contains("Subject: 2"));
    }

    #[test]
    fn binary_smpp_is_framed_by_command_length() {
        let mut bytes = vec![0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1];
        bytes.extend_from_slice(&[0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 2]);
        let frames = frames(Format::Smpp, &bytes).expect("frames");
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].range, 16..32);
    }

    #[test]
    fn blank_input_is_refused_on_auto() {
        assert!(matches!(
            frames(Format::Auto, b" \n\n"),
            Err(IngestError::UnknownFormat)
        ));
    }
}
