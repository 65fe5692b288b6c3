//! Writes the image a plan predicts (`stagediff plan IMAGE --export PATH`):
//! a `docker load`-able docker-archive with one layer holding exactly the
//! chosen tree — directories first, parents before children, then symlinks,
//! regular files, hard links — with IMAGE's modes, owners and link targets,
//! and IMAGE's runtime config. File contents are read again from IMAGE's
//! source with every digest checked ([`crate::source::reread`]) and copied
//! straight into the output as they stream by: nothing is extracted and no
//! layer is held in memory.
//!
//! The archive is written to any `Write`; where it goes (a temporary file
//! renamed at the end, or stdout) is the command's business.

mod layer;

use crate::analysis::closure::minimal::tree_of;
use crate::analysis::closure::Closure;
use crate::analysis::glob::GlobSet;
use crate::image::digest::Algorithm;
use crate::image::{EntryKind, Image};
use crate::source::LoadOptions;
use crate::tree::{FileTree, NodeId};
use layer::{padding, Head, LayerWriter, Stop};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::sync::atomic::AtomicBool;

/// The layer's path inside the archive.
const LAYER_MEMBER: &str = "minimal/layer.tar";

/// What goes into the export beyond (or out of) the closure.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Paths of IMAGE to add (with everything below a directory, and the
    /// file a symlink names inside the image).
    pub include: Vec<String>,
    /// Closure paths to leave out.
    pub exclude: Vec<String>,
}

/// The tree to export: the closure's required files and links, plus what
/// `selection.include` matches, minus what `selection.exclude` matches,
/// with their parent directories. A hard link always brings the file it
/// links to (it holds the content).
pub fn select(tree: &FileTree, closure: &Closure, selection: &Selection) -> FileTree {
    let include = GlobSet::new(&selection.include);
    let exclude = GlobSet::new(&selection.exclude);
    let mut ids: BTreeSet<NodeId> = closure.required().map(|(id, _)| id).collect();
    if !include.is_empty() {
        let mut add = Vec::new();
        for id in tree.iter() {
            let path = tree.path_of(id);
            if !include.matches(&path) {
                continue;
            }
            add.push(id);
            let n = tree.node(id);
            if n.is_dir() {
                add.extend(tree.descendants(id));
            } else if n.kind == EntryKind::Symlink {
                // The file the link names, resolved inside the image.
                if let Some(t) = tree.resolve(&path) {
                    if t != crate::tree::ROOT {
                        add.push(t);
                        if tree.node(t).is_dir() {
                            add.extend(tree.descendants(t));
                        }
                    }
                }
            }
        }
        ids.extend(add);
    }
    if !exclude.is_empty() {
        ids.retain(|&id| !exclude.matches(&tree.path_of(id)));
    }
    let links: Vec<NodeId> = ids
        .iter()
        .copied()
        .filter(|&id| tree.node(id).kind == EntryKind::HardLink)
        .collect();
    for id in links {
        if let Some(t) = link_target(tree, id) {
            ids.insert(t);
        }
    }
    tree_of(tree, ids)
}

/// The regular file a hard link finally names (following links to links),
/// if the tree holds it.
fn link_target(tree: &FileTree, id: NodeId) -> Option<NodeId> {
    let mut cur = id;
    for _ in 0..16 {
        let n = tree.node(cur);
        match n.kind {
            EntryKind::File => return (cur != id).then_some(cur),
            EntryKind::HardLink => cur = tree.lookup(n.link?)?,
            _ => return None,
        }
    }
    None
}

/// What was written.
#[derive(Clone, Debug)]
pub struct Exported {
    /// Bytes of the archive.
    pub archive_bytes: u64,
    /// Bytes of the layer's content, counted as `docker image inspect`
    /// counts them.
    pub size: u64,
    pub files: u64,
    pub entries: u64,
    /// The tag `docker load` gives it (none: it loads untagged).
    pub tag: Option<String>,
    /// The new image's ID (its config's digest).
    pub id: String,
    /// Device nodes (the runtime makes `/dev`) and hard links whose file
    /// IMAGE lacks, left out.
    pub skipped: u64,
}

/// Why the export failed; one line each.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Source(#[from] crate::Error),
    #[error("cannot write the export: {0}")]
    Write(#[source] io::Error),
    #[error("interrupted")]
    Cancelled,
    #[error("{reference}: {detail}")]
    Content { reference: String, detail: String },
}

/// What to export and from where.
pub struct Request<'a> {
    /// IMAGE as the user named it (read again from there).
    pub reference: &'a str,
    pub load: &'a LoadOptions,
    pub image: &'a Image,
    /// The tree to write ([`select`]).
    pub tree: &'a FileTree,
    pub tag: Option<String>,
    /// Set to stop (^C); the result is then [`ExportError::Cancelled`].
    pub cancel: &'a AtomicBool,
}

/// The tag an export gets by default: IMAGE's first tag (or daemon name)
/// with `-minimal` after its tag.
pub fn default_tag(image: &Image) -> Option<String> {
    let name =
        image.repo_tags.first().cloned().or_else(|| {
            match crate::source::ImageRef::parse(&image.reference) {
                Ok(crate::source::ImageRef::Daemon { name })
                | Ok(crate::source::ImageRef::Podman { name }) => Some(name),
                _ => None,
            }
        })?;
    let name = name.split('@').next().unwrap_or(&name).to_string();
    let last = name.rsplit('/').next().unwrap_or(&name);
    let (repo, tag) = match last.rsplit_once(':') {
        Some((_, t)) => (&name[..name.len() - t.len() - 1], t),
        None => (name.as_str(), "latest"),
    };
    let mut tag = format!("{tag}-minimal");
    tag.truncate(128);
    let out = format!("{repo}:{tag}");
    check_tag(&out).ok().map(|()| out)
}

/// A docker reference `NAME:TAG` as `docker load` accepts it.
pub fn check_tag(tag: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{}: {why}", crate::escape::escape_str(tag)));
    let last_slash = tag.rfind('/').map_or(0, |i| i + 1);
    let (name, t) = match tag[last_slash..].rfind(':') {
        Some(i) => (&tag[..last_slash + i], &tag[last_slash + i + 1..]),
        None => return bad("NAME:TAG expected"),
    };
    if t.is_empty()
        || t.len() > 128
        || t.starts_with(['.', '-'])
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return bad("a tag is 1 to 128 letters, digits, `_`, `.` or `-`, not first `.` or `-`");
    }
    let mut parts = name.split('/').peekable();
    let mut first = true;
    while let Some(p) = parts.next() {
        // The first part may be a registry host (`localhost:5000`).
        let host = first && parts.peek().is_some() && (p.contains(['.', ':']) || p == "localhost");
        first = false;
        let ok = !p.is_empty()
            && if host {
                p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:".contains(&b))
            } else {
                p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                    && p.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && p.ends_with(|c: char| c.is_ascii_alphanumeric())
            };
        if !ok {
            return bad("a name is lowercase letters, digits and `._-` between `/`");
        }
    }
    Ok(())
}

/// The archive's config: IMAGE's platform and runtime config, one layer,
/// and a history entry naming IMAGE.
fn config_json(image: &Image, diff_id: &str) -> Vec<u8> {
    let c = &image.config;
    let mut cfg = Map::new();
    if let Some(u) = &c.user {
        cfg.insert("User".into(), json!(u));
    }
    if !c.exposed_ports.is_empty() {
        let ports: Map<String, Value> = c
            .exposed_ports
            .iter()
            .map(|p| (p.clone(), json!({})))
            .collect();
        cfg.insert("ExposedPorts".into(), Value::Object(ports));
    }
    if !c.env.is_empty() {
        cfg.insert("Env".into(), json!(c.env));
    }
    if !c.entrypoint.is_empty() {
        cfg.insert("Entrypoint".into(), json!(c.entrypoint));
    }
    if !c.cmd.is_empty() {
        cfg.insert("Cmd".into(), json!(c.cmd));
    }
    if let Some(w) = &c.working_dir {
        cfg.insert("WorkingDir".into(), json!(w));
    }
    if !c.labels.is_empty() {
        cfg.insert("Labels".into(), json!(c.labels));
    }
    if !c.volumes.is_empty() {
        let volumes: Map<String, Value> =
            c.volumes.iter().map(|v| (v.clone(), json!({}))).collect();
        cfg.insert("Volumes".into(), Value::Object(volumes));
    }
    if let Some(s) = &c.stop_signal {
        cfg.insert("StopSignal".into(), json!(s));
    }
    // Healthcheck, Shell: as IMAGE's config holds them.
    for (k, v) in &c.extra {
        cfg.insert(k.clone(), v.clone());
    }
    let from = image.id.as_deref().unwrap_or(&image.reference);
    let mut history = Map::new();
    if let Some(t) = &image.created {
        history.insert("created".into(), json!(t));
    }
    history.insert(
        "created_by".into(),
        json!(format!("stagediff plan --export (from {from})")),
    );
    history.insert(
        "comment".into(),
        json!("the runtime closure of the entrypoint, made by stagediff plan"),
    );
    let mut doc = Map::new();
    doc.insert("architecture".into(), json!(image.architecture));
    doc.insert("os".into(), json!(image.os));
    if let Some(v) = &image.variant {
        doc.insert("variant".into(), json!(v));
    }
    if let Some(t) = &image.created {
        doc.insert("created".into(), json!(t));
    }
    doc.insert("config".into(), Value::Object(cfg));
    doc.insert(
        "rootfs".into(),
        json!({"type": "layers", "diff_ids": [diff_id]}),
    );
    doc.insert("history".into(), json!([Value::Object(history)]));
    serde_json::to_vec(&Value::Object(doc)).unwrap_or_default()
}

/// A member of the outer archive: its header (and the caller writes the
/// content and [`padding`]).
fn member_header(name: &str, size: u64) -> [u8; 512] {
    let mut h = tar::Header::new_gnu();
    let n = name.len().min(100);
    h.as_old_mut().name[..n].copy_from_slice(&name.as_bytes()[..n]);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    let mut out = [0u8; 512];
    out.copy_from_slice(h.as_bytes());
    out
}

/// The tree's entries in the order they are written.
struct Order {
    /// Directories (parents first), symlinks, fifos: written before the
    /// files.
    before: Vec<NodeId>,
    files: Vec<NodeId>,
    /// Hard links with the file they name.
    links: Vec<(NodeId, NodeId)>,
    /// Device nodes and hard links to nothing, left out.
    skipped: u64,
}

fn order(tree: &FileTree) -> Order {
    let mut o = Order {
        before: Vec::new(),
        files: Vec::new(),
        links: Vec::new(),
        skipped: 0,
    };
    let mut dirs = Vec::new();
    let mut others = Vec::new();
    // Depth first: a directory comes before everything below it.
    for id in tree.iter() {
        match tree.node(id).kind {
            EntryKind::Dir => dirs.push(id),
            EntryKind::Symlink | EntryKind::Fifo => others.push(id),
            EntryKind::File => o.files.push(id),
            EntryKind::HardLink => match link_target(tree, id) {
                Some(t) => o.links.push((id, t)),
                // It names nothing the tree holds: left out.
                None => o.skipped += 1,
            },
            EntryKind::CharDevice | EntryKind::BlockDevice => o.skipped += 1,
            EntryKind::Whiteout | EntryKind::OpaqueWhiteout => {}
        }
    }
    dirs.extend(others);
    o.before = dirs;
    o
}

fn head_of<'a>(tree: &'a FileTree, id: NodeId, path: &'a [u8], link: Option<&'a [u8]>) -> Head<'a> {
    let n = tree.node(id);
    Head {
        path,
        kind: n.kind,
        link,
        size: if n.kind == EntryKind::File { n.size } else { 0 },
        mode: n.mode,
        uid: n.uid,
        gid: n.gid,
        mtime: 0,
    }
}

/// Writes the archive to `out`.
pub fn write_archive(
    req: &Request<'_>,
    out: &mut (dyn Write + Send),
) -> Result<Exported, ExportError> {
    let tree = req.tree;
    let o = order(tree);
    let paths =
        |ids: &[NodeId]| -> Vec<Vec<u8>> { ids.iter().map(|&id| tree.path_of(id)).collect() };
    let before_paths = paths(&o.before);
    let file_paths = paths(&o.files);
    let link_paths: Vec<(Vec<u8>, Vec<u8>)> = o
        .links
        .iter()
        .map(|&(l, t)| (tree.path_of(l), tree.path_of(t)))
        .collect();
    // The layer's length, before a byte of it is written.
    let mut len = 1024u64;
    for (&id, p) in o.before.iter().zip(&before_paths) {
        len += head_of(tree, id, p, tree.node(id).link).len();
    }
    for (&id, p) in o.files.iter().zip(&file_paths) {
        let size = tree.node(id).size;
        len += head_of(tree, id, p, None).len() + size + padding(size);
    }
    for (&(id, _), (p, t)) in o.links.iter().zip(&link_paths) {
        len += head_of(tree, id, p, Some(t)).len();
    }

    let mut archive_bytes = 0u64;
    let emit = |out: &mut (dyn Write + Send), n: &mut u64, b: &[u8]| -> Result<(), ExportError> {
        out.write_all(b).map_err(ExportError::Write)?;
        *n += b.len() as u64;
        Ok(())
    };
    emit(out, &mut archive_bytes, &member_header(LAYER_MEMBER, len))?;
    let stop = |s: Stop, reference: &str| match s {
        Stop::Write(e) => ExportError::Write(e),
        Stop::Cancelled => ExportError::Cancelled,
        Stop::Content(detail) => ExportError::Content {
            reference: crate::escape::escape_str(reference).into_owned(),
            detail,
        },
    };
    let (diff_id, files, written) = {
        let mut w = LayerWriter::new(&mut *out, tree, &o.files, &req.image.layers, req.cancel);
        for (&id, p) in o.before.iter().zip(&before_paths) {
            let h = head_of(tree, id, p, tree.node(id).link).encode();
            w.put(&h).map_err(|s| stop(s, req.reference))?;
        }
        let r =
            crate::source::reread::reread(req.reference, req.load, req.image, req.cancel, &mut w);
        // A failed write or ^C first; then what the source says (a digest
        // that does not match explains a content that differs).
        match (w.stop.take(), r) {
            (Some(s @ (Stop::Write(_) | Stop::Cancelled)), _) => {
                return Err(stop(s, req.reference))
            }
            (_, Err(e)) if matches!(e.kind, crate::error::ErrorKind::Cancelled) => {
                return Err(ExportError::Cancelled)
            }
            (_, Err(e)) => return Err(ExportError::Source(e)),
            (Some(s), Ok(())) => return Err(stop(s, req.reference)),
            (None, Ok(())) => {}
        }
        if let Some(detail) = w.missing() {
            return Err(stop(Stop::Content(detail), req.reference));
        }
        for (&(id, _), (p, t)) in o.links.iter().zip(&link_paths) {
            let h = head_of(tree, id, p, Some(t)).encode();
            w.put(&h).map_err(|s| stop(s, req.reference))?;
        }
        w.put(&[0u8; 1024]).map_err(|s| stop(s, req.reference))?;
        (w.finish(), w.files, w.written)
    };
    if written != len {
        return Err(ExportError::Content {
            reference: crate::escape::escape_str(req.reference).into_owned(),
            detail: format!("internal error: the layer came to {written} bytes, not {len}"),
        });
    }
    archive_bytes += written;
    emit(out, &mut archive_bytes, &vec![0u8; padding(len) as usize])?;
    let config = config_json(req.image, &diff_id);
    let config_digest = Algorithm::Sha256.digest(&config);
    let config_member = format!(
        "{}.json",
        config_digest
            .strip_prefix("sha256:")
            .unwrap_or(&config_digest)
    );
    emit(
        out,
        &mut archive_bytes,
        &member_header(&config_member, config.len() as u64),
    )?;
    emit(out, &mut archive_bytes, &config)?;
    emit(
        out,
        &mut archive_bytes,
        &vec![0u8; padding(config.len() as u64) as usize],
    )?;
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_member,
        "RepoTags": req.tag.as_ref().map(|t| vec![t.clone()]),
        "Layers": [LAYER_MEMBER],
    }]))
    .unwrap_or_default();
    emit(
        out,
        &mut archive_bytes,
        &member_header("manifest.json", manifest.len() as u64),
    )?;
    emit(out, &mut archive_bytes, &manifest)?;
    emit(
        out,
        &mut archive_bytes,
        &vec![0u8; padding(manifest.len() as u64) as usize],
    )?;
    emit(out, &mut archive_bytes, &[0u8; 1024])?;
    out.flush().map_err(ExportError::Write)?;
    Ok(Exported {
        archive_bytes,
        size: tree.total_size(),
        files,
        entries: (o.before.len() + o.files.len() + o.links.len()) as u64,
        tag: req.tag.clone(),
        id: config_digest,
        skipped: o.skipped,
    })
}
