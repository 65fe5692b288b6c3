//! Finding and reading an image's rpm database (sqlite, Berkeley DB), or
//! saying why it could not be read.

use super::{DbPackage, Listed};
use crate::analysis::claim::child_named;
use crate::analysis::claim::find_listed;
use crate::analysis::rpmdb;
use crate::escape::escape_bytes;
use crate::image::capture::{self, MAX_RPMDB};
use crate::image::{EntryKind, Layer};
use crate::tree::FileTree;

/// Where rpm keeps its database: Fedora ≥ 36 and openSUSE in
/// `/usr/lib/sysimage/rpm` (with `/var/lib/rpm` a symlink to it), RHEL/UBI,
/// Rocky, CentOS and Amazon Linux in `/var/lib/rpm`. A newer backend wins
/// over an older one left beside it.
const RPM_DIRS: [&[u8]; 2] = [b"usr/lib/sysimage/rpm", b"var/lib/rpm"];

/// How rpm stored its database.
#[derive(Clone, Copy)]
enum RpmBackend {
    /// `rpmdb.sqlite`, rpm ≥ 4.16.
    Sqlite,
    /// `Packages`, a Berkeley DB hash file (rpm < 4.16).
    BerkeleyDb,
}

/// Reads the rpm database of `tree` into `db`; what cannot be read becomes
/// a warning.
pub(crate) fn index_rpm(
    tree: &FileTree,
    layers: &[Layer],
    db: &mut Vec<Listed>,
    warnings: &mut Vec<String>,
) {
    let file_in = |dir: &[u8], name: &[u8]| {
        let dir = tree.resolve(dir)?;
        let id = child_named(tree, dir, name)?;
        (tree.node(id).kind == EntryKind::File).then_some(id)
    };
    let found = [
        (&b"rpmdb.sqlite"[..], RpmBackend::Sqlite),
        (b"Packages", RpmBackend::BerkeleyDb),
    ]
    .into_iter()
    .flat_map(|(name, backend)| RPM_DIRS.iter().map(move |d| (*d, name, backend)))
    .find_map(|(d, name, backend)| file_in(d, name).map(|id| (d, name, backend, id)));
    let Some((dir, name, backend, id)) = found else {
        // SUSE's NDB is not read: say so rather than stay silent.
        if let Some(d) = RPM_DIRS
            .iter()
            .find(|d| file_in(d, b"Packages.db").is_some())
        {
            warnings.push(format!(
                "rpm database /{}/Packages.db is NDB (SUSE), which stagediff does not read: no rpm ownership",
                escape_bytes(d),
            ));
        }
        return;
    };
    let shown = format!("/{}/{}", escape_bytes(dir), escape_bytes(name));
    let Some(bytes) = tree.content(layers, id) else {
        let size = tree.node(id).size;
        let why = if size > MAX_RPMDB {
            format!("bigger than the {} limit", crate::format::size(MAX_RPMDB))
        } else {
            format!(
                "over the {} a layer or the {} an image may keep",
                crate::format::size(capture::MAX_PER_LAYER),
                crate::format::size(capture::MAX_PER_IMAGE)
            )
        };
        warnings.push(format!(
            "rpm database {shown} ({}) was not read, {why}: no rpm ownership",
            crate::format::size(size)
        ));
        return;
    };
    let read = match backend {
        RpmBackend::Sqlite => rpmdb::read_sqlite(bytes),
        RpmBackend::BerkeleyDb => rpmdb::read_bdb(bytes),
    };
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            warnings.push(format!(
                "rpm database {shown} is unreadable ({e}): no rpm ownership"
            ));
            return;
        }
    };
    if read.bad_headers > 0 {
        warnings.push(format!(
            "rpm database {shown}: {} package headers skipped ({})",
            read.bad_headers,
            read.first_bad.map(|e| e.to_string()).unwrap_or_default()
        ));
    }
    if read.files_dropped {
        warnings.push(format!(
            "rpm database {shown} lists too many files: some packages own none"
        ));
    }
    for p in read.packages {
        let mut ids = Vec::with_capacity(p.files.len());
        for f in &p.files {
            if let Some(id) = find_listed(tree, &f.path) {
                ids.push((id, f.is_dir || tree.node(id).kind == EntryKind::Dir));
            }
        }
        let version = p.evr();
        db.push((
            DbPackage {
                name: p.name,
                version,
                architecture: p.arch,
                installed_size: p.size,
                section: p.group,
                installed: true,
                // rpm's requirements name capabilities (sonames, paths), not packages.
                ..Default::default()
            },
            "rpm",
            ids,
        ));
    }
}
