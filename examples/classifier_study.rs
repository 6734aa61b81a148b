//! The classifier study: features and models chosen by cross-corpus
//! measurement on `../shared/corpora` (see `src/classifier/mod.rs` for the
//! figures it gave).
//!
//! ```sh
//! cargo run --release --example classifier_study -- sms    [CORPORA]
//! cargo run --release --example classifier_study -- sms-tune [CORPORA]
//! cargo run --release --example classifier_study -- mail   [CORPORA]
//! cargo run --release --example classifier_study -- mail-shipped [CORPORA]
//! cargo run --release --example classifier_study -- mail-learning [CORPORA]
//! cargo run --release --example classifier_study -- timing [CORPORA]
//! cargo run --release --example classifier_study -- save-text  OUT.fwm [CORPORA]
//! cargo run --release --example classifier_study -- save-email OUT.fwm [CORPORA]
//! ```
//!
//! No figure is reported on data a model was trained on: SMS figures come
//! from 10-fold cross-validation or from sources held back whole; mail
//! figures from models that never saw the held-back list or spam source.
//! phishing_pot (CC BY-NC) is only ever a test set.

use std::path::{Path, PathBuf};
use std::time::Instant;

use floodwall::classifier::metrics::{roc_auc, sc_at_bh, Confusion};
use floodwall::classifier::{Family, FeatureKinds, FeatureParams, Features, Model, TrainOptions};
use floodwall::ingest::record::SmsRecord;
use floodwall::ingest::{email, mbox, IngestConfig};
use floodwall::message::{Channel, Message};

/// Scores with their labels (`true` = spam).
type Scores = Vec<(f32, bool)>;

/// One labelled message, as the features a model reads.
struct Example {
    features: Vec<u32>,
    spam: bool,
    group: usize,
}

/// Labelled examples from named groups (a list, a spam source, an SMS set).
struct Corpus {
    groups: Vec<String>,
    examples: Vec<Example>,
}

impl Corpus {
    fn new() -> Corpus {
        Corpus {
            groups: Vec::new(),
            examples: Vec::new(),
        }
    }

    fn group(&mut self, name: &str) -> usize {
        match self.groups.iter().position(|g| g == name) {
            Some(i) => i,
            None => {
                self.groups.push(name.to_string());
                self.groups.len() - 1
            }
        }
    }

    fn group_id(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g == name)
    }
}

fn sms(text: &str) -> Message<'static> {
    SmsRecord {
        from: None,
        to: Default::default(),
        text: text.to_string(),
        subject: None,
        channel: None,
        time: None,
    }
    .into_message()
}

/// `label<TAB>text` lines.
fn read_tsv(path: &Path) -> Vec<(String, bool)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (is ../shared/corpora there?)", path.display()));
    text.lines()
        .filter_map(|line| {
            let (label, text) = line.split_once('\t')?;
            Some((text.to_string(), label == "spam"))
        })
        .collect()
}

/// Enron's header-less, tokenised mails as text-only email messages.
fn read_enron(path: &Path) -> Vec<(Message<'static>, bool)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            let body = value.get("text")?.as_str()?;
            let spam = value.get("label")?.as_str()? == "spam";
            let (subject, body) = match body.strip_prefix("Subject: ") {
                Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
                None => ("", body),
            };
            // A text record turned mail: no headers, one text part.
            let mut msg = sms(body);
            msg.channel = Channel::Email;
            msg.subject = Some(subject.to_string());
            Some((msg, spam))
        })
        .collect()
}

fn corpora_dir(arg: Option<&String>) -> PathBuf {
    arg.map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/corpora"))
}

/// How a model is fitted and scores.
#[derive(Clone, Copy, Debug)]
enum Learner {
    Logistic(TrainOptions),
    /// Naive Bayes over present features (binary multinomial NB, the kind of
    /// token counting rspamd's and SpamAssassin's Bayes do), Laplace
    /// smoothing `alpha`.
    NaiveBayes {
        alpha: f32,
    },
}

/// A fitted model's scoring function over feature indices: a log-odds
/// (naive Bayes sums hundreds of them: a probability would round to 0 or 1
/// and tie).
enum Fitted {
    Logistic(Box<Model>),
    NaiveBayes { weights: Vec<f32>, prior: f32 },
}

impl Fitted {
    fn margin(&self, features: &mut Features, indices: &[u32]) -> f32 {
        match self {
            Fitted::Logistic(model) => {
                features.set_indices(indices);
                model.margin(features)
            }
            Fitted::NaiveBayes { weights, prior } => {
                prior + indices.iter().map(|&i| weights[i as usize]).sum::<f32>()
            }
        }
    }
}

fn fit(
    learner: Learner,
    family: Family,
    params: FeatureParams,
    train: &[(&[u32], bool)],
) -> Fitted {
    match learner {
        Learner::Logistic(options) => {
            let mut model = Model::new(family, params, options);
            model.train_features(train);
            Fitted::Logistic(Box::new(model))
        }
        Learner::NaiveBayes { alpha } => {
            let size = 1usize << params.bits;
            let mut spam_counts = vec![0u32; size];
            let mut ham_counts = vec![0u32; size];
            let (mut spam_docs, mut ham_docs) = (0f32, 0f32);
            for (indices, spam) in train {
                let (counts, docs) = if *spam {
                    (&mut spam_counts, &mut spam_docs)
                } else {
                    (&mut ham_counts, &mut ham_docs)
                };
                *docs += 1.0;
                for &i in *indices {
                    counts[i as usize] += 1;
                }
            }
            let weights = spam_counts
                .iter()
                .zip(&ham_counts)
                .map(|(&s, &h)| {
                    ((s as f32 + alpha) / (spam_docs + 2.0 * alpha)).ln()
                        - ((h as f32 + alpha) / (ham_docs + 2.0 * alpha)).ln()
                })
                .collect();
            let prior = ((spam_docs + 1.0) / (ham_docs + 1.0)).ln();
            Fitted::NaiveBayes { weights, prior }
        }
    }
}

fn extract_all(
    msgs: impl Iterator<Item = (Message<'static>, bool)>,
    family: Family,
    params: FeatureParams,
    group: usize,
    out: &mut Vec<Example>,
) {
    let mut features = Features::default();
    for (msg, spam) in msgs {
        features.extract(&msg, family, params);
        out.push(Example {
            features: features.indices().to_vec(),
            spam,
            group,
        });
    }
}

/// A fold number from an index, spread by a hash (the files are in
/// collection order).
fn fold_of(i: usize, folds: usize) -> usize {
    let mut x = (i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((x ^ (x >> 31)) % folds as u64) as usize
}

fn pct(x: f64) -> String {
    format!("{:6.2}%", 100.0 * x)
}

fn report(name: &str, scored: &[(f32, bool)], max_bh: f64, natural: f32) {
    let auc = roc_auc(scored).map_or("   -  ".into(), |a| format!("{a:.4}"));
    let point = sc_at_bh(scored, max_bh);
    let at = Confusion::at(scored, natural);
    println!(
        "{name:<44} AUC {auc}  SC@BH<={:.1}%: {} (BH {})  at p>=0.5: SC {} BH {} Acc {} MCC {:.3}  [spam {} ham {}]",
        100.0 * max_bh,
        pct(point.confusion.sc()),
        pct(point.confusion.bh()),
        pct(at.sc()),
        pct(at.bh()),
        pct(at.accuracy()),
        at.mcc(),
        at.spam_caught + at.spam_missed,
        at.ham_blocked + at.ham_passed,
    );
}

/// Examples of each class taken from each extra SMS set (see [`sms_cv`]).
const SMS_EXTRA_CAP: usize = 100;

const SMS_EXTRAS: [&str; 6] = [
    "exais_nigeria_en",
    "smishtank_en",
    "mendeley_smishing_en",
    "indonesian_rahmi_wibisono",
    "chinese_800k_first10k",
    "spamhunter_twitter_multi",
];

fn load_sms(dir: &Path, params: FeatureParams) -> Corpus {
    let mut corpus = Corpus::new();
    let mut names = vec!["sms_spam_collection.train"];
    names.extend(SMS_EXTRAS);
    for name in names {
        let group = corpus.group(name);
        let rows = read_tsv(&dir.join("sms").join(format!("{name}.tsv")));
        extract_all(
            rows.into_iter().map(|(t, s)| (sms(&t), s)),
            Family::Text,
            params,
            group,
            &mut corpus.examples,
        );
    }
    corpus
}

/// 10-fold cross-validation on the SMS Spam Collection split, training
/// folds extended by the `extra` groups; also scores the `held_back`
/// examples, each with one fold's model. Returns (collection scores,
/// held-back scores).
fn sms_cv(
    corpus: &Corpus,
    learner: Learner,
    params: FeatureParams,
    extra: &[usize],
    held_back: Option<usize>,
    cap: usize,
) -> (Scores, Scores) {
    const FOLDS: usize = 10;
    let collection = 0;
    // At most `cap` examples of each class from each extra set, picked
    // by hash: SpamHunter alone has 20,000 spam, and unweighed it decides
    // what the model learns.
    let mut sizes = std::collections::HashMap::new();
    for e in &corpus.examples {
        *sizes.entry((e.group, e.spam)).or_insert(0usize) += 1;
    }
    let within_cap = |i: usize, e: &Example| {
        let size = sizes[&(e.group, e.spam)];
        size <= cap || fold_of(i ^ 0x55, size) < cap
    };
    let mut cv = Vec::new();
    let mut held = Vec::new();
    let mut features = Features::default();
    for fold in 0..FOLDS {
        let train: Vec<(&[u32], bool)> = corpus
            .examples
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                (e.group == collection && fold_of(*i, FOLDS) != fold)
                    || (extra.contains(&e.group) && within_cap(*i, e))
            })
            .map(|(_, e)| (e.features.as_slice(), e.spam))
            .collect();
        let model = fit(learner, Family::Text, params, &train);
        for (i, e) in corpus.examples.iter().enumerate() {
            let test =
                (e.group == collection || Some(e.group) == held_back) && fold_of(i, FOLDS) == fold;
            if test {
                let score = model.margin(&mut features, &e.features);
                if e.group == collection {
                    cv.push((score, e.spam));
                } else {
                    held.push((score, e.spam));
                }
            }
        }
    }
    (cv, held)
}

fn text_params(kinds: FeatureKinds) -> FeatureParams {
    FeatureParams {
        kinds,
        ..FeatureParams::default_for(Family::Text)
    }
}

/// A grid over training options and extra-set caps, on the SMS Spam
/// Collection's 10-fold CV.
fn tune_sms(dir: &Path) {
    let full = FeatureKinds::TEXT_DEFAULT;
    let words = FeatureKinds::WORDS.with(FeatureKinds::URLS);
    for (name, kinds) in [("words", words), ("words+bigrams+char", full)] {
        let params = text_params(kinds);
        let corpus = load_sms(dir, params);
        for learning_rate in [0.2, 0.5, 1.0] {
            for epochs in [3, 6, 15] {
                for l2 in [1e-6, 1e-4] {
                    let options = TrainOptions {
                        learning_rate,
                        epochs,
                        l2,
                        ..TrainOptions::default()
                    };
                    let (cv, _) = sms_cv(
                        &corpus,
                        Learner::Logistic(options),
                        params,
                        &[],
                        None,
                        usize::MAX,
                    );
                    report(
                        &format!("LR {name} lr {learning_rate} ep {epochs} l2 {l2}"),
                        &cv,
                        0.002,
                        0.0,
                    );
                }
            }
        }
        let extras: Vec<usize> = SMS_EXTRAS
            .iter()
            .filter_map(|n| corpus.group_id(n))
            .collect();
        for cap in [100, 300, 1000] {
            let (cv, _) = sms_cv(
                &corpus,
                Learner::Logistic(TrainOptions::default()),
                params,
                &extras,
                None,
                cap,
            );
            report(
                &format!("LR {name} +extras capped at {cap}"),
                &cv,
                0.002,
                0.0,
            );
        }
    }
}

fn study_sms(dir: &Path, cap: usize) {
    let lr = Learner::Logistic(TrainOptions::default());
    let nb = Learner::NaiveBayes { alpha: 1.0 };
    let words = FeatureKinds::WORDS.with(FeatureKinds::URLS);
    let bigrams = words.with(FeatureKinds::BIGRAMS);
    let full = FeatureKinds::TEXT_DEFAULT;
    let ngrams_only = FeatureKinds::CHAR_NGRAMS.with(FeatureKinds::URLS);
    println!("== SMS: 10-fold CV on sms_spam_collection.train.tsv (1,551; 220 spam) ==");
    let mut loaded = Vec::new();
    for (name, kinds) in [
        ("words", words),
        ("words+bigrams", bigrams),
        ("char 3-5grams", ngrams_only),
        ("words+bigrams+char 3-5grams", full),
    ] {
        let params = text_params(kinds);
        let corpus = load_sms(dir, params);
        for (lname, learner) in [("LR", lr), ("NB", nb)] {
            let (cv, _) = sms_cv(&corpus, learner, params, &[], None, usize::MAX);
            report(&format!("{lname} {name}"), &cv, 0.002, 0.0);
        }
        loaded.push((name, params, corpus));
    }
    println!();
    println!("== SMS: cross-source, logistic regression. Training: the CV folds of the collection plus the other sets (capped, see each block); the held-back set is scored whole by the fold models. SC@BH uses the collection's out-of-fold ham ==");
    for (name, params, corpus) in loaded.iter().filter(|(n, _, _)| n.contains("bigrams")) {
        for cap in [cap, 1000] {
            println!("-- {name}, at most {cap} of each class from each extra set");
            let params = *params;
            let extras: Vec<usize> = SMS_EXTRAS
                .iter()
                .filter_map(|n| corpus.group_id(n))
                .collect();
            for learner in [lr] {
                let label = match learner {
                    Learner::Logistic(_) => "LR",
                    Learner::NaiveBayes { .. } => "NB",
                };
                let (cv, _) = sms_cv(corpus, learner, params, &extras, None, cap);
                report(
                    &format!("{label} collection CV, +all extra sets"),
                    &cv,
                    0.002,
                    0.0,
                );
                let english: Vec<usize> = extras
                    .iter()
                    .copied()
                    .filter(|&g| {
                        !corpus.groups[g].starts_with("spamhunter")
                            && !corpus.groups[g].starts_with("chinese")
                            && !corpus.groups[g].starts_with("indonesian")
                    })
                    .collect();
                let (cv, _) = sms_cv(corpus, learner, params, &english, None, cap);
                report(
                    &format!("{label} collection CV, +English extra sets"),
                    &cv,
                    0.002,
                    0.0,
                );
                for &held in &extras {
                    let others: Vec<usize> =
                        extras.iter().copied().filter(|&g| g != held).collect();
                    let (cv, held_scores) =
                        sms_cv(corpus, learner, params, &others, Some(held), cap);
                    let ham_threshold = sc_at_bh(&cv, 0.002).threshold;
                    let spam: Vec<(f32, bool)> =
                        held_scores.iter().copied().filter(|s| s.1).collect();
                    let ham: Vec<(f32, bool)> =
                        held_scores.iter().copied().filter(|s| !s.1).collect();
                    let sc_fixed = Confusion::at(&spam, ham_threshold).sc();
                    let mut vs_collection_ham: Vec<(f32, bool)> =
                        cv.iter().copied().filter(|s| !s.1).collect();
                    vs_collection_ham.extend(&spam);
                    let own_auc =
                        roc_auc(&held_scores).map_or("  -   ".into(), |a| format!("{a:.4}"));
                    println!(
                "{label} held back {:<28} spam {:5} SC at collection BH<=0.2%: {}  SC@p>=0.5 {}  AUC vs collection ham {:.4}  | own ham {:5} BH at that threshold {}  own AUC {own_auc}",
                corpus.groups[held],
                spam.len(),
                pct(sc_fixed),
                pct(Confusion::at(&spam, 0.0).sc()),
                roc_auc(&vs_collection_ham).unwrap_or(f64::NAN),
                ham.len(),
                pct(Confusion::at(&ham, ham_threshold).bh()),
            );
                }
            }
        }
    }
}

/// The list a ham archive belongs to: its file name without the period.
fn list_name(file: &str) -> String {
    let stem = file.trim_end_matches(".mbox");
    let cut = stem
        .find(|c: char| c.is_ascii_digit())
        .map_or(stem, |i| stem[..i].trim_end_matches('-'));
    cut.trim_end_matches("-pipermail")
        .trim_end_matches("-list")
        .to_string()
}

fn mbox_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mbox"))
        .collect();
    files.sort();
    files
}

/// Which mail groups a model may be trained on: every one but phishing_pot.
fn trainable(name: &str) -> bool {
    !name.starts_with("phishing_pot")
}

fn load_mail(dir: &Path, params: FeatureParams, enron: bool) -> Corpus {
    let config = IngestConfig::default();
    let mut corpus = Corpus::new();
    let mut features = Features::default();
    let mut add = |corpus: &mut Corpus, path: &Path, group: &str, spam: bool| {
        let group = corpus.group(group);
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for raw in mbox::split(&bytes) {
            let msg = email::parse(raw, &config);
            features.extract(&msg, Family::Email, params);
            corpus.examples.push(Example {
                features: features.indices().to_vec(),
                spam,
                group,
            });
        }
    };
    for path in mbox_files(&dir.join("email/ham")) {
        let name = list_name(&path.file_name().unwrap_or_default().to_string_lossy());
        add(&mut corpus, &path, &format!("ham:{name}"), false);
    }
    for path in mbox_files(&dir.join("email/phishing")) {
        add(&mut corpus, &path, "spam:nazario-phishing", true);
    }
    for path in mbox_files(&dir.join("email/spam")) {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let name = if file.starts_with("phishing_pot") {
            "phishing_pot".to_string()
        } else {
            file.split('-').next().unwrap_or(&file).to_string()
        };
        add(&mut corpus, &path, &format!("spam:{name}"), true);
    }
    if enron {
        for n in 1..=6 {
            let group = corpus.group("enron");
            let msgs = read_enron(&dir.join(format!("email/enron/enron{n}.jsonl")));
            extract_all(
                msgs.into_iter(),
                Family::Email,
                params,
                group,
                &mut corpus.examples,
            );
        }
    }
    corpus
}

/// Leave-groups-out over mail: ham list i and spam source j are held out
/// of fold i and fold j respectively, so every score comes from a model
/// that never saw its message's list or source. phishing_pot and Enron are
/// never scored; phishing_pot is scored by fold `i % folds`.
fn mail_folds(corpus: &Corpus, learner: Learner, params: FeatureParams) -> Vec<(f32, bool, usize)> {
    let ham_groups: Vec<usize> = (0..corpus.groups.len())
        .filter(|&g| corpus.groups[g].starts_with("ham:"))
        .collect();
    let spam_groups: Vec<usize> = (0..corpus.groups.len())
        .filter(|&g| corpus.groups[g].starts_with("spam:") && trainable(&corpus.groups[g][5..]))
        .collect();
    let folds = ham_groups.len().max(spam_groups.len());
    let fold_of_group = |g: usize| -> Option<usize> {
        ham_groups
            .iter()
            .position(|&h| h == g)
            .or_else(|| spam_groups.iter().position(|&s| s == g))
    };
    let mut out = Vec::new();
    let mut features = Features::default();
    for fold in 0..folds {
        let train: Vec<(&[u32], bool)> = corpus
            .examples
            .iter()
            .filter(|e| {
                let name = &corpus.groups[e.group];
                trainable(name.trim_start_matches("spam:")) && fold_of_group(e.group) != Some(fold)
            })
            .map(|e| (e.features.as_slice(), e.spam))
            .collect();
        let model = fit(learner, Family::Email, params, &train);
        for (i, e) in corpus.examples.iter().enumerate() {
            let name = &corpus.groups[e.group];
            let scored = match fold_of_group(e.group) {
                Some(f) => f == fold,
                None => !trainable(name.trim_start_matches("spam:")) && i % folds == fold,
            };
            if scored {
                let score = model.margin(&mut features, &e.features);
                out.push((score, e.spam, e.group));
            }
        }
    }
    out
}

fn study_mail(dir: &Path, only_shipped: bool) {
    let lr = Learner::Logistic(TrainOptions::default());
    let nb = Learner::NaiveBayes { alpha: 1.0 };
    let email = FeatureParams::default_for(Family::Email);
    let words_only = FeatureParams {
        kinds: FeatureKinds::WORDS.with(FeatureKinds::BIGRAMS),
        ..email
    };
    let marked = FeatureParams {
        kinds: email.kinds.with(FeatureKinds::TRANSPORT),
        ..email
    };
    println!(
        "== Mail: leave-one-list-and-source-out; phishing_pot (CC BY-NC) is never trained on =="
    );
    for (name, learner, params, enron) in [
        ("LR default features", lr, email, false),
        ("NB default features", nb, email, false),
        ("LR words+bigrams only", lr, words_only, false),
        ("LR default + Enron in training", lr, email, true),
        ("LR default + TRANSPORT marks", lr, marked, false),
    ] {
        if only_shipped && !(enron && matches!(learner, Learner::Logistic(_))) {
            continue;
        }
        let started = Instant::now();
        let corpus = load_mail(dir, params, enron);
        let scores = mail_folds(&corpus, learner, params);
        let pooled: Vec<(f32, bool)> = scores.iter().map(|s| (s.0, s.1)).collect();
        println!("-- {name} ({:.1}s)", started.elapsed().as_secs_f64());
        report("  all held-out mail", &pooled, 0.005, 0.0);
        let threshold = sc_at_bh(&pooled, 0.005).threshold;
        let ham: Vec<(f32, bool)> = pooled.iter().copied().filter(|s| !s.1).collect();
        for (g, group) in corpus.groups.iter().enumerate() {
            let own: Vec<(f32, bool)> = scores
                .iter()
                .filter(|s| s.2 == g)
                .map(|s| (s.0, s.1))
                .collect();
            if own.is_empty() {
                continue;
            }
            if group.starts_with("spam:") {
                let mut vs_ham = ham.clone();
                vs_ham.extend(&own);
                let own_point = sc_at_bh(&vs_ham, 0.005);
                println!(
                    "  {group:<34} {:5} SC at pooled threshold {}  SC@BH<=0.5% vs all held-out ham {}  AUC {:.4}",
                    own.len(),
                    pct(Confusion::at(&own, threshold).sc()),
                    pct(own_point.confusion.sc()),
                    roc_auc(&vs_ham).unwrap_or(f64::NAN),
                );
            } else {
                println!(
                    "  {group:<34} {:5} BH at pooled threshold {}  BH at p>=0.5 {}",
                    own.len(),
                    pct(Confusion::at(&own, threshold).bh()),
                    pct(Confusion::at(&own, 0.0).bh()),
                );
            }
        }
    }
}

/// The feedback loop: a model trained without phishing_pot and two ham
/// lists learns the first N messages of a stream of exactly those (shuffled),
/// one `learn` call each, and is tested on the stream's last 4,000.
fn learning_curve(dir: &Path) {
    let params = FeatureParams::default_for(Family::Email);
    let corpus = load_mail(dir, params, true);
    let new_stream = |name: &str| {
        name == "spam:phishing_pot" || name == "ham:openwrt-devel" || name == "ham:twisted-python"
    };
    let train: Vec<(&[u32], bool)> = corpus
        .examples
        .iter()
        .filter(|e| !new_stream(&corpus.groups[e.group]))
        .map(|e| (e.features.as_slice(), e.spam))
        .collect();
    let mut base = Model::new(Family::Email, params, TrainOptions::default());
    base.train_features(&train);
    let mut stream: Vec<&Example> = corpus
        .examples
        .iter()
        .filter(|e| new_stream(&corpus.groups[e.group]))
        .collect();
    stream.sort_by_key(|e| {
        fold_of(
            e.features.len() * 7919 + e.features.first().copied().unwrap_or(0) as usize,
            1 << 30,
        )
    });
    let test = &stream[stream.len().saturating_sub(4000)..];
    println!(
        "== Mail feedback loop: new stream of phishing_pot + openwrt-devel + twisted-python ({} messages), test on its last {} ==",
        stream.len(),
        test.len()
    );
    let mut features = Features::default();
    for n in [0usize, 100, 300, 1000] {
        let mut model = base.clone();
        let started = Instant::now();
        for e in &stream[..n] {
            features.set_indices(&e.features);
            model.learn_features(&features, e.spam);
        }
        let per_learn = started.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64;
        let scored: Vec<(f32, bool)> = test
            .iter()
            .map(|e| {
                features.set_indices(&e.features);
                (model.margin(&features), e.spam)
            })
            .collect();
        report(
            &format!("after learning {n:4} ({per_learn:.1} µs/learn)"),
            &scored,
            0.005,
            0.0,
        );
    }
}

/// CPU time of this thread, in seconds: on a machine shared with other
/// work, wall time measures the neighbours too.
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The text model as the study chose it: every SMS set, at most
/// [`SMS_EXTRA_CAP`] of each class from each set but the SMS Spam Collection.
fn shippable_text(dir: &Path) -> Model {
    let params = FeatureParams::default_for(Family::Text);
    let corpus = load_sms(dir, params);
    let mut sizes = std::collections::HashMap::new();
    for e in &corpus.examples {
        *sizes.entry((e.group, e.spam)).or_insert(0usize) += 1;
    }
    let train: Vec<(&[u32], bool)> = corpus
        .examples
        .iter()
        .enumerate()
        .filter(|(i, e)| {
            let size = sizes[&(e.group, e.spam)];
            e.group == 0 || size <= SMS_EXTRA_CAP || fold_of(i ^ 0x55, size) < SMS_EXTRA_CAP
        })
        .map(|(_, e)| (e.features.as_slice(), e.spam))
        .collect();
    let mut model = Model::new(Family::Text, params, TrainOptions::default());
    model.train_features(&train);
    model
}

/// The email model as the study chose it: every ham list, every spam
/// source but phishing_pot, and Enron.
fn shippable_email(dir: &Path) -> Model {
    let params = FeatureParams::default_for(Family::Email);
    let corpus = load_mail(dir, params, true);
    let train: Vec<(&[u32], bool)> = corpus
        .examples
        .iter()
        .filter(|e| trainable(corpus.groups[e.group].trim_start_matches("spam:")))
        .map(|e| (e.features.as_slice(), e.spam))
        .collect();
    let mut model = Model::new(Family::Email, params, TrainOptions::default());
    model.train_features(&train);
    model
}

fn timing(dir: &Path) {
    let config = IngestConfig::default();
    let texts = read_tsv(&dir.join("sms/sms_spam_collection.train.tsv"));
    let sms_msgs: Vec<Message<'static>> = texts.iter().map(|(t, _)| sms(t)).collect();
    let mbox_bytes = std::fs::read(dir.join("email/spam/phishing_pot-2024.mbox"))
        .expect("phishing_pot-2024.mbox");
    let ham_bytes = std::fs::read(dir.join("email/ham/openwrt-devel-2020.mbox"))
        .expect("openwrt-devel-2020.mbox");
    let mails: Vec<Message<'_>> = mbox::split(&mbox_bytes)
        .chain(mbox::split(&ham_bytes))
        .map(|raw| email::parse(raw, &config))
        .collect();
    for (family, model, msgs) in [
        (Family::Text, shippable_text(dir), &sms_msgs),
        (Family::Email, shippable_email(dir), &mails),
    ] {
        let mut features = Features::default();
        let mut runs = Vec::new();
        let mut sink = 0f32;
        for _ in 0..7 {
            let started = thread_cpu_seconds();
            for msg in msgs.iter() {
                sink += model.probability(msg, &mut features);
            }
            runs.push((thread_cpu_seconds() - started) * 1e6 / msgs.len() as f64);
        }
        let path = std::env::temp_dir().join(format!("fw-study-{family}.fwm"));
        model.save(&path).expect("model saved");
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let mut loads = Vec::new();
        for _ in 0..11 {
            let started = thread_cpu_seconds();
            let loaded = Model::load(&path).expect("model loads");
            loads.push((thread_cpu_seconds() - started) * 1e3);
            assert_eq!(loaded.params(), model.params());
        }
        let _ = std::fs::remove_file(&path);
        println!(
            "{family}: {} messages; extract+score median of 7 runs {:.2} µs CPU/message; model {:.1} MiB, load median of 11 {:.2} ms CPU (checksum {sink:.0})",
            msgs.len(),
            median(runs),
            size as f64 / (1 << 20) as f64,
            median(loads),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sms") => study_sms(&corpora_dir(args.get(1)), SMS_EXTRA_CAP),
        Some("sms-tune") => tune_sms(&corpora_dir(args.get(1))),
        Some("mail") => study_mail(&corpora_dir(args.get(1)), false),
        Some("mail-shipped") => study_mail(&corpora_dir(args.get(1)), true),
        Some("mail-learning") => learning_curve(&corpora_dir(args.get(1))),
        Some("timing") => timing(&corpora_dir(args.get(1))),
        Some(save @ ("save-text" | "save-email")) => {
            let out = PathBuf::from(args.get(1).expect("an output path"));
            let dir = corpora_dir(args.get(2));
            let model = if save == "save-text" {
                shippable_text(&dir)
            } else {
                shippable_email(&dir)
            };
            model.save(&out).expect("model written");
            println!(
                "{}: {} messages learned",
                out.display(),
                model.learned_count()
            );
        }
        _ => {
            eprintln!("usage: classifier_study sms|sms-tune|mail|mail-shipped|mail-learning|timing [CORPORA] | save-text|save-email OUT [CORPORA]");
            std::process::exit(2);
        }
    }
}
