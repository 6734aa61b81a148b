//! SpamAssassin rule definitions into floodwall rules and meta rules.
//!
//! Each SpamAssassin rule becomes one floodwall symbol of the same name
//! (upper-cased where SpamAssassin allowed lower case, which floodwall ids do
//! not). Where one floodwall rule cannot say what the SpamAssassin rule
//! says, it becomes hidden parts (`__NAME__BODY`, `__NAME__SUBJECT`, ...)
//! joined by a meta rule of the rule's name:
//!
//! | SpamAssassin | floodwall |
//! |---|---|
//! | `body` | `body` or `subject` (SpamAssassin's body text starts with the subject); `m` added when the regex has `^`/`$`, which SpamAssassin applies per paragraph line |
//! | `rawbody` | `rawbody` (`m` as for `body`) |
//! | `uri` | `url` |
//! | `header H =~` | `rawheader:H` (`header:H` for Subject, Comments, Content-Description, whose decoded text is SpamAssassin's); `ALL` is `rawheader`; `ToCc` is To or Cc; `MESSAGEID` the four Message-Id headers; `:raw` is `rawheader:H` |
//! | `header H !~` | the negation of the above (true when H is absent, as SpamAssassin matches an absent header as empty) |
//! | `[if-unset: V]` | "or H is absent" when the regex matches V |
//! | `exists:H` | a multi-line regex `^H:` over `rawheader` |
//! | `mimeheader H =~` | `mimeheader:H`: H of every MIME part, as written |
//! | `meta` | a boolean meta (see [`meta_expr`]) |
//!
//! Not imported, and reported with the reason: `full` rules, header modifiers `:addr`, `:name` (and the other `:` forms but
//! `:raw`), SpamAssassin's own `X-Spam-*` pseudo-headers, `eval:` functions floodwall does not implement, patterns the
//! signature stage refuses (for instance one that matches the empty
//! string), and metas SpamAssassin's arithmetic cannot be kept for. A rule
//! SpamAssassin does not run (score 0 in score set 0, or an `eval:` rule
//! with `tflags net` / `learn`) is not imported either; metas see each of these as 0, as
//! SpamAssassin's do.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::config::{Config, Definition, RuleKind};
use super::evals;
use super::meta_expr::{self, Cond};
use super::perl_regex;
use super::replace_tags;
use crate::message::Channel;
use crate::rules::meta::Expr;
use crate::rules::{Flags, Matcher, MetaRule, Origin, Rule, Target};
use crate::stage::signature::regex_engine;

/// What an import made of each rule, for the summary.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Imported.
    Imported,
    /// SpamAssassin does not run it in score set 0.
    Disabled,
    /// A meta that can never fire once the rules it needs are left out.
    NeverFires,
    /// Not imported, with the reason.
    Unsupported(String),
}

/// One imported or refused rule.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleReport {
    /// SpamAssassin's name.
    pub name: String,
    /// Its kind.
    pub kind: &'static str,
    /// What became of it.
    pub outcome: Outcome,
    /// The `eval:` function, for eval rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eval: Option<String>,
}

/// The floodwall rules of an import, grouped by the SpamAssassin file that
/// defined them, and what became of each SpamAssassin rule.
#[derive(Debug, Default)]
pub struct Converted {
    /// Signature rules (hidden parts included).
    pub rules: Vec<Rule>,
    /// Meta rules.
    pub metas: Vec<MetaRule>,
    /// SpamAssassin's definition line of each floodwall symbol, for comments.
    pub sources: HashMap<String, String>,
    /// One report per SpamAssassin rule, in definition order.
    pub reports: Vec<RuleReport>,
    /// Patterns by the engine the signature stage gives them.
    pub engines: BTreeMap<&'static str, usize>,
}

/// One floodwall rule a SpamAssassin rule is made of.
#[derive(Clone, Debug)]
pub struct Piece {
    /// A short tag naming the part (`BODY`, `SUBJECT`, `TO`, ...).
    pub tag: String,
    /// What it reads.
    pub target: Target,
    /// The pattern.
    pub pattern: String,
    /// Its flags.
    pub flags: Flags,
}

/// How pieces combine into the rule's condition.
pub struct Shape {
    /// Fires when any of these fires...
    pub any: Vec<Piece>,
    /// ...and none of these...
    pub unless: Vec<Piece>,
    /// ...negated (`!~`)...
    pub negate: bool,
    /// ...or when this header is absent (`[if-unset: V]` with V matching).
    pub or_absent: Option<String>,
}

/// Converts the configuration.
pub fn convert(config: &Config, prefix: &str) -> Converted {
    let mut out = Converted::default();
    let mut ids = IdMap::new(config, prefix);
    let mut conds: HashMap<String, Cond> = HashMap::new();
    for def in &config.rules {
        let report = |outcome, eval: Option<String>| RuleReport {
            name: def.name.clone(),
            kind: def.kind.as_str(),
            outcome,
            eval,
        };
        if def.kind == RuleKind::Meta {
            continue;
        }
        if !runs(config, &def.name) {
            out.reports.push(report(Outcome::Disabled, None));
            continue;
        }
        let Some(id) = ids.id(&def.name) else {
            let why = format!("name '{}' cannot be a floodwall id", def.name);
            out.reports.push(report(Outcome::Unsupported(why), None));
            continue;
        };
        let eval = eval_name(&def.text);
        let shape = match &eval {
            Some(name) => match evals::implement(name, evals::args_of(&def.text)) {
                Some(shape) => Ok(shape),
                None => Err(format!("eval:{name} is not implemented")),
            },
            None => shape_of(def, config),
        };
        let result = shape.and_then(|shape| out.emit(&id, def, shape, &mut ids));
        match result {
            Ok(cond) => {
                conds.insert(def.name.clone(), cond);
                out.reports.push(report(Outcome::Imported, eval));
            }
            Err(why) => {
                conds.insert(def.name.clone(), unknown(&def.name));
                out.reports.push(report(Outcome::Unsupported(why), eval));
            }
        }
    }
    out.convert_metas(config, &mut ids, conds);
    out.describe(config, &ids);
    out
}

/// Whether SpamAssassin runs the rule in score set 0: not with a zero
/// score, and an `eval:` rule not when `tflags` say it needs the network or
/// Bayes (SpamAssassin skips only eval rules for those flags: a meta marked
/// `net` still runs on what its operands give).
fn runs(config: &Config, name: &str) -> bool {
    let is_eval = config
        .get(name)
        .is_some_and(|def| def.text.starts_with("eval:"));
    config.score0(name) != 0.0
        && !(is_eval && (config.has_tflag(name, "net") || config.has_tflag(name, "learn")))
}

fn eval_name(text: &str) -> Option<String> {
    let rest = text.strip_prefix("eval:")?;
    let end = rest.find('(').unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

/// The pieces of a regex rule.
fn shape_of(def: &Definition, config: &Config) -> Result<Shape, String> {
    let regex = |text: &str| -> Result<(perl_regex::PerlRegex, String), String> {
        let (mut re, rest) = perl_regex::parse(text).map_err(|e| e.to_string())?;
        if config.replace_rules.contains(&def.name) {
            re.pattern = replace_tags::expand(&re.pattern, config);
        }
        Ok((re, rest.trim().to_string()))
    };
    let only = |rest: &str| {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(format!("unexpected '{rest}' after the regex"))
        }
    };
    let piece = |tag: &str, target: Target, pattern: &str, flags: Flags| Piece {
        tag: tag.to_string(),
        target,
        pattern: pattern.to_string(),
        flags,
    };
    let simple = |any| Shape {
        unless: Vec::new(),
        any,
        negate: false,
        or_absent: None,
    };
    match def.kind {
        RuleKind::Body | RuleKind::RawBody => {
            let (mut re, rest) = regex(&def.text)?;
            only(&rest)?;
            if perl_regex::has_anchor(&re.pattern) {
                re.flags.multi_line = true;
            }
            Ok(simple(if def.kind == RuleKind::Body {
                vec![
                    piece("BODY", Target::Body, &re.pattern, re.flags),
                    piece("SUBJECT", Target::Subject, &re.pattern, re.flags),
                ]
            } else {
                vec![piece("RAWBODY", Target::RawBody, &re.pattern, re.flags)]
            }))
        }
        RuleKind::Uri => {
            let (re, rest) = regex(&def.text)?;
            only(&rest)?;
            Ok(simple(vec![piece(
                "URI",
                Target::Url,
                &re.pattern,
                re.flags,
            )]))
        }
        RuleKind::Header => header_shape(&def.text, &regex),
        RuleKind::Full => {
            Err("full rules read the whole raw message; floodwall has no such target".into())
        }
        RuleKind::MimeHeader => mime_header_shape(&def.text, &regex),
        RuleKind::Meta => Err("meta".into()),
    }
}

type RegexFn<'a> = &'a dyn Fn(&str) -> Result<(perl_regex::PerlRegex, String), String>;

fn header_shape(text: &str, regex: RegexFn<'_>) -> Result<Shape, String> {
    if let Some(name) = text.strip_prefix("exists:") {
        let any = expand_header(name.trim())?
            .iter()
            .map(|h| exists_piece(h))
            .collect::<Result<_, _>>()?;
        return Ok(Shape {
            unless: Vec::new(),
            any,
            negate: false,
            or_absent: None,
        });
    }
    let (name, op, rest) = ["=~", "!~"]
        .iter()
        .find_map(|op| {
            text.split_once(op)
                .map(|(n, r)| (n.trim(), *op, r.trim_start()))
        })
        .ok_or("header rule needs 'NAME =~ /regex/' or 'NAME !~ /regex/'")?;
    let (name, raw) = match name.split_once(':') {
        None => (name, false),
        Some((name, "raw")) => (name, true),
        Some((_, modifier)) => {
            return Err(format!("header modifier ':{modifier}' is not supported"))
        }
    };
    let (re, after) = regex(rest)?;
    let mut or_absent = None;
    if !after.is_empty() {
        let unset = after
            .strip_prefix("[if-unset:")
            .and_then(|v| v.strip_suffix(']'))
            .ok_or_else(|| format!("unexpected '{after}' after the regex"))?
            .trim();
        if regex_matches(&re.pattern, re.flags, unset)? {
            or_absent = Some(name.to_string());
        }
    }
    let headers = expand_header(name)?;
    if headers.len() > 1 && or_absent.is_some() {
        return Err(format!("[if-unset:] on '{name}' is not supported"));
    }
    let any = headers
        .iter()
        .map(|h| {
            Ok(Piece {
                tag: if h.is_empty() {
                    "ALL".into()
                } else {
                    tag_of(h)
                },
                target: header_target(h, raw)?,
                pattern: re.pattern.clone(),
                flags: re.flags,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Shape {
        unless: Vec::new(),
        any,
        negate: op == "!~",
        or_absent,
    })
}

/// `mimeheader NAME =~ /re/`: the header in any MIME part, as written.
fn mime_header_shape(text: &str, regex: RegexFn<'_>) -> Result<Shape, String> {
    let (name, rest) = text
        .split_once("=~")
        .ok_or("mimeheader rule needs 'NAME =~ /regex/'")?;
    let name = name.trim();
    let name = name.strip_suffix(":raw").unwrap_or(name);
    if name.contains(':') {
        return Err(format!("mimeheader modifier in '{name}' is not supported"));
    }
    let (re, after) = regex(rest.trim_start())?;
    if !after.is_empty() {
        return Err(format!("unexpected '{after}' after the regex"));
    }
    let target = Target::parse(&format!("mimeheader:{name}"))
        .ok_or_else(|| format!("header name '{name}' is not valid"))?;
    Ok(Shape {
        unless: Vec::new(),
        any: vec![Piece {
            tag: "MIME".into(),
            target,
            pattern: re.pattern,
            flags: re.flags,
        }],
        negate: false,
        or_absent: None,
    })
}

/// The headers a name reads: SpamAssassin's pseudo-headers expanded (`""`
/// for `ALL`), unsupported ones refused.
fn expand_header(name: &str) -> Result<Vec<&str>, String> {
    Ok(match name {
        "ALL" => vec![""],
        "ToCc" => vec!["To", "Cc"],
        "MESSAGEID" => vec![
            "X-Message-Id",
            "Resent-Message-Id",
            "X-Original-Message-ID",
            "Message-Id",
        ],
        "EnvelopeFrom" | "ALL-TRUSTED" | "ALL-UNTRUSTED" | "ALL-INTERNAL" | "ALL-EXTERNAL" => {
            return Err(format!("pseudo-header '{name}' is not supported"))
        }
        n if n.starts_with("X-Spam-") => {
            return Err(format!("SpamAssassin's own header '{n}' is not supported"))
        }
        n => vec![n],
    })
}

/// The floodwall target of a header rule. SpamAssassin matches a header's
/// text as written (encoded words decoded unless `:raw`); floodwall's
/// `header:` values re-render structured fields, so every header but the
/// free-text ones (whose decoded text is SpamAssassin's) reads `rawheader:`.
fn header_target(name: &str, raw: bool) -> Result<Target, String> {
    const DECODED_TEXT: &[&str] = &["subject", "comments", "content-description"];
    let lower = name.to_ascii_lowercase();
    let spelled = if name.is_empty() {
        "rawheader".to_string()
    } else if !raw && DECODED_TEXT.contains(&lower.as_str()) {
        format!("header:{name}")
    } else {
        format!("rawheader:{name}")
    };
    Target::parse(&spelled).ok_or_else(|| format!("header name '{name}' is not valid"))
}

/// Whether the regex matches `text` (for `[if-unset:]`), with PCRE2.
fn regex_matches(pattern: &str, flags: Flags, text: &str) -> Result<bool, String> {
    pcre2::bytes::RegexBuilder::new()
        .caseless(flags.caseless)
        .multi_line(flags.multi_line)
        .dotall(flags.dot_all)
        .build(pattern)
        .map_err(|e| format!("regex: {e}"))?
        .is_match(text.as_bytes())
        .map_err(|e| format!("regex: {e}"))
}

/// A piece that fires when a header of that name is present.
pub fn exists_piece(name: &str) -> Result<Piece, String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        return Err(format!("header name '{name}' is not valid"));
    }
    let escaped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\x{:02x}", c as u32)
            }
        })
        .collect();
    Ok(Piece {
        tag: format!("HAS_{}", tag_of(name)),
        target: Target::AllRawHeaders,
        pattern: format!("^{escaped}:"),
        flags: Flags {
            caseless: true,
            multi_line: true,
            ..Flags::default()
        },
    })
}

fn tag_of(header: &str) -> String {
    header
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

impl Converted {
    /// Emits the pieces of one rule; returns the rule's condition.
    fn emit(
        &mut self,
        id: &str,
        def: &Definition,
        shape: Shape,
        ids: &mut IdMap,
    ) -> Result<Cond, String> {
        let mut paths = Vec::new();
        for piece in shape.any.iter().chain(&shape.unless) {
            paths.push(regex_engine(&piece.pattern, piece.flags)?);
        }
        let absent = match &shape.or_absent {
            Some(name) => {
                let piece = exists_piece(name)?;
                paths.push(regex_engine(&piece.pattern, piece.flags)?);
                Some(piece)
            }
            None => None,
        };
        for path in paths {
            *self.engines.entry(path.as_str()).or_default() += 1;
        }
        let source = format!(
            "{}:{}: {} {} {}",
            file_name(&def.place.file),
            def.place.line,
            def.kind.as_str(),
            def.name,
            def.text
        );
        let direct =
            shape.any.len() == 1 && shape.unless.is_empty() && !shape.negate && absent.is_none();
        if direct {
            let piece = &shape.any[0];
            self.push_rule(id, def, piece, &source);
            return Ok(Cond::Expr(Expr::Leaf(id.to_string())));
        }
        let mut leaf = |piece: &Piece, this: &mut Converted| {
            let part = ids.part(id, &piece.tag);
            this.push_rule(&part, def, piece, &source);
            Cond::Expr(Expr::Leaf(part))
        };
        let any: Vec<Cond> = shape.any.iter().map(|p| leaf(p, self)).collect();
        let mut cond = Cond::at_least(1, any);
        if !shape.unless.is_empty() {
            let unless: Vec<Cond> = shape.unless.iter().map(|p| leaf(p, self)).collect();
            cond = Cond::at_least(2, vec![cond, not(Cond::at_least(1, unless))]);
        }
        if shape.negate {
            cond = not(cond);
        }
        if let Some(piece) = absent {
            let present = leaf(&piece, self);
            cond = Cond::at_least(1, vec![cond, not(present)]);
        }
        let Cond::Expr(expr) = cond else {
            return Err("the rule's condition is constant".into());
        };
        self.push_meta(id, def, expr, &source);
        Ok(Cond::Expr(Expr::Leaf(id.to_string())))
    }

    fn push_rule(&mut self, id: &str, def: &Definition, piece: &Piece, source: &str) {
        self.sources.insert(id.to_string(), source.to_string());
        self.rules.push(Rule {
            id: id.to_string(),
            description: String::new(),
            score: 0.0,
            channels: vec![Channel::Email],
            target: piece.target.clone(),
            matcher: Matcher::Regex(vec![piece.pattern.clone()]),
            flags: piece.flags,
            origin: origin_of(def),
        });
    }

    fn push_meta(&mut self, id: &str, def: &Definition, expr: Expr<String>, source: &str) {
        self.sources.insert(id.to_string(), source.to_string());
        self.metas.push(MetaRule {
            id: id.to_string(),
            description: String::new(),
            score: 0.0,
            expr,
            origin: origin_of(def),
        });
    }

    /// Gives each symbol that stands for a SpamAssassin rule its score (set
    /// 0) and description, and each hidden part a description naming its rule.
    fn describe(&mut self, config: &Config, ids: &IdMap) {
        let names: HashMap<&str, &str> = ids
            .assigned
            .iter()
            .filter_map(|(name, id)| Some((id.as_deref()?, name.as_str())))
            .collect();
        let text = |id: &str| -> (String, f64) {
            match names.get(id) {
                Some(name) => {
                    let described = config
                        .descriptions
                        .get(*name)
                        .map(|d| d.trim())
                        .filter(|d| !d.is_empty())
                        .map_or_else(|| format!("SpamAssassin rule {name}"), str::to_string);
                    let score = if crate::rules::is_hidden(id) {
                        0.0
                    } else {
                        config.score0(name)
                    };
                    (described, score)
                }
                None => (format!("Part of a SpamAssassin rule ({id})"), 0.0),
            }
        };
        for rule in &mut self.rules {
            (rule.description, rule.score) = text(&rule.id);
        }
        for meta in &mut self.metas {
            (meta.description, meta.score) = text(&meta.id);
        }
    }

    /// Translates the metas, each after the rules it reads.
    fn convert_metas(
        &mut self,
        config: &Config,
        ids: &mut IdMap,
        mut conds: HashMap<String, Cond>,
    ) {
        let mut state: HashMap<String, Option<Result<Cond, String>>> = HashMap::new();
        let metas: Vec<&Definition> = config
            .rules
            .iter()
            .filter(|d| d.kind == RuleKind::Meta)
            .collect();
        let by_name: HashMap<&str, &Definition> =
            metas.iter().map(|d| (d.name.as_str(), *d)).collect();
        for def in &metas {
            resolve(def, config, &by_name, &mut conds, &mut state, ids, self);
        }
        for def in metas {
            let outcome = match state.get(&def.name) {
                Some(Some(Ok(Cond::Expr(_)))) => Outcome::Imported,
                Some(Some(Ok(Cond::Const(false)))) if !runs(config, &def.name) => Outcome::Disabled,
                Some(Some(Ok(Cond::Const(false)))) => Outcome::NeverFires,
                Some(Some(Ok(Cond::Const(true)))) => {
                    Outcome::Unsupported("always true once unsupported rules count as 0".into())
                }
                Some(Some(Err(why))) => Outcome::Unsupported(why.clone()),
                _ => Outcome::Unsupported("meta rules depend on each other in a cycle".into()),
            };
            self.reports.push(RuleReport {
                name: def.name.clone(),
                kind: "meta",
                outcome,
                eval: None,
            });
        }
    }
}

/// Translates one meta (and first the metas it reads), memoised in `state`:
/// `None` while in progress (a cycle), then the result.
fn resolve(
    def: &Definition,
    config: &Config,
    by_name: &HashMap<&str, &Definition>,
    conds: &mut HashMap<String, Cond>,
    state: &mut HashMap<String, Option<Result<Cond, String>>>,
    ids: &mut IdMap,
    out: &mut Converted,
) -> Cond {
    match state.get(&def.name) {
        Some(Some(Ok(cond))) => return cond.clone(),
        Some(Some(Err(_))) => return unknown(&def.name),
        Some(None) => return Cond::Const(false),
        None => {}
    }
    state.insert(def.name.clone(), None);
    let result = if !runs(config, &def.name) {
        Ok(Cond::Const(false))
    } else {
        // Referenced metas first, so that the closure below only reads.
        let names: Vec<String> = meta_names(&def.text);
        for name in names {
            if let Some(dep) = by_name.get(name.as_str()) {
                if !conds.contains_key(&name) {
                    let cond = resolve(dep, config, by_name, conds, state, ids, out);
                    conds.insert(name, cond);
                }
            }
        }
        meta_expr::translate(&def.text, &mut |name| {
            conds.get(name).cloned().unwrap_or(Cond::Const(false))
        })
        .and_then(settle_unknown)
    };
    let result = match result {
        Ok(Cond::Expr(expr)) => match ids.id(&def.name) {
            Some(id) => {
                let source = format!(
                    "{}:{}: meta {} {}",
                    file_name(&def.place.file),
                    def.place.line,
                    def.name,
                    def.text
                );
                out.push_meta(&id, def, expr, &source);
                Ok(Cond::Expr(Expr::Leaf(id)))
            }
            None => Err(format!("name '{}' cannot be a floodwall id", def.name)),
        },
        other => other,
    };
    let cond = match &result {
        Ok(cond) => cond.clone(),
        Err(_) => unknown(&def.name),
    };
    state.insert(def.name.clone(), Some(result));
    cond
}

/// The operand a meta sees for a rule SpamAssassin runs and the import
/// could not: a marked leaf that [`settle_unknown`] resolves.
fn unknown(name: &str) -> Cond {
    Cond::Expr(Expr::Leaf(format!("?{name}")))
}

/// Resolves the unknown operands of a translated meta. Where one occurs only
/// positively, it is taken as 0: the meta fires less often than
/// SpamAssassin's (when the unknown rule would have fired), never more.
/// Where one occurs negated, taking it as 0 would make the meta fire
/// where SpamAssassin's does not, so the meta is refused.
fn settle_unknown(cond: Cond) -> Result<Cond, String> {
    fn fold(e: Expr<String>, negated: bool) -> Result<Cond, String> {
        Ok(match e {
            Expr::Leaf(name) => match name.strip_prefix('?') {
                Some(rule) if negated => {
                    return Err(format!("reads the unsupported rule {rule} negated"))
                }
                Some(_) => Cond::Const(false),
                None => Cond::Expr(Expr::Leaf(name)),
            },
            Expr::Not(inner) => not(fold(*inner, !negated)?),
            Expr::And(es) => {
                let n = es.len() as i64;
                let items = es
                    .into_iter()
                    .map(|e| fold(e, negated))
                    .collect::<Result<_, _>>()?;
                Cond::at_least(n, items)
            }
            Expr::Or(es) => {
                let items = es
                    .into_iter()
                    .map(|e| fold(e, negated))
                    .collect::<Result<_, _>>()?;
                Cond::at_least(1, items)
            }
            Expr::AtLeast(k, es) => {
                let items = es
                    .into_iter()
                    .map(|e| fold(e, negated))
                    .collect::<Result<_, _>>()?;
                Cond::at_least(k as i64, items)
            }
        })
    }
    match cond {
        Cond::Expr(e) => fold(e, false),
        constant => Ok(constant),
    }
}

/// The rule names a meta expression mentions.
fn meta_names(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        .map(str::to_string)
        .collect()
}

fn not(cond: Cond) -> Cond {
    match cond {
        Cond::Const(b) => Cond::Const(!b),
        Cond::Expr(e) => Cond::Expr(Expr::Not(Box::new(e))),
    }
}

fn origin_of(def: &Definition) -> Origin {
    Origin {
        file: toml_name(&def.place.file),
        line: def.place.line,
    }
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The floodwall file a SpamAssassin file's rules go to: `20_body_tests.cf`
/// → `sa_20_body_tests.toml`.
pub fn toml_name(path: &std::path::Path) -> String {
    let stem = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("sa_{clean}.toml")
}

/// SpamAssassin names to floodwall ids, and fresh ids for hidden parts.
struct IdMap {
    prefix: String,
    taken: HashSet<String>,
    assigned: HashMap<String, Option<String>>,
    parts: usize,
}

impl IdMap {
    fn new(config: &Config, prefix: &str) -> IdMap {
        IdMap {
            prefix: prefix.to_string(),
            taken: config
                .rules
                .iter()
                .map(|d| d.name.to_ascii_uppercase())
                .collect(),
            assigned: HashMap::new(),
            parts: 0,
        }
    }

    /// The id of a SpamAssassin rule: with a prefix, the prefix after its
    /// leading underscores (`SA_`: `FOO` → `SA_FOO`, `__foo` → `__SA_FOO`);
    /// else its name, else upper-cased, else with
    /// `SA_` after its leading underscores (`__0_TZ_1` → `__SA_0_TZ_1`,
    /// since a floodwall id starts with a letter); `None` if no such id is
    /// valid and free.
    fn id(&mut self, name: &str) -> Option<String> {
        if let Some(id) = self.assigned.get(name) {
            return id.clone();
        }
        let upper = name.to_ascii_uppercase();
        let underscores = &upper[..upper.len() - upper.trim_start_matches('_').len()];
        if !self.prefix.is_empty() {
            let id = format!(
                "{underscores}{}{}",
                self.prefix,
                upper.trim_start_matches('_')
            );
            let id =
                (crate::rules::is_valid_id(&id) && self.taken.insert(id.clone())).then_some(id);
            self.assigned.insert(name.to_string(), id.clone());
            return id;
        }
        let prefixed = format!("{underscores}SA_{}", upper.trim_start_matches('_'));
        let id = if crate::rules::is_valid_id(name) {
            Some(name.to_string())
        } else {
            [upper.clone(), prefixed].into_iter().find(|candidate| {
                crate::rules::is_valid_id(candidate)
                    && (candidate == &upper || !self.taken.contains(candidate))
                    && !self
                        .assigned
                        .values()
                        .any(|v| v.as_deref() == Some(candidate.as_str()))
            })
        };
        if let Some(id) = &id {
            self.taken.insert(id.clone());
        }
        self.assigned.insert(name.to_string(), id.clone());
        id
    }

    /// A hidden id for a part of `id`.
    fn part(&mut self, id: &str, tag: &str) -> String {
        let base = format!("__{}__{tag}", id.trim_start_matches('_'));
        if base.len() <= 64 && crate::rules::is_valid_id(&base) && self.taken.insert(base.clone()) {
            return base;
        }
        loop {
            self.parts += 1;
            let fresh = format!(
                "__SA_PART_{}_{}",
                self.parts,
                tag.chars().take(32).collect::<String>()
            );
            if self.taken.insert(fresh.clone()) {
                return fresh;
            }
        }
    }
}
