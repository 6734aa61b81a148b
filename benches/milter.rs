//! The milter protocol layer alone, per generated 7.5 KB mail: decoding the
//! frames Postfix sends (macros, envelope, one frame per header, 64 KiB body
//! chunks), the session gathering them into a scan request, and the verdict
//! replies encoded. The scan is not in it: this is what the milter adds to
//! `end_to_end`'s email figure.

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::milter::codec::{self, DEFAULT_MAX_FRAME};
use floodwall::milter::reply::ReplyConfig;
use floodwall::milter::session::{Session, SessionConfig, Step};
use floodwall::{Action, Channel, Verdict};

const STREAM: usize = 200;

fn push(wire: &mut Vec<u8>, code: u8, data: &[u8]) {
    wire.extend_from_slice(&(data.len() as u32 + 1).to_be_bytes());
    wire.push(code);
    wire.extend_from_slice(data);
}

/// One message as Postfix 3.7 sends it after negotiation: header fields
/// unfolded into name and value, the body in chunks.
fn postfix_frames(mail: &[u8]) -> Vec<u8> {
    let split = mail
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or((mail.len(), mail.len()), |i| (i + 2, i + 4));
    let (head, body) = (&mail[..split.0], &mail[split.1.min(mail.len())..]);
    let mut wire = Vec::new();
    push(
        &mut wire,
        b'D',
        b"Mi\x00ABC123\x00{mail_addr}\x00a@example.org\x00",
    );
    push(&mut wire, b'M', b"<a@example.org>\x00");
    push(&mut wire, b'D', b"R{rcpt_addr}\x00b@example.net\x00");
    push(&mut wire, b'R', b"<b@example.net>\x00");
    let text = String::from_utf8_lossy(head)
        .replace("\r\n ", "\n ")
        .replace("\r\n\t", "\n\t");
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let mut data = name.as_bytes().to_vec();
        data.push(0);
        data.extend_from_slice(value.trim_start().as_bytes());
        data.push(0);
        push(&mut wire, b'L', &data);
    }
    for chunk in body.chunks(65535) {
        push(&mut wire, b'B', chunk);
    }
    push(&mut wire, b'E', b"");
    wire
}

fn milter_session(c: &mut Criterion) {
    let streams: Vec<Vec<u8>> = support::samples(Channel::Email, STREAM)
        .iter()
        .map(|s| postfix_frames(&s.bytes))
        .collect();
    let mut optneg = Vec::new();
    push(
        &mut optneg,
        b'O',
        b"\x00\x00\x00\x06\x00\x00\x01\xff\x00\x1f\xff\xff",
    );
    let mut session = Session::new(SessionConfig::default());
    let (first, _) = codec::decode(&optneg, DEFAULT_MAX_FRAME).unwrap().unwrap();
    session.handle(first).unwrap();
    let verdict = Verdict {
        score: 0.5,
        action: Action::Accept,
        symbols: Vec::new(),
    };
    let replies = ReplyConfig::default();
    let mut out = Vec::new();
    let mut next = 0;
    let mut group = c.benchmark_group("milter");
    group.throughput(Throughput::Elements(1));
    group.bench_function("email_frames_to_replies", |b| {
        b.iter(|| {
            let mut rest = &streams[next % streams.len()][..];
            next += 1;
            out.clear();
            let mut scanned = 0;
            while let Some((command, used)) = codec::decode(rest, DEFAULT_MAX_FRAME).unwrap() {
                rest = &rest[used..];
                match session.handle(command).unwrap() {
                    Step::Scan(request) => {
                        scanned += request.message.len();
                        for reply in session.verdict(&verdict, 5.0, &replies).unwrap() {
                            reply.encode(&mut out).unwrap();
                        }
                    }
                    Step::Reply(reply) => reply.encode(&mut out).unwrap(),
                    Step::Silent | Step::Close => {}
                }
            }
            scanned + out.len()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = milter_session
}
criterion_main!(benches);
