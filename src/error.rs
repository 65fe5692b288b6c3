//! Errors of the library. Every load error names the image it belongs to and
//! prints as one line, so `main` can show it verbatim.

use std::io;

/// A failure while loading or reading one image.
#[derive(Debug, thiserror::Error)]
#[error("{image}: {kind}")]
pub struct Error {
    /// The image reference as the user wrote it.
    pub image: String,
    pub kind: ErrorKind,
}

impl Error {
    pub fn new(image: impl Into<String>, kind: ErrorKind) -> Self {
        Error {
            image: crate::escape::escape_str(&image.into()).into_owned(),
            kind,
        }
    }
}

/// What went wrong, without the image name (it is added by [`Error`]).
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot read {what}: {}", io_text(source))]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("not an image archive: {0}")]
    NotAnArchive(String),
    #[error("truncated {0}")]
    Truncated(String),
    #[error("{what}: corrupt {format} data: {detail}")]
    Corrupt {
        what: String,
        format: &'static str,
        detail: String,
    },
    #[error("{what}: not a valid tar stream: {detail}")]
    BadTar { what: String, detail: String },
    #[error("missing blob {digest} ({what})")]
    MissingBlob { what: String, digest: String },
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("invalid {what}: {detail}")]
    InvalidJson { what: String, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("the archive holds {count} images; pick one with PATH:NAME:TAG: {list}")]
    Ambiguous { count: usize, list: String },
    #[error("no image {0} in the archive")]
    NoSuchImage(String),
    #[error("no manifest for platform {wanted} (available: {available})")]
    NoPlatform { wanted: String, available: String },
    #[error("cannot reach the {engine} at {endpoint}: is it running? {hint} ({detail})")]
    DaemonUnreachable {
        /// "Docker daemon" or "Podman API service".
        engine: &'static str,
        endpoint: String,
        /// How to start it or point elsewhere.
        hint: &'static str,
        detail: String,
    },
    #[error("image not found in the daemon at {endpoint}")]
    NotInDaemon { endpoint: String },
    #[error("daemon error: {0}")]
    Daemon(String),
    #[error("loading was cancelled")]
    Cancelled,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The one line a message is shown as on stderr, `stagediff: …`. Messages
/// quote names from images (members, platforms, config names); escaping the
/// whole line where it is printed keeps raw control bytes off the terminal
/// whatever a message forgot to escape. Every stderr line goes through here.
pub fn stderr_line(msg: &str) -> String {
    format!("stagediff: {}", crate::escape::line(msg))
}

/// An I/O error in the same words whichever call failed: the system's
/// message without Rust's "(os error N)", and a bare error kind (which Rust
/// words "entity not found") as the system would word it.
pub(crate) fn io_text(e: &io::Error) -> String {
    if e.get_ref().is_some() {
        // A message of its own.
        return e.to_string();
    }
    match e.kind() {
        io::ErrorKind::NotFound => return "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => return "permission denied".into(),
        _ => {}
    }
    let s = e.to_string();
    let s = match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => &s[..i],
        _ => &s,
    };
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Makes a message from a library (tar, a decoder, serde, the daemon) safe
/// to show: such messages may quote bytes of the image, so they are escaped
/// onto one line and shortened.
pub(crate) fn detail(msg: impl std::fmt::Display) -> String {
    const MAX: usize = 160;
    let s = msg.to_string();
    let escaped = crate::escape::escape_str(&s);
    if escaped.chars().count() <= MAX {
        return escaped.into_owned();
    }
    let mut out: String = escaped.chars().take(MAX - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_the_same_whatever_made_them() {
        let os = io::Error::from_raw_os_error(libc::ENOENT);
        let bare = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(io_text(&os), "no such file or directory");
        assert_eq!(io_text(&bare), io_text(&os));
        assert_eq!(
            io_text(&io::Error::from_raw_os_error(libc::EACCES)),
            "permission denied"
        );
        assert_eq!(
            io_text(&io::Error::from_raw_os_error(libc::EISDIR)),
            "is a directory"
        );
        let own = io::Error::new(io::ErrorKind::NotFound, "blob sha256:x is missing");
        assert_eq!(io_text(&own), "blob sha256:x is missing");
    }

    /// Every kind of load error, built with hostile names in each field,
    /// prints as one line without a raw control or bidi character.
    #[test]
    fn every_error_kind_prints_as_one_safe_line() {
        let h = "evil\u{1b}[2J\u{9b}1m\u{85}\n\r\u{7}\u{202e}name";
        let s = || h.to_string();
        let kinds = vec![
            ErrorKind::Io {
                what: s(),
                source: io::Error::other(s()),
            },
            ErrorKind::NotAnArchive(s()),
            ErrorKind::Truncated(s()),
            ErrorKind::Corrupt {
                what: s(),
                format: "gzip",
                detail: s(),
            },
            ErrorKind::BadTar {
                what: s(),
                detail: s(),
            },
            ErrorKind::MissingBlob {
                what: s(),
                digest: s(),
            },
            ErrorKind::DigestMismatch {
                what: s(),
                expected: s(),
                actual: s(),
            },
            ErrorKind::InvalidJson {
                what: s(),
                detail: s(),
            },
            ErrorKind::Invalid(s()),
            ErrorKind::Ambiguous {
                count: 2,
                list: s(),
            },
            ErrorKind::NoSuchImage(s()),
            ErrorKind::NoPlatform {
                wanted: s(),
                available: s(),
            },
            ErrorKind::DaemonUnreachable {
                engine: "Docker daemon",
                endpoint: s(),
                hint: "set DOCKER_HOST",
                detail: s(),
            },
            ErrorKind::NotInDaemon { endpoint: s() },
            ErrorKind::Daemon(s()),
            ErrorKind::Cancelled,
        ];
        for kind in kinds {
            let line = stderr_line(&Error::new(h, kind).to_string());
            assert!(
                !line.chars().any(|c| c.is_control()
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
                "{line:?}"
            );
            assert!(line.starts_with("stagediff: evil\\x1b[2J"), "{line:?}");
        }
    }
}
