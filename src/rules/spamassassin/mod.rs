//! Importing SpamAssassin rule sets.
//!
//! Mail operators own SpamAssassin configurations: the stock rules and years
//! of local ones. [`import`] reads them from where SpamAssassin is installed
//! (never from a copy in this repository: the rules stay the operator's),
//! in SpamAssassin's load order ([`config`]), and converts each rule into
//! floodwall's rule format ([`convert`]): regexes keep their Perl meaning
//! ([`perl_regex`]), meta arithmetic becomes boolean `atleast` expressions
//! of the same truth table ([`meta_expr`]), and scores come from score set
//! 0, the one SpamAssassin uses without Bayes and network tests.
//! [`write_dir`] writes the result as a rules directory an operator reads
//! and edits, which `floodwall scan --rules` runs alone or beside other
//! rules; [`Summary`] says what was imported and what was not, and why.
//!
//! Body text differences left (see the top-level README's "SpamAssassin
//! rules"): floodwall's `body` target is the decoded text parts with HTML
//! reduced to text and line breaks kept, where SpamAssassin's joins each
//! paragraph into one line; SpamAssassin's `rawbody` is the decoded parts
//! with markup, floodwall's the undecoded bytes.

pub mod condition;
pub mod config;
pub mod convert;
mod error;
pub mod evals;
pub mod meta_expr;
pub mod perl_regex;
mod replace_tags;
mod summary;
mod write;

use std::path::PathBuf;

pub use config::Config;
pub use error::{CfError, CfErrorKind, CfErrors};
pub use summary::Summary;
pub use write::write_dir;

use crate::rules::{PolicyConfig, RuleSet, Thresholds};

/// A converted SpamAssassin configuration.
#[derive(Debug)]
pub struct Import {
    /// The floodwall rules, ready to build an engine from.
    pub rules: RuleSet,
    /// What was imported and what was not.
    pub summary: Summary,
    /// SpamAssassin's definition line of each symbol, for the written files.
    pub sources: std::collections::HashMap<String, String>,
}

/// Reads SpamAssassin configuration from `sources` (directories or files)
/// and converts it.
pub fn import(sources: &[PathBuf], prefix: &str) -> Result<Import, CfErrors> {
    Config::read(sources).map(|config| import_prefixed(&config, prefix))
}

/// Converts configuration already read, each rule under its SpamAssassin name.
pub fn import_config(config: &Config) -> Import {
    import_prefixed(config, "")
}

/// Converts configuration already read, each id with `prefix` (after its
/// leading underscores), so that the rules can run beside a rule set that
/// defines some of the same names (SpamAssassin's `GTUBE` beside ours).
pub fn import_prefixed(config: &Config, prefix: &str) -> Import {
    let converted = convert::convert(config, prefix);
    let summary = Summary::new(config, &converted);
    let policy = PolicyConfig {
        thresholds: Thresholds {
            tag: Some(config.required_score),
            quarantine: None,
            reject: None,
            tempfail: None,
            discard: None,
        },
        // floodwall's own decode symbols would add to SpamAssassin's scores.
        score_overrides: crate::symbols::BUILTINS
            .iter()
            .map(|b| (b.name.to_string(), 0.0))
            .collect(),
        ..PolicyConfig::default()
    };
    Import {
        rules: RuleSet {
            rules: converted.rules,
            metas: converted.metas,
            policy,
            models: Default::default(),
        },
        summary,
        sources: converted.sources,
    }
}
