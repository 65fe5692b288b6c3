//! The closure over images built in memory: layers whose ELF facts and
//! kept files are set by hand, so the loader's rules and every hostile
//! shape (loops, self-needs, links in circles) can be checked exactly.

use super::*;
use crate::binary::{ElfFacts, FileFacts, Script};
use crate::image::capture::CapturedFile;
use crate::image::{ContentHash, Entry};

fn entry(path: &str, kind: EntryKind, mode: u32, link: Option<&str>) -> Entry {
    Entry {
        path: path.as_bytes().into(),
        kind,
        size: match (kind, link) {
            (EntryKind::Symlink, Some(l)) => l.len() as u64,
            (EntryKind::File, _) => 1000,
            _ => 0,
        },
        mode,
        uid: 0,
        gid: 0,
        link: link.map(|l| l.as_bytes().into()),
        hash: (kind == EntryKind::File).then_some(ContentHash(path.len() as u128)),
        device: None,
        flags: 0,
    }
}

/// An image description: files, links, ELF facts and kept contents.
#[derive(Default)]
struct Img {
    entries: Vec<Entry>,
    facts: Vec<(String, FileFacts)>,
    captured: Vec<(String, Vec<u8>)>,
    entrypoint: Vec<&'static str>,
    cmd: Vec<&'static str>,
    env: Vec<&'static str>,
    user: Option<&'static str>,
}

impl Img {
    fn file(mut self, path: &str) -> Img {
        self.entries.push(entry(path, EntryKind::File, 0o755, None));
        self
    }

    fn link(mut self, path: &str, target: &str) -> Img {
        self.entries
            .push(entry(path, EntryKind::Symlink, 0o777, Some(target)));
        self
    }

    fn elf(mut self, path: &str, f: ElfFacts) -> Img {
        self.entries.push(entry(path, EntryKind::File, 0o755, None));
        self.facts.push((path.into(), FileFacts::Elf(Box::new(f))));
        self
    }

    fn script(mut self, path: &str, text: &str) -> Img {
        self.entries.push(entry(path, EntryKind::File, 0o755, None));
        let line = text.lines().next().unwrap_or("").trim_start_matches("#!");
        self.facts.push((
            path.into(),
            FileFacts::Script(Script {
                shebang: line.as_bytes().into(),
                body: Some(text.as_bytes().into()),
            }),
        ));
        self
    }

    fn kept(mut self, path: &str, text: &str) -> Img {
        self.entries.push(entry(path, EntryKind::File, 0o644, None));
        self.captured.push((path.into(), text.as_bytes().to_vec()));
        self
    }

    fn build(self) -> (Image, FileTree) {
        let mut layer = Layer::from_entries(0, self.entries);
        let mut facts: Vec<(crate::image::ImagePath, FileFacts)> = self
            .facts
            .into_iter()
            .map(|(p, f)| (p.as_bytes().into(), f))
            .collect();
        facts.sort_by(|a, b| a.0.cmp(&b.0));
        layer.facts = facts;
        let mut captured: Vec<CapturedFile> = self
            .captured
            .into_iter()
            .map(|(p, c)| CapturedFile {
                path: p.as_bytes().into(),
                content: c.into(),
            })
            .collect();
        captured.sort_by(|a, b| a.path.cmp(&b.path));
        layer.captured = captured;
        let mut image = Image::from_layers("test", vec![layer]);
        let s = |v: Vec<&str>| v.into_iter().map(String::from).collect();
        image.config.entrypoint = s(self.entrypoint);
        image.config.cmd = s(self.cmd);
        image.config.env = s(self.env);
        image.config.user = self.user.map(String::from);
        let tree = crate::tree::squash(&image.layers).tree;
        (image, tree)
    }
}

fn dynamic(interp: Option<&str>, needed: &[&str]) -> ElfFacts {
    ElfFacts {
        bits: 64,
        machine: 62,
        elf_type: 3,
        interp: interp.map(|i| i.as_bytes().into()),
        dynamic: true,
        needed: needed.iter().map(|n| n.as_bytes().into()).collect(),
        ..ElfFacts::default()
    }
}

fn paths(image: &Image, tree: &FileTree) -> (Closure, Vec<String>) {
    let c = closure(image, tree);
    let mut p: Vec<String> = c
        .items
        .keys()
        .map(|&id| show_path(&tree.path_of(id)))
        .collect();
    p.sort();
    (c, p)
}

fn glibc_base() -> Img {
    Img::default()
        .link("lib64", "usr/lib64")
        .link("lib", "usr/lib")
        .elf(
            "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            dynamic(None, &[]),
        )
        .link(
            "usr/lib64/ld-linux-x86-64.so.2",
            "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        )
        .elf(
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            dynamic(None, &["ld-linux-x86-64.so.2"]),
        )
}

#[test]
fn a_dynamic_program_brings_its_loader_and_libraries_through_links() {
    let mut app = dynamic(
        Some("/lib64/ld-linux-x86-64.so.2"),
        &["libfoo.so.1", "libc.so.6"],
    );
    app.runpath = Some(b"$ORIGIN/../lib".as_slice().into());
    let mut img = glibc_base()
        .elf("opt/app/bin/app", app)
        .elf("opt/app/lib/libfoo.so.1", dynamic(None, &["libc.so.6"]))
        .file("usr/bin/unrelated");
    img.entrypoint = vec!["/opt/app/bin/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(
        p,
        [
            "/lib",
            "/lib64",
            "/opt/app/bin/app",
            "/opt/app/lib/libfoo.so.1",
            "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib64/ld-linux-x86-64.so.2",
        ]
    );
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    assert_eq!(c.kind, AppKind::DynamicBinary);
    assert!(c.exact());
    let part = |path: &str| c.items[&tree.lookup(path.as_bytes()).unwrap()].part;
    assert_eq!(part("opt/app/lib/libfoo.so.1"), Part::Library);
    assert_eq!(
        part("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        Part::Loader
    );
    assert_eq!(part("lib64"), Part::Link);
    // The loader is named through links: a copy that follows them copies
    // it at that name.
    assert!(c.aliases.contains_key(&b"lib64/ld-linux-x86-64.so.2"[..]));
}

#[test]
fn search_order_rpath_env_runpath_conf_defaults() {
    // libx.so.1 in several places: the first the loader tries wins.
    let run = |rpath: Option<&str>, runpath: Option<&str>, env: Vec<&'static str>| {
        let mut app = dynamic(None, &["libx.so.1"]);
        app.rpath = rpath.map(|r| r.as_bytes().into());
        app.runpath = runpath.map(|r| r.as_bytes().into());
        let mut img = Img::default()
            .elf("app", app)
            .elf("rpath/libx.so.1", dynamic(None, &[]))
            .elf("env/libx.so.1", dynamic(None, &[]))
            .elf("runpath/libx.so.1", dynamic(None, &[]))
            .elf("conf/libx.so.1", dynamic(None, &[]))
            .elf("usr/lib/x86_64-linux-gnu/libx.so.1", dynamic(None, &[]))
            .kept("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
            .kept("etc/ld.so.conf.d/a.conf", "# comment\n/conf\n");
        img.entrypoint = vec!["/app"];
        img.env = env;
        let (image, tree) = img.build();
        let (_, p) = paths(&image, &tree);
        p.into_iter().find(|p| p.ends_with("libx.so.1")).unwrap()
    };
    assert_eq!(
        run(Some("/rpath"), None, vec!["LD_LIBRARY_PATH=/env"]),
        "/rpath/libx.so.1"
    );
    // RUNPATH turns RPATH off and comes after LD_LIBRARY_PATH.
    assert_eq!(
        run(
            Some("/rpath"),
            Some("/runpath"),
            vec!["LD_LIBRARY_PATH=/env"]
        ),
        "/env/libx.so.1"
    );
    assert_eq!(
        run(Some("/rpath"), Some("/runpath"), vec![]),
        "/runpath/libx.so.1"
    );
    assert_eq!(run(None, None, vec![]), "/conf/libx.so.1");
}

#[test]
fn the_wrong_class_is_skipped_like_the_loader_skips_it() {
    let mut lib32 = dynamic(None, &[]);
    lib32.bits = 32;
    lib32.machine = 3;
    let mut img = Img::default()
        .elf("app", dynamic(None, &["liby.so"]))
        .elf("lib/liby.so", lib32)
        .elf("usr/lib/liby.so", dynamic(None, &[]));
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (_, p) = paths(&image, &tree);
    assert!(p.contains(&"/usr/lib/liby.so".to_string()), "{p:?}");
    assert!(!p.contains(&"/lib/liby.so".to_string()), "{p:?}");
}

#[test]
fn loops_end_self_needs_end_and_missing_libraries_are_named() {
    let mut img = Img::default()
        .elf(
            "app",
            dynamic(
                None,
                &["libself.so", "libping.so", "libloop.so", "libgone.so.9"],
            ),
        )
        .elf("usr/lib/libself.so", dynamic(None, &["libself.so"]))
        .elf("usr/lib/libping.so", dynamic(None, &["libpong.so"]))
        .elf("usr/lib/libpong.so", dynamic(None, &["libping.so"]))
        .link("usr/lib/libloop.so", "libloop2.so")
        .link("usr/lib/libloop2.so", "libloop.so")
        .kept("etc/ld.so.conf", "include /etc/ld.so.conf\n/usr/lib\n");
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert!(p.contains(&"/usr/lib/libself.so".to_string()));
    assert!(p.contains(&"/usr/lib/libpong.so".to_string()));
    let missing: Vec<&str> = c
        .gaps
        .iter()
        .filter(|g| g.kind == "missing-library")
        .map(|g| g.detail.as_str())
        .collect();
    assert_eq!(missing.len(), 2, "{:?}", c.gaps);
    assert!(missing.iter().any(|d| d.contains("libloop.so")));
    assert!(missing.iter().any(|d| d.contains("libgone.so.9")));
    assert!(!c.exact());
}

#[test]
fn shells_wrappers_and_shebangs_are_followed() {
    let sh = || dynamic(None, &[]);
    // `sh -c` runs its first command; the rest is partial.
    let mut img = Img::default()
        .elf("bin/sh", sh())
        .elf("app", dynamic(None, &[]))
        .file("unrelated");
    img.entrypoint = vec!["/bin/sh", "-c", "FOO=1 exec /app --port 80"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(p, ["/app", "/bin/sh"]);
    assert!(c.shell_form);
    assert!(c.gaps.iter().any(|g| g.kind == "partial"));

    // tini hands over after `--`; a #!/usr/bin/env script brings env and
    // the interpreter found through PATH.
    let mut img = Img::default()
        .elf("sbin/tini", dynamic(None, &[]))
        .elf("usr/bin/env", dynamic(None, &[]))
        .elf("usr/local/bin/bash", sh())
        .script(
            "entry.sh",
            "#!/usr/bin/env bash\nset -e\n/opt/tool --init\nexec \"$@\"\n",
        )
        .elf("opt/tool", dynamic(None, &[]))
        .elf("opt/server", dynamic(None, &["libc.so.6"]))
        .elf("lib/libc.so.6", dynamic(None, &[]));
    img.entrypoint = vec!["tini", "--"];
    img.cmd = vec!["/entry.sh", "/opt/server", "--port", "80"];
    img.env = vec!["PATH=/usr/local/bin:/usr/bin:/sbin"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(
        p,
        [
            "/entry.sh",
            "/lib/libc.so.6",
            "/opt/server",
            "/opt/tool",
            "/sbin/tini",
            "/usr/bin/env",
            "/usr/local/bin/bash"
        ]
    );
    // `exec "$@"` ran the Cmd's server in the script's place: that is the
    // app; the tool the script calls on the way is not.
    assert_eq!(c.kind, AppKind::DynamicBinary);
    assert_eq!(c.program, tree.lookup(b"opt/server"));
}

#[test]
fn no_entrypoint_a_missing_command_and_a_named_user() {
    let (image, tree) = Img::default().file("x").build();
    let (c, p) = paths(&image, &tree);
    assert!(p.is_empty());
    assert_eq!(c.gaps[0].kind, "no-entrypoint");
    assert_eq!(c.kind, AppKind::Unknown);

    let mut img = Img::default()
        .elf("app", dynamic(None, &[]))
        .file("etc/passwd")
        .file("etc/group");
    img.entrypoint = vec!["nothere"];
    let (image, tree) = img.build();
    let (c, _) = paths(&image, &tree);
    assert_eq!(c.gaps[0].kind, "missing-command");

    let mut img = Img::default()
        .elf("app", dynamic(None, &[]))
        .file("etc/passwd")
        .file("etc/group");
    img.entrypoint = vec!["/app"];
    img.user = Some("app:1000");
    let (image, tree) = img.build();
    let (_, p) = paths(&image, &tree);
    assert_eq!(p, ["/app", "/etc/group", "/etc/passwd"]);
}

#[test]
fn musl_reads_its_path_file_and_is_its_own_libc() {
    let mut img = Img::default()
        .elf("lib/ld-musl-x86_64.so.1", dynamic(None, &[]))
        .link("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1")
        .elf(
            "app",
            dynamic(
                Some("/lib/ld-musl-x86_64.so.1"),
                &["libz.so.1", "libc.musl-x86_64.so.1"],
            ),
        )
        .elf("opt/z/libz.so.1", dynamic(None, &["libc.musl-x86_64.so.1"]))
        .elf("usr/lib/libz.so.1", dynamic(None, &[]))
        .kept("etc/ld-musl-x86_64.path", "/opt/z:/lib\n");
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    assert!(p.contains(&"/opt/z/libz.so.1".to_string()), "{p:?}");
    assert!(!p.contains(&"/usr/lib/libz.so.1".to_string()), "{p:?}");
}

#[test]
fn nss_modules_come_from_nsswitch_conf() {
    let mut img = glibc_base()
        .elf(
            "app",
            dynamic(Some("/lib64/ld-linux-x86-64.so.2"), &["libc.so.6"]),
        )
        .elf(
            "usr/lib/x86_64-linux-gnu/libnss_files.so.2",
            dynamic(None, &["libc.so.6"]),
        )
        .elf(
            "usr/lib/x86_64-linux-gnu/libnss_ldap.so.2",
            dynamic(None, &["libc.so.6"]),
        )
        .kept(
            "etc/nsswitch.conf",
            "passwd: files ldap\nhosts: files dns # comment\n",
        );
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert!(p.contains(&"/etc/nsswitch.conf".to_string()));
    assert!(p.contains(&"/usr/lib/x86_64-linux-gnu/libnss_ldap.so.2".to_string()));
    assert!(p.contains(&"/usr/lib/x86_64-linux-gnu/libnss_files.so.2".to_string()));
    let ldap = tree
        .lookup(b"usr/lib/x86_64-linux-gnu/libnss_ldap.so.2")
        .unwrap();
    assert_eq!(c.items[&ldap].sure, Sure::Inferred);
}

#[test]
fn hostile_counts_stay_bounded() {
    // A thousand-entry RUNPATH and a program needing the most names the
    // capture keeps: the search ends, every name is reported once.
    let mut app = dynamic(None, &[]);
    let runpath: Vec<String> = (0..1000).map(|i| format!("/d{i}")).collect();
    app.runpath = Some(runpath.join(":").into_bytes().into());
    app.needed = (0..crate::binary::elf::MAX_NEEDED)
        .map(|i| format!("lib{i}.so").into_bytes().into())
        .collect();
    let mut img = Img::default().elf("app", app);
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let t = std::time::Instant::now();
    let (c, _) = paths(&image, &tree);
    assert!(t.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(
        c.gaps
            .iter()
            .filter(|g| g.kind == "missing-library")
            .count(),
        crate::binary::elf::MAX_NEEDED
    );
}

#[test]
fn java_brings_the_runtime_part_of_its_jdk_and_the_jar() {
    let jdk = "usr/lib/jvm/java-17";
    let mut img = Img::default()
        .elf(&format!("{jdk}/bin/java"), dynamic(None, &[]))
        .elf(&format!("{jdk}/bin/javac"), dynamic(None, &[]))
        .elf(&format!("{jdk}/lib/server/libjvm.so"), dynamic(None, &[]))
        .file(&format!("{jdk}/lib/modules"))
        .file(&format!("{jdk}/conf/security/java.security"))
        .file(&format!("{jdk}/jmods/java.base.jmod"))
        .file(&format!("{jdk}/include/jni.h"))
        .file(&format!("{jdk}/release"))
        .link("usr/bin/java", "/usr/lib/jvm/java-17/bin/java")
        .file("app/app.jar")
        .file("app/other.jar");
    img.entrypoint = vec!["java", "-Xmx1g", "-jar", "/app/app.jar"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(c.kind, AppKind::Java);
    for want in [
        "/usr/lib/jvm/java-17/bin/java",
        "/usr/lib/jvm/java-17/lib/server/libjvm.so",
        "/usr/lib/jvm/java-17/lib/modules",
        "/usr/lib/jvm/java-17/conf/security/java.security",
        "/usr/lib/jvm/java-17/release",
        "/app/app.jar",
        "/usr/bin/java",
    ] {
        assert!(p.contains(&want.to_string()), "{want} not in {p:?}");
    }
    for not in ["javac", "jmods", "include", "other.jar"] {
        assert!(!p.iter().any(|x| x.contains(not)), "{not} in {p:?}");
    }
}

#[test]
fn musl_libc_names_are_the_loader_only_under_musl() {
    // Under musl, the libc names are the loader itself: none is missing
    // even where no file has the name.
    let musl_needs = ["libc.so", "libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"];
    let mut img = Img::default()
        .elf("opt/musl/ld-musl-x86_64.so.1", dynamic(None, &[]))
        .elf(
            "app",
            dynamic(Some("/opt/musl/ld-musl-x86_64.so.1"), &musl_needs),
        );
    img.entrypoint = vec!["/app"];
    // The loader is there, outside the search path; no file there is
    // named like the libc names.
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert!(
        p.contains(&"/opt/musl/ld-musl-x86_64.so.1".to_string()),
        "{p:?}"
    );
    let missing: Vec<&str> = c
        .gaps
        .iter()
        .filter(|g| g.kind == "missing-library")
        .map(|g| g.detail.as_str())
        .collect();
    assert!(missing.is_empty(), "{missing:?}");

    // Under glibc the same names are ordinary libraries: missing ones are
    // reported.
    let mut img = Img::default().elf(
        "app",
        dynamic(Some("/lib64/ld-linux-x86-64.so.2"), &musl_needs),
    );
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, _) = paths(&image, &tree);
    let missing = c
        .gaps
        .iter()
        .filter(|g| g.kind == "missing-library")
        .count();
    assert_eq!(missing, 3, "{:?}", c.gaps);
}

#[test]
fn each_machine_searches_its_own_multiarch_directory() {
    for (machine, bits, triplet) in [
        (62, 64, "x86_64-linux-gnu"),
        (183, 64, "aarch64-linux-gnu"),
        (3, 32, "i386-linux-gnu"),
        (40, 32, "arm-linux-gnueabihf"),
        (21, 64, "powerpc64le-linux-gnu"),
        (22, 64, "s390x-linux-gnu"),
        (243, 64, "riscv64-linux-gnu"),
    ] {
        let elf = |needed: &[&str]| ElfFacts {
            bits,
            machine,
            ..dynamic(None, needed)
        };
        let lib = format!("usr/lib/{triplet}/libm.so.6");
        let mut img = Img::default()
            .elf("app", elf(&["libm.so.6"]))
            .elf(&lib, elf(&[]));
        img.entrypoint = vec!["/app"];
        let (image, tree) = img.build();
        let (c, p) = paths(&image, &tree);
        assert!(c.gaps.is_empty(), "{triplet}: {:?}", c.gaps);
        assert!(p.contains(&format!("/{lib}")), "{triplet}: {p:?}");
    }
}

/// The runtime on the image's own base: the base's packages (Essential or
/// Priority required, with their dependencies), the packages the closure's
/// files come from (with theirs), the closure, and what no package owns
/// that a base carries; a toolchain, an unrelated package and build caches
/// stay behind.
#[test]
fn on_its_own_base_a_runtime_installs_what_the_closure_needs() {
    let status = "Package: base-files\nStatus: install ok installed\nPriority: required\nEssential: yes\nDepends: libbase\n\n\
Package: libbase\nStatus: install ok installed\nPriority: optional\n\n\
Package: libc6\nStatus: install ok installed\nPriority: optional\nDepends: libgcc-s1\n\n\
Package: libgcc-s1\nStatus: install ok installed\nPriority: optional\n\n\
Package: gcc\nStatus: install ok installed\nPriority: optional\nDepends: libc6\n\n\
Package: unrelated\nStatus: install ok installed\nPriority: optional\n";
    let mut img = glibc_base()
        .kept("var/lib/dpkg/status", status)
        .kept("var/lib/dpkg/info/base-files.list", "/etc\n/etc/os-release\n")
        .file("etc/os-release")
        .kept("var/lib/dpkg/info/libbase.list", "/usr/lib/libbase.so\n")
        .file("usr/lib/libbase.so")
        .kept(
            "var/lib/dpkg/info/libc6.list",
            "/usr/lib/x86_64-linux-gnu/libc.so.6\n/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n/usr/share/doc/libc6/copyright\n",
        )
        .file("usr/share/doc/libc6/copyright")
        .kept("var/lib/dpkg/info/libgcc-s1.list", "/usr/lib/libgcc_s.so.1\n")
        .file("usr/lib/libgcc_s.so.1")
        .kept("var/lib/dpkg/info/gcc.list", "/usr/bin/gcc\n")
        .file("usr/bin/gcc")
        .kept("var/lib/dpkg/info/unrelated.list", "/usr/bin/unrelated\n")
        .file("usr/bin/unrelated")
        .file("etc/passwd")
        .file("var/cache/apt/pkgcache.bin")
        .file("src/main.c")
        .elf(
            "app",
            dynamic(Some("/lib64/ld-linux-x86-64.so.2"), &["libc.so.6"]),
        );
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let tree = std::sync::Arc::new(tree);
    let plan = crate::analysis::plan::plan(
        &image,
        std::sync::Arc::clone(&tree),
        &crate::analysis::Rules::builtin(),
    );
    let b = plan.on_base.expect("a dpkg image has a base");
    assert_eq!(b.manager, "dpkg");
    assert_eq!(b.base_packages, ["base-files", "libbase"]);
    assert_eq!(b.packages, ["libc6", "libgcc-s1"]);
    // Every file but gcc and unrelated (with their database records), the
    // apt cache and the source.
    let gone = [
        "usr/bin/gcc",
        "var/lib/dpkg/info/gcc.list",
        "usr/bin/unrelated",
        "var/lib/dpkg/info/unrelated.list",
        "var/cache/apt/pkgcache.bin",
        "src/main.c",
    ];
    let gone: u64 = gone
        .iter()
        .map(|p| tree.node(tree.lookup(p.as_bytes()).unwrap()).size)
        .sum();
    assert_eq!(b.bytes, tree.total_size() - gone);
    let files = tree
        .iter()
        .filter(|&id| tree.node(id).kind == EntryKind::File)
        .count() as u32;
    assert_eq!(b.files, files - 6);

    // Without a package database there is no base to speak of.
    let mut img = glibc_base().elf(
        "app",
        dynamic(Some("/lib64/ld-linux-x86-64.so.2"), &["libc.so.6"]),
    );
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let plan = crate::analysis::plan::plan(
        &image,
        std::sync::Arc::new(tree),
        &crate::analysis::Rules::builtin(),
    );
    assert_eq!(plan.on_base, None);
}

#[test]
fn one_elf_alone_brings_what_ldd_lists_and_nothing_else() {
    // No entrypoint: only the file asked for, as `ldd FILE` reads it.
    let img = glibc_base()
        .elf(
            "usr/bin/tool",
            dynamic(Some("/lib64/ld-linux-x86-64.so.2"), &["libc.so.6"]),
        )
        .elf("usr/bin/other", dynamic(None, &["libc.so.6"]))
        .file("usr/share/unrelated");
    let (image, tree) = img.build();
    let id = |p: &str| tree.lookup(p.as_bytes()).expect("a path of the image");
    let c = elf_closure(&image, &tree, b"/usr/bin/tool");
    assert_eq!(c.program, Some(id("usr/bin/tool")));
    for p in [
        "usr/bin/tool",
        "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "usr/lib/x86_64-linux-gnu/libc.so.6",
    ] {
        assert!(c.contains(id(p)), "{p} is in the closure");
        assert!(c.requires(id(p)), "{p} is required");
    }
    for p in ["usr/bin/other", "usr/share/unrelated"] {
        assert!(!c.contains(id(p)), "{p} is not in the closure");
    }
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    // A file the image lacks: nothing to run, said as a gap-free empty closure.
    let none = elf_closure(&image, &tree, b"/usr/bin/absent");
    assert_eq!(none.program, None);
    assert!(!none.contains(id("usr/lib/x86_64-linux-gnu/libc.so.6")));
}

#[test]
fn a_hard_link_brings_the_file_that_holds_its_content_and_directories_bring_files() {
    let jdk = "usr/lib/jvm/java-17";
    let mut img = Img::default()
        .elf(&format!("{jdk}/bin/java"), dynamic(None, &[]))
        .file(&format!("{jdk}/lib/modules"))
        .file(&format!("{jdk}/conf/security/java.security"))
        .file("app/app.jar");
    // `/app/run.jar` is a hard link: its content lies in `app/app.jar`.
    img.entries.push(entry(
        "app/run.jar",
        EntryKind::HardLink,
        0o644,
        Some("app/app.jar"),
    ));
    img.entrypoint = vec!["/usr/lib/jvm/java-17/bin/java", "-jar", "/app/run.jar"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(c.kind, AppKind::Java);
    assert!(p.contains(&"/app/run.jar".to_string()), "{p:?}");
    assert!(p.contains(&"/app/app.jar".to_string()), "{p:?}");
    // The runtime's directories were added whole: their files are in,
    // the directories themselves are not items.
    assert!(p.contains(&"/usr/lib/jvm/java-17/conf/security/java.security".to_string()));
    for &id in c.items.keys() {
        assert!(!tree.node(id).is_dir(), "{}", show_path(&tree.path_of(id)));
    }
}

#[test]
fn a_hard_link_to_a_hard_link_brings_the_file_it_finally_names() {
    let mut img = Img::default().file("data/blob");
    // tar extracts `c` as one more name of the file `b` names, which is
    // `blob`'s: `blob` holds the content of all three.
    let hard = |path: &str, target: &str| entry(path, EntryKind::HardLink, 0o644, Some(target));
    img.entries.push(hard("data/b", "data/blob"));
    img.entries.push(hard("data/c", "data/b"));
    // Links in a circle, and one to nothing: nothing to bring.
    img.entries.push(hard("data/x", "data/y"));
    img.entries.push(hard("data/y", "data/x"));
    img.entries.push(hard("data/z", "data/absent"));
    let (image, tree) = img.build();
    let id = |p: &str| tree.lookup(p.as_bytes()).expect("a path of the image");
    let mut cx = Cx::new(&image, &tree);
    cx.add_node(id("data/c"), Part::AppCode, Sure::Inferred, "named");
    let got: Vec<String> = cx.out.items.keys().map(|&i| cx.show(i)).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(cx.out.contains(id("data/c")) && cx.out.contains(id("data/blob")));
    let mut cx = Cx::new(&image, &tree);
    for p in ["data/x", "data/z"] {
        cx.add_node(id(p), Part::AppCode, Sure::Inferred, "named");
    }
    let got: Vec<String> = cx.out.items.keys().map(|&i| cx.show(i)).collect();
    assert_eq!(got, ["/data/x", "/data/z"]);
}

#[test]
fn a_file_reached_twice_keeps_its_first_reason_and_its_surest_rank() {
    let (image, tree) = Img::default().file("etc/ssl/cert.pem").build();
    let id = tree.lookup(b"etc/ssl/cert.pem").unwrap();
    let mut cx = Cx::new(&image, &tree);
    cx.add_node(id, Part::Data, Sure::Optional, "a TLS client may read it");
    let item = |cx: &Cx| cx.out.items[&id].clone();
    // A surer reason ranks it higher; the first reason stays.
    cx.add_node(id, Part::Library, Sure::Exact, "the loader maps it");
    assert_eq!(
        item(&cx),
        Item {
            part: Part::Data,
            sure: Sure::Exact,
            why: "a TLS client may read it".into()
        }
    );
    // A less sure one ranks it no lower.
    cx.add_node(id, Part::Runtime, Sure::Inferred, "usually read");
    assert_eq!(item(&cx).sure, Sure::Exact);
    assert!(cx.out.requires(id));
}

#[test]
fn gaps_are_said_once_each_and_paths_shown_escaped() {
    let (image, tree) = Img::default().file("usr/bin/we\x1bird").build();
    let mut cx = Cx::new(&image, &tree);
    cx.gap("missing-library", "libfoo.so.1");
    cx.gap("missing-library", "libfoo.so.1");
    // The same detail under another kind is another gap.
    cx.gap("missing-command", "libfoo.so.1");
    cx.gap("missing-library", String::from("libbar.so.2"));
    let got: Vec<(&str, &str)> = cx
        .out
        .gaps
        .iter()
        .map(|g| (g.kind, g.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("missing-library", "libfoo.so.1"),
            ("missing-command", "libfoo.so.1"),
            ("missing-library", "libbar.so.2"),
        ]
    );
    let id = tree.lookup(b"usr/bin/we\x1bird").unwrap();
    assert_eq!(cx.show(id), "/usr/bin/we\\x1bird");
}

#[test]
fn a_command_is_the_first_executable_file_of_that_name_in_path() {
    let mut img = Img::default().file("opt/c/tool").file("opt/d/tool/x");
    // Not executable: execvp passes it by.
    img.entries
        .push(entry("opt/a/tool", EntryKind::File, 0o644, None));
    img.entries
        .push(entry("opt/b/tool", EntryKind::Dir, 0o755, None));
    img.env = vec!["PATH=/opt/a:/opt/b:/opt/d:/opt/c"];
    let (image, tree) = img.build();
    let cx = Cx::new(&image, &tree);
    assert_eq!(cx.command(b"tool").as_deref(), Some(&b"/opt/c/tool"[..]));
    assert_eq!(cx.command(b"nothere"), None);
    assert_eq!(cx.command(b""), None);
    // A name with a slash is taken from the working directory as it is,
    // executable or not.
    let named = cx.command(b"opt/a/tool").expect("a path");
    assert_eq!(cx.walk(&named).0, tree.lookup(b"opt/a/tool"));
}

#[test]
fn under_musl_only_musl_libc_names_may_be_missing() {
    // musl's loader is its libc: `libc.so`, `libc.musl-*` and `ld-musl-*`
    // need no file of their own; any other library the image lacks is a gap.
    let mut img = Img::default()
        .elf("lib/ld-musl-x86_64.so.1", dynamic(None, &[]))
        .elf(
            "app",
            dynamic(
                Some("/lib/ld-musl-x86_64.so.1"),
                &["libc.so", "libc.musl-x86_64.so.1", "libmissing.so.3"],
            ),
        );
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, _) = paths(&image, &tree);
    let gaps: Vec<(&str, &str)> = c.gaps.iter().map(|g| (g.kind, g.detail.as_str())).collect();
    assert_eq!(
        gaps,
        [(
            "missing-library",
            "/app needs libmissing.so.3, which the image lacks"
        )]
    );
}

#[test]
fn each_machine_under_musl_reads_its_own_path_file_platform_and_lib() {
    for (machine, bits, arch) in [
        (62, 64, "x86_64"),
        (183, 64, "aarch64"),
        (3, 32, "i386"),
        (40, 32, "armhf"),
        (21, 64, "powerpc64le"),
        (22, 64, "s390x"),
        (243, 64, "riscv64"),
    ] {
        let loader = format!("/lib/ld-musl-{arch}.so.1");
        // $LIB: lib64 for a 64-bit program, lib for a 32-bit one.
        let lib = if bits == 64 { "lib64" } else { "lib" };
        let elf = |interp: Option<&str>, needed: &[&str], runpath: Option<&str>| ElfFacts {
            bits,
            machine,
            runpath: runpath.map(|r| r.as_bytes().into()),
            ..dynamic(interp, needed)
        };
        // libz only where this machine's path file says; libq only where
        // the RUNPATH's $PLATFORM names this machine's musl name, libl
        // where its ${LIB} does.
        let mut img = Img::default()
            .elf(&loader[1..], elf(None, &[], None))
            .elf(
                "app",
                elf(
                    Some(&loader),
                    &["libz.so.1", "libq.so.2", "libl.so.4"],
                    Some("/opt/$PLATFORM:/opt/${LIB}"),
                ),
            )
            .elf("opt/z/libz.so.1", elf(None, &[], None))
            .elf(&format!("opt/{arch}/libq.so.2"), elf(None, &[], None))
            .elf(&format!("opt/{lib}/libl.so.4"), elf(None, &[], None))
            .kept(&format!("etc/ld-musl-{arch}.path"), "/opt/z\n");
        img.entrypoint = vec!["/app"];
        let (image, tree) = img.build();
        let (c, p) = paths(&image, &tree);
        assert!(c.gaps.is_empty(), "{arch}: {:?}", c.gaps);
        for lib in [
            "/opt/z/libz.so.1".to_string(),
            format!("/opt/{arch}/libq.so.2"),
            format!("/opt/{lib}/libl.so.4"),
        ] {
            assert!(p.contains(&lib), "{arch}: {p:?}");
        }
    }
}

#[test]
fn a_64_bit_program_under_glibc_searches_lib64_too() {
    let mut img = Img::default()
        .elf("app", dynamic(None, &["libx.so.1", "liby.so.2"]))
        .elf("usr/lib64/libx.so.1", dynamic(None, &[]))
        .elf("lib64/liby.so.2", dynamic(None, &[]));
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    assert_eq!(p, ["/app", "/lib64/liby.so.2", "/usr/lib64/libx.so.1"]);
}

#[test]
fn a_library_the_pass_could_not_read_is_taken_as_the_loader_would_try_it() {
    // Its ELF header unread (class 0): not known to be of the wrong class.
    let unread = ElfFacts {
        problem: Some("truncated ELF header".into()),
        ..ElfFacts::default()
    };
    let mut img = Img::default()
        .elf("app", dynamic(None, &["libodd.so.1"]))
        .elf("usr/lib/libodd.so.1", unread);
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(p, ["/app", "/usr/lib/libodd.so.1"]);
    // What it needs in turn is unknown: said.
    let gaps: Vec<(&str, &str)> = c.gaps.iter().map(|g| (g.kind, g.detail.as_str())).collect();
    assert_eq!(
        gaps,
        [(
            "unreadable-elf",
            "/usr/lib/libodd.so.1: truncated ELF header"
        )]
    );
}

#[test]
fn the_wrong_machine_of_the_same_class_is_skipped_too() {
    let aarch64 = ElfFacts {
        machine: 183,
        ..dynamic(None, &[])
    };
    let mut img = Img::default()
        .elf("app", dynamic(None, &["liby.so"]))
        .elf("lib/liby.so", aarch64)
        .elf("usr/lib/liby.so", dynamic(None, &[]));
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (_, p) = paths(&image, &tree);
    assert_eq!(p, ["/app", "/usr/lib/liby.so"]);
}

#[test]
fn ld_so_conf_includes_are_followed_eight_deep_and_lists_split_on_commas() {
    // ld.so.conf (depth 0) includes inc1.conf, which includes inc2.conf, …
    // inc8.conf (depth 8) names /deep8, inc9.conf (depth 9) names /deep9.
    let mut img = Img::default().kept(
        "etc/ld.so.conf",
        "include /etc/inc1.conf\n/opt/c1,/opt/c2:/opt/c3\n",
    );
    for d in 1..=9 {
        img = img.kept(
            &format!("etc/inc{d}.conf"),
            &format!("/deep{d}\ninclude inc{}.conf\n", d + 1),
        );
    }
    let needed = ["liba.so", "libb.so", "libc3.so", "lib8.so", "lib9.so"];
    img = img
        .elf("app", dynamic(None, &needed))
        .elf("opt/c1/liba.so", dynamic(None, &[]))
        .elf("opt/c2/libb.so", dynamic(None, &[]))
        .elf("opt/c3/libc3.so", dynamic(None, &[]))
        .elf("deep8/lib8.so", dynamic(None, &[]))
        .elf("deep9/lib9.so", dynamic(None, &[]));
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    for lib in [
        "/opt/c1/liba.so",
        "/opt/c2/libb.so",
        "/opt/c3/libc3.so",
        "/deep8/lib8.so",
    ] {
        assert!(p.contains(&lib.to_string()), "{lib}: {p:?}");
    }
    assert!(!p.contains(&"/deep9/lib9.so".to_string()), "{p:?}");
    let gaps: Vec<&str> = c.gaps.iter().map(|g| g.detail.as_str()).collect();
    assert_eq!(gaps, ["/app needs lib9.so, which the image lacks"]);
}

#[test]
fn ld_so_conf_keeps_256_absolute_directories_and_no_relative_one() {
    let mut conf: String = (0..256).map(|i| format!("/d{i}\n")).collect();
    conf.push_str("/d7\n/opt/late\nopt/rel\n");
    let needed = ["lib255.so", "liblate.so", "librel.so"];
    let mut img = Img::default()
        .kept("etc/ld.so.conf", &conf)
        .elf("app", dynamic(None, &needed))
        .elf("d255/lib255.so", dynamic(None, &[]))
        .elf("opt/late/liblate.so", dynamic(None, &[]))
        .elf("opt/rel/librel.so", dynamic(None, &[]));
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(p, ["/app", "/d255/lib255.so"]);
    let gaps: Vec<&str> = c.gaps.iter().map(|g| g.detail.as_str()).collect();
    assert_eq!(
        gaps,
        [
            "/app needs liblate.so, which the image lacks",
            "/app needs librel.so, which the image lacks"
        ]
    );
}

/// Scripts `/s0` … `/s{n-1}`, each run by the next through its `#!` line,
/// the last by the ELF `/prog`: `/prog` runs `n` hand-overs deep.
fn chain(n: usize) -> (Closure, Vec<String>, FileTree) {
    let mut img = Img::default().elf("prog", dynamic(None, &[]));
    for i in 0..n {
        let next = if i + 1 == n {
            "/prog".to_string()
        } else {
            format!("/s{}", i + 1)
        };
        img = img.script(&format!("s{i}"), &format!("#!{next}\necho\n"));
    }
    img.entrypoint = vec!["/s0"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    (c, p, tree)
}

#[test]
fn hand_overs_are_followed_eight_deep_and_each_says_why() {
    let (c, p, tree) = chain(8);
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    assert!(p.contains(&"/prog".to_string()), "{p:?}");
    let why = |path: &str| c.items[&tree.lookup(path.as_bytes()).unwrap()].why.clone();
    assert_eq!(why("s0"), "the entrypoint");
    assert_eq!(why("s1"), "run as /s1");
    assert_eq!(why("prog"), "run as /prog");
    // One more: the ninth hand-over is not followed, and that is said.
    let (c, p, _) = chain(9);
    assert!(!p.contains(&"/prog".to_string()), "{p:?}");
    assert!(p.contains(&"/s8".to_string()), "{p:?}");
    let gaps: Vec<&str> = c.gaps.iter().map(|g| g.kind).collect();
    assert_eq!(gaps, ["partial"]);
}

#[test]
fn only_a_shell_with_c_and_a_command_is_the_shell_form() {
    let form = |argv: Vec<&'static str>| {
        let mut img = Img::default()
            .elf("bin/sh", dynamic(None, &[]))
            .elf("app", dynamic(None, &[]));
        img.entrypoint = argv;
        let (image, tree) = img.build();
        closure(&image, &tree).shell_form
    };
    assert!(form(vec!["/bin/sh", "-c", "/app"]));
    assert!(!form(vec!["/app", "-c", "/app"]));
    assert!(!form(vec!["/bin/sh", "-c"]));
    assert!(!form(vec!["/bin/sh", "-x", "/app"]));
}

#[test]
fn env_dash_s_runs_the_name_after_it() {
    let mut img = Img::default()
        .elf("usr/bin/env", dynamic(None, &[]))
        .elf("usr/bin/mytool", dynamic(None, &[]))
        .script("app", "#!/usr/bin/env -S mytool  -u\nrun\n");
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    assert_eq!(p, ["/app", "/usr/bin/env", "/usr/bin/mytool"]);
}

#[test]
fn an_entrypoint_that_is_no_program_says_whether_it_is_executable() {
    for (mode, why) in [
        (0o644, "/run.txt is not executable"),
        (0o755, "/run.txt is neither ELF nor a #! script"),
        (0o100, "/run.txt is neither ELF nor a #! script"),
    ] {
        let mut img = Img::default();
        img.entries
            .push(entry("run.txt", EntryKind::File, mode, None));
        img.entrypoint = vec!["/run.txt"];
        let (image, tree) = img.build();
        let c = closure(&image, &tree);
        let gaps: Vec<(&str, &str)> = c.gaps.iter().map(|g| (g.kind, g.detail.as_str())).collect();
        assert_eq!(gaps, [("partial", why)], "{mode:o}");
    }
}

#[test]
fn a_programs_recorded_modules_and_runtime_crates_are_its_packages() {
    let module = |path: &str, version: &str| crate::binary::go::GoModule {
        path: path.into(),
        version: version.into(),
        sum: None,
        replace: None,
    };
    let mut replaced = module("example.com/greet", "v0.1.0");
    replaced.replace = Some(Box::new(module("../greet", "(devel)")));
    let krate = |name: &str, kind: &str, root: bool| crate::binary::rust::RustPackage {
        name: name.into(),
        version: "1.0.0".into(),
        source: "crates.io".into(),
        kind: kind.into(),
        root,
        dependencies: Vec::new(),
    };
    let go = ElfFacts {
        go: Some(Box::new(crate::binary::go::GoBuildInfo {
            go_version: "go1.22.1".into(),
            path: None,
            main: Some(module("example.com/app", "(devel)")),
            deps: vec![module("example.com/colors", "v1.2.3"), replaced],
            settings: Vec::new(),
        })),
        ..dynamic(None, &[])
    };
    let rust = ElfFacts {
        rust: Some(vec![
            krate("tinydep", "runtime", true),
            krate("autocfg", "build", false),
            krate("itoa", "runtime", false),
        ]),
        ..dynamic(None, &[])
    };
    let mut img = Img::default().elf("app", go);
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let c = closure(&image, &tree);
    let own = |c: &Closure| -> Vec<(String, String, String)> { c.packages.clone() };
    let t = |a: &str, b: &str, v: &str| (a.to_string(), b.to_string(), v.to_string());
    assert_eq!(
        own(&c),
        [
            t("go", "example.com/colors", "v1.2.3"),
            t("go", "../greet", "(devel)")
        ]
    );
    let mut img = Img::default().elf("rs", rust);
    img.entrypoint = vec!["/rs"];
    let (image, tree) = img.build();
    assert_eq!(own(&closure(&image, &tree)), [t("cargo", "itoa", "1.0.0")]);
}

#[test]
fn tini_is_known_by_its_file_name_and_skips_its_options() {
    let run = |argv: Vec<&'static str>| {
        let mut img = Img::default()
            .elf("usr/bin/tini", dynamic(None, &[]))
            .link("init", "usr/bin/tini")
            .elf("app", dynamic(None, &[]));
        img.entrypoint = argv;
        let (image, tree) = img.build();
        paths(&image, &tree)
    };
    // Called `/init`, a link to the file `tini`: options, a value, `--`.
    let (c, p) = run(vec!["/init", "-s", "-e", "143", "--", "/app", "-x"]);
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
    assert_eq!(p, ["/app", "/init", "/usr/bin/tini"]);
    // Options and nothing after them, or a value option last: no command.
    for argv in [vec!["/init", "-s"], vec!["/init", "-s", "-e"]] {
        let (c, p) = run(argv);
        assert!(c.gaps.is_empty(), "{:?}", c.gaps);
        assert_eq!(p, ["/init", "/usr/bin/tini"]);
    }
}

#[test]
fn wrappers_count_as_hand_overs_and_programs_are_known_by_their_file_names() {
    let img = || {
        Img::default()
            .elf("tini", dynamic(None, &[]))
            .elf("gosu", dynamic(None, &[]))
            .elf("bin/dash", dynamic(None, &[]))
            .link("entry", "bin/dash")
            .elf("usr/bin/python3.11", dynamic(None, &[]))
            .link("runner", "usr/bin/python3.11")
            .elf("app", dynamic(None, &[]))
    };
    let run = |argv: Vec<&'static str>| {
        let mut i = img();
        i.entrypoint = argv;
        let (image, tree) = i.build();
        closure(&image, &tree)
    };
    // Nine wrappers before the app: the ninth hand-over is not followed.
    for w in [vec!["/tini"], vec!["/gosu", "user"]] {
        let mut argv: Vec<&'static str> = w.iter().copied().cycle().take(9 * w.len()).collect();
        argv.push("/app");
        let c = run(argv.clone());
        let gaps: Vec<&str> = c.gaps.iter().map(|g| g.kind).collect();
        assert_eq!(gaps, ["partial"], "{argv:?}");
        let short = argv[w.len()..].to_vec();
        let c = run(short.clone());
        assert!(c.gaps.is_empty(), "{short:?}: {:?}", c.gaps);
        assert_eq!(c.kind, AppKind::StaticBinary, "{short:?}");
    }
    // A shell and Python behind links named otherwise.
    let c = run(vec!["/entry", "-c", "/app"]);
    let app = |c: &Closure| c.items.values().any(|i| i.why == "run as /app");
    assert!(app(&c), "{:?}", c.items);
    assert_eq!(run(vec!["/runner", "-m", "x"]).kind, AppKind::Python);
    // A shell given options only: nothing to run, nothing missing.
    let c = run(vec!["/entry", "-e", "-x"]);
    assert_eq!(c.kind, AppKind::Shell);
    assert!(c.gaps.is_empty(), "{:?}", c.gaps);
}

#[test]
fn sh_c_runs_its_first_command_and_brings_the_absolute_others() {
    let mut img = Img::default()
        .elf("bin/sh", dynamic(None, &[]))
        .elf("app", dynamic(None, &[]))
        .elf("tool", dynamic(None, &[]));
    img.entrypoint = vec!["/bin/sh", "-c", "/app --serve; /tool --after"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(p, ["/app", "/bin/sh", "/tool"]);
    // The app is the first command, not the side one.
    assert_eq!(c.program, tree.lookup(b"app"));
    assert!(c.shell_form);
}

/// `/entry.sh` (`exec "$@"`) run with `levels` more `/entry.sh` before
/// `/app` in its arguments: each level is a script run by `/bin/sh`.
fn entry_levels(levels: usize) -> (Closure, Vec<String>) {
    let mut img = Img::default()
        .elf("bin/sh", dynamic(None, &[]))
        .elf("app", dynamic(None, &[]))
        .script("entry.sh", "#!/bin/sh\nexec \"$@\"\n");
    img.entrypoint = vec!["/entry.sh"];
    img.cmd = vec!["/entry.sh"; levels];
    img.cmd.push("/app");
    let (image, tree) = img.build();
    paths(&image, &tree)
}

#[test]
fn exec_dollar_at_runs_the_arguments_each_level_a_hand_over() {
    // Each level is two hand-overs (the script to /bin/sh, `exec "$@"` to
    // the next): three levels reach /app in 8, four would take 10.
    let app = |p: &Vec<String>| p.contains(&"/app".to_string());
    let (_, p) = entry_levels(3);
    assert!(app(&p), "{p:?}");
    let (c, p) = entry_levels(4);
    assert!(!app(&p), "{p:?}");
    assert!(c
        .gaps
        .iter()
        .any(|g| g.detail.contains("more than 8 times")));
    // `exec /app` runs /app, not the script's arguments.
    let mut img = Img::default()
        .elf("bin/sh", dynamic(None, &[]))
        .elf("app", dynamic(None, &[]))
        .elf("other", dynamic(None, &[]))
        .script(
            "direct.sh",
            "#!/bin/sh\nmytool --start\n$RUNNER -x\nexec $RUNNER -y\nexec /app\n",
        );
    img.entrypoint = vec!["/direct.sh"];
    img.cmd = vec!["/other"];
    let (image, tree) = img.build();
    let (c, p) = paths(&image, &tree);
    assert_eq!(p, ["/app", "/bin/sh", "/direct.sh"]);
    // Only the command named by path is followed (and counted); `mytool` and
    // `$RUNNER` are not looked up.
    let gaps: Vec<&str> = c.gaps.iter().map(|g| g.detail.as_str()).collect();
    assert_eq!(
        gaps,
        ["/direct.sh is a shell script: the 1 commands it names by path or execs are followed, others it may run are not"]
    );
}

/// Shell scripts `/s0` … `/s{n-1}`, each running the next (the last runs
/// `/app`) by a command line `{how}/s{i+1}`: `exec ` or nothing (a command
/// named by path, run beside the script).
fn script_chain(n: usize, how: &str) -> Vec<String> {
    script_chain_from(n, how, vec!["/s0"])
}

/// [`script_chain`] entered through the argv given (`/tini` is there too).
fn script_chain_from(n: usize, how: &str, entrypoint: Vec<&'static str>) -> Vec<String> {
    let mut img = Img::default()
        .elf("bin/sh", dynamic(None, &[]))
        .elf("tini", dynamic(None, &[]))
        .elf("app", dynamic(None, &[]));
    for i in 0..n {
        let next = if i + 1 == n {
            "/app".to_string()
        } else {
            format!("/s{}", i + 1)
        };
        img = img.script(&format!("s{i}"), &format!("#!/bin/sh\n{how}{next}\n"));
    }
    img.entrypoint = entrypoint;
    let (image, tree) = img.build();
    paths(&image, &tree).1
}

#[test]
fn a_command_a_script_runs_is_one_hand_over_more() {
    // Each script is two hand-overs (to /bin/sh, then to the command it
    // names): four scripts reach /app in 8, five would take 10.
    for how in ["exec ", ""] {
        let p = script_chain(4, how);
        assert!(p.contains(&"/app".to_string()), "{how:?}: {p:?}");
        let p = script_chain(5, how);
        assert!(!p.contains(&"/app".to_string()), "{how:?}: {p:?}");
        assert!(p.contains(&"/s4".to_string()), "{how:?}: {p:?}");
    }
}

#[test]
fn a_hash_starts_a_comment_only_after_a_blank() {
    let cmds = |t: &str| entry::commands(t.as_bytes());
    let w = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
    assert_eq!(cmds("/app a#b c\n"), [w(&["/app", "a#b", "c"])]);
    assert_eq!(cmds("/app a #b c\n"), [w(&["/app", "a"])]);
    assert!(cmds("# /app\n").is_empty());
}

/// The closure's paths for one program at `/app` (or the argv given) in an
/// image that also holds every file the built-in rules could add.
fn with_rule_files(app: Img, argv: Vec<&'static str>, env: Vec<&'static str>) -> Vec<String> {
    let mut img = app
        .file("etc/ssl/certs/ca-certificates.crt")
        .file("etc/localtime")
        .file("etc/nsswitch.conf");
    img.entrypoint = argv;
    img.env = env;
    let (image, tree) = img.build();
    paths(&image, &tree).1
}

#[test]
fn each_builtin_rule_applies_by_file_by_kind_or_by_env_and_only_then() {
    let ca = "/etc/ssl/certs/ca-certificates.crt".to_string();
    let tz = "/etc/localtime".to_string();
    let nss = "/etc/nsswitch.conf".to_string();
    let no_go = || dynamic(None, &[]);
    // A static program that is not Go: no rule applies.
    let p = with_rule_files(Img::default().elf("app", no_go()), vec!["/app"], vec![]);
    assert!(
        !p.contains(&ca) && !p.contains(&tz) && !p.contains(&nss),
        "{p:?}"
    );
    // By file: glibc brings nsswitch.conf, a TLS library (by prefix) the CA bundle.
    let p = with_rule_files(
        glibc_base().elf(
            "app",
            dynamic(Some("/lib64/ld-linux-x86-64.so.2"), &["libc.so.6"]),
        ),
        vec!["/app"],
        vec![],
    );
    assert!(p.contains(&nss) && !p.contains(&ca), "{p:?}");
    let p = with_rule_files(
        Img::default()
            .elf("usr/lib/libssl.so.3", dynamic(None, &[]))
            .elf("app", dynamic(None, &["libssl.so.3"])),
        vec!["/app"],
        vec![],
    );
    assert!(p.contains(&ca) && !p.contains(&nss), "{p:?}");
    // By kind: Go (from its build info) and Python read the CA bundle.
    let go = ElfFacts {
        go: Some(Box::new(crate::binary::go::GoBuildInfo {
            go_version: "go1.22.1".into(),
            path: None,
            main: None,
            deps: Vec::new(),
            settings: Vec::new(),
        })),
        ..dynamic(None, &[])
    };
    let p = with_rule_files(Img::default().elf("app", go), vec!["/app"], vec![]);
    assert!(p.contains(&ca) && !p.contains(&tz), "{p:?}");
    let python = Img::default().elf("usr/bin/python3.11", no_go());
    let p = with_rule_files(python, vec!["/usr/bin/python3.11", "-m", "x"], vec![]);
    assert!(p.contains(&ca), "{p:?}");
    // By the environment: TZ brings the zone files.
    let p = with_rule_files(
        Img::default().elf("app", no_go()),
        vec!["/app"],
        vec!["TZ=Europe/Paris"],
    );
    assert!(p.contains(&tz) && !p.contains(&ca), "{p:?}");
}

#[test]
fn nsswitch_conf_names_at_most_32_services_each_once_and_only_plain_words() {
    let dir = "usr/lib/x86_64-linux-gnu";
    let mut services: Vec<String> = vec!["files".into(), "files".into()];
    services.extend((0..40).map(|i| format!("s{i}")));
    let conf = format!(
        "group:compat\nhosts: [NOTFOUND=return] bad-name my_svc # ldap\npasswd: {}\n",
        services.join(" ")
    );
    let mut img = glibc_base().elf(
        "app",
        dynamic(Some("/lib64/ld-linux-x86-64.so.2"), &["libc.so.6"]),
    );
    let mut names: Vec<String> = [
        "files",
        "compat",
        "[NOTFOUND=return]",
        "bad-name",
        "ldap",
        "my_svc",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.extend((0..40).map(|i| format!("s{i}")));
    for n in &names {
        img = img.elf(&format!("{dir}/libnss_{n}.so.2"), dynamic(None, &[]));
    }
    img = img.kept("etc/nsswitch.conf", &conf);
    img.entrypoint = vec!["/app"];
    let (image, tree) = img.build();
    let (_, p) = paths(&image, &tree);
    let brought: Vec<&str> = names
        .iter()
        .filter(|n| p.contains(&format!("/{dir}/libnss_{n}.so.2")))
        .map(String::as_str)
        .collect();
    // `compat` (no blank after the colon), `my_svc`, `files` once, then the
    // first 29 others: 32 in all. Options in brackets, names with other
    // characters and comments are not services.
    let mut want = vec!["files".to_string(), "compat".into(), "my_svc".into()];
    want.extend((0..29).map(|i| format!("s{i}")));
    assert_eq!(brought, want);
}

#[test]
fn a_user_by_name_needs_passwd_and_group_a_number_does_not() {
    let run = |user: &'static str| {
        let mut img = Img::default()
            .elf("app", dynamic(None, &[]))
            .file("etc/passwd")
            .file("etc/group");
        img.entrypoint = vec!["/app"];
        img.user = Some(user);
        let (image, tree) = img.build();
        paths(&image, &tree).1
    };
    let (passwd, group) = ("/etc/passwd".to_string(), "/etc/group".to_string());
    let p = run("1000:1000");
    assert!(!p.contains(&passwd) && !p.contains(&group), "{p:?}");
    let p = run("1000");
    assert!(!p.contains(&passwd) && !p.contains(&group), "{p:?}");
    let p = run("app");
    assert!(p.contains(&passwd) && p.contains(&group), "{p:?}");
    let p = run("1000:staff");
    assert!(!p.contains(&passwd) && p.contains(&group), "{p:?}");
}

#[test]
fn a_command_after_the_first_of_sh_c_is_one_hand_over_more() {
    // `sh -c "mytool; /tini /tini /s0"` runs the first /tini one hand-over
    // deep, the second two, /s0 three, and each script costs two more: two
    // scripts reach /app in 7, three would take 9 (the limit is 8). Were
    // the command after the first not counted, three would reach it in 8.
    let app = |n| {
        script_chain_from(n, "", vec!["/bin/sh", "-c", "mytool; /tini /tini /s0"])
            .contains(&"/app".to_string())
    };
    assert!(app(2));
    assert!(!app(3));
}
