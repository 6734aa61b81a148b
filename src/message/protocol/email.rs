//! The MIME structure of a mail, as the email decoder found it.

use std::borrow::Cow;

use serde::Serialize;

/// The MIME structure of a message, for `floodwall inspect`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MimeDetails {
    /// Every part, depth first, containers included.
    pub parts: Vec<MimePart>,
}

/// One MIME part: its type, nesting depth and body size.
#[derive(Clone, Debug, Serialize)]
pub struct MimePart {
    /// 0 for the top-level part, +1 per nesting.
    pub depth: usize,
    /// The part's media type, lower-case.
    pub content_type: Cow<'static, str>,
    /// Octets of the part's body, as on the wire (before transfer decoding).
    pub size: usize,
    /// The part's transfer encoding was broken (recorded as a
    /// `FW_MALFORMED_MIME` problem).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encoding_problem: bool,
}
