//! Reading SpamAssassin's `.pre` and `.cf` files into rule definitions.
//!
//! Load order is SpamAssassin's: every `.pre` file first, then every `.cf`
//! file, each source directory's files sorted by byte order of their names
//! (as Perl's `sort` orders them), sources in the order given. Debian's
//! SpamAssassin reads the site directory's `.pre` files, then the rules
//! directory's `.pre` and `.cf` files, then the site directory's `.cf` files;
//! give the sources as `/usr/share/spamassassin /etc/spamassassin` to get the
//! same `.cf` order (`.pre` files only load plugins, so their relative order
//! does not matter). A file is read once, as SpamAssassin reads it once.
//!
//! Lines are read as SpamAssassin's parser reads them: `#` starts a comment
//! unless escaped as `\#`, the first word is the command (case-insensitive),
//! `include` reads a file relative to the current one, `ifplugin`, `if`,
//! `else` and `endif` skip what their conditions exclude (see
//! [`condition`](super::condition)), and `lang XX ...` lines are skipped:
//! they apply only under a locale of that language, and the import is for
//! the default one. A rule defined twice keeps its later definition, and
//! `score`, `describe`, `tflags` and `priority` keep their last value.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::condition::Plugins;
use super::error::{CfError, CfErrorKind, CfErrors};

/// The rule kinds SpamAssassin defines with a command of that name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKind {
    /// `body`: rendered text, subject first, paragraphs as lines.
    Body,
    /// `rawbody`: decoded text parts, markup kept.
    RawBody,
    /// `header`: a header's decoded value, or `exists:` / `eval:`.
    Header,
    /// `uri`: each URI of the message.
    Uri,
    /// `full`: the whole raw message.
    Full,
    /// `mimeheader`: a header of any MIME part.
    MimeHeader,
    /// `meta`: an expression over other rules.
    Meta,
}

impl RuleKind {
    fn parse(command: &str) -> Option<RuleKind> {
        Some(match command {
            "body" => RuleKind::Body,
            "rawbody" => RuleKind::RawBody,
            "header" => RuleKind::Header,
            "uri" => RuleKind::Uri,
            "full" => RuleKind::Full,
            "mimeheader" => RuleKind::MimeHeader,
            "meta" => RuleKind::Meta,
            _ => return None,
        })
    }

    /// The command that defines the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Body => "body",
            RuleKind::RawBody => "rawbody",
            RuleKind::Header => "header",
            RuleKind::Uri => "uri",
            RuleKind::Full => "full",
            RuleKind::MimeHeader => "mimeheader",
            RuleKind::Meta => "meta",
        }
    }
}

/// Where a line came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The file as it was opened.
    pub file: PathBuf,
    /// Its 1-based line.
    pub line: usize,
}

/// One rule as its last definition gave it.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The rule name.
    pub name: String,
    /// Its kind.
    pub kind: RuleKind,
    /// The definition after the name: a regex, `eval:...`, `exists:...`,
    /// `Header =~ /re/` or a meta expression.
    pub text: String,
    /// Where it was defined.
    pub place: Place,
}

/// What SpamAssassin's configuration defines, by rule name.
#[derive(Debug)]
pub struct Config {
    /// Rule definitions, in the order first defined (a redefinition keeps
    /// the first position and takes the later text).
    pub rules: Vec<Definition>,
    index: HashMap<String, usize>,
    /// `score NAME s0 [s1 s2 s3]`: the four score sets.
    pub scores: HashMap<String, [f64; 4]>,
    /// `describe NAME text`.
    pub descriptions: HashMap<String, String>,
    /// `tflags NAME words`.
    pub tflags: HashMap<String, Vec<String>>,
    /// `priority NAME n`.
    pub priorities: HashMap<String, i64>,
    /// `replace_tag`, `replace_pre`, `replace_inter`, `replace_post`:
    /// (kind, name) → value.
    pub replace_tags: HashMap<(String, String), String>,
    /// `replace_rules`: rules whose regexes have tags replaced.
    pub replace_rules: HashSet<String>,
    /// `replace_start` / `replace_end` (default `<` and `>`).
    pub replace_delimiters: (String, String),
    /// The loaded plugins.
    pub plugins: Plugins,
    /// `required_score` (default 5.0).
    pub required_score: f64,
    /// Commands read and not used by the import, with counts.
    pub ignored_commands: BTreeMap<String, usize>,
    /// The files read, in order.
    pub files: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rules: Vec::new(),
            index: HashMap::new(),
            scores: HashMap::new(),
            descriptions: HashMap::new(),
            tflags: HashMap::new(),
            priorities: HashMap::new(),
            replace_tags: HashMap::new(),
            replace_rules: HashSet::new(),
            replace_delimiters: ("<".into(), ">".into()),
            plugins: Plugins::default(),
            required_score: 5.0,
            ignored_commands: BTreeMap::new(),
            files: Vec::new(),
        }
    }
}

impl Config {
    /// Reads the sources: directories (their `.pre` then `.cf` files) or
    /// single files, in SpamAssassin's order.
    pub fn read(sources: &[PathBuf]) -> Result<Config, CfErrors> {
        let mut reader = Reader::default();
        let mut pre = Vec::new();
        let mut cf = Vec::new();
        for source in sources {
            if source.is_dir() {
                pre.extend(files_in(source, "pre", &mut reader.errors));
                cf.extend(files_in(source, "cf", &mut reader.errors));
            } else {
                cf.push(source.clone());
            }
        }
        for file in pre.iter().chain(&cf) {
            reader.read_file(file, None);
        }
        if reader.errors.is_empty() {
            Ok(reader.config)
        } else {
            Err(CfErrors(reader.errors))
        }
    }

    /// Reads configuration held in memory, as one file named `name` (for
    /// tests and fuzzing; an `include` in it is an error).
    pub fn read_text(name: &str, text: &[u8]) -> Result<Config, CfErrors> {
        let mut reader = Reader::default();
        reader.parse(Path::new(name), text);
        if reader.errors.is_empty() {
            Ok(reader.config)
        } else {
            Err(CfErrors(reader.errors))
        }
    }

    /// The definition of a rule.
    pub fn get(&self, name: &str) -> Option<&Definition> {
        self.index.get(name).map(|&i| &self.rules[i])
    }

    /// A rule's score in set 0 (no Bayes, no network tests), or SpamAssassin's
    /// default when no `score` line names it: 1.0, 0.01 for `T_` rules,
    /// negated for `nice` rules.
    pub fn score0(&self, name: &str) -> f64 {
        if let Some(scores) = self.scores.get(name) {
            return scores[0];
        }
        let base = if name.starts_with("T_") { 0.01 } else { 1.0 };
        if self.has_tflag(name, "nice") {
            -base
        } else {
            base
        }
    }

    /// Whether the rule's `tflags` include `flag`.
    pub fn has_tflag(&self, name: &str, flag: &str) -> bool {
        self.tflags
            .get(name)
            .is_some_and(|flags| flags.iter().any(|f| f == flag))
    }
}

/// The files of `dir` ending in `.EXT`, sorted by name as SpamAssassin sorts.
fn files_in(dir: &Path, ext: &str, errors: &mut Vec<CfError>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(CfError {
                file: dir.to_path_buf(),
                line: 0,
                kind: CfErrorKind::Read(e.to_string()),
            });
            return Vec::new();
        }
    };
    let mut names: Vec<Vec<u8>> = entries
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().into_encoded_bytes())
        .filter(|n| {
            n.len() > ext.len() + 1
                && n[n.len() - ext.len() - 1] == b'.'
                && n[n.len() - ext.len()..].eq_ignore_ascii_case(ext.as_bytes())
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| dir.join(String::from_utf8_lossy(&n).as_ref()))
        .collect()
}

/// One open `if`/`ifplugin`: where, whether its lines apply, and whether
/// the block around it applied.
struct Open {
    line: usize,
    active: bool,
    outer_active: bool,
    seen_else: bool,
}

#[derive(Default)]
struct Reader {
    config: Config,
    errors: Vec<CfError>,
    read: HashSet<PathBuf>,
    including: Vec<PathBuf>,
}

impl Reader {
    fn read_file(&mut self, path: &Path, from: Option<&Place>) {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if self.including.contains(&key) {
            let place = from.cloned().unwrap_or(Place {
                file: path.to_path_buf(),
                line: 0,
            });
            self.error(&place, CfErrorKind::IncludeLoop(path.display().to_string()));
            return;
        }
        if !self.read.insert(key.clone()) {
            return;
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                let place = from.cloned().unwrap_or(Place {
                    file: path.to_path_buf(),
                    line: 0,
                });
                self.error(
                    &place,
                    CfErrorKind::Read(format!("{}: {e}", path.display())),
                );
                return;
            }
        };
        self.including.push(key);
        self.parse(path, &bytes);
        self.including.pop();
    }

    fn error(&mut self, place: &Place, kind: CfErrorKind) {
        self.errors.push(CfError {
            file: place.file.clone(),
            line: place.line,
            kind,
        });
    }

    fn parse(&mut self, path: &Path, bytes: &[u8]) {
        self.config.files.push(path.to_path_buf());
        let mut stack: Vec<Open> = Vec::new();
        for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let place = Place {
                file: path.to_path_buf(),
                line: n + 1,
            };
            let line = clean_line(raw);
            if line.is_empty() {
                continue;
            }
            let (command, rest) = match line.split_once(|c: char| c.is_ascii_whitespace()) {
                Some((c, r)) => (c.to_ascii_lowercase().replace('-', "_"), r.trim()),
                None => (line.to_ascii_lowercase().replace('-', "_"), ""),
            };
            let active = stack.last().is_none_or(|o| o.active);
            match command.as_str() {
                "ifplugin" | "if" => {
                    let holds = if !active {
                        false
                    } else if command == "ifplugin" {
                        self.config.plugins.is_loaded(rest)
                    } else {
                        match self.config.plugins.eval(rest) {
                            Ok(holds) => holds,
                            Err(e) => {
                                self.error(&place, CfErrorKind::Condition(e));
                                false
                            }
                        }
                    };
                    stack.push(Open {
                        line: n + 1,
                        active: active && holds,
                        outer_active: active,
                        seen_else: false,
                    });
                }
                "else" => match stack.last_mut() {
                    Some(open) if !open.seen_else => {
                        open.seen_else = true;
                        open.active = open.outer_active && !open.active;
                    }
                    _ => self.error(&place, CfErrorKind::Unopened("else")),
                },
                "endif" => {
                    if stack.pop().is_none() {
                        self.error(&place, CfErrorKind::Unopened("endif"));
                    }
                }
                _ if !active => {}
                _ => self.command(&command, rest, &place),
            }
        }
        for open in stack {
            let place = Place {
                file: path.to_path_buf(),
                line: open.line,
            };
            self.error(&place, CfErrorKind::Unclosed(open.line));
        }
    }

    fn command(&mut self, command: &str, rest: &str, place: &Place) {
        let malformed = |detail: &str| CfErrorKind::Malformed {
            command: command.to_string(),
            detail: detail.to_string(),
        };
        let (name, value) = match rest.split_once(|c: char| c.is_ascii_whitespace()) {
            Some((n, v)) => (n, v.trim()),
            None => (rest, ""),
        };
        if let Some(kind) = RuleKind::parse(command) {
            if name.is_empty() || value.is_empty() {
                self.error(place, malformed("needs a rule name and a definition"));
                return;
            }
            let definition = Definition {
                name: name.to_string(),
                kind,
                text: value.to_string(),
                place: place.clone(),
            };
            let config = &mut self.config;
            match config.index.get(name) {
                Some(&i) => config.rules[i] = definition,
                None => {
                    config.index.insert(name.to_string(), config.rules.len());
                    config.rules.push(definition);
                }
            }
            return;
        }
        match command {
            "lang" => {}
            "include" => {
                let target = place
                    .file
                    .parent()
                    .map_or_else(|| PathBuf::from(rest), |dir| dir.join(rest));
                self.read_file(&target, Some(place));
            }
            "loadplugin" => {
                if name.is_empty() {
                    self.error(place, malformed("needs a plugin module"));
                } else {
                    self.config.plugins.load(name);
                }
            }
            "score" => {
                let values: Result<Vec<f64>, _> =
                    value.split_ascii_whitespace().map(str::parse).collect();
                match values.as_deref() {
                    Ok([one]) => {
                        self.config.scores.insert(name.to_string(), [*one; 4]);
                    }
                    Ok([a, b, c, d]) => {
                        self.config
                            .scores
                            .insert(name.to_string(), [*a, *b, *c, *d]);
                    }
                    _ => self.error(place, malformed("needs a rule name and 1 or 4 numbers")),
                }
            }
            "describe" => {
                self.config
                    .descriptions
                    .insert(name.to_string(), value.to_string());
            }
            "tflags" => {
                let flags = value.split_ascii_whitespace().map(str::to_string).collect();
                self.config.tflags.insert(name.to_string(), flags);
            }
            "priority" => match value.parse() {
                Ok(p) => {
                    self.config.priorities.insert(name.to_string(), p);
                }
                Err(_) => self.error(place, malformed("needs a rule name and an integer")),
            },
            "replace_tag" | "replace_pre" | "replace_inter" | "replace_post" => {
                let kind = command.trim_start_matches("replace_").to_string();
                self.config
                    .replace_tags
                    .insert((kind, name.to_string()), value.to_string());
            }
            "replace_rules" => {
                let names = rest.split_ascii_whitespace().map(str::to_string);
                self.config.replace_rules.extend(names);
            }
            "replace_start" => self.config.replace_delimiters.0 = rest.to_string(),
            "replace_end" => self.config.replace_delimiters.1 = rest.to_string(),
            "required_score" | "required_hits" => match rest.parse() {
                Ok(score) => self.config.required_score = score,
                Err(_) => self.error(place, malformed("needs a number")),
            },
            other => {
                *self
                    .config
                    .ignored_commands
                    .entry(other.to_string())
                    .or_default() += 1
            }
        }
    }
}

/// A line as SpamAssassin's parser sees it: comment removed (`#` not after
/// `\`), `\#` unescaped, trimmed. Bytes that are not UTF-8 (rule files in
/// Latin-1) become `\xHH` escapes, which mean the same byte in a regex.
fn clean_line(raw: &[u8]) -> String {
    let end = raw
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b'#' && (i == 0 || raw[i - 1] != b'\\'))
        .unwrap_or(raw.len());
    let mut text = String::with_capacity(end);
    for chunk in raw[..end].utf8_chunks() {
        text.push_str(chunk.valid());
        for b in chunk.invalid() {
            text.push_str(&format!("\\x{b:02X}"));
        }
    }
    text.replace("\\#", "#").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Config {
        Config::read_text("t.cf", text.as_bytes()).unwrap()
    }

    #[test]
    fn later_definitions_override_and_scores_pick_set_zero() {
        let c = read(
            "body A /one/\nbody A /two/i # comment\nscore A 1.5 2 3 4\n\
             describe A Says \\#two\nscore B 2\nheader B Subject =~ /x/\n\
             tflags C nice\nbody C /c/\npriority A -100\n",
        );
        let a = c.get("A").unwrap();
        assert_eq!(a.text, "/two/i");
        assert_eq!(a.place.line, 2);
        assert_eq!(c.score0("A"), 1.5);
        assert_eq!(c.score0("B"), 2.0);
        assert_eq!(c.score0("C"), -1.0);
        assert_eq!(c.score0("T_X"), 0.01);
        assert_eq!(c.descriptions["A"], "Says #two");
        assert_eq!(c.priorities["A"], -100);
        assert_eq!(c.rules.len(), 3);
    }

    #[test]
    fn conditions_select_lines() {
        let c = read(
            "loadplugin Mail::SpamAssassin::Plugin::BodyEval\n\
             ifplugin Mail::SpamAssassin::Plugin::BodyEval\nbody A /a/\nendif\n\
             ifplugin Mail::SpamAssassin::Plugin::DKIM\nbody B /b/\n\
             if (version >= 3.004)\nbody C /c/\nendif\nendif\n\
             if !plugin(Mail::SpamAssassin::Plugin::DKIM)\nbody D /d/\nelse\nbody E /e/\nendif\n\
             lang de body F /f/\n",
        );
        let names: Vec<_> = c.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["A", "D"]);
    }

    #[test]
    fn errors_name_file_and_line() {
        let err =
            Config::read_text("t.cf", b"body A /a/\nendif\nscore X\nif (version\n").unwrap_err();
        let lines: Vec<_> = err.0.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 4]);
        assert!(err.to_string().starts_with("t.cf:2: 'endif'"));
    }

    #[test]
    fn latin1_bytes_become_escapes() {
        let c = Config::read_text("t.cf", b"body A /caf\xe9/\n").unwrap();
        assert_eq!(c.get("A").unwrap().text, "/caf\\xE9/");
    }

    #[test]
    fn includes_read_relative_files_once() {
        let dir = std::env::temp_dir().join(format!("fw-sa-inc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.cf"),
            "include b.inc\ninclude b.inc\nbody A /a/\n",
        )
        .unwrap();
        std::fs::write(dir.join("b.inc"), "body B /b/\ninclude a.cf\n").unwrap();
        std::fs::write(dir.join("0.pre"), "loadplugin X\n").unwrap();
        let err = Config::read(std::slice::from_ref(&dir)).unwrap_err();
        assert!(
            matches!(err.0[0].kind, CfErrorKind::IncludeLoop(_)),
            "{err}"
        );
        std::fs::write(dir.join("b.inc"), "body B /b/\n").unwrap();
        let c = Config::read(std::slice::from_ref(&dir)).unwrap();
        assert!(c.plugins.is_loaded("X"));
        let names: Vec<_> = c.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["B", "A"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
