//! Policy: from the evidence of a scan to a [`Verdict`] with an [`Action`].
//!
//! The stages and meta rules decide which symbols fired and how strongly;
//! the policy alone decides what that adds up to: which symbols show, each
//! one's score, their order, the total and its rounding, and the action
//! the thresholds map the total to.

mod verdict;

use serde::Serialize;

use crate::rules::{is_hidden, Thresholds};
use crate::stage::Evidence;
use crate::symbols::{SymbolId, SymbolTable};

pub use verdict::{SymbolHit, Verdict};

/// What the caller should do with the message, in rising severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Deliver as it is.
    Accept,
    /// Deliver with `X-Spam-*` headers.
    Tag,
    /// Hold for an operator (an MTA's hold queue).
    Quarantine,
    /// Ask the sender to retry later (SMTP 4xx, SMPP throttling).
    Tempfail,
    /// Refuse it (SMTP 5xx, an SMPP error status).
    Reject,
    /// Accept and drop silently.
    Discard,
}

impl Action {
    /// The lower-case name (`accept`, `tag`, …), as in JSON and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Tag => "tag",
            Action::Quarantine => "quarantine",
            Action::Tempfail => "tempfail",
            Action::Reject => "reject",
            Action::Discard => "discard",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy of one engine: thresholds, and which symbols a verdict shows.
#[derive(Clone, Debug)]
pub struct Policy {
    thresholds: Thresholds,
    /// By symbol id: sub-rules (`__NAME`), fired for meta rules only.
    hidden: Vec<bool>,
}

impl Policy {
    /// The policy for an engine's final symbol table.
    pub fn new(thresholds: Thresholds, symbols: &SymbolTable) -> Policy {
        let hidden = symbols.iter().map(|(_, d)| is_hidden(&d.name)).collect();
        Policy { thresholds, hidden }
    }

    /// The thresholds actions are decided by.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Turns what fired into a verdict. Options move out of `evidence`
    /// into the verdict.
    ///
    /// The verdict's symbol list is its one allocation, sized once from
    /// what fired and shows, and none is made where nothing shows.
    pub fn verdict(&self, evidence: &mut Evidence, symbols: &SymbolTable) -> Verdict {
        let shown = |id: &&SymbolId| !self.hidden[id.0 as usize];
        let count = evidence.fired().iter().filter(shown).count();
        let mut hits = Vec::with_capacity(count);
        for i in 0..evidence.fired().len() {
            let id = evidence.fired()[i];
            if self.hidden[id.0 as usize] {
                continue;
            }
            let def = symbols.get(id);
            let weight = evidence.weight(id).unwrap_or(1.0);
            hits.push(SymbolHit {
                name: def.name.clone(),
                score: def.score * weight,
                description: def.description.clone(),
                options: evidence.take_options(id),
            });
        }
        hits.sort_by(|a: &SymbolHit, b: &SymbolHit| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.name.cmp(&b.name))
        });
        let score = hits.iter().map(|s| s.score).sum::<f64>();
        // Rounded so that sums print as the scores that make them up; `+ 0.0`
        // turns the empty sum's -0.0 into 0.0.
        let score = (score * 1000.0).round() / 1000.0 + 0.0;
        Verdict {
            score,
            action: decide(&self.thresholds, score),
            symbols: hits,
        }
    }
}

/// Maps a total score to an action: the most severe action whose threshold
/// the score reaches.
pub fn decide(thresholds: &Thresholds, score: f64) -> Action {
    let steps = [
        (thresholds.discard, Action::Discard),
        (thresholds.reject, Action::Reject),
        (thresholds.tempfail, Action::Tempfail),
        (thresholds.quarantine, Action::Quarantine),
        (thresholds.tag, Action::Tag),
    ];
    steps
        .iter()
        .find(|(t, _)| t.is_some_and(|t| score >= t))
        .map_or(Action::Accept, |(_, action)| *action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_threshold_reached_wins() {
        let t = Thresholds::default();
        assert_eq!(decide(&t, 0.0), Action::Accept);
        assert_eq!(decide(&t, 5.0), Action::Tag);
        assert_eq!(decide(&t, 12.0), Action::Quarantine);
        assert_eq!(decide(&t, 1000.0), Action::Reject);
        let with_discard = Thresholds {
            discard: Some(50.0),
            ..t
        };
        assert_eq!(decide(&with_discard, 60.0), Action::Discard);
        let none = Thresholds {
            tag: None,
            quarantine: None,
            reject: None,
            tempfail: None,
            discard: None,
        };
        assert_eq!(decide(&none, 99.0), Action::Accept);
    }
}
