//! The stream stage: what a message means in the traffic around it.
//!
//! Two detectors share one stage so that a worker's batch is one round
//! trip to the state store ([`crate::state`]): [`bulk`] (campaigns: one
//! content to many recipients) and [`velocity`] (one sender's volume,
//! fan-out and number walks). In [`Stage::prepare_batch`] the stage turns
//! every message of the batch into ops, the store applies them in order,
//! and [`Stage::scan`] then fires each message's symbols from its replies.
//!
//! Time is the message's own (`Envelope::received_ms`, set by a replayed
//! log) or else the scan's clock, so that a file of a day's traffic is
//! counted as that day.
//!
//! When the store does not answer, the batch gets no stream evidence and
//! each of its messages carries `FW_STATE_UNAVAILABLE` (score 0): the scan
//! goes on with every other stage.
//!
//! Solicited bulk is exempt by configuration: senders listed in
//! `exempt_senders` (allow-listed numbers and addresses, registered A2P
//! sender ids) are not counted at all, and neither is mail carrying both
//! `List-Id` and `List-Unsubscribe` (a mailing list or a newsletter the
//! recipient subscribed to: one post to every member is its normal
//! fan-out).

pub mod bulk;
pub mod normalise;
pub mod sketch;
pub mod velocity;

use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;

use crate::engine::StageSetup;
use crate::message::{Channel, Message};
use crate::state::key::{self, KeyClass};
use crate::state::{Op, Reply, StateError};

use super::{Evidence, ScanContext, Stage, StageError, StageScratch};
use bulk::{BulkConfig, BulkScratch, BulkSymbols};
use velocity::{SenderClass, VelocityConfig, VelocitySymbols};

/// The stage's name: its `[stage.stream]` table and timing counters.
pub const NAME: &str = "stream";

/// `[stage.stream]` in `policy.toml`. Every key is optional.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamConfig {
    /// Senders never counted: allow-listed numbers and mail addresses,
    /// registered A2P sender ids (compared without case).
    pub exempt_senders: Vec<String>,
    /// Mail with both `List-Id` and `List-Unsubscribe` is not counted as
    /// a campaign (default true).
    pub exempt_mailing_lists: bool,
    /// Campaign detection.
    pub bulk: BulkConfig,
    /// Sender velocity and fan-out.
    pub velocity: VelocityConfig,
}

impl Default for StreamConfig {
    fn default() -> StreamConfig {
        StreamConfig {
            exempt_senders: Vec::new(),
            exempt_mailing_lists: true,
            bulk: BulkConfig::default(),
            velocity: VelocityConfig::default(),
        }
    }
}

/// The stream stage.
#[derive(Debug)]
pub struct StreamStage {
    config: StreamConfig,
    exempt: HashSet<String>,
    bulk: BulkSymbols,
    velocity: VelocitySymbols,
}

/// What one op of a batch is for.
#[derive(Clone, Copy, Debug)]
enum Role {
    Bulk,
    Velocity(SenderClass),
}

#[derive(Debug, Default)]
struct Scratch {
    bulk: BulkScratch,
    ops: Vec<Op>,
    roles: Vec<Role>,
    times: Vec<u64>,
    plans: Vec<Range<usize>>,
    replies: Vec<Reply>,
    keys: Vec<(SenderClass, u64)>,
    cursor: usize,
}

impl StreamStage {
    /// Builds the stage from `[stage.stream]` and registers its symbols.
    pub fn build(setup: &mut StageSetup<'_>) -> Result<StreamStage, StageError> {
        let config: StreamConfig = setup.config()?;
        config.bulk.check().map_err(StageError::Config)?;
        config.velocity.check().map_err(StageError::Config)?;
        let bulk = BulkSymbols {
            campaign: setup.register(
                "BULK_CAMPAIGN",
                5.0,
                "Copies of this content went to many recipients in the window",
            ),
            many_senders: setup.register(
                "BULK_MANY_SENDERS",
                2.0,
                "Copies of this content came from many senders (snowshoe campaign)",
            ),
        };
        let velocity = VelocitySymbols {
            burst: setup.register(
                "VELOCITY_BURST",
                2.0,
                "Sender over the per-minute message rate of a person",
            ),
            volume: setup.register(
                "VELOCITY_VOLUME",
                2.0,
                "Sender over the daily message volume of a person",
            ),
            fan_out: setup.register(
                "FANOUT_HIGH",
                3.0,
                "Sender reached more distinct recipients today than a person does",
            ),
            sequential: setup.register(
                "FANOUT_SEQUENTIAL",
                4.0,
                "Sender is working through adjacent recipient numbers",
            ),
        };
        let exempt = config
            .exempt_senders
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        Ok(StreamStage {
            config,
            exempt,
            bulk,
            velocity,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    fn exempt(&self, msg: &Message<'_>) -> bool {
        !self.exempt.is_empty()
            && msg
                .envelope
                .sender
                .as_ref()
                .is_some_and(|s| self.exempt.contains(&s.value.trim().to_lowercase()))
    }

    fn mailing_list(&self, msg: &Message<'_>) -> bool {
        self.config.exempt_mailing_lists
            && msg.channel == Channel::Email
            && msg.header_values("List-Id").next().is_some()
            && msg.header_values("List-Unsubscribe").next().is_some()
    }

    fn plan(&self, msg: &Message<'_>, time_ms: u64, s: &mut Scratch) {
        let start = s.ops.len();
        if !self.exempt(msg) && !self.mailing_list(msg) {
            let recipient = recipient_key(msg);
            if self.config.bulk.enabled {
                let sender = velocity::sender_key(msg);
                if let Some(op) = bulk::op(
                    &self.config.bulk,
                    msg,
                    time_ms,
                    sender,
                    recipient,
                    &mut s.bulk,
                ) {
                    s.ops.push(Op::Cluster(op));
                    s.roles.push(Role::Bulk);
                }
            }
            if self.config.velocity.enabled {
                s.keys.clear();
                velocity::sender_keys(&self.config.velocity, msg, &mut s.keys);
                for &(class, key) in &s.keys {
                    s.ops.push(Op::Sender(velocity::op(
                        &self.config.velocity,
                        key,
                        msg,
                        time_ms,
                        recipient,
                    )));
                    s.roles.push(Role::Velocity(class));
                }
            }
        }
        s.times.push(time_ms);
        s.plans.push(start..s.ops.len());
    }
}

impl Stage for StreamStage {
    fn name(&self) -> &'static str {
        NAME
    }

    fn new_scratch(&self) -> StageScratch {
        Box::new(Scratch::default())
    }

    fn prepare_batch(
        &self,
        batch: &[Message<'_>],
        cx: &ScanContext<'_>,
        scratch: &mut StageScratch,
    ) -> Result<(), StageError> {
        let s = own_scratch(scratch)?;
        s.ops.clear();
        s.roles.clear();
        s.times.clear();
        s.plans.clear();
        s.replies.clear();
        s.cursor = 0;
        for msg in batch {
            let time_ms = msg.envelope.received_ms.unwrap_or(cx.now_ms);
            self.plan(msg, time_ms, s);
        }
        if s.ops.is_empty() {
            return Ok(());
        }
        let store = &cx.services.state;
        store
            .apply(&s.ops, &mut s.replies)
            .map_err(|error| StageError::StateUnavailable {
                store: store.kind(),
                reason: match error {
                    StateError::Unavailable { reason, .. } => reason,
                    other => other.to_string(),
                },
            })?;
        if s.replies.len() != s.ops.len() {
            s.replies.clear();
            return Err(StageError::Failed(format!(
                "{} store gave {} replies to {} ops",
                store.kind(),
                s.replies.len(),
                s.ops.len()
            )));
        }
        Ok(())
    }

    fn scan(
        &self,
        _msg: &Message<'_>,
        _cx: &ScanContext<'_>,
        scratch: &mut StageScratch,
        evidence: &mut Evidence,
    ) -> Result<(), StageError> {
        let s = own_scratch(scratch)?;
        let i = s.cursor;
        s.cursor += 1;
        let (Some(plan), Some(&time_ms)) = (s.plans.get(i), s.times.get(i)) else {
            return Ok(());
        };
        if s.replies.len() < plan.end {
            // The batch's store call failed: the engine has said so.
            return Ok(());
        }
        for op in plan.clone() {
            match (s.roles[op], &s.replies[op]) {
                (Role::Bulk, Reply::Cluster(reply)) => {
                    bulk::fire(&self.config.bulk, self.bulk, reply, time_ms, evidence)
                }
                (Role::Velocity(class), Reply::Sender(reply)) => velocity::fire(
                    self.config.velocity.limits(class),
                    class,
                    self.velocity,
                    reply,
                    evidence,
                ),
                (role, reply) => {
                    return Err(StageError::Failed(format!(
                        "stream: a {reply:?} answered a {role:?} op"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// This stage's scratch, or an error when handed another stage's.
fn own_scratch(scratch: &mut StageScratch) -> Result<&mut Scratch, StageError> {
    scratch
        .downcast_mut::<Scratch>()
        .ok_or_else(|| StageError::Failed("stream: foreign scratch".into()))
}

/// The key of the message's recipient: the envelope's first, or for mail
/// scanned without an envelope (an mbox, a spool file) the first address
/// of its `To` header, which is where the recipient is then written.
fn recipient_key(msg: &Message<'_>) -> Option<u64> {
    if let Some(first) = msg.envelope.recipients.first() {
        return Some(key::of_folded(KeyClass::Recipient, &first.value));
    }
    if msg.channel != Channel::Email {
        return None;
    }
    let to = msg.header_values("To").next()?;
    let first = to.split(',').next()?;
    let address = match (first.rfind('<'), first.rfind('>')) {
        (Some(open), Some(close)) if open < close => &first[open + 1..close],
        _ => first,
    };
    let address = address.trim();
    (!address.is_empty()).then(|| key::of_folded(KeyClass::Recipient, address))
}

/// `name=` and a duration as options show it: `45s`, `12m`, `3h`, `2d`.
fn duration(name: &str, ms: u64) -> String {
    let s = ms / 1000;
    let (n, unit) = match s {
        0..=119 => (s, 's'),
        120..=7_199 => (s / 60, 'm'),
        7_200..=172_799 => (s / 3600, 'h'),
        _ => (s / 86_400, 'd'),
    };
    option(format_args!("{name}={n}{unit}"))
}

/// An option string in one allocation (the verdict owns it): `format!`
/// sizes its buffer from the literal text and grows it once more for a
/// short one.
fn option(args: std::fmt::Arguments<'_>) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(32);
    let _ = text.write_fmt(args);
    text
}

#[cfg(test)]
mod tests;
