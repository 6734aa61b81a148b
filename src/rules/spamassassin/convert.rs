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
//! | `meta` | a boolean meta (see [`meta_expr`](super::meta_expr)) |
//!
//! Not imported, and reported with the reason: `full` rules, header modifiers `:addr`, `:name` (and the other `:` forms but
//! `:raw`), SpamAssassin's own `X-Spam-*` pseudo-headers, `eval:` functions floodwall does not implement, patterns the
//! signature stage refuses (for instance one that matches the empty
//! string), and metas SpamAssassin's arithmetic cannot be kept for. A rule
//! SpamAssassin does not run (score 0 in score set 0, or an `eval:` rule
//! with `tflags net` / `learn`) is not imported either; metas see each of these as 0, as
//! SpamAssassin's do.

mod ids;
mod metas;
mod shape;

use std::collections::{BTreeMap, HashMap};

use super::config::{Config, Definition, RuleKind};
use super::evals;
use super::meta_expr::Cond;
use crate::message::Channel;
use crate::rules::meta::Expr;
use crate::rules::{Matcher, MetaRule, Origin, Rule};
use crate::stage::signature::regex_engine;
use ids::IdMap;
use metas::{not, unknown};
use shape::shape_of;
pub use shape::{exists_piece, Piece, Shape};

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
        let names = ids.names_by_id();
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
