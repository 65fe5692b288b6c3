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

/// Paths of the bundled demo pair (single-stage, multi-stage), as image
/// references.
pub fn demo_pair() -> (String, String) {
    let dir = std::env::var_os("STAGEDIFF_DEMO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo"));
    (
        format!(
            "docker-archive:{}",
            dir.join("single.docker.tar.zst").display()
        ),
        format!(
            "docker-archive:{}",
            dir.join("multi.docker.tar.zst").display()
        ),
    )
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
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(anyhow::Error::new(e).context("writing output")),
    }
}
