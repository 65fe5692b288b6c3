//! Data rules (`assets/closure.toml`): files a runtime opens by name.

use super::{AppKind, Cx, Part, Sure};
use serde::Deserialize;

/// The built-in rules.
pub const DEFAULT_NEEDS: &str = include_str!("../../../assets/closure.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    need: Vec<Need>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Need {
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    nss: bool,
    /// The app starts without these: listed, not in the predicted image.
    #[serde(default)]
    optional: bool,
    reason: String,
}

fn rules() -> Vec<Need> {
    // The file is part of the binary and checked by a test.
    toml::from_str::<File>(DEFAULT_NEEDS)
        .map(|f| f.need)
        .unwrap_or_default()
}

pub(crate) fn kind_name(k: AppKind) -> &'static str {
    match k {
        AppKind::Unknown => "unknown",
        AppKind::StaticBinary => "static_binary",
        AppKind::DynamicBinary => "dynamic_binary",
        AppKind::Python => "python",
        AppKind::Node => "node",
        AppKind::Java => "java",
        AppKind::Shell => "shell",
        AppKind::Script => "script",
    }
}

/// Adds what the rules say the closure's runtime reads.
pub fn apply(cx: &mut Cx) {
    if cx.out.program.is_none() {
        return;
    }
    let names: Vec<Vec<u8>> = cx
        .out
        .items
        .keys()
        .map(|&id| cx.tree.node(id).name.to_vec())
        .collect();
    // A Go program: its standard library reads the CA bundle for TLS.
    let go = cx
        .out
        .program
        .and_then(|p| cx.facts(p))
        .and_then(|f| f.elf())
        .is_some_and(|e| e.go.is_some());
    for rule in rules() {
        let by_file = rule.files.iter().any(|pattern| {
            let p = pattern.as_bytes();
            names.iter().any(|n| match p.strip_suffix(b"*") {
                Some(prefix) => n.starts_with(prefix),
                None => n == p,
            })
        });
        let by_kind = rule
            .kinds
            .iter()
            .any(|k| k == kind_name(cx.out.kind) || (k == "go" && go));
        let by_env = rule.env.iter().any(|e| cx.env(e).is_some());
        if !(by_file || by_kind || by_env) {
            continue;
        }
        let sure = if rule.optional {
            Sure::Optional
        } else {
            Sure::Inferred
        };
        for path in &rule.add {
            cx.add(path.as_bytes(), Part::Data, sure, &rule.reason);
        }
        if rule.nss {
            nss(cx, &rule.reason);
        }
    }
}

/// `passwd: files systemd` → `libnss_files.so.2`, `libnss_systemd.so.2`,
/// found where glibc's own libraries are.
fn nss(cx: &mut Cx, why: &str) {
    let Some(text) = cx
        .walk(b"/etc/nsswitch.conf")
        .0
        .and_then(|id| cx.content(id))
    else {
        return;
    };
    let mut services: Vec<Vec<u8>> = Vec::new();
    for line in text.split(|b| *b == b'\n') {
        let line = line.split(|b| *b == b'#').next().unwrap_or_default();
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let rest = &line[colon + 1..];
        for w in rest.split(|b| b.is_ascii_whitespace()) {
            if !w.is_empty()
                && !w.starts_with(b"[")
                && w.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
                && !services.iter().any(|s| s == w)
                && services.len() < 32
            {
                services.push(w.to_vec());
            }
        }
    }
    // Where libc.so.6 is, NSS modules are.
    let libc_dir = cx.out.items.keys().find_map(|&id| {
        (cx.tree.node(id).name == b"libc.so.6").then(|| cx.tree.path_of(cx.tree.node(id).parent))
    });
    let Some(dir) = libc_dir else {
        return;
    };
    for s in services {
        let mut p = b"/".to_vec();
        p.extend_from_slice(&dir);
        p.extend_from_slice(b"/libnss_");
        p.extend_from_slice(&s);
        p.extend_from_slice(b".so.2");
        // `files` and `dns` are built into glibc ≥ 2.34: absent is fine.
        cx.add(&p, Part::Library, Sure::Inferred, why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_rules_parse_and_each_gives_a_reason() {
        let file: File = toml::from_str(DEFAULT_NEEDS).expect("assets/closure.toml parses");
        assert!(file.need.len() >= 4);
        for n in &file.need {
            assert!(!n.reason.is_empty());
            assert!(!(n.files.is_empty() && n.kinds.is_empty() && n.env.is_empty()));
        }
    }
}
