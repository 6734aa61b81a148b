//! Sender velocity and fan-out: how much one sender key sends, to how many
//! recipients, and whether it walks adjacent numbers.
//!
//! Keys by class ([`SenderClass`]): an SMS sender's number or alphanumeric
//! id, a mail's envelope sender, its client's address and network. The
//! defaults are the consumer (person-to-person) messaging profile: about
//! 15–60 messages a minute at most, up to about 1,000 a day, to recipients
//! in the low hundreds a day (CTIA's messaging principles, quoted in the
//! design reference §1.5); traffic beyond it is application-to-person or
//! suspect. Each class has its own thresholds (`[stage.stream.velocity.
//! CLASS]`); a threshold of 0 turns that check off. Client addresses are
//! off by default: one mail server hands over the mail of thousands of
//! people.
//!
//! - `VELOCITY_BURST`: more than `burst` messages in a minute;
//! - `VELOCITY_VOLUME`: more than `daily` messages in a day;
//! - `FANOUT_HIGH`: more than `fan_out` distinct recipients in a day;
//! - `FANOUT_SEQUENTIAL`: `walk` messages in a row to adjacent numbers
//!   (within 16 of the one before: a sender working through a range).
//!
//! Each carries the class and the count in its options.

use std::net::IpAddr;

use serde::Deserialize;

use crate::message::{Channel, Message};
use crate::stage::Evidence;
use crate::state::key::{self, KeyClass};
use crate::state::{SenderOp, SenderReply, Window};
use crate::symbols::SymbolId;

/// The kinds of sender key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderClass {
    /// An SMS/MMS sender that is a phone number.
    Msisdn,
    /// An alphanumeric SMS sender id.
    SenderId,
    /// A mail's envelope sender address.
    MailSender,
    /// The client address that handed a mail over.
    Ip,
    /// Its network: /24 for IPv4, /64 for IPv6.
    IpPrefix,
}

impl SenderClass {
    /// The class's name in options and configuration.
    pub fn name(self) -> &'static str {
        match self {
            SenderClass::Msisdn => "msisdn",
            SenderClass::SenderId => "sender_id",
            SenderClass::MailSender => "mail_sender",
            SenderClass::Ip => "ip",
            SenderClass::IpPrefix => "ip_prefix",
        }
    }
}

/// One class's thresholds; 0 turns a check off.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Messages per minute before `VELOCITY_BURST`.
    pub burst: u32,
    /// Messages per day before `VELOCITY_VOLUME`.
    pub daily: u32,
    /// Distinct recipients per day before `FANOUT_HIGH`.
    pub fan_out: u32,
    /// Messages in a row to adjacent numbers for `FANOUT_SEQUENTIAL`.
    pub walk: u32,
}

impl Limits {
    /// The consumer messaging profile.
    pub const CONSUMER: Limits = Limits {
        burst: 60,
        daily: 1000,
        fan_out: 200,
        walk: 10,
    };

    /// Every check off.
    pub const OFF: Limits = Limits {
        burst: 0,
        daily: 0,
        fan_out: 0,
        walk: 0,
    };

    fn any(&self) -> bool {
        *self != Limits::OFF
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::CONSUMER
    }
}

/// `[stage.stream.velocity]` in `policy.toml`: one table per class.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VelocityConfig {
    /// Off switch (default on).
    pub enabled: bool,
    /// Phone-number senders (default: the consumer profile).
    pub msisdn: Limits,
    /// Alphanumeric sender ids (default: the consumer profile; register
    /// your A2P senders in `exempt_senders`).
    pub sender_id: Limits,
    /// Mail envelope senders (default: the consumer profile, without
    /// the walk: mail addresses are not numbers).
    pub mail_sender: Limits,
    /// Mail client addresses (default: off).
    pub ip: Limits,
    /// Mail client networks (default: off).
    pub ip_prefix: Limits,
    /// Distinct recipients counted exactly (default 256; keep it above
    /// every `fan_out`).
    pub cap: u16,
}

impl Default for VelocityConfig {
    fn default() -> VelocityConfig {
        VelocityConfig {
            enabled: true,
            msisdn: Limits::CONSUMER,
            sender_id: Limits::CONSUMER,
            mail_sender: Limits {
                walk: 0,
                ..Limits::CONSUMER
            },
            ip: Limits::OFF,
            ip_prefix: Limits::OFF,
            cap: 256,
        }
    }
}

impl VelocityConfig {
    pub(super) fn limits(&self, class: SenderClass) -> &Limits {
        match class {
            SenderClass::Msisdn => &self.msisdn,
            SenderClass::SenderId => &self.sender_id,
            SenderClass::MailSender => &self.mail_sender,
            SenderClass::Ip => &self.ip,
            SenderClass::IpPrefix => &self.ip_prefix,
        }
    }

    pub(super) fn check(&self) -> Result<(), String> {
        for class in [
            SenderClass::Msisdn,
            SenderClass::SenderId,
            SenderClass::MailSender,
            SenderClass::Ip,
            SenderClass::IpPrefix,
        ] {
            let limits = self.limits(class);
            if limits.fan_out >= u32::from(self.cap) {
                return Err(format!(
                    "velocity.{}.fan_out {} must be below velocity.cap {}: the set stops counting at the cap",
                    class.name(),
                    limits.fan_out,
                    self.cap
                ));
            }
        }
        Ok(())
    }
}

/// The velocity checks' symbols.
#[derive(Clone, Copy, Debug)]
pub(super) struct VelocitySymbols {
    pub burst: SymbolId,
    pub volume: SymbolId,
    pub fan_out: SymbolId,
    pub sequential: SymbolId,
}

/// The sender keys of `msg` whose class has a check on, with their class.
pub(super) fn sender_keys(
    config: &VelocityConfig,
    msg: &Message<'_>,
    out: &mut Vec<(SenderClass, u64)>,
) {
    let mut push = |class: SenderClass, key: u64| {
        if config.limits(class).any() {
            out.push((class, key));
        }
    };
    let Some(sender) = msg.envelope.sender.as_ref().filter(|s| !s.value.is_empty()) else {
        return;
    };
    let class = match (msg.channel, phone_number(&sender.value)) {
        (Channel::Email, _) => SenderClass::MailSender,
        (_, Some(_)) => SenderClass::Msisdn,
        (_, None) => SenderClass::SenderId,
    };
    if let Some(key) = sender_key(msg) {
        push(class, key);
    }
    if let (Channel::Email, Some(ip)) = (msg.channel, msg.envelope.client_addr) {
        let bytes = match ip {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6.octets(),
        };
        push(SenderClass::Ip, key::of(KeyClass::Ip, &bytes));
        push(SenderClass::IpPrefix, prefix_key(ip));
    }
}

/// The key a message's sender counts under in a campaign cluster.
pub(super) fn sender_key(msg: &Message<'_>) -> Option<u64> {
    let sender = msg
        .envelope
        .sender
        .as_ref()
        .filter(|s| !s.value.is_empty())?;
    Some(match msg.channel {
        Channel::Email => mail_sender_key(&sender.value),
        _ => match phone_number(&sender.value) {
            Some(number) => key::of_words(KeyClass::Msisdn, [number]),
            None => key::of_folded(KeyClass::SenderId, &sender.value),
        },
    })
}

fn mail_sender_key(address: &str) -> u64 {
    key::of_folded(KeyClass::MailSender, address)
}

fn prefix_key(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            key::of(KeyClass::IpPrefix, &[4, o[0], o[1], o[2]])
        }
        IpAddr::V6(v6) => {
            let mut bytes = [6u8; 9];
            bytes[1..].copy_from_slice(&v6.octets()[..8]);
            key::of(KeyClass::IpPrefix, &bytes)
        }
    }
}

/// A phone number's digits: an optional `+`, then 6 to 15 digits (E.164
/// allows 15) with spaces, dashes, dots or parentheses between them.
pub fn phone_number(value: &str) -> Option<u64> {
    let value = value.trim();
    let digits = value.strip_prefix('+').unwrap_or(value);
    let mut number = 0u64;
    let mut count = 0;
    for c in digits.chars() {
        match c {
            '0'..='9' => {
                number = number * 10 + u64::from(c as u8 - b'0');
                count += 1;
                if count > 15 {
                    return None;
                }
            }
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (count >= 6).then_some(number)
}

/// The op counting `msg` under `key`.
pub(super) fn op(
    config: &VelocityConfig,
    key: u64,
    msg: &Message<'_>,
    time_ms: u64,
    recipient: Option<u64>,
) -> SenderOp {
    let recipient_number = match msg.channel {
        Channel::Email => None,
        _ => msg
            .envelope
            .recipients
            .first()
            .and_then(|r| phone_number(&r.value)),
    };
    SenderOp {
        time_ms,
        key,
        recipient,
        recipient_number,
        short: Window::minutes(1),
        long: Window::minutes(24 * 60),
        cap: config.cap,
    }
}

/// Fires the symbols a sender key's counts call for.
pub(super) fn fire(
    limits: &Limits,
    class: SenderClass,
    symbols: VelocitySymbols,
    reply: &SenderReply,
    evidence: &mut Evidence,
) {
    let class = class.name();
    let over = |limit: u32, n: u32| limit > 0 && n > limit;
    let checks = [
        (
            over(limits.burst, reply.short_messages),
            symbols.burst,
            reply.short_messages,
            "/1m",
        ),
        (
            over(limits.daily, reply.long_messages),
            symbols.volume,
            reply.long_messages,
            "/24h",
        ),
        (
            over(limits.fan_out, reply.recipients),
            symbols.fan_out,
            reply.recipients,
            " recipients/24h",
        ),
        (
            limits.walk > 0 && reply.walk >= limits.walk,
            symbols.sequential,
            reply.walk,
            " adjacent",
        ),
    ];
    for (fires, symbol, n, unit) in checks {
        if fires {
            let _ = evidence
                .fire_weighted(symbol, 1.0)
                .option(super::option(format_args!("{class}:{n}{unit}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_parse_and_sender_ids_do_not() {
        assert_eq!(phone_number("+44 7700-900123"), Some(447_700_900_123));
        assert_eq!(phone_number("(555) 0100"), Some(5_550_100));
        assert_eq!(phone_number("BANK"), None);
        assert_eq!(phone_number("12345"), None, "too short");
        assert_eq!(phone_number("1234567890123456"), None, "too long");
    }

    #[test]
    fn a_fan_out_at_the_cap_is_a_configuration_error() {
        let mut config = VelocityConfig::default();
        config.msisdn.fan_out = 256;
        assert!(config.check().is_err());
    }
}
