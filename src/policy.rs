//! Policy: from the symbols that fired to a [`Verdict`] with an [`Action`].

use std::sync::Arc;

use serde::Serialize;

use crate::rules::Thresholds;

/// What the caller should do with the message, in rising severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Accept,
    /// Deliver with `X-Spam-*` headers.
    Tag,
    Quarantine,
    /// Ask the sender to retry later (SMTP 4xx, SMPP throttling).
    Tempfail,
    Reject,
    /// Accept and drop silently.
    Discard,
}

impl Action {
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

/// One symbol in a verdict. Name and description are the engine's own
/// strings, shared: a verdict allocates nothing per symbol.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SymbolHit {
    pub name: Arc<str>,
    pub score: f64,
    pub description: Arc<str>,
}

/// The outcome of scanning one message: total score, every symbol that
/// explains it, and the action the thresholds map it to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub score: f64,
    pub action: Action,
    pub symbols: Vec<SymbolHit>,
}

impl Verdict {
    /// Whether a symbol fired.
    pub fn has(&self, name: &str) -> bool {
        self.symbols.iter().any(|s| *s.name == *name)
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
