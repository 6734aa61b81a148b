//! `floodwall rules check`: load and compile a rules directory, report every
//! error (file, line, rule id) and the engine each rule takes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use floodwall::rules::{RuleErrors, RuleSet};
use floodwall::Engine;

pub fn run(dir: Option<&Path>, json: bool) -> ExitCode {
    let loaded = match dir {
        Some(dir) => RuleSet::load_dir(dir),
        None => RuleSet::embedded(),
    };
    let engine = loaded.and_then(|set| {
        let counts = (set.rules.len(), set.metas.len());
        Engine::builder(set).build().map(|engine| (engine, counts))
    });
    match engine {
        Ok((engine, (rules, metas))) => {
            report(&engine, rules, metas, json);
            ExitCode::SUCCESS
        }
        Err(errors) => {
            report_errors(&errors, json);
            ExitCode::from(1)
        }
    }
}

fn report(engine: &Engine, rules: usize, metas: usize, json: bool) {
    let plans = engine.rule_plans();
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
