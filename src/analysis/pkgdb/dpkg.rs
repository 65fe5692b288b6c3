//! dpkg's `status` (and distroless `status.d/*`).

use super::{parse_u64, stanzas, trim, DbPackage, MAX_PACKAGES, MAX_RELATIONS};

/// Names in a dpkg relationship field: `a (>= 1), b:any | c [amd64] <!nocheck>`
/// gives `a`, `b`, `c`.
fn dpkg_relation_names(v: &[u8], out: &mut Vec<Vec<u8>>) {
    for alt in v.split(|&b| b == b',' || b == b'|') {
        let alt = trim(alt);
        let end = alt
            .iter()
            .position(|&b| b.is_ascii_whitespace() || matches!(b, b'(' | b'[' | b'<' | b':'))
            .unwrap_or(alt.len());
        if end > 0 && out.len() < MAX_RELATIONS {
            out.push(alt[..end].to_vec());
        }
    }
}

/// Parses dpkg's `status` (or one `status.d/*` file). Packages without a
/// Status field (distroless) count as installed.
pub fn parse_dpkg_status(text: &[u8]) -> Vec<DbPackage> {
    let mut out = Vec::new();
    for fields in stanzas(text) {
        if out.len() >= MAX_PACKAGES {
            break;
        }
        let mut p = DbPackage {
            installed: true,
            ..Default::default()
        };
        for (k, v) in fields {
            match k {
                b"Package" => p.name = v.to_vec(),
                b"Version" => p.version = v.to_vec(),
                b"Architecture" => p.architecture = v.to_vec(),
                b"Installed-Size" => {
                    p.installed_size = parse_u64(v).unwrap_or(0).saturating_mul(1024)
                }
                b"Section" => p.section = Some(v.to_vec()),
                b"Depends" | b"Pre-Depends" => dpkg_relation_names(v, &mut p.depends),
                b"Provides" => dpkg_relation_names(v, &mut p.provides),
                b"Essential" => p.essential |= v == b"yes",
                b"Priority" => p.essential |= v == b"required",
                b"Status" => {
                    let state = v.rsplit(|&b| b == b' ').next().unwrap_or_default();
                    p.installed = matches!(
                        state,
                        b"installed"
                            | b"unpacked"
                            | b"half-configured"
                            | b"triggers-awaited"
                            | b"triggers-pending"
                    );
                }
                _ => {}
            }
        }
        if !p.name.is_empty() && !p.name.contains(&b'/') {
            out.push(p);
        }
    }
    out
}
