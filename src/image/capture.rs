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
/// Most bytes kept of a Python distribution's file list (`RECORD`,
/// `installed-files.txt`): pip's own is 80 kB, the biggest wheels' a few MB.
pub const MAX_RECORD: u64 = 8 << 20;

/// A kept file: its normalised path and content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedFile {
    pub path: ImagePath,
    pub content: Box<[u8]>,
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
    if !small {
        return false;
    }
    // Toolchain markers: Go's VERSION, a JDK's `release`, rustup's
    // `multirust-channel-manifest` is too big; its directory names suffice.
    (name == b"VERSION" && size <= 4096)
        || (name == b"release" && size <= 65536)
        || (name == b"METADATA" && parent.ends_with(b".dist-info"))
        || (name == b"PKG-INFO" && parent.ends_with(b".egg-info"))
        || (name == b"package.json" && is_in_node_modules(path))
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
