//! The whole ingest front door on arbitrary bytes: format detection, the
//! framing of binary SMPP and hex lines, JSON-lines records, and the decoder
//! behind each, as `floodwall scan --format auto` drives them; and the
//! envelope `scan` reads from each mbox message's `From ` line.
#![no_main]

use floodwall::ingest::{self, mbox, Decoder, Format, IngestConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new(IngestConfig::default());
    let mut out = Vec::new();
    for format in [Format::Auto, Format::Jsonl, Format::Tpdu, Format::Smpp] {
        if let Ok(payloads) = ingest::split(format, data) {
            for payload in payloads {
                decoder.decode(payload, 0, &mut out);
            }
        }
        out.clear();
    }
    let mut rest = Vec::new();
    decoder.finish(&mut rest);
    let _ = mbox::FromLine::parse(data);
    if let Ok(frames) = ingest::frames(Format::Mbox, data) {
        for frame in frames {
            let _ = mbox::FromLine::before(data, frame.range.start);
        }
    }
});
