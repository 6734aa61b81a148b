//! `floodwall train` and `floodwall learn`: build a model from labelled
//! corpora, and update one in place from an operator's reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use floodwall::classifier::{Family, FeatureParams, Features, LearnOutcome, Model, TrainOptions};
use floodwall::stage::classifier::model_file;
use floodwall::Channel;

use crate::corpus;

/// The arguments of `floodwall train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// The model to train: `sms` (SMS and MMS text) or `email`.
    #[arg(long, value_parser = ["sms", "email"])]
    channel: String,
    /// Ham: TSV, JSON lines, mbox, Maildir or directories of .eml files.
    #[arg(long, required = true, num_args = 1..)]
    ham: Vec<PathBuf>,
    /// Spam, in the same formats.
    #[arg(long, required = true, num_args = 1..)]
    spam: Vec<PathBuf>,
    /// The rules directory the model is written to, as `models/text.fwm`
    /// or `models/email.fwm` (replaced atomically if it exists).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: PathBuf,
    /// Hash bits: the model has 2^BITS weights (default: 18 for sms, 20
    /// for email; fewer make a smaller file).
    #[arg(long, value_name = "BITS")]
    bits: Option<u8>,
}

/// The channel argument as the family trained and the channel records
/// become.
pub fn family_of(channel: &str) -> (Family, Channel) {
    match channel {
        "email" => (Family::Email, Channel::Email),
        _ => (Family::Text, Channel::Sms),
    }
}

/// Where a family's model lives under a rules directory.
pub fn model_path(rules: &Path, family: Family) -> PathBuf {
    rules.join("models").join(model_file(family))
}

pub fn run_train(args: &TrainArgs) -> ExitCode {
    let (family, channel) = family_of(&args.channel);
    let mut params = FeatureParams::default_for(family);
    if let Some(bits) = args.bits {
        if !FeatureParams::BITS.contains(&bits) {
            eprintln!("floodwall: --bits {bits} outside {:?}", FeatureParams::BITS);
            return ExitCode::from(2);
        }
        params.bits = bits;
    }
    let read = corpus::read(channel, &args.ham, &args.spam);
    let all_read = corpus::report(&read);
    let spam = read.messages.iter().filter(|(_, s)| *s).count();
    let ham = read.messages.len() - spam;
    if spam == 0 || ham == 0 {
        eprintln!("floodwall: training needs both classes; read {ham} ham and {spam} spam");
        return ExitCode::from(2);
    }
    let mut features = Features::default();
    let sets: Vec<(Vec<u32>, bool)> = read
        .messages
        .iter()
        .map(|(msg, spam)| {
            features.extract(msg, family, params);
            (features.indices().to_vec(), *spam)
        })
        .collect();
    let borrowed: Vec<(&[u32], bool)> = sets.iter().map(|(f, s)| (f.as_slice(), *s)).collect();
    let mut model = Model::new(family, params, TrainOptions::default());
    model.train_features(&borrowed);
    let path = model_path(&args.out, family);
    if let Err(err) = std::fs::create_dir_all(path.parent().unwrap_or(&args.out)) {
        eprintln!("floodwall: {}: {err}", args.out.display());
        return ExitCode::from(1);
    }
    if let Err(err) = model.save(&path) {
        eprintln!("floodwall: {err}");
        return ExitCode::from(1);
    }
    println!(
        "{}: {family} model, 2^{} weights, trained on {ham} ham and {spam} spam ({} distinct)",
        path.display(),
        params.bits,
        model.learned_count()
    );
    match all_read {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    }
}

/// The arguments of `floodwall learn`.
#[derive(clap::Args)]
pub struct LearnArgs {
    /// The rules directory whose models are updated in place.
    #[arg(long, value_name = "DIR")]
    rules: PathBuf,
    /// Messages reported as spam.
    #[arg(long, num_args = 1.., required_unless_present = "ham")]
    spam: Vec<PathBuf>,
    /// Messages reported as ham.
    #[arg(long, num_args = 1..)]
    ham: Vec<PathBuf>,
    /// What record files (TSV, JSON lines) hold: `sms` text or `email`
    /// text; raw mail is always email.
    #[arg(long, value_parser = ["sms", "email"], default_value = "sms")]
    records: String,
}

pub fn run_learn(args: &LearnArgs) -> ExitCode {
    let (_, channel) = family_of(&args.records);
    let read = corpus::read(channel, &args.ham, &args.spam);
    let mut ok = corpus::report(&read);
    let mut features = Features::default();
    for family in [Family::Text, Family::Email] {
        let mine: Vec<&corpus::Labelled> = read
            .messages
            .iter()
            .filter(|(msg, _)| Family::of(msg.channel) == family)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let path = model_path(&args.rules, family);
        let mut model = match Model::load_for(&path, family) {
            Ok(model) => model,
            Err(err) => {
                eprintln!("floodwall: {}: {err}", path.display());
                return ExitCode::from(2);
            }
        };
        let (mut learned, mut known, mut relabelled) = (0, 0, 0);
        for (msg, spam) in mine {
            match model.learn(msg, *spam, &mut features) {
                LearnOutcome::Learned => learned += 1,
                LearnOutcome::AlreadyLearned => known += 1,
                LearnOutcome::Relabelled => relabelled += 1,
            }
        }
        if learned + relabelled > 0 {
            if let Err(err) = model.save(&path) {
                eprintln!("floodwall: {err}");
                ok = false;
                continue;
            }
        }
        println!(
            "{}: learned {learned}, relabelled {relabelled}, refused {known} already learned",
            path.display()
        );
    }
    match ok {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    }
}
