//! Well-known code tables of WAP-230-WSP Appendix A (content types, Table 40;
//! parameters, Table 38; header field names, Table 39) and the OMNA push
//! application ids, kept as data.

/// Well-known content types, WSP Table 40 (WAP-230 Appendix A, with the
/// OMNA additions up to 0x55).
pub const CONTENT_TYPES: &[&str] = &[
    "*/*",
    "text/*",
    "text/html",
    "text/plain",
    "text/x-hdml",
    "text/x-ttml",
    "text/x-vCalendar",
    "text/x-vCard",
    "text/vnd.wap.wml",
    "text/vnd.wap.wmlscript",
    "text/vnd.wap.wta-event",
    "multipart/*",
    "multipart/mixed",
    "multipart/form-data",
    "multipart/byterantes",
    "multipart/alternative",
    "application/*",
    "application/java-vm",
    "application/x-www-form-urlencoded",
    "application/x-hdmlc",
    "application/vnd.wap.wmlc",
    "application/vnd.wap.wmlscriptc",
    "application/vnd.wap.wta-eventc",
    "application/vnd.wap.uaprof",
    "application/vnd.wap.wtls-ca-certificate",
    "application/vnd.wap.wtls-user-certificate",
    "application/x-x509-ca-cert",
    "application/x-x509-user-cert",
    "image/*",
    "image/gif",
    "image/jpeg",
    "image/tiff",
    "image/png",
    "image/vnd.wap.wbmp",
    "application/vnd.wap.multipart.*",
    "application/vnd.wap.multipart.mixed",
    "application/vnd.wap.multipart.form-data",
    "application/vnd.wap.multipart.byteranges",
    "application/vnd.wap.multipart.alternative",
    "application/xml",
    "text/xml",
    "application/vnd.wap.wbxml",
    "application/x-x968-cross-cert",
    "application/x-x968-ca-cert",
    "application/x-x968-user-cert",
    "text/vnd.wap.si",
    "application/vnd.wap.sic",
    "text/vnd.wap.sl",
    "application/vnd.wap.slc",
    "text/vnd.wap.co",
    "application/vnd.wap.coc",
    "application/vnd.wap.multipart.related",
    "application/vnd.wap.sia",
    "text/vnd.wap.connectivity-xml",
    "application/vnd.wap.connectivity-wbxml",
    "application/pkcs7-mime",
    "application/vnd.wap.hashed-certificate",
    "application/vnd.wap.signed-certificate",
    "application/vnd.wap.cert-response",
    "application/xhtml+xml",
    "application/wml+xml",
    "text/css",
    "application/vnd.wap.mms-message",
    "application/vnd.wap.rollover-certificate",
    "application/vnd.wap.locc+wbxml",
    "application/vnd.wap.loc+xml",
    "application/vnd.syncml.dm+wbxml",
    "application/vnd.syncml.dm+xml",
    "application/vnd.syncml.notification",
    "application/vnd.wap.xhtml+xml",
    "application/vnd.wv.csp.cir",
    "application/vnd.oma.dd+xml",
    "application/vnd.oma.drm.message",
    "application/vnd.oma.drm.content",
    "application/vnd.oma.drm.rights+xml",
    "application/vnd.oma.drm.rights+wbxml",
    "application/vnd.wv.csp+xml",
    "application/vnd.wv.csp+wbxml",
    "application/vnd.syncml.ds.notification",
    "audio/*",
    "video/*",
    "application/vnd.oma.dd2+xml",
    "application/mikey",
    "application/vnd.oma.dcd",
    "application/vnd.oma.dcdc",
];

/// The well-known content type with this code (WSP Table 40).
pub fn content_type_name(code: u64) -> Option<&'static str> {
    usize::try_from(code)
        .ok()
        .and_then(|c| CONTENT_TYPES.get(c))
        .copied()
}

/// The code of a well-known content type (any case), for the encoder.
pub fn content_type_code(name: &str) -> Option<u8> {
    CONTENT_TYPES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .and_then(|p| u8::try_from(p).ok())
}

/// Well-known parameter names, WSP Table 38 (0x00–0x1D; encoding versions
/// 1.1 to 1.4 — the 1.4 codes 0x17.. take Text-values).
pub const PARAMETERS: &[&str] = &[
    "q",
    "charset",
    "level",
    "type",
    "",
    "name",
    "filename",
    "differences",
    "padding",
    "type",
    "start",
    "start-info",
    "comment",
    "domain",
    "max-age",
    "path",
    "secure",
    "sec",
    "mac",
    "creation-date",
    "modification-date",
    "read-date",
    "size",
    "name",
    "filename",
    "start",
    "start-info",
    "comment",
    "domain",
    "path",
];

/// Well-known parameter `charset`.
pub const PARAM_CHARSET: u8 = 0x01;
/// Well-known parameter `type` (of multipart/related).
pub const PARAM_TYPE_RELATED: u8 = 0x09;
/// Well-known parameter `start` (the root of multipart/related).
pub const PARAM_START: u8 = 0x0A;
/// Well-known parameter `name`.
pub const PARAM_NAME: u8 = 0x05;
/// Well-known parameter `filename`.
pub const PARAM_FILENAME: u8 = 0x06;

/// Well-known header field names, WSP Table 39 (encoding version 1.1–1.4).
pub const HEADER_NAMES: &[&str] = &[
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Accept-Language",
    "Accept-Ranges",
    "Age",
    "Allow",
    "Authorization",
    "Cache-Control",
    "Connection",
    "Content-Base",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Location",
    "Content-MD5",
    "Content-Range",
    "Content-Type",
    "Date",
    "Etag",
    "Expires",
    "From",
    "Host",
    "If-Modified-Since",
    "If-Match",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Location",
    "Last-Modified",
    "Max-Forwards",
    "Pragma",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Public",
    "Range",
    "Referer",
    "Retry-After",
    "Server",
    "Transfer-Encoding",
    "Upgrade",
    "User-Agent",
    "Vary",
    "Via",
    "Warning",
    "WWW-Authenticate",
    "Content-Disposition",
    "X-Wap-Application-Id",
    "X-Wap-Content-URI",
    "X-Wap-Initiator-URI",
    "Accept-Application",
    "Bearer-Indication",
    "Push-Flag",
    "Profile",
    "Profile-Diff",
    "Profile-Warning",
    "Expect",
    "TE",
    "Trailer",
    "Accept-Charset",
    "Accept-Encoding",
    "Cache-Control",
    "Content-Range",
    "X-Wap-Tod",
    "Content-ID",
    "Set-Cookie",
    "Cookie",
    "Encoding-Version",
    "Profile-Warning",
    "Content-Disposition",
    "X-WAP-Security",
    "Cache-Control",
];

/// Well-known header Content-Location.
pub const HDR_CONTENT_LOCATION: u8 = 0x0E;
/// Well-known header Content-Disposition (encoding versions 1.1–1.3).
pub const HDR_CONTENT_DISPOSITION: u8 = 0x2E;
/// Well-known header X-Wap-Application-Id.
pub const HDR_X_WAP_APPLICATION_ID: u8 = 0x2F;
/// Well-known header Content-ID.
pub const HDR_CONTENT_ID: u8 = 0x40;
/// Well-known header Content-Disposition (encoding version 1.4).
pub const HDR_CONTENT_DISPOSITION_14: u8 = 0x45;

/// The well-known header with this code (WSP Table 39).
pub fn header_name(code: u8) -> Option<&'static str> {
    HEADER_NAMES.get(usize::from(code)).copied()
}

/// Push application ids, OMNA registry (x-wap-application:*).
pub fn application_id_name(code: u64) -> Option<&'static str> {
    Some(match code {
        0x00 => "x-wap-application:*",
        0x01 => "x-wap-application:push.sia",
        0x02 => "x-wap-application:wml.ua",
        0x03 => "x-wap-application:wta.ua",
        0x04 => "x-wap-application:mms.ua",
        0x05 => "x-wap-application:push.syncml",
        0x06 => "x-wap-application:loc.ua",
        0x07 => "x-wap-application:syncml.dm",
        0x08 => "x-wap-application:drm.ua",
        0x09 => "x-wap-application:emn.ua",
        0x0A => "x-wap-application:wv.ua",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::mms::wsp::charset_name;

    #[test]
    fn tables_match_the_spec_codes() {
        assert_eq!(
            content_type_name(0x3E),
            Some("application/vnd.wap.mms-message")
        );
        assert_eq!(
            content_type_name(0x33),
            Some("application/vnd.wap.multipart.related")
        );
        assert_eq!(
            content_type_name(0x23),
            Some("application/vnd.wap.multipart.mixed")
        );
        assert_eq!(content_type_name(0x1E), Some("image/jpeg"));
        assert_eq!(header_name(HDR_CONTENT_ID), Some("Content-ID"));
        assert_eq!(
            header_name(HDR_X_WAP_APPLICATION_ID),
            Some("X-Wap-Application-Id")
        );
        assert_eq!(charset_name(106), Some("utf-8"));
    }
}
