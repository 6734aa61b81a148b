//! OpenDKIM's `miltertest`: an MTA simulator scripted in Lua, for the
//! protocol's corner cases that a real MTA seldom produces on demand.

use std::process::Command;

/// Runs a miltertest script (installing the package when missing) and
/// returns its output, or the output and status when the script failed.
pub fn run(script: &str) -> Result<String, String> {
    super::postfix::ensure_installed()?;
    let path = std::env::temp_dir().join(format!(
        "floodwall-miltertest-{}-{}.lua",
        std::process::id(),
        unique()
    ));
    std::fs::write(&path, script).map_err(|e| format!("writing {}: {e}", path.display()))?;
    let output = Command::new("miltertest")
        .args(["-v", "-v", "-s"])
        .arg(&path)
        .output()
        .map_err(|e| format!("running miltertest: {e}"));
    let _ = std::fs::remove_file(&path);
    let output = output?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(format!("miltertest failed ({}):\n{text}", output.status))
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
