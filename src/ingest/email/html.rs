//! HTML parts reduced to the text body rules scan.
//!
//! The reduction is mail-parser's `html_to_text`, kept byte for byte (rules
//! and their tests were tuned on its output), but walked faster: it looked
//! at every byte through a dozen-armed `match` and UTF-8-validated every
//! word again, and was the largest single cost of email decoding (a third of
//! it on the phishing corpus). Here runs of bytes that can neither end a word
//! nor change the state are skipped by a table lookup, comments are skipped
//! with `memchr`, and words are pushed as the `&str` slices they already are.
//! The tests check the output against mail-parser's on edge cases and on
//! random markup.

use mail_parser::decoders::html::add_html_token;

/// Bytes on which mail-parser's state machine may do anything other than
/// extend the current word: tag and comment delimiters, white space, and the
/// `&`/`;` that delimit entities.
const fn special_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let specials = b"<>/! \t\r\n&;";
    let mut i = 0;
    while i < specials.len() {
        table[specials[i] as usize] = true;
        i += 1;
    }
    table
}

static SPECIAL: [bool; 256] = special_bytes();

/// Where the walk is: inside a tag, a comment, or an element whose content
/// is not text.
#[derive(Default)]
struct State {
    in_tag: bool,
    in_head: bool,
    in_style: bool,
    in_script: bool,
    in_template: bool,
    in_comment: bool,
    is_after_space: bool,
    is_tag_close: bool,
    is_new_line: bool,
    is_token_start: bool,
    token_start: usize,
    token_end: usize,
    tag_token_pos: usize,
    comment_pos: usize,
}

impl State {
    /// Whether words here are text a reader sees.
    fn in_text(&self) -> bool {
        !self.in_tag && !self.in_head && !self.in_style && !self.in_script && !self.in_template
    }

    /// Whether the content is hidden (head, style, script, template).
    fn in_hidden(&self) -> bool {
        self.in_style || self.in_script || self.in_template
    }
}

/// The text of an HTML document: tags, comments and the content of head,
/// style, script and template elements dropped, entities resolved, words
/// separated by one space, `<br>` and `</p>` as line breaks.
pub(super) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let input = html.as_bytes();
    let mut s = State {
        is_token_start: true,
        is_new_line: true,
        ..State::default()
    };
    let mut pos = 0;
    while pos < input.len() {
        let ch = input[pos];
        if s.in_comment {
            pos = comment_byte(&mut s, input, pos);
            continue;
        }
        if !SPECIAL[usize::from(ch)] {
            // A run of word bytes: it starts a word if none is open, and
            // otherwise only moves the word's end.
            if s.is_token_start {
                s.token_start = pos;
                s.is_token_start = false;
                if s.in_tag {
                    s.tag_token_pos += 1;
                }
            }
            let run = input[pos..].iter().position(|&b| SPECIAL[usize::from(b)]);
            pos = run.map_or(input.len(), |n| pos + n);
            s.token_end = pos - 1;
            continue;
        }
        if special_byte(&mut s, &mut out, html, pos) {
            // The byte extends (or starts) a word, as any other byte would.
            if s.is_token_start {
                s.token_start = pos;
                s.is_token_start = false;
                if s.in_tag {
                    s.tag_token_pos += 1;
                }
            }
            s.token_end = pos;
        }
        pos += 1;
    }
    if s.in_text() && !s.is_token_start {
        let after_space = s.is_after_space && !s.is_new_line;
        push_token(&mut out, html, s.token_start, s.token_end + 1, after_space);
    }
    out.shrink_to_fit();
    out
}

/// One byte inside a comment; returns the position of the next byte worth
/// looking at. Only `-` and `>` matter there: any other byte resets the
/// count of dashes, so a run of them is skipped at once.
fn comment_byte(s: &mut State, input: &[u8], pos: usize) -> usize {
    match input[pos] {
        b'-' => s.comment_pos += 1,
        b'>' if s.comment_pos == 2 => {
            s.comment_pos = 0;
            s.in_comment = false;
            s.in_tag = false;
            s.is_token_start = true;
        }
        _ => {
            s.comment_pos = 0;
            let rest = &input[pos + 1..];
            return memchr::memchr2(b'-', b'>', rest).map_or(input.len(), |n| pos + 1 + n);
        }
    }
    pos + 1
}

/// One byte of [`SPECIAL`] outside a comment. Returns whether the byte is
/// part of a word after all (a `>` outside a tag, a lone `!`, an `&` that
/// starts an entity).
fn special_byte(s: &mut State, out: &mut String, html: &str, pos: usize) -> bool {
    let input = html.as_bytes();
    match input[pos] {
        b'<' => {
            if s.in_text() && !s.is_token_start {
                push_token(out, html, s.token_start, s.token_end + 1, s.is_after_space);
                s.is_after_space = false;
            }
            s.tag_token_pos = 0;
            s.in_tag = true;
            s.is_token_start = true;
            s.is_tag_close = false;
            false
        }
        b'>' if s.in_tag => {
            if s.tag_token_pos == 1 {
                tag_closed(s, out, input);
            }
            s.in_tag = false;
            s.is_token_start = true;
            false
        }
        b'/' if s.in_tag => {
            if s.tag_token_pos == 0 {
                s.is_tag_close = true;
            }
            false
        }
        b'!' if s.in_tag && s.tag_token_pos == 0 && input.get(pos + 1..pos + 3) == Some(b"--") => {
            s.in_comment = true;
            false
        }
        b' ' | b'\t' | b'\r' | b'\n' => {
            if s.in_text() {
                if !s.is_token_start {
                    let after_space = s.is_after_space && !s.is_new_line;
                    push_token(out, html, s.token_start, s.token_end + 1, after_space);
                    s.is_new_line = false;
                }
                s.is_after_space = true;
            }
            s.is_token_start = true;
            false
        }
        b'&' if !s.in_tag && !s.is_token_start && !s.in_head => {
            if s.in_hidden() {
                return false;
            }
            let after_space = s.is_after_space && !s.is_new_line;
            push_token(out, html, s.token_start, s.token_end + 1, after_space);
            s.is_new_line = false;
            s.is_token_start = true;
            s.is_after_space = false;
            true
        }
        b';' if !s.in_tag && !s.is_token_start && !s.in_head => {
            if s.in_hidden() {
                return false;
            }
            let after_space = s.is_after_space && !s.is_new_line;
            push_token(out, html, s.token_start, pos + 1, after_space);
            s.is_token_start = true;
            s.is_after_space = false;
            s.is_new_line = false;
            false
        }
        _ => true,
    }
}

/// A tag whose name was its only word so far ends: line breaks and the
/// elements whose content is hidden.
fn tag_closed(s: &mut State, out: &mut String, input: &[u8]) {
    let Some(tag) = input.get(s.token_start..s.token_end + 1) else {
        return;
    };
    if tag.eq_ignore_ascii_case(b"br") || (tag.eq_ignore_ascii_case(b"p") && s.is_tag_close) {
        out.push('\n');
        s.is_after_space = false;
        s.is_new_line = true;
    } else if tag.eq_ignore_ascii_case(b"head") {
        s.in_head = !s.is_tag_close;
    } else if tag.eq_ignore_ascii_case(b"style") {
        s.in_style = !s.is_tag_close;
    } else if tag.eq_ignore_ascii_case(b"script") {
        s.in_script = !s.is_tag_close;
    } else if tag.eq_ignore_ascii_case(b"template") {
        s.in_template = !s.is_tag_close;
    }
}

/// Appends the word `html[start..end]`. Only `&...;` words need
/// mail-parser's entity table; the rest are copied as they are.
fn push_token(out: &mut String, html: &str, start: usize, end: usize, add_space: bool) {
    // Words start and end next to ASCII delimiters, so the slice is on
    // character boundaries (mail-parser unwraps that); should it ever not
    // be, the word is kept lossily rather than panicking.
    let Some(word) = html.get(start..end) else {
        if add_space {
            out.push(' ');
        }
        out.push_str(&String::from_utf8_lossy(&html.as_bytes()[start..end]));
        return;
    };
    if word.len() >= 2 && word.starts_with('&') && word.ends_with(';') {
        add_html_token(out, word.as_bytes(), add_space);
        return;
    }
    if add_space {
        out.push(' ');
    }
    out.push_str(word);
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::decoders::html::html_to_text as reference;

    fn same_as_mail_parser(html: &str) {
        assert_eq!(html_to_text(html), reference(html), "input: {html:?}");
    }

    #[test]
    fn drops_tags_and_keeps_words() {
        let html = "<html><body><p>Dear  customer,</p>\n<p>Verify <b>now</b>!</p></body></html>";
        assert_eq!(html_to_text(html), "Dear customer,\nVerify now!\n");
        same_as_mail_parser(html);
    }

    #[test]
    fn resolves_entities_like_mail_parser() {
        for html in [
            "caf&eacute; &amp; bar",
            "&#72;&#x49; there",
            "a&unknown;b",
            "x&;y",
            "&",
            ";",
            "a;b&c",
            "&amp",
            "word&amp;word",
        ] {
            same_as_mail_parser(html);
        }
    }

    #[test]
    fn hides_head_style_script_template_and_comments() {
        for html in [
            "<head><title>t</title></head>shown",
            "a<style>p { x: 1; } &amp;</style>b",
            "a<SCRIPT>var x = 1 & 2;</SCRIPT>b",
            "a<template>hidden</template>b",
            "a<!-- hidden -- still > hidden -->b",
            "a<!--->b-->c",
            "a<!- not a comment ->b",
            "a<!-->b",
            "unterminated <!-- comment",
            "<br><BR/>x</P>y<p>z",
        ] {
            same_as_mail_parser(html);
        }
    }

    #[test]
    fn odd_markup_matches_mail_parser() {
        for html in [
            "",
            " ",
            "<",
            ">",
            "a > b / c ! d",
            "<a href=\"x\">unclosed",
            "< br >",
            "<br/ >x",
            "</ p>x",
            "é<p>ü</p>中文 &copy; 😀",
            "tab\tand\r\nnewline",
            "<head>a<body>b",
            "<style/>x",
        ] {
            same_as_mail_parser(html);
        }
    }

    #[test]
    fn attributes_and_hidden_content_match_mail_parser() {
        for html in [
            "<td style=\"font: 12px; color: red\" class=x>cell</td>",
            "<br clear=all>no break",
            "<br >x<br/>y<p class=a>z</p class=b>w",
            "<a href=\"a<b>c\" title='d > e'>link</a>",
            "<img src=x alt=\"&amp; ; /\"",
            "<style type=text/css>p { a: b; } </style >after",
            "<head><meta name=x content=\"<p>\"></head>shown",
            "<script>if (a < b && c > d) { x = \"</p>\"; }</script>after",
            "<template id=t>hidden &amp; gone</template>shown &amp; kept",
            "<style>unterminated",
            "<div a b c",
        ] {
            same_as_mail_parser(html);
        }
    }

    #[test]
    fn random_markup_matches_mail_parser() {
        const PIECES: &[&str] = &[
            "<",
            ">",
            "/",
            "!",
            "--",
            "-",
            " ",
            "\t",
            "\r\n",
            "\n",
            "&",
            ";",
            "&amp;",
            "&#65;",
            "&#x263a;",
            "&bogus;",
            "p",
            "P",
            "br",
            "head",
            "style",
            "script",
            "template",
            "a",
            "href=\"http://x.example/\"",
            "word",
            "é",
            "中",
            "😀",
            "<!--",
            "-->",
            "</",
            "/>",
            "<td ",
            "class=x ",
            "style=\"a: b; c\"",
            "\"",
            "=",
        ];
        // xorshift64: deterministic, so a failure reproduces.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let html: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            same_as_mail_parser(&html);
        }
    }
}
