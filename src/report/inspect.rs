//! The `inspect` report of one analysed image: a summary (text) or its full
//! model (JSON, schema `stagediff.inspect/v1`, docs/inspect-schema.md).

use crate::analysis::Waste;
use crate::escape::{escape_bytes, escape_str};
use crate::format;
use crate::image::entry::display_path;
use crate::image::{EntryRef, Image};
use crate::pipeline::Analysed;
use crate::tree::{FileTree, NodeId};
use serde::Serialize;
use std::io::Write;

/// The text summary, then one `FAIL` line per gate failure.
pub fn write_text(
    out: &mut impl Write,
    analysed: &Analysed,
    failures: &[String],
    width: usize,
    elapsed: std::time::Duration,
) -> std::io::Result<()> {
    summary(
        out,
        &analysed.image,
        &analysed.tree,
        &analysed.waste,
        width,
        elapsed,
    )?;
    for f in failures {
        writeln!(out, "FAIL  {f}")?;
    }
    Ok(())
}

/// The whole model as indented JSON (`stagediff.inspect/v1`); layers list
/// their entries up to `max_entries` each (`None`: all).
pub fn write_json(
    out: &mut impl Write,
    analysed: &Analysed,
    failures: &[String],
    max_entries: Option<usize>,
) -> std::io::Result<()> {
    let doc = InspectDoc::new(
        &analysed.image,
        &analysed.tree,
        &analysed.waste,
        failures,
        max_entries,
    );
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}

fn summary(
    out: &mut impl Write,
    image: &Image,
    tree: &FileTree,
    waste: &Waste,
    width: usize,
    elapsed: std::time::Duration,
) -> std::io::Result<()> {
    writeln!(out, "Image      {}", escape_str(&image.reference))?;
    if !image.repo_tags.is_empty() {
        let tags: Vec<String> = image
            .repo_tags
            .iter()
            .map(|t| escape_str(t).into_owned())
            .collect();
        writeln!(out, "Tags       {}", tags.join(", "))?;
    }
    if let Some(id) = &image.id {
        writeln!(out, "ID         {}", escape_str(id))?;
    }
    writeln!(out, "Platform   {}", escape_str(&image.platform()))?;
    writeln!(
        out,
        "Size       {} ({} bytes) in {}, {}",
        format::size(image.size()),
        image.size(),
        format::plural(image.layers.len() as u64, "layer", "layers"),
        format::plural(u64::from(tree.file_count()), "file", "files")
    )?;
    writeln!(
        out,
        "Wasted     {} that later layers delete or overwrite (efficiency {:.1} %)",
        format::size(waste.wasted),
        waste.efficiency() * 100.0
    )?;
    let verified = match (image.verified, image.unverified) {
        (true, _) => "verified".to_string(),
        (false, Some(why)) => format!("not verified ({why})"),
        (false, None) => "not verified".to_string(),
    };
    writeln!(
        out,
        "Digests    {verified}; read {} of layer data in {:.2} s",
        format::size(image.tar_bytes()),
        elapsed.as_secs_f64()
    )?;
    let c = &image.config;
    if !c.entrypoint.is_empty() || !c.cmd.is_empty() {
        let join = |v: &[String]| {
            v.iter()
                .map(|s| escape_str(s).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        writeln!(out, "Command    {} {}", join(&c.entrypoint), join(&c.cmd))?;
    }
    if let Some(u) = &c.user {
        writeln!(out, "User       {}", escape_str(u))?;
    }
    writeln!(out)?;
    writeln!(out, "Layers")?;
    writeln!(
        out,
        "{:>3}  {:>10}  {:>6}  {:>10}  Created by",
        "#", "Size", "Files", "Wasted"
    )?;
    let fixed = 3 + 2 + 10 + 2 + 6 + 2 + 10 + 2;
    for l in &image.layers {
        let files = l
            .entries
            .iter()
            .filter(|e| e.kind == crate::image::EntryKind::File)
            .count();
        let cb = format::created_by(l.created_by.as_deref());
        let wasted = match waste.wasted_in_layer.get(l.index).copied().unwrap_or(0) {
            0 => "-".to_string(),
            w => format::size(w),
        };
        writeln!(
            out,
            "{:>3}  {:>10}  {:>6}  {:>10}  {}",
            format::layer_number(l.index as u64),
            format::size(l.size),
            files,
            wasted,
            format::truncate(&cb, width.saturating_sub(fixed).max(10))
        )?;
    }
    if !waste.paths.is_empty() {
        writeln!(out)?;
        writeln!(out, "Wasted space (in a layer, hidden by a later one)")?;
        let shown = 10.min(waste.paths.len());
        for w in &waste.paths[..shown] {
            let layers: Vec<String> = w
                .written_in
                .iter()
                .map(|&l| format::layer_number(l).to_string())
                .collect();
            let what = if w.deleted { "deleted" } else { "overwritten" };
            let tail = format!(
                "  from layer {} {what} by {}",
                layers.join(","),
                format::layer_number(w.hidden_by)
            );
            let mut path = display_path(&w.path);
            if w.dir {
                path.push('/');
            }
            let room = width.saturating_sub(14 + tail.chars().count()).max(10);
            writeln!(
                out,
                "  {:>10}  {}{tail}",
                format::size(w.bytes),
                format::truncate(&path, room)
            )?;
        }
        if waste.paths.len() > shown {
            let rest: u64 = waste.paths[shown..].iter().map(|w| w.bytes).sum();
            writeln!(
                out,
                "  {:>10}  … {} more paths",
                format::size(rest),
                waste.paths.len() - shown
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Largest files")?;
    for id in tree.largest_files(10) {
        let n = tree.node(id);
        writeln!(
            out,
            "  {:>10}  {}",
            format::size(n.size),
            format::truncate(
                &display_path(&tree.path_of(id)),
                width.saturating_sub(16).max(10)
            )
        )?;
    }
    Ok(())
}

// ---- JSON -----------------------------------------------------------------

/// A path for JSON: UTF-8 text when it is, plus hex bytes when it is not.
#[derive(Serialize)]
pub struct JsonPath {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
}

impl JsonPath {
    /// The escaped path, as `diff --json` shows paths; the raw bytes in hex
    /// too whenever escaping changed them (invalid UTF-8, control or bidi
    /// characters, backslashes), so the exact name is never lost.
    pub fn new(bytes: &[u8]) -> JsonPath {
        let path = display_path(bytes);
        let plain = path.len() == bytes.len() + 1 && path.as_bytes()[1..] == *bytes;
        JsonPath {
            path_hex: (!plain).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect()),
            path,
        }
    }
}

/// A string from the image, escaped for the JSON like every other.
fn esc(s: &str) -> String {
    escape_str(s).into_owned()
}

fn esc_opt(s: Option<&str>) -> Option<String> {
    s.map(esc)
}

fn esc_all(v: &[String]) -> Vec<String> {
    v.iter().map(|s| esc(s)).collect()
}

#[derive(Serialize)]
struct InspectDoc<'a> {
    schema: &'static str,
    image: ImageDoc,
    layers: Vec<LayerDoc>,
    largest_files: Vec<FileDoc>,
    waste: WasteDoc,
    /// `--max-wasted` / `--min-efficiency` findings (exit 1 when any).
    gate_failures: &'a [String],
}

/// How many wasted paths the JSON lists (the totals cover all of them).
const WASTE_PATHS: usize = 100;

#[derive(Serialize)]
struct WasteDoc {
    stored: u64,
    visible: u64,
    wasted: u64,
    efficiency: f64,
    path_count: usize,
    paths: Vec<WastedPathDoc>,
}

#[derive(Serialize)]
struct WastedPathDoc {
    #[serde(flatten)]
    path: JsonPath,
    bytes: u64,
    times: u32,
    written_in: Vec<u32>,
    hidden_by: u32,
    deleted: bool,
    dir: bool,
}

impl WasteDoc {
    fn new(w: &Waste) -> WasteDoc {
        WasteDoc {
            stored: w.stored,
            visible: w.visible,
            wasted: w.wasted,
            efficiency: w.efficiency(),
            path_count: w.paths.len(),
            paths: w
                .paths
                .iter()
                .take(WASTE_PATHS)
                .map(|p| WastedPathDoc {
                    path: JsonPath::new(&p.path),
                    bytes: p.bytes,
                    times: p.times,
                    written_in: p.written_in.clone(),
                    hidden_by: p.hidden_by,
                    deleted: p.deleted,
                    dir: p.dir,
                })
                .collect(),
        }
    }
}

// Every string below that came from the image is escaped (`esc`): a
// consumer printing a field (`jq -r`) gets no raw control byte.
#[derive(Serialize)]
struct ImageDoc {
    reference: String,
    source: crate::image::SourceKind,
    id: Option<String>,
    manifest_digest: Option<String>,
    repo_tags: Vec<String>,
    os: String,
    architecture: String,
    variant: Option<String>,
    created: Option<String>,
    size: u64,
    tar_size: u64,
    layer_count: usize,
    file_count: u32,
    verified: bool,
    config: ConfigDoc,
    history: Vec<HistoryDoc>,
}

#[derive(Serialize)]
struct ConfigDoc {
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    env: Vec<String>,
    user: Option<String>,
    working_dir: Option<String>,
    labels: std::collections::BTreeMap<String, String>,
    exposed_ports: Vec<String>,
}

impl ConfigDoc {
    fn new(c: &crate::image::RuntimeConfig) -> ConfigDoc {
        ConfigDoc {
            entrypoint: esc_all(&c.entrypoint),
            cmd: esc_all(&c.cmd),
            env: esc_all(&c.env),
            user: esc_opt(c.user.as_deref()),
            working_dir: esc_opt(c.working_dir.as_deref()),
            labels: c.labels.iter().map(|(k, v)| (esc(k), esc(v))).collect(),
            exposed_ports: esc_all(&c.exposed_ports),
        }
    }
}

#[derive(Serialize)]
struct HistoryDoc {
    created: Option<String>,
    created_by: Option<String>,
    comment: Option<String>,
    empty_layer: bool,
}

#[derive(Serialize)]
struct LayerDoc {
    index: usize,
    diff_id: String,
    digest: Option<String>,
    media_type: Option<String>,
    compression: crate::image::Compression,
    compressed_size: Option<u64>,
    tar_size: u64,
    size: u64,
    history_index: Option<usize>,
    created_by: Option<String>,
    created: Option<String>,
    entry_count: usize,
    /// Bytes of this layer a later layer hides.
    wasted: u64,
    entries: Vec<EntryDoc>,
}

#[derive(Serialize)]
struct EntryDoc {
    #[serde(flatten)]
    path: JsonPath,
    kind: &'static str,
    size: u64,
    mode: String,
    uid: u32,
    gid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
}

impl EntryDoc {
    fn new(e: EntryRef<'_>) -> Self {
        EntryDoc {
            path: JsonPath::new(e.path),
            kind: e.kind.as_str(),
            size: e.size,
            mode: format!("{:04o}", e.mode),
            uid: e.uid,
            gid: e.gid,
            link: e.link.map(|l| escape_bytes(l).into_owned()),
            hash: e.hash.map(|h| h.to_string()),
        }
    }
}

#[derive(Serialize)]
struct FileDoc {
    #[serde(flatten)]
    path: JsonPath,
    size: u64,
    layer: u32,
}

impl<'a> InspectDoc<'a> {
    fn new(
        image: &'a Image,
        tree: &FileTree,
        waste: &Waste,
        gate_failures: &'a [String],
        max_entries: Option<usize>,
    ) -> Self {
        let cap = max_entries.unwrap_or(usize::MAX);
        let file = |id: NodeId| FileDoc {
            path: JsonPath::new(&tree.path_of(id)),
            size: tree.size(id),
            layer: tree.node(id).layer,
        };
        InspectDoc {
            schema: "stagediff.inspect/v1",
            image: ImageDoc {
                reference: esc(&image.reference),
                source: image.source,
                id: esc_opt(image.id.as_deref()),
                manifest_digest: esc_opt(image.manifest_digest.as_deref()),
                repo_tags: esc_all(&image.repo_tags),
                os: esc(&image.os),
                architecture: esc(&image.architecture),
                variant: esc_opt(image.variant.as_deref()),
                created: esc_opt(image.created.as_deref()),
                size: image.size(),
                tar_size: image.tar_bytes(),
                layer_count: image.layers.len(),
                file_count: tree.file_count(),
                verified: image.verified,
                config: ConfigDoc::new(&image.config),
                history: image
                    .history
                    .iter()
                    .map(|h| HistoryDoc {
                        created: esc_opt(h.created.as_deref()),
                        created_by: esc_opt(h.created_by.as_deref()),
                        comment: esc_opt(h.comment.as_deref()),
                        empty_layer: h.empty_layer,
                    })
                    .collect(),
            },
            layers: image
                .layers
                .iter()
                .map(|l| LayerDoc {
                    index: l.index,
                    diff_id: esc(&l.diff_id),
                    digest: esc_opt(l.digest.as_deref()),
                    media_type: esc_opt(l.media_type.as_deref()),
                    compression: l.compression,
                    compressed_size: l.compressed_size,
                    tar_size: l.tar_size,
                    size: l.size,
                    history_index: l.history_index,
                    created_by: esc_opt(l.created_by.as_deref()),
                    created: esc_opt(l.created.as_deref()),
                    entry_count: l.entries.len(),
                    wasted: waste.wasted_in_layer.get(l.index).copied().unwrap_or(0),
                    entries: l.entries.iter().take(cap).map(EntryDoc::new).collect(),
                })
                .collect(),
            largest_files: tree.largest_files(10).into_iter().map(file).collect(),
            waste: WasteDoc::new(waste),
            gate_failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_keep_bytes() {
        let p = JsonPath::new(b"caf\xe9");
        assert_eq!(p.path, "/caf\\xe9");
        assert_eq!(p.path_hex.as_deref(), Some("636166e9"));
        assert!(JsonPath::new(b"usr/bin").path_hex.is_none());
        // Valid UTF-8 is escaped too, and its bytes kept.
        let p = JsonPath::new("a\u{1b}\u{9b}\\".as_bytes());
        assert_eq!(p.path, "/a\\x1b\\x9b\\\\");
        assert_eq!(p.path_hex.as_deref(), Some("611bc29b5c"));
    }
}
