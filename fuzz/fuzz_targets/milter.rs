//! Fuzzes the milter frame decoder and the session state machine: whatever
//! an MTA sends, decoding and the session must never panic, the kept message
//! must stay within its limit, and every reply must encode.
//!
//! The first byte picks the input's form. Even: the rest is raw wire bytes.
//! Odd: the rest is a list of `command byte, length byte, data` records,
//! framed here after a valid OPTNEG, so that the fuzzer reaches deep session
//! states without having to find the length prefixes first.
#![no_main]

use floodwall::milter::codec::{self, Reply};
use floodwall::milter::reply::ReplyConfig;
use floodwall::milter::session::{Session, SessionConfig, Step};
use floodwall::{Action, Verdict};
use libfuzzer_sys::fuzz_target;

const MAX_FRAME: u32 = 2048;
const MAX_MESSAGE: usize = 300;
const MAX_RECIPIENTS: usize = 4;
const ACTIONS: [Action; 6] = [
    Action::Accept,
    Action::Tag,
    Action::Quarantine,
    Action::Tempfail,
    Action::Reject,
    Action::Discard,
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        converse(rest);
    } else {
        converse(&framed(mode, rest));
    }
});

/// Frames `command, length, data` records after an OPTNEG whose offer the
/// mode byte chooses (a full version 6 offer or an old one without the
/// no-reply bits, with or without SKIP).
fn framed(mode: u8, records: &[u8]) -> Vec<u8> {
    let protocol: u32 = match mode >> 1 & 3 {
        0 => 0x1F_FFFF,
        1 => 0x7F,
        2 => 0x7F | 0x400,
        _ => 0,
    };
    let mut optneg = vec![0, 0, 0, 6, 0, 0, 1, 0xff];
    optneg.extend_from_slice(&protocol.to_be_bytes());
    let mut wire = Vec::new();
    push_frame(&mut wire, b'O', &optneg);
    let mut rest = records;
    while let [code, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        push_frame(&mut wire, *code, &tail[..len]);
        rest = &tail[len..];
    }
    wire
}

fn push_frame(wire: &mut Vec<u8>, code: u8, data: &[u8]) {
    wire.extend_from_slice(&(data.len() as u32 + 1).to_be_bytes());
    wire.push(code);
    wire.extend_from_slice(data);
}

/// Plays the wire bytes into a session as a server would, until the input
/// ends, a frame or command is refused, or the MTA quits.
fn converse(wire: &[u8]) {
    let mut session = Session::new(SessionConfig {
        max_message_bytes: MAX_MESSAGE,
        max_recipients: MAX_RECIPIENTS,
        ..SessionConfig::default()
    });
    let mut replies = ReplyConfig::default();
    replies.subject_prefix = Some("[SPAM]".to_string());
    let mut out = Vec::new();
    let mut rest = wire;
    loop {
        let (command, used) = match codec::decode(rest, MAX_FRAME) {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => return,
        };
        assert!(used > 4 && used <= rest.len());
        rest = &rest[used..];
        match session.handle(command) {
            Err(_) | Ok(Step::Close) => return,
            Ok(Step::Silent) => {}
            Ok(Step::Reply(reply)) => reply.encode(&mut out).expect("session replies encode"),
            Ok(Step::Scan(request)) => {
                assert!(request.message.len() <= MAX_MESSAGE);
                assert_eq!(request.truncated, request.message_size > MAX_MESSAGE as u64);
                assert!(request.envelope.recipients.len() <= MAX_RECIPIENTS);
                let verdict = Verdict {
                    score: rest.len() as f64 / 7.0,
                    action: ACTIONS[rest.len() % ACTIONS.len()],
                    symbols: Vec::new(),
                };
                let answer = session
                    .verdict(&verdict, 5.0, &replies)
                    .expect("a verdict is pending after a scan");
                assert!(matches!(
                    answer.last(),
                    Some(Reply::Continue | Reply::ReplyCode(_) | Reply::Discard)
                ));
                for reply in answer {
                    reply.encode(&mut out).expect("verdict replies encode");
                }
            }
        }
        out.clear();
    }
}
