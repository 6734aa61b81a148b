//! `floodwall bench`: throughput, CPU cost, latency and scaling of the whole
//! path from bytes to verdict, through the library's pipeline.
//!
//! For each corpus and each thread count from 1 to `--threads`, a fresh
//! pipeline scans the corpus (repeated until `--seconds` have passed) several
//! times and the median of each figure is reported: other processes share
//! the machine, and one disturbed run must not decide. Those runs do not time
//! the engine stages (the clock reads would slow SMS by a few percent); one
//! more run per point does, for the per-stage breakdown. A warm-up pass
//! first fills a [`ScratchPool`] that every run's workers take their
//! scratches from: a long-running worker's lazy DFAs have their states
//! built, and a benchmark whose every run started cold would measure the
//! building.

mod corpus;
mod measure;
mod report;
mod svg;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use floodwall::ingest::Format;
use floodwall::pipeline::ScratchPool;
use floodwall::{Channel, Engine};

use crate::inputs;
use corpus::Corpus;
use report::{ChannelReport, Report};

/// Which generated stream to scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ChannelChoice {
    Email,
    Sms,
    Mms,
    All,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Measure with 1, 2, … up to this many worker threads (default: CPUs).
    #[arg(long)]
    threads: Option<usize>,
    /// Generated stream to scan when no PATH is given.
    #[arg(long, value_enum, default_value = "all")]
    channel: ChannelChoice,
    /// Messages in each generated stream (with PATHs: at most this many).
    #[arg(long)]
    messages: Option<usize>,
    /// Each run lasts at least this long (the corpus is repeated).
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Runs per thread count; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// One JSON object on stdout instead of tables.
    #[arg(long)]
    json: bool,
    /// Also write a throughput-versus-threads plot to this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Rules directory (default: the rules built into the binary);
    /// repeatable, as for `scan`.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Format of the files given (default: detected per file).
    #[arg(long, value_parser = crate::choices::format(), default_value = "auto")]
    format: Format,
    #[command(flatten)]
    pub state: crate::state::StateArgs,
    /// Files or directories to scan instead of generated traffic.
    paths: Vec<PathBuf>,
}

const DEFAULT_MESSAGES: usize = 10_000;

pub fn run(engine: Engine, args: &BenchArgs) -> ExitCode {
    let engine = Arc::new(engine);
    let pool = ScratchPool::new(&engine);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_threads = args.threads.unwrap_or(cpus).max(1);
    let runs = args.runs.max(1);
    let budget = Duration::from_secs_f64(args.seconds.max(0.0));
    let mut ok = true;
    let corpora: Vec<Corpus> = if args.paths.is_empty() {
        let channels = match args.channel {
            ChannelChoice::Email => vec![Channel::Email],
            ChannelChoice::Sms => vec![Channel::Sms],
            ChannelChoice::Mms => vec![Channel::Mms],
            ChannelChoice::All => Channel::ALL.to_vec(),
        };
        let count = args.messages.unwrap_or(DEFAULT_MESSAGES).max(1);
        channels
            .into_iter()
            .map(|c| corpus::generated(c, count))
            .collect()
    } else {
        let (corpus, read_all) = corpus::from_files(&args.paths, args.format, args.messages);
        ok = read_all;
        if corpus.jobs.is_empty() {
            eprintln!("floodwall: no messages found in the given paths");
            return ExitCode::from(1);
        }
        vec![corpus]
    };

    let bar = inputs::progress(corpora.len() * (1 + max_threads * (runs + 1)), "passes");
    let mut report = Report {
        cpus,
        runs_per_point: runs,
        seconds_per_run: budget.as_secs_f64(),
        channels: Vec::new(),
    };
    for corpus in &corpora {
        bar.set_message(format!("{} warm-up", corpus.name));
        measure::run(&engine, &pool, corpus, max_threads, Duration::ZERO, false);
        bar.inc(1);
        let mut points = Vec::with_capacity(max_threads);
        for threads in 1..=max_threads {
            bar.set_message(format!("{} at {threads} thread(s)", corpus.name));
            let samples: Vec<_> = (0..runs)
                .map(|_| {
                    let point = measure::run(&engine, &pool, corpus, threads, budget, false);
                    bar.inc(1);
                    point
                })
                .collect();
            let mut point = measure::median(&samples);
            point.stages = measure::run(&engine, &pool, corpus, threads, budget, true).stages;
            bar.inc(1);
            points.push(point);
        }
        report.channels.push(ChannelReport {
            channel: corpus.name.clone(),
            source: corpus.source.clone(),
            corpus_messages: corpus.jobs.len(),
            avg_bytes: corpus.bytes as f64 / corpus.jobs.len().max(1) as f64,
            generated_spam_share: corpus.spam_share,
            points,
        });
    }
    bar.finish_and_clear();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if args.json {
        report::write_json(&report, &mut out)
    } else {
        report::write_text(&report, &mut out)
    };
    if let Err(err) = written.and_then(|()| out.flush()) {
        eprintln!("floodwall: writing the report: {err}");
        ok = false;
    }
    if let Some(path) = &args.svg {
        if let Err(err) = std::fs::write(path, svg::render(&report)) {
            eprintln!("floodwall: {}: {err}", path.display());
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
