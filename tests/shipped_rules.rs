//! Shipped rules rewritten for speed keep their meaning: each fires exactly
//! where the form it replaced matches.

use std::borrow::Cow;

use floodwall::ingest::Protocol;
use floodwall::{Address, Channel, Engine, Message};

/// `SENDER_ALNUM_TOO_LONG` was `^(?=[^@]*[A-Za-z])[A-Za-z0-9 ._&-]{12,}$`,
/// run through PCRE2; it is now a meta rule over two Hyperscan patterns.
#[test]
fn sender_alnum_too_long_fires_where_its_look_ahead_form_matches() {
    let engine = Engine::embedded().expect("the shipped rules compile");
    let look_ahead = pcre2::bytes::Regex::new(r"^(?=[^@]*[A-Za-z])[A-Za-z0-9 ._&-]{12,}$")
        .expect("the old form compiles");
    // Mostly the class's own characters, now and then one it excludes.
    let common: Vec<char> = "aZq09 ._&-".chars().collect();
    let rare: Vec<char> = "@+\né".chars().collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut scratch = engine.scratch();
    let (mut fired, mut checked) = (0, 0);
    for _ in 0..4_000 {
        let len = 6 + next(14) as usize;
        let digits_only = next(3) == 0;
        let sender: String = (0..len)
            .map(|_| match (digits_only, next(20)) {
                (true, _) => char::from(b'0' + next(10) as u8),
                (false, 0) => rare[next(rare.len() as u64) as usize],
                (false, _) => common[next(common.len() as u64) as usize],
            })
            .collect();
        let mut msg = Message::new(Channel::Sms, Cow::Borrowed(b"hello"), Protocol::None);
        msg.envelope.sender = Some(Address::new(&sender));
        // The value as the engine sees it (an address may be normalised).
        let value = msg
            .envelope
            .sender
            .as_ref()
            .expect("set above")
            .value
            .clone();
        let expected = look_ahead
            .is_match(value.as_bytes())
            .expect("PCRE2 matches");
        let verdict = engine.scan(&msg, &mut scratch);
        assert_eq!(
            verdict.has("SENDER_ALNUM_TOO_LONG"),
            expected,
            "sender {value:?}"
        );
        fired += usize::from(expected);
        checked += 1;
    }
    assert!(fired > 100 && checked > 3_000, "{fired} of {checked} fired");
}
