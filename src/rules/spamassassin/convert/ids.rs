//! Floodwall ids for SpamAssassin names: upper-cased, prefixed, unique,
//! and fresh ones for the hidden parts a rule is split into.

use std::collections::{HashMap, HashSet};

use super::super::config::Config;

/// SpamAssassin names to floodwall ids, and fresh ids for hidden parts.
pub(super) struct IdMap {
    prefix: String,
    taken: HashSet<String>,
    assigned: HashMap<String, Option<String>>,
    parts: usize,
}

impl IdMap {
    pub(super) fn new(config: &Config, prefix: &str) -> IdMap {
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
    /// Each assigned id and the SpamAssassin name it stands for.
    pub(super) fn names_by_id(&self) -> HashMap<&str, &str> {
        self.assigned
            .iter()
            .filter_map(|(name, id)| Some((id.as_deref()?, name.as_str())))
            .collect()
    }

    pub(super) fn id(&mut self, name: &str) -> Option<String> {
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
    pub(super) fn part(&mut self, id: &str, tag: &str) -> String {
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
