//! `stagediff [BEFORE [AFTER]]`: the TUI. A broken config stops here,
//! before the terminal is taken, with the same message `diff` and
//! `inspect` give.

use super::{Common, Config};

/// Runs the TUI; returns the exit code.
pub fn run(images: Vec<String>, common: &Common) -> anyhow::Result<i32> {
    let config = Config::read(common)?;
    let keys = config.keys()?;
    // Config-file rules only: `diff --rules` is a report option.
    let rules = config.rules(None)?;
    crate::ui::run(images, common.load.clone(), keys, rules).map_err(anyhow::Error::msg)
}
