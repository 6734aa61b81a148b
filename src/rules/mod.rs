//! Rules: the TOML rule files, list files and policy an operator edits.
//!
//! A rules directory is loaded into a [`RuleSet`] (plain data, validated)
//! which the signature stage compiles. Loading reports *every* problem at
//! once, each with file, line and rule id, because an operator fixing a rule
//! set wants the whole list, not one error per run.

mod error;
mod file;
pub mod meta;
mod source;
pub mod spamassassin;

use std::path::Path;

use crate::message::Channel;

pub use error::{RuleError, RuleErrors};
pub use meta::MetaExpr;
pub use source::RuleSource;

/// What part of a message a rule reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The Subject header (email, MMS).
    Subject,
    /// Decoded text parts (HTML reduced to text); the SMS/MMS text.
    Body,
    /// Undecoded body bytes.
    RawBody,
    /// The decoded values of one header (name lower-cased).
    Header(String),
    /// Every header as `Name: value` lines.
    AllHeaders,
    /// The values of one header as the message wrote them, unfolded
    /// (name lower-cased): Message-Id with its brackets, addresses as
    /// written, encoded words not decoded. Email only.
    RawHeader(String),
    /// Every header field as written, unfolded, one `Name: value` line each.
    AllRawHeaders,
    /// The values of one header in every MIME part's header (the message's
    /// own included), one at a time, as written (name lower-cased). Email only.
    MimeHeader(String),
    /// Each extracted URL, one at a time.
    Url,
    /// The envelope sender: MAIL FROM, or the SMS/MMS originator.
    Sender,
    /// Each envelope recipient, one at a time.
    Recipient,
}

impl Target {
    /// A target as rule files spell it (`body`, `header:Reply-To`, …).
    pub fn parse(text: &str) -> Option<Target> {
        Some(match text {
            "subject" => Target::Subject,
            "body" | "text" => Target::Body,
            "rawbody" => Target::RawBody,
            "header" => Target::AllHeaders,
            "rawheader" => Target::AllRawHeaders,
            "url" => Target::Url,
            "sender" => Target::Sender,
            "recipient" => Target::Recipient,
            _ => {
                let (kind, name) = if let Some(name) = text.strip_prefix("rawheader:") {
                    ("raw", name.trim())
                } else if let Some(name) = text.strip_prefix("mimeheader:") {
                    ("mime", name.trim())
                } else {
                    ("decoded", text.strip_prefix("header:")?.trim())
                };
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                    return None;
                }
                let name = name.to_ascii_lowercase();
                match kind {
                    "raw" => Target::RawHeader(name),
                    "mime" => Target::MimeHeader(name),
                    _ => Target::Header(name),
                }
            }
        })
    }

    /// Whether the target's text is always valid UTF-8 (the `u` flag needs it:
    /// Hyperscan's behaviour on invalid UTF-8 under `HS_FLAG_UTF8` is undefined).
    pub fn is_text(&self) -> bool {
        !matches!(
            self,
            Target::RawBody | Target::RawHeader(_) | Target::AllRawHeaders | Target::MimeHeader(_)
        )
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Subject => f.write_str("subject"),
            Target::Body => f.write_str("body"),
            Target::RawBody => f.write_str("rawbody"),
            Target::Header(name) => write!(f, "header:{name}"),
            Target::AllHeaders => f.write_str("header"),
            Target::RawHeader(name) => write!(f, "rawheader:{name}"),
            Target::AllRawHeaders => f.write_str("rawheader"),
            Target::MimeHeader(name) => write!(f, "mimeheader:{name}"),
            Target::Url => f.write_str("url"),
            Target::Sender => f.write_str("sender"),
            Target::Recipient => f.write_str("recipient"),
        }
    }
}

/// Regex flags, spelled as in PCRE: `i`, `m`, `s`, `u`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// `i`: case-insensitive.
    pub caseless: bool,
    /// `m`: `^` and `$` match at line ends.
    pub multi_line: bool,
    /// `s`: `.` matches a newline too.
    pub dot_all: bool,
    /// `u`: UTF-8 and Unicode classes (text targets only).
    pub utf8: bool,
}

/// How a list rule compares its entries with the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListMatch {
    /// The whole value equals an entry (case-insensitive).
    Exact,
    /// The URL's host is an entry or a subdomain of one.
    Domain,
    /// An entry occurs anywhere in the text (case-insensitive).
    Contains,
}

/// What a rule matches with.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// PCRE-syntax regexes; the rule fires if any matches.
    Regex(Vec<String>),
    /// Literal strings; the rule fires if any occurs.
    Literal(Vec<String>),
    /// Entries of a list file.
    List {
        /// The list file, relative to the rules directory.
        path: String,
        /// Its entries, comments and blank lines removed.
        entries: Vec<String>,
        /// How an entry is compared.
        mode: ListMatch,
    },
}

/// Where a rule was defined, for error messages and `rules check`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The file, relative to the rules directory.
    pub file: String,
    /// The line of the rule's table.
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A signature rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// `UPPER_SNAKE_CASE`, unique in the directory; `__NAME` for a sub-rule.
    pub id: String,
    /// One line an operator reads beside the id.
    pub description: String,
    /// The score it adds when it fires (negative for signs of ham).
    pub score: f64,
    /// The channels it applies to.
    pub channels: Vec<Channel>,
    /// What it reads.
    pub target: Target,
    /// What it matches with.
    pub matcher: Matcher,
    /// Regex flags.
    pub flags: Flags,
    /// Where it is defined.
    pub origin: Origin,
}

impl Rule {
    /// Sub-rules (`__NAME`) exist only for meta rules: never shown, never scored.
    pub fn is_hidden(&self) -> bool {
        is_hidden(&self.id)
    }
}

/// A boolean expression over other rules' results.
#[derive(Clone, Debug)]
pub struct MetaRule {
    /// As a rule's id.
    pub id: String,
    /// One line an operator reads beside the id.
    pub description: String,
    /// The score it adds when the expression holds.
    pub score: f64,
    /// The expression over other symbols.
    pub expr: MetaExpr,
    /// Where it is defined.
    pub origin: Origin,
}

/// Score thresholds mapping a total to an action; `None` disables an action.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    /// Deliver with `X-Spam-*` headers from this score.
    pub tag: Option<f64>,
    /// Hold from this score.
    pub quarantine: Option<f64>,
    /// Refuse from this score.
    pub reject: Option<f64>,
    /// Ask for a retry from this score (off by default).
    pub tempfail: Option<f64>,
    /// Drop silently from this score (off by default).
    pub discard: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            tag: Some(5.0),
            quarantine: Some(10.0),
            reject: Some(15.0),
            tempfail: None,
            discard: None,
        }
    }
}

/// The policy file (`policy.toml`): thresholds, score overrides, limits and
/// each stage's configuration.
#[derive(Clone, Debug, Default)]
pub struct PolicyConfig {
    /// `[actions]`: the score each action starts at.
    pub thresholds: Thresholds,
    /// `[scores]`: symbol name and the score that replaces its own; the
    /// engine refuses a name none of its symbols has.
    pub score_overrides: Vec<(String, f64)>,
    /// `[limits] max_message_bytes`.
    pub max_message_bytes: Option<usize>,
    /// `[stage.NAME]`: a stage's own settings, by stage name, read by the
    /// stage when the engine is built; the engine refuses a table no stage
    /// of it reads.
    pub stages: std::collections::BTreeMap<String, toml::Table>,
}

/// A validated rules directory.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// The signature rules, in file order.
    pub rules: Vec<Rule>,
    /// The meta rules, in file order.
    pub metas: Vec<MetaRule>,
    /// `policy.toml`.
    pub policy: PolicyConfig,
    /// Classifier model files (`models/*.fwm`), by file name (`text.fwm`),
    /// as bytes: the classifier stage decodes and checks them when the
    /// engine is built, so a damaged file is an error naming it there.
    /// Shared, because an engine reload clones the set.
    pub models: std::collections::BTreeMap<String, std::sync::Arc<[u8]>>,
}

impl RuleSet {
    /// Loads and validates every `*.toml` file of a directory (and the list
    /// files they name).
    pub fn load_dir(dir: &Path) -> Result<RuleSet, RuleErrors> {
        RuleSource::dir(dir).and_then(|source| source.load())
    }

    /// Loads several rules directories as one set: the rules, meta rules and
    /// models of all of them, and the policy (`policy.toml`) of the first
    /// alone, so that one file decides thresholds and stage settings. An
    /// id defined in two directories is an error, as within one; a meta
    /// rule may read rules of any of them. `@builtin` names the rule set
    /// built into the binary, so that imported rules run beside it.
    pub fn load_dirs(dirs: &[std::path::PathBuf]) -> Result<RuleSet, RuleErrors> {
        let mut sets = Vec::with_capacity(dirs.len());
        let mut errors = Vec::new();
        for dir in dirs {
            let loaded = if dir.as_os_str() == BUILTIN_RULES {
                RuleSet::embedded()
            } else {
                RuleSet::load_dir(dir)
            };
            match loaded {
                Ok(set) => sets.push(set),
                Err(e) => errors.extend(e.0),
            }
        }
        if !errors.is_empty() {
            return Err(RuleErrors(errors));
        }
        let mut sets = sets.into_iter();
        let mut merged = sets.next().unwrap_or_default();
        let mut seen: std::collections::HashMap<String, Origin> = merged
            .rules
            .iter()
            .map(|r| (r.id.clone(), r.origin.clone()))
            .chain(
                merged
                    .metas
                    .iter()
                    .map(|m| (m.id.clone(), m.origin.clone())),
            )
            .collect();
        for set in sets {
            let ids = set
                .rules
                .iter()
                .map(|r| (&r.id, &r.origin))
                .chain(set.metas.iter().map(|m| (&m.id, &m.origin)));
            for (id, origin) in ids {
                if let Some(first) = seen.insert(id.clone(), origin.clone()) {
                    let detail =
                        format!("duplicate id (first defined at {first}, in another directory)");
                    errors.push(RuleError::new(&origin.file, origin.line, Some(id), detail));
                }
            }
            merged.rules.extend(set.rules);
            merged.metas.extend(set.metas);
            for (name, model) in set.models {
                merged.models.entry(name).or_insert(model);
            }
        }
        if errors.is_empty() {
            Ok(merged)
        } else {
            Err(RuleErrors(errors))
        }
    }

    /// The rule set shipped inside the binary (`rules/` at build time).
    pub fn embedded() -> Result<RuleSet, RuleErrors> {
        RuleSource::embedded().load()
    }

    /// Parses one rule file's text on its own (no list files, no policy):
    /// for tests, fuzzing and tools that hold rules in memory.
    pub fn from_toml(name: &str, text: &str) -> Result<RuleSet, RuleErrors> {
        RuleSource::text(name, text).load()
    }

    /// The rule of that id.
    pub fn find(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The name [`RuleSet::load_dirs`] reads as the rule set built into the binary.
pub const BUILTIN_RULES: &str = "@builtin";

/// Whether a symbol name is a hidden sub-rule.
pub fn is_hidden(id: &str) -> bool {
    id.starts_with("__")
}

/// Whether a rule id has the `UPPER_SNAKE_CASE` form operators expect.
pub fn is_valid_id(id: &str) -> bool {
    let name = id.trim_start_matches('_');
    !name.is_empty()
        && id.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
