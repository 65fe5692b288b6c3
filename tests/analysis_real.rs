//! Issue 3 on real images built by a real dockerd (scripts/build-test-images.sh).
//!
//! Ignored by plain `cargo test`; the e2e script runs them with
//! `STAGEDIFF_FIXTURES=fixtures-cache cargo test --test analysis_real -- --include-ignored`.
//! Each check is a public function so `tests/docker_e2e.rs` can call them too.

use stagediff::analysis::{compare, Bucket, Comparison, OwnerKind, Rules, Status};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("STAGEDIFF_FIXTURES")?);
    Some(if dir.is_absolute() {
        dir
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)
    })
}

/// Compares NAME-single with NAME-multi from the fixtures dir.
pub fn load_pair(dir: &std::path::Path, name: &str) -> Comparison {
    let b = dir.join(format!("{name}-single.docker.tar"));
    let a = dir.join(format!("{name}-multi.docker.tar"));
    let (before, after) = stagediff::report::diff::load_pair(
        b.to_str().expect("utf-8 path"),
        a.to_str().expect("utf-8 path"),
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("loading the {name} pair: {e}"));
    compare(&before, &after, &Rules::builtin())
}

fn facts_of<'a>(
    side: &'a stagediff::analysis::Side,
    path: &str,
) -> &'a stagediff::analysis::PathFacts {
    let id = side
        .tree
        .lookup(path.trim_start_matches('/').as_bytes())
        .unwrap_or_else(|| panic!("{path} is not in the image"));
    side.facts(id)
}

/// The eliminated dpkg packages are exactly `NAME-single.dpkg`.
pub fn check_eliminated_packages(dir: &std::path::Path, name: &str, cmp: &Comparison) {
    let listed = std::fs::read_to_string(dir.join(format!("{name}-single.dpkg")))
        .unwrap_or_else(|e| panic!("{name}-single.dpkg: {e}"));
    let expected: BTreeSet<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let got: BTreeSet<&str> = cmp
        .eliminated_packages()
        .iter()
        .filter(|p| p.manager == "dpkg")
        .map(|p| p.name.as_str())
        .collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
}

/// Buckets sum to the eliminated total, byte for byte and file for file.
pub fn check_exact_sum(cmp: &Comparison) {
    let bytes: u64 = cmp.eliminated.iter().map(|b| b.bytes).sum();
    let files: u32 = cmp.eliminated.iter().map(|b| b.files).sum();
    assert_eq!(bytes, cmp.totals.eliminated_bytes);
    assert_eq!(files, cmp.totals.eliminated_files);
    for b in &cmp.eliminated {
        assert_eq!(
            b.owners.iter().map(|o| o.bytes).sum::<u64>(),
            b.bytes,
            "{}",
            b.bucket
        );
    }
    // Every byte of BEFORE's tree is eliminated, carried, moved or changed.
    let t = &cmp.totals;
    assert_eq!(
        t.eliminated_bytes + t.carried_bytes + t.moved_bytes + t.changed_bytes_before,
        cmp.before.tree.total_size()
    );
    assert_eq!(
        t.added_bytes + t.carried_bytes + t.moved_bytes + t.changed_bytes,
        cmp.after.tree.total_size()
    );
}

pub fn check_go_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "goapp");
    check_eliminated_packages(dir, "goapp", &cmp);
    check_exact_sum(&cmp);
    let tc = cmp.eliminated_in(Bucket::Toolchain);
    assert!(
        tc.bytes > 400_000_000,
        "toolchain holds only {} bytes",
        tc.bytes
    );
    let go = tc
        .owners
        .iter()
        .filter_map(|o| o.owner.map(|id| cmp.owner(id)))
        .find(|o| o.kind == OwnerKind::Toolchain && o.label().contains("golang"))
        .expect("a toolchain group naming golang");
    assert!(go.label().starts_with("Go 1."), "{}", go.label());
    let src = facts_of(&cmp.before, "/src/main.go");
    assert_eq!(
        (src.status, src.bucket),
        (Status::Eliminated, Bucket::Source)
    );
    let cache = facts_of(&cmp.before, "/root/.cache/go-build");
    assert_eq!(cache.bucket, Bucket::BuildCache);
    assert!(cache.rollup.bytes(Status::Eliminated) > 0);
    let app = facts_of(&cmp.after, "/app");
    assert!(
        matches!(app.status, Status::Moved | Status::Carried),
        "{:?}",
        app.status
    );
    assert!(cmp.findings.is_empty(), "{:?}", cmp.findings);
}

pub fn check_c_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "capp");
    check_eliminated_packages(dir, "capp", &cmp);
    check_exact_sum(&cmp);
    let tc = cmp.eliminated_in(Bucket::Toolchain);
    let labels: Vec<String> = tc.owners.iter().map(|o| cmp.owner_label(o.owner)).collect();
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("GCC 12") && l.contains("gcc-12")),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.contains("build-essential")),
        "{labels:?}"
    );
    assert!(
        tc.bytes > 100_000_000,
        "toolchain holds only {} bytes",
        tc.bytes
    );
    for p in ["/src/main.c", "/src/crc32.h", "/src/Makefile"] {
        let f = facts_of(&cmp.before, p);
        assert_eq!(
            (f.status, f.bucket),
            (Status::Eliminated, Bucket::Source),
            "{p}"
        );
    }
    let o = facts_of(&cmp.before, "/src/main.o");
    assert_eq!(o.bucket, Bucket::BuildCache);
    // The runtime binary: static, built by the multi-stage builder.
    let capp = facts_of(&cmp.after, "/capp");
    assert!(
        matches!(capp.status, Status::Added | Status::Moved | Status::Carried),
        "{:?}",
        capp.status
    );
    assert!(cmp.findings.is_empty(), "{:?}", cmp.findings);
}

/// The rpm pair (tests/images/rpmapp): its bases are the roots rpm
/// installed for tests/fixtures/rpm, so the eliminated packages must be
/// that `rpm -qa` of BEFORE less AFTER's.
pub fn check_rpm_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "rpmapp");
    let fixture = |f: &str| {
        std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/rpm")
                .join(f),
        )
        .unwrap()
    };
    let (before_qa, after_qa) = (fixture("before.qa"), fixture("after.qa"));
    let expected: BTreeSet<&str> = before_qa
        .lines()
        .filter(|l| !after_qa.lines().any(|a| a == *l))
        .collect();
    let got: Vec<String> = cmp
        .eliminated_packages()
        .iter()
        .map(|p| {
            assert_eq!(p.manager, "rpm");
            format!("{} {} {}", p.name, p.version, p.architecture)
        })
        .collect();
    let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
    assert_eq!(got, expected);
    check_exact_sum(&cmp);
    let tc = cmp.eliminated_in(Bucket::Toolchain);
    let labels: Vec<String> = tc.owners.iter().map(|o| cmp.owner_label(o.owner)).collect();
    assert_eq!(labels[0], "GCC 12.2 (gcc-c++, cpp)", "{labels:?}");
    assert!(
        labels.contains(&"Go 1.20 (golang)".to_string()),
        "{labels:?}"
    );
    let src = facts_of(&cmp.before, "/src/main.cpp");
    assert_eq!(
        (src.status, src.bucket),
        (Status::Eliminated, Bucket::Source)
    );
    let lib = facts_of(&cmp.after, "/usr/lib64/libstdc++.so.6.0.30");
    assert_eq!(
        (lib.status, lib.bucket),
        (Status::Carried, Bucket::OsPackage)
    );
    assert!(cmp.before.warnings.is_empty() && cmp.after.warnings.is_empty());
    assert!(cmp.findings.is_empty(), "{:?}", cmp.findings);
}

#[test]
#[ignore = "needs STAGEDIFF_FIXTURES (scripts/build-test-images.sh)"]
fn rpm_pair() {
    let dir = fixtures().expect("set STAGEDIFF_FIXTURES to the fixtures dir");
    check_rpm_pair(&dir);
}

#[test]
#[ignore = "needs STAGEDIFF_FIXTURES (scripts/build-test-images.sh)"]
fn go_pair() {
    let dir = fixtures().expect("set STAGEDIFF_FIXTURES to the fixtures dir");
    check_go_pair(&dir);
}

#[test]
#[ignore = "needs STAGEDIFF_FIXTURES (scripts/build-test-images.sh)"]
fn c_pair() {
    let dir = fixtures().expect("set STAGEDIFF_FIXTURES to the fixtures dir");
    check_c_pair(&dir);
}

/// Debug aid: `STAGEDIFF_PEEK=goapp:other` prints eliminated bytes of a
/// bucket by directory.
#[test]
#[ignore = "debug aid"]
fn peek() {
    let (Some(dir), Ok(spec)) = (fixtures(), std::env::var("STAGEDIFF_PEEK")) else {
        return;
    };
    let (name, bucket) = spec.split_once(':').expect("NAME:BUCKET");
    let bucket = Bucket::parse(bucket).expect("bucket");
    let cmp = load_pair(&dir, name);
    let mut by: std::collections::BTreeMap<String, (u64, u32)> = Default::default();
    for id in cmp.before.tree.iter() {
        let (n, f) = (cmp.before.tree.node(id), cmp.before.facts(id));
        if n.is_dir() || f.status != Status::Eliminated || f.bucket != bucket {
            continue;
        }
        let p = cmp.before.display_path(id);
        let key = p
            .split('/')
            .take(
                std::env::var("STAGEDIFF_PEEK_DEPTH")
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(5),
            )
            .collect::<Vec<_>>()
            .join("/");
        let e = by.entry(key).or_default();
        e.0 += n.size;
        e.1 += 1;
    }
    for (k, (b, n)) in by {
        println!("{b:>12} {n:>6} {k}");
    }
}
