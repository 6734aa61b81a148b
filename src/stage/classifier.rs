//! The classifier stage: each message scored by the trained model of its
//! family ([`crate::classifier`]), as graded evidence on both sides.
//!
//! Rules say what someone wrote down; the model says how much a message
//! resembles the spam and ham it learned from. Its probability `p` becomes
//! one of two weighted symbols, so that the policy adds it to the rules'
//! evidence instead of overruling it:
//!
//! - `CLASSIFIER_SPAM` when `p ≥ spam_threshold`, with weight
//!   `(p − spam_threshold) / (1 − spam_threshold)`: nothing at the
//!   threshold, the full score at certainty;
//! - `CLASSIFIER_HAM` (a negative score) when `p ≤ ham_threshold`, with
//!   weight `(ham_threshold − p) / ham_threshold`;
//! - nothing in between, where the model is unsure: there the verdict is
//!   the rules' alone.
//!
//! Both carry `p=0.973` in their options. The models come from the rules
//! directory (`models/text.fwm` for SMS and MMS, `models/email.fwm` for
//! mail, see [`RuleSet::models`](crate::rules::RuleSet::models)); a family
//! without a model is not scored, and a damaged or mismatched file stops
//! the engine's build with an error naming it. The settings are
//! `[stage.classifier]` in `policy.toml` ([`ClassifierConfig`]).

use serde::Deserialize;

use crate::classifier::{Family, Features, Model};
use crate::engine::StageSetup;
use crate::message::Message;
use crate::symbols::SymbolId;

use super::{Evidence, ScanContext, Stage, StageError, StageScratch};

/// The stage's name: its `[stage.classifier]` table and timing counters.
pub const NAME: &str = "classifier";
/// The symbol of a message the model finds spammy.
pub const SPAM_SYMBOL: &str = "CLASSIFIER_SPAM";
/// The symbol of a message the model finds hammy.
pub const HAM_SYMBOL: &str = "CLASSIFIER_HAM";

/// `[stage.classifier]` in `policy.toml`. Every key is optional.
///
/// The defaults were chosen on held-out data (see the README's classifier
/// section) and on the kinds of ham the corpora lack (the personal mail in
/// other languages and the one-time codes of `seeds/`, which the shipped
/// models score 0.87–0.95): the classifier alone reaches the `tag`
/// threshold (5) from `p ≥ 0.9625`, below that it adds to the rules'
/// evidence, and a confident ham verdict takes back at most the score of
/// a couple of weak rules.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierConfig {
    /// `CLASSIFIER_SPAM` fires from this probability (default 0.9).
    pub spam_threshold: f64,
    /// `CLASSIFIER_SPAM`'s score at `p = 1` (default 8.0).
    pub spam_score: f64,
    /// `CLASSIFIER_HAM` fires up to this probability (default 0.1).
    pub ham_threshold: f64,
    /// `CLASSIFIER_HAM`'s score at `p = 0`, negative (default −3.0).
    pub ham_score: f64,
}

impl Default for ClassifierConfig {
    fn default() -> ClassifierConfig {
        ClassifierConfig {
            spam_threshold: 0.9,
            spam_score: 8.0,
            ham_threshold: 0.1,
            ham_score: -3.0,
        }
    }
}

impl ClassifierConfig {
    fn check(&self) -> Result<(), StageError> {
        let bad = |what: &str| Err(StageError::Config(what.to_string()));
        if !(self.spam_threshold > 0.0 && self.spam_threshold < 1.0) {
            return bad("spam_threshold must be strictly between 0 and 1");
        }
        if !(self.ham_threshold > 0.0 && self.ham_threshold < 1.0) {
            return bad("ham_threshold must be strictly between 0 and 1");
        }
        if self.ham_threshold > self.spam_threshold {
            return bad("ham_threshold must not be above spam_threshold");
        }
        if !self.spam_score.is_finite() || !self.ham_score.is_finite() {
            return bad("spam_score and ham_score must be finite numbers");
        }
        Ok(())
    }

    /// The weight `CLASSIFIER_SPAM` fires with at `p`, if it fires.
    pub fn spam_weight(&self, p: f64) -> Option<f64> {
        (p >= self.spam_threshold)
            .then(|| ((p - self.spam_threshold) / (1.0 - self.spam_threshold)).clamp(0.0, 1.0))
    }

    /// The weight `CLASSIFIER_HAM` fires with at `p`, if it fires.
    pub fn ham_weight(&self, p: f64) -> Option<f64> {
        (p <= self.ham_threshold)
            .then(|| ((self.ham_threshold - p) / self.ham_threshold).clamp(0.0, 1.0))
    }
}

/// The model file a family is read from, under the rules directory's
/// `models/`.
pub fn model_file(family: Family) -> &'static str {
    match family {
        Family::Text => "text.fwm",
        Family::Email => "email.fwm",
    }
}

/// Scores messages with one model per family.
pub struct ClassifierStage {
    text: Option<Model>,
    email: Option<Model>,
    spam: SymbolId,
    ham: SymbolId,
    config: ClassifierConfig,
}

impl ClassifierStage {
    /// Builds the stage from the rule set's models and `[stage.classifier]`,
    /// registering its two symbols. A model file that does not load, is
    /// for the other family, or has a name this stage does not read is an
    /// error naming the file.
    pub fn build(setup: &mut StageSetup<'_>) -> Result<ClassifierStage, StageError> {
        let config: ClassifierConfig = setup.config()?;
        config.check()?;
        let mut text = None;
        let mut email = None;
        for (name, bytes) in &setup.rules.models {
            let family = match name.as_str() {
                "text.fwm" => Family::Text,
                "email.fwm" => Family::Email,
                _ => {
                    return Err(StageError::Config(format!(
                        "models/{name}: not a model file this stage reads (text.fwm, email.fwm)"
                    )))
                }
            };
            let model = Model::from_bytes(bytes)
                .map_err(|err| StageError::Config(format!("models/{name}: {err}")))?;
            if model.family() != family {
                return Err(StageError::Config(format!(
                    "models/{name}: model is for {} messages, expected {family}",
                    model.family()
                )));
            }
            match family {
                Family::Text => text = Some(model),
                Family::Email => email = Some(model),
            }
        }
        let spam = setup.register(
            SPAM_SYMBOL,
            config.spam_score,
            "The trained classifier finds the message spammy (weighted by its probability)",
        );
        let ham = setup.register(
            HAM_SYMBOL,
            config.ham_score,
            "The trained classifier finds the message hammy (weighted by its probability)",
        );
        Ok(ClassifierStage {
            text,
            email,
            spam,
            ham,
            config,
        })
    }

    /// The model a family is scored with, if it has one.
    pub fn model(&self, family: Family) -> Option<&Model> {
        match family {
            Family::Text => self.text.as_ref(),
            Family::Email => self.email.as_ref(),
        }
    }

    /// The stage's settings.
    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// The probability of spam the model of `msg`'s family gives, `None`
    /// when that family has no model.
    pub fn probability(&self, msg: &Message<'_>, features: &mut Features) -> Option<f32> {
        let model = self.model(Family::of(msg.channel))?;
        Some(model.probability(msg, features))
    }
}

/// `p=0.973` in one allocation (the verdict owns it), where `format!`
/// would grow its buffer once more.
fn probability_option(p: f32) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(8);
    let _ = write!(text, "p={p:.3}");
    text
}

impl Stage for ClassifierStage {
    fn name(&self) -> &'static str {
        NAME
    }

    fn new_scratch(&self) -> StageScratch {
        Box::new(Features::default())
    }

    fn scan(
        &self,
        msg: &Message<'_>,
        _cx: &ScanContext<'_>,
        scratch: &mut StageScratch,
        evidence: &mut Evidence,
    ) -> Result<(), StageError> {
        let Some(model) = self.model(Family::of(msg.channel)) else {
            return Ok(());
        };
        let features = scratch
            .downcast_mut::<Features>()
            .ok_or_else(|| StageError::Failed("classifier scratch of another stage".into()))?;
        let p = model.probability(msg, features);
        let p64 = f64::from(p);
        if let Some(weight) = self.config.spam_weight(p64) {
            let _ = evidence
                .fire_weighted(self.spam, weight)
                .option(probability_option(p));
        } else if let Some(weight) = self.config.ham_weight(p64) {
            let _ = evidence
                .fire_weighted(self.ham, weight)
                .option(probability_option(p));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_rise_from_the_thresholds() {
        let config = ClassifierConfig::default();
        assert_eq!(config.spam_weight(0.89), None);
        assert_eq!(config.spam_weight(0.9), Some(0.0));
        assert!((config.spam_weight(0.95).unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(config.spam_weight(1.0), Some(1.0));
        assert_eq!(config.ham_weight(0.11), None);
        assert!((config.ham_weight(0.05).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(config.ham_weight(0.0), Some(1.0));
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut config = ClassifierConfig {
            spam_threshold: 1.0,
            ..ClassifierConfig::default()
        };
        assert!(config.check().is_err());
        config.spam_threshold = 0.3;
        config.ham_threshold = 0.4;
        assert!(config.check().is_err());
        config.ham_threshold = 0.1;
        config.ham_score = f64::NAN;
        assert!(config.check().is_err());
    }

    #[test]
    fn the_option_is_one_short_string() {
        assert_eq!(probability_option(0.97312), "p=0.973");
        assert_eq!(probability_option(1.0), "p=1.000");
    }
}
