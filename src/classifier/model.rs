//! The model: logistic regression over hashed features, trained online.
//!
//! Each weight keeps its own AdaGrad step size (the sum of its squared
//! gradients), so a feature seen in thousands of messages moves slowly and
//! a new one quickly: that is what lets `learn` take an operator's report
//! of one message in place, in microseconds, and still matter. Training is
//! the same update run over the shuffled corpus for a few epochs. The
//! choice against naive Bayes is measured in [`super`].

use crate::message::Message;

use super::features::{FeatureParams, Features};
use super::Family;

/// How training runs. The defaults are what the study used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOptions {
    /// Passes over the training set.
    pub epochs: u32,
    /// AdaGrad's base step size.
    pub learning_rate: f32,
    /// L2 penalty per update: keeps the weights of rare features small.
    pub l2: f32,
    /// Seeds the shuffle, so training is reproducible.
    pub shuffle_seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 6,
            learning_rate: 0.5,
            l2: 1e-6,
            shuffle_seed: 0x5eed,
        }
    }
}

/// What `learn` did with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnOutcome {
    /// The weights were updated.
    Learned,
    /// The message had been learned before with the same label (its
    /// content hash was known); nothing changed.
    AlreadyLearned,
    /// The message had been learned with the other label; it was learned
    /// again with this one, and its record now carries it.
    Relabelled,
}

/// A trained classifier for one [`Family`].
///
/// ```
/// use floodwall::classifier::{Family, Features, Model, TrainOptions};
///
/// let sms = |text: &str| floodwall::ingest::record::SmsRecord {
///     from: None, to: Default::default(), text: text.into(), subject: None, channel: None, time: None,
/// }.into_message();
/// let examples = [
///     (sms("WINNER! Claim your prize, call 09061701461 now"), true),
///     (sms("see you at lunch, running late"), false),
///     (sms("URGENT you have won a cash prize, text CLAIM"), true),
///     (sms("can you pick up milk on the way home"), false),
/// ];
/// let model = Model::train(Family::Text, Model::default_params(Family::Text), TrainOptions::default(), &examples);
/// let mut features = Features::default();
/// let p = model.probability(&sms("claim your cash prize now"), &mut features);
/// assert!(p > 0.5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub(super) family: Family,
    pub(super) params: FeatureParams,
    pub(super) weights: Vec<f32>,
    /// AdaGrad's per-weight sum of squared gradients; kept in the file so
    /// that `learn` continues where training stopped.
    pub(super) squares: Vec<f32>,
    /// Content hashes of learned messages, sorted, the lowest bit replaced
    /// by the label (1 = spam).
    pub(super) learned: Vec<u64>,
    pub(super) options: TrainOptions,
}

impl Model {
    /// The feature parameters the study chose for a family.
    pub fn default_params(family: Family) -> FeatureParams {
        FeatureParams::default_for(family)
    }

    /// An untrained model: every message scores 0.5.
    ///
    /// # Panics
    /// If `params.bits` is outside [`FeatureParams::BITS`] (a caller's
    /// constant, not input).
    pub fn new(family: Family, params: FeatureParams, options: TrainOptions) -> Model {
        assert!(
            FeatureParams::BITS.contains(&params.bits),
            "hash bits {} outside {:?}",
            params.bits,
            FeatureParams::BITS
        );
        let size = 1usize << params.bits;
        Model {
            family,
            params,
            weights: vec![0.0; size],
            squares: vec![0.0; size],
            learned: Vec::new(),
            options,
        }
    }

    /// Trains a model on labelled messages (`true` = spam). Messages with
    /// the same features are learned once.
    pub fn train(
        family: Family,
        params: FeatureParams,
        options: TrainOptions,
        examples: &[(Message<'_>, bool)],
    ) -> Model {
        let mut features = Features::default();
        let sets: Vec<(Vec<u32>, bool)> = examples
            .iter()
            .map(|(msg, spam)| {
                features.extract(msg, family, params);
                (features.indices().to_vec(), *spam)
            })
            .collect();
        let borrowed: Vec<(&[u32], bool)> = sets.iter().map(|(f, s)| (f.as_slice(), *s)).collect();
        let mut model = Model::new(family, params, options);
        model.train_features(&borrowed);
        model
    }

    /// Trains on feature sets extracted with this model's parameters (tools
    /// that extract once and train many models, as cross-validation does).
    pub fn train_features(&mut self, examples: &[(&[u32], bool)]) {
        let mut order: Vec<usize> = Vec::with_capacity(examples.len());
        let mut features = Features::default();
        for (i, (indices, spam)) in examples.iter().enumerate() {
            features.set_indices(indices);
            if self.remember(features.content_hash(), *spam) != LearnOutcome::AlreadyLearned {
                order.push(i);
            }
        }
        let mut rng = self.options.shuffle_seed | 1;
        for _ in 0..self.options.epochs {
            // Fisher-Yates with xorshift64: reproducible without a dependency.
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &i in &order {
                let (indices, spam) = &examples[i];
                features.set_indices(indices);
                self.update(&features, *spam);
            }
        }
    }

    /// The family this model reads.
    pub fn family(&self) -> Family {
        self.family
    }

    /// How this model hashes features.
    pub fn params(&self) -> FeatureParams {
        self.params
    }

    /// How many distinct messages it has learned.
    pub fn learned_count(&self) -> usize {
        self.learned.len()
    }

    /// The probability that `msg` is spam. `features` is scratch space,
    /// reused from message to message.
    pub fn probability(&self, msg: &Message<'_>, features: &mut Features) -> f32 {
        features.extract(msg, self.family, self.params);
        self.probability_of(features)
    }

    /// The probability of already extracted features.
    pub fn probability_of(&self, features: &Features) -> f32 {
        sigmoid(self.margin(features))
    }

    /// The log-odds of spam: the model's raw output.
    pub fn margin(&self, features: &Features) -> f32 {
        let value = features.value();
        let sum: f32 = features
            .indices()
            .iter()
            .filter_map(|&i| self.weights.get(i as usize))
            .sum();
        sum * value
    }

    /// Learns one message in place (an operator's report): one update, unless
    /// this message was learned before with the same label.
    pub fn learn(
        &mut self,
        msg: &Message<'_>,
        spam: bool,
        features: &mut Features,
    ) -> LearnOutcome {
        features.extract(msg, self.family, self.params);
        self.learn_features(features, spam)
    }

    /// [`Model::learn`] for features already extracted with this model's
    /// parameters.
    pub fn learn_features(&mut self, features: &Features, spam: bool) -> LearnOutcome {
        let outcome = self.remember(features.content_hash(), spam);
        if outcome != LearnOutcome::AlreadyLearned {
            self.update(features, spam);
        }
        outcome
    }

    /// Records a content hash with its label; says whether it was new.
    fn remember(&mut self, hash: u64, spam: bool) -> LearnOutcome {
        let key = (hash & !1) | u64::from(spam);
        match self.learned.binary_search_by_key(&(hash >> 1), |k| k >> 1) {
            Ok(i) if self.learned[i] == key => LearnOutcome::AlreadyLearned,
            Ok(i) => {
                self.learned[i] = key;
                LearnOutcome::Relabelled
            }
            Err(i) => {
                self.learned.insert(i, key);
                LearnOutcome::Learned
            }
        }
    }

    /// One AdaGrad step of logistic loss.
    fn update(&mut self, features: &Features, spam: bool) {
        let target = if spam { 1.0 } else { 0.0 };
        let gradient = sigmoid(self.margin(features)) - target;
        let value = features.value();
        let g = gradient * value;
        let TrainOptions {
            learning_rate, l2, ..
        } = self.options;
        for &i in features.indices() {
            let i = i as usize;
            let (Some(w), Some(sq)) = (self.weights.get_mut(i), self.squares.get_mut(i)) else {
                continue;
            };
            let grad = g + l2 * *w;
            *sq += grad * grad;
            *w -= learning_rate * grad / (sq.sqrt() + 1e-6);
        }
    }
}

/// The logistic function, clamped so that extreme margins stay finite.
pub fn sigmoid(margin: f32) -> f32 {
    1.0 / (1.0 + (-margin.clamp(-40.0, 40.0)).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::FeatureKinds;

    fn params() -> FeatureParams {
        FeatureParams {
            bits: 12,
            seed: 1,
            kinds: FeatureKinds::TEXT_DEFAULT,
        }
    }

    fn sms(text: &str) -> Message<'static> {
        crate::ingest::record::SmsRecord {
            from: None,
            to: Default::default(),
            text: text.into(),
            subject: None,
            channel: None,
            time: None,
        }
        .into_message()
    }

    #[test]
    fn untrained_model_is_undecided() {
        let model = Model::new(Family::Text, params(), TrainOptions::default());
        let mut f = Features::default();
        assert_eq!(model.probability(&sms("anything"), &mut f), 0.5);
    }

    #[test]
    fn learning_moves_the_score_towards_the_label_once() {
        let mut model = Model::new(Family::Text, params(), TrainOptions::default());
        let mut f = Features::default();
        let msg = sms("claim your free prize now");
        assert_eq!(model.learn(&msg, true, &mut f), LearnOutcome::Learned);
        let after_one = model.probability(&msg, &mut f);
        assert!(after_one > 0.5);
        assert_eq!(
            model.learn(&msg, true, &mut f),
            LearnOutcome::AlreadyLearned
        );
        assert_eq!(model.probability(&msg, &mut f), after_one);
        assert_eq!(model.learn(&msg, false, &mut f), LearnOutcome::Relabelled);
        assert!(model.probability(&msg, &mut f) < after_one);
        assert_eq!(model.learned_count(), 1);
    }

    #[test]
    fn training_separates_the_classes_and_is_reproducible() {
        let spam = [
            "win a free prize now",
            "claim cash prize call now",
            "free entry win cash",
        ];
        let ham = [
            "see you at lunch",
            "running late for the meeting",
            "call me when home",
        ];
        let examples: Vec<_> = spam
            .iter()
            .map(|t| (sms(t), true))
            .chain(ham.iter().map(|t| (sms(t), false)))
            .collect();
        let a = Model::train(Family::Text, params(), TrainOptions::default(), &examples);
        let b = Model::train(Family::Text, params(), TrainOptions::default(), &examples);
        assert_eq!(a, b);
        let mut f = Features::default();
        assert!(a.probability(&sms("win free cash prize"), &mut f) > 0.5);
        assert!(a.probability(&sms("late for lunch, see you"), &mut f) < 0.5);
    }

    #[test]
    fn duplicates_in_training_count_once() {
        let examples = vec![(sms("same text"), true), (sms("same text"), true)];
        let model = Model::train(Family::Text, params(), TrainOptions::default(), &examples);
        assert_eq!(model.learned_count(), 1);
    }
}
