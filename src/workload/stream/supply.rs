//! What a stream is made of, read from the corpora at run time
//! (`../shared/corpora`, never committed): ham texts, each to be sent once,
//! and spam texts that campaigns are templated on.
//!
//! SMS ham comes from the SMS sets first; when a stream needs more, ham mail
//! is cut into SMS-length pieces ([`super::segment`]). Mail ham is whole
//! mails from the list archives and Enron-Spam's ham. Exact repeats (after
//! case, spacing and punctuation are folded) are dropped: a text sent twice
//! is bulk, and the stream's ham must not be.
//!
//! Campaign templates are real spam: the SMS spam sets (not SpamHunter's
//! lemmatised text or the digit-masked Chinese set), and for mail the spam
//! and phishing mboxes and Enron-Spam's spam; never `phishing_pot`, whose
//! licence allows measuring but not shipping a model trained on it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::super::Rng;
use super::segment;
use crate::ingest::{email, mbox, IngestConfig};
use crate::message::Channel;

/// A text of the corpora: a mail's subject and body, or an SMS (no subject).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    /// The mail's subject; `None` for SMS.
    pub subject: Option<String>,
    /// The SMS text or the mail's body.
    pub body: String,
}

impl Text {
    /// An SMS text.
    pub fn sms(body: &str) -> Text {
        Text {
            subject: None,
            body: body.to_string(),
        }
    }
}

/// Ham to send once each and spam to template campaigns on.
#[derive(Clone, Debug, Default)]
pub struct Supply {
    /// Distinct ham, best first: the channel's own ham, then (for SMS)
    /// pieces cut from mail in a seeded random order.
    pub ham: Vec<Text>,
    /// How many of `ham` are the channel's own (the rest are cut from mail).
    pub native_ham: usize,
    /// Distinct spam texts, in a seeded random order.
    pub spam: Vec<Text>,
}

/// Why the corpora could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SupplyError {
    /// A file or folder the generator reads is not there.
    #[error("{path}: not found (is ../shared/corpora beside the checkout? give --corpora DIR)")]
    Missing {
        /// What was looked for.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The SMS sets whose spam is real text, fit to template a campaign on.
const SMS_SPAM_FILES: &[&str] = &[
    "sms_spam_collection.train.tsv",
    "exais_nigeria_en.tsv",
    "smishtank_en.tsv",
    "mendeley_smishing_en.tsv",
];

impl Supply {
    /// Reads the corpora under `dir` for `channel`, ordering with `seed`.
    pub fn load(dir: &Path, channel: Channel, seed: u64) -> Result<Supply, SupplyError> {
        let mut rng = Rng::new(seed ^ 0x5eed_5a1e);
        let mut seen = Seen::default();
        let mut supply = Supply::default();
        let mail_ham = mail_ham(dir)?;
        match channel {
            Channel::Email => {
                supply.ham = mail_ham.into_iter().filter(|t| seen.first(t)).collect();
                shuffle(&mut supply.ham, &mut rng);
                supply.native_ham = supply.ham.len();
                supply.spam = mail_spam(dir)?;
            }
            _ => {
                for file in tsv_files(&dir.join("sms"))? {
                    for (label, text) in read_tsv(&file)? {
                        let text = Text::sms(&text);
                        if label == "ham" && seen.first(&text) {
                            supply.ham.push(text);
                        }
                    }
                }
                shuffle(&mut supply.ham, &mut rng);
                supply.native_ham = supply.ham.len();
                // Pieces as long as the SMS ham of the Latin-script sets:
                // a character of Chinese says more than one of English.
                let lengths: Vec<usize> = supply
                    .ham
                    .iter()
                    .filter(|t| t.body.is_ascii())
                    .map(|t| t.body.len())
                    .collect();
                let mut pieces = Vec::new();
                for mail in &mail_ham {
                    segment::cut(&mail.body, &lengths, &mut rng, &mut pieces);
                }
                let mut pieces: Vec<Text> = pieces
                    .iter()
                    .map(|p| Text::sms(p))
                    .filter(|t| seen.first(t))
                    .collect();
                shuffle(&mut pieces, &mut rng);
                supply.ham.extend(pieces);
                for name in SMS_SPAM_FILES {
                    for (label, text) in read_tsv(&dir.join("sms").join(name))? {
                        let chars = text.chars().count();
                        let text = Text::sms(&text);
                        if label == "spam" && (60..=320).contains(&chars) && seen.first(&text) {
                            supply.spam.push(text);
                        }
                    }
                }
            }
        }
        shuffle(&mut supply.spam, &mut rng);
        Ok(supply)
    }
}

/// Remembers the texts taken, folded so that case, spacing and punctuation
/// do not make a repeat look new.
#[derive(Default)]
struct Seen(HashSet<u64>);

impl Seen {
    fn first(&mut self, text: &Text) -> bool {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let subject = text.subject.as_deref().unwrap_or("");
        for c in subject.chars().chain(['\u{1}']).chain(text.body.chars()) {
            if c.is_alphanumeric() || c == '\u{1}' {
                for lower in c.to_lowercase() {
                    hash ^= u64::from(lower);
                    hash = hash.wrapping_mul(0x0100_0000_01b3);
                }
            }
        }
        !text.body.trim().is_empty() && self.0.insert(hash)
    }
}

fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// Ham mail: the list archives' mails (subject and plain text), then
/// Enron-Spam's ham (its text made readable again).
fn mail_ham(dir: &Path) -> Result<Vec<Text>, SupplyError> {
    let mut out = Vec::new();
    for file in files(&dir.join("email").join("ham"), "mbox")? {
        read_mbox(&file, &mut out)?;
    }
    for file in files(&dir.join("email").join("enron"), "jsonl")? {
        read_enron(&file, "ham", &mut out)?;
    }
    Ok(out)
}

/// Spam mail to template campaigns on: the spam and phishing mboxes except
/// `phishing_pot`, and Enron-Spam's spam; bodies of 100 to 4,000 characters.
fn mail_spam(dir: &Path) -> Result<Vec<Text>, SupplyError> {
    let mut all = Vec::new();
    for sub in ["spam", "phishing"] {
        for file in files(&dir.join("email").join(sub), "mbox")? {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.starts_with("phishing_pot") {
                read_mbox(&file, &mut all)?;
            }
        }
    }
    for file in files(&dir.join("email").join("enron"), "jsonl")? {
        read_enron(&file, "spam", &mut all)?;
    }
    let mut seen = Seen::default();
    Ok(all
        .into_iter()
        .filter(|t| (100..=4_000).contains(&t.body.chars().count()) && seen.first(t))
        .collect())
}

fn read_mbox(path: &Path, out: &mut Vec<Text>) -> Result<(), SupplyError> {
    let bytes = read(path)?;
    let config = IngestConfig::default();
    for raw in mbox::split(&bytes) {
        let msg = email::parse(raw, &config);
        let part = msg
            .text_parts
            .iter()
            .find(|p| p.content_type == "text/plain")
            .or(msg.text_parts.first());
        if let Some(part) = part {
            out.push(Text {
                subject: Some(msg.subject.clone().unwrap_or_default()),
                body: part.text.clone(),
            });
        }
    }
    Ok(())
}

fn read_enron(path: &Path, label: &str, out: &mut Vec<Text>) -> Result<(), SupplyError> {
    let bytes = read(path)?;
    for line in String::from_utf8_lossy(&bytes).lines() {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if row.get("label").and_then(|l| l.as_str()) != Some(label) {
            continue;
        }
        let Some(text) = row.get("text").and_then(|t| t.as_str()) else {
            continue;
        };
        let (subject, body) = match text.strip_prefix("Subject: ") {
            Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
            None => ("", text),
        };
        let body: Vec<String> = body.lines().map(segment::detokenise).collect();
        out.push(Text {
            subject: Some(segment::detokenise(subject.trim())),
            body: body.join("\n"),
        });
    }
    Ok(())
}

fn read_tsv(path: &Path) -> Result<Vec<(String, String)>, SupplyError> {
    let bytes = read(path)?;
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(label, text)| (label.trim().to_string(), text.trim().to_string()))
        .filter(|(_, text)| !text.is_empty())
        .collect())
}

fn tsv_files(dir: &Path) -> Result<Vec<PathBuf>, SupplyError> {
    files(dir, "tsv")
}

/// The files of `dir` ending in `.ext`, sorted so that the order (and the
/// stream made from it) does not depend on the file system.
fn files(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, SupplyError> {
    let entries = std::fs::read_dir(dir).map_err(|_| SupplyError::Missing {
        path: dir.to_path_buf(),
    })?;
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    out.sort();
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>, SupplyError> {
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => SupplyError::Missing {
            path: path.to_path_buf(),
        },
        _ => SupplyError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A corpora folder in miniature, laid out as `../shared/corpora` is.
    fn corpora(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("floodwall-supply-{name}-{}", std::process::id()));
        for sub in [
            "sms",
            "email/ham",
            "email/enron",
            "email/spam",
            "email/phishing",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let write = |path: &str, text: &str| std::fs::write(dir.join(path), text).unwrap();
        write(
            "sms/sms_spam_collection.train.tsv",
            "ham\tSee you at the station at six\nham\tsee you at the STATION at six!\n\
             spam\tWINNER!! You have been selected for a cash prize. Call 09061701461 to claim now\n",
        );
        write(
            "sms/exais_nigeria_en.tsv",
            "ham\tYour account was credited with 500\n",
        );
        for name in ["smishtank_en.tsv", "mendeley_smishing_en.tsv"] {
            write(&format!("sms/{name}"), "");
        }
        let prose =
            "I think the driver should probe the device later than it does today. ".repeat(6);
        write(
            "email/ham/list.mbox",
            &format!("From a@b.example Mon Mar  2 00:00:00 2026\nSubject: probe order\n\n{prose}\n> quoted reply text here\n"),
        );
        write(
            "email/enron/enron1.jsonl",
            "{\"label\": \"ham\", \"id\": \"1\", \"text\": \"Subject: gas\\nthe deal is done , thanks .\"}\n\
             {\"label\": \"spam\", \"id\": \"2\", \"text\": \"Subject: cheap meds\\nbuy cheap meds online now at our store , best prices guaranteed for every customer who orders today and tomorrow .\"}\n",
        );
        let spam_body = "Dear customer, your mailbox is full. Verify your account at http://verify.example/login now or it will be closed within 24 hours.";
        write(
            "email/spam/phishing_pot-2024.mbox",
            &format!("From x@y Mon Mar  2 00:00:00 2026\nSubject: pot\n\nPOT {spam_body}\n"),
        );
        write(
            "email/phishing/phishing0.mbox",
            &format!("From x@y Mon Mar  2 00:00:00 2026\nSubject: Mailbox full\n\n{spam_body}\n"),
        );
        dir
    }

    #[test]
    fn sms_supply_is_the_sms_ham_then_mail_pieces_without_repeats() {
        let supply = Supply::load(&corpora("sms"), Channel::Sms, 1).unwrap();
        assert_eq!(supply.native_ham, 2, "the folded repeat is dropped");
        assert!(supply.ham.len() > supply.native_ham, "mail was cut");
        assert!(supply.ham.iter().all(|t| !t.body.contains("quoted")));
        assert_eq!(supply.spam.len(), 1);
        assert!(supply.spam[0].body.starts_with("WINNER"));
    }

    #[test]
    fn mail_spam_templates_never_come_from_phishing_pot() {
        let supply = Supply::load(&corpora("mail"), Channel::Email, 1).unwrap();
        assert_eq!(supply.ham.len(), 2);
        assert!(supply
            .ham
            .iter()
            .any(|t| t.body == "the deal is done, thanks."));
        assert_eq!(supply.spam.len(), 2);
        assert!(supply.spam.iter().all(|t| !t.body.contains("POT")));
    }

    #[test]
    fn missing_corpora_are_named() {
        let err = Supply::load(Path::new("/nonexistent/corpora"), Channel::Sms, 1).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/corpora"), "{err}");
    }
}
