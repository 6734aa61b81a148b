//! The simulated day: when each message is sent, and by which kind of
//! sender. Only the plan lives here (a few bytes per message); texts and
//! addresses are made as the stream is written.
//!
//! - Ham is conversations: pairs of ordinary subscribers, each pair active
//!   around one time of day (busier by day than by night), a few messages
//!   each way.
//! - Each campaign starts at its own time and lasts its own duration (15
//!   minutes to 8 hours), its copies spread over it; copies are numbered in
//!   the order they are sent.
//! - Solicited bulk (one-time passwords, mailing-list posts) runs all day.

use super::super::Rng;
use super::{mix, Flood, StreamConfig};

/// A day in milliseconds.
pub const DAY_MS: u64 = 86_400_000;

/// The relative traffic of each hour of the day (UTC is local here):
/// quiet at night, busiest in the evening.
const HOURLY: [u64; 24] = [
    2, 1, 1, 1, 1, 2, 4, 6, 8, 8, 8, 8, 9, 9, 8, 8, 8, 9, 10, 10, 9, 7, 5, 3,
];

/// Recipients a mailing-list post is delivered to.
pub const LIST_MEMBERS: usize = 100;

/// What one message of the stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Ordinary ham within conversation pair `pair`, from its second
    /// member when `reverse`.
    Ham { pair: u32, reverse: bool },
    /// Solicited bulk: an A2P text, or delivery `member` of list post `post`.
    Solicited { post: u32, member: u32 },
    /// Copy `copy` (0-based, in sending order) of campaign `campaign` (0-based).
    Copy { campaign: u16, copy: u32 },
    /// A flood message.
    Flood,
}

/// One message of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds after the day's start.
    pub time: u32,
    /// What it is.
    pub kind: Kind,
}

/// One campaign as planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// How many copies it sends.
    pub copies: usize,
    /// How many distinct senders send them.
    pub senders: usize,
    /// When its first copy may go, in ms after the day's start.
    pub start_ms: u64,
    /// How long it runs.
    pub duration_ms: u64,
    /// Whether it walks adjacent recipient numbers (else random ones).
    pub sequential: bool,
    /// The first recipient number of a sequential walk.
    pub recipient_base: u64,
}

/// The whole day.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Every message, in sending order.
    pub events: Vec<Event>,
    /// The campaigns, by index.
    pub campaigns: Vec<Campaign>,
    /// Ordinary ham messages.
    pub ham: usize,
    /// Solicited messages.
    pub solicited: usize,
    /// The ordinary subscribers conversation pairs are drawn from.
    pub subscribers: u64,
}

/// Campaign sizes for `config`, drawn before the rest so that a stream
/// sized to its ham supply can be sized first.
pub fn campaigns(config: &StreamConfig) -> Vec<Campaign> {
    let mut rng = Rng::new(mix(config.seed ^ 0xca3a_1915));
    (0..config.campaigns)
        .map(|_| {
            let copies = log_uniform(&mut rng, config.copies.0, config.copies.1);
            let senders = log_uniform(&mut rng, config.senders.0, config.senders.1).min(copies);
            let duration_ms =
                log_uniform(&mut rng, 15 * 60_000, 8 * 3_600_000).min(DAY_MS as usize) as u64;
            let start_ms = rng.next() % (DAY_MS - duration_ms + 1);
            Campaign {
                copies,
                senders: senders.max(1),
                start_ms,
                duration_ms,
                sequential: rng.chance(25),
                recipient_base: rng.next() % 900_000_000,
            }
        })
        .collect()
}

/// Plans `ham` ordinary and `solicited` solicited messages around
/// `campaigns` (a flood plans `config.messages` flood messages alone).
pub fn plan(config: &StreamConfig, campaigns: Vec<Campaign>, ham: usize, solicited: usize) -> Plan {
    let mut rng = Rng::new(mix(config.seed ^ 0x7133_11e5));
    if config.flood.is_some() {
        return flood(config, &mut rng);
    }
    let total = ham + solicited + campaigns.iter().map(|c| c.copies).sum::<usize>();
    let mut events = Vec::with_capacity(total);
    // A few messages a pair; each subscriber in one or two pairs.
    let pairs = (ham as u64 / 6).max(1);
    let subscribers = (pairs * 3 / 2).max(2);
    let mut centres: Vec<u32> = (0..pairs).map(|_| diurnal(&mut rng)).collect();
    centres.shrink_to_fit();
    for _ in 0..ham {
        let pair = rng.below(pairs as usize) as u32;
        let spread = rng.next() % 7_200_000;
        let time = (u64::from(centres[pair as usize]) + spread).saturating_sub(3_600_000);
        events.push(Event {
            time: time.min(DAY_MS - 1) as u32,
            kind: Kind::Ham {
                pair,
                reverse: rng.chance(50),
            },
        });
    }
    let posts = match config.channel {
        crate::Channel::Email => solicited.div_ceil(LIST_MEMBERS),
        _ => 0,
    };
    let post_times: Vec<u32> = (0..posts).map(|_| diurnal(&mut rng)).collect();
    for n in 0..solicited {
        let (post, member, time) = match posts {
            0 => (0, n as u32, diurnal(&mut rng)),
            _ => {
                let post = n / LIST_MEMBERS;
                // A list server delivers a post to its members within a minute.
                let delay = (rng.next() % 60_000) as u32;
                let time = (post_times[post] + delay).min(DAY_MS as u32 - 1);
                (post as u32, (n % LIST_MEMBERS) as u32, time)
            }
        };
        events.push(Event {
            time,
            kind: Kind::Solicited { post, member },
        });
    }
    for (index, campaign) in campaigns.iter().enumerate() {
        let mut times: Vec<u32> = (0..campaign.copies)
            .map(|_| (campaign.start_ms + rng.next() % campaign.duration_ms.max(1)) as u32)
            .collect();
        times.sort_unstable();
        for (copy, time) in times.into_iter().enumerate() {
            events.push(Event {
                time,
                kind: Kind::Copy {
                    campaign: index as u16,
                    copy: copy as u32,
                },
            });
        }
    }
    // Stable: equal times keep the order above, so the plan is reproducible.
    events.sort_by_key(|e| e.time);
    Plan {
        events,
        campaigns,
        ham,
        solicited,
        subscribers,
    }
}

fn flood(config: &StreamConfig, rng: &mut Rng) -> Plan {
    let messages = config.messages.unwrap_or(0);
    let mut times: Vec<u32> = (0..messages)
        .map(|_| (rng.next() % DAY_MS) as u32)
        .collect();
    times.sort_unstable();
    let campaigns = match config.flood {
        Some(Flood::Recipients) => vec![Campaign {
            copies: messages,
            senders: 1,
            start_ms: 0,
            duration_ms: DAY_MS,
            sequential: false,
            recipient_base: 0,
        }],
        _ => Vec::new(),
    };
    let kind = |copy: usize| match config.flood {
        Some(Flood::Recipients) => Kind::Copy {
            campaign: 0,
            copy: copy as u32,
        },
        _ => Kind::Flood,
    };
    Plan {
        events: times
            .into_iter()
            .enumerate()
            .map(|(n, time)| Event {
                time,
                kind: kind(n),
            })
            .collect(),
        campaigns,
        ham: 0,
        solicited: 0,
        subscribers: 2,
    }
}

/// A time of day drawn from the hourly profile.
fn diurnal(rng: &mut Rng) -> u32 {
    let total: u64 = HOURLY.iter().sum();
    let mut pick = rng.next() % total;
    let mut hour = 0;
    while pick >= HOURLY[hour] {
        pick -= HOURLY[hour];
        hour += 1;
    }
    (hour as u64 * 3_600_000 + rng.next() % 3_600_000) as u32
}

/// Drawn from `lo..=hi` uniformly on a log scale: most campaigns small, a
/// few large, as bulk traffic is.
fn log_uniform(rng: &mut Rng, lo: usize, hi: usize) -> usize {
    let (lo, hi) = (lo.max(1), hi.max(lo.max(1)));
    let unit = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    let value = (lo as f64).ln() + unit * ((hi as f64).ln() - (lo as f64).ln());
    (value.exp().round() as usize).clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_uniform_stays_in_range() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            assert!((1000..=20_000).contains(&log_uniform(&mut rng, 1000, 20_000)));
        }
        assert_eq!(log_uniform(&mut rng, 5, 5), 5);
    }

    #[test]
    fn diurnal_times_fall_in_the_day_and_favour_the_evening() {
        let mut rng = Rng::new(2);
        let times: Vec<u32> = (0..10_000).map(|_| diurnal(&mut rng)).collect();
        assert!(times.iter().all(|&t| u64::from(t) < DAY_MS));
        let night = times.iter().filter(|&&t| t < 4 * 3_600_000).count();
        let evening = times
            .iter()
            .filter(|&&t| (18 * 3_600_000..22 * 3_600_000).contains(&t))
            .count();
        assert!(evening > 5 * night, "{evening} vs {night}");
    }
}
