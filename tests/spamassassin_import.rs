//! SpamAssassin import end to end: a configuration in SpamAssassin's syntax
//! becomes rules that build an engine and fire on mail as SpamAssassin's
//! would; the written directory loads and runs beside the built-in rules.

use std::path::PathBuf;

use floodwall::ingest::email;
use floodwall::rules::spamassassin::{self, convert::Outcome, Config};
use floodwall::rules::RuleSet;
use floodwall::stage::signature::{SignatureOptions, Tuning};
use floodwall::Engine;

const CONFIG: &str = r#"
loadplugin Mail::SpamAssassin::Plugin::MIMEHeader
body     FW_T_BODY      /\bfree\s+money\b/i
score    FW_T_BODY      1.5 1.6 1.7 1.8
describe FW_T_BODY      Offers free money
body     FW_T_SUBJECT   /^urgent notice/i
header   FW_T_MSGID     Message-Id =~ /^<[A-Z]{10,}\@/
header   __FW_T_HAS_MSGID exists:Message-Id
header   FW_T_NO_XM     X-Mailer !~ /Outlook/
header   FW_T_UNSET     X-Prio =~ /^3/ [if-unset: 3]
header   FW_T_EMPTY     X-Prio =~ /^$|^3/
uri      FW_T_IP_URI    /^https?:\/\/\d+\.\d+\.\d+\.\d+/
rawbody  FW_T_RAW       /<a\s+href=/i
ifplugin Mail::SpamAssassin::Plugin::MIMEHeader
mimeheader FW_T_PDF     Content-Type =~ /application\/pdf/i
endif
ifplugin Mail::SpamAssassin::Plugin::NotLoaded
body     FW_T_SKIPPED   /money/
endif
header   FW_T_EVAL      eval:check_for_shifted_date('-6', '-3')
meta     FW_T_META      (FW_T_BODY + FW_T_MSGID + FW_T_IP_URI) > 1 && !FW_T_NO_XM
score    FW_T_META      2
meta     FW_T_META_EVAL FW_T_BODY && !FW_T_EVAL
meta     FW_T_META_POS  FW_T_BODY || FW_T_EVAL
score    FW_T_ZERO      0
body     FW_T_ZERO      /money/
meta     FW_T_META_ZERO FW_T_BODY && !FW_T_ZERO
"#;

const MAIL: &[u8] = b"From: a@b.example\r\n\
To: c@d.example\r\n\
Subject: Urgent notice for you\r\n\
Message-Id: <ABCDEFGHIJKL@b.example>\r\n\
X-Mailer: Microsoft Outlook 16\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"XX\"\r\n\
\r\n\
--XX\r\n\
Content-Type: text/html\r\n\
\r\n\
<p>Get free\r\nmoney at <a href=\"http://10.1.2.3/x\">here</a></p>\r\n\
--XX\r\n\
Content-Type: application/pdf; name=\"a.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0=\r\n\
--XX--\r\n";

fn engine(rules: RuleSet) -> Engine {
    Engine::builder(rules)
        .signature_options(SignatureOptions {
            cache_dir: None,
            tuning: Tuning::Never,
            ..SignatureOptions::default()
        })
        .build()
        .expect("the imported rules build an engine")
}

fn fired(engine: &Engine) -> (Vec<String>, f64) {
    let msg = email::parse(MAIL, engine.ingest_config());
    let verdict = engine.scan(&msg, &mut engine.scratch());
    let mut names: Vec<String> = verdict.symbols.iter().map(|s| s.name.to_string()).collect();
    names.sort();
    (names, verdict.score)
}

#[test]
fn imported_rules_fire_as_spamassassin_would() {
    let config = Config::read_text("t.cf", CONFIG.as_bytes()).expect("the config reads");
    let import = spamassassin::import_config(&config);
    let outcome = |name: &str| {
        import
            .summary
            .rules
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.outcome.clone())
    };
    assert_eq!(
        outcome("FW_T_SKIPPED"),
        None,
        "ifplugin of an unloaded plugin"
    );
    assert_eq!(outcome("FW_T_ZERO"), Some(Outcome::Disabled));
    assert!(matches!(
        outcome("FW_T_EVAL"),
        Some(Outcome::Unsupported(_))
    ));
    assert!(
        matches!(outcome("FW_T_META_EVAL"), Some(Outcome::Unsupported(_))),
        "a negated unsupported rule refuses the meta"
    );
    assert_eq!(outcome("FW_T_META_POS"), Some(Outcome::Imported));
    assert!(
        matches!(outcome("FW_T_EMPTY"), Some(Outcome::Unsupported(why)) if why.contains("empty")),
        "a pattern that matches the empty string is refused"
    );
    assert_eq!(
        import.summary.unsupported_evals["check_for_shifted_date"],
        1
    );

    let (names, score) = fired(&engine(import.rules));
    let want = [
        "FW_T_BODY",      // paragraph text, subject prepended
        "FW_T_IP_URI",    // uri
        "FW_T_META",      // 3 of 3 > 1, and X-Mailer says Outlook
        "FW_T_META_POS",  // FW_T_BODY || (unsupported as 0)
        "FW_T_META_ZERO", // the zero-score rule counts as 0
        "FW_T_MSGID",     // Message-Id as written, brackets kept
        "FW_T_PDF",       // a MIME part's header
        "FW_T_RAW",       // markup in the raw body
        "FW_T_SUBJECT",   // the subject is body text
        "FW_T_UNSET",     // X-Prio absent and its if-unset value matches
    ];
    assert_eq!(names, want);
    // Scores from set 0; rules without a score line score 1.0.
    let expected = 1.5 + 2.0 + 1.0 * 8.0;
    assert!(
        (score - expected).abs() < 1e-9,
        "score {score}, want {expected}"
    );
}

#[test]
fn written_directory_loads_and_runs_beside_the_builtin_rules() {
    let config = Config::read_text("t.cf", CONFIG.as_bytes()).expect("the config reads");
    let import = spamassassin::import_config(&config);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sa-import-written");
    let _ = std::fs::remove_dir_all(&dir);
    spamassassin::write_dir(&import, &dir).expect("the directory is written");
    let alone = RuleSet::load_dir(&dir).expect("the written rules load");
    assert_eq!(alone.policy.thresholds.tag, Some(5.0));
    let alone_rules = alone.rules.len();
    let (names, _) = fired(&engine(alone));
    let (want, _) = fired(&engine(import.rules.clone()));
    assert_eq!(names, want, "the files say what the import made");

    let both = RuleSet::load_dirs(&[PathBuf::from(floodwall::rules::BUILTIN_RULES), dir.clone()])
        .expect("the imported rules load beside the built-in ones");
    assert!(both.rules.len() > alone_rules);
    let (names, _) = fired(&engine(both));
    assert!(names.iter().any(|n| n == "FW_T_BODY"));
    // A directory given twice defines every id twice: refused with the place.
    let twice = RuleSet::load_dirs(&[dir.clone(), dir.clone()]).unwrap_err();
    assert!(twice.to_string().contains("duplicate id"), "{twice}");
}

#[test]
fn a_prefix_lets_names_ours_also_define_run_beside_them() {
    let text = b"body GTUBE /XJS\\*C4JDBQADN1/\nbody __lower_x /C4JDBQADN1/\nmeta BOTH __lower_x && GTUBE\n";
    let config = Config::read_text("t.cf", text).expect("the config reads");
    let import = spamassassin::import_prefixed(&config, "SA_");
    let ids: Vec<&str> = import.rules.metas.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["SA_GTUBE", "__SA_LOWER_X", "SA_BOTH"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sa-import-prefixed");
    let _ = std::fs::remove_dir_all(&dir);
    spamassassin::write_dir(&import, &dir).expect("the directory is written");
    let both = RuleSet::load_dirs(&[PathBuf::from(floodwall::rules::BUILTIN_RULES), dir])
        .expect("prefixed ids do not collide with the built-in GTUBE");
    let engine = engine(both);
    let gtube = b"Subject: t\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";
    let msg = email::parse(gtube, engine.ingest_config());
    let verdict = engine.scan(&msg, &mut engine.scratch());
    let names: Vec<String> = verdict.symbols.iter().map(|s| s.name.to_string()).collect();
    for want in ["GTUBE", "SA_GTUBE", "SA_BOTH"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
}
