//! SpamAssassin metas into floodwall metas: each translated after the
//! rules and metas it reads, with the operands floodwall does not have
//! settled as SpamAssassin would count them.

use std::collections::HashMap;

use super::super::config::{Config, Definition, RuleKind};
use super::super::meta_expr::{self, Cond};
use super::{file_name, runs, Converted, IdMap, Outcome, RuleReport};
use crate::rules::meta::Expr;

impl Converted {
    /// Translates the metas, each after the rules it reads.
    pub(super) fn convert_metas(
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
pub(super) fn unknown(name: &str) -> Cond {
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

pub(super) fn not(cond: Cond) -> Cond {
    match cond {
        Cond::Const(b) => Cond::Const(!b),
        Cond::Expr(e) => Cond::Expr(Expr::Not(Box::new(e))),
    }
}
