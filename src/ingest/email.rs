//! Email ingest: RFC 5322 headers and MIME bodies via `mail-parser`.
//!
//! Every text part is decoded to UTF-8 (mail-parser resolves charsets and
//! transfer encodings); HTML parts are reduced to text for body rules and
//! searched for URLs in their markup, since `href` targets never show as text.
//! The envelope (RFC 5321 MAIL FROM, RCPT TO, client, HELO) is not in the
//! bytes: the caller sets `Message::envelope` after parsing.

mod html;
mod lenient_base64;

use std::borrow::Cow;
use std::sync::LazyLock;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{HeaderName, HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};

use super::{urls, IngestConfig};
pub use crate::message::protocol::email::{MimeDetails, MimePart};
use crate::message::protocol::Protocol;
use crate::message::{Attachment, Channel, Header, Message, ProblemKind, TextPart};

/// Structural limits: a message beyond them is decoded up to the limit and
/// marked `FW_LIMIT_EXCEEDED`, so hostile nesting costs bounded work.
#[derive(Clone, Debug)]
pub struct EmailLimits {
    /// MIME parts decoded.
    pub max_parts: usize,
    /// Nesting of multiparts and attached messages.
    pub max_depth: usize,
    /// Header fields kept.
    pub max_headers: usize,
}

impl Default for EmailLimits {
    fn default() -> Self {
        EmailLimits {
            max_parts: 256,
            max_depth: 16,
            max_headers: 512,
        }
    }
}

/// Parses one RFC 5322 message. Never fails: what cannot be parsed is
/// recorded as a problem on the message.
pub fn parse<'a>(bytes: &'a [u8], config: &IngestConfig) -> Message<'a> {
    let mut data = bytes;
    let mut oversize = false;
    if data.len() > config.max_message_bytes {
        data = &data[..config.max_message_bytes];
        oversize = true;
    }
    let mut msg = Message::new(Channel::Email, Cow::Borrowed(data), Protocol::None);
    if oversize {
        msg.problem(
            ProblemKind::Oversize,
            Some(config.max_message_bytes),
            format!(
                "message of {} bytes scanned up to the limit of {}",
                bytes.len(),
                config.max_message_bytes
            ),
        );
    }
    let body_start = header_end(data);
    msg.body_offset = body_start.unwrap_or(0);
    let Some(parsed) = PARSER.parse(data).filter(|m| !m.parts.is_empty()) else {
        msg.problem(
            ProblemKind::Unparseable,
            Some(0),
            "no RFC 5322 header section found",
        );
        return msg;
    };
    if body_start.is_none() {
        msg.problem(
            ProblemKind::MalformedHeader,
            Some(data.len()),
            "no empty line ends the header section",
        );
    }
    if parsed.root_part().headers.is_empty() {
        msg.problem(
            ProblemKind::MalformedHeader,
            Some(0),
            "no header field parsed",
        );
    }

    let mut walker = PartWalker {
        config: &config.email,
        msg: &mut msg,
        details: MimeDetails::default(),
    };
    walker.headers(&parsed, data);
    walker.message(&parsed, 0);
    let details = walker.details;
    msg.subject = parsed.subject().map(str::to_string);
    msg.protocol = Protocol::Email(details);
    msg
}

/// mail-parser's default header parsers, except for the headers whose
/// parsed form is never used here: `Received` and the dates are copied from
/// the raw bytes (see [`raw_value`]) whatever mail-parser makes of them, so
/// they are skipped instead of parsed. Parsing `Received` alone was an eighth
/// of email decoding on the phishing corpus (mail transfer agents stack many
/// of them); a skipped header ends at the same offset as a parsed one.
///
/// A configured parser looks every header name up in its map, and a name
/// not in it is parsed raw: so every header mail-parser parses by default
/// is listed, as its `parse_headers` does without a map.
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .header_text(HeaderName::Subject)
        .header_text(HeaderName::Comments)
        .header_text(HeaderName::ContentDescription)
        .header_text(HeaderName::ContentLocation)
        .header_text(HeaderName::ContentTransferEncoding)
        .header_address(HeaderName::From)
        .header_address(HeaderName::To)
        .header_address(HeaderName::Cc)
        .header_address(HeaderName::Bcc)
        .header_address(HeaderName::ReplyTo)
        .header_address(HeaderName::Sender)
        .header_address(HeaderName::ResentTo)
        .header_address(HeaderName::ResentFrom)
        .header_address(HeaderName::ResentBcc)
        .header_address(HeaderName::ResentCc)
        .header_address(HeaderName::ResentSender)
        .header_address(HeaderName::ListArchive)
        .header_address(HeaderName::ListHelp)
        .header_address(HeaderName::ListId)
        .header_address(HeaderName::ListOwner)
        .header_address(HeaderName::ListPost)
        .header_address(HeaderName::ListSubscribe)
        .header_address(HeaderName::ListUnsubscribe)
        .ignore_header(HeaderName::Date)
        .ignore_header(HeaderName::ResentDate)
        .header_id(HeaderName::MessageId)
        .header_id(HeaderName::References)
        .header_id(HeaderName::InReplyTo)
        .header_id(HeaderName::ReturnPath)
        .header_id(HeaderName::ContentId)
        .header_id(HeaderName::ResentMessageId)
        .header_comma_separated(HeaderName::Keywords)
        .header_comma_separated(HeaderName::ContentLanguage)
        .ignore_header(HeaderName::Received)
        .header_raw(HeaderName::MimeVersion)
        .header_content_type(HeaderName::ContentType)
        .header_content_type(HeaderName::ContentDisposition)
});

struct PartWalker<'c, 'm, 'a> {
    config: &'c super::email::EmailLimits,
    msg: &'m mut Message<'a>,
    details: MimeDetails,
}

impl<'a> PartWalker<'_, '_, 'a> {
    fn headers(&mut self, parsed: &mail_parser::Message<'a>, raw: &'a [u8]) {
        let headers = &parsed.root_part().headers;
        if headers.len() > self.config.max_headers {
            self.msg.problem(
                ProblemKind::LimitExceeded,
                Some(headers[self.config.max_headers].offset_field as usize),
                format!(
                    "{} header fields, more than the limit of {}",
                    headers.len(),
                    self.config.max_headers
                ),
            );
        }
        for header in headers.iter().take(self.config.max_headers) {
            let value = header_text(&header.value).unwrap_or_else(|| raw_value(raw, header));
            self.msg.headers.push(Header {
                name: header_name(&header.name),
                value,
            });
        }
    }

    fn message(&mut self, parsed: &mail_parser::Message<'_>, depth: usize) {
        if depth > self.config.max_depth {
            self.msg.problem(
                ProblemKind::LimitExceeded,
                None,
                format!("MIME nesting deeper than {}", self.config.max_depth),
            );
            return;
        }
        for part in &parsed.parts {
            if self.details.parts.len() >= self.config.max_parts {
                self.msg.problem(
                    ProblemKind::LimitExceeded,
                    Some(part.offset_header as usize),
                    format!("more than {} MIME parts", self.config.max_parts),
                );
                return;
            }
            self.part(part, parsed.raw_message(), depth);
        }
    }

    /// `raw` is the message the part's offsets point into (a nested
    /// message's own bytes for its parts).
    fn part(&mut self, part: &MessagePart<'_>, raw: &[u8], depth: usize) {
        let content_type = content_type(part);
        self.details.parts.push(MimePart {
            depth,
            content_type: content_type.clone(),
            size: part.offset_end.saturating_sub(part.offset_body) as usize,
            encoding_problem: part.is_encoding_problem,
        });
        if part.is_encoding_problem {
            self.msg.problem(
                ProblemKind::MalformedMime,
                Some(part.offset_body as usize),
                format!("{content_type} part has a broken transfer encoding"),
            );
        }
        if matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
            self.check_charset(part);
        }
        if let Some(text) = lenient_base64_text(part, &content_type, raw) {
            urls::extract(&text, &mut self.msg.urls);
            let text = if content_type == "text/html" {
                html::html_to_text(&text)
            } else {
                text
            };
            self.msg.text_parts.push(TextPart { content_type, text });
            return;
        }
        match &part.body {
            PartType::Text(text) => {
                urls::extract(text, &mut self.msg.urls);
                self.msg.text_parts.push(TextPart {
                    content_type,
                    text: text.to_string(),
                });
            }
            PartType::Html(html) => {
                urls::extract(html, &mut self.msg.urls);
                self.msg.text_parts.push(TextPart {
                    content_type,
                    text: html::html_to_text(html),
                });
            }
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                self.msg.attachments.push(Attachment {
                    content_type: content_type.into_owned(),
                    filename: part.attachment_name().map(str::to_string),
                    size: bytes.len(),
                });
            }
            PartType::Message(nested) => self.message(nested, depth + 1),
            PartType::Multipart(_) => {}
        }
    }
}

impl PartWalker<'_, '_, '_> {
    /// mail-parser falls back to a lossy decode for charsets it does not
    /// know; the text is still scanned, but the message is marked.
    fn check_charset(&mut self, part: &MessagePart<'_>) {
        let Some(charset) = part.content_type().and_then(|ct| ct.attribute("charset")) else {
            return;
        };
        let known = charset.eq_ignore_ascii_case("utf-8")
            || charset.eq_ignore_ascii_case("us-ascii")
            || charset_decoder(charset.as_bytes()).is_some();
        if !known {
            self.msg.problem(
                ProblemKind::BadCharset,
                Some(part.offset_header as usize),
                format!("unknown charset '{charset}'; text decoded lossily"),
            );
        }
    }
}

/// The text of a text part whose base64 mail-parser could not decode,
/// decoded leniently (see [`lenient_base64`]) and then from its charset.
/// The part stays marked `FW_MALFORMED_MIME`: clients show it, but a
/// well-behaved mailer does not send it.
fn lenient_base64_text(part: &MessagePart<'_>, content_type: &str, raw: &[u8]) -> Option<String> {
    let is_base64 = part
        .content_transfer_encoding()
        .is_some_and(|cte| cte.trim().eq_ignore_ascii_case("base64"));
    if !part.is_encoding_problem || !is_base64 || !content_type.starts_with("text/") {
        return None;
    }
    let body = raw.get(part.offset_body as usize..part.offset_end as usize)?;
    let bytes = lenient_base64::decode(body);
    let charset = part.content_type().and_then(|ct| ct.attribute("charset"));
    Some(match charset.and_then(|c| charset_decoder(c.as_bytes())) {
        Some(decode) => decode(&bytes),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Media types most parts have, named without allocating (every part's
/// type is kept twice: for `inspect` and on its text part).
const COMMON_TYPES: &[&str] = &[
    "text/plain",
    "text/html",
    "multipart/alternative",
    "multipart/mixed",
    "multipart/related",
    "message/rfc822",
    "application/octet-stream",
    "image/gif",
    "image/jpeg",
    "image/png",
];

/// A part's media type, lower case; `text/plain` where none is given
/// (RFC 2045 §5.2).
fn content_type(part: &MessagePart<'_>) -> Cow<'static, str> {
    let Some(ct) = part.content_type() else {
        return Cow::Borrowed("text/plain");
    };
    let Some(sub) = ct.c_subtype.as_deref() else {
        return Cow::Owned(ct.c_type.to_ascii_lowercase());
    };
    let is = |known: &str| {
        known
            .split_once('/')
            .is_some_and(|(t, s)| t.eq_ignore_ascii_case(&ct.c_type) && s.eq_ignore_ascii_case(sub))
    };
    match COMMON_TYPES.iter().find(|known| is(known)) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(format!("{}/{}", ct.c_type, sub).to_ascii_lowercase()),
    }
}

/// A copy of mail-parser's text that still borrows the input where the text
/// does (the parsed message it lives in is dropped after decoding).
fn keep<'a>(text: &Cow<'a, str>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text),
        Cow::Owned(text) => Cow::Owned(text.clone()),
    }
}

/// A header's name: mail-parser's spelling of the names it knows, else as
/// written.
fn header_name<'a>(name: &HeaderName<'a>) -> Cow<'a, str> {
    match name {
        HeaderName::Other(other) => keep(other),
        known => Cow::Borrowed(known.as_static_str()),
    }
}

/// The decoded text of a header value, where mail-parser decoded one;
/// borrowed where mail-parser could borrow it.
fn header_text<'a>(value: &HeaderValue<'a>) -> Option<Cow<'a, str>> {
    match value {
        HeaderValue::Text(text) => Some(keep(text)),
        HeaderValue::TextList(list) => Some(Cow::Owned(list.join(", "))),
        HeaderValue::Address(address) => {
            let mut out = String::new();
            for addr in address.iter() {
                if !out.is_empty() {
                    out.push_str(", ");
                }
                match (&addr.name, &addr.address) {
                    (Some(name), Some(email)) => out.push_str(&format!("{name} <{email}>")),
                    (None, Some(email)) => out.push_str(email),
                    (Some(name), None) => out.push_str(name),
                    (None, None) => {}
                }
            }
            Some(Cow::Owned(out))
        }
        _ => None,
    }
}

/// The raw value of a header, unfolded, for values kept structured by
/// mail-parser: borrowed when it is one line of UTF-8, as most are.
fn raw_value<'a>(raw: &'a [u8], header: &mail_parser::Header<'_>) -> Cow<'a, str> {
    let start = (header.offset_start as usize).min(raw.len());
    let end = (header.offset_end as usize).clamp(start, raw.len());
    let bytes = &raw[start..end];
    // `from_utf8` skips ASCII a word at a time where `from_utf8_lossy` goes
    // byte by byte; it is only needed for the rare value that is not UTF-8.
    // Received headers alone are a kilobyte or two of most messages.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => {
            // One line once trimmed: unfolding would give the same slice.
            let line = text.trim();
            if !line.contains(['\r', '\n']) {
                return Cow::Borrowed(line);
            }
            Cow::Borrowed(text)
        }
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let mut value = String::with_capacity(text.len());
    for line in text.split(['\r', '\n']).map(str::trim) {
        if line.is_empty() {
            continue;
        }
        if !value.is_empty() {
            value.push(' ');
        }
        value.push_str(line);
    }
    Cow::Owned(value)
}

/// Offset of the first byte after the empty line that ends the header section.
fn header_end(data: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    // Newlines found with memchr: header lines run to a few hundred bytes,
    // and a byte-at-a-time loop here cost as much as a header parser.
    for i in memchr::memchr_iter(b'\n', data) {
        let line = &data[line_start..i];
        if line.is_empty() || line == b"\r" {
            return Some(i + 1);
        }
        line_start = i + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Message<'_> {
        parse(s.as_bytes(), &IngestConfig::default())
    }

    #[test]
    fn decodes_subject_headers_and_text() {
        let msg = parse_str("From: A <a@example.com>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\r\nHello http://x.example/y\r\n");
        assert_eq!(msg.subject.as_deref(), Some("Café"));
        assert_eq!(msg.header_values("from").next(), Some("A <a@example.com>"));
        assert_eq!(msg.text_parts[0].text.trim(), "Hello http://x.example/y");
        assert_eq!(msg.urls, vec!["http://x.example/y"]);
        assert!(msg.problems.is_empty(), "{:?}", msg.problems);
    }

    #[test]
    fn html_is_reduced_to_text_and_hrefs_found() {
        let msg = parse_str(
            "Subject: x\nContent-Type: text/html; charset=iso-8859-1\n\n<p>Gr=FC=DFe <a href=\"http://h.example/p\">here</a></p>\n",
        );
        assert!(msg.text_parts[0].text.contains("here"));
        assert!(!msg.text_parts[0].text.contains("<p>"));
        assert_eq!(msg.urls, vec!["http://h.example/p"]);
    }

    #[test]
    fn latin1_charset_is_decoded() {
        let msg = parse(
            b"Subject: x\nContent-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n",
            &IngestConfig::default(),
        );
        assert_eq!(msg.text_parts[0].text.trim(), "café");
    }

    #[test]
    fn unknown_charset_is_marked() {
        let msg = parse(
            b"Subject: x\nContent-Type: text/plain; charset=x-klingon\n\nqapla\n",
            &IngestConfig::default(),
        );
        assert!(
            msg.problems
                .iter()
                .any(|p| p.kind == ProblemKind::BadCharset),
            "{:?}",
            msg.problems
        );
        assert!(msg.text_parts[0].text.contains("qapla"));
    }

    /// Every header mail-parser parses by default, folded and not, plus
    /// unknown ones and one without a value.
    const ALL_HEADERS: &str = "Received: from a.example (a.example [192.0.2.1])\r\n\tby mx.example with ESMTP id 1;\r\n\tMon, 14 Nov 2005 10:00:00 +0000\r\n\
        Received: from b (unknown)\r\n  by c; garbage date\r\n\
        Received:\r\n\
        Return-Path: <bounce@a.example>\r\nDate: Mon, 14 Nov 2005 10:00:00 +0000\r\n\
        Resent-Date: not a date\r\nFrom: \"Bank\" <x@a.example>\r\nTo: a@b.example, c@d.example\r\n\
        Cc: e@f.example\r\nBcc: g@h.example\r\nReply-To: r@a.example\r\nSender: s@a.example\r\n\
        Resent-To: t@a.example\r\nResent-From: u@a.example\r\nResent-Bcc: v@a.example\r\n\
        Resent-Cc: w@a.example\r\nResent-Sender: y@a.example\r\nList-Archive: <http://l.example/a>\r\n\
        List-Help: <mailto:h@l.example>\r\nList-Id: List <list.l.example>\r\nList-Owner: <mailto:o@l.example>\r\n\
        List-Post: <mailto:p@l.example>\r\nList-Subscribe: <mailto:s@l.example>\r\n\
        List-Unsubscribe: <mailto:u@l.example>\r\nMessage-ID: <1@a.example>\r\nReferences: <0@a.example>\r\n \
        <00@a.example>\r\nIn-Reply-To: <0@a.example>\r\nResent-Message-ID: <2@a.example>\r\n\
        Keywords: a, b\r\nComments: =?utf-8?q?caf=C3=A9?=\r\nSubject: Verify\r\n your account\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\
        Content-Language: en\r\nContent-Description: d\r\nContent-Location: l\r\n\
        Content-Transfer-Encoding: 7bit\r\nContent-ID: <c@a.example>\r\n\
        Content-Disposition: inline\r\nX-Mailer: Foo\r\n\tBar\r\nX-Empty:\r\n\r\n\
        --b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";

    #[test]
    fn parser_config_parses_headers_as_mail_parser_does_by_default() {
        let ours = PARSER.parse(ALL_HEADERS.as_bytes()).unwrap();
        let default = MessageParser::new().parse(ALL_HEADERS.as_bytes()).unwrap();
        let (ours, default) = (&ours.root_part().headers, &default.root_part().headers);
        assert_eq!(ours.len(), default.len());
        for (a, b) in ours.iter().zip(default) {
            assert_eq!(a.name, b.name);
            assert_eq!(
                (a.offset_field, a.offset_start, a.offset_end),
                (b.offset_field, b.offset_start, b.offset_end),
                "{}",
                a.name
            );
            match a.name {
                HeaderName::Received | HeaderName::Date | HeaderName::ResentDate => {
                    assert_eq!(a.value, HeaderValue::Empty, "{}", a.name);
                }
                _ => assert_eq!(a.value, b.value, "{}", a.name),
            }
        }
    }

    #[test]
    fn received_and_dates_keep_their_unfolded_raw_value() {
        let msg = parse_str(ALL_HEADERS);
        let received: Vec<_> = msg.header_values("received").collect();
        assert_eq!(
            received,
            [
                "from a.example (a.example [192.0.2.1]) by mx.example with ESMTP id 1; Mon, 14 Nov 2005 10:00:00 +0000",
                "from b (unknown) by c; garbage date",
                "",
            ]
        );
        assert_eq!(
            msg.header_values("date").next(),
            Some("Mon, 14 Nov 2005 10:00:00 +0000")
        );
        assert_eq!(msg.header_values("resent-date").next(), Some("not a date"));
    }

    #[test]
    fn raw_values_are_unfolded_and_lossy_where_not_utf8() {
        let msg = parse(
            b"Received: from a\r\n\tby b;\r\n  \r\n c\r\nDate: x\xff y\r\nReceived:  \r\n\r\n",
            &IngestConfig::default(),
        );
        let values: Vec<_> = msg.headers.iter().map(|h| h.value.as_ref()).collect();
        assert_eq!(values, ["from a by b; c", "x\u{FFFD} y", ""]);
    }

    #[test]
    fn headers_borrow_the_input_where_it_holds_them_as_they_are() {
        let msg = parse_str(
            "Date: Mon, 14 Nov 2005 10:00:00 +0000\r\nX-Mailer:  Foo 1.0 \r\n\
             Subject: Verify your account\r\nReceived: from a\r\n\tby b\r\n\
             Comments: =?utf-8?q?caf=C3=A9?=\r\n\r\nbody\r\n",
        );
        let borrowed: Vec<_> = msg
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.as_ref(),
                    matches!(h.name, Cow::Borrowed(_)),
                    h.value.as_ref(),
                    matches!(h.value, Cow::Borrowed(_)),
                )
            })
            .collect();
        assert_eq!(
            borrowed,
            [
                ("Date", true, "Mon, 14 Nov 2005 10:00:00 +0000", true),
                ("X-Mailer", true, "Foo 1.0", true),
                ("Subject", true, "Verify your account", true),
                ("Received", true, "from a by b", false),
                ("Comments", true, "café", false),
            ]
        );
    }

    #[test]
    fn base64_broken_by_stray_bytes_is_decoded_leniently_and_still_marked() {
        let msg = parse_str(
            "Subject: x\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             \r\nQ2xhaW0geW91ciBwcml6ZSBh\r\n\r\n.dCBodHRwOi8vcC5leGFtcGxlL3gg4oKs\r\n--b\r\n\
             Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n\
             PHA+PGEgaHJlZj0iaHR0cDovL2guZXhhbXBsZS9wIj5o\r\n\r\nZXJlPC9hPjwvcD4\r\n\r\n_____\r\n--b--\r\n",
        );
        let texts: Vec<_> = msg.text_parts.iter().map(|p| p.text.trim()).collect();
        assert_eq!(texts, ["Claim your prize at http://p.example/x €", "here"]);
        assert_eq!(msg.text_parts[1].content_type, "text/html");
        assert_eq!(msg.urls, ["http://p.example/x", "http://h.example/p"]);
        let marked = msg
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::MalformedMime)
            .count();
        assert_eq!(marked, 2, "{:?}", msg.problems);
    }

    #[test]
    fn header_section_ends_at_the_first_empty_line() {
        assert_eq!(header_end(b"A: b\r\n\r\nbody"), Some(8));
        assert_eq!(header_end(b"A: b\n\nbody\n\n"), Some(6));
        assert_eq!(header_end(b"\nbody"), Some(1));
        assert_eq!(header_end(b"A: b\r\n \r\nB: c"), None);
        assert_eq!(header_end(b"A: b"), None);
    }

    #[test]
    fn binary_garbage_still_gives_a_message_with_a_problem() {
        let msg = parse(&[0xff, 0x00, 0x13, 0x37], &IngestConfig::default());
        assert!(!msg.problems.is_empty());
    }

    #[test]
    fn oversize_message_is_cut_and_marked() {
        let config = IngestConfig {
            max_message_bytes: 32,
            ..IngestConfig::default()
        };
        let body = format!("Subject: big\n\n{}\n", "a".repeat(100));
        let msg = parse(body.as_bytes(), &config);
        assert_eq!(msg.raw.len(), 32);
        assert!(msg.problems.iter().any(|p| p.kind == ProblemKind::Oversize));
    }
}
