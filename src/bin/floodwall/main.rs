//! The `floodwall` command: a thin shell over the library.
//!
//! Exit codes: 0 success; 1 some input could not be read or recognised (the
//! rest was still processed) or `rules check` found errors; 2 usage error or
//! the rules failed to load.

mod inputs;
mod inspect;
mod rules_check;
mod scan;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use floodwall::ingest::Format;
use floodwall::rules::RuleSet;
use floodwall::Engine;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "floodwall",
    version,
    about = "Spam and bulk-messaging filter for email, SMS and MMS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan messages and print one verdict per message.
    Scan {
        /// Input format; `auto` detects each file.
        #[arg(long, value_enum, default_value = "auto")]
        format: Format,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// Rules directory (default: the rules built into the binary).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Files or directories (searched recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Show what the engine decodes from each message.
    Inspect {
        #[arg(long, value_enum, default_value = "auto")]
        format: Format,
        /// One JSON object per message.
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Work with rule directories.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Validate and compile a rules directory; report every error and each rule's engine.
    Check {
        /// The directory (default: the rules built into the binary).
        dir: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Measure each Hyperscan pattern alone and show the most expensive
        /// ones and where each runs (cheap: shared database; expensive:
        /// gated or PCRE2).
        #[arg(long)]
        profile: bool,
        /// Profile on these files instead of the built-in 64 KB sample.
        #[arg(long, requires = "profile")]
        sample: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan {
            format,
            json,
            rules,
            paths,
        } => match load_engine(rules.as_deref()) {
            Ok(engine) => scan::run(&engine, format, json, &paths),
            Err(code) => code,
        },
        Command::Inspect {
            format,
            json,
            paths,
        } => match load_engine(None) {
            Ok(engine) => inspect::run(&engine, format, json, &paths),
            Err(code) => code,
        },
        Command::Rules {
            command:
                RulesCommand::Check {
                    dir,
                    json,
                    profile,
                    sample,
                },
        } => match profile {
            true => rules_check::profile(dir.as_deref(), json, &sample),
            false => rules_check::run(dir.as_deref(), json),
        },
    }
}

fn load_engine(dir: Option<&std::path::Path>) -> Result<Engine, ExitCode> {
    let rules = match dir {
        Some(dir) => RuleSet::load_dir(dir),
        None => RuleSet::embedded(),
    };
    let engine = rules.and_then(|rules| {
        Engine::builder(rules)
            .cache_dir(floodwall::stage::signature::default_cache_dir())
            .build()
    });
    engine.map_err(|errors| {
        eprintln!("floodwall: the rules did not load:\n{errors}");
        ExitCode::from(2)
    })
}
