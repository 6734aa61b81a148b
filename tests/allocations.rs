//! The scan path allocates what it returns and nothing else: a scan of a
//! decoded message makes one allocation, the verdict's symbol list, and none
//! when no symbol shows; plus, for a symbol with options (the classifier's
//! `p=0.973`), its option list and each option's string, which the verdict
//! owns. Line-rate traffic makes every per-message
//! allocation count, and this is where a stray `to_string` or a `Vec` that
//! grows would slip back in unseen.
//!
//! This test binary has its own global allocator, which counts the
//! allocations of the thread that makes them (other tests' threads do not
//! count).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::OnceLock;

use floodwall::stage::signature::{SignatureOptions, Tuning};
use floodwall::{ingest, workload, Channel, Engine, Message, Scratch};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One engine for both tests: building the shipped rules cold takes seconds.
/// Tuned at build, so that the plan the tests measure is the one a service
/// runs in its steady state and no swap to it happens mid-test.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let rules = floodwall::rules::RuleSet::embedded().expect("the shipped rules load");
        Engine::builder(rules)
            .signature_options(SignatureOptions {
                tuning: Tuning::AtBuild,
                ..SignatureOptions::default()
            })
            .build()
            .expect("the shipped rules compile")
    })
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// What a verdict owns on the heap: its symbol list, and each symbol's
/// option list and option strings.
fn owned_allocations(verdict: &floodwall::Verdict) -> usize {
    let options: usize = verdict
        .symbols
        .iter()
        .filter(|s| !s.options.is_empty())
        .map(|s| 1 + s.options.len())
        .sum();
    usize::from(!verdict.symbols.is_empty()) + options
}

/// Scans every message twice (the first pass warms the scratch: lazy DFA
/// states, buffers) and fails, naming `what`, if any scan of the second
/// pass allocated other than what its verdict owns: with each such
/// message's index, allocation count and symbols.
fn assert_scans_allocate_only_the_verdict(
    what: &str,
    engine: &Engine,
    scratch: &mut Scratch,
    messages: &[Message<'_>],
) {
    for msg in messages {
        engine.scan(msg, scratch);
    }
    let mut extra = Vec::new();
    for (i, msg) in messages.iter().enumerate() {
        let before = allocations();
        let verdict = engine.scan(msg, scratch);
        let made = allocations() - before;
        let expected = owned_allocations(&verdict);
        if made != expected {
            let names: Vec<String> = verdict.symbols.iter().map(|s| s.name.to_string()).collect();
            extra.push((i, made, names));
        }
    }
    assert!(
        extra.is_empty(),
        "{what}: {} of {} scans allocated beyond the verdict (message, allocations, symbols): {:?}",
        extra.len(),
        messages.len(),
        &extra[..extra.len().min(5)]
    );
}

fn decode_all<'a>(engine: &Engine, inputs: &'a [(ingest::Format, Vec<u8>)]) -> Vec<Message<'a>> {
    let mut decoder = engine.decoder();
    let mut messages = Vec::new();
    for (format, bytes) in inputs {
        let _ = ingest::split_each(*format, bytes, |payload| {
            decoder.decode(payload, 0, &mut messages)
        });
    }
    messages
}

#[test]
fn a_scan_allocates_only_the_verdicts_symbol_list() {
    let engine = engine();
    let mut scratch = engine.scratch();
    for channel in Channel::ALL {
        let inputs: Vec<_> = workload::generate(channel, 0x5eed_f100d, 600)
            .into_iter()
            .map(|s| (s.format, s.bytes))
            .collect();
        let messages = decode_all(engine, &inputs);
        assert!(messages.len() >= 600, "{channel}: {}", messages.len());
        assert_scans_allocate_only_the_verdict(channel.as_str(), engine, &mut scratch, &messages);
    }
}

#[test]
fn a_scan_of_any_seed_allocates_only_the_verdicts_symbol_list() {
    let engine = engine();
    let mut scratch = engine.scratch();
    let mut inputs = Vec::new();
    let mut names = Vec::new();
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    seed_files(&seeds, &mut names);
    for path in &names {
        let bytes = std::fs::read(path).expect("seed readable");
        if let Some(format) = ingest::detect(&bytes) {
            inputs.push((format, bytes));
        }
    }
    assert!(inputs.len() >= 30, "seeds found: {}", inputs.len());
    let messages = decode_all(engine, &inputs);
    assert_scans_allocate_only_the_verdict("seeds", engine, &mut scratch, &messages);
}

fn seed_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("seeds/ readable")
        .map(|e| e.expect("seed entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            seed_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
