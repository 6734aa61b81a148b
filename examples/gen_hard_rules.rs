//! Writes a hard, SpamAssassin-style rule set (and optionally spam/ham-like
//! sample mail) for measuring the signature stage with many regexes.
//!
//! ```text
//! cargo run --example gen_hard_rules -- target/hard-rules [N] [--mbox FILE COUNT]
//! ```
//!
//! The mix follows what makes real rule sets slow: most rules are
//! literal-anchored phrases that Hyperscan finds through its literal matcher,
//! but obfuscation chains (`v[_\W]{0,3}[i1!|]…`) and character-class runs
//! without any literal have to be run as automata over every byte. About one
//! rule in eight uses look-around or a back-reference and so takes the
//! PCRE2 path. Output is deterministic for a given N and seed.
//!
//! Tests and benches include this file as a module (`generate`, `messages`).

use std::fmt::Write as _;
use std::path::PathBuf;

/// A small deterministic generator (xorshift64*), so that the rule set is
/// reproducible without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub const SPAM_WORDS: &[&str] = &[
    "free",
    "money",
    "cash",
    "winner",
    "prize",
    "credit",
    "loan",
    "mortgage",
    "refinance",
    "pharmacy",
    "viagra",
    "cialis",
    "rolex",
    "replica",
    "casino",
    "lottery",
    "bitcoin",
    "investment",
    "guaranteed",
    "unsubscribe",
    "click",
    "offer",
    "limited",
    "urgent",
    "account",
    "verify",
    "password",
    "bank",
    "paypal",
    "invoice",
    "delivery",
    "package",
    "weight",
    "diet",
    "pills",
    "discount",
    "cheap",
    "save",
    "deal",
    "dating",
    "singles",
    "income",
    "earn",
    "million",
    "dollars",
    "inheritance",
    "beneficiary",
    "transfer",
    "wire",
    "western",
    "union",
    "stock",
    "shares",
    "profit",
    "bonus",
    "claim",
    "reward",
    "gift",
    "card",
    "exclusive",
    "membership",
    "debt",
    "insurance",
    "quote",
    "degree",
    "diploma",
    "software",
    "adobe",
    "watches",
    "luxury",
    "meds",
    "prescription",
    "valium",
    "xanax",
    "enlarge",
    "herbal",
];

const FILLER: &[&str] = &[
    "the", "meeting", "schedule", "report", "please", "attached", "review", "project", "team",
    "thanks", "regards", "tomorrow", "office", "budget", "contract", "energy", "gas", "power",
    "forecast", "question", "about", "with", "this", "from", "have", "will", "your", "would",
    "call", "week", "data", "numbers", "price", "market", "trading", "deal", "north", "south",
];

const TLDS: &[&str] = &[
    "ru", "cn", "tk", "ml", "ga", "top", "xyz", "biz", "info", "su",
];

/// Obfuscation classes as spammers use them: look-alike digits and symbols.
fn obfuscated_class(c: char) -> String {
    match c {
        'a' => "[a4@]".into(),
        'e' => "[e3]".into(),
        'i' => "[i1!|l]".into(),
        'l' => "[l1|]".into(),
        'o' => "[o0]".into(),
        's' => "[s5$]".into(),
        't' => "[t7+]".into(),
        'g' => "[g9]".into(),
        c => c.to_string(),
    }
}

fn obfuscation_chain(word: &str, rng: &mut Rng) -> String {
    let gap = ["[_\\W]{0,3}", "[\\W_]{0,2}", "[^a-z0-9]{0,3}", "\\W?"][rng.below(4)];
    let letters: Vec<String> = word.chars().map(obfuscated_class).collect();
    let chain = letters.join(gap);
    if rng.below(3) == 0 {
        format!("\\b{chain}")
    } else {
        chain
    }
}

fn words(rng: &mut Rng, n: usize) -> String {
    let mut out: Vec<&str> = (0..n).map(|_| rng.pick(SPAM_WORDS)).collect();
    out.sort_unstable();
    out.dedup();
    out.join("|")
}

/// One pattern for `target`; returns (pattern, flags).
fn pattern(rng: &mut Rng, target: &str) -> (String, &'static str) {
    let w = |rng: &mut Rng| rng.pick(SPAM_WORDS);
    match target {
        "subject" => match rng.below(6) {
            0 => (
                format!("^\\s*(?:re|fwd?):\\s*.{{0,20}}\\b{}\\b", w(rng)),
                "i",
            ),
            1 => ("^[^a-z]{12,}$".into(), ""),
            2 => (format!("[!$?]{{2,}}.{{0,30}}\\b(?:{})", words(rng, 3)), "i"),
            3 => (obfuscation_chain(w(rng), rng), "i"),
            4 => (
                format!("\\b(?:{})\\b.{{0,25}}\\d{{2,}}%", words(rng, 4)),
                "i",
            ),
            _ => (format!("^(?!re:).*\\b{}\\b", w(rng)), "i"),
        },
        "header:from" => match rng.below(5) {
            0 => (format!("\\b[a-z]{{2,}}\\d{{{},}}@", 3 + rng.below(3)), "i"),
            1 => (
                format!("\"[^\"]*\\b(?:{})\\b[^\"]*\"\\s*<", words(rng, 3)),
                "i",
            ),
            2 => (format!("@[a-z0-9-]+\\.{}\\b", rng.pick(TLDS)), "i"),
            3 => (format!("^[^<]*[a-z0-9]{{{},}}@", 10 + rng.below(6)), "i"),
            _ => (format!("(\\w{{{},}})[._-]\\1@", 2 + rng.below(3)), "i"),
        },
        "url" => match rng.below(6) {
            0 => (
                "^https?://\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}".into(),
                "",
            ),
            1 => (format!("\\.{}(?:/|$)", rng.pick(TLDS)), "i"),
            2 => ("[?&](?:id|uid|token|ref)=[a-f0-9]{16,}".into(), "i"),
            3 => (
                format!("^https?://[^/]*{}", obfuscation_chain(w(rng), rng)),
                "i",
            ),
            4 => ("^https?://[^/]*[a-z0-9]{20,}\\.".into(), "i"),
            _ => (
                "^https?://[^/]+/(?:[^/]+/){3,}[^/]*\\.(?:php|exe|scr)".into(),
                "i",
            ),
        },
        _ => match rng.below(100) {
            // Literal-anchored phrases, alternations and gaps: cheap in Hyperscan.
            0..=21 => (
                format!("\\b(?:{})\\s+(?:{})\\b", words(rng, 3), words(rng, 2)),
                "i",
            ),
            22..=33 => (format!("\\b{}\\b.{{0,40}}\\b{}\\b", w(rng), w(rng)), "i"),
            34..=43 => (format!("\\b(?:{})\\b", words(rng, 10)), "i"),
            44..=49 => (
                format!("\\b{}\\s+(?:\\w+\\s+){{0,3}}{}\\b", w(rng), w(rng)),
                "i",
            ),
            // Obfuscation chains: no literal longer than one byte.
            50..=64 => (obfuscation_chain(w(rng), rng), "i"),
            // Character-class runs without literals, with varied bounds as
            // rule writers tune them.
            65..=75 => {
                let n = 3 + rng.below(4);
                match rng.below(11) {
                    0 => {
                        let run = format!("[A-Z]{{{n},}}");
                        let count = 2 + rng.below(3);
                        (format!("\\b{}\\b", vec![run; count].join("\\s+")), "")
                    }
                    1 => (
                        format!("\\$\\s?\\d{{1,3}}(?:,\\d{{3}}){{{},3}}", 1 + rng.below(2)),
                        "",
                    ),
                    2 => {
                        let sep = ["[-.\\s]", "[-.]", "\\W?"][rng.below(3)];
                        (format!("\\b\\d{{3}}{sep}\\d{{3}}{sep}\\d{{4}}\\b"), "")
                    }
                    3 => (
                        format!(
                            "{}{{{n},}}",
                            ["[!?]", "[!?*]", "[$!]", "[*#]"][rng.below(4)]
                        ),
                        "",
                    ),
                    4 => (format!("\\b[a-z0-9]{{{},}}\\b", 18 + rng.below(14)), "i"),
                    5 => (format!("(?:[a-z]\\d){{{n},}}"), "i"),
                    6 => (format!("[^\\s@]{{{},}}@[^\\s@]+", 12 + rng.below(12)), "i"),
                    7 => (
                        format!(
                            "\\b\\d{{1,3}}(?:\\.\\d{{1,3}}){{3}}(?::\\d{{{},5}})?\\b",
                            1 + rng.below(3)
                        ),
                        "",
                    ),
                    8 => (format!("(?:[A-Z][a-z]+){{{n},}}[A-Z]"), ""),
                    9 => (
                        format!(
                            "(?:\\w+[\\s_]){{{}}}\\w{{{},}}",
                            1 + rng.below(3),
                            18 + rng.below(9)
                        ),
                        "i",
                    ),
                    _ => (format!("\\b(?:[a-z]\\s){{{},}}", 4 + rng.below(5)), "i"),
                }
            }
            // Bounded repeats between classes and one word.
            76..=86 => (
                format!("\\b{}\\W{{1,3}}\\w{{2,12}}\\W{{1,3}}\\d{{2,}}", w(rng)),
                "i",
            ),
            // Look-around and back-references: the PCRE2 paths.
            _ => {
                let word = w(rng);
                match rng.below(5) {
                    0 => (format!("\\b{word}(?!\\s+(?:policy|statement|notice))"), "i"),
                    1 => (format!("(?<!\\bno\\s)\\b{word}\\b"), "i"),
                    2 => {
                        let n = 3 + rng.below(4);
                        let again = if rng.below(2) == 0 { "\\s+\\1" } else { "" };
                        (format!("\\b(\\w{{{n},}})\\s+\\1{again}\\b"), "i")
                    }
                    3 => (format!("\\b(?=\\w*\\d)(?=\\w*[a-z]){word}\\w{{3,}}"), "i"),
                    _ => (
                        format!("\\b{word}\\b(?=.{{0,60}}\\b(?:{})\\b)", words(rng, 3)),
                        "i",
                    ),
                }
            }
        },
    }
}

/// `n` rules as rule files: (file name, TOML text), four files by target.
pub fn generate(n: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let targets = [
        ("body", 55),
        ("rawbody", 10),
        ("subject", 15),
        ("header:from", 10),
        ("url", 10),
    ];
    let mut files: Vec<(String, String)> = targets
        .iter()
        .map(|(t, _)| (format!("hard_{}.toml", t.replace(':', "_")), String::new()))
        .collect();
    for i in 0..n {
        let mut roll = rng.below(100);
        let slot = targets
            .iter()
            .position(|(_, share)| {
                let hit = roll < *share;
                roll = roll.saturating_sub(*share);
                hit
            })
            .unwrap_or(0);
        let target = targets[slot].0;
        let (pattern, flags) = pattern(&mut rng, target);
        let score = 0.1 + (rng.below(30) as f64) / 10.0;
        let text = &mut files[slot].1;
        let _ = write!(
            text,
            "[[rule]]\nid = \"HARD_{i:05}\"\ndescription = \"Generated {target} rule {i}\"\n\
             score = {score:.1}\nchannels = [\"email\"]\ntarget = \"{target}\"\n\
             pattern = '''{pattern}'''\nflags = \"{flags}\"\n\n"
        );
    }
    files.retain(|(_, text)| !text.is_empty());
    files
}

/// `count` email messages of about 7 KB, half of them spam-like (spam words,
/// obfuscated spellings, shouting, prices, odd URLs), as one mbox.
pub fn messages(count: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    for m in 0..count {
        let spam = m % 2 == 0;
        let mut body = String::new();
        while body.len() < 6500 {
            let word = if spam && rng.below(6) == 0 {
                let w = rng.pick(SPAM_WORDS);
                match rng.below(5) {
                    0 => w.replace('i', "1").replace('a', "@"),
                    1 => w.chars().map(|c| format!("{c}.")).collect(),
                    2 => w.to_uppercase(),
                    _ => w.to_string(),
                }
            } else {
                rng.pick(FILLER).to_string()
            };
            body.push_str(&word);
            body.push_str(match rng.below(14) {
                0 => ".\n",
                1 => ", ",
                2 if spam => "!!! ",
                3 if spam => " $1,299.00 ",
                _ => " ",
            });
        }
        let tld = rng.pick(TLDS);
        let subject_word = rng.pick(if spam { SPAM_WORDS } else { FILLER });
        let _ = write!(
            out,
            "From sender@example.com Mon Nov 23 10:00:00 2026\n\
             From: \"{} Team\" <user{}@mail{}.{tld}>\nTo: you@example.org\n\
             Subject: {}{subject_word} news {m}\nMessage-ID: <{m}@gen>\n\
             Content-Type: text/plain; charset=us-ascii\n\n{body}\n\
             http://www.{}{}.{tld}/a/b/c/d/index.php?id={:016x}\n\n",
            rng.pick(SPAM_WORDS),
            rng.below(100_000),
            m,
            if spam { "RE: " } else { "" },
            rng.pick(SPAM_WORDS),
            rng.below(1000),
            rng.next_u64(),
        );
    }
    out
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/hard-rules".into()));
    let mut n = 1500;
    let mut mbox: Option<(PathBuf, usize)> = None;
    while let Some(arg) = args.next() {
        if arg == "--mbox" {
            let path = args.next().ok_or("--mbox FILE COUNT")?;
            let count = args.next().ok_or("--mbox FILE COUNT")?.parse()?;
            mbox = Some((PathBuf::from(path), count));
        } else {
            n = arg.parse()?;
        }
    }
    std::fs::create_dir_all(&dir)?;
    for (name, text) in generate(n, 0x5eed) {
        std::fs::write(dir.join(name), text)?;
    }
    println!("{n} rules in {}", dir.display());
    if let Some((path, count)) = mbox {
        std::fs::write(&path, messages(count, 0x5eed))?;
        println!("{count} messages in {}", path.display());
    }
    Ok(())
}
