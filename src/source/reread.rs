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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::resolve::LayerPlan;
    use crate::image::Layer;

    fn d(n: u8) -> String {
        format!("sha256:{}", format!("{n:02x}").repeat(32))
    }

    fn plan(config_digest: &str, diff_ids: &[String], layers: usize) -> Plan {
        Plan {
            config: serde_json::from_value(serde_json::json!({
                "architecture": "amd64", "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": diff_ids}
            }))
            .unwrap(),
            config_extra: Default::default(),
            config_digest: Some(config_digest.to_string()),
            manifest_digest: None,
            repo_tags: Vec::new(),
            layers: (0..layers)
                .map(|i| LayerPlan {
                    member: format!("{i}/layer.tar"),
                    digest: None,
                    media_type: None,
                    size: None,
                    algs: Default::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_second_read_must_find_the_same_config_and_layers() {
        let mut image = Image::from_layers(
            "img",
            (0..2)
                .map(|i| {
                    let mut l = Layer::from_entries(i, Vec::new());
                    l.diff_id = d(i as u8 + 1);
                    l
                })
                .collect(),
        );
        image.id = Some(d(9));
        let opts = LoadOptions::default();
        let cancel = AtomicBool::new(false);
        let again = Again {
            opts: &opts,
            image: &image,
            cancel: &cancel,
        };
        let ids = [d(1), d(2)];
        assert!(again.same_image(&plan(&d(9), &ids, 2)).is_ok());
        for (why, changed) in [
            ("another config", plan(&d(8), &ids, 2)),
            ("a layer fewer", plan(&d(9), &ids[..1], 1)),
            ("another layer", plan(&d(9), &[d(1), d(3)], 2)),
            ("a manifest of other length", plan(&d(9), &ids, 3)),
        ] {
            match again.same_image(&changed) {
                Err(ErrorKind::Invalid(m)) => assert!(m.contains("changed since"), "{why}: {m}"),
                other => panic!("{why}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_second_read_selects_as_the_load_did() {
        let image = Image::from_layers("img", Vec::new());
        let opts = LoadOptions {
            verify: false,
            platform: Some("linux/arm64".into()),
        };
        let cancel = AtomicBool::new(false);
        let again = Again {
            opts: &opts,
            image: &image,
            cancel: &cancel,
        };
        let s = again.selector(Some("app:1"));
        assert_eq!(s.name, Some("app:1"));
        assert_eq!(s.platform, Some("linux/arm64"));
        assert!(!s.verify);
    }
}
