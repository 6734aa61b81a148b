//! Signature stage: every regex, literal and list rule, grouped by channel
//! and target, each group scanned in one pass.
//!
//! Per (channel, target) there is one Hyperscan database holding all regex
//! and literal rules (including the prefilter forms of rules Hyperscan cannot
//! run exactly), one Aho-Corasick automaton for phrase lists, and the block
//! lists. See [`compile`] for how each pattern's engine is chosen.

mod compile;
mod lists;
mod targets;

use std::collections::BTreeMap;
use std::sync::Arc;

use hyperscan::prelude::*;

pub use compile::EnginePath;
pub use lists::BLOOM_MIN_ENTRIES;

use super::{Evidence, Stage, StageScratch};
use crate::message::{Channel, Message};
use crate::rules::{ListMatch, Matcher, Origin, RuleError, RuleErrors, RuleSet, Target};
use crate::symbols::{SymbolId, SymbolTable};
use compile::{compile_database, prepare_literal, prepare_regex, PreparedPattern};
use lists::{BlockList, PhraseLists};

type Regex = Arc<pcre2::bytes::Regex>;

/// How one rule was compiled, for `floodwall rules check`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RulePlan {
    pub id: String,
    #[serde(skip)]
    pub origin: Origin,
    pub target: String,
    pub channels: Vec<Channel>,
    /// The engine of each pattern (one entry for a list rule).
    pub paths: Vec<EnginePath>,
}

struct HsEntry {
    symbol: SymbolId,
    confirm: Option<Regex>,
}

struct TargetGroup {
    target: Target,
    db: Option<BlockDatabase>,
    entries: Vec<HsEntry>,
    always: Vec<(SymbolId, Regex)>,
    phrases: Option<PhraseLists>,
    blocks: Vec<BlockList>,
}

/// The compiled signature rules.
pub struct SignatureStage {
    groups: [Vec<TargetGroup>; 3],
    plans: Vec<RulePlan>,
}

/// Per-thread state: Hyperscan scratch big enough for every database, and
/// reused buffers.
pub struct SignatureScratch {
    hs: Option<Scratch>,
    buf: Vec<u8>,
    hits: Vec<u32>,
}

impl SignatureStage {
    /// Compiles `rules`; their symbols must already be in `table`.
    pub fn build(rules: &RuleSet, table: &SymbolTable) -> Result<SignatureStage, RuleErrors> {
        let mut errors = Vec::new();
        let mut plans = Vec::new();
        let mut prepared: Vec<Vec<PreparedPattern>> = Vec::new();
        for rule in &rules.rules {
            let fail = |msg: String| {
                RuleError::new(&rule.origin.file, rule.origin.line, Some(&rule.id), msg)
            };
            let patterns: Vec<PreparedPattern> = match &rule.matcher {
                Matcher::Regex(ps) => ps
                    .iter()
                    .filter_map(|p| {
                        prepare_regex(p, rule.flags)
                            .map_err(|m| errors.push(fail(m)))
                            .ok()
                    })
                    .collect(),
                Matcher::Literal(ls) => ls.iter().map(|l| prepare_literal(l, rule.flags)).collect(),
                Matcher::List { .. } => Vec::new(),
            };
            let paths = match &rule.matcher {
                Matcher::List {
                    mode: ListMatch::Contains,
                    ..
                } => vec![EnginePath::AhoCorasick],
                Matcher::List { entries, .. } if entries.len() >= BLOOM_MIN_ENTRIES => {
                    vec![EnginePath::Bloom]
                }
                Matcher::List { .. } => vec![EnginePath::HashSet],
                _ => patterns.iter().map(|p| p.path).collect(),
            };
            plans.push(RulePlan {
                id: rule.id.clone(),
                origin: rule.origin.clone(),
                target: rule.target.to_string(),
                channels: rule.channels.clone(),
                paths,
            });
            prepared.push(patterns);
        }

        let mut by_group: BTreeMap<(Channel, Target), Vec<usize>> = BTreeMap::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            for &channel in &rule.channels {
                by_group
                    .entry((channel, rule.target.clone()))
                    .or_default()
                    .push(i);
            }
        }
        let mut groups: [Vec<TargetGroup>; 3] = Default::default();
        for ((channel, target), members) in by_group {
            match build_group(rules, table, &prepared, target, &members) {
                Ok(group) => groups[channel.index()].push(group),
                Err(err) => errors.push(err),
            }
        }
        if errors.is_empty() {
            Ok(SignatureStage { groups, plans })
        } else {
            errors.dedup();
            Err(RuleErrors(errors))
        }
    }

    /// How each rule was compiled.
    pub fn plans(&self) -> &[RulePlan] {
        &self.plans
    }

    /// Number of Hyperscan databases (one per channel and target with regexes).
    pub fn database_count(&self) -> usize {
        self.groups
            .iter()
            .flatten()
            .filter(|g| g.db.is_some())
            .count()
    }

    fn scratch(&self) -> SignatureScratch {
        let mut hs: Option<Scratch> = None;
        for db in self.groups.iter().flatten().filter_map(|g| g.db.as_ref()) {
            match &mut hs {
                None => {
                    hs = Some(
                        db.alloc_scratch()
                            .expect("Hyperscan scratch allocation for a compiled database"),
                    )
                }
                Some(s) => db
                    .realloc_scratch(s)
                    .map(|_| ())
                    .expect("Hyperscan scratch growth for a compiled database"),
            }
        }
        SignatureScratch {
            hs,
            buf: Vec::with_capacity(8192),
            hits: Vec::with_capacity(64),
        }
    }
}

fn build_group(
    rules: &RuleSet,
    table: &SymbolTable,
    prepared: &[Vec<PreparedPattern>],
    target: Target,
    members: &[usize],
) -> Result<TargetGroup, RuleError> {
    let symbol = |i: usize| {
        table
            .lookup(&rules.rules[i].id)
            .expect("rule symbols are registered before compiling")
    };
    let mut group = TargetGroup {
        target,
        db: None,
        entries: Vec::new(),
        always: Vec::new(),
        phrases: None,
        blocks: Vec::new(),
    };
    let mut hs_patterns: Vec<(&PreparedPattern, usize)> = Vec::new();
    let mut phrase_lists = Vec::new();
    for &i in members {
        for p in &prepared[i] {
            match (p.path, &p.confirm) {
                (EnginePath::Pcre2, Some(re)) => group.always.push((symbol(i), re.clone())),
                _ => hs_patterns.push((p, i)),
            }
        }
        if let Matcher::List { entries, mode, .. } = &rules.rules[i].matcher {
            match mode {
                ListMatch::Contains => phrase_lists.push((symbol(i), entries.as_slice())),
                _ => group
                    .blocks
                    .push(BlockList::build(symbol(i), *mode, entries)),
            }
        }
    }
    group.phrases = PhraseLists::build(&phrase_lists).map_err(|m| {
        let rule = &rules.rules[members[0]];
        RuleError::new(
            &rule.origin.file,
            rule.origin.line,
            None,
            format!("phrase lists of {}: {m}", group.target),
        )
    })?;
    if !hs_patterns.is_empty() {
        let patterns: Vec<&PreparedPattern> = hs_patterns.iter().map(|(p, _)| *p).collect();
        group.db = Some(compile_database(&patterns).map_err(|(index, message)| {
            let rule = &rules.rules[index.map_or(members[0], |x| hs_patterns[x].1)];
            RuleError::new(
                &rule.origin.file,
                rule.origin.line,
                index.map(|_| rule.id.as_str()),
                format!("Hyperscan: {message}"),
            )
        })?);
        group.entries = hs_patterns
            .iter()
            .map(|(p, i)| HsEntry {
                symbol: symbol(*i),
                confirm: p.confirm.clone(),
            })
            .collect();
    }
    Ok(group)
}

impl TargetGroup {
    fn scan(
        &self,
        text: &[u8],
        hs: Option<&Scratch>,
        hits: &mut Vec<u32>,
        evidence: &mut Evidence,
    ) {
        if let (Some(db), Some(scratch)) = (&self.db, hs) {
            hits.clear();
            let scanned = db.scan(text, scratch, |id, _, _, _| {
                hits.push(id);
                Matching::Continue
            });
            if scanned.is_ok() {
                for &id in hits.iter() {
                    let entry = &self.entries[id as usize];
                    if evidence.has(entry.symbol) {
                        continue;
                    }
                    let confirmed = entry
                        .confirm
                        .as_ref()
                        .is_none_or(|re| re.is_match(text).unwrap_or(false));
                    if confirmed {
                        evidence.fire(entry.symbol);
                    }
                }
            }
        }
        for (symbol, re) in &self.always {
            if !evidence.has(*symbol) && re.is_match(text).unwrap_or(false) {
                evidence.fire(*symbol);
            }
        }
        if let Some(phrases) = &self.phrases {
            phrases.scan(text, |s| evidence.fire(s));
        }
        if !self.blocks.is_empty() {
            if let Ok(value) = std::str::from_utf8(text) {
                for list in &self.blocks {
                    if !evidence.has(list.symbol) && list.contains(value) {
                        evidence.fire(list.symbol);
                    }
                }
            }
        }
    }
}

impl Stage for SignatureStage {
    fn name(&self) -> &'static str {
        "signature"
    }

    fn new_scratch(&self) -> StageScratch {
        Box::new(self.scratch())
    }

    fn run(&self, msg: &Message<'_>, scratch: &mut StageScratch, evidence: &mut Evidence) {
        if msg.is_notification {
            return;
        }
        let scratch = scratch
            .downcast_mut::<SignatureScratch>()
            .expect("signature stage runs with its own scratch");
        let SignatureScratch { hs, buf, hits } = scratch;
        for group in &self.groups[msg.channel.index()] {
            targets::for_each_text(msg, &group.target, buf, |text| {
                group.scan(text, hs.as_ref(), hits, evidence)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::ingest::Protocol;
    use crate::message::{Address, TextPart};
    use crate::Engine;

    fn engine(rules: &str) -> Engine {
        Engine::builder(RuleSet::from_toml("t.toml", rules).unwrap())
            .build()
            .unwrap()
    }

    fn sms(text: &str, from: &str) -> Message<'static> {
        let mut msg = Message::new(
            Channel::Sms,
            Cow::Owned(text.as_bytes().to_vec()),
            Protocol::None,
        );
        msg.text_parts.push(TextPart {
            content_type: "text/plain".into(),
            text: text.into(),
        });
        msg.envelope.sender = Some(Address::new(from));
        crate::ingest::urls::extract(text, &mut msg.urls);
        msg
    }

    fn fired(engine: &Engine, msg: &Message<'_>) -> Vec<String> {
        let mut names: Vec<String> = engine
            .scan(msg, &mut engine.scratch())
            .symbols
            .into_iter()
            .map(|s| s.name)
            .collect();
        names.sort();
        names
    }

    const RULES: &str = r#"
[[rule]]
id = "HS_RULE"
description = "plain regex"
score = 1.0
target = "body"
pattern = 'win\s+cash'
flags = "i"

[[rule]]
id = "LOOKAHEAD_RULE"
description = "look-ahead: prefilter + confirm"
score = 1.0
target = "body"
pattern = 'prize(?!\s+draw)'

[[rule]]
id = "BACKREF_RULE"
description = "back-reference: confirm only"
score = 1.0
target = "body"
pattern = '\b(\w+)\s+\1\b'

[[rule]]
id = "LITERAL_RULE"
description = "literal with regex metacharacters"
score = 1.0
target = "body"
kind = "literal"
pattern = "a.b*c"

[[rule]]
id = "EMAIL_ONLY"
description = "never on SMS"
score = 1.0
channels = ["email"]
target = "body"
pattern = 'cash'
"#;

    #[test]
    fn each_engine_path_fires_and_stays_quiet_correctly() {
        let e = engine(RULES);
        let paths: Vec<(&str, Vec<EnginePath>)> = e
            .rule_plans()
            .iter()
            .map(|p| (p.id.as_str(), p.paths.clone()))
            .collect();
        assert!(paths.contains(&("HS_RULE", vec![EnginePath::Hyperscan])));
        assert!(
            paths.contains(&("LOOKAHEAD_RULE", vec![EnginePath::Prefilter])),
            "{paths:?}"
        );
        assert!(
            paths.contains(&("BACKREF_RULE", vec![EnginePath::Prefilter]))
                || paths.contains(&("BACKREF_RULE", vec![EnginePath::Pcre2]))
        );
        assert_eq!(fired(&e, &sms("WIN  cash now", "x")), ["HS_RULE"]);
        assert_eq!(fired(&e, &sms("a prize for you", "x")), ["LOOKAHEAD_RULE"]);
        assert!(
            fired(&e, &sms("the prize draw", "x")).is_empty(),
            "prefilter candidates are confirmed"
        );
        assert_eq!(fired(&e, &sms("buy buy now", "x")), ["BACKREF_RULE"]);
        assert_eq!(fired(&e, &sms("xa.b*cx", "x")), ["LITERAL_RULE"]);
        assert!(
            fired(&e, &sms("abbbc", "x")).is_empty(),
            "literal metacharacters are literal"
        );
    }

    #[test]
    fn notifications_are_not_content_scored() {
        let e = engine(RULES);
        let mut msg = sms("win cash", "x");
        msg.is_notification = true;
        assert!(fired(&e, &msg).is_empty());
    }

    #[test]
    fn empty_matching_patterns_are_errors() {
        let rules = "[[rule]]\nid = \"EMPTY\"\ndescription = \"x\"\nscore = 1.0\ntarget = \"body\"\npattern = 'a*'\n";
        let err = Engine::builder(RuleSet::from_toml("e.toml", rules).unwrap())
            .build()
            .unwrap_err();
        assert!(err.0[0].message.contains("empty"), "{err}");
        assert_eq!(err.0[0].rule.as_deref(), Some("EMPTY"));
    }

    #[test]
    fn invalid_regex_is_an_error_naming_the_rule() {
        let rules = "[[rule]]\nid = \"BROKEN\"\ndescription = \"x\"\nscore = 1.0\ntarget = \"body\"\npattern = 'a(b'\n";
        let err = Engine::builder(RuleSet::from_toml("e.toml", rules).unwrap())
            .build()
            .unwrap_err();
        assert_eq!(err.0[0].rule.as_deref(), Some("BROKEN"));
        assert_eq!(err.0[0].line, 1);
    }
}
