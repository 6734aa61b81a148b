//! From decoded headers and parts to the channel-neutral [`Message`]: the
//! envelope, conventional header names, text parts, URLs and attachments.

use std::borrow::Cow;

use super::content_type::ContentType;
use super::multipart::{self, Part};
use super::{transfer, wsp};
use super::{MessageType, MmsDetails, PartInfo};
use crate::ingest::urls;
use crate::message::{Address, Attachment, Header, Message, ProblemKind, TextPart};

/// Fills `msg` from the header section in `d` and the body bytes (at
/// `body_start` in the PDU).
pub fn fill(msg: &mut Message<'_>, d: &mut MmsDetails, body: &[u8], body_start: usize) {
    msg.headers = d
        .headers
        .iter()
        .map(|(name, value)| Header {
            name: name.clone().into(),
            value: value.clone().into(),
        })
        .collect();
    msg.subject = d.fields.subject.clone();
    msg.envelope.sender = d.fields.from.as_deref().map(address);
    msg.envelope.recipients = d
        .fields
        .to
        .iter()
        .chain(&d.fields.cc)
        .chain(&d.fields.bcc)
        .map(|a| address(a))
        .collect();
    msg.is_notification =
        MessageType::from_byte(d.message_type_byte).is_some_and(MessageType::is_notification);

    // The content location of m-notification-ind is the URL a spammer wants
    // fetched: keep it verbatim, even when it has no dot (`http://mmsc/x`).
    if let Some(loc) = &d.fields.content_location {
        if !loc.is_empty() {
            msg.urls.push(loc.clone());
        }
        urls::extract(loc, &mut msg.urls);
    }
    if let Some(subject) = &d.fields.subject {
        urls::extract(subject, &mut msg.urls);
    }

    let mut parts = Vec::new();
    match &d.fields.content_type {
        Some(ct) if ct.is_multipart() => {
            multipart::parse(body, body_start, 0, &mut parts, &mut msg.problems);
        }
        Some(ct) if !body.is_empty() => parts.push(Part {
            depth: 0,
            content_type: ct.clone(),
            headers: Vec::new(),
            content_location: None,
            content_id: None,
            filename: None,
            transfer_encoding: None,
            data: body,
            offset: body_start,
        }),
        None if !body.is_empty() => msg.problem(
            ProblemKind::ProtocolViolation,
            Some(body_start),
            format!(
                "{} bytes after the headers without a Content-Type",
                body.len()
            ),
        ),
        _ => {}
    }

    for part in &parts {
        d.parts.push(PartInfo {
            depth: part.depth,
            content_type: part.content_type.to_string(),
            name: part.name().map(str::to_string),
            content_id: part.content_id.clone(),
            content_location: part.content_location.clone(),
            size: part.data.len(),
            offset: part.offset,
        });
        if part.content_type.is_multipart() {
            continue;
        }
        let media = part.content_type.media.to_ascii_lowercase();
        if part.content_type.is_text() && !media.contains("smil") {
            let text = part_text(msg, part);
            let text = if media == "text/html" {
                html_to_text(&text)
            } else {
                text
            };
            urls::extract(&text, &mut msg.urls);
            msg.text_parts.push(TextPart {
                content_type: media.into(),
                text,
            });
        } else {
            msg.attachments.push(Attachment {
                content_type: media,
                filename: part.name().map(str::to_string),
                size: part.data.len(),
            });
        }
    }
}

/// `+4912345/TYPE=PLMN` → `+4912345`; e-mail addresses unchanged
/// (OMA-TS-MMS_ENC-V1_3 §8: address = value "/TYPE=" type).
/// `Name <user@host>` (RFC 5322 form, seen from MMSCs) → `user@host`.
fn address(raw: &str) -> Address {
    let mut bare = raw.trim();
    if let (Some(lt), Some(gt)) = (bare.rfind('<'), bare.rfind('>')) {
        if lt < gt {
            bare = &bare[lt + 1..gt];
        }
    }
    if let Some(p) = bare.rfind("/TYPE=") {
        bare = &bare[..p];
    }
    Address::new(bare.trim())
}

/// The text of a text/* part in UTF-8: transfer encoding undone, then
/// charset converted. Problems are recorded with the part's offset.
fn part_text(msg: &mut Message<'_>, part: &Part<'_>) -> String {
    let decoded: Cow<'_, [u8]> = match part.transfer_encoding.as_deref() {
        Some("base64") => Cow::Owned(transfer::base64(part.data)),
        Some("quoted-printable") => Cow::Owned(transfer::quoted_printable(part.data)),
        _ => Cow::Borrowed(part.data),
    };
    let ct: &ContentType = &part.content_type;
    let declared = ct.param("charset");
    let mib = ct.charset();
    if let (Some(name), None) = (declared, mib) {
        if let Some(text) = wsp::decode_named(&decoded, name) {
            return text;
        }
        if name != "*" && name.parse::<u32>().is_err() {
            msg.problem(
                ProblemKind::BadCharset,
                Some(part.offset),
                format!("unknown charset {name}; decoded as utf-8"),
            );
        }
    }
    let mib = mib.or_else(|| declared.and_then(|n| n.parse().ok()));
    let (text, bad) = wsp::decode_text(&decoded, mib);
    match bad {
        None => text.into_owned(),
        // Undeclared charset and not UTF-8: old handsets send Latin-1.
        Some(_) if mib.is_none() => {
            msg.problem(
                ProblemKind::BadCharset,
                Some(part.offset),
                "text part without charset is not utf-8; decoded as windows-1252",
            );
            wsp::decode_text(&decoded, Some(wsp::MIB_WINDOWS_1252))
                .0
                .into_owned()
        }
        Some(why) => {
            msg.problem(ProblemKind::BadCharset, Some(part.offset), why);
            text.into_owned()
        }
    }
}

/// A simple HTML reduction: tags dropped, a few entities resolved, href
/// targets kept so URL extraction sees them.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            rest = &rest[lt..];
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        if let Some(h) = tag.to_ascii_lowercase().find("href=") {
            let target = tag[h + 5..].trim_start_matches(['"', '\'']);
            let end = target.find(['"', '\'', ' ']).unwrap_or(target.len());
            out.push(' ');
            out.push_str(&target[..end]);
            out.push(' ');
        }
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("br")
            || lower.starts_with("p")
            || lower.starts_with("/p")
            || lower.starts_with("div")
        {
            out.push('\n');
        }
        rest = &rest[lt + gt + 1..];
        // Script and style bodies are not text a reader sees.
        for element in ["script", "style"] {
            if lower.starts_with(element) {
                let close = format!("</{element}");
                rest = match rest.to_ascii_lowercase().find(&close) {
                    Some(end) => &rest[end..],
                    None => "",
                };
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_lose_the_type_suffix() {
        assert_eq!(address("+4912345/TYPE=PLMN").value, "+4912345");
        assert_eq!(address("a@b.example").value, "a@b.example");
        assert_eq!(address("Now <n@now.example>").value, "n@now.example");
    }

    #[test]
    fn html_reduces_to_text_with_links() {
        let t = html_to_text("<p>Win &amp; <a href=\"http://x.example/p\">now</a></p>");
        assert!(t.contains("Win & "));
        assert!(t.contains("http://x.example/p"));
        let t = html_to_text("a<style>p{}</style>b<SCRIPT>x()</SCRIPT>c");
        assert_eq!(t, "abc");
    }
}
