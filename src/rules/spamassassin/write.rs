//! Writing an import as a floodwall rules directory: one `sa_*.toml` per
//! SpamAssassin file, each rule preceded by the SpamAssassin line it came
//! from, a `policy.toml` with SpamAssassin's threshold, and the summary in
//! `IMPORT.txt` and `import-summary.json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::meta_expr::to_text;
use super::Import;
use crate::rules::{Matcher, Rule};

/// Writes `import` into `dir` (created if missing). Existing `sa_*.toml`
/// files there are replaced; other files are left alone, so an operator's
/// own rule files in the directory stay (see the README on combining).
pub fn write_dir(import: &Import, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("sa_") && name.ends_with(".toml") {
            std::fs::remove_file(entry.path())?;
        }
    }
    let mut files: BTreeMap<&str, String> = BTreeMap::new();
    for rule in &import.rules.rules {
        let text = files.entry(&rule.origin.file).or_insert_with(header);
        write_rule(text, rule, import.sources.get(&rule.id));
    }
    for meta in &import.rules.metas {
        let text = files.entry(&meta.origin.file).or_insert_with(header);
        comment(text, import.sources.get(&meta.id));
        text.push_str("[[meta]]\n");
        field(text, "id", &meta.id);
        field(text, "description", &meta.description);
        let _ = writeln!(text, "score = {}", number(meta.score));
        field(text, "expr", &to_text(&meta.expr));
        text.push('\n');
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    std::fs::write(dir.join("policy.toml"), policy(import))?;
    std::fs::write(dir.join("IMPORT.txt"), import.summary.to_text())?;
    let json = serde_json::to_string_pretty(&import.summary).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("import-summary.json"), json + "\n")?;
    Ok(())
}

fn header() -> String {
    "# Imported from SpamAssassin by `floodwall rules import-sa`. Each rule\n\
     # follows the SpamAssassin line it came from. Edit freely; a new import\n\
     # replaces the sa_*.toml files.\n\n"
        .to_string()
}

fn comment(text: &mut String, source: Option<&String>) {
    if let Some(source) = source {
        for line in source.lines() {
            let _ = writeln!(text, "# {line}");
        }
    }
}

fn write_rule(text: &mut String, rule: &Rule, source: Option<&String>) {
    comment(text, source);
    text.push_str("[[rule]]\n");
    field(text, "id", &rule.id);
    field(text, "description", &rule.description);
    let _ = writeln!(text, "score = {}", number(rule.score));
    text.push_str("channels = [\"email\"]\n");
    field(text, "target", &rule.target.to_string());
    if let Matcher::Regex(patterns) = &rule.matcher {
        if let [one] = patterns.as_slice() {
            field(text, "pattern", one);
        }
    }
    let f = rule.flags;
    let flags: String = [
        (f.caseless, 'i'),
        (f.multi_line, 'm'),
        (f.dot_all, 's'),
        (f.utf8, 'u'),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, c)| *c)
    .collect();
    if !flags.is_empty() {
        field(text, "flags", &flags);
    }
    text.push('\n');
}

/// `key = value` with the value as TOML spells a string: a literal string
/// where it can be one (backslashes read as written), else a basic one.
fn field(text: &mut String, key: &str, value: &str) {
    let literal_ok = !value.contains('\'') && !value.chars().any(|c| c.is_control());
    if literal_ok {
        let _ = writeln!(text, "{key} = '{value}'");
    } else {
        let _ = writeln!(text, "{key} = {}", toml::Value::String(value.to_string()));
    }
}

fn number(x: f64) -> String {
    let text = format!("{x}");
    if text.contains('.') || text.contains('e') {
        text
    } else {
        format!("{text}.0")
    }
}

fn policy(import: &Import) -> String {
    let mut text = String::from(
        "# SpamAssassin's threshold: spam from required_score. floodwall's own\n\
         # decode symbols score 0 here, so that totals are SpamAssassin's.\n\n[actions]\n",
    );
    if let Some(tag) = import.rules.policy.thresholds.tag {
        let _ = writeln!(text, "tag = {}", number(tag));
    }
    text.push_str("\n[scores]\n");
    for (name, score) in &import.rules.policy.score_overrides {
        let _ = writeln!(text, "{name} = {}", number(*score));
    }
    text
}
