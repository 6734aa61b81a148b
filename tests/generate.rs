//! `floodwall generate` end to end: what it writes, `floodwall scan` reads,
//! message for message. Floods need no corpora; the mixed stream's shape is
//! tested in the library (`workload::stream`).

use std::path::PathBuf;
use std::process::{Command, Output};

fn floodwall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_floodwall"))
        .args(args)
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("floodwall-cli-test-cache"),
        )
        .output()
        .expect("the floodwall binary runs")
}

fn tempdir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("floodwall-generate-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn generated_floods_scan_message_for_message() {
    let dir = tempdir("flood");
    for (channel, file) in [("sms", "flood.jsonl"), ("email", "flood.mbox")] {
        let path = dir.join(file);
        let path = path.to_str().unwrap();
        let out = floodwall(&[
            "generate",
            "--channel",
            channel,
            "--flood",
            "recipients",
            "--messages",
            "300",
            path,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let truth = std::fs::read_to_string(format!("{path}.truth.tsv")).unwrap();
        assert_eq!(truth.lines().filter(|l| !l.starts_with('#')).count(), 300);
        let scan = floodwall(&["scan", "--json", "--threads", "1", path]);
        assert!(
            scan.status.success(),
            "{}",
            String::from_utf8_lossy(&scan.stderr)
        );
        let lines = String::from_utf8_lossy(&scan.stdout).lines().count();
        assert_eq!(lines, 300, "{channel}");
    }
}

#[test]
fn generate_explains_bad_arguments() {
    let out = floodwall(&["generate", "--copies", "50..10", "x.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MIN <= MAX"));
    let out = floodwall(&["generate", "--corpora", "/nonexistent", "x.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}
