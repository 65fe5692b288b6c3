//! Hostile content through the whole pipeline, not only the loader: the
//! files stagediff reads for meaning (dpkg, apk and rpm databases, toolchain
//! markers, node and Python metadata, link targets, names) are mutated
//! inside well-formed images, which then go through load, compare, the
//! three diff reports and the TUI. Nothing may panic, no report may carry a
//! raw control byte, and the bucket sums must still equal the eliminated
//! total. `STAGEDIFF_HOSTILE_ITERS=N` runs more rounds (default 150).

mod common;
use common::ui_fixture as fixture;

use common::*;
use crossterm::event::KeyCode;
use stagediff::analysis::{compare, Rules};
use stagediff::report::diff::Gate;
use stagediff::source::{load, LoadOptions, LoadProgress};
use stagediff::ui::app::Compared;
use stagediff::ui::{update, Action};

/// Bytes that mean something to the parsers: separators, escapes, path
/// tricks, stanza breaks.
const SPICE: &[&[u8]] = &[
    b"\n",
    b"\n\n",
    b":",
    b" ",
    b"/",
    b"../",
    b"/..",
    b"\x1b[2J",
    b"\x1b]0;pwn\x07",
    b"\0",
    b"\r",
    b"\xff\xfe",
    b"Package: ",
    b"Status: install ok installed\n",
    b"Installed-Size: 18446744073709551615\n",
    b"Version: ",
    b"P:",
    b"D:",
    b"p:",
    b"Depends: ",
    b"Provides: ",
    b", ",
    b" | ",
    b"F:",
    b"R:",
    b"\"version\": ",
    b"{",
    b"}",
    b"\"",
    b"\\u001b",
    b"Name: ",
    b"go1.",
    b"////",
    b".",
    b"*",
];

fn mutate(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = d.len();
        match rng.below(5) {
            0 if len > 0 => {
                let i = rng.below(len);
                d[i] ^= 1 << rng.below(8);
            }
            1 => d.truncate(rng.below(len + 1)),
            2 => {
                let at = rng.below(len + 1);
                let s = SPICE[rng.below(SPICE.len())];
                d.splice(at..at, s.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                let chunk = d[a..b].to_vec();
                let at = rng.below(len + 1);
                d.splice(at..at, chunk);
            }
            _ if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                d.drain(a..b);
            }
            _ => {}
        }
    }
    d
}

const STATUS: &[u8] = b"Package: gcc-12\nStatus: install ok installed\nArchitecture: amd64\n\
Version: 12.2.0-14\nInstalled-Size: 40\nSection: devel\nDepends: libc6 (>= 2.36), libisl23 | libc6:any\n\n\
Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\n\
Version: 2.36-9+deb12u7\nInstalled-Size: 12\nSection: libs\nProvides: libisl23\nPriority: required\n\n\
Package: golang-1.19-go\nStatus: install ok installed\nArchitecture: amd64\n\
Version: 1.19.8-2\nInstalled-Size: 20\nSection: golang\n";
const GCC_LIST: &[u8] =
    b"/.\n/usr\n/usr/bin\n/usr/bin/gcc-12\n/usr/lib\n/usr/lib/gcc\n/usr/lib/gcc/cc1\n";
const LIBC_LIST: &[u8] = b"/.\n/usr\n/usr/lib\n/usr/lib/libc.so.6\n/lib/ld.so\n";
const GO_LIST: &[u8] = b"/usr/lib/go-1.19\n/usr/lib/go-1.19/VERSION\n/usr/lib/go-1.19/bin/go\n";
const APK: &[u8] = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\n\
p:so:libc.musl-x86_64.so.1=1\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r15\n\
D:so:libc.musl-x86_64.so.1 musl>=1.2 !busybox-extras\nF:bin\nR:busybox\nF:usr/bin\nR:wget\n";
const PKG_JSON: &[u8] = b"{\"name\": \"left-pad\", \"version\": \"1.3.0\", \"license\": \"WTFPL\"}";
const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n";
const VERSION: &[u8] = b"go1.19.8\ntime 2023-04-04T17:20:19Z\n";

/// The files whose contents the pipeline interprets, at their paths.
const MEANINGFUL: &[(&str, &[u8])] = &[
    ("var/lib/dpkg/status", STATUS),
    ("var/lib/dpkg/info/gcc-12.list", GCC_LIST),
    ("var/lib/dpkg/info/libc6:amd64.list", LIBC_LIST),
    ("var/lib/dpkg/info/golang-1.19-go.list", GO_LIST),
    ("lib/apk/db/installed", APK),
    ("app/node_modules/left-pad/package.json", PKG_JSON),
    (
        "venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
        METADATA,
    ),
    ("usr/lib/go-1.19/VERSION", VERSION),
    ("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
];

/// rpm's database as the real rpm wrote it (tests/fixtures/rpm): the sqlite
/// one of rpm ≥ 4.16, or the Berkeley DB `Packages` of older rpm.
fn rpm_database(berkeley: bool) -> (&'static str, Vec<u8>) {
    use std::io::Read;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpm");
    if berkeley {
        let bdb = std::fs::read(format!("{dir}/before-Packages-4k.bdb")).unwrap();
        return ("var/lib/rpm/Packages", bdb);
    }
    let gz = std::fs::read(format!("{dir}/before-root.tar.gz")).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path_bytes().ends_with(b"rpm/rpmdb.sqlite") {
            let mut db = Vec::new();
            e.read_to_end(&mut db).unwrap();
            return ("usr/lib/sysimage/rpm/rpmdb.sqlite", db);
        }
    }
    panic!("no rpmdb.sqlite in the fixture");
}

/// BEFORE: a builder-like image whose meaningful files are `contents`
/// (same order as [`MEANINGFUL`]) and the rpm database `rpm`, plus names
/// and links from `names`.
fn before_layers(
    contents: &[Vec<u8>],
    rpm: &(&'static str, Vec<u8>),
    names: &[Vec<u8>],
) -> Vec<Vec<u8>> {
    let leak = |v: &Vec<u8>| -> &'static [u8] { Box::leak(v.clone().into_boxed_slice()) };
    let mut base = vec![
        T::Dir("usr"),
        T::Dir("usr/bin"),
        T::Dir("usr/lib"),
        T::Symlink("lib", "usr/lib"),
        T::Symlink("bin", "usr/bin"),
        T::File("usr/lib/libc.so.6", b"\x7fELF libc"),
        T::File("usr/lib/ld.so", b"\x7fELF ld"),
        T::File("usr/bin/gcc-12", b"\x7fELF gcc"),
        T::File("usr/lib/gcc/cc1", b"\x7fELF cc1"),
        T::File("usr/lib/go-1.19/bin/go", b"\x7fELF go"),
        T::File("usr/bin/busybox", b"\x7fELF busybox"),
        T::HardLink("usr/bin/sh", "usr/bin/busybox"),
        T::Mode("usr/bin/passwd", b"\x7fELF passwd", 0o4755),
        T::File(
            "root/.ssh/id_ed25519",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nx",
        ),
        T::File("src/main.go", b"package main\n"),
        T::File("root/.cache/go-build/00/abc", b"cache"),
        T::File("app/app", b"\x7fELF app"),
    ];
    for (i, (path, _)) in MEANINGFUL.iter().enumerate() {
        base.push(T::File(path, leak(&contents[i])));
    }
    base.push(T::File(rpm.0, leak(&rpm.1)));
    let mut odd = Vec::new();
    for (i, n) in names.iter().enumerate() {
        match i % 3 {
            0 => odd.push(T::RawFile(n.clone(), b"odd")),
            1 => odd.push(T::Symlink(
                "usr/bin/weird-link",
                Box::leak(String::from_utf8_lossy(n).into_owned().into_boxed_str()),
            )),
            _ => odd.push(T::RawFile([b"usr/lib/gcc/".as_slice(), n].concat(), b"x")),
        }
    }
    vec![layer(&base), layer(&odd)]
}

fn after_layers() -> Vec<Vec<u8>> {
    vec![layer(&[
        T::File("app", b"\x7fELF app"),
        T::File("etc/os-release", b"ID=debian\n"),
        T::File("usr/lib/go-1.19/VERSION", VERSION),
        T::Symlink("bin", "usr/bin"),
        T::File("usr/bin/busybox", b"\x7fELF busybox"),
    ])]
}

/// No raw control byte other than newline and tab.
fn assert_clean(what: &str, out: &[u8]) {
    if let Some(p) = out
        .iter()
        .position(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
    {
        let from = p.saturating_sub(60);
        panic!(
            "{what}: raw control byte {:#04x} at {p}: {:?}",
            out[p],
            String::from_utf8_lossy(&out[from..(p + 20).min(out.len())])
        );
    }
}

/// Runs everything; returns the names of the packages BEFORE → AFTER
/// eliminated.
fn run_pipeline(dir: &std::path::Path, before: &[Vec<u8>], after: &[Vec<u8>]) -> Vec<String> {
    let (bp, ap) = (dir.join("before.tar"), dir.join("after.tar"));
    std::fs::write(&bp, docker_legacy(before, "b:1")).unwrap();
    std::fs::write(&ap, docker_legacy(after, "a:1")).unwrap();
    let opts = LoadOptions {
        verify: true,
        platform: None,
    };
    let b = load(bp.to_str().unwrap(), &opts, &LoadProgress::default())
        .expect("a well-formed archive loads whatever its files hold");
    let a = load(ap.to_str().unwrap(), &opts, &LoadProgress::default()).unwrap();
    let rules = Rules::builtin();
    let gate = Gate::parse(
        &["toolchain,source,shell,package-manager,setuid,secret".to_string()],
        Some("1"),
    )
    .unwrap();
    let eliminated: Vec<String> = compare(&b, &a, &rules)
        .eliminated_packages()
        .iter()
        .map(|p| format!("{} {}", p.manager, p.name))
        .collect();
    for (x, y) in [(&b, &a), (&a, &b), (&b, &b)] {
        let cmp = compare(x, y, &rules);
        assert_exact_sums(&cmp);
        let failures = gate.check(&cmp);
        let mut text = Vec::new();
        stagediff::report::diff::text::write(
            &mut text,
            &cmp,
            &gate,
            &failures,
            10,
            stagediff::report::diff::text::Style { color: false },
        )
        .unwrap();
        assert_clean("text report", &text);
        let mut md = Vec::new();
        stagediff::report::diff::markdown::write(&mut md, &cmp, &gate, &failures, 10).unwrap();
        assert_clean("markdown report", &md);
        let json = serde_json::to_vec(&stagediff::report::diff::json::DiffDoc::new(
            &cmp, &gate, &failures,
        ))
        .unwrap();
        assert_clean("json report", &json);
        serde_json::from_slice::<serde_json::Value>(&json).expect("valid JSON");
    }

    // The TUI on the same pair: tree, eliminated and audit views, a layer.
    let compared = Compared::new(&b, &a, &rules);
    let mut m = fixture::loaded(vec![b, a], (100, 30));
    m.effects.clear();
    update(&mut m, Action::Compared(Box::new(compared)));
    for k in [
        KeyCode::End,
        KeyCode::Char('2'),
        KeyCode::End,
        KeyCode::Char('3'),
        KeyCode::Down,
        KeyCode::Char('1'),
        KeyCode::Tab,
        KeyCode::Down,
    ] {
        fixture::key(&mut m, k);
        let t = fixture::render(&m);
        for line in fixture::lines(&t) {
            assert_clean("TUI cell", line.as_bytes());
        }
    }
    eliminated
}

fn iterations() -> usize {
    std::env::var("STAGEDIFF_HOSTILE_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

#[test]
fn mutated_package_databases_and_markers_never_break_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let after = after_layers();
    let pristine: Vec<Vec<u8>> = MEANINGFUL.iter().map(|(_, c)| c.to_vec()).collect();
    let mut rng = Rng(0x4057_11e5_eed0_0001);
    // The unmutated pair first: the pipeline sees the packages at all.
    let rpm = [rpm_database(false), rpm_database(true)];
    for db in &rpm {
        let mut seen = run_pipeline(dir.path(), &before_layers(&pristine, db, &[]), &after);
        seen.sort();
        assert_eq!(
            seen,
            [
                "apk busybox",
                "apk musl",
                "dpkg gcc-12",
                "dpkg golang-1.19-go",
                "dpkg libc6",
                "rpm cpp",
                "rpm gcc-c++",
                "rpm glibc-devel",
                "rpm golang",
                "rpm libstdc++",
                "rpm make"
            ],
            "the pristine databases are read ({})",
            db.0
        );
    }
    for _ in 0..iterations() {
        let mut contents = pristine.clone();
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(contents.len());
            contents[i] = mutate(&mut rng, &contents[i]);
        }
        let names: Vec<Vec<u8>> = (0..rng.below(4))
            .map(|_| {
                let mut n = mutate(&mut rng, b"weird/name");
                n.retain(|&b| b != 0);
                if n.is_empty() {
                    n.push(b'x');
                }
                n
            })
            .collect();
        // Half the rounds mutate an rpm database (sqlite or Berkeley DB).
        let (path, db) = &rpm[rng.below(2)];
        let db = if rng.below(2) == 0 {
            mutate(&mut rng, db)
        } else {
            db.clone()
        };
        let _ = run_pipeline(
            dir.path(),
            &before_layers(&contents, &(*path, db), &names),
            &after,
        );
    }
}
