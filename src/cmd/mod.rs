//! How each command runs: `inspect`, `diff` and the TUI. Each reads the
//! config once, checks every option before the slow loads, drives the
//! [`crate::pipeline`], and hands the result to a `report` writer or the
//! `ui`. Errors carry their context through `anyhow`; `cli::run` prints
//! them in one place.

pub mod diff;
pub mod inspect;
pub mod plan;
pub mod tui;

pub use crate::report::OutputFormat;
use crate::source::LoadOptions;
use anyhow::anyhow;
use std::path::PathBuf;

/// What every command shares: how to load, and which config file.
#[derive(Clone, Debug, Default)]
pub struct Common {
    pub load: LoadOptions,
    /// `--config FILE`; `None`: `$STAGEDIFF_CONFIG` or the default path.
    pub config: Option<PathBuf>,
}

/// The config file, read once per command.
#[derive(Debug)]
pub struct Config {
    /// The file as the user would name it ("" when there is none).
    pub path: String,
    pub table: toml::Table,
}

impl Config {
    pub fn read(common: &Common) -> anyhow::Result<Config> {
        let table = crate::config::load(common.config.as_deref()).map_err(anyhow::Error::msg)?;
        let path = common
            .config
            .clone()
            .or_else(crate::config::default_path)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        Ok(Config { path, table })
    }

    /// The analysis and the key map say "config" for the file; every
    /// command names it the same way: `config PATH: problem`.
    fn named(&self, e: String) -> anyhow::Error {
        match e.strip_prefix("config") {
            Some(rest) => anyhow!("config {}{rest}", self.path),
            None => anyhow!("config {}: {e}", self.path),
        }
    }

    /// Built-in rules, the config's tables, then `extra` (`diff --rules`).
    pub fn rules(&self, extra: Option<&std::path::Path>) -> anyhow::Result<crate::analysis::Rules> {
        crate::analysis::Rules::load(&self.table, extra).map_err(|e| self.named(e))
    }

    /// The TUI's key map.
    pub fn keys(&self) -> anyhow::Result<crate::ui::keys::KeyMap> {
        crate::ui::keys::KeyMap::from_config(&self.table).map_err(|e| self.named(e))
    }
}

/// A library error as one line: its message already carries its causes
/// (`cannot read X: permission denied`), so the chain is not repeated.
pub(crate) fn one_line(e: crate::Error) -> anyhow::Error {
    anyhow::Error::msg(e.to_string())
}

/// Where the demo pair may be, first found wins: `$STAGEDIFF_DEMO_DIR`;
/// beside the binary (`demo/`, `../share/stagediff/demo`, as `cargo
/// install` or a package would put it); the XDG data directories
/// (`stagediff/demo`); and the source tree the binary was built from.
pub fn demo_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("STAGEDIFF_DEMO_DIR") {
        dirs.push(PathBuf::from(d));
    }
    if let Some(bin) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(PathBuf::from))
    {
        dirs.push(bin.join("demo"));
        dirs.push(bin.join("../share/stagediff/demo"));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        Some(d) => dirs.push(PathBuf::from(d).join("stagediff/demo")),
        None => dirs.extend(home.map(|h| h.join(".local/share/stagediff/demo"))),
    }
    let data_dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    for d in data_dirs.split(':').filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(d).join("stagediff/demo"));
    }
    dirs.push(source_demo_dir());
    dirs
}

/// Where the source tree the binary was built from keeps the demo pair.
fn source_demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

const DEMO_FILES: [&str; 2] = ["single.docker.tar.zst", "multi.docker.tar.zst"];

/// The demo pair in `dir`, as image references.
fn demo_pair_in(dir: &std::path::Path) -> (String, String) {
    let reference = |f: &str| format!("docker-archive:{}", dir.join(f).display());
    (reference(DEMO_FILES[0]), reference(DEMO_FILES[1]))
}

/// The first of [`demo_dirs`] that holds both demo images, or an error that
/// lists where it looked.
pub fn find_demo_pair() -> anyhow::Result<(String, String)> {
    let dirs = demo_dirs();
    let found = dirs
        .iter()
        .find(|d| DEMO_FILES.iter().all(|f| d.join(f).is_file()));
    match found {
        Some(dir) => Ok(demo_pair_in(dir)),
        None => anyhow::bail!(
            "the demo pair ({} and {}) is in none of: {}; set STAGEDIFF_DEMO_DIR to the \
             directory that holds it (assets/demo in the source tree)",
            DEMO_FILES[0],
            DEMO_FILES[1],
            dirs.iter()
                .map(|d| crate::escape::escape_str(&d.display().to_string()).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Paths of the bundled demo pair (single-stage, multi-stage), as image
/// references: where [`find_demo_pair`] finds it, else the source tree's.
pub fn demo_pair() -> (String, String) {
    find_demo_pair().unwrap_or_else(|_| demo_pair_in(&source_demo_dir()))
}

/// Writes `bytes` to stdout; `false` when the reader closed the pipe.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<bool> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    written(out.write_all(bytes).and_then(|()| out.flush()))
}

/// A finished write: `true` when it all went out, `false` when the reader
/// closed the pipe (`| head`), which is not an error worth a message.
fn written(r: std::io::Result<()>) -> anyhow::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if closed_pipe(&e) => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("writing output")),
    }
}

/// A write the reader ended, also when serde wrapped it (JSON reports).
fn closed_pipe(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.kind() == BrokenPipe
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<serde_json::Error>())
            .and_then(|j| j.io_error_kind())
            == Some(BrokenPipe)
}
