//! Assembling one (channel, target) group from its rules' prepared
//! patterns: which patterns share the Hyperscan database, which a lazy DFA
//! takes and which run alone behind a gate, as [tuning](crate::stage::signature::tuning)
//! decided; then compiling (or loading from the cache) every database.

use std::collections::HashMap;
use std::path::Path;

use regex_syntax::hir::Hir;

use crate::rules::{Flags, ListMatch, Matcher, RuleError, RuleSet, Target};
use crate::stage::signature::build::compile::{prepare_literal, EnginePath, PreparedPattern};
use crate::stage::signature::build::{cache, interim};
use crate::stage::signature::gate::narrow::Narrowing;
use crate::stage::signature::scan::group::{
    GroupDfa, HsEntry, SlowGate, SlowMatcher, SlowPattern, TargetGroup,
};
use crate::stage::signature::scan::lazy_dfa::LazyDfa;
use crate::stage::signature::scan::lists::{BlockLists, PhraseLists};
use crate::stage::signature::scan::regexes::RegexRegistry;
use crate::stage::signature::tuning::split::{self, Decision, Gate, Placement};
use crate::stage::signature::tuning::wire_sample::wire_form;
use crate::symbols::{SymbolId, SymbolTable};

/// How a group is built: where the cache is, and the sample to profile on
/// (`None`: no split, every Hyperscan pattern in the shared database).
pub(in crate::stage::signature) struct GroupOptions<'a> {
    pub cache_dir: Option<&'a Path>,
    pub sample: Option<&'a [u8]>,
    pub threshold: Option<f64>,
    pub lazy_dfa: bool,
    /// Build the [interim plan](crate::stage::signature::build::interim):
    /// no Hyperscan database, every pattern through PCRE2 and every
    /// phrase list through Aho-Corasick.
    pub interim: bool,
}

/// A lazy DFA while the group is built: its patterns' regex-syntax forms,
/// the patterns (for the fallback database), their first rules (for errors)
/// and all their rules.
#[derive(Default)]
struct DfaParts<'p> {
    hirs: Vec<Hir>,
    patterns: Vec<&'p PreparedPattern>,
    owner: Vec<usize>,
    symbols: Vec<Vec<SymbolId>>,
}

/// One Hyperscan pattern's profile, for `rules check --profile`.
pub(in crate::stage::signature) struct Profiled {
    pub rule: usize,
    pub expression: String,
    pub path: EnginePath,
    pub decision: Decision,
}

/// What building the groups collects across all of them.
#[derive(Default)]
pub(in crate::stage::signature) struct Built {
    pub profiled: Vec<Profiled>,
    pub regexes: RegexRegistry,
    /// Lazy DFAs built so far: the next one's scratch slot.
    pub lazy_dfas: usize,
}

pub(in crate::stage::signature) fn build_group(
    rules: &RuleSet,
    table: &SymbolTable,
    prepared: &[Vec<PreparedPattern>],
    target: Target,
    members: &[usize],
    options: &GroupOptions<'_>,
    built: &mut Built,
) -> Result<TargetGroup, RuleError> {
    let Built {
        profiled,
        regexes,
        lazy_dfas,
    } = built;
    let symbol = |i: usize| {
        table
            .lookup(&rules.rules[i].id)
            .expect("rule symbols are registered before compiling")
    };
    let mut group = TargetGroup {
        target,
        db: None,
        entries: Vec::new(),
        gates: Vec::new(),
        dfas: Vec::new(),
        slow: Vec::new(),
        word_passes: Vec::new(),
        always: Vec::new(),
        phrases: None,
        blocks: BlockLists::default(),
    };
    let mut hs_patterns: Vec<(&PreparedPattern, usize)> = Vec::new();
    // Phrase-list literals: cheap by construction, so never profiled (a
    // 10,000-phrase list would otherwise compile 10,000 one-pattern databases).
    let mut phrase_patterns: Vec<(&PreparedPattern, usize)> = Vec::new();
    let mut phrase_lists = Vec::new();
    let mut block_lists = Vec::new();
    for &i in members {
        let list = match &rules.rules[i].matcher {
            Matcher::List { entries, mode, .. } => Some((entries, *mode)),
            _ => None,
        };
        for p in &prepared[i] {
            match (p.path, &p.confirm) {
                (EnginePath::Pcre2, Some(re)) => group.always.push((symbol(i), regexes.add(re))),
                _ if list.is_some() && options.interim => {}
                _ if list.is_some() => phrase_patterns.push((p, i)),
                _ => hs_patterns.push((p, i)),
            }
        }
        match list {
            Some((entries, ListMatch::Contains)) if prepared[i].is_empty() || options.interim => {
                phrase_lists.push((symbol(i), entries.as_slice()))
            }
            Some((_, ListMatch::Contains)) | None => {}
            Some((entries, mode)) => block_lists.push((symbol(i), mode, entries.as_slice())),
        }
    }
    let fail = |index: Option<usize>, message: String| {
        let rule = &rules.rules[index.unwrap_or(members[0])];
        RuleError::new(
            &rule.origin.file,
            rule.origin.line,
            index.map(|_| rule.id.as_str()),
            message,
        )
    };
    group.blocks = BlockLists::build(&block_lists);
    group.phrases = PhraseLists::build(&phrase_lists)
        .map_err(|m| fail(None, format!("phrase lists of {}: {m}", group.target)))?;
    if hs_patterns.is_empty() && phrase_patterns.is_empty() {
        return Ok(group);
    }
    let all: Vec<&PreparedPattern> = hs_patterns.iter().map(|(p, _)| *p).collect();
    // A raw body is the text as it travels: see `wire_sample`.
    let wire;
    let sample = match options.sample {
        Some(text) if group.target == Target::RawBody => {
            wire = wire_form(text);
            Some(wire.as_slice())
        }
        other => other,
    };
    let mut decisions = match sample {
        _ if options.interim => interim::decisions(&all),
        Some(sample) if all.len() > 1 => {
            split::decide(&all, sample, options.cache_dir, options.threshold)
        }
        _ => Vec::new(),
    };
    let mut dfa_forms = match sample {
        Some(sample) if options.lazy_dfa && !decisions.is_empty() => {
            split::choose_lazy_dfa(&all, &mut decisions, sample, options.cache_dir)
        }
        _ => HashMap::new(),
    };
    let placement = |k: usize| decisions.get(k).map_or(Placement::Shared, |d| d.placement);

    let mut shared: Vec<&PreparedPattern> = Vec::new();
    let mut shared_owner: Vec<usize> = Vec::new();
    let mut gate_patterns: Vec<PreparedPattern> = Vec::new();
    let mut slow_index: HashMap<(&str, u32), usize> = HashMap::new();
    let mut dfa_index: HashMap<(&str, u32), (usize, usize)> = HashMap::new();
    let dfa_count = dfa_forms.values().map(|(d, _)| d + 1).max().unwrap_or(0);
    let mut dfa_parts: Vec<DfaParts> = (0..dfa_count).map(|_| DfaParts::default()).collect();
    let mut shared_index: HashMap<(&str, u32), usize> = HashMap::new();
    // Phrase literals come last, past the decisions: placed shared.
    for (k, (p, i)) in hs_patterns.iter().chain(&phrase_patterns).enumerate() {
        let hs_error = |index: Option<usize>, message: String| {
            fail(Some(*i).filter(|_| index.is_some()), message)
        };
        let key = p.key();
        match placement(k) {
            Placement::Shared if shared_index.contains_key(&key) => {
                group.entries[shared_index[&key]].symbols.push(symbol(*i));
            }
            Placement::Shared => {
                shared_index.insert(key, group.entries.len());
                shared.push(*p);
                shared_owner.push(*i);
                group.entries.push(HsEntry {
                    symbols: vec![symbol(*i)],
                    confirm: p.confirm.as_ref().map(|re| regexes.add(re)),
                });
            }
            Placement::LazyDfa => match dfa_index.get(&key) {
                Some(&(d, x)) => dfa_parts[d].symbols[x].push(symbol(*i)),
                None => {
                    let (d, hir) = dfa_forms
                        .remove(&k)
                        .expect("the first pattern of each lazy-DFA key has its form");
                    let parts = &mut dfa_parts[d];
                    dfa_index.insert(key, (d, parts.symbols.len()));
                    parts.symbols.push(vec![symbol(*i)]);
                    parts.hirs.push(hir);
                    parts.patterns.push(*p);
                    parts.owner.push(*i);
                }
            },
            _ if slow_index.contains_key(&key) => {
                group.slow[slow_index[&key]].symbols.push(symbol(*i));
            }
            placement => {
                let decision = &decisions[k];
                let matcher = match (&decision.regex, placement) {
                    (Some(re), Placement::GatedPcre2 | Placement::Pcre2) => {
                        SlowMatcher::Pcre2(regexes.add(re))
                    }
                    _ => SlowMatcher::Hyperscan {
                        db: cache::database(options.cache_dir, &[p])
                            .map_err(|(x, m)| hs_error(x, format!("Hyperscan: {m}")))?,
                        confirm: p.confirm.as_ref().map(|re| regexes.add(re)),
                    },
                };
                let slot = group.slow.len() as u32;
                let gate = match &decision.gate {
                    None => SlowGate::None,
                    Some(Gate::WordRun(n)) => SlowGate::WordRun(
                        *n,
                        p.syntax().and_then(|hir| Narrowing::of(hir, p.rule_flags)),
                    ),
                    Some(Gate::RepeatedWord(r)) => {
                        let pass = match group.word_passes.iter().position(|w| w == r.pass()) {
                            Some(pass) => pass,
                            None => {
                                group.word_passes.push(r.pass().clone());
                                group.word_passes.len() - 1
                            }
                        };
                        SlowGate::RepeatedWord(r.clone(), pass)
                    }
                    Some(Gate::Literals(literals)) => {
                        for literal in literals {
                            gate_patterns.push(gate_pattern(literal));
                            group.gates.push(slot);
                        }
                        SlowGate::Literals
                    }
                };
                slow_index.insert(key, group.slow.len());
                group.slow.push(SlowPattern {
                    symbols: vec![symbol(*i)],
                    gate,
                    matcher,
                });
            }
        }
    }
    for parts in dfa_parts.into_iter().filter(|parts| !parts.hirs.is_empty()) {
        let owner = |x: usize| parts.owner.get(x).copied();
        let fallback = cache::database(options.cache_dir, &parts.patterns)
            .map_err(|(x, m)| fail(x.and_then(owner), format!("Hyperscan: {m}")))?;
        let dfa = LazyDfa::new(&parts.hirs, fallback, *lazy_dfas)
            .map_err(|m| fail(None, format!("lazy DFA of {}: {m}", group.target)))?;
        *lazy_dfas += 1;
        group.dfas.push(GroupDfa {
            dfa,
            symbols: parts.symbols,
        });
    }
    shared.extend(gate_patterns.iter());
    if !shared.is_empty() {
        let owner = |x: usize| shared_owner.get(x).copied();
        group.db = Some(
            cache::database(options.cache_dir, &shared)
                .map_err(|(x, m)| fail(x.and_then(owner), format!("Hyperscan: {m}")))?,
        );
    }
    if options.interim {
        return Ok(group);
    }
    profiled.extend(
        hs_patterns
            .iter()
            .zip(decisions)
            .map(|((p, i), decision)| Profiled {
                rule: *i,
                expression: p.expression.clone(),
                path: p.path,
                decision,
            }),
    );
    Ok(group)
}

/// A gate literal as a caseless literal pattern.
fn gate_pattern(literal: &[u8]) -> PreparedPattern {
    let text = String::from_utf8_lossy(literal);
    prepare_literal(
        &text,
        Flags {
            caseless: true,
            ..Flags::default()
        },
    )
}
