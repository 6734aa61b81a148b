//! `floodwall eval`: how well the classifier alone, the whole engine, and
//! the engine without the classifier separate labelled ham from spam.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use floodwall::classifier::metrics::{roc_auc, sc_at_bh, Confusion};
use floodwall::classifier::{Family, Features, Model, TrainOptions};
use floodwall::rules::RuleSet;
use floodwall::stage::classifier::ClassifierStage;
use floodwall::{Action, Engine};

use crate::corpus;
use crate::train::family_of;

/// The arguments of `floodwall eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The rules directory (its models and rules) to evaluate.
    #[arg(long, value_name = "DIR")]
    rules: PathBuf,
    /// Ham: TSV, JSON lines, mbox, Maildir or directories of .eml files.
    #[arg(long, required = true, num_args = 1..)]
    ham: Vec<PathBuf>,
    /// Spam, in the same formats.
    #[arg(long, required = true, num_args = 1..)]
    spam: Vec<PathBuf>,
    /// What record files (TSV, JSON lines) hold: `sms` or `email` text.
    #[arg(long, value_parser = ["sms", "email"], default_value = "sms")]
    records: String,
    /// One JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Also K-fold cross-validate the classifier alone: a model with the
    /// rules' parameters trained on K−1 folds scores the remaining one.
    #[arg(long, value_name = "K")]
    folds: Option<usize>,
    /// Write the ROC curves (classifier, engine) as an SVG file.
    #[arg(long, value_name = "FILE.svg")]
    roc: Option<PathBuf>,
}

/// The bound on ham blocked that SC is also reported at.
const MAX_BH: f64 = 0.005;

/// One scorer's figures.
struct Row {
    name: String,
    scored: Vec<(f32, bool)>,
    /// Spam calls at the scorer's own operating point (p ≥ 0.5, or the
    /// engine's action at least `tag`).
    at: Confusion,
    /// The engine's calls at `quarantine` or above (engines only).
    held: Option<Confusion>,
}

fn confusion_of(calls: impl Iterator<Item = (bool, bool)>) -> Confusion {
    let mut c = Confusion {
        spam_caught: 0,
        spam_missed: 0,
        ham_blocked: 0,
        ham_passed: 0,
    };
    for (called, spam) in calls {
        match (called, spam) {
            (true, true) => c.spam_caught += 1,
            (false, true) => c.spam_missed += 1,
            (true, false) => c.ham_blocked += 1,
            (false, false) => c.ham_passed += 1,
        }
    }
    c
}

pub fn run(args: &EvalArgs) -> ExitCode {
    let rules = match RuleSet::load_dir(&args.rules) {
        Ok(rules) => rules,
        Err(err) => {
            eprintln!("floodwall: the rules did not load:\n{err}");
            return ExitCode::from(2);
        }
    };
    let without = RuleSet {
        models: Default::default(),
        ..rules.clone()
    };
    let (engine, bare) = match (
        Engine::builder(rules).build(),
        Engine::builder(without).build(),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("floodwall: the engine did not build:\n{err}");
            return ExitCode::from(2);
        }
    };
    let Some(stage) = engine.stage::<ClassifierStage>() else {
        eprintln!("floodwall: the engine has no classifier stage");
        return ExitCode::from(2);
    };
    let (_, channel) = family_of(&args.records);
    let read = corpus::read(channel, &args.ham, &args.spam);
    let ok = corpus::report(&read);
    let mut features = Features::default();
    let (mut scratch, mut bare_scratch) = (engine.scratch(), bare.scratch());
    let mut classifier = Vec::new();
    let mut whole = Vec::new();
    let mut rules_only = Vec::new();
    for (msg, spam) in &read.messages {
        if let Some(p) = stage.probability(msg, &mut features) {
            classifier.push((p, *spam));
        }
        let v = engine.scan(msg, &mut scratch);
        whole.push((v.score as f32, *spam, v.action));
        let v = bare.scan(msg, &mut bare_scratch);
        rules_only.push((v.score as f32, *spam, v.action));
    }
    let mut rows = Vec::new();
    if !classifier.is_empty() {
        rows.push(Row {
            name: "classifier".into(),
            at: Confusion::at(&classifier, 0.5),
            scored: classifier,
            held: None,
        });
    }
    for (name, results) in [("engine", whole), ("engine without classifier", rules_only)] {
        let calls = |least: &[Action]| {
            confusion_of(
                results
                    .iter()
                    .map(|(_, spam, action)| (least.contains(action), *spam)),
            )
        };
        let held = [Action::Quarantine, Action::Reject, Action::Discard];
        let mut tagged = held.to_vec();
        tagged.extend([Action::Tag, Action::Tempfail]);
        rows.push(Row {
            name: name.into(),
            at: calls(&tagged),
            held: Some(calls(&held)),
            scored: results.iter().map(|(s, spam, _)| (*s, *spam)).collect(),
        });
    }
    if let Some(k) = args.folds {
        let family = Family::of(channel_of(&read, channel));
        match stage.model(family) {
            Some(model) if k >= 2 => rows.push(Row {
                name: format!("classifier, {k}-fold cross-validated"),
                ..cross_validated(model, &read.messages, k)
            }),
            Some(_) => eprintln!("floodwall: --folds needs at least 2"),
            None => eprintln!("floodwall: no {family} model to cross-validate"),
        }
    }
    if args.json {
        print_json(&rows);
    } else {
        print_table(&rows);
    }
    if let Some(path) = &args.roc {
        if let Err(err) = std::fs::write(path, roc_svg(&rows)) {
            eprintln!("floodwall: {}: {err}", path.display());
            return ExitCode::from(1);
        }
    }
    match ok {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    }
}

/// The channel most messages read are on (records take `fallback`).
fn channel_of(read: &corpus::Read, fallback: floodwall::Channel) -> floodwall::Channel {
    read.messages
        .first()
        .map_or(fallback, |(msg, _)| msg.channel)
}

/// A fold number spread by a hash of the index (files are in order).
fn fold_of(i: usize, folds: usize) -> usize {
    let mut x = (i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((x ^ (x >> 31)) % folds as u64) as usize
}

fn cross_validated(model: &Model, messages: &[corpus::Labelled], k: usize) -> Row {
    let family = model.family();
    let params = model.params();
    let mut features = Features::default();
    let sets: Vec<(Vec<u32>, bool)> = messages
        .iter()
        .filter(|(msg, _)| Family::of(msg.channel) == family)
        .map(|(msg, spam)| {
            features.extract(msg, family, params);
            (features.indices().to_vec(), *spam)
        })
        .collect();
    let mut scored = Vec::with_capacity(sets.len());
    for fold in 0..k {
        let train: Vec<(&[u32], bool)> = sets
            .iter()
            .enumerate()
            .filter(|(i, _)| fold_of(*i, k) != fold)
            .map(|(_, (f, s))| (f.as_slice(), *s))
            .collect();
        let mut fitted = Model::new(family, params, TrainOptions::default());
        fitted.train_features(&train);
        for (i, (f, spam)) in sets.iter().enumerate() {
            if fold_of(i, k) == fold {
                features.set_indices(f);
                scored.push((fitted.probability_of(&features), *spam));
            }
        }
    }
    Row {
        name: String::new(),
        at: Confusion::at(&scored, 0.5),
        scored,
        held: None,
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn print_table(rows: &[Row]) {
    for row in rows {
        let auc = roc_auc(&row.scored).map_or("-".into(), |a| format!("{a:.4}"));
        let point = sc_at_bh(&row.scored, MAX_BH);
        let c = &row.at;
        println!(
            "{} ({} spam, {} ham)",
            row.name,
            c.spam_caught + c.spam_missed,
            c.ham_blocked + c.ham_passed
        );
        println!(
            "  SC {}  BH {}  accuracy {}  MCC {:.3}  ROC AUC {auc}  (at {})",
            pct(c.sc()),
            pct(c.bh()),
            pct(c.accuracy()),
            c.mcc(),
            if row.held.is_some() {
                "tag or above"
            } else {
                "p >= 0.5"
            }
        );
        println!(
            "  confusion: spam caught {}, missed {}; ham blocked {}, passed {}",
            c.spam_caught, c.spam_missed, c.ham_blocked, c.ham_passed
        );
        if let Some(h) = &row.held {
            println!(
                "  at quarantine or above: SC {}  BH {}",
                pct(h.sc()),
                pct(h.bh())
            );
        }
        println!(
            "  best SC at BH <= 0.5%: {} (BH {}, threshold {})",
            pct(point.confusion.sc()),
            pct(point.confusion.bh()),
            point.threshold
        );
    }
}

fn confusion_json(c: &Confusion) -> serde_json::Value {
    serde_json::json!({
        "sc": c.sc(), "bh": c.bh(), "accuracy": c.accuracy(), "mcc": c.mcc(),
        "spam_caught": c.spam_caught, "spam_missed": c.spam_missed,
        "ham_blocked": c.ham_blocked, "ham_passed": c.ham_passed,
    })
}

fn print_json(rows: &[Row]) {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let point = sc_at_bh(&row.scored, MAX_BH);
            serde_json::json!({
                "name": row.name,
                "roc_auc": roc_auc(&row.scored),
                "at": confusion_json(&row.at),
                "at_quarantine": row.held.as_ref().map(confusion_json),
                "sc_at_bh_0_5pct": {
                    "threshold": point.threshold,
                    "sc": point.confusion.sc(),
                    "bh": point.confusion.bh(),
                },
            })
        })
        .collect();
    println!("{}", serde_json::json!({ "results": rows }));
}

/// The ROC curve of each row: false-positive rate against true-positive
/// rate, one polyline per scorer, on a 400-pixel square.
fn roc_svg(rows: &[Row]) -> String {
    const SIZE: f64 = 400.0;
    const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"-40 -10 {w} {h}\">\n\
         <rect x=\"0\" y=\"0\" width=\"{SIZE}\" height=\"{SIZE}\" fill=\"none\" stroke=\"#888\"/>\n\
         <line x1=\"0\" y1=\"{SIZE}\" x2=\"{SIZE}\" y2=\"0\" stroke=\"#ccc\"/>\n\
         <text x=\"150\" y=\"{xl}\" font-size=\"12\">ham blocked (FPR)</text>\n\
         <text x=\"-30\" y=\"200\" font-size=\"12\" transform=\"rotate(-90 -30 200)\">spam caught (TPR)</text>\n",
        w = SIZE + 60.0,
        h = SIZE + 40.0,
        xl = SIZE + 20.0,
    );
    for (n, row) in rows.iter().enumerate() {
        let mut sorted = row.scored.clone();
        sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
        let spam = sorted.iter().filter(|s| s.1).count().max(1) as f64;
        let ham = sorted.iter().filter(|s| !s.1).count().max(1) as f64;
        let (mut tp, mut fp) = (0.0, 0.0);
        let mut points = String::from("0,400");
        let mut i = 0;
        while i < sorted.len() {
            let score = sorted[i].0;
            while i < sorted.len() && sorted[i].0 == score {
                if sorted[i].1 {
                    tp += 1.0;
                } else {
                    fp += 1.0;
                }
                i += 1;
            }
            let _ = write!(
                points,
                " {:.1},{:.1}",
                SIZE * fp / ham,
                SIZE - SIZE * tp / spam
            );
        }
        let colour = COLOURS[n % COLOURS.len()];
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" points=\"{points}\"/>\n\
             <text x=\"{x}\" y=\"{y}\" font-size=\"12\" fill=\"{colour}\">{name}</text>",
            x = SIZE * 0.45,
            y = SIZE * 0.6 + 16.0 * n as f64,
            name = row.name,
        );
    }
    svg.push_str("</svg>\n");
    svg
}
