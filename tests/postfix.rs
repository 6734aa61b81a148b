//! The milter protocol against a real Postfix: the private instance starts
//! and delivers on its own, then with a test milter (the library's codec and
//! session over blocking sockets) each verdict takes its path through it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use floodwall::milter::reply::ReplyConfig;
use floodwall::milter::ScanRequest;
use floodwall::{Action, Verdict};
use support::milter_loop::MilterLoop;
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
    postfix
        .wait_for_log("status=sent", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The verdict named in the Subject (`verdict=reject` …), accept otherwise:
/// the test milter's judge, so that each mail picks the path it tests.
fn verdict_by_subject(request: &ScanRequest) -> Verdict {
    let text = String::from_utf8_lossy(&request.message);
    let subject = text
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap_or_default();
    let action = [
        ("verdict=tag", Action::Tag),
        ("verdict=quarantine", Action::Quarantine),
        ("verdict=tempfail", Action::Tempfail),
        ("verdict=reject", Action::Reject),
        ("verdict=discard", Action::Discard),
    ]
    .into_iter()
    .find(|(marker, _)| subject.contains(marker))
    .map_or(Action::Accept, |(_, action)| action);
    let score = if action == Action::Accept { 0.5 } else { 7.25 };
    Verdict {
        score,
        action,
        symbols: Vec::new(),
    }
}

/// Postfix with the test milter in front, milter errors failing mail.
fn postfix_behind_milter(replies: ReplyConfig) -> (Postfix, MilterLoop) {
    let milter = MilterLoop::start(replies, Arc::new(verdict_by_subject));
    let config = PostfixConfig {
        milter: Some(milter.postfix_spec()),
        milter_default_action: Some("reject".into()),
    };
    let postfix = Postfix::start(&config).unwrap_or_else(|e| panic!("{e}"));
    (postfix, milter)
}

fn mail(subject: &str, extra_headers: &str) -> String {
    format!(
        "From: alice@example.org\r\nTo: bob@{DOMAIN}\r\nSubject: {subject}\r\n{extra_headers}\r\nHello Bob,\r\nsee you at noon.\r\n"
    )
}

fn send(postfix: &Postfix, message: &str) -> String {
    let output = postfix
        .send("alice@example.org", &format!("bob@{DOMAIN}"), message)
        .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn ham_through_postfix_gets_our_headers_and_loses_forged_ones() {
    let (postfix, milter) = postfix_behind_milter(ReplyConfig::default());
    let transcript = send(
        &postfix,
        &mail("lunch", "X-Spam-Flag: YES\r\nX-Spam-Score: 99\r\n"),
    );
    assert!(
        transcript.contains("250 2.0.0 Ok: queued as"),
        "{transcript}\n{}",
        postfix.log()
    );
    let delivered = postfix
        .wait_for_delivery(1, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    let mail = &delivered[0];
    assert!(mail.contains("X-Spam-Flag: NO"), "{mail}");
    assert!(mail.contains("X-Spam-Score: 0.50"), "{mail}");
    assert!(
        mail.contains("X-Spam-Status: No, score=0.50 required=5.00 tests=none"),
        "{mail}"
    );
    assert!(
        !mail.contains("X-Spam-Flag: YES"),
        "forged header kept:\n{mail}"
    );
    assert!(
        !mail.contains("X-Spam-Score: 99"),
        "forged header kept:\n{mail}"
    );
    assert!(milter.errors().is_empty(), "{:?}", milter.errors());

    // What the session gathered from a real MTA.
    let seen = milter.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        request.envelope.sender.as_ref().map(|a| a.value.as_str()),
        Some("alice@example.org")
    );
    let recipients: Vec<&str> = request
        .envelope
        .recipients
        .iter()
        .map(|a| a.value.as_str())
        .collect();
    assert_eq!(recipients, [format!("bob@{DOMAIN}")]);
    assert_eq!(
        request.envelope.client_addr,
        Some("127.0.0.1".parse().unwrap())
    );
    assert_eq!(
        request.envelope.helo.as_deref(),
        Some("client.floodwall.test")
    );
    let queue_id = request
        .context
        .queue_id
        .as_deref()
        .expect("Postfix sends the queue id");
    assert!(
        transcript.contains(queue_id),
        "queue id {queue_id} not in:\n{transcript}"
    );
    assert_eq!(
        request.context.mta_name.as_deref(),
        Some("mx.floodwall.test")
    );
    let text = String::from_utf8_lossy(&request.message);
    assert!(text.contains("Subject: lunch\r\n"), "{text}");
    assert!(
        text.contains("\r\n\r\nHello Bob,\r\nsee you at noon.\r\n"),
        "{text}"
    );
}

#[test]
fn tag_through_postfix_marks_and_prefixes_the_subject() {
    let mut replies = ReplyConfig::default();
    replies.subject_prefix = Some("[SPAM]".into());
    let (postfix, milter) = postfix_behind_milter(replies);
    send(&postfix, &mail("verdict=tag offer", ""));
    let delivered = postfix
        .wait_for_delivery(1, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    let mail = &delivered[0];
    assert!(mail.contains("X-Spam-Flag: YES"), "{mail}");
    assert!(
        mail.contains("X-Spam-Status: Yes, score=7.25 required=5.00"),
        "{mail}"
    );
    assert!(mail.contains("Subject: [SPAM] verdict=tag offer"), "{mail}");
    assert!(milter.errors().is_empty(), "{:?}", milter.errors());
}

#[test]
fn reject_tempfail_and_discard_through_postfix() {
    let (postfix, milter) = postfix_behind_milter(ReplyConfig::default());
    let transcript = send(&postfix, &mail("verdict=reject", ""));
    assert!(
        transcript.contains("550 5.7.1 Message rejected as spam"),
        "{transcript}"
    );
    let transcript = send(&postfix, &mail("verdict=tempfail", ""));
    assert!(
        transcript.contains("451 4.7.1 Message deferred, try again later"),
        "{transcript}"
    );
    assert!(milter.errors().is_empty(), "{:?}", milter.errors());
    // Discard: accepted over SMTP, then dropped by Postfix.
    let transcript = send(&postfix, &mail("verdict=discard", ""));
    assert!(
        transcript.contains("250 2.0.0 Ok: queued as"),
        "{transcript}"
    );
    postfix
        .wait_for_log("milter-discard", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        postfix
            .wait_for_delivery(1, Duration::from_secs(2))
            .is_err(),
        "nothing delivered"
    );
    assert_eq!(milter.seen().len(), 3);
}

#[test]
fn quarantine_through_postfix_lands_in_the_hold_queue() {
    let (postfix, milter) = postfix_behind_milter(ReplyConfig::default());
    let transcript = send(&postfix, &mail("verdict=quarantine", ""));
    assert!(
        transcript.contains("250 2.0.0 Ok: queued as"),
        "{transcript}"
    );
    let start = std::time::Instant::now();
    while postfix.held().is_empty() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        postfix.held().len(),
        1,
        "hold queue; log:\n{}",
        postfix.log()
    );
    // Postfix 3.7 logs the hold without the reason (Sendmail keeps it).
    postfix
        .wait_for_log("milter triggers HOLD action", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let queued = std::fs::read(&postfix.held()[0]).expect("the held queue file");
    let needle = b"X-Spam-Flag: YES";
    assert!(
        queued.windows(needle.len()).any(|w| w == needle),
        "the held message carries our headers"
    );
    assert!(milter.errors().is_empty(), "{:?}", milter.errors());
}
