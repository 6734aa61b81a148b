//! Email ingest: RFC 5322 headers and MIME bodies via `mail-parser`.
//!
//! Every text part is decoded to UTF-8 (mail-parser resolves charsets and
//! transfer encodings); HTML parts are reduced to text for body rules and
//! searched for URLs in their markup, since `href` targets never show as text.
//! The envelope (RFC 5321 MAIL FROM, RCPT TO, client, HELO) is not in the
//! bytes: the caller sets `Message::envelope` after parsing.

mod html;

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::Serialize;

use super::{urls, IngestConfig, Protocol};
use crate::message::{Attachment, Channel, Header, Message, ProblemKind, TextPart};

/// Structural limits: a message beyond them is decoded up to the limit and
/// marked `FW_LIMIT_EXCEEDED`, so hostile nesting costs bounded work.
#[derive(Clone, Debug)]
pub struct EmailLimits {
    pub max_parts: usize,
    pub max_depth: usize,
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

/// The MIME structure of a message, for `floodwall inspect`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MimeDetails {
    pub parts: Vec<MimePart>,
}

/// One MIME part: its type, nesting depth and body size.
#[derive(Clone, Debug, Serialize)]
pub struct MimePart {
    pub depth: usize,
    pub content_type: String,
    pub size: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encoding_problem: bool,
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
    let Some(parsed) = MessageParser::new()
        .parse(data)
        .filter(|m| !m.parts.is_empty())
    else {
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

struct PartWalker<'c, 'm, 'a> {
    config: &'c super::email::EmailLimits,
    msg: &'m mut Message<'a>,
    details: MimeDetails,
}

impl PartWalker<'_, '_, '_> {
    fn headers(&mut self, parsed: &mail_parser::Message<'_>, raw: &[u8]) {
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
                name: header.name.as_str().to_string(),
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
            self.part(part, depth);
        }
    }

    fn part(&mut self, part: &MessagePart<'_>, depth: usize) {
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
                    content_type,
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

fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match &ct.c_subtype {
            Some(sub) => format!("{}/{}", ct.c_type, sub).to_ascii_lowercase(),
            None => ct.c_type.to_ascii_lowercase(),
        },
        None => "text/plain".to_string(),
    }
}

/// The decoded text of a header value, where mail-parser decoded one.
fn header_text(value: &HeaderValue<'_>) -> Option<String> {
    match value {
        HeaderValue::Text(text) => Some(text.to_string()),
        HeaderValue::TextList(list) => Some(list.join(", ")),
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
            Some(out)
        }
        _ => None,
    }
}

/// The raw value of a header, unfolded, for values kept structured by mail-parser.
fn raw_value(raw: &[u8], header: &mail_parser::Header<'_>) -> String {
    let start = (header.offset_start as usize).min(raw.len());
    let end = (header.offset_end as usize).clamp(start, raw.len());
    let text = String::from_utf8_lossy(&raw[start..end]);
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Offset of the first byte after the empty line that ends the header section.
fn header_end(data: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            let line = &data[line_start..i];
            if line.is_empty() || line == b"\r" {
                return Some(i + 1);
            }
            line_start = i + 1;
        }
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
