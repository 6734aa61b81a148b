//! The private Postfix instance the milter's integration tests run behind:
//! it starts, takes a mail over SMTP and delivers it, with no milter yet.

mod support;

use std::time::Duration;

use support::postfix::{Postfix, PostfixConfig, DOMAIN};

#[test]
fn postfix_delivers_a_mail_sent_with_swaks() {
    let postfix = Postfix::start(&PostfixConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let message = "From: alice@example.org\r\n\
                   To: bob@example.test\r\n\
                   Subject: harness check\r\n\
                   \r\n\
                   See you at noon.\r\n";
    let output = postfix
        .send("alice@example.org", &format!("bob@{DOMAIN}"), message)
        .unwrap_or_else(|e| panic!("{e}"));
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "swaks failed:\n{transcript}\nlog:\n{}",
        postfix.log()
    );
    assert!(
        transcript.contains("250 2.0.0 Ok: queued as"),
        "{transcript}"
    );

    let delivered = postfix
        .wait_for_delivery(1, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(delivered.len(), 1);
    assert!(
        delivered[0].contains("Subject: harness check"),
        "{}",
        delivered[0]
    );
    assert!(delivered[0].contains("See you at noon."));
    assert!(!delivered[0].contains("X-Spam-"), "no milter, no headers");
    assert!(postfix.log().contains("status=sent"), "{}", postfix.log());
}
