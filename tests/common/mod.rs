//! Builds real image files in test code: layer tars with every rule the tree
//! must honour, compressed three ways, packed as docker-save (legacy and
//! Docker ≥ 25), OCI layout directories and OCI archives.
#![allow(dead_code)]

pub mod ui_fixture;

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub fn sha(b: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(b))
}

pub fn hex(b: &[u8]) -> String {
    format!("{:x}", Sha256::digest(b))
}

/// One entry to write into a layer tar.
#[derive(Clone)]
pub enum T {
    Dir(&'static str),
    File(&'static str, &'static [u8]),
    /// A file whose name is raw bytes (non-UTF-8, escape codes, long names).
    RawFile(Vec<u8>, &'static [u8]),
    Mode(&'static str, &'static [u8], u32),
    Symlink(&'static str, &'static str),
    HardLink(&'static str, &'static str),
    /// Writes `DIR/.wh.NAME`.
    Whiteout(&'static str),
    /// Writes `DIR/.wh..wh..opq`.
    Opaque(&'static str),
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    h
}

fn wh_path(p: &str, opaque: bool) -> String {
    let (dir, name) = match p.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), p),
    };
    if opaque {
        format!("{p}/.wh..wh..opq")
    } else {
        format!("{dir}.wh.{name}")
    }
}

/// A layer tar, as docker writes them (GNU headers, long names via
/// `././@LongLink`, two zero blocks at the end).
pub fn layer(entries: &[T]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            T::Dir(p) => {
                let mut h = header(tar::EntryType::Directory, 0, 0o755);
                b.append_data(&mut h, format!("{p}/"), std::io::empty())
                    .unwrap();
            }
            T::File(p, c) => {
                let mut h = header(tar::EntryType::Regular, c.len() as u64, 0o644);
                b.append_data(&mut h, p, *c).unwrap();
            }
            T::Mode(p, c, m) => {
                let mut h = header(tar::EntryType::Regular, c.len() as u64, *m);
                b.append_data(&mut h, p, *c).unwrap();
            }
            T::RawFile(name, c) => {
                // Bypass path validation: write the raw name bytes.
                let mut h = header(tar::EntryType::Regular, c.len() as u64, 0o644);
                if name.len() < 100 {
                    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
                    h.set_cksum();
                    b.append(&h, *c).unwrap();
                } else {
                    let mut long =
                        header(tar::EntryType::GNULongName, name.len() as u64 + 1, 0o644);
                    long.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
                    long.set_cksum();
                    let mut data = name.clone();
                    data.push(0);
                    b.append(&long, &data[..]).unwrap();
                    h.as_gnu_mut().unwrap().name[..10].copy_from_slice(&name[..10]);
                    h.set_cksum();
                    b.append(&h, *c).unwrap();
                }
            }
            T::Symlink(p, t) => {
                let mut h = header(tar::EntryType::Symlink, 0, 0o777);
                b.append_link(&mut h, p, t).unwrap();
            }
            T::HardLink(p, t) => {
                let mut h = header(tar::EntryType::Link, 0, 0o644);
                b.append_link(&mut h, p, t).unwrap();
            }
            T::Whiteout(p) => {
                let mut h = header(tar::EntryType::Regular, 0, 0o644);
                b.append_data(&mut h, wh_path(p, false), std::io::empty())
                    .unwrap();
            }
            T::Opaque(p) => {
                let mut h = header(tar::EntryType::Regular, 0, 0o644);
                b.append_data(&mut h, wh_path(p, true), std::io::empty())
                    .unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Comp {
    Plain,
    Gzip,
    Zstd,
    /// Several gzip members back to back, as pigz and eStargz write them.
    GzipMembers,
    /// A skippable frame, then several zstd frames, as zstd:chunked does.
    ZstdFrames,
}

pub const ALL_COMP: [Comp; 5] = [
    Comp::Plain,
    Comp::Gzip,
    Comp::Zstd,
    Comp::GzipMembers,
    Comp::ZstdFrames,
];

/// `data` in three pieces (some may be empty), for the multi-part forms.
fn thirds(data: &[u8]) -> [&[u8]; 3] {
    let (a, rest) = data.split_at(data.len() / 3);
    let (b, c) = rest.split_at(rest.len() / 2);
    [a, b, c]
}

pub fn compress(data: &[u8], c: Comp) -> Vec<u8> {
    match c {
        Comp::Plain => data.to_vec(),
        Comp::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Comp::Zstd => zstd::encode_all(data, 3).unwrap(),
        Comp::GzipMembers => thirds(data)
            .iter()
            .flat_map(|part| compress(part, Comp::Gzip))
            .collect(),
        Comp::ZstdFrames => {
            // Skippable frames (magic 0x184D2A50..5F, little-endian size,
            // bytes) first, between the data frames and last, where
            // zstd:chunked keeps its manifest.
            let skippable = |magic: u32, meta: &[u8]| {
                let mut f = magic.to_le_bytes().to_vec();
                f.extend((meta.len() as u32).to_le_bytes());
                f.extend(meta);
                f
            };
            let mut out = skippable(0x184D_2A5E, b"lead");
            for part in thirds(data) {
                out.extend(zstd::encode_all(part, 1).unwrap());
                out.extend(skippable(0x184D_2A50, b"between"));
            }
            out.extend(skippable(0x184D_2A5F, b"chunked-manifest-lives-here"));
            out
        }
    }
}

/// `data` gzipped into exactly `len` bytes (a header extra field pads it).
pub fn gzip_of_exactly(data: &[u8], len: usize) -> Vec<u8> {
    let gz = |extra: Option<Vec<u8>>| {
        let mut b = flate2::GzBuilder::new();
        if let Some(x) = extra {
            b = b.extra(x);
        }
        let mut e = b.write(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let bare = gz(None).len();
    let out = gz(Some(vec![0; len - bare - 2]));
    assert_eq!(out.len(), len);
    out
}

pub fn media_type(c: Comp) -> &'static str {
    match c {
        Comp::Plain => "application/vnd.oci.image.layer.v1.tar",
        Comp::Gzip | Comp::GzipMembers => "application/vnd.oci.image.layer.v1.tar+gzip",
        Comp::Zstd | Comp::ZstdFrames => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

/// The image config for these layer tars; one empty-layer history entry
/// sits between the layers so pairing is exercised.
pub fn config(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let mut history = Vec::new();
    for i in 0..layers.len() {
        history.push(serde_json::json!({
            "created": "2024-01-01T00:00:00Z",
            "created_by": format!("/bin/sh -c layer-{i}"),
        }));
        if i == 0 {
            history.push(serde_json::json!({
                "created": "2024-01-01T00:00:00Z",
                "created_by": "/bin/sh -c #(nop)  ENV A=1",
                "empty_layer": true,
            }));
        }
    }
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": ["/app"],
            "Env": ["PATH=/usr/bin"],
            "ExposedPorts": {"8080/tcp": {}},
            "Labels": {"org.example": "yes"},
            "User": "1000"
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .unwrap()
}

pub struct Tarball(tar::Builder<Vec<u8>>);

impl Tarball {
    pub fn new() -> Self {
        Tarball(tar::Builder::new(Vec::new()))
    }
    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        let mut h = header(tar::EntryType::Regular, data.len() as u64, 0o644);
        self.0.append_data(&mut h, name, data).unwrap();
        self
    }
    pub fn dir(&mut self, name: &str) -> &mut Self {
        let mut h = header(tar::EntryType::Directory, 0, 0o755);
        self.0.append_data(&mut h, name, std::io::empty()).unwrap();
        self
    }
    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        let mut h = header(tar::EntryType::Symlink, 0, 0o777);
        self.0.append_link(&mut h, name, target).unwrap();
        self
    }
    pub fn finish(self) -> Vec<u8> {
        self.0.into_inner().unwrap()
    }
}

/// `docker save` before Docker 25: `<id>/layer.tar`, `<hex>.json`, `manifest.json`.
pub fn docker_legacy(layers: &[Vec<u8>], tag: &str) -> Vec<u8> {
    docker_legacy_with_config(layers, tag, &config(layers))
}

/// [`docker_legacy`] with the config given (named by its digest).
pub fn docker_legacy_with_config(layers: &[Vec<u8>], tag: &str, cfg: &[u8]) -> Vec<u8> {
    let cfg = cfg.to_vec();
    let cfg_name = format!("{}.json", hex(&cfg));
    let mut t = Tarball::new();
    let mut names = Vec::new();
    for l in layers {
        let id = hex(l);
        t.dir(&format!("{id}/"));
        t.file(&format!("{id}/VERSION"), b"1.0");
        t.file(&format!("{id}/json"), b"{}");
        t.file(&format!("{id}/layer.tar"), l);
        names.push(format!("{id}/layer.tar"));
    }
    t.file(&cfg_name, &cfg);
    let manifest = serde_json::json!([{ "Config": cfg_name, "RepoTags": [tag], "Layers": names }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    t.finish()
}

/// A docker-save archive whose layer members have the names given and come
/// in that order, each after a `VERSION` side file in its folder when
/// `with_version` is set; then the config (named by its digest) and the
/// manifest. For member names and orders `docker save` itself never writes.
pub fn docker_save_named<S: AsRef<str>>(
    names: &[S],
    blobs: &[Vec<u8>],
    tag: &str,
    cfg: &[u8],
    with_version: bool,
) -> Vec<u8> {
    assert_eq!(names.len(), blobs.len());
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    let cfg_name = format!("{}.json", hex(cfg));
    let mut t = Tarball::new();
    for (name, blob) in names.iter().zip(blobs) {
        if with_version {
            let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
            t.file(&format!("{dir}/VERSION"), b"1.0");
        }
        t.file(name, blob);
    }
    t.file(&cfg_name, cfg);
    let manifest = serde_json::json!([{ "Config": cfg_name, "RepoTags": [tag], "Layers": names }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    t.finish()
}

/// Layer member names `l0/layer`, `l1/layer`, ... with no `.tar`, except
/// the one at `tar_at`, which is `l{tar_at}/layer.tar`.
pub fn unsuffixed_layer_names(count: usize, tar_at: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("l{i}/layer{}", if i == tar_at { ".tar" } else { "" }))
        .collect()
}

/// The parts of an OCI image: blobs by digest, and the manifest's digest.
pub struct OciParts {
    pub blobs: Vec<(String, Vec<u8>)>,
    pub manifest_digest: String,
    pub manifest_size: usize,
    pub config_digest: String,
    pub layer_digests: Vec<String>,
}

pub fn oci_parts(layers: &[Vec<u8>], comp: Comp) -> OciParts {
    oci_parts_for(layers, comp, "amd64")
}

/// [`oci_parts`] of an image whose config says `arch` (for indexes of
/// several platforms: each manifest's config names its own).
pub fn oci_parts_for(layers: &[Vec<u8>], comp: Comp, arch: &str) -> OciParts {
    let mut cfg = config(layers);
    if arch != "amd64" {
        // The same bytes as every other format's config for amd64.
        let mut c: serde_json::Value = serde_json::from_slice(&cfg).unwrap();
        c["architecture"] = serde_json::json!(arch);
        cfg = serde_json::to_vec(&c).unwrap();
    }
    let mut blobs = vec![(hex(&cfg), cfg.clone())];
    let mut descs = Vec::new();
    let mut layer_digests = Vec::new();
    for l in layers {
        let stored = compress(l, comp);
        descs.push(serde_json::json!({
            "mediaType": media_type(comp),
            "digest": sha(&stored),
            "size": stored.len(),
        }));
        layer_digests.push(sha(&stored));
        blobs.push((hex(&stored), stored));
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha(&cfg),
            "size": cfg.len(),
        },
        "layers": descs,
    }))
    .unwrap();
    let manifest_digest = sha(&manifest);
    let manifest_size = manifest.len();
    blobs.push((hex(&manifest), manifest));
    OciParts {
        blobs,
        manifest_digest,
        manifest_size,
        config_digest: sha(&cfg),
        layer_digests,
    }
}

pub fn oci_index(p: &OciParts, ref_name: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": p.manifest_digest,
            "size": p.manifest_size,
            "platform": {"os": "linux", "architecture": "amd64"},
            "annotations": {
                "io.containerd.image.name": format!("docker.io/library/{ref_name}"),
                "org.opencontainers.image.ref.name": ref_name.rsplit(':').next().unwrap(),
            }
        }]
    }))
    .unwrap()
}

/// `docker save` from Docker ≥ 25: an OCI layout in a tar, plus manifest.json.
pub fn docker_oci(layers: &[Vec<u8>], tag: &str, comp: Comp) -> Vec<u8> {
    let p = oci_parts(layers, comp);
    let mut t = Tarball::new();
    t.dir("blobs/").dir("blobs/sha256/");
    for (h, data) in &p.blobs {
        t.file(&format!("blobs/sha256/{h}"), data);
    }
    t.file("index.json", &oci_index(&p, tag));
    let layer_paths: Vec<String> = p
        .layer_digests
        .iter()
        .map(|d| format!("blobs/sha256/{}", d.trim_start_matches("sha256:")))
        .collect();
    let manifest = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", p.config_digest.trim_start_matches("sha256:")),
        "RepoTags": [tag],
        "Layers": layer_paths,
    }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    t.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    t.finish()
}

/// An OCI archive as skopeo writes it (no manifest.json).
pub fn oci_archive(layers: &[Vec<u8>], tag: &str, comp: Comp) -> Vec<u8> {
    let p = oci_parts(layers, comp);
    let mut t = Tarball::new();
    t.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    t.file("index.json", &oci_index(&p, tag));
    for (h, data) in &p.blobs {
        t.file(&format!("blobs/sha256/{h}"), data);
    }
    t.finish()
}

/// Writes an OCI layout directory.
pub fn oci_dir(dir: &Path, layers: &[Vec<u8>], tag: &str, comp: Comp) {
    let p = oci_parts(layers, comp);
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    for (h, data) in &p.blobs {
        std::fs::write(dir.join("blobs/sha256").join(h), data).unwrap();
    }
    std::fs::write(dir.join("index.json"), oci_index(&p, tag)).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// Three layers exercising whiteouts, opaque dirs, replacement, links.
pub fn rich_layers() -> Vec<Vec<u8>> {
    vec![
        layer(&[
            T::Dir("etc"),
            T::File("etc/os-release", b"ID=debian\n"),
            T::File("etc/remove-me", b"0123456789"),
            T::Dir("opt"),
            T::Dir("opt/old"),
            T::File("opt/old/a", b"aaaa"),
            T::File("opt/old/b", b"bbbb"),
            T::Dir("usr"),
            T::Dir("usr/bin"),
            T::File("usr/bin/busybox", b"\x7fELF-busybox-binary"),
            T::HardLink("usr/bin/sh", "usr/bin/busybox"),
            T::Symlink("bin", "usr/bin"),
            T::File("replace", b"file-then-dir"),
        ]),
        layer(&[
            T::Whiteout("etc/remove-me"),
            T::Opaque("opt/old"),
            T::File("opt/old/new", b"new!"),
            T::Dir("replace"),
            T::File("replace/inner", b"x"),
            T::Mode("usr/bin/su", b"setuid", 0o4755),
        ]),
        layer(&[
            T::File("app", b"the-app-binary"),
            T::RawFile(b"../escape".to_vec(), b"up"),
            T::RawFile(b"/abs/path".to_vec(), b"abs"),
            T::RawFile(b"caf\xe9".to_vec(), b"latin1"),
            T::RawFile(b"evil\x1b[2Jname".to_vec(), b"esc"),
            T::RawFile(
                format!("deep/{}/file", "x".repeat(150)).into_bytes(),
                b"long",
            ),
        ]),
    ]
}

/// A small deterministic generator (xorshift), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The directory of the real images (`STAGEDIFF_FIXTURES`, relative to the
/// crate unless absolute), for the end-to-end suites `scripts/e2e.sh` runs.
pub fn fixtures() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(
        std::env::var_os("STAGEDIFF_FIXTURES")
            .expect("set STAGEDIFF_FIXTURES to the fixtures dir (scripts/e2e.sh does)"),
    );
    if dir.is_absolute() {
        dir
    } else {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)
    }
}

/// The real binary, told to read no user config file (an existing
/// `~/.config/stagediff/config.toml` must not change a test).
pub fn cli() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_stagediff"));
    c.env(
        "STAGEDIFF_CONFIG",
        "/nonexistent/stagediff-test-config.toml",
    );
    c
}

/// Runs the real binary with colours off and no user config file (an
/// existing `~/.config/stagediff/config.toml` must not change a test);
/// returns the exit code, stdout and stderr.
pub fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = cli().args(args).env("NO_COLOR", "").output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Eliminated bytes and regular files computed from the two squashed trees
/// alone, without the comparison's statuses: every non-directory path of
/// BEFORE that AFTER does not have (as a directory for a directory, a
/// non-directory for a non-directory), minus the moves, which pair such
/// files one to one with AFTER-only files of the same non-empty content.
pub fn eliminated_from_trees(
    before: &stagediff::tree::FileTree,
    after: &stagediff::tree::FileTree,
) -> (u64, u32) {
    use stagediff::image::EntryKind;
    use stagediff::tree::{FileTree, NodeId};
    use std::collections::HashMap;
    // Path-matched iff the other tree has the path with the same
    // directory-ness and every parent is matched: a directory that became
    // a file leaves its whole subtree unmatched.
    fn unmatched(t: &FileTree, other: &FileTree) -> Vec<NodeId> {
        let mut out = Vec::new();
        for id in t.iter().filter(|&id| id != stagediff::tree::ROOT) {
            let path = t.path_of(id);
            let mut matched = true;
            let mut prefix: Vec<u8> = Vec::new();
            for comp in path.split(|&b| b == b'/') {
                if !prefix.is_empty() {
                    prefix.push(b'/');
                }
                prefix.extend_from_slice(comp);
                let mine = t.lookup(&prefix).map(|n| t.node(n).is_dir());
                let theirs = other.lookup(&prefix).map(|n| other.node(n).is_dir());
                if mine != theirs {
                    matched = false;
                    break;
                }
            }
            if !matched && !t.node(id).is_dir() {
                out.push(id);
            }
        }
        out
    }
    let only_before = unmatched(before, after);
    let only_after = unmatched(after, before);
    let movable = |t: &FileTree, id: NodeId| {
        let n = t.node(id);
        (n.kind == EntryKind::File && n.size > 0)
            .then_some(n.hash)
            .flatten()
    };
    let mut after_by_hash: HashMap<_, u32> = HashMap::new();
    for &id in &only_after {
        if let Some(h) = movable(after, id) {
            *after_by_hash.entry(h).or_default() += 1;
        }
    }
    let (mut bytes, mut files) = (0u64, 0u32);
    for &id in &only_before {
        let n = before.node(id);
        if let Some(left) = movable(before, id).and_then(|h| after_by_hash.get_mut(&h)) {
            if *left > 0 {
                *left -= 1;
                continue; // moved
            }
        }
        bytes += n.size;
        files += u32::from(n.kind == EntryKind::File);
    }
    (bytes, files)
}

/// The eliminated total is what the squashed trees say it is (computed
/// apart from the comparison), the buckets add up to it, bytes and files,
/// and each bucket's owners add up to the bucket. Which file lands in which
/// bucket is for the callers to check on known paths.
pub fn assert_exact_sums(c: &stagediff::analysis::Comparison) {
    let (tree_bytes, tree_files) = eliminated_from_trees(&c.before.tree, &c.after.tree);
    assert_eq!(
        (c.totals.eliminated_bytes, c.totals.eliminated_files),
        (tree_bytes, tree_files),
        "eliminated bytes and files, as reported and from the squashed trees"
    );
    let bytes: u64 = c.eliminated.iter().map(|b| b.bytes).sum();
    let files: u32 = c.eliminated.iter().map(|b| b.files).sum();
    assert_eq!(bytes, tree_bytes, "bucket bytes");
    assert_eq!(files, tree_files, "bucket files");
    for b in &c.eliminated {
        assert_eq!(
            b.owners.iter().map(|o| o.bytes).sum::<u64>(),
            b.bytes,
            "owners of {}",
            b.bucket
        );
        assert_eq!(
            b.owners.iter().map(|o| o.files).sum::<u32>(),
            b.files,
            "owners' files of {}",
            b.bucket
        );
    }
}
