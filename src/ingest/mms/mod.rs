//! MMS ingest: OMA MMS encapsulation PDUs (OMA-TS-MMS_ENC-V1_3, the MM1
//! binary format) and the WAP Push PDUs that carry m-notification-ind over
//! SMS (WAP-230-WSP §8.2.4).
//!
//! The pieces, one concept each:
//! - [`wsp`]: WSP primitive values (uintvar, value-length, strings, charsets)
//!   and the well-known code tables;
//! - [`content_type`]: content-type values with parameters;
//! - [`headers`]: MMS header fields and message types;
//! - [`multipart`]: WSP multipart bodies, nested, with part and depth limits;
//! - [`push`]: the WSP push envelope.
//!
#![cfg_attr(
    feature = "synth",
    doc = " The encoder, for seeds and round-trip tests, is [`crate::encode::mms`]."
)]
//!
//! ```
//! use floodwall::encode::mms::{PartSpec, Pdu};
//! use floodwall::ingest::mms::{self, MessageType};
//!
//! let mut pdu = Pdu::new(MessageType::RetrieveConf);
//! pdu.from = Some("+4912345/TYPE=PLMN".into());
//! pdu.subject = Some("Hello".into());
//! pdu.parts.push(PartSpec::text("Visit example.com now"));
//! let bytes = pdu.encode();
//! let msg = mms::decode(&bytes).unwrap();
//! assert_eq!(msg.subject.as_deref(), Some("Hello"));
//! assert_eq!(msg.envelope.sender.unwrap().value, "+4912345");
//! assert_eq!(msg.text_parts[0].text, "Visit example.com now");
//! ```

mod body;
pub mod content_type;
pub mod headers;
pub mod multipart;
pub mod push;
mod transfer;
pub mod wsp;

use std::borrow::Cow;

use crate::message::protocol::Protocol;
use crate::message::{Channel, Message};

pub use crate::message::protocol::mms::{HeaderFields, MmsDetails, PartInfo, PushDetails};
pub use content_type::ContentType;
pub use headers::{MessageType, TimeValue};
pub use push::decode_wap_push;

/// Why a PDU could not be decoded at all, and where.
#[derive(Debug, thiserror::Error)]
pub enum MmsError {
    /// A value runs past the end of the input.
    #[error("byte {offset}: {what} runs past the end of the data")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A text string (WAP-230-WSP §8.4.2.1) without its NUL.
    #[error("byte {offset}: {what} has no terminating NUL")]
    Unterminated {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A number too large for the decoder: a uintvar over 5 octets or 32 bits
    /// (WAP-230-WSP §8.1.2), a Long-integer over 8 octets.
    #[error(
        "byte {offset}: {what} overflows (uintvar over 5 octets/32 bits, or integer over 8 octets)"
    )]
    Overflow {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// An octet no encoding of the value allows.
    #[error("byte {offset}: unexpected octet 0x{found:02X} in {what}")]
    Unexpected {
        /// What was being read.
        what: &'static str,
        /// Where the octet is.
        offset: usize,
        /// The octet.
        found: u8,
    },
    /// The first octet is not X-Mms-Message-Type, which §6 requires first.
    #[error("byte {offset}: not an MMS PDU: expected X-Mms-Message-Type (0x8C) first, found 0x{found:02X}")]
    NotMms {
        /// Where the first header is.
        offset: usize,
        /// The octet found there.
        found: u8,
    },
    /// Neither a WAP Push PDU (WAP-230-WSP §8.2.4) nor an MMS PDU.
    #[error("byte {offset}: not a WAP Push PDU (PDU type 0x06/0x07) nor an MMS PDU")]
    NotPush {
        /// Where the PDU type is.
        offset: usize,
    },
    /// A WAP Push for some other application (a SI, a SL, a provisioning
    /// document): not MMS.
    #[error("byte {offset}: WAP Push carries {content_type}, not application/vnd.wap.mms-message")]
    NotMmsPush {
        /// Where the push content type is.
        offset: usize,
        /// The content type it carries.
        content_type: String,
    },
    /// More items than the decoder holds (parts, nesting): a bound against
    /// hostile input.
    #[error("byte {offset}: more than {limit} {what}")]
    Limit {
        /// What there were too many of.
        what: &'static str,
        /// Where the bound was crossed.
        offset: usize,
        /// The bound.
        limit: usize,
    },
}

impl MmsError {
    /// The byte offset in the input where decoding failed.
    pub fn offset(&self) -> Option<usize> {
        match self {
            MmsError::Truncated { offset, .. }
            | MmsError::Unterminated { offset, .. }
            | MmsError::Overflow { offset, .. }
            | MmsError::Unexpected { offset, .. }
            | MmsError::NotMms { offset, .. }
            | MmsError::NotPush { offset }
            | MmsError::NotMmsPush { offset, .. }
            | MmsError::Limit { offset, .. } => Some(*offset),
        }
    }

    /// The same error with its offset moved by `by` (for an MMS PDU decoded
    /// from inside a push envelope).
    fn shifted(mut self, by: usize) -> MmsError {
        match &mut self {
            MmsError::Truncated { offset, .. }
            | MmsError::Unterminated { offset, .. }
            | MmsError::Overflow { offset, .. }
            | MmsError::Unexpected { offset, .. }
            | MmsError::NotMms { offset, .. }
            | MmsError::NotPush { offset }
            | MmsError::NotMmsPush { offset, .. }
            | MmsError::Limit { offset, .. } => *offset += by,
        }
        self
    }
}

/// Decodes one MMS PDU. Refused (`Err`) only when the bytes are not an MMS
/// PDU at all; damage further in is recorded as problems on the message.
pub fn decode(bytes: &[u8]) -> Result<Message<'_>, MmsError> {
    let mut details = MmsDetails::default();
    let mut problems = Vec::new();
    let body_start = headers::parse(bytes, &mut details, &mut problems)?;
    let mut msg = Message::new(Channel::Mms, Cow::Borrowed(bytes), Protocol::None);
    msg.problems = problems;
    msg.body_offset = body_start;
    body::fill(
        &mut msg,
        &mut details,
        bytes.get(body_start..).unwrap_or(&[]),
        body_start,
    );
    msg.protocol = Protocol::Mms(details);
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::mms::{PartSpec, Pdu};
    use crate::message::ProblemKind;

    fn details<'m>(msg: &'m Message<'_>) -> &'m MmsDetails {
        match &msg.protocol {
            Protocol::Mms(d) => d,
            other => panic!("expected MMS details, got {other:?}"),
        }
    }

    /// mmsd's `mms_m_retrieve_conf_1` rebuilt from the field values that
    /// reference.md §4.3 documents (200 bytes, HeadersLen 64, DataLen 59).
    fn retrieve_conf_1() -> Vec<u8> {
        let mut v = vec![0x8C, 0x84, 0x98];
        v.extend_from_slice(b"1201657238\0");
        v.extend_from_slice(&[0x8D, 0x93, 0x8B]);
        v.extend_from_slice(b"mt-212\0");
        v.extend_from_slice(&[0x85, 0x04, 0x47, 0x9F, 0xD5, 0x96]);
        let from = b"+49891000/TYPE=PLMN\0";
        v.extend_from_slice(&[0x89, from.len() as u8 + 1, 0x80]);
        v.extend_from_slice(from);
        let subject = b"MMS-1.3-con-212\0";
        v.extend_from_slice(&[0x96, subject.len() as u8 + 1, 0x83]);
        v.extend_from_slice(subject);
        v.extend_from_slice(&[0x84, 0xA3]);
        let mut headers = vec![0x03, 0x83, 0x81, 0x83, 0xC0, 0x22];
        headers.extend_from_slice(b"<Text_us-ascii.txt>\0");
        headers.push(0x8E);
        headers.extend_from_slice(b"/tmp/mms-1.3-con-212/text-us-ascii.t\0");
        let text = b"The quick brown fox jumped over the lazy dog 1234567890/!()";
        v.extend_from_slice(&[0x01, headers.len() as u8, text.len() as u8]);
        v.extend(headers);
        v.extend_from_slice(text);
        v
    }

    #[test]
    fn reference_retrieve_conf_1() {
        let bytes = retrieve_conf_1();
        assert_eq!(bytes.len(), 200);
        assert_eq!(bytes[bytes.len() - 59 - 64 - 2], 64);
        let msg = decode(&bytes).expect("decodes");
        let d = details(&msg);
        assert_eq!(d.message_type, "m-retrieve-conf");
        assert_eq!(d.message_type_byte, 0x84);
        assert_eq!(d.fields.transaction_id.as_deref(), Some("1201657238"));
        assert_eq!(d.fields.mms_version.as_deref(), Some("1.3"));
        assert_eq!(d.fields.message_id.as_deref(), Some("mt-212"));
        assert_eq!(d.fields.date, Some(0x479F_D596));
        assert_eq!(d.fields.from.as_deref(), Some("+49891000/TYPE=PLMN"));
        assert_eq!(
            msg.envelope.sender.as_ref().map(|a| a.value.as_str()),
            Some("+49891000")
        );
        assert_eq!(msg.subject.as_deref(), Some("MMS-1.3-con-212"));
        assert_eq!(d.parts.len(), 1);
        assert_eq!(d.parts[0].size, 59);
        assert_eq!(d.parts[0].offset + 59, 200, "all 200 bytes consumed");
        assert_eq!(
            msg.text_parts[0].text,
            "The quick brown fox jumped over the lazy dog 1234567890/!()"
        );
        assert!(msg.problems.is_empty(), "{:?}", msg.problems);
        assert!(!msg.is_notification);
        assert_eq!(
            msg.header_values("X-Mms-Message-Type").next(),
            Some("m-retrieve-conf")
        );
        assert_eq!(
            msg.header_values("Content-Type").next(),
            Some("application/vnd.wap.multipart.mixed")
        );
    }

    /// mmsd's `mms_m_notify_ind_1` fields: Size 16384, relative Expiry 259200 s.
    #[test]
    fn reference_notify_ind_1() {
        let mut v = vec![0x8C, 0x82, 0x98];
        v.extend_from_slice(b"4112345\0");
        v.extend_from_slice(&[0x8D, 0x92]);
        let from = b"+33611111111/TYPE=PLMN\0";
        v.extend_from_slice(&[0x89, from.len() as u8 + 1, 0x80]);
        v.extend_from_slice(from);
        v.extend_from_slice(&[0x8A, 0x80, 0x8E, 0x02, 0x40, 0x00]);
        v.extend_from_slice(&[0x88, 0x05, 0x81, 0x03, 0x03, 0xF4, 0x80]);
        v.push(0x83);
        v.extend_from_slice(b"http://mms.example.com/m/4112345\0");
        let msg = decode(&v).expect("decodes");
        let d = details(&msg);
        assert_eq!(d.message_type, "m-notification-ind");
        assert_eq!(d.fields.message_size, Some(16384));
        assert_eq!(d.fields.expiry, Some(TimeValue::Relative(259_200)));
        assert_eq!(d.fields.message_class.as_deref(), Some("Personal"));
        assert_eq!(
            msg.urls.first().map(String::as_str),
            Some("http://mms.example.com/m/4112345")
        );
        assert!(!msg.is_notification, "notifications of new MMS are scored");
        assert!(msg.problems.is_empty(), "{:?}", msg.problems);
    }

    #[test]
    fn protocol_notifications_are_flagged() {
        for (t, flagged) in [
            (MessageType::DeliveryInd, true),
            (MessageType::ReadOrigInd, true),
            (MessageType::ReadRecInd, true),
            (MessageType::AcknowledgeInd, true),
            (MessageType::NotifyRespInd, true),
            (MessageType::SendConf, true),
            (MessageType::NotificationInd, false),
            (MessageType::SendReq, false),
        ] {
            let bytes = Pdu::new(t).encode();
            let msg = decode(&bytes).expect("decodes");
            assert_eq!(msg.is_notification, flagged, "{}", t.name());
        }
    }

    #[test]
    fn every_truncation_of_a_pdu_is_handled() {
        let mut pdu = Pdu::new(MessageType::RetrieveConf);
        pdu.from = Some("+4912345/TYPE=PLMN".into());
        pdu.subject = Some("Grüße".into());
        pdu.related_start = Some("<smil>".into());
        pdu.parts = vec![
            PartSpec::media("application/smil", "s.smil", b"<smil/>".to_vec())
                .with_content_id("<smil>"),
            PartSpec::text("Hallo"),
            PartSpec::multipart(vec![PartSpec::text_in("inner", wsp::MIB_UTF_16)]),
        ];
        let bytes = pdu.encode();
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            match decode(prefix) {
                Ok(msg) => {
                    for p in &msg.problems {
                        assert!(p.offset.is_some_and(|o| o <= cut), "{p:?}");
                    }
                }
                Err(e) => assert!(e.offset().is_some()),
            }
        }
        // And every single-byte corruption.
        for i in 0..bytes.len() {
            for x in [0x00, 0x1F, 0x7F, 0x80, 0xFF] {
                let mut b = bytes.clone();
                b[i] = x;
                let _ = decode(&b);
                let _ = decode_wap_push(&b);
            }
        }
    }

    #[test]
    fn truncated_body_is_a_problem_with_offset() {
        let bytes = retrieve_conf_1();
        let msg = decode(&bytes[..150]).expect("headers decode");
        assert!(msg
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::Truncated && p.offset.is_some()));
        assert_eq!(msg.subject.as_deref(), Some("MMS-1.3-con-212"));
    }

    #[test]
    fn uintvar_overflow_in_body_is_a_problem() {
        let mut bytes = retrieve_conf_1();
        let body = bytes.len() - 59 - 64 - 3;
        bytes.truncate(body);
        bytes.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]);
        let msg = decode(&bytes).expect("headers decode");
        assert_eq!(msg.problems.len(), 1);
        assert_eq!(msg.problems[0].offset, Some(body));
    }

    #[test]
    fn not_mms_is_a_typed_error() {
        assert!(matches!(
            decode(b"GET / HTTP/1.0"),
            Err(MmsError::NotMms { offset: 0, .. })
        ));
        assert_eq!(decode(&[]).err().and_then(|e| e.offset()), Some(0));
    }
}
