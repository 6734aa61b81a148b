//! Meta rules: boolean expressions over other symbols, evaluated after the
//! stages, each after the metas it refers to.
//!
//! Only a meta with a leaf that fired can change its value from what it has
//! when none did, and a message fires few symbols: a 12-digit MSISDN sender
//! alone made every SMS evaluate all 17 shipped metas, 6% of the CPU of a
//! scan. So each symbol lists the metas that read it, a meta none of whose
//! leaves fired takes its precomputed value, and only the others evaluate
//! (for a message that fired nothing, none do).

use crate::rules::meta::Expr;
use crate::rules::{RuleError, RuleErrors, RuleSet};
use crate::stage::Evidence;
use crate::symbols::{SymbolId, SymbolTable};

pub(super) struct MetaRules {
    /// In evaluation order: every meta after the metas it refers to.
    metas: Vec<(SymbolId, Expr<SymbolId>)>,
    /// By symbol id: the metas (indices into `metas`) whose expression has
    /// that symbol as a leaf.
    readers: Vec<Vec<u32>>,
    /// By meta: its value when none of its leaves fired.
    when_leaves_silent: Vec<bool>,
}

impl MetaRules {
    pub fn new(rules: &RuleSet, symbols: &SymbolTable) -> Result<MetaRules, RuleErrors> {
        let metas = order_metas(rules, symbols)?;
        let mut readers = vec![Vec::new(); symbols.len()];
        for (m, (_, expr)) in metas.iter().enumerate() {
            for leaf in expr.leaves() {
                let list: &mut Vec<u32> = &mut readers[leaf.0 as usize];
                if list.last() != Some(&(m as u32)) {
                    list.push(m as u32);
                }
            }
        }
        let when_leaves_silent = metas.iter().map(|(_, e)| e.eval(&|_| false)).collect();
        Ok(MetaRules {
            metas,
            readers,
            when_leaves_silent,
        })
    }

    /// Fires every meta that holds on `evidence`; `due` is per-thread scratch.
    pub fn evaluate(&self, evidence: &mut Evidence, due: &mut Vec<bool>) {
        due.clear();
        due.resize(self.metas.len(), false);
        for &id in evidence.fired() {
            self.mark_readers(id, due);
        }
        for (m, (id, expr)) in self.metas.iter().enumerate() {
            if evidence.has(*id) {
                continue;
            }
            let holds = if due[m] {
                expr.eval(&|leaf: &SymbolId| evidence.has(*leaf))
            } else {
                self.when_leaves_silent[m]
            };
            if holds {
                evidence.fire(*id);
                self.mark_readers(*id, due);
            }
        }
    }

    fn mark_readers(&self, id: SymbolId, due: &mut [bool]) {
        for &m in &self.readers[id.0 as usize] {
            due[m as usize] = true;
        }
    }
}

/// Meta rules resolved to symbol ids, ordered so that a meta is evaluated
/// after every meta it refers to (the loader has refused cycles).
fn order_metas(
    rules: &RuleSet,
    symbols: &SymbolTable,
) -> Result<Vec<(SymbolId, Expr<SymbolId>)>, RuleErrors> {
    let mut resolved = Vec::new();
    for meta in &rules.metas {
        let expr = meta.expr.try_map(&mut |leaf: &String| {
            symbols.lookup(leaf).ok_or_else(|| {
                RuleError::new(
                    &meta.origin.file,
                    meta.origin.line,
                    Some(&meta.id),
                    format!("unknown symbol '{leaf}' in expr: no rule, built-in or stage symbol has that name"),
                )
            })
        })?;
        resolved.push((
            symbols
                .lookup(&meta.id)
                .expect("meta symbols are registered"),
            expr,
        ));
    }
    let mut ordered: Vec<(SymbolId, Expr<SymbolId>)> = Vec::with_capacity(resolved.len());
    while !resolved.is_empty() {
        let ready = resolved.iter().position(|(_, expr)| {
            expr.leaves()
                .iter()
                .all(|leaf| !resolved.iter().any(|(id, _)| id == *leaf))
        });
        match ready {
            Some(i) => ordered.push(resolved.remove(i)),
            None => {
                return Err(RuleError::new(
                    "meta",
                    0,
                    None,
                    "meta rules depend on each other in a cycle",
                )
                .into())
            }
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbols::SymbolDef;

    const RULES: &str = r#"
[[rule]]
id = "A"
description = "a"
score = 1.0
target = "body"
pattern = 'a'

[[rule]]
id = "B"
description = "b"
score = 1.0
target = "body"
pattern = 'b'

[[rule]]
id = "C"
description = "c"
score = 1.0
target = "body"
pattern = 'c'

[[meta]]
id = "NOT_A"
description = "n"
score = 0.1
expr = "!A"

[[meta]]
id = "A_AND_B"
description = "m"
score = 0.1
expr = "A && B"

[[meta]]
id = "META_OF_META"
description = "m"
score = 0.1
expr = "(A_AND_B || C) && !NOT_A"

[[meta]]
id = "NEITHER"
description = "m"
score = 0.1
expr = "!(B || C) && !META_OF_META"
"#;

    /// Every meta evaluated in order, as the index must match.
    fn naive(metas: &MetaRules, evidence: &mut Evidence) {
        for (id, expr) in &metas.metas {
            if !evidence.has(*id) && expr.eval(&|leaf: &SymbolId| evidence.has(*leaf)) {
                evidence.fire(*id);
            }
        }
    }

    #[test]
    fn indexed_evaluation_fires_what_evaluating_every_meta_fires() {
        let rules = RuleSet::from_toml("t.toml", RULES).expect("test rules load");
        let mut table = SymbolTable::default();
        for (name, score) in rules
            .rules
            .iter()
            .map(|r| (&r.id, r.score))
            .chain(rules.metas.iter().map(|m| (&m.id, m.score)))
        {
            table.register(SymbolDef {
                name: name.as_str().into(),
                score,
                description: "".into(),
            });
        }
        let metas = MetaRules::new(&rules, &table).expect("metas resolve");
        let leaves: Vec<SymbolId> = ["A", "B", "C"]
            .iter()
            .map(|n| table.lookup(n).expect("registered"))
            .collect();
        let mut due = Vec::new();
        for subset in 0..8u32 {
            let mut indexed = Evidence::with_symbols(table.len());
            let mut every = Evidence::with_symbols(table.len());
            for (bit, &leaf) in leaves.iter().enumerate() {
                if subset & (1 << bit) != 0 {
                    indexed.fire(leaf);
                    every.fire(leaf);
                }
            }
            metas.evaluate(&mut indexed, &mut due);
            naive(&metas, &mut every);
            let sorted = |e: &Evidence| {
                let mut ids: Vec<u32> = e.fired().iter().map(|id| id.0).collect();
                ids.sort();
                ids
            };
            assert_eq!(sorted(&indexed), sorted(&every), "leaves {subset:03b}");
        }
    }
}
