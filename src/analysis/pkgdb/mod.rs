//! Package databases, parsed from the bytes the single pass captured:
//! dpkg (`status`, distroless `status.d`), apk, and rpm (sqlite or
//! Berkeley DB). Untrusted input: parsers never panic, bound the work, and
//! skip what they do not understand.

pub mod apk;
pub mod dpkg;
pub mod rpm;

use crate::tree::NodeId;

/// Most packages read from one database (a real one has a few thousand).
pub(crate) const MAX_PACKAGES: usize = 100_000;

/// One package as a database describes it (raw bytes: untrusted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbPackage {
    pub name: Vec<u8>,
    pub version: Vec<u8>,
    pub architecture: Vec<u8>,
    pub installed_size: u64,
    pub section: Option<Vec<u8>>,
    /// Whether its files are on disk (dpkg: installed, unpacked,
    /// half-configured, triggers-*; apk: always).
    pub installed: bool,
    /// apk: the files and directories (normalised), from F:/R: lines.
    pub files: Vec<Vec<u8>>,
    /// apk: the directories (F: lines).
    pub dirs: Vec<Vec<u8>>,
    /// Names it depends on (dpkg Depends and Pre-Depends, every alternative;
    /// apk D:), without versions or architecture qualifiers.
    pub depends: Vec<Vec<u8>>,
    /// Virtual names it provides (dpkg Provides, apk p:).
    pub provides: Vec<Vec<u8>>,
    /// dpkg: `Essential: yes` or `Priority: required`; the system needs it
    /// whatever depends on it.
    pub essential: bool,
}

/// At most this many dependency or provided names per package (hostile
/// databases can list millions).
pub(crate) const MAX_RELATIONS: usize = 512;

/// Splits control-file text into stanzas of (field, value) pairs.
/// Continuation lines (leading space or tab) are skipped: no field stanzas
/// use need them.
pub(crate) fn stanzas(text: &[u8]) -> impl Iterator<Item = Vec<(&[u8], &[u8])>> {
    let mut lines = text.split(|&b| b == b'\n').peekable();
    std::iter::from_fn(move || {
        let mut fields = Vec::new();
        loop {
            match lines.next() {
                None => {
                    return (!fields.is_empty()).then_some(fields);
                }
                Some(line) => {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        if fields.is_empty() {
                            continue;
                        }
                        return Some(fields);
                    }
                    if line[0] == b' ' || line[0] == b'\t' {
                        continue;
                    }
                    if let Some(colon) = memchr::memchr(b':', line) {
                        fields.push((&line[..colon], trim(&line[colon + 1..])));
                    }
                }
            }
        }
    })
}

pub(crate) fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

pub(crate) fn parse_u64(b: &[u8]) -> Option<u64> {
    std::str::from_utf8(b).ok()?.trim().parse().ok()
}

/// A package, its manager, and the nodes it lists with "is a directory to
/// the package".
pub(crate) type Listed = (DbPackage, &'static str, Vec<(NodeId, bool)>);
