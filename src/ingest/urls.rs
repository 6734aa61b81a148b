//! URL extraction from decoded text.
//!
//! Spam carries its call to action in links, often without a scheme
//! (`bit.ly/x` in an SMS), so bare domains with a path count too.

use linkify::{LinkFinder, LinkKind};

/// Cap on URLs kept per message: a message stuffed with links must not cost
/// unbounded memory or scan time.
pub const MAX_URLS: usize = 256;

/// Appends the URLs found in `text` to `out`, skipping ones already there.
pub fn extract(text: &str, out: &mut Vec<String>) {
    if !text.contains('.') {
        return;
    }
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(false);
    for link in finder.links(text) {
        if out.len() >= MAX_URLS {
            return;
        }
        let url = link
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?']);
        if !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
    }
}

/// The host of a URL, lower-cased, without scheme, credentials or port.
pub fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.split(':').next().unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_urls_with_and_without_scheme() {
        let mut out = Vec::new();
        extract(
            "Claim at https://example.com/win?x=1. Or bit.ly/abc now!",
            &mut out,
        );
        assert_eq!(out, vec!["https://example.com/win?x=1", "bit.ly/abc"]);
    }

    #[test]
    fn deduplicates() {
        let mut out = Vec::new();
        extract("http://a.example/ and http://a.example/", &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn host_strips_scheme_userinfo_and_port() {
        assert_eq!(host("http://user:pw@Example.com:8080/path"), "Example.com");
        assert_eq!(host("bit.ly/abc"), "bit.ly");
        assert_eq!(host("https://[::1]:443/"), "[::1]");
    }
}
