//! What an image is: manifest facts, config, history and layers, each layer
//! with the entries it changes.

pub mod blob;
pub mod capture;
pub mod digest;
pub mod entry;
pub(crate) mod resolve;
pub(crate) mod tarwalk;

pub use blob::{Compression, ParsedLayer};
pub use capture::CapturedFile;
pub use entry::{ContentHash, Entries, Entry, EntryKind, EntryRef, ImagePath};

use serde::Serialize;
use std::collections::BTreeMap;

/// Where an image was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Daemon,
    Podman,
    DockerArchive,
    OciLayout,
    OciArchive,
    Stdin,
}

/// One loaded image.
#[derive(Clone, Debug)]
pub struct Image {
    /// The reference as the user gave it.
    pub reference: String,
    pub source: SourceKind,
    /// Digest of the config blob (the image ID), when known.
    pub id: Option<String>,
    /// Digest of the manifest, when the format has one.
    pub manifest_digest: Option<String>,
    pub repo_tags: Vec<String>,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub config: RuntimeConfig,
    /// Every history entry, empty layers included.
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<Layer>,
    /// True when every digest the format gives was checked: each layer's
    /// diff_id, blob digests, and the config's (manifest and index digests
    /// too, where there are any).
    pub verified: bool,
    /// Why not, when [`Image::verified`] is false.
    pub unverified: Option<&'static str>,
}

impl Image {
    /// An image made in memory from layers (synthetic images for tests and
    /// benchmarks): linux/amd64, no config, no history, marked verified.
    pub fn from_layers(reference: &str, layers: Vec<Layer>) -> Image {
        Image {
            reference: reference.to_string(),
            source: SourceKind::DockerArchive,
            id: None,
            manifest_digest: None,
            repo_tags: Vec::new(),
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            created: None,
            config: RuntimeConfig::default(),
            history: Vec::new(),
            layers,
            verified: true,
            unverified: None,
        }
    }

    /// Image size as `docker image inspect` reports it: the sum of layer sizes.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(|l| l.size).sum()
    }

    pub fn platform(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}/{}/{}", self.os, self.architecture, v),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }

    /// Bytes of layer tar streams (uncompressed).
    pub fn tar_bytes(&self) -> u64 {
        self.layers.iter().map(|l| l.tar_size).sum()
    }

    pub fn entry_count(&self) -> usize {
        self.layers.iter().map(|l| l.entries.len()).sum()
    }
}

/// The execution parameters of the image config.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuntimeConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub stop_signal: Option<String>,
    /// `Healthcheck` and `Shell` as the config holds them (Docker's; not
    /// in the OCI config type). Carried by an export, not reported.
    #[serde(skip)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HistoryEntry {
    pub created: Option<String>,
    pub created_by: Option<String>,
    pub comment: Option<String>,
    pub empty_layer: bool,
}

/// One filesystem layer.
#[derive(Clone, Debug)]
pub struct Layer {
    pub index: usize,
    /// sha256 of the uncompressed layer tar, as the config lists it.
    pub diff_id: String,
    /// Digest of the blob as stored (compressed), when the format names it.
    pub digest: Option<String>,
    pub media_type: Option<String>,
    pub compression: Compression,
    /// Bytes of the blob as stored.
    pub compressed_size: Option<u64>,
    /// Bytes of the uncompressed tar stream.
    pub tar_size: u64,
    /// Bytes of content this layer adds, counted the way docker does.
    pub size: u64,
    /// Index into [`Image::history`] of the entry that made this layer.
    pub history_index: Option<usize>,
    pub created_by: Option<String>,
    pub created: Option<String>,
    pub entries: Entries,
    /// Content of the package databases and marker files this layer holds
    /// (see [`capture::wants`]), sorted by path.
    pub captured: Vec<CapturedFile>,
    /// What the bytes of this layer's ELF files and scripts say, sorted by
    /// path.
    pub facts: Vec<(ImagePath, crate::binary::FileFacts)>,
}

impl Layer {
    /// A layer made in memory from its entries: no digests, no history,
    /// plain; its size is the sum of the entry sizes, as the tar walker
    /// counts it.
    pub fn from_entries(index: usize, entries: Vec<Entry>) -> Layer {
        Layer {
            index,
            diff_id: String::new(),
            digest: None,
            media_type: None,
            compression: Compression::None,
            compressed_size: None,
            tar_size: 0,
            size: entries.iter().map(|e| e.size).sum(),
            history_index: None,
            created_by: None,
            created: None,
            entries: entries.into(),
            captured: Vec::new(),
            facts: Vec::new(),
        }
    }

    /// What this layer's copy of `path` is, if it is an ELF file or a
    /// script.
    pub fn facts(&self, path: &[u8]) -> Option<&crate::binary::FileFacts> {
        self.facts
            .binary_search_by(|(p, _)| (**p).cmp(path))
            .ok()
            .map(|i| &self.facts[i].1)
    }

    /// Content this layer captured for `path`, if any.
    pub fn captured(&self, path: &[u8]) -> Option<&[u8]> {
        self.captured
            .binary_search_by(|c| (*c.path).cmp(path))
            .ok()
            .map(|i| &*self.captured[i].content)
    }
}

/// Drops kept contents a higher layer replaces: the squashed tree reads a
/// path's content from its topmost layer only, so a package database that
/// every `RUN dnf install` layer rewrites is held once, not once a layer.
pub fn drop_shadowed_captures(layers: &mut [Layer]) {
    let mut above: std::collections::HashSet<ImagePath> = std::collections::HashSet::new();
    for layer in layers.iter_mut().rev() {
        layer.captured.retain(|c| !above.contains(&c.path));
        above.extend(layer.captured.iter().map(|c| c.path.clone()));
    }
}

/// Pairs layers with the non-empty history entries, in order. Returns, per
/// layer, the index of its history entry.
pub fn pair_history(history: &[HistoryEntry], layer_count: usize) -> Vec<Option<usize>> {
    let mut out = Vec::with_capacity(layer_count);
    let mut it = history
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.empty_layer)
        .map(|(i, _)| i);
    for _ in 0..layer_count {
        out.push(it.next());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_pairs_skip_empty_layers() {
        let h = |empty| HistoryEntry {
            empty_layer: empty,
            ..Default::default()
        };
        let history = vec![h(false), h(true), h(true), h(false), h(false)];
        assert_eq!(pair_history(&history, 3), vec![Some(0), Some(3), Some(4)]);
        // More layers than history: the extra ones have none.
        assert_eq!(pair_history(&history, 4)[3], None);
    }

    #[test]
    fn shadowed_captures_are_dropped() {
        let kept = |paths: &[&str]| -> Vec<CapturedFile> {
            paths
                .iter()
                .map(|p| CapturedFile {
                    path: entry::normalize_path(p.as_bytes()),
                    content: p.as_bytes().into(),
                })
                .collect()
        };
        let layer = |i: usize, paths: &[&str]| Layer {
            captured: kept(paths),
            ..Layer::from_entries(i, Vec::new())
        };
        let db = "usr/lib/sysimage/rpm/rpmdb.sqlite";
        let mut layers = vec![
            layer(0, &[db, "etc/os-release"]),
            layer(1, &[db]),
            layer(2, &["app/node_modules/x/package.json"]),
            layer(3, &[db]),
        ];
        drop_shadowed_captures(&mut layers);
        let paths: Vec<Vec<&[u8]>> = layers
            .iter()
            .map(|l| l.captured.iter().map(|c| &*c.path).collect())
            .collect();
        assert_eq!(paths[0], [&b"etc/os-release"[..]]);
        assert!(paths[1].is_empty());
        assert_eq!(paths[2].len(), 1);
        assert_eq!(paths[3], [db.as_bytes()]);
    }
}
