//! The verdict: what a scan concluded, and why.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::Action;

/// One symbol in a verdict: its name and description (the engine's own
/// strings, shared, so a verdict allocates nothing per symbol), its score
/// for this message (the symbol's score times the weight it fired with)
/// and the options that explain it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SymbolHit {
    /// The symbol's `UPPER_SNAKE_CASE` name.
    pub name: Arc<str>,
    /// The symbol's score times its weight for this message.
    pub score: f64,
    /// The symbol's one-line description.
    pub description: Arc<str>,
    /// Why it fired (a probability, a cluster's size, a matched domain), in
    /// the order the stage gave them; empty for a plain match.
    pub options: Vec<String>,
}

impl fmt::Display for SymbolHit {
    /// `NAME(4.20)`, or `NAME(4.20){97.1%,p=3}` with options, as rspamd
    /// users read a symbol.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:.2})", self.name, self.score)?;
        if !self.options.is_empty() {
            write!(f, "{{{}}}", self.options.join(","))?;
        }
        Ok(())
    }
}

/// The outcome of scanning one message: total score, every symbol that
/// explains it, and the action the thresholds map it to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The sum of the symbols' scores, rounded to three decimals.
    pub score: f64,
    /// What the caller should do with the message.
    pub action: Action,
    /// The symbols that fired and show (sub-rules `__NAME` never do), the
    /// highest score first, ties by name.
    pub symbols: Vec<SymbolHit>,
}

impl Verdict {
    /// Whether a symbol fired.
    pub fn has(&self, name: &str) -> bool {
        self.symbol(name).is_some()
    }

    /// The symbol of that name, if it fired.
    pub fn symbol(&self, name: &str) -> Option<&SymbolHit> {
        self.symbols.iter().find(|s| *s.name == *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_print_as_rspamd_shows_them() {
        let mut hit = SymbolHit {
            name: "CLASSIFIER_SPAM".into(),
            score: 4.2,
            description: "".into(),
            options: Vec::new(),
        };
        assert_eq!(hit.to_string(), "CLASSIFIER_SPAM(4.20)");
        hit.options = vec!["97.1%".into(), "n=3".into()];
        assert_eq!(hit.to_string(), "CLASSIFIER_SPAM(4.20){97.1%,n=3}");
    }
}
