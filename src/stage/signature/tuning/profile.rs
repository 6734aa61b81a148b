//! Measuring what each Hyperscan pattern costs, to find the few that
//! dominate a shared database.
//!
//! Hyperscan's cost is not shared fairly: literal-anchored patterns ride on
//! one literal matcher and cost almost nothing each, while a pattern without
//! a usable literal (`v[_\W]{0,3}[i1!|]…`, `[A-Z]{4,}\s+[A-Z]{4,}…`) runs an
//! automaton over every byte. On the 1,000 SpamAssassin-style
//! regexes, the 100 most expensive took the database from 41 to 11 MB/s.
//!
//! So each pattern is compiled alone and timed on a sample text (64 KB of
//! spam- and ham-like mail, or the operator's files). Without `SINGLEMATCH`,
//! so that a pattern matching early does not look cheap because Hyperscan
//! stops once every pattern has reported. A pattern is *expensive* when its
//! cost exceeds [`EXPENSIVE_FACTOR`] times the group's median (the cost of a
//! trivial database on this machine), and at least [`EXPENSIVE_FLOOR_NS`];
//! the relative rule makes the split independent of how fast the machine is,
//! the floor keeps it from splitting a set where everything is cheap.

use std::time::Instant;

use hyperscan::prelude::*;

use crate::stage::signature::build::compile::PreparedPattern;

/// A pattern is expensive above this multiple of the group's median cost.
pub const EXPENSIVE_FACTOR: f64 = 8.0;
/// ...and above this many nanoseconds per KB of sample (about 1 GB/s alone):
/// below it, a pattern costs less than the message parse does.
pub const EXPENSIVE_FLOOR_NS: f64 = 1000.0;
/// Timed runs per pattern; the fastest counts (noise on a shared machine
/// only ever adds time).
const RUNS: usize = 3;

/// Nanoseconds per KB of `sample` for `pattern` alone in Hyperscan, or
/// `None` if it does not compile alone (it did in the shared database, so
/// this is only a Hyperscan resource limit; the pattern is then left where
/// it is).
///
/// For a prefilter pattern this is the prefilter scan only, without its
/// PCRE2 confirms: how often the confirm runs depends on the traffic (the
/// sample is spam-dense), and moving a pattern to PCRE2 alone must not
/// depend on it. See [`crate::stage::signature::tuning::split`].
pub(in crate::stage::signature) fn hyperscan_cost(
    pattern: &PreparedPattern,
    sample: &[u8],
) -> Option<f64> {
    let flags = pattern.flags - CompileFlags::SINGLEMATCH;
    let db: BlockDatabase = Pattern::with_flags(pattern.expression.as_str(), flags)
        .and_then(|p| p.build())
        .ok()?;
    let scratch = db.alloc_scratch().ok()?;
    best_of(sample, || {
        let mut hits = 0u64;
        let _ = db.scan(sample, &scratch, |_, _, _, _| {
            hits += 1;
            Matching::Continue
        });
        hits
    })
}

/// Nanoseconds per KB of `sample` for a PCRE2 regex run to the first match
/// of each line, the way a confirm runs on a candidate text.
pub(in crate::stage::signature) fn pcre2_cost(
    regex: &pcre2::bytes::Regex,
    sample: &[u8],
) -> Option<f64> {
    best_of(sample, || {
        sample
            .split(|&b| b == b'\n')
            .filter(|line| regex.is_match(line).unwrap_or(false))
            .count() as u64
    })
}

fn best_of(sample: &[u8], mut run: impl FnMut() -> u64) -> Option<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..RUNS {
        let start = Instant::now();
        std::hint::black_box(run());
        best = best.min(start.elapsed().as_nanos() as f64);
    }
    (!sample.is_empty()).then(|| best * 1024.0 / sample.len() as f64)
}

/// Which patterns are expensive, from their measured costs; `threshold`
/// (ns per KB) replaces the measured one when given.
pub(in crate::stage::signature) fn expensive(
    costs: &[Option<f64>],
    threshold: Option<f64>,
) -> Vec<bool> {
    let mut known: Vec<f64> = costs.iter().flatten().copied().collect();
    known.sort_by(f64::total_cmp);
    let median = known.get(known.len() / 2).copied().unwrap_or(0.0);
    let threshold = threshold.unwrap_or((median * EXPENSIVE_FACTOR).max(EXPENSIVE_FLOOR_NS));
    costs
        .iter()
        .map(|c| c.is_some_and(|c| c > threshold))
        .collect()
}

/// The built-in sample: about 64 KB of ham- and spam-like mail text, with
/// the things rules look for (prices, shouting, obfuscated words, URLs,
/// addresses, HTML) at realistic density.
pub fn builtin_sample() -> Vec<u8> {
    const PARAGRAPHS: &[&str] = &[
        "Hi team,\nplease find attached the revised budget for the north project. \
         The meeting moved to Thursday 10:30 in room 4B; call me at 713-853-6992 if that \
         does not work. Thanks, Sally\n",
        "Dear Friend, I am Mr. Johnson Williams, director of audit at the bank. There is an \
         unclaimed inheritance of US$ 12,500,000.00 (TWELVE MILLION FIVE HUNDRED THOUSAND \
         DOLLARS) awaiting a beneficiary. Reply with your full name and phone number!!!\n",
        "Get V1@GRA and C.I.A.L.I.S at 80% off - no prescription needed. Our online pharmacy \
         ships worldwide: http://cheap-meds-4u.example.ru/order.php?id=8f3a9c0d1e2b4f5a \
         Click here to unsubscribe.\n",
        "<html><body><p style=\"color:#ff0000\">FREE GIFT CARD</p><a href=\"http://192.168.10.4/\
         claim/index.php?uid=0c9d8e7f6a5b4c3d2e1f\">Claim now</a><img src=\"cid:img001\"></body></html>\n",
        "Your account has been suspended. Verify your password within 24 hours at \
         https://secure-paypal.account-verify.example.tk/login to avoid permanent closure.\n",
        "Gas forecast for the week: Henry Hub 2.45, Transco Z6 3.10. Trading volumes were \
         light; see the attached spreadsheet (forecast_1213.xls) for the numbers by desk.\n",
        "ReplicaWatches RoLeX OmEgA  -- l u x u r y  w a t c h e s  from $199 !!! \
         Visit www.luxurywatchesreplicaoutletstoreonline.example.com today\n",
        "From: \"Customer Service\" <service7731@example.cn>\nSubject: RE: your invoice #20931\n\
         Dear customer, the delivery of your package failed; open the attached file.\n",
        "Thanks for the lunch yesterday. Are we still on for the contract review next Monday? \
         I will bring the draft and the comments from legal.\n",
        "M0RTGAGE rates at 2.9% -- refinance now and save $$$ on your home loan. \
         Approved in minutes, bad credit OK. Reply STOP to opt out.\n",
    ];
    let mut out = Vec::with_capacity(66 * 1024);
    let mut i = 0usize;
    while out.len() < 64 * 1024 {
        out.extend_from_slice(PARAGRAPHS[(i * 7) % PARAGRAPHS.len()].as_bytes());
        out.extend_from_slice(format!("-- {i}\n").as_bytes());
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_only_outliers_above_the_floor_as_expensive() {
        let cheap = vec![Some(100.0); 9];
        assert_eq!(expensive(&cheap, None), vec![false; 9]);
        assert_eq!(expensive(&cheap, Some(50.0)), vec![true; 9]);
        let mut mixed = cheap.clone();
        mixed.push(Some(50_000.0));
        mixed.push(None);
        let flags = expensive(&mixed, None);
        assert!(flags[9]);
        assert!(!flags[0] && !flags[10]);
    }

    #[test]
    fn builtin_sample_is_about_64_kb_of_text() {
        let sample = builtin_sample();
        assert!((64 * 1024..70 * 1024).contains(&sample.len()));
        assert!(std::str::from_utf8(&sample).is_ok());
    }
}
