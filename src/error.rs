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
    #[error("cannot read {what}: {source}")]
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
    #[error(
        "cannot reach the Docker daemon at {endpoint}: is it running? set DOCKER_HOST ({detail})"
    )]
    DaemonUnreachable { endpoint: String, detail: String },
    #[error("image not found in the daemon at {endpoint}")]
    NotInDaemon { endpoint: String },
    #[error("daemon error: {0}")]
    Daemon(String),
    #[error("loading was cancelled")]
    Cancelled,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
