//! `stagediff [BEFORE [AFTER]]`: the TUI. A broken config stops here,
//! before the terminal is taken, with the same message `diff` and
//! `inspect` give. With stdout not a terminal (`stagediff A B > out.txt`,
//! `| less`) the TUI's escape codes would land in the file, so the text
//! report goes there instead, and stderr says so.

use super::{Common, Config, OutputFormat};

/// Runs the TUI; returns the exit code.
pub fn run(images: Vec<String>, common: &Common) -> anyhow::Result<i32> {
    use std::io::IsTerminal;
    let config = Config::read(common)?;
    // A broken key map is an error whether or not the TUI gets to draw.
    let keys = config.keys()?;
    if !std::io::stdout().is_terminal() {
        return report_instead(images, common);
    }
    // Config-file rules only: `diff --rules` is a report option.
    let rules = config.rules(None)?;
    crate::ui::run(images, common.load.clone(), keys, rules).map_err(anyhow::Error::msg)
}

/// What the TUI would show, as the text report of `diff` (two images) or
/// `inspect` (one).
fn report_instead(images: Vec<String>, common: &Common) -> anyhow::Result<i32> {
    let mut images = images.into_iter();
    let (first, second) = (images.next(), images.next());
    let (command, code) = match (first, second) {
        (Some(image), None) => (
            "inspect",
            super::inspect::run(
                &super::inspect::InspectOptions {
                    image,
                    json: false,
                    max_entries: Some(0),
                    gate: Default::default(),
                },
                common,
            )?,
        ),
        (Some(before), Some(after)) => (
            "diff",
            super::diff::run(
                &super::diff::DiffOptions::plain(before, after, OutputFormat::Text),
                common,
            )?,
        ),
        (None, _) => anyhow::bail!("no image to open"),
    };
    eprintln!(
        "{}",
        crate::error::stderr_line(&format!(
            "stdout is not a terminal, so this is `stagediff {command}`'s report \
             instead of the TUI"
        ))
    );
    Ok(code)
}
