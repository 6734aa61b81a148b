use std::sync::Arc;

use super::*;
use crate::policy::SymbolHit;

/// A verdict with the named symbols (1.0 each). The one place the milter's
/// tests build a `SymbolHit`.
pub(crate) fn verdict(action: Action, score: f64, names: &[&str]) -> Verdict {
    Verdict {
        score,
        action,
        symbols: names
            .iter()
            .map(|&name| SymbolHit {
                name: Arc::from(name),
                score: 1.0,
                description: Arc::from("a test symbol"),
                options: Vec::new(),
            })
            .collect(),
    }
}

const ALL: Actions = Actions(0x1FF);
const NO_SUBJECT: SubjectHeader = SubjectHeader::Missing;

fn headers<'a>(subject: &'a SubjectHeader, foreign: &'a [(String, u32)]) -> MessageHeaders<'a> {
    MessageHeaders { subject, foreign }
}

fn added(replies: &[Reply]) -> Vec<(&str, &str)> {
    replies
        .iter()
        .filter_map(|r| match r {
            Reply::AddHeader { name, value } => Some((name.as_str(), value.as_str())),
            _ => None,
        })
        .collect()
}

#[test]
fn ham_is_marked_no_and_continues() {
    let v = verdict(Action::Accept, 1.5, &["HTML_ONLY"]);
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &[]),
        ALL,
        &ReplyConfig::default(),
    );
    assert_eq!(
        added(&replies),
        [
            ("X-Spam-Flag", "NO"),
            ("X-Spam-Score", "1.50"),
            (
                "X-Spam-Status",
                "No, score=1.50 required=5.00 tests=HTML_ONLY"
            ),
        ]
    );
    assert_eq!(replies.last(), Some(&Reply::Continue));
}

#[test]
fn rules_without_a_tag_threshold_show_no_required_score() {
    let v = verdict(Action::Accept, 1.5, &["HTML_ONLY"]);
    let replies = replies(
        &v,
        f64::INFINITY,
        &headers(&NO_SUBJECT, &[]),
        ALL,
        &ReplyConfig::default(),
    );
    assert!(
        added(&replies).contains(&("X-Spam-Status", "No, score=1.50 tests=HTML_ONLY")),
        "{replies:?}"
    );
}

#[test]
fn tag_in_spamassassin_style() {
    let v = verdict(Action::Tag, 7.2, &["A", "B"]);
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &[]),
        ALL,
        &ReplyConfig::default(),
    );
    assert_eq!(
        added(&replies),
        [
            ("X-Spam-Flag", "YES"),
            ("X-Spam-Score", "7.20"),
            ("X-Spam-Status", "Yes, score=7.20 required=5.00 tests=A,B"),
        ]
    );
    assert_eq!(replies.len(), 4);
    assert_eq!(replies[3], Reply::Continue);
}

#[test]
fn no_symbols_is_tests_none() {
    let v = verdict(Action::Accept, 0.0, &[]);
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &[]),
        ALL,
        &ReplyConfig::default(),
    );
    assert_eq!(
        added(&replies)[2].1,
        "No, score=0.00 required=5.00 tests=none"
    );
}

#[test]
fn long_status_folds_with_lf_tab() {
    let names: Vec<String> = (0..12)
        .map(|i| format!("FLOODWALL_SYMBOL_{i:02}"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let v = verdict(Action::Tag, 12.0, &names);
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &[]),
        ALL,
        &ReplyConfig::default(),
    );
    let status = added(&replies)[2].1.to_string();
    let lines: Vec<&str> = status.split("\n\t").collect();
    assert!(lines.len() > 3, "{status}");
    assert!(("X-Spam-Status: ".len() + lines[0].len()) <= 78);
    for line in &lines[1..] {
        assert!(line.len() < 78, "{line}");
    }
    assert!(!status.contains('\r'));
    // Unfolded, the value is the plain list.
    assert_eq!(
        status.replace("\n\t", ""),
        format!("Yes, score=12.00 required=5.00 tests={}", names.join(","))
    );
}

#[test]
fn options_are_shown_in_braces_and_cleaned() {
    let options = vec!["size=57".to_string(), "senders=12".to_string()];
    assert_eq!(
        shown_symbol("BULK_CAMPAIGN", &options),
        "BULK_CAMPAIGN{size=57,senders=12}"
    );
    let hostile = vec!["a,b}{c\r\nX-Injected: yes".to_string(), "ünï".to_string()];
    assert_eq!(
        shown_symbol("BAD NAME\n", &hostile),
        "BAD_NAME_{a_b__c__X-Injected:_yes,_n_}"
    );
    assert_eq!(shown_symbol("PLAIN", &[]), "PLAIN");
}

#[test]
fn foreign_spam_headers_are_deleted_before_ours() {
    let foreign = vec![
        ("X-Spam-Flag".to_string(), 2),
        ("X-Spam-Level".to_string(), 1),
    ];
    let v = verdict(Action::Accept, 0.0, &[]);
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &foreign),
        ALL,
        &ReplyConfig::default(),
    );
    let delete = |index: u32, name: &str| Reply::ChangeHeader {
        index,
        name: name.into(),
        value: String::new(),
    };
    assert_eq!(
        replies[..3],
        [
            delete(2, "X-Spam-Flag"),
            delete(1, "X-Spam-Flag"),
            delete(1, "X-Spam-Level")
        ]
    );
    assert!(matches!(&replies[3], Reply::AddHeader { name, .. } if name == "X-Spam-Flag"));
}

#[test]
fn without_header_actions_nothing_is_changed() {
    let foreign = vec![("X-Spam-Flag".to_string(), 1)];
    let v = verdict(Action::Tag, 9.0, &["A"]);
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &foreign),
        Actions(0),
        &ReplyConfig::default(),
    );
    assert_eq!(replies, [Reply::Continue]);
    // Adding allowed, changing not: ours are added, the foreign one stays.
    let replies2 = super::replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &foreign),
        Actions::ADD_HEADERS,
        &ReplyConfig::default(),
    );
    assert_eq!(added(&replies2).len(), 3);
    assert!(!replies2
        .iter()
        .any(|r| matches!(r, Reply::ChangeHeader { .. })));
}

#[test]
fn subject_prefix_on_tag_only() {
    let config = ReplyConfig {
        subject_prefix: Some("[SPAM]".into()),
        ..ReplyConfig::default()
    };
    let subject = SubjectHeader::Text("win now".into());
    let tag = replies(
        &verdict(Action::Tag, 6.0, &["A"]),
        5.0,
        &headers(&subject, &[]),
        ALL,
        &config,
    );
    assert!(tag.contains(&Reply::ChangeHeader {
        index: 1,
        name: "Subject".into(),
        value: "[SPAM] win now".into()
    }));
    let ham = replies(
        &verdict(Action::Accept, 1.0, &[]),
        5.0,
        &headers(&subject, &[]),
        ALL,
        &config,
    );
    assert!(!ham
        .iter()
        .any(|r| matches!(r, Reply::ChangeHeader { name, .. } if name == "Subject")));
    // Already prefixed (a re-scan): not twice.
    let again = SubjectHeader::Text("[SPAM] win now".into());
    let tag = replies(
        &verdict(Action::Tag, 6.0, &["A"]),
        5.0,
        &headers(&again, &[]),
        ALL,
        &config,
    );
    assert!(!tag
        .iter()
        .any(|r| matches!(r, Reply::ChangeHeader { name, .. } if name == "Subject")));
    // No Subject: one is added.
    let tag = replies(
        &verdict(Action::Tag, 6.0, &["A"]),
        5.0,
        &headers(&NO_SUBJECT, &[]),
        ALL,
        &config,
    );
    assert!(added(&tag).contains(&("Subject", "[SPAM]")));
}

#[test]
fn quarantine_holds_with_the_reason() {
    let v = verdict(
        Action::Quarantine,
        12.3,
        &["BULK_CAMPAIGN", "URL_SHORTENER"],
    );
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &[]),
        ALL,
        &ReplyConfig::default(),
    );
    assert_eq!(added(&replies)[0], ("X-Spam-Flag", "YES"));
    let n = replies.len();
    assert_eq!(
        replies[n - 2],
        Reply::Quarantine("floodwall score=12.30 tests=BULK_CAMPAIGN,URL_SHORTENER".into())
    );
    assert_eq!(replies[n - 1], Reply::Continue);
}

#[test]
fn quarantine_reason_is_bounded() {
    let names: Vec<String> = (0..40).map(|i| format!("SYMBOL_NUMBER_{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let reason = quarantine_reason(&verdict(Action::Quarantine, 99.0, &names));
    assert!(reason.len() <= 200, "{}", reason.len());
    assert!(reason.ends_with(",..."), "{reason}");
    assert_eq!(
        quarantine_reason(&verdict(Action::Quarantine, 10.0, &[])),
        "floodwall score=10.00 tests=none"
    );
}

#[test]
fn quarantine_the_mta_did_not_allow_is_a_tag() {
    let v = verdict(Action::Quarantine, 12.0, &["A"]);
    let actions = Actions::ADD_HEADERS | Actions::CHANGE_HEADERS;
    let replies = replies(
        &v,
        5.0,
        &headers(&NO_SUBJECT, &[]),
        actions,
        &ReplyConfig::default(),
    );
    assert!(!replies.iter().any(|r| matches!(r, Reply::Quarantine(_))));
    assert_eq!(added(&replies)[0], ("X-Spam-Flag", "YES"));
    assert_eq!(replies.last(), Some(&Reply::Continue));
}

#[test]
fn reject_tempfail_discard() {
    let config = ReplyConfig::default();
    let foreign = [("X-Spam-Flag".to_string(), 1)];
    let none = headers(&NO_SUBJECT, &foreign);
    let reject = replies(
        &verdict(Action::Reject, 30.0, &["A"]),
        5.0,
        &none,
        ALL,
        &config,
    );
    assert_eq!(reject, [Reply::ReplyCode(DEFAULT_REJECT.into())]);
    assert!(DEFAULT_REJECT.starts_with("550 5.7.1 "));
    let tempfail = replies(
        &verdict(Action::Tempfail, 30.0, &["A"]),
        5.0,
        &none,
        ALL,
        &config,
    );
    assert_eq!(tempfail, [Reply::ReplyCode(DEFAULT_TEMPFAIL.into())]);
    assert!(DEFAULT_TEMPFAIL.starts_with("451 4.7.1 "));
    let discard = replies(
        &verdict(Action::Discard, 30.0, &["A"]),
        5.0,
        &none,
        ALL,
        &config,
    );
    assert_eq!(discard, [Reply::Discard]);
}

#[test]
fn configured_smtp_replies() {
    let mut config = ReplyConfig::default();
    config
        .set_reject("554 5.7.1 Bulk content rejected, see https://example.org/spam")
        .unwrap();
    config.set_tempfail("450 4.7.0 Slow down").unwrap();
    config.set_reject("550").unwrap();
    assert_eq!(config.reject(), "550");
    assert_eq!(config.tempfail(), "450 4.7.0 Slow down");
    let v = verdict(Action::Reject, 30.0, &[]);
    assert_eq!(
        replies(&v, 5.0, &headers(&NO_SUBJECT, &[]), ALL, &config),
        [Reply::ReplyCode("550".into())]
    );
}

#[test]
fn invalid_smtp_replies_are_refused() {
    let mut config = ReplyConfig::default();
    let long = format!("550 5.7.1 {}", "x".repeat(600));
    for (bad, why) in [
        ("250 2.0.0 ok", "5xx"),
        ("451 4.7.1 later", "5xx"),
        ("55", "5xx"),
        ("5x0 5.7.1 a", "5xx"),
        ("550-5.7.1 a", "space"),
        ("550 4.7.1 a", "class"),
        ("550 5.7.1 line\r\n250 ok", "printable"),
        ("550 5.7.1 caf\u{e9}", "printable"),
        (long.as_str(), "510"),
    ] {
        let err = config.set_reject(bad).unwrap_err();
        assert!(err.to_string().contains(why), "{bad:?}: {err}");
    }
    assert!(config
        .set_tempfail("550 5.7.1 no")
        .unwrap_err()
        .to_string()
        .contains("4xx"));
    assert!(config.set_tempfail("451 5.7.1 no").is_err());
    assert_eq!(
        config,
        ReplyConfig::default(),
        "a refused reply changes nothing"
    );
}

#[test]
fn every_reply_encodes() {
    // Whatever the verdict, the replies are valid frames (no NUL sneaks in).
    let config = ReplyConfig {
        subject_prefix: Some("[SPAM]\0".into()),
        ..ReplyConfig::default()
    };
    let subject = SubjectHeader::Text("x".into());
    for action in [
        Action::Accept,
        Action::Tag,
        Action::Quarantine,
        Action::Tempfail,
        Action::Reject,
        Action::Discard,
    ] {
        let v = verdict(action, 10.0, &["A\0B", "C"]);
        for reply in replies(
            &v,
            5.0,
            &headers(&subject, &[("X-Spam-A".into(), 1)]),
            ALL,
            &config,
        ) {
            reply.encode(&mut Vec::new()).unwrap();
        }
    }
}
