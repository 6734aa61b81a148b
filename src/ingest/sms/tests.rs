//! End-to-end tests of [`SmsIngest`]: PDUs in, messages out.

use super::smpp::{self, SmeAddress, Tlv};
use super::tpdu::{TpAddress, TpduType};
use super::*;
use crate::encode::sms::{SmppConcat, SmppText, TpduText};
use crate::encode::tpdu::{encode as encode_tpdu, timestamp};
use crate::message::Protocol;
use crate::message::{Address, Channel, ProblemKind};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn details<'m>(m: &'m Message<'_>) -> &'m SmsDetails {
    match &m.protocol {
        Protocol::Sms(d) => d,
        other => panic!("not SMS details: {other:?}"),
    }
}

fn text<'m>(m: &'m Message<'_>) -> &'m str {
    &m.text_parts[0].text
}

fn push_all(ingest: &mut SmsIngest, pdus: &[Vec<u8>], smpp: bool) -> Vec<Message<'static>> {
    let mut out = Vec::new();
    for p in pdus {
        if smpp {
            ingest.push_smpp(p, 0, &mut out);
        } else {
            ingest.push_tpdu(p, 0, &mut out);
        }
    }
    out
}

const SPAM: &str = "USPS: Your parcel is on hold due to an unpaid fee of $1.99. \
    Pay now at https://usps-redelivery.example/track?id=88213 or it will be returned. \
    Reply STOP to opt out. {ref:[A-77]} €0 fee ~ ^ | \\";

#[test]
fn cloudhopper_deliver_sm_becomes_a_message() {
    let mut ingest = SmsIngest::new(SmsConfig::default());
    let mut out = Vec::new();
    ingest.push_smpp(&unhex("000000400000000500000000000000030002013837363534333231000409343034303400000000000000000000084024232125262F3A000E0001010006000101"), 0, &mut out);
    assert_eq!(out.len(), 1);
    let m = &out[0];
    assert_eq!(m.channel, Channel::Sms);
    assert_eq!(text(m), "¡¤#!%&/:");
    assert_eq!(
        m.envelope.sender,
        Some(Address::with_type("87654321", 2, 1))
    );
    assert_eq!(m.envelope.recipients, [Address::with_type("40404", 4, 9)]);
    let d = details(m);
    let s = d.smpp.as_ref().unwrap();
    assert_eq!(
        (d.protocol, s.command, s.sequence),
        ("smpp", Some("deliver_sm"), 3)
    );
    assert_eq!(s.tlvs[0].name, Some("source_network_type"));
    assert!(m.problems.is_empty());
}

#[test]
fn latin1_default_alphabet_reads_the_same_bytes_as_latin1() {
    let cfg = SmsConfig {
        default_alphabet: DefaultAlphabet::Latin1,
        ..SmsConfig::default()
    };
    let mut out = Vec::new();
    SmsIngest::new(cfg).push_smpp(&unhex("00000039000000040000000000004FE80001013430343034000101343439353133363139323000000000000001000000084024232125262F3A"), 0, &mut out);
    assert_eq!(text(&out[0]), "@$#!%&/:");
}

#[test]
fn delivery_receipts_are_notifications() {
    let mut out = Vec::new();
    let mut ingest = SmsIngest::new(SmsConfig::default());
    let receipt = SmppText {
        command_id: smpp::DELIVER_SM,
        esm_class: 0x04,
        alphabet: Alphabet::Latin1,
        extra_tlvs: vec![
            Tlv::new(smpp::TLV_RECEIPTED_MESSAGE_ID, *b"38601fa\0"),
            Tlv::new(smpp::TLV_MESSAGE_STATE, [2]),
        ],
        ..SmppText::submit(
            SmeAddress::new(1, 1, "447700900123"),
            SmeAddress::new(5, 0, "ACME"),
            "id:38601fa sub:001 dlvrd:001 submit date:2611231410 done date:2611231411 stat:DELIVRD err:000 text:Your code",
        )
    };
    ingest.push_smpp(&receipt.encode().unwrap()[0], 0, &mut out);
    ingest.push_tpdu(
        &unhex("06040D91945152991136F00160124130340A0160124130940A00"),
        0,
        &mut out,
    );
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|m| m.is_notification));
    assert_eq!(
        details(&out[0])
            .smpp
            .as_ref()
            .unwrap()
            .esm_class
            .unwrap()
            .message_type,
        "delivery_receipt"
    );
    assert_eq!(
        details(&out[1]).tpdu.as_ref().unwrap().tpdu_type,
        "SMS-STATUS-REPORT"
    );
}

#[test]
fn session_pdus_give_no_message() {
    let mut out = Vec::new();
    let mut ingest = SmsIngest::new(SmsConfig::default());
    for hex in [
        "00000010000000150000000000000006",
        "00000010800000150000000000000007",
        "0000001c80000004000000000a342ee1393432353834333135393400",
        "00000010800000000000000800000000",
        "0000001d800000090000000000039943536d7363204757000210000134",
    ] {
        ingest.push_smpp(&unhex(hex), 0, &mut out);
    }
    assert!(out.is_empty());
}

#[test]
fn malformed_pdus_still_give_a_message_with_the_problem() {
    let mut out = Vec::new();
    let mut ingest = SmsIngest::new(SmsConfig::default());
    ingest.push_smpp(&unhex("0000001000000015000000000a342e"), 0, &mut out);
    ingest.push_smpp(&unhex("00000039000000050000000000000001000101393939393139393134353933000000363436340000000000000000080010c1e1e9edf3faf1fc"), 0, &mut out);
    ingest.push_smpp(&unhex("00000130000000040000000000004FE80001013430343034000101343439353133363139323000000000000001000000FF"), 0, &mut out);
    ingest.push_tpdu(
        &unhex("0001000B915310101010100000A0E8329BFD4697D9EC37"),
        0,
        &mut out,
    );
    ingest.push_tpdu(&[], 0, &mut out);
    let kinds: Vec<_> = out
        .iter()
        .map(|m| (m.problems[0].kind, m.problems[0].offset))
        .collect();
    assert_eq!(
        kinds,
        [
            (ProblemKind::Truncated, Some(0)),
            (ProblemKind::Truncated, Some(48)),
            (ProblemKind::Truncated, Some(0)),
            (ProblemKind::Truncated, Some(13)),
            (ProblemKind::Truncated, Some(0)),
        ]
    );
    assert!(out.iter().all(|m| m.channel == Channel::Sms));
    // The cut-short TPDU still shows the septets that arrived.
    let texts: Vec<&str> = out
        .iter()
        .map(|m| m.text_parts.first().map_or("", |t| t.text.as_str()))
        .collect();
    assert_eq!(texts, ["", "", "", "hellohello", ""]);
}

#[test]
fn bad_text_is_decoded_lossily_with_offsets() {
    let mut out = Vec::new();
    let mut ingest = SmsIngest::new(SmsConfig::default());
    // UCS-2 with an odd length and an unpaired surrogate.
    let mut t = SmppText {
        alphabet: Alphabet::Latin1,
        ..SmppText::submit(
            SmeAddress::new(1, 1, "1"),
            SmeAddress::new(1, 1, "2"),
            "xxxxx",
        )
    };
    t.alphabet = Alphabet::Latin1;
    let mut pdu = t.encode().unwrap().remove(0);
    let n = pdu.len();
    pdu[n - 8] = 0x08; // data_coding UCS-2
    pdu[n - 5..].copy_from_slice(&[0x00, 0x41, 0xD8, 0x3D, 0x00]);
    ingest.push_smpp(&pdu, 0, &mut out);
    // GSM unpacked with a byte over 0x7F.
    let mut pdu = SmppText::submit(
        SmeAddress::new(1, 1, "1"),
        SmeAddress::new(1, 1, "2"),
        "abc",
    )
    .encode()
    .unwrap()
    .remove(0);
    let last = pdu.len() - 1;
    pdu[last] = 0xE9;
    ingest.push_smpp(&pdu, 0, &mut out);
    assert_eq!(text(&out[0]), "A\u{FFFD}");
    assert!(out[0]
        .problems
        .iter()
        .all(|p| p.kind == ProblemKind::BadCharset));
    assert_eq!(out[0].problems.len(), 2);
    assert_eq!(text(&out[1]), "ab\u{FFFD}");
    assert_eq!(out[1].problems[0].offset, Some(last));
}

#[test]
fn concatenated_gsm_via_udh_reassembles_out_of_order() {
    for alphabet in [Alphabet::Gsm7Unpacked, Alphabet::Gsm7Packed] {
        let body = SPAM.repeat(2);
        let cfg = SmsConfig {
            default_alphabet: if alphabet == Alphabet::Gsm7Packed {
                DefaultAlphabet::GsmPacked
            } else {
                DefaultAlphabet::GsmUnpacked
            },
            ..SmsConfig::default()
        };
        let t = SmppText {
            alphabet,
            reference: 0x42,
            ..SmppText::submit(
                SmeAddress::new(5, 0, "USPS"),
                SmeAddress::new(1, 1, "15550001111"),
                &body,
            )
        };
        let mut pdus = t.encode().unwrap();
        assert_eq!(pdus.len(), 3);
        pdus.swap(0, 2);
        let dup = pdus[1].clone();
        pdus.insert(1, dup);
        let mut ingest = SmsIngest::new(cfg);
        let out = push_all(&mut ingest, &pdus, true);
        assert_eq!(out.len(), 1, "{alphabet:?}");
        assert_eq!(text(&out[0]), body);
        assert!(out[0].problems.is_empty(), "{:?}", out[0].problems);
        let segs: Vec<u8> = details(&out[0]).segments.iter().map(|s| s.seq).collect();
        assert_eq!(segs, [1, 2, 3]);
        assert!(out[0]
            .urls
            .iter()
            .any(|u| u.contains("usps-redelivery.example")));
    }
}

#[test]
fn concatenated_gsm_via_sar_tlvs_reassembles() {
    let body = format!(
        "{}{}",
        "Loan approved! ".repeat(15),
        "Call 0906 123 4567 now"
    );
    let t = SmppText {
        concat: SmppConcat::Sar,
        reference: 0x1234,
        ..SmppText::submit(
            SmeAddress::new(1, 1, "447700900000"),
            SmeAddress::new(1, 1, "447700900001"),
            &body,
        )
    };
    let mut pdus = t.encode().unwrap();
    pdus.reverse();
    let out = push_all(&mut SmsIngest::new(SmsConfig::default()), &pdus, true);
    assert_eq!(out.len(), 1);
    assert_eq!(text(&out[0]), body);
    assert_eq!(details(&out[0]).segments[0].via, "sar");
}

#[test]
fn ucs2_with_emoji_concatenated_over_tpdu_reassembles() {
    let body = "Привет! 😀 Встретимся завтра в 10:00 у кафе? 👍🏽 Не забудь документы и зонт ☔. До встречи, обнимаю 🤗🤗🤗 — Маша";
    let t = TpduText {
        kind: TpduType::Deliver,
        smsc: Some(TpAddress::new(1, 1, "447785016005")),
        address: TpAddress::new(1, 1, "447700900555"),
        text: body,
        alphabet: Alphabet::Ucs2,
        reference: 0x0301,
        timestamp: timestamp(26, 11, 23, 14, 30, 0, 4),
    };
    let mut pdus = t.encode().unwrap();
    assert!(pdus.len() >= 2);
    pdus.reverse();
    let out = push_all(&mut SmsIngest::new(SmsConfig::default()), &pdus, false);
    assert_eq!(out.len(), 1);
    assert_eq!(text(&out[0]), body);
    assert_eq!(details(&out[0]).segments[0].reference, 0x0301);
}

#[test]
fn message_payload_carries_long_text() {
    let body = "Your Acme verification code is 553 219. Do not share it. ".repeat(5);
    let t = SmppText {
        command_id: smpp::DATA_SM,
        concat: SmppConcat::Payload,
        alphabet: Alphabet::Latin1,
        ..SmppText::submit(
            SmeAddress::new(5, 0, "Acme"),
            SmeAddress::new(1, 1, "15550002222"),
            &body,
        )
    };
    let out = push_all(
        &mut SmsIngest::new(SmsConfig::default()),
        &t.encode().unwrap(),
        true,
    );
    assert_eq!(text(&out[0]), body);
    assert_eq!(
        details(&out[0]).smpp.as_ref().unwrap().command,
        Some("data_sm")
    );
}

#[test]
fn incomplete_messages_are_flushed_timed_out_or_evicted() {
    let body = SPAM.repeat(2);
    let cfg = SmsConfig {
        max_pending: 2,
        timeout_ms: 1000,
        ..SmsConfig::default()
    };
    let mut ingest = SmsIngest::new(cfg);
    let mut out = Vec::new();
    for r in 0..3u16 {
        let t = SmppText {
            reference: r,
            ..SmppText::submit(
                SmeAddress::new(1, 1, "1"),
                SmeAddress::new(1, 1, "2"),
                &body,
            )
        };
        ingest.push_smpp(&t.encode().unwrap()[0], u64::from(r), &mut out);
    }
    assert_eq!(out.len(), 1, "ref 0 evicted");
    assert!(text(&out[0]).starts_with("USPS: Your parcel"));
    ingest.push_smpp(&unhex("00000010000000150000000000000006"), 1500, &mut out);
    assert_eq!(out.len(), 3, "refs 1 and 2 timed out");
    let mut flushed = Vec::new();
    ingest.flush(&mut flushed);
    assert!(flushed.is_empty());
    assert!(out.iter().all(|m| m
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::IncompleteConcatenation)));
    let t = SmppText {
        reference: 9,
        ..SmppText::submit(
            SmeAddress::new(1, 1, "1"),
            SmeAddress::new(1, 1, "2"),
            &body,
        )
    };
    ingest.push_smpp(&t.encode().unwrap()[1], 2000, &mut out);
    ingest.flush(&mut flushed);
    assert_eq!(flushed.len(), 1);
    assert_eq!(
        flushed[0].problems[0].kind,
        ProblemKind::IncompleteConcatenation
    );
}

#[test]
fn wap_push_is_handed_to_the_mms_decoder() {
    use super::dcs::Dcs;
    use super::tpdu::Tpdu;
    use super::udh::{Element, Udh};
    use crate::encode::segment::Segment;
    // A WSP push (content type application/vnd.wap.mms-message) to port 2948.
    let wsp =
        b"\x01\x06\x03\xbe\xaf\x84\x8c\x82\x98abc\x00\x8d\x90\x83http://mms.example/x\x00".to_vec();
    let seg = Segment {
        udh: Some(Udh {
            elements: vec![Element::Ports {
                destination: 2948,
                source: 9200,
            }],
        }),
        units: wsp,
    };
    let (user_data, udl) = seg.to_octets(Alphabet::Binary);
    let t = Tpdu {
        address: TpAddress::new(1, 1, "447700900777"),
        dcs: Dcs::from_tp_dcs(0xF5),
        scts: Some(timestamp(26, 1, 2, 3, 4, 5, 0)),
        udhi: true,
        udl,
        user_data,
        ..Tpdu::default()
    };
    let out = push_all(
        &mut SmsIngest::new(SmsConfig::default()),
        &[encode_tpdu(&t).unwrap()],
        false,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(details(&out[0]).destination_port, Some(2948));
    // While the MMS side is a stub the hand-off is recorded as a problem;
    // once it decodes, the content location becomes a URL.
    assert!(!out[0].urls.is_empty() || out[0].problems[0].kind == ProblemKind::ProtocolViolation);
}

#[test]
fn a_flood_of_never_completed_segments_stays_bounded() {
    let cfg = SmsConfig {
        max_pending: 16,
        ..SmsConfig::default()
    };
    let mut ingest = SmsIngest::new(cfg);
    let body = SPAM.repeat(2);
    let mut emitted = 0;
    for r in 0..2000u16 {
        let t = SmppText {
            reference: r,
            ..SmppText::submit(
                SmeAddress::new(1, 1, "1"),
                SmeAddress::new(1, 1, "2"),
                &body,
            )
        };
        let mut out = Vec::new();
        ingest.push_smpp(&t.encode().unwrap()[0], 0, &mut out);
        emitted += out.len();
        assert!(ingest.pending() <= 16);
    }
    assert_eq!(emitted, 2000 - 16);
}

#[test]
fn a_reused_reference_with_new_content_is_a_new_message() {
    let mut ingest = SmsIngest::new(SmsConfig::default());
    let a = SPAM.repeat(2);
    let b = format!("{}{}", "Totally different text. ".repeat(8), SPAM);
    let pa = SmppText::submit(SmeAddress::new(1, 1, "1"), SmeAddress::new(1, 1, "2"), &a)
        .encode()
        .unwrap();
    let pb = SmppText::submit(SmeAddress::new(1, 1, "1"), SmeAddress::new(1, 1, "2"), &b)
        .encode()
        .unwrap();
    let mut out = Vec::new();
    ingest.push_smpp(&pa[0], 0, &mut out);
    ingest.push_smpp(&pb[0], 0, &mut out);
    for p in &pb[1..] {
        ingest.push_smpp(p, 0, &mut out);
    }
    assert_eq!(out.len(), 2);
    assert_eq!(
        out[0].problems[0].kind,
        ProblemKind::IncompleteConcatenation
    );
    assert_eq!(text(&out[1]), b);
}

#[test]
fn national_shift_tables_from_the_udh_are_applied() {
    use super::dcs::Dcs;
    use super::gsm7::{self, Language, Tables};
    use super::tpdu::Tpdu;
    use super::udh::{Element, Udh};
    use crate::encode::segment::Segment;
    let text = "Kargonuz şubede bekliyor, ücret ödeyin: ığŞİ €";
    let tables = Tables {
        locking: Language::Turkish,
        single: Language::Turkish,
    };
    let seg = Segment {
        udh: Some(Udh {
            elements: vec![
                Element::SingleShift { language: 1 },
                Element::LockingShift { language: 1 },
            ],
        }),
        units: gsm7::encode(text, tables).unwrap(),
    };
    let (user_data, udl) = seg.to_octets(Alphabet::Gsm7Packed);
    let t = Tpdu {
        address: TpAddress::new(5, 0, "KARGO"),
        dcs: Dcs::from_tp_dcs(0),
        scts: Some(timestamp(26, 1, 2, 3, 4, 5, 12)),
        udhi: true,
        udl,
        user_data,
        ..Tpdu::default()
    };
    let out = push_all(
        &mut SmsIngest::new(SmsConfig::default()),
        &[encode_tpdu(&t).unwrap()],
        false,
    );
    assert_eq!(out[0].text_parts[0].text, text);
    assert!(out[0].problems.is_empty());
}

#[test]
fn details_serialise_for_inspect() {
    let mut out = Vec::new();
    let mut ingest = SmsIngest::new(SmsConfig::default());
    ingest.push_smpp(&unhex("000000400000000500000000000000030002013837363534333231000409343034303400000000000000000000084024232125262F3A000E0001010006000101"), 0, &mut out);
    ingest.push_tpdu(
        &unhex("07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"),
        0,
        &mut out,
    );
    let smpp = serde_json::to_value(&out[0]).unwrap();
    assert_eq!(smpp["protocol"]["kind"], "sms");
    assert_eq!(smpp["protocol"]["smpp"]["command"], "deliver_sm");
    assert_eq!(smpp["protocol"]["smpp"]["tlvs"][0]["tag"], "000e");
    assert_eq!(smpp["protocol"]["smpp"]["esm_class"]["mode"], "default");
    let tpdu = serde_json::to_value(&out[1]).unwrap();
    assert_eq!(tpdu["protocol"]["tpdu"]["tpdu_type"], "SMS-DELIVER");
    assert_eq!(
        tpdu["protocol"]["tpdu"]["scts"],
        "2002-08-26T19:37:41-00:00"
    );
    assert_eq!(tpdu["protocol"]["dcs"]["alphabet"], "gsm7_packed");
}
