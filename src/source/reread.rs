//! Reading an image's layers a second time, for the export: the load keeps
//! no file contents, so the layers that hold the wanted files are read again
//! from the same source, through the same decompression, tar walk and digest
//! checks as the load, and their contents handed to a [`LayerTap`] as they
//! stream by. Standard input cannot be read twice and is refused.

use super::{archive, daemon, oci_dir, ImageRef, LoadOptions};
use crate::error::{Error, ErrorKind};
use crate::image::blob::{parse_layer_tapped, BlobOptions};
use crate::image::resolve::{check_layer, Plan};
use crate::image::tarwalk::Tap;
use crate::image::Image;
use std::io::Read;
use std::sync::atomic::AtomicBool;

/// Someone reading layers again: told which layers a blob is before it is
/// read, then handed its regular files ([`Tap`]).
pub(crate) trait LayerTap {
    /// A blob that the image's layers `layers` (indices) use is about to be
    /// read; false skips it.
    fn layer(&mut self, layers: &[usize]) -> bool;
    /// Where the blob's files go.
    fn tap(&mut self) -> &mut dyn Tap;
}

/// Reads the layers of `image` (loaded from `reference` with `opts`) again,
/// handing each to `tap`. `cancel` stops it (then the error is
/// [`ErrorKind::Cancelled`]).
pub(crate) fn reread(
    reference: &str,
    opts: &LoadOptions,
    image: &Image,
    cancel: &AtomicBool,
    tap: &mut dyn LayerTap,
) -> Result<(), Error> {
    let r = ImageRef::parse(reference)?;
    let wrap = |k: ErrorKind| Error::new(reference, k);
    let again = Again {
        opts,
        image,
        cancel,
    };
    match &r {
        ImageRef::Daemon { name } => daemon::reread(reference, name, false, &again, tap),
        ImageRef::Podman { name } => daemon::reread(reference, name, true, &again, tap),
        ImageRef::DockerArchive { path, name } | ImageRef::OciArchive { path, name } => {
            archive::reread_file(path, name.as_deref(), &again, tap).map_err(wrap)
        }
        ImageRef::OciLayout { dir, name } => {
            oci_dir::reread(dir, name.as_deref(), &again, tap).map_err(wrap)
        }
        ImageRef::Stdin => Err(wrap(ErrorKind::Invalid(
            "an image on standard input cannot be read a second time for the export; \
             save it to a file first (docker save -o FILE) and name the file"
                .into(),
        ))),
    }
}

/// What a second read needs to know.
pub(crate) struct Again<'a> {
    pub opts: &'a LoadOptions,
    pub image: &'a Image,
    pub cancel: &'a AtomicBool,
}

impl Again<'_> {
    pub fn selector<'s>(&'s self, name: Option<&'s str>) -> crate::image::resolve::Selector<'s> {
        crate::image::resolve::Selector {
            name,
            platform: self.opts.platform.as_deref(),
            verify: self.opts.verify,
        }
    }

    /// The source must still hold the image that was loaded: same config,
    /// same layers.
    pub fn same_image(&self, plan: &Plan) -> Result<(), ErrorKind> {
        let ids = plan.config.rootfs().diff_ids();
        let same = plan.config_digest == self.image.id
            && ids.len() == self.image.layers.len()
            && ids
                .iter()
                .zip(&self.image.layers)
                .all(|(a, l)| *a == l.diff_id)
            && plan.layers.len() == ids.len();
        if same {
            Ok(())
        } else {
            Err(ErrorKind::Invalid(
                "the image changed since it was loaded (its config or layers differ on the \
                 second read)"
                    .into(),
            ))
        }
    }

    /// Reads one blob, used by layers `uses` of `plan`, handing it to `tap`
    /// and checking it as the load does.
    pub fn blob(
        &self,
        raw: impl Read,
        what: &str,
        len: Option<u64>,
        uses: &[usize],
        plan: &Plan,
        tap: &mut dyn LayerTap,
    ) -> Result<(), ErrorKind> {
        let Some(&first) = uses.first() else {
            return Ok(());
        };
        if !tap.layer(uses) {
            return Ok(());
        }
        let verify = self.opts.verify;
        let opts = BlobOptions {
            verify,
            progress: None,
            cancel: Some(self.cancel),
            algs: plan.layers[first].algs,
            keeper: None,
        };
        let parsed = parse_layer_tapped(raw, what, len, opts, Some(tap.tap()))?;
        let ids = plan.config.rootfs().diff_ids();
        for &i in uses {
            let (Some(lp), Some(id)) = (plan.layers.get(i), ids.get(i)) else {
                continue;
            };
            check_layer(i, lp, id, &parsed, verify)?;
        }
        Ok(())
    }
}
