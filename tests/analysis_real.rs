//! Issue 3 on real images built by a real dockerd (scripts/build-test-images.sh).
//!
//! Ignored by plain `cargo test`; the e2e script runs them with
//! `STAGEDIFF_FIXTURES=fixtures-cache cargo test --test analysis_real -- --include-ignored`.
//! Each check is a public function so `tests/docker_e2e.rs` can call them too.

mod common;

use stagediff::analysis::{compare, Bucket, Comparison, FindingKind, OwnerKind, Rules, Status};
use std::collections::{BTreeMap, BTreeSet};
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
    let (before, after) = stagediff::pipeline::load_pair(
        b.to_str().expect("utf-8 path"),
        a.to_str().expect("utf-8 path"),
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("loading the {name} pair: {e}"));
    compare(&before.image, &after.image, &Rules::builtin())
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

/// A path's rollup (bytes and files below it by status).
fn rollup_of(side: &stagediff::analysis::Side, path: &str) -> stagediff::analysis::Rollup {
    let id = side
        .tree
        .lookup(path.trim_start_matches('/').as_bytes())
        .unwrap_or_else(|| panic!("{path} is not in the image"));
    side.rollup(id)
}

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// `dpkg-query -W` of an image as the build script wrote it (none for a
/// FROM-scratch image).
fn dpkg_list(dir: &std::path::Path, image: &str) -> BTreeSet<String> {
    let file = format!("{image}.dpkg");
    if !dir.join(&file).exists() && image.ends_with("-multi") {
        return BTreeSet::new();
    }
    read(dir, &file)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The eliminated dpkg packages are exactly `dpkg-query -W` of BEFORE minus
/// that of AFTER.
pub fn check_eliminated_packages(dir: &std::path::Path, name: &str, cmp: &Comparison) {
    let before = dpkg_list(dir, &format!("{name}-single"));
    let after = dpkg_list(dir, &format!("{name}-multi"));
    let expected: BTreeSet<&str> = before.difference(&after).map(String::as_str).collect();
    assert!(
        !expected.is_empty(),
        "{name}: the fixture removes no package"
    );
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
    common::assert_exact_sums(cmp);
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

/// Every byte named: what no package, rule or dependency names ("other")
/// is at most 0.1 % of what the multi-stage build eliminated.
pub fn check_every_byte_named(name: &str, cmp: &Comparison) {
    let other = cmp.eliminated_in(Bucket::Other).bytes;
    let total = cmp.totals.eliminated_bytes;
    assert!(
        other * 1000 <= total,
        "{name}: other holds {other} of {total} eliminated bytes ({:.3} %)",
        other as f64 * 100.0 / total as f64
    );
}

/// Files the packages' scripts write (`[[generated]]` in the rules, and
/// the alternatives system's links) are their package's on a real Debian
/// image: each rule's package has the maintainer script that writes them,
/// each file a rule matches is labelled with that package, and each link
/// in /etc/alternatives with the package of the program it ends at.
pub fn check_generated_files(cmp: &Comparison) {
    let b = &cmp.before;
    let rules = Rules::builtin();
    let mut checked = 0;
    for g in &rules.generated {
        let Some(pkg) = b.package(&g.package) else {
            continue;
        };
        let info = |ext: &str| {
            [
                format!("var/lib/dpkg/info/{}.{ext}", pkg.name),
                format!("var/lib/dpkg/info/{}:{}.{ext}", pkg.name, pkg.architecture),
            ]
            .iter()
            .any(|p| b.tree.lookup(p.as_bytes()).is_some())
        };
        assert!(
            info("postinst") || info("triggers"),
            "{}: no maintainer script, yet a rule says {}",
            g.package,
            g.why
        );
        for id in b.tree.iter() {
            let node = b.tree.node(id);
            let path = b.tree.path_of(id);
            if node.is_dir() || b.facts(id).package.is_some() || !g.paths.matches(&path) {
                continue;
            }
            let label = cmp.owner_label(b.facts(id).owner);
            assert!(
                label.starts_with(&format!("{} ", g.package)),
                "{}: {label}, not {}",
                b.display_path(id),
                g.package
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} generated files checked");
    let alternatives = b
        .tree
        .lookup(b"etc/alternatives")
        .expect("/etc/alternatives");
    let mut links = 0;
    for &id in b.tree.children(alternatives) {
        let Some(end) = b.tree.resolve(&b.tree.path_of(id)) else {
            continue;
        };
        if end == id || b.facts(end).package.is_none() {
            continue;
        }
        // The link is the program's: same bucket, same owner.
        assert_eq!(
            (b.facts(id).bucket, b.facts(id).owner),
            (b.facts(end).bucket, b.facts(end).owner),
            "{} and {}",
            b.display_path(id),
            b.display_path(end)
        );
        links += 1;
    }
    assert!(links > 0, "no alternatives link checked");
}

pub fn check_go_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "goapp");
    check_every_byte_named("goapp", &cmp);
    check_eliminated_packages(dir, "goapp", &cmp);
    check_exact_sum(&cmp);
    check_generated_files(&cmp);
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
    // Membership: every file of the Go distribution is the toolchain's.
    let b = &cmp.before;
    let go_files: Vec<_> = b
        .tree
        .iter()
        .filter(|&id| !b.tree.node(id).is_dir() && b.tree.path_of(id).starts_with(b"usr/lib/go-"))
        .collect();
    assert!(
        go_files
            .iter()
            .any(|&id| b.tree.path_of(id).ends_with(b"/bin/go")),
        "no /usr/lib/go-*/bin/go"
    );
    for id in go_files {
        assert_eq!(
            b.facts(id).bucket,
            Bucket::Toolchain,
            "{}",
            b.display_path(id)
        );
    }
    let src = facts_of(&cmp.before, "/src/main.go");
    assert_eq!(
        (src.status, src.bucket),
        (Status::Eliminated, Bucket::Source)
    );
    let cache = facts_of(&cmp.before, "/root/.cache/go-build");
    assert_eq!(cache.bucket, Bucket::BuildCache);
    assert!(rollup_of(&cmp.before, "/root/.cache/go-build").bytes(Status::Eliminated) > 0);
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
    check_every_byte_named("capp", &cmp);
    check_eliminated_packages(dir, "capp", &cmp);
    check_generated_files(&cmp);
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

/// `rpm -qa` of an image as the build script wrote it (NAME EVR ARCH a line).
pub fn rpm_qa(dir: &std::path::Path, image: &str) -> BTreeSet<String> {
    let listed: BTreeSet<String> = read(dir, &format!("{image}.rpm-qa"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    assert!(!listed.is_empty(), "{image}.rpm-qa lists no package");
    listed
}

/// The rpm pair (tests/images/rpmapp): the eliminated packages must be
/// `rpm -qa` of the built BEFORE image less that of AFTER.
pub fn check_rpm_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "rpmapp");
    check_every_byte_named("rpmapp", &cmp);
    let (before_qa, after_qa) = (rpm_qa(dir, "rpmapp-single"), rpm_qa(dir, "rpmapp-multi"));
    let expected: BTreeSet<&str> = before_qa
        .difference(&after_qa)
        .map(String::as_str)
        .collect();
    assert!(
        !expected.is_empty(),
        "rpmapp: the fixture removes no package"
    );
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

/// Bytes per status of the regular files and links each language
/// dependency of `ecosystem` owns on one side, by owner label
/// (`NAME@VERSION`), with the buckets they landed in.
#[derive(Default, Debug)]
struct DepShare {
    bytes: [u64; 5],
    files: u32,
    buckets: BTreeSet<Bucket>,
}

fn deps_of(
    cmp: &Comparison,
    side: &stagediff::analysis::Side,
    ecosystem: &str,
) -> BTreeMap<String, DepShare> {
    let mut out: BTreeMap<String, DepShare> = BTreeMap::new();
    for id in side.tree.iter() {
        let (n, f) = (side.tree.node(id), side.facts(id));
        let Some(o) = f.owner.map(|o| cmp.owner(o)) else {
            continue;
        };
        if n.is_dir() || o.kind != OwnerKind::Dependency || o.ecosystem != ecosystem {
            continue;
        }
        let e = out.entry(o.label()).or_default();
        e.bytes[f.status.index()] += n.size;
        e.files += 1;
        e.buckets.insert(f.bucket);
    }
    out
}

/// `pip list --format=freeze` as `Name@Version`.
fn pip_freeze(dir: &std::path::Path, image: &str) -> BTreeSet<String> {
    read(dir, &format!("{image}.pip"))
        .lines()
        .filter_map(|l| l.trim().split_once("=="))
        .map(|(n, v)| format!("{n}@{v}"))
        .collect()
}

/// One installed package of an `npm ls --json --all [--long]` tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct NpmPackage {
    /// `NAME@VERSION`.
    label: String,
    /// Where it is installed (`--long` only).
    path: Option<String>,
    /// Needed by devDependencies only (`--long` only).
    dev: bool,
}

fn npm_ls(dir: &std::path::Path, file: &str) -> Vec<NpmPackage> {
    fn walk(v: &serde_json::Value, out: &mut Vec<NpmPackage>) {
        let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) else {
            return;
        };
        for (name, d) in deps {
            let version = d
                .get("version")
                .and_then(|v| v.as_str())
                .unwrap_or_else(|| panic!("npm ls: {name} has no version: {d}"));
            out.push(NpmPackage {
                label: format!("{name}@{version}"),
                path: d.get("path").and_then(|p| p.as_str()).map(String::from),
                dev: d.get("dev").and_then(|p| p.as_bool()).unwrap_or(false),
            });
            walk(d, out);
        }
    }
    let v: serde_json::Value =
        serde_json::from_str(&read(dir, file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut out = Vec::new();
    walk(&v, &mut out);
    out
}

fn labels(packages: &[NpmPackage]) -> BTreeSet<String> {
    packages.iter().map(|p| p.label.clone()).collect()
}

/// Eliminated bytes per bucket, for the log.
fn summary(name: &str, cmp: &Comparison) -> String {
    let mut s = format!(
        "{name}: BEFORE {} B, AFTER {} B, eliminated {} B:",
        cmp.before.image_size, cmp.after.image_size, cmp.totals.eliminated_bytes
    );
    for b in &cmp.eliminated {
        s.push_str(&format!(" {}={}", b.bucket, b.bytes));
    }
    s
}

/// The files of a build context directory (`tests/images/APP/SUB`) as the
/// image holds them below `dest`.
fn context_files(app: &str, sub: &str, dest: &str) -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, rel: &str, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let e = e.expect("dir entry");
            let name = e.file_name().into_string().expect("utf-8 name");
            let rel = format!("{rel}/{name}");
            if e.file_type().expect("file type").is_dir() {
                walk(&e.path(), &rel, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/images")
        .join(app)
        .join(sub);
    walk(&dir, dest, &mut out);
    out
}

/// BEFORE's source bucket holds exactly the app's own files from the build
/// context: nothing a package or dependency installed (their `.py`, `.c`,
/// `.d.ts`, `package.json`) counts as source.
fn check_sources_are_the_context(cmp: &Comparison, expected: &BTreeSet<String>) {
    let b = &cmp.before;
    let got: BTreeSet<String> = b
        .tree
        .iter()
        .filter(|&id| !b.tree.node(id).is_dir() && b.facts(id).bucket == Bucket::Source)
        .map(|id| b.display_path(id))
        .collect();
    assert_eq!(&got, expected);
    // And whatever a package database lists is the package's.
    for id in b.tree.iter() {
        let f = b.facts(id);
        if f.package.is_some() && !b.tree.node(id).is_dir() {
            assert!(
                matches!(f.bucket, Bucket::Toolchain | Bucket::OsPackage),
                "{} is {}",
                b.display_path(id),
                f.bucket
            );
        }
    }
}

/// Every package the tools' lists say was dropped, whose name says it is a
/// compiler or headers, is toolchain, all of its eliminated bytes.
fn check_toolchain_packages(cmp: &Comparison, must_have: &[&str]) {
    let gone: Vec<_> = cmp.eliminated_packages();
    for want in must_have {
        assert!(
            gone.iter().any(|p| p.name == *want),
            "the fixture no longer drops {want}"
        );
    }
    // gcc-NN-base is not a compiler: it is the runtime's (libgcc-s1 and
    // libstdc++6 depend on it), and a FROM-scratch AFTER drops it too.
    let is_tool = |n: &str| {
        (n.starts_with("gcc") && !n.ends_with("-base"))
            || n.starts_with("g++")
            || n.starts_with("cpp")
            || n.ends_with("-dev")
    };
    let tools: BTreeSet<u32> = gone
        .iter()
        .filter(|p| is_tool(&p.name))
        .map(|p| p.owner)
        .collect();
    let b = &cmp.before;
    let mut seen = BTreeSet::new();
    for id in b.tree.iter() {
        let (n, f) = (b.tree.node(id), b.facts(id));
        if let Some(p) = f.package.filter(|p| tools.contains(p)) {
            if !n.is_dir() && f.status == Status::Eliminated {
                assert_eq!(
                    f.bucket,
                    Bucket::Toolchain,
                    "{} of {}",
                    b.display_path(id),
                    cmp.owner(p).label()
                );
                seen.insert(p);
            }
        }
    }
    assert!(seen.len() >= must_have.len(), "{seen:?}");
}

pub fn check_python_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "pyapp");
    check_every_byte_named("pyapp", &cmp);
    eprintln!("{}", summary("pyapp", &cmp));
    check_eliminated_packages(dir, "pyapp", &cmp);
    check_exact_sum(&cmp);
    check_toolchain_packages(&cmp, &["gcc-12", "python3.11-dev", "libpython3.11-dev"]);
    let headers = facts_of(&cmp.before, "/usr/include/python3.11/Python.h");
    assert_eq!(
        (headers.status, headers.bucket),
        (Status::Eliminated, Bucket::Toolchain)
    );

    // pip's own list of the venv: stagediff names the same dists with the
    // same versions, on both sides, all language-deps; what AFTER ships is
    // carried over byte for byte.
    let pip_after = pip_freeze(dir, "pyapp-multi");
    assert!(pip_after.iter().any(|d| d.starts_with("MarkupSafe@")));
    let after = deps_of(&cmp, &cmp.after, "pypi");
    assert_eq!(after.keys().cloned().collect::<BTreeSet<_>>(), pip_after);
    let before = deps_of(&cmp, &cmp.before, "pypi");
    assert_eq!(
        before.keys().cloned().collect::<BTreeSet<_>>(),
        pip_freeze(dir, "pyapp-single")
    );
    for (dist, share) in &after {
        let shipped: u64 = share.bytes.iter().sum();
        let kept = share.bytes[Status::Carried.index()] + share.bytes[Status::Moved.index()];
        assert!(share.files > 0 && shipped > 0, "{dist}");
        assert_eq!(kept, shipped, "{dist}: {share:?}");
        assert_eq!(
            share.buckets,
            BTreeSet::from([Bucket::LanguageDeps]),
            "{dist}"
        );
    }
    // The script pip wrote outside site-packages is its dist's, by RECORD.
    let flask = pip_after
        .iter()
        .find(|d| d.starts_with("Flask@"))
        .expect("Flask in pip list");
    let bin = cmp
        .after
        .tree
        .lookup(b"venv/bin/flask")
        .expect("/venv/bin/flask");
    assert_eq!(cmp.owner_label(cmp.after.facts(bin).owner), *flask);
    // The whole venv is language-deps, its interpreter links too.
    let venv = cmp.after.tree.lookup(b"venv").expect("/venv");
    for id in cmp.after.tree.descendants(venv) {
        let f = cmp.after.facts(id);
        assert_eq!(
            f.bucket,
            Bucket::LanguageDeps,
            "{}",
            cmp.after.display_path(id)
        );
    }
    assert_eq!(
        facts_of(&cmp.after, "/venv/bin/python3").bucket,
        Bucket::LanguageDeps
    );

    // pip's cache (the wheel it built) is build-cache.
    let cache = facts_of(&cmp.before, "/root/.cache/pip");
    assert_eq!(cache.bucket, Bucket::BuildCache);
    assert!(rollup_of(&cmp.before, "/root/.cache/pip").bytes(Status::Eliminated) > 0);
    check_sources_are_the_context(&cmp, &context_files("pyapp", "src", "/src"));
    // Sources: the tests and requirements went, the app's modules moved.
    for p in ["/src/tests/test_greet.py", "/src/requirements.txt"] {
        let f = facts_of(&cmp.before, p);
        assert_eq!(
            (f.status, f.bucket),
            (Status::Eliminated, Bucket::Source),
            "{p}"
        );
    }
    let app = facts_of(&cmp.before, "/src/app/server.py");
    assert_eq!((app.status, app.bucket), (Status::Moved, Bucket::Source));

    // The audit of AFTER: pip in the venv is a package manager (every
    // script pip's RECORD puts in /venv/bin), the app's sources ship, no
    // compiler does.
    let pip = pip_after
        .iter()
        .find(|d| d.starts_with("pip@"))
        .expect("pip in pip list");
    let pip_scripts: BTreeSet<String> = cmp
        .after
        .tree
        .iter()
        .filter(|&id| {
            cmp.after.display_path(id).starts_with("/venv/bin/")
                && cmp.owner_label(cmp.after.facts(id).owner) == *pip
        })
        .map(|id| cmp.after.display_path(id))
        .collect();
    let flagged: BTreeSet<String> = cmp
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::PackageManager && f.path.starts_with("/venv/"))
        .map(|f| f.path.clone())
        .collect();
    assert!(!pip_scripts.is_empty());
    assert_eq!(flagged, pip_scripts);
    let sources: BTreeSet<String> = cmp
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Source)
        .map(|f| f.path.clone())
        .collect();
    // Exactly what Dockerfile.multi copies: `COPY src/app/ /app/`.
    let copied = context_files("pyapp", "src/app", "/app");
    assert!(!copied.is_empty());
    assert_eq!(sources, copied);
    assert!(
        cmp.findings
            .iter()
            .all(|f| f.kind != FindingKind::Toolchain),
        "{:?}",
        cmp.findings
    );
}

pub fn check_node_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "nodeapp");
    check_every_byte_named("nodeapp", &cmp);
    eprintln!("{}", summary("nodeapp", &cmp));
    check_eliminated_packages(dir, "nodeapp", &cmp);
    check_exact_sum(&cmp);

    // npm's own view: every dependency npm ls lists is named NAME@VERSION;
    // the ones only devDependencies need went, as language-deps, whole;
    // the production ones shipped byte for byte.
    let installed = npm_ls(dir, "nodeapp-single.npm-all.json");
    let all = labels(&installed);
    let prod = labels(&npm_ls(dir, "nodeapp-single.npm-prod.json"));
    let dev_only: BTreeSet<String> = all.difference(&prod).cloned().collect();
    assert!(!prod.is_empty() && !dev_only.is_empty(), "{all:?} {prod:?}");
    // npm's two views agree: what --omit=dev drops is what it flags dev.
    assert_eq!(
        labels(
            &installed
                .iter()
                .filter(|p| p.dev)
                .cloned()
                .collect::<Vec<_>>()
        ),
        dev_only
    );
    // Where npm says each package is, its files are named after it (but
    // not the packages nested in its own node_modules).
    for p in &installed {
        let path = p.path.as_deref().expect("npm ls --long gives paths");
        let root = cmp
            .before
            .tree
            .lookup(path.trim_start_matches('/').as_bytes())
            .unwrap_or_else(|| panic!("{path} ({}) is not in BEFORE", p.label));
        let mut files = 0;
        for id in cmp.before.tree.descendants(root) {
            let shown = cmp.before.display_path(id);
            if cmp.before.tree.node(id).is_dir() || shown[path.len()..].contains("/node_modules/") {
                continue;
            }
            assert_eq!(
                cmp.owner_label(cmp.before.facts(id).owner),
                p.label,
                "{shown}"
            );
            files += 1;
        }
        assert!(files > 0, "{}", p.label);
    }
    let before = deps_of(&cmp, &cmp.before, "npm");
    assert_eq!(before.keys().cloned().collect::<BTreeSet<_>>(), all);
    for d in &dev_only {
        let s = &before[d];
        let total: u64 = s.bytes.iter().sum();
        assert!(total > 0, "{d}");
        assert_eq!(s.bytes[Status::Eliminated.index()], total, "{d}: {s:?}");
        assert_eq!(s.buckets, BTreeSet::from([Bucket::LanguageDeps]), "{d}");
    }
    for d in &prod {
        assert_eq!(before[d].bytes[Status::Eliminated.index()], 0, "{d}");
    }
    let eliminated_deps: BTreeSet<String> = cmp
        .eliminated_in(Bucket::LanguageDeps)
        .owners
        .iter()
        .filter_map(|o| o.owner.map(|id| cmp.owner(id)))
        .filter(|o| o.kind == OwnerKind::Dependency && o.ecosystem == "npm")
        .map(|o| o.label())
        .collect();
    assert_eq!(eliminated_deps, dev_only);
    let after = deps_of(&cmp, &cmp.after, "npm");
    assert_eq!(after.keys().cloned().collect::<BTreeSet<_>>(), prod);
    for (d, s) in &after {
        let shipped: u64 = s.bytes.iter().sum();
        let kept = s.bytes[Status::Carried.index()] + s.bytes[Status::Moved.index()];
        assert_eq!(kept, shipped, "{d}: {s:?}");
    }
    // The bin link of a dropped devDependency is that dependency's.
    let tsc = cmp
        .before
        .tree
        .lookup(b"src/node_modules/.bin/tsc")
        .expect("/src/node_modules/.bin/tsc");
    let ts = installed
        .iter()
        .find(|d| d.label.starts_with("typescript@"))
        .expect("typescript in npm ls");
    assert_eq!(cmp.owner_label(cmp.before.facts(tsc).owner), ts.label);

    // npm's cache is build-cache; npm itself is the Node.js toolchain.
    let cache = facts_of(&cmp.before, "/root/.npm");
    assert_eq!(cache.bucket, Bucket::BuildCache);
    assert!(rollup_of(&cmp.before, "/root/.npm").bytes(Status::Eliminated) > 0);
    let npm = cmp.before.package("npm").expect("npm installed in BEFORE");
    let tc = cmp.eliminated_in(Bucket::Toolchain);
    assert!(
        tc.owners
            .iter()
            .filter_map(|o| o.owner.map(|id| cmp.owner(id)))
            .any(|o| o.kind == OwnerKind::Toolchain && o.members.contains(&npm.owner)),
        "npm is in no toolchain group"
    );
    check_sources_are_the_context(&cmp, &context_files("nodeapp", "app", "/src"));
    for p in ["/src/src/main.ts", "/src/tsconfig.json"] {
        let f = facts_of(&cmp.before, p);
        assert_eq!(
            (f.status, f.bucket),
            (Status::Eliminated, Bucket::Source),
            "{p}"
        );
    }
    // The audit of AFTER: node ships (not flagged: a runtime needs it), npm
    // does not, so no package manager of npm's is flagged.
    let node = facts_of(&cmp.after, "/usr/bin/nodejs");
    assert_eq!(node.status, Status::Carried);
    assert!(
        cmp.findings.iter().all(|f| f.kind != FindingKind::Toolchain
            && !(f.kind == FindingKind::PackageManager
                && (f.path.ends_with("/npm") || f.path.ends_with("/npx")))),
        "{:?}",
        cmp.findings
    );
    assert!(cmp.after.package("npm").is_none());
}

/// The crates.io packages of a Cargo.lock as `NAME@VERSION` (the app itself
/// has no `source`).
fn cargo_lock_crates(app: &str, sub: &str) -> BTreeSet<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/images")
        .join(app)
        .join(sub)
        .join("Cargo.lock");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lock: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    lock["package"]
        .as_array()
        .expect("[[package]] tables")
        .iter()
        .filter(|p| p.get("source").is_some())
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect()
}

/// The names in a dpkg relationship field, as `dpkg-query` prints it.
fn relation_names(field: &str) -> impl Iterator<Item = &str> {
    field.split([',', '|']).filter_map(|alt| {
        let alt = alt.trim();
        let end = alt
            .find(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '<' | ':'))
            .unwrap_or(alt.len());
        (end > 0).then(|| &alt[..end])
    })
}

/// From an image's `NAME.dpkg-deps` (see scripts/build-test-images.sh):
/// the packages the system needs whatever depends on them (Essential or
/// Priority required), and who depends on each package, virtual names
/// resolved through Provides.
fn dpkg_dependents(
    dir: &std::path::Path,
    image: &str,
) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let text = read(dir, &format!("{image}.dpkg-deps"));
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(rows.iter().all(|r| r.len() == 5), "{image}.dpkg-deps");
    let mut by_name: BTreeMap<&str, &str> = rows.iter().map(|r| (r[0], r[0])).collect();
    for r in &rows {
        for v in relation_names(r[3]) {
            by_name.entry(v).or_insert(r[0]);
        }
    }
    let essential = rows
        .iter()
        .filter(|r| r[1] == "yes" || r[2] == "required")
        .map(|r| r[0].to_string())
        .collect();
    let mut dependents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        for d in relation_names(r[4]) {
            if let Some(&target) = by_name.get(d).filter(|&&t| t != r[0]) {
                dependents
                    .entry(target.to_string())
                    .or_default()
                    .insert(r[0].to_string());
            }
        }
    }
    (essential, dependents)
}

/// Packages "installed only for the toolchain", checked against dpkg's own
/// records of who depends on whom: each has dependents, all of them
/// toolchain packages or marked themselves; and a package whose dependents
/// are all toolchain packages is marked.
fn check_installed_for_toolchain(dir: &std::path::Path, name: &str, cmp: &Comparison) {
    let (essential, dependents) = dpkg_dependents(dir, &format!("{name}-single"));
    let tool: BTreeSet<&str> = cmp
        .owners
        .iter()
        .filter(|o| o.kind == OwnerKind::Toolchain)
        .flat_map(|o| o.members.iter().map(|&m| cmp.owner(m).name.as_str()))
        .collect();
    let marked: BTreeSet<&str> = cmp
        .before
        .packages
        .iter()
        .filter(|p| !p.needed_by.is_empty())
        .map(|p| p.name.as_str())
        .collect();
    let none = BTreeSet::new();
    for p in &marked {
        let ds = dependents.get(*p).unwrap_or(&none);
        assert!(!ds.is_empty() && !essential.contains(*p), "{p}: {ds:?}");
        for q in ds {
            assert!(
                tool.contains(q.as_str()) || marked.contains(q.as_str()),
                "{p} is marked, but {q} (neither toolchain nor marked) depends on it"
            );
        }
    }
    for (p, ds) in &dependents {
        if !tool.contains(p.as_str())
            && !essential.contains(p)
            && ds.iter().all(|q| tool.contains(q.as_str()))
        {
            assert!(
                marked.contains(p.as_str()),
                "only toolchains need {p}: {ds:?}"
            );
        }
    }
    eprintln!("{name}: installed only for the toolchain: {marked:?}");
}

pub fn check_rust_pair(dir: &std::path::Path) {
    let cmp = load_pair(dir, "rustapp");
    check_every_byte_named("rustapp", &cmp);
    eprintln!("{}", summary("rustapp", &cmp));
    check_eliminated_packages(dir, "rustapp", &cmp);
    check_exact_sum(&cmp);
    check_toolchain_packages(&cmp, &["rustc-web", "cargo-web", "gcc-12"]);
    let tc = cmp.eliminated_in(Bucket::Toolchain);
    let rust = tc
        .owners
        .iter()
        .filter_map(|o| o.owner.map(|id| cmp.owner(id)))
        .find(|o| o.kind == OwnerKind::Toolchain && o.label().contains("rustc-web"))
        .unwrap_or_else(|| {
            let labels: Vec<String> = tc.owners.iter().map(|o| cmp.owner_label(o.owner)).collect();
            panic!("no toolchain group names rustc-web: {labels:?}")
        });
    assert!(rust.label().starts_with("Rust 1."), "{}", rust.label());
    // Every Debian package of that group is a Rust one.
    for m in &rust.members {
        let name = &cmp.owner(*m).name;
        assert!(
            name.contains("rust") || name.starts_with("cargo"),
            "{name} in {}",
            rust.label()
        );
    }
    // What LLVM alone pulled in (libz3-4; libxml2 and, through it, libicu72)
    // is os-package, named as installed for LLVM's group.
    check_installed_for_toolchain(dir, "rustapp", &cmp);
    let llvm = cmp
        .before
        .package("libllvm19")
        .expect("libllvm19 in BEFORE");
    let llvm_group = cmp
        .toolchain_of(llvm.owner)
        .expect("libllvm19 in a toolchain group")
        .name_version();
    for p in ["libz3-4", "libxml2", "libicu72"] {
        let pkg = cmp
            .before
            .package(p)
            .unwrap_or_else(|| panic!("{p} in BEFORE"));
        assert_eq!(pkg.needed_by, std::slice::from_ref(&llvm_group), "{p}");
    }

    // Cargo's registry holds exactly the crates of Cargo.lock, each named
    // with its version, all of it language-deps, none of it shipped.
    let locked = cargo_lock_crates("rustapp", "app");
    assert!(
        locked.iter().any(|c| c.starts_with("memchr@")),
        "{locked:?}"
    );
    let before = deps_of(&cmp, &cmp.before, "cargo");
    assert_eq!(before.keys().cloned().collect::<BTreeSet<_>>(), locked);
    for (d, s) in &before {
        let total: u64 = s.bytes.iter().sum();
        assert!(total > 0, "{d}");
        assert_eq!(s.bytes[Status::Eliminated.index()], total, "{d}: {s:?}");
        assert_eq!(s.buckets, BTreeSet::from([Bucket::LanguageDeps]), "{d}");
    }
    // Both the downloaded .crate and its unpacked sources are the crate's.
    let registry = facts_of(&cmp.before, "/root/.cargo/registry");
    assert_eq!(registry.bucket, Bucket::LanguageDeps);
    assert!(cmp.after.tree.lookup(b"root").is_none());

    // The build directory is build-cache; the app's own files are source.
    let target = facts_of(&cmp.before, "/src/target");
    assert_eq!(target.bucket, Bucket::BuildCache);
    assert!(rollup_of(&cmp.before, "/src/target").bytes(Status::Eliminated) > 0);
    check_sources_are_the_context(&cmp, &context_files("rustapp", "app", "/src"));

    // The static binary moved from target/ to /rustapp; the audit of a
    // FROM-scratch image holding one binary is clean.
    let app = facts_of(&cmp.after, "/rustapp");
    assert_eq!(app.status, Status::Moved);
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
fn python_pair() {
    let dir = fixtures().expect("set STAGEDIFF_FIXTURES to the fixtures dir");
    check_python_pair(&dir);
}

#[test]
#[ignore = "needs STAGEDIFF_FIXTURES (scripts/build-test-images.sh)"]
fn node_pair() {
    let dir = fixtures().expect("set STAGEDIFF_FIXTURES to the fixtures dir");
    check_node_pair(&dir);
}

#[test]
#[ignore = "needs STAGEDIFF_FIXTURES (scripts/build-test-images.sh)"]
fn rust_pair() {
    let dir = fixtures().expect("set STAGEDIFF_FIXTURES to the fixtures dir");
    check_rust_pair(&dir);
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
