//! The binary parsers against what real toolchains wrote (tests/fixtures/binaries/, made by
//! scripts/make-binary-fixtures.sh): every field of each Go build info against the
//! `go version -m` text printed when the fixture was made, and the cargo-auditable section
//! against the crate's Cargo.lock and Cargo.toml. No Go or cargo-auditable needed here.

use stagediff::binary::go::{self, GoBuildInfo, GoModule};
use stagediff::binary::rust::{parse_dep_v0, RustPackage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binaries")
}

fn no_memory(_: u64, _: usize) -> Option<Vec<u8>> {
    None
}

/// `go version -m` output, read independently of the parser under test: the first line is
/// "NAME: goVERSION", the others are the build info's lines indented by a tab. Go quotes
/// build values with strconv.Quote; for the ASCII these fixtures hold that is JSON's quoting.
fn expected_from_go_version_m(text: &str) -> GoBuildInfo {
    let mut lines = text.lines();
    let first = lines.next().expect("empty go version -m output");
    let (_, go_version) = first.split_once(": ").expect("first line NAME: VERSION");
    let mut info = GoBuildInfo {
        go_version: go_version.to_string(),
        path: None,
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
    };
    let module = |cols: &[&str]| GoModule {
        path: cols[1].to_string(),
        version: cols[2].to_string(),
        sum: cols.get(3).filter(|s| !s.is_empty()).map(|s| s.to_string()),
        replace: None,
    };
    let mut last_is_main = false;
    for line in lines {
        let line = line.strip_prefix('\t').expect("indented line");
        if line.is_empty() {
            continue; // Go prints a blank line after each "=>"
        }
        let cols: Vec<&str> = line.split('\t').collect();
        match cols[0] {
            "path" => info.path = Some(cols[1].to_string()),
            "mod" => {
                info.main = Some(module(&cols));
                last_is_main = true;
            }
            "dep" => {
                info.deps.push(module(&cols));
                last_is_main = false;
            }
            "=>" => {
                let target = if last_is_main {
                    info.main.as_mut()
                } else {
                    info.deps.last_mut()
                };
                target.expect("=> after a module").replace = Some(Box::new(module(&cols)));
            }
            "build" => {
                let (key, value) = cols[1].split_once('=').expect("build key=value");
                let value = if value.starts_with('"') {
                    serde_json::from_str::<String>(value).expect("quoted build value")
                } else {
                    value.to_string()
                };
                info.settings.push((key.to_string(), value));
            }
            other => panic!("unexpected go version -m line kind {other:?}"),
        }
    }
    info
}

/// Every (name, extract, go version -m text) fixture.
fn go_fixtures() -> Vec<(String, Vec<u8>, String)> {
    let dir = fixtures().join("go");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "buildinfo") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(path.with_extension("txt")).unwrap();
            out.push((name, std::fs::read(&path).unwrap(), text));
        }
    }
    out.sort();
    out
}

#[test]
fn go_build_info_matches_go_version_m() {
    let all = go_fixtures();
    assert!(all.len() >= 5, "fixtures missing: {}", all.len());
    for (name, blob, text) in &all {
        assert!(blob.len() < 4096, "{name}: the extract should be small");
        let got = GoBuildInfo::parse(blob, &no_memory).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = expected_from_go_version_m(text);
        assert_eq!(got, want, "{name}");
        // The derived views agree with the settings Go printed.
        let printed = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("\tbuild\t{key}=")))
                .map(str::to_string)
        };
        assert_eq!(
            got.cgo_enabled(),
            printed("CGO_ENABLED").map(|v| v == "1"),
            "{name}"
        );
        assert_eq!(
            got.trimpath(),
            printed("-trimpath").as_deref() == Some("true"),
            "{name}"
        );
        assert_eq!(
            got.vcs_revision().map(str::to_string),
            printed("vcs.revision"),
            "{name}"
        );
        let summary = got.summary();
        assert!(summary.starts_with("Go 1.19"), "{name}: {summary}");
        assert!(
            summary.contains(&format!("{} dep", got.deps.len())),
            "{summary}"
        );
    }
}

#[test]
fn go_fixtures_cover_the_layouts_and_line_kinds() {
    // So a regenerated fixture set can't quietly lose what the test above relies on.
    let all = go_fixtures();
    let parsed: BTreeMap<&str, (u8, u8, GoBuildInfo)> = all
        .iter()
        .map(|(n, b, _)| {
            (
                n.as_str(),
                (b[14], b[15], GoBuildInfo::parse(b, &no_memory).unwrap()),
            )
        })
        .collect();
    assert!(parsed.values().any(|(p, _, _)| *p == 4), "no 32-bit header");
    assert!(
        parsed.values().any(|(_, f, _)| *f == 3),
        "no big-endian header"
    );
    assert!(parsed.values().all(|(_, f, _)| f & 2 == 2));
    let infos: Vec<&GoBuildInfo> = parsed.values().map(|(_, _, i)| i).collect();
    assert!(
        infos.iter().any(|i| i.main.is_none() && i.path.is_some()),
        "no GOPATH build"
    );
    assert!(
        infos
            .iter()
            .any(|i| i.deps.iter().any(|d| d.replace.is_some())),
        "no =>"
    );
    assert!(
        infos.iter().any(|i| i.deps.iter().any(|d| d.sum.is_some())),
        "no sum"
    );
    assert!(
        infos
            .iter()
            .any(|i| i.settings.iter().any(|(_, v)| v.contains('"'))),
        "no quoted build value"
    );
    assert!(infos.iter().any(|i| i.cgo_enabled() == Some(true)));
    assert!(infos.iter().any(|i| i.cgo_enabled() == Some(false)));
    assert!(infos.iter().any(|i| i.trimpath()));
    assert!(infos.iter().any(|i| i.vcs_revision().is_some()));
}

/// Re-lays a real inline extract the way Go < 1.18 wrote it: a header with two pointers to
/// Go string headers, in a fake address space served by `read_at`.
fn as_pointer_layout(inline: &[u8], ptr_size: u8, big: bool) -> (Vec<u8>, BTreeMap<u64, Vec<u8>>) {
    let varint = |b: &[u8]| {
        let (mut v, mut i) = (0u64, 0);
        loop {
            v |= u64::from(b[i] & 0x7f) << (7 * i);
            i += 1;
            if b[i - 1] < 0x80 {
                return (v as usize, i);
            }
        }
    };
    let (vlen, n) = varint(&inline[32..]);
    let version = &inline[32 + n..32 + n + vlen];
    let rest = &inline[32 + n + vlen..];
    let (mlen, m) = varint(rest);
    let modinfo = &rest[m..m + mlen];
    let word = |v: u64| -> Vec<u8> {
        match (ptr_size, big) {
            (4, false) => (v as u32).to_le_bytes().to_vec(),
            (4, true) => (v as u32).to_be_bytes().to_vec(),
            (_, false) => v.to_le_bytes().to_vec(),
            (_, true) => v.to_be_bytes().to_vec(),
        }
    };
    let mut header = go::MAGIC.to_vec();
    header.extend([ptr_size, u8::from(big)]);
    header.extend(word(0x40_1000));
    header.extend(word(0x40_1020));
    header.resize(32, 0);
    let mut mem = BTreeMap::new();
    mem.insert(
        0x40_1000,
        [word(0x50_0000), word(version.len() as u64)].concat(),
    );
    mem.insert(
        0x40_1020,
        [word(0x50_1000), word(modinfo.len() as u64)].concat(),
    );
    mem.insert(0x50_0000, version.to_vec());
    mem.insert(0x50_1000, modinfo.to_vec());
    (header, mem)
}

#[test]
fn pre_1_18_pointer_layout_reads_the_same() {
    for (name, blob, text) in go_fixtures() {
        for (size, big) in [(8, false), (8, true), (4, false), (4, true)] {
            let (header, mem) = as_pointer_layout(&blob, size, big);
            let read_at = |addr: u64, len: usize| {
                let (start, bytes) = mem.range(..=addr).next_back()?;
                let off = usize::try_from(addr - start).ok()?;
                Some(bytes.get(off..)?.iter().take(len).copied().collect())
            };
            let got = GoBuildInfo::parse(&header, &read_at)
                .unwrap_or_else(|e| panic!("{name} ptr {size} big {big}: {e}"));
            assert_eq!(
                got,
                expected_from_go_version_m(&text),
                "{name} ptr {size} big {big}"
            );
        }
    }
}

#[test]
fn find_magic_locates_the_aligned_copy_in_a_file() {
    let (_, blob, text) = go_fixtures().into_iter().next().unwrap();
    // A "file" with the real header at offset 0x2000, and a decoy copy of the magic at an
    // unaligned offset before it (a string table quoting it, say).
    let mut file = vec![0x5au8; 0x2000];
    file[0x1233..0x1233 + 14].copy_from_slice(go::MAGIC);
    file.extend_from_slice(&blob);
    // The scanner sees the file in chunks that start at unaligned offsets.
    let base = 0x1001u64;
    let chunk = &file[base as usize..];
    let at = go::find_magic(chunk, base).unwrap();
    assert_eq!(base + at as u64, 0x2000);
    let got = GoBuildInfo::parse(&chunk[at..], &no_memory).unwrap();
    assert_eq!(got, expected_from_go_version_m(&text));
}

/// Cargo.lock's `source` as cargo-auditable records it.
fn lock_source(source: Option<&str>) -> String {
    match source {
        None => "local".into(),
        Some("registry+https://github.com/rust-lang/crates.io-index")
        | Some("sparse+https://index.crates.io/") => "crates.io".into(),
        Some(s) => s.split('+').next().unwrap().into(),
    }
}

#[test]
fn cargo_auditable_section_matches_cargo_lock() {
    let krate = fixtures().join("rust-src/tinydep");
    let section = std::fs::read(fixtures().join("rust/tinydep.dep-v0")).unwrap();
    let got = parse_dep_v0(&section).unwrap();

    let lock: toml::Table = std::fs::read_to_string(krate.join("Cargo.lock"))
        .unwrap()
        .parse()
        .unwrap();
    let manifest: toml::Table = std::fs::read_to_string(krate.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let root_name = manifest["package"]["name"].as_str().unwrap();
    let names = |table: &str| -> Vec<String> {
        manifest
            .get(table)
            .and_then(|t| t.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (runtime, build) = (names("dependencies"), names("build-dependencies"));
    assert!(
        !build.is_empty() && !runtime.is_empty(),
        "the crate should have both kinds"
    );

    let packages = lock["package"].as_array().unwrap();
    assert_eq!(got.len(), packages.len());
    let index_of = |name: &str| got.iter().position(|p| p.name == name).unwrap();
    let mut want: Vec<RustPackage> = packages
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap();
            let mut deps: Vec<usize> = p
                .get("dependencies")
                .and_then(|d| d.as_array())
                .map(|d| {
                    d.iter()
                        .map(|n| index_of(n.as_str().unwrap().split(' ').next().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            deps.sort();
            // The tiny crate's build dependencies have no dependencies of their own, so a
            // crate is "build" exactly when only [build-dependencies] names it.
            let only_build = build.iter().any(|b| b == name) && !runtime.iter().any(|r| r == name);
            RustPackage {
                name: name.to_string(),
                version: p["version"].as_str().unwrap().to_string(),
                source: lock_source(p.get("source").and_then(|s| s.as_str())),
                kind: if only_build { "build" } else { "runtime" }.to_string(),
                root: name == root_name,
                dependencies: deps,
            }
        })
        .collect();
    let mut got_sorted = got.clone();
    for p in &mut got_sorted {
        p.dependencies.sort();
    }
    want.sort_by(|a, b| a.name.cmp(&b.name));
    got_sorted.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(got_sorted, want);
}
