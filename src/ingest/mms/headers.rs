//! MMS header fields (OMA-TS-MMS_ENC-V1_3 §7.3, field codes in Table 25,
//! message types §7.3.30).
//!
//! The header section is a run of `field-code | 0x80` + value. It ends at
//! Content-Type, which the spec requires to be the last header of a PDU with
//! a body (§6), or at the end of the PDU for body-less PDUs. Application
//! headers (Token-text + Text-string, §7.3.1 in 1.3) are kept by name.

use serde::Serialize;

use super::wsp::Reader;
use super::{content_type, transfer};
use super::{MmsDetails, MmsError};
pub use crate::message::protocol::mms::TimeValue;
use crate::message::{Problem, ProblemKind};

/// The PDU types of OMA-TS-MMS_ENC-V1_3 §7.3.30 (X-Mms-Message-Type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MessageType {
    /// `m-send-req`: the client sends a message to the MMSC.
    SendReq = 0x80,
    /// `m-send-conf`: the MMSC answers m-send-req.
    SendConf = 0x81,
    /// `m-notification-ind`: the MMSC tells the recipient a message waits; sent
    /// over WAP Push.
    NotificationInd = 0x82,
    /// `m-notifyresp-ind`: the recipient answers the notification.
    NotifyRespInd = 0x83,
    /// `m-retrieve-conf`: the message, as the recipient fetches it.
    RetrieveConf = 0x84,
    /// `m-acknowledge-ind`: the recipient confirms the retrieval.
    AcknowledgeInd = 0x85,
    /// `m-delivery-ind`: a delivery report to the sender.
    DeliveryInd = 0x86,
    /// `m-read-rec-ind`: a read report, recipient to MMSC.
    ReadRecInd = 0x87,
    /// `m-read-orig-ind`: a read report, MMSC to the sender.
    ReadOrigInd = 0x88,
    /// `m-forward-req`: forward a message held at the MMSC.
    ForwardReq = 0x89,
    /// `m-forward-conf`: the MMSC answers m-forward-req.
    ForwardConf = 0x8A,
    /// `m-mbox-store-req`: store a message in the MMBox.
    MboxStoreReq = 0x8B,
    /// `m-mbox-store-conf`: the MMSC answers m-mbox-store-req.
    MboxStoreConf = 0x8C,
    /// `m-mbox-view-req`: list the MMBox.
    MboxViewReq = 0x8D,
    /// `m-mbox-view-conf`: the MMBox listing.
    MboxViewConf = 0x8E,
    /// `m-mbox-upload-req`: upload a message to the MMBox.
    MboxUploadReq = 0x8F,
    /// `m-mbox-upload-conf`: the MMSC answers m-mbox-upload-req.
    MboxUploadConf = 0x90,
    /// `m-mbox-delete-req`: delete messages from the MMBox.
    MboxDeleteReq = 0x91,
    /// `m-mbox-delete-conf`: the MMSC answers m-mbox-delete-req.
    MboxDeleteConf = 0x92,
    /// `m-mbox-descr`: one message as an MMBox listing describes it.
    MboxDescr = 0x93,
    /// `m-delete-req`: delete a message held at the MMSC.
    DeleteReq = 0x94,
    /// `m-delete-conf`: the MMSC answers m-delete-req.
    DeleteConf = 0x95,
    /// `m-cancel-req`: cancel a message before it is delivered.
    CancelReq = 0x96,
    /// `m-cancel-conf`: the MMSC answers m-cancel-req.
    CancelConf = 0x97,
}

impl MessageType {
    /// Every type, in code order.
    pub const ALL: [MessageType; 24] = [
        MessageType::SendReq,
        MessageType::SendConf,
        MessageType::NotificationInd,
        MessageType::NotifyRespInd,
        MessageType::RetrieveConf,
        MessageType::AcknowledgeInd,
        MessageType::DeliveryInd,
        MessageType::ReadRecInd,
        MessageType::ReadOrigInd,
        MessageType::ForwardReq,
        MessageType::ForwardConf,
        MessageType::MboxStoreReq,
        MessageType::MboxStoreConf,
        MessageType::MboxViewReq,
        MessageType::MboxViewConf,
        MessageType::MboxUploadReq,
        MessageType::MboxUploadConf,
        MessageType::MboxDeleteReq,
        MessageType::MboxDeleteConf,
        MessageType::MboxDescr,
        MessageType::DeleteReq,
        MessageType::DeleteConf,
        MessageType::CancelReq,
        MessageType::CancelConf,
    ];

    /// The type with this X-Mms-Message-Type octet.
    pub fn from_byte(b: u8) -> Option<MessageType> {
        MessageType::ALL.into_iter().find(|t| *t as u8 == b)
    }

    /// The type's name in the specification (`m-send-req`).
    pub fn name(self) -> &'static str {
        match self {
            MessageType::SendReq => "m-send-req",
            MessageType::SendConf => "m-send-conf",
            MessageType::NotificationInd => "m-notification-ind",
            MessageType::NotifyRespInd => "m-notifyresp-ind",
            MessageType::RetrieveConf => "m-retrieve-conf",
            MessageType::AcknowledgeInd => "m-acknowledge-ind",
            MessageType::DeliveryInd => "m-delivery-ind",
            MessageType::ReadRecInd => "m-read-rec-ind",
            MessageType::ReadOrigInd => "m-read-orig-ind",
            MessageType::ForwardReq => "m-forward-req",
            MessageType::ForwardConf => "m-forward-conf",
            MessageType::MboxStoreReq => "m-mbox-store-req",
            MessageType::MboxStoreConf => "m-mbox-store-conf",
            MessageType::MboxViewReq => "m-mbox-view-req",
            MessageType::MboxViewConf => "m-mbox-view-conf",
            MessageType::MboxUploadReq => "m-mbox-upload-req",
            MessageType::MboxUploadConf => "m-mbox-upload-conf",
            MessageType::MboxDeleteReq => "m-mbox-delete-req",
            MessageType::MboxDeleteConf => "m-mbox-delete-conf",
            MessageType::MboxDescr => "m-mbox-descr",
            MessageType::DeleteReq => "m-delete-req",
            MessageType::DeleteConf => "m-delete-conf",
            MessageType::CancelReq => "m-cancel-req",
            MessageType::CancelConf => "m-cancel-conf",
        }
    }

    /// Protocol PDUs that carry no user content: recognised, never scored.
    /// m-notification-ind is not one of them: its From, Subject and
    /// Content-Location are what a spammer controls.
    pub fn is_notification(self) -> bool {
        matches!(
            self,
            MessageType::SendConf
                | MessageType::NotifyRespInd
                | MessageType::AcknowledgeInd
                | MessageType::DeliveryInd
                | MessageType::ReadRecInd
                | MessageType::ReadOrigInd
                | MessageType::ForwardConf
                | MessageType::DeleteConf
                | MessageType::CancelConf
        )
    }
}

/// How a field's value is encoded.
#[derive(Clone, Copy)]
enum Kind {
    EncodedString,
    Address,
    Text,
    LongInt,
    Integer,
    Time,
    From,
    ContentType,
    Version,
    MessageType,
    Enum(&'static [(u8, &'static str)]),
    /// Value-length Forwarded-count-value (Encoded-string | Date), §7.3.39–40.
    Forwarded {
        date: bool,
    },
    Generic,
}

const YES_NO: &[(u8, &str)] = &[(0x80, "Yes"), (0x81, "No")];
const CLASS: &[(u8, &str)] = &[
    (0x80, "Personal"),
    (0x81, "Advertisement"),
    (0x82, "Informational"),
    (0x83, "Auto"),
];
const PRIORITY: &[(u8, &str)] = &[(0x80, "Low"), (0x81, "Normal"), (0x82, "High")];
const VISIBILITY: &[(u8, &str)] = &[(0x80, "Hide"), (0x81, "Show")];
const STATUS: &[(u8, &str)] = &[
    (0x80, "Expired"),
    (0x81, "Retrieved"),
    (0x82, "Rejected"),
    (0x83, "Deferred"),
    (0x84, "Unrecognised"),
    (0x85, "Indeterminate"),
    (0x86, "Forwarded"),
    (0x87, "Unreachable"),
];
const READ_STATUS: &[(u8, &str)] = &[(0x80, "Read"), (0x81, "Deleted without being read")];
/// X-Mms-Response-Status and X-Mms-Retrieve-Status share the code space
/// (§7.3.48, §7.3.54): 0xC0.. transient, 0xE0.. permanent failures.
const RESPONSE_STATUS: &[(u8, &str)] = &[
    (0x80, "Ok"),
    (0x81, "Error-unspecified"),
    (0x82, "Error-service-denied"),
    (0x83, "Error-message-format-corrupt"),
    (0x84, "Error-sending-address-unresolved"),
    (0x85, "Error-message-not-found"),
    (0x86, "Error-network-problem"),
    (0x87, "Error-content-not-accepted"),
    (0x88, "Error-unsupported-message"),
    (0xC0, "Error-transient-failure"),
    (0xC1, "Error-transient-sending-address-unresolved"),
    (0xC2, "Error-transient-message-not-found"),
    (0xC3, "Error-transient-network-problem"),
    (0xC4, "Error-transient-partial-success"),
    (0xE0, "Error-permanent-failure"),
    (0xE1, "Error-permanent-service-denied"),
    (0xE2, "Error-permanent-message-format-corrupt"),
    (0xE3, "Error-permanent-sending-address-unresolved"),
    (0xE4, "Error-permanent-message-not-found"),
    (0xE5, "Error-permanent-content-not-accepted"),
    (0xE6, "Error-permanent-reply-charging-limitations-not-met"),
    (0xE7, "Error-permanent-reply-charging-request-not-accepted"),
    (0xE8, "Error-permanent-reply-charging-forwarding-denied"),
    (0xE9, "Error-permanent-reply-charging-not-supported"),
    (0xEA, "Error-permanent-address-hiding-not-supported"),
    (0xEB, "Error-permanent-lacking-prepaid"),
];

/// Field code → conventional name and encoding (OMA-TS-MMS_ENC-V1_3 Table 25).
fn field(code: u8) -> Option<(&'static str, Kind)> {
    use Kind::*;
    Some(match code {
        0x01 => ("Bcc", Address),
        0x02 => ("Cc", Address),
        0x03 => ("X-Mms-Content-Location", Text),
        0x04 => ("Content-Type", ContentType),
        0x05 => ("Date", LongInt),
        0x06 => ("X-Mms-Delivery-Report", Enum(YES_NO)),
        0x07 => ("X-Mms-Delivery-Time", Time),
        0x08 => ("X-Mms-Expiry", Time),
        0x09 => ("From", From),
        0x0A => ("X-Mms-Message-Class", Enum(CLASS)),
        0x0B => ("Message-ID", Text),
        0x0C => ("X-Mms-Message-Type", MessageType),
        0x0D => ("X-Mms-MMS-Version", Version),
        0x0E => ("X-Mms-Message-Size", LongInt),
        0x0F => ("X-Mms-Priority", Enum(PRIORITY)),
        0x10 => ("X-Mms-Read-Report", Enum(YES_NO)),
        0x11 => ("X-Mms-Report-Allowed", Enum(YES_NO)),
        0x12 => ("X-Mms-Response-Status", Enum(RESPONSE_STATUS)),
        0x13 => ("X-Mms-Response-Text", EncodedString),
        0x14 => ("X-Mms-Sender-Visibility", Enum(VISIBILITY)),
        0x15 => ("X-Mms-Status", Enum(STATUS)),
        0x16 => ("Subject", EncodedString),
        0x17 => ("To", Address),
        0x18 => ("X-Mms-Transaction-Id", Text),
        0x19 => ("X-Mms-Retrieve-Status", Enum(RESPONSE_STATUS)),
        0x1A => ("X-Mms-Retrieve-Text", EncodedString),
        0x1B => ("X-Mms-Read-Status", Enum(READ_STATUS)),
        0x1C => ("X-Mms-Reply-Charging", Generic),
        0x1D => ("X-Mms-Reply-Charging-Deadline", Time),
        0x1E => ("X-Mms-Reply-Charging-ID", Text),
        0x1F => ("X-Mms-Reply-Charging-Size", LongInt),
        0x20 => ("X-Mms-Previously-Sent-By", Forwarded { date: false }),
        0x21 => ("X-Mms-Previously-Sent-Date", Forwarded { date: true }),
        0x22 => ("X-Mms-Store", Enum(YES_NO)),
        0x23 => ("X-Mms-MM-State", Generic),
        0x24 => ("X-Mms-MM-Flags", Generic),
        0x25 => ("X-Mms-Store-Status", Generic),
        0x26 => ("X-Mms-Store-Status-Text", EncodedString),
        0x27 => ("X-Mms-Stored", Enum(YES_NO)),
        0x28 => ("X-Mms-Attributes", Generic),
        0x29 => ("X-Mms-Totals", Enum(YES_NO)),
        0x2A => ("X-Mms-Mbox-Totals", Generic),
        0x2B => ("X-Mms-Quotas", Enum(YES_NO)),
        0x2C => ("X-Mms-Mbox-Quotas", Generic),
        0x2D => ("X-Mms-Message-Count", Integer),
        0x2F => ("X-Mms-Start", Integer),
        0x31 => ("X-Mms-Distribution-Indicator", Enum(YES_NO)),
        0x32 => ("X-Mms-Element-Descriptor", Generic),
        0x33 => ("X-Mms-Limit", Integer),
        0x34 => ("X-Mms-Recommended-Retrieval-Mode", Generic),
        0x35 => ("X-Mms-Recommended-Retrieval-Mode-Text", EncodedString),
        0x36 => ("X-Mms-Status-Text", EncodedString),
        0x37 => ("X-Mms-Applic-ID", Text),
        0x38 => ("X-Mms-Reply-Applic-ID", Text),
        0x39 => ("X-Mms-Aux-Applic-Info", Text),
        0x3A => ("X-Mms-Content-Class", Generic),
        0x3B => ("X-Mms-DRM-Content", Enum(YES_NO)),
        0x3C => ("X-Mms-Adaptation-Allowed", Enum(YES_NO)),
        0x3D => ("X-Mms-Replace-ID", Text),
        0x3E => ("X-Mms-Cancel-ID", Text),
        0x3F => ("X-Mms-Cancel-Status", Generic),
        _ => return None,
    })
}

/// The conventional name of a field code (for the encoder and tests).
pub fn field_name(code: u8) -> Option<&'static str> {
    field(code).map(|(n, _)| n)
}

/// Decodes the header section into `d`. Returns the offset where the body
/// starts (after Content-Type), or the end of the input. Only a PDU that does
/// not start with X-Mms-Message-Type is refused; a broken header later on is
/// recorded as a problem and ends the section, so what was decoded is kept.
pub fn parse(
    bytes: &[u8],
    d: &mut MmsDetails,
    problems: &mut Vec<Problem>,
) -> Result<usize, MmsError> {
    match bytes {
        [] => {
            return Err(MmsError::Truncated {
                what: "X-Mms-Message-Type",
                offset: 0,
            })
        }
        [0x8C, ..] => {}
        [b, ..] => {
            return Err(MmsError::NotMms {
                offset: 0,
                found: *b,
            })
        }
    }
    let mut r = Reader::new(bytes, 0);
    while let Some(b) = r.peek() {
        let start = r.offset();
        if b == 0 {
            // NUL padding after the last header (seen from real MMSCs):
            // no field starts with an empty token.
            r.byte("padding")?;
            continue;
        }
        let result = if b & 0x80 != 0 {
            r.byte("field code")
                .and_then(|_| read_field(b & 0x7F, &mut r, d, problems))
        } else {
            read_application_header(&mut r)
        };
        match result {
            Ok((name, value)) => {
                d.headers.push((name.to_string(), value));
                if b == 0x84 {
                    return Ok(r.offset());
                }
            }
            // Without its message type the PDU is not an MMS PDU at all.
            Err(e) if start == 0 => return Err(e),
            Err(e) => {
                let kind = match e {
                    MmsError::Truncated { .. } | MmsError::Unterminated { .. } => {
                        ProblemKind::Truncated
                    }
                    _ => ProblemKind::MalformedHeader,
                };
                problems.push(Problem::new(
                    kind,
                    e.offset().or(Some(start)),
                    e.to_string(),
                ));
                return Ok(bytes.len());
            }
        }
    }
    Ok(r.offset())
}

/// Application-header = Token-text Application-specific-value (§7.3.1).
fn read_application_header(r: &mut Reader<'_>) -> Result<(String, String), MmsError> {
    let name = String::from_utf8_lossy(r.text_string("application header name")?).into_owned();
    let value = String::from_utf8_lossy(r.text_string("application header value")?).into_owned();
    Ok((name, value))
}

fn read_field(
    code: u8,
    r: &mut Reader<'_>,
    d: &mut MmsDetails,
    problems: &mut Vec<Problem>,
) -> Result<(String, String), MmsError> {
    let Some((name, kind)) = field(code) else {
        let offset = r.offset();
        let raw = r.skip_value("unknown header value")?;
        problems.push(Problem::new(
            ProblemKind::ProtocolViolation,
            Some(offset - 1),
            format!("unknown MMS header field 0x{:02X}", code | 0x80),
        ));
        return Ok((format!("X-Mms-Unknown-0x{:02X}", code | 0x80), hex(raw)));
    };
    let value = match kind {
        Kind::EncodedString | Kind::Address => {
            let s = r.encoded_string(name)?;
            let (text, bad) = s.decode();
            if let Some(why) = bad {
                problems.push(Problem::new(
                    ProblemKind::BadCharset,
                    Some(s.offset),
                    format!("{name}: {why}"),
                ));
            }
            let mut text = text.into_owned();
            if code == 0x16 {
                if let Some(decoded) = transfer::decode_encoded_words(&text) {
                    text = decoded;
                }
            }
            match code {
                0x01 => d.fields.bcc.push(text.clone()),
                0x02 => d.fields.cc.push(text.clone()),
                0x17 => d.fields.to.push(text.clone()),
                0x16 => d.fields.subject = Some(text.clone()),
                _ => {}
            }
            text
        }
        Kind::Text => {
            let text = String::from_utf8_lossy(r.text_string(name)?).into_owned();
            match code {
                0x03 => d.fields.content_location = Some(text.clone()),
                0x0B => d.fields.message_id = Some(text.clone()),
                0x18 => d.fields.transaction_id = Some(text.clone()),
                _ => {}
            }
            text
        }
        // Long-integer by the spec; Integer-value accepts the short form
        // some encoders write for small values too.
        Kind::LongInt => {
            let v = r.integer_value(name)?;
            match code {
                0x05 => {
                    d.fields.date = Some(v);
                    return Ok((name.to_string(), rfc2822_date(v)));
                }
                0x0E => d.fields.message_size = Some(v),
                _ => {}
            }
            v.to_string()
        }
        Kind::Integer => r.integer_value(name)?.to_string(),
        Kind::Time => {
            let mut inner = r.length_bounded(name)?;
            let offset = inner.offset();
            let token = inner.byte(name)?;
            let secs = inner.integer_value(name)?;
            let t = match token {
                0x80 => TimeValue::Absolute(secs),
                0x81 => TimeValue::Relative(secs),
                found => {
                    return Err(MmsError::Unexpected {
                        what: name,
                        offset,
                        found,
                    })
                }
            };
            if code == 0x08 {
                d.fields.expiry = Some(t);
            }
            match t {
                TimeValue::Absolute(s) => rfc2822_date(s),
                TimeValue::Relative(s) => format!("+{s}"),
            }
        }
        Kind::From => {
            let mut inner = r.length_bounded(name)?;
            let offset = inner.offset();
            match inner.byte(name)? {
                0x80 => {
                    let s = inner.encoded_string(name)?;
                    let (text, bad) = s.decode();
                    if let Some(why) = bad {
                        problems.push(Problem::new(
                            ProblemKind::BadCharset,
                            Some(s.offset),
                            format!("From: {why}"),
                        ));
                    }
                    d.fields.from = Some(text.clone().into_owned());
                    text.into_owned()
                }
                0x81 => "#insert-address".to_string(),
                found => {
                    return Err(MmsError::Unexpected {
                        what: name,
                        offset,
                        found,
                    })
                }
            }
        }
        Kind::ContentType => {
            let ct = content_type::read(r)?;
            let shown = ct.to_string();
            d.fields.content_type = Some(ct);
            shown
        }
        Kind::Version => {
            let v = r.short_integer(name)?;
            let shown = format!("{}.{}", v >> 4, v & 0x0F);
            d.fields.mms_version = Some(shown.clone());
            shown
        }
        Kind::MessageType => {
            let offset = r.offset();
            let b = r.byte(name)?;
            let shown = match MessageType::from_byte(b) {
                Some(t) => t.name().to_string(),
                None => {
                    problems.push(Problem::new(
                        ProblemKind::ProtocolViolation,
                        Some(offset),
                        format!("unknown X-Mms-Message-Type 0x{b:02X}"),
                    ));
                    format!("unknown-0x{b:02X}")
                }
            };
            if d.message_type.is_empty() {
                d.message_type = shown.clone();
                d.message_type_byte = b;
            }
            shown
        }
        Kind::Enum(table) => match r.peek() {
            // Message-Class and friends may also be a Token-text (§7.3.27).
            Some(0x20..=0x7F) => String::from_utf8_lossy(r.text_string(name)?).into_owned(),
            _ => {
                let b = r.byte(name)?;
                let shown = table
                    .iter()
                    .find(|(c, _)| *c == b)
                    .map_or_else(|| format!("0x{b:02X}"), |(_, n)| (*n).to_string());
                if code == 0x0A {
                    d.fields.message_class = Some(shown.clone());
                }
                shown
            }
        },
        Kind::Forwarded { date } => {
            let mut inner = r.length_bounded(name)?;
            let count = inner.integer_value(name)?;
            let value = if date {
                rfc2822_date(inner.integer_value(name)?)
            } else {
                inner.encoded_string(name)?.decode().0.into_owned()
            };
            format!("{count}: {value}")
        }
        Kind::Generic => {
            let raw = r.skip_value(name)?;
            match raw {
                [b] if b & 0x80 != 0 => (b & 0x7F).to_string(),
                _ => hex(raw),
            }
        }
    };
    if code == 0x0A && d.fields.message_class.is_none() {
        d.fields.message_class = Some(value.clone());
    }
    Ok((name.to_string(), value))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Formats seconds since the epoch as an RFC 5322 date in UTC
/// (civil-from-days after H. Hinnant's algorithm).
fn rfc2822_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_message_type_is_named() {
        let names: Vec<_> = (0x80..=0x8A)
            .map(|b| MessageType::from_byte(b).map(MessageType::name))
            .collect();
        assert_eq!(
            names,
            [
                "m-send-req",
                "m-send-conf",
                "m-notification-ind",
                "m-notifyresp-ind",
                "m-retrieve-conf",
                "m-acknowledge-ind",
                "m-delivery-ind",
                "m-read-rec-ind",
                "m-read-orig-ind",
                "m-forward-req",
                "m-forward-conf"
            ]
            .map(Some)
        );
        assert!(!MessageType::NotificationInd.is_notification());
        assert!(MessageType::DeliveryInd.is_notification());
    }

    #[test]
    fn dates_format_as_rfc5322() {
        assert_eq!(rfc2822_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822_date(0x479F_D596), "Wed, 30 Jan 2008 01:40:38 +0000");
    }

    #[test]
    fn broken_header_is_a_problem_not_an_error() {
        let mut d = MmsDetails::default();
        let mut problems = Vec::new();
        // Subject with a value-length running past the end.
        let bytes = [0x8C, 0x84, 0x96, 0x1F, 0x8F, 0x00];
        let end = parse(&bytes, &mut d, &mut problems).expect("headers");
        assert_eq!(end, bytes.len());
        assert_eq!(d.message_type, "m-retrieve-conf");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].offset, Some(3));
    }

    #[test]
    fn not_starting_with_message_type_is_refused() {
        let mut d = MmsDetails::default();
        assert!(matches!(
            parse(b"hello", &mut d, &mut Vec::new()),
            Err(MmsError::NotMms {
                offset: 0,
                found: b'h'
            })
        ));
        assert!(parse(b"", &mut d, &mut Vec::new()).is_err());
        assert!(matches!(
            parse(&[0x8C], &mut d, &mut Vec::new()),
            Err(MmsError::Truncated { offset: 1, .. })
        ));
    }
}
