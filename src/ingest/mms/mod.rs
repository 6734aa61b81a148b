//! MMS ingest: OMA MMS encapsulation PDUs. (Stub: replaced by the MMS decoder work.)

use serde::Serialize;

use crate::message::Message;

/// Protocol details of an MMS message for `inspect`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MmsDetails {}

#[derive(Debug, thiserror::Error)]
pub enum MmsError {
    #[error("byte {offset}: MMS decoding not implemented")]
    Unsupported { offset: usize },
}

impl MmsError {
    pub fn offset(&self) -> Option<usize> {
        match self {
            MmsError::Unsupported { offset } => Some(*offset),
        }
    }
}

/// Decodes one MMS PDU.
pub fn decode(_bytes: &[u8]) -> Result<Message<'_>, MmsError> {
    Err(MmsError::Unsupported { offset: 0 })
}

/// Decodes a WAP Push PDU (WSP push header + MMS m-notification-ind).
pub fn decode_wap_push(_bytes: &[u8]) -> Result<Message<'static>, MmsError> {
    Err(MmsError::Unsupported { offset: 0 })
}
