use super::*;
use crate::milter::negotiation::MacroStage;

/// Frames a command byte and data as the MTA would.
fn frame(code: u8, data: &[u8]) -> Vec<u8> {
    let mut out = ((data.len() + 1) as u32).to_be_bytes().to_vec();
    out.push(code);
    out.extend_from_slice(data);
    out
}

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn decode_one(bytes: &[u8]) -> Result<Command<'_>, CodecError> {
    let (command, used) = decode(bytes, DEFAULT_MAX_FRAME)?.expect("a whole frame");
    assert_eq!(used, bytes.len());
    Ok(command)
}

fn encoded(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    reply.encode(&mut out).unwrap();
    out
}

// The worked examples of reference.md §2.7.

#[test]
fn optneg_from_the_mta() {
    let bytes = hex("00 00 00 0d 4f 00 00 00 06 00 00 01 ff 00 1f ff ff");
    let Command::OptNeg(offer) = decode_one(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(offer.version, 6);
    assert_eq!(offer.actions, Actions(0x1FF));
    assert_eq!(offer.protocol, Protocol(0x1F_FFFF));
}

#[test]
fn optneg_answer_bytes() {
    let reply = Reply::OptNeg(OptNeg {
        version: 6,
        actions: Actions::ADD_HEADERS | Actions::QUARANTINE,
        protocol: Protocol::NO_HELO | Protocol::NR_CONNECT | Protocol::NR_HELO,
        macros: Vec::new(),
    });
    assert_eq!(
        encoded(&reply),
        hex("00 00 00 0d 4f 00 00 00 06 00 00 00 21 00 00 30 02")
    );
}

#[test]
fn optneg_answer_carries_macro_lists() {
    let reply = Reply::OptNeg(OptNeg {
        version: 6,
        actions: Actions(0x100),
        protocol: Protocol(0),
        macros: vec![(MacroStage::EndOfMessage, "i".into())],
    });
    let bytes = encoded(&reply);
    assert_eq!(&bytes[4..5], b"O");
    assert_eq!(&bytes[17..], b"\x00\x00\x00\x05i\x00");
    assert_eq!(
        bytes.len() - 4,
        u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize
    );
}

#[test]
fn connect_ipv4() {
    let bytes =
        hex("00 00 00 1f 43 6d61696c2e6578616d706c652e6f726700 34 0019 3139322e302e322e3100");
    let command = decode_one(&bytes).unwrap();
    assert_eq!(
        command,
        Command::Connect {
            hostname: b"mail.example.org",
            address: ConnectAddress::Inet {
                port: 25,
                address: b"192.0.2.1"
            },
        }
    );
}

#[test]
fn connect_other_families() {
    let six = frame(b'C', b"h\x006\x00\x19IPv6:2001:db8::1\x00");
    assert_eq!(
        decode_one(&six).unwrap(),
        Command::Connect {
            hostname: b"h",
            address: ConnectAddress::Inet6 {
                port: 25,
                address: b"IPv6:2001:db8::1"
            }
        }
    );
    let unix = frame(b'C', b"localhost\x00L\x00\x00/run/smtp\x00");
    assert_eq!(
        decode_one(&unix).unwrap(),
        Command::Connect {
            hostname: b"localhost",
            address: ConnectAddress::Unix {
                address: b"/run/smtp"
            }
        }
    );
    let unknown = frame(b'C', b"localhost\x00U");
    assert_eq!(
        decode_one(&unknown).unwrap(),
        Command::Connect {
            hostname: b"localhost",
            address: ConnectAddress::Unknown
        }
    );
}

#[test]
fn connect_malformed() {
    let cases: [(&[u8], CodecError); 5] = [
        (
            b"host",
            CodecError::MissingNul {
                code: b'C',
                field: "hostname",
            },
        ),
        (
            b"host\x00",
            CodecError::MissingField {
                code: b'C',
                field: "address family",
            },
        ),
        (
            b"host\x004\x00",
            CodecError::MissingField {
                code: b'C',
                field: "port",
            },
        ),
        (
            b"host\x004\x00\x191.2.3.4",
            CodecError::MissingNul {
                code: b'C',
                field: "address",
            },
        ),
        (
            b"host\x00X\x00\x191.2.3.4\x00",
            CodecError::BadAddressFamily { family: b'X' },
        ),
    ];
    for (data, want) in cases {
        assert_eq!(
            decode_one(&frame(b'C', data)).unwrap_err(),
            want,
            "{data:?}"
        );
    }
}

#[test]
fn macros_for_connect() {
    let bytes = hex(
        "00 00 00 2b 44 43 6a00 6d782e6578616d706c652e6e657400 7b636c69656e745f616464727d00 3139322e302e322e3100",
    );
    let command = decode_one(&bytes).unwrap();
    assert_eq!(
        command,
        Command::Macro {
            stage: b'C',
            pairs: vec![
                (&b"j"[..], &b"mx.example.net"[..]),
                (b"{client_addr}", b"192.0.2.1")
            ],
        }
    );
}

#[test]
fn macros_malformed_and_empty() {
    assert_eq!(
        decode_one(&frame(b'D', b"")).unwrap_err(),
        CodecError::MissingField {
            code: b'D',
            field: "macro stage"
        }
    );
    assert_eq!(
        decode_one(&frame(b'D', b"Mi\x00")).unwrap_err(),
        CodecError::MacroWithoutValue {
            stage: b'M',
            name: "i".into()
        }
    );
    assert_eq!(
        decode_one(&frame(b'D', b"Mi\x00ABC")).unwrap_err(),
        CodecError::MissingNul {
            code: b'D',
            field: "macro value"
        }
    );
    // An empty list is how an MTA says "no macros for this step".
    assert_eq!(
        decode_one(&frame(b'D', b"R")).unwrap(),
        Command::Macro {
            stage: b'R',
            pairs: vec![]
        }
    );
}

#[test]
fn helo_mail_rcpt_unknown() {
    assert_eq!(
        decode_one(&frame(b'H', b"client.example\x00")).unwrap(),
        Command::Helo {
            name: b"client.example"
        }
    );
    assert_eq!(
        decode_one(&frame(
            b'M',
            b"<a@example.org>\x00SIZE=100\x00BODY=8BITMIME\x00"
        ))
        .unwrap(),
        Command::Mail {
            args: vec![&b"<a@example.org>"[..], b"SIZE=100", b"BODY=8BITMIME"]
        }
    );
    assert_eq!(
        decode_one(&frame(b'R', b"<b@example.net>\x00")).unwrap(),
        Command::Rcpt {
            args: vec![&b"<b@example.net>"[..]]
        }
    );
    assert_eq!(
        decode_one(&frame(b'U', b"XYZZY foo\x00")).unwrap(),
        Command::Unknown { line: b"XYZZY foo" }
    );
}

#[test]
fn string_commands_need_their_nul() {
    let cases: [(u8, &[u8], CodecError); 6] = [
        (
            b'H',
            b"",
            CodecError::MissingField {
                code: b'H',
                field: "HELO name",
            },
        ),
        (
            b'H',
            b"client",
            CodecError::MissingNul {
                code: b'H',
                field: "HELO name",
            },
        ),
        (
            b'M',
            b"",
            CodecError::MissingField {
                code: b'M',
                field: "sender",
            },
        ),
        (
            b'M',
            b"<a>\x00SIZE=1",
            CodecError::MissingNul {
                code: b'M',
                field: "ESMTP argument",
            },
        ),
        (
            b'R',
            b"<b>",
            CodecError::MissingNul {
                code: b'R',
                field: "recipient",
            },
        ),
        (
            b'U',
            b"",
            CodecError::MissingField {
                code: b'U',
                field: "command line",
            },
        ),
    ];
    for (code, data, want) in cases {
        assert_eq!(decode_one(&frame(code, data)).unwrap_err(), want);
    }
}

#[test]
fn header_fields() {
    assert_eq!(
        decode_one(&frame(b'L', b"Subject\x00hello there\x00")).unwrap(),
        Command::Header {
            name: b"Subject",
            value: b"hello there"
        }
    );
    assert_eq!(
        decode_one(&frame(b'L', b"Subject\x00")).unwrap_err(),
        CodecError::MissingField {
            code: b'L',
            field: "header value"
        }
    );
    assert_eq!(
        decode_one(&frame(b'L', b"Subject\x00hello")).unwrap_err(),
        CodecError::MissingNul {
            code: b'L',
            field: "header value"
        }
    );
}

#[test]
fn body_chunks_are_raw_bytes() {
    let chunk = b"line one\r\n\x00binary\xff\r\n";
    assert_eq!(
        decode_one(&frame(b'B', chunk)).unwrap(),
        Command::Body { chunk }
    );
    assert_eq!(
        decode_one(&frame(b'E', b"")).unwrap(),
        Command::EndOfBody { chunk: b"" }
    );
    assert_eq!(
        decode_one(&frame(b'E', b"tail")).unwrap(),
        Command::EndOfBody { chunk: b"tail" }
    );
}

#[test]
fn commands_without_data() {
    for (code, want) in [
        (b'T', Command::Data),
        (b'N', Command::EndOfHeaders),
        (b'A', Command::Abort),
        (b'Q', Command::Quit),
        (b'K', Command::QuitNewConnection),
    ] {
        assert_eq!(decode_one(&frame(code, b"")).unwrap(), want);
        assert_eq!(want.code(), code);
    }
}

#[test]
fn optneg_too_short() {
    for len in [0, 4, 11] {
        assert_eq!(
            decode_one(&frame(b'O', &vec![0; len])).unwrap_err(),
            CodecError::BadOptNeg { len }
        );
    }
}

#[test]
fn unknown_command_byte() {
    let err = decode_one(&frame(b'z', b"")).unwrap_err();
    assert_eq!(err, CodecError::UnknownCommand { code: b'z' });
    assert_eq!(err.to_string(), "unknown milter command byte 0x7a");
}

#[test]
fn empty_and_oversized_frames() {
    assert_eq!(
        decode(&[0, 0, 0, 0], 100).unwrap_err(),
        CodecError::EmptyFrame
    );
    // Refused from the length alone: the rest has not arrived.
    let err = decode(&[0, 0, 0, 101, b'B'], 100).unwrap_err();
    assert_eq!(err, CodecError::Oversized { len: 101, max: 100 });
    assert_eq!(
        decode(&[0xff, 0xff, 0xff, 0xff], DEFAULT_MAX_FRAME).unwrap_err(),
        CodecError::Oversized {
            len: u32::MAX,
            max: DEFAULT_MAX_FRAME
        }
    );
    let exact = frame(b'B', &[b'x'; 99]);
    assert!(decode(&exact, 100).unwrap().is_some());
}

#[test]
fn partial_frames_ask_for_more() {
    let whole = frame(b'H', b"client\x00");
    for cut in 0..whole.len() {
        assert_eq!(
            decode(&whole[..cut], DEFAULT_MAX_FRAME),
            Ok(None),
            "cut at {cut}"
        );
    }
}

#[test]
fn back_to_back_frames() {
    let mut bytes = frame(b'T', b"");
    bytes.extend(frame(b'N', b""));
    let (first, used) = decode(&bytes, DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!((first, used), (Command::Data, 5));
    let (second, _) = decode(&bytes[used..], DEFAULT_MAX_FRAME).unwrap().unwrap();
    assert_eq!(second, Command::EndOfHeaders);
}

#[test]
fn simple_replies() {
    for (reply, code) in [
        (Reply::Continue, b'c'),
        (Reply::Accept, b'a'),
        (Reply::Reject, b'r'),
        (Reply::Tempfail, b't'),
        (Reply::Discard, b'd'),
        (Reply::Progress, b'p'),
        (Reply::Skip, b's'),
    ] {
        assert_eq!(encoded(&reply), [0, 0, 0, 1, code]);
    }
}

#[test]
fn replycode_bytes_and_percent() {
    let reply = Reply::ReplyCode("550 5.7.1 Bulk content rejected".into());
    assert_eq!(
        encoded(&reply),
        hex("00 00 00 21 79 353530 20 352e372e31 20 42756c6b20636f6e74656e742072656a656374656400")
    );
    let percent = encoded(&Reply::ReplyCode("550 5.7.1 100% spam".into()));
    assert_eq!(&percent[5..], b"550 5.7.1 100%% spam\x00");
}

#[test]
fn quarantine_bytes() {
    assert_eq!(
        encoded(&Reply::Quarantine("bulk-campaign-42".into())),
        hex("00 00 00 12 71 62756c6b2d63616d706169676e2d343200")
    );
}

#[test]
fn header_modifications() {
    let add = encoded(&Reply::AddHeader {
        name: "X-Spam-Flag".into(),
        value: "YES".into(),
    });
    assert_eq!(add, b"\x00\x00\x00\x11hX-Spam-Flag\x00YES\x00");
    let change = encoded(&Reply::ChangeHeader {
        index: 2,
        name: "X-Spam-Flag".into(),
        value: String::new(),
    });
    assert_eq!(
        change,
        b"\x00\x00\x00\x12m\x00\x00\x00\x02X-Spam-Flag\x00\x00"
    );
    let insert = encoded(&Reply::InsertHeader {
        index: 0,
        name: "X-A".into(),
        value: "b".into(),
    });
    assert_eq!(insert, b"\x00\x00\x00\x0bi\x00\x00\x00\x00X-A\x00b\x00");
}

#[test]
fn nul_in_a_reply_string_is_refused() {
    let mut out = b"keep".to_vec();
    let err = Reply::AddHeader {
        name: "X-A".into(),
        value: "a\0b".into(),
    }
    .encode(&mut out)
    .unwrap_err();
    assert_eq!(
        err,
        CodecError::NulInReply {
            field: "header value"
        }
    );
    assert_eq!(out, b"keep", "nothing half-written");
}
