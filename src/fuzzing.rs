//! Entry points for the coverage-guided fuzz targets in `fuzz/` and for the
//! regression tests that replay what they found (`tests/fuzz_regressions.rs`).
//!
//! Each function takes untrusted bytes and drives one parser the way the
//! loader does. They return `Err` with the error's message for input the
//! parser refuses; a panic, a hang or unbounded memory is the bug. Not a
//! stable API: hidden from the docs, free to change with the parsers.

use crate::analysis::{self, rpmdb, Rules};
use crate::image::blob::{parse_layer, BlobOptions};
use crate::image::entry::normalize_path;
use crate::image::resolve::{self, normalize_member, Selector, Store};
use crate::image::{capture, SourceKind};
use crate::image::{CapturedFile, Compression, Entry, EntryKind, Image, Layer, ParsedLayer};
use crate::source::{archive, LoadOptions, LoadProgress};
use crate::tree::FileTree;
use std::collections::HashMap;
use std::sync::OnceLock;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(Rules::builtin)
}

/// Squashes a loaded image and runs the analyses a command runs on it.
fn analyse(image: &Image) {
    let squashed = crate::tree::squash(&image.layers);
    let _ = analysis::waste(image, &squashed.changes, &squashed.tree);
    let _ = analysis::analyse_one(image, rules());
}

// ---------------------------------------------------------------------------
// 1. The outer archive.

/// An outer archive (docker-archive legacy, Docker ≥ 25 OCI-in-tar,
/// oci-archive; plain, gzip or zstd) through the loader `-` (stdin) uses.
/// A loaded image is squashed and analysed as well.
pub fn archive(bytes: &[u8], verify: bool) -> Result<usize, String> {
    let opts = LoadOptions {
        verify,
        platform: None,
    };
    let progress = LoadProgress::default();
    let image = archive::load_stream("fuzz", bytes, None, SourceKind::Stdin, &opts, &progress)
        .map_err(|e| e.to_string())?;
    analyse(&image);
    Ok(image.layers.len())
}

// ---------------------------------------------------------------------------
// 2. index.json / manifest.json / manifests / configs.

/// Members of an in-memory archive, looked up as the archive loader does
/// (by normalised member name).
struct MemStore(HashMap<String, Vec<u8>>);

impl Store for MemStore {
    fn read_small(&self, member: &str) -> Result<Option<Vec<u8>>, crate::ErrorKind> {
        Ok(self.0.get(&normalize_member(member)).cloned())
    }
}

/// The framing [`resolve`] reads: `FLAGS PLATFORM '|' NAME` then `NAME`,
/// `CONTENT` pairs, all separated by NUL bytes (JSON never holds a raw NUL).
/// `FLAGS` is one byte, `1` (bit 0 set: digests checked) or `0`.
pub fn encode_store(
    verify: bool,
    platform: Option<&str>,
    name: Option<&str>,
    members: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut out = vec![if verify { b'1' } else { b'0' }];
    out.extend_from_slice(platform.unwrap_or("").as_bytes());
    out.push(b'|');
    out.extend_from_slice(name.unwrap_or("").as_bytes());
    for (n, c) in members {
        out.push(0);
        out.extend_from_slice(n.as_bytes());
        out.push(0);
        out.extend_from_slice(c);
    }
    out
}

/// Plans an image from manifests and configs held in memory (framing as
/// [`encode_store`] writes it), then assembles it with empty layers.
pub fn resolve(input: &[u8]) -> Result<usize, String> {
    let mut parts = input.split(|&b| b == 0);
    let head = parts.next().unwrap_or_default();
    let verify = head.first().is_some_and(|f| f & 1 == 1);
    let sel_text = String::from_utf8_lossy(head.get(1..).unwrap_or_default());
    let (platform, name) = sel_text.split_once('|').unwrap_or((&sel_text, ""));
    let mut members = HashMap::new();
    while let (Some(n), Some(c)) = (parts.next(), parts.next()) {
        members.insert(normalize_member(&String::from_utf8_lossy(n)), c.to_vec());
    }
    let store = MemStore(members);
    let sel = Selector {
        name: (!name.is_empty()).then_some(name),
        platform: (!platform.is_empty()).then_some(platform),
        verify,
    };
    let plan = resolve::plan(&store, &sel).map_err(|e| e.to_string())?;
    let n = plan.layers.len();
    // The layers themselves are another target's business: empty ones of
    // the size the manifest gives.
    let parsed = plan
        .layers
        .iter()
        .take(4096)
        .map(|l| ParsedLayer {
            compression: Compression::None,
            raw_size: l.size.unwrap_or(0),
            raw_digest: None,
            diff_id: None,
            tar_size: 0,
            size: 0,
            entries: Default::default(),
            captured: Vec::new(),
            facts: Vec::new(),
        })
        .collect();
    let image = resolve::build_image("fuzz", SourceKind::OciArchive, plan, parsed, false)
        .map_err(|e| e.to_string())?;
    let _ = (image.platform(), image.size());
    Ok(n)
}

// ---------------------------------------------------------------------------
// 3. One layer blob.

/// A layer blob (plain, gzip or zstd tar) through the layer pipeline, with
/// digests computed or not.
pub fn layer(bytes: &[u8], verify: bool) -> Result<usize, String> {
    let opts = BlobOptions {
        verify,
        ..BlobOptions::default()
    };
    let parsed =
        parse_layer(bytes, "fuzz", Some(bytes.len() as u64), opts).map_err(|e| e.to_string())?;
    Ok(parsed.entries.len())
}

// ---------------------------------------------------------------------------
// 4. The tree squash.

/// What an op byte's low nibble makes; 15 starts a new layer.
const KINDS: [EntryKind; 15] = [
    EntryKind::File,
    EntryKind::Dir,
    EntryKind::Symlink,
    EntryKind::HardLink,
    EntryKind::Whiteout,
    EntryKind::OpaqueWhiteout,
    EntryKind::File,
    EntryKind::Dir,
    EntryKind::CharDevice,
    EntryKind::BlockDevice,
    EntryKind::Fifo,
    EntryKind::File,
    EntryKind::Dir,
    EntryKind::Symlink,
    EntryKind::HardLink,
];
const NEW_LAYER: u8 = 15;
const MAX_LAYERS: usize = 128;

struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
    fn short(&mut self) -> &'a [u8] {
        let n = self.byte().unwrap_or(0);
        self.take(n.into())
    }
}

/// Layers of entries from bytes: per entry an op byte (low nibble: kind,
/// 15 = next layer; high nibble: mode bits), a length-prefixed path, and
/// for links a length-prefixed target, for files a 16-bit size. Paths are
/// normalised as the tar walker does; names are otherwise arbitrary.
pub fn decode_layers(input: &[u8]) -> Vec<Vec<Entry>> {
    let mut r = Bytes(input);
    let mut layers = vec![Vec::new()];
    while let Some(op) = r.byte() {
        let nib = op & 0x0f;
        if nib == NEW_LAYER {
            if layers.len() < MAX_LAYERS {
                layers.push(Vec::new());
            }
            continue;
        }
        let kind = KINDS[usize::from(nib)];
        let mut path = normalize_path(r.short());
        if kind == EntryKind::Whiteout && op & 0x80 != 0 {
            // The walker strips `.wh.` from a normalised last component, so
            // `.wh..` and `.wh...` delete `.` and `..`.
            let mut p = path.into_vec();
            if !p.is_empty() {
                p.push(b'/');
            }
            p.extend_from_slice(if op & 0x40 != 0 { b".." } else { b"." });
            path = p.into();
        }
        // Entries the walker never makes: a whiteout of the root, the root
        // as a directory.
        if path.is_empty() && matches!(kind, EntryKind::Whiteout | EntryKind::Dir) {
            continue;
        }
        let link = match kind {
            EntryKind::Symlink => Some(Box::from(r.short())),
            EntryKind::HardLink => Some(normalize_path(r.short())),
            _ => None,
        };
        let size = match kind {
            EntryKind::File => {
                let s = r.take(2);
                u64::from(s.first().copied().unwrap_or(0)) << 8
                    | u64::from(s.get(1).copied().unwrap_or(0))
            }
            EntryKind::Symlink => link.as_ref().map_or(0, |l| l.len() as u64),
            _ => 0,
        };
        let mode = match kind {
            EntryKind::Dir => 0o755,
            _ => 0o644,
        } | (u32::from(op >> 4) << 9);
        let hash = (kind == EntryKind::File)
            .then(|| crate::image::ContentHash(u128::from(op) << 64 | u128::from(size)));
        let device = matches!(kind, EntryKind::CharDevice | EntryKind::BlockDevice)
            .then_some((u32::from(op), 1));
        if let Some(l) = layers.last_mut() {
            l.push(Entry {
                path,
                kind,
                size,
                mode,
                uid: 0,
                gid: 0,
                link,
                hash,
                device,
                flags: op >> 4,
            });
        }
    }
    layers
}

/// The inverse of [`decode_layers`] (paths and targets longer than 255
/// bytes are cut), to seed the squash corpus from real layers.
pub fn encode_layers(layers: &[Vec<Entry>]) -> Vec<u8> {
    let mut out = Vec::new();
    let short = |out: &mut Vec<u8>, b: &[u8]| {
        let b = &b[..b.len().min(255)];
        out.push(b.len() as u8);
        out.extend_from_slice(b);
    };
    for (i, layer) in layers.iter().enumerate() {
        if i > 0 {
            out.push(NEW_LAYER);
        }
        for e in layer {
            let Some(nib) = KINDS.iter().position(|&k| k == e.kind) else {
                continue;
            };
            let high = ((e.mode >> 9) & 0x0f) as u8;
            out.push(nib as u8 | high << 4);
            short(&mut out, &e.path);
            if let Some(l) = &e.link {
                short(&mut out, l);
            } else if matches!(e.kind, EntryKind::Symlink | EntryKind::HardLink) {
                out.push(0);
            }
            if e.kind == EntryKind::File {
                let s = e.size.min(0xffff) as u16;
                out.extend_from_slice(&s.to_be_bytes());
            }
        }
    }
    out
}

/// Squashes layers decoded from `input` ([`decode_layers`]), computes the
/// waste and resolves every path and link target the layers name.
pub fn squash(input: &[u8]) -> usize {
    let layers = decode_layers(input);
    let mut tree = FileTree::new();
    let mut changes = Vec::with_capacity(layers.len());
    for (i, entries) in layers.iter().enumerate() {
        changes.push(tree.apply_layer(i as u32, &entries.iter().collect()));
    }
    tree.rollup();
    for e in layers.iter().flatten() {
        let _ = tree.resolve(&e.path);
        let _ = tree.lookup(&e.path);
        if let Some(l) = &e.link {
            let _ = tree.resolve(l);
            let _ = analysis::owners::find_listed(&tree, l);
        }
    }
    let mut visited = 0usize;
    for id in tree.iter() {
        let _ = tree.path_of(id);
        visited += 1;
    }
    let _ = tree.largest_files(16);
    let image = Image::from_layers(
        "fuzz",
        layers
            .into_iter()
            .enumerate()
            .map(|(i, e)| Layer::from_entries(i, e))
            .collect(),
    );
    let w = analysis::waste(&image, &changes, &tree);
    let _ = w.efficiency();
    visited
}

// ---------------------------------------------------------------------------
// 5. Package databases that live in the tree.

/// A one-layer image holding `files` (path, content), their contents
/// captured as the layer walk captures them, plus the directories above
/// them and merged-/usr symlinks; then squashed and analysed.
fn image_with(files: Vec<(Vec<u8>, Vec<u8>)>, extra: &[&[u8]]) -> Image {
    let mut entries = vec![
        dir_entry(b"usr"),
        dir_entry(b"usr/bin"),
        dir_entry(b"usr/lib"),
        link_entry(b"bin", b"usr/bin"),
        link_entry(b"lib", b"usr/lib"),
    ];
    let mut captured: Vec<CapturedFile> = Vec::new();
    for p in extra {
        entries.push(file_entry(&normalize_path(p), 1));
    }
    for (path, content) in files {
        let path = normalize_path(&path);
        if path.is_empty() {
            continue;
        }
        entries.push(file_entry(&path, content.len() as u64));
        if capture::wants(&path, content.len() as u64) {
            captured.retain(|c| c.path != path);
            captured.push(CapturedFile {
                path,
                content: content.into_boxed_slice(),
            });
        }
    }
    captured.sort_by(|a, b| a.path.cmp(&b.path));
    let mut layer = Layer::from_entries(0, entries);
    layer.captured = captured;
    let image = Image::from_layers("fuzz", vec![layer]);
    analyse(&image);
    image
}

fn dir_entry(path: &[u8]) -> Entry {
    Entry::bare(path, EntryKind::Dir)
}

fn link_entry(path: &[u8], target: &[u8]) -> Entry {
    Entry {
        kind: EntryKind::Symlink,
        size: target.len() as u64,
        link: Some(target.into()),
        ..dir_entry(path)
    }
}

fn file_entry(path: &[u8], size: u64) -> Entry {
    Entry {
        kind: EntryKind::File,
        size,
        mode: 0o644,
        hash: Some(crate::image::ContentHash(u128::from(size))),
        ..dir_entry(path)
    }
}

fn lines(text: &[u8]) -> Vec<&[u8]> {
    text.split(|&b| b == b'\n').take(4096).collect()
}

/// dpkg: `input` is a `status` file, then NUL-separated `.list` files that
/// go to the status's packages in order (`NAME:ARCH.list` for every other
/// one). The first `.list` doubles as a distroless `status.d` md5sums.
/// Parsed directly, then as part of an image whose files the lists name.
pub fn dpkg(input: &[u8]) -> usize {
    let mut parts = input.split(|&b| b == 0);
    let status = parts.next().unwrap_or_default();
    let packages = analysis::owners::parse_dpkg_status(status);
    let mut files = vec![
        (b"var/lib/dpkg/status".to_vec(), status.to_vec()),
        (b"var/lib/dpkg/status.d/base".to_vec(), status.to_vec()),
    ];
    let mut listed = Vec::new();
    for (i, (p, list)) in packages.iter().zip(parts).enumerate() {
        let mut name = b"var/lib/dpkg/info/".to_vec();
        name.extend_from_slice(&p.name);
        if i % 2 == 1 {
            name.push(b':');
            name.extend_from_slice(&p.architecture);
        }
        name.extend_from_slice(b".list");
        files.push((name, list.to_vec()));
        if i == 0 {
            files.push((
                b"var/lib/dpkg/status.d/base.md5sums".to_vec(),
                list.to_vec(),
            ));
        }
        listed.extend(lines(list));
    }
    image_with(files, &listed);
    packages.len()
}

/// apk's `installed`, parsed directly and as part of an image holding the
/// files it names.
pub fn apk(input: &[u8]) -> usize {
    let packages = analysis::owners::parse_apk_installed(input);
    let names: Vec<Vec<u8>> = packages
        .iter()
        .flat_map(|p| p.files.iter().chain(&p.dirs))
        .take(4096)
        .cloned()
        .collect();
    let names: Vec<&[u8]> = names.iter().map(|n| &n[..]).collect();
    image_with(
        vec![(b"lib/apk/db/installed".to_vec(), input.to_vec())],
        &names,
    );
    packages.len()
}

/// Python: `input` is `METADATA`, `RECORD` and `installed-files.txt`,
/// NUL-separated; parsed directly, then as a dist-info and an egg-info in a
/// site-packages directory of an image holding the files they name.
pub fn python(input: &[u8]) -> usize {
    let mut parts = input.split(|&b| b == 0);
    let metadata = parts.next().unwrap_or_default();
    let record = parts.next().unwrap_or_default();
    let installed = parts.next().unwrap_or_default();
    let _ = analysis::python::parse_metadata(metadata);
    let site: &[u8] = b"usr/lib/python3/site-packages";
    let rows = analysis::python::parse_record(record);
    let legacy = analysis::python::parse_installed_files(installed);
    let mut targets: Vec<Box<[u8]>> = Vec::new();
    for r in rows.iter().take(4096) {
        targets.push(analysis::python::record_target(site, r));
    }
    let egg_dir = [site, b"/old.egg-info"].concat();
    for l in legacy.iter().take(4096) {
        targets.push(analysis::python::record_target(&egg_dir, l));
    }
    let dist = [site, b"/pkg-1.0.dist-info"].concat();
    let files = vec![
        ([&dist[..], b"/METADATA"].concat(), metadata.to_vec()),
        ([&dist[..], b"/RECORD"].concat(), record.to_vec()),
        ([&egg_dir[..], b"/PKG-INFO"].concat(), metadata.to_vec()),
        (
            [&egg_dir[..], b"/installed-files.txt"].concat(),
            installed.to_vec(),
        ),
    ];
    let names: Vec<&[u8]> = targets.iter().map(|t| &t[..]).collect();
    image_with(files, &names);
    rows.len() + legacy.len()
}

// ---------------------------------------------------------------------------
// 6. rpm.

/// One rpm header blob.
pub fn rpm_header(input: &[u8]) -> Result<usize, String> {
    let p = rpmdb::parse_header(input).map_err(|e| e.to_string())?;
    let _ = p.evr();
    Ok(p.files.len())
}

/// An rpm sqlite database (rpm ≥ 4.16), read from memory; when it reads,
/// also as `rpmdb.sqlite` inside an image.
pub fn rpm_sqlite(input: &[u8]) -> Result<usize, String> {
    let _ = rpmdb::is_sqlite(input);
    let db = rpmdb::read_sqlite(input).map_err(|e| e.to_string())?;
    image_with(
        vec![(
            b"usr/lib/sysimage/rpm/rpmdb.sqlite".to_vec(),
            input.to_vec(),
        )],
        &[],
    );
    Ok(db.packages.len())
}

/// rpm's Berkeley DB `Packages` (rpm < 4.16): the hash-file walker alone,
/// then the package reader; when it reads, also inside an image.
pub fn rpm_bdb(input: &[u8]) -> Result<usize, String> {
    let mut pairs = 0usize;
    let walked = analysis::bdb::for_each_pair(input, |k, v| {
        pairs += k.len().min(1) + v.len().min(1);
    });
    let db = rpmdb::read_bdb(input).map_err(|e| e.to_string());
    if walked.is_ok() != db.is_ok() {
        // Both walk the same file the same way.
        panic!("bdb walk and rpm read disagree on whether the file reads");
    }
    let db = db?;
    image_with(
        vec![(b"var/lib/rpm/Packages".to_vec(), input.to_vec())],
        &[],
    );
    Ok(db.packages.len() + pairs.min(1))
}

// ---------------------------------------------------------------------------
// 7. Build info inside binaries.

/// Go build info: the input is the file's bytes from the magic on. The input doubles as the
/// binary's memory for the pre-1.18 pointer layout (virtual address N is input byte N), so
/// the fuzzer can aim the pointers at string headers of its own. The aligned-magic search
/// runs over the input too, from a base the first byte picks.
pub fn go_buildinfo(input: &[u8]) -> Result<usize, String> {
    use crate::binary::go;
    let base = u64::from(input.first().copied().unwrap_or(0));
    let _ = go::find_magic(input, base);
    let read_at = |addr: u64, len: usize| {
        let start = usize::try_from(addr).ok()?;
        let end = start.checked_add(len)?.min(input.len());
        input.get(start..end).map(<[u8]>::to_vec)
    };
    let window = &input[..input.len().min(go::WINDOW + 32)];
    let info = go::GoBuildInfo::parse(window, &read_at)?;
    let _ = (
        info.cgo_enabled(),
        info.trimpath(),
        info.vcs_revision(),
        info.summary(),
    );
    Ok(info.deps.len() + 1)
}

/// cargo-auditable's `.dep-v0` section (zlib-compressed JSON).
pub fn rust_dep_v0(input: &[u8]) -> Result<usize, String> {
    crate::binary::rust::parse_dep_v0(input).map(|p| p.len())
}

/// The streamed ELF reader and the closure over what it read: the input
/// is one file's bytes, fed in slices whose size the first byte sets. The
/// facts it gives become those of `/app` in an image whose every needed
/// name (and loader) is a symlink back to `/app`, and the closure of that
/// image's entrypoint is computed: loops, self-needs and hostile names all
/// in one. Returns the closure's size, 0 when the input was no ELF file.
pub fn elf(input: &[u8]) -> usize {
    use crate::image::{Entry, EntryKind};
    let piece = usize::from(input.first().copied().unwrap_or(1)).max(1) * 7;
    let mut sniffer = crate::binary::Sniffer::new(input.len() as u64);
    for c in input.chunks(piece) {
        sniffer.feed(c);
    }
    let Some(facts) = sniffer.finish() else {
        return 0;
    };
    let entry = |path: &[u8], kind: EntryKind, link: Option<&[u8]>| Entry {
        path: crate::image::entry::normalize_path(path),
        kind,
        size: 1,
        mode: 0o755,
        uid: 0,
        gid: 0,
        link: link.map(Into::into),
        hash: None,
        device: None,
        flags: 0,
    };
    let mut entries = vec![entry(b"app", EntryKind::File, None)];
    if let Some(e) = facts.elf() {
        let names = e.needed.iter().chain(e.interp.iter()).take(64);
        for n in names {
            let mut p = b"lib/".to_vec();
            p.extend_from_slice(n);
            entries.push(entry(&p, EntryKind::Symlink, Some(b"/app")));
        }
    }
    let mut layer = Layer::from_entries(0, entries);
    layer.facts = vec![(b"app".as_slice().into(), facts)];
    let mut image = Image::from_layers("fuzz", vec![layer]);
    image.config.entrypoint = vec!["/app".into()];
    image.config.env = vec!["LD_LIBRARY_PATH=/lib:$ORIGIN".into()];
    let tree = crate::tree::squash(&image.layers).tree;
    let c = analysis::closure::closure(&image, &tree);
    let _ = analysis::plan::describe(&c, &tree, &image);
    c.items.len()
}
