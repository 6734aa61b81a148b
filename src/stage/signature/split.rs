//! Splitting a target's patterns into the shared database and slow paths.
//!
//! Every pattern first goes through [`profile`](super::profile). A cheap
//! one stays in the target's shared Hyperscan database. An expensive one
//! leaves it when that pays:
//!
//! - with a [gate](super::gate) (literals every match contains), it runs
//!   alone, and only on texts where the shared database saw a gate literal;
//!   alone in its own Hyperscan database, or through PCRE2 if PCRE2 measured
//!   cheaper on the sample;
//! - without a gate, it runs on every text either way, so it leaves only for
//!   PCRE2, and only if PCRE2 measured at least [`PCRE2_MARGIN`] times
//!   cheaper (PCRE2 JIT skips to a pattern's first character with a
//!   vectorised search, which suits obfuscation chains such as
//!   `v[_\W]{0,3}[i1!|]…` that Hyperscan has to run as an automaton over
//!   every byte); otherwise it stays in the shared database.
//!
//! Results are identical with and without the split: a gate is a necessary
//! condition for a match, and the same pattern runs on the same text in
//! another engine with PCRE semantics (`tests/signature_split.rs` checks
//! this on generated rules and mail).

use std::path::Path;
use std::sync::Arc;

use super::cache::{self, StableHash};
use super::compile::{pcre2_regex, PreparedPattern};
use super::gate::gate_literals;
use super::profile;

/// An ungated expensive pattern moves to PCRE2 only if PCRE2 is at least
/// this many times cheaper: below that, measurement noise on a shared
/// machine could move it back and forth between builds.
pub const PCRE2_MARGIN: f64 = 2.0;

type Regex = Arc<pcre2::bytes::Regex>;

/// Where a pattern runs after the split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// In the target's shared Hyperscan database.
    Shared,
    /// Alone in its own Hyperscan database, when a gate literal occurs.
    GatedHyperscan,
    /// Through PCRE2, when a gate literal occurs.
    GatedPcre2,
    /// Through PCRE2 on every text (no gate, PCRE2 much cheaper).
    Pcre2,
}

/// The measurements and decision for one pattern.
#[derive(Clone, Debug)]
pub(super) struct Decision {
    pub hyperscan_ns_per_kb: Option<f64>,
    pub pcre2_ns_per_kb: Option<f64>,
    pub expensive: bool,
    pub placement: Placement,
    pub gate: Option<Vec<Vec<u8>>>,
    /// The regex for the PCRE2 placements.
    pub regex: Option<Regex>,
}

/// Decides the placement of each pattern of one database. Costs come from
/// `cache_dir` when this exact pattern list was profiled on this sample and
/// platform before (so a warm start does not re-measure, and the split stays
/// the same between starts), else they are measured and stored.
pub(super) fn decide(
    patterns: &[&PreparedPattern],
    sample: &[u8],
    cache_dir: Option<&Path>,
    threshold: Option<f64>,
) -> Vec<Decision> {
    let mut key = cache::environment_hash();
    key.feed(b"profile")
        .feed(&StableHash::new().feed(sample).hex().into_bytes())
        .feed(&threshold.map_or(-1.0, |t| t).to_le_bytes());
    cache::feed_patterns(&mut key, patterns);
    let name = format!("profile-{}.txt", key.hex());
    let cached = cache_dir
        .and_then(|dir| cache::read_text(dir, &name))
        .and_then(|text| parse_costs(&text, patterns.len()));
    let costs = cached.unwrap_or_else(|| {
        let sample_costs = measure(patterns, sample, threshold);
        if let Some(dir) = cache_dir {
            cache::write_text(dir, &name, &format_costs(&sample_costs));
        }
        sample_costs
    });
    let hs_costs: Vec<Option<f64>> = costs.iter().map(|c| c.0).collect();
    let expensive = profile::expensive(&hs_costs, threshold);
    // PCRE2 equivalents only for the expensive few: compiling one for each
    // of 1,500 patterns would add a quarter second to every warm start.
    let regexes: Vec<Option<Regex>> = patterns
        .iter()
        .zip(&expensive)
        .map(|(p, &e)| e.then(|| pcre2_equivalent(p)).flatten())
        .collect();
    patterns
        .iter()
        .zip(costs)
        .zip(expensive)
        .zip(regexes)
        .map(|(((p, (hs, pc)), expensive), regex)| {
            let caseless_unicode = p.rule_flags.caseless && p.rule_flags.utf8;
            let gate = expensive
                .then(|| gate_literals(&p.expression, caseless_unicode))
                .flatten();
            let pcre2_cheaper = |margin: f64| match (hs, pc, &regex) {
                (Some(hs), Some(pc), Some(_)) => pc * margin < hs,
                _ => false,
            };
            let placement = match (expensive, &gate) {
                (false, _) => Placement::Shared,
                (true, Some(_)) if pcre2_cheaper(1.0) => Placement::GatedPcre2,
                (true, Some(_)) => Placement::GatedHyperscan,
                (true, None) if pcre2_cheaper(PCRE2_MARGIN) => Placement::Pcre2,
                (true, None) => Placement::Shared,
            };
            Decision {
                hyperscan_ns_per_kb: hs,
                pcre2_ns_per_kb: pc,
                expensive,
                placement,
                gate,
                regex: matches!(placement, Placement::GatedPcre2 | Placement::Pcre2)
                    .then_some(regex)
                    .flatten(),
            }
        })
        .collect()
}

type Costs = (Option<f64>, Option<f64>);

/// Hyperscan cost of every pattern; PCRE2 cost of the expensive ones (the
/// others never leave the shared database, so it is not worth measuring).
fn measure(patterns: &[&PreparedPattern], sample: &[u8], threshold: Option<f64>) -> Vec<Costs> {
    let hs: Vec<Option<f64>> = patterns
        .iter()
        .map(|p| profile::hyperscan_cost(p, sample))
        .collect();
    let expensive = profile::expensive(&hs, threshold);
    hs.into_iter()
        .zip(expensive)
        .zip(patterns)
        .map(|((hs, expensive), p)| {
            let pc = expensive
                .then(|| pcre2_equivalent(p))
                .flatten()
                .and_then(|re| profile::pcre2_cost(&re, sample));
            (hs, pc)
        })
        .collect()
}

/// The confirm regex of a prefilter pattern, or a PCRE2 build of the
/// expression (`None` in the rare case PCRE2 refuses what Hyperscan took).
fn pcre2_equivalent(p: &PreparedPattern) -> Option<Regex> {
    p.confirm
        .clone()
        .or_else(|| pcre2_regex(&p.expression, p.rule_flags).ok().map(Arc::new))
}

fn format_costs(costs: &[Costs]) -> String {
    let cell = |c: Option<f64>| c.map_or("-".to_string(), |v| format!("{v:.1}"));
    costs
        .iter()
        .map(|(hs, pc)| format!("{} {}\n", cell(*hs), cell(*pc)))
        .collect()
}

fn parse_costs(text: &str, count: usize) -> Option<Vec<Costs>> {
    let cell = |c: &str| -> Option<Option<f64>> {
        match c {
            "-" => Some(None),
            v => v.parse().ok().map(Some),
        }
    };
    let costs: Vec<Costs> = text
        .lines()
        .map(|line| {
            let (hs, pc) = line.split_once(' ')?;
            Some((cell(hs)?, cell(pc)?))
        })
        .collect::<Option<_>>()?;
    (costs.len() == count).then_some(costs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_entries_round_trip_and_reject_mismatches() {
        let costs = vec![
            (Some(120.5), None),
            (None, None),
            (Some(9000.0), Some(300.0)),
        ];
        let text = format_costs(&costs);
        assert_eq!(parse_costs(&text, 3), Some(costs));
        assert_eq!(parse_costs(&text, 2), None);
        assert_eq!(parse_costs("12 x\n", 1), None);
    }
}
