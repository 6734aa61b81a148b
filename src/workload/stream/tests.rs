//! The stream's promised shape, on small seeded streams from an in-memory
//! supply (the corpora are not needed to check the generator itself).

use std::collections::{HashMap, HashSet};

use super::*;
use crate::ingest::{self, mbox, record};

fn supply(ham: usize) -> Supply {
    Supply {
        ham: (0..ham)
            .map(|i| Text {
                subject: Some(format!("thread {i}")),
                body: format!("message number {i} about the meeting on tuesday"),
            })
            .collect(),
        native_ham: ham,
        spam: [
            "WINNER! John, claim your free prize of 5000 now at http://prize.example/win",
            "Your parcel is on hold: pay the unpaid fee of 1.99 at www.parcel.example/pay today",
            "URGENT your bank account is suspended, verify your details at bank.example/login",
            "Hot deal: cheap loans, guaranteed, call 0800123456 now",
        ]
        .iter()
        .map(|t| Text {
            subject: Some("Important notice 42".into()),
            body: t.to_string(),
        })
        .collect(),
    }
}

fn config(channel: Channel, seed: u64) -> StreamConfig {
    let mut config = StreamConfig::new(channel);
    config.messages = Some(5_000);
    config.campaigns = 3;
    config.copies = (100, 400);
    config.senders = (5, 30);
    config.seed = seed;
    config
}

struct Written {
    out: Vec<u8>,
    truth: Vec<Vec<String>>,
    summary: Summary,
    campaigns: Vec<Campaign>,
}

fn write(config: StreamConfig, ham: usize) -> Written {
    let stream = Stream::new(config, supply(ham)).expect("the stream plans");
    let (mut out, mut truth) = (Vec::new(), Vec::new());
    let summary = stream.write(&mut out, &mut truth, |_| {}).expect("writes");
    let truth = String::from_utf8(truth)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    Written {
        out,
        truth,
        summary,
        campaigns: stream.campaigns().to_vec(),
    }
}

#[test]
fn sms_stream_has_the_promised_shape() {
    let w = write(config(Channel::Sms, 7), 6_000);
    let records = record::parse_lines(&w.out).expect("scan reads every line");
    assert_eq!(records.len(), 5_000);
    assert_eq!(w.truth.len(), 5_000);
    assert_eq!(w.summary.messages, 5_000);
    assert_eq!(w.summary.solicited, 50);
    assert_eq!(w.summary.ham_repeats, 0);
    assert_eq!(
        w.summary.ham + w.summary.solicited + w.summary.copies,
        5_000
    );

    let times: Vec<u64> = records.iter().map(|r| r.time.expect("timed")).collect();
    assert!(times.windows(2).all(|p| p[0] <= p[1]), "sorted by time");
    assert!(times[0] >= DEFAULT_DAY_START_MS);
    assert!(times[4_999] < DEFAULT_DAY_START_MS + DAY_MS);

    let mut per_campaign: HashMap<&str, (usize, HashSet<&str>)> = HashMap::new();
    let mut ham_texts = HashSet::new();
    for (n, (row, rec)) in w.truth.iter().zip(&records).enumerate() {
        assert_eq!(row[0], (n + 1).to_string());
        assert_eq!(Some(&row[4]), rec.from.as_ref());
        match &rec.to {
            record::Recipients::One(to) => assert_eq!(&row[5], to),
            _ => panic!("one recipient"),
        }
        match (row[1].as_str(), row[6].as_str()) {
            ("campaign", "random" | "sequential") => {
                let entry = per_campaign.entry(&row[2]).or_default();
                entry.0 += 1;
                assert_eq!(row[3], entry.0.to_string(), "copies numbered in order");
                entry.1.insert(&row[4]);
            }
            ("ham", "subscriber") => {
                assert!(ham_texts.insert(rec.text.clone()), "ham sent once");
                assert_eq!(row[2], "-");
            }
            ("ham", "solicited") => assert!(A2P_SENDERS.iter().any(|(s, _)| *s == row[4])),
            other => panic!("unexpected row {other:?}"),
        }
    }
    assert_eq!(per_campaign.len(), 3);
    for (i, campaign) in w.campaigns.iter().enumerate() {
        let (copies, senders) = &per_campaign[(i + 1).to_string().as_str()];
        assert_eq!(*copies, campaign.copies);
        assert!((100..=400).contains(copies));
        assert!((5..=30).contains(&campaign.senders));
        assert_eq!(senders.len(), campaign.senders);
    }
}

#[test]
fn campaign_copies_are_all_different() {
    let w = write(config(Channel::Sms, 8), 6_000);
    let records = record::parse_lines(&w.out).unwrap();
    let copies: Vec<&str> = w
        .truth
        .iter()
        .zip(&records)
        .filter(|(row, _)| row[1] == "campaign")
        .map(|(_, rec)| rec.text.as_str())
        .collect();
    let distinct: HashSet<&&str> = copies.iter().collect();
    assert_eq!(distinct.len(), copies.len());
}

#[test]
fn sequential_campaigns_walk_adjacent_numbers() {
    let (mut found, mut seed) = (false, 0);
    while !found && seed < 20 {
        seed += 1;
        let mut cfg = config(Channel::Sms, seed);
        cfg.campaigns = 4;
        let w = write(cfg, 6_000);
        let mut last: HashMap<&str, u64> = HashMap::new();
        for row in w.truth.iter().filter(|r| r[6] == "sequential") {
            found = true;
            let number: u64 = row[5][1..].parse().unwrap();
            if let Some(prev) = last.insert(&row[2], number) {
                assert_eq!(number, prev + 1, "{row:?}");
            }
        }
    }
    assert!(found, "one seed in twenty gives a sequential campaign");
}

#[test]
fn the_same_seed_gives_the_same_stream() {
    let a = write(config(Channel::Sms, 3), 6_000);
    let b = write(config(Channel::Sms, 3), 6_000);
    let c = write(config(Channel::Sms, 4), 6_000);
    assert_eq!(a.out, b.out);
    assert_eq!(a.truth, b.truth);
    assert_ne!(a.out, c.out);
    let e = write(config(Channel::Email, 3), 6_000);
    let f = write(config(Channel::Email, 3), 6_000);
    assert_eq!(e.out, f.out);
}

#[test]
fn ham_repeats_are_counted_when_the_supply_runs_out() {
    let w = write(config(Channel::Sms, 5), 1_000);
    assert_eq!(w.summary.ham_repeats, w.summary.ham - 1_000);
    let repeats = w.truth.iter().filter(|r| r[6] == "repeat").count();
    assert_eq!(repeats, w.summary.ham_repeats);
}

#[test]
fn mail_stream_is_an_mbox_with_envelope_and_time() {
    let w = write(config(Channel::Email, 9), 6_000);
    let messages: Vec<&[u8]> = mbox::split(&w.out).collect();
    assert_eq!(messages.len(), 5_000);
    let mut previous = 0;
    let mut lists = 0;
    for (row, line) in w.truth.iter().zip(
        w.out
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"From ")),
    ) {
        let from = mbox::FromLine::parse(line).expect("a From line");
        assert_eq!(from.sender.as_deref(), Some(row[4].as_str()));
        let time = from.received_ms.expect("dated");
        assert!(time >= previous);
        previous = time;
    }
    for (raw, row) in messages.iter().zip(&w.truth) {
        let msg = ingest::email::parse(raw, &ingest::IngestConfig::default());
        let header = |name: &str| {
            msg.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value.to_string())
        };
        for name in ["From", "To", "Date", "Message-ID", "Subject"] {
            assert!(header(name).is_some(), "{name} missing");
        }
        assert!(header("To").unwrap().contains(&row[5]));
        if row[6] == "solicited" {
            lists += 1;
            assert!(header("List-Id").is_some() && header("List-Unsubscribe").is_some());
        }
    }
    assert_eq!(lists, 50);
}

#[test]
fn floods_fill_what_they_promise() {
    let mut cfg = config(Channel::Sms, 2);
    cfg.flood = Some(Flood::Texts);
    cfg.messages = Some(3_000);
    let w = write(cfg.clone(), 0);
    let records = record::parse_lines(&w.out).unwrap();
    let texts: HashSet<&str> = records.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts.len(), 3_000);

    cfg.flood = Some(Flood::Recipients);
    let w = write(cfg, 0);
    let senders: HashSet<&str> = w.truth.iter().map(|r| r[4].as_str()).collect();
    let recipients: HashSet<&str> = w.truth.iter().map(|r| r[5].as_str()).collect();
    assert_eq!(senders.len(), 1);
    assert_eq!(recipients.len(), 3_000);
}

#[test]
fn too_many_copies_for_the_stream_is_an_error() {
    let mut cfg = config(Channel::Sms, 1);
    cfg.messages = Some(200);
    let err = Stream::new(cfg, supply(100)).err().expect("refused");
    assert!(matches!(err, StreamError::TooSmall { .. }), "{err}");
}
