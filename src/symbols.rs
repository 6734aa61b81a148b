//! Symbols: the named, scored facts a verdict is made of.
//!
//! Every rule is a symbol; stages register the symbols they can raise when
//! the engine is built, so that `rules check`, the verdict and an operator's
//! score overrides all speak of the same names.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::message::ProblemKind;
use crate::rules::RuleSet;

/// Index of a symbol in the engine's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u32);

/// A symbol's name, score and one-line description. The strings are shared
/// with every [`SymbolHit`](crate::policy::SymbolHit) that names the symbol, so a
/// verdict costs no copy of them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SymbolDef {
    /// `UPPER_SNAKE_CASE`, unique in the engine.
    pub name: Arc<str>,
    /// The score it adds at weight 1 (after `[scores]` overrides).
    pub score: f64,
    /// One line an operator reads beside the name.
    pub description: Arc<str>,
}

/// The engine's symbols, indexed by [`SymbolId`].
#[derive(Clone, Debug, Default)]
pub struct SymbolTable {
    defs: Vec<SymbolDef>,
    /// Name → id: the engine looks up every rule once per channel and target
    /// at build, so a scan of `defs` would make start-up quadratic.
    by_name: HashMap<Arc<str>, SymbolId>,
}

impl SymbolTable {
    /// A table of a rule set's symbols: every rule's and meta rule's id,
    /// score and description, in file order.
    pub fn for_rules(rules: &RuleSet) -> SymbolTable {
        let mut table = SymbolTable::default();
        for (id, score, description) in rules
            .rules
            .iter()
            .map(|r| (&r.id, r.score, &r.description))
            .chain(rules.metas.iter().map(|m| (&m.id, m.score, &m.description)))
        {
            table.register(SymbolDef {
                name: id.as_str().into(),
                score,
                description: description.as_str().into(),
            });
        }
        table
    }

    /// Adds a symbol; an existing name keeps its id and takes the new definition.
    pub fn register(&mut self, def: SymbolDef) -> SymbolId {
        if let Some(id) = self.lookup(&def.name) {
            self.defs[id.0 as usize] = def;
            return id;
        }
        let id = SymbolId(self.defs.len() as u32);
        self.by_name.insert(def.name.clone(), id);
        self.defs.push(def);
        id
    }

    /// The id of a name.
    pub fn lookup(&self, name: &str) -> Option<SymbolId> {
        self.by_name.get(name).copied()
    }

    /// The definition of an id of this table.
    pub fn get(&self, id: SymbolId) -> &SymbolDef {
        &self.defs[id.0 as usize]
    }

    /// Replaces a symbol's score (an operator's `[scores]` override).
    pub fn set_score(&mut self, id: SymbolId, score: f64) {
        self.defs[id.0 as usize].score = score;
    }

    /// How many symbols.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Every symbol with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (SymbolId, &SymbolDef)> {
        self.defs
            .iter()
            .enumerate()
            .map(|(i, d)| (SymbolId(i as u32), d))
    }
}

/// A symbol the engine itself raises (not defined by a rule file).
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// Its default score.
    pub score: f64,
    /// Its description.
    pub description: &'static str,
}

/// Built-in symbols with their default scores; `policy.toml` `[scores]` overrides them.
///
/// Every engine registers them all, so an operator may override any of them.
pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "FW_UNPARSEABLE",
        score: 3.0,
        description: "Message could not be parsed in its declared format",
    },
    Builtin {
        name: "FW_MALFORMED_HEADER",
        score: 1.5,
        description: "Header section is malformed",
    },
    Builtin {
        name: "FW_MALFORMED_MIME",
        score: 1.0,
        description: "MIME structure or transfer encoding is broken",
    },
    Builtin {
        name: "FW_BAD_CHARSET",
        score: 0.5,
        description: "Text in an unknown or invalid charset",
    },
    Builtin {
        name: "FW_OVERSIZE",
        score: 0.5,
        description: "Message over the size limit; scanned up to the limit",
    },
    Builtin {
        name: "FW_TRUNCATED",
        score: 1.0,
        description: "Payload ends before its length fields say",
    },
    Builtin {
        name: "FW_PROTOCOL_VIOLATION",
        score: 1.0,
        description: "An SMS/MMS protocol field violates its specification",
    },
    Builtin {
        name: "FW_SMS_INCOMPLETE",
        score: 0.5,
        description: "Concatenated SMS with missing segments",
    },
    Builtin {
        name: "FW_LIMIT_EXCEEDED",
        score: 1.0,
        description: "A decoding limit (parts, depth, headers) was reached",
    },
    Builtin {
        name: STAGE_FAILED,
        score: 0.0,
        description: "A stage failed on this message; its evidence is missing",
    },
    Builtin {
        name: STATE_UNAVAILABLE,
        score: 0.0,
        description: "The stream-state store did not answer; no bulk or velocity evidence",
    },
];

/// The built-in symbol a stage raises when its shared state store did not
/// answer (the scan goes on without that stage's evidence). Scored 0, like
/// [`STAGE_FAILED`].
pub const STATE_UNAVAILABLE: &str = "FW_STATE_UNAVAILABLE";

/// The built-in symbol a stage failure raises (the stage and the error in
/// its options). Scored 0 by default: a failure is no sign of spam, but it
/// must show, never pass silently.
pub const STAGE_FAILED: &str = "FW_STAGE_FAILED";

/// A built-in symbol by name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The built-in symbol a decode problem raises.
pub fn for_problem(kind: ProblemKind) -> &'static Builtin {
    builtin(kind.symbol()).expect("every ProblemKind symbol is listed in BUILTINS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_kind_has_a_builtin() {
        for kind in ProblemKind::ALL {
            assert_eq!(for_problem(kind).name, kind.symbol());
        }
    }
}
