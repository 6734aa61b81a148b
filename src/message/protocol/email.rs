//! The MIME structure of a mail, as the email decoder found it.

use std::borrow::Cow;

use serde::Serialize;

/// The MIME structure of a message, for `floodwall inspect`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MimeDetails {
    pub parts: Vec<MimePart>,
}

/// One MIME part: its type, nesting depth and body size.
#[derive(Clone, Debug, Serialize)]
pub struct MimePart {
    pub depth: usize,
    pub content_type: Cow<'static, str>,
    pub size: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encoding_problem: bool,
}
