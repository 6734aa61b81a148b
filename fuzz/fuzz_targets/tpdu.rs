//! Fuzzes the TPDU decoder (with, without and guessing the SMSC prefix) and
//! the ingest path: no input may panic.
#![no_main]

use floodwall::ingest::sms::{tpdu, user_data, SmsConfig, SmsIngest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for with_smsc in [false, true] {
        if let Ok(t) = tpdu::decode(data, with_smsc) {
            let _ = user_data::split_tpdu(&t.user_data, t.udl, t.udhi, t.dcs.alphabet);
            let _ = floodwall::encode::tpdu::encode(&t);
        }
    }
    let _ = tpdu::decode_auto(data);
    let mut ingest = SmsIngest::new(SmsConfig::default());
    let mut out = Vec::new();
    ingest.push_tpdu(data, 0, &mut out);
    let mut rest = Vec::new();
    ingest.flush(&mut rest);
    assert_eq!(out.len() + rest.len(), 1, "every TPDU gives exactly one message");
});
