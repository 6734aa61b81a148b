//! Embeds `rules/` (rule files, list files and classifier models) so that
//! the binary and library carry a working default rule set.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read at run time, not with `env!`: a build script's binary can be
    // reused for another checkout of the same package (a shared target
    // directory), and a directory baked in at its compile time may be gone.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .expect("cargo sets CARGO_MANIFEST_DIR for build scripts");
    let root = Path::new(&manifest).join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    let mut models = Vec::new();
    collect(&root, &root, &mut files, &mut models);
    // A binary without rules would accept every message: refuse to build one.
    assert!(
        !files.is_empty(),
        "no rule files (*.toml, *.txt) found under {}: the shipped rule set cannot be embedded",
        root.display()
    );
    files.sort();
    models.sort();
    let mut out = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for (rel, abs) in files {
        writeln!(out, "    ({rel:?}, include_str!({abs:?})),").unwrap();
    }
    out.push_str("];\n");
    // Model files are binary: embedded as bytes, by their path under rules/.
    out.push_str("pub static MODELS: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in models {
        writeln!(out, "    ({rel:?}, include_bytes!({abs:?})),").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_rules.rs");
    std::fs::write(dest, out).unwrap();
}

type Found = Vec<(String, String)>;

fn collect(root: &Path, dir: &Path, files: &mut Found, models: &mut Found) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files, models);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let found = (rel, path.display().to_string());
            match path.extension().and_then(|e| e.to_str()) {
                Some("toml" | "txt") => files.push(found),
                Some("fwm") => models.push(found),
                _ => {}
            }
        }
    }
}
