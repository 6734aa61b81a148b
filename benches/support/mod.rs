//! What every bench shares: the engine, the inputs, criterion's settings.
//!
//! Benches are one file per stage (`email_parse`, `signature`) plus
//! `end_to_end`. A decoder bench (`smpp_decode`, `tpdu_decode`,
//! `mms_decode`) follows `email_parse.rs`: a file with one
//! `criterion_group!` using [`config`], inputs from [`samples`] once the
//! workload generator emits that format, and a `[[bench]]` entry in
//! Cargo.toml.

#![allow(dead_code)] // each bench uses part of this module

use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use floodwall::ingest::{self, Decoder};
use floodwall::rules::RuleSet;
use floodwall::stage::signature::{SignatureOptions, Tuning};
use floodwall::{workload, Channel, Engine, Message};

/// Short runs: `cargo bench` should finish in minutes on a shared 2-core box.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

/// `FLOODWALL_RULES` or the crate's `rules/` directory.
fn rules_dir() -> PathBuf {
    std::env::var_os("FLOODWALL_RULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules"))
}

/// The rule set of [`rules_dir`], for benches that build engines of parts of it.
pub fn rules() -> RuleSet {
    let dir = rules_dir();
    RuleSet::load_dir(&dir)
        .unwrap_or_else(|errors| panic!("rules in {} do not load:\n{errors}", dir.display()))
}

/// The engine from `FLOODWALL_RULES` or the crate's `rules/` directory.
pub fn engine() -> Engine {
    let dir = rules_dir();
    let options = SignatureOptions {
        tuning: Tuning::AtBuild,
        ..SignatureOptions::default()
    };
    let engine = Engine::builder(rules())
        .signature_options(options)
        .build()
        .unwrap_or_else(|errors| panic!("rules in {} do not load:\n{errors}", dir.display()));
    eprintln!(
        "bench engine: {} rules from {}",
        engine
            .stage::<floodwall::stage::signature::SignatureStage>()
            .map_or(0, |s| s.plans().len()),
        dir.display()
    );
    engine
}

/// The generated stream of a channel: the same seed as `floodwall bench`.
pub fn samples(channel: Channel, count: usize) -> Vec<workload::Sample> {
    workload::generate(channel, 0x5eed_f100d, count)
}

/// Decodes samples once, for benches of what comes after ingest.
pub fn decode<'a>(engine: &Engine, samples: &'a [workload::Sample]) -> Vec<Message<'a>> {
    let mut decoder: Decoder = engine.decoder();
    let mut out = Vec::with_capacity(samples.len());
    for sample in samples {
        let payloads =
            ingest::split(sample.format, &sample.bytes).expect("generated payloads split");
        for payload in payloads {
            decoder.decode(payload, 0, &mut out);
        }
    }
    out
}

/// A message shaped like the 2005 phishing corpus (written here, not taken
/// from it): HTML only, quoted-printable, a brand lure, a link whose text
/// and target differ, and a base64 logo.
pub fn phishing_like() -> Vec<u8> {
    let mut mail = String::from(
        "Return-Path: <service@paypa1-secure.example>\r\n\
Received: from unknown (HELO mail.example.org) (203.0.113.45)\r\n\tby mx.example.net with SMTP; Mon, 14 Nov 2005 08:12:01 -0000\r\n\
From: \"PayPal\" <service@paypal.com>\r\n\
To: member@example.net\r\n\
Subject: =?iso-8859-1?q?Your_account_has_been_limited_=96_action_required?=\r\n\
Date: Mon, 14 Nov 2005 09:11:58 +0100\r\n\
Message-ID: <20051114081158.4521.qmail@mail.example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/related; boundary=\"----=_NextPart_000_0012\"\r\n\r\n\
------=_NextPart_000_0012\r\n\
Content-Type: text/html; charset=\"iso-8859-1\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\n\
<html><body><img src=3D\"cid:logo\"><p>Dear PayPal Member,</p>\r\n",
    );
    for _ in 0..12 {
        mail.push_str(
            "<p>We recently noticed one or more attempts to log in to your PayPal account from a foreign IP =\r\n\
address and we have reasons to believe that your account was used by a third party without your =\r\n\
authorization. If you could please take 5-10 minutes out of your online experience and update =\r\n\
your personal records you will not run into any future problems with the online service.</p>\r\n",
        );
    }
    mail.push_str(
        "<p><a href=3D\"http://203.0.113.45/.cgi-bin/webscr/index.php?cmd=3D_login-run\">https://www.paypal=\r\n\
.com/cgi-bin/webscr?cmd=3D_login-run</a></p><p>Failure to update your records will result in account =\r\n\
suspension.</p></body></html>\r\n\r\n\
------=_NextPart_000_0012\r\n\
Content-Type: image/gif; name=\"logo.gif\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-ID: <logo>\r\n\r\n",
    );
    for _ in 0..16 {
        mail.push_str(
            "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7R0lGODlhAQABAIAAAAAAAP//\r\n",
        );
    }
    mail.push_str("\r\n------=_NextPart_000_0012--\r\n");
    mail.into_bytes()
}
