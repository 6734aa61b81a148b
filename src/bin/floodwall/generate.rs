//! `floodwall generate`: a labelled stream of a simulated day (ham from the
//! corpora, mutated bulk campaigns, solicited bulk), with a truth file, for
//! measuring the stream stages; or a flood for the fault tests. The work is
//! the library's (`floodwall::workload::stream`); this only wires files.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use floodwall::workload::stream::{Flood, Stream, StreamConfig, Summary, Supply};
use floodwall::Channel;

use crate::inputs;

/// The stream's channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StreamChannel {
    /// JSON lines as `floodwall scan` reads them (`from`, `to`, `text`, `time`).
    Sms,
    /// An mbox; each `From ` line carries the envelope sender and receive time.
    Email,
}

/// A flood instead of the mixed stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FloodKind {
    /// Distinct random texts from random senders to random recipients.
    Texts,
    /// One sender sending one text to a different recipient every message.
    Recipients,
}

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Where to write the stream.
    output: PathBuf,
    /// SMS as JSON lines or mail as an mbox.
    #[arg(long, value_enum, default_value = "sms")]
    channel: StreamChannel,
    /// The truth file (TSV: index, ham|campaign, campaign, copy, sender,
    /// recipient, kind); default OUTPUT.truth.tsv.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Messages in all (default: 1,000,000 for SMS and for floods; for
    /// email, every distinct ham mail of the corpora once plus the campaigns).
    #[arg(long, value_name = "N")]
    messages: Option<usize>,
    /// How many bulk campaigns.
    #[arg(long, value_name = "N", default_value_t = 20)]
    campaigns: usize,
    /// Copies per campaign, least and most (drawn on a log scale).
    #[arg(long, value_name = "MIN..MAX", default_value = "1000..20000", value_parser = range)]
    copies: (usize, usize),
    /// Distinct senders per campaign, least and most.
    #[arg(long, value_name = "MIN..MAX", default_value = "50..5000", value_parser = range)]
    senders: (usize, usize),
    /// Solicited bulk (one-time passwords, list mail; labelled ham) per
    /// thousand messages.
    #[arg(long, value_name = "N", default_value_t = 10)]
    solicited_per_mille: usize,
    /// Seed of every random choice: the same seed and corpora give the
    /// same stream.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The corpora to read ham and spam templates from.
    #[arg(long, value_name = "DIR", default_value = "../shared/corpora")]
    corpora: PathBuf,
    /// Write a flood for the fault tests instead of the mixed stream.
    #[arg(long, value_enum)]
    flood: Option<FloodKind>,
}

fn range(text: &str) -> Result<(usize, usize), String> {
    let (lo, hi) = text
        .split_once("..")
        .ok_or_else(|| format!("expected MIN..MAX, got {text:?}"))?;
    let parse = |s: &str| {
        s.trim()
            .replace('_', "")
            .parse::<usize>()
            .map_err(|e| format!("{s:?}: {e}"))
    };
    let (lo, hi) = (parse(lo)?, parse(hi)?);
    if lo == 0 || lo > hi {
        return Err(format!("expected 0 < MIN <= MAX, got {text:?}"));
    }
    Ok((lo, hi))
}

pub fn run(args: &GenerateArgs) -> ExitCode {
    let started = Instant::now();
    let channel = match args.channel {
        StreamChannel::Sms => Channel::Sms,
        StreamChannel::Email => Channel::Email,
    };
    let mut config = StreamConfig::new(channel);
    config.campaigns = args.campaigns;
    config.copies = args.copies;
    config.senders = args.senders;
    config.solicited_per_mille = args.solicited_per_mille;
    config.seed = args.seed;
    config.flood = args.flood.map(|f| match f {
        FloodKind::Texts => Flood::Texts,
        FloodKind::Recipients => Flood::Recipients,
    });
    config.messages = match (args.messages, channel, config.flood) {
        (Some(n), _, _) => Some(n),
        (None, Channel::Email, None) => None,
        (None, _, _) => Some(1_000_000),
    };
    let supply = match config.flood {
        Some(_) => Supply::default(),
        None => match Supply::load(&args.corpora, channel, args.seed) {
            Ok(supply) => supply,
            Err(err) => {
                eprintln!("floodwall: {err}");
                return ExitCode::from(2);
            }
        },
    };
    let loaded = started.elapsed();
    let stream = match Stream::new(config, supply) {
        Ok(stream) => stream,
        Err(err) => {
            eprintln!("floodwall: {err}");
            return ExitCode::from(2);
        }
    };
    let truth_path = args.truth.clone().unwrap_or_else(|| {
        let mut name = args.output.clone().into_os_string();
        name.push(".truth.tsv");
        PathBuf::from(name)
    });
    let (out, truth) = match (create(&args.output), create(&truth_path)) {
        (Ok(out), Ok(truth)) => (out, truth),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("floodwall: {err}");
            return ExitCode::from(1);
        }
    };
    let (mut out, mut truth) = (BufWriter::new(out), BufWriter::new(truth));
    let bar = inputs::progress(stream.len(), "messages");
    let written = stream.write(&mut out, &mut truth, |n| bar.set_position(n as u64));
    bar.finish_and_clear();
    let summary = match written {
        Ok(summary) => summary,
        Err(err) => {
            eprintln!("floodwall: {}: {err}", args.output.display());
            return ExitCode::from(1);
        }
    };
    report(&stream, &summary, args, &truth_path);
    eprintln!(
        "  time: {:.1} s ({:.1} s reading the corpora)",
        started.elapsed().as_secs_f64(),
        loaded.as_secs_f64()
    );
    ExitCode::SUCCESS
}

fn create(path: &Path) -> Result<File, String> {
    File::create(path).map_err(|err| format!("{}: {err}", path.display()))
}

/// What was written, on stderr (stdout stays free for a pipe).
fn report(stream: &Stream, summary: &Summary, args: &GenerateArgs, truth: &Path) {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len()) as f64 / 1e6;
    eprintln!(
        "floodwall: {} messages to {} ({:.1} MB), truth in {} ({:.1} MB)",
        summary.messages,
        args.output.display(),
        size(&args.output),
        truth.display(),
        size(truth)
    );
    if args.flood.is_some() {
        return;
    }
    eprintln!(
        "  ham: {} ordinary, {} solicited; {} campaign copies in {} campaigns",
        summary.ham,
        summary.solicited,
        summary.copies,
        stream.campaigns().len()
    );
    eprintln!(
        "  ham supply: {} distinct texts ({} the channel's own, {} cut from ham mail); {} ham repeats",
        summary.supply,
        summary.native_supply,
        summary.supply - summary.native_supply,
        summary.ham_repeats
    );
    if summary.ham_repeats > 0 {
        // Every text once: the supply, the copies, and solicited bulk's share.
        let free =
            (summary.supply + summary.copies) * 1000 / (1000 - args.solicited_per_mille.min(999));
        eprintln!(
            "floodwall: warning: at these campaign sizes, --messages {free} or fewer would repeat no ham text"
        );
        eprintln!(
            "floodwall: warning: the stream needs more ham than the corpora give; {} ham messages repeat a text already sent (repeated ham is bulk)",
            summary.ham_repeats
        );
    }
    eprintln!("  campaign  copies  senders  start  duration  recipients");
    for (i, c) in stream.campaigns().iter().enumerate() {
        let start = c.start_ms / 60_000;
        eprintln!(
            "  {:>8}  {:>6}  {:>7}  {:02}:{:02}  {:>7}m  {}",
            i + 1,
            c.copies,
            c.senders,
            start / 60,
            start % 60,
            c.duration_ms / 60_000,
            if c.sequential { "sequential" } else { "random" }
        );
    }
}
