//! `stagediff plan IMAGE --export PATH`: the archive it writes, read back
//! through stagediff's own loader (same tree, same contents, digests
//! checked), accepted by skopeo; and its failures — unwritable PATH, a disk
//! that fills, ^C, a source that changed or vanished — each one line, exit
//! 2, nothing left behind.

mod common;

use stagediff::image::EntryKind;
use stagediff::source::{LoadOptions, LoadProgress};
use stagediff::tree::{FileTree, NodeId};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_stagediff");

/// One entry of a synthetic layer, with every attribute set.
struct E {
    path: Vec<u8>,
    kind: tar::EntryType,
    mode: u32,
    uid: u64,
    gid: u64,
    link: Option<Vec<u8>>,
    data: Vec<u8>,
}

fn e(path: impl AsRef<[u8]>, kind: tar::EntryType, mode: u32) -> E {
    E {
        path: path.as_ref().to_vec(),
        kind,
        mode,
        uid: 0,
        gid: 0,
        link: None,
        data: Vec::new(),
    }
}

fn file(path: impl AsRef<[u8]>, mode: u32, data: &[u8]) -> E {
    E {
        data: data.to_vec(),
        ..e(path, tar::EntryType::Regular, mode)
    }
}

fn link(path: &str, kind: tar::EntryType, target: impl AsRef<[u8]>) -> E {
    E {
        link: Some(target.as_ref().to_vec()),
        ..e(path, kind, 0o777)
    }
}

fn owned(mut x: E, uid: u64, gid: u64) -> E {
    x.uid = uid;
    x.gid = gid;
    x
}

/// A layer tar as docker writes them: GNU headers, long names and link
/// targets through `././@LongLink`, raw name bytes.
fn layer(entries: &[E]) -> Vec<u8> {
    let mut out = Vec::new();
    let long = |out: &mut Vec<u8>, kind: tar::EntryType, name: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        h.set_entry_type(kind);
        h.set_size(name.len() as u64 + 1);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(name);
        out.push(0);
        while out.len() % 512 != 0 {
            out.push(0);
        }
    };
    for x in entries {
        if x.path.len() > 100 {
            long(&mut out, tar::EntryType::GNULongName, &x.path);
        }
        if let Some(l) = x.link.as_ref().filter(|l| l.len() > 100) {
            long(&mut out, tar::EntryType::GNULongLink, l);
        }
        let mut h = tar::Header::new_gnu();
        let n = x.path.len().min(100);
        h.as_old_mut().name[..n].copy_from_slice(&x.path[..n]);
        if let Some(l) = &x.link {
            let n = l.len().min(100);
            h.as_old_mut().linkname[..n].copy_from_slice(&l[..n]);
        }
        h.set_entry_type(x.kind);
        h.set_size(x.data.len() as u64);
        h.set_mode(x.mode);
        h.set_uid(x.uid);
        h.set_gid(x.gid);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&x.data);
        while out.len() % 512 != 0 {
            out.push(0);
        }
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// Pseudo-random bytes (incompressible, reproducible).
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn config(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| common::sha(l)).collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Entrypoint": ["/bin/app"],
            "Cmd": ["--serve"],
            "Env": ["PATH=/bin:/usr/bin", "MODE=test"],
            "WorkingDir": "/srv",
            "User": "1000:1000",
            "ExposedPorts": {"8080/tcp": {}},
            "Labels": {"org.example": "yes"},
            "Volumes": {"/var/data": {}},
            "StopSignal": "SIGQUIT",
            "Healthcheck": {"Test": ["CMD", "/bin/app", "--check"], "Interval": 30_000_000_000u64},
            "Shell": ["/bin/sh", "-ec"]
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created_by": "layer 0"},
            {"created_by": "layer 1"}
        ]
    }))
    .unwrap()
}

fn long_dir() -> String {
    format!("data/{}", "deep-directory-name/".repeat(6))
}

/// Two layers with every entry kind the export must carry.
fn rich_image() -> Vec<Vec<u8>> {
    use tar::EntryType as K;
    let long = format!("{}name.txt", long_dir());
    let l0 = vec![
        e("bin", K::Directory, 0o755),
        file("bin/app", 0o755, b"#!/bin/app-interp\necho hi\n"),
        e("srv", K::Directory, 0o1777),
        owned(e("opt/secret", K::Directory, 0o700), 1000, 1000),
        owned(file("opt/secret/key", 0o600, b"k"), 1000, 1000),
        e("opt/setgid", K::Directory, 0o2755),
        file("opt/setgid/tool", 0o4755, b"tool-v1"),
        // Past the 7 octal digits of the ustar field: base-256.
        owned(
            file("data/big.bin", 0o640, &noise(1_500_000, 7)),
            3_000_000,
            4_000_000,
        ),
        file("data/twice", 0o644, b"first copy"),
        file("data/twice", 0o644, b"the second copy wins"),
        file("data/rewritten", 0o644, b"from layer 0"),
        file(b"data/caf\xe9-\xff", 0o644, b"non-UTF-8 name"),
        file(long.as_bytes(), 0o644, b"a long name"),
        file("old/gone", 0o644, b"deleted by layer 1"),
        link("data/rel", K::Symlink, "big.bin"),
        link("data/abs", K::Symlink, "/data/big.bin"),
        link("data/longlink", K::Symlink, format!("/{long}")),
        link("data/hard", K::Link, "data/big.bin"),
        e("run/fifo", K::Fifo, 0o600),
    ];
    let l1 = vec![
        file("data/rewritten", 0o600, b"from layer 1, longer"),
        file("old/.wh.gone", 0o644, b""),
        link("data/hard2", K::Link, "data/hard"),
        file("empty", 0o644, b""),
    ];
    vec![layer(&l0), layer(&l1)]
}

fn write_image(dir: &Path, layers: &[Vec<u8>], tag: &str) -> PathBuf {
    let path = dir.join("in.docker.tar");
    let bytes = common::docker_legacy_with_config(layers, tag, &config(layers));
    std::fs::write(&path, bytes).unwrap();
    path
}
/// `plan SOURCE --export DIR/out.tar --export-include '**' EXTRA…` succeeds
/// and writes an image that verifies and holds `want`'s tree.
fn exported_whole(source: &str, dir: &Path, extra: &[&str], want: &stagediff::pipeline::Analysed) {
    let out = dir.join("out.tar");
    let mut args = vec![
        source,
        "--export",
        out.to_str().unwrap(),
        "--export-include",
        "**",
    ];
    args.extend_from_slice(extra);
    let o = plan(&args);
    assert_eq!(o.status.code(), Some(0), "{source}: {}", stderr_of(&o));
    let got = load(out.to_str().unwrap());
    assert!(got.image.verified, "{source}");
    assert_same_tree(&want.tree, &got.tree);
}

/// Flips one byte of `data/big.bin` (the noise `rich_image` holds) inside
/// the archive at `input`, in place.
fn flip_a_byte_of_big_bin(input: &Path) {
    let mut bytes = std::fs::read(input).unwrap();
    let needle = noise(1_500_000, 7)[1000..1064].to_vec();
    let at = bytes.windows(64).position(|w| w == needle).unwrap();
    bytes[at] ^= 1;
    std::fs::write(input, &bytes).unwrap();
}

/// The error of an export that must fail (not cancelled, into memory).
fn failed_export(
    reference: &str,
    load: &LoadOptions,
    src: &stagediff::pipeline::Analysed,
    tree: &FileTree,
) -> stagediff::export::ExportError {
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let req = request(reference, load, src, tree, &cancel);
    stagediff::export::write_archive(&req, &mut Vec::new()).unwrap_err()
}

/// Load options as a plain `IMAGE` argument gets them.
static DEFAULT_LOAD: std::sync::LazyLock<LoadOptions> =
    std::sync::LazyLock::new(LoadOptions::default);

/// The source's tree cut for an export: the closure's required files, plus
/// what `include` matches, less what `exclude` matches (globs).
fn selected(src: &stagediff::pipeline::Analysed, include: &[&str], exclude: &[&str]) -> FileTree {
    let globs = |g: &[&str]| g.iter().map(|s| s.to_string()).collect();
    stagediff::export::select(
        &src.tree,
        &stagediff::analysis::closure::closure(&src.image, &src.tree),
        &stagediff::export::Selection {
            include: globs(include),
            exclude: globs(exclude),
        },
    )
}

/// An untagged export of `tree`, read again from `reference`.
fn request<'a>(
    reference: &'a str,
    load: &'a LoadOptions,
    src: &'a stagediff::pipeline::Analysed,
    tree: &'a FileTree,
    cancel: &'a std::sync::atomic::AtomicBool,
) -> stagediff::export::Request<'a> {
    stagediff::export::Request {
        reference,
        load,
        image: &src.image,
        tree,
        tag: None,
        cancel,
    }
}

fn load(reference: &str) -> stagediff::pipeline::Analysed {
    stagediff::pipeline::load(reference, &LoadOptions::default(), &LoadProgress::default())
        .unwrap_or_else(|e| panic!("{reference}: {e}"))
}

fn plan(args: &[&str]) -> std::process::Output {
    common::cli().arg("plan").args(args).output().unwrap()
}

/// The regular file a hard link finally names.
fn final_target(t: &FileTree, id: NodeId) -> Vec<u8> {
    let mut cur = id;
    for _ in 0..8 {
        let n = t.node(cur);
        if n.kind != EntryKind::HardLink {
            break;
        }
        cur = t.lookup(n.link.unwrap()).unwrap();
    }
    t.path_of(cur)
}

/// Every node of `want` is in `got` with the same kind, mode, owner, link
/// target, size and content hash; returns how many were compared.
fn assert_same_tree(want: &FileTree, got: &FileTree) -> usize {
    let mut n = 0;
    for id in want.iter() {
        let path = want.path_of(id);
        let show = String::from_utf8_lossy(&path).into_owned();
        let w = want.node(id);
        let g = got
            .lookup(&path)
            .unwrap_or_else(|| panic!("{show} missing from the export"));
        let g_node = got.node(g);
        assert_eq!(g_node.kind, w.kind, "{show}");
        assert_eq!(g_node.mode, w.mode, "{show}: mode");
        assert_eq!((g_node.uid, g_node.gid), (w.uid, w.gid), "{show}: owner");
        assert_eq!(g_node.size, w.size, "{show}: size");
        assert_eq!(g_node.hash, w.hash, "{show}: content");
        if w.kind == EntryKind::HardLink {
            assert_eq!(final_target(got, g), final_target(want, id), "{show}");
        } else {
            assert_eq!(g_node.link, w.link, "{show}: link");
        }
        n += 1;
    }
    let extra: Vec<String> = got
        .iter()
        .filter(|&id| want.lookup(&got.path_of(id)).is_none())
        .map(|id| String::from_utf8_lossy(&got.path_of(id)).into_owned())
        .collect();
    assert!(extra.is_empty(), "exported but not wanted: {extra:?}");
    n
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Files left in `dir` other than `keep`.
fn leftovers(dir: &Path, keep: &[&Path]) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !keep.contains(&p.as_path()))
        .collect()
}

#[test]
fn every_entry_kind_round_trips_through_the_loader() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let out = dir.path().join("out.tar");
    let o = plan(&[
        input.to_str().unwrap(),
        "--export",
        out.to_str().unwrap(),
        "--export-include",
        "**",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    let shown = out.display().to_string();
    assert!(
        report.contains(&format!("docker load -i {shown}")),
        "{report}"
    );
    assert!(report.contains("rich/app:1-minimal"), "{report}");

    let src = load(input.to_str().unwrap());
    let exported = load(&format!("docker-archive:{}", out.display()));
    assert!(exported.image.verified, "every digest of the export checks");
    assert_eq!(exported.image.layers.len(), 1);
    assert_eq!(exported.image.repo_tags, vec!["rich/app:1-minimal"]);
    let n = assert_same_tree(&src.tree, &exported.tree);
    assert!(n >= 25, "compared {n} nodes");
    // What the export must have taken from where.
    let t = &exported.tree;
    let node = |p: &str| t.node(t.lookup(p.as_bytes()).unwrap());
    assert_eq!(node("data/rewritten").size, 20, "the later layer's copy");
    assert_eq!(node("data/twice").size, 20, "the last copy in a layer");
    assert!(t.lookup(b"old/gone").is_none(), "deleted by layer 1");
    assert_eq!(node("run/fifo").kind, EntryKind::Fifo);
    assert_eq!(node("data/hard2").kind, EntryKind::HardLink);
    // IMAGE's runtime config, and a history entry naming IMAGE.
    let cfg = &exported.image.config;
    assert_eq!(cfg.entrypoint, ["/bin/app"]);
    assert_eq!(cfg.cmd, ["--serve"]);
    assert_eq!(cfg.env, ["PATH=/bin:/usr/bin", "MODE=test"]);
    assert_eq!(cfg.working_dir.as_deref(), Some("/srv"));
    assert_eq!(cfg.user.as_deref(), Some("1000:1000"));
    assert_eq!(cfg.exposed_ports, ["8080/tcp"]);
    assert_eq!(
        cfg.labels.get("org.example").map(String::as_str),
        Some("yes")
    );
    assert_eq!(cfg.volumes, ["/var/data"]);
    assert_eq!(cfg.stop_signal.as_deref(), Some("SIGQUIT"));
    assert_eq!(
        cfg.extra.get("Healthcheck"),
        Some(
            &serde_json::json!({"Test": ["CMD", "/bin/app", "--check"], "Interval": 30000000000u64})
        )
    );
    assert_eq!(
        cfg.extra.get("Shell"),
        Some(&serde_json::json!(["/bin/sh", "-ec"]))
    );
    let made_by = exported.image.history[0].created_by.as_deref().unwrap();
    assert!(
        made_by.contains(src.image.id.as_deref().unwrap()),
        "{made_by}"
    );
    // The same IMAGE exported again is the same archive, byte for byte.
    let again = dir.path().join("again.tar");
    let o = plan(&[
        input.to_str().unwrap(),
        "--export",
        again.to_str().unwrap(),
        "--export-include",
        "**",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    assert!(std::fs::read(&out).unwrap() == std::fs::read(&again).unwrap());
}

#[test]
fn without_include_the_export_is_the_predicted_tree_and_exclude_drops() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let src = load(input.to_str().unwrap());
    let rules = stagediff::analysis::Rules::builtin();
    let predicted = stagediff::analysis::plan::plan(&src.image, src.tree.clone(), &rules);
    let out = dir.path().join("out.tar");
    let o = plan(&[input.to_str().unwrap(), "--export", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let exported = load(out.to_str().unwrap());
    assert_same_tree(&predicted.minimal, &exported.tree);
    assert!(exported.tree.lookup(b"bin/app").is_some());

    // Include adds paths with their parents (a symlink brings its target);
    // exclude drops closure files.
    let o = plan(&[
        input.to_str().unwrap(),
        "--export",
        out.to_str().unwrap(),
        "--export-include",
        "data/rel",
        "--export-include",
        "opt/secret/**",
        "--export-exclude",
        "bin/app",
        "--tag",
        "smoke/rich:min",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let t = load(out.to_str().unwrap());
    assert_eq!(t.image.repo_tags, ["smoke/rich:min"]);
    let has = |p: &str| t.tree.lookup(p.as_bytes()).is_some();
    assert!(has("data/rel") && has("data/big.bin") && has("opt/secret/key"));
    assert!(!has("bin/app") && !has("data/twice"));

    // The same from the config file's [plan] table.
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[plan]\nexport-include = [\"data/twice\"]\nexport-exclude = [\"bin/**\"]\n",
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["plan", input.to_str().unwrap(), "--export"])
        .arg(&out)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let t = load(out.to_str().unwrap());
    assert!(t.tree.lookup(b"data/twice").is_some());
    assert!(t.tree.lookup(b"bin/app").is_none());
    std::fs::write(&cfg, "[plan]\nexport-includ = [\"x\"]\n").unwrap();
    let o = Command::new(BIN)
        .args(["plan", input.to_str().unwrap(), "--export"])
        .arg(&out)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("export-includ"), "{}", stderr_of(&o));
}

#[test]
fn the_export_on_stdout_loads_and_the_report_goes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let o = plan(&[input.to_str().unwrap(), "--export", "-", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(doc["export"]["path"], "-");
    let out = dir.path().join("from-stdout.tar");
    std::fs::write(&out, &o.stdout).unwrap();
    let t = load(out.to_str().unwrap());
    assert_eq!(
        doc["export"]["id"].as_str(),
        t.image.id.as_deref(),
        "the JSON names the image written"
    );
    assert_eq!(doc["export"]["bytes"], t.image.size());
}

#[test]
fn skopeo_accepts_the_export() {
    if Command::new("skopeo").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "skopeo is not installed (CI installs it: scripts/ensure-docker.sh)"
        );
        eprintln!("SKIPPED: skopeo is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let out = dir.path().join("out.tar");
    let o = plan(&[
        input.to_str().unwrap(),
        "--export",
        out.to_str().unwrap(),
        "--export-include",
        "**",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let oci = dir.path().join("oci");
    let s = Command::new("skopeo")
        .args(["copy", "--quiet"])
        .arg(format!("docker-archive:{}", out.display()))
        .arg(format!("oci:{}:min", oci.display()))
        .output()
        .unwrap();
    assert!(s.status.success(), "skopeo: {}", stderr_of(&s));
    // What skopeo copied is the same image.
    let src = load(input.to_str().unwrap());
    let copied = load(&format!("oci:{}:min", oci.display()));
    assert_same_tree(&src.tree, &copied.tree);
}

#[test]
fn a_source_that_changed_or_vanished_after_the_load_fails_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let src = load(input.to_str().unwrap());
    let tree = selected(&src, &["**"], &[]);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let load_opts = LoadOptions::default();
    let reference = input.to_str().unwrap();
    let req = request(reference, &load_opts, &src, &tree, &cancel);
    let mut sink = Vec::new();
    stagediff::export::write_archive(&req, &mut sink).expect("the unchanged source exports");

    // One byte of the big file flipped inside the archive: the layer's
    // digest no longer matches (the load would refuse it, so must the export).
    flip_a_byte_of_big_bin(&input);
    let e = stagediff::export::write_archive(&req, &mut Vec::new()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("digest mismatch"), "{msg}");

    std::fs::remove_file(&input).unwrap();
    let e = stagediff::export::write_archive(&req, &mut Vec::new()).unwrap_err();
    assert!(e.to_string().contains("cannot read"), "{e}");
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn needs_root(what: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} needs root (mount)"
    );
    eprintln!("SKIPPED: {what} needs root");
    false
}

/// Mounts a tmpfs at `dir` with `opts`; unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, opts: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let s = Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(s.success(), "mount tmpfs {opts}");
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn assert_one_line_exit_2(o: &std::process::Output, needle: &str) {
    let err = stderr_of(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{needle:?} in {err}");
}

#[test]
fn unwritable_places_fail_in_one_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    // A directory that does not exist, and a "directory" that is a file.
    for bad in [
        dir.path().join("missing/out.tar"),
        input.join("out.tar"),
        dir.path().to_path_buf(),
    ] {
        let o = plan(&[input.to_str().unwrap(), "--export", bad.to_str().unwrap()]);
        assert_one_line_exit_2(&o, "cannot write the export to");
        assert!(o.stdout.is_empty(), "no report after a failed export");
    }
    // A read-only filesystem (root ignores directory modes, not this).
    if needs_root("the read-only export test") {
        let ro = dir.path().join("ro");
        let _m = Tmpfs::mount(&ro, "ro,size=1m");
        let target = ro.join("out.tar");
        let o = plan(&[
            input.to_str().unwrap(),
            "--export",
            target.to_str().unwrap(),
        ]);
        assert_one_line_exit_2(&o, "Read-only file system");
        assert!(leftovers(&ro, &[]).is_empty());
        drop(_m);
        std::fs::remove_dir(&ro).unwrap();
    }
    // Standard input cannot be read twice.
    let o = plan(&["-", "--export", dir.path().join("x.tar").to_str().unwrap()]);
    assert_one_line_exit_2(&o, "standard input");
    assert!(leftovers(dir.path(), &[&input]).is_empty());
}

#[test]
fn a_full_disk_fails_in_one_line_and_leaves_nothing() {
    if !needs_root("the disk-full test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let small = dir.path().join("small");
    let _m = Tmpfs::mount(&small, "size=1m");
    let target = small.join("out.tar");
    let o = plan(&[
        input.to_str().unwrap(),
        "--export",
        target.to_str().unwrap(),
        "--export-include",
        "**",
    ]);
    assert_one_line_exit_2(&o, "No space left on device");
    assert!(
        leftovers(&small, &[]).is_empty(),
        "{:?}",
        leftovers(&small, &[])
    );
}

/// ^C while the archive is written: exit 2, one line, nothing at PATH, no
/// temporary file.
#[test]
fn interrupting_the_export_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Big enough that writing takes a while: 8 files of 16 MiB.
    let bulk: Vec<Vec<u8>> = (0..8).map(|i| noise(16 << 20, 100 + i)).collect();
    let mut entries = vec![file("bin/app", 0o755, b"#!/bin/sh\n")];
    for (i, b) in bulk.iter().enumerate() {
        entries.push(file(format!("bulk/{i}"), 0o644, b));
    }
    let layers = vec![layer(&entries)];
    drop(bulk);
    let input = write_image(dir.path(), &layers, "big/app:1");
    drop(layers);
    let outdir = dir.path().join("out");
    std::fs::create_dir(&outdir).unwrap();
    let target = outdir.join("out.tar");
    for min_written in [0u64, 1 << 20] {
        let child = common::cli()
            .args(["plan", input.to_str().unwrap(), "--export"])
            .arg(&target)
            .args(["--export-include", "bulk/**"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the temporary file to exist (and hold `min_written`
        // bytes: mid-write), then ^C.
        let start = std::time::Instant::now();
        loop {
            let temp = leftovers(&outdir, &[])
                .into_iter()
                .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() >= min_written));
            if temp.is_some() {
                break;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "the export never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let o = child.wait_with_output().unwrap();
        assert_one_line_exit_2(&o, "interrupted: nothing was written to");
        assert!(!target.exists());
        assert!(
            leftovers(&outdir, &[]).is_empty(),
            "{:?}",
            leftovers(&outdir, &[])
        );
    }
}

/// ^C while the archive goes to a pipe nobody reads: deterministic (the
/// export is blocked mid-write when the signal comes); it stops at its next
/// write once the reader drains the pipe, says so in one line, exit 2.
#[test]
fn interrupting_an_export_to_a_stalled_pipe_stops_it() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut entries = vec![file("bin/app", 0o755, b"#!/bin/sh\n")];
    let bulk: Vec<Vec<u8>> = (0..2).map(|i| noise(8 << 20, 200 + i)).collect();
    for (i, b) in bulk.iter().enumerate() {
        entries.push(file(format!("bulk/{i}"), 0o644, b));
    }
    let input = write_image(dir.path(), &[layer(&entries)], "pipe/app:1");
    let mut child = common::cli()
        .args(["plan", input.to_str().unwrap(), "--export", "-"])
        .args(["--export-include", "bulk/**"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Read the first 2 MiB, then stop reading: the writer blocks.
    let mut head = vec![0u8; 2 << 20];
    stdout.read_exact(&mut head).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_one_line_exit_2(&o, "interrupted: the export is incomplete");
    // It stopped early: not the whole archive.
    assert!(
        ((head.len() + rest.len()) as u64) < 16 << 20,
        "{} bytes written",
        head.len() + rest.len()
    );
}

/// The export reads every kind of source again the way the load reads it:
/// OCI layouts (compressed blobs), OCI archives, and docker archives
/// compressed as a whole (streamed twice).
#[test]
fn every_source_kind_exports_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_image();
    let want = {
        let input = write_image(dir.path(), &layers, "rich/app:1");
        load(input.to_str().unwrap())
    };
    let layout = dir.path().join("layout");
    common::oci_dir(&layout, &layers, "v1", common::Comp::Zstd);
    let oci_archive = dir.path().join("oci.tar");
    std::fs::write(
        &oci_archive,
        common::oci_archive(&layers, "v1", common::Comp::Gzip),
    )
    .unwrap();
    let gz = dir.path().join("whole.tar.gz");
    std::fs::write(
        &gz,
        common::compress(
            &common::docker_legacy_with_config(&layers, "rich/app:1", &config(&layers)),
            common::Comp::Gzip,
        ),
    )
    .unwrap();
    for source in [
        format!("oci:{}:v1", layout.display()),
        format!("oci-archive:{}", oci_archive.display()),
        format!("docker-archive:{}", gz.display()),
    ] {
        exported_whole(&source, dir.path(), &["--tag", "x/y:z"], &want);
    }
}

/// A cancelled read ends (it used to retry its own "cancelled" error, an
/// `Interrupted` one, forever), whether the cancel comes before the first
/// bytes or in the middle of the layer.
#[test]
fn a_cancelled_layer_read_ends() {
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Sets the flag once `after` bytes have been read.
    struct SetAfter<'a> {
        inner: std::io::Cursor<Vec<u8>>,
        flag: &'a AtomicBool,
        after: u64,
    }
    impl std::io::Read for SetAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            if self.inner.position() >= self.after {
                self.flag.store(true, Ordering::Relaxed);
            }
            Ok(n)
        }
    }
    for after in [0u64, 4096, 600_000] {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let cancel = AtomicBool::new(after == 0);
            let data = rich_image().remove(0);
            let r = stagediff::image::blob::parse_layer(
                SetAfter {
                    inner: std::io::Cursor::new(data),
                    flag: &cancel,
                    after,
                },
                "layer",
                None,
                stagediff::image::blob::BlobOptions {
                    verify: true,
                    cancel: Some(&cancel),
                    ..Default::default()
                },
            );
            let _ = tx.send(matches!(r, Err(stagediff::error::ErrorKind::Cancelled)));
        });
        let cancelled = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("the read cancelled after {after} bytes never ended"));
        assert!(cancelled, "cancelled after {after} bytes");
    }
}

/// `--tag` takes what `docker load` takes, and each refusal says which
/// half is wrong: no `:TAG`, a bad tag, a bad name.
#[test]
fn tags_are_checked_as_docker_load_checks_them() {
    use stagediff::export::check_tag;
    let long = "a".repeat(128);
    for good in [
        "app:1".to_string(),
        "rich/app:1-minimal".into(),
        "a.b/c_d/e-f:v1.2_3".into(),
        "localhost/app:1".into(),
        "localhost:5000/team/app:latest".into(),
        // The first part is a host (it has a `.` or `:`) only when a
        // name follows it; a host may have capitals.
        "Registry.Example.COM/app:x".into(),
        "my.app:1".into(),
        format!("app:{long}"),
    ] {
        assert_eq!(check_tag(&good), Ok(()), "{good}");
    }
    let no_tag = "NAME:TAG expected";
    let bad_tag = "a tag is 1 to 128 letters";
    let bad_name = "a name is lowercase letters";
    for (tag, why) in [
        ("app".to_string(), no_tag),
        // The colon of a registry's port is not a tag's.
        ("localhost:5000/app".into(), no_tag),
        ("host:/app".into(), no_tag),
        ("app:".into(), bad_tag),
        ("app:.x".into(), bad_tag),
        ("app:-x".into(), bad_tag),
        ("app:x y".into(), bad_tag),
        ("app:x/".into(), no_tag),
        ("app:\u{e9}".into(), bad_tag),
        (format!("app:{long}a"), bad_tag),
        ("App:1".into(), bad_name),
        ("/app:1".into(), bad_name),
        ("a//b:1".into(), bad_name),
        ("a/:1".into(), bad_name),
        ("-app:1".into(), bad_name),
        ("app-:1".into(), bad_name),
        ("a/b c:1".into(), bad_name),
        // One part alone is a name, never a host, whatever it holds.
        ("My.app:1".into(), bad_name),
        ("LOCALHOST/app:1".into(), bad_name),
        // A host is letters, digits, `.`, `-` and `:`; only the first part is one.
        ("reg_x.io/app:1".into(), bad_name),
        ("reg.io/Team.x/app:1".into(), bad_name),
        ("reg.io/a:b/app:1".into(), bad_name),
    ] {
        match check_tag(&tag) {
            Err(e) => assert!(e.contains(why), "{tag}: {e}"),
            Ok(()) => panic!("{tag} was accepted"),
        }
    }
    // The refusal quotes the tag escaped.
    let e = check_tag("app\u{1b}[2J").unwrap_err();
    assert!(!e.contains('\u{1b}'), "{e:?}");
}

/// The default tag: IMAGE's first tag, or its daemon name, with `-minimal`
/// after its tag (`latest` when it has none); a digest is dropped; none when
/// the result would not load.
#[test]
fn the_default_tag_is_the_images_own_with_minimal() {
    use stagediff::export::default_tag;
    use stagediff::image::Image;
    let tagged = |tags: &[&str]| {
        let mut i = Image::from_layers("/some/archive.tar", Vec::new());
        i.repo_tags = tags.iter().map(|t| t.to_string()).collect();
        default_tag(&i)
    };
    assert_eq!(
        tagged(&["rich/app:1", "other:2"]).as_deref(),
        Some("rich/app:1-minimal")
    );
    assert_eq!(tagged(&["app"]).as_deref(), Some("app:latest-minimal"));
    assert_eq!(
        tagged(&["localhost:5000/team/app"]).as_deref(),
        Some("localhost:5000/team/app:latest-minimal")
    );
    assert_eq!(
        tagged(&["localhost:5000/app:2.1"]).as_deref(),
        Some("localhost:5000/app:2.1-minimal")
    );
    assert_eq!(
        tagged(&["app:3@sha256:0123abcd"]).as_deref(),
        Some("app:3-minimal")
    );
    // A tag of 128 characters stays 128 long, its end cut.
    let long = "t".repeat(125);
    let cut = format!("app:{long}-mi");
    assert_eq!(tagged(&[&format!("app:{long}")]), Some(cut));
    // Nothing that would not load.
    assert_eq!(tagged(&["Bad Name:1"]), None);
    // No tags: the daemon's (or podman's) name, else nothing.
    let from = |reference: &str| default_tag(&Image::from_layers(reference, Vec::new()));
    assert_eq!(from("docker://app:3").as_deref(), Some("app:3-minimal"));
    assert_eq!(from("podman://web").as_deref(), Some("web:latest-minimal"));
    assert_eq!(from("docker-archive:/some/archive.tar"), None);
    assert_eq!(from("/some/archive.tar"), None);
}

/// A docker-save as `docker save` writes a layer used twice (a symlink to
/// the first copy), with every member typed `7` (contiguous, a regular file
/// to every reader) and a large config: the export reads it again, in place
/// and compressed as a whole (streamed), and writes the same tree.
#[test]
fn linked_and_contiguous_members_are_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_image();
    let want = load(
        write_image(dir.path(), &layers, "rich/app:1")
            .to_str()
            .unwrap(),
    );
    // Layer 1 again on top: the same tree.
    let used = [layers[0].clone(), layers[1].clone(), layers[1].clone()];
    // A config past the stream reader's first 256 KiB of a document.
    let mut cfg = config(&used);
    cfg.resize(300 << 10, b' ');
    let cfg_name = format!("{}.json", common::hex(&cfg));
    let mut t = common::Tarball::new();
    t.file("l0/layer.tar", &layers[0]);
    t.file("l1/layer.tar", &layers[1]);
    t.symlink("l2/layer.tar", "../l1/layer.tar");
    t.file(&cfg_name, &cfg);
    let manifest = serde_json::json!([{
        "Config": cfg_name,
        "RepoTags": ["rich/app:1"],
        "Layers": ["l0/layer.tar", "l1/layer.tar", "l2/layer.tar"],
    }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let mut bytes = t.finish();
    let mut pos = 0;
    let mut retyped = 0;
    while bytes[pos..pos + 512].iter().any(|&b| b != 0) {
        let mut h = tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&bytes[pos..pos + 512]);
        let size = h.entry_size().unwrap();
        if h.entry_type() == tar::EntryType::Regular {
            h.set_entry_type(tar::EntryType::Continuous);
            h.set_cksum();
            bytes[pos..pos + 512].copy_from_slice(h.as_bytes());
            retyped += 1;
        }
        pos += 512 + size.div_ceil(512) as usize * 512;
    }
    assert_eq!(retyped, 4);
    let plain = dir.path().join("linked.tar");
    std::fs::write(&plain, &bytes).unwrap();
    let gz = dir.path().join("linked.tar.gz");
    std::fs::write(&gz, common::compress(&bytes, common::Comp::Gzip)).unwrap();
    for source in [plain, gz] {
        let out = dir.path().join("out.tar");
        let o = plan(&[
            source.to_str().unwrap(),
            "--export",
            out.to_str().unwrap(),
            "--export-include",
            "**",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}",
            source.display(),
            stderr_of(&o)
        );
        let got = load(out.to_str().unwrap());
        assert!(got.image.verified);
        assert_same_tree(&want.tree, &got.tree);
    }
}

/// Streamed archives (compressed as a whole) whose layers are named by
/// digest (OCI) or without `.tar` (another writer's docker-save), down to
/// gzipped blobs of one tar block and less: the export reads each again as
/// a layer and writes the same tree.
#[test]
fn streamed_blobs_of_every_name_and_size_are_read_again() {
    use common::Comp;
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_image();
    let want = load(
        write_image(dir.path(), &layers, "rich/app:1")
            .to_str()
            .unwrap(),
    );
    let empty = layer(&[]);
    let tars = [
        layers[0].clone(),
        layers[1].clone(),
        empty.clone(),
        empty.clone(),
    ];
    let blobs = [
        layers[0].clone(),
        layers[1].clone(),
        common::gzip_of_exactly(&empty, 512),
        common::compress(&empty, Comp::Gzip),
    ];
    assert!(blobs[3].len() < 512);
    let names = common::unsuffixed_layer_names(blobs.len(), 3);
    let odd = common::docker_save_named(&names, &blobs, "odd:1", &config(&tars), true);
    let oci = common::oci_archive(&tars, "v1", Comp::Gzip);
    for (prefix, name, bytes) in [
        ("docker-archive:", "odd.tar.gz", odd),
        ("oci-archive:", "oci.tar.gz", oci),
    ] {
        let source = dir.path().join(name);
        std::fs::write(&source, common::compress(&bytes, Comp::Gzip)).unwrap();
        exported_whole(
            &format!("{prefix}{}", source.display()),
            dir.path(),
            &[],
            &want,
        );
    }
}

/// A hard link always brings the file it finally names (it holds the
/// content), through a link to a link too; nothing else comes with it.
#[test]
fn a_hard_link_brings_the_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let src = load(input.to_str().unwrap());
    let closure = stagediff::analysis::closure::closure(&src.image, &src.tree);
    let select = |include: &[&str]| {
        stagediff::export::select(
            &src.tree,
            &closure,
            &stagediff::export::Selection {
                include: include.iter().map(|s| s.to_string()).collect(),
                exclude: vec![],
            },
        )
    };
    let plain = select(&[]);
    assert!(plain.lookup(b"data/big.bin").is_none());
    // data/hard2 -> data/hard -> data/big.bin
    let t = select(&["data/hard2"]);
    assert_eq!(
        t.node(t.lookup(b"data/hard2").unwrap()).kind,
        EntryKind::HardLink
    );
    assert_eq!(
        t.node(t.lookup(b"data/big.bin").unwrap()).kind,
        EntryKind::File
    );
    assert!(t.lookup(b"data/rel").is_none(), "only what the link names");
}

/// Device nodes (the runtime makes /dev) and hard links to a file the image
/// lacks are left out of the export, and the report counts them.
#[test]
fn devices_and_dangling_hard_links_are_left_out_and_counted() {
    use tar::EntryType as K;
    let dir = tempfile::tempdir().unwrap();
    let l = layer(&[
        file("bin/app", 0o755, b"#!/bin/sh\n"),
        e("dev/null", K::Char, 0o666),
        e("dev/sda", K::Block, 0o660),
        link("data/dangling", K::Link, "data/nowhere"),
        file("data/kept", 0o644, b"kept"),
    ]);
    let input = write_image(dir.path(), &[l], "dev/app:1");
    let out = dir.path().join("out.tar");
    let o = plan(&[
        input.to_str().unwrap(),
        "--export",
        out.to_str().unwrap(),
        "--export-include",
        "**",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("left out  3 entries (device nodes, hard links to nothing)"),
        "{report}"
    );
    let t = load(out.to_str().unwrap()).tree;
    for gone in ["dev/null", "dev/sda", "data/dangling"] {
        assert!(t.lookup(gone.as_bytes()).is_none(), "{gone}");
    }
    assert!(t.lookup(b"data/kept").is_some());
}

/// Names and link targets at the header field's edge: 100 bytes fit the
/// field, 101 take a GNU long-name (long-link) entry; and at a block's
/// edge (512); all round-trip.
#[test]
fn names_of_100_and_101_bytes_round_trip() {
    use tar::EntryType as K;
    let dir = tempfile::tempdir().unwrap();
    let name = |n: usize| format!("d/{}", "n".repeat(n - 2));
    let mut entries = vec![file("bin/app", 0o755, b"#!/bin/sh\n")];
    // 512: the long name's data (the name and its NUL) takes one byte past a block.
    for n in [99, 100, 101, 511, 512] {
        entries.push(file(name(n), 0o644, n.to_string().as_bytes()));
    }
    // A directory's name gets a `/`: 99 + 1 fits, 100 + 1 does not.
    for n in [99, 100] {
        entries.push(e(
            format!("{}/", name(n).replace("d/", "e/")),
            K::Directory,
            0o755,
        ));
    }
    for n in [100, 101, 512] {
        entries.push(link(&format!("l/{n}"), K::Symlink, "t".repeat(n)));
        entries.push(link(&format!("h/{n}"), K::Link, name(n)));
    }
    let input = write_image(dir.path(), &[layer(&entries)], "edge/app:1");
    let src = load(input.to_str().unwrap());
    let out = dir.path().join("out.tar");
    let o = plan(&[
        input.to_str().unwrap(),
        "--export",
        out.to_str().unwrap(),
        "--export-include",
        "**",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let got = load(out.to_str().unwrap());
    assert!(got.image.verified);
    let n = assert_same_tree(&src.tree, &got.tree);
    assert!(n >= 19, "compared {n} nodes");
}

/// What write_archive says it wrote is what it wrote: the archive's bytes,
/// its entries and files; and in the layer a directory's name ends in `/`,
/// nothing else's does.
#[test]
fn the_export_counts_what_it_writes_and_names_directories_with_a_slash() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let src = load(input.to_str().unwrap());
    let tree = selected(&src, &["**"], &[]);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let req = request(input.to_str().unwrap(), &DEFAULT_LOAD, &src, &tree, &cancel);
    let mut sink = Vec::new();
    let x = stagediff::export::write_archive(&req, &mut sink).unwrap();
    assert_eq!(x.archive_bytes, sink.len() as u64);
    let nodes: Vec<NodeId> = tree
        .iter()
        .filter(|&id| id != stagediff::tree::ROOT)
        .collect();
    let kind = |k: EntryKind| nodes.iter().filter(|&&id| tree.node(id).kind == k).count() as u64;
    assert_eq!(x.entries, nodes.len() as u64);
    assert_eq!(x.files, kind(EntryKind::File));
    // The layer's own entries, as written.
    let mut outer = tar::Archive::new(&sink[..]);
    let mut layer_bytes = None;
    for m in outer.entries().unwrap() {
        let mut m = m.unwrap();
        if m.path_bytes().ends_with(b"layer.tar") {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut m, &mut v).unwrap();
            layer_bytes = Some(v);
        }
    }
    let layer_bytes = layer_bytes.expect("the layer member");
    let mut dirs = 0;
    for e in tar::Archive::new(&layer_bytes[..]).entries().unwrap() {
        let e = e.unwrap();
        let name = e.path_bytes().into_owned();
        let is_dir = e.header().entry_type() == tar::EntryType::Directory;
        assert_eq!(
            name.ends_with(b"/"),
            is_dir,
            "{}",
            String::from_utf8_lossy(&name)
        );
        dirs += u64::from(is_dir);
    }
    assert_eq!(dirs, kind(EntryKind::Dir));
}

/// ^C while the source is read again but before anything of the layer's
/// own is written (here: one file, no directory before it) is still
/// "interrupted", not a source error.
#[test]
fn a_cancel_during_the_second_read_is_an_interruption() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let src = load(input.to_str().unwrap());
    let tree = selected(&src, &["empty"], &["bin", "bin/**"]);
    // One file at the top: no directory header is written before the read.
    let paths: Vec<Vec<u8>> = tree
        .iter()
        .filter(|&id| id != stagediff::tree::ROOT)
        .map(|id| tree.path_of(id))
        .collect();
    assert_eq!(paths, [b"empty".to_vec()]);
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let req = request(input.to_str().unwrap(), &DEFAULT_LOAD, &src, &tree, &cancel);
    let e = stagediff::export::write_archive(&req, &mut Vec::new()).unwrap_err();
    assert!(
        matches!(e, stagediff::export::ExportError::Cancelled),
        "{e:?}"
    );
}

/// A file the tree wants that the second read never meets (here the tree
/// is another image's, with one file more) is named, not silently dropped.
#[test]
fn a_file_the_second_read_never_meets_is_named() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a_layers = rich_image();
    let a_input = write_image(a_dir.path(), &a_layers, "rich/app:1");
    let a = load(a_input.to_str().unwrap());
    let mut b_layers = a_layers.clone();
    b_layers[1] = layer(&[file("extra", 0o644, b"only in B")]);
    let b = load(
        write_image(b_dir.path(), &b_layers, "rich/app:2")
            .to_str()
            .unwrap(),
    );
    let tree = selected(&b, &["extra"], &[]);
    let e = failed_export(a_input.to_str().unwrap(), &DEFAULT_LOAD, &a, &tree);
    assert!(
        e.to_string()
            .contains("extra was not found in layer 2 on the second read"),
        "{e}"
    );
}

/// Without digest checks (`--no-verify`), a file whose bytes changed after
/// the load (same length) is still caught by its content hash.
#[test]
fn without_digests_a_changed_file_is_caught_by_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let opts = LoadOptions {
        verify: false,
        platform: None,
    };
    let src = stagediff::pipeline::load(input.to_str().unwrap(), &opts, &LoadProgress::default())
        .unwrap();
    let tree = selected(&src, &["data/big.bin"], &[]);
    flip_a_byte_of_big_bin(&input);
    let e = failed_export(input.to_str().unwrap(), &opts, &src, &tree);
    assert!(
        e.to_string()
            .contains("data/big.bin differs on the second read"),
        "{e}"
    );
}

/// The export stops writing at its first failed write: no further write is
/// tried (the file's other bytes, the next files), and the error says why.
#[test]
fn the_first_failed_write_is_the_last_one_tried() {
    struct FailAfter {
        left: usize,
        failed: usize,
    }
    impl std::io::Write for FailAfter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                self.failed += 1;
                return Err(std::io::Error::other("the disk is gone"));
            }
            let n = b.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write_image(dir.path(), &rich_image(), "rich/app:1");
    let src = load(input.to_str().unwrap());
    let tree = selected(&src, &["**"], &[]);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let req = request(input.to_str().unwrap(), &DEFAULT_LOAD, &src, &tree, &cancel);
    // Past the directories' headers, inside data/big.bin (1.5 MB).
    let mut out = FailAfter {
        left: 64 << 10,
        failed: 0,
    };
    let e = stagediff::export::write_archive(&req, &mut out).unwrap_err();
    assert!(
        matches!(e, stagediff::export::ExportError::Write(_)),
        "{e:?}"
    );
    assert_eq!(out.failed, 1, "writes tried after the first failure");
}
