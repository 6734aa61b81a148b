//! The message model every channel decodes into.
//!
//! Email, SMS and MMS arrive in very different wire formats, but every rule
//! and stage reads the same [`Message`]: a channel, an envelope, headers,
//! decoded text parts (always valid UTF-8), URLs, attachment metadata and the
//! raw bytes. Decoders record what they could not decode as [`Problem`]s
//! instead of failing, so a malformed message still gets a verdict.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Serialize;

pub mod protocol;

pub use protocol::Protocol;

/// The traffic channel a message arrived on. Rules name the channels they apply to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Internet mail (RFC 5322), as an MTA hands it over.
    Email,
    /// Short messages: SMPP PDUs and 3GPP TS 23.040 TPDUs.
    Sms,
    /// Multimedia messages: OMA MMS PDUs, bare or in a WAP Push.
    Mms,
}

impl Channel {
    /// Every channel, in the order of [`Channel::index`].
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Mms];

    /// The channel's name as rules and the CLI spell it (`sms`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Mms => "mms",
        }
    }

    /// The channel with this name, in any case.
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(name))
    }

    /// The channel's position, 0–2, for per-channel arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sender or recipient: an email address, an MSISDN or an alphanumeric
/// sender id. SMS addresses keep their type of number and numbering plan
/// (SMPP `*_addr_ton`/`*_addr_npi`, 3GPP TS 23.040 §9.1.2.5), which sender
/// rules and spoofing checks need.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// The address as sent: an email address, digits, or an
    /// alphanumeric sender id.
    pub value: String,
    /// Type of number, for SMS addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ton: Option<u8>,
    /// Numbering plan indicator, for SMS addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub npi: Option<u8>,
}

impl Address {
    /// An address without type of number or numbering plan (email).
    pub fn new(value: impl Into<String>) -> Address {
        Address {
            value: value.into(),
            ton: None,
            npi: None,
        }
    }

    /// An SMS address with its type of number and numbering plan.
    pub fn with_type(value: impl Into<String>, ton: u8, npi: u8) -> Address {
        Address {
            value: value.into(),
            ton: Some(ton),
            npi: Some(npi),
        }
    }
}

/// Who sent the message to whom, as the transport saw it. For email this is
/// the RFC 5321 envelope supplied by the caller (the MTA knows it; the message
/// bytes do not); for SMS and MMS the decoders fill it from the PDU.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Envelope {
    /// The sender (RFC 5321 MAIL FROM, the SMS or MMS originator), where
    /// the transport names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Address>,
    /// The recipients (RFC 5321 RCPT TO, the SMS or MMS destinations).
    pub recipients: Vec<Address>,
    /// The address of the SMTP client that handed the mail over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_addr: Option<IpAddr>,
    /// The name the SMTP client gave in HELO/EHLO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    /// When the transport received the message, in milliseconds since the
    /// Unix epoch, where the input says (a replayed log, a traffic
    /// generator's stream). Stream stages count by it rather than by the
    /// scan's clock, so a file of a day's traffic is judged as that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_ms: Option<u64>,
}

/// A header field with its value decoded to UTF-8 (RFC 2047 words resolved).
/// Both borrow the input where it holds them as they are (a known name in
/// its usual spelling, a value on one line without encoded words): a mail
/// has a dozen headers or more, and each copy is an allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Header<'a> {
    /// The field name, as spelled in the message.
    pub name: Cow<'a, str>,
    /// The value, decoded to UTF-8.
    pub value: Cow<'a, str>,
}

impl Header<'_> {
    /// Detaches the header from the input buffer.
    pub fn into_owned(self) -> Header<'static> {
        Header {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}

/// A decoded text part. HTML parts are reduced to text for body rules; the
/// markup itself stays reachable through the raw bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TextPart {
    /// Lower-case media type; borrowed for the fixed types decoders set
    /// (every SMS part is `text/plain`), so that naming it allocates nothing.
    pub content_type: Cow<'static, str>,
    /// The text, decoded to UTF-8.
    pub text: String,
}

/// A non-text part: only its metadata is scanned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Lower-case media type.
    pub content_type: String,
    /// The file name the part gives, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Octets of content.
    pub size: usize,
}

/// What kind of decode problem a [`Problem`] is. Each kind maps to a symbol
/// (see [`ProblemKind::symbol`]) so that a malformed message is scored, not dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The bytes could not be parsed as the format at all.
    Unparseable,
    /// Header section malformed (no separator, bad folding, invalid bytes).
    MalformedHeader,
    /// MIME structure broken: missing boundary, truncated part, bad encoding.
    MalformedMime,
    /// A charset was unknown or its bytes invalid; text decoded lossily.
    BadCharset,
    /// The message was larger than the configured limit and scanned up to it.
    Oversize,
    /// The payload ended before its own length fields said it would.
    Truncated,
    /// An SMS/MMS protocol field violated its specification.
    ProtocolViolation,
    /// A concatenated SMS whose segments did not all arrive.
    IncompleteConcatenation,
    /// A configured limit (parts, depth, headers) cut decoding short.
    LimitExceeded,
}

impl ProblemKind {
    /// Every kind, for tables of their symbols.
    pub const ALL: [ProblemKind; 9] = [
        ProblemKind::Unparseable,
        ProblemKind::MalformedHeader,
        ProblemKind::MalformedMime,
        ProblemKind::BadCharset,
        ProblemKind::Oversize,
        ProblemKind::Truncated,
        ProblemKind::ProtocolViolation,
        ProblemKind::IncompleteConcatenation,
        ProblemKind::LimitExceeded,
    ];

    /// The symbol this problem raises in a verdict.
    pub fn symbol(self) -> &'static str {
        match self {
            ProblemKind::Unparseable => "FW_UNPARSEABLE",
            ProblemKind::MalformedHeader => "FW_MALFORMED_HEADER",
            ProblemKind::MalformedMime => "FW_MALFORMED_MIME",
            ProblemKind::BadCharset => "FW_BAD_CHARSET",
            ProblemKind::Oversize => "FW_OVERSIZE",
            ProblemKind::Truncated => "FW_TRUNCATED",
            ProblemKind::ProtocolViolation => "FW_PROTOCOL_VIOLATION",
            ProblemKind::IncompleteConcatenation => "FW_SMS_INCOMPLETE",
            ProblemKind::LimitExceeded => "FW_LIMIT_EXCEEDED",
        }
    }
}

/// A decode problem: what and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The byte offset in the input, where the decoder knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// What was wrong, in words (a decoder's error message).
    pub detail: String,
}

impl Problem {
    /// A problem of this kind, at this offset.
    pub fn new(kind: ProblemKind, offset: Option<usize>, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            offset,
            detail: detail.into(),
        }
    }
}

/// One message, decoded from any channel.
///
/// `raw` borrows the input where the caller's buffer outlives the message
/// (email, single SMS PDUs) and owns it where decoding had to assemble it
/// (reassembled concatenated SMS).
#[derive(Clone, Debug, Serialize)]
pub struct Message<'a> {
    /// The channel it arrived on.
    pub channel: Channel,
    /// Sender and recipients, as the transport saw them.
    pub envelope: Envelope,
    /// The subject (of a mail, an MMS or a JSON-lines record), decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The header fields, in wire order: a mail's, or an MMS PDU's decoded
    /// for display; none for SMS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header<'a>>,
    /// The decoded text: body and text parts, HTML reduced to text.
    pub text_parts: Vec<TextPart>,
    /// URLs found in the text (and in an MMS subject and Content-Location),
    /// each once, in order of first appearance, at most
    /// [`MAX_URLS`](crate::ingest::urls::MAX_URLS).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// The non-text parts, by metadata.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// The wire bytes of the whole message (up to the size limit).
    #[serde(skip)]
    pub raw: Cow<'a, [u8]>,
    /// Offset in `raw` where the body starts (after the email header section;
    /// 0 where the format has no such split). `rawbody` rules scan from here.
    #[serde(skip)]
    pub body_offset: usize,
    /// Delivery receipts and other protocol notifications: recognised, never
    /// content-scored.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_notification: bool,
    /// What the decoder could not decode, each scored by its symbol.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// The protocol details an operator debugs with (MIME structure, SMPP
    /// command and TLVs, MMS headers).
    pub protocol: Protocol,
}

impl<'a> Message<'a> {
    /// An empty message of a channel; decoders fill it in.
    pub fn new(channel: Channel, raw: Cow<'a, [u8]>, protocol: Protocol) -> Message<'a> {
        Message {
            channel,
            envelope: Envelope::default(),
            subject: None,
            headers: Vec::new(),
            text_parts: Vec::new(),
            urls: Vec::new(),
            attachments: Vec::new(),
            raw,
            body_offset: 0,
            is_notification: false,
            problems: Vec::new(),
            protocol,
        }
    }

    /// The raw body bytes (after the header section, where there is one).
    pub fn raw_body(&self) -> &[u8] {
        self.raw.get(self.body_offset..).unwrap_or(&[])
    }

    /// Every value of the header `name` (case-insensitive), in order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_ref())
    }

    /// Records a decode problem.
    pub fn problem(&mut self, kind: ProblemKind, offset: Option<usize>, detail: impl Into<String>) {
        self.problems.push(Problem::new(kind, offset, detail));
    }

    /// Detaches the message from the input buffer.
    pub fn into_owned(self) -> Message<'static> {
        Message {
            raw: Cow::Owned(self.raw.into_owned()),
            headers: self.headers.into_iter().map(Header::into_owned).collect(),
            ..self
        }
    }
}
