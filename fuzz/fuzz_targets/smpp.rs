//! Fuzzes the SMPP decoder: `smpp::decode_pdu`, the salvaging decoder, the
//! encoder round trip and the whole ingest path must never panic.
#![no_main]

use floodwall::ingest::sms::{smpp, SmsConfig, SmsIngest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pdu) = smpp::decode_pdu(data) {
        // What decodes and re-encodes must decode to the same PDU.
        if let Ok(bytes) = floodwall::encode::smpp::encode(&pdu) {
            let again = smpp::decode_pdu(&bytes).expect("re-encoded PDU decodes");
            assert_eq!(again.command_id, pdu.command_id);
            assert_eq!(again.tlvs, pdu.tlvs);
        }
    }
    let _ = smpp::decode_salvage(data);
    let mut ingest = SmsIngest::new(SmsConfig::default());
    let mut out = Vec::new();
    ingest.push_smpp(data, 0, &mut out);
    let mut rest = Vec::new();
    ingest.flush(&mut rest);
    assert!(out.len() + rest.len() <= 1);
});
