//! OCI image layout directories (`oci:DIR[:TAG]`). Blobs are read straight
//! from their files in manifest order; nothing is followed out of the layout.

use crate::error::ErrorKind;
use crate::image::blob::{first_error, parse_parallel, BlobOptions, LayerJob};
use crate::image::resolve::{self, read_document, Selector, Store};
use crate::image::{Image, SourceKind};
use crate::source::{LoadOptions, LoadProgress};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// Opens a file of the layout, refusing symlinks (they could point out of
    /// it) and anything that is not a regular file.
    fn open(&self, member: &str) -> Result<Option<(std::fs::File, u64)>, ErrorKind> {
        let path = self.dir.join(member);
        let io_err = |source| ErrorKind::Io {
            what: member.to_string(),
            source,
        };
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        if !meta.file_type().is_file() {
            return Err(ErrorKind::Invalid(format!(
                "{member} is not a regular file"
            )));
        }
        let f = std::fs::File::open(&path).map_err(io_err)?;
        Ok(Some((f, meta.len())))
    }
}

impl Store for Layout {
    fn read_small(&self, member: &str) -> Result<Option<Vec<u8>>, ErrorKind> {
        let Some((f, len)) = self.open(member)? else {
            return Ok(None);
        };
        read_document(f, len, member).map(Some)
    }
}

pub(super) fn load(
    reference: &str,
    dir: &Path,
    name: Option<&str>,
    opts: &LoadOptions,
    progress: &LoadProgress,
) -> Result<Image, ErrorKind> {
    if !dir.is_dir() {
        return Err(ErrorKind::Io {
            what: dir.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    if layout.read_small("index.json")?.is_none() {
        return Err(ErrorKind::NotAnArchive(format!(
            "{} has no index.json",
            dir.display()
        )));
    }
    let sel = Selector {
        name,
        platform: opts.platform.as_deref(),
        verify: opts.verify,
    };
    let plan = resolve::plan(&layout, &sel)?;
    let total: u64 = plan.layers.iter().filter_map(|l| l.size).sum();
    progress.bytes_total.store(total, Ordering::Relaxed);
    let blob_opts = BlobOptions {
        verify: opts.verify,
        progress: Some(&progress.bytes_done),
        cancel: Some(&progress.cancel),
    };
    progress.set_stage(format!("reading {} layers", plan.layers.len()));
    let jobs: Vec<LayerJob> = plan
        .layers
        .iter()
        .enumerate()
        .map(|(i, lp)| LayerJob {
            what: format!("layer {} ({})", i + 1, lp.member),
            size: lp.size.unwrap_or(0),
        })
        .collect();
    let open = |i: usize| {
        let lp = &plan.layers[i];
        layout
            .open(&lp.member)?
            .ok_or_else(|| ErrorKind::MissingBlob {
                what: format!("layer {}", i + 1),
                digest: lp.digest.clone().unwrap_or_else(|| lp.member.clone()),
            })
    };
    let parsed = first_error(parse_parallel(
        &jobs,
        open,
        blob_opts,
        Some(&progress.layers_done),
    ))?;
    resolve::build_image(reference, SourceKind::OciLayout, plan, parsed, opts.verify)
}
