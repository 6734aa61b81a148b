//! Email of about 7 KB: a Received chain, a DKIM signature, and a
//! multipart/alternative body with the same text as plain text and HTML, the
//! shape most bulk and transactional mail has.

use std::fmt::Write;

use super::{Rng, Sample};
use crate::ingest::Format;

const HAM_SUBJECTS: &[&str] = &[
    "Minutes of Tuesday's planning meeting",
    "Your order has shipped",
    "Quarterly report draft for review",
    "Re: holiday schedule",
    "Invitation: design review on Thursday",
];

const HAM_SENTENCES: &[&str] = &[
    "Thanks everyone for joining the call this morning.",
    "The attached draft covers the budget for the next quarter and the hiring plan.",
    "Please send your comments before Friday so that we can circulate the final version.",
    "We agreed to move the release to the second week of the month.",
    "The venue has confirmed the booking for forty people, lunch included.",
    "If you have questions about the new expense policy, ask the finance team.",
    "Your package will be delivered by the courier between 9am and 5pm.",
    "The meeting notes are on the shared drive under the project folder.",
];

const SPAM_SUBJECTS: &[&str] = &[
    "Urgent: verify your account information",
    "Your account has been suspended",
    "Congratulations! You have won",
    "Confidential business proposal",
    "Cheap meds without prescription",
];

const SPAM_SENTENCES: &[&str] = &[
    "We detected unusual activity on your account and have temporarily suspended access.",
    "To restore your account, verify your identity within 24 hours by clicking the link below.",
    "Failure to confirm your details will result in permanent closure of your account.",
    "You have won a cash prize of $1,500,000 in our international lottery draw.",
    "Dear beneficiary, I am the personal attorney to the late client who left unclaimed funds.",
    "This transaction is strictly confidential and requires a trustworthy foreign partner.",
    "Buy viagra and cialis online at the lowest prices, no prescription needed.",
    "Click here to claim your reward before the offer expires today.",
];

const BRANDS: &[&str] = &["PayPal", "eBay", "Barclays", "Chase", "Amazon"];
const SPAM_TLDS: &[&str] = &["top", "xyz", "ru", "info", "biz"];
const TARGET_BYTES: usize = 7_000;

pub(super) fn sample(rng: &mut Rng) -> Sample {
    let spam = rng.chance(30);
    let id = rng.token(16);
    let boundary = format!("=_b{}", rng.token(20));
    let (subject, sentences, from, link) = if spam {
        let brand = rng.pick(BRANDS);
        let host = format!("{}-secure.{}", brand.to_lowercase(), rng.pick(SPAM_TLDS));
        (
            format!("{} {}", rng.pick(SPAM_SUBJECTS), rng.digits(4)),
            SPAM_SENTENCES,
            format!("\"{brand} Service\" <service@{host}>"),
            format!(
                "http://{host}/{}/login.php?id={}",
                rng.token(6),
                rng.token(10)
            ),
        )
    } else {
        (
            rng.pick(HAM_SUBJECTS).to_string(),
            HAM_SENTENCES,
            format!("\"Alex Morgan\" <alex.morgan{}@example.com>", rng.below(50)),
            format!("https://intranet.example.com/docs/{}", rng.token(8)),
        )
    };
    let mut mail = String::with_capacity(TARGET_BYTES + 1024);
    headers(rng, &mut mail, &id, &subject, &from, &boundary);
    let headers_len = mail.len();
    // Each part gets half of what the headers left, the HTML slightly less
    // text because its markup takes room.
    let budget = TARGET_BYTES.saturating_sub(headers_len) / 2;
    let text = paragraphs(rng, sentences, budget.saturating_sub(200));
    let _ = write!(
        mail,
        "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    );
    for p in &text {
        let _ = write!(mail, "{p}\r\n\r\n");
    }
    let _ = write!(mail, "{link}\r\n\r\n");
    let _ = write!(
        mail,
        "--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    );
    mail.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>p{font-family:Arial,sans-serif;font-size:14px}</style></head><body>\r\n");
    for p in &text {
        let _ = write!(mail, "<p>{p}</p>\r\n");
    }
    let _ = write!(
        mail,
        "<p><a href=\"{link}\" style=\"color:#0645ad\">Open the page</a></p>\r\n</body></html>\r\n--{boundary}--\r\n"
    );
    Sample {
        bytes: mail.into_bytes(),
        format: Format::Eml,
        spam,
    }
}

fn headers(rng: &mut Rng, mail: &mut String, id: &str, subject: &str, from: &str, boundary: &str) {
    let to = format!("user{}@example.net", rng.below(10_000));
    let _ = write!(mail, "Return-Path: <bounce-{id}@mailer.example.org>\r\n");
    for hop in 0..3 {
        let _ = write!(
            mail,
            "Received: from relay{hop}.mailer.example.org (relay{hop}.mailer.example.org [192.0.2.{}])\r\n\tby mx{hop}.example.net (Postfix) with ESMTPS id {}\r\n\tfor <{to}>; Mon, 23 Nov 2026 10:{:02}:{:02} +0000\r\n",
            rng.below(250) + 1,
            rng.token(10).to_uppercase(),
            rng.below(60),
            rng.below(60),
        );
    }
    let signature: String = (0..6)
        .map(|_| rng.token(64))
        .collect::<Vec<_>>()
        .join("\r\n\t ");
    let _ = write!(
        mail,
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=mailer.example.org; s=s1;\r\n\th=from:to:subject:date:message-id; bh={}=;\r\n\tb={signature}\r\n",
        rng.token(43)
    );
    let _ = write!(
        mail,
        "From: {from}\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: Mon, 23 Nov 2026 10:{:02}:00 +0000\r\nMessage-ID: <{id}@mailer.example.org>\r\nMIME-Version: 1.0\r\nList-Unsubscribe: <mailto:unsubscribe-{id}@mailer.example.org>\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n",
        rng.below(60)
    );
}

/// Paragraphs of four to six sentences, about `bytes` long in total.
fn paragraphs(rng: &mut Rng, sentences: &[&str], bytes: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0;
    while total < bytes {
        let n = 4 + rng.below(3);
        let p = (0..n)
            .map(|_| rng.pick(sentences))
            .collect::<Vec<_>>()
            .join(" ");
        total += p.len() + 4;
        out.push(p);
    }
    out
}
