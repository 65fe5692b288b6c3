//! What we say: text, JSON and Markdown reports, and exit codes.

pub mod diff;
pub mod inspect;
