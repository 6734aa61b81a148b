//! Protocol details: the wire-level facts a decoder read on the way to a
//! [`Message`](crate::Message) (MIME structure, SMPP command and TLVs,
//! TPDU fields, MMS headers and parts), for `floodwall inspect --json` and
//! for rules that look at protocol fields.
//!
//! They are typed facts owned by the message model, not by the decoders:
//! the message names no codec, and every decoder in
//! [`ingest`](crate::ingest) depends on this module, never the reverse. The
//! decoders re-export the types they fill (`ingest::sms::Dcs` is this
//! module's [`sms::Dcs`]) and keep, in their own modules, how each value is
//! read off the wire.

pub mod email;
pub mod mms;
pub mod sms;

use serde::Serialize;

/// The protocol details of a decoded message, for `floodwall inspect` and for
/// rules that look at protocol fields.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Protocol {
    /// No details: a message built by hand, or from a JSON-lines record.
    #[default]
    None,
    /// A mail's MIME structure.
    Email(email::MimeDetails),
    /// An SMS's SMPP or TPDU fields.
    Sms(sms::SmsDetails),
    /// An MMS's header fields, part tree and push envelope.
    Mms(mms::MmsDetails),
}

/// Serialises bytes as lower-case hex (for details shown by `inspect`).
pub(crate) fn serialize_hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Hex(bytes))
}

/// Lower-case hex display of bytes.
pub struct Hex<'a>(pub &'a [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl Serialize for Hex<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
