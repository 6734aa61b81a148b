//! End-to-end tests of the `floodwall` command on the shipped rules and seeds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn floodwall(args: &[&str]) -> Output {
    // The compiled-rules cache goes to a test directory, not the user's.
    Command::new(env!("CARGO_BIN_EXE_floodwall"))
        .args(args)
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("floodwall-cli-test-cache"),
        )
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the floodwall binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn seeds(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(dir)
}

#[test]
fn help_and_version_follow_clap_conventions() {
    let help = floodwall(&["--help"]);
    assert!(help.status.success());
    for command in ["scan", "inspect", "rules"] {
        assert!(stdout(&help).contains(command), "--help lists {command}");
    }
    let version = floodwall(&["--version"]);
    assert_eq!(
        stdout(&version).trim(),
        format!("floodwall {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn gtube_always_fires_on_mail() {
    let dir = tempdir("gtube");
    let path = dir.join("gtube.eml");
    std::fs::write(
        &path,
        "From: a@example.com\r\nSubject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n",
    )
    .unwrap();
    let out = floodwall(&["scan", "--json", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["action"], "reject");
    assert!(lines[0]["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "GTUBE"));
}

#[test]
fn scan_gives_every_email_seed_a_verdict() {
    let dir = seeds("email");
    let files = std::fs::read_dir(&dir).expect("seeds/email exists").count();
    let out = floodwall(&["scan", "--json", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert!(
        lines.len() >= files,
        "{} verdicts for {files} files",
        lines.len()
    );
    for line in &lines {
        assert!(
            line["score"].is_number() && line["action"].is_string(),
            "{line}"
        );
        assert_eq!(line["channel"], "email");
    }
    let spam = lines.iter().filter(|l| l["action"] != "accept").count();
    let ham = lines
        .iter()
        .filter(|l| l["source"].as_str().unwrap().contains("ham"))
        .collect::<Vec<_>>();
    assert!(spam > 0, "some seeds are spam");
    for h in ham {
        assert_eq!(h["action"], "accept", "ham seed flagged: {h}");
    }
}

#[test]
fn rules_check_reports_file_line_and_rule_of_each_error() {
    let dir = tempdir("broken-rules");
    std::fs::write(
        dir.join("broken.toml"),
        "[[rule]]\nid = \"GOOD_ONE\"\ndescription = \"fine\"\nscore = 1.0\ntarget = \"body\"\npattern = 'ok'\n\n\
         [[rule]]\nid = \"BAD_REGEX\"\ndescription = \"unbalanced\"\nscore = 1.0\ntarget = \"body\"\npattern = 'a(b'\n\n\
         [[rule]]\nid = \"BAD_LIST\"\ndescription = \"missing list\"\nscore = 1.0\ntarget = \"url\"\nkind = \"list\"\nlist = \"lists/none.txt\"\n",
    )
    .unwrap();
    let out = floodwall(&["rules", "check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.toml:15: rule BAD_LIST"), "{stderr}");
    assert!(
        stderr.contains("broken.toml:8: rule BAD_REGEX"),
        "load and compile errors in one run: {stderr}"
    );
    assert!(!stderr.contains("GOOD_ONE"), "{stderr}");
}

#[test]
fn rules_check_passes_on_the_shipped_rules_and_names_engines() {
    let out = floodwall(&["rules", "check", "rules"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("hyperscan"));
    assert!(
        text.contains("hyperscan-prefilter+pcre2"),
        "some shipped rules use look-around"
    );
}

#[test]
fn unreadable_input_is_reported_and_the_rest_still_scanned() {
    let dir = tempdir("partial");
    std::fs::write(dir.join("ok.eml"), "Subject: hi\n\nhello\n").unwrap();
    let out = floodwall(&[
        "scan",
        "--json",
        dir.join("ok.eml").to_str().unwrap(),
        dir.join("missing.eml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out).len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.eml"));
}

/// Whether `bytes` would print without driving a terminal: no control byte
/// but the newline, no C1 control (UTF-8 C2 80..C2 9F), no bidirectional
/// override (E2 80 AE).
fn terminal_safe(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    !text
        .chars()
        .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{202e}' | '\u{200b}' | '\u{feff}'))
}

#[test]
fn inspect_escapes_control_and_invalid_bytes_instead_of_printing_them() {
    let dir = tempdir("inspect-controls");
    // A header name and value with ESC sequences, DEL, CSI (U+009B), a
    // right-to-left override and bytes that are not UTF-8, then random-like
    // binary in the body.
    let mut mail = b"X-\x1b[2JName\xc2\x9b: v\x7falue \xe2\x80\xaerev\xff\xfe\r\n".to_vec();
    mail.extend_from_slice(b"Subject: \x1b]0;owned\x07\r\n\r\n");
    mail.extend((0u8..=255).cycle().take(2048).map(|b| b.wrapping_mul(167)));
    let path = dir.join("controls.eml");
    std::fs::write(&path, &mail).unwrap();

    let pretty = floodwall(&["inspect", "--format", "eml", path.to_str().unwrap()]);
    assert!(
        pretty.status.success(),
        "{}",
        String::from_utf8_lossy(&pretty.stderr)
    );
    assert!(terminal_safe(&pretty.stdout), "{}", stdout(&pretty));
    assert!(
        stdout(&pretty).contains("\\u001b[2JName\\u009b"),
        "{}",
        stdout(&pretty)
    );

    let json = floodwall(&[
        "inspect",
        "--json",
        "--format",
        "eml",
        path.to_str().unwrap(),
    ]);
    assert!(json.status.success());
    assert!(terminal_safe(&json.stdout), "{}", stdout(&json));
    // Escaped, not lost: the JSON still parses to the decoded text.
    let line = &json_lines(&json)[0];
    assert_eq!(line["subject"], "\u{1b}]0;owned\u{7}");
    let value = line["headers"][0]["value"].as_str().unwrap();
    assert!(
        value.starts_with("v\u{7f}alue \u{202e}rev\u{fffd}"),
        "{value:?}"
    );
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("floodwall-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shipped rules with the stream stage off: its verdicts depend on the
/// order in which messages reach the shared state, which several workers
/// change (by design: `--threads 1` counts in input order).
fn rules_without_stream_state() -> PathBuf {
    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            match path.is_dir() {
                true => copy_tree(&path, &target),
                false => {
                    std::fs::copy(&path, &target).unwrap();
                }
            }
        }
    }
    let dir = tempdir("stateless-rules");
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"), &dir);
    let policy = std::fs::read_to_string(dir.join("policy.toml")).unwrap();
    let policy = policy
        .replace(
            "[stage.stream.bulk]\n",
            "[stage.stream.bulk]\nenabled = false\n",
        )
        .replace(
            "[stage.stream.velocity]",
            "[stage.stream.velocity]\nenabled = false\n#",
        );
    assert!(
        policy.contains("enabled = false\n#"),
        "policy.toml has [stage.stream.velocity]"
    );
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    dir
}

#[test]
fn scan_output_is_in_input_order_at_any_thread_count() {
    let seeds = seeds("");
    let seeds = seeds.to_str().expect("a UTF-8 path");
    let one = floodwall(&["scan", "--json", "--threads", "1", seeds]);
    let two = floodwall(&["scan", "--json", "--threads", "2", seeds]);
    assert_eq!(one.status.code(), two.status.code());
    let (one, two) = (json_lines(&one), json_lines(&two));
    assert!(one.len() > 50, "every seed message: {}", one.len());
    let order = |lines: &[serde_json::Value]| -> Vec<(String, u64)> {
        lines
            .iter()
            .map(|v| (v["source"].to_string(), v["index"].as_u64().unwrap_or(0)))
            .collect()
    };
    assert_eq!(order(&one), order(&two));
    // Without stream state, whole verdicts are the same at any count.
    let stateless = rules_without_stream_state();
    let stateless = stateless.to_str().expect("a UTF-8 path");
    let args = |threads| {
        [
            "scan",
            "--json",
            "--rules",
            stateless,
            "--threads",
            threads,
            seeds,
        ]
    };
    let (one, two) = (floodwall(&args("1")), floodwall(&args("2")));
    assert_eq!(one.status.code(), two.status.code());
    let (one, two) = (json_lines(&one), json_lines(&two));
    assert!(one.len() > 50, "every seed message: {}", one.len());
    assert_eq!(one, two);
    let sources: Vec<(&str, u64)> = one
        .iter()
        .map(|v| {
            (
                v["source"].as_str().unwrap_or(""),
                v["index"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut sorted = sources.clone();
    sorted.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let ended = sources
        .iter()
        .position(|s| s.0.starts_with('('))
        .unwrap_or(sources.len());
    assert_eq!(
        sources[..ended],
        sorted[..ended],
        "files in name order, messages in file order"
    );
}

#[test]
fn a_bad_record_is_named_by_its_line_and_the_rest_is_scanned() {
    let dir = tempdir("bad-record");
    let path = dir.join("texts.jsonl");
    std::fs::write(
        &path,
        "{\"from\": \"+447700900123\", \"text\": \"see you at noon\"}\n\n{\"from\": 5}\n{\"from\": \"+447700900124\", \"text\": \"bye\"}\n",
    )
    .unwrap();
    let out = floodwall(&["scan", "--json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "some input could not be read");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3: invalid SMS record"), "{stderr}");
    let indexes: Vec<u64> = json_lines(&out)
        .iter()
        .map(|v| v["index"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(indexes, [1, 2], "both good records scanned");
}

/// `train` rebuilds a small model from a generated TSV, `eval` measures
/// it, `learn` takes a new report and refuses one it has learned.
#[test]
fn train_eval_and_learn_a_small_model() {
    let dir = tempdir("train");
    let mut tsv = String::new();
    for filler in ["lunch", "milk", "bread", "dinner", "coffee", "tickets"] {
        tsv.push_str(&format!(
            "spam\tWINNER you have won a {filler} cash prize, call now to claim\n"
        ));
        tsv.push_str(&format!(
            "spam\tURGENT your {filler} account is locked, verify at http://x.example/login\n"
        ));
        tsv.push_str(&format!("ham\tcan you pick up {filler} on the way home\n"));
        tsv.push_str(&format!(
            "ham\tare we still on for {filler} later, running late\n"
        ));
    }
    let data = dir.join("sms.tsv");
    std::fs::write(&data, tsv).unwrap();
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/policy.toml"),
        rules.join("policy.toml"),
    )
    .unwrap();
    let (data, rules_arg) = (data.to_str().unwrap(), rules.to_str().unwrap());
    let out = floodwall(&[
        "train",
        "--channel",
        "sms",
        "--ham",
        data,
        "--spam",
        data,
        "--bits",
        "12",
        "-o",
        rules_arg,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("trained on 12 ham and 12 spam"),
        "{}",
        stdout(&out)
    );
    assert!(rules.join("models/text.fwm").is_file());

    let out = floodwall(&[
        "eval", "--rules", rules_arg, "--ham", data, "--spam", data, "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    let classifier = &report["results"][0];
    assert_eq!(classifier["name"], "classifier");
    assert!(classifier["roc_auc"].as_f64().unwrap() > 0.9, "{report}");
    assert_eq!(report["results"][1]["name"], "engine");

    let report_file = dir.join("report.tsv");
    std::fs::write(
        &report_file,
        "spam\tclaim your free parcel fee now at http://y.example/pay\n",
    )
    .unwrap();
    let report_arg = report_file.to_str().unwrap();
    let out = floodwall(&["learn", "--rules", rules_arg, "--spam", report_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("learned 1,") || stdout(&out).contains("learned 1 "),
        "{}",
        stdout(&out)
    );
    let out = floodwall(&["learn", "--rules", rules_arg, "--spam", report_arg]);
    assert!(
        stdout(&out).contains("refused 1 already learned"),
        "{}",
        stdout(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
