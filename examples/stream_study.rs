//! How the stream stages do on a stream from `floodwall generate`: runs
//! `floodwall scan --json --threads 1` over it (one worker, so state is
//! carried in input order), joins each verdict with the truth file, and
//! prints per campaign how many copies went by before the first one carried
//! a `BULK_*` symbol (and, apart, a `VELOCITY_*` or `FANOUT_*` one), the share
//! of later copies flagged, and how much ham was flagged.
//!
//! ```sh
//! cargo build --release
//! target/release/floodwall generate /tmp/day.jsonl          # and day.jsonl.truth.tsv
//! cargo run --release --example stream_study -- /tmp/day.jsonl
//! ```
//!
//! Options: `--truth FILE` (default STREAM.truth.tsv), `--floodwall BIN`
//! (default: the `floodwall` beside this example's directory), `--rules DIR`,
//! `--scan-output FILE` (read verdicts saved from an earlier
//! `floodwall scan --json` instead of running one), `--exclude NAME`
//! (a symbol not to count though its name has a counted prefix, e.g. a
//! content rule of your own named `BULK_…`; repeat for several).
//!
//! The scan's output is read line by line as it comes: a million verdicts
//! are never held at once.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use serde::Deserialize;

/// What one truth row says, in the few bytes the join needs.
struct Truth {
    /// 0 for ham, else the campaign id.
    campaign: u32,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Subscriber,
    Repeat,
    Solicited,
    Flood,
    Copy,
}

const HAM_KINDS: [(Kind, &str); 4] = [
    (Kind::Subscriber, "ham (sent once)"),
    (Kind::Repeat, "ham (repeated text)"),
    (Kind::Solicited, "solicited bulk"),
    (Kind::Flood, "flood"),
];

#[derive(Deserialize)]
struct Line {
    index: usize,
    symbols: Vec<Symbol>,
}

#[derive(Deserialize)]
struct Symbol {
    name: String,
}

/// Flags of one family of symbols on one campaign.
#[derive(Default, Clone)]
struct Detection {
    /// Copies seen before the first flagged one (None: never flagged).
    before_first: Option<usize>,
    /// Copies after the first flagged one, and how many of them were flagged.
    later: usize,
    later_flagged: usize,
}

impl Detection {
    fn see(&mut self, seen_before: usize, flagged: bool) {
        match self.before_first {
            None if flagged => self.before_first = Some(seen_before),
            None => {}
            Some(_) => {
                self.later += 1;
                self.later_flagged += usize::from(flagged);
            }
        }
    }

    fn show(&self) -> String {
        match self.before_first {
            None => format!("{:>8} {:>9}", "never", "-"),
            Some(n) => format!(
                "{n:>8} {:>8.2}%",
                100.0 * self.later_flagged as f64 / self.later.max(1) as f64
            ),
        }
    }
}

#[derive(Default, Clone)]
struct CampaignStats {
    copies: usize,
    senders: HashSet<String>,
    sequential: bool,
    bulk: Detection,
    velocity: Detection,
}

struct Args {
    stream: PathBuf,
    truth: PathBuf,
    floodwall: PathBuf,
    rules: Option<PathBuf>,
    scan_output: Option<PathBuf>,
    exclude: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut stream, mut truth, mut floodwall, mut rules, mut scan_output) =
        (None, None, None, None, None);
    let mut exclude: Vec<String> = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--truth" => truth = Some(PathBuf::from(value("--truth")?)),
            "--floodwall" => floodwall = Some(PathBuf::from(value("--floodwall")?)),
            "--rules" => rules = Some(PathBuf::from(value("--rules")?)),
            "--scan-output" => scan_output = Some(PathBuf::from(value("--scan-output")?)),
            "--exclude" => exclude.push(value("--exclude")?),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path => stream = Some(PathBuf::from(path)),
        }
    }
    let stream = stream.ok_or("usage: stream_study STREAM [--truth FILE] [--floodwall BIN] [--rules DIR] [--scan-output FILE]")?;
    let truth = truth.unwrap_or_else(|| {
        let mut name = stream.clone().into_os_string();
        name.push(".truth.tsv");
        PathBuf::from(name)
    });
    let floodwall = match floodwall {
        Some(path) => path,
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("floodwall")))
            .ok_or("cannot find the floodwall binary; give --floodwall BIN")?,
    };
    Ok(Args {
        stream,
        truth,
        floodwall,
        rules,
        scan_output,
        exclude,
    })
}

fn read_truth(path: &PathBuf, campaigns: &mut Vec<CampaignStats>) -> Result<Vec<Truth>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let bad = || format!("{}:{}: not a truth row", path.display(), n + 1);
        if fields.len() < 7 {
            return Err(bad());
        }
        let index: usize = fields[0].parse().map_err(|_| bad())?;
        if index != rows.len() + 1 {
            return Err(format!(
                "{}:{}: index {index} out of order",
                path.display(),
                n + 1
            ));
        }
        let kind = match (fields[1], fields[6]) {
            ("campaign", _) => Kind::Copy,
            (_, "repeat") => Kind::Repeat,
            (_, "solicited") => Kind::Solicited,
            (_, "flood") => Kind::Flood,
            _ => Kind::Subscriber,
        };
        let campaign = match kind {
            Kind::Copy => fields[2].parse().map_err(|_| bad())?,
            _ => 0,
        };
        if campaign > 0 {
            let at = campaign as usize - 1;
            if campaigns.len() <= at {
                campaigns.resize(at + 1, CampaignStats::default());
            }
            let stats = &mut campaigns[at];
            stats.senders.insert(fields[4].to_string());
            stats.sequential = fields[6] == "sequential";
        }
        rows.push(Truth { campaign, kind });
    }
    Ok(rows)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("stream_study: {err}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let mut campaigns = Vec::new();
    let truth = read_truth(&args.truth, &mut campaigns)?;
    // Ham verdicts by kind: messages, BULK_ flagged, VELOCITY_/FANOUT_ flagged.
    let mut ham = [[0usize; 3]; 4];
    let started = Instant::now();
    let mut first_line = None;
    let mut child = None;
    let reader: Box<dyn BufRead> = match &args.scan_output {
        Some(path) => Box::new(BufReader::new(
            std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => {
            let mut command = Command::new(&args.floodwall);
            command.args(["scan", "--json", "--threads", "1"]);
            if let Some(rules) = &args.rules {
                command.arg("--rules").arg(rules);
            }
            command.arg(&args.stream).stdout(Stdio::piped());
            let mut spawned = command
                .spawn()
                .map_err(|e| format!("{}: {e}", args.floodwall.display()))?;
            let stdout = spawned.stdout.take().ok_or("no scan output")?;
            child = Some(spawned);
            Box::new(BufReader::with_capacity(1 << 20, stdout))
        }
    };
    let mut scanned = 0usize;
    for line in reader.lines() {
        let line = line.map_err(|e| format!("reading the scan: {e}"))?;
        first_line.get_or_insert_with(Instant::now);
        let verdict: Line =
            serde_json::from_str(&line).map_err(|e| format!("scan output: {e}: {line}"))?;
        let Some(row) = verdict.index.checked_sub(1).and_then(|i| truth.get(i)) else {
            return Err(format!("verdict {} has no truth row", verdict.index));
        };
        scanned += 1;
        let counted = |prefixes: &[&str]| {
            verdict.symbols.iter().any(|s| {
                prefixes.iter().any(|p| s.name.starts_with(p)) && !args.exclude.contains(&s.name)
            })
        };
        let bulk = counted(&["BULK_"]);
        let velocity = counted(&["VELOCITY_", "FANOUT_"]);
        match row.kind {
            Kind::Copy => {
                let stats = &mut campaigns[row.campaign as usize - 1];
                stats.bulk.see(stats.copies, bulk);
                stats.velocity.see(stats.copies, velocity);
                stats.copies += 1;
            }
            kind => {
                let at = HAM_KINDS.iter().position(|(k, _)| *k == kind).unwrap_or(0);
                ham[at][0] += 1;
                ham[at][1] += usize::from(bulk);
                ham[at][2] += usize::from(velocity);
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let streaming = first_line.map_or(elapsed, |t| t.elapsed().as_secs_f64());
    if let Some(mut child) = child {
        let status = child.wait().map_err(|e| e.to_string())?;
        if !status.success() {
            eprintln!("stream_study: floodwall scan exited with {status}");
        }
    }
    if scanned != truth.len() {
        eprintln!(
            "stream_study: {scanned} verdicts for {} truth rows",
            truth.len()
        );
    }
    if !args.exclude.is_empty() {
        println!("(not counted: {})\n", args.exclude.join(", "));
    }
    report(&campaigns, &ham, scanned, elapsed, streaming);
    Ok(())
}

fn report(
    campaigns: &[CampaignStats],
    ham: &[[usize; 3]; 4],
    scanned: usize,
    elapsed: f64,
    streaming: f64,
) {
    println!("                                    BULK_*                VELOCITY_*/FANOUT_*");
    println!("campaign  copies  senders  walk        before1st  later%    before1st  later%");
    for (i, c) in campaigns.iter().enumerate().filter(|(_, c)| c.copies > 0) {
        println!(
            "{:>8}  {:>6}  {:>7}  {:<10}  {}    {}",
            i + 1,
            c.copies,
            c.senders.len(),
            if c.sequential { "sequential" } else { "random" },
            c.bulk.show(),
            c.velocity.show()
        );
    }
    let seen: Vec<&CampaignStats> = campaigns.iter().filter(|c| c.copies > 0).collect();
    let within5 = seen
        .iter()
        .filter(|c| c.bulk.before_first.is_some_and(|n| n < 5))
        .count();
    let (later, flagged) = seen.iter().fold((0, 0), |(l, f), c| {
        (l + c.bulk.later, f + c.bulk.later_flagged)
    });
    println!(
        "\ncampaigns flagged (BULK_) within their first 5 copies: {within5} of {}; later copies flagged: {:.2}%",
        seen.len(),
        100.0 * flagged as f64 / later.max(1) as f64
    );
    println!(
        "\n{:<22} {:>9} {:>16} {:>16}",
        "", "messages", "BULK_ flagged", "VELOCITY_/FANOUT_"
    );
    for ((_, name), [n, bulk, velocity]) in HAM_KINDS.iter().zip(ham) {
        if *n > 0 {
            println!(
                "{name:<22} {n:>9} {bulk:>8} {:>6.3}% {velocity:>8} {:>6.3}%",
                100.0 * *bulk as f64 / *n as f64,
                100.0 * *velocity as f64 / *n as f64
            );
        }
    }
    println!(
        "\n{scanned} messages in {elapsed:.1} s: {:.0} messages/s with start-up, {:.0} messages/s once the first verdict was out (one worker thread)",
        scanned as f64 / elapsed.max(1e-9),
        scanned as f64 / streaming.max(1e-9)
    );
}
