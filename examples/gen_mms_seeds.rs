//! Writes the project's own MMS fixtures to `seeds/mms/` with floodwall's
//! MMS encoder (`floodwall::encode::mms`).
//!
//! Regenerate with:
//!
//! ```sh
//! cargo run --example gen_mms_seeds
//! ```
//!
//! The output is deterministic (fixed transaction ids and dates), so a
//! regenerated tree shows no diff unless the encoder changed. All texts were
//! written for this project.

use std::path::Path;

use floodwall::encode::mms::{PartSpec, Pdu};
use floodwall::ingest::mms::{wsp, MessageType, TimeValue};

/// The GTUBE-style test string for MMS: every rule set must fire on it.
const GTUBE_MMS: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-MMS*C.34X";

const DATE: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn smil(image: &str, text: &str) -> PartSpec {
    let smil = format!(
        "<smil><head><layout><region id=\"Image\" top=\"0\" height=\"70%\"/>\
         <region id=\"Text\" top=\"70%\" height=\"30%\"/></layout></head>\
         <body><par dur=\"5000ms\"><img src=\"{image}\" region=\"Image\"/>\
         <text src=\"{text}\" region=\"Text\"/></par></body></smil>"
    );
    PartSpec::media("application/smil", "presentation.smil", smil.into_bytes())
        .with_content_id("<smil>")
}

/// A tiny stand-in JPEG: SOI, a JFIF APP0 header and EOI.
fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

fn retrieve_conf(tid: &str, from: &str, subject: &str) -> Pdu {
    let mut pdu = Pdu::new(MessageType::RetrieveConf);
    pdu.transaction_id = Some(tid.into());
    pdu.version = 0x12;
    pdu.message_id = Some(format!("{tid}@mmsc.example.net"));
    pdu.date = Some(DATE);
    pdu.from = Some(from.into());
    pdu.to = vec!["+491700000001/TYPE=PLMN".into()];
    pdu.subject = Some(subject.into());
    pdu.message_class = Some(0x80);
    pdu
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();

    let mut ham = retrieve_conf("ham-0001", "+491761234567/TYPE=PLMN", "Photo from the lake");
    ham.related_start = Some("<smil>".into());
    ham.parts = vec![
        smil("lake.jpg", "greeting.txt"),
        PartSpec::media("image/jpeg", "lake.jpg", jpeg()),
        PartSpec::text("Hi Mum, here is the lake from this morning. See you on Sunday!")
            .with_location("greeting.txt"),
    ];
    out.push(("ham-retrieve-conf-photo.mms", ham.encode()));

    let mut spam = Pdu::new(MessageType::SendReq);
    spam.transaction_id = Some("spam-0001".into());
    spam.from = Some(String::new());
    spam.to = vec![
        "+491700000001/TYPE=PLMN".into(),
        "+491700000002/TYPE=PLMN".into(),
    ];
    spam.subject = Some("🎉 GEWINNER! Your €1000 prize is waiting".into());
    spam.message_class = Some(0x81);
    spam.related_start = Some("<smil>".into());
    spam.parts = vec![
        smil("prize.jpg", "offer.txt"),
        PartSpec::media("image/jpeg", "prize.jpg", jpeg()),
        PartSpec::text(
            "Congratulations! Your number was selected for a €1000 voucher. \
             Claim it within 24 hours at http://claim-prize.example.com/win?ref=MMS77 \
             — reply STOP to opt out. Glückwunsch!",
        )
        .with_location("offer.txt"),
    ];
    out.push(("spam-send-req-prize.mms", spam.encode()));

    let mut notif = Pdu::new(MessageType::NotificationInd);
    notif.transaction_id = Some("notif-0001".into());
    notif.from = Some("+447700900123/TYPE=PLMN".into());
    notif.subject = Some("You have a FREE gift card, open now".into());
    notif.message_class = Some(0x80);
    notif.message_size = Some(48_000);
    notif.expiry = Some(TimeValue::Relative(259_200));
    notif.content_location = Some("http://free-giftcard.example.org/mms/get?id=9f3a7c".into());
    out.push(("spam-notification-ind.mms", notif.encode()));

    let mut utf16 = retrieve_conf("u16-0001", "+819012345678/TYPE=PLMN", "週末の予定");
    utf16.subject_charset = wsp::MIB_UTF_16;
    utf16.parts = vec![PartSpec::text_in(
        "こんにちは！土曜日のお花見、10時に駅で会いましょう。",
        wsp::MIB_UTF_16,
    )];
    out.push(("ham-utf16-text.mms", utf16.encode()));

    let mut nested = retrieve_conf(
        "nest-0001",
        "friend@example.com",
        "Holiday pictures, part 2",
    );
    nested.parts = vec![
        PartSpec::text("Two more from the trip, the rest follows tomorrow."),
        PartSpec::multipart(vec![
            PartSpec::media("image/jpeg", "beach.jpg", jpeg()),
            PartSpec::multipart(vec![
                PartSpec::text_in("Légende : la plage à midi.", wsp::MIB_ISO_8859_1),
                PartSpec::media("image/jpeg", "harbour.jpg", jpeg()),
            ]),
        ]),
    ];
    out.push(("ham-nested-multipart.mms", nested.encode()));

    let mut gtube = retrieve_conf("gtube-0001", "+15555550100/TYPE=PLMN", "Filter test");
    gtube.parts = vec![PartSpec::text(&format!(
        "This message tests the MMS filter.\n{GTUBE_MMS}\n"
    ))];
    out.push(("gtube-mms.mms", gtube.encode()));

    // A send-req cut in the middle of its text part and with a DataLen that
    // claims more than is there: must decode with FW_TRUNCATED, not fail.
    let mut bad = Pdu::new(MessageType::SendReq);
    bad.transaction_id = Some("bad-0001".into());
    bad.from = Some(String::new());
    bad.to = vec!["+491700000001/TYPE=PLMN".into()];
    bad.subject = Some("Last chance: crypto profits".into());
    bad.parts = vec![PartSpec::text(
        "Double your money in 7 days, visit http://crypto-double.example.net/join now",
    )];
    let mut bytes = bad.encode();
    bytes.truncate(bytes.len() - 30);
    out.push(("malformed-truncated.mms", bytes));

    out
}

fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/mms");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in seeds() {
        std::fs::write(dir.join(name), &bytes)?;
        println!("wrote {name} ({} bytes)", bytes.len());
    }
    Ok(())
}
