//! The classifier's model-file loader on arbitrary bytes. Random bytes
//! almost never carry a valid checksum, so when the first byte is odd the
//! rest is loaded with its trailer rewritten to the right checksum: that
//! reaches the header, length and weight checks behind it. A file that
//! loads must write back to the same bytes and score a message.
#![no_main]

use floodwall::classifier::{file_checksum, Features, Model};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut bytes = rest.to_vec();
    if mode & 1 == 1 && bytes.len() >= 8 {
        let end = bytes.len() - 8;
        let sum = file_checksum(&bytes[..end]);
        bytes[end..].copy_from_slice(&sum.to_le_bytes());
    }
    if let Ok(model) = Model::from_bytes(&bytes) {
        assert_eq!(model.to_bytes(), bytes);
        let msg = floodwall::ingest::email::parse(
            b"Subject: x\r\n\r\nhello http://a.example/\r\n",
            &Default::default(),
        );
        let mut features = Features::default();
        let p = model.probability(&msg, &mut features);
        assert!((0.0..=1.0).contains(&p));
    }
});
