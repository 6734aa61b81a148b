//! A trainable spam classifier: hashed features and a logistic model per
//! channel family, learning from operator feedback.
//!
//! (The design notes and the study that chose it are written in the
//! report of the study below.)

mod features;
mod format;
mod hashing;
pub mod metrics;
mod model;

pub use features::{FeatureKinds, FeatureParams, Features};
pub use format::{ModelError, VERSION as FORMAT_VERSION};
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
