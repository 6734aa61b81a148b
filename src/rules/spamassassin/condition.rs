//! `ifplugin` and `if` conditions, decided as SpamAssassin 4.0.1 decides them.
//!
//! SpamAssassin evaluates an `if` line as Perl over a few functions:
//! `plugin(NAME)` (was the plugin loaded by a `loadplugin` line),
//! `can(NAME)` (is that method defined and true), `has(NAME)` (is it
//! defined), `version` and `perl_version`. The importer answers them for the
//! SpamAssassin whose rules it reads, 4.0.1 as Debian ships it, so that the
//! imported set holds the rules that SpamAssassin itself runs: a plugin is
//! loaded exactly when a `loadplugin` line said so, and `can`/`has` know the
//! feature methods 4.0.1 defines. Rules that then need a plugin's `eval:`
//! function floodwall does not emulate are reported by the import, not
//! silently dropped by the condition.

use std::collections::HashSet;

/// The SpamAssassin version the conditions are decided for (`version`).
pub const SA_VERSION: f64 = 4.000001;

/// The Perl version `perl_version` answers (Debian 12's 5.36.0).
const PERL_VERSION: f64 = 5.036000;

/// Methods of SpamAssassin 4.0.1's `Conf` that `can(...)` finds true.
const CONF_FEATURES: &[&str] = &[
    "feature_bayes_auto_learn_on_error",
    "feature_bayes_stopwords",
    "feature_blocklist_welcomelist",
    "feature_bug6558_free",
    "feature_capture_rules",
    "feature_compile_regexp",
    "feature_dns_block_rule",
    "feature_dns_local_ports_permit_avoid",
    "feature_dns_query_restriction",
    "feature_edns",
    "feature_geodb",
    "feature_get_host",
    "feature_header_address_parser",
    "feature_header_first_last",
    "feature_header_match_many",
    "feature_local_tests_only",
    "feature_meta_rules_matching",
    "feature_originating_ip_headers",
    "feature_registryboundaries",
    "feature_subjprefix",
    "feature_uri_host_listed",
    "feature_welcomelist_blocklist",
    "feature_yesno_takes_args",
    "perl_min_version_5010000",
];

/// `Plugin::NAME::has_*` methods of 4.0.1 that stock rules test; each is
/// true only when its plugin is loaded (Perl finds no method of a package
/// it never loaded).
const PLUGIN_METHODS: &[(&str, &str)] = &[
    ("ASN", "has_asn_lookup_ipv6"),
    ("ASN", "has_check_asn"),
    ("BodyEval", "has_check_body_length"),
    ("DKIM", "has_arc"),
    ("DecodeShortURLs", "has_get"),
    ("DecodeShortURLs", "has_short_url_redir"),
    ("MIMEEval", "has_check_abundant_unicode_ratio"),
    ("MIMEEval", "has_check_for_ascii_text_illegal"),
    ("MIMEEval", "has_check_qp_ratio"),
    ("SPF", "has_check_for_spf_errors"),
    ("SPF", "has_check_spf_skipped_noenvfrom"),
    ("URIDNSBL", "has_tflags_domains_only"),
    ("URIDNSBL", "has_uridnsbl_for_a"),
    ("URIDetail", "has_uri_detail"),
];

/// Plugin names as `loadplugin` gave them (`Mail::SpamAssassin::Plugin::X`).
#[derive(Debug, Default)]
pub struct Plugins(HashSet<String>);

impl Plugins {
    /// Records a `loadplugin` line's module.
    pub fn load(&mut self, module: &str) {
        self.0.insert(module.to_string());
    }

    /// Whether `ifplugin NAME` / `plugin(NAME)` holds.
    pub fn is_loaded(&self, module: &str) -> bool {
        self.0.contains(module)
    }

    fn can(&self, method: &str) -> bool {
        let Some((module, name)) = method.rsplit_once("::") else {
            return false;
        };
        if module == "Mail::SpamAssassin::Conf" {
            return CONF_FEATURES.contains(&name);
        }
        let Some(plugin) = module.strip_prefix("Mail::SpamAssassin::Plugin::") else {
            return false;
        };
        self.is_loaded(module) && PLUGIN_METHODS.contains(&(plugin, name))
    }

    /// Evaluates an `if` line's expression; the error says what was not understood.
    pub fn eval(&self, expr: &str) -> Result<bool, String> {
        let tokens = tokenize(expr)?;
        let mut parser = Parser {
            plugins: self,
            tokens,
            pos: 0,
            depth: 0,
        };
        let value = parser.or()?;
        if parser.pos != parser.tokens.len() {
            return Err(format!("unexpected text in condition '{expr}'"));
        }
        Ok(value != 0.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Num(f64),
    Call(String, String),
    Word(String),
    Op(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    const OPS: &[&str] = &[
        "&&", "||", ">=", "<=", "==", "!=", "!", "(", ")", ">", "<", "+", "-",
    ];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    'outer: while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        for op in OPS {
            if text[i..].starts_with(op) {
                out.push(Token::Op(op));
                i += op.len();
                continue 'outer;
            }
        }
        if c.is_ascii_digit() || c == b'.' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            let n = text[start..i]
                .parse()
                .map_err(|_| format!("bad number '{}'", &text[start..i]))?;
            out.push(Token::Num(n));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &text[start..i];
            let rest = text[i..].trim_start();
            if matches!(word, "plugin" | "can" | "has") && rest.starts_with('(') {
                let close = rest
                    .find(')')
                    .ok_or_else(|| format!("{word}( without ')'"))?;
                let arg = rest[1..close].trim().to_string();
                out.push(Token::Call(word.to_string(), arg));
                i = text.len() - rest.len() + close + 1;
            } else {
                out.push(Token::Word(word.to_string()));
            }
            continue;
        }
        return Err(format!("unexpected '{}' in condition", c as char));
    }
    Ok(out)
}

struct Parser<'p> {
    plugins: &'p Plugins,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.tokens.get(self.pos), Some(Token::Op(o)) if *o == op) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<f64, String> {
        let mut value = self.and()?;
        while self.eat("||") {
            let rhs = self.and()?;
            value = if value != 0.0 { value } else { rhs };
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<f64, String> {
        let mut value = self.compare()?;
        while self.eat("&&") {
            let rhs = self.compare()?;
            value = if value != 0.0 { rhs } else { value };
        }
        Ok(value)
    }

    fn compare(&mut self) -> Result<f64, String> {
        let lhs = self.unary()?;
        for op in [">=", "<=", "==", "!=", ">", "<"] {
            if self.eat(op) {
                let rhs = self.unary()?;
                let holds = match op {
                    ">=" => lhs >= rhs,
                    "<=" => lhs <= rhs,
                    "==" => lhs == rhs,
                    "!=" => lhs != rhs,
                    ">" => lhs > rhs,
                    _ => lhs < rhs,
                };
                return Ok(f64::from(u8::from(holds)));
            }
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<f64, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("condition nested too deeply".into());
        }
        let value = if self.eat("!") {
            f64::from(u8::from(self.unary()? == 0.0))
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(value)
    }

    fn primary(&mut self) -> Result<f64, String> {
        if self.eat("(") {
            let value = self.or()?;
            if !self.eat(")") {
                return Err("missing ')' in condition".into());
            }
            return Ok(value);
        }
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or("condition ends too early")?;
        self.pos += 1;
        let truth = |b: bool| f64::from(u8::from(b));
        match token {
            Token::Num(n) => Ok(n),
            Token::Word(w) if w == "version" => Ok(SA_VERSION),
            Token::Word(w) if w == "perl_version" => Ok(PERL_VERSION),
            Token::Call(f, arg) if f == "plugin" => Ok(truth(self.plugins.is_loaded(&arg))),
            Token::Call(_, arg) => Ok(truth(self.plugins.can(&arg))),
            Token::Word(w) => Err(format!("unknown word '{w}' in condition")),
            Token::Op(op) => Err(format!("unexpected '{op}' in condition")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugins() -> Plugins {
        let mut p = Plugins::default();
        p.load("Mail::SpamAssassin::Plugin::BodyEval");
        p
    }

    #[test]
    fn versions_and_plugins() {
        let p = plugins();
        assert!(p.eval("(version >= 3.004000)").unwrap());
        assert!(!p.eval("(version >= 4.001000)").unwrap());
        assert!(!p.eval("!((version >= 3.004000))").unwrap());
        assert!(p
            .eval("plugin(Mail::SpamAssassin::Plugin::BodyEval)")
            .unwrap());
        assert!(!p.eval("plugin(Mail::SpamAssassin::Plugin::DKIM)").unwrap());
        assert!(p.eval("!plugin(Mail::SpamAssassin::Plugin::DKIM)").unwrap());
        assert!(p
            .eval("can(Mail::SpamAssassin::Conf::feature_bug6558_free)")
            .unwrap());
        assert!(!p
            .eval("can(Mail::SpamAssassin::Conf::compat_welcomelist_blocklist)")
            .unwrap());
        assert!(p
            .eval("can(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length)")
            .unwrap());
        assert!(!p
            .eval("can(Mail::SpamAssassin::Plugin::DKIM::has_arc)")
            .unwrap());
        assert!(p
            .eval("version >= 3.004 && !plugin(Mail::SpamAssassin::Plugin::X) || 0")
            .unwrap());
    }

    #[test]
    fn bad_conditions_are_errors() {
        let p = plugins();
        assert!(p.eval("perl_code()").is_err());
        assert!(p.eval("(version").is_err());
        assert!(p.eval("version >= ").is_err());
        assert!(p.eval(&"(".repeat(200)).is_err());
    }
}
