//! What one SpamAssassin regex rule becomes: the floodwall pieces (target,
//! pattern, flags) and how they combine ([`Shape`]), per rule kind and
//! header form (the table in the [parent module](super)).

use super::super::config::{Config, Definition, RuleKind};
use super::super::perl_regex;
use super::super::replace_tags;
use crate::rules::{Flags, Target};

/// One floodwall rule a SpamAssassin rule is made of.
#[derive(Clone, Debug)]
pub struct Piece {
    /// A short tag naming the part (`BODY`, `SUBJECT`, `TO`, ...).
    pub tag: String,
    /// What it reads.
    pub target: Target,
    /// The pattern.
    pub pattern: String,
    /// Its flags.
    pub flags: Flags,
}

/// How pieces combine into the rule's condition.
pub struct Shape {
    /// Fires when any of these fires...
    pub any: Vec<Piece>,
    /// ...and none of these...
    pub unless: Vec<Piece>,
    /// ...negated (`!~`)...
    pub negate: bool,
    /// ...or when this header is absent (`[if-unset: V]` with V matching).
    pub or_absent: Option<String>,
}

/// The pieces of a regex rule.
pub(super) fn shape_of(def: &Definition, config: &Config) -> Result<Shape, String> {
    let regex = |text: &str| -> Result<(perl_regex::PerlRegex, String), String> {
        let (mut re, rest) = perl_regex::parse(text).map_err(|e| e.to_string())?;
        if config.replace_rules.contains(&def.name) {
            re.pattern = replace_tags::expand(&re.pattern, config);
        }
        Ok((re, rest.trim().to_string()))
    };
    let only = |rest: &str| {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(format!("unexpected '{rest}' after the regex"))
        }
    };
    let piece = |tag: &str, target: Target, pattern: &str, flags: Flags| Piece {
        tag: tag.to_string(),
        target,
        pattern: pattern.to_string(),
        flags,
    };
    let simple = |any| Shape {
        unless: Vec::new(),
        any,
        negate: false,
        or_absent: None,
    };
    match def.kind {
        RuleKind::Body | RuleKind::RawBody => {
            let (mut re, rest) = regex(&def.text)?;
            only(&rest)?;
            if perl_regex::has_anchor(&re.pattern) {
                re.flags.multi_line = true;
            }
            Ok(simple(if def.kind == RuleKind::Body {
                vec![
                    piece("BODY", Target::Body, &re.pattern, re.flags),
                    piece("SUBJECT", Target::Subject, &re.pattern, re.flags),
                ]
            } else {
                vec![piece("RAWBODY", Target::RawBody, &re.pattern, re.flags)]
            }))
        }
        RuleKind::Uri => {
            let (re, rest) = regex(&def.text)?;
            only(&rest)?;
            Ok(simple(vec![piece(
                "URI",
                Target::Url,
                &re.pattern,
                re.flags,
            )]))
        }
        RuleKind::Header => header_shape(&def.text, &regex),
        RuleKind::Full => {
            Err("full rules read the whole raw message; floodwall has no such target".into())
        }
        RuleKind::MimeHeader => mime_header_shape(&def.text, &regex),
        RuleKind::Meta => Err("meta".into()),
    }
}

type RegexFn<'a> = &'a dyn Fn(&str) -> Result<(perl_regex::PerlRegex, String), String>;

fn header_shape(text: &str, regex: RegexFn<'_>) -> Result<Shape, String> {
    if let Some(name) = text.strip_prefix("exists:") {
        let any = expand_header(name.trim())?
            .iter()
            .map(|h| exists_piece(h))
            .collect::<Result<_, _>>()?;
        return Ok(Shape {
            unless: Vec::new(),
            any,
            negate: false,
            or_absent: None,
        });
    }
    let (name, op, rest) = ["=~", "!~"]
        .iter()
        .find_map(|op| {
            text.split_once(op)
                .map(|(n, r)| (n.trim(), *op, r.trim_start()))
        })
        .ok_or("header rule needs 'NAME =~ /regex/' or 'NAME !~ /regex/'")?;
    let (name, raw) = match name.split_once(':') {
        None => (name, false),
        Some((name, "raw")) => (name, true),
        Some((_, modifier)) => {
            return Err(format!("header modifier ':{modifier}' is not supported"))
        }
    };
    let (re, after) = regex(rest)?;
    let mut or_absent = None;
    if !after.is_empty() {
        let unset = after
            .strip_prefix("[if-unset:")
            .and_then(|v| v.strip_suffix(']'))
            .ok_or_else(|| format!("unexpected '{after}' after the regex"))?
            .trim();
        if regex_matches(&re.pattern, re.flags, unset)? {
            or_absent = Some(name.to_string());
        }
    }
    let headers = expand_header(name)?;
    if headers.len() > 1 && or_absent.is_some() {
        return Err(format!("[if-unset:] on '{name}' is not supported"));
    }
    let any = headers
        .iter()
        .map(|h| {
            Ok(Piece {
                tag: if h.is_empty() {
                    "ALL".into()
                } else {
                    tag_of(h)
                },
                target: header_target(h, raw)?,
                pattern: re.pattern.clone(),
                flags: re.flags,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(Shape {
        unless: Vec::new(),
        any,
        negate: op == "!~",
        or_absent,
    })
}

/// `mimeheader NAME =~ /re/`: the header in any MIME part, as written.
fn mime_header_shape(text: &str, regex: RegexFn<'_>) -> Result<Shape, String> {
    let (name, rest) = text
        .split_once("=~")
        .ok_or("mimeheader rule needs 'NAME =~ /regex/'")?;
    let name = name.trim();
    let name = name.strip_suffix(":raw").unwrap_or(name);
    if name.contains(':') {
        return Err(format!("mimeheader modifier in '{name}' is not supported"));
    }
    let (re, after) = regex(rest.trim_start())?;
    if !after.is_empty() {
        return Err(format!("unexpected '{after}' after the regex"));
    }
    let target = Target::parse(&format!("mimeheader:{name}"))
        .ok_or_else(|| format!("header name '{name}' is not valid"))?;
    Ok(Shape {
        unless: Vec::new(),
        any: vec![Piece {
            tag: "MIME".into(),
            target,
            pattern: re.pattern,
            flags: re.flags,
        }],
        negate: false,
        or_absent: None,
    })
}

/// The headers a name reads: SpamAssassin's pseudo-headers expanded (`""`
/// for `ALL`), unsupported ones refused.
fn expand_header(name: &str) -> Result<Vec<&str>, String> {
    Ok(match name {
        "ALL" => vec![""],
        "ToCc" => vec!["To", "Cc"],
        "MESSAGEID" => vec![
            "X-Message-Id",
            "Resent-Message-Id",
            "X-Original-Message-ID",
            "Message-Id",
        ],
        "EnvelopeFrom" | "ALL-TRUSTED" | "ALL-UNTRUSTED" | "ALL-INTERNAL" | "ALL-EXTERNAL" => {
            return Err(format!("pseudo-header '{name}' is not supported"))
        }
        n if n.starts_with("X-Spam-") => {
            return Err(format!("SpamAssassin's own header '{n}' is not supported"))
        }
        n => vec![n],
    })
}

/// The floodwall target of a header rule. SpamAssassin matches a header's
/// text as written (encoded words decoded unless `:raw`); floodwall's
/// `header:` values re-render structured fields, so every header but the
/// free-text ones (whose decoded text is SpamAssassin's) reads `rawheader:`.
fn header_target(name: &str, raw: bool) -> Result<Target, String> {
    const DECODED_TEXT: &[&str] = &["subject", "comments", "content-description"];
    let lower = name.to_ascii_lowercase();
    let spelled = if name.is_empty() {
        "rawheader".to_string()
    } else if !raw && DECODED_TEXT.contains(&lower.as_str()) {
        format!("header:{name}")
    } else {
        format!("rawheader:{name}")
    };
    Target::parse(&spelled).ok_or_else(|| format!("header name '{name}' is not valid"))
}

/// Whether the regex matches `text` (for `[if-unset:]`), with PCRE2.
fn regex_matches(pattern: &str, flags: Flags, text: &str) -> Result<bool, String> {
    pcre2::bytes::RegexBuilder::new()
        .caseless(flags.caseless)
        .multi_line(flags.multi_line)
        .dotall(flags.dot_all)
        .build(pattern)
        .map_err(|e| format!("regex: {e}"))?
        .is_match(text.as_bytes())
        .map_err(|e| format!("regex: {e}"))
}

/// A piece that fires when a header of that name is present.
pub fn exists_piece(name: &str) -> Result<Piece, String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        return Err(format!("header name '{name}' is not valid"));
    }
    let escaped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\x{:02x}", c as u32)
            }
        })
        .collect();
    Ok(Piece {
        tag: format!("HAS_{}", tag_of(name)),
        target: Target::AllRawHeaders,
        pattern: format!("^{escaped}:"),
        flags: Flags {
            caseless: true,
            multi_line: true,
            ..Flags::default()
        },
    })
}

fn tag_of(header: &str) -> String {
    header
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}
