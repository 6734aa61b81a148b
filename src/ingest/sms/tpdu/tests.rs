//! Unit tests of the TPDU codec, including the dreamfabric and Gammu vectors of reference §3.4.

use super::*;
use crate::encode::segment::segment;
use crate::encode::tpdu::{encode, timestamp};
use crate::ingest::sms::dcs::Alphabet;
use crate::ingest::sms::user_data::{decode_text, split_tpdu};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn text(t: &Tpdu) -> String {
    let ud = split_tpdu(&t.user_data, t.udl, t.udhi, t.dcs.alphabet).unwrap();
    let tables = ud.udh.as_ref().map(|u| u.tables().0).unwrap_or_default();
    decode_text(&ud.units, t.dcs.alphabet, tables, &mut Vec::new())
}

#[test]
fn dreamfabric_how_are_you() {
    let t = decode_auto(&unhex(
        "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07",
    ))
    .unwrap();
    assert_eq!(t.kind, TpduType::Deliver);
    assert_eq!(t.smsc.as_ref().unwrap().value, "31624000000");
    assert_eq!(t.address, TpAddress::new(1, 1, "31641600986"));
    assert_eq!(t.dcs.raw, 0);
    assert_eq!(t.scts.unwrap().to_string(), "2002-08-26T19:37:41-00:00");
    // The zone octet 0x08 has the sign bit (bit 3) set and zero
    // quarters (§9.2.3.11); pages reading it as +2h swap the nibbles wrongly.
    assert_eq!(text(&t), "How are you?");
}

#[test]
fn gammu_udh_deliver() {
    let hex = "07918497900000F6400B918406290000F4000002219221351140A005000363080140CCB7BCDC06A5E1F37A1B447EB3DF72D03C4D0785DB653A0B347EBBE7E531BD4CAFCB4161721A9E9E8FD3EE33A8CC4ED35D206899CD2EBBE9E579BC5E06D9D3F47019E42EC7EB6550F95C9ED3C37316C81CAE8FD3E2FA1C5496BFE7A0B49B054A87C775767A0E4AC3E7F5B60B34ADCFE16537393D9F9741E4F4D99D9ECFD36D10FC2DA7D3D3";
    let t = decode_auto(&unhex(hex)).unwrap();
    assert_eq!(t.first_octet, 0x40);
    let ud = split_tpdu(&t.user_data, t.udl, t.udhi, t.dcs.alphabet).unwrap();
    let c = ud.udh.unwrap().concat().unwrap();
    assert_eq!((c.reference, c.total, c.seq), (0x63, 8, 1));
    assert_eq!(ud.units.len(), 153);
    assert_eq!(t.smsc.as_ref().unwrap().value, "48790900006");
    assert_eq!(t.address.value, "48609200004");
    assert_eq!(
        text(&t),
        " Lorem ipsum dolor sit amet, consectetur adipiscing elit. Pellentesque vitae neque \
         egestas, faucibus eros in, iaculis ipsum. Suspendisse dignissim portti"
    );
}

#[test]
fn alphanumeric_sender() {
    let t = decode_auto(&unhex(
        "0791447758100650040DD0F334FC1CA6970100008080312170224008D4F29CDE0EA7D9",
    ))
    .unwrap();
    assert_eq!(t.address.ton, 5);
    assert_eq!(t.address.value, "sipgate");
    assert_eq!(text(&t), "Testmail");
}

#[test]
fn submit_and_deliver_round_trip_through_the_encoder() {
    for (kind, alphabet, body) in [
        (
            TpduType::Submit,
            Alphabet::Gsm7Packed,
            "Your code is 4471 [Bank] €5",
        ),
        (TpduType::Deliver, Alphabet::Ucs2, "Привет 😀 see you"),
        (TpduType::Deliver, Alphabet::Binary, "Caf\u{e9} ok"),
    ] {
        let segs = segment(body, alphabet, gsm7::Tables::default(), 1).unwrap();
        let (ud, udl) = segs[0].to_octets(alphabet);
        let t = Tpdu {
            smsc: Some(TpAddress::new(1, 1, "447785016005")),
            kind,
            message_reference: (kind == TpduType::Submit).then_some(9),
            address: TpAddress::new(5, 0, "PARCELS"),
            dcs: Dcs::from_tp_dcs(Dcs::tp_dcs_for(alphabet)),
            scts: (kind == TpduType::Deliver).then(|| timestamp(26, 11, 23, 14, 5, 9, -12)),
            validity: if kind == TpduType::Submit {
                Validity::Relative(0xAA)
            } else {
                Validity::None
            },
            udl,
            user_data: ud,
            ..Tpdu::default()
        };
        let bytes = encode(&t).unwrap();
        let back = decode_auto(&bytes).unwrap();
        assert_eq!(back.address, t.address);
        assert_eq!(back.validity, t.validity);
        assert_eq!(text(&back), body);
        assert_eq!(back.scts, t.scts);
    }
}

#[test]
fn lenient_decoding_reads_miscounted_user_data() {
    // UCS-2 "AB" + one more character beyond TP-UDL 4.
    let mut full = unhex("0001000B915310101010F000080400410042");
    full.extend_from_slice(&[0x00, 0x43]);
    assert!(matches!(
        decode_auto(&full),
        Err(TpduError::TrailingBytes { .. })
    ));
    let (t, err) = decode_lenient(&full).unwrap();
    assert!(err.is_some());
    assert_eq!(text(&t), "ABC");
    // GSM 7-bit cut short: the septets present are kept.
    let cut = unhex("0001000B915310101010F00000A0E8329BFD4697D9EC37");
    let (t, err) = decode_lenient(&cut).unwrap();
    assert!(matches!(err, Some(TpduError::UserDataBeyondEnd { .. })));
    assert_eq!(text(&t), "hellohello");
}

#[test]
fn status_report_is_recognised() {
    let t = decode_auto(&unhex(
        "06040D91945152991136F00160124130340A0160124130940A00",
    ))
    .unwrap();
    assert_eq!(t.kind, TpduType::StatusReport);
    assert_eq!(t.status, Some(0));
}

#[test]
fn lying_lengths_are_typed_errors() {
    // UDL claims 140 septets, 10 octets present.
    let e = decode(
        &unhex("0001000B915310101010100000A0E8329BFD4697D9EC37"),
        false,
    )
    .unwrap_err();
    assert!(
        matches!(e, TpduError::UserDataBeyondEnd { offset: 13, .. }),
        "{e}"
    );
    assert!(matches!(
        decode(&unhex("07"), true),
        Err(TpduError::Truncated { offset: 1, .. })
    ));
    assert!(matches!(
        decode(&unhex("03"), false),
        Err(TpduError::ReservedMti { offset: 0 })
    ));
}

#[test]
fn every_validity_period_form_round_trips() {
    for validity in [
        Validity::None,
        Validity::Relative(0xA7),
        Validity::Enhanced([0x01, 0x23, 0, 0, 0, 0, 0]),
        Validity::Absolute(timestamp(26, 12, 31, 23, 59, 58, -20)),
    ] {
        let t = Tpdu {
            kind: TpduType::Submit,
            message_reference: Some(3),
            address: TpAddress::new(1, 1, "4477009001"),
            validity,
            udl: 2,
            user_data: gsm7::pack(&[0x48, 0x69], 0),
            ..Tpdu::default()
        };
        let bytes = encode(&t).unwrap();
        let back = decode(&bytes, true).unwrap();
        assert_eq!(back.validity, validity);
        assert_eq!(text(&back), "Hi");
    }
    assert_eq!(
        timestamp(26, 12, 31, 23, 59, 58, -20).to_string(),
        "2026-12-31T23:59:58-05:00"
    );
}
