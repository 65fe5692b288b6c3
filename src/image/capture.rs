//! Which file contents the single pass keeps: package databases and the small
//! marker files that name toolchains and dependencies. Everything else is
//! only hashed. Kept content is bounded per file and per layer.

use crate::image::entry::ImagePath;

/// Most bytes kept of one file.
pub const MAX_FILE: u64 = 16 << 20;
/// Most bytes kept of an rpm database: `rpmdb.sqlite` is 5–10 MB on a
/// Fedora base and 30–60 MB on a fat builder (a Berkeley DB `Packages`
/// somewhat more). Still within
/// [`MAX_PER_LAYER`], which bounds all of a layer's kept files together.
pub const MAX_RPMDB: u64 = 128 << 20;
/// Most bytes kept per layer, all files together.
pub const MAX_PER_LAYER: u64 = 256 << 20;
/// Most bytes kept per image, all layers together. With the per-layer
/// bound this caps what a load holds whatever the layer count: copies of a
/// path a later layer replaces are dropped as soon as that layer is read
/// (where the layer order is known before reading, as in archive files and
/// OCI layouts), and whatever would go past this limit is not kept (the
/// analysis then says which database it could not read).
pub const MAX_PER_IMAGE: u64 = 512 << 20;
/// Most tar entries per image, all layers together. Entries cost memory
/// (their metadata is kept), and a layer of identical headers compresses
/// so well that a few megabytes of zstd could otherwise hold billions.
pub const MAX_ENTRIES: u64 = 10_000_000;
/// Most bytes kept of a Python distribution's file list (`RECORD`,
/// `installed-files.txt`): pip's own is 80 kB, the biggest wheels' a few MB.
pub const MAX_RECORD: u64 = 8 << 20;
/// Most bytes kept of an app's `package-lock.json`: a big monorepo's is a
/// few MB.
pub const MAX_NPM_LOCK: u64 = 16 << 20;

/// A kept file: its normalised path and content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedFile {
    pub path: ImagePath,
    pub content: Box<[u8]>,
}

/// The kept files of one image's load, shared by the threads reading its
/// layers: it holds one copy of each path (the topmost layer's, once the
/// order is known) and no more than [`MAX_PER_IMAGE`] bytes in all,
/// counting contents still being read.
pub struct Keeper {
    limit: u64,
    max_entries: u64,
    entries: std::sync::atomic::AtomicU64,
    /// True when slots are layer positions (higher wins); false while the
    /// order is unknown (a stream whose manifest comes last): then every
    /// copy is held until [`Keeper::into_layers`] ranks them.
    ranked: bool,
    state: std::sync::Mutex<KeeperState>,
}

/// One kept copy of a path: the slot it came from, and its content.
type KeptCopy = (u32, Box<[u8]>);

#[derive(Default)]
struct KeeperState {
    /// Bytes held or promised to a file being read.
    held: u64,
    files: std::collections::HashMap<ImagePath, Vec<KeptCopy>>,
    /// Some file was not kept for the per-image limit.
    over_limit: bool,
}

impl Keeper {
    /// A keeper for a load whose slots are layer positions.
    pub fn ranked() -> Keeper {
        Keeper::new(MAX_PER_IMAGE, true)
    }

    /// A keeper for a stream: slots are read order, ranked at the end.
    pub fn unranked() -> Keeper {
        Keeper::new(MAX_PER_IMAGE, false)
    }

    pub fn new(limit: u64, ranked: bool) -> Keeper {
        Keeper::with_limits(limit, MAX_ENTRIES, ranked)
    }

    pub fn with_limits(limit: u64, max_entries: u64, ranked: bool) -> Keeper {
        Keeper {
            limit,
            max_entries,
            entries: std::sync::atomic::AtomicU64::new(0),
            ranked,
            state: std::sync::Mutex::new(KeeperState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, KeeperState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks to keep `size` bytes of `path` from `slot`, before reading them.
    /// No when a higher layer already holds the path, or when the image's
    /// limit would be passed.
    pub fn admit(&self, slot: u32, path: &[u8], size: u64) -> bool {
        let mut st = self.lock();
        if self.ranked {
            if let Some(copies) = st.files.get(path) {
                if copies.iter().any(|(s, _)| *s > slot) {
                    return false;
                }
            }
        }
        if st.held.saturating_add(size) > self.limit {
            st.over_limit = true;
            return false;
        }
        st.held += size;
        true
    }

    /// Counts `n` bytes held for the rest of the load (the facts read from
    /// a file's bytes). No when the image's limit would be passed.
    pub fn charge(&self, n: u64) -> bool {
        let mut st = self.lock();
        if st.held.saturating_add(n) > self.limit {
            st.over_limit = true;
            return false;
        }
        st.held += n;
        true
    }

    /// Hands over a file admitted with `reserved` bytes. A copy of a lower
    /// layer is dropped at once; a copy from a higher layer wins over this
    /// one.
    pub fn keep(&self, slot: u32, path: ImagePath, content: Box<[u8]>, reserved: u64) {
        let mut st = self.lock();
        st.held = st.held.saturating_sub(reserved) + content.len() as u64;
        let ranked = self.ranked;
        let copies = st.files.entry(path).or_default();
        let mut freed = 0u64;
        let mut keep_new = true;
        if ranked {
            copies.retain(|(s, c)| {
                if *s <= slot {
                    freed += c.len() as u64;
                    false
                } else {
                    keep_new = false;
                    true
                }
            });
        }
        if keep_new {
            copies.push((slot, content));
        } else {
            freed += content.len() as u64;
        }
        st.held = st.held.saturating_sub(freed);
    }

    /// Counts `n` more tar entries of the image; false once they pass the
    /// per-image limit.
    pub fn add_entries(&self, n: u64) -> bool {
        use std::sync::atomic::Ordering;
        self.entries.fetch_add(n, Ordering::Relaxed) + n <= self.max_entries
    }

    pub fn max_entries(&self) -> u64 {
        self.max_entries
    }

    /// Gives back bytes admitted but never kept (a read that failed).
    pub fn release(&self, reserved: u64) {
        let mut st = self.lock();
        st.held = st.held.saturating_sub(reserved);
    }

    /// Bytes held now (tests and benchmarks).
    pub fn held(&self) -> u64 {
        self.lock().held
    }

    /// Whether some file was left out for the per-image limit.
    pub fn over_limit(&self) -> bool {
        self.lock().over_limit
    }

    /// The kept files per layer, each list sorted by path: `position` maps
    /// a slot to the layer it ranks as (None: not a layer of the image).
    /// Of several copies of a path, the highest layer's is kept.
    pub fn into_layers(
        self,
        layers: usize,
        position: impl Fn(u32) -> Option<usize>,
    ) -> Vec<Vec<CapturedFile>> {
        let st = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<Vec<CapturedFile>> = (0..layers).map(|_| Vec::new()).collect();
        for (path, copies) in st.files {
            let best = copies
                .into_iter()
                .filter_map(|(s, c)| position(s).filter(|&p| p < layers).map(|p| (p, c)))
                .max_by_key(|(p, _)| *p);
            if let Some((p, content)) = best {
                out[p].push(CapturedFile { path, content });
            }
        }
        for l in &mut out {
            l.sort_by(|a, b| a.path.cmp(&b.path));
        }
        out
    }
}

fn name_of(path: &[u8]) -> &[u8] {
    crate::image::entry::split_parent(path).1
}

fn parent_name(path: &[u8]) -> &[u8] {
    name_of(crate::image::entry::split_parent(path).0)
}

/// rpm's databases where rpm keeps them: sqlite (rpm ≥ 4.16) and the
/// Berkeley DB `Packages` of older rpm.
pub fn is_rpmdb(path: &[u8]) -> bool {
    matches!(
        path,
        b"var/lib/rpm/rpmdb.sqlite"
            | b"usr/lib/sysimage/rpm/rpmdb.sqlite"
            | b"var/lib/rpm/Packages"
            | b"usr/lib/sysimage/rpm/Packages"
    )
}

/// Whether the content of a regular file at `path` of `size` bytes is kept.
pub fn wants(path: &[u8], size: u64) -> bool {
    if is_rpmdb(path) {
        return size <= MAX_RPMDB;
    }
    if size > MAX_FILE {
        return false;
    }
    let name = name_of(path);
    let small = size <= 256 * 1024;
    match path {
        b"var/lib/dpkg/status"
        | b"lib/apk/db/installed"
        | b"etc/os-release"
        | b"usr/lib/os-release" => return true,
        _ => {}
    }
    if path.starts_with(b"var/lib/dpkg/status.d/") {
        return true;
    }
    // How the loader and libc find libraries and NSS modules.
    if small
        && (path == b"etc/ld.so.conf"
            || path == b"etc/nsswitch.conf"
            || path.starts_with(b"etc/ld.so.conf.d/")
            || (path.starts_with(b"etc/ld-musl-") && path.ends_with(b".path")))
    {
        return true;
    }
    if path.starts_with(b"var/lib/dpkg/info/") {
        return name.ends_with(b".list");
    }
    let parent = parent_name(path);
    // What a Python distribution installed: who owns each file it lists.
    if (name == b"RECORD" && parent.ends_with(b".dist-info"))
        || (name == b"installed-files.txt" && parent.ends_with(b".egg-info"))
    {
        return size <= MAX_RECORD;
    }
    // An app's own npm manifests: what it depends on, and which installed
    // modules are devDependencies (the runtime closure of a Node app).
    if !has_node_modules_component(path) {
        if name == b"package-lock.json" || name == b"npm-shrinkwrap.json" {
            return size <= MAX_NPM_LOCK;
        }
        if name == b"package.json" && small {
            return true;
        }
    }
    if !small {
        return false;
    }
    // A virtualenv's marker: where its base interpreter lives.
    if name == b"pyvenv.cfg" && size <= 4096 {
        return true;
    }
    // Path files: directories a site adds to sys.path (editable installs).
    if name.ends_with(b".pth")
        && (parent == b"site-packages" || parent == b"dist-packages")
        && size <= 65536
    {
        return true;
    }
    // Toolchain markers: Go's VERSION, a JDK's `release`, rustup's
    // `multirust-channel-manifest` is too big; its directory names suffice.
    (name == b"VERSION" && size <= 4096)
        || (name == b"release" && size <= 65536)
        || (name == b"METADATA" && parent.ends_with(b".dist-info"))
        || (name == b"PKG-INFO" && parent.ends_with(b".egg-info"))
        || (name == b"package.json" && is_in_node_modules(path))
}

/// Whether some directory of `path` is a `node_modules`.
fn has_node_modules_component(path: &[u8]) -> bool {
    path.split(|&b| b == b'/').any(|c| c == b"node_modules")
}

fn is_in_node_modules(path: &[u8]) -> bool {
    // `…/node_modules/NAME/package.json` or `…/node_modules/@scope/NAME/package.json`.
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    let n = parts.len();
    (n >= 3 && parts[n - 3] == b"node_modules")
        || (n >= 4 && parts[n - 4] == b"node_modules" && parts[n - 3].starts_with(b"@"))
}

/// Facts read from the first bytes of a file during the pass.
pub mod flags {
    /// An ELF executable or library.
    pub const ELF: u8 = 1;
    /// Starts with `#!`.
    pub const SCRIPT: u8 = 2;
    /// PEM/OpenSSH private key header.
    pub const PRIVATE_KEY: u8 = 4;
    /// An `ar` archive (static library).
    pub const AR_ARCHIVE: u8 = 8;
}

/// Flags from the first bytes of a file.
pub fn sniff_flags(head: &[u8]) -> u8 {
    let mut f = 0;
    if head.starts_with(b"\x7fELF") {
        f |= flags::ELF;
    } else if head.starts_with(b"#!") {
        f |= flags::SCRIPT;
    } else if head.starts_with(b"!<arch>\n") {
        f |= flags::AR_ARCHIVE;
    }
    let probe = &head[..head.len().min(128)];
    if probe.starts_with(b"-----BEGIN ")
        && memchr::memmem::find(probe, b"PRIVATE KEY-----").is_some()
    {
        f |= flags::PRIVATE_KEY;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_package_databases_and_markers() {
        assert!(wants(b"var/lib/dpkg/status", 1 << 20));
        assert!(wants(b"var/lib/dpkg/info/libc6:amd64.list", 9000));
        assert!(!wants(b"var/lib/dpkg/info/libc6:amd64.md5sums", 9000));
        assert!(wants(b"var/lib/dpkg/status.d/base", 500));
        assert!(wants(b"lib/apk/db/installed", 50_000));
        assert!(wants(b"usr/lib/go-1.19/VERSION", 30));
        assert!(wants(
            b"app/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
            4000
        ));
        assert!(wants(
            b"venv/lib/python3.11/site-packages/pip-23.0.1.dist-info/RECORD",
            76_635
        ));
        assert!(wants(
            b"venv/lib/python3.11/site-packages/x-1.dist-info/RECORD",
            MAX_RECORD
        ));
        assert!(!wants(
            b"venv/lib/python3.11/site-packages/x-1.dist-info/RECORD",
            MAX_RECORD + 1
        ));
        assert!(!wants(b"venv/lib/python3.11/site-packages/x/RECORD", 100));
        assert!(wants(
            b"usr/lib/python3/dist-packages/MarkupSafe-2.1.5.egg-info/installed-files.txt",
            600
        ));
        assert!(wants(
            b"usr/lib/python3/dist-packages/MarkupSafe-2.1.5.egg-info/PKG-INFO",
            600
        ));
        assert!(wants(b"app/node_modules/left-pad/package.json", 700));
        assert!(wants(b"app/node_modules/@babel/core/package.json", 700));
        assert!(!wants(b"app/node_modules/left-pad/lib/package.json", 700));
        assert!(!wants(b"usr/bin/go", 30));
        assert!(wants(b"etc/ld.so.conf.d/x86_64-linux-gnu.conf", 100));
        assert!(wants(b"etc/ld-musl-x86_64.path", 100));
        // musl's path file by both its prefix and its suffix.
        assert!(!wants(b"etc/ld-musl-x86_64.path.bak", 100));
        assert!(!wants(b"etc/mtab.path", 100));
        // An egg's file list, by its name in an .egg-info directory only.
        assert!(!wants(
            b"usr/lib/python3/dist-packages/MarkupSafe-2.1.5.egg-info/SOURCES.txt",
            600
        ));
        assert!(!wants(b"srv/app/installed-files.txt", 600));
        // Metadata by its name in its own kind of directory only.
        assert!(!wants(b"srv/METADATA", 100));
        assert!(!wants(
            b"venv/lib/python3.11/site-packages/x-1.dist-info/LICENSE",
            100
        ));
        assert!(!wants(b"srv/PKG-INFO", 100));
        assert!(!wants(
            b"usr/lib/python3/dist-packages/MarkupSafe-2.1.5.egg-info/top_level.txt",
            100
        ));
        // A JDK's release file, up to 64 KiB.
        assert!(wants(b"usr/lib/jvm/java-17/release", 1500));
        assert!(wants(b"usr/lib/jvm/java-17/release", 65536));
        assert!(!wants(b"usr/lib/jvm/java-17/release", 65537));
        // A module's manifest however deep its node_modules lies.
        assert!(wants(b"srv/app/node_modules/x/package.json", 700));
        assert!(wants(b"srv/app/web/node_modules/@s/x/package.json", 700));
        assert!(wants(b"etc/nsswitch.conf", 500));
        assert!(!wants(b"etc/nsswitch.conf.bak", 500));
        assert!(!wants(b"var/lib/dpkg/status", MAX_FILE + 1));
        // rpm databases may be bigger, up to their own cap; their WAL and
        // shared-memory files, and other backends, are not kept.
        assert!(wants(b"usr/lib/sysimage/rpm/rpmdb.sqlite", 60 << 20));
        assert!(wants(b"var/lib/rpm/rpmdb.sqlite", MAX_RPMDB));
        assert!(!wants(b"var/lib/rpm/rpmdb.sqlite", MAX_RPMDB + 1));
        assert!(!wants(b"var/lib/rpm/rpmdb.sqlite-wal", 4096));
        assert!(wants(b"var/lib/rpm/Packages", 40 << 20));
        assert!(!wants(b"var/lib/rpm/Basenames", 4096));
        assert!(!wants(b"usr/lib/sysimage/rpm/Packages.db", 4096));
        assert!(!wants(b"opt/var/lib/rpm/rpmdb.sqlite", 4096));
    }

    #[test]
    fn keeps_an_apps_npm_manifests_and_venv_markers() {
        assert!(wants(b"app/package.json", 2000));
        assert!(wants(b"app/package.json", 256 * 1024));
        assert!(!wants(b"app/package.json", 256 * 1024 + 1));
        assert!(wants(b"package.json", 100));
        assert!(wants(b"app/package-lock.json", 5 << 20));
        assert!(wants(b"app/package-lock.json", MAX_NPM_LOCK));
        assert!(!wants(b"app/package-lock.json", MAX_NPM_LOCK + 1));
        assert!(wants(b"srv/npm-shrinkwrap.json", 1 << 20));
        // Inside node_modules only a module's own package.json is kept.
        assert!(!wants(b"app/node_modules/x/package-lock.json", 100));
        assert!(!wants(b"app/node_modules/x/lib/package.json", 100));
        assert!(!wants(b"app/node_modules/.package-lock.json", 100));
        assert!(!wants(b"app/package-lock.json.bak", 100));
        assert!(wants(
            b"venv/lib/python3.11/site-packages/__editable__.app-1.0.pth",
            20
        ));
        assert!(wants(b"usr/lib/python3/dist-packages/x.pth", 65536));
        assert!(!wants(b"usr/lib/python3/dist-packages/x.pth", 65537));
        assert!(!wants(b"venv/lib/python3.11/site-packages/pkg/x.pth", 20));
        assert!(wants(b"venv/pyvenv.cfg", 144));
        assert!(!wants(b"venv/pyvenv.cfg", 5000));
    }

    #[test]
    fn a_keeper_holds_the_topmost_copy_and_respects_its_limit() {
        let k = Keeper::new(100, true);
        let p = |s: &str| -> ImagePath { s.as_bytes().into() };
        assert!(k.admit(0, b"db", 40));
        k.keep(0, p("db"), vec![0; 40].into(), 40);
        assert!(k.admit(2, b"db", 40));
        k.keep(2, p("db"), vec![2; 40].into(), 40);
        // Layer 0's copy went as soon as layer 2's arrived.
        assert_eq!(k.held(), 40);
        // A lower layer read later is not even admitted.
        assert!(!k.admit(1, b"db", 40));
        assert!(!k.over_limit());
        assert!(k.admit(3, b"other", 60));
        assert!(!k.admit(3, b"third", 1));
        assert!(k.over_limit());
        k.release(60);
        assert_eq!(k.held(), 40);
        let layers = k.into_layers(4, |s| Some(s as usize));
        assert_eq!(layers[2].len(), 1);
        assert_eq!(&*layers[2][0].content, &[2u8; 40][..]);
        assert!(layers[0].is_empty() && layers[1].is_empty() && layers[3].is_empty());
    }

    #[test]
    fn facts_are_charged_against_the_same_limit_as_kept_files() {
        let k = Keeper::new(100, true);
        assert!(k.admit(0, b"db", 30));
        assert!(k.charge(50), "room for it");
        assert_eq!(k.held(), 80);
        // Up to the limit exactly, not past it.
        assert!(k.charge(20), "exactly at the limit");
        assert!(!k.over_limit());
        assert!(!k.charge(1), "one byte past the limit");
        assert!(k.over_limit());
        assert_eq!(k.held(), 100, "a refused charge holds nothing");
        assert!(!k.admit(1, b"more", 1), "and nothing more is admitted");
    }

    #[test]
    fn a_later_entry_of_a_path_in_the_same_layer_wins() {
        // A layer tar may hold a path twice; extracting it leaves the last.
        let k = Keeper::new(100, true);
        for content in [1u8, 2] {
            assert!(k.admit(3, b"db", 10), "copy {content} admitted");
            k.keep(3, b"db"[..].into(), vec![content; 10].into(), 10);
        }
        assert_eq!(k.held(), 10);
        let layers = k.into_layers(4, |s| Some(s as usize));
        assert_eq!(&*layers[3][0].content, &[2u8; 10][..]);
    }

    #[test]
    fn a_lower_copy_read_last_is_dropped_and_its_bytes_released() {
        // Both admitted while neither was kept; the higher layer finishes first.
        let k = Keeper::new(100, true);
        assert!(k.admit(1, b"db", 30));
        assert!(k.admit(2, b"db", 30));
        k.keep(2, b"db"[..].into(), vec![2; 30].into(), 30);
        k.keep(1, b"db"[..].into(), vec![1; 30].into(), 30);
        assert_eq!(k.held(), 30);
        let layers = k.into_layers(3, |s| Some(s as usize));
        assert_eq!(&*layers[2][0].content, &[2u8; 30][..]);
        assert!(layers[1].is_empty());
    }

    #[test]
    fn copies_of_slots_past_the_last_layer_are_dropped() {
        let k = Keeper::new(100, false);
        assert!(k.admit(0, b"db", 10));
        k.keep(0, b"db"[..].into(), vec![9; 10].into(), 10);
        // A slot that ranks as position 2 of a 2-layer image is no layer.
        let layers = k.into_layers(2, |_| Some(2));
        assert!(layers.iter().all(Vec::is_empty));
    }

    #[test]
    fn an_unranked_keeper_ranks_at_the_end() {
        let k = Keeper::new(1000, false);
        for slot in [5u32, 1, 3] {
            assert!(k.admit(slot, b"db", 10));
            k.keep(slot, b"db"[..].into(), vec![slot as u8; 10].into(), 10);
        }
        assert_eq!(k.held(), 30);
        // Slot 5 is not a layer of the image; slot 3 is layer 0, slot 1 layer 1.
        let layers = k.into_layers(2, |s| match s {
            3 => Some(0),
            1 => Some(1),
            _ => None,
        });
        assert_eq!(&*layers[1][0].content, &[1u8; 10][..]);
        assert!(layers[0].is_empty());
    }

    #[test]
    fn sniffs_headers() {
        assert_eq!(sniff_flags(b"\x7fELF\x02\x01"), flags::ELF);
        assert_eq!(sniff_flags(b"#!/bin/sh\n"), flags::SCRIPT);
        assert_eq!(
            sniff_flags(b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn"),
            flags::PRIVATE_KEY
        );
        assert_eq!(sniff_flags(b"-----BEGIN CERTIFICATE-----\n"), 0);
        assert_eq!(sniff_flags(b"!<arch>\nfoo"), flags::AR_ARCHIVE);
    }
}
