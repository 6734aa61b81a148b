//! WSP multipart bodies (WAP-230-WSP §8.5, used by OMA-TS-MMS_ENC-V1_3 §5).
//!
//! `nEntries` (uintvar), then per entry `HeadersLen` (uintvar), `DataLen`
//! (uintvar), Content-Type + headers (HeadersLen octets), Data (DataLen
//! octets). Entries whose type is itself multipart are decoded recursively.
//!
//! The entry count is only a claim: entries are read while data lasts, so a
//! PDU declaring a million entries in ten bytes costs ten bytes of work.
//! [`MAX_PARTS`] and [`MAX_DEPTH`] bound the rest.

use super::content_type::{self, ContentType};
use super::wsp::{self, Reader};
use super::MmsError;
use crate::message::{Problem, ProblemKind};

/// Most parts decoded from one PDU (all levels together).
pub const MAX_PARTS: usize = 256;
/// Deepest multipart nesting decoded; deeper containers are kept opaque.
pub const MAX_DEPTH: u8 = 8;

/// One multipart entry, borrowing its data from the PDU.
#[derive(Clone, Debug)]
pub struct Part<'a> {
    /// 0 for entries of the top-level body, +1 per nesting.
    pub depth: u8,
    /// The part's content type (WAP-230-WSP §8.5.3).
    pub content_type: ContentType,
    /// The part headers in wire order, values decoded for display.
    pub headers: Vec<(String, String)>,
    /// Content-Location.
    pub content_location: Option<String>,
    /// Content-ID, without its quote.
    pub content_id: Option<String>,
    /// The Content-Disposition `filename` parameter.
    pub filename: Option<String>,
    /// A textual Content-Transfer-Encoding header (some phones send one).
    pub transfer_encoding: Option<String>,
    /// The part's data, as in the PDU (no transfer decoding).
    pub data: &'a [u8],
    /// Offset of the data in the PDU.
    pub offset: usize,
}

impl Part<'_> {
    /// The best display name: the `name` parameter, the disposition
    /// filename, then Content-Location.
    pub fn name(&self) -> Option<&str> {
        self.content_type
            .param("name")
            .or(self.filename.as_deref())
            .or(self.content_location.as_deref())
    }
}

/// Decodes the multipart body `data` (at `base` in the PDU) into `out`.
/// Structural damage ends decoding of the affected multipart and is recorded
/// in `problems`; entries decoded before it are kept.
pub fn parse<'a>(
    data: &'a [u8],
    base: usize,
    depth: u8,
    out: &mut Vec<Part<'a>>,
    problems: &mut Vec<Problem>,
) {
    let mut r = Reader::new(data, base);
    if let Err(e) = parse_entries(&mut r, depth, out, problems) {
        let kind = match e {
            MmsError::Truncated { .. } | MmsError::Unterminated { .. } => ProblemKind::Truncated,
            MmsError::Limit { .. } => ProblemKind::LimitExceeded,
            _ => ProblemKind::MalformedMime,
        };
        problems.push(Problem::new(kind, e.offset(), e.to_string()));
    }
}

fn parse_entries<'a>(
    r: &mut Reader<'a>,
    depth: u8,
    out: &mut Vec<Part<'a>>,
    problems: &mut Vec<Problem>,
) -> Result<(), MmsError> {
    let count_offset = r.offset();
    let declared = r.uintvar("multipart entry count")?;
    let mut seen = 0u32;
    while seen < declared {
        if r.is_empty() {
            problems.push(Problem::new(
                ProblemKind::Truncated,
                Some(r.offset()),
                format!("multipart declares {declared} entries, data ends after {seen}"),
            ));
            return Ok(());
        }
        if out.len() >= MAX_PARTS {
            return Err(MmsError::Limit {
                what: "multipart parts",
                offset: r.offset(),
                limit: MAX_PARTS,
            });
        }
        let headers_len = r.uintvar("multipart HeadersLen")? as usize;
        let data_len_offset = r.offset();
        let data_len = r.uintvar("multipart DataLen")? as usize;
        let mut hr = r.sub(headers_len, "multipart entry headers")?;
        let content_type = content_type::read(&mut hr)?;
        let mut part = Part {
            depth,
            content_type,
            headers: Vec::new(),
            content_location: None,
            content_id: None,
            filename: None,
            transfer_encoding: None,
            data: &[],
            offset: 0,
        };
        if let Err(e) = read_part_headers(&mut hr, &mut part) {
            problems.push(Problem::new(
                ProblemKind::MalformedMime,
                e.offset(),
                e.to_string(),
            ));
        }
        part.offset = r.offset();
        let truncated = data_len > r.remaining();
        if truncated {
            problems.push(Problem::new(
                ProblemKind::Truncated,
                Some(data_len_offset),
                format!(
                    "multipart entry claims {data_len} data bytes, {} remain",
                    r.remaining()
                ),
            ));
        }
        part.data = r.take(data_len.min(r.remaining()), "multipart entry data")?;
        let nested = part.content_type.is_multipart();
        let (data, offset) = (part.data, part.offset);
        out.push(part);
        seen += 1;
        if nested {
            if depth + 1 >= MAX_DEPTH {
                problems.push(Problem::new(
                    ProblemKind::LimitExceeded,
                    Some(offset),
                    format!("multipart nesting deeper than {MAX_DEPTH}; inner parts not decoded"),
                ));
            } else {
                parse(data, offset, depth + 1, out, problems);
            }
        }
        if truncated {
            return Ok(());
        }
    }
    if !r.is_empty() {
        problems.push(Problem::new(
            ProblemKind::MalformedMime,
            Some(r.offset()),
            format!(
                "{} bytes after the last of {declared} multipart entries (count at byte {count_offset})",
                r.remaining()
            ),
        ));
    }
    Ok(())
}

/// Entry headers after the content type (WSP §8.4.2.6): well-known
/// (short-integer field name + value) or application (Token-text + text).
fn read_part_headers(r: &mut Reader<'_>, part: &mut Part<'_>) -> Result<(), MmsError> {
    while let Some(b) = r.peek() {
        let offset = r.offset();
        if b & 0x80 != 0 {
            r.byte("part header")?;
            let code = b & 0x7F;
            let name = wsp::header_name(code)
                .map_or_else(|| format!("X-Wsp-Header-0x{code:02X}"), str::to_string);
            let value = match code {
                wsp::HDR_CONTENT_LOCATION => {
                    let v = lossy(r.text_string("Content-Location")?);
                    part.content_location = Some(v.clone());
                    v
                }
                wsp::HDR_CONTENT_ID => {
                    let v = lossy(r.quoted_or_text("Content-ID")?);
                    part.content_id = Some(v.clone());
                    v
                }
                wsp::HDR_CONTENT_DISPOSITION | wsp::HDR_CONTENT_DISPOSITION_14 => {
                    read_disposition(r, part)?
                }
                _ => {
                    let raw = r.skip_value("part header value")?;
                    match raw {
                        [v] if v & 0x80 != 0 => (v & 0x7F).to_string(),
                        [t @ .., 0] if t.first().is_some_and(|c| (0x20..0x80).contains(c)) => {
                            lossy(t.strip_prefix(b"\x7F").unwrap_or(t))
                        }
                        _ => raw.iter().map(|b| format!("{b:02x}")).collect(),
                    }
                }
            };
            part.headers.push((name, value));
        } else if b >= 0x20 {
            let name = lossy(r.text_string("part header name")?);
            let value = lossy(r.text_string("part header value")?);
            if name.eq_ignore_ascii_case("Content-Transfer-Encoding") {
                part.transfer_encoding = Some(value.trim().to_ascii_lowercase());
            } else if name.eq_ignore_ascii_case("Content-Location") {
                part.content_location = Some(value.clone());
            } else if name.eq_ignore_ascii_case("Content-ID") {
                part.content_id = Some(value.trim_matches('"').to_string());
            }
            part.headers.push((name, value));
        } else {
            return Err(MmsError::Unexpected {
                what: "part header",
                offset,
                found: b,
            });
        }
    }
    Ok(())
}

/// Content-disposition-value (WSP §8.4.2.53): Value-length Disposition
/// *(Parameter), Disposition = Form-data | Attachment | Inline | Token-text.
fn read_disposition(r: &mut Reader<'_>, part: &mut Part<'_>) -> Result<String, MmsError> {
    const WHAT: &str = "Content-Disposition";
    let mut inner = r.length_bounded(WHAT)?;
    let mut shown = match inner.peek() {
        Some(0x80) => "form-data".to_string(),
        Some(0x81) => "attachment".to_string(),
        Some(0x82) => "inline".to_string(),
        Some(0x20..=0x7F) => lossy(inner.text_string(WHAT)?),
        Some(b) => format!("0x{b:02X}"),
        None => String::new(),
    };
    if inner.peek().is_some_and(|b| b & 0x80 != 0) {
        inner.byte(WHAT)?;
    }
    while !inner.is_empty() {
        let (name, value) = content_type::read_param(&mut inner)?;
        if name == "filename" || (name == "name" && part.filename.is_none()) {
            part.filename = Some(value.clone());
        }
        shown.push_str(&format!("; {name}={value}"));
    }
    Ok(shown)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::mms as encode;

    fn entry(ct: &[u8], data: &[u8]) -> Vec<u8> {
        let mut v = vec![ct.len() as u8, data.len() as u8];
        v.extend_from_slice(ct);
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn million_declared_entries_in_ten_bytes() {
        // nEntries = 1,000,000 as uintvar (0xBD 0x84 0x40), then 7 bytes.
        let data = [0xBD, 0x84, 0x40, 0x01, 0x02, 0x83, b'h', b'i', 0, 0];
        let mut parts = Vec::new();
        let mut problems = Vec::new();
        parse(&data, 0, 0, &mut parts, &mut problems);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].data, b"hi");
        assert!(!problems.is_empty());
    }

    #[test]
    fn lying_data_length_is_truncated_with_offset() {
        let data = [0x01, 0x01, 0x7F, 0x83, b'a', b'b'];
        let mut parts = Vec::new();
        let mut problems = Vec::new();
        parse(&data, 100, 0, &mut parts, &mut problems);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].data, b"ab");
        assert_eq!(problems[0].kind, ProblemKind::Truncated);
        assert_eq!(problems[0].offset, Some(102));
    }

    #[test]
    fn deep_nesting_stops_at_the_limit() {
        // 40 levels of multipart.mixed around one text part; lengths grow
        // past 127, so they need two-octet uintvars.
        let mut deep = vec![0x01, 0x01, 0x01, 0x83, b'x'];
        for _ in 0..40 {
            let mut outer = vec![0x01, 0x01];
            encode::put_uintvar(&mut outer, deep.len() as u32);
            outer.push(0xA3);
            outer.extend(&deep);
            deep = outer;
        }
        let mut parts = Vec::new();
        let mut problems = Vec::new();
        parse(&deep, 0, 0, &mut parts, &mut problems);
        assert_eq!(parts.len(), usize::from(MAX_DEPTH));
        assert!(parts.iter().all(|p| p.depth < MAX_DEPTH));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::LimitExceeded);
    }

    #[test]
    fn part_headers_content_id_and_location() {
        let mut ct = vec![0x83, 0xC0, b'"'];
        ct.extend_from_slice(b"<t1>\0");
        ct.push(0x8E);
        ct.extend_from_slice(b"t1.txt\0");
        let mut data = vec![0x01];
        data.extend(entry(&ct, b"hello"));
        let mut parts = Vec::new();
        let mut problems = Vec::new();
        parse(&data, 0, 0, &mut parts, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(parts[0].content_id.as_deref(), Some("<t1>"));
        assert_eq!(parts[0].name(), Some("t1.txt"));
    }

    #[test]
    fn part_count_is_bounded() {
        let mut data = vec![0x83, 0x80, 0x00]; // 16384 entries
        for _ in 0..300 {
            data.extend(entry(&[0x83], b""));
        }
        let mut parts = Vec::new();
        let mut problems = Vec::new();
        parse(&data, 0, 0, &mut parts, &mut problems);
        assert_eq!(parts.len(), MAX_PARTS);
        assert!(problems
            .iter()
            .any(|p| p.kind == ProblemKind::LimitExceeded));
    }
}
