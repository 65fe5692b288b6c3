//! OCI image layout directories (`oci:DIR[:TAG]`). Blobs are read straight
//! from their files in manifest order. Every file is opened beneath the
//! layout's root without following symlinks ([`super::beneath`]): nothing
//! outside the directory the user named is ever read.

use crate::error::ErrorKind;
use crate::image::blob::{first_error, parse_parallel, BlobOptions, LayerJob};
use crate::image::capture::Keeper;
use crate::image::resolve::{self, read_document, Selector, Store};
use crate::image::{Image, SourceKind};
use crate::source::beneath::Root;
use crate::source::{LoadOptions, LoadProgress};
use std::path::Path;
use std::sync::atomic::Ordering;

struct Layout {
    root: Root,
}

impl Layout {
    /// Opens a file of the layout: symlinks anywhere on the path, paths
    /// leaving the layout, and anything but a regular file are refused.
    fn open(&self, member: &str) -> Result<Option<(std::fs::File, u64)>, ErrorKind> {
        self.root.open_file(member)
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
        root: Root::open(dir).map_err(|source| ErrorKind::Io {
            what: dir.display().to_string(),
            source,
        })?,
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
    let keeper = Keeper::ranked();
    let blob_opts = BlobOptions {
        verify: opts.verify,
        progress: Some(&progress.bytes_done),
        cancel: Some(&progress.cancel),
        algs: Default::default(),
        keeper: Some((&keeper, 0)),
    };
    progress.set_stage(format!("reading {} layers", plan.layers.len()));
    let jobs: Vec<LayerJob> = plan
        .layers
        .iter()
        .enumerate()
        .map(|(i, lp)| LayerJob {
            what: format!("layer {} ({})", i + 1, lp.member),
            size: lp.size.unwrap_or(0),
            algs: lp.algs,
            slot: i as u32,
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
    let mut parsed = first_error(parse_parallel(
        &jobs,
        open,
        blob_opts,
        Some(&progress.layers_done),
    ))?;
    super::archive::attach_kept(&mut parsed, keeper, |s| Some(s as usize));
    resolve::build_image(reference, SourceKind::OciLayout, plan, parsed, opts.verify)
}

/// Reads the layers of a layout again for the export ([`super::reread`]).
pub(super) fn reread(
    dir: &Path,
    name: Option<&str>,
    again: &super::reread::Again<'_>,
    tap: &mut dyn super::reread::LayerTap,
) -> Result<(), ErrorKind> {
    let layout = Layout {
        root: Root::open(dir).map_err(|source| ErrorKind::Io {
            what: dir.display().to_string(),
            source,
        })?,
    };
    let plan = resolve::plan(&layout, &again.selector(name))?;
    again.same_image(&plan)?;
    let mut done: Vec<&str> = Vec::new();
    for (i, lp) in plan.layers.iter().enumerate() {
        if done.contains(&lp.member.as_str()) {
            continue;
        }
        done.push(&lp.member);
        let uses: Vec<usize> = (i..plan.layers.len())
            .filter(|&j| plan.layers[j].member == lp.member)
            .collect();
        let (file, len) = layout
            .open(&lp.member)?
            .ok_or_else(|| ErrorKind::MissingBlob {
                what: format!("layer {}", i + 1),
                digest: lp.digest.clone().unwrap_or_else(|| lp.member.clone()),
            })?;
        let what = format!("layer {} ({})", i + 1, lp.member);
        again.blob(file, &what, Some(len), &uses, &plan, tap)?;
    }
    Ok(())
}
