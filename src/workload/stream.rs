//! A labelled stream of a simulated day, for measuring stream stages (bulk
//! campaigns, sender velocity and fan-out, issue 20): ham read from the
//! corpora mixed with campaigns of mutated copies, every message with its
//! receive time, and a truth file that says what each message is.
//!
//! - `supply`: ham texts (each sent once where the corpora allow) and
//!   spam texts to template campaigns on, read at run time.
//! - `timeline`: when each message goes and from which kind of sender.
//! - `mutate`: how each campaign copy differs from the template.
//! - `segment`: ham mail cut into SMS-length pieces.
//!
//! The same seed and corpora give the same stream, byte for byte.
//!
//! ```
//! use floodwall::workload::stream::{Stream, StreamConfig, Supply, Text};
//! use floodwall::Channel;
//!
//! let supply = Supply {
//!     ham: (0..1000).map(|i| Text::sms(&format!("see you at {i} tonight"))).collect(),
//!     native_ham: 1000,
//!     spam: vec![Text::sms("WINNER! Claim your prize at http://x.example/win now")],
//! };
//! let mut config = StreamConfig::new(Channel::Sms);
//! config.messages = Some(600);
//! config.campaigns = 1;
//! config.copies = (50, 80);
//! config.senders = (5, 10);
//! let stream = Stream::new(config, supply).unwrap();
//! let (mut out, mut truth) = (Vec::new(), Vec::new());
//! let summary = stream.write(&mut out, &mut truth, |_| {}).unwrap();
//! assert_eq!(summary.messages, 600);
//! assert_eq!(summary.ham_repeats, 0);
//! ```

mod compose;
mod mutate;
mod render;
mod segment;
mod supply;
mod timeline;

use std::io::{self, Write};

pub use self::compose::A2P_SENDERS;
pub use self::mutate::Synonyms;
pub use self::supply::{Supply, SupplyError, Text};
pub use self::timeline::{Campaign, DAY_MS};

use self::compose::Composer;
use self::render::Outgoing;
use self::timeline::Plan;
use super::Rng;
use crate::message::Channel;

/// 2026-03-02T00:00:00Z, a Monday: the default simulated day.
pub const DEFAULT_DAY_START_MS: u64 = 1_772_409_600_000;

/// A flood for the fault tests: traffic made to fill a state store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flood {
    /// Distinct random texts from random senders to random recipients.
    Texts,
    /// One sender, one text, a different recipient every message.
    Recipients,
}

/// What stream to make.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// SMS (JSON lines) or email (mbox).
    pub channel: Channel,
    /// Messages in all; `None` sends every ham text of the supply once.
    pub messages: Option<usize>,
    /// How many campaigns.
    pub campaigns: usize,
    /// Copies per campaign, least and most (drawn on a log scale).
    pub copies: (usize, usize),
    /// Distinct senders per campaign, least and most.
    pub senders: (usize, usize),
    /// Solicited bulk per thousand messages.
    pub solicited_per_mille: usize,
    /// The seed every random choice derives from.
    pub seed: u64,
    /// The simulated day's first millisecond since the Unix epoch.
    pub day_start_ms: u64,
    /// A flood instead of the mixed stream.
    pub flood: Option<Flood>,
}

impl StreamConfig {
    /// Issue 20's stream: 20 campaigns of 1,000 to 20,000 copies from 50 to
    /// 5,000 senders each, 1% solicited bulk, every ham text once.
    pub fn new(channel: Channel) -> StreamConfig {
        StreamConfig {
            channel,
            messages: None,
            campaigns: 20,
            copies: (1_000, 20_000),
            senders: (50, 5_000),
            solicited_per_mille: 10,
            seed: 1,
            day_start_ms: DEFAULT_DAY_START_MS,
            flood: None,
        }
    }
}

/// Why a stream could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The corpora could not be read.
    #[error(transparent)]
    Supply(#[from] SupplyError),
    /// The campaigns alone need more messages than the stream has.
    #[error("{messages} messages cannot hold {needed} campaign copies and solicited messages; give more --messages or fewer --campaigns")]
    TooSmall {
        /// Messages asked for.
        messages: usize,
        /// What campaigns and solicited bulk take.
        needed: usize,
    },
    /// Fewer spam texts than campaigns.
    #[error("{campaigns} campaigns need as many spam templates, the corpora give {found}")]
    NoTemplates {
        /// Campaigns asked for.
        campaigns: usize,
        /// Spam texts found.
        found: usize,
    },
    /// The stream has ham but the supply has none.
    #[error("no ham texts in the corpora")]
    NoHam,
    /// Writing failed.
    #[error("writing the stream: {0}")]
    Io(#[from] io::Error),
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages in all.
    pub messages: usize,
    /// Ordinary ham messages.
    pub ham: usize,
    /// Solicited bulk messages (labelled ham).
    pub solicited: usize,
    /// Campaign copies.
    pub copies: usize,
    /// Distinct ham texts the supply held.
    pub supply: usize,
    /// How many of them were the channel's own (for SMS, the rest were
    /// cut from mail).
    pub native_supply: usize,
    /// Ham messages (and list posts) whose text had been sent before: the
    /// supply ran out. Their truth rows say `repeat`.
    pub ham_repeats: usize,
}

/// A planned stream, ready to write.
pub struct Stream {
    config: StreamConfig,
    supply: Supply,
    plan: Plan,
    /// The supply index of each ordinary ham message, in sending order.
    ham_slots: Vec<u32>,
    synonyms: Synonyms,
}

impl Stream {
    /// Plans the stream of `config` from `supply`.
    pub fn new(config: StreamConfig, supply: Supply) -> Result<Stream, StreamError> {
        let synonyms = Synonyms::table();
        if config.flood.is_some() {
            let mut config = config;
            config.messages = Some(config.messages.unwrap_or(1_000_000));
            let plan = timeline::plan(&config, Vec::new(), 0, 0);
            return Ok(Stream {
                config,
                supply,
                plan,
                ham_slots: Vec::new(),
                synonyms,
            });
        }
        let campaigns = timeline::campaigns(&config);
        if supply.spam.len() < campaigns.len() {
            return Err(StreamError::NoTemplates {
                campaigns: campaigns.len(),
                found: supply.spam.len(),
            });
        }
        let copies: usize = campaigns.iter().map(|c| c.copies).sum();
        let per_post = match config.channel {
            Channel::Email => timeline::LIST_MEMBERS,
            _ => usize::MAX,
        };
        let (ham, solicited) = match config.messages {
            Some(messages) => {
                let solicited = messages * config.solicited_per_mille / 1000;
                let ham = messages.checked_sub(copies + solicited).ok_or({
                    StreamError::TooSmall {
                        messages,
                        needed: copies + solicited,
                    }
                })?;
                (ham, solicited)
            }
            None => {
                let solicited = (copies + supply.ham.len()) * config.solicited_per_mille / 1000;
                let posts = solicited.div_ceil(per_post);
                (supply.ham.len().saturating_sub(posts), solicited)
            }
        };
        if supply.ham.is_empty() && (ham > 0 || (per_post < usize::MAX && solicited > 0)) {
            return Err(StreamError::NoHam);
        }
        let plan = timeline::plan(&config, campaigns, ham, solicited);
        let mut rng = Rng::new(mix(config.seed ^ 0x4a3_5107));
        let len = supply.ham.len().max(1);
        let mut ham_slots: Vec<u32> = (0..ham).map(|i| (i % len) as u32).collect();
        for i in (1..ham_slots.len()).rev() {
            ham_slots.swap(i, rng.below(i + 1));
        }
        Ok(Stream {
            config,
            supply,
            plan,
            ham_slots,
            synonyms,
        })
    }

    /// The campaigns as planned (index + 1 is the id in the truth file).
    pub fn campaigns(&self) -> &[Campaign] {
        &self.plan.campaigns
    }

    /// Messages the stream will have.
    pub fn len(&self) -> usize {
        self.plan.events.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.plan.events.is_empty()
    }

    /// Writes the stream to `out` and its truth to `truth` (TSV: index from
    /// 1 as `floodwall scan` numbers messages, `ham` or `campaign`, campaign
    /// id from 1, copy number from 1 in sending order, sender, recipient,
    /// kind: `subscriber`, `repeat` (a ham text sent before: the supply
    /// ran out), `solicited` or `flood` for ham, `random`,
    /// `sequential` or `fanout` for campaigns by how recipients are picked).
    /// `progress` hears how many messages are written, every 10,000.
    pub fn write(
        &self,
        out: &mut impl Write,
        truth: &mut impl Write,
        mut progress: impl FnMut(usize),
    ) -> Result<Summary, StreamError> {
        writeln!(
            truth,
            "# index\tlabel\tcampaign\tcopy\tsender\trecipient\tkind"
        )?;
        let mut summary = Summary {
            messages: self.plan.events.len(),
            ham: self.plan.ham,
            solicited: self.plan.solicited,
            copies: self.plan.campaigns.iter().map(|c| c.copies).sum(),
            supply: self.supply.ham.len(),
            native_supply: self.supply.native_ham,
            ham_repeats: 0,
        };
        let mut composer = Composer::new(self);
        for (i, event) in self.plan.events.iter().enumerate() {
            if i % 10_000 == 0 {
                progress(i);
            }
            let msg = composer.compose(i, event);
            let outgoing = Outgoing {
                time_ms: self.config.day_start_ms + u64::from(event.time),
                sender: &composer.sender,
                recipient: &composer.recipient,
                subject: msg.subject.as_deref(),
                text: &msg.text,
                list: msg.list,
                id: msg.id,
            };
            match self.config.channel {
                Channel::Email => render::mbox_message(out, &outgoing)?,
                _ => render::sms_line(out, &outgoing)?,
            }
            let (campaign, copy) = match msg.campaign {
                0 => ("-".to_string(), "-".to_string()),
                c => (c.to_string(), msg.copy.to_string()),
            };
            writeln!(
                truth,
                "{}\t{}\t{campaign}\t{copy}\t{}\t{}\t{}",
                i + 1,
                msg.label,
                composer.sender,
                composer.recipient,
                msg.kind
            )?;
        }
        summary.ham_repeats = composer.repeats;
        progress(self.plan.events.len());
        out.flush()?;
        truth.flush()?;
        Ok(summary)
    }
}

/// SplitMix64's finaliser (Steele, Lea, Flood 2014): spreads nearby seeds
/// and counters over all 64 bits, so that per-message generators started
/// from neighbouring numbers do not start alike.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
