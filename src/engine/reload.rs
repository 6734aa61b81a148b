//! Swapping in a new rule set while the old one keeps scanning.
//!
//! Building an engine can take seconds (tens with thousands of regexes and a
//! cold cache), so a reload compiles on its own thread and only then swaps
//! the shared `Arc<Engine>`. Scanning threads take a snapshot with
//! [`ReloadableEngine::current`] (one read lock and an `Arc` clone) per batch
//! or connection, not per message, and keep their snapshot until they ask
//! again; the lock is held only for the clone or the swap, never during a
//! build. If the new rules fail to load or compile, the old engine stays in
//! place and the errors are returned through the join handle.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::thread::JoinHandle;

use super::{BuildError, Engine, EngineBuilder};
use crate::rules::RuleSet;

type Configure = dyn Fn(EngineBuilder) -> EngineBuilder + Send + Sync;

/// An engine that can be replaced by one built from a rules directory.
///
/// ```
/// use floodwall::{Engine, ReloadableEngine};
///
/// let engine = ReloadableEngine::new(Engine::embedded().expect("shipped rules compile"));
/// let missing = std::env::temp_dir().join("floodwall-no-such-rules-dir");
/// let result = engine.reload_in_background(missing).join().expect("no panic");
/// assert!(result.is_err());
/// let _still_serving = engine.current();
/// ```
#[derive(Clone)]
pub struct ReloadableEngine {
    current: Arc<RwLock<Arc<Engine>>>,
    /// Bumped at every swap, so that a worker sees a new engine with one
    /// atomic load per batch instead of a lock.
    generation: Arc<AtomicU64>,
    configure: Arc<Configure>,
}

impl From<Arc<Engine>> for ReloadableEngine {
    fn from(engine: Arc<Engine>) -> ReloadableEngine {
        ReloadableEngine::shared(engine)
    }
}

impl From<Engine> for ReloadableEngine {
    fn from(engine: Engine) -> ReloadableEngine {
        ReloadableEngine::new(engine)
    }
}

impl ReloadableEngine {
    /// Serves `engine`; reloads build with default options.
    pub fn new(engine: Engine) -> ReloadableEngine {
        ReloadableEngine::shared(Arc::new(engine))
    }

    /// Serves an engine already shared.
    pub fn shared(engine: Arc<Engine>) -> ReloadableEngine {
        ReloadableEngine {
            current: Arc::new(RwLock::new(engine)),
            generation: Arc::new(AtomicU64::new(0)),
            configure: Arc::new(|builder| builder),
        }
    }

    /// Options for the engines built on reload (cache directory, ingest
    /// limits, extra stages).
    pub fn configure(
        mut self,
        configure: impl Fn(EngineBuilder) -> EngineBuilder + Send + Sync + 'static,
    ) -> ReloadableEngine {
        self.configure = Arc::new(configure);
        self
    }

    /// The engine serving now.
    pub fn current(&self) -> Arc<Engine> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many times an engine was swapped in: a scanning thread that
    /// saw another number takes [`current`](Self::current) again.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Serves `engine` from now on.
    pub fn swap(&self, engine: Engine) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        *current = Arc::new(engine);
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Loads and compiles `dir` on this thread, then swaps it in. On error
    /// the current engine is kept. The new engine shares the current one's
    /// [`Services`](crate::stage::Services) (clock, state store), so stream
    /// state outlives the reload.
    pub fn reload(&self, dir: PathBuf) -> Result<(), BuildError> {
        let rules = RuleSet::load_dir(&dir)?;
        let services = self.current().services().clone();
        let builder = EngineBuilder::new(rules).services(services);
        self.swap((self.configure)(builder).build()?);
        Ok(())
    }

    /// [`reload`](Self::reload) on a new thread.
    pub fn reload_in_background(&self, dir: PathBuf) -> JoinHandle<Result<(), BuildError>> {
        let this = self.clone();
        std::thread::spawn(move || this.reload(dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest;

    fn rules_dir(name: &str, pattern: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("floodwall-reload-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir is writable");
        let text = format!(
            "[[rule]]\nid = \"WORD\"\ndescription = \"d\"\nscore = 1.0\ntarget = \"body\"\npattern = '''{pattern}'''\n"
        );
        std::fs::write(dir.join("r.toml"), text).expect("temp dir is writable");
        dir
    }

    fn fires(engine: &Engine, body: &str) -> bool {
        let raw = format!("Subject: s\r\n\r\n{body}\r\n");
        let msg = ingest::email::parse(raw.as_bytes(), engine.ingest_config());
        engine.scan(&msg, &mut engine.scratch()).has("WORD")
    }

    #[test]
    fn swaps_on_success_and_keeps_serving_on_failure() {
        let first = rules_dir("first", r"\bapple\b");
        let engine = ReloadableEngine::new(Engine::from_dir(&first).expect("valid rules"))
            .configure(|b| b.split_expensive_patterns(false));
        let before = engine.current();
        assert!(fires(&before, "an apple"));

        let second = rules_dir("second", r"\bpear\b");
        let result = engine.reload_in_background(second.clone()).join();
        assert!(matches!(result, Ok(Ok(()))));
        let after = engine.current();
        assert!(fires(&after, "a pear") && !fires(&after, "an apple"));
        assert!(fires(&before, "an apple"), "an old snapshot keeps working");

        let broken = rules_dir("broken", r"(unclosed");
        let result = engine.reload_in_background(broken.clone()).join();
        assert!(matches!(result, Ok(Err(_))));
        assert!(
            fires(&engine.current(), "a pear"),
            "the old engine keeps serving"
        );

        for dir in [first, second, broken] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
