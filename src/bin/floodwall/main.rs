//! The `floodwall` command: a thin shell over the library.
//!
//! Exit codes: 0 success; 1 some input could not be read or recognised (the
//! rest was still processed), an output file could not be written, or
//! `rules check` found errors; 2 usage error or the rules failed to load.

mod bench;
mod inputs;
mod inspect;
mod rules_check;
mod scan;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use floodwall::ingest::Format;
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
    /// Measure throughput, CPU per message, latency and scaling over threads.
    Bench(bench::BenchArgs),
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
        Command::Bench(args) => match load_engine(args.rules.as_deref()) {
            Ok(engine) => bench::run(engine, &args),
            Err(code) => code,
        },
        Command::Rules {
            command: RulesCommand::Check { dir, json },
        } => rules_check::run(dir.as_deref(), json),
    }
}

fn load_engine(dir: Option<&std::path::Path>) -> Result<Engine, ExitCode> {
    let engine = match dir {
        Some(dir) => Engine::from_dir(dir),
        None => Engine::embedded(),
    };
    engine.map_err(|errors| {
        eprintln!("floodwall: the rules did not load:\n{errors}");
        ExitCode::from(2)
    })
}
