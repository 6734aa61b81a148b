//! The import summary: rules by kind and outcome, patterns by engine, and
//! the `eval:` functions left out, by name and count.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::Config;
use super::convert::{Converted, Outcome, RuleReport};

/// Counts for one rule kind.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KindCounts {
    /// Definitions read (after conditions and overrides).
    pub defined: usize,
    /// Imported.
    pub imported: usize,
    /// Not run by SpamAssassin in score set 0 (score 0; an eval with `net` or `learn`).
    pub disabled: usize,
    /// Metas that cannot fire once rules they need are left out.
    pub never_fire: usize,
    /// Not imported: an `eval:` floodwall lacks, or another reason.
    pub unsupported: usize,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// The SpamAssassin files read, in order.
    pub files: Vec<String>,
    /// By kind (`body`, `header`, ...).
    pub kinds: BTreeMap<String, KindCounts>,
    /// Imported patterns by the engine the signature stage gives them.
    pub engines: BTreeMap<String, usize>,
    /// `eval:` functions not implemented: rules using each (only rules
    /// SpamAssassin would run).
    pub unsupported_evals: BTreeMap<String, usize>,
    /// Other unsupported rules: reason (without the rule's details) → count.
    pub unsupported_reasons: BTreeMap<String, usize>,
    /// Every rule not imported though SpamAssassin runs it, with the reason.
    pub unsupported: Vec<(String, String)>,
    /// Floodwall rules and metas written.
    pub floodwall_rules: usize,
    /// Floodwall meta rules written.
    pub floodwall_metas: usize,
    /// SpamAssassin's `required_score`, the tag threshold written.
    pub required_score: f64,
    /// Every SpamAssassin rule read, with its kind and what became of it
    /// (what a comparison with SpamAssassin groups its figures by).
    pub rules: Vec<RuleReport>,
}

impl Summary {
    /// Summarises a conversion.
    pub fn new(config: &Config, converted: &Converted) -> Summary {
        let mut summary = Summary {
            files: config
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            engines: converted
                .engines
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            floodwall_rules: converted.rules.len(),
            floodwall_metas: converted.metas.len(),
            required_score: config.required_score,
            rules: converted.reports.clone(),
            ..Summary::default()
        };
        for report in &converted.reports {
            let counts = summary.kinds.entry(report.kind.to_string()).or_default();
            counts.defined += 1;
            match &report.outcome {
                Outcome::Imported => counts.imported += 1,
                Outcome::Disabled => counts.disabled += 1,
                Outcome::NeverFires => counts.never_fire += 1,
                Outcome::Unsupported(why) => {
                    counts.unsupported += 1;
                    match &report.eval {
                        Some(eval) => {
                            *summary.unsupported_evals.entry(eval.clone()).or_default() += 1
                        }
                        None => {
                            *summary
                                .unsupported_reasons
                                .entry(reason_class(why))
                                .or_default() += 1
                        }
                    }
                    summary.unsupported.push((report.name.clone(), why.clone()));
                }
            }
        }
        summary
    }

    /// The summary as an operator reads it.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("read {} files\n\n", self.files.len()));
        out.push_str(&format!(
            "{:<11} {:>8} {:>8} {:>8} {:>11} {:>11}\n",
            "kind", "defined", "imported", "disabled", "never-fires", "unsupported"
        ));
        let mut total = KindCounts::default();
        for (kind, c) in &self.kinds {
            out.push_str(&format!(
                "{kind:<11} {:>8} {:>8} {:>8} {:>11} {:>11}\n",
                c.defined, c.imported, c.disabled, c.never_fire, c.unsupported
            ));
            total.defined += c.defined;
            total.imported += c.imported;
            total.disabled += c.disabled;
            total.never_fire += c.never_fire;
            total.unsupported += c.unsupported;
        }
        out.push_str(&format!(
            "{:<11} {:>8} {:>8} {:>8} {:>11} {:>11}\n\n",
            "total",
            total.defined,
            total.imported,
            total.disabled,
            total.never_fire,
            total.unsupported
        ));
        out.push_str("patterns by engine:\n");
        for (engine, n) in &self.engines {
            out.push_str(&format!("  {engine:<26} {n:>6}\n"));
        }
        out.push_str(&format!(
            "\nfloodwall rules written: {} ({} meta), tag threshold {}\n",
            self.floodwall_rules + self.floodwall_metas,
            self.floodwall_metas,
            self.required_score
        ));
        let mut evals: Vec<_> = self.unsupported_evals.iter().collect();
        evals.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        out.push_str(&format!(
            "\nunsupported eval functions ({}):\n",
            evals.len()
        ));
        for (name, n) in evals {
            out.push_str(&format!("  {n:>4}  {name}\n"));
        }
        out.push_str("\nother unsupported rules, by reason:\n");
        let mut reasons: Vec<_> = self.unsupported_reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (why, n) in reasons {
            out.push_str(&format!("  {n:>4}  {why}\n"));
        }
        out
    }
}

/// A reason without the specifics that make each one unique (the pattern).
fn reason_class(why: &str) -> String {
    if !why.starts_with("pattern /") {
        return why.to_string();
    }
    if why.ends_with("can match the empty string") {
        return "pattern can match the empty string".into();
    }
    match why.rfind("/: ") {
        Some(at) if why[at..].starts_with("/: Hyperscan") => {
            format!("pattern refused by {}", &why[at + 3..])
        }
        Some(at) => format!("pattern refused by PCRE2: {}", &why[at + 3..]),
        None => "pattern refused".into(),
    }
}
