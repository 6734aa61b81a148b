//! Conformance of the SMS decoders against third-party vectors.
//!
//! Reads every vector in `../shared/corpora/vectors/{smpp,tpdu}/*.tsv` at run
//! time (the files are others' work and are not committed). Well-formed
//! vectors must decode and show the fields their test name implies; malformed
//! ones (the test name says so, or cloudhopper's length-valid column says no)
//! must be refused with a typed error. Known, reasoned disagreements are
//! listed in [`EXPLAINED`]; anything else fails the test.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use floodwall::ingest::sms::smpp::{self, Body};
use floodwall::ingest::sms::tpdu::{self, TpduType};
use floodwall::ingest::sms::{Alphabet, SmsConfig, SmsDetails, SmsIngest};
use floodwall::ingest::Protocol;
use floodwall::message::ProblemKind;
use floodwall::Message;

/// (file, test name, why we differ from the vector's origin).
const EXPLAINED: &[(&str, &str, &str)] = &[
    (
        "cloudhopper.tsv",
        "decodeWAUMalformedPacket",
        "byte-identical to decodeLargeSequenceNumber, which cloudhopper decodes: the PDU is \
         well-formed per SMPP 3.4 (only its addresses are odd), so it is decoded",
    ),
    (
        "cloudhopper.tsv",
        "decodeDeliverSmNetforsDeliveryReceiptTriggeredErrorInLegacySmppLibrary",
        "its receipted_message_id TLV declares 65 octets but 5 follow: a lying length, refused \
         by smpp::decode_pdu (SMPP 3.4 §3.3); cloudhopper tolerates it. SmsIngest salvages the \
         body (smpp::decode_salvage) and emits the receipt with a ProtocolViolation problem",
    ),
    (
        "cloudhopper.tsv",
        "decodeSubmitSmRespWithNoNullByteForMessageId",
        "message_id ends at the PDU end without its NUL; a C-Octet String needs it (SMPP 3.4 \
         §3.1), so it is refused with SmppError::UnterminatedString; cloudhopper tolerates it \
         (SmsIngest, like for any undecodable PDU, emits a message marked Truncated)",
    ),
    (
        "python-messaging.tsv",
        "test_decoding_odd_length_pdu_no_strict",
        "TP-UD is cut short; python-messaging's non-strict mode decodes the partial text, we \
         refuse it with TpduError::UserDataBeyondEnd; SmsIngest (tpdu::decode_lenient) still \
         decodes the septets present and marks the message Truncated",
    ),
];

/// Test-name fragments that mark a vector as malformed.
const MALFORMED_NAMES: &[&str] = &[
    "LessThan16",
    "BadPdu",
    "SignedInt",
    "Malformed",
    "Invalid",
    "Unsupported",
    "255Byte",
    "command_length_too_long",
    "ends_in_middle",
    "raises",
];

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/vectors");
    assert!(
        dir.join("smpp").is_dir() && dir.join("tpdu").is_dir(),
        "conformance vectors not found at {} (expected smpp/ and tpdu/ with .tsv files): \
         the shared corpora must be present for this test",
        dir.display()
    );
    dir
}

struct Row {
    file: String,
    name: String,
    cols: BTreeMap<String, String>,
    bytes: Vec<u8>,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn rows(dir: &Path) -> Vec<Row> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .tsv vectors in {}", dir.display());
    let mut out = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap()
            .split('\t')
            .map(String::from)
            .collect();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cols: BTreeMap<String, String> = header
                .iter()
                .cloned()
                .zip(line.split('\t').map(String::from))
                .collect();
            let name = ["test_method", "test", "name"]
                .iter()
                .find_map(|k| cols.get(*k))
                .cloned()
                .unwrap_or_default();
            let hex = cols.get("hex").cloned().unwrap_or_default();
            // An odd-length hex string is itself a truncated vector: keep the whole octets.
            let even = &hex[..hex.len() - hex.len() % 2];
            let bytes = unhex(even).unwrap_or_else(|| panic!("{file}: {name}: bad hex"));
            out.push(Row {
                file: file.clone(),
                name,
                cols,
                bytes,
            });
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    decoded: usize,
    refused: usize,
    skipped: Vec<String>,
    explained: Vec<String>,
    unexplained: Vec<String>,
}

impl Tally {
    fn disagree(&mut self, row: &Row, why: String) {
        let line = format!("{}: {}: {why}", row.file, row.name);
        match EXPLAINED
            .iter()
            .find(|(f, n, _)| *f == row.file && *n == row.name)
        {
            Some((_, _, reason)) => self.explained.push(format!("{line} [explained: {reason}]")),
            None => self.unexplained.push(line),
        }
    }
}

fn malformed_by_name(row: &Row) -> bool {
    MALFORMED_NAMES.iter().any(|m| row.name.contains(m))
        || row
            .cols
            .get("command_length_ok")
            .is_some_and(|v| v == "False")
}

fn details<'m>(m: &'m Message<'_>) -> &'m SmsDetails {
    match &m.protocol {
        Protocol::Sms(d) => d,
        _ => panic!("not SMS"),
    }
}

fn text(m: &Message<'_>) -> String {
    m.text_parts
        .first()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// Field checks an SMPP test name implies; returns what is wrong.
fn check_smpp(row: &Row, pdu: &smpp::Pdu) -> Result<(), String> {
    let expect_cmd = row.cols.get("command_id").cloned().unwrap_or_default();
    if !expect_cmd.starts_with("0x") && pdu.command_name() != expect_cmd {
        return Err(format!("command {} != {expect_cmd}", pdu.command_name()));
    }
    let name = row.name.as_str();
    let mut ingest = SmsIngest::new(SmsConfig::default());
    let mut out = Vec::new();
    ingest.push_smpp(&row.bytes, 0, &mut out);
    ingest.flush(&mut out);
    let is_message = matches!(pdu.body, Body::Message(_));
    if is_message != (out.len() == 1) {
        return Err(format!(
            "{} messages for a {}",
            out.len(),
            pdu.command_name()
        ));
    }
    if let Some(m) = out.first() {
        if m.problems.iter().any(|p| {
            !matches!(
                p.kind,
                ProblemKind::BadCharset | ProblemKind::IncompleteConcatenation
            )
        }) {
            return Err(format!("problems: {:?}", m.problems));
        }
        let d = details(m);
        let lname = name.to_ascii_lowercase();
        if lname.contains("receipt") || lname.contains("handset_ack") {
            if !m.is_notification {
                return Err("receipt not marked as a notification".into());
            }
        } else if m.is_notification {
            return Err("marked as a notification".into());
        }
        if lname.contains("payload") && !lname.contains("nopayload") {
            if pdu.tlv(smpp::TLV_MESSAGE_PAYLOAD).is_none() {
                return Err("no message_payload TLV".into());
            }
            let want = pdu
                .tlv(smpp::TLV_MESSAGE_PAYLOAD)
                .map_or(0, |t| t.value.len());
            if text(m).chars().count() != want {
                return Err(format!("payload text {:?} has not {want} chars", text(m)));
            }
        }
        let want_text = match name {
            "decodeDeliverSm" | "decodeSubmitSm" => Some("¡¤#!%&/:"),
            "test_decode_latin1" => Some("España"),
            "test_decode_UCS2" => Some("ñuńíüs"),
            "test_SubmitSM_conversion" | "test_DeliverSM_sybase_MO_conversion" => None,
            "decodeDataSM" => Some("Test"),
            _ => None,
        };
        if let Some(w) = want_text {
            if text(m) != w {
                return Err(format!("text {:?} != {w:?}", text(m)));
            }
        }
        if lname.contains("ucs2") && d.alphabet != Some(Alphabet::Ucs2) {
            return Err("alphabet is not UCS-2".into());
        }
        if lname.contains("ascii") && d.alphabet != Some(Alphabet::Ia5) {
            return Err("alphabet is not IA5".into());
        }
        let concat = lname.contains("with_udh") || lname.contains("isconcatenatedsm_true");
        if concat != d.segment.is_some()
            && !lname.contains("ringtone")
            && !lname.contains("octet_unspecified")
        {
            return Err(format!("segment {:?}", d.segment));
        }
    }
    if name.contains("OptionalParams") && pdu.tlvs.is_empty() {
        return Err("no TLVs".into());
    }
    if let Body::Fields(f) = &pdu.body {
        let id = f
            .iter()
            .find(|(k, _)| *k == "message_id")
            .map(|(_, v)| v.as_str());
        if name.contains("NoMessageId") && id.is_some() {
            return Err("message_id present".into());
        }
        if name.contains("EmptyMessageId") && id != Some("") {
            return Err(format!("message_id {id:?}"));
        }
    }
    // Encode vectors and message PDUs must round-trip through our encoder.
    if is_message || matches!(pdu.body, Body::Empty) {
        let again = floodwall::encode::smpp::encode(pdu).map_err(|e| format!("re-encode: {e}"))?;
        if again != row.bytes {
            return Err("re-encoded bytes differ".into());
        }
    }
    Ok(())
}

fn conform_smpp(dir: &Path, tally: &mut Tally) {
    for row in rows(&dir.join("smpp")) {
        let expect_refusal = malformed_by_name(&row)
            || row.cols.get("command_id").is_some_and(|c| {
                c.starts_with("0x")
                    && smpp::command_name(u32::from_str_radix(&c[2..], 16).unwrap_or(0)).is_none()
            });
        match (smpp::decode_pdu(&row.bytes), expect_refusal) {
            (Err(_), true) => tally.refused += 1,
            (Err(e), false) => tally.disagree(&row, format!("refused: {e}")),
            (Ok(p), true) => tally.disagree(
                &row,
                format!("decoded a malformed vector as {}", p.command_name()),
            ),
            (Ok(p), false) => match check_smpp(&row, &p) {
                Ok(()) => tally.decoded += 1,
                Err(why) => tally.disagree(&row, why),
            },
        }
    }
}

/// A python-messaging row that holds an expected phone number, not a TPDU.
fn as_number(bytes: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(bytes).ok()?;
    let ok = s.len() >= 3
        && (s.starts_with('+') || s.starts_with(|c: char| c.is_ascii_digit()))
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c));
    ok.then(|| s.to_string())
}

fn conform_tpdu(dir: &Path, tally: &mut Tally) {
    let all = rows(&dir.join("tpdu"));
    let mut multiparts = 0;
    // Group by (file, test) to check numbers and multi-part reassembly.
    let mut groups: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for row in &all {
        // ofono numbers the parts of one case (assembly_pdu1..3).
        let case = row
            .name
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        groups
            .entry((row.file.clone(), case))
            .or_default()
            .push(row);
    }
    for ((file, name), group) in &groups {
        let name = name.as_str();
        if name.starts_with("cbs") {
            tally.skipped.extend(
                group
                    .iter()
                    .map(|r| format!("{file}: {}: cell broadcast page, not a TPDU", r.name)),
            );
            continue;
        }
        let numbers: Vec<String> = group.iter().filter_map(|r| as_number(&r.bytes)).collect();
        let mut decoded = Vec::new();
        let mut addresses = Vec::new();
        for row in group {
            if as_number(&row.bytes).is_some() {
                continue;
            }
            let expect_refusal = malformed_by_name(row);
            match (tpdu::decode_auto(&row.bytes), expect_refusal) {
                (Err(_), true) => tally.refused += 1,
                (Err(e), false) => tally.disagree(row, format!("refused: {e}")),
                (Ok(t), true) => tally.disagree(
                    row,
                    format!("decoded a malformed vector as {}", t.kind.name()),
                ),
                (Ok(t), false) => match check_tpdu(row, &t) {
                    Ok(()) => {
                        tally.decoded += 1;
                        decoded.push(*row);
                        addresses.push(t.address.value.clone());
                    }
                    Err(why) => tally.disagree(row, why),
                },
            }
        }
        // Expected numbers (python-messaging) name a TPDU address of the test;
        // "/TYPE=PLMN" ones are the MMS From inside a WAP push.
        for n in numbers.iter().filter(|n| !n.contains('/')) {
            if !decoded.is_empty() && !addresses.iter().any(|a| a == n.trim_start_matches('+')) {
                tally.disagree(
                    group[0],
                    format!("no TPDU addressed {n} (have {addresses:?})"),
                );
            }
        }
        // Whole groups through the ingest: segments must come back as one message.
        if decoded.is_empty() {
            continue;
        }
        let mut ingest = SmsIngest::new(SmsConfig::default());
        let mut out = Vec::new();
        for row in &decoded {
            ingest.push_tpdu(&row.bytes, 0, &mut out);
        }
        let mut rest = Vec::new();
        ingest.flush(&mut rest);
        let incomplete = rest.len();
        let n = out.len() + incomplete;
        let multipart = ["multipart", "assembly", "wap_push", "m_notification"]
            .iter()
            .any(|k| name.contains(k));
        if multipart {
            multiparts += 1;
            for m in &out {
                let t = text(m);
                let head: String = t.chars().take(40).collect();
                println!(
                    "  reassembled {file}: {name}: {} parts -> {head:?} ({} chars)",
                    decoded.len(),
                    t.chars().count()
                );
            }
            let expect = if name.contains("m_notification") {
                2
            } else {
                1
            };
            if n != expect || incomplete != 0 {
                tally.disagree(
                    decoded[0],
                    format!(
                        "{} parts gave {} messages ({incomplete} incomplete)",
                        decoded.len(),
                        n
                    ),
                );
            }
        }
        for m in &out {
            if m.problems
                .iter()
                .any(|p| matches!(p.kind, ProblemKind::Unparseable | ProblemKind::Truncated))
            {
                tally.disagree(decoded[0], format!("ingest problems {:?}", m.problems));
            }
        }
    }
    assert!(multiparts >= 5, "only {multiparts} multi-part cases found");
}

fn check_tpdu(row: &Row, t: &tpdu::Tpdu) -> Result<(), String> {
    let name = row.name.as_str();
    let mut ingest = SmsIngest::new(SmsConfig::default());
    let mut out = Vec::new();
    ingest.push_tpdu(&row.bytes, 0, &mut out);
    ingest.flush(&mut out);
    let m = out.first().ok_or("no message")?;
    if m.problems
        .iter()
        .any(|p| matches!(p.kind, ProblemKind::Unparseable | ProblemKind::Truncated))
    {
        return Err(format!("problems {:?}", m.problems));
    }
    let want_kind = if name.starts_with("sr_pdu")
        || name.contains("status_report") && !name.contains("submit")
        || name.contains("confirmation")
    {
        Some(TpduType::StatusReport)
    } else if name.contains("submit") || name.starts_with("test_encoding") {
        Some(TpduType::Submit)
    } else if name.contains("deliver") || name.starts_with("test_decoding_7bit") {
        Some(TpduType::Deliver)
    } else {
        None
    };
    if let Some(k) = want_kind {
        if t.kind != k {
            return Err(format!("{} != {}", t.kind.name(), k.name()));
        }
    }
    if t.kind == TpduType::StatusReport && !m.is_notification {
        return Err("status report not a notification".into());
    }
    let want_text = match name {
        "simple_deliver" | "test_decoding_7bit_pdu" | "test_decoding_7bit_pdu_data" => {
            Some("How are you?")
        }
        "simple_submit" => Some("hellohello"),
        "test_encoding_validity" | "test_encoding_csca" => Some("hola"),
        "test_decoding_ucs2_pdu" => Some("中兴通讯"),
        "test_encoding_8bit_message" => Some("Hi there..."),
        _ => None,
    };
    if let Some(w) = want_text {
        if text(m) != w {
            return Err(format!("text {:?} != {w:?}", text(m)));
        }
    }
    if name == "alnum_sender" && (t.address.ton != 5 || t.address.value.is_empty()) {
        return Err(format!("alphanumeric sender {:?}", t.address));
    }
    if name.contains("unicode") && t.dcs.alphabet != Alphabet::Ucs2 {
        return Err("not UCS-2".into());
    }
    Ok(())
}

#[test]
fn sms_decoders_agree_with_third_party_vectors() {
    let dir = corpus();
    let mut tally = Tally::default();
    conform_smpp(&dir, &mut tally);
    conform_tpdu(&dir, &mut tally);
    println!(
        "SMS conformance: {} decoded, {} refused as expected, {} skipped, {} explained disagreements, {} unexplained",
        tally.decoded,
        tally.refused,
        tally.skipped.len(),
        tally.explained.len(),
        tally.unexplained.len()
    );
    for s in &tally.skipped {
        println!("  skipped: {s}");
    }
    for s in &tally.explained {
        println!("  explained: {s}");
    }
    for s in &tally.unexplained {
        println!("  UNEXPLAINED: {s}");
    }
    assert!(
        tally.decoded > 100,
        "too few vectors decoded: {}",
        tally.decoded
    );
    assert!(
        tally.unexplained.is_empty(),
        "{} unexplained disagreements (see output)",
        tally.unexplained.len()
    );
}

/// The committed seeds (written by `examples/gen_sms_seeds.rs`) decode
/// through the whole ingest path: format detection, framing, reassembly.
#[test]
fn seeds_decode_end_to_end() {
    use floodwall::ingest::{split, Decoder, Format, IngestConfig};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/sms");
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run the gen_sms_seeds example)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let mut gtube = 0;
    for path in names {
        let bytes = fs::read(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let payloads = split(Format::Auto, &bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut decoder = Decoder::new(IngestConfig::default());
        let mut out = Vec::new();
        for p in payloads {
            decoder.decode(p, 0, &mut out);
        }
        let mut rest = Vec::new();
        decoder.finish(&mut rest);
        assert!(rest.is_empty(), "{file}: incomplete messages");
        assert!(!out.is_empty(), "{file}: no message");
        for m in &out {
            let t = text(m);
            println!("{file}: {:?}", t.chars().take(60).collect::<String>());
            gtube += usize::from(t.contains("GTUBE-STANDARD-ANTI-UBE-TEST-SMS"));
            if file.starts_with("malformed") {
                assert!(
                    !m.problems.is_empty(),
                    "{file}: malformed seed decoded cleanly"
                );
            } else {
                assert!(m.problems.is_empty(), "{file}: {:?}", m.problems);
                assert!(!t.is_empty(), "{file}: empty text");
            }
            if file.starts_with("delivery_receipt") {
                assert!(m.is_notification);
            }
        }
    }
    assert!(gtube >= 3, "the test string is in {gtube} seed messages");
}
