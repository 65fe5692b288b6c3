//! Names and versions read from paths and marker files, shared by the
//! classifier and the Python index: `name-1.2.3`, `go1.21.5`, a JDK
//! `release`, `node_modules/.bin`, a symlink's lexical target.

use crate::image::entry::{normalize_path, split_parent, ImagePath};

/// A version from a marker file: a JDK `release` (`JAVA_VERSION="17.0.9"`)
/// or the first number of the first line (Go's `go1.21.5`).
pub(crate) fn version_in_marker(content: &[u8]) -> Option<String> {
    let text = if let Some(i) = memchr::memmem::find(content, b"JAVA_VERSION=\"") {
        &content[i + 14..]
    } else {
        content.split(|&b| b == b'\n').next()?
    };
    let start = text.iter().position(u8::is_ascii_digit)?;
    let len = text[start..]
        .iter()
        .take(64)
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    Some(
        String::from_utf8_lossy(&text[start..start + len])
            .trim_end_matches('.')
            .to_string(),
    )
}

/// `2:1.19.8-2` → `1.19.8`.
pub(crate) fn upstream_version(v: &str) -> &str {
    let v = match v.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => v,
    };
    let end = v.find(['-', '+', '~']).unwrap_or(v.len());
    &v[..end]
}

/// The first `parts` dot-separated parts: `1.19.8`, 2 → `1.19`.
pub(crate) fn cut_version(v: &str, parts: usize) -> String {
    v.split('.').take(parts).collect::<Vec<_>>().join(".")
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle)
}

/// Start of `marker` (which ends with `/`) as a whole component sequence.
pub(crate) fn component_after(path: &[u8], marker: &[u8]) -> Option<usize> {
    let mut end = path.len();
    loop {
        let i = rfind(&path[..end], marker)?;
        if i == 0 || path[i - 1] == b'/' {
            return Some(i + marker.len());
        }
        end = i;
    }
}

pub(crate) fn comp_end(path: &[u8], from: usize) -> usize {
    memchr::memchr(b'/', &path[from..]).map_or(path.len(), |i| from + i)
}

/// `name-1.2.3` → (`name`, `1.2.3`): splits at the last `-` before a digit.
pub(crate) fn split_name_version(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = s.len();
    while let Some(j) = memchr::memrchr(b'-', &s[..i]) {
        if s.get(j + 1).is_some_and(u8::is_ascii_digit) && j > 0 {
            return Some((&s[..j], &s[j + 1..]));
        }
        i = j;
    }
    None
}

pub(crate) fn norm_py(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .to_ascii_lowercase()
        .replace(['-', '.'], "_")
}

/// `…/node_modules/.bin/NAME`.
pub(crate) fn is_node_bin(path: &[u8]) -> bool {
    let (dir, _) = split_parent(path);
    let (parent, bin) = split_parent(dir);
    bin == b".bin" && split_parent(parent).1 == b"node_modules"
}

/// Where a symlink at `path` points, lexically, inside the image root.
pub(crate) fn link_target(path: &[u8], link: &[u8]) -> ImagePath {
    if link.first() == Some(&b'/') {
        return normalize_path(link);
    }
    let mut p = split_parent(path).0.to_vec();
    p.push(b'/');
    p.extend_from_slice(link);
    normalize_path(&p)
}
