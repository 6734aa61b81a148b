//! `floodwall milter`, the real server, behind a real Postfix: each verdict
//! takes its path through the MTA (reject with our reply, delivery with our
//! headers, the hold queue), a broken rule reload leaves the old rules
//! serving, and SIGTERM stops the service cleanly.

#[path = "support/milter_service.rs"]
mod milter_service;
#[path = "support/postfix.rs"]
mod postfix;

use std::path::{Path, PathBuf};
use std::time::Duration;

use milter_service::MilterService;
use postfix::{Postfix, PostfixConfig, DOMAIN};

/// A rules directory of the test's own: a word per action, at thresholds
/// tag 5, quarantine 10, tempfail 13, reject 15.
fn rules_dir(name: &str, rejected_word: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "floodwall-milter-rules-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("rules dir");
    write_rules(&dir, rejected_word);
    dir
}

fn write_rules(dir: &Path, rejected_word: &str) {
    let rule = |id: &str, score: f64, word: &str| {
        format!(
            "[[rule]]\nid = \"{id}\"\ndescription = \"{id}\"\nscore = {score}\ntarget = \"body\"\nkind = \"literal\"\npattern = '{word}'\n\n"
        )
    };
    let text = [
        rule("TEST_REJECT", 20.0, rejected_word),
        rule("TEST_HOLD", 12.0, "hold-this-one"),
        rule("TEST_TAG", 6.0, "tag-this-one"),
        rule("TEST_RETRY", 14.0, "retry-this-one"),
    ]
    .concat();
    std::fs::write(dir.join("test.toml"), text).expect("write rules");
    let policy = "[actions]\ntag = 5.0\nquarantine = 10.0\ntempfail = 13.0\nreject = 15.0\n";
    std::fs::write(dir.join("policy.toml"), policy).expect("write policy");
}

fn start(rules: &Path) -> (MilterService, Postfix) {
    let service = MilterService::start(rules).unwrap_or_else(|e| panic!("{e}"));
    let config = PostfixConfig {
        milter: Some(service.postfix_spec()),
        milter_default_action: Some("tempfail".into()),
        milter_protocol: None,
    };
    let postfix = Postfix::start(&config).unwrap_or_else(|e| panic!("{e}"));
    (service, postfix)
}

fn send(postfix: &Postfix, subject: &str, body: &str) -> String {
    let message = format!(
        "From: alice@example.org\r\nTo: bob@{DOMAIN}\r\nSubject: {subject}\r\n\r\n{body}\r\n"
    );
    let output = postfix
        .send("alice@example.org", &format!("bob@{DOMAIN}"), &message)
        .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn verdicts_take_their_path_through_postfix() {
    let rules = rules_dir("paths", "reject-this-one");
    let (mut service, postfix) = start(&rules);

    let rejected = send(&postfix, "offer", "reject-this-one now");
    assert!(
        rejected.contains("550 5.7.1 Message rejected as spam"),
        "{rejected}\nmilter log:\n{}",
        service.log()
    );

    let retry = send(&postfix, "later", "retry-this-one now");
    assert!(
        retry.contains("451 4.7.1 Message deferred, try again later"),
        "{retry}"
    );

    let ham = send(&postfix, "lunch", "see you at noon");
    assert!(ham.contains("250 2.0.0 Ok: queued as"), "{ham}");
    let tagged = send(&postfix, "deal", "tag-this-one today");
    assert!(tagged.contains("250 2.0.0 Ok: queued as"), "{tagged}");
    let delivered = postfix
        .wait_for_delivery(2, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    let ham_mail = delivered
        .iter()
        .find(|m| m.contains("Subject: lunch"))
        .expect("ham delivered");
    assert!(ham_mail.contains("X-Spam-Flag: NO"), "{ham_mail}");
    assert!(
        ham_mail.contains("X-Spam-Status: No, score=0.00 required=5.00 tests=none"),
        "{ham_mail}"
    );
    let tag_mail = delivered
        .iter()
        .find(|m| m.contains("Subject: deal"))
        .expect("tagged mail delivered");
    assert!(tag_mail.contains("X-Spam-Flag: YES"), "{tag_mail}");
    assert!(
        tag_mail.contains("X-Spam-Status: Yes, score=6.00 required=5.00 tests=TEST_TAG"),
        "{tag_mail}"
    );

    let held = send(&postfix, "parcel", "hold-this-one please");
    assert!(held.contains("250 2.0.0 Ok: queued as"), "{held}");
    postfix
        .wait_for_log("milter-hold", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(postfix.held().len(), 1, "{}", postfix.log());

    let page = service.metrics().unwrap_or_else(|e| panic!("{e}"));
    for line in [
        "floodwall_messages_total 5\n",
        "floodwall_actions_total{action=\"tempfail\"} 1\n",
        "floodwall_actions_total{action=\"reject\"} 1\n",
        "floodwall_actions_total{action=\"quarantine\"} 1\n",
        "floodwall_actions_total{action=\"tag\"} 1\n",
        "floodwall_actions_total{action=\"accept\"} 1\n",
        "floodwall_symbols_total{symbol=\"TEST_HOLD\"} 1\n",
        "floodwall_scan_seconds_count 5\n",
    ] {
        assert!(page.contains(line), "no {line:?} in\n{page}");
    }

    let status = service.stop().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "{status}\n{}", service.log());
    let log = service.log();
    assert!(log.contains("stopped"), "{log}");
    assert!(
        !log.contains("alice@example.org"),
        "an address in the log:\n{log}"
    );
    assert!(
        !log.contains("see you at noon"),
        "a body in the log:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&rules);
}

#[test]
fn a_broken_reload_keeps_the_old_rules_and_a_good_one_swaps_them() {
    let rules = rules_dir("reload", "first-word");
    let (service, postfix) = start(&rules);
    let first = send(&postfix, "one", "first-word");
    assert!(first.contains("550 5.7.1"), "{first}\n{}", service.log());

    std::fs::write(rules.join("broken.toml"), "[[rule]]\nid = \n").expect("write");
    service.signal(libc::SIGHUP);
    service
        .wait_for_log(
            "reload failed; the old rules keep serving",
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let still = send(&postfix, "two", "first-word");
    assert!(
        still.contains("550 5.7.1"),
        "old rules gone:\n{still}\n{}",
        service.log()
    );

    std::fs::remove_file(rules.join("broken.toml")).expect("remove");
    write_rules(&rules, "second-word");
    service.signal(libc::SIGHUP);
    service
        .wait_for_log("rules reloaded", Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"));
    let swapped = send(&postfix, "three", "second-word");
    assert!(
        swapped.contains("550 5.7.1"),
        "new rules not serving:\n{swapped}"
    );
    let old_word = send(&postfix, "four", "first-word");
    assert!(old_word.contains("250 2.0.0 Ok: queued as"), "{old_word}");

    let page = service.metrics().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page.contains("floodwall_reloads_total{result=\"failed\"} 1\n"),
        "{page}"
    );
    assert!(
        page.contains("floodwall_reloads_total{result=\"ok\"} 1\n"),
        "{page}"
    );
    let _ = std::fs::remove_dir_all(&rules);
}

#[test]
fn an_unreachable_state_store_is_one_log_line_and_mail_still_flows() {
    let rules = rules_dir("state", "reject-this-one");
    // A loopback port with nothing listening: Redis refuses every batch.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let config = format!("state = \"redis://127.0.0.1:{port}/0\"\n");
    let service = MilterService::start_with(&rules, &config, &[]).unwrap_or_else(|e| panic!("{e}"));
    let postfix = Postfix::start(&PostfixConfig {
        milter: Some(service.postfix_spec()),
        milter_default_action: Some("tempfail".into()),
        milter_protocol: None,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let rejected = send(&postfix, "one", "reject-this-one");
    assert!(
        rejected.contains("550 5.7.1"),
        "{rejected}\n{}",
        service.log()
    );
    for n in 0..3 {
        let accepted = send(&postfix, &format!("ham {n}"), "see you at lunch");
        assert!(
            accepted.contains("250 2.0.0 Ok: queued as"),
            "{accepted}\n{}",
            service.log()
        );
    }
    service
        .wait_for_log("state store unavailable", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(1500));
    let log = service.log();
    assert_eq!(
        log.matches("state store unavailable").count(),
        1,
        "one outage, one line:\n{log}"
    );
    assert!(
        !log.contains("alice@example.org") && !log.contains(&format!("bob@{DOMAIN}")),
        "addresses stay out of the log unless asked:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&rules);
}

#[test]
fn addresses_go_in_the_log_when_asked() {
    let rules = rules_dir("addresses", "reject-this-one");
    let service = MilterService::start_with(&rules, "[log]\naddresses = true\n", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let postfix = Postfix::start(&PostfixConfig {
        milter: Some(service.postfix_spec()),
        milter_default_action: Some("tempfail".into()),
        milter_protocol: None,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let accepted = send(&postfix, "hello", "see you at lunch");
    assert!(accepted.contains("250 2.0.0 Ok: queued as"), "{accepted}");
    service
        .wait_for_log("scanned", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let log = service.log();
    assert!(
        log.contains("from=alice@example.org") || log.contains("from=\"alice@example.org"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&rules);
}
