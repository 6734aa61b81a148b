//! Decoder benchmarks per wire format: SMPP submit_sm, 3GPP TS 23.040 TPDU,
//! OMA MMS m-retrieve-conf, each alone and as a whole ingest into a Message.
//! Inputs are the project's own seeds.

use std::hint::black_box;
use std::path::Path;

mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use floodwall::ingest::{self, mms, sms, Format, IngestConfig};

fn seed(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn first_payload(format: Format, bytes: &[u8]) -> Vec<u8> {
    match ingest::split(format, bytes).expect("seed splits").remove(0) {
        ingest::Payload::Smpp(pdu) | ingest::Payload::Tpdu(pdu) => pdu.into_owned(),
        other => panic!("unexpected payload {other:?}"),
    }
}

fn smpp(c: &mut Criterion) {
    let gsm = first_payload(Format::Smpp, &seed("sms/ham_gsm_friends.smpp"));
    let ucs2 = first_payload(Format::Smpp, &seed("sms/ham_ucs2_emoji.smpp"));
    let mut group = c.benchmark_group("smpp_decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("submit_sm_gsm7_pdu", |b| {
        b.iter(|| sms::smpp::decode_pdu(black_box(&gsm)))
    });
    group.bench_function("submit_sm_ucs2_pdu", |b| {
        b.iter(|| sms::smpp::decode_pdu(black_box(&ucs2)))
    });
    let mut ingest = sms::SmsIngest::new(IngestConfig::default().sms);
    let mut out = Vec::with_capacity(4);
    group.bench_function("submit_sm_gsm7_to_message", |b| {
        b.iter(|| {
            out.clear();
            ingest.push_smpp(black_box(&gsm), 0, &mut out);
        })
    });
    group.finish();
}

fn tpdu(c: &mut Criterion) {
    let deliver = first_payload(Format::Tpdu, &seed("sms/deliver.tpdu"));
    let mut group = c.benchmark_group("tpdu_decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sms_deliver_gsm7", |b| {
        b.iter(|| sms::tpdu::decode_auto(black_box(&deliver)))
    });
    let mut ingest = sms::SmsIngest::new(IngestConfig::default().sms);
    let mut out = Vec::with_capacity(4);
    group.bench_function("sms_deliver_to_message", |b| {
        b.iter(|| {
            out.clear();
            ingest.push_tpdu(black_box(&deliver), 0, &mut out);
        })
    });
    group.finish();
}

fn mms_decode(c: &mut Criterion) {
    let retrieve = seed("mms/ham-retrieve-conf-photo.mms");
    let mut group = c.benchmark_group("mms_decode");
    group.throughput(Throughput::Bytes(retrieve.len() as u64));
    group.bench_function("m_retrieve_conf", |b| {
        b.iter(|| mms::decode(black_box(&retrieve)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::config();
    targets = smpp, tpdu, mms_decode
}
criterion_main!(benches);
