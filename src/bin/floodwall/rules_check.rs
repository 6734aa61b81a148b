//! `floodwall rules check`: load and compile a rules directory, report every
//! error (file, line, rule id) and the engine each rule takes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use floodwall::rules::{RuleError, RuleErrors, RuleSet, RuleSource};
use floodwall::stage::signature::{self, PatternProfile, Placement};
use floodwall::BuildError;
use floodwall::Engine;

/// Patterns listed in the text report of `--profile` (all in `--json`).
const PROFILE_TOP: usize = 40;

pub fn run(dir: Option<&Path>, json: bool) -> ExitCode {
    let source = match dir {
        Some(dir) => RuleSource::dir(dir),
        None => Ok(RuleSource::embedded()),
    };
    let (set, mut errors) = match source {
        Ok(source) => source.load_lenient(),
        Err(errors) => (RuleSet::default(), errors.0),
    };
    // The valid part is compiled even when some rules failed to load, so that
    // one run reports load and compile errors together.
    let counts = (set.rules.len(), set.metas.len());
    let engine = Engine::builder(set)
        .cache_dir(signature::default_cache_dir())
        .build();
    match engine {
        Ok(engine) if errors.is_empty() => {
            report(&engine, counts.0, counts.1, json);
            ExitCode::SUCCESS
        }
        Ok(_) => {
            report_errors(&RuleErrors(errors), json);
            ExitCode::from(1)
        }
        Err(BuildError::Rules(compile_errors)) => {
            errors.extend(compile_errors.0);
            errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            report_errors(&RuleErrors(errors), json);
            ExitCode::from(1)
        }
        Err(other) => {
            errors.push(RuleError::new("policy.toml", 1, None, other.to_string()));
            report_errors(&RuleErrors(errors), json);
            ExitCode::from(1)
        }
    }
}

fn report(engine: &Engine, rules: usize, metas: usize, json: bool) {
    let plans = engine
        .stage::<signature::SignatureStage>()
        .map_or(&[][..], |s| s.plans());
    if json {
        for plan in plans {
            println!(
                "{}",
                serde_json::json!({"id": plan.id, "file": plan.origin.file, "line": plan.origin.line,
                "target": plan.target, "channels": plan.channels, "engines": plan.paths})
            );
        }
        return;
    }
    let mut by_path: BTreeMap<&str, usize> = BTreeMap::new();
    for plan in plans {
        let paths: Vec<&str> = plan.paths.iter().map(|p| p.as_str()).collect();
        let channels: Vec<&str> = plan.channels.iter().map(|c| c.as_str()).collect();
        println!(
            "{:<32} {:<24} {:<18} {:<16} {}",
            plan.id,
            plan.origin.to_string(),
            plan.target,
            channels.join(","),
            paths.join(",")
        );
        for p in &plan.paths {
            *by_path.entry(p.as_str()).or_default() += 1;
        }
    }
    let summary: Vec<String> = by_path.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!(
        "\nok: {rules} rules, {metas} meta rules; patterns by engine: {}",
        summary.join(", ")
    );
}

fn report_errors(errors: &RuleErrors, json: bool) {
    for err in &errors.0 {
        if json {
            println!(
                "{}",
                serde_json::json!({"error": err.message, "file": err.file, "line": err.line, "rule": err.rule})
            );
        } else {
            eprintln!("error: {err}");
        }
    }
    eprintln!("{} error(s)", errors.0.len());
}

/// `rules check --profile`: measures every Hyperscan pattern afresh (the
/// cache is not read, so the numbers are this run's) and reports the most
/// expensive first.
pub fn profile(dir: Option<&Path>, json: bool, samples: &[PathBuf]) -> ExitCode {
    let mut sample = Vec::new();
    for path in samples {
        match std::fs::read(path) {
            Ok(bytes) => sample.extend_from_slice(&bytes),
            Err(err) => {
                eprintln!("floodwall: {}: {err}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let loaded = match dir {
        Some(dir) => RuleSet::load_dir(dir),
        None => RuleSet::embedded(),
    };
    let sample = (!sample.is_empty()).then_some(sample.as_slice());
    let mut profiles = match loaded.and_then(|set| signature::profile(&set, sample)) {
        Ok(profiles) => profiles,
        Err(errors) => {
            report_errors(&errors, json);
            return ExitCode::from(1);
        }
    };
    profiles.sort_by(|a, b| cost(b).total_cmp(&cost(a)));
    if json {
        for p in &profiles {
            println!("{}", serde_json::to_string(p).expect("profiles serialise"));
        }
        return ExitCode::SUCCESS;
    }
    println!(
        "{:<20} {:<12} {:>10} {:>10}  {:<16} {:<24} PATTERN",
        "RULE", "TARGET", "HS ns/KB", "PCRE2", "PLACEMENT", "GATE"
    );
    for p in profiles.iter().take(PROFILE_TOP) {
        let cell = |c: Option<f64>| c.map_or("-".to_string(), |v| format!("{v:.0}"));
        println!(
            "{:<20} {:<12} {:>10} {:>10}  {:<16} {:<24} {}",
            p.rule,
            p.target,
            cell(p.hyperscan_ns_per_kb),
            cell(p.pcre2_ns_per_kb),
            placement_name(p.placement),
            p.gate.join("|"),
            p.expression
        );
    }
    let total: f64 = profiles.iter().map(cost).sum();
    let expensive: Vec<&PatternProfile> = profiles.iter().filter(|p| p.expensive).collect();
    let moved = expensive
        .iter()
        .filter(|p| !matches!(p.placement, Placement::Shared | Placement::LazyDfa))
        .count();
    let in_dfa = profiles
        .iter()
        .filter(|p| p.placement == Placement::LazyDfa)
        .count();
    println!(
        "\n{} patterns, {} expensive ({:.0}% of the summed cost), {} of them gated or in PCRE2; {} in lazy DFAs",
        profiles.len(),
        expensive.len(),
        100.0 * expensive.iter().map(|p| cost(p)).sum::<f64>() / total.max(1.0),
        moved,
        in_dfa
    );
    ExitCode::SUCCESS
}

fn cost(p: &PatternProfile) -> f64 {
    p.hyperscan_ns_per_kb.unwrap_or(0.0)
}

fn placement_name(p: Placement) -> &'static str {
    match p {
        Placement::Shared => "shared",
        Placement::GatedHyperscan => "gated-hyperscan",
        Placement::GatedPcre2 => "gated-pcre2",
        Placement::Pcre2 => "pcre2",
        Placement::LazyDfa => "lazy-dfa",
    }
}
