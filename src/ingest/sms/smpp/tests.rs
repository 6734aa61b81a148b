//! Unit tests of the SMPP codec, including the cloudhopper vectors of reference §3.4.

use super::*;
use crate::encode::smpp::{encode, message_pdu};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn cloudhopper_deliver_sm() {
    let pdu = decode_pdu(&unhex("000000400000000500000000000000030002013837363534333231000409343034303400000000000000000000084024232125262F3A000E0001010006000101")).unwrap();
    assert_eq!((pdu.command_name(), pdu.sequence), ("deliver_sm", 3));
    let m = pdu.message().unwrap();
    assert_eq!(m.source, SmeAddress::new(2, 1, "87654321"));
    assert_eq!(m.destinations, [SmeAddress::new(4, 9, "40404")]);
    assert_eq!(m.data_coding, 0);
    assert_eq!(m.short_message, b"@$#!%&/:");
    assert_eq!(pdu.tlvs, [Tlv::new(0x000E, [1]), Tlv::new(0x0006, [1])]);
}

#[test]
fn cloudhopper_submit_sm_round_trips_through_the_encoder() {
    let bytes = unhex("00000039000000040000000000004FE80001013430343034000101343439353133363139323000000000000001000000084024232125262F3A");
    let pdu = decode_pdu(&bytes).unwrap();
    assert_eq!(pdu.sequence, 20456);
    assert_eq!(pdu.message().unwrap().registered_delivery, 1);
    assert_eq!(encode(&pdu).unwrap(), bytes);
}

#[test]
fn message_payload_and_receipt_tlvs() {
    let pdu = decode_pdu(&unhex("000000640000000500000000000547EB0002013434393531333631393200040934303430340000000000000000000000000E000101000600010104240026404D616964656E6D616E363634207761732069742073617070793F2026526F6D616E7469633F")).unwrap();
    assert!(pdu.message().unwrap().short_message.is_empty());
    assert_eq!(
        pdu.tlv(TLV_MESSAGE_PAYLOAD).unwrap().value,
        b"@Maidenman664 was it sappy? &Romantic?"
    );
}

#[test]
fn data_sm_round_trips() {
    let bytes = unhex("000000300000010300000000000000000001013535353237313030303000000139363935000001000424000454657374");
    let pdu = decode_pdu(&bytes).unwrap();
    assert_eq!(pdu.message().unwrap().destinations[0].addr, "9695");
    assert_eq!(encode(&pdu).unwrap(), bytes);
}

#[test]
fn submit_multi_round_trips() {
    let mut m = ShortMessage {
        source: SmeAddress::new(5, 0, "SHOP"),
        short_message: b"hi all".to_vec(),
        ..ShortMessage::default()
    };
    m.destinations.push(SmeAddress::new(1, 1, "447700900001"));
    m.destinations.push(SmeAddress {
        addr: "friends".into(),
        distribution_list: true,
        ..SmeAddress::default()
    });
    let pdu = message_pdu(SUBMIT_MULTI, 7, m, vec![]);
    let bytes = encode(&pdu).unwrap();
    let mut back = decode_pdu(&bytes).unwrap();
    if let Body::Message(m) = &mut back.body {
        m.short_message_offset = 0;
    }
    let mut want = pdu.clone();
    if let Body::Message(m) = &mut want.body {
        m.short_message_offset = 0;
    }
    assert_eq!(back, want);
}

#[test]
fn malformed_pdus_are_typed_errors_with_offsets() {
    let cases: &[(&str, SmppError)] = &[
        ("0000001000000015000000000a342e", SmppError::ShorterThanHeader { len: 15 }),
        (
            "F000001100000110000000000a342ee7",
            SmppError::LengthMismatch {
                declared: 0xF000_0011,
                actual: 16,
            },
        ),
        ("0000001000000110000000000a342ee7", SmppError::UnknownCommand { id: 0x110 }),
        (
            "00000011000000060000000000000000ff",
            SmppError::UnexpectedBody {
                offset: 16,
                command: "unbind",
                len: 1,
            },
        ),
        (
            "0000001b8000000900000000000000015453493735383800021000",
            SmppError::Truncated {
                offset: 24,
                field: "TLV header",
            },
        ),
        (
            "00000039000000050000000000000001000101393939393139393134353933000000363436340000000000000000080010c1e1e9edf3faf1fc",
            SmppError::SmLengthBeyondBody {
                offset: 48,
                sm_length: 16,
                available: 8,
            },
        ),
        (
            "000000158000000400000000000000013132333435",
            SmppError::UnterminatedString {
                offset: 16,
                field: "message_id",
            },
        ),
    ];
    for (hex, want) in cases {
        assert_eq!(decode_pdu(&unhex(hex)).as_ref(), Err(want), "{hex}");
    }
    // A C-string longer than its maximum.
    let m = ShortMessage {
        service_type: "ABCDEFGH".into(),
        ..ShortMessage::default()
    };
    assert!(matches!(
        encode(&message_pdu(SUBMIT_SM, 1, m, vec![])),
        Err(SmppError::FieldTooLong { .. })
    ));
    let mut bytes = unhex("0000001d0000000400000000000000014142434445464748490000000000");
    bytes[3] = bytes.len() as u8;
    assert!(matches!(
        decode_pdu(&bytes),
        Err(SmppError::StringTooLong {
            offset: 16,
            field: "service_type",
            max: 6
        })
    ));
}

#[test]
fn esm_class_decodes_udhi_and_receipts() {
    let e = EsmClass::new(0x44);
    assert!(e.udhi && e.is_notification());
    assert_eq!(e.message_type, "delivery_receipt");
    assert!(!EsmClass::new(0x43).is_notification());
}

#[test]
fn replace_sm_round_trips_as_a_message() {
    let bytes =
        unhex("0000002d0000000700000000000000013132333435000101343135363700000000000548656c6c6f");
    let mut bytes = bytes;
    bytes[3] = bytes.len() as u8;
    let pdu = decode_pdu(&bytes).unwrap();
    let m = pdu.message().unwrap();
    assert_eq!(
        (m.message_id.as_str(), m.source.addr.as_str()),
        ("12345", "41567")
    );
    assert_eq!(m.short_message, b"Hello");
    assert_eq!(encode(&pdu).unwrap(), bytes);
}
