//! Input files: paths expanded (directories recursively, in name order),
//! read, split into payloads and decoded into messages, in one stream so that
//! concatenated SMS spread over files still reassemble.

use std::path::{Path, PathBuf};

use floodwall::ingest::{self, Format};
use floodwall::{Engine, Message};
use indicatif::{ProgressBar, ProgressStyle};

/// Every file under `paths`, directories expanded recursively and sorted.
pub fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        walk(path, &mut out);
    }
    out
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
            Err(_) => {
                out.push(path.to_path_buf());
                return;
            }
        };
        entries.sort();
        for entry in entries {
            let hidden = entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden {
                walk(&entry, out);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
}

/// A progress bar on a terminal, nothing in a pipe; `unit` names what it
/// counts ("files", "passes").
pub fn progress(len: usize, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{pos}}/{{len}} {unit} [{{bar:30}}] {{msg}}"
        ))
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    bar
}

/// Decodes every file and calls `each(source, index, message)`; reports
/// unreadable or unrecognised files on stderr. Returns whether all went well.
pub fn for_each_message(
    engine: &Engine,
    format: Format,
    paths: &[PathBuf],
    mut each: impl FnMut(&str, usize, &Message<'_>),
) -> bool {
    let files = expand(paths);
    let bar = progress(files.len(), "files");
    let mut decoder = engine.decoder();
    let mut ok = true;
    for (n, file) in files.iter().enumerate() {
        let source = file.display().to_string();
        bar.set_position(n as u64);
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(err) => {
                bar.suspend(|| eprintln!("floodwall: {source}: {err}"));
                ok = false;
                continue;
            }
        };
        let payloads = match ingest::split(format, &bytes) {
            Ok(payloads) => payloads,
            Err(err) => {
                bar.suspend(|| eprintln!("floodwall: {source}: {err}"));
                ok = false;
                continue;
            }
        };
        let mut index = 0;
        let mut out = Vec::new();
        for payload in payloads {
            out.clear();
            decoder.decode(payload, now_ms(), &mut out);
            for msg in out.iter() {
                index += 1;
                bar.suspend(|| each(&source, index, msg));
            }
        }
    }
    bar.finish_and_clear();
    let mut rest = Vec::new();
    decoder.finish(&mut rest);
    for (i, msg) in rest.iter().enumerate() {
        each("(incomplete at end of input)", i + 1, msg);
    }
    ok
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
