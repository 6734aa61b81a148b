//! WAP Push envelope (WAP-230-WSP §8.2.4.1 Push and ConfirmedPush PDUs),
//! as MMS notifications arrive over SMS port 2948 (OMA-TS-MMS_ENC-V1_3 §6.2,
//! WAP-251 PushMessage).
//!
//! Layout: TID (one octet, connectionless push only), PDU type (0x06 push,
//! 0x07 confirmed push), HeadersLen (uintvar), Content-Type + headers
//! (HeadersLen octets), then the data: here an MMS PDU.

use std::borrow::Cow;

use super::content_type;
use super::wsp::{self, Reader};
use super::{decode, MmsError};
use crate::message::protocol::mms::PushDetails;
use crate::message::protocol::Protocol;
use crate::message::{Message, ProblemKind};

const PDU_PUSH: u8 = 0x06;
const PDU_CONFIRMED_PUSH: u8 = 0x07;
const MMS_MEDIA: &str = "application/vnd.wap.mms-message";

/// Decodes a WAP Push PDU carrying an MMS PDU (normally m-notification-ind),
/// or a bare MMS PDU. The push headers are added to the message's headers.
pub fn decode_wap_push(bytes: &[u8]) -> Result<Message<'static>, MmsError> {
    let (tid, pdu_type, start) = match bytes {
        [tid, t @ (PDU_PUSH | PDU_CONFIRMED_PUSH), ..] => (Some(*tid), *t, 2),
        [0x8C, ..] => return decode(bytes).map(Message::into_owned),
        // Connection-oriented push has no TID (WSP §8.2.1).
        [t @ (PDU_PUSH | PDU_CONFIRMED_PUSH), ..] => (None, *t, 1),
        _ => return Err(MmsError::NotPush { offset: 0 }),
    };
    let mut r = Reader::new(&bytes[start..], start);
    let headers_len = r.uintvar("push HeadersLen")? as usize;
    let mut hr = r.sub(headers_len, "push headers")?;
    let ct = content_type::read(&mut hr)?;
    let mut push = PushDetails {
        transaction_id: tid,
        pdu_type,
        content_type: ct.to_string(),
        application_id: None,
        headers: vec![("Content-Type".to_string(), ct.to_string())],
        mms_offset: r.offset(),
    };
    // A damaged push header must not hide the notification behind it.
    let header_problem = read_push_headers(&mut hr, &mut push).err();
    if !ct.media.eq_ignore_ascii_case(MMS_MEDIA) {
        return Err(MmsError::NotMmsPush {
            offset: start,
            content_type: ct.to_string(),
        });
    }
    let mms_offset = r.offset();
    let mms = r.rest();
    let inner = decode(mms).map_err(|e| e.shifted(mms_offset))?;
    let mut msg = Message {
        raw: Cow::Owned(bytes.to_vec()),
        body_offset: inner.body_offset + mms_offset,
        ..inner.into_owned()
    };
    for p in &mut msg.problems {
        p.offset = p.offset.map(|o| o + mms_offset);
    }
    if let Some(e) = header_problem {
        msg.problem(
            ProblemKind::MalformedHeader,
            e.offset(),
            format!("push header: {e}"),
        );
    }
    let mut headers: Vec<_> = push
        .headers
        .iter()
        .filter(|(n, _)| n != "Content-Type")
        .map(|(name, value)| crate::message::Header {
            name: name.clone().into(),
            value: value.clone().into(),
        })
        .collect();
    headers.append(&mut msg.headers);
    msg.headers = headers;
    if let Protocol::Mms(details) = &mut msg.protocol {
        for part in &mut details.parts {
            part.offset += mms_offset;
        }
        details.push = Some(Box::new(push));
    }
    Ok(msg)
}

/// Push headers (WSP §8.4.2.6); X-Wap-Application-Id (§8.4.2.54) is an
/// Integer-value from the OMNA push application registry or a URI.
fn read_push_headers(r: &mut Reader<'_>, push: &mut PushDetails) -> Result<(), MmsError> {
    while let Some(b) = r.peek() {
        if b & 0x80 != 0 {
            r.byte("push header")?;
            let code = b & 0x7F;
            let name = wsp::header_name(code)
                .map_or_else(|| format!("X-Wsp-Header-0x{code:02X}"), str::to_string);
            let value = if code == wsp::HDR_X_WAP_APPLICATION_ID {
                let v = match r.peek() {
                    Some(0x80..) | Some(1..=30) => {
                        let id = r.integer_value("X-Wap-Application-Id")?;
                        wsp::application_id_name(id).map_or_else(|| id.to_string(), str::to_string)
                    }
                    _ => {
                        String::from_utf8_lossy(r.text_string("X-Wap-Application-Id")?).into_owned()
                    }
                };
                push.application_id = Some(v.clone());
                v
            } else {
                let raw = r.skip_value("push header value")?;
                match raw {
                    [v] if v & 0x80 != 0 => (v & 0x7F).to_string(),
                    [t @ .., 0] => String::from_utf8_lossy(t).into_owned(),
                    _ => raw.iter().map(|b| format!("{b:02x}")).collect(),
                }
            };
            push.headers.push((name, value));
        } else if b >= 0x20 {
            let name = String::from_utf8_lossy(r.text_string("push header name")?).into_owned();
            let value = String::from_utf8_lossy(r.text_string("push header value")?).into_owned();
            push.headers.push((name, value));
        } else {
            return Err(MmsError::Unexpected {
                what: "push header",
                offset: r.offset(),
                found: b,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A push PDU as python-messaging's test_wap vectors carry it: textual
    /// content type, X-Wap-Application-Id 4, then m-notification-ind.
    fn sample() -> Vec<u8> {
        let mut headers = b"application/vnd.wap.mms-message\0".to_vec();
        headers.extend_from_slice(&[0xAF, 0x84]);
        let mut v = vec![0x01, 0x06, headers.len() as u8];
        v.extend(headers);
        v.extend_from_slice(&[0x8C, 0x82, 0x98]);
        v.extend_from_slice(b"T1\0");
        let from = b"+4477/TYPE=PLMN\0";
        v.extend_from_slice(&[0x8D, 0x90, 0x89, from.len() as u8 + 1, 0x80]);
        v.extend_from_slice(from);
        v.extend_from_slice(&[
            0x8A, 0x80, 0x8E, 0x02, 0x74, 0x00, 0x88, 0x05, 0x81, 0x03, 0x03, 0xF4, 0x80,
        ]);
        v.push(0x83);
        v.extend_from_slice(b"http://promms/servlets/X\0");
        v
    }

    #[test]
    fn push_with_notification() {
        let v = sample();
        let msg = decode_wap_push(&v);
        let msg = match msg {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            msg.urls.first().map(String::as_str),
            Some("http://promms/servlets/X")
        );
        assert!(!msg.is_notification);
        assert_eq!(
            msg.header_values("X-Wap-Application-Id").next(),
            Some("x-wap-application:mms.ua")
        );
    }

    #[test]
    fn damaged_push_header_is_a_problem() {
        let mut v = sample();
        v[2 + 33] = 0x1F; // X-Wap-Application-Id value becomes a bad length
        let msg = decode_wap_push(&v).expect("notification still decodes");
        assert_eq!(msg.problems.len(), 1);
        assert_eq!(msg.problems[0].kind, ProblemKind::MalformedHeader);
    }

    #[test]
    fn bare_mms_is_accepted() {
        let v = sample();
        let bare = &v[3 + 34..];
        assert!(decode_wap_push(bare).is_ok());
    }

    #[test]
    fn non_mms_push_is_refused() {
        let v = [0x01, 0x06, 0x01, 0xAE, 0x00];
        assert!(matches!(
            decode_wap_push(&v),
            Err(MmsError::NotMmsPush { .. })
        ));
        assert!(matches!(
            decode_wap_push(&[0x55, 0x55]),
            Err(MmsError::NotPush { .. })
        ));
    }
}
