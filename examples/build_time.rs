//! Times building an engine from scratch (no cache) with each tuning
//! setting, to see where a cold start goes: Hyperscan compiling the
//! per-target databases (the plain plan), profiling every pattern (the
//! split), and the lazy-DFA choice (which also takes patterns out of the
//! databases Hyperscan compiles).
//!
//! ```text
//! cargo run --release --example build_time [RULES_DIR]
//! ```
//!
//! Without a directory, the rules embedded in the crate (the shipped ones).
//! Each tuned plan is built at build ([`Tuning::AtBuild`]); the last line
//! times the interim plan a cold start answers from meanwhile.

use std::process::ExitCode;
use std::time::Instant;

use floodwall::rules::{RuleErrors, RuleSet};
use floodwall::stage::signature::{SignatureOptions, Tuning};
use floodwall::Engine;

fn load(dir: Option<&str>) -> Result<RuleSet, RuleErrors> {
    match dir {
        Some(dir) => RuleSet::load_dir(std::path::Path::new(dir)),
        None => RuleSet::embedded(),
    }
}

fn main() -> ExitCode {
    let dir = std::env::args().nth(1);
    let plans = [
        (
            "plain (one database per target)",
            false,
            false,
            Tuning::AtBuild,
        ),
        (
            "split (profiled, expensive patterns out)",
            true,
            false,
            Tuning::AtBuild,
        ),
        (
            "split + lazy DFAs (the default)",
            true,
            true,
            Tuning::AtBuild,
        ),
        ("interim (no Hyperscan compile)", true, true, Tuning::Never),
    ];
    for (name, split, lazy_dfa, tuning) in plans {
        let options = SignatureOptions {
            split,
            lazy_dfa,
            tuning,
            ..SignatureOptions::default()
        };
        let start = Instant::now();
        let built = load(dir.as_deref())
            .map_err(floodwall::BuildError::from)
            .and_then(|rules| Engine::builder(rules).signature_options(options).build());
        match built {
            Ok(engine) => println!(
                "{name}: {:.2} s, {} rules",
                start.elapsed().as_secs_f64(),
                engine
                    .stage::<floodwall::stage::signature::SignatureStage>()
                    .map_or(0, |s| s.plans().len())
            ),
            Err(errors) => {
                eprintln!("the rules did not load:\n{errors}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
