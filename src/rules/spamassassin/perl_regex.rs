//! Perl regex literals (`/re/flags`, `m{re}flags`) into floodwall patterns.
//!
//! floodwall's patterns are PCRE, which reads the Perl syntax SpamAssassin's
//! rules use with the same meaning, with these exceptions the translation
//! handles:
//! - the `x` modifier: whitespace and `#` comments outside classes are
//!   removed here (floodwall's flags have no `x`), exactly as Perl ignores them;
//! - constructs Perl has and PCRE lacks or reads differently (`(?{ })`,
//!   `(??{ })`, `\N{name}`, the interpolation escapes `\L \U \l \u`) make the
//!   rule unsupported rather than silently changed;
//! - modifiers other than `i m s x` (and `g o`, which do not change whether a
//!   regex matches) make the rule unsupported.
//!
//! Which engine then runs the pattern (Hyperscan where it accepts it, else
//! PCRE2 behind a Hyperscan prefilter, else PCRE2 alone) is the signature
//! stage's decision, the same as for hand-written rules; the import summary
//! reports it per pattern.

use crate::rules::Flags;

/// A regex as the rule wrote it, modifiers applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerlRegex {
    /// The PCRE pattern.
    pub pattern: String,
    /// `i`, `m`, `s` (`u` is never set: SpamAssassin matches bytes).
    pub flags: Flags,
}

/// Why a regex literal cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegexError {
    /// Not `/.../` or `m<delim>...<delim>`.
    #[error("not a regex literal")]
    NotALiteral,
    /// The closing delimiter is missing.
    #[error("regex is not closed")]
    Unclosed,
    /// A modifier PCRE has no equivalent for.
    #[error("modifier '{0}' is not supported")]
    Modifier(char),
    /// A Perl-only construct.
    #[error("Perl construct '{0}' has no PCRE equivalent")]
    PerlOnly(&'static str),
}

/// Parses a regex literal at the start of `text`; returns it and the text
/// after its modifiers (for `[if-unset: ...]`).
pub fn parse(text: &str) -> Result<(PerlRegex, &str), RegexError> {
    let text = text.trim_start();
    let (open, body_start) = if let Some(rest) = text.strip_prefix('/') {
        ('/', text.len() - rest.len())
    } else if let Some(rest) = text.strip_prefix('m') {
        let open = rest.chars().next().ok_or(RegexError::NotALiteral)?;
        if open.is_alphanumeric() || open.is_whitespace() || open == '_' {
            return Err(RegexError::NotALiteral);
        }
        (open, 1 + open.len_utf8())
    } else {
        return Err(RegexError::NotALiteral);
    };
    let close = match open {
        '{' => '}',
        '(' => ')',
        '[' => ']',
        '<' => '>',
        other => other,
    };
    let mut depth = 0usize;
    let mut escaped = false;
    let mut end = None;
    for (i, c) in text[body_start..].char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == open && open != close {
            depth += 1;
        } else if c == close {
            if depth == 0 {
                end = Some(body_start + i);
                break;
            }
            depth -= 1;
        }
    }
    let end = end.ok_or(RegexError::Unclosed)?;
    let body = &text[body_start..end];
    let after = &text[end + close.len_utf8()..];
    let modifiers_len = after
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(after.len());
    let mut flags = Flags::default();
    let mut extended = false;
    for m in after[..modifiers_len].chars() {
        match m {
            'i' => flags.caseless = true,
            'm' => flags.multi_line = true,
            's' => flags.dot_all = true,
            'x' => extended = true,
            'g' | 'o' => {}
            other => return Err(RegexError::Modifier(other)),
        }
    }
    check_perl_only(body)?;
    let pattern = if extended {
        strip_extended(body)
    } else {
        body.to_string()
    };
    Ok((PerlRegex { pattern, flags }, &after[modifiers_len..]))
}

fn check_perl_only(body: &str) -> Result<(), RegexError> {
    for (construct, name) in [
        ("(?{", "(?{ code })"),
        ("(??{", "(??{ code })"),
        ("(*{", "(*{ code })"),
    ] {
        if body.contains(construct) {
            return Err(RegexError::PerlOnly(name));
        }
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\\' {
            match bytes[i + 1] {
                b'L' => return Err(RegexError::PerlOnly("\\L")),
                b'U' => return Err(RegexError::PerlOnly("\\U")),
                b'l' => return Err(RegexError::PerlOnly("\\l")),
                b'u' => return Err(RegexError::PerlOnly("\\u")),
                b'N' if bytes.get(i + 2) == Some(&b'{') => {
                    return Err(RegexError::PerlOnly("\\N{name}"))
                }
                _ => {}
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Removes what Perl's `x` modifier ignores: unescaped whitespace and
/// `#...` comments outside character classes.
fn strip_extended(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `]` first in a class (or after `^`) is a literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '#' if !in_class => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() && !in_class => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether `^` or `$` occurs outside a character class and unescaped: such a
/// pattern reads line boundaries, which SpamAssassin's line-by-line body
/// matching makes paragraph boundaries.
pub fn has_anchor(pattern: &str) -> bool {
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !in_class => {
                in_class = true;
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
            }
            ']' if in_class => in_class = false,
            '^' | '$' if !in_class => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(text: &str) -> (String, Flags, String) {
        let (re, rest) = parse(text).unwrap();
        (re.pattern, re.flags, rest.to_string())
    }

    #[test]
    fn delimiters_and_modifiers() {
        let (p, f, rest) = pat(r"/a\/b/i [if-unset: x]");
        assert_eq!(p, r"a\/b");
        assert!(f.caseless && !f.multi_line);
        assert_eq!(rest.trim(), "[if-unset: x]");
        let (p, f, _) = pat(r"m{a{2}b}sm");
        assert_eq!(p, "a{2}b");
        assert!(f.dot_all && f.multi_line);
        assert_eq!(pat(r"m!x!").0, "x");
        assert_eq!(pat(r"m,a\,b,").0, r"a\,b");
    }

    #[test]
    fn refusals() {
        assert_eq!(parse("abc").unwrap_err(), RegexError::NotALiteral);
        assert_eq!(parse("/abc").unwrap_err(), RegexError::Unclosed);
        assert_eq!(parse("/abc/e").unwrap_err(), RegexError::Modifier('e'));
        assert!(matches!(
            parse(r"/a(?{ 1 })/"),
            Err(RegexError::PerlOnly(_))
        ));
        assert!(matches!(parse(r"/\Uabc/"), Err(RegexError::PerlOnly(_))));
        assert!(matches!(parse(r"/\N{U+41}/"), Err(RegexError::PerlOnly(_))));
        // `\N` alone (not newline) is PCRE too.
        assert!(parse(r"/a\Nb/").is_ok());
    }

    #[test]
    fn extended_mode_is_removed_with_the_same_meaning() {
        let (p, _, _) = pat("/ a \\  b [ #] # comment\n c /x");
        assert_eq!(p, "a\\ b[ #]c");
        let regex = |p: &str| pcre2::bytes::Regex::new(p).unwrap();
        assert!(regex(&p).is_match(b"a b#c").unwrap());
        assert!(!regex(&p).is_match(b"abc").unwrap());
        assert_eq!(pat("/[]a] b/x").0, "[]a]b");
    }

    #[test]
    fn anchors_outside_classes() {
        assert!(has_anchor("^Subject"));
        assert!(has_anchor("foo$"));
        assert!(!has_anchor(r"[^a]\$\^"));
        assert!(!has_anchor("[$^]x"));
    }
}
