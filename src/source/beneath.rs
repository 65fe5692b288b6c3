//! Opening the files of an OCI layout without ever leaving it.
//!
//! A layout is a directory the user named; every path inside it (`index.json`,
//! `blobs/sha256/…`) comes from the layout's own manifests and is untrusted.
//! Such a path is resolved beneath the layout's root without following any
//! symlink, in the same system call that opens it (`openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`), so there is no window between a
//! check and the open. Where the kernel lacks `openat2` (before 5.6, or a
//! seccomp filter that refuses it), the path is walked one component at a
//! time from the root's descriptor with `O_NOFOLLOW`, which gives the same
//! guarantee.

use crate::error::ErrorKind;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::path::Path;

/// The layout's root directory, held open: later opens are relative to this
/// descriptor, never to the path (which could be swapped underneath).
pub(crate) struct Root {
    fd: OwnedFd,
}

/// Flags for the file finally opened: never a symlink, never blocking on a
/// FIFO someone put there, never becoming our controlling terminal.
fn file_flags() -> OFlags {
    OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY
}

impl Root {
    /// Opens the directory the user named (following their own symlinks:
    /// the user chose that path).
    pub(crate) fn open(dir: &Path) -> std::io::Result<Root> {
        let fd = rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Root { fd })
    }

    /// Opens `member` (a `/`-separated path relative to the root) for
    /// reading. `Ok(None)` when it does not exist; an error when a component
    /// is a symlink, the path leaves the root, or the file is not a regular
    /// file. Returns the file and its length.
    pub(crate) fn open_file(&self, member: &str) -> Result<Option<(File, u64)>, ErrorKind> {
        self.open_file_with(member, true)
    }

    pub(crate) fn open_file_with(
        &self,
        member: &str,
        try_openat2: bool,
    ) -> Result<Option<(File, u64)>, ErrorKind> {
        let components: Vec<&str> = member.split('/').filter(|c| !c.is_empty()).collect();
        if components.is_empty() || components.iter().any(|&c| c == "." || c == "..") {
            return Err(ErrorKind::Invalid(format!(
                "{member} is not a path inside the layout"
            )));
        }
        let rel = components.join("/");
        let opened = if try_openat2 {
            match openat2_beneath(&self.fd, &rel) {
                Err(Errno::NOSYS) | Err(Errno::PERM) => self.walk(&components),
                Err(Errno::LOOP) => Err(self.why_loop(&components)),
                Err(Errno::XDEV) => {
                    return Err(ErrorKind::Invalid(format!("{member} leaves the layout")))
                }
                other => other.map_err(|e| (e, rel.clone())),
            }
        } else {
            self.walk(&components)
        };
        let fd = match opened {
            Ok(fd) => fd,
            Err((Errno::NOENT, _)) => return Ok(None),
            Err((Errno::LOOP, at)) => {
                return Err(ErrorKind::Invalid(format!("{at} is a symlink")));
            }
            Err((Errno::NOTDIR, at)) => {
                return Err(ErrorKind::Invalid(format!("{at} is not a directory")));
            }
            Err((e, at)) => {
                return Err(ErrorKind::Io {
                    what: at,
                    source: e.into(),
                })
            }
        };
        let file = File::from(fd);
        let meta = file.metadata().map_err(|source| ErrorKind::Io {
            what: member.to_string(),
            source,
        })?;
        if !meta.file_type().is_file() {
            return Err(ErrorKind::Invalid(format!(
                "{member} is not a regular file"
            )));
        }
        Ok(Some((file, meta.len())))
    }

    /// The component-by-component walk: each directory is opened relative
    /// to the previous one with `O_NOFOLLOW`, so a symlink anywhere fails
    /// with `ELOOP` instead of being followed. On error, also says which
    /// prefix of the path failed.
    fn walk(&self, components: &[&str]) -> Result<OwnedFd, (Errno, String)> {
        let mut held: Option<OwnedFd> = None;
        let (last, dirs) = components.split_last().expect("checked non-empty");
        for (i, comp) in dirs.iter().enumerate() {
            let parent = held.as_ref().unwrap_or(&self.fd);
            let next = rustix::fs::openat(
                parent,
                *comp,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| {
                // `O_DIRECTORY | O_NOFOLLOW` on a symlink fails with
                // ENOTDIR; say what it was.
                let e = if e == Errno::NOTDIR && is_symlink(parent, comp) {
                    Errno::LOOP
                } else {
                    e
                };
                (e, components[..=i].join("/"))
            })?;
            held = Some(next);
        }
        let parent = held.as_ref().unwrap_or(&self.fd);
        rustix::fs::openat(parent, *last, file_flags(), Mode::empty())
            .map_err(|e| (e, components.join("/")))
    }

    /// `openat2` refused a symlink somewhere on the path: find which
    /// component it was, for the message. Only `lstat`s, opens nothing.
    fn why_loop(&self, components: &[&str]) -> (Errno, String) {
        for i in 0..components.len() {
            let prefix = components[..=i].join("/");
            if is_symlink(&self.fd, &prefix) {
                return (Errno::LOOP, prefix);
            }
        }
        (Errno::LOOP, components.join("/"))
    }
}

/// Whether `name` under `dir` is a symlink (for messages only).
fn is_symlink(dir: &OwnedFd, name: &str) -> bool {
    use rustix::fs::{statat, AtFlags, FileType};
    statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink)
}

#[cfg(target_os = "linux")]
fn openat2_beneath(root: &OwnedFd, member: &str) -> Result<OwnedFd, Errno> {
    use rustix::fs::ResolveFlags;
    rustix::fs::openat2(
        root,
        member,
        file_flags(),
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    )
}

#[cfg(not(target_os = "linux"))]
fn openat2_beneath(_root: &OwnedFd, _member: &str) -> Result<OwnedFd, Errno> {
    Err(Errno::NOSYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn layout() -> (tempfile::TempDir, tempfile::TempDir) {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("blobs/sha256")).unwrap();
        std::fs::write(root.path().join("blobs/sha256/aa"), b"inside").unwrap();
        std::fs::write(root.path().join("index.json"), b"{}").unwrap();
        std::fs::create_dir_all(outside.path().join("sha256")).unwrap();
        std::fs::write(outside.path().join("sha256/aa"), b"outside").unwrap();
        std::fs::write(outside.path().join("secret"), b"outside").unwrap();
        (root, outside)
    }

    fn read(r: &Root, member: &str, openat2: bool) -> Result<Option<Vec<u8>>, String> {
        match r.open_file_with(member, openat2) {
            Ok(Some((mut f, _))) => {
                let mut v = Vec::new();
                std::io::Read::read_to_end(&mut f, &mut v).unwrap();
                Ok(Some(v))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn reads_inside_and_reports_missing() {
        let (root, _out) = layout();
        let r = Root::open(root.path()).unwrap();
        for openat2 in [true, false] {
            assert_eq!(
                read(&r, "blobs/sha256/aa", openat2).unwrap().as_deref(),
                Some(&b"inside"[..])
            );
            assert_eq!(read(&r, "blobs/sha256/bb", openat2).unwrap(), None);
            assert_eq!(read(&r, "nope/sha256/bb", openat2).unwrap(), None);
        }
    }

    #[test]
    fn open_file_reads_inside_and_reports_missing() {
        let (root, _out) = layout();
        let r = Root::open(root.path()).unwrap();
        let (mut f, len) = r.open_file("blobs/sha256/aa").unwrap().unwrap();
        assert_eq!(len, 6);
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut v).unwrap();
        assert_eq!(v, b"inside");
        assert!(r.open_file("blobs/sha256/bb").unwrap().is_none());
        let e = r.open_file("blobs/sha256/aa/x").unwrap_err().to_string();
        assert!(e.contains("is not a directory"), "{e}");
    }

    #[test]
    fn a_file_in_the_middle_of_a_path_is_not_a_directory() {
        let (root, _out) = layout();
        let r = Root::open(root.path()).unwrap();
        // The walk names the component that is a file, never a symlink.
        for (member, at) in [
            ("index.json/x", "index.json"),
            ("blobs/sha256/aa/b/c", "blobs/sha256/aa"),
        ] {
            assert_eq!(
                read(&r, member, false).unwrap_err(),
                format!("{at} is not a directory")
            );
            let e = read(&r, member, true).unwrap_err();
            assert!(e.ends_with("is not a directory"), "{member}: {e}");
        }
    }

    #[test]
    fn the_root_must_be_a_directory() {
        let (root, _out) = layout();
        let e = Root::open(&root.path().join("index.json")).err().unwrap();
        assert_eq!(e.raw_os_error(), Some(Errno::NOTDIR.raw_os_error()));
    }

    #[test]
    fn descriptors_are_closed_on_exec() {
        // No child process may inherit a descriptor of the layout.
        use rustix::io::{fcntl_getfd, FdFlags};
        let (root, _out) = layout();
        let r = Root::open(root.path()).unwrap();
        assert!(fcntl_getfd(&r.fd).unwrap().contains(FdFlags::CLOEXEC));
        for openat2 in [true, false] {
            let (f, _) = r
                .open_file_with("blobs/sha256/aa", openat2)
                .unwrap()
                .unwrap();
            assert!(fcntl_getfd(&f).unwrap().contains(FdFlags::CLOEXEC));
        }
    }

    #[test]
    fn symlinks_at_every_level_are_refused() {
        for (level, member) in [
            ("blobs", "blobs/sha256/aa"),
            ("blobs/sha256", "blobs/sha256/aa"),
            ("blobs/sha256/aa", "blobs/sha256/aa"),
            ("index.json", "index.json"),
        ] {
            for openat2 in [true, false] {
                let (root, out) = layout();
                let p = root.path().join(level);
                if p.is_dir() {
                    std::fs::remove_dir_all(&p).unwrap();
                } else {
                    std::fs::remove_file(&p).unwrap();
                }
                let target = match level {
                    "blobs" => out.path().to_path_buf(),
                    "blobs/sha256" => out.path().join("sha256"),
                    _ => out.path().join("secret"),
                };
                symlink(&target, &p).unwrap();
                let r = Root::open(root.path()).unwrap();
                let e = read(&r, member, openat2).unwrap_err();
                assert!(
                    e.contains(&format!("{level} is a symlink")),
                    "{level} (openat2 {openat2}): {e}"
                );
            }
        }
        // A relative symlink that stays inside the layout is refused too.
        let (root, _out) = layout();
        let p = root.path().join("blobs/sha256/bb");
        symlink("../../index.json", &p).unwrap();
        let r = Root::open(root.path()).unwrap();
        for openat2 in [true, false] {
            let e = read(&r, "blobs/sha256/bb", openat2).unwrap_err();
            assert!(e.contains("blobs/sha256/bb is a symlink"), "{e}");
        }
    }

    #[test]
    fn escapes_and_odd_files_are_refused() {
        let (root, _out) = layout();
        let r = Root::open(root.path()).unwrap();
        for openat2 in [true, false] {
            for bad in ["../x", "blobs/../../x", "/", "", "./index.json"] {
                assert!(read(&r, bad, openat2).is_err(), "{bad:?}");
            }
            // Absolute members are read beneath the root, never from `/`.
            assert_eq!(read(&r, "/etc/passwd", openat2).unwrap(), None);
            assert!(read(&r, "blobs", openat2)
                .unwrap_err()
                .contains("not a regular file"));
        }
        // A FIFO is refused without blocking.
        let fifo = root.path().join("blobs/sha256/ff");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        // The open runs on another thread: if it blocked waiting for a
        // writer, a writer is opened to release it and the test fails then,
        // instead of hanging.
        for openat2 in [true, false] {
            let (tx, rx) = std::sync::mpsc::channel();
            let dir = root.path().to_path_buf();
            let t = std::thread::spawn(move || {
                let r = Root::open(&dir).unwrap();
                let _ = tx.send(read(&r, "blobs/sha256/ff", openat2));
            });
            let got = rx.recv_timeout(std::time::Duration::from_secs(10));
            if got.is_err() {
                let _writer = std::fs::OpenOptions::new().write(true).open(&fifo);
                let _ = t.join();
                panic!("opening a FIFO blocked (openat2 {openat2})");
            }
            t.join().unwrap();
            assert!(got.unwrap().unwrap_err().contains("not a regular file"));
        }
    }
}
