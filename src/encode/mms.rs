//! An MMS encoder (the inverse of [`ingest::mms`](crate::ingest::mms), after OMA-TS-MMS_ENC-V1_3
//! §7 and WAP-230-WSP §8.4/§8.5), for seeds and round-trip tests. It writes
//! X-Mms-Message-Type, Transaction-Id and MMS-Version first and Content-Type
//! last, as §6 requires.

use crate::ingest::mms::wsp;
use crate::ingest::mms::{MessageType, TimeValue};

/// One MMS PDU to encode.
#[derive(Clone, Debug)]
pub struct Pdu {
    /// X-Mms-Message-Type.
    pub message_type: MessageType,
    /// X-Mms-Transaction-ID; `None` writes none.
    pub transaction_id: Option<String>,
    /// `0x13` = 1.3 (major in the high nibble).
    pub version: u8,
    /// Message-ID.
    pub message_id: Option<String>,
    /// Date, seconds since the epoch.
    pub date: Option<u64>,
    /// `None` writes no From; `Some("")` writes the Insert-address token.
    pub from: Option<String>,
    /// To, each as on the wire (`+4912345/TYPE=PLMN`).
    pub to: Vec<String>,
    /// Cc, each as on the wire.
    pub cc: Vec<String>,
    /// Bcc, each as on the wire.
    pub bcc: Vec<String>,
    /// Subject.
    pub subject: Option<String>,
    /// MIBenum of the subject when it is not plain ASCII.
    pub subject_charset: u32,
    /// Message-Class token (0x80 Personal, 0x81 Advertisement, …).
    pub message_class: Option<u8>,
    /// X-Mms-Content-Location.
    pub content_location: Option<String>,
    /// X-Mms-Message-Size.
    pub message_size: Option<u64>,
    /// X-Mms-Expiry.
    pub expiry: Option<TimeValue>,
    /// Further fields as (field code without 0x80, encoded value).
    pub extra: Vec<(u8, Vec<u8>)>,
    /// `Some(start)` makes the body multipart/related with a SMIL start part.
    pub related_start: Option<String>,
    /// The body parts; none writes a PDU without a body.
    pub parts: Vec<PartSpec>,
}

/// One body part; `children` makes it a nested multipart.
#[derive(Clone, Debug, Default)]
pub struct PartSpec {
    /// The media type (`text/plain`); a well-known one is written as its code.
    pub content_type: String,
    /// The `charset` parameter, a MIBenum.
    pub charset: Option<u32>,
    /// The `name` parameter.
    pub name: Option<String>,
    /// Content-ID.
    pub content_id: Option<String>,
    /// Content-Location.
    pub content_location: Option<String>,
    /// The data, for a leaf part.
    pub data: Vec<u8>,
    /// The nested parts, for a multipart part.
    pub children: Vec<PartSpec>,
}

impl PartSpec {
    /// A text/plain part in UTF-8.
    pub fn text(text: &str) -> PartSpec {
        PartSpec::text_in(text, wsp::MIB_UTF_8)
    }

    /// A text/plain part in the given charset (UTF-8, UTF-16 with BOM,
    /// ISO-8859-1, US-ASCII).
    pub fn text_in(text: &str, charset: u32) -> PartSpec {
        let data = match charset {
            wsp::MIB_UTF_16 | wsp::MIB_UCS_2 | wsp::MIB_UTF_16BE => {
                let mut v = if charset == wsp::MIB_UTF_16 {
                    vec![0xFE, 0xFF]
                } else {
                    Vec::new()
                };
                v.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
                v
            }
            wsp::MIB_ISO_8859_1 => text
                .chars()
                .map(|c| u8::try_from(c).unwrap_or(b'?'))
                .collect(),
            _ => text.as_bytes().to_vec(),
        };
        PartSpec {
            content_type: "text/plain".into(),
            charset: Some(charset),
            data,
            ..PartSpec::default()
        }
    }

    /// A media part (image, audio, SMIL, …).
    pub fn media(content_type: &str, name: &str, data: Vec<u8>) -> PartSpec {
        PartSpec {
            content_type: content_type.into(),
            name: Some(name.into()),
            content_location: Some(name.into()),
            data,
            ..PartSpec::default()
        }
    }

    /// A nested multipart (application/vnd.wap.multipart.mixed).
    /// A nested multipart/mixed part holding `children`.
    pub fn multipart(children: Vec<PartSpec>) -> PartSpec {
        PartSpec {
            content_type: "application/vnd.wap.multipart.mixed".into(),
            children,
            ..PartSpec::default()
        }
    }

    /// The part with this Content-ID.
    pub fn with_content_id(mut self, id: &str) -> PartSpec {
        self.content_id = Some(id.into());
        self
    }

    /// The part with this Content-Location.
    pub fn with_location(mut self, loc: &str) -> PartSpec {
        self.content_location = Some(loc.into());
        self
    }
}

impl Pdu {
    /// A PDU of this type: MMS 1.2, a fixed transaction id, no fields, no body.
    pub fn new(message_type: MessageType) -> Pdu {
        Pdu {
            message_type,
            transaction_id: Some("T0000000001".into()),
            version: 0x12,
            message_id: None,
            date: None,
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: None,
            subject_charset: wsp::MIB_UTF_8,
            message_class: None,
            content_location: None,
            message_size: None,
            expiry: None,
            extra: Vec::new(),
            related_start: None,
            parts: Vec::new(),
        }
    }

    /// The PDU's binary encoding (the MM1 wire format).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0x8C, self.message_type as u8];
        if let Some(tid) = &self.transaction_id {
            out.push(0x98);
            put_text(&mut out, tid);
        }
        out.extend_from_slice(&[0x8D, 0x80 | self.version]);
        if let Some(id) = &self.message_id {
            out.push(0x8B);
            put_text(&mut out, id);
        }
        if let Some(date) = self.date {
            out.push(0x85);
            put_long(&mut out, date);
        }
        if let Some(from) = &self.from {
            out.push(0x89);
            let mut v = Vec::new();
            if from.is_empty() {
                v.push(0x81);
            } else {
                v.push(0x80);
                put_encoded_string(&mut v, from, wsp::MIB_UTF_8);
            }
            put_value_length(&mut out, v.len());
            out.extend(v);
        }
        for (code, list) in [(0x97, &self.to), (0x82, &self.cc), (0x81, &self.bcc)] {
            for addr in list {
                out.push(code);
                put_encoded_string(&mut out, addr, wsp::MIB_UTF_8);
            }
        }
        if let Some(subject) = &self.subject {
            out.push(0x96);
            put_encoded_string(&mut out, subject, self.subject_charset);
        }
        if let Some(class) = self.message_class {
            out.extend_from_slice(&[0x8A, class]);
        }
        if let Some(size) = self.message_size {
            out.push(0x8E);
            put_long(&mut out, size);
        }
        if let Some(expiry) = self.expiry {
            out.push(0x88);
            let mut v = Vec::new();
            match expiry {
                TimeValue::Absolute(s) => {
                    v.push(0x80);
                    put_long(&mut v, s);
                }
                TimeValue::Relative(s) => {
                    v.push(0x81);
                    put_long(&mut v, s);
                }
            }
            put_value_length(&mut out, v.len());
            out.extend(v);
        }
        if let Some(loc) = &self.content_location {
            out.push(0x83);
            put_text(&mut out, loc);
        }
        for (code, value) in &self.extra {
            out.push(0x80 | code);
            out.extend_from_slice(value);
        }
        if !self.parts.is_empty() {
            out.push(0x84);
            match &self.related_start {
                Some(start) => put_content_type(
                    &mut out,
                    "application/vnd.wap.multipart.related",
                    &[(0x09, "application/smil"), (0x0A, start)],
                    None,
                ),
                None => {
                    put_content_type(&mut out, "application/vnd.wap.multipart.mixed", &[], None)
                }
            }
            put_multipart(&mut out, &self.parts);
        }
        out
    }
}

/// Wraps an MMS PDU in a WAP Push PDU (WAP-230-WSP §8.2.4.1) with the
/// well-known MMS content type and X-Wap-Application-Id mms.ua (4).
pub fn wap_push(tid: u8, mms: &[u8]) -> Vec<u8> {
    let headers = [0xBE, 0xAF, 0x84];
    let mut out = vec![tid, 0x06];
    put_uintvar(&mut out, headers.len() as u32);
    out.extend_from_slice(&headers);
    out.extend_from_slice(mms);
    out
}

/// Multipart body (WSP §8.5.2).
fn put_multipart(out: &mut Vec<u8>, parts: &[PartSpec]) {
    put_uintvar(out, parts.len() as u32);
    for part in parts {
        let mut headers = Vec::new();
        let mut params: Vec<(u8, &str)> = Vec::new();
        if let Some(name) = &part.name {
            params.push((0x05, name));
        }
        put_content_type(&mut headers, &part.content_type, &params, part.charset);
        if let Some(id) = &part.content_id {
            headers.extend_from_slice(&[0xC0, b'"']);
            headers.extend_from_slice(id.as_bytes());
            headers.push(0);
        }
        if let Some(loc) = &part.content_location {
            headers.push(0x8E);
            put_text(&mut headers, loc);
        }
        let mut data = Vec::new();
        if part.children.is_empty() {
            data.extend_from_slice(&part.data);
        } else {
            put_multipart(&mut data, &part.children);
        }
        put_uintvar(out, headers.len() as u32);
        put_uintvar(out, data.len() as u32);
        out.extend(headers);
        out.extend(data);
    }
}

/// Content-type-value (WSP §8.4.2.24), short form when there are no params.
fn put_content_type(out: &mut Vec<u8>, media: &str, params: &[(u8, &str)], charset: Option<u32>) {
    let code = wsp::content_type_code(media);
    if params.is_empty() && charset.is_none() {
        match code {
            Some(c) => out.push(0x80 | c),
            None => put_text(out, media),
        }
        return;
    }
    let mut v = Vec::new();
    match code {
        Some(c) => v.push(0x80 | c),
        None => put_text(&mut v, media),
    }
    if let Some(mib) = charset {
        v.push(0x81);
        put_integer(&mut v, u64::from(mib));
    }
    for (code, value) in params {
        v.push(0x80 | code);
        put_text(&mut v, value);
    }
    put_value_length(out, v.len());
    out.extend(v);
}

pub(crate) fn put_uintvar(out: &mut Vec<u8>, value: u32) {
    let mut groups = [0u8; 5];
    let mut n = 0;
    let mut v = value;
    loop {
        groups[n] = (v & 0x7F) as u8;
        n += 1;
        v >>= 7;
        if v == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(groups[i] | if i > 0 { 0x80 } else { 0 });
    }
}

fn put_value_length(out: &mut Vec<u8>, len: usize) {
    if len <= 30 {
        out.push(len as u8);
    } else {
        out.push(31);
        put_uintvar(out, len as u32);
    }
}

/// Text-string, quoted with 0x7F when the first octet is ≥ 0x80.
fn put_text(out: &mut Vec<u8>, text: &str) {
    if text.as_bytes().first().is_some_and(|&b| b >= 0x80) {
        out.push(0x7F);
    }
    out.extend_from_slice(text.as_bytes());
    out.push(0);
}

fn put_long(out: &mut Vec<u8>, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    out.push((8 - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

fn put_integer(out: &mut Vec<u8>, value: u64) {
    if value < 0x80 {
        out.push(0x80 | value as u8);
    } else {
        put_long(out, value);
    }
}

/// Encoded-string-value: a plain Text-string for ASCII, else Value-length +
/// charset + text (UTF-16 with BOM and a NUL code unit).
fn put_encoded_string(out: &mut Vec<u8>, text: &str, charset: u32) {
    if text.is_ascii() {
        put_text(out, text);
        return;
    }
    let utf16 = matches!(charset, wsp::MIB_UTF_16 | wsp::MIB_UCS_2);
    let mut v = Vec::new();
    put_integer(
        &mut v,
        u64::from(if utf16 { charset } else { wsp::MIB_UTF_8 }),
    );
    match charset {
        wsp::MIB_UTF_16 | wsp::MIB_UCS_2 => {
            v.extend_from_slice(&[0xFE, 0xFF]);
            v.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
            v.extend_from_slice(&[0, 0]);
        }
        _ => put_text(&mut v, text),
    }
    put_value_length(out, v.len());
    out.extend(v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::mms::{decode, decode_wap_push, MmsDetails};
    use crate::message::Protocol;

    fn details<'m>(msg: &'m crate::Message<'_>) -> &'m MmsDetails {
        match &msg.protocol {
            Protocol::Mms(d) => d,
            other => panic!("expected MMS details, got {other:?}"),
        }
    }

    fn jpeg() -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
        v.extend(std::iter::repeat_n(0x42, 300));
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    #[test]
    fn uintvar_round_trip() {
        for n in [0, 1, 127, 128, 16_383, 16_384, 1_000_000, u32::MAX] {
            let mut v = Vec::new();
            put_uintvar(&mut v, n);
            assert_eq!(wsp::Reader::new(&v, 0).uintvar("n").ok(), Some(n));
        }
    }

    #[test]
    fn send_req_related_round_trip() {
        let smil = "<smil><body><par><img src=\"p.jpg\"/><text src=\"t.txt\"/></par></body></smil>";
        let text = "Grüße aus Köln — call +49 170 000 now: https://promo.example/win?id=7 ✓";
        let mut pdu = Pdu::new(MessageType::SendReq);
        pdu.transaction_id = Some("tx-42".into());
        pdu.from = Some(String::new());
        pdu.to = vec!["+4917000000/TYPE=PLMN".into(), "a@b.example".into()];
        pdu.cc = vec!["+4917000001/TYPE=PLMN".into()];
        pdu.subject = Some("Ihr Gewinn wartet ✓".into());
        pdu.message_class = Some(0x81);
        pdu.related_start = Some("<smil>".into());
        pdu.parts = vec![
            PartSpec::media("application/smil", "s.smil", smil.as_bytes().to_vec())
                .with_content_id("<smil>"),
            PartSpec::text(text)
                .with_location("t.txt")
                .with_content_id("<t>"),
            PartSpec::media("image/jpeg", "p.jpg", jpeg()),
        ];
        let bytes = pdu.encode();
        let msg = decode(&bytes).expect("decodes");
        let d = details(&msg);
        assert!(msg.problems.is_empty(), "{:?}", msg.problems);
        assert_eq!(d.message_type, "m-send-req");
        assert_eq!(d.fields.transaction_id.as_deref(), Some("tx-42"));
        assert_eq!(d.fields.mms_version.as_deref(), Some("1.2"));
        assert_eq!(msg.envelope.sender, None);
        assert_eq!(msg.envelope.recipients.len(), 3);
        assert_eq!(msg.envelope.recipients[0].value, "+4917000000");
        assert_eq!(msg.subject.as_deref(), Some("Ihr Gewinn wartet ✓"));
        assert_eq!(d.fields.message_class.as_deref(), Some("Advertisement"));
        let ct = d.fields.content_type.as_ref().expect("content type");
        assert_eq!(ct.media, "application/vnd.wap.multipart.related");
        assert_eq!(ct.param("type"), Some("application/smil"));
        assert_eq!(ct.param("start"), Some("<smil>"));
        assert_eq!(msg.text_parts.len(), 1);
        assert_eq!(msg.text_parts[0].text, text);
        assert_eq!(msg.attachments.len(), 2);
        assert_eq!(msg.attachments[0].content_type, "application/smil");
        assert_eq!(msg.attachments[1].content_type, "image/jpeg");
        assert_eq!(msg.attachments[1].filename.as_deref(), Some("p.jpg"));
        assert_eq!(msg.attachments[1].size, 306);
        assert!(msg
            .urls
            .iter()
            .any(|u| u.starts_with("https://promo.example/win")));
        assert_eq!(d.parts[0].content_id.as_deref(), Some("<smil>"));
    }

    #[test]
    fn retrieve_conf_round_trip_with_utf16_and_nesting() {
        let mut pdu = Pdu::new(MessageType::RetrieveConf);
        pdu.version = 0x13;
        pdu.message_id = Some("mid-1".into());
        pdu.date = Some(1_700_000_000);
        pdu.from = Some("+4912345/TYPE=PLMN".into());
        pdu.to = vec!["+4967890/TYPE=PLMN".into()];
        pdu.subject = Some("Привет".into());
        pdu.subject_charset = wsp::MIB_UTF_16;
        pdu.parts = vec![
            PartSpec::text_in("Hallo Welt, schönes Foto!", wsp::MIB_UTF_16),
            PartSpec::multipart(vec![
                PartSpec::text_in("café", wsp::MIB_ISO_8859_1),
                PartSpec::media("image/png", "x.png", vec![0x89, b'P', b'N', b'G']),
            ]),
        ];
        let bytes = pdu.encode();
        let msg = decode(&bytes).expect("decodes");
        let d = details(&msg);
        assert!(msg.problems.is_empty(), "{:?}", msg.problems);
        assert_eq!(msg.subject.as_deref(), Some("Привет"));
        assert_eq!(d.fields.date, Some(1_700_000_000));
        assert_eq!(
            msg.envelope.sender.as_ref().map(|a| a.value.as_str()),
            Some("+4912345")
        );
        let texts: Vec<_> = msg.text_parts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["Hallo Welt, schönes Foto!", "café"]);
        let depths: Vec<_> = d.parts.iter().map(|p| p.depth).collect();
        assert_eq!(depths, [0, 0, 1, 1]);
        assert_eq!(msg.attachments.len(), 1);
    }

    #[test]
    fn notification_ind_round_trip_and_push() {
        let mut pdu = Pdu::new(MessageType::NotificationInd);
        pdu.from = Some("+4915199999/TYPE=PLMN".into());
        pdu.subject = Some("You won".into());
        pdu.message_class = Some(0x80);
        pdu.message_size = Some(16_384);
        pdu.expiry = Some(TimeValue::Relative(259_200));
        pdu.content_location = Some("http://mmsc.example/get?id=abc".into());
        let bytes = pdu.encode();
        let msg = decode(&bytes).expect("decodes");
        let d = details(&msg);
        assert_eq!(d.fields.message_size, Some(16_384));
        assert_eq!(d.fields.expiry, Some(TimeValue::Relative(259_200)));
        assert_eq!(msg.urls[0], "http://mmsc.example/get?id=abc");
        assert!(!msg.is_notification);

        let push = wap_push(0x2A, &bytes);
        let msg = decode_wap_push(&push).expect("push decodes");
        let d = details(&msg);
        assert_eq!(msg.urls[0], "http://mmsc.example/get?id=abc");
        assert_eq!(msg.subject.as_deref(), Some("You won"));
        let push = d.push.as_ref().expect("push details");
        assert_eq!(push.transaction_id, Some(0x2A));
        assert_eq!(push.content_type, "application/vnd.wap.mms-message");
        assert_eq!(
            push.application_id.as_deref(),
            Some("x-wap-application:mms.ua")
        );
    }
}
