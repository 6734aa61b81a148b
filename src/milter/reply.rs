//! From a [`Verdict`] to the milter replies that carry it out.
//!
//! Every scanned message that is delivered carries SpamAssassin's headers,
//! which mail clients, Sieve scripts and downstream filters already read:
//!
//! ```text
//! X-Spam-Flag: YES
//! X-Spam-Score: 7.20
//! X-Spam-Status: Yes, score=7.20 required=5.00 tests=BULK_CAMPAIGN{size=57,senders=12},
//!     URL_SHORTENER
//! ```
//!
//! Ham gets them too (`X-Spam-Flag: NO`), so that a header from outside
//! claiming otherwise never survives: every `X-Spam-*` header the message
//! arrived with is deleted first. Quarantine puts the message on the MTA's
//! hold queue with the reason; reject and tempfail answer with the operator's
//! SMTP reply; discard drops the message silently.

use super::codec::Reply;
use super::negotiation::Actions;
use crate::policy::SymbolHit;
use crate::{Action, Verdict};

/// How verdicts are answered; the operator's choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyConfig {
    /// Put in front of the Subject of tagged and quarantined mail, as
    /// SpamAssassin's `rewrite_header Subject` (e.g. `[SPAM]`).
    pub subject_prefix: Option<String>,
    reject: SmtpReply,
    tempfail: SmtpReply,
}

impl Default for ReplyConfig {
    fn default() -> Self {
        ReplyConfig {
            subject_prefix: None,
            reject: SmtpReply(DEFAULT_REJECT.to_string()),
            tempfail: SmtpReply(DEFAULT_TEMPFAIL.to_string()),
        }
    }
}

/// The reply to rejected mail unless the operator sets one.
pub const DEFAULT_REJECT: &str = "550 5.7.1 Message rejected as spam";
/// The reply to mail asked to come back later unless the operator sets one.
pub const DEFAULT_TEMPFAIL: &str = "451 4.7.1 Message deferred, try again later";

impl ReplyConfig {
    /// Sets the SMTP reply for rejected mail: a 5xx code, optionally an
    /// RFC 3463 enhanced status of class 5, and text.
    pub fn set_reject(&mut self, text: &str) -> Result<(), ReplyError> {
        self.reject = SmtpReply::parse(text, b'5')?;
        Ok(())
    }

    /// Sets the SMTP reply for tempfailed mail: a 4xx code, optionally an
    /// enhanced status of class 4, and text.
    pub fn set_tempfail(&mut self, text: &str) -> Result<(), ReplyError> {
        self.tempfail = SmtpReply::parse(text, b'4')?;
        Ok(())
    }

    /// The reply rejected mail gets.
    pub fn reject(&self) -> &str {
        &self.reject.0
    }

    /// The reply tempfailed mail gets.
    pub fn tempfail(&self) -> &str {
        &self.tempfail.0
    }
}

/// An SMTP reply line checked to be one the MTA will send as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SmtpReply(String);

impl SmtpReply {
    /// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with its CRLF.
    const MAX_LEN: usize = 510;

    fn parse(text: &str, class: u8) -> Result<SmtpReply, ReplyError> {
        let invalid = |why: &'static str| ReplyError::Invalid {
            reply: text.to_string(),
            why,
        };
        let bytes = text.as_bytes();
        if bytes.len() > Self::MAX_LEN {
            return Err(invalid("longer than an SMTP reply line (510 characters)"));
        }
        if bytes.iter().any(|b| !(b' '..=b'~').contains(b)) {
            return Err(invalid("only printable ASCII on one line is allowed"));
        }
        let code_ok =
            bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[0] == class;
        if !code_ok {
            return Err(if class == b'5' {
                invalid("the code must be 5xx")
            } else {
                invalid("the code must be 4xx")
            });
        }
        if bytes.len() > 3 && bytes[3] != b' ' {
            return Err(invalid("a space must follow the code"));
        }
        let rest = text.get(4..).unwrap_or_default();
        let status = rest.split(' ').next().unwrap_or_default();
        if looks_like_enhanced_status(status) && status.as_bytes()[0] != class {
            return Err(invalid(
                "the enhanced status class must match the code (RFC 3463)",
            ));
        }
        Ok(SmtpReply(text.to_string()))
    }
}

/// `d.ddd.ddd` (RFC 3463 §2).
fn looks_like_enhanced_status(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A configured reply the MTA would not send as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// Not `NNN[ x.y.z][ text]` of the right class on one printable line.
    #[error("SMTP reply {reply:?}: {why}")]
    Invalid {
        /// The reply as configured.
        reply: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// The message's Subject, as far as a prefix can be put in front of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SubjectHeader {
    /// No Subject field: one is added with the prefix alone.
    #[default]
    Missing,
    /// The first Subject field's value, which the prefix goes in front of.
    Text(String),
    /// Raw 8-bit bytes that are not UTF-8: left as they are.
    Undecodable,
}

/// What the replies need to know about the message's own headers.
#[derive(Clone, Copy, Debug)]
pub struct MessageHeaders<'a> {
    /// The first Subject field.
    pub subject: &'a SubjectHeader,
    /// Each `X-Spam-*` header name the message arrived with and how many
    /// times it occurs.
    pub foreign: &'a [(String, u32)],
}

/// The replies that end a message: header changes in order, then one final
/// reply. `actions` is what negotiation allowed; a change the MTA did not
/// allow is left out, and quarantine without the MTA's consent becomes a
/// tag (delivered, marked) rather than a bounce nobody asked for.
pub fn replies(
    verdict: &Verdict,
    required: f64,
    headers: &MessageHeaders<'_>,
    actions: Actions,
    config: &ReplyConfig,
) -> Vec<Reply> {
    let mut out = Vec::new();
    let quarantine = verdict.action == Action::Quarantine && actions.contains(Actions::QUARANTINE);
    match verdict.action {
        Action::Reject => out.push(Reply::ReplyCode(config.reject.0.clone())),
        Action::Tempfail => out.push(Reply::ReplyCode(config.tempfail.0.clone())),
        Action::Discard => out.push(Reply::Discard),
        Action::Accept | Action::Tag | Action::Quarantine => {
            spam_headers(&mut out, verdict, required, headers, actions);
            if verdict.action != Action::Accept {
                if let Some(prefix) = &config.subject_prefix {
                    subject_prefix(&mut out, prefix, headers.subject, actions);
                }
            }
            if quarantine {
                out.push(Reply::Quarantine(quarantine_reason(verdict)));
            }
            out.push(Reply::Continue);
        }
    }
    out
}

/// Deletes every foreign `X-Spam-*` header and adds ours.
fn spam_headers(
    out: &mut Vec<Reply>,
    verdict: &Verdict,
    required: f64,
    headers: &MessageHeaders<'_>,
    actions: Actions,
) {
    if actions.contains(Actions::CHANGE_HEADERS) {
        for (name, count) in headers.foreign {
            // Last first: whether or not the MTA renumbers after a deletion,
            // the indices still to come are unaffected.
            for index in (1..=*count).rev() {
                out.push(Reply::ChangeHeader {
                    index,
                    name: name.clone(),
                    value: String::new(),
                });
            }
        }
    }
    if !actions.contains(Actions::ADD_HEADERS) {
        return;
    }
    let spam = verdict.action != Action::Accept;
    let add = |name: &str, value: String| Reply::AddHeader {
        name: name.to_string(),
        value,
    };
    out.push(add(
        "X-Spam-Flag",
        if spam { "YES" } else { "NO" }.to_string(),
    ));
    out.push(add("X-Spam-Score", format!("{:.2}", verdict.score)));
    out.push(add("X-Spam-Status", spam_status(verdict, required)));
}

/// SpamAssassin's `X-Spam-Status` value, folded at 78 columns (after a
/// space or a comma) with the LF-and-tab folding the milter API expects.
fn spam_status(verdict: &Verdict, required: f64) -> String {
    let spam = verdict.action != Action::Accept;
    let mut pieces = vec![
        if spam { "Yes," } else { "No," }.to_string(),
        format!(" score={:.2}", verdict.score),
    ];
    // Rules without a `tag` threshold never tag: no `required=inf`.
    if required.is_finite() {
        pieces.push(format!(" required={required:.2}"));
    }
    if verdict.symbols.is_empty() {
        pieces.push(" tests=none".to_string());
    }
    let last = verdict.symbols.len().saturating_sub(1);
    for (i, hit) in verdict.symbols.iter().enumerate() {
        let mut piece = if i == 0 {
            " tests=".to_string()
        } else {
            String::new()
        };
        let (name, options) = symbol_parts(hit);
        piece.push_str(&shown_symbol(name, options));
        if i < last {
            piece.push(',');
        }
        pieces.push(piece);
    }
    fold(&pieces, "X-Spam-Status: ".len())
}

/// Joins pieces into a header value, breaking before a piece that would
/// pass column 78; a break drops the piece's leading space.
fn fold(pieces: &[String], first_column: usize) -> String {
    const WIDTH: usize = 78;
    let mut value = String::new();
    let mut column = first_column;
    for piece in pieces {
        if column + piece.len() > WIDTH && column > 1 && !value.is_empty() {
            value.push_str("\n\t");
            column = 1;
            let piece = piece.trim_start();
            value.push_str(piece);
            column += piece.len();
        } else {
            value.push_str(piece);
            column += piece.len();
        }
    }
    value
}

/// A symbol's name and options: the only place that reads a [`SymbolHit`]'s
/// fields, so that the symbol model can grow with one change here.
fn symbol_parts(hit: &SymbolHit) -> (&str, &[String]) {
    (&hit.name, &hit.options)
}

/// One symbol as the headers show it: `NAME` or `NAME{opt,opt}`.
fn shown_symbol(name: &str, options: &[String]) -> String {
    let mut shown = clean(name, |c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !options.is_empty() {
        shown.push('{');
        for (i, option) in options.iter().enumerate() {
            if i > 0 {
                shown.push(',');
            }
            shown.push_str(&clean(option, |c| {
                c.is_ascii_graphic() && !"{},".contains(c)
            }));
        }
        shown.push('}');
    }
    shown
}

/// Text from rules and messages made safe for a header: what `keep` refuses
/// becomes `_` (a header is ASCII, one logical line, without our delimiters).
fn clean(text: &str, keep: impl Fn(char) -> bool) -> String {
    text.chars()
        .map(|c| if keep(c) { c } else { '_' })
        .collect()
}

fn subject_prefix(out: &mut Vec<Reply>, prefix: &str, subject: &SubjectHeader, actions: Actions) {
    let prefix = clean(prefix, |c| c.is_ascii_graphic() || c == ' ');
    let prefix = prefix.trim();
    if prefix.is_empty() {
        return;
    }
    match subject {
        SubjectHeader::Text(text)
            if actions.contains(Actions::CHANGE_HEADERS)
                && !text.trim_start().starts_with(prefix) =>
        {
            out.push(Reply::ChangeHeader {
                index: 1,
                name: "Subject".to_string(),
                value: format!("{prefix} {}", text.trim_start()),
            });
        }
        SubjectHeader::Missing if actions.contains(Actions::ADD_HEADERS) => {
            out.push(Reply::AddHeader {
                name: "Subject".to_string(),
                value: prefix.to_string(),
            })
        }
        _ => {}
    }
}

/// Why a message is on hold: the score and the symbols, cut to a length a
/// log line carries. Sendmail keeps it with the message (`mailq -qQ`);
/// Postfix 3.7 logs the hold without it, so the held message's own
/// `X-Spam-*` headers say why there.
fn quarantine_reason(verdict: &Verdict) -> String {
    const MAX_LEN: usize = 200;
    let mut reason = format!("floodwall score={:.2} tests=", verdict.score);
    if verdict.symbols.is_empty() {
        reason.push_str("none");
    }
    for (i, hit) in verdict.symbols.iter().enumerate() {
        let name = shown_symbol(symbol_parts(hit).0, &[]);
        let separator = if i > 0 { "," } else { "" };
        if reason.len() + separator.len() + name.len() > MAX_LEN - 4 {
            reason.push_str(separator);
            reason.push_str("...");
            break;
        }
        reason.push_str(separator);
        reason.push_str(&name);
    }
    reason
}

#[cfg(test)]
pub(crate) mod tests;
