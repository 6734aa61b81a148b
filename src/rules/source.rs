//! Where rule files come from: a directory, or the copy embedded at build time.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::file::{parse_policy, parse_rules};
use super::{Matcher, RuleError, RuleErrors, RuleSet};
use crate::symbols::builtin;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// The file that holds thresholds and built-in scores rather than rules.
const POLICY_FILE: &str = "policy.toml";

/// The subdirectory of classifier models, and their extension.
pub(crate) const MODELS_DIR: &str = "models";
const MODEL_EXTENSION: &str = "fwm";

type Models = std::collections::BTreeMap<String, std::sync::Arc<[u8]>>;

enum Backing {
    Dir(PathBuf),
    Embedded,
    /// One file held in memory; it can name no list files.
    Text,
}

/// A rules directory's files, ready to load.
pub struct RuleSource {
    backing: Backing,
    /// `*.toml` files directly in the directory, sorted by name.
    toml_files: Vec<(String, String)>,
    /// `models/*.fwm`, by file name.
    models: Models,
}

impl RuleSource {
    /// Reads the `*.toml` files of a directory (list files are read when named).
    pub fn dir(dir: &Path) -> Result<RuleSource, RuleErrors> {
        let display = dir.display().to_string();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            RuleError::new(&display, 0, None, format!("cannot read directory: {e}"))
        })?;
        let mut toml_files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| RuleError::new(&name, 0, None, format!("cannot read: {e}")))?;
                toml_files.push((name, text));
            }
        }
        toml_files.sort();
        Ok(RuleSource {
            backing: Backing::Dir(dir.to_path_buf()),
            toml_files,
            models: read_models(dir)?,
        })
    }

    /// The `rules/` directory as it was when the crate was built.
    pub fn embedded() -> RuleSource {
        let toml_files = embedded::FILES
            .iter()
            .filter(|(name, _)| !name.contains('/') && name.ends_with(".toml"))
            .map(|(name, text)| (name.to_string(), text.to_string()))
            .collect();
        let models = embedded::MODELS
            .iter()
            .filter_map(|(rel, bytes)| {
                let name = rel.strip_prefix(MODELS_DIR)?.strip_prefix('/')?;
                (!name.contains('/')).then(|| (name.to_string(), std::sync::Arc::from(*bytes)))
            })
            .collect();
        RuleSource {
            backing: Backing::Embedded,
            toml_files,
            models,
        }
    }

    /// One rule file's text.
    pub fn text(name: &str, text: &str) -> RuleSource {
        RuleSource {
            backing: Backing::Text,
            toml_files: vec![(name.to_string(), text.to_string())],
            models: Models::new(),
        }
    }

    fn read_list(&self, rel: &str) -> Result<String, String> {
        if rel.split(['/', '\\']).any(|c| c == "..") || rel.starts_with('/') {
            return Err(format!(
                "list path '{rel}' must stay inside the rules directory"
            ));
        }
        match &self.backing {
            Backing::Dir(dir) => std::fs::read_to_string(dir.join(rel))
                .map_err(|e| format!("cannot read list '{rel}': {e}")),
            Backing::Embedded => embedded::FILES
                .iter()
                .find(|(name, _)| *name == rel)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| format!("list '{rel}' is not in the embedded rules")),
            Backing::Text => Err(format!(
                "list '{rel}' cannot be read: the rules were given as text"
            )),
        }
    }

    /// Parses and validates everything; returns all errors found.
    pub fn load(self) -> Result<RuleSet, RuleErrors> {
        let (set, errors) = self.load_lenient();
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(RuleErrors(errors))
        }
    }

    /// Like [`load`](Self::load), but also returns the valid part: every rule
    /// without an error, and the meta rules whose references all survive.
    /// `rules check` compiles that part too, so one run reports load and
    /// compile errors together.
    pub fn load_lenient(self) -> (RuleSet, Vec<RuleError>) {
        let (mut set, errors) = self.parse_all();
        let bad: HashSet<(&str, usize)> =
            errors.iter().map(|e| (e.file.as_str(), e.line)).collect();
        let is_bad = |origin: &super::Origin| bad.contains(&(origin.file.as_str(), origin.line));
        let mut removed: HashSet<String> = set
            .rules
            .iter()
            .filter(|r| is_bad(&r.origin))
            .map(|r| r.id.clone())
            .chain(
                set.metas
                    .iter()
                    .filter(|m| is_bad(&m.origin))
                    .map(|m| m.id.clone()),
            )
            .collect();
        set.rules.retain(|r| !is_bad(&r.origin));
        set.metas.retain(|m| !is_bad(&m.origin));
        // A meta over a removed rule goes too, and then the metas over it.
        // A leaf no rule defines stays: it may be a symbol a stage raises,
        // which only the engine knows; the engine's build reports it if not.
        loop {
            let before = set.metas.len();
            set.metas.retain(|m| {
                let keep = !m.expr.leaves().iter().any(|l| removed.contains(l.as_str()));
                if !keep {
                    removed.insert(m.id.clone());
                }
                keep
            });
            if set.metas.len() == before {
                break;
            }
        }
        (set, errors)
    }

    fn parse_all(self) -> (RuleSet, Vec<RuleError>) {
        let mut errors = Vec::new();
        let mut set = RuleSet {
            models: self.models.clone(),
            ..RuleSet::default()
        };
        for (name, text) in &self.toml_files {
            if name == POLICY_FILE {
                match parse_policy(name, text) {
                    Ok(policy) => set.policy = policy,
                    Err(err) => errors.push(err),
                }
                continue;
            }
            let parsed = parse_rules(name, text, &mut errors);
            set.rules.extend(parsed.rules);
            set.metas.extend(parsed.metas);
        }
        for rule in &mut set.rules {
            if let Matcher::List { path, entries, .. } = &mut rule.matcher {
                match self.read_list(path) {
                    Ok(text) => *entries = list_entries(&text),
                    Err(msg) => errors.push(RuleError::new(
                        &rule.origin.file,
                        rule.origin.line,
                        Some(&rule.id),
                        msg,
                    )),
                }
            }
        }
        check_ids(&set, &mut errors);
        (set, errors)
    }
}

/// The `models/*.fwm` files of a rules directory; none when it has no
/// `models/` (the classifier then scores nothing).
fn read_models(dir: &Path) -> Result<Models, RuleErrors> {
    let mut models = Models::new();
    let models_dir = dir.join(MODELS_DIR);
    let Ok(entries) = std::fs::read_dir(&models_dir) else {
        return Ok(models);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == MODEL_EXTENSION) && path.is_file() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|e| {
                RuleError::new(
                    &format!("{MODELS_DIR}/{name}"),
                    0,
                    None,
                    format!("cannot read: {e}"),
                )
            })?;
            models.insert(name, std::sync::Arc::from(bytes));
        }
    }
    Ok(models)
}

/// One entry per line; blank lines and `#` comments skipped.
fn list_entries(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Unique ids that are no built-in symbol's, and no meta rule that depends on itself.
/// Whether every meta leaf names a symbol only the engine can tell: stages
/// register their own symbols when it is built.
fn check_ids(set: &RuleSet, errors: &mut Vec<RuleError>) {
    let mut seen: HashMap<&str, &super::Origin> = HashMap::new();
    let origins = set
        .rules
        .iter()
        .map(|r| (&r.id, &r.origin))
        .chain(set.metas.iter().map(|m| (&m.id, &m.origin)));
    for (id, origin) in origins {
        if builtin(id).is_some() {
            errors.push(RuleError::new(
                &origin.file,
                origin.line,
                Some(id),
                "id is a built-in symbol name",
            ));
        } else if let Some(first) = seen.insert(id, origin) {
            errors.push(RuleError::new(
                &origin.file,
                origin.line,
                Some(id),
                format!("duplicate id (first defined at {first})"),
            ));
        }
    }
    let metas: HashMap<&str, &super::MetaRule> =
        set.metas.iter().map(|m| (m.id.as_str(), m)).collect();
    for meta in &set.metas {
        if reaches(meta.id.as_str(), meta, &metas, &mut HashSet::new()) {
            errors.push(RuleError::new(
                &meta.origin.file,
                meta.origin.line,
                Some(&meta.id),
                "meta rule depends on itself",
            ));
        }
    }
}

/// Whether `meta`'s expression reaches `target` through other metas.
fn reaches<'a>(
    target: &str,
    meta: &'a super::MetaRule,
    metas: &HashMap<&str, &'a super::MetaRule>,
    visited: &mut HashSet<&'a str>,
) -> bool {
    meta.expr.leaves().into_iter().any(|leaf| {
        leaf == target
            || (visited.insert(leaf.as_str())
                && metas
                    .get(leaf.as_str())
                    .is_some_and(|next| reaches(target, next, metas, visited)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Matcher, Target};

    const GOOD: &str = r#"
[[rule]]
id = "FREE_PRIZE"
description = "Promises a free prize"
score = 2.0
target = "body"
pattern = 'free\s+prize'
flags = "i"

[[rule]]
id = "__SHORT"
description = "Sub-rule"
score = 0.0
channels = ["sms"]
target = "text"
kind = "literal"
patterns = ["a.b", "c*d"]

[[meta]]
id = "PRIZE_AND_SHORT"
description = "Both"
score = 1.0
expr = "FREE_PRIZE && __SHORT"
"#;

    #[test]
    fn loads_rules_and_metas_with_origins() {
        let set = RuleSet::from_toml("t.toml", GOOD).unwrap();
        assert_eq!(set.rules.len(), 2);
        let rule = set.find("FREE_PRIZE").unwrap();
        assert_eq!(rule.origin.line, 2);
        assert_eq!(rule.target, Target::Body);
        assert!(rule.flags.caseless);
        let sub = set.find("__SHORT").unwrap();
        assert!(sub.is_hidden());
        assert!(matches!(&sub.matcher, Matcher::Literal(l) if l.len() == 2));
        assert_eq!(set.metas[0].origin.line, 19);
    }

    #[test]
    fn every_error_is_reported_with_line_and_id() {
        let bad = r#"
[[rule]]
id = "lower_case"
description = "x"
score = 1.0
target = "body"
pattern = "a"

[[rule]]
id = "BAD_TARGET"
description = "x"
score = 1.0
target = "bodyy"
pattern = "a"

[[rule]]
id = "UNKNOWN_FIELD"
description = "x"
score = 1.0
target = "body"
pattern = "a"
colour = "red"

[[rule]]
id = "UTF_RAW"
description = "x"
score = 1.0
target = "rawbody"
pattern = "a"
flags = "u"

[[meta]]
id = "META_BAD"
description = "x"
score = 1.0
expr = "NOPE || BAD_TARGET"

[[rule]]
id = "DUP_OK"
description = "first"
score = 1.0
target = "body"
pattern = "b"

[[rule]]
id = "DUP_OK"
description = "second"
score = 1.0
target = "body"
pattern = "c"
"#;
        let errors = RuleSet::from_toml("bad.toml", bad).unwrap_err().0;
        let lines: Vec<(usize, Option<&str>)> =
            errors.iter().map(|e| (e.line, e.rule.as_deref())).collect();
        assert!(lines.contains(&(2, Some("lower_case"))), "{errors:?}");
        assert!(lines.contains(&(9, Some("BAD_TARGET"))));
        assert!(lines.contains(&(16, Some("UNKNOWN_FIELD"))));
        assert!(lines.contains(&(24, Some("UTF_RAW"))));
        assert!(
            errors.iter().any(|e| e.line == 45
                && e.message
                    .contains("duplicate id (first defined at bad.toml:38)")),
            "{errors:?}"
        );
        assert!(errors.iter().all(|e| e.file == "bad.toml"));
    }

    #[test]
    fn toml_syntax_error_names_the_line() {
        let errors = RuleSet::from_toml("x.toml", "[[rule]]\nid = \"A\"\nscore = \n")
            .unwrap_err()
            .0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3, "{errors:?}");
    }

    #[test]
    fn meta_cycles_are_refused() {
        let text = r#"
[[meta]]
id = "A_META"
description = "x"
score = 1.0
expr = "B_META"

[[meta]]
id = "B_META"
description = "x"
score = 1.0
expr = "A_META"
"#;
        let errors = RuleSet::from_toml("m.toml", text).unwrap_err().0;
        assert!(errors
            .iter()
            .any(|e| e.message.contains("depends on itself")));
    }

    #[test]
    fn embedded_rules_load() {
        let set = RuleSet::embedded().unwrap();
        assert!(
            set.rules.len() >= 100,
            "only {} rules shipped",
            set.rules.len()
        );
    }
}
