//! A trainable spam classifier: hashed features and one logistic model per
//! channel family, learning in place from operator feedback.
//!
//! Rules catch what someone wrote down; this catches what resembles the
//! spam and ham it was shown. A message becomes a set of hashed features
//! ([`Features`]: words and word pairs, character 3–5-grams for short
//! texts, the sender's domain and mailer, URL hosts and shapes, MIME
//! structure and attachment kinds); a [`Model`] for its [`Family`] (SMS and
//! MMS text, or email) turns them into a probability of spam. `learn`
//! updates the weights in place from one reported message and refuses a
//! message it has already learned (a content hash kept in the model). A
//! model is saved as a versioned, checksummed file ([`Model::save`],
//! [`Model::load`]) that a damaged or mismatched copy fails to load with a
//! [`ModelError`]; [`metrics`] holds SC, BH, accuracy, MCC, ROC AUC and SC
//! at a BH bound.
//!
//! ```
//! use floodwall::classifier::{Family, Features, Model, TrainOptions};
//!
//! let mail = |subject: &str, body: &str| {
//!     let raw = format!("From: a@example.org\r\nSubject: {subject}\r\n\r\n{body}\r\n");
//!     floodwall::ingest::email::parse(raw.as_bytes(), &Default::default()).into_owned()
//! };
//! let examples = [
//!     (mail("Verify your account", "Your account is suspended, verify at http://x.example/login"), true),
//!     (mail("Re: patch v2", "Looks good to me, applied to the tree."), false),
//! ];
//! let mut model = Model::train(Family::Email, Model::default_params(Family::Email), TrainOptions::default(), &examples);
//! let mut features = Features::default();
//! let reported = mail("Account suspended", "verify now at http://y.example/login");
//! model.learn(&reported, true, &mut features);
//! assert!(model.probability(&reported, &mut features) > 0.5);
//! ```
//!
//! # How the design was chosen
//!
//! Every figure below is from `examples/classifier_study.rs` (release
//! build, `../shared/corpora`), on data the scoring model was not trained
//! on. SC is spam caught, BH ham blocked.
//!
//! **Model.** Logistic regression with per-weight AdaGrad steps over
//! binary, unit-length feature vectors, against naive Bayes over the same
//! features (present tokens only, Laplace smoothing, the token counting of
//! common Bayes filters). On SMS 10-fold CV, words: LR AUC 0.9965 and SC
//! 94.1% at BH ≤ 0.2%, NB AUC 0.993 and 55.9%. On mail held out by list and
//! source: LR AUC 0.973, SC 73.5% at BH ≤ 0.5%; NB AUC 0.921, SC 5.8%.
//! NB's sum of hundreds of independent log ratios grows with length, so
//! long ham outscores short spam; LR learns how much each feature counts
//! alongside the others. LR's options barely matter (SMS SC at BH ≤ 0.2%
//! between 93.2% and 95.0% over learning rates 0.2–1, 3–15 epochs, L2
//! 1e-6–1e-4), so the defaults are middling ones. The same update serves
//! `learn`, with the step sizes training left, which naive Bayes could do
//! too, but not this well.
//!
//! **SMS features and data.** On the SMS Spam Collection alone, words
//! (94.1%) beat words+pairs (93.6%) and words+pairs+character 3–5-grams
//! (89.5%, SC at BH ≤ 0.2%). But a model for operators must carry to other
//! traffic, and the extra SMS sets speak to that: with the other sets in
//! training (at most 100 of each class from each, hash-picked: SpamHunter
//! alone has 20,000 spam and, unweighed, sets the model's idea of ham),
//! words+pairs+n-grams give 92.3% on the collection (AUC 0.9962) and carry
//! best to held-back sets: SC at the collection's BH ≤ 0.2% threshold
//! 75.0% on Mendeley smishing, 70.5% Smishtank, 56.7% SpamHunter, 92.4%
//! Indonesian. Taking 1,000 of each class instead drops the collection to
//! 81.4%: the extra sets' ham is not the collection's. Held-back sets whose
//! spam is something else do not carry: ExAIS (operator promotions labelled
//! spam) blocks 27% of its own ham at that threshold, and Chinese spam is
//! caught at 0.6% by a model that saw no Chinese.
//!
//! **Mail features and data.** Held out by list (15 ham lists) and by spam
//! source, phishing_pot never trained on: default features (words, pairs,
//! sender, URLs, structure) give SC 73.5% at BH ≤ 0.5% (AUC 0.973), words
//! and pairs alone 60.9%. Adding Enron (header-less, both classes) to
//! training lifts all held-out mail to SC 92.8% at BH ≤ 0.5%, AUC 0.9961
//! (the shipped configuration, 1,000 words read): phishing_pot 92.0% (AUC
//! 0.9959), Nazario phishing 97.1%, the personal spam folder 95.1%; the
//! lists' own leaked spam (37) stays at 54%; the worst list blocks 1.7%
//! (bufferbloat-cake) at the pooled threshold. Below the mail target
//! (95% at BH ≤ 0.5%) before feedback; see the loop below. The
//! transport marks ([`FeatureKinds::TRANSPORT`]: header names, Received
//! count, List-* headers) lift the pooled figure to 79.3% without Enron,
//! but the leaked list spam falls from 54% to 38%: they learn "came from a
//! list", so they stay off.
//!
//! **Feedback.** A model trained without phishing_pot and two ham lists
//! learns from a stream of exactly those (`learn`, one message at a time)
//! and is tested on the stream's last 4,000: SC at BH ≤ 0.5% 90.6% before,
//! 91.4% after 100 messages, 93.9% after 300, 98.8% after 1,000 (at the
//! model's own p ≥ 0.5: SC 94.3%, BH 0.29%).
//!
//! **Cost.** Extracting and scoring, thread CPU time, median of 7 passes:
//! 2.6–3.9 µs per SMS (the collection), 14–16 µs per mail (phishing_pot
//! 2024 and openwrt-devel 2020); loading a model: 0.9–1.4 ms for text
//! (2^18 weights, 2.0 MiB), 3.9–5.5 ms for email (2^20, 8.3 MiB), median of
//! 11 (ranges over runs on a 2-core machine at load 8–10). The issue's
//! budget for the whole engine is 4 µs per SMS, so the character n-grams
//! (80% of an SMS's features) are where the next saving is.

mod features;
mod format;
mod hashing;
pub mod metrics;
mod model;

pub use features::{FeatureKinds, FeatureParams, Features};
pub use format::{file_checksum, ModelError, VERSION as FORMAT_VERSION};
pub use model::{sigmoid, LearnOutcome, Model, TrainOptions};

use crate::message::Channel;

/// The kinds of message one model reads. SMS and MMS text are short and
/// written alike, mail is long and has headers: one model for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// SMS and MMS text.
    Text,
    /// Email.
    Email,
}

impl Family {
    /// The family a channel's messages belong to.
    pub fn of(channel: Channel) -> Family {
        match channel {
            Channel::Email => Family::Email,
            Channel::Sms | Channel::Mms => Family::Text,
        }
    }

    /// The family's name in model file names and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Text => "text",
            Family::Email => "email",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
