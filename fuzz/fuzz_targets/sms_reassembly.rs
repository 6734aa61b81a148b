//! Fuzzes reassembly: the input is a script of segment pushes. Each step is
//! `[source, reference, total, seq, alphabet, len, time delta, payload[len]]`;
//! the segments are encoded as SMPP submit_sm with a concatenation UDH and
//! pushed through a small-limit `SmsIngest`. Memory must stay bounded (the
//! limits hold) and nothing may panic.
#![no_main]

use floodwall::ingest::sms::smpp::{self, Body, Pdu, ShortMessage, SmeAddress};
use floodwall::ingest::sms::{DefaultAlphabet, SmsConfig, SmsIngest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = SmsConfig {
        default_alphabet: if data.first().is_some_and(|b| b & 1 == 1) {
            DefaultAlphabet::GsmPacked
        } else {
            DefaultAlphabet::GsmUnpacked
        },
        max_pending: 4,
        max_segments: 8,
        timeout_ms: 1_000,
        max_buffered_bytes: 8 * 1024,
    };
    let mut ingest = SmsIngest::new(config);
    let mut now = 0u64;
    let mut rest = data.get(1..).unwrap_or(&[]);
    let mut pushes = 0usize;
    let mut out = Vec::new();
    while rest.len() >= 7 {
        let (head, tail) = rest.split_at(7);
        let len = usize::from(head[5]).min(tail.len()).min(140);
        let (payload, tail) = tail.split_at(len);
        rest = tail;
        now += u64::from(head[6]) * 16;
        let data_coding = match head[4] % 4 {
            0 => 0x00,
            1 => 0x08,
            2 => 0x03,
            _ => 0x04,
        };
        let mut short_message = vec![5, 0x00, 3, head[1], head[2], head[3]];
        short_message.extend_from_slice(payload);
        let pdu = Pdu {
            command_id: smpp::SUBMIT_SM,
            command_status: 0,
            sequence: pushes as u32,
            body: Body::Message(Box::new(ShortMessage {
                source: SmeAddress::new(1, 1, format!("{}", head[0] % 8)),
                destinations: vec![SmeAddress::new(1, 1, "1")],
                esm_class: 0x40,
                data_coding,
                short_message,
                ..ShortMessage::default()
            })),
            tlvs: Vec::new(),
        };
        let bytes = floodwall::encode::smpp::encode(&pdu).expect("a fuzz segment encodes");
        ingest.push_smpp(&bytes, now, &mut out);
        pushes += 1;
        // Every accepted segment is emitted at most once.
        assert!(out.len() <= pushes);
    }
    let mut flushed = Vec::new();
    ingest.flush(&mut flushed);
    assert!(out.len() + flushed.len() <= pushes);
});
