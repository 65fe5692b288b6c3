//! What we say: text, JSON and Markdown writers over a finished analysis.
//! Nothing here loads an image or reads a flag.

pub mod diff;
pub mod inspect;
pub mod plan;

/// How a report is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    Markdown,
}

impl OutputFormat {
    /// From the `--json` / `--markdown` flags (clap keeps them exclusive).
    pub fn pick(json: bool, markdown: bool) -> OutputFormat {
        if json {
            OutputFormat::Json
        } else if markdown {
            OutputFormat::Markdown
        } else {
            OutputFormat::Text
        }
    }
}
