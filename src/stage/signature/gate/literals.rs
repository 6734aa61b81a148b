//! Gates for expensive patterns: literals that every match must contain.
//!
//! An expensive pattern (see [`crate::stage::signature::tuning::profile`]) leaves the shared database
//! and runs on its own, but only on texts where one of its *gate literals*
//! occurs; the gate literals themselves are cheap literal patterns in the
//! shared database. Because every match of the pattern contains one of them
//! (the gate is a *necessary* condition), skipping the pattern when no gate
//! fired never changes a result; it only saves the scan.
//!
//! The literals come from the pattern's syntax tree (`regex-syntax`): a
//! literal or small class is itself required; a concatenation requires
//! whatever any of its parts requires, or the product of a run of adjacent
//! fixed parts (`ab[cd]` requires one of `abc`, `abd`); an alternation
//! requires the union of what its branches require; an optional part
//! requires nothing. Patterns `regex-syntax` cannot parse (look-around,
//! back-references; see [`syntax`](crate::stage::signature::build::syntax))
//! get no gate and are never skipped.
//!
//! Gates are matched case-insensitively (ASCII), which is weaker than or
//! equal to the pattern's own case rule and so still necessary. Unicode
//! caseless matching (`i` with `u`) also folds `k` to the Kelvin sign and `s`
//! to the long s, so such patterns get a gate only if it has neither letter.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Gate literals shorter than this would occur in almost every message and
/// buy nothing; three bytes is the shortest that still filters English text.
pub(in crate::stage::signature) const MIN_GATE_LEN: usize = 3;
/// At most this many literals per gate (and per intermediate set).
const MAX_SET: usize = 32;
/// Classes up to this size count as a choice of literals.
const MAX_CLASS: usize = 4;
/// A repetition's minimum count up to this makes its repeated form required.
const MAX_REPEAT_IN_GATE: u32 = 8;

/// What a sub-expression guarantees about its matches.
struct Facts {
    /// It matches exactly one of these strings.
    exact: Option<Vec<Vec<u8>>>,
    /// Every match contains one of these strings.
    required: Option<Vec<Vec<u8>>>,
}

/// The gate literals of a pattern (lower-cased), or `None` when no useful
/// necessary literal set exists.
pub(in crate::stage::signature) fn gate_literals(
    hir: &Hir,
    caseless_unicode: bool,
) -> Option<Vec<Vec<u8>>> {
    let set = normalise(facts(hir).required?)?;
    if caseless_unicode
        && set
            .iter()
            .any(|l| !l.is_ascii() || l.iter().any(|b| matches!(b, b'k' | b's')))
    {
        return None;
    }
    Some(set)
}

/// Lower-cases and deduplicates; refuses sets with a literal too short.
fn normalise(set: Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
    let mut set: Vec<Vec<u8>> = set.into_iter().map(|l| l.to_ascii_lowercase()).collect();
    set.sort();
    set.dedup();
    let ok = !set.is_empty() && set.len() <= MAX_SET && set.iter().all(|l| l.len() >= MIN_GATE_LEN);
    ok.then_some(set)
}

/// Higher is a better gate: longer shortest literal, then fewer literals.
fn rank(set: &[Vec<u8>]) -> (usize, usize) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest, MAX_SET.saturating_sub(set.len()))
}

fn better(a: Option<Vec<Vec<u8>>>, b: Option<Vec<Vec<u8>>>) -> Option<Vec<Vec<u8>>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if rank(&b) > rank(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y.as_slice()].concat()))
            .collect(),
    )
}

fn class_strings(class: &Class) -> Option<Vec<Vec<u8>>> {
    match class {
        // Gates match caselessly, so a class counts by its lower-case
        // bytes: a caseless pattern's `f` is the class `[Ff]`, one choice.
        Class::Bytes(c) => {
            let count: usize = c
                .ranges()
                .iter()
                .map(|r| usize::from(r.end() - r.start()) + 1)
                .sum();
            if count > 2 * MAX_CLASS {
                return None;
            }
            let mut bytes: Vec<u8> = c
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .map(|b| b.to_ascii_lowercase())
                .collect();
            bytes.sort_unstable();
            bytes.dedup();
            (bytes.len() <= MAX_CLASS).then(|| bytes.into_iter().map(|b| vec![b]).collect())
        }
        Class::Unicode(c) => {
            let count: usize = c
                .ranges()
                .iter()
                .map(|r| (r.end() as u32 - r.start() as u32) as usize + 1)
                .sum();
            (count <= MAX_CLASS).then(|| {
                c.iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|ch| ch.to_string().into_bytes())
                    .collect()
            })
        }
    }
}

fn facts(hir: &Hir) -> Facts {
    let fixed = |set: Vec<Vec<u8>>| Facts {
        required: Some(set.clone()),
        exact: Some(set),
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Facts {
            exact: Some(vec![Vec::new()]),
            required: None,
        },
        HirKind::Literal(lit) => fixed(vec![lit.0.to_vec()]),
        HirKind::Class(class) => match class_strings(class) {
            Some(set) => fixed(set),
            None => Facts {
                exact: None,
                required: None,
            },
        },
        HirKind::Capture(cap) => facts(&cap.sub),
        HirKind::Repetition(rep) if rep.min == 0 => Facts {
            exact: None,
            required: None,
        },
        HirKind::Repetition(rep) => {
            let sub = facts(&rep.sub);
            let repeated = |times: u32| {
                let one = sub.exact.as_ref()?;
                (1..times).try_fold(one.clone(), |acc, _| product(&acc, one))
            };
            let exact = match rep.max {
                Some(max) if max == rep.min && max <= 4 => repeated(max),
                _ => None,
            };
            // `x{4,}` starts with `xxxx`, so every match contains it: the
            // gate of stretched words (`f{4,}r+e+`) that no single letter is.
            let required = match rep.min {
                2..=MAX_REPEAT_IN_GATE => better(sub.required, repeated(rep.min)),
                _ => sub.required,
            };
            Facts { exact, required }
        }
        HirKind::Concat(parts) => concat(parts),
        HirKind::Alternation(branches) => {
            let all: Vec<Facts> = branches.iter().map(facts).collect();
            let union = |pick: fn(&Facts) -> Option<&Vec<Vec<u8>>>| {
                let mut out = Vec::new();
                for f in &all {
                    out.extend(pick(f)?.iter().cloned());
                }
                // Branches often share what they require (`f{4,}r+|f{4,}e+`).
                out.sort();
                out.dedup();
                (out.len() <= MAX_SET).then_some(out)
            };
            Facts {
                exact: union(|f| f.exact.as_ref()),
                required: union(|f| f.required.as_ref()),
            }
        }
    }
}

fn concat(parts: &[Hir]) -> Facts {
    let mut best: Option<Vec<Vec<u8>>> = None;
    let mut run: Option<Vec<Vec<u8>>> = Some(vec![Vec::new()]);
    let mut whole: Option<Vec<Vec<u8>>> = Some(vec![Vec::new()]);
    for part in parts {
        let f = facts(part);
        best = better(best, f.required.clone().and_then(normalise));
        whole = match (&whole, &f.exact) {
            (Some(w), Some(e)) => product(w, e),
            _ => None,
        };
        run = match (run, f.exact) {
            (Some(r), Some(e)) => match product(&r, &e) {
                Some(p) => Some(p),
                None => {
                    best = better(best, normalise(r));
                    Some(e)
                }
            },
            (Some(r), None) => {
                best = better(best, normalise(r));
                None
            }
            (None, e) => e,
        };
    }
    if let Some(r) = run {
        best = better(best, normalise(r));
    }
    Facts {
        exact: whole,
        required: best,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Flags;
    use crate::stage::signature::build::syntax::parse;

    fn literals(p: &str, caseless: bool, caseless_unicode: bool) -> Option<Vec<Vec<u8>>> {
        let flags = Flags {
            caseless,
            ..Flags::default()
        };
        gate_literals(&parse(p, flags)?, caseless_unicode)
    }

    fn gate(p: &str) -> Option<Vec<String>> {
        literals(p, false, false).map(|set| {
            set.into_iter()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .collect()
        })
    }

    #[test]
    fn finds_the_longest_required_literals() {
        assert_eq!(gate(r"\bfree\b.{0,40}\bmoney\b").unwrap(), ["money"]);
        assert_eq!(gate(r"\b(?:cash|loan)\s+now").unwrap(), ["cash", "loan"]);
        assert_eq!(gate(r"pa[yi]pal").unwrap(), ["paipal", "paypal"]);
        assert_eq!(gate(r"(?i)WIN\d+").unwrap(), ["win"]);
        assert_eq!(
            gate(r"\bf{4,}r+e+\b|\bf+r{4,}e+").unwrap(),
            ["ffff", "rrrr"]
        );
        assert_eq!(gate(r"(?:ab){2,}").unwrap(), ["abab"]);
        assert_eq!(gate(r"x{2,}"), None, "xx is too short to filter");
    }

    #[test]
    fn refuses_optional_short_or_unparseable_parts() {
        assert_eq!(gate(r"v[_\W]{0,3}[i1!|][_\W]{0,3}a[_\W]{0,3}g"), None);
        assert_eq!(gate(r"(?:free)?\d{5}"), None);
        assert_eq!(gate(r"\bfree(?!dom)"), None);
        assert_eq!(gate(r"[A-Z]{4,}\s+[A-Z]{4,}"), None);
        assert_eq!(gate(r"cash|\d+"), None);
        assert_eq!(gate(r"\<font\>"), None);
    }

    #[test]
    fn unicode_caseless_gates_avoid_letters_with_non_ascii_folds() {
        assert_eq!(
            literals("lottery", true, true).unwrap(),
            [b"lottery".to_vec()]
        );
        assert_eq!(literals("kiss", true, true), None);
    }

    #[test]
    fn caseless_patterns_get_the_gates_of_their_lower_case_form() {
        for p in [
            r"\bfree\b.{0,40}\bmoney\b",
            r"pa[yi]pal",
            r"\bf{4,}r+e+\b|\bf+r{4,}e+",
            r"[a-d]xyz",
        ] {
            assert_eq!(literals(p, true, false), literals(p, false, false), "{p}");
        }
    }
}
