//! `stagediff inspect`: a summary of one image (text) or its full model
//! (JSON, schema `stagediff.inspect/v1`, documented in docs/inspect-schema.md).

use crate::cli::{InspectArgs, LoadArgs};
use crate::escape::escape_str;
use crate::image::entry::display_path;
use crate::image::{Entry, Image};
use crate::report::human;
use crate::source::{load, LoadProgress};
use crate::tree::{squash, FileTree, NodeId};
use serde::Serialize;
use std::io::Write;

pub fn run(args: &InspectArgs, load_args: &LoadArgs) -> Result<i32, String> {
    let progress = LoadProgress::default();
    let start = std::time::Instant::now();
    let image = load(&args.image, &load_args.options(), &progress).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    let squashed = squash(&image.layers);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        let doc = InspectDoc::new(&image, &squashed.tree, args.max_entries);
        serde_json::to_writer(&mut out, &doc)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        write_text(&mut out, &image, &squashed.tree, terminal_width(), elapsed)
    };
    match written {
        Ok(()) => Ok(0),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(format!("writing output: {e}")),
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| crossterm::terminal::size().ok().map(|(w, _)| w as usize))
        .unwrap_or(100)
        .max(40)
}

/// Shortens to `max` characters with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn created_by_display(s: Option<&str>) -> String {
    match s {
        None => String::new(),
        Some(s) => {
            let t = s.trim();
            if let Some(r) = t.strip_prefix("/bin/sh -c #(nop) ") {
                escape_str(r.trim()).into_owned()
            } else if let Some(r) = t.strip_prefix("/bin/sh -c ") {
                format!("RUN {}", escape_str(r.trim()))
            } else {
                escape_str(t).into_owned()
            }
        }
    }
}

fn write_text(
    out: &mut impl Write,
    image: &Image,
    tree: &FileTree,
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
        "Size       {} ({} bytes) in {} layers, {} files",
        human(image.size()),
        image.size(),
        image.layers.len(),
        tree.file_count()
    )?;
    let verified = if image.verified {
        "verified"
    } else {
        "not verified (--no-verify)"
    };
    writeln!(
        out,
        "Digests    {verified}; read {} of layer data in {:.2} s",
        human(image.tar_bytes()),
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
        "{:>3}  {:>10}  {:>6}  Created by",
        "#", "Size", "Files"
    )?;
    let fixed = 3 + 2 + 10 + 2 + 6 + 2;
    for l in &image.layers {
        let files = l
            .entries
            .iter()
            .filter(|e| e.kind == crate::image::EntryKind::File)
            .count();
        let cb = created_by_display(l.created_by.as_deref());
        writeln!(
            out,
            "{:>3}  {:>10}  {:>6}  {}",
            l.index + 1,
            human(l.size),
            files,
            shorten(&cb, width.saturating_sub(fixed).max(10))
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Largest files")?;
    for id in tree.largest_files(10) {
        let n = tree.node(id);
        writeln!(
            out,
            "  {:>10}  {}",
            human(n.size),
            shorten(
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
    pub fn new(bytes: &[u8]) -> JsonPath {
        match std::str::from_utf8(bytes) {
            Ok(s) => JsonPath {
                path: format!("/{s}"),
                path_hex: None,
            },
            Err(_) => JsonPath {
                path: display_path(bytes),
                path_hex: Some(bytes.iter().map(|b| format!("{b:02x}")).collect()),
            },
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[derive(Serialize)]
struct InspectDoc<'a> {
    schema: &'static str,
    image: ImageDoc<'a>,
    layers: Vec<LayerDoc<'a>>,
    largest_files: Vec<FileDoc>,
}

#[derive(Serialize)]
struct ImageDoc<'a> {
    reference: &'a str,
    source: crate::image::SourceKind,
    id: Option<&'a str>,
    manifest_digest: Option<&'a str>,
    repo_tags: &'a [String],
    os: &'a str,
    architecture: &'a str,
    variant: Option<&'a str>,
    created: Option<&'a str>,
    size: u64,
    tar_size: u64,
    layer_count: usize,
    file_count: u32,
    verified: bool,
    config: &'a crate::image::RuntimeConfig,
    history: &'a [crate::image::HistoryEntry],
}

#[derive(Serialize)]
struct LayerDoc<'a> {
    index: usize,
    diff_id: &'a str,
    digest: Option<&'a str>,
    media_type: Option<&'a str>,
    compression: crate::image::Compression,
    compressed_size: Option<u64>,
    tar_size: u64,
    size: u64,
    history_index: Option<usize>,
    created_by: Option<&'a str>,
    created: Option<&'a str>,
    entry_count: usize,
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
    fn new(e: &Entry) -> Self {
        EntryDoc {
            path: JsonPath::new(&e.path),
            kind: e.kind.as_str(),
            size: e.size,
            mode: format!("{:04o}", e.mode),
            uid: e.uid,
            gid: e.gid,
            link: e.link.as_deref().map(lossy),
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
    fn new(image: &'a Image, tree: &FileTree, max_entries: Option<usize>) -> Self {
        let cap = max_entries.unwrap_or(usize::MAX);
        let file = |id: NodeId| FileDoc {
            path: JsonPath::new(&tree.path_of(id)),
            size: tree.node(id).size,
            layer: tree.node(id).layer,
        };
        InspectDoc {
            schema: "stagediff.inspect/v1",
            image: ImageDoc {
                reference: &image.reference,
                source: image.source,
                id: image.id.as_deref(),
                manifest_digest: image.manifest_digest.as_deref(),
                repo_tags: &image.repo_tags,
                os: &image.os,
                architecture: &image.architecture,
                variant: image.variant.as_deref(),
                created: image.created.as_deref(),
                size: image.size(),
                tar_size: image.tar_bytes(),
                layer_count: image.layers.len(),
                file_count: tree.file_count(),
                verified: image.verified,
                config: &image.config,
                history: &image.history,
            },
            layers: image
                .layers
                .iter()
                .map(|l| LayerDoc {
                    index: l.index,
                    diff_id: &l.diff_id,
                    digest: l.digest.as_deref(),
                    media_type: l.media_type.as_deref(),
                    compression: l.compression,
                    compressed_size: l.compressed_size,
                    tar_size: l.tar_size,
                    size: l.size,
                    history_index: l.history_index,
                    created_by: l.created_by.as_deref(),
                    created: l.created.as_deref(),
                    entry_count: l.entries.len(),
                    entries: l.entries.iter().take(cap).map(EntryDoc::new).collect(),
                })
                .collect(),
            largest_files: tree.largest_files(10).into_iter().map(file).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_is_tidied_and_escaped() {
        assert_eq!(
            created_by_display(Some("/bin/sh -c #(nop)  ENTRYPOINT [\"/app\"]")),
            "ENTRYPOINT [\"/app\"]"
        );
        assert_eq!(
            created_by_display(Some("/bin/sh -c apt-get install -y golang-go")),
            "RUN apt-get install -y golang-go"
        );
        assert_eq!(created_by_display(Some("evil\u{1b}[31m")), "evil\\x1b[31m");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }

    #[test]
    fn json_paths_keep_bytes() {
        let p = JsonPath::new(b"caf\xe9");
        assert_eq!(p.path, "/caf\\xe9");
        assert_eq!(p.path_hex.as_deref(), Some("636166e9"));
        assert!(JsonPath::new(b"usr/bin").path_hex.is_none());
    }
}
