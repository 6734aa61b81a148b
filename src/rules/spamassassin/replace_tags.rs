//! The ReplaceTags plugin: `<TAG>` placeholders in the regexes of the rules
//! `replace_rules` names, expanded as SpamAssassin 4.0.1 expands them
//! (`<pre NAME>`, `<post NAME>` and `<inter NAME>` modifiers, nested tags
//! for up to six passes, an undefined or empty tag left as written).

use super::config::Config;

/// The pattern with its tags replaced.
pub fn expand(pattern: &str, config: &Config) -> String {
    let (start, end) = &config.replace_delimiters;
    let tag = |kind: &str, name: &str| {
        config
            .replace_tags
            .get(&(kind.to_string(), name.to_string()))
            .filter(|v| !v.is_empty() && v.as_str() != "0")
            .cloned()
    };
    let mut re = pattern.to_string();
    for _pass in 0..6 {
        let pre = take_modifier(&mut re, start, end, "pre ").and_then(|n| tag("pre", &n));
        let post = take_modifier(&mut re, start, end, "post ").and_then(|n| tag("post", &n));
        let inter = take_modifier(&mut re, start, end, "inter ").and_then(|n| tag("inter", &n));
        let mut pieces = split_tags(&re);
        let mut again = false;
        for piece in &mut pieces {
            if piece.is_empty() {
                if let Some(inter) = &inter {
                    piece.clone_from(inter);
                }
                continue;
            }
            let Some(name) = tag_name(piece, start, end) else {
                continue;
            };
            if let Some(pre) = &pre {
                *piece = format!("{pre}{piece}");
            }
            if let Some(post) = &post {
                piece.push_str(post);
            }
            if let Some(value) = tag("tag", &name) {
                again |= has_tag(&value);
                *piece = piece.replace(&format!("{start}{name}{end}"), &value);
            }
        }
        re = pieces.concat();
        if !again {
            break;
        }
    }
    re
}

/// Removes the first `<KIND NAME>` and returns NAME.
fn take_modifier(re: &mut String, start: &str, end: &str, kind: &str) -> Option<String> {
    let open = format!("{start}{kind}");
    let at = re.find(&open)?;
    let name_start = at + open.len();
    let close = re[name_start + 1..].find(end)? + name_start + 1;
    let name = re[name_start..close].to_string();
    re.replace_range(at..close + end.len(), "");
    Some(name)
}

/// Perl's `split(/(<[^<>]+>)/, $re)`: text and tags alternating, an empty
/// text between adjacent tags (and before a leading tag), trailing empty
/// texts dropped.
fn split_tags(re: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = re;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        match after.find(['<', '>']) {
            Some(close) if after.as_bytes()[close] == b'>' && close > 0 => {
                text.push_str(&rest[..open]);
                out.push(std::mem::take(&mut text));
                out.push(rest[open..open + close + 2].to_string());
                rest = &rest[open + close + 2..];
            }
            _ => {
                text.push_str(&rest[..open + 1]);
                rest = after;
            }
        }
    }
    text.push_str(rest);
    out.push(text);
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

fn tag_name(piece: &str, start: &str, end: &str) -> Option<String> {
    let inner = piece.strip_prefix(start)?.strip_suffix(end)?;
    (!inner.is_empty()).then(|| inner.to_string())
}

fn has_tag(value: &str) -> bool {
    value
        .find('<')
        .is_some_and(|i| value[i + 1..].find('>').is_some_and(|j| j > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_inter_and_nesting() {
        let config = Config::read_text(
            "t.cf",
            b"replace_tag A (?:a|4)\nreplace_tag B (?:b|<C>)\nreplace_tag C 8\n\
              replace_inter W1 [\\s_]?\nreplace_pre P1 (?:\\b)\n",
        )
        .unwrap();
        assert_eq!(expand("x<A>y", &config), "x(?:a|4)y");
        assert_eq!(
            expand("<inter W1><A><B>", &config),
            "[\\s_]?(?:a|4)[\\s_]?(?:b|8)"
        );
        assert_eq!(expand("<pre P1><A>z", &config), "(?:\\b)(?:a|4)z");
        assert_eq!(expand("<UNDEFINED>", &config), "<UNDEFINED>");
        assert_eq!(expand("a<b", &config), "a<b");
    }
}
