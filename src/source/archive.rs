//! Tar archives of images — `docker save` (legacy and Docker ≥ 25) and OCI
//! archives — read in one sequential pass, so a pipe (stdin, the daemon's
//! export stream) works as well as a file. Layer-looking members are parsed
//! as they stream by; which of them are layers, and in which order, is
//! decided from the manifest at the end (it comes last in `docker save`).

use crate::error::ErrorKind;
use crate::image::blob::{
    first_error, parse_layer, parse_parallel, Algorithms, BlobOptions, Compression, LayerJob,
    ParsedLayer,
};
use crate::image::capture::Keeper;
use crate::image::resolve::{self, normalize_member, read_document, Selector, Store, MAX_JSON};
use crate::image::{Image, SourceKind};
use crate::source::{LoadOptions, LoadProgress};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering;

/// Members at most this big are read whole before deciding what they are.
const SMALL_MEMBER: u64 = 256 * 1024;

/// Symlinks and hard links between archive members: `docker save` stores an
/// identical layer once and links the other directories to it.
#[derive(Default)]
struct Links(HashMap<String, String>);

impl Links {
    fn insert(&mut self, member: String, target: &[u8], symlink: bool) {
        let target = String::from_utf8_lossy(target);
        let resolved = if symlink {
            let parent = member.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
            normalize_member(&format!("{parent}/{target}"))
        } else {
            normalize_member(&target)
        };
        self.0.insert(member, resolved);
    }

    /// The member a name finally refers to (at most 8 links deep).
    fn resolve<'a>(&'a self, member: &'a str) -> &'a str {
        let mut m = member;
        for _ in 0..8 {
            match self.0.get(m) {
                Some(t) => m = t,
                None => break,
            }
        }
        m
    }
}

/// The distinct blobs a plan's layers name (links resolved), in first-use
/// order, and for each layer the index of its blob. A manifest may list the
/// same blob twice; it is read once. `exists` says whether the archive holds
/// a blob; the first layer naming a missing one is the error.
fn distinct_blobs(
    plan: &resolve::Plan,
    links: &Links,
    exists: impl Fn(&str) -> bool,
) -> Result<(Vec<String>, Vec<usize>), ErrorKind> {
    let mut unique: Vec<String> = Vec::new();
    let mut slot_of = Vec::with_capacity(plan.layers.len());
    for (i, lp) in plan.layers.iter().enumerate() {
        let key = links.resolve(&lp.member);
        if !exists(key) {
            return Err(ErrorKind::MissingBlob {
                what: format!("layer {}", i + 1),
                digest: lp.digest.clone().unwrap_or_else(|| lp.member.clone()),
            });
        }
        let slot = match unique.iter().position(|u| u == key) {
            Some(s) => s,
            None => {
                unique.push(key.to_string());
                unique.len() - 1
            }
        };
        slot_of.push(slot);
    }
    Ok((unique, slot_of))
}

/// Hands out one parsed blob per layer, in plan order: the last use of a
/// blob takes it, earlier uses clone it.
fn per_layer(
    mut parsed: Vec<Option<ParsedLayer>>,
    slot_of: &[usize],
) -> Result<Vec<ParsedLayer>, ErrorKind> {
    let mut uses = vec![0usize; parsed.len()];
    for &s in slot_of {
        uses[s] += 1;
    }
    let mut out = Vec::with_capacity(slot_of.len());
    for &s in slot_of {
        uses[s] -= 1;
        let p = if uses[s] == 0 {
            parsed[s].take()
        } else {
            parsed[s].clone()
        };
        out.push(p.ok_or(ErrorKind::Cancelled)?);
    }
    Ok(out)
}

/// Hands each layer (in plan order) the files the keeper holds for it.
pub(super) fn attach_kept(
    parsed: &mut [ParsedLayer],
    keeper: Keeper,
    position: impl Fn(u32) -> Option<usize>,
) {
    let kept = keeper.into_layers(parsed.len(), position);
    for (layer, kept) in parsed.iter_mut().zip(kept) {
        layer.captured = kept;
    }
}

/// A plain path is read as a docker archive; without `manifest.json` it
/// was an OCI archive all along.
fn archive_kind(kind: SourceKind, has_docker_manifest: bool) -> SourceKind {
    if kind == SourceKind::DockerArchive && !has_docker_manifest {
        SourceKind::OciArchive
    } else {
        kind
    }
}

#[derive(Default)]
struct Walked {
    small: HashMap<String, Vec<u8>>,
    layers: HashMap<String, Result<ParsedLayer, ErrorKind>>,
    /// Each blob's slot in the keeper: its order in the stream.
    slots: HashMap<String, u32>,
    links: Links,
}

impl Walked {
    fn resolve<'a>(&'a self, member: &'a str) -> &'a str {
        self.links.resolve(member)
    }
}

impl Store for Walked {
    fn read_small(&self, member: &str) -> Result<Option<Vec<u8>>, ErrorKind> {
        Ok(self.small.get(self.resolve(member)).cloned())
    }
}

fn looks_json(head: &[u8]) -> bool {
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{' || b == b'[')
}

/// Counts bytes into the shared progress and honours cancellation.
struct Counting<'a, R> {
    inner: R,
    progress: &'a LoadProgress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.progress.cancel.load(Ordering::Relaxed) {
            // Not `Interrupted`: readers retry that kind, forever.
            return Err(io::Error::other("cancelled"));
        }
        let n = self.inner.read(buf)?;
        self.progress
            .bytes_done
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub(super) fn load_file(
    reference: &str,
    path: &Path,
    name: Option<&str>,
    kind: SourceKind,
    opts: &LoadOptions,
    progress: &LoadProgress,
) -> Result<Image, ErrorKind> {
    let io_err = |source| ErrorKind::Io {
        what: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(ErrorKind::NotAnArchive(format!(
            "{} is a directory (use oci:DIR for an OCI layout)",
            path.display()
        )));
    }
    progress.bytes_total.store(meta.len(), Ordering::Relaxed);
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 4];
    let n = read_full(&mut Range::new(&file, 0, 4), &mut magic).map_err(io_err)?;
    if !meta.file_type().is_file() || Compression::sniff(&magic[..n]) != Compression::None {
        // Pipes and whole-archive compression can only be read in order.
        let file = std::fs::File::open(path).map_err(io_err)?;
        return load_stream(reference, file, name, kind, opts, progress);
    }
    load_indexed(reference, file, meta.len(), name, kind, opts, progress)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// A regular archive file: its members are found by seeking from header to
/// header, small documents are read in place, and layers are read in
/// parallel through range readers.
struct Indexed {
    file: std::fs::File,
    members: HashMap<String, (u64, u64)>,
    links: Links,
}

impl Indexed {
    fn resolve<'a>(&'a self, member: &'a str) -> &'a str {
        self.links.resolve(member)
    }
}

impl Store for Indexed {
    fn read_small(&self, member: &str) -> Result<Option<Vec<u8>>, ErrorKind> {
        let Some(&(offset, size)) = self.members.get(self.resolve(member)) else {
            return Ok(None);
        };
        read_document(Range::new(&self.file, offset, size), size, member).map(Some)
    }
}

/// Reads `len` bytes of a file from `offset`, without moving a shared cursor.
struct Range<'a> {
    file: &'a std::fs::File,
    pos: u64,
    end: u64,
}

impl<'a> Range<'a> {
    fn new(file: &'a std::fs::File, offset: u64, len: u64) -> Self {
        Range {
            file,
            pos: offset,
            end: offset.saturating_add(len),
        }
    }
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

fn index_archive(
    file: &std::fs::File,
    len: u64,
    progress: &LoadProgress,
) -> Result<Indexed, ErrorKind> {
    let mut archive = tar::Archive::new(file);
    let mut members = HashMap::new();
    let mut links = Links::default();
    let entries = archive
        .entries_with_seek()
        .map_err(|e| map_outer_err(e, progress))?;
    let mut first = true;
    for item in entries {
        let e = match item {
            Ok(e) => e,
            Err(_) if first => {
                return Err(ErrorKind::NotAnArchive(
                    "not a tar file (the first header is not a valid tar header)".into(),
                ))
            }
            Err(err) => return Err(map_outer_err(err, progress)),
        };
        first = false;
        let member = normalize_member(&String::from_utf8_lossy(&e.path_bytes()));
        let et = e.header().entry_type();
        if et.is_symlink() || et.is_hard_link() {
            if let Some(target) = e.link_name_bytes() {
                links.insert(member, &target, et.is_symlink());
            }
            continue;
        }
        if !(et.is_file() || et == tar::EntryType::Continuous) {
            continue;
        }
        let (offset, size) = (e.raw_file_position(), e.size());
        if offset.saturating_add(size) > len {
            return Err(ErrorKind::Truncated(format!(
                "archive ends inside {member} ({} of {size} bytes)",
                len.saturating_sub(offset)
            )));
        }
        members.insert(member, (offset, size));
    }
    if first {
        return Err(ErrorKind::NotAnArchive("empty archive".into()));
    }
    Ok(Indexed {
        file: file.try_clone().map_err(|source| ErrorKind::Io {
            what: "archive".into(),
            source,
        })?,
        members,
        links,
    })
}

fn load_indexed(
    reference: &str,
    file: std::fs::File,
    len: u64,
    name: Option<&str>,
    kind: SourceKind,
    opts: &LoadOptions,
    progress: &LoadProgress,
) -> Result<Image, ErrorKind> {
    let index = index_archive(&file, len, progress)?;
    let sel = Selector {
        name,
        platform: opts.platform.as_deref(),
        verify: opts.verify,
    };
    let plan = resolve::plan(&index, &sel)?;
    let (unique, slot_of) = distinct_blobs(&plan, &index.links, |m| index.members.contains_key(m))?;
    // A blob's slot in the keeper is the highest layer that uses it.
    let mut rank = vec![0u32; unique.len()];
    for (position, &u) in slot_of.iter().enumerate() {
        rank[u] = position as u32;
    }
    let jobs: Vec<LayerJob> = unique
        .iter()
        .zip(&rank)
        .map(|(m, &slot)| LayerJob {
            slot,
            what: m.clone(),
            size: index.members[m].1,
            algs: plan
                .layers
                .iter()
                .find(|lp| index.resolve(&lp.member) == m.as_str())
                .map(|lp| lp.algs)
                .unwrap_or_else(|| Algorithms::of_member(m)),
        })
        .collect();
    progress
        .bytes_total
        .store(jobs.iter().map(|j| j.size).sum(), Ordering::Relaxed);
    progress.set_stage(format!("reading {} layers", jobs.len()));
    let keeper = Keeper::ranked();
    let blob_opts = BlobOptions {
        verify: opts.verify,
        progress: Some(&progress.bytes_done),
        cancel: Some(&progress.cancel),
        algs: Algorithms::default(),
        keeper: Some((&keeper, 0)),
    };
    let open = |i: usize| -> Result<(Range<'_>, u64), ErrorKind> {
        let (offset, size) = index.members[&unique[i]];
        Ok((Range::new(&index.file, offset, size), size))
    };
    let results = parse_parallel(&jobs, open, blob_opts, Some(&progress.layers_done));
    let mut parsed = per_layer(
        first_error(results)?.into_iter().map(Some).collect(),
        &slot_of,
    )?;
    attach_kept(&mut parsed, keeper, |s| Some(s as usize));
    let kind = archive_kind(kind, index.members.contains_key("manifest.json"));
    resolve::build_image(reference, kind, plan, parsed, opts.verify)
}

/// Loads an image from a tar stream (optionally gzip or zstd compressed as a
/// whole).
pub(crate) fn load_stream(
    reference: &str,
    reader: impl Read,
    name: Option<&str>,
    kind: SourceKind,
    opts: &LoadOptions,
    progress: &LoadProgress,
) -> Result<Image, ErrorKind> {
    let counted = Counting {
        inner: reader,
        progress,
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, counted);
    let head = buffered
        .fill_buf()
        .map_err(|e| map_outer_err(e, progress))?;
    // The layer order comes with the manifest, at the end of the stream:
    // until then every kept copy is held (within the per-image limit).
    let keeper = Keeper::unranked();
    let walked = match Compression::sniff(head) {
        Compression::None => walk(buffered, opts, progress, &keeper)?,
        Compression::Gzip => walk(
            BufReader::with_capacity(256 * 1024, flate2::read::MultiGzDecoder::new(buffered)),
            opts,
            progress,
            &keeper,
        )?,
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(buffered)
                .map_err(|e| map_outer_err(e, progress))?;
            walk(
                BufReader::with_capacity(256 * 1024, dec),
                opts,
                progress,
                &keeper,
            )?
        }
    };
    finish(reference, walked, keeper, name, kind, opts)
}

fn map_outer_err(e: io::Error, progress: &LoadProgress) -> ErrorKind {
    if progress.cancel.load(Ordering::Relaxed) {
        return ErrorKind::Cancelled;
    }
    let msg = e.to_string();
    if e.kind() == io::ErrorKind::UnexpectedEof || msg.contains("entire block") {
        ErrorKind::Truncated("archive: it ends inside an entry".into())
    } else if msg.contains("checksum") || msg.contains("numeric field") {
        // The tar crate quotes header bytes in these messages: not shown.
        ErrorKind::BadTar {
            what: "archive".into(),
            detail: "bad entry header (checksum or numeric field)".into(),
        }
    } else if msg.contains("invalid") || msg.contains("corrupt") {
        ErrorKind::BadTar {
            what: "archive".into(),
            detail: crate::error::detail(msg),
        }
    } else {
        ErrorKind::Io {
            what: "archive".into(),
            source: e,
        }
    }
}

fn walk(
    reader: impl Read,
    opts: &LoadOptions,
    progress: &LoadProgress,
    keeper: &Keeper,
) -> Result<Walked, ErrorKind> {
    let mut archive = tar::Archive::new(reader);
    let mut out = Walked::default();
    let blob_opts = BlobOptions {
        verify: opts.verify,
        progress: None,
        cancel: Some(&progress.cancel),
        algs: Algorithms::default(),
        keeper: None,
    };
    let entries = archive.entries().map_err(|e| map_outer_err(e, progress))?;
    let mut first = true;
    for item in entries {
        let mut e = match item {
            Ok(e) => e,
            Err(_) if first && !progress.cancel.load(Ordering::Relaxed) => {
                return Err(ErrorKind::NotAnArchive(
                    "not a tar file (the first header is not a valid tar header)".into(),
                ))
            }
            Err(err) => return Err(map_outer_err(err, progress)),
        };
        first = false;
        let member = normalize_member(&String::from_utf8_lossy(&e.path_bytes()));
        let et = e.header().entry_type();
        if et.is_symlink() || et.is_hard_link() {
            if let Some(target) = e.link_name_bytes() {
                out.links.insert(member, &target, et.is_symlink());
            }
            continue;
        }
        if !(et.is_file() || et == tar::EntryType::Continuous) {
            continue;
        }
        let size = e.size();
        progress.set_stage(member.clone());
        let mut head = Vec::with_capacity(SMALL_MEMBER.min(size) as usize);
        let want = if size <= SMALL_MEMBER { size } else { 64 };
        (&mut e)
            .take(want)
            .read_to_end(&mut head)
            .map_err(|err| map_outer_err(err, progress))?;
        if (head.len() as u64) < want {
            return Err(ErrorKind::Truncated(format!(
                "archive ends inside {member} ({} of {size} bytes)",
                head.len()
            )));
        }
        // Documents are JSON (oci-layout and repositories too); a member
        // is a layer by what the manifest says, whatever its name.
        if looks_json(&head) {
            if size > MAX_JSON {
                continue;
            }
            if size > SMALL_MEMBER {
                e.read_to_end(&mut head)
                    .map_err(|err| map_outer_err(err, progress))?;
            }
            out.small.insert(member, head);
            continue;
        }
        if size < 512 && !member.starts_with("blobs/") && !member.ends_with(".tar") {
            // VERSION files and the like.
            out.small.insert(member, head);
            continue;
        }
        let slot = out.slots.len() as u32;
        // The manifest comes last: a streamed blob is digested in the
        // algorithm its path names (`blobs/sha512/…`), sha256 otherwise.
        let parsed = parse_layer(
            io::Cursor::new(head).chain(&mut e),
            &member,
            Some(size),
            BlobOptions {
                algs: Algorithms::of_member(&member),
                keeper: Some((keeper, slot)),
                ..blob_opts
            },
        );
        if matches!(parsed, Err(ErrorKind::Cancelled)) {
            return Err(ErrorKind::Cancelled);
        }
        progress.layers_done.fetch_add(1, Ordering::Relaxed);
        out.slots.insert(member.clone(), slot);
        out.layers.insert(member, parsed);
    }
    if first {
        return Err(ErrorKind::NotAnArchive("empty archive".into()));
    }
    Ok(out)
}

fn finish(
    reference: &str,
    mut walked: Walked,
    keeper: Keeper,
    name: Option<&str>,
    kind: SourceKind,
    opts: &LoadOptions,
) -> Result<Image, ErrorKind> {
    let sel = Selector {
        name,
        platform: opts.platform.as_deref(),
        verify: opts.verify,
    };
    let plan = resolve::plan(&walked, &sel)?;
    let (unique, slot_of) =
        distinct_blobs(&plan, &walked.links, |m| walked.layers.contains_key(m))?;
    // A blob that failed to parse is only an error when a layer uses it.
    let mut parsed = Vec::with_capacity(unique.len());
    for key in &unique {
        match walked.layers.remove(key) {
            Some(Ok(p)) => parsed.push(Some(p)),
            Some(Err(e)) => return Err(e),
            None => parsed.push(None),
        }
    }
    let mut parsed = per_layer(parsed, &slot_of)?;
    // Each blob's kept files go to the highest layer that uses it.
    let mut position: HashMap<u32, usize> = HashMap::new();
    for (i, lp) in plan.layers.iter().enumerate() {
        if let Some(&slot) = walked.slots.get(walked.resolve(&lp.member)) {
            position.insert(slot, i);
        }
    }
    attach_kept(&mut parsed, keeper, |s| position.get(&s).copied());
    let kind = archive_kind(kind, walked.small.contains_key("manifest.json"));
    resolve::build_image(reference, kind, plan, parsed, opts.verify)
}

/// Which layers (indices) use each distinct blob, in first-use order.
fn uses_of(slot_of: &[usize], blobs: usize) -> Vec<Vec<usize>> {
    let mut uses = vec![Vec::new(); blobs];
    for (layer, &slot) in slot_of.iter().enumerate() {
        uses[slot].push(layer);
    }
    uses
}

/// Reads the layers of an archive file again for the export
/// ([`super::reread`]): a plain file through its index, anything else (a
/// compressed archive, a pipe) as a stream, twice.
pub(super) fn reread_file(
    path: &Path,
    name: Option<&str>,
    again: &super::reread::Again<'_>,
    tap: &mut dyn super::reread::LayerTap,
) -> Result<(), ErrorKind> {
    let io_err = |source| ErrorKind::Io {
        what: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 4];
    let n = read_full(&mut Range::new(&file, 0, 4), &mut magic).map_err(io_err)?;
    if !meta.file_type().is_file() || Compression::sniff(&magic[..n]) != Compression::None {
        let open = || std::fs::File::open(path).map_err(io_err);
        return reread_stream(open, name, again, tap);
    }
    let index = index_archive(&file, meta.len(), &LoadProgress::default())?;
    let plan = resolve::plan(&index, &again.selector(name))?;
    again.same_image(&plan)?;
    let (unique, slot_of) = distinct_blobs(&plan, &index.links, |m| index.members.contains_key(m))?;
    for (member, uses) in unique.iter().zip(uses_of(&slot_of, unique.len())) {
        let (offset, size) = index.members[member];
        again.blob(
            Range::new(&index.file, offset, size),
            member,
            Some(size),
            &uses,
            &plan,
            tap,
        )?;
    }
    Ok(())
}

/// The stream with whole-archive compression undone.
fn decompressed<'r>(reader: impl Read + 'r) -> Result<Box<dyn Read + 'r>, ErrorKind> {
    let mut buffered = BufReader::with_capacity(256 * 1024, reader);
    let head = buffered.fill_buf().map_err(|source| ErrorKind::Io {
        what: "archive".into(),
        source,
    })?;
    Ok(match Compression::sniff(head) {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(buffered),
        )),
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(buffered).map_err(|source| {
                ErrorKind::Io {
                    what: "archive".into(),
                    source,
                }
            })?;
            Box::new(BufReader::with_capacity(256 * 1024, dec))
        }
    })
}

/// Reads a streamed archive again: once for its documents (the manifest
/// comes last, so which member is which layer is only known at the end),
/// then for the wanted layers, as they stream by.
pub(super) fn reread_stream<R: Read>(
    mut open: impl FnMut() -> Result<R, ErrorKind>,
    name: Option<&str>,
    again: &super::reread::Again<'_>,
    tap: &mut dyn super::reread::LayerTap,
) -> Result<(), ErrorKind> {
    let progress = LoadProgress::default();
    // First pass: the documents and the names of the blobs.
    let mut docs = Walked::default();
    let mut blobs: std::collections::HashSet<String> = std::collections::HashSet::new();
    {
        let mut archive = tar::Archive::new(decompressed(open()?)?);
        let entries = archive.entries().map_err(|e| map_outer_err(e, &progress))?;
        for item in entries {
            let mut e = item.map_err(|err| map_outer_err(err, &progress))?;
            if again.cancel.load(Ordering::Relaxed) {
                return Err(ErrorKind::Cancelled);
            }
            let member = normalize_member(&String::from_utf8_lossy(&e.path_bytes()));
            let et = e.header().entry_type();
            if et.is_symlink() || et.is_hard_link() {
                if let Some(target) = e.link_name_bytes() {
                    docs.links.insert(member, &target, et.is_symlink());
                }
                continue;
            }
            if !(et.is_file() || et == tar::EntryType::Continuous) {
                continue;
            }
            let size = e.size();
            let want = if size <= SMALL_MEMBER { size } else { 64 };
            let mut head = Vec::with_capacity(want as usize);
            (&mut e)
                .take(want)
                .read_to_end(&mut head)
                .map_err(|err| map_outer_err(err, &progress))?;
            let small = looks_json(&head);
            if small && size <= MAX_JSON {
                if size > SMALL_MEMBER {
                    e.read_to_end(&mut head)
                        .map_err(|err| map_outer_err(err, &progress))?;
                }
                docs.small.insert(member, head);
            } else if size < 512 && !member.starts_with("blobs/") && !member.ends_with(".tar") {
                docs.small.insert(member, head);
            } else {
                blobs.insert(member);
            }
        }
    }
    let plan = resolve::plan(&docs, &again.selector(name))?;
    again.same_image(&plan)?;
    let (unique, slot_of) = distinct_blobs(&plan, &docs.links, |m| blobs.contains(m))?;
    let uses = uses_of(&slot_of, unique.len());
    let mut seen = vec![false; unique.len()];
    // Second pass: the layers, in the order the stream holds them.
    let mut archive = tar::Archive::new(decompressed(open()?)?);
    let entries = archive.entries().map_err(|e| map_outer_err(e, &progress))?;
    for item in entries {
        let e = item.map_err(|err| map_outer_err(err, &progress))?;
        let et = e.header().entry_type();
        if !(et.is_file() || et == tar::EntryType::Continuous) {
            continue;
        }
        let member = normalize_member(&String::from_utf8_lossy(&e.path_bytes()));
        let Some(u) = unique.iter().position(|m| *m == member) else {
            continue;
        };
        if seen[u] {
            continue;
        }
        seen[u] = true;
        let size = e.size();
        again.blob(e, &member, Some(size), &uses[u], &plan, tap)?;
    }
    if let Some(u) = seen.iter().position(|s| !s) {
        return Err(ErrorKind::MissingBlob {
            what: format!(
                "layer {} on the second read",
                uses[u].first().map_or(0, |l| l + 1)
            ),
            digest: unique[u].clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::resolve::LayerPlan;

    #[test]
    fn links_resolve_relative_to_their_directory_and_stop_after_eight() {
        let mut l = Links::default();
        // docker save: `<id>/layer.tar -> ../<other>/layer.tar`.
        l.insert("b/layer.tar".into(), b"../a/layer.tar", true);
        // Hard link targets are archive paths already.
        l.insert("c/layer.tar".into(), b"./b/layer.tar", false);
        assert_eq!(l.resolve("b/layer.tar"), "a/layer.tar");
        assert_eq!(l.resolve("c/layer.tar"), "a/layer.tar");
        assert_eq!(l.resolve("a/layer.tar"), "a/layer.tar");
        // A top-level symlink resolves from the archive's root.
        l.insert("top".into(), b"a/layer.tar", true);
        assert_eq!(l.resolve("top"), "a/layer.tar");

        // n0 -> n1 -> … -> n9: eight steps, then the name reached so far.
        let mut chain = Links::default();
        for i in 0..9 {
            chain.insert(format!("n{i}"), format!("n{}", i + 1).as_bytes(), true);
        }
        assert_eq!(chain.resolve("n0"), "n8");
        assert_eq!(chain.resolve("n1"), "n9");
        // A loop ends too.
        let mut cycle = Links::default();
        cycle.insert("x".into(), b"y", true);
        cycle.insert("y".into(), b"x", true);
        assert_eq!(cycle.resolve("x"), "x");
    }

    fn plan_of(members: &[&str]) -> resolve::Plan {
        let config = serde_json::from_value(serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": []}
        }))
        .unwrap();
        resolve::Plan {
            config,
            config_extra: Default::default(),
            config_digest: None,
            manifest_digest: None,
            repo_tags: Vec::new(),
            layers: members
                .iter()
                .map(|m| LayerPlan {
                    member: m.to_string(),
                    digest: None,
                    media_type: None,
                    size: None,
                    algs: Algorithms::default(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_blob_named_twice_is_read_once() {
        let mut links = Links::default();
        links.insert("c/layer.tar".into(), b"../a/layer.tar", true);
        let plan = plan_of(&["a/layer.tar", "b/layer.tar", "c/layer.tar", "b/layer.tar"]);
        let (unique, slot_of) = distinct_blobs(&plan, &links, |_| true).unwrap();
        assert_eq!(unique, ["a/layer.tar", "b/layer.tar"]);
        assert_eq!(slot_of, [0, 1, 0, 1]);
        assert_eq!(uses_of(&slot_of, 2), [vec![0, 2], vec![1, 3]]);
        // The first layer naming a missing blob is the error.
        match distinct_blobs(&plan, &links, |m| m != "b/layer.tar") {
            Err(ErrorKind::MissingBlob { what, digest }) => {
                assert_eq!(what, "layer 2");
                assert_eq!(digest, "b/layer.tar");
            }
            other => panic!("{other:?}"),
        }
    }

    fn parsed(size: u64) -> ParsedLayer {
        ParsedLayer {
            compression: Compression::None,
            raw_size: size,
            raw_digest: None,
            diff_id: None,
            tar_size: size,
            size,
            entries: Default::default(),
            captured: Vec::new(),
            facts: Vec::new(),
        }
    }

    #[test]
    fn each_layer_gets_its_blob_however_often_it_is_used() {
        let out = per_layer(vec![Some(parsed(1)), Some(parsed(2))], &[0, 1, 0, 0]).unwrap();
        let sizes: Vec<u64> = out.iter().map(|p| p.size).collect();
        assert_eq!(sizes, [1, 2, 1, 1]);
        // A blob that was never read is a cancelled load, not a panic.
        assert!(matches!(
            per_layer(vec![Some(parsed(1)), None], &[0, 1]),
            Err(ErrorKind::Cancelled)
        ));
    }

    #[test]
    fn documents_are_told_by_their_first_byte() {
        assert!(looks_json(b"{\"a\":1}"));
        assert!(looks_json(b" \n\t[1]"));
        assert!(!looks_json(b""));
        assert!(!looks_json(b"   "));
        assert!(!looks_json(b"x{"));
        assert!(!looks_json(b"\x1f\x8b"));
    }

    #[test]
    fn a_docker_archive_without_manifest_json_is_an_oci_archive() {
        use SourceKind as K;
        assert_eq!(archive_kind(K::DockerArchive, true), K::DockerArchive);
        assert_eq!(archive_kind(K::DockerArchive, false), K::OciArchive);
        assert_eq!(archive_kind(K::OciArchive, true), K::OciArchive);
        assert_eq!(archive_kind(K::Stdin, false), K::Stdin);
    }

    #[test]
    fn outer_errors_are_named_for_what_they_mean() {
        let p = LoadProgress::default();
        let e = |kind, msg: &str| map_outer_err(io::Error::new(kind, msg.to_string()), &p);
        use io::ErrorKind as K;
        assert!(matches!(
            e(K::UnexpectedEof, "eof"),
            ErrorKind::Truncated(_)
        ));
        assert!(matches!(
            e(K::Other, "failed to read entire block"),
            ErrorKind::Truncated(_)
        ));
        // The tar crate quotes header bytes here: they are not passed on.
        for msg in [
            "archive header checksum mismatch \x1b[2J",
            "numeric field was not a number: \x1b",
        ] {
            match e(K::Other, msg) {
                ErrorKind::BadTar { detail, .. } => {
                    assert_eq!(detail, "bad entry header (checksum or numeric field)")
                }
                other => panic!("{other:?}"),
            }
        }
        match e(K::InvalidData, "corrupt deflate stream") {
            ErrorKind::BadTar { detail, .. } => assert_eq!(detail, "corrupt deflate stream"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            e(K::InvalidData, "invalid gzip header"),
            ErrorKind::BadTar { .. }
        ));
        assert!(matches!(
            e(K::PermissionDenied, "denied"),
            ErrorKind::Io { .. }
        ));
        p.cancel.store(true, Ordering::Relaxed);
        assert!(matches!(e(K::UnexpectedEof, "eof"), ErrorKind::Cancelled));
    }

    /// A tar of one small member, then a 512-byte block that is no header.
    fn tar_then_garbage() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "VERSION", &b"1.0"[..]).unwrap();
        let mut v = b.into_inner().unwrap();
        v.truncate(1024); // the member, without the end-of-archive blocks
        v.extend_from_slice(&[b'x'; 512]);
        v.extend_from_slice(&[0; 1024]);
        v
    }

    /// What loading BYTES gives, read from a file (indexed) and as a stream.
    fn load_both(bytes: &[u8], cancel: bool) -> [Result<Image, ErrorKind>; 2] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, bytes).unwrap();
        let p = LoadProgress::default();
        p.cancel.store(cancel, Ordering::Relaxed);
        let o = LoadOptions::default();
        let k = SourceKind::DockerArchive;
        [
            load_file("a.tar", &path, None, k, &o, &p),
            load_stream("a.tar", bytes, None, k, &o, &p),
        ]
    }

    #[test]
    fn only_a_bad_first_header_means_not_an_archive() {
        for r in load_both(&[b'x'; 2048], false) {
            match r {
                Err(ErrorKind::NotAnArchive(m)) => assert!(m.contains("not a tar"), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        // A bad header further on is a broken archive, not a different format.
        for r in load_both(&tar_then_garbage(), false) {
            match r {
                Err(ErrorKind::BadTar { detail, .. }) => {
                    assert!(detail.contains("header"), "{detail}")
                }
                other => panic!("{other:?}"),
            }
        }
        // Nothing at all.
        for r in load_both(&[0; 1024], false) {
            match r {
                Err(ErrorKind::NotAnArchive(m)) => assert_eq!(m, "empty archive"),
                other => panic!("{other:?}"),
            }
        }
        // Cancelled while reading the stream's first header: cancelled,
        // whatever the header holds.
        let [_, streamed] = load_both(&[b'x'; 2048], true);
        assert!(
            matches!(streamed, Err(ErrorKind::Cancelled)),
            "{streamed:?}"
        );
    }

    #[test]
    fn a_range_reads_its_bytes_and_no_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mut v = Vec::new();
        Range::new(&file, 2, 5).read_to_end(&mut v).unwrap();
        assert_eq!(v, b"23456");
        // Past the file's end: what is there.
        let mut v = Vec::new();
        Range::new(&file, 8, 100).read_to_end(&mut v).unwrap();
        assert_eq!(v, b"89");
        let mut buf = [0u8; 4];
        assert_eq!(
            read_full(&mut Range::new(&file, 0, 3), &mut buf).unwrap(),
            3
        );
        assert_eq!(&buf[..3], b"012");
        assert_eq!(
            read_full(&mut Range::new(&file, 0, 10), &mut buf).unwrap(),
            4
        );
        // One byte at a time still fills the buffer.
        struct Dribble<'a>(&'a [u8]);
        impl Read for Dribble<'_> {
            fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(1).min(b.len());
                b[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        assert_eq!(read_full(&mut Dribble(b"abcdef"), &mut buf).unwrap(), 4);
        assert_eq!(&buf, b"abcd");
    }
}
