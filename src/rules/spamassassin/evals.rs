//! The `eval:` functions the import implements, each as regex pieces with
//! the meaning SpamAssassin 4.0.1's Perl gives it.
//!
//! An `eval:` rule calls Perl code; floodwall has no Perl. The functions
//! here are those whose result is a question about the message's text a
//! regex answers exactly (or, where noted, up to a rare corner), picked by
//! how often they fire on the corpora (`scripts/sa-compare.py` lists the
//! rules SpamAssassin fired that were not imported). Every other function
//! is reported by name and count in the import summary.

use super::convert::{Piece, Shape};
use crate::rules::{Flags, Target};

/// The shape of `eval:NAME(ARGS)`, or `None` when the function (or this use
/// of it) is not implemented.
pub fn implement(name: &str, args: &str) -> Option<Shape> {
    let args = args.trim();
    match (name, args) {
        // HeaderEval: `To` empty or absent, and `Apparently-To` too.
        ("check_for_missing_to_header", "") => Some(Shape {
            unless: Vec::new(),
            any: vec![
                piece("TO", "rawheader:to", r"\S", false),
                piece("APPARENTLY_TO", "rawheader:apparently-to", r"\S", false),
            ],
            negate: true,
            or_absent: None,
        }),
        // MIMEEval: a part (the message itself included) of type text/html.
        ("check_for_mime_html", "") => Some(Shape {
            unless: Vec::new(),
            any: vec![html_part()],
            negate: false,
            or_absent: None,
        }),
        // MIMEEval: text/html parts and no other text/* part. (SpamAssassin
        // also counts a part without Content-Type as text/plain; such a
        // part inside a multipart is rare and makes this fire where it
        // does not.)
        ("check_for_mime_html_only", "") => Some(Shape {
            any: vec![html_part()],
            unless: vec![piece(
                "OTHER_TEXT",
                "mimeheader:content-type",
                r"^\s*text/(?!html\s*(?:;|$))",
                true,
            )],
            negate: false,
            or_absent: None,
        }),
        _ => None,
    }
}

fn html_part() -> Piece {
    piece(
        "HTML",
        "mimeheader:content-type",
        r"^\s*text/html\s*(?:;|$)",
        true,
    )
}

fn piece(tag: &str, target: &str, pattern: &str, caseless: bool) -> Piece {
    Piece {
        tag: tag.to_string(),
        target: Target::parse(target).unwrap_or(Target::AllRawHeaders),
        pattern: pattern.to_string(),
        flags: Flags {
            caseless,
            ..Flags::default()
        },
    }
}

/// The arguments of `eval:NAME(ARGS)`, without the parentheses.
pub fn args_of(text: &str) -> &str {
    let Some(open) = text.find('(') else {
        return "";
    };
    let close = text.rfind(')').unwrap_or(text.len());
    text.get(open + 1..close.max(open + 1)).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_and_not() {
        assert!(implement("check_for_missing_to_header", "").is_some());
        assert!(implement("check_for_mime_html_only", " ").is_some());
        assert!(implement("check_for_shifted_date", "'-6', '-3'").is_none());
        assert_eq!(args_of("eval:f('a', 2)"), "'a', 2");
        assert_eq!(args_of("eval:f()"), "");
        assert_eq!(args_of("eval:f"), "");
    }
}
