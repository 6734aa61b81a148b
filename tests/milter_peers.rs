//! `floodwall milter` against peers that misbehave, spoken to in raw milter
//! frames: each gets a closed connection and a log line, and the service
//! goes on serving. Also the unix listener and the message size limit.

#[path = "support/milter_service.rs"]
mod milter_service;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use milter_service::MilterService;

fn rules(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "floodwall-peers-rules-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("rules dir");
    std::fs::write(
        dir.join("test.toml"),
        "[[rule]]\nid = \"TEST_TAG\"\ndescription = \"t\"\nscore = 6.0\ntarget = \"body\"\nkind = \"literal\"\npattern = 'tag-this-one'\n",
    )
    .expect("write rules");
    dir
}

fn frame(code: u8, data: &[u8]) -> Vec<u8> {
    let mut out = ((data.len() + 1) as u32).to_be_bytes().to_vec();
    out.push(code);
    out.extend_from_slice(data);
    out
}

/// The MTA's OPTNEG: version 6, every action, no steps left out and no
/// reply waived, so that every command is answered.
fn optneg() -> Vec<u8> {
    let mut data = 6u32.to_be_bytes().to_vec();
    data.extend_from_slice(&0x1ffu32.to_be_bytes());
    data.extend_from_slice(&0u32.to_be_bytes());
    frame(b'O', &data)
}

/// Reads one reply frame: its command byte and data; `None` at close.
fn reply<S: Read>(stream: &mut S) -> Option<(u8, Vec<u8>)> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).ok()?;
    let code = *body.first()?;
    Some((code, body[1..].to_vec()))
}

fn connect(service: &MilterService) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect(service.milter_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream
}

/// Negotiation still works: the service is alive.
fn assert_serving(service: &MilterService) {
    let mut stream = connect(service);
    stream.write_all(&optneg()).expect("write");
    let (code, _) = reply(&mut stream).expect("an OPTNEG answer");
    assert_eq!(code, b'O');
}

fn assert_closed<S: Read>(stream: &mut S, within: Duration) {
    let start = Instant::now();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        start.elapsed() <= within,
        "closed after {:?}",
        start.elapsed()
    );
}

#[test]
fn bad_peers_get_a_closed_connection_and_the_service_goes_on() {
    let rules = rules("bad-peers");
    let service = MilterService::start_with(&rules, "[timeouts]\nconnect = 1\n", &[])
        .unwrap_or_else(|e| panic!("{e}"));

    // An unknown command byte.
    let mut stream = connect(&service);
    stream.write_all(&frame(b'Z', b"")).expect("write");
    assert_closed(&mut stream, Duration::from_secs(10));
    assert_serving(&service);

    // A length prefix far over the frame limit: refused before reading on.
    let mut stream = connect(&service);
    stream
        .write_all(&0x7fff_ffffu32.to_be_bytes())
        .expect("write");
    assert_closed(&mut stream, Duration::from_secs(10));
    assert_serving(&service);

    // A command out of order: MAIL before OPTNEG.
    let mut stream = connect(&service);
    stream.write_all(&frame(b'M', b"<a@b>\0")).expect("write");
    assert_closed(&mut stream, Duration::from_secs(10));

    // Silence: closed after the connect timeout (1 s here).
    let mut stream = connect(&service);
    assert_closed(&mut stream, Duration::from_secs(10));

    // Gone mid-message.
    let mut stream = connect(&service);
    stream.write_all(&optneg()).expect("write");
    reply(&mut stream).expect("OPTNEG answer");
    stream.write_all(&frame(b'C', b"client\0U")).expect("write");
    reply(&mut stream).expect("CONNECT answer");
    stream.write_all(&frame(b'M', b"<a@b>\0")).expect("write");
    reply(&mut stream).expect("MAIL answer");
    drop(stream);

    assert_serving(&service);
    service
        .wait_for_log("peer closed the connection", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let page = service.metrics().unwrap_or_else(|e| panic!("{e}"));
    for line in [
        "floodwall_errors_total{kind=\"protocol\"} 3\n",
        "floodwall_errors_total{kind=\"timeout\"} 1\n",
        "floodwall_errors_total{kind=\"io\"} 1\n",
    ] {
        assert!(
            page.contains(line),
            "no {line:?} in\n{page}\nlog:\n{}",
            service.log()
        );
    }
    let _ = std::fs::remove_dir_all(&rules);
}

/// A whole message in raw frames; returns the replies to end of body.
fn one_message<S: Read + Write>(stream: &mut S, body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    begin_message(stream, body);
    end_message(stream)
}

/// Negotiation and a message up to its body, each step answered.
fn begin_message<S: Read + Write>(stream: &mut S, body: &[u8]) {
    stream.write_all(&optneg()).expect("write");
    assert_eq!(reply(stream).expect("OPTNEG").0, b'O');
    let steps: Vec<Vec<u8>> = vec![
        frame(b'C', b"client\0U"),
        frame(b'H', b"client.test\0"),
        frame(b'M', b"<alice@example.org>\0"),
        frame(b'R', b"<bob@example.test>\0"),
        frame(b'T', b""),
        frame(b'L', b"Subject\0 hi\0"),
        frame(b'N', b""),
        frame(b'B', body),
    ];
    for step in steps {
        stream.write_all(&step).expect("write");
        let (code, _) = reply(stream).expect("a reply to each step");
        assert!(code == b'c' || code == b's', "reply {}", char::from(code));
    }
}

/// End of body; returns the replies up to the final one.
fn end_message<S: Read + Write>(stream: &mut S) -> Vec<(u8, Vec<u8>)> {
    stream.write_all(&frame(b'E', b"")).expect("write");
    let mut replies = Vec::new();
    while let Some((code, data)) = reply(stream) {
        replies.push((code, data));
        if matches!(code, b'c' | b'a' | b'r' | b't' | b'd' | b'y') {
            break;
        }
    }
    replies
}

fn header_values(replies: &[(u8, Vec<u8>)]) -> String {
    replies
        .iter()
        .filter(|(code, _)| *code == b'h' || *code == b'i')
        .map(|(_, data)| String::from_utf8_lossy(data).replace('\0', " "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_message_over_the_limit_is_scanned_up_to_it_and_marked_over_a_unix_socket() {
    let rules = rules("limit");
    let socket = std::env::temp_dir().join(format!("floodwall-peers-{}.sock", std::process::id()));
    let service = MilterService::start_with(
        &rules,
        "[limits]\nmax_message_bytes = 200\n",
        &[format!("unix:{}", socket.display())],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "{mode:o}");
    let mut stream = std::os::unix::net::UnixStream::connect(&socket)
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", socket.display()));
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");

    let mut body = b"tag-this-one\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', 1000));
    let replies = one_message(&mut stream, &body);
    let headers = header_values(&replies);
    assert!(headers.contains("FW_OVERSIZE"), "{headers}");
    assert!(headers.contains("TEST_TAG"), "{headers}");

    // The next message on the same socket is under the limit.
    drop(stream);
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let headers = header_values(&one_message(&mut stream, b"short\r\n"));
    assert!(!headers.contains("FW_OVERSIZE"), "{headers}");
    let page = service.metrics().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page.contains("floodwall_messages_truncated_total 1\n"),
        "{page}"
    );
    drop(service);
    assert!(!socket.exists(), "socket file left behind");
    let _ = std::fs::remove_dir_all(&rules);
}

#[test]
fn sigterm_stops_accepting_and_finishes_the_message_in_flight() {
    let rules = rules("sigterm");
    let mut service = MilterService::start(&rules).unwrap_or_else(|e| panic!("{e}"));
    let mut stream = connect(&service);
    begin_message(&mut stream, b"tag-this-one\r\n");

    service.signal(libc::SIGTERM);
    let start = Instant::now();
    while std::net::TcpStream::connect(service.milter_addr()).is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still accepting 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The message begun before SIGTERM still gets its verdict.
    let headers = header_values(&end_message(&mut stream));
    assert!(headers.contains("TEST_TAG"), "{headers}");
    // Then the connection closes, and so does the service.
    assert_closed(&mut stream, Duration::from_secs(10));
    let status = service.stop().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "{status}\n{}", service.log());
    assert!(
        service.log().contains("stopped jobs=1"),
        "{}",
        service.log()
    );
    let _ = std::fs::remove_dir_all(&rules);
}
