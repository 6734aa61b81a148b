//! MMS details: the decoded header fields, the part tree and the WAP Push
//! envelope, as the MMS decoder found them, and the decoded values they hold
//! (content types, times).

use serde::Serialize;

/// Protocol details of an MMS message for `inspect`: the decoded header
/// fields (raw address forms included) and the part tree.
///
/// The header fields sit behind a `Box` so that [`Protocol`](super::Protocol) stays small
/// for the channels that carry less.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MmsDetails {
    /// Message type name, e.g. `m-retrieve-conf` (§7.3.30).
    pub message_type: String,
    /// The X-Mms-Message-Type octet as sent.
    pub message_type_byte: u8,
    /// The fields rules look at, decoded.
    #[serde(flatten)]
    pub fields: Box<HeaderFields>,
    /// Every header field in wire order, value decoded for display.
    pub headers: Vec<(String, String)>,
    /// The part tree, depth first, containers included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartInfo>,
    /// The WAP Push envelope, when the PDU came in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<Box<PushDetails>>,
}

/// The header fields spam rules and operators look at, decoded.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HeaderFields {
    /// X-Mms-Transaction-ID: pairs a request with its confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// X-Mms-MMS-Version, as `1.3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mms_version: Option<String>,
    /// Message-ID, as the MMSC assigned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<u64>,
    /// As on the wire, e.g. `+4912345/TYPE=PLMN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// To, each as on the wire.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// Cc, each as on the wire.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// Bcc, each as on the wire.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bcc: Vec<String>,
    /// Subject, decoded from its charset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// X-Mms-Message-Class: `Personal`, `Advertisement`, `Informational`,
    /// `Auto`, or a token of the sender's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_class: Option<String>,
    /// X-Mms-Content-Location: where an m-notification-ind says to fetch the
    /// message (a URL the sender controls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_location: Option<String>,
    /// X-Mms-Message-Size, in octets, as the notification announces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_size: Option<u64>,
    /// X-Mms-Expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<TimeValue>,
    /// Content-Type of the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
}

/// One node of the part tree (multipart containers included).
#[derive(Clone, Debug, Default, Serialize)]
pub struct PartInfo {
    /// 0 for parts of the top-level body, +1 per nesting.
    pub depth: u8,
    /// The content type with its parameters, as text.
    pub content_type: String,
    /// The best display name: the `name` parameter, the disposition
    /// filename, then Content-Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Content-ID, without its quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    /// Content-Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_location: Option<String>,
    /// Octets of data.
    pub size: usize,
    /// Offset of the data in the PDU.
    pub offset: usize,
}

/// The push envelope an MMS PDU came in.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PushDetails {
    /// The WSP transaction id; connectionless push only (WAP-230-WSP §8.2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<u8>,
    /// The WSP PDU type: 0x06 Push or 0x07 ConfirmedPush (WAP-230-WSP §8.2.4).
    pub pdu_type: u8,
    /// The push content type, `application/vnd.wap.mms-message` for MMS.
    pub content_type: String,
    /// X-Wap-Application-Id, named where the OMNA registry names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// The push headers in wire order, values decoded for display.
    pub headers: Vec<(String, String)>,
    /// Offset of the MMS PDU in the push PDU.
    pub mms_offset: usize,
}

/// A relative or absolute time (Expiry, Delivery-Time, §7.3.20/§7.3.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeValue {
    /// Seconds since 1970-01-01T00:00:00Z.
    Absolute(u64),
    /// Seconds from now.
    Relative(u64),
}

/// A decoded media type with its parameters, names lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ContentType {
    /// The media type, `text/plain`.
    pub media: String,
    /// The parameters, in wire order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// A content type without parameters.
    pub fn new(media: impl Into<String>) -> ContentType {
        ContentType {
            media: media.into(),
            params: Vec::new(),
        }
    }

    /// The value of a parameter, by name in any case.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Multipart bodies use the WSP multipart format (WSP §8.5) whether the
    /// type is named the WAP way or the MIME way.
    pub fn is_multipart(&self) -> bool {
        let m = self.media.to_ascii_lowercase();
        m.starts_with("application/vnd.wap.multipart.") || m.starts_with("multipart/")
    }

    /// Whether the media type is `text/*`.
    pub fn is_text(&self) -> bool {
        self.media
            .as_bytes()
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"text/"))
    }
}

impl std::fmt::Display for ContentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.media)?;
        for (name, value) in &self.params {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}
