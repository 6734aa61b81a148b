//! Evidence: the symbols fired so far for one message, each with a weight
//! and the short options that explain it.
//!
//! A signature either matches or not, but a classifier's evidence is a
//! probability and a bulk detector's a cluster of some size and age: both
//! want to say "this symbol, this strongly, because". As rspamd's
//! `insert_result(symbol, weight, options)`, a stage fires a symbol with a
//! weight (a factor on the symbol's score from the symbol table) and
//! options (the reason, shown beside the symbol in the verdict). The
//! symbol's name, base score and description stay in the table; only the
//! weight and options vary per message.

use crate::symbols::SymbolId;

/// The symbols fired so far for one message. Reset in time proportional to
/// what fired, not to the size of the symbol table, and allocation-free
/// while no option is given: buffers keep their capacity across messages.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// By symbol: the weight it fired with, `None` while it has not.
    weights: Vec<Option<f64>>,
    /// The fired symbols in firing order.
    order: Vec<SymbolId>,
    /// Options in the order they were given, each with its symbol.
    options: Vec<(SymbolId, String)>,
}

impl Evidence {
    /// Evidence for an engine of `count` symbols.
    pub fn with_symbols(count: usize) -> Evidence {
        Evidence {
            weights: vec![None; count],
            order: Vec::new(),
            options: Vec::new(),
        }
    }

    /// Records that a symbol fired, with weight 1 (its full score).
    pub fn fire(&mut self, id: SymbolId) {
        let _ = self.fire_weighted(id, 1.0);
    }

    /// Records that a symbol fired with `weight`, a factor on its score
    /// (a probability, a confidence); returns a handle to add options.
    ///
    /// A symbol fires once per message: firing it again keeps the weight
    /// of larger magnitude, so two stages that both see a thing do not
    /// count it twice. A weight that is not a finite number counts as 0:
    /// the symbol shows, its score does not move the total.
    pub fn fire_weighted(&mut self, id: SymbolId, weight: f64) -> Fired<'_> {
        let weight = if weight.is_finite() { weight } else { 0.0 };
        let slot = &mut self.weights[id.0 as usize];
        match slot {
            Some(old) if old.abs() >= weight.abs() => {}
            Some(old) => *old = weight,
            None => {
                *slot = Some(weight);
                self.order.push(id);
            }
        }
        Fired { evidence: self, id }
    }

    /// Whether a symbol fired (with any weight: meta rules see a weighted
    /// symbol as fired).
    pub fn has(&self, id: SymbolId) -> bool {
        self.weights[id.0 as usize].is_some()
    }

    /// The weight a symbol fired with.
    pub fn weight(&self, id: SymbolId) -> Option<f64> {
        self.weights[id.0 as usize]
    }

    /// The fired symbols, in the order they fired.
    pub fn fired(&self) -> &[SymbolId] {
        &self.order
    }

    /// The options given for `id`, in order.
    pub fn options(&self, id: SymbolId) -> impl Iterator<Item = &str> + '_ {
        self.options
            .iter()
            .filter(move |(of, _)| *of == id)
            .map(|(_, text)| text.as_str())
    }

    /// Takes the options of `id` out, in order (the verdict owns them
    /// then); no allocation when there are none.
    pub(crate) fn take_options(&mut self, id: SymbolId) -> Vec<String> {
        let count = self.options.iter().filter(|(of, _)| *of == id).count();
        let mut taken = Vec::with_capacity(count);
        for (of, text) in self.options.iter_mut() {
            if *of == id {
                taken.push(std::mem::take(text));
            }
        }
        taken
    }

    /// Forgets everything fired, keeping the buffers.
    pub fn clear(&mut self) {
        for id in self.order.drain(..) {
            self.weights[id.0 as usize] = None;
        }
        self.options.clear();
    }
}

/// A symbol just fired; add the options that explain it.
#[must_use = "a Fired handle does nothing unless options are added"]
pub struct Fired<'a> {
    evidence: &'a mut Evidence,
    id: SymbolId,
}

impl Fired<'_> {
    /// Adds one option (`p=0.971`, `size=57`, a matched domain). Options
    /// are short: they are shown in verdicts, headers and logs, so they must
    /// never carry message text or subscriber addresses in clear.
    pub fn option(self, text: impl Into<String>) -> Self {
        self.evidence.options.push((self.id, text.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbol_fires_once_keeping_the_strongest_weight() {
        let mut evidence = Evidence::with_symbols(3);
        let a = SymbolId(1);
        let _ = evidence.fire_weighted(a, 0.25).option("first");
        let _ = evidence.fire_weighted(a, -0.75).option("second");
        let _ = evidence.fire_weighted(a, 0.5);
        assert_eq!(evidence.fired(), &[a]);
        assert_eq!(evidence.weight(a), Some(-0.75));
        assert_eq!(evidence.options(a).collect::<Vec<_>>(), ["first", "second"]);
    }

    #[test]
    fn non_finite_weights_count_as_zero() {
        let mut evidence = Evidence::with_symbols(1);
        let _ = evidence.fire_weighted(SymbolId(0), f64::NAN);
        assert_eq!(evidence.weight(SymbolId(0)), Some(0.0));
        assert!(evidence.has(SymbolId(0)));
    }

    #[test]
    fn clear_forgets_weights_and_options() {
        let mut evidence = Evidence::with_symbols(2);
        let _ = evidence.fire_weighted(SymbolId(0), 2.0).option("x");
        evidence.fire(SymbolId(1));
        assert_eq!(evidence.take_options(SymbolId(0)), ["x"]);
        evidence.clear();
        assert!(!evidence.has(SymbolId(0)) && !evidence.has(SymbolId(1)));
        assert!(evidence.fired().is_empty());
        assert_eq!(evidence.options(SymbolId(0)).count(), 0);
    }
}
