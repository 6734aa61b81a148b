use std::net::IpAddr;

use super::*;
use crate::milter::codec::{self, Command};
use crate::milter::negotiation::{Actions, OptNeg, Protocol};
use crate::milter::reply::tests::verdict;
use crate::Action;

/// Postfix 3.x's offer with `milter_protocol = 6`.
fn full_offer() -> Command<'static> {
    Command::OptNeg(OptNeg {
        version: 6,
        actions: Actions(0x1FF),
        protocol: Protocol(0x1F_FFFF),
        macros: Vec::new(),
    })
}

/// An old MTA's offer: every step, no no-reply bits, no skip.
fn old_offer() -> Command<'static> {
    Command::OptNeg(OptNeg {
        version: 2,
        actions: Actions(0x3F),
        protocol: Protocol(0x7F),
        macros: Vec::new(),
    })
}

fn session() -> Session {
    Session::new(SessionConfig::default())
}

fn negotiated(offer: Command<'static>) -> Session {
    let mut s = session();
    assert!(matches!(s.handle(offer), Ok(Step::Reply(Reply::OptNeg(_)))));
    s
}

fn silent(s: &mut Session, command: Command<'_>) {
    let step = s.handle(command).unwrap();
    assert!(matches!(step, Step::Silent), "{step:?}");
}

fn continues(s: &mut Session, command: Command<'_>) {
    let step = s.handle(command).unwrap();
    assert!(matches!(step, Step::Reply(Reply::Continue)), "{step:?}");
}

fn scan(s: &mut Session, command: Command<'_>) -> ScanRequest {
    match s.handle(command).unwrap() {
        Step::Scan(request) => *request,
        other => panic!("expected a scan, got {other:?}"),
    }
}

fn out_of_order(s: &mut Session, command: Command<'_>) {
    let code = command.code();
    match s.handle(command) {
        Err(SessionError::OutOfOrder { code: c, .. }) => assert_eq!(c, code),
        other => panic!(
            "'{}' should be out of order, got {other:?}",
            char::from(code)
        ),
    }
}

fn macros<'a>(stage: u8, pairs: &[(&'a str, &'a str)]) -> Command<'a> {
    Command::Macro {
        stage,
        pairs: pairs
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect(),
    }
}

fn header<'a>(name: &'a str, value: &'a str) -> Command<'a> {
    Command::Header {
        name: name.as_bytes(),
        value: value.as_bytes(),
    }
}

fn mail(path: &str) -> Command<'_> {
    Command::Mail {
        args: vec![path.as_bytes()],
    }
}

fn rcpt(path: &str) -> Command<'_> {
    Command::Rcpt {
        args: vec![path.as_bytes()],
    }
}

fn connect_v4(address: &str) -> Command<'_> {
    Command::Connect {
        hostname: b"client.example.org",
        address: ConnectAddress::Inet {
            port: 4242,
            address: address.as_bytes(),
        },
    }
}

#[test]
fn a_postfix_transaction_becomes_one_scan() {
    let mut s = negotiated(full_offer());
    silent(
        &mut s,
        macros(
            b'C',
            &[
                ("j", "mx.example.net"),
                ("{daemon_name}", "smtpd-in"),
                ("_", "client.example.org [192.0.2.7]"),
                ("{client_addr}", "192.0.2.7"),
            ],
        ),
    );
    silent(&mut s, connect_v4("192.0.2.7"));
    silent(
        &mut s,
        Command::Helo {
            name: b"client.example.org",
        },
    );
    silent(
        &mut s,
        macros(
            b'M',
            &[
                ("i", "4XyZ1"),
                ("{auth_authen}", "alice"),
                ("{mail_addr}", "alice@example.org"),
            ],
        ),
    );
    silent(
        &mut s,
        Command::Mail {
            args: vec![b"<alice@example.org>", b"SIZE=120"],
        },
    );
    silent(&mut s, macros(b'R', &[("{rcpt_addr}", "bob@example.net")]));
    silent(&mut s, rcpt("<bob@example.net>"));
    silent(&mut s, rcpt("<carol@example.net>"));
    silent(&mut s, header("From", "alice@example.org"));
    silent(&mut s, header("Subject", "lunch?"));
    silent(&mut s, header("X-Spam-Flag", "NO"));
    silent(&mut s, header("x-spam-flag", "NO"));
    silent(&mut s, header("X-Spam-Status", "No, score=-100"));
    silent(&mut s, Command::Body { chunk: b"See you " });
    silent(
        &mut s,
        Command::Body {
            chunk: b"at noon.\r\n",
        },
    );
    assert!(s.in_message());
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert!(s.awaiting_verdict());
    assert!(s.in_message());

    let envelope = &request.envelope;
    assert_eq!(envelope.sender, Some(Address::new("alice@example.org")));
    assert_eq!(
        envelope.recipients,
        [
            Address::new("bob@example.net"),
            Address::new("carol@example.net")
        ]
    );
    assert_eq!(
        envelope.client_addr,
        Some("192.0.2.7".parse::<IpAddr>().unwrap())
    );
    assert_eq!(envelope.helo.as_deref(), Some("client.example.org"));
    let want =
        "From: alice@example.org\r\nSubject: lunch?\r\nX-Spam-Flag: NO\r\nx-spam-flag: NO\r\n\
                X-Spam-Status: No, score=-100\r\n\r\nSee you at noon.\r\n";
    assert_eq!(String::from_utf8(request.message.clone()).unwrap(), want);
    assert_eq!(request.message_size, want.len() as u64);
    assert!(!request.truncated);
    assert_eq!(
        request.context,
        MessageContext {
            queue_id: Some("4XyZ1".into()),
            auth_authen: Some("alice".into()),
            daemon_name: Some("smtpd-in".into()),
            mta_name: Some("mx.example.net".into()),
            client_name: Some("client.example.org".into()),
        }
    );

    let replies = s
        .verdict(
            &verdict(Action::Accept, 0.5, &["A"]),
            5.0,
            &ReplyConfig::default(),
        )
        .unwrap();
    // Both spellings of X-Spam-Flag count as one name: indices 2 then 1.
    let deleted: Vec<(u32, &str)> = replies
        .iter()
        .filter_map(|r| match r {
            Reply::ChangeHeader { index, name, value } if value.is_empty() => {
                Some((*index, name.as_str()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        deleted,
        [(2, "X-Spam-Flag"), (1, "X-Spam-Flag"), (1, "X-Spam-Status")]
    );
    assert_eq!(replies.last(), Some(&Reply::Continue));
    assert!(!s.awaiting_verdict());
    assert!(!s.in_message());
}

#[test]
fn the_next_message_starts_clean() {
    let mut s = negotiated(full_offer());
    silent(&mut s, connect_v4("192.0.2.7"));
    silent(
        &mut s,
        macros(b'M', &[("i", "Q1"), ("{auth_authen}", "alice")]),
    );
    silent(&mut s, mail("<a@example.org>"));
    silent(&mut s, rcpt("<b@example.org>"));
    silent(&mut s, header("X-Spam-Flag", "YES"));
    scan(&mut s, Command::EndOfBody { chunk: b"one\r\n" });
    s.verdict(
        &verdict(Action::Accept, 0.0, &[]),
        5.0,
        &ReplyConfig::default(),
    )
    .unwrap();

    silent(&mut s, mail("<c@example.org>"));
    silent(&mut s, rcpt("<d@example.org>"));
    let request = scan(&mut s, Command::EndOfBody { chunk: b"two\r\n" });
    assert_eq!(request.envelope.sender, Some(Address::new("c@example.org")));
    assert_eq!(request.envelope.recipients, [Address::new("d@example.org")]);
    assert_eq!(
        request.envelope.client_addr,
        Some("192.0.2.7".parse().unwrap()),
        "connection facts stay"
    );
    assert_eq!(request.message, b"\r\ntwo\r\n");
    assert_eq!(
        (request.context.queue_id, request.context.auth_authen),
        (None, None)
    );
    let replies = s
        .verdict(
            &verdict(Action::Accept, 0.0, &[]),
            5.0,
            &ReplyConfig::default(),
        )
        .unwrap();
    assert!(
        !replies
            .iter()
            .any(|r| matches!(r, Reply::ChangeHeader { .. })),
        "the first message's X-Spam-Flag is not this one's"
    );
}

#[test]
fn every_step_is_answered_when_the_mta_cannot_skip_replies() {
    let mut s = negotiated(old_offer());
    continues(&mut s, connect_v4("192.0.2.7"));
    continues(&mut s, Command::Helo { name: b"h" });
    continues(&mut s, mail("<a@example.org>"));
    continues(&mut s, rcpt("<b@example.org>"));
    continues(&mut s, header("Subject", "x"));
    continues(&mut s, Command::EndOfHeaders);
    continues(&mut s, Command::Body { chunk: b"body\r\n" });
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert_eq!(request.message, b"Subject: x\r\n\r\nbody\r\n");
}

#[test]
fn data_and_unknown_are_answered_unless_silenced() {
    let mut s = negotiated(Command::OptNeg(OptNeg {
        version: 6,
        actions: Actions(0x1FF),
        protocol: Protocol(0),
        macros: Vec::new(),
    }));
    continues(&mut s, connect_v4("192.0.2.7"));
    continues(&mut s, Command::Unknown { line: b"XYZZY" });
    continues(&mut s, mail("<a@example.org>"));
    continues(&mut s, Command::Data);
    let mut s = negotiated(full_offer());
    silent(&mut s, connect_v4("192.0.2.7"));
    silent(&mut s, Command::Unknown { line: b"XYZZY" });
}

#[test]
fn an_oversized_message_is_cut_and_marked() {
    let config = SessionConfig {
        max_message_bytes: 40,
        ..SessionConfig::default()
    };
    let mut s = Session::new(config);
    s.handle(old_offer()).unwrap();
    continues(&mut s, mail("<a@example.org>"));
    continues(&mut s, header("Subject", "a subject of some length"));
    continues(&mut s, Command::EndOfHeaders);
    let step = s.handle(Command::Body { chunk: &[b'x'; 30] }).unwrap();
    assert!(
        matches!(step, Step::Reply(Reply::Continue)),
        "the old MTA offered no SKIP: {step:?}"
    );
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert_eq!(request.message.len(), 40);
    // The header line, the blank line, the body.
    assert_eq!(request.message_size, 35 + 2 + 30);
    assert!(request.truncated);
}

#[test]
fn skip_once_past_the_limit_when_the_mta_allows() {
    let config = SessionConfig {
        max_message_bytes: 10,
        ..SessionConfig::default()
    };
    let mut s = Session::new(config);
    // SKIP on offer, but no NR_BODY: body chunks are answered.
    let offer = Command::OptNeg(OptNeg {
        version: 6,
        actions: Actions(0x1FF),
        protocol: Protocol::SKIP,
        macros: Vec::new(),
    });
    s.handle(offer).unwrap();
    continues(&mut s, mail("<a@example.org>"));
    continues(&mut s, Command::Body { chunk: b"12345" });
    let step = s
        .handle(Command::Body {
            chunk: b"678901234",
        })
        .unwrap();
    assert!(matches!(step, Step::Reply(Reply::Skip)), "{step:?}");
    continues(&mut s, Command::Body { chunk: b"more" });
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert!(request.truncated);
    assert_eq!(request.message, b"\r\n12345678");
}

#[test]
fn abort_forgets_the_message_and_keeps_the_connection() {
    let mut s = negotiated(full_offer());
    silent(&mut s, connect_v4("192.0.2.7"));
    silent(&mut s, Command::Helo { name: b"h" });
    silent(&mut s, mail("<a@example.org>"));
    silent(&mut s, rcpt("<b@example.org>"));
    silent(&mut s, header("Subject", "first"));
    silent(&mut s, Command::Abort);
    out_of_order(&mut s, rcpt("<c@example.org>"));
    silent(&mut s, mail("<c@example.org>"));
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert!(request.envelope.recipients.is_empty());
    assert_eq!(request.message, b"\r\n");
    assert_eq!(request.envelope.helo.as_deref(), Some("h"));
}

#[test]
fn abort_while_scanning_drops_the_pending_verdict() {
    let mut s = negotiated(full_offer());
    silent(&mut s, mail("<a@example.org>"));
    scan(&mut s, Command::EndOfBody { chunk: b"" });
    silent(&mut s, Command::Abort);
    let err = s.verdict(
        &verdict(Action::Reject, 20.0, &[]),
        5.0,
        &ReplyConfig::default(),
    );
    assert_eq!(err, Err(SessionError::NoScanPending));
    silent(&mut s, mail("<a@example.org>"));
}

#[test]
fn quit_nc_starts_a_new_connection_on_the_same_socket() {
    let mut s = negotiated(full_offer());
    silent(&mut s, connect_v4("192.0.2.7"));
    silent(&mut s, Command::Helo { name: b"first" });
    silent(&mut s, Command::QuitNewConnection);
    out_of_order(&mut s, mail("<a@example.org>"));
    silent(&mut s, macros(b'C', &[("j", "mx")]));
    silent(&mut s, connect_v4("198.51.100.9"));
    silent(&mut s, mail("<a@example.org>"));
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert_eq!(
        request.envelope.client_addr,
        Some("198.51.100.9".parse().unwrap())
    );
    assert_eq!(
        request.envelope.helo, None,
        "the old connection's HELO is gone"
    );

    // Or the MTA negotiates again first.
    let mut s = negotiated(full_offer());
    silent(&mut s, Command::QuitNewConnection);
    assert!(matches!(
        s.handle(old_offer()),
        Ok(Step::Reply(Reply::OptNeg(_)))
    ));
    continues(&mut s, connect_v4("192.0.2.7"));
}

#[test]
fn quit_closes_and_nothing_follows() {
    let mut s = negotiated(full_offer());
    assert!(matches!(s.handle(Command::Quit), Ok(Step::Close)));
    assert!(s.is_closed());
    out_of_order(&mut s, mail("<a@example.org>"));
    out_of_order(&mut s, Command::Abort);
    out_of_order(&mut s, macros(b'M', &[]));
}

#[test]
fn commands_out_of_order() {
    out_of_order(&mut session(), mail("<a@example.org>"));
    out_of_order(&mut session(), macros(b'C', &[]));
    out_of_order(&mut session(), Command::Abort);
    out_of_order(&mut session(), Command::QuitNewConnection);

    let mut s = negotiated(full_offer());
    out_of_order(&mut s, full_offer());
    out_of_order(&mut s, rcpt("<b@example.org>"));
    out_of_order(&mut s, Command::Data);
    out_of_order(&mut s, header("Subject", "x"));
    out_of_order(&mut s, Command::EndOfHeaders);
    out_of_order(&mut s, Command::Body { chunk: b"x" });
    out_of_order(&mut s, Command::EndOfBody { chunk: b"" });
    silent(&mut s, connect_v4("192.0.2.7"));
    out_of_order(&mut s, connect_v4("192.0.2.7"));
    silent(&mut s, mail("<a@example.org>"));
    out_of_order(&mut s, mail("<a@example.org>"));
    out_of_order(&mut s, Command::Helo { name: b"h" });
    silent(&mut s, Command::Body { chunk: b"x" });
    out_of_order(&mut s, header("Subject", "x"));
    out_of_order(&mut s, rcpt("<b@example.org>"));
    out_of_order(&mut s, Command::Unknown { line: b"X" });
    scan(&mut s, Command::EndOfBody { chunk: b"" });
    out_of_order(&mut s, Command::Body { chunk: b"x" });
    out_of_order(&mut s, Command::EndOfBody { chunk: b"" });
    out_of_order(&mut s, macros(b'E', &[]));
    out_of_order(&mut s, mail("<a@example.org>"));

    let err = session().handle(rcpt("<b>")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "milter command 'R' out of order (before option negotiation)"
    );
}

#[test]
fn verdict_without_a_scan_is_refused() {
    let mut s = negotiated(full_offer());
    let err = s.verdict(
        &verdict(Action::Accept, 0.0, &[]),
        5.0,
        &ReplyConfig::default(),
    );
    assert_eq!(err, Err(SessionError::NoScanPending));
}

#[test]
fn a_version_one_mta_is_refused() {
    let offer = Command::OptNeg(OptNeg {
        version: 1,
        ..OptNeg::default()
    });
    assert!(matches!(
        session().handle(offer),
        Err(SessionError::Negotiation(_))
    ));
}

#[test]
fn client_address_sources_and_forms() {
    let addr = |s: &mut Session| {
        silent(s, mail("<a@example.org>"));
        scan(s, Command::EndOfBody { chunk: b"" })
            .envelope
            .client_addr
    };
    // CONNECT's own address wins over the macros.
    let mut s = negotiated(full_offer());
    silent(&mut s, macros(b'C', &[("{client_addr}", "203.0.113.1")]));
    silent(&mut s, connect_v4("192.0.2.7"));
    assert_eq!(addr(&mut s), Some("192.0.2.7".parse().unwrap()));
    // Sendmail's IPv6 tag.
    let mut s = negotiated(full_offer());
    silent(
        &mut s,
        Command::Connect {
            hostname: b"h",
            address: ConnectAddress::Inet6 {
                port: 25,
                address: b"IPv6:2001:db8::1",
            },
        },
    );
    assert_eq!(addr(&mut s), Some("2001:db8::1".parse().unwrap()));
    // A Unix-socket client: only the macros know.
    let mut s = negotiated(full_offer());
    silent(
        &mut s,
        macros(
            b'C',
            &[("_", "relay.example [198.51.100.3] (may be forged)")],
        ),
    );
    silent(
        &mut s,
        Command::Connect {
            hostname: b"localhost",
            address: ConnectAddress::Unix { address: b"/run/s" },
        },
    );
    assert_eq!(addr(&mut s), Some("198.51.100.3".parse().unwrap()));
    // Garbage is no address.
    let mut s = negotiated(full_offer());
    silent(&mut s, macros(b'C', &[("{client_addr}", "not an address")]));
    assert_eq!(addr(&mut s), None);
}

#[test]
fn null_sender_and_unbracketed_paths() {
    let mut s = negotiated(full_offer());
    silent(&mut s, mail("<>"));
    silent(&mut s, rcpt("postmaster"));
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert_eq!(request.envelope.sender, Some(Address::new("")));
    assert_eq!(request.envelope.recipients, [Address::new("postmaster")]);
}

#[test]
fn recipients_past_the_limit_are_counted_not_kept() {
    let mut s = Session::new(SessionConfig {
        max_recipients: 2,
        ..SessionConfig::default()
    });
    s.handle(full_offer()).unwrap();
    silent(&mut s, mail("<a@example.org>"));
    for r in ["<1@x>", "<2@x>", "<3@x>", "<4@x>"] {
        silent(&mut s, rcpt(r));
    }
    let request = scan(&mut s, Command::EndOfBody { chunk: b"" });
    assert_eq!(request.envelope.recipients.len(), 2);
    assert_eq!(request.dropped_recipients, 2);
}

#[test]
fn folded_header_values_get_crlf() {
    let mut s = negotiated(full_offer());
    silent(&mut s, mail("<a@example.org>"));
    silent(&mut s, header("Subject", "one\n\ttwo\r\n\tthree"));
    silent(&mut s, Command::EndOfHeaders);
    let request = scan(&mut s, Command::EndOfBody { chunk: b"b\r\n" });
    assert_eq!(
        request.message,
        b"Subject: one\r\n\ttwo\r\n\tthree\r\n\r\nb\r\n"
    );
}

#[test]
fn foreign_spam_header_names_are_bounded() {
    let mut s = negotiated(full_offer());
    silent(&mut s, mail("<a@example.org>"));
    let names: Vec<String> = (0..MAX_FOREIGN_NAMES + 10)
        .map(|i| format!("X-Spam-N{i}"))
        .collect();
    for name in &names {
        silent(&mut s, header(name, "v"));
        silent(&mut s, header(name, "v"));
    }
    scan(&mut s, Command::EndOfBody { chunk: b"" });
    let replies = s
        .verdict(
            &verdict(Action::Accept, 0.0, &[]),
            5.0,
            &ReplyConfig::default(),
        )
        .unwrap();
    let deletions = replies
        .iter()
        .filter(|r| matches!(r, Reply::ChangeHeader { .. }))
        .count();
    assert_eq!(deletions, MAX_FOREIGN_NAMES * 2);
}

#[test]
fn subject_prefix_uses_the_message_subject() {
    let mut config = ReplyConfig::default();
    config.subject_prefix = Some("[SPAM]".into());
    let run = |subject: &[u8]| {
        let mut s = negotiated(full_offer());
        silent(&mut s, mail("<a@example.org>"));
        silent(
            &mut s,
            Command::Header {
                name: b"subject",
                value: subject,
            },
        );
        scan(&mut s, Command::EndOfBody { chunk: b"" });
        s.verdict(&verdict(Action::Tag, 7.0, &["A"]), 5.0, &config)
            .unwrap()
    };
    let replies = run(b"cheap pills");
    assert!(replies.contains(&Reply::ChangeHeader {
        index: 1,
        name: "Subject".into(),
        value: "[SPAM] cheap pills".into()
    }));
    let replies = run(b"caf\xe9 latin-1");
    assert!(
        !replies
            .iter()
            .any(|r| matches!(r, Reply::ChangeHeader { name, .. } if name == "Subject")),
        "8-bit text that is not UTF-8 is left alone"
    );
}

#[test]
fn frames_drive_a_session() {
    // The same path a server takes: bytes, decode, handle.
    let mut wire = Vec::new();
    let mut push = |code: u8, data: &[u8]| {
        wire.extend_from_slice(&((data.len() + 1) as u32).to_be_bytes());
        wire.push(code);
        wire.extend_from_slice(data);
    };
    push(b'O', b"\x00\x00\x00\x06\x00\x00\x01\xff\x00\x1f\xff\xff");
    push(b'C', b"client\x004\x00\x19192.0.2.1\x00");
    push(b'M', b"<a@example.org>\x00");
    push(b'R', b"<b@example.org>\x00");
    push(b'L', b"Subject\x00hi\x00");
    push(b'B', b"hello\r\n");
    push(b'E', b"");
    let mut s = session();
    let mut rest = &wire[..];
    let mut scans = Vec::new();
    while let Some((command, used)) = codec::decode(rest, codec::DEFAULT_MAX_FRAME).unwrap() {
        if let Step::Scan(request) = s.handle(command).unwrap() {
            scans.push(*request);
        }
        rest = &rest[used..];
    }
    assert!(rest.is_empty());
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].message, b"Subject: hi\r\n\r\nhello\r\n");
}
