//! The milter protocol against real MTA software: a private Postfix starts
//! and delivers on its own, then with a test milter (the library's codec and
//! session over blocking sockets) each verdict takes its path through it;
//! OpenDKIM's miltertest drives the protocol's corner cases.

mod support;

use std::sync::Arc;
use std::time::Duration;

use floodwall::milter::reply::ReplyConfig;
use support::milter_loop::{verdict_by_subject, MilterLoop};
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

/// Postfix with the test milter in front, milter errors failing mail.
fn postfix_behind_milter(replies: ReplyConfig) -> (Postfix, MilterLoop) {
    postfix_speaking(None, replies)
}

/// As [`postfix_behind_milter`], with Postfix's `milter_protocol` set.
fn postfix_speaking(version: Option<u32>, replies: ReplyConfig) -> (Postfix, MilterLoop) {
    let milter = MilterLoop::start(replies, Arc::new(verdict_by_subject));
    let config = PostfixConfig {
        milter: Some(milter.postfix_spec()),
        milter_default_action: Some("reject".into()),
        milter_protocol: version,
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
fn postfix_speaking_protocol_2_gets_every_reply_and_the_same_result() {
    // Version 2 has no no-reply bits, no macro lists and no DATA step:
    // every step the session sees must be answered, or Postfix waits out its
    // command timeout (30 s, past the delivery wait) and the mail fails.
    let (postfix, milter) = postfix_speaking(Some(2), ReplyConfig::default());
    let transcript = send(&postfix, &mail("verdict=reject", ""));
    assert!(
        transcript.contains("550 5.7.1 Message rejected as spam"),
        "{transcript}"
    );
    send(&postfix, &mail("lunch", "X-Spam-Flag: YES\r\n"));
    let delivered = postfix
        .wait_for_delivery(1, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(delivered[0].contains("X-Spam-Flag: NO"), "{}", delivered[0]);
    assert!(
        !delivered[0].contains("X-Spam-Flag: YES"),
        "{}",
        delivered[0]
    );
    assert!(milter.errors().is_empty(), "{:?}", milter.errors());
    assert_eq!(milter.seen().len(), 2);
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

/// Lua that fails the script with `what` unless `call` returned nil (success).
fn step(call: &str, what: &str) -> String {
    format!(
        "do local err = {call}; if err ~= nil then error(\"{what}: \" .. tostring(err)) end end\n"
    )
}

fn check(condition: &str, what: &str) -> String {
    format!("if not ({condition}) then error(\"{what}\") end\n")
}

#[test]
fn miltertest_abort_then_three_verdicts_on_one_connection() {
    let milter = MilterLoop::start(ReplyConfig::default(), Arc::new(verdict_by_subject));
    let port = milter
        .postfix_spec()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let mut lua = format!(
        "mt.set_timeout(10)\n\
         local conn = mt.connect(\"inet:{port}@127.0.0.1\", 5, 0.2)\n\
         if conn == nil then error(\"cannot connect to the test milter\") end\n"
    );
    lua += &step(
        "mt.conninfo(conn, \"client.example\", \"192.0.2.7\")",
        "conninfo",
    );
    lua += &step("mt.helo(conn, \"client.example\")", "helo");
    // A message abandoned half-way: nothing of it may leak into the next.
    lua += &step("mt.mailfrom(conn, \"<a@example.org>\")", "mail 1");
    lua += &step("mt.rcptto(conn, \"<b@example.net>\")", "rcpt 1");
    lua += &step(
        "mt.header(conn, \"Subject\", \"verdict=reject\")",
        "header 1",
    );
    lua += &step("mt.abort(conn)", "abort");
    // Ham with a forged X-Spam-Flag.
    lua += &step(
        "mt.mailfrom(conn, \"<a@example.org>\", \"SIZE=10\")",
        "mail 2",
    );
    lua += &step("mt.rcptto(conn, \"<c@example.net>\")", "rcpt 2");
    lua += &step("mt.header(conn, \"X-Spam-Flag\", \"YES\")", "header 2");
    // No EOH: we asked the MTA to skip it (miltertest then refuses to send it).
    lua += &step("mt.bodystring(conn, \"hello\\r\\n\")", "body 2");
    lua += &step("mt.eom(conn)", "eom 2");
    lua += &check("mt.getreply(conn) == SMFIR_CONTINUE", "ham: not CONTINUE");
    lua += &check(
        "mt.eom_check(conn, MT_HDRADD, \"X-Spam-Flag\", \"NO\")",
        "ham: no X-Spam-Flag: NO",
    );
    lua += &check(
        "mt.eom_check(conn, MT_HDRDELETE, \"X-Spam-Flag\")",
        "ham: forged header kept",
    );
    // Reject with our SMTP reply.
    lua += &step("mt.mailfrom(conn, \"<a@example.org>\")", "mail 3");
    lua += &step("mt.rcptto(conn, \"<d@example.net>\")", "rcpt 3");
    lua += &step(
        "mt.header(conn, \"Subject\", \"verdict=reject\")",
        "header 3",
    );
    lua += &step("mt.eom(conn)", "eom 3");
    lua += &check(
        "mt.getreply(conn) == SMFIR_REPLYCODE",
        "reject: not REPLYCODE",
    );
    lua += &check(
        "mt.eom_check(conn, MT_SMTPREPLY, \"550\", \"5.7.1\", \"Message rejected as spam\")",
        "reject: not our reply",
    );
    // Quarantine with the reason.
    lua += &step("mt.mailfrom(conn, \"<a@example.org>\")", "mail 4");
    lua += &step("mt.rcptto(conn, \"<e@example.net>\")", "rcpt 4");
    lua += &step(
        "mt.header(conn, \"Subject\", \"verdict=quarantine\")",
        "header 4",
    );
    lua += &step("mt.bodystring(conn, \"x\\r\\n\")", "body 4");
    lua += &step("mt.eom(conn)", "eom 4");
    lua += &check(
        "mt.eom_check(conn, MT_QUARANTINE, \"floodwall score=7.25 tests=none\")",
        "quarantine: no reason",
    );
    lua += &check(
        "mt.eom_check(conn, MT_HDRADD, \"X-Spam-Flag\", \"YES\")",
        "quarantine: no X-Spam-Flag: YES",
    );
    lua += &step("mt.disconnect(conn)", "disconnect");

    let output = support::miltertest::run(&lua).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        milter.errors().is_empty(),
        "{:?}\n{output}",
        milter.errors()
    );
    let seen = milter.seen();
    assert_eq!(seen.len(), 3, "the aborted message is never scanned");
    assert_eq!(
        seen[0].envelope.recipients.len(),
        1,
        "abort dropped the first recipient"
    );
    assert_eq!(
        seen[0].envelope.client_addr,
        Some("192.0.2.7".parse().unwrap())
    );
    assert_eq!(seen[0].envelope.helo.as_deref(), Some("client.example"));
    assert_eq!(seen[0].message, b"X-Spam-Flag: YES\r\n\r\nhello\r\n");
}

#[test]
fn miltertest_abrupt_disconnect_mid_message_is_clean() {
    let milter = MilterLoop::start(ReplyConfig::default(), Arc::new(verdict_by_subject));
    let port = milter
        .postfix_spec()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let mut lua = format!(
        "local conn = mt.connect(\"inet:{port}@127.0.0.1\", 5, 0.2)\n\
         if conn == nil then error(\"cannot connect to the test milter\") end\n"
    );
    lua += &step(
        "mt.conninfo(conn, \"client.example\", \"192.0.2.7\")",
        "conninfo",
    );
    lua += &step("mt.mailfrom(conn, \"<a@example.org>\")", "mail");
    lua += &step("mt.header(conn, \"Subject\", \"cut short\")", "header");
    lua += &step("mt.disconnect(conn, false)", "disconnect");
    support::miltertest::run(&lua).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(200));
    assert!(milter.errors().is_empty(), "{:?}", milter.errors());
    assert!(milter.seen().is_empty());
}
