//! The `floodwall` command: a thin shell over the library.
//!
//! Exit codes: 0 success; 1 some input could not be read or recognised (the
//! rest was still processed), an output file could not be written, or
//! `rules check` found errors; 2 usage error or the rules failed to load.

mod bench;
mod choices;
mod corpus;
mod eval;
mod generate;
mod import_sa;
mod inputs;
mod inspect;
mod milter;
mod rules_check;
mod scan;
mod state;
mod train;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use floodwall::ingest::sms::DefaultAlphabet;
use floodwall::ingest::{Format, IngestConfig};
use floodwall::rules::RuleSet;
use floodwall::stage::signature::{SignatureOptions, SignatureStage, Tuning, TuningProgress};
use floodwall::stage::Services;
use floodwall::{Address, BuildError, Engine, Envelope};

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
        #[arg(long, value_parser = choices::format(), default_value = "auto")]
        format: Format,
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// Rules directory (default: the rules built into the binary).
        /// Repeat it to run several directories as one set; the first
        /// one's policy.toml applies. `@builtin` names the built-in rules,
        /// e.g. `--rules @builtin --rules sa-rules/`.
        #[arg(long, value_name = "DIR")]
        rules: Vec<PathBuf>,
        #[command(flatten)]
        envelope: EnvelopeArgs,
        #[command(flatten)]
        decode: DecodeArgs,
        /// Worker threads (default: the number of CPUs). The output is in
        /// input order whatever the count; stream state (bulk, velocity)
        /// counts each worker's batches as they come, so `--threads 1`
        /// counts a file in exactly its order.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        #[command(flatten)]
        state: state::StateArgs,
        /// Files or directories (searched recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Show what the engine decodes from each message.
    Inspect {
        #[arg(long, value_parser = choices::format(), default_value = "auto")]
        format: Format,
        #[command(flatten)]
        decode: DecodeArgs,
        /// One JSON object per message.
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Measure throughput, CPU per message, latency and scaling over threads.
    Bench(bench::BenchArgs),
    /// Run the mail filter service (milter) an MTA calls during SMTP.
    Milter(milter::MilterArgs),
    /// Train a classifier model from labelled ham and spam.
    Train(train::TrainArgs),
    /// Update a rules directory's models in place from reported messages.
    Learn(train::LearnArgs),
    /// Measure the classifier and the whole engine on labelled messages.
    Eval(eval::EvalArgs),
    /// Write a labelled stream of a simulated day (ham, mutated bulk
    /// campaigns, solicited bulk) with a truth file, or a flood.
    Generate(generate::GenerateArgs),
    /// Work with rule directories.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

/// Per-source decoding choices.
#[derive(clap::Args)]
struct DecodeArgs {
    /// What SMPP data_coding 0 ("SMSC default alphabet") means on this source.
    #[arg(long, value_parser = choices::default_alphabet(), default_value = "gsm-unpacked")]
    smpp_default_alphabet: DefaultAlphabet,
}

impl DecodeArgs {
    fn ingest_config(&self) -> IngestConfig {
        let mut config = IngestConfig::default();
        config.sms.default_alphabet = self.smpp_default_alphabet;
        config
    }
}

/// The SMTP envelope of the mail being scanned (RFC 5321): the MTA knows it,
/// the message bytes do not. Given, it applies to every message scanned, on
/// every channel: each field set replaces the decoded one (see
/// `floodwall::pipeline::Job::with_envelope`).
#[derive(clap::Args)]
struct EnvelopeArgs {
    /// Envelope sender (MAIL FROM).
    #[arg(long, value_name = "ADDR")]
    mail_from: Option<String>,
    /// Envelope recipient (RCPT TO); repeat for several.
    #[arg(long, value_name = "ADDR")]
    rcpt: Vec<String>,
    /// Address of the SMTP client.
    #[arg(long, value_name = "IP")]
    client_addr: Option<std::net::IpAddr>,
    /// HELO/EHLO name the client gave.
    #[arg(long, value_name = "NAME")]
    helo: Option<String>,
}

impl EnvelopeArgs {
    fn envelope(self) -> Option<Envelope> {
        if self.mail_from.is_none()
            && self.rcpt.is_empty()
            && self.client_addr.is_none()
            && self.helo.is_none()
        {
            return None;
        }
        Some(Envelope {
            sender: self.mail_from.map(Address::new),
            recipients: self.rcpt.into_iter().map(Address::new).collect(),
            client_addr: self.client_addr,
            helo: self.helo,
            received_ms: None,
        })
    }
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
        /// Profile on the text of these files instead of the built-in 64 KB
        /// sample (`rawbody` patterns on it as mail parts would carry it).
        #[arg(long, requires = "profile")]
        sample: Vec<PathBuf>,
    },
    /// Convert an installed SpamAssassin rule set into a rules directory.
    ImportSa(import_sa::ImportSaArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan {
            format,
            json,
            rules,
            envelope,
            decode,
            threads,
            state,
            paths,
        } => match open_state(&state).and_then(|open| {
            let services = Services::new().with_state(open.store.clone());
            load_engine(&rules, decode.ingest_config(), Tuning::Background, services)
                .map(|loaded| (loaded, open))
        }) {
            Ok(((engine, progress), open)) => {
                let request = scan::ScanRequest {
                    format,
                    json,
                    envelope: envelope.envelope(),
                    threads: threads.unwrap_or_else(|| {
                        std::thread::available_parallelism().map_or(1, |n| n.get())
                    }),
                    paths,
                };
                let code = scan::run(engine, request);
                save_state(&open);
                finish_tuning(progress);
                code
            }
            Err(code) => code,
        },
        Command::Inspect {
            format,
            json,
            decode,
            paths,
            // Inspect only decodes: the interim plan, no compile.
        } => match load_engine(&[], decode.ingest_config(), Tuning::Never, Services::new()) {
            Ok((engine, _)) => inspect::run(&engine, format, json, &paths),
            Err(code) => code,
        },
        // A bench measures the tuned plan.
        Command::Bench(args) => match open_state(&args.state).and_then(|open| {
            let services = Services::new().with_state(open.store.clone());
            load_engine(
                &args.rules,
                IngestConfig::default(),
                Tuning::AtBuild,
                services,
            )
        }) {
            Ok((engine, _)) => bench::run(engine, &args),
            Err(code) => code,
        },
        Command::Milter(args) => milter::run(args),
        Command::Train(args) => train::run_train(&args),
        Command::Learn(args) => train::run_learn(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Rules {
            command: RulesCommand::ImportSa(args),
        } => import_sa::run(&args),
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

/// Loads the rules into an engine. With `tuning` in the background, an
/// empty cache gives an engine that answers at once from the interim plan;
/// the returned handle lets the command wait, at exit, for the tuned plan to
/// reach the cache (see [`finish_tuning`]).
fn load_engine(
    dirs: &[PathBuf],
    ingest: IngestConfig,
    tuning: Tuning,
    services: Services,
) -> Result<(Engine, Option<TuningProgress>), ExitCode> {
    let rules = match dirs {
        [] => RuleSet::embedded(),
        dirs => RuleSet::load_dirs(dirs),
    };
    let engine = rules.map_err(BuildError::from).and_then(|rules| {
        Engine::builder(rules)
            .ingest(ingest)
            .services(services)
            .signature_options(SignatureOptions {
                cache_dir: floodwall::stage::signature::default_cache_dir(),
                tuning,
                ..SignatureOptions::default()
            })
            .build()
    });
    match engine {
        Ok(engine) => {
            let progress = engine
                .stage::<SignatureStage>()
                .map(SignatureStage::tuning_progress);
            Ok((engine, progress))
        }
        Err(errors) => {
            eprintln!("floodwall: the rules did not load:\n{errors}");
            Err(ExitCode::from(2))
        }
    }
}

/// Opens the store `--state` names (exit code 2 when it cannot).
fn open_state(args: &state::StateArgs) -> Result<state::OpenState, ExitCode> {
    state::OpenState::open(
        args.state.as_deref(),
        args.state_snapshot.as_deref(),
        &floodwall::clock::SystemClock,
    )
    .map_err(|err| {
        eprintln!("floodwall: {err}");
        ExitCode::from(2)
    })
}

/// Writes the `--state-snapshot`, when one was asked for.
fn save_state(open: &state::OpenState) {
    match open.save() {
        Ok(Some((entries, path))) if std::io::stderr().is_terminal() => {
            eprintln!(
                "floodwall: saved {entries} state entries to {}",
                path.display()
            );
        }
        Ok(_) => {}
        Err(err) => eprintln!("floodwall: {err}"),
    }
}

/// Waits for a background build still running, so that the next start
/// finds the tuned plan in the cache; says why on a terminal.
fn finish_tuning(progress: Option<TuningProgress>) {
    let Some(progress) = progress else { return };
    if !progress.is_done() && std::io::stderr().is_terminal() {
        eprintln!("floodwall: compiling the rules for the next start (cached once done)...");
    }
    if let Err(errors) = progress.wait() {
        eprintln!(
            "floodwall: the tuned rules did not compile (answers were unaffected):\n{errors}"
        );
    }
}
