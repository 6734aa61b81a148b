//! `floodwall rules import-sa`: convert an installed SpamAssassin rule set
//! into a floodwall rules directory and report what was imported.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use floodwall::rules::spamassassin;
use floodwall::rules::RuleSet;

/// Where Debian installs SpamAssassin's rules and site configuration, in the
/// order SpamAssassin reads their `.cf` files.
const DEBIAN_SOURCES: &[&str] = &["/usr/share/spamassassin", "/etc/spamassassin"];

#[derive(clap::Args)]
pub struct ImportSaArgs {
    /// SpamAssassin directories or files, in load order (default: Debian's
    /// /usr/share/spamassassin then /etc/spamassassin).
    sources: Vec<PathBuf>,
    /// The rules directory to write.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Put this before every id (after leading underscores), e.g. `SA_`, so
    /// that the rules can run beside a set that defines the same names.
    #[arg(long, default_value = "")]
    prefix: String,
}

pub fn run(args: &ImportSaArgs) -> ExitCode {
    let sources: Vec<PathBuf> = if args.sources.is_empty() {
        DEBIAN_SOURCES.iter().map(PathBuf::from).collect()
    } else {
        args.sources.clone()
    };
    let import = match spamassassin::import(&sources, &args.prefix) {
        Ok(import) => import,
        Err(errors) => {
            eprintln!("floodwall: the SpamAssassin configuration did not read:\n{errors}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = spamassassin::write_dir(&import, &args.output) {
        eprintln!("floodwall: cannot write {}: {e}", args.output.display());
        return ExitCode::from(1);
    }
    if let Err(errors) = check_written(&args.output) {
        eprintln!("floodwall: the written rules do not load (an importer bug):\n{errors}");
        return ExitCode::from(1);
    }
    if args.json {
        match serde_json::to_string_pretty(&import.summary) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("floodwall: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        print!("{}", import.summary.to_text());
        println!("\nwritten to {}", args.output.display());
    }
    ExitCode::SUCCESS
}

/// Loads what was written, so that a file the loader would refuse is caught here.
fn check_written(dir: &Path) -> Result<(), floodwall::rules::RuleErrors> {
    RuleSet::load_dir(dir).map(|_| ())
}
