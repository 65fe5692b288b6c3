//! What we say: text, JSON and Markdown reports, and exit codes.

pub mod diff;
pub mod inspect;

/// Human size, e.g. `854.2 MB`.
pub fn human(bytes: u64) -> String {
    humansize::format_size(bytes, humansize::DECIMAL)
}
