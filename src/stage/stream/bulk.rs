//! Bulk campaigns: one content sent to many recipients, mutated copy by
//! copy, counted as one.
//!
//! Each message's text is normalised ([`super::normalise`]) and sketched
//! ([`super::sketch`]); the store finds the cluster of earlier copies the
//! sketch resembles (or founds one) and answers with the cluster's copies,
//! distinct senders and recipients in the window. The symbols fire when a
//! cluster crosses the configured thresholds:
//!
//! - `BULK_CAMPAIGN`: at least `min_copies` copies to at least
//!   `min_recipients` recipients in the window; weighted from 0.6 at the
//!   threshold to 1 at `full_weight_copies`;
//! - `BULK_MANY_SENDERS`: a campaign whose copies come from at least
//!   `many_senders` senders (a snowshoe campaign: low volume per sender).
//!
//! `BULK_CAMPAIGN` carries `size=`, `senders=`, `recipients=` and `age=`
//! in its options, `BULK_MANY_SENDERS` the `senders=`. Solicited bulk is
//! exempt by configuration (see [`StreamConfig`](super::StreamConfig)).

use serde::Deserialize;

use super::normalise::Normaliser;
use super::sketch::{Shingles, Sketcher};
use crate::message::{Channel, Message};
use crate::stage::Evidence;
use crate::state::{ClusterOp, ClusterReply, Window, SIGNATURE_LEN};
use crate::symbols::SymbolId;

/// `[stage.stream.bulk]` in `policy.toml`. Every key is optional.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BulkConfig {
    /// Off switch (default on).
    pub enabled: bool,
    /// The counting window (default 60 minutes); a campaign with no copy
    /// for a whole window is forgotten.
    pub window_minutes: u64,
    /// `BULK_CAMPAIGN` fires from this many copies (default 4).
    pub min_copies: u32,
    /// ... sent to at least this many distinct recipients (default 3).
    pub min_recipients: u32,
    /// `BULK_CAMPAIGN` reaches its full score at this many copies (default 50).
    pub full_weight_copies: u32,
    /// `BULK_MANY_SENDERS` fires from this many distinct senders (default 3).
    pub many_senders: u32,
    /// Estimated similarity to a cluster's first copy that joins it
    /// (default 0.3: the share of shingles a copy must keep; campaign
    /// copies with a word swapped in every five keep about half).
    pub min_similarity: f64,
    /// Shortest SMS or MMS text sketched, in shingles of 5 characters
    /// (default 24: about 28 characters once normalised; shorter texts
    /// such as "what time do you want me to come" recur by chance).
    pub min_text_shingles: usize,
    /// Shortest mail sketched, in shingles of 3 words (default 8).
    pub min_mail_shingles: usize,
    /// Characters of a message read (default 2000).
    pub max_chars: usize,
    /// Distinct senders and recipients counted exactly (default 64).
    pub cap: u16,
}

impl Default for BulkConfig {
    fn default() -> BulkConfig {
        BulkConfig {
            enabled: true,
            window_minutes: 60,
            min_copies: 4,
            min_recipients: 3,
            full_weight_copies: 50,
            many_senders: 3,
            min_similarity: 0.3,
            min_text_shingles: 24,
            min_mail_shingles: 8,
            max_chars: 2000,
            cap: 64,
        }
    }
}

impl BulkConfig {
    pub(super) fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.min_similarity) {
            return Err(format!(
                "bulk.min_similarity {} is not in 0..=1",
                self.min_similarity
            ));
        }
        if self.window_minutes == 0
            || self.min_copies == 0
            || self.full_weight_copies < self.min_copies
        {
            return Err("bulk: window_minutes and min_copies must be positive, and full_weight_copies at least min_copies".into());
        }
        Ok(())
    }
}

/// The bulk detector's symbols.
#[derive(Clone, Copy, Debug)]
pub(super) struct BulkSymbols {
    pub campaign: SymbolId,
    pub many_senders: SymbolId,
}

/// Per-thread buffers.
#[derive(Debug, Default)]
pub(super) struct BulkScratch {
    normaliser: Normaliser,
    sketcher: Sketcher,
    text: String,
}

/// The op for `msg`, or `None` when its text is too short to sketch.
pub(super) fn op(
    config: &BulkConfig,
    msg: &Message<'_>,
    time_ms: u64,
    sender: Option<u64>,
    recipient: Option<u64>,
    scratch: &mut BulkScratch,
) -> Option<ClusterOp> {
    let BulkScratch {
        normaliser,
        sketcher,
        text,
    } = scratch;
    text.clear();
    let mut budget = config.max_chars;
    for part in msg
        .subject
        .iter()
        .chain(msg.text_parts.iter().map(|p| &p.text))
    {
        if budget == 0 {
            break;
        }
        let before = text.len();
        normaliser.normalise(part, budget, text);
        budget = budget.saturating_sub(text.len() - before);
    }
    let (shingles, min) = match msg.channel {
        Channel::Email => (Shingles::Words(3), config.min_mail_shingles),
        _ => (Shingles::Chars(5), config.min_text_shingles),
    };
    let sketch = sketcher.sketch(text, shingles, min)?;
    Some(ClusterOp {
        time_ms,
        bands: sketch.bands,
        signature: sketch.signature,
        min_matches: (config.min_similarity * SIGNATURE_LEN as f64).ceil() as u8,
        sender,
        recipient,
        window: Window::minutes(config.window_minutes),
        cap: config.cap,
    })
}

/// Fires the symbols a cluster's counts call for.
pub(super) fn fire(
    config: &BulkConfig,
    symbols: BulkSymbols,
    reply: &ClusterReply,
    time_ms: u64,
    evidence: &mut Evidence,
) {
    if reply.messages < config.min_copies || reply.recipients < config.min_recipients {
        return;
    }
    let age = time_ms.saturating_sub(reply.first_seen_ms);
    let span = f64::from(config.full_weight_copies - config.min_copies).max(1.0);
    let progress = f64::from(reply.messages - config.min_copies) / span;
    let weight = (0.6 + 0.4 * progress).min(1.0);
    let cap = u32::from(config.cap);
    let options = [
        super::option(format_args!("size={}", reply.messages)),
        counted("senders", reply.senders, cap),
        counted("recipients", reply.recipients, cap),
        super::duration("age", age),
    ];
    let fired = evidence.fire_weighted(symbols.campaign, weight);
    let _ = options.into_iter().fold(fired, |f, o| f.option(o));
    if reply.senders >= config.many_senders {
        let _ = evidence
            .fire_weighted(symbols.many_senders, 1.0)
            .option(counted("senders", reply.senders, cap));
    }
}

/// `name=n`, or `name=n+` when the set stopped counting at its cap.
fn counted(name: &str, n: u32, cap: u32) -> String {
    let plus = if n >= cap { "+" } else { "" };
    super::option(format_args!("{name}={n}{plus}"))
}
