//! Content-type values (WAP-230-WSP §8.4.2.24) with their parameters
//! (WSP §8.4.2.4, Table 38), shared by the MMS Content-Type header and the
//! headers of each multipart entry.

use super::wsp::{self, Reader};
use super::MmsError;
pub use crate::message::protocol::mms::ContentType;

impl ContentType {
    /// The MIBenum of the `charset` parameter, if any and known.
    pub fn charset(&self) -> Option<u32> {
        self.param("charset").and_then(wsp::charset_by_name)
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn media_name(code: u64) -> String {
    wsp::content_type_name(code)
        .map_or_else(|| format!("application/x-wsp-0x{code:02x}"), str::to_string)
}

/// Content-type-value: Constrained-media | Content-general-form.
pub fn read(r: &mut Reader<'_>) -> Result<ContentType, MmsError> {
    const WHAT: &str = "Content-Type";
    match r.peek() {
        Some(0x80..) => Ok(ContentType::new(media_name(u64::from(
            r.short_integer(WHAT)?,
        )))),
        Some(0..=31) => {
            let mut inner = r.length_bounded(WHAT)?;
            let media = match inner.peek() {
                Some(0x80..) | Some(1..=30) => media_name(inner.integer_value(WHAT)?),
                _ => lossy(inner.text_string(WHAT)?),
            };
            let mut ct = ContentType::new(media);
            while !inner.is_empty() {
                ct.params.push(read_param(&mut inner)?);
            }
            Ok(ct)
        }
        _ => Ok(ContentType::new(lossy(r.text_string(WHAT)?))),
    }
}

/// Parameter = Typed-parameter | Untyped-parameter (WSP §8.4.2.4).
pub fn read_param(r: &mut Reader<'_>) -> Result<(String, String), MmsError> {
    const WHAT: &str = "content-type parameter";
    match r.peek() {
        Some(0x80..) | Some(1..=30) => {
            let code = r.integer_value(WHAT)?;
            let name = usize::try_from(code)
                .ok()
                .and_then(|c| wsp::PARAMETERS.get(c))
                .filter(|n| !n.is_empty())
                .map_or_else(|| format!("x-param-0x{code:02x}"), |n| (*n).to_string());
            let value = match code {
                0x01 => match r.peek() {
                    Some(0x20..=0x7F) => lossy(r.text_string(WHAT)?),
                    _ => {
                        let mib = r.charset(WHAT)?;
                        wsp::charset_name(mib).map_or_else(|| mib.to_string(), str::to_string)
                    }
                },
                0x03 | 0x09 => match r.peek() {
                    Some(0x80..) => media_name(u64::from(r.short_integer(WHAT)?)),
                    Some(1..=30) => media_name(r.integer_value(WHAT)?),
                    _ => lossy(r.quoted_or_text(WHAT)?),
                },
                0x00 => r.uintvar(WHAT)?.to_string(),
                _ => generic_value(r)?,
            };
            Ok((name, value))
        }
        _ => {
            let name = lossy(r.text_string(WHAT)?).to_ascii_lowercase();
            Ok((name, generic_value(r)?))
        }
    }
}

/// Typed/untyped parameter values: an Integer-value, a Text-value or a
/// No-value (WSP §8.4.2.3–§8.4.2.4).
fn generic_value(r: &mut Reader<'_>) -> Result<String, MmsError> {
    const WHAT: &str = "parameter value";
    match r.peek() {
        Some(0x80..) | Some(1..=30) => Ok(r.integer_value(WHAT)?.to_string()),
        Some(31) => {
            let v = r.skip_value(WHAT)?;
            Ok(v.iter().map(|b| format!("{b:02x}")).collect())
        }
        _ => Ok(lossy(r.quoted_or_text(WHAT)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_short_form() {
        let mut r = Reader::new(&[0xA3], 0);
        let ct = read(&mut r).expect("valid");
        assert_eq!(ct.media, "application/vnd.wap.multipart.mixed");
        assert!(ct.is_multipart());
    }

    #[test]
    fn general_form_with_related_params() {
        let mut bytes = vec![0x00, 0xB3, 0x89];
        bytes.extend_from_slice(b"application/smil\0");
        bytes.push(0x8A);
        bytes.extend_from_slice(b"<smil>\0");
        bytes[0] = (bytes.len() - 1) as u8;
        let ct = read(&mut Reader::new(&bytes, 0)).expect("valid");
        assert_eq!(ct.param("type"), Some("application/smil"));
        assert_eq!(ct.param("start"), Some("<smil>"));
    }

    #[test]
    fn text_plain_with_charset_and_name() {
        let bytes = [0x07, 0x83, 0x81, 0xEA, 0x85, b'a', b'b', 0x00];
        let ct = read(&mut Reader::new(&bytes, 0)).expect("valid");
        assert_eq!(ct.media, "text/plain");
        assert_eq!(ct.charset(), Some(wsp::MIB_UTF_8));
        assert_eq!(ct.param("name"), Some("ab"));
    }
}
