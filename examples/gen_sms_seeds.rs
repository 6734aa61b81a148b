//! Writes the SMS seed corpus in `seeds/sms/` with floodwall's own encoders.
//!
//! Regenerate with:
//!
//! ```text
//! cargo run --example gen_sms_seeds            # writes ./seeds/sms
//! cargo run --example gen_sms_seeds -- DIR     # writes DIR
//! ```
//!
//! Output is deterministic (fixed references, sequence numbers and
//! timestamps), so regenerating gives the same bytes. The texts are written
//! for the project: realistic ham and spam, never copied from a corpus.
//!
//! - `*.smpp`: binary SMPP PDUs back to back (one message, or the segments of one);
//! - `smpp_lines.smpp`: SMPP PDUs as hex, one per line, `#` comments;
//! - `*.tpdu`: TPDUs as hex, one per line (with or without SMSC prefix);
//! - `malformed_sm_length.smpp`: a submit_sm whose `sm_length` runs past the PDU;
//! - `wap_push_mms.tpdu`: an MMS m-notification-ind in a WAP push, carried by
//!   two SMS-DELIVER segments to port 2948 (how MMS arrives on a handset).

use std::fs;
use std::path::{Path, PathBuf};

use floodwall::encode::mms::{wap_push, Pdu};
use floodwall::encode::sms::{SmppConcat, SmppText, TpduText};
use floodwall::encode::tpdu::timestamp;
use floodwall::ingest::mms::{MessageType, TimeValue};
use floodwall::ingest::sms::dcs::Dcs;
use floodwall::ingest::sms::smpp::{self, SmeAddress, Tlv};
use floodwall::ingest::sms::tpdu::{self, TpAddress, Tpdu, TpduType};
use floodwall::ingest::sms::udh::{Concat, Element, Udh};
use floodwall::ingest::sms::Alphabet;

/// The test string that must always fire.
const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-SMS*C.34X";

const HAM_FRIENDS: &str = "Hey! Running ~10 min late, grab a table for us? Pizza at Luigi's, \
    I owe you [2] drinks {promise} :) €5 parking";
const HAM_APPOINTMENT: &str = "Reminder: your dental check-up with Dr. Patel is on Thu 14 Mar \
    at 09:40. Reply C to confirm or R to reschedule. Northside Dental";
const HAM_OTP: &str = "G-482913 is your Google verification code. Don't share it with anyone.";
const HAM_OTP_BANK: &str = "Your Monzo login code is 719 224. We will never call you to ask for \
    it. If this wasn't you, freeze your card in the app.";
const HAM_LATIN1: &str = "¿Quedamos mañana a las 19h en la cafetería? Trae el libro de Ángela, \
    por favor. ¡Gracias! Olé";
const HAM_UCS2: &str = "Спасибо за ужин! 😊 Было очень вкусно, в следующий раз готовлю я 🍝";

const SPAM_PARCEL: &str = "Royal Mail: Your parcel has a £1.45 unpaid shipping fee and will be \
    returned to sender. Pay now: https://royalmail-redelivery.info/gb?ref=RM771 [24h]";
const SPAM_PRIZE_UCS2: &str = "🎉 CONGRATULATIONS! 🎁 You have been selected to receive a £1000 \
    Tesco gift card! Claim within 24h 👉 http://tesco-rewards-uk.win/claim?id=88412 \
    Reply STOP to opt out 🏆 T&Cs apply";
const SPAM_BANK: &str = "HSBC ALERT: A new payee was added to your account at 03:12. If this \
    was NOT you, verify immediately at https://hsbc-secure-verify.co/login or call 0203 998 \
    1143. Failure to act will result in your account being suspended. Do not share the \
    one-time code we send you with anyone except our fraud team.";
const SPAM_LOAN: &str = "URGENT: You are pre-approved for a £5,000 loan at 0% APR! No credit \
    checks, cash in your account in 1 hour. Text YES to 80099 or apply at \
    www.quick-cash-loans.biz/apply - limited places. Msg&data rates may apply. To stop \
    receiving these messages reply STOP. Ts&Cs at www.quick-cash-loans.biz/terms. \
    Representative APR 1294%. Lender: QCL Finance Ltd, not FCA authorised. Act now!!";
const SPAM_PREMIUM: &str = "You have 1 missed voicemail from an unknown caller. To listen call \
    09011 223344 now (calls cost £3.60/min + network access).";
const SPAM_DE_CONCAT: &str =
    "Sehr geehrter Kunde, Ihr Paket konnte nicht zugestellt werden. Bitte \
    bestätigen Sie Ihre Adresse und zahlen Sie die Zollgebühr von 2,99 EUR unter \
    http://dhl-paket-zustellung.top/verify innerhalb von 12 Stunden, sonst wird die Sendung an \
    den Absender zurückgeschickt. Ihr DHL Team. Sendungsnummer JJD0001489 [Info]";

fn smpp_submit<'t>(
    from: SmeAddress,
    to: &str,
    text: &'t str,
    alphabet: Alphabet,
    seq: u32,
) -> SmppText<'t> {
    SmppText {
        alphabet,
        sequence: seq,
        ..SmppText::submit(from, SmeAddress::new(1, 1, to), text)
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("wrote {} ({} bytes)", path.display(), bytes.len());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn binary(pdus: &[Vec<u8>]) -> Vec<u8> {
    pdus.concat()
}

fn lines(entries: &[(&str, Vec<Vec<u8>>)]) -> Vec<u8> {
    let mut out = String::new();
    for (comment, pdus) in entries {
        out.push_str(&format!("# {comment}\n"));
        for p in pdus {
            out.push_str(&hex(p));
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// A WAP push of an MMS notification as SMS-DELIVER TPDUs: 8-bit data
/// (TP-DCS 0xF5), UDH with 16-bit application ports (destination 2948, WAP
/// push; 3GPP TS 23.040 §9.2.3.24.4) and concatenation when it needs more than
/// one segment.
fn wap_push_tpdus(address: TpAddress, ts: tpdu::Timestamp) -> Vec<Vec<u8>> {
    let mut notif = Pdu::new(MessageType::NotificationInd);
    notif.transaction_id = Some("push-0001".into());
    notif.from = Some("+447700900777/TYPE=PLMN".into());
    notif.subject = Some("Your FREE gift card is waiting".into());
    notif.message_class = Some(0x80);
    notif.message_size = Some(52_000);
    notif.expiry = Some(TimeValue::Relative(259_200));
    notif.content_location = Some("http://free-giftcard.example.org/mms/get?id=b71e".into());
    let push = wap_push(0x01, &notif.encode());
    let chunks: Vec<&[u8]> = push.chunks(128).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut elements = vec![Element::Ports {
                destination: 2948,
                source: 9200,
            }];
            if chunks.len() > 1 {
                let concat = Concat {
                    reference: 0x5A,
                    total: chunks.len() as u8,
                    seq: i as u8 + 1,
                    wide: false,
                };
                elements.insert(0, Element::Concat(concat));
            }
            let mut user_data = Udh { elements }.encode();
            user_data.extend_from_slice(chunk);
            let t = Tpdu {
                kind: TpduType::Deliver,
                address: address.clone(),
                dcs: Dcs::from_tp_dcs(0xF5),
                scts: Some(ts),
                udhi: true,
                udl: user_data.len(),
                user_data,
                ..Tpdu::default()
            };
            floodwall::encode::tpdu::encode(&t)
                .unwrap_or_else(|e| panic!("encoding the WAP push TPDU: {e}"))
        })
        .collect()
}

fn main() {
    let dir: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("seeds/sms"));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let enc = |t: SmppText| t.encode().unwrap_or_else(|e| panic!("encoding: {e}"));
    let intl = |n: &str| SmeAddress::new(1, 1, n);
    let alnum = |n: &str| SmeAddress::new(5, 0, n);

    // --- SMPP, binary ---
    write(
        &dir,
        "ham_gsm_friends.smpp",
        &binary(&enc(smpp_submit(
            intl("447700900123"),
            "447700900456",
            HAM_FRIENDS,
            Alphabet::Gsm7Unpacked,
            1,
        ))),
    );
    write(
        &dir,
        "ham_otp_gsm.smpp",
        &binary(&enc(smpp_submit(
            alnum("Google"),
            "447700900456",
            HAM_OTP,
            Alphabet::Gsm7Unpacked,
            2,
        ))),
    );
    write(
        &dir,
        "ham_latin1.smpp",
        &binary(&enc(smpp_submit(
            intl("34600111222"),
            "34600333444",
            HAM_LATIN1,
            Alphabet::Latin1,
            3,
        ))),
    );
    write(
        &dir,
        "ham_ucs2_emoji.smpp",
        &binary(&enc(smpp_submit(
            intl("79161234567"),
            "79167654321",
            HAM_UCS2,
            Alphabet::Ucs2,
            4,
        ))),
    );
    write(
        &dir,
        "spam_parcel_gsm.smpp",
        &binary(&enc(smpp_submit(
            alnum("RoyalMail"),
            "447700900789",
            SPAM_PARCEL,
            Alphabet::Gsm7Unpacked,
            5,
        ))),
    );
    write(
        &dir,
        "spam_premium_rate_gsm.smpp",
        &binary(&enc(smpp_submit(
            intl("447624000111"),
            "447700900790",
            SPAM_PREMIUM,
            Alphabet::Gsm7Unpacked,
            6,
        ))),
    );
    let prize = SmppText {
        reference: 0xA7,
        ..smpp_submit(
            alnum("Tesco"),
            "447700900791",
            SPAM_PRIZE_UCS2,
            Alphabet::Ucs2,
            10,
        )
    };
    let prize = enc(prize);
    assert_eq!(
        prize.len(),
        3,
        "the prize spam is a 3-segment UCS-2 message"
    );
    write(&dir, "spam_prize_ucs2_concat3.smpp", &binary(&prize));
    let loan = SmppText {
        concat: SmppConcat::Sar,
        reference: 0x2B1C,
        ..smpp_submit(
            intl("447624000222"),
            "447700900792",
            SPAM_LOAN,
            Alphabet::Gsm7Unpacked,
            20,
        )
    };
    write(&dir, "spam_loan_gsm_sar.smpp", &binary(&enc(loan)));
    let bank = SmppText {
        command_id: smpp::DATA_SM,
        concat: SmppConcat::Payload,
        ..smpp_submit(
            alnum("HSBC"),
            "447700900793",
            SPAM_BANK,
            Alphabet::Latin1,
            30,
        )
    };
    write(&dir, "spam_bank_data_sm_payload.smpp", &binary(&enc(bank)));
    write(
        &dir,
        "gtube_gsm.smpp",
        &binary(&enc(smpp_submit(
            intl("447700900999"),
            "447700900001",
            GTUBE,
            Alphabet::Gsm7Unpacked,
            40,
        ))),
    );
    let receipt = SmppText {
        command_id: smpp::DELIVER_SM,
        esm_class: 0x04,
        alphabet: Alphabet::Latin1,
        sequence: 50,
        extra_tlvs: vec![
            Tlv::new(smpp::TLV_RECEIPTED_MESSAGE_ID, *b"5f3a91c2\0"),
            Tlv::new(smpp::TLV_MESSAGE_STATE, [2]),
        ],
        ..SmppText::submit(
            intl("447700900456"),
            alnum("Google"),
            "id:5f3a91c2 sub:001 dlvrd:001 submit date:2611231410 done date:2611231411 stat:DELIVRD err:000 text:G-482913 is your",
        )
    };
    write(&dir, "delivery_receipt.smpp", &binary(&enc(receipt)));
    // Deliberately malformed: sm_length claims 200 octets, 12 follow.
    let mut bad = enc(smpp_submit(
        intl("447700900666"),
        "447700900667",
        "Win a prize!",
        Alphabet::Gsm7Unpacked,
        60,
    ))
    .remove(0);
    let sm_length_at = bad.len() - 13;
    bad[sm_length_at] = 200;
    write(&dir, "malformed_sm_length.smpp", &bad);

    // --- SMPP, hex lines ---
    let de = SmppText {
        reference: 0x33,
        ..smpp_submit(
            alnum("DHL"),
            "4915112345678",
            SPAM_DE_CONCAT,
            Alphabet::Gsm7Unpacked,
            70,
        )
    };
    write(
        &dir,
        "smpp_lines.smpp",
        &lines(&[
            (
                "ham: appointment reminder (GSM 7-bit, unpacked)",
                enc(smpp_submit(
                    alnum("NDental"),
                    "447700900321",
                    HAM_APPOINTMENT,
                    Alphabet::Gsm7Unpacked,
                    80,
                )),
            ),
            (
                "ham: bank login code (GSM 7-bit)",
                enc(smpp_submit(
                    alnum("Monzo"),
                    "447700900322",
                    HAM_OTP_BANK,
                    Alphabet::Gsm7Unpacked,
                    81,
                )),
            ),
            ("spam: customs-fee phishing, 2 segments with UDH", enc(de)),
            (
                "test string, UCS-2",
                enc(smpp_submit(
                    intl("447700900998"),
                    "447700900002",
                    GTUBE,
                    Alphabet::Ucs2,
                    90,
                )),
            ),
            (
                "enquire_link (no message)",
                vec![vec![0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 91]],
            ),
        ]),
    );

    // --- TPDUs ---
    let smsc = Some(TpAddress::new(1, 1, "447785016005"));
    let ts = timestamp(26, 11, 23, 14, 5, 9, 0);
    let tp = |kind, smsc: Option<TpAddress>, address: TpAddress, text, alphabet, reference| {
        TpduText {
            kind,
            smsc,
            address,
            text,
            alphabet,
            reference,
            timestamp: ts,
        }
        .encode()
        .unwrap_or_else(|e| panic!("encoding TPDU: {e}"))
    };
    write(
        &dir,
        "deliver.tpdu",
        &lines(&[
            (
                "SMS-DELIVER, GSM 7-bit, with SMSC: ham",
                tp(
                    TpduType::Deliver,
                    smsc.clone(),
                    TpAddress::new(1, 1, "447700900123"),
                    HAM_FRIENDS,
                    Alphabet::Gsm7Packed,
                    0,
                ),
            ),
            (
                "SMS-DELIVER, alphanumeric sender: OTP ham",
                tp(
                    TpduType::Deliver,
                    smsc.clone(),
                    TpAddress::new(5, 0, "Google"),
                    HAM_OTP,
                    Alphabet::Gsm7Packed,
                    0,
                ),
            ),
            (
                "SMS-DELIVER, alphanumeric sender, no SMSC: parcel phishing",
                tp(
                    TpduType::Deliver,
                    None,
                    TpAddress::new(5, 0, "RoyalMail"),
                    SPAM_PARCEL,
                    Alphabet::Gsm7Packed,
                    0,
                ),
            ),
            (
                "SMS-DELIVER, UCS-2 with emoji: ham",
                tp(
                    TpduType::Deliver,
                    smsc.clone(),
                    TpAddress::new(1, 1, "79161234567"),
                    HAM_UCS2,
                    Alphabet::Ucs2,
                    0,
                ),
            ),
            (
                "SMS-DELIVER, test string",
                tp(
                    TpduType::Deliver,
                    smsc.clone(),
                    TpAddress::new(1, 1, "447700900999"),
                    GTUBE,
                    Alphabet::Gsm7Packed,
                    0,
                ),
            ),
        ]),
    );
    write(
        &dir,
        "submit.tpdu",
        &lines(&[
            (
                "SMS-SUBMIT, GSM 7-bit, no SMSC: premium-rate lure",
                tp(
                    TpduType::Submit,
                    None,
                    TpAddress::new(1, 1, "447700900790"),
                    SPAM_PREMIUM,
                    Alphabet::Gsm7Packed,
                    0,
                ),
            ),
            (
                "SMS-SUBMIT, 8-bit, with SMSC: appointment",
                tp(
                    TpduType::Submit,
                    smsc.clone(),
                    TpAddress::new(1, 1, "447700900321"),
                    HAM_APPOINTMENT,
                    Alphabet::Binary,
                    0,
                ),
            ),
        ]),
    );
    write(
        &dir,
        "concat.tpdu",
        &lines(&[
            (
                "SMS-DELIVER, GSM 7-bit, 2 segments (8-bit ref): bank phishing",
                tp(
                    TpduType::Deliver,
                    smsc.clone(),
                    TpAddress::new(5, 0, "HSBC"),
                    SPAM_BANK,
                    Alphabet::Gsm7Packed,
                    0x5C,
                ),
            ),
            (
                "SMS-DELIVER, UCS-2, 16-bit ref: prize spam",
                tp(
                    TpduType::Deliver,
                    smsc,
                    TpAddress::new(5, 0, "Tesco"),
                    SPAM_PRIZE_UCS2,
                    Alphabet::Ucs2,
                    0x1F2E,
                ),
            ),
            (
                "SMS-SUBMIT, GSM 7-bit, 3 segments: loan spam",
                tp(
                    TpduType::Submit,
                    None,
                    TpAddress::new(1, 1, "447700900792"),
                    SPAM_LOAN,
                    Alphabet::Gsm7Packed,
                    0x77,
                ),
            ),
        ]),
    );
    write(
        &dir,
        "wap_push_mms.tpdu",
        &lines(&[(
            "SMS-DELIVER x2, 8-bit, ports 9200 -> 2948: WAP push of an MMS notification",
            wap_push_tpdus(TpAddress::new(1, 1, "447700900777"), ts),
        )]),
    );
}
