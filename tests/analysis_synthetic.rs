//! Issue 3 on synthetic images: layer tars built here with `tar::Builder`,
//! parsed by the real layer parser, compared by the real analysis.

mod common;

use stagediff::analysis::{
    audit, compare, Bucket, Comparison, FindingKind, OwnerKind, Rules, Status,
};
use stagediff::image::blob::{parse_layer, BlobOptions};
use stagediff::image::{Image, Layer, RuntimeConfig, SourceKind};

enum E<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str, u32),
    Link(&'a str, &'a str),
}
use E::*;

fn f<'a>(path: &'a str, content: &'a [u8]) -> E<'a> {
    File(path, content, 0o644)
}

fn layer(index: usize, entries: &[E]) -> Layer {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        match e {
            File(p, c, mode) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(c.len() as u64);
                h.set_mode(*mode);
                h.set_cksum();
                b.append_data(&mut h, p, *c).unwrap();
            }
            Dir(p, mode) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_mode(*mode);
                h.set_cksum();
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            Link(p, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_mode(0o777);
                b.append_link(&mut h, p, target).unwrap();
            }
        }
    }
    let bytes = b.into_inner().unwrap();
    let p = parse_layer(&bytes[..], "test layer", None, BlobOptions::default()).unwrap();
    Layer {
        index,
        diff_id: String::new(),
        digest: None,
        media_type: None,
        compression: p.compression,
        compressed_size: None,
        tar_size: p.tar_size,
        size: p.size,
        facts: p.facts,
        history_index: None,
        created_by: None,
        created: None,
        entries: p.entries,
        captured: p.captured,
    }
}

fn image(name: &str, layers: Vec<Layer>) -> Image {
    Image {
        reference: name.into(),
        source: SourceKind::DockerArchive,
        id: None,
        manifest_digest: None,
        repo_tags: vec![],
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
        created: None,
        config: RuntimeConfig::default(),
        history: vec![],
        layers,
        verified: false,
        unverified: Some("--no-verify"),
    }
}

const STATUS: &[u8] = b"Package: coreutils\nStatus: install ok installed\nArchitecture: amd64\nVersion: 9.1-1\nInstalled-Size: 10\nSection: utils\n\n\
Package: golang-1.19-go\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.19.8-2\nInstalled-Size: 20\n\n\
Package: golang-1.19-src\nStatus: install ok installed\nArchitecture: all\nVersion: 1.19.8-2\n\n\
Package: removed-long-ago\nStatus: deinstall ok config-files\nVersion: 1\n";

const GO_BIN: &[u8] = &[7u8; 3000];
const GO_SRC: &[u8] = &[8u8; 2000];
const APP: &[u8] = b"\x7fELF this is the app binary";

fn before() -> Image {
    let base = layer(
        0,
        &[
            Dir("usr", 0o755),
            Dir("usr/bin", 0o755),
            Link("bin", "usr/bin"),
            f("usr/bin/ls", b"ls binary"),
            f("usr/share/doc/coreutils/copyright", b"GPL"),
            f("usr/lib/go-1.19/bin/go", GO_BIN),
            f("usr/lib/go-1.19/VERSION", b"go1.19.8\ntime 2023\n"),
            f("usr/share/go-1.19/src/fmt/print.go", GO_SRC),
            f("var/lib/dpkg/status", STATUS),
            f(
                "var/lib/dpkg/info/coreutils.list",
                b"/.\n/bin\n/bin/ls\n/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/coreutils\n/usr/share/doc/coreutils/copyright\n",
            ),
            f(
                "var/lib/dpkg/info/golang-1.19-go:amd64.list",
                b"/.\n/usr\n/usr/lib\n/usr/lib/go-1.19\n/usr/lib/go-1.19/bin\n/usr/lib/go-1.19/bin/go\n/usr/lib/go-1.19/VERSION\n",
            ),
            f(
                "var/lib/dpkg/info/golang-1.19-src.list",
                b"/.\n/usr\n/usr/share\n/usr/share/go-1.19/src/fmt/print.go\n/usr/share/go-1.19/src/does/not/exist.go\n",
            ),
            f("etc/keep", b"same everywhere"),
            f("etc/config", b"v1"),
        ],
    );
    let build = layer(
        1,
        &[
            f("src/main.go", b"package main\n"),
            f("src/go.mod", b"module x\n"),
            f("src/app", APP),
            f("src/empty", b""),
            f("root/.cache/go-build/ab/abcdef-d", &[1u8; 500]),
            f("root/go/pkg/mod/github.com/x/y@v1.2.3/y.go", &[2u8; 300]),
            f(
                "app/node_modules/left-pad/package.json",
                br#"{"name":"left-pad","version":"1.3.0"}"#,
            ),
            f("app/node_modules/left-pad/index.js", &[3u8; 200]),
            f("var/lib/apt/lists/deb_Packages", &[4u8; 1000]),
            f("usr/share/doc/unowned/README", b"docs"),
            f("etc/hostname", b"builder"),
        ],
    );
    image("before", vec![base, build])
}

fn after() -> Image {
    image(
        "after",
        vec![layer(
            0,
            &[
                f("app", APP),
                f("etc/keep", b"same everywhere"),
                f("etc/config", b"v2, longer"),
                f("new/thing", b"added"),
                f("empty2", b""),
            ],
        )],
    )
}

/// The paths of the audit findings of one kind.
fn paths_found(found: &[stagediff::analysis::Finding], kind: FindingKind) -> Vec<String> {
    found
        .iter()
        .filter(|x| x.kind == kind)
        .map(|x| x.path.clone())
        .collect()
}

fn facts<'a>(s: &'a stagediff::analysis::Side, p: &str) -> &'a stagediff::analysis::PathFacts {
    s.facts(
        s.tree
            .lookup(p.as_bytes())
            .unwrap_or_else(|| panic!("{p} missing")),
    )
}

fn label(c: &Comparison, s: &stagediff::analysis::Side, p: &str) -> String {
    c.owner_label(facts(s, p).owner)
}

#[test]
fn statuses_over_the_union() {
    let c = compare(&before(), &after(), &Rules::builtin());
    let (b, a) = (&c.before, &c.after);
    assert_eq!(facts(b, "src/app").status, Status::Moved);
    // BEFORE's /app directory and AFTER's /app binary share only a name.
    assert_eq!(facts(b, "app").status, Status::Eliminated);
    assert_eq!(facts(a, "app").status, Status::Moved);
    assert_eq!(
        facts(a, "app").counterpart,
        b.tree.lookup(b"src/app"),
        "moved /src/app → /app"
    );
    assert_eq!(c.moves.len(), 1);
    assert_eq!(facts(b, "etc/keep").status, Status::Carried);
    assert_eq!(facts(a, "etc/keep").status, Status::Carried);
    assert_eq!(facts(b, "etc/config").status, Status::Changed);
    assert_eq!(facts(a, "etc/config").status, Status::Changed);
    assert_eq!(facts(a, "new/thing").status, Status::Added);
    assert_eq!(facts(a, "new").status, Status::Added);
    // Empty files never move.
    assert_eq!(facts(b, "src/empty").status, Status::Eliminated);
    assert_eq!(facts(a, "empty2").status, Status::Added);
    assert_eq!(facts(b, "etc").status, Status::Carried);
    // Directories roll up what is below them.
    let etc = b.rollup(b.tree.lookup(b"etc").expect("etc"));
    assert_eq!(etc.bytes(Status::Carried), 15);
    assert_eq!(etc.bytes(Status::Changed), 2);
    assert_eq!(etc.bytes(Status::Eliminated), 7);
    assert_eq!(etc.files(Status::Carried), 1);
    // A file's rollup is itself: its bytes and one file, under its status.
    let keep = b.rollup(b.tree.lookup(b"etc/keep").expect("etc/keep"));
    assert_eq!(
        (keep.bytes(Status::Carried), keep.files(Status::Carried)),
        (15, 1)
    );
    assert_eq!(
        keep.bytes(Status::Changed) + u64::from(keep.files(Status::Eliminated)),
        0
    );
    let root = b.rollup(stagediff::tree::ROOT);
    assert_eq!(
        Status::ALL.iter().map(|&s| root.bytes(s)).sum::<u64>(),
        b.tree.total_size()
    );
    let t = &c.totals;
    assert_eq!(t.moved_bytes, APP.len() as u64);
    assert_eq!(t.added_bytes, 5);
    assert_eq!(t.changed_bytes, 10);
    assert_eq!(t.changed_bytes_before, 2);
    assert_eq!(
        t.eliminated_bytes + t.carried_bytes + t.moved_bytes + t.changed_bytes_before,
        b.tree.total_size()
    );
}

#[test]
fn ownership_buckets_and_exact_sum() {
    let c = compare(&before(), &after(), &Rules::builtin());
    let b = &c.before;
    // Merged /usr: the .list says /bin/ls, the image has /usr/bin/ls.
    assert_eq!(label(&c, b, "usr/bin/ls"), "coreutils 9.1-1");
    assert_eq!(facts(b, "usr/bin/ls").bucket, Bucket::OsPackage);
    // Listed by several packages: nobody's. Listed by one: that one's.
    assert_eq!(facts(b, "usr").package, None);
    assert!(facts(b, "usr/share/doc/coreutils").package.is_some());
    // The toolchain group, named with its version and packages.
    let go = label(&c, b, "usr/lib/go-1.19/bin/go");
    assert_eq!(go, "Go 1.19 (golang-1.19-go, golang-1.19-src)");
    assert_eq!(facts(b, "usr/lib/go-1.19/bin/go").bucket, Bucket::Toolchain);
    assert_eq!(
        facts(b, "usr/share/go-1.19/src/fmt/print.go").bucket,
        Bucket::Toolchain
    );
    let tc = c.eliminated_in(Bucket::Toolchain);
    // dpkg's records of the toolchain's packages go with the toolchain.
    let lists: u64 = [
        "var/lib/dpkg/info/golang-1.19-go:amd64.list",
        "var/lib/dpkg/info/golang-1.19-src.list",
    ]
    .iter()
    .map(|p| {
        assert_eq!(facts(b, p).bucket, Bucket::Toolchain, "{p}");
        b.tree.node(b.tree.lookup(p.as_bytes()).unwrap()).size
    })
    .sum();
    assert!(lists > 0);
    assert_eq!(tc.bytes, (GO_BIN.len() + GO_SRC.len() + 19) as u64 + lists);
    assert_eq!(
        facts(b, "var/lib/dpkg/info/coreutils.list").bucket,
        Bucket::OsPackage
    );
    let group = c.owner(tc.owners[0].owner.unwrap());
    assert_eq!(group.kind, OwnerKind::Toolchain);
    assert_eq!(group.members.len(), 2);
    // Language dependencies by name and version.
    assert_eq!(
        label(&c, b, "app/node_modules/left-pad/index.js"),
        "left-pad@1.3.0"
    );
    assert_eq!(
        label(&c, b, "root/go/pkg/mod/github.com/x/y@v1.2.3/y.go"),
        "github.com/x/y@v1.2.3"
    );
    assert_eq!(
        facts(b, "app/node_modules/left-pad/index.js").bucket,
        Bucket::LanguageDeps
    );
    // Sources (the .go under pkg/mod is a dependency: language-deps wins).
    assert_eq!(facts(b, "src/main.go").bucket, Bucket::Source);
    assert_eq!(facts(b, "src/go.mod").bucket, Bucket::Source);
    assert_eq!(
        facts(b, "root/.cache/go-build/ab/abcdef-d").bucket,
        Bucket::BuildCache
    );
    assert_eq!(
        facts(b, "var/lib/apt/lists/deb_Packages").bucket,
        Bucket::BuildCache
    );
    // Owned docs belong to their package; unowned docs are docs.
    assert_eq!(
        facts(b, "usr/share/doc/coreutils/copyright").bucket,
        Bucket::OsPackage
    );
    assert_eq!(
        facts(b, "usr/share/doc/unowned/README").bucket,
        Bucket::Docs
    );
    assert_eq!(facts(b, "etc/hostname").bucket, Bucket::Other);
    common::assert_exact_sums(&c);
    // Packages: installed ones only, all gone from AFTER.
    let gone: Vec<&str> = c
        .eliminated_packages()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(gone, ["coreutils", "golang-1.19-go", "golang-1.19-src"]);
    // Its files, and dpkg's record of them.
    let list = b.tree.lookup(b"var/lib/dpkg/info/coreutils.list").unwrap();
    assert_eq!(
        b.package("coreutils").unwrap().bytes,
        12 + b.tree.node(list).size
    );
}

#[test]
fn user_rules_win() {
    let user: toml::Table = r#"
        [[rules]]
        name = "Vendored app"
        bucket = "other"
        paths = ["app/**"]
        [[rules]]
        name = "Go, ours"
        bucket = "os-package"
        packages = ["golang-*"]
    "#
    .parse()
    .unwrap();
    let rules = Rules::from_tables(&[("test", &user)]).unwrap();
    let c = compare(&before(), &after(), &rules);
    let b = &c.before;
    assert_eq!(
        facts(b, "app/node_modules/left-pad/index.js").bucket,
        Bucket::Other
    );
    assert_eq!(
        label(&c, b, "app/node_modules/left-pad/index.js"),
        "Vendored app"
    );
    assert_eq!(facts(b, "usr/lib/go-1.19/bin/go").bucket, Bucket::OsPackage);
    assert_eq!(
        label(&c, b, "usr/lib/go-1.19/bin/go"),
        "golang-1.19-go 1.19.8-2"
    );
    let sum: u64 = c.eliminated.iter().map(|x| x.bytes).sum();
    assert_eq!(sum, c.totals.eliminated_bytes);
}

#[test]
fn audit_finds_what_ships() {
    let img = image(
        "runtime",
        vec![layer(
            0,
            &[
                Dir("usr", 0o755),
                Dir("usr/bin", 0o755),
                Link("bin", "usr/bin"),
                f("usr/bin/dash", b"\x7fELF dash"),
                Link("usr/bin/sh", "dash"),
                Link("usr/bin/bash", "missing-bash"),
                f("usr/bin/apt-get", b"\x7fELF apt"),
                File("usr/bin/passwd", b"\x7fELF pw", 0o4755),
                File("usr/bin/wall", b"\x7fELF wall", 0o2755),
                File("data/shared.txt", b"anyone", 0o666),
                Dir("tmp", 0o1777),
                Dir("drop", 0o777),
                f("app/.env", b"TOKEN=x"),
                f("app/.env.example", b"TOKEN="),
                f("app/tls.pem", b"-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
                f("app/cert.pem", b"-----BEGIN CERTIFICATE-----\nMIIE"),
                f("root/.ssh/id_rsa", b"whatever"),
                f("app/main.py", b"print()"),
                f("usr/share/misc/notes.txt", b"fine"),
            ],
        )],
    );
    let tree = stagediff::tree::squash(&img.layers).tree;
    let found = audit(&img, &tree, &Rules::builtin());
    let of = |k: FindingKind| paths_found(&found, k);
    // A dangling /usr/bin/bash runs nothing; /usr/bin/sh → dash does.
    assert_eq!(of(FindingKind::Shell), ["/usr/bin/dash", "/usr/bin/sh"]);
    assert_eq!(of(FindingKind::PackageManager), ["/usr/bin/apt-get"]);
    assert_eq!(
        of(FindingKind::Setuid),
        ["/usr/bin/passwd", "/usr/bin/wall"]
    );
    // The sticky /tmp is fine; a plain 0777 directory is not.
    assert_eq!(
        of(FindingKind::WorldWritable),
        ["/data/shared.txt", "/drop"]
    );
    assert_eq!(
        of(FindingKind::Secret),
        ["/app/.env", "/app/tls.pem", "/root/.ssh/id_rsa"]
    );
    assert_eq!(of(FindingKind::Source), ["/app/main.py"]);
    assert!(of(FindingKind::Toolchain).is_empty());
    assert!(found.iter().all(|f| !f.path.contains("notes.txt")));
}

#[test]
fn audit_details_say_what_was_found() {
    let img = image(
        "details",
        vec![layer(
            0,
            &[
                Dir("sbin", 0o755),
                f("sbin/apk", b"\x7fELF apk"),
                Dir("usr/local/bin", 0o755),
                f("usr/local/bin/busybox", b"\x7fELF bb"),
                Link("usr/local/bin/sh", "busybox"),
                // A shell's name outside bin/ and sbin/ is no shell.
                f("usr/share/doc/sh", b"docs"),
                File("usr/bin/both", b"x", 0o6750),
                File("usr/bin/gid", b"x", 0o2755),
                File("usr/bin/uid", b"x", 0o4711),
                File("usr/bin/plain", b"x", 0o755),
                File("data/group-writable", b"x", 0o664),
                File("data/world-writable", b"x", 0o646),
                Dir("scratch", 0o1777),
                Dir("open", 0o757),
                f("app/.env.production", b"K=v"),
                f("app/.env.sample", b"K="),
                f("app/.env.template", b"K="),
                f("app/.env.dist", b"K="),
                f("app/.env.tmpl", b"K="),
                f(
                    "app/deploy.key",
                    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl",
                ),
            ],
        )],
    );
    let tree = stagediff::tree::squash(&img.layers).tree;
    let found = audit(&img, &tree, &Rules::builtin());
    let of = |k: FindingKind| -> Vec<(String, String)> {
        found
            .iter()
            .filter(|f| f.kind == k)
            .map(|f| (f.path.clone(), f.detail.clone()))
            .collect()
    };
    let pair = |p: &str, d: &str| (p.to_string(), d.to_string());
    assert_eq!(of(FindingKind::PackageManager), [pair("/sbin/apk", "")]);
    assert_eq!(
        of(FindingKind::Shell),
        [
            pair("/usr/local/bin/busybox", ""),
            pair("/usr/local/bin/sh", "-> busybox")
        ]
    );
    assert_eq!(
        of(FindingKind::Setuid),
        [
            pair("/usr/bin/both", "setuid+setgid, mode 6750, owner 0:0"),
            pair("/usr/bin/gid", "setgid, mode 2755, owner 0:0"),
            pair("/usr/bin/uid", "setuid, mode 4711, owner 0:0"),
        ]
    );
    assert_eq!(
        of(FindingKind::WorldWritable),
        [
            pair("/data/world-writable", "mode 0646"),
            pair("/open", "mode 0757")
        ]
    );
    assert_eq!(
        of(FindingKind::Secret),
        [
            pair("/app/.env.production", "secret file name"),
            pair("/app/deploy.key", "private key header"),
        ]
    );
    let ww: Vec<_> = found
        .iter()
        .filter(|f| f.kind == FindingKind::WorldWritable)
        .map(|f| (f.bytes, f.files))
        .collect();
    assert_eq!(ww, [(1, 1), (0, 0)]);
}

#[test]
fn audit_reports_shipped_toolchains_and_clean_scratch() {
    let c = compare(&after(), &before(), &Rules::builtin());
    let tc: Vec<_> = c
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Toolchain)
        .collect();
    assert_eq!(tc.len(), 1);
    assert!(tc[0].detail.starts_with("Go 1.19"), "{}", tc[0].detail);
    assert_eq!(tc[0].path, "/usr/lib/go-1.19/bin/go");
    let clean = compare(&before(), &after(), &Rules::builtin());
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);
}

#[test]
fn hostile_names_are_escaped() {
    let evil = image(
        "evil",
        vec![layer(0, &[f("app/\u{1b}[2Jevil.go", b"package x")])],
    );
    let c = compare(&evil, &image("empty", vec![]), &Rules::builtin());
    let id = c
        .before
        .tree
        .lookup("app/\u{1b}[2Jevil.go".as_bytes())
        .unwrap();
    assert!(!c.before.display_path(id).contains('\u{1b}'));
    assert_eq!(c.before.facts(id).bucket, Bucket::Source);
    let doc = stagediff::report::diff::json::DiffDoc::new(&c, &Default::default(), &[]);
    let s = serde_json::to_string(&doc).unwrap();
    assert!(!s.contains("\\u001b"), "raw escape reached the JSON");
}

const SITE: &str = "venv/lib/python3.11/site-packages";

/// A single-stage Python image: Debian's python3 (dpkg, with byte-compiled
/// stdlib no `.list` names), a venv whose dists say what they installed
/// (RECORD, installed-files.txt), hostile records, and the app's sources.
fn python_before() -> Image {
    let s = |p: &str| format!("{SITE}/{p}");
    let (flask_init, flask_pyc, flask_bin, speedups_c, speedups_so) = (
        s("flask/__init__.py"),
        s("flask/__pycache__/__init__.cpython-311.pyc"),
        "venv/bin/flask".to_string(),
        s("markupsafe/_speedups.c"),
        s("markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so"),
    );
    let meta = s("flask-3.0.3.dist-info/METADATA");
    let record = s("flask-3.0.3.dist-info/RECORD");
    let egg_info = s("MarkupSafe-2.1.5.egg-info/PKG-INFO");
    let egg_files = s("MarkupSafe-2.1.5.egg-info/installed-files.txt");
    let (ns_a, ns_b) = (s("google/auth/a.py"), s("google/api/b.py"));
    let (ns_a_rec, ns_b_rec) = (
        s("google_auth-2.0.dist-info/RECORD"),
        s("google_api_core-1.0.dist-info/RECORD"),
    );
    let evil = s("evil-6.6.6.dist-info/RECORD");
    let loose = s("loose/mod.py");
    let loose_info = s("loose-0.1.dist-info/METADATA");
    let base = layer(
        0,
        &[
            f("var/lib/dpkg/status", b"Package: libpython3.11-stdlib\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.11.2-6\n"),
            f(
                "var/lib/dpkg/info/libpython3.11-stdlib:amd64.list",
                b"/.\n/usr\n/usr/lib\n/usr/lib/python3.11\n/usr/lib/python3.11/json.py\n/usr/lib/python3.11/old.py\n",
            ),
            f("usr/lib/python3.11/json.py", b"import re\n"),
            f("usr/lib/python3.11/__pycache__/json.cpython-311.pyc", &[9u8; 70]),
            f("usr/lib/python3.11/old.py", b"# py2 style\n"),
            f("usr/lib/python3.11/old.pyc", &[9u8; 30]),
            f("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
        ],
    );
    let build = layer(
        1,
        &[
            f("venv/pyvenv.cfg", b"home = /usr/bin\nversion = 3.11.2\n"),
            Link("venv/bin/python3", "/usr/bin/python3"),
            Link("venv/bin/python", "python3"),
            f("venv/bin/activate", b"# source me\n"),
            f("venv/bin/activate_this.py", b"# exec me\n"),
            f(&flask_bin, b"#!/venv/bin/python3\nfrom flask.cli import main\n"),
            f("venv/bin/pip", b"#!/venv/bin/python3\nfrom pip import main\n"),
            Link("venv/lib64", "lib"),
            f(&flask_init, &[1u8; 100]),
            f(&flask_pyc, &[2u8; 50]),
            f(&meta, b"Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.3\n\nlong description\n"),
            f(
                &record,
                b"flask/__init__.py,sha256=x,100\n\
flask/__pycache__/__init__.cpython-311.pyc,,\n\
../../../bin/flask,sha256=y,40\n\
flask-3.0.3.dist-info/METADATA,,\n\
flask-3.0.3.dist-info/RECORD,,\n",
            ),
            f(&speedups_c, &[3u8; 300]),
            f(&speedups_so, &[4u8; 400]),
            f(&egg_info, b"Metadata-Version: 2.1\nName: MarkupSafe\nVersion: 2.1.5\n"),
            f(
                &egg_files,
                b"../markupsafe/_speedups.c\n../markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so\nPKG-INFO\ninstalled-files.txt\n",
            ),
            f(&ns_a, b"a"),
            f(&ns_b, b"b"),
            f(&ns_a_rec, b"google/auth/a.py,,\n"),
            f(&ns_b_rec, b"google/api/b.py,,\n"),
            // Hostile: climbs out, absolute, through the venv's own symlink
            // to the interpreter, and at the app's sources.
            f(
                &evil,
                b"../../../../etc/passwd,,\n/etc/passwd,,\n\"../../../../../../../../src/app.py\",,\n../../../bin/python3/../../../../etc/passwd,,\n../../../lib64/python3.11/site-packages/flask/__init__.py,,\n",
            ),
            // A dist without RECORD: the directory-name heuristic.
            f(&loose, b"x = 1\n"),
            f(&loose_info, b"Name: loose\nVersion: 0.1\n"),
            f("src/app.py", b"print('app')\n"),
            f("src/__pycache__/app.cpython-311.pyc", &[5u8; 20]),
            f("root/.cache/pip/http/a/b/c", &[6u8; 60]),
            f("notvenv/pyvenv.cfg", b"home = /usr/bin\n"),
            f("notvenv/tool.py", b"print()\n"),
        ],
    );
    image("py-before", vec![base, build])
}

#[test]
fn python_dists_by_their_records() {
    let c = compare(&python_before(), &image("empty", vec![]), &Rules::builtin());
    let b = &c.before;
    let at = |p: &str| format!("{SITE}/{p}");
    let is = |p: &str, bucket: Bucket, owner: &str| {
        assert_eq!(
            (facts(b, p).bucket, label(&c, b, p).as_str()),
            (bucket, owner),
            "{p}"
        );
    };
    // Named by METADATA (Flask, not the dir's flask), every RECORD row:
    // the script in venv/bin and the bytecode pip compiled are Flask's.
    for p in [
        at("flask/__pycache__/__init__.cpython-311.pyc"),
        at("flask/__pycache__"),
        at("flask-3.0.3.dist-info/RECORD"),
        "venv/bin/flask".into(),
    ] {
        is(&p, Bucket::LanguageDeps, "Flask@3.0.3");
    }
    assert_eq!(
        c.owner(facts(b, "venv/bin/flask").owner.unwrap()).ecosystem,
        "pypi"
    );
    // pip's legacy install: installed-files.txt, relative to the .egg-info;
    // the C file it ships is the dependency's, not source.
    for p in [
        at("markupsafe/_speedups.c"),
        at("markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so"),
        at("MarkupSafe-2.1.5.egg-info/PKG-INFO"),
    ] {
        is(&p, Bucket::LanguageDeps, "MarkupSafe@2.1.5");
    }
    // A namespace directory two dists install into is neither's.
    is(
        &at("google/auth/a.py"),
        Bucket::LanguageDeps,
        "google_auth@2.0",
    );
    is(
        &at("google/api/b.py"),
        Bucket::LanguageDeps,
        "google_api_core@1.0",
    );
    assert_ne!(label(&c, b, &at("google")), "google_auth@2.0");
    // No RECORD: the top-level directory matched to the dist's name.
    is(&at("loose/mod.py"), Bucket::LanguageDeps, "loose@0.1");
    // The venv is language-deps: interpreter links, activate scripts,
    // even a .py outside site-packages; never source.
    for p in [
        "venv/bin/python3",
        "venv/bin/python",
        "venv/bin/activate",
        "venv/bin/activate_this.py",
        "venv/pyvenv.cfg",
        "venv",
    ] {
        is(p, Bucket::LanguageDeps, "Python virtualenv");
    }
    // Hostile records claim nothing outside their prefix, nor through
    // symlinks out of it; a file two records list is neither's, and the
    // directory-name heuristic names it.
    is("etc/passwd", Bucket::Other, "unowned");
    is("src/app.py", Bucket::Source, "Source files");
    is(
        &at("flask/__init__.py"),
        Bucket::LanguageDeps,
        "flask@3.0.3",
    );
    is(
        &at("flask/__pycache__/__init__.cpython-311.pyc"),
        Bucket::LanguageDeps,
        "Flask@3.0.3",
    );
    // A pyvenv.cfg without bin/ and lib/ is no venv.
    is("notvenv/tool.py", Bucket::Source, "Source files");
    // Bytecode of packaged sources is the package's; the app's is cache.
    is(
        "usr/lib/python3.11/__pycache__/json.cpython-311.pyc",
        Bucket::OsPackage,
        "libpython3.11-stdlib 3.11.2-6",
    );
    is(
        "usr/lib/python3.11/old.pyc",
        Bucket::OsPackage,
        "libpython3.11-stdlib 3.11.2-6",
    );
    assert_eq!(
        facts(b, "usr/lib/python3.11/old.pyc").package,
        None,
        "no .list names it"
    );
    is(
        "usr/lib/python3.11/json.py",
        Bucket::OsPackage,
        "libpython3.11-stdlib 3.11.2-6",
    );
    is(
        "src/__pycache__/app.cpython-311.pyc",
        Bucket::BuildCache,
        "Python bytecode",
    );
    is(
        "root/.cache/pip/http/a/b/c",
        Bucket::BuildCache,
        "pip cache",
    );
    // Exact: buckets add up.
    let sum: u64 = c.eliminated.iter().map(|x| x.bytes).sum();
    assert_eq!(sum, c.totals.eliminated_bytes);
    // The audit of the same image: pip in the venv is a package manager;
    // the venv's .py are not sources.
    let found = audit(
        &python_before(),
        &stagediff::tree::squash(&python_before().layers).tree,
        &Rules::builtin(),
    );
    let of = |k: FindingKind| paths_found(&found, k);
    assert_eq!(of(FindingKind::PackageManager), ["/venv/bin/pip"]);
    assert_eq!(of(FindingKind::Source), ["/notvenv/tool.py", "/src/app.py"]);
}

#[test]
fn node_dependencies_nested_scoped_and_bin_links() {
    let pj = |n: &str, v: &str| format!(r#"{{"name":"{n}","version":"{v}"}}"#);
    let (debug, ms, nested_ms, types) = (
        pj("debug", "4.3.4"),
        pj("ms", "2.1.3"),
        pj("ms", "2.1.2"),
        pj("@types/node", "20.12.7"),
    );
    let img = image(
        "node",
        vec![layer(
            0,
            &[
                f("src/node_modules/debug/package.json", debug.as_bytes()),
                f("src/node_modules/debug/src/index.js", &[1u8; 10]),
                f("src/node_modules/ms/package.json", ms.as_bytes()),
                f("src/node_modules/ms/index.js", &[2u8; 10]),
                f(
                    "src/node_modules/debug/node_modules/ms/package.json",
                    nested_ms.as_bytes(),
                ),
                f(
                    "src/node_modules/debug/node_modules/ms/index.js",
                    &[3u8; 10],
                ),
                f(
                    "src/node_modules/@types/node/package.json",
                    types.as_bytes(),
                ),
                f("src/node_modules/@types/node/fs.d.ts", &[4u8; 10]),
                f(
                    "src/node_modules/typescript/package.json",
                    pj("typescript", "5.4.5").as_bytes(),
                ),
                f(
                    "src/node_modules/typescript/bin/tsc",
                    b"#!/usr/bin/env node\n",
                ),
                Link("src/node_modules/.bin/tsc", "../typescript/bin/tsc"),
                Link("src/node_modules/.bin/evil", "../../../../etc/x"),
                f("src/node_modules/.package-lock.json", b"{}"),
                f("src/main.ts", b"export {}\n"),
                f("src/package.json", pj("app", "1.0.0").as_bytes()),
                f("root/.npm/_cacache/index-v5/aa/bb", &[5u8; 30]),
            ],
        )],
    );
    let c = compare(&img, &image("empty", vec![]), &Rules::builtin());
    let b = &c.before;
    let is = |p: &str, bucket: Bucket, owner: &str| {
        assert_eq!(
            (facts(b, p).bucket, label(&c, b, p).as_str()),
            (bucket, owner),
            "{p}"
        );
    };
    is(
        "src/node_modules/debug/src/index.js",
        Bucket::LanguageDeps,
        "debug@4.3.4",
    );
    is(
        "src/node_modules/ms/index.js",
        Bucket::LanguageDeps,
        "ms@2.1.3",
    );
    is(
        "src/node_modules/debug/node_modules/ms/index.js",
        Bucket::LanguageDeps,
        "ms@2.1.2",
    );
    // A .d.ts in a dependency is the dependency's, not source.
    is(
        "src/node_modules/@types/node/fs.d.ts",
        Bucket::LanguageDeps,
        "@types/node@20.12.7",
    );
    is(
        "src/node_modules/.bin/tsc",
        Bucket::LanguageDeps,
        "typescript@5.4.5",
    );
    is(
        "src/node_modules/.bin/evil",
        Bucket::LanguageDeps,
        "node_modules",
    );
    is(
        "src/node_modules/.package-lock.json",
        Bucket::LanguageDeps,
        "node_modules",
    );
    is("src/main.ts", Bucket::Source, "Source files");
    is("src/package.json", Bucket::Source, "Build files");
    is(
        "root/.npm/_cacache/index-v5/aa/bb",
        Bucket::BuildCache,
        "npm/yarn cache",
    );
    assert_eq!(
        c.owner(facts(b, "src/node_modules/ms/index.js").owner.unwrap())
            .ecosystem,
        "npm"
    );
}

/// An Alpine builder: apk's D: lines name sonames that other packages
/// provide (p:). gcc pulls in isl26 and gmp; busybox needs musl too.
#[test]
fn packages_installed_for_the_toolchain_through_apk_provides() {
    let db = b"P:musl\nV:1.2.4-r2\np:so:libc.musl-x86_64.so.1=1\nF:lib\nR:libc.musl-x86_64.so.1\n\n\
P:busybox\nV:1.36.1-r5\nD:so:libc.musl-x86_64.so.1\nF:bin\nR:busybox\n\n\
P:gcc\nV:13.2.1_git20231014-r0\nD:so:libc.musl-x86_64.so.1 isl26>=0.26 so:libgmp.so.10 !gcc-doc\nF:usr/bin\nR:gcc\n\n\
P:isl26\nV:0.26-r1\nD:so:libgmp.so.10 so:libc.musl-x86_64.so.1\np:so:libisl.so.23=23.3.0\nF:usr/lib\nR:libisl.so.23\n\n\
P:gmp\nV:6.3.0-r0\nD:so:libc.musl-x86_64.so.1\np:so:libgmp.so.10=10.5.0\nF:usr/lib\nR:libgmp.so.10\n";
    let before = image(
        "alpine-builder",
        vec![layer(
            0,
            &[
                f("lib/apk/db/installed", db),
                f("lib/libc.musl-x86_64.so.1", &[1u8; 600]),
                f("bin/busybox", &[2u8; 800]),
                f("usr/bin/gcc", &[3u8; 5000]),
                f("usr/lib/libisl.so.23", &[4u8; 2000]),
                f("usr/lib/libgmp.so.10", &[5u8; 700]),
            ],
        )],
    );
    let after = image("app", vec![layer(0, &[f("app", b"\x7fELF app")])]);
    let c = compare(&before, &after, &Rules::builtin());
    let gcc = c.before.package("gcc").expect("gcc installed");
    let group = c
        .toolchain_of(gcc.owner)
        .expect("gcc is in a toolchain group")
        .name_version();
    assert!(group.starts_with("GCC"), "{group}");
    for (name, want) in [
        ("isl26", vec![group.clone()]),
        ("gmp", vec![group.clone()]),
        ("musl", vec![]),
        ("busybox", vec![]),
        ("gcc", vec![]),
    ] {
        assert_eq!(c.before.package(name).unwrap().needed_by, want, "{name}");
    }
    let mut text = Vec::new();
    stagediff::report::diff::text::write(
        &mut text,
        &c,
        &Default::default(),
        &[],
        10,
        stagediff::report::diff::text::Style { color: false },
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(&format!("isl26 0.26-r1 · for {group}")),
        "{text}"
    );
    assert!(
        text.contains("2.70 kB of it in 2 packages installed only for the toolchain"),
        "{text}"
    );
    let doc = serde_json::to_value(stagediff::report::diff::json::DiffDoc::new(
        &c,
        &Default::default(),
        &[],
    ))
    .unwrap();
    let named = |list: &serde_json::Value, name: &str| -> serde_json::Value {
        list.as_array()
            .and_then(|l| l.iter().find(|x| x["name"] == name || x["bucket"] == name))
            .unwrap_or_else(|| panic!("no {name} in {list}"))
            .clone()
    };
    let gmp = named(&doc["packages"]["eliminated"], "gmp");
    assert_eq!(gmp["needed_by"], serde_json::json!([group]));
    let os = named(&doc["eliminated"], "os-package");
    let isl = named(&os["owners"], "isl26");
    assert_eq!(isl["needed_by"], serde_json::json!([group]));
}

/// Links and files at the same path: a symlink with the same target is
/// carried, a new target is a change, and a file that became a symlink (or
/// the reverse) is a change even where the bytes would agree.
#[test]
fn symlinks_are_carried_by_target() {
    let before = image(
        "links:before",
        vec![layer(
            0,
            &[
                Link("same", "target/a"),
                Link("retargeted", "target/a"),
                f("was-file", b"target/a"),
                Link("was-link", "target/a"),
                f("target/a", b"content"),
            ],
        )],
    );
    let after = image(
        "links:after",
        vec![layer(
            0,
            &[
                Link("same", "target/a"),
                Link("retargeted", "target/b"),
                Link("was-file", "target/a"),
                f("was-link", b"target/a"),
                f("target/a", b"content"),
            ],
        )],
    );
    let c = compare(&before, &after, &Rules::builtin());
    for (path, want) in [
        ("same", Status::Carried),
        ("retargeted", Status::Changed),
        ("was-file", Status::Changed),
        ("was-link", Status::Changed),
        ("target/a", Status::Carried),
    ] {
        assert_eq!(facts(&c.before, path).status, want, "BEFORE {path}");
        assert_eq!(facts(&c.after, path).status, want, "AFTER {path}");
    }
    common::assert_exact_sums(&c);
}

/// Files a package's scripts write are that package's: the CA bundle by a
/// `[[generated]]` rule (only when the package is installed), the links of
/// the alternatives system by the program they end at; a user's
/// `[[generated]]` rule adds to the built-in ones.
#[test]
fn files_written_by_maintainer_scripts_go_to_their_package() {
    let mawk: &[u8] =
        b"Package: mawk\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.3.4\n\n";
    let both = [
        &b"Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\nVersion: 20230311\n\n"[..],
        mawk,
    ]
    .concat();
    let img = |with_ca: bool| {
        let mut entries = vec![
            f(
                "var/lib/dpkg/status",
                if with_ca { &both[..] } else { mawk },
            ),
            f(
                "var/lib/dpkg/info/mawk.list",
                b"/usr\n/usr/bin\n/usr/bin/mawk\n",
            ),
            f("usr/bin/mawk", b"\x7fELF mawk"),
            Link("etc/alternatives/awk", "/usr/bin/mawk"),
            Link("usr/bin/awk", "/etc/alternatives/awk"),
            f("etc/ssl/certs/ca-certificates.crt", &[b'C'; 500]),
            Link("etc/ssl/certs/1234abcd.0", "ca-certificates.crt"),
            f("etc/our-generated.conf", b"x"),
        ];
        if with_ca {
            entries.push(f(
                "var/lib/dpkg/info/ca-certificates.list",
                b"/usr\n/usr/sbin\n/usr/sbin/update-ca-certificates\n",
            ));
            entries.push(f("usr/sbin/update-ca-certificates", b"#!/bin/sh\n"));
        }
        image("gen", vec![layer(0, &entries)])
    };
    let after = image("empty", vec![layer(0, &[f("app", b"x")])]);
    let user: toml::Table = r#"
        [[generated]]
        package = "mawk"
        paths = ["etc/our-generated.conf"]
        why = "a test"
    "#
    .parse()
    .unwrap();
    let rules = Rules::from_tables(&[("test", &user)]).unwrap();
    let c = compare(&img(true), &after, &rules);
    let b = &c.before;
    for p in [
        "etc/ssl/certs/ca-certificates.crt",
        "etc/ssl/certs/1234abcd.0",
    ] {
        assert_eq!(facts(b, p).bucket, Bucket::OsPackage, "{p}");
        assert_eq!(label(&c, b, p), "ca-certificates 20230311", "{p}");
        // Written by a script, not listed: the database's own claim stays empty.
        assert_eq!(facts(b, p).package, None, "{p}");
    }
    for p in [
        "etc/alternatives/awk",
        "usr/bin/awk",
        "etc/our-generated.conf",
    ] {
        assert_eq!(label(&c, b, p), "mawk 1.3.4", "{p}");
    }
    // Without the package, the bundle is nobody's.
    let c = compare(&img(false), &after, &Rules::builtin());
    let b = &c.before;
    assert_eq!(
        facts(b, "etc/ssl/certs/ca-certificates.crt").bucket,
        Bucket::Other
    );
    assert_eq!(facts(b, "etc/our-generated.conf").bucket, Bucket::Other);
    assert_eq!(label(&c, b, "usr/bin/awk"), "mawk 1.3.4");

    // A rule without its reason is refused.
    let bad: toml::Table = "[[generated]]\npackage = \"x\"\npaths = [\"a\"]\n"
        .parse()
        .unwrap();
    let e = Rules::from_tables(&[("test", &bad)]).unwrap_err();
    assert!(e.contains("generated[0].why is required"), "{e}");
}

/// The build's output left where it was built (`/src/app`, whose bytes AFTER
/// ships as `/app`) is build output, not "other": one copy moves, the
/// other is the build's leftover. A file AFTER does not ship stays other.
#[test]
fn a_copy_of_what_ships_is_build_output() {
    let bin: &[u8] = &[0x42; 4096];
    let before = image(
        "single",
        vec![layer(
            0,
            &[
                f("src/app", bin),
                f("usr/local/bin/app", bin),
                f("src/notes.bin", &[0x43; 100]),
            ],
        )],
    );
    let after = image("multi", vec![layer(0, &[f("app", bin)])]);
    let c = compare(&before, &after, &Rules::builtin());
    let b = &c.before;
    let moved: Vec<Status> = ["src/app", "usr/local/bin/app"]
        .iter()
        .map(|p| facts(b, p).status)
        .collect();
    assert!(moved.contains(&Status::Moved), "{moved:?}");
    let left = ["src/app", "usr/local/bin/app"]
        .into_iter()
        .find(|p| facts(b, p).status == Status::Eliminated)
        .expect("one copy is left behind");
    assert_eq!(facts(b, left).bucket, Bucket::BuildCache);
    assert_eq!(label(&c, b, left), "Build output");
    assert_eq!(facts(b, "src/notes.bin").bucket, Bucket::Other);
}

/// One toolchain finding per toolchain and one cache finding per cache:
/// shown by the biggest file (the first of equal ones), with every byte
/// and regular file of the group counted; toolchains whose rule says
/// `audit = false` (Node.js: the runtime needs node) are not reported.
#[test]
fn audit_groups_toolchains_and_caches_with_their_sums() {
    let img = image(
        "groups",
        vec![layer(
            0,
            &[
                Dir("usr/local/go/bin", 0o755),
                f("usr/local/go/bin/go", &[1; 100]),
                f("usr/local/go/bin/gofmt", &[2; 100]),
                f("usr/local/go/src/x.go", &[3; 40]),
                Link("usr/local/go/bin/golink", "go"),
                f("usr/local/bin/node", &[4; 500]),
                f("usr/include/stdio.h", &[5; 60]),
                f("root/.cache/pip/a", &[6; 50]),
                f("root/.cache/pip/b", &[6; 50]),
                f("root/.cache/pip/c", &[6; 10]),
                Link("root/.cache/pip/l", "a"),
                f("var/lib/apt/lists/x_Packages", &[7; 70]),
                f("app/main.go", b"package main"),
                f("bin/dash", b"\x7fELF dash"),
                Link("bin/sh", "dash"),
            ],
        )],
    );
    let tree = stagediff::tree::squash(&img.layers).tree;
    let found = audit(&img, &tree, &Rules::builtin());
    let of = |k: FindingKind| -> Vec<(String, u64, u32)> {
        found
            .iter()
            .filter(|x| x.kind == k)
            .map(|x| (x.path.clone(), x.bytes, x.files))
            .collect()
    };
    let row = |p: &str, bytes: u64, files: u32| (p.to_string(), bytes, files);
    // Go: three files and a 2-byte link; Node.js and the headers are not audited.
    assert_eq!(
        of(FindingKind::Toolchain),
        [row("/usr/local/go/bin/go", 100 + 100 + 40 + 2, 3)]
    );
    let go = found
        .iter()
        .find(|x| x.kind == FindingKind::Toolchain)
        .unwrap();
    assert!(go.detail.starts_with("Go"), "{}", go.detail);
    assert_eq!(
        of(FindingKind::Cache),
        [
            row("/root/.cache/pip/a", 50 + 50 + 10 + 1, 3),
            row("/var/lib/apt/lists/x_Packages", 70, 1),
        ]
    );
    // The other findings count a regular file as one file, a link as none.
    assert_eq!(of(FindingKind::Source), [row("/app/main.go", 12, 1)]);
    assert_eq!(
        of(FindingKind::Shell),
        [row("/bin/dash", 9, 1), row("/bin/sh", 4, 0)]
    );
}
