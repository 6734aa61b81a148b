//! Conformance: every public MMS test PDU under `shared/corpora/vectors/mms`
//! must decode, and the WAP Push PDUs inside python-messaging's TPDU vectors
//! must give back their MMS content location. The vectors are others' work
//! and are read in place, never copied into the project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use floodwall::ingest::mms::{self, MmsDetails, MmsError};
use floodwall::ingest::Protocol;

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/vectors")
}

fn details<'m>(msg: &'m floodwall::Message<'_>) -> &'m MmsDetails {
    match &msg.protocol {
        Protocol::Mms(d) => d,
        other => panic!("expected MMS details, got {other:?}"),
    }
}

#[test]
fn all_mms_vectors_decode() {
    let root = corpora().join("mms");
    assert!(
        root.is_dir(),
        "MMS conformance vectors missing: expected the folder {} (shared/corpora beside the work tree)",
        root.display()
    );
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("read the vectors folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    for dir in &dirs {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("read a vector folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut ok = 0;
        for file in &files {
            total += 1;
            let bytes = std::fs::read(file).expect("read a vector");
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let msg = match mms::decode(&bytes) {
                Ok(m) => m,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let d = details(&msg);
            assert!(!d.message_type.is_empty(), "{name}: no message type");
            *per_type.entry(d.message_type.clone()).or_default() += 1;
            if d.headers.iter().any(|(n, _)| n == "From") && d.fields.from.is_some() {
                assert!(
                    msg.envelope.sender.is_some(),
                    "{name}: From not in the envelope"
                );
            }
            if d.headers.iter().any(|(n, _)| n == "Subject") {
                assert!(msg.subject.is_some(), "{name}: Subject not extracted");
            }
            if d.fields
                .content_type
                .as_ref()
                .is_some_and(|c| c.is_multipart())
                && bytes.len() > msg.body_offset + 1
            {
                assert!(!d.parts.is_empty(), "{name}: multipart body without parts");
            }
            if d.message_type == "m-notification-ind" {
                let loc = d.fields.content_location.as_deref().unwrap_or_default();
                assert!(
                    msg.urls.iter().any(|u| u == loc),
                    "{name}: content location not in urls"
                );
            }
            println!(
                "{name}: {} from={:?} subject={:?} parts={} text={} attachments={} urls={} problems={:?}",
                d.message_type,
                d.fields.from,
                msg.subject,
                d.parts.len(),
                msg.text_parts.len(),
                msg.attachments.len(),
                msg.urls.len(),
                msg.problems.iter().map(|p| format!("{:?}@{:?}: {}", p.kind, p.offset, p.detail)).collect::<Vec<_>>()
            );
            ok += 1;
        }
        println!(
            "== {}: {ok}/{} decoded",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            files.len()
        );
    }
    for (t, n) in &per_type {
        println!("== type {t}: {n}");
    }
    assert!(
        failures.is_empty(),
        "failed to decode:\n{}",
        failures.join("\n")
    );
    assert_eq!(total, 100, "expected the 100 MMS vectors");
}

#[test]
fn oma_conformance_212_text_and_subject() {
    let path = corpora().join("mms/mmsd-intel/unit__rc-mms-1-3-con-212.mms");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("MMS conformance vector missing at {}: {e}", path.display()));
    let msg = mms::decode(&bytes).expect("decodes");
    assert_eq!(msg.subject.as_deref(), Some("MMS-1.3-con-212"));
    assert_eq!(msg.text_parts.len(), 1);
    assert!(msg.text_parts[0].text.starts_with("The quick brown fox"));
    assert!(msg.problems.is_empty(), "{:?}", msg.problems);
}

/// Minimal SMS-DELIVER reader (3GPP TS 23.040 §9.2.2.1) for the test: the
/// user data and its concatenation reference, sequence and total.
fn deliver_user_data(tpdu: &[u8]) -> Option<(u16, u8, u8, Vec<u8>)> {
    let smsc = usize::from(*tpdu.first()?);
    let t = tpdu.get(1 + smsc..)?;
    let first = *t.first()?;
    if first & 0x03 != 0 || first & 0x40 == 0 {
        return None;
    }
    let oa_digits = usize::from(*t.get(1)?);
    let mut i = 3 + oa_digits.div_ceil(2);
    let dcs = *t.get(i + 1)?;
    if dcs & 0x0C != 0x04 {
        return None; // only 8-bit data carries WAP push
    }
    i += 2 + 7;
    let udl = usize::from(*t.get(i)?);
    let ud = t.get(i + 1..i + 1 + udl)?;
    let udhl = usize::from(*ud.first()?);
    let udh = ud.get(1..1 + udhl)?;
    let (mut reference, mut seq, mut total) = (0u16, 1u8, 1u8);
    let mut j = 0;
    while j + 1 < udh.len() {
        let (iei, len) = (udh[j], usize::from(udh[j + 1]));
        let ie = udh.get(j + 2..j + 2 + len)?;
        match (iei, ie) {
            (0x00, [r, n, s]) => (reference, total, seq) = (u16::from(*r), *n, *s),
            (0x08, [r1, r2, n, s]) => {
                (reference, total, seq) = (u16::from_be_bytes([*r1, *r2]), *n, *s)
            }
            _ => {}
        }
        j += 2 + len;
    }
    Some((reference, seq, total, ud.get(1 + udhl..)?.to_vec()))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

#[test]
fn wap_push_vectors_in_python_messaging_tpdus() {
    let path = corpora().join("tpdu/python-messaging.tsv");
    let tsv = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("TPDU vectors missing at {}: {e}", path.display()));
    let mut segments: BTreeMap<u16, Vec<(u8, u8, Vec<u8>)>> = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let cols: Vec<_> = line.split('\t').collect();
        let (Some(file), Some(hex)) = (cols.first(), cols.last()) else {
            continue;
        };
        if *file != "test_wap.py" {
            continue;
        }
        let Some(tpdu) = unhex(hex.trim()) else {
            continue;
        };
        if let Some((reference, seq, total, ud)) = deliver_user_data(&tpdu) {
            segments
                .entry(reference)
                .or_default()
                .push((seq, total, ud));
        }
    }
    let (mut mms_pushes, mut other_pushes) = (0, 0);
    for (reference, mut segs) in segments {
        segs.sort_by_key(|s| s.0);
        if segs.len() != usize::from(segs[0].1) {
            continue;
        }
        let push: Vec<u8> = segs.into_iter().flat_map(|s| s.2).collect();
        match mms::decode_wap_push(&push) {
            Ok(msg) => {
                let d = details(&msg);
                let loc = d
                    .fields
                    .content_location
                    .clone()
                    .expect("notification has a content location");
                assert!(loc.starts_with("http://"), "ref {reference}: {loc}");
                assert!(msg.urls.contains(&loc));
                assert_eq!(d.message_type, "m-notification-ind");
                assert!(msg.envelope.sender.is_some());
                println!(
                    "push ref {reference}: {} from {:?} location {loc}",
                    d.message_type, d.fields.from
                );
                mms_pushes += 1;
            }
            Err(MmsError::NotMmsPush { content_type, .. }) => {
                println!("push ref {reference}: not MMS ({content_type})");
                other_pushes += 1;
            }
            Err(e) => panic!("push ref {reference}: {e}"),
        }
    }
    println!("== WAP push: {mms_pushes} MMS notifications, {other_pushes} other pushes");
    assert_eq!(
        mms_pushes, 2,
        "python-messaging's two m-notification-ind pushes"
    );
    assert_eq!(other_pushes, 1, "python-messaging's SI push");
}

/// The project's own seeds (`cargo run --example gen_mms_seeds`) decode as
/// the generator intends.
#[test]
fn project_seeds_decode() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/mms");
    let read = |name: &str| {
        std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("seed {name} missing: {e}"))
    };
    let gtube = read("gtube-mms.mms");
    let msg = mms::decode(&gtube).expect("gtube seed");
    assert!(msg.text_parts[0]
        .text
        .contains("XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-MMS*C.34X"));

    let bad = read("malformed-truncated.mms");
    let msg = mms::decode(&bad).expect("headers of the malformed seed decode");
    assert!(msg
        .problems
        .iter()
        .any(|p| p.kind == floodwall::message::ProblemKind::Truncated && p.offset.is_some()));

    let spam = read("spam-send-req-prize.mms");
    let msg = mms::decode(&spam).expect("spam seed");
    assert!(msg
        .urls
        .iter()
        .any(|u| u.contains("claim-prize.example.com")));
    assert_eq!(msg.attachments.len(), 2);

    // The WAP push seed travels as two SMS-DELIVER segments to port 2948.
    let tpdus =
        std::fs::read(dir.join("../sms/wap_push_mms.tpdu")).expect("seeds/sms/wap_push_mms.tpdu");
    let mut decoder = floodwall::ingest::Decoder::new(floodwall::ingest::IngestConfig::default());
    let mut out = Vec::new();
    for payload in
        floodwall::ingest::split(floodwall::ingest::Format::Tpdu, &tpdus).expect("hex lines")
    {
        decoder.decode(payload, 0, &mut out);
    }
    assert_eq!(out.len(), 1, "two segments, one notification");
    assert_eq!(
        out[0].urls.first().map(String::as_str),
        Some("http://free-giftcard.example.org/mms/get?id=b71e")
    );

    for name in [
        "ham-retrieve-conf-photo.mms",
        "ham-utf16-text.mms",
        "ham-nested-multipart.mms",
        "spam-notification-ind.mms",
    ] {
        let bytes = read(name);
        let msg = mms::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(msg.problems.is_empty(), "{name}: {:?}", msg.problems);
    }
}

/// Deterministic mutations of every vector (byte changes, truncations,
/// high-bit flips, copies) must never panic, bare or inside a push.
#[test]
fn mutated_vectors_never_panic() {
    let root = corpora().join("mms");
    assert!(root.is_dir(), "MMS vectors missing at {}", root.display());
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("vectors folder").flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            files.push(std::fs::read(file.path()).expect("read a vector"));
        }
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for original in &files {
        for _ in 0..200 {
            let mut b = original.clone();
            for _ in 0..1 + rnd() % 4 {
                let i = (rnd() as usize) % b.len();
                match rnd() % 4 {
                    0 => b[i] = rnd() as u8,
                    1 => b.truncate(i.max(1)),
                    2 => b[i] ^= 0x80,
                    _ => b[i] = b[(rnd() as usize) % b.len()],
                }
            }
            let _ = mms::decode(&b);
            let mut push = vec![0x01, 0x06, 0x03, 0xBE, 0xAF, 0x84];
            push.extend_from_slice(&b);
            let _ = mms::decode_wap_push(&push);
        }
    }
}
