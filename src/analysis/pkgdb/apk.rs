//! apk's `lib/apk/db/installed`.

use super::{parse_u64, stanzas, DbPackage, MAX_PACKAGES, MAX_RELATIONS};
use crate::image::entry::normalize_path;

/// Names in an apk D: or p: line: `so:libc.musl-x86_64.so.1 musl>=1.2 !foo`
/// gives `so:libc.musl-x86_64.so.1`, `musl` (conflicts, `!`, are skipped).
fn apk_relation_names(v: &[u8], out: &mut Vec<Vec<u8>>) {
    for tok in v.split(u8::is_ascii_whitespace) {
        if tok.is_empty() || tok[0] == b'!' {
            continue;
        }
        let end = tok
            .iter()
            .position(|&b| matches!(b, b'<' | b'>' | b'=' | b'~'))
            .unwrap_or(tok.len());
        if end > 0 && out.len() < MAX_RELATIONS {
            out.push(tok[..end].to_vec());
        }
    }
}

/// Parses apk's `lib/apk/db/installed`.
pub fn parse_apk_installed(text: &[u8]) -> Vec<DbPackage> {
    let mut out = Vec::new();
    for fields in stanzas(text) {
        if out.len() >= MAX_PACKAGES {
            break;
        }
        let mut p = DbPackage {
            installed: true,
            ..Default::default()
        };
        let mut dir: Vec<u8> = Vec::new();
        for (k, v) in fields {
            match k {
                b"P" => p.name = v.to_vec(),
                b"V" => p.version = v.to_vec(),
                b"A" => p.architecture = v.to_vec(),
                b"I" => p.installed_size = parse_u64(v).unwrap_or(0),
                b"D" => apk_relation_names(v, &mut p.depends),
                b"p" => apk_relation_names(v, &mut p.provides),
                b"F" => {
                    dir = normalize_path(v).into_vec();
                    if !dir.is_empty() {
                        p.dirs.push(dir.clone());
                    }
                }
                b"R" => {
                    let mut f = dir.clone();
                    if !f.is_empty() {
                        f.push(b'/');
                    }
                    f.extend_from_slice(v);
                    let f = normalize_path(&f).into_vec();
                    if !f.is_empty() {
                        p.files.push(f);
                    }
                }
                _ => {}
            }
        }
        if !p.name.is_empty() {
            out.push(p);
        }
    }
    out
}
