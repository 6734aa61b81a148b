//! One rule file: TOML into validated [`Rule`]s and [`MetaRule`]s.
//!
//! Each `[[rule]]` table is converted on its own, so one bad rule yields one
//! error (with its line) and the others are still checked.

use serde::Deserialize;
use toml::Spanned;

use super::meta::MetaExpr;
use super::{
    Flags, ListMatch, Matcher, MetaRule, Origin, PolicyConfig, Rule, RuleError, Target, Thresholds,
};
use crate::message::Channel;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    meta: Vec<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    description: String,
    score: f64,
    #[serde(default)]
    channels: Option<Vec<String>>,
    target: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    patterns: Option<Vec<String>>,
    #[serde(default)]
    flags: Option<String>,
    #[serde(default)]
    list: Option<String>,
    #[serde(default, rename = "match")]
    list_match: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: String,
    description: String,
    score: f64,
    expr: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    actions: Option<RawActions>,
    #[serde(default)]
    scores: Option<toml::Table>,
    #[serde(default)]
    limits: Option<RawLimits>,
    /// `[stage.NAME]` tables: each stage's own configuration.
    #[serde(default)]
    stage: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActions {
    tag: Option<f64>,
    quarantine: Option<f64>,
    reject: Option<f64>,
    tempfail: Option<f64>,
    discard: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_message_bytes: Option<usize>,
}

/// Rules parsed from one file; list paths still to be read.
#[derive(Default)]
pub(super) struct ParsedFile {
    pub rules: Vec<Rule>,
    pub metas: Vec<MetaRule>,
}

/// Parses a rule file. Errors are pushed to `errors`; valid rules are kept.
pub(super) fn parse_rules(name: &str, text: &str, errors: &mut Vec<RuleError>) -> ParsedFile {
    let mut parsed = ParsedFile::default();
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            errors.push(RuleError::new(
                name,
                line_of(text, err.span().map_or(0, |s| s.start)),
                None,
                err.message(),
            ));
            return parsed;
        }
    };
    parsed.rules = convert_each(name, text, raw.rule, errors, convert_rule);
    parsed.metas = convert_each(name, text, raw.meta, errors, convert_meta);
    parsed
}

/// Converts each `[[rule]]` or `[[meta]]` table on its own, so one bad table
/// costs one error and the others are still checked.
fn convert_each<R: serde::de::DeserializeOwned, T>(
    name: &str,
    text: &str,
    items: Vec<Spanned<toml::Value>>,
    errors: &mut Vec<RuleError>,
    convert: fn(R, Origin) -> Result<T, String>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let origin = Origin {
            file: name.to_string(),
            line: line_of(text, item.span().start),
        };
        let id = item
            .get_ref()
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let converted = item
            .into_inner()
            .try_into::<R>()
            .map_err(|e| e.message().to_string())
            .and_then(|raw| convert(raw, origin.clone()));
        match converted {
            Ok(value) => out.push(value),
            Err(msg) => errors.push(RuleError::new(name, origin.line, id.as_deref(), msg)),
        }
    }
    out
}

/// Parses `policy.toml`.
pub(super) fn parse_policy(name: &str, text: &str) -> Result<PolicyConfig, RuleError> {
    let raw: RawPolicy = toml::from_str(text).map_err(|err| {
        RuleError::new(
            name,
            line_of(text, err.span().map_or(0, |s| s.start)),
            None,
            err.message(),
        )
    })?;
    let mut policy = PolicyConfig::default();
    if let Some(a) = raw.actions {
        policy.thresholds = Thresholds {
            tag: a.tag,
            quarantine: a.quarantine,
            reject: a.reject,
            tempfail: a.tempfail,
            discard: a.discard,
        };
    }
    for (symbol, value) in raw.scores.unwrap_or_default() {
        let score = value
            .as_float()
            .or_else(|| value.as_integer().map(|i| i as f64))
            .ok_or_else(|| RuleError::new(name, 1, Some(&symbol), "score must be a number"))?;
        policy.score_overrides.push((symbol, score));
    }
    policy.max_message_bytes = raw.limits.and_then(|l| l.max_message_bytes);
    for (stage, value) in raw.stage.unwrap_or_default() {
        match value {
            toml::Value::Table(table) => {
                policy.stages.insert(stage, table);
            }
            _ => {
                let detail = format!("[stage.{stage}] must be a table of the stage's settings");
                return Err(RuleError::new(name, 1, None, detail));
            }
        }
    }
    Ok(policy)
}

fn convert_rule(raw: RawRule, origin: Origin) -> Result<Rule, String> {
    check_common(&raw.id, &raw.description, raw.score)?;
    let target = Target::parse(&raw.target).ok_or_else(|| {
        format!("unknown target '{}' (subject, body, rawbody, header, header:NAME, rawheader, rawheader:NAME, mimeheader:NAME, url, sender, recipient)", raw.target)
    })?;
    let flags = parse_flags(raw.flags.as_deref().unwrap_or(""))?;
    if flags.utf8 && !target.is_text() {
        return Err("flag 'u' needs a text target; rawbody bytes need not be valid UTF-8".into());
    }
    let channels = match raw.channels {
        None => Channel::ALL.to_vec(),
        Some(names) if names.is_empty() => return Err("channels is empty".into()),
        Some(names) => names
            .iter()
            .map(|n| {
                Channel::parse(n).ok_or_else(|| format!("unknown channel '{n}' (email, sms, mms)"))
            })
            .collect::<Result<_, _>>()?,
    };
    let patterns = match (raw.pattern, raw.patterns) {
        (Some(p), None) => vec![p],
        (None, Some(ps)) => ps,
        (None, None) => Vec::new(),
        (Some(_), Some(_)) => return Err("give either pattern or patterns, not both".into()),
    };
    if patterns.iter().any(String::is_empty) {
        return Err("empty pattern".into());
    }
    let matcher = match raw.kind.as_deref().unwrap_or("regex") {
        "regex" | "literal" if patterns.is_empty() => return Err("no pattern given".into()),
        "regex" | "literal" if raw.list.is_some() => {
            return Err("'list' belongs to kind = \"list\"".into())
        }
        "regex" => Matcher::Regex(patterns),
        "literal" => Matcher::Literal(patterns),
        "list" => {
            if !patterns.is_empty() {
                return Err("a list rule takes 'list', not patterns".into());
            }
            let path = raw.list.ok_or("kind = \"list\" needs list = \"FILE\"")?;
            let mode = match raw.list_match.as_deref() {
                None => default_list_match(&target),
                Some("exact") => ListMatch::Exact,
                Some("domain") => ListMatch::Domain,
                Some("contains") => ListMatch::Contains,
                Some(other) => {
                    return Err(format!("unknown match '{other}' (exact, domain, contains)"))
                }
            };
            Matcher::List {
                path,
                entries: Vec::new(),
                mode,
            }
        }
        other => return Err(format!("unknown kind '{other}' (regex, literal, list)")),
    };
    Ok(Rule {
        id: raw.id,
        description: raw.description,
        score: raw.score,
        channels,
        target,
        matcher,
        flags,
        origin,
    })
}

fn convert_meta(raw: RawMeta, origin: Origin) -> Result<MetaRule, String> {
    check_common(&raw.id, &raw.description, raw.score)?;
    let expr = MetaExpr::parse(&raw.expr).map_err(|e| format!("expr: {e}"))?;
    Ok(MetaRule {
        id: raw.id,
        description: raw.description,
        score: raw.score,
        expr,
        origin,
    })
}

fn check_common(id: &str, description: &str, score: f64) -> Result<(), String> {
    if !super::is_valid_id(id) {
        return Err(format!(
            "id '{id}' must be UPPER_SNAKE_CASE (letters, digits, '_'), at most 64 characters"
        ));
    }
    if description.trim().is_empty() || description.contains('\n') {
        return Err("description must be one non-empty line".into());
    }
    if !score.is_finite() {
        return Err("score must be a finite number".into());
    }
    Ok(())
}

fn default_list_match(target: &Target) -> ListMatch {
    match target {
        Target::Url => ListMatch::Domain,
        Target::Sender | Target::Recipient => ListMatch::Exact,
        _ => ListMatch::Contains,
    }
}

fn parse_flags(text: &str) -> Result<Flags, String> {
    let mut flags = Flags::default();
    for c in text.chars() {
        match c {
            'i' => flags.caseless = true,
            'm' => flags.multi_line = true,
            's' => flags.dot_all = true,
            'u' => flags.utf8 = true,
            other => return Err(format!("unknown flag '{other}' (i, m, s, u)")),
        }
    }
    Ok(flags)
}

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
