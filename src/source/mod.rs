//! Where images come from: the Docker (or podman) daemon, `docker save`
//! archives, OCI layouts and archives, and stdin.

pub(crate) mod archive;
mod beneath;
mod daemon;
mod oci_dir;
pub(crate) mod reread;

use crate::error::{Error, ErrorKind};
use crate::image::Image;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// A parsed image reference, with the same words skopeo and dive use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRef {
    /// `NAME[:TAG]`, `NAME@sha256:…`, an image ID, or `docker://NAME`.
    Daemon { name: String },
    /// `podman://NAME`.
    Podman { name: String },
    /// `docker-archive:PATH[:NAME:TAG]` or a plain path to a tar.
    DockerArchive { path: PathBuf, name: Option<String> },
    /// `oci:DIR[:TAG]` or a directory holding `oci-layout`.
    OciLayout { dir: PathBuf, name: Option<String> },
    /// `oci-archive:PATH[:TAG]`.
    OciArchive { path: PathBuf, name: Option<String> },
    /// `-`: an archive on standard input.
    Stdin,
}

/// Splits `PATH[:NAME]` where PATH itself may contain `:`: the longest
/// prefix that exists on disk is the path.
fn split_path_selector(s: &str) -> (PathBuf, Option<String>) {
    if Path::new(s).exists() {
        return (PathBuf::from(s), None);
    }
    for (i, _) in s.match_indices(':') {
        let (p, rest) = (&s[..i], &s[i + 1..]);
        if !p.is_empty() && Path::new(p).exists() {
            return (
                PathBuf::from(p),
                (!rest.is_empty()).then(|| rest.to_string()),
            );
        }
    }
    (PathBuf::from(s), None)
}

impl ImageRef {
    pub fn parse(s: &str) -> Result<ImageRef, Error> {
        let bad = |msg: &str| Error::new(s, ErrorKind::Invalid(msg.to_string()));
        if s.is_empty() {
            return Err(bad("empty image reference"));
        }
        if s == "-" {
            return Ok(ImageRef::Stdin);
        }
        if let Some(rest) = s.strip_prefix("docker-archive:") {
            let (path, name) = split_path_selector(rest);
            return Ok(ImageRef::DockerArchive { path, name });
        }
        if let Some(rest) = s.strip_prefix("oci-archive:") {
            let (path, name) = split_path_selector(rest);
            return Ok(ImageRef::OciArchive { path, name });
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            let (dir, name) = split_path_selector(rest);
            return Ok(ImageRef::OciLayout { dir, name });
        }
        if let Some(rest) = s
            .strip_prefix("docker://")
            .or_else(|| s.strip_prefix("docker-daemon:"))
        {
            if rest.is_empty() {
                return Err(bad("docker:// needs an image name"));
            }
            return Ok(ImageRef::Daemon {
                name: rest.to_string(),
            });
        }
        if let Some(rest) = s.strip_prefix("podman://") {
            if rest.is_empty() {
                return Err(bad("podman:// needs an image name"));
            }
            return Ok(ImageRef::Podman {
                name: rest.to_string(),
            });
        }
        // A path on disk wins over a daemon name.
        let (path, name) = split_path_selector(s);
        if path.is_dir() {
            if path.join("oci-layout").exists() || path.join("index.json").exists() {
                return Ok(ImageRef::OciLayout { dir: path, name });
            }
            return Err(bad(
                "directory is not an OCI layout (no oci-layout or index.json)",
            ));
        }
        if path.is_file() {
            return Ok(ImageRef::DockerArchive { path, name });
        }
        let looks_like_path = s.starts_with('/')
            || s.starts_with("./")
            || s.starts_with("../")
            || s.ends_with(".tar")
            || s.ends_with(".tar.gz")
            || s.ends_with(".tar.zst");
        if looks_like_path {
            return Err(Error::new(
                s,
                ErrorKind::Io {
                    what: s.to_string(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                },
            ));
        }
        Ok(ImageRef::Daemon {
            name: s.to_string(),
        })
    }
}

/// How to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Check diff_ids and blob digests while reading.
    pub verify: bool,
    /// `os/arch[/variant]` to pick from multi-platform indexes.
    pub platform: Option<String>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            verify: true,
            platform: None,
        }
    }
}

/// Shared progress of one load, read by a UI while another thread loads.
#[derive(Debug, Default)]
pub struct LoadProgress {
    pub bytes_done: AtomicU64,
    /// 0 while unknown.
    pub bytes_total: AtomicU64,
    /// Layers finished so far.
    pub layers_done: AtomicUsize,
    /// Set by the UI to stop the load.
    pub cancel: AtomicBool,
    /// What is being read now (a layer or blob name).
    pub stage: Mutex<String>,
}

impl LoadProgress {
    pub(crate) fn set_stage(&self, s: impl Into<String>) {
        if let Ok(mut g) = self.stage.lock() {
            *g = s.into();
        }
    }

    pub fn stage(&self) -> String {
        self.stage.lock().map(|g| g.clone()).unwrap_or_default()
    }

    pub fn done(&self) -> u64 {
        self.bytes_done.load(Ordering::Relaxed)
    }

    pub fn total(&self) -> u64 {
        self.bytes_total.load(Ordering::Relaxed)
    }
}

/// Loads an image from a reference string.
pub fn load(reference: &str, opts: &LoadOptions, progress: &LoadProgress) -> Result<Image, Error> {
    let r = ImageRef::parse(reference)?;
    load_ref(reference, &r, opts, progress)
}

/// Loads an already parsed reference; `reference` names it in errors.
pub fn load_ref(
    reference: &str,
    r: &ImageRef,
    opts: &LoadOptions,
    progress: &LoadProgress,
) -> Result<Image, Error> {
    let image = load_any(reference, r, opts, progress)?;
    // A single-platform image is what it is: one of another platform than
    // the one asked for is refused, as a multi-platform index without it is.
    if let Some(wanted) = opts.platform.as_deref() {
        let have = image.platform();
        if !same_platform(&have, wanted) {
            return Err(Error::new(
                reference,
                ErrorKind::NoPlatform {
                    wanted: wanted.to_string(),
                    available: have,
                },
            ));
        }
    }
    Ok(image)
}

/// `os/arch[/variant]` against what was asked: the variant counts only
/// when both name one (a config often leaves it out).
fn same_platform(have: &str, wanted: &str) -> bool {
    let mut h = have.split('/');
    let mut w = wanted.split('/');
    h.next() == w.next()
        && h.next() == w.next()
        && match (h.next(), w.next()) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
}

fn load_any(
    reference: &str,
    r: &ImageRef,
    opts: &LoadOptions,
    progress: &LoadProgress,
) -> Result<Image, Error> {
    use crate::image::SourceKind as K;
    let wrap = |k: ErrorKind| Error::new(reference, k);
    match r {
        ImageRef::Daemon { name } => daemon::load(reference, name, false, opts, progress),
        ImageRef::Podman { name } => daemon::load(reference, name, true, opts, progress),
        ImageRef::DockerArchive { path, name } => archive::load_file(
            reference,
            path,
            name.as_deref(),
            K::DockerArchive,
            opts,
            progress,
        )
        .map_err(wrap),
        ImageRef::OciArchive { path, name } => archive::load_file(
            reference,
            path,
            name.as_deref(),
            K::OciArchive,
            opts,
            progress,
        )
        .map_err(wrap),
        ImageRef::OciLayout { dir, name } => {
            oci_dir::load(reference, dir, name.as_deref(), opts, progress).map_err(wrap)
        }
        ImageRef::Stdin => {
            let stdin = std::io::stdin().lock();
            archive::load_stream(reference, stdin, None, K::Stdin, opts, progress).map_err(wrap)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_matches_on_os_and_arch_and_a_variant_both_name() {
        assert!(same_platform("linux/amd64", "linux/amd64"));
        assert!(same_platform("linux/arm64/v8", "linux/arm64"));
        assert!(same_platform("linux/arm", "linux/arm/v7"));
        assert!(same_platform("linux/arm/v7", "linux/arm/v7"));
        assert!(!same_platform("linux/arm/v6", "linux/arm/v7"));
        assert!(!same_platform("linux/amd64", "linux/arm64"));
        assert!(!same_platform("windows/amd64", "linux/amd64"));
    }

    #[test]
    fn parses_reference_forms() {
        assert_eq!(
            ImageRef::parse("alpine:3.19").unwrap(),
            ImageRef::Daemon {
                name: "alpine:3.19".into()
            }
        );
        assert_eq!(
            ImageRef::parse("docker://app@sha256:abc").unwrap(),
            ImageRef::Daemon {
                name: "app@sha256:abc".into()
            }
        );
        assert_eq!(
            ImageRef::parse("podman://app").unwrap(),
            ImageRef::Podman { name: "app".into() }
        );
        assert_eq!(ImageRef::parse("-").unwrap(), ImageRef::Stdin);
        assert_eq!(
            ImageRef::parse("oci:/nonexistent/dir:v1").unwrap(),
            ImageRef::OciLayout {
                dir: "/nonexistent/dir:v1".into(),
                name: None
            }
        );
        assert!(ImageRef::parse("").is_err());
        assert!(ImageRef::parse("./missing.tar").is_err());
    }

    #[test]
    fn every_prefix_names_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let tar = dir.path().join("img.tar");
        std::fs::write(&tar, b"x").unwrap();
        let t = tar.display();
        assert_eq!(
            ImageRef::parse("docker-daemon:app:1").unwrap(),
            ImageRef::Daemon {
                name: "app:1".into()
            }
        );
        assert_eq!(
            ImageRef::parse(&format!("oci-archive:{t}:v2")).unwrap(),
            ImageRef::OciArchive {
                path: tar.clone(),
                name: Some("v2".into())
            }
        );
        // A selector left empty selects nothing.
        assert_eq!(
            ImageRef::parse(&format!("docker-archive:{t}:")).unwrap(),
            ImageRef::DockerArchive {
                path: tar.clone(),
                name: None
            }
        );
        for empty in ["docker://", "docker-daemon:", "podman://"] {
            let e = ImageRef::parse(empty).unwrap_err().to_string();
            assert!(e.contains("needs an image name"), "{empty}: {e}");
        }
    }

    #[test]
    fn a_directory_is_a_layout_only_with_its_marker_files() {
        let dir = tempfile::tempdir().unwrap();
        for (marker, is_layout) in [
            (None, false),
            (Some("oci-layout"), true),
            (Some("index.json"), true),
        ] {
            let d = dir.path().join(format!("{marker:?}"));
            std::fs::create_dir(&d).unwrap();
            if let Some(m) = marker {
                std::fs::write(d.join(m), b"{}").unwrap();
            }
            let r = ImageRef::parse(d.to_str().unwrap());
            if is_layout {
                assert_eq!(
                    r.unwrap(),
                    ImageRef::OciLayout {
                        dir: d.clone(),
                        name: None
                    }
                );
                assert_eq!(
                    ImageRef::parse(&format!("{}:v1", d.display())).unwrap(),
                    ImageRef::OciLayout {
                        dir: d,
                        name: Some("v1".into())
                    }
                );
            } else {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("not an OCI layout"), "{e}");
            }
        }
    }

    #[test]
    fn a_missing_path_is_not_taken_for_a_daemon_name() {
        for missing in [
            "/no/such/image",
            "./no-such",
            "../no-such",
            "no-such.tar",
            "no-such.tar.gz",
            "no-such.tar.zst",
        ] {
            match ImageRef::parse(missing) {
                Err(e) => assert!(
                    matches!(&e.kind, ErrorKind::Io { source, .. }
                        if source.kind() == std::io::ErrorKind::NotFound),
                    "{missing}: {e}"
                ),
                Ok(r) => panic!("{missing}: {r:?}"),
            }
        }
        for name in ["app", "registry.example:5000/app:1", "app.tar.xz"] {
            assert_eq!(
                ImageRef::parse(name).unwrap(),
                ImageRef::Daemon { name: name.into() }
            );
        }
    }

    #[test]
    fn loads_verify_unless_told_not_to() {
        let o = LoadOptions::default();
        assert!(o.verify);
        assert_eq!(o.platform, None);
    }

    #[test]
    fn archive_selector_splits_after_existing_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("two:images.tar");
        std::fs::write(&p, b"x").unwrap();
        let s = format!("docker-archive:{}:app:v1", p.display());
        assert_eq!(
            ImageRef::parse(&s).unwrap(),
            ImageRef::DockerArchive {
                path: p.clone(),
                name: Some("app:v1".into())
            }
        );
        assert_eq!(
            ImageRef::parse(p.to_str().unwrap()).unwrap(),
            ImageRef::DockerArchive {
                path: p,
                name: None
            }
        );
    }
}
