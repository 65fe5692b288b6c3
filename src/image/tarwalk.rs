//! A push parser for layer tars: it is fed the uncompressed stream in
//! arbitrary slices and hashes file content straight from them, so every
//! byte is touched once after it is read. Header fields are decoded by the
//! `tar` crate's `Header`; GNU long names and PAX records are applied here.

use crate::binary::{FileFacts, Sniffer};
use crate::image::capture::{self, CapturedFile, Keeper};
use crate::image::entry::{
    normalized, split_parent, ContentHash, Entries, EntriesBuilder, EntryKind, EntryRef, ImagePath,
};
use tar::EntryType as T;
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

/// Metadata entries (long names, PAX records) larger than this are refused.
const MAX_META: u64 = 1 << 20;
/// Bytes of a file's start kept to sniff header flags.
const HEAD: usize = 128;
/// Longest name or link target accepted: Linux's PATH_MAX.
const PATH_MAX: usize = 4096;
/// Entries counted locally before they are added to the image's total.
const ENTRY_BATCH: u64 = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TarError {
    Truncated(String),
    Bad(String),
    /// The [`Tap`] asked to stop (it keeps its own reason).
    Stopped,
}

/// Someone who wants the content of some regular files as the walk streams
/// by (the export writes them straight into its own tar). Content arrives
/// in the slices the walker is fed: nothing is buffered for the tap.
pub(crate) trait Tap: Send {
    /// A regular file entry begins (`mtime` from its header); true to be
    /// handed its content.
    fn begin(&mut self, entry: EntryRef<'_>, mtime: u64) -> bool;
    /// The next bytes of the entry begun last; false stops the walk.
    fn data(&mut self, bytes: &[u8]) -> bool;
    /// The entry's content is over; `hash` is its content hash. False stops
    /// the walk.
    fn end(&mut self, hash: Option<ContentHash>) -> bool;
}

enum Data {
    /// Content of a regular file being hashed.
    File {
        hasher: Option<Box<Xxh3>>,
        head: Vec<u8>,
        keep: Option<Vec<u8>>,
        sniff: Sniffer,
        /// The tap takes this file's content.
        tapped: bool,
    },
    /// A GNU long name / long link or PAX record being collected.
    Meta(T, Vec<u8>),
    /// Bytes nobody needs (data of a directory entry, a global header…).
    Skip,
}

enum State {
    Header,
    Data {
        remaining: u64,
        padding: u64,
        data: Data,
    },
    Padding(u64),
    End,
}

#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_link: Option<Vec<u8>>,
    pax_size: Option<u64>,
    pax_uid: Option<u32>,
    pax_gid: Option<u32>,
}

/// What a walk produced.
pub(crate) struct Walked {
    pub entries: Entries,
    pub size: u64,
    pub captured: Vec<CapturedFile>,
    /// What the bytes of ELF files and scripts say, by path, in read order.
    pub facts: Vec<(ImagePath, FileFacts)>,
}

pub(crate) struct TarWalker<'k> {
    /// Where kept contents go, and this layer's slot there; without one the
    /// walker keeps them itself (bounded per layer only).
    keeper: Option<(&'k Keeper, u32)>,
    state: State,
    block: [u8; 512],
    block_len: usize,
    pending: Pending,
    entries: EntriesBuilder,
    size: u64,
    captured: Vec<CapturedFile>,
    captured_bytes: u64,
    /// Most bytes of kept contents and facts per layer
    /// ([`capture::MAX_PER_LAYER`]; smaller in tests).
    kept_limit: u64,
    facts: Vec<(ImagePath, FileFacts)>,
    /// Entry headers seen (counted against the image's limit in batches).
    headers: u64,
    error: Option<TarError>,
    tap: Option<&'k mut dyn Tap>,
}

fn pad_of(size: u64) -> u64 {
    (512 - size % 512) % 512
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

fn header_checksum_ok(block: &[u8; 512]) -> bool {
    let stored = tar::Header::from_byte_slice(block).cksum();
    let sum: u32 = block[..148]
        .iter()
        .chain(&[b' '; 8])
        .chain(&block[156..])
        .map(|&b| u32::from(b))
        .sum();
    stored.is_ok_and(|s| s == sum)
}

impl<'k> TarWalker<'k> {
    #[cfg(test)]
    pub fn new() -> Self {
        Self::with_keeper(None)
    }

    pub fn with_keeper(keeper: Option<(&'k Keeper, u32)>) -> Self {
        TarWalker {
            keeper,
            state: State::Header,
            block: [0; 512],
            block_len: 0,
            pending: Pending::default(),
            entries: EntriesBuilder::default(),
            size: 0,
            captured: Vec::new(),
            facts: Vec::new(),
            captured_bytes: 0,
            kept_limit: capture::MAX_PER_LAYER,
            headers: 0,
            error: None,
            tap: None,
        }
    }

    /// A per-layer limit on kept bytes other than the real one, to test it
    /// without hundreds of megabytes.
    #[cfg(test)]
    fn with_kept_limit(mut self, limit: u64) -> Self {
        self.kept_limit = limit;
        self
    }

    /// Hands regular files' content to `tap` as it streams by.
    pub fn with_tap(mut self, tap: Option<&'k mut dyn Tap>) -> Self {
        self.tap = tap;
        self
    }

    /// True once the walk hit an error (feeding more changes nothing).
    /// Entry headers read so far.
    pub fn headers(&self) -> u64 {
        self.headers
    }

    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Feeds the next bytes of the stream.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && self.error.is_none() {
            match &mut self.state {
                State::End => return,
                State::Padding(p) => {
                    let n = (*p).min(data.len() as u64) as usize;
                    *p -= n as u64;
                    data = &data[n..];
                    if *p == 0 {
                        self.state = State::Header;
                    }
                }
                State::Header => {
                    if self.block_len == 0 && data.len() >= 512 {
                        let mut b = [0u8; 512];
                        b.copy_from_slice(&data[..512]);
                        data = &data[512..];
                        self.header(&b);
                    } else {
                        let n = (512 - self.block_len).min(data.len());
                        self.block[self.block_len..self.block_len + n].copy_from_slice(&data[..n]);
                        self.block_len += n;
                        data = &data[n..];
                        if self.block_len == 512 {
                            self.block_len = 0;
                            let b = self.block;
                            self.header(&b);
                        }
                    }
                }
                State::Data { .. } => {
                    data = self.data(data);
                }
            }
        }
    }

    /// Ends the walk: the stream is over.
    pub fn finish(mut self) -> Result<Walked, TarError> {
        self.count_entries(self.headers % ENTRY_BATCH);
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match &self.state {
            // A stream that stops between entries, without the end-of-archive
            // blocks, is accepted as tar(1) accepts it.
            State::Header if self.block_len == 0 => {}
            State::End => {}
            State::Padding(_) => {
                return Err(TarError::Truncated(
                    "the tar stream ends inside padding".into(),
                ))
            }
            State::Header => {
                return Err(TarError::Truncated(
                    "the tar stream ends inside a header".into(),
                ))
            }
            State::Data { remaining, .. } => {
                let what = self
                    .entries
                    .last()
                    .map(|e| e.display_path())
                    .unwrap_or_else(|| "an entry".into());
                return Err(TarError::Truncated(format!(
                    "the tar stream ends inside {what} ({remaining} bytes missing)"
                )));
            }
        }
        // Later entries for the same path win, as they do when extracting.
        self.captured.reverse();
        self.captured.sort_by(|a, b| a.path.cmp(&b.path));
        self.captured.dedup_by(|a, b| a.path == b.path);
        Ok(Walked {
            entries: self.entries.finish(),
            size: self.size,
            captured: self.captured,
            facts: self.facts,
        })
    }

    /// Adds `n` entries to the image's count; fails the walk past its limit.
    fn count_entries(&mut self, n: u64) -> bool {
        match self.keeper {
            Some((k, _)) if !k.add_entries(n) => {
                self.fail(TarError::Bad(format!(
                    "the image holds more than {} entries, stagediff's limit",
                    k.max_entries()
                )));
                false
            }
            _ => true,
        }
    }

    fn fail(&mut self, e: TarError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn header(&mut self, block: &[u8; 512]) {
        if block.iter().all(|&b| b == 0) {
            self.state = State::End;
            return;
        }
        if !header_checksum_ok(block) {
            // The header's bytes are image data: never quoted.
            self.fail(TarError::Bad("bad entry header (checksum mismatch)".into()));
            return;
        }
        let h = tar::Header::from_byte_slice(block);
        let et = h.entry_type();
        let Ok(header_size) = h.entry_size() else {
            self.fail(TarError::Bad("bad entry header (size field)".into()));
            return;
        };
        let stored = match et {
            T::GNULongName | T::GNULongLink | T::XHeader | T::XGlobalHeader => header_size,
            _ => self.pending.pax_size.unwrap_or(header_size),
        };
        let padding = pad_of(stored);
        match et {
            T::GNULongName | T::GNULongLink | T::XHeader => {
                if stored > MAX_META {
                    self.fail(TarError::Bad(format!("metadata entry of {stored} bytes")));
                    return;
                }
                self.begin_data(
                    stored,
                    padding,
                    Data::Meta(et, Vec::with_capacity(stored as usize)),
                );
                return;
            }
            T::XGlobalHeader => {
                self.begin_data(stored, padding, Data::Skip);
                return;
            }
            _ => {}
        }
        self.headers += 1;
        if self.headers % ENTRY_BATCH == 0 && !self.count_entries(ENTRY_BATCH) {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let kind = match et {
            T::Regular | T::Continuous | T::GNUSparse => EntryKind::File,
            T::Directory => EntryKind::Dir,
            T::Symlink => EntryKind::Symlink,
            T::Link => EntryKind::HardLink,
            T::Char => EntryKind::CharDevice,
            T::Block => EntryKind::BlockDevice,
            T::Fifo => EntryKind::Fifo,
            // Unknown type flags are read as regular files (POSIX says so).
            _ => EntryKind::File,
        };
        let raw_path: std::borrow::Cow<'_, [u8]> = match pending.pax_path.or(pending.long_name) {
            Some(p) => p.into(),
            None => h.path_bytes(),
        };
        let link_raw: Option<Box<[u8]>> = pending
            .pax_link
            .or(pending.long_link)
            .or_else(|| h.link_name_bytes().map(|l| l.into_owned()))
            .map(Vec::into_boxed_slice);
        // Linux refuses longer names (ENAMETOOLONG), so docker could not
        // extract them either; and each directory a path implies is recorded
        // with its own path, so a name's cost grows with its square.
        if raw_path.len() > PATH_MAX || link_raw.as_ref().is_some_and(|l| l.len() > PATH_MAX) {
            self.fail(TarError::Bad(format!(
                "an entry's name or link target is longer than {PATH_MAX} bytes"
            )));
            return;
        }
        // Borrowed from the header block when clean: a million entries are
        // not a million path allocations (the layer's store copies it in).
        let path = normalized(&raw_path);
        let mode = h.mode().unwrap_or(0o644) & 0o7777;
        let uid = pending
            .pax_uid
            .unwrap_or_else(|| h.uid().unwrap_or(0).min(u64::from(u32::MAX)) as u32);
        let gid = pending
            .pax_gid
            .unwrap_or_else(|| h.gid().unwrap_or(0).min(u64::from(u32::MAX)) as u32);

        // Whiteouts are recognised by the last component of the name.
        let (parent, name) = split_parent(&path);
        if let Some(rest) = name.strip_prefix(b".wh.") {
            if rest == b".wh..opq" {
                self.entries
                    .push_ref(bare(parent, EntryKind::OpaqueWhiteout, mode, uid, gid));
            } else if !rest.starts_with(b".wh.") && !rest.is_empty() {
                let mut target = Vec::with_capacity(path.len() - 4);
                if !parent.is_empty() {
                    target.extend_from_slice(parent);
                    target.push(b'/');
                }
                target.extend_from_slice(rest);
                self.entries
                    .push_ref(bare(&target, EntryKind::Whiteout, mode, uid, gid));
            }
            // `.wh..wh.*` other than the opaque marker is aufs bookkeeping.
            self.begin_data(stored, padding, Data::Skip);
            return;
        }
        if path.is_empty() && kind == EntryKind::Dir {
            // The root directory itself: nothing to record.
            self.begin_data(stored, padding, Data::Skip);
            return;
        }
        let mut entry = bare(&path, kind, mode, uid, gid);
        let hard_target;
        match kind {
            EntryKind::CharDevice | EntryKind::BlockDevice => {
                entry.device = Some((
                    h.device_major().ok().flatten().unwrap_or(0),
                    h.device_minor().ok().flatten().unwrap_or(0),
                ));
            }
            EntryKind::Symlink => {
                let target = link_raw.as_deref().unwrap_or_default();
                entry.size = target.len() as u64;
                entry.link = Some(target);
            }
            EntryKind::HardLink => {
                hard_target = normalized(link_raw.as_deref().unwrap_or_default());
                entry.link = Some(&hard_target);
            }
            _ => {}
        }
        if kind == EntryKind::File {
            entry.size = stored;
            let keep = (self.captured_bytes + stored <= self.kept_limit
                && capture::wants(entry.path, stored)
                && self
                    .keeper
                    .is_none_or(|(k, slot)| k.admit(slot, entry.path, stored)))
            .then(|| Vec::with_capacity(stored as usize));
            let mtime = h.mtime().unwrap_or(0);
            let tapped = self.tap.as_mut().is_some_and(|t| t.begin(entry, mtime));
            self.size += stored;
            self.entries.push_ref(entry);
            self.begin_data(
                stored,
                padding,
                Data::File {
                    hasher: None,
                    head: Vec::new(),
                    keep,
                    sniff: Sniffer::new(stored),
                    tapped,
                },
            );
        } else {
            self.size += entry.size;
            self.entries.push_ref(entry);
            self.begin_data(stored, padding, Data::Skip);
        }
    }

    fn begin_data(&mut self, remaining: u64, padding: u64, data: Data) {
        if remaining == 0 {
            self.end_data(data);
            self.state = if padding == 0 {
                State::Header
            } else {
                State::Padding(padding)
            };
        } else {
            self.state = State::Data {
                remaining,
                padding,
                data,
            };
        }
    }

    /// Consumes data bytes of the current entry; returns what is left of `input`.
    fn data<'a>(&mut self, input: &'a [u8]) -> &'a [u8] {
        let State::Data {
            remaining,
            padding,
            data,
        } = &mut self.state
        else {
            return input;
        };
        let n = (*remaining).min(input.len() as u64) as usize;
        let (now, rest) = input.split_at(n);
        let whole = *remaining == n as u64;
        match data {
            Data::File {
                hasher,
                head,
                keep,
                sniff,
                tapped,
            } => {
                if *tapped {
                    if let Some(t) = self.tap.as_mut() {
                        if !t.data(now) {
                            self.error.get_or_insert(TarError::Stopped);
                            return &[];
                        }
                    }
                }
                if let Some(k) = keep {
                    k.extend_from_slice(now);
                }
                sniff.feed(now);
                if head.len() < HEAD {
                    let take = (HEAD - head.len()).min(now.len());
                    head.extend_from_slice(&now[..take]);
                }
                match hasher {
                    // The whole file is in this slice: one-shot hash.
                    None if whole => {
                        let hash = ContentHash(xxh3_128(now));
                        self.entries.set_last_hash(Some(hash));
                    }
                    None => {
                        let mut h = Box::new(Xxh3::new());
                        h.update(now);
                        *hasher = Some(h);
                    }
                    Some(h) => h.update(now),
                }
            }
            Data::Meta(_, buf) => buf.extend_from_slice(now),
            Data::Skip => {}
        }
        *remaining -= n as u64;
        if *remaining == 0 {
            let pad = *padding;
            let State::Data { data, .. } = std::mem::replace(
                &mut self.state,
                if pad == 0 {
                    State::Header
                } else {
                    State::Padding(pad)
                },
            ) else {
                unreachable!("state was Data above")
            };
            self.end_data(data);
        }
        rest
    }

    fn end_data(&mut self, data: Data) {
        match data {
            Data::File {
                hasher,
                head,
                keep,
                sniff,
                tapped,
            } => {
                let Some(e) = self.entries.last() else {
                    return;
                };
                let (size, hash_before) = (e.size, e.hash);
                if let Some(f) = sniff.finish() {
                    // Facts are small and bounded per file; they count
                    // against the same limit as kept contents.
                    let weight = f.weight();
                    let room = match self.keeper {
                        Some((keeper, _)) => keeper.charge(weight),
                        None => self.captured_bytes + weight <= self.kept_limit,
                    };
                    if room {
                        self.captured_bytes += weight;
                        self.facts.push((e.path.into(), f));
                    }
                }
                let hash = match hasher {
                    Some(h) => Some(ContentHash(h.digest128())),
                    None => hash_before.or_else(|| Some(ContentHash(xxh3_128(b"")))),
                };
                self.entries.set_last_hash(hash);
                self.entries.set_last_flags(capture::sniff_flags(&head));
                if tapped {
                    if let Some(t) = self.tap.as_mut() {
                        if !t.end(hash) {
                            self.fail(TarError::Stopped);
                            return;
                        }
                    }
                }
                if let Some(k) = keep {
                    let Some(e) = self.entries.last() else {
                        return;
                    };
                    self.captured_bytes += k.len() as u64;
                    match self.keeper {
                        Some((keeper, slot)) => {
                            keeper.keep(slot, e.path.into(), k.into_boxed_slice(), size)
                        }
                        None => self.captured.push(CapturedFile {
                            path: e.path.into(),
                            content: k.into_boxed_slice(),
                        }),
                    }
                }
            }
            Data::Meta(kind, buf) => match kind {
                T::GNULongName => self.pending.long_name = Some(trim_nul(buf)),
                T::GNULongLink => self.pending.long_link = Some(trim_nul(buf)),
                _ => self.apply_pax(&buf),
            },
            Data::Skip => {}
        }
    }

    fn apply_pax(&mut self, records: &[u8]) {
        for ext in tar::PaxExtensions::new(records) {
            let Ok(ext) = ext else {
                self.fail(TarError::Bad("malformed PAX header".into()));
                return;
            };
            let key = ext.key_bytes();
            if !matches!(key, b"size" | b"uid" | b"gid") {
                match key {
                    b"path" => self.pending.pax_path = Some(ext.value_bytes().to_vec()),
                    b"linkpath" => self.pending.pax_link = Some(ext.value_bytes().to_vec()),
                    _ => {}
                }
                continue;
            }
            // A numeric record that is not a decimal number (or a negative
            // size) is a malformed header, as Go's archive/tar — what docker
            // uses — has it; it never falls back to the ustar field.
            let Some(n) = pax_number(ext.value_bytes()) else {
                let key = String::from_utf8_lossy(key);
                self.fail(TarError::Bad(format!("invalid PAX {key} record")));
                return;
            };
            match key {
                b"size" => match u64::try_from(n) {
                    Ok(v) => self.pending.pax_size = Some(v),
                    Err(_) => {
                        self.fail(TarError::Bad("invalid PAX size record".into()));
                        return;
                    }
                },
                // Negative ids are accepted by Go; they read as 0 here.
                b"uid" => self.pending.pax_uid = Some(n.clamp(0, i64::from(u32::MAX)) as u32),
                _ => self.pending.pax_gid = Some(n.clamp(0, i64::from(u32::MAX)) as u32),
            }
        }
    }
}

/// A PAX numeric value as Go's `strconv.ParseInt(v, 10, 64)` reads it: an
/// optional sign and decimal digits, nothing else, within i64 — which is
/// exactly what Rust's `i64::from_str` accepts (no spaces, no `_`, no `0x`).
fn pax_number(v: &[u8]) -> Option<i64> {
    std::str::from_utf8(v).ok()?.parse::<i64>().ok()
}

fn bare(path: &[u8], kind: EntryKind, mode: u32, uid: u32, gid: u32) -> EntryRef<'_> {
    EntryRef {
        path,
        kind,
        size: 0,
        mode,
        uid,
        gid,
        link: None,
        hash: None,
        device: None,
        flags: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o755);
        h.set_entry_type(T::Regular);
        b.append_data(&mut h, "usr/bin/tool", &b"#!/sh"[..])
            .unwrap();
        let long = format!("very/{}/name.txt", "long".repeat(40));
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_entry_type(T::Regular);
        b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "lnk", format!("target/{}", "t".repeat(120)))
            .unwrap();
        // A PAX record overriding path and uid.
        let pax = b"30 path=pax/override/name.bin\n17 uid=123456789\n";
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::XHeader);
        h.set_size(pax.len() as u64);
        b.append_data(&mut h, "PaxHeader", &pax[..]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(4);
        h.set_entry_type(T::Regular);
        b.append_data(&mut h, "short", &b"paxd"[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(T::Regular);
        b.append_data(&mut h, "etc/.wh.gone", std::io::empty())
            .unwrap();
        b.into_inner().unwrap()
    }

    fn walk_in_pieces(data: &[u8], piece: usize) -> Result<Walked, TarError> {
        let mut w = TarWalker::new();
        for c in data.chunks(piece) {
            w.feed(c);
        }
        w.finish()
    }

    #[test]
    fn same_result_whatever_the_slicing() {
        let data = build();
        let whole = walk_in_pieces(&data, data.len()).unwrap();
        assert_eq!(whole.entries.len(), 5);
        assert_eq!(&*whole.entries.to_vec()[0].path, b"usr/bin/tool");
        assert_eq!(
            whole.entries.to_vec()[0].hash,
            Some(ContentHash(xxh3_128(b"#!/sh")))
        );
        assert_eq!(whole.entries.to_vec()[0].flags, capture::flags::SCRIPT);
        assert!(whole.entries.to_vec()[1].path.ends_with(b"/name.txt"));
        assert_eq!(
            whole.entries.to_vec()[2].link.as_deref().map(|l| l.len()),
            Some(127)
        );
        assert_eq!(&*whole.entries.to_vec()[3].path, b"pax/override/name.bin");
        assert_eq!(whole.entries.to_vec()[3].uid, 123456789);
        assert_eq!(whole.entries.to_vec()[4].kind, EntryKind::Whiteout);
        assert_eq!(&*whole.entries.to_vec()[4].path, b"etc/gone");
        assert_eq!(whole.size, 5 + 3 + 127 + 4);
        for piece in [1, 7, 511, 512, 513, 4096] {
            let w = walk_in_pieces(&data, piece).unwrap();
            assert_eq!(w.entries, whole.entries, "piece {piece}");
        }
    }

    #[test]
    fn truncation_and_garbage_are_errors() {
        let data = build();
        for cut in [100, 600, 1030, data.len() - 1100] {
            let r = walk_in_pieces(&data[..cut], 333);
            assert!(
                matches!(r, Err(TarError::Truncated(_))),
                "cut {cut}: {:?}",
                r.err()
            );
        }
        let mut bad = data.clone();
        bad[10] ^= 0xff;
        assert!(matches!(walk_in_pieces(&bad, 1000), Err(TarError::Bad(_))));
        let junk = vec![b'x'; 2048];
        assert!(matches!(walk_in_pieces(&junk, 2048), Err(TarError::Bad(_))));
    }

    fn pax_then_file(records: &[u8]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::XHeader);
        h.set_size(records.len() as u64);
        b.append_data(&mut h, "PaxHeader", records).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(4);
        h.set_entry_type(T::Regular);
        b.append_data(&mut h, "f", &b"data"[..]).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn invalid_pax_numbers_are_refused() {
        for rec in [
            &b"11 size=-1\n"[..],
            b"12 size=abc\n",
            b"8 size=\n",
            b"12 size= 4 \n",
            b"13 uid=1.5e3\n",
            b"12 gid=0x10\n",
            b"11 gid=1_0\n",
            b"8 uid=+\n",
            b"11 uid=+-5\n",
            b"29 size=99999999999999999999\n",
        ] {
            let r = walk_in_pieces(&pax_then_file(rec), 512);
            assert!(
                matches!(&r, Err(TarError::Bad(m)) if m.starts_with("invalid PAX")),
                "{:?}: {:?}",
                String::from_utf8_lossy(rec),
                r.err()
            );
        }
        // Valid ones still apply.
        let w = walk_in_pieces(&pax_then_file(b"10 size=4\n11 uid=+42\n"), 512).unwrap();
        assert_eq!(w.entries.to_vec()[0].size, 4);
        assert_eq!(w.entries.to_vec()[0].uid, 42);
        let w = walk_in_pieces(&pax_then_file(b"11 uid=-42\n"), 512).unwrap();
        assert_eq!(w.entries.to_vec()[0].uid, 0);
    }

    #[test]
    fn entries_past_the_image_limit_fail_the_walk() {
        let many = |n: usize| {
            let mut b = tar::Builder::new(Vec::new());
            for i in 0..n {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(T::Regular);
                h.set_size(0);
                b.append_data(&mut h, format!("f{}", i % 3), std::io::empty())
                    .unwrap();
            }
            b.into_inner().unwrap()
        };
        let keeper = Keeper::with_limits(1 << 20, 10_000, true);
        let walk = |n: usize| {
            let mut w = TarWalker::with_keeper(Some((&keeper, 0)));
            w.feed(&many(n));
            w.finish()
        };
        // Two layers of 5,000 fit; the third passes the image's limit,
        // whether it ends mid-batch or on one.
        // Every entry is read, the one that completes a batch included.
        assert_eq!(walk(5_000).unwrap().entries.len(), 5_000);
        assert!(walk(5_000).is_ok());
        let e = walk(1).err().unwrap();
        assert!(
            matches!(&e, TarError::Bad(m) if m.contains("more than 10000 entries")),
            "{e:?}"
        );
        let keeper = Keeper::with_limits(1 << 20, 8_192, true);
        let mut w = TarWalker::with_keeper(Some((&keeper, 0)));
        w.feed(&many(13_000));
        assert!(w.failed(), "fails while walking, not only at the end");
    }

    #[test]
    fn names_longer_than_path_max_are_refused() {
        let ok = format!("{}f", "a/".repeat(2047));
        let too_long = format!("{}fff", "a/".repeat(2047));
        for (name, link) in [(too_long.as_str(), None), ("l", Some(too_long.as_str()))] {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_size(0);
            match link {
                None => {
                    h.set_entry_type(T::Regular);
                    b.append_data(&mut h, name, std::io::empty()).unwrap();
                }
                Some(l) => {
                    h.set_entry_type(T::Symlink);
                    b.append_link(&mut h, name, l).unwrap();
                }
            }
            let r = walk_in_pieces(&b.into_inner().unwrap(), 512);
            assert!(
                matches!(&r, Err(TarError::Bad(m)) if m.contains("longer than 4096")),
                "{:?}",
                r.err()
            );
        }
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(T::Regular);
        b.append_data(&mut h, &ok, std::io::empty()).unwrap();
        assert_eq!(
            walk_in_pieces(&b.into_inner().unwrap(), 512)
                .unwrap()
                .entries
                .len(),
            1
        );
    }

    /// A tar of `entries` built with the `tar` crate: (name, type, mode,
    /// content or link target). No end-of-archive blocks when `end` is false.
    fn tar_of(entries: &[(&str, T, u32, &[u8])], end: bool) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for &(name, et, mode, body) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(et);
            h.set_mode(mode);
            match et {
                T::Symlink | T::Link => {
                    h.set_size(0);
                    b.append_link(&mut h, name, std::str::from_utf8(body).unwrap())
                        .unwrap();
                }
                _ => {
                    h.set_size(body.len() as u64);
                    b.append_data(&mut h, name, body).unwrap();
                }
            }
        }
        let mut out = b.into_inner().unwrap();
        if !end {
            out.truncate(out.len() - 1024);
        }
        out
    }

    fn paths(w: &Walked) -> Vec<(String, EntryKind)> {
        w.entries
            .iter()
            .map(|e| (String::from_utf8_lossy(e.path).into_owned(), e.kind))
            .collect()
    }

    #[test]
    fn whiteouts_are_read_from_the_last_component() {
        let data = tar_of(
            &[
                // At the root, the deleted path has no parent to join.
                (".wh.top", T::Regular, 0o644, b""),
                ("etc/.wh..wh..opq", T::Regular, 0o644, b""),
                // aufs bookkeeping and a whiteout of nothing: no entry.
                ("etc/.wh..wh.plnk", T::Regular, 0o644, b""),
                ("etc/.wh.", T::Regular, 0o644, b""),
                ("a/b/.wh.c", T::Regular, 0o644, b""),
            ],
            true,
        );
        let w = walk_in_pieces(&data, 512).unwrap();
        assert_eq!(
            paths(&w),
            [
                ("top".into(), EntryKind::Whiteout),
                ("etc".into(), EntryKind::OpaqueWhiteout),
                ("a/b/c".into(), EntryKind::Whiteout),
            ]
        );
        assert_eq!(w.size, 0);
    }

    #[test]
    fn kinds_links_devices_and_modes_are_read_from_the_header() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(T::Char);
        h.set_size(0);
        h.set_mode(0o620);
        h.set_device_major(4).unwrap();
        h.set_device_minor(64).unwrap();
        b.append_data(&mut h, "dev/ttyS0", std::io::empty())
            .unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(T::Block);
        h.set_size(0);
        h.set_device_major(8).unwrap();
        h.set_device_minor(1).unwrap();
        b.append_data(&mut h, "dev/sda1", std::io::empty()).unwrap();
        let rest = tar_of(
            &[
                // The root directory itself is not an entry.
                ("./", T::Directory, 0o755, b""),
                ("usr/bin/", T::Directory, 0o40755, b""),
                ("usr/bin/su", T::Regular, 0o104755, b"\x7fELF"),
                ("usr/bin/sudo", T::Link, 0o644, b"./usr/bin/../bin/su"),
                ("usr/bin/s", T::Symlink, 0o777, b"../bin/su"),
                ("run/fifo", T::Fifo, 0o600, b""),
            ],
            true,
        );
        let mut data = b.into_inner().unwrap();
        data.truncate(data.len() - 1024);
        data.extend_from_slice(&rest);
        let w = walk_in_pieces(&data, 512).unwrap();
        assert_eq!(
            paths(&w),
            [
                ("dev/ttyS0".into(), EntryKind::CharDevice),
                ("dev/sda1".into(), EntryKind::BlockDevice),
                ("usr/bin".into(), EntryKind::Dir),
                ("usr/bin/su".into(), EntryKind::File),
                ("usr/bin/sudo".into(), EntryKind::HardLink),
                ("usr/bin/s".into(), EntryKind::Symlink),
                ("run/fifo".into(), EntryKind::Fifo),
            ]
        );
        let e = &w.entries.to_vec();
        assert_eq!(e[0].device, Some((4, 64)));
        assert_eq!(e[1].device, Some((8, 1)));
        assert_eq!(e[3].device, None);
        assert_eq!(e[0].mode, 0o620);
        // Only permission bits are kept, setuid included.
        assert_eq!(e[2].mode, 0o755);
        assert_eq!(e[3].mode, 0o4755);
        // A hard link names a normalised path; a symlink keeps its target
        // as written, and costs its length.
        assert_eq!(e[4].link.as_deref(), Some(&b"usr/bin/su"[..]));
        assert_eq!(e[4].size, 0);
        assert_eq!(e[5].link.as_deref(), Some(&b"../bin/su"[..]));
        assert_eq!(e[5].size, 9);
        assert_eq!(w.size, 4 + 9);
    }

    #[test]
    fn a_stream_may_stop_between_entries() {
        let entries: &[(&str, T, u32, &[u8])] = &[
            ("a", T::Regular, 0o644, b"12345"),
            ("b", T::Regular, 0o644, b""),
        ];
        for piece in [1, 512, 4096] {
            let w = walk_in_pieces(&tar_of(entries, false), piece).unwrap();
            assert_eq!(w.entries.len(), 2, "piece {piece}");
        }
        // But not inside one: a header, the data or its padding.
        let data = tar_of(entries, false);
        for (cut, why) in [
            (100, "the tar stream ends inside a header"),
            (514, "the tar stream ends inside /a (3 bytes missing)"),
            (600, "the tar stream ends inside padding"),
            (1100, "the tar stream ends inside a header"),
        ] {
            let r = walk_in_pieces(&data[..cut], 512);
            assert_eq!(r.err(), Some(TarError::Truncated(why.into())), "cut {cut}");
        }
    }

    #[test]
    fn names_and_link_targets_of_exactly_path_max_are_read() {
        let name = format!("{}ff", "a/".repeat(2047));
        assert_eq!(name.len(), PATH_MAX);
        let data = tar_of(
            &[
                (&name, T::Regular, 0o644, b""),
                ("l", T::Symlink, 0o777, name.as_bytes()),
            ],
            true,
        );
        let w = walk_in_pieces(&data, 512).unwrap();
        assert_eq!(w.entries.len(), 2);
        assert_eq!(w.entries.to_vec()[0].path.len(), PATH_MAX);
        assert_eq!(
            w.entries.to_vec()[1].link.as_deref().map(<[u8]>::len),
            Some(PATH_MAX)
        );
    }

    #[test]
    fn pax_link_paths_apply_to_the_next_entry() {
        let mut b = tar::Builder::new(Vec::new());
        let records = b"23 linkpath=pax/target\n";
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::XHeader);
        h.set_size(records.len() as u64);
        b.append_data(&mut h, "PaxHeader", &records[..]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "l", "ustar-target").unwrap();
        let w = walk_in_pieces(&b.into_inner().unwrap(), 512).unwrap();
        assert_eq!(
            w.entries.to_vec()[0].link.as_deref(),
            Some(&b"pax/target"[..])
        );
        assert_eq!(w.entries.to_vec()[0].size, 10);
    }

    #[test]
    fn metadata_of_exactly_the_limit_is_read() {
        // One PAX record of MAX_META bytes: "1048576 comment=…\n".
        let prefix = format!("{MAX_META} comment=");
        let mut records = prefix.into_bytes();
        records.resize(MAX_META as usize - 1, b'c');
        records.push(b'\n');
        let w = walk_in_pieces(&pax_then_file(&records), 1 << 16).unwrap();
        assert_eq!(w.entries.len(), 1);
        assert_eq!(&*w.entries.to_vec()[0].path, b"f");
    }

    #[test]
    fn a_later_copy_of_a_kept_file_wins() {
        let data = tar_of(
            &[
                ("etc/os-release", T::Regular, 0o644, b"ID=first\n"),
                ("etc/hostname", T::Regular, 0o644, b"box"),
                ("etc/os-release", T::Regular, 0o644, b"ID=second\n"),
            ],
            true,
        );
        let w = walk_in_pieces(&data, 512).unwrap();
        assert_eq!(w.captured.len(), 1);
        assert_eq!(&*w.captured[0].path, b"etc/os-release");
        assert_eq!(&*w.captured[0].content, b"ID=second\n");
    }

    #[test]
    fn every_kept_file_of_a_layer_counts_once_against_its_limit() {
        // 20 kB each: far from the per-layer limit together.
        let status = vec![b'S'; 20_000];
        let release = vec![b'R'; 20_000];
        let data = tar_of(
            &[
                ("var/lib/dpkg/status", T::Regular, 0o644, &status),
                ("etc/os-release", T::Regular, 0o644, &release),
            ],
            true,
        );
        let w = walk_in_pieces(&data, 4096).unwrap();
        let kept: Vec<_> = w
            .captured
            .iter()
            .map(|c| (&*c.path, c.content.len()))
            .collect();
        assert_eq!(
            kept,
            [
                (&b"etc/os-release"[..], 20_000),
                (&b"var/lib/dpkg/status"[..], 20_000)
            ]
        );
    }

    fn walk_limited(data: &[u8], limit: u64) -> Walked {
        let mut w = TarWalker::new().with_kept_limit(limit);
        w.feed(data);
        w.finish().unwrap()
    }

    #[test]
    fn kept_contents_stop_at_the_layers_limit() {
        let data = tar_of(
            &[
                ("etc/os-release", T::Regular, 0o644, &[b'R'; 60]),
                ("var/lib/dpkg/status", T::Regular, 0o644, &[b'S'; 40]),
                ("var/lib/dpkg/status.d/x", T::Regular, 0o644, b"X"),
            ],
            true,
        );
        let kept = |w: &Walked| -> Vec<String> {
            w.captured
                .iter()
                .map(|c| String::from_utf8_lossy(&c.path).into_owned())
                .collect()
        };
        // 60 + 40 fill a limit of 100 exactly; the next byte is past it.
        assert_eq!(
            kept(&walk_limited(&data, 100)),
            ["etc/os-release", "var/lib/dpkg/status"]
        );
        assert_eq!(
            kept(&walk_limited(&data, 101)),
            [
                "etc/os-release",
                "var/lib/dpkg/status",
                "var/lib/dpkg/status.d/x"
            ]
        );
        // What does not fit is skipped; a smaller file after it may fit.
        assert_eq!(
            kept(&walk_limited(&data, 99)),
            ["etc/os-release", "var/lib/dpkg/status.d/x"]
        );
        assert_eq!(kept(&walk_limited(&data, 60)), ["etc/os-release"]);
    }

    #[test]
    fn facts_count_against_the_same_limit() {
        let script = b"#!/bin/sh\nexec /app\n";
        let data = tar_of(
            &[
                ("etc/os-release", T::Regular, 0o644, &[b'R'; 10]),
                ("bin/a", T::Regular, 0o755, script),
                ("bin/b", T::Regular, 0o755, script),
            ],
            true,
        );
        let all = walk_limited(&data, 1 << 20);
        assert_eq!(all.facts.len(), 2);
        let w = all.facts[0].1.weight();
        let facts = |limit| -> Vec<Vec<u8>> {
            walk_limited(&data, limit)
                .facts
                .iter()
                .map(|(p, _)| p.to_vec())
                .collect()
        };
        // The kept file, then each script's facts, up to the limit exactly.
        assert_eq!(facts(10 + 2 * w), [b"bin/a".to_vec(), b"bin/b".to_vec()]);
        assert_eq!(facts(10 + 2 * w - 1), [b"bin/a".to_vec()]);
        assert_eq!(facts(10 + w), [b"bin/a".to_vec()]);
        assert!(facts(10 + w - 1).is_empty());
    }

    #[test]
    fn global_pax_headers_are_not_entries() {
        let mut b = tar::Builder::new(Vec::new());
        let records = b"16 comment=hello\n";
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::XGlobalHeader);
        h.set_size(records.len() as u64);
        b.append_data(&mut h, "pax_global_header", &records[..])
            .unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::Regular);
        h.set_size(4);
        b.append_data(&mut h, "f", &b"data"[..]).unwrap();
        let w = walk_in_pieces(&b.into_inner().unwrap(), 512).unwrap();
        assert_eq!(paths(&w), [("f".into(), EntryKind::File)]);
        assert_eq!(w.size, 4);
    }

    #[test]
    fn a_pax_size_is_the_files_not_a_long_names_in_between() {
        // PAX `size` record, then a GNU long name entry, then the file the
        // two describe.
        let name = format!("dir/{}", "n".repeat(150));
        let mut b = tar::Builder::new(Vec::new());
        let records = b"10 size=4\n";
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(T::XHeader);
        h.set_size(records.len() as u64);
        b.append_data(&mut h, "PaxHeader", &records[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(T::Regular);
        h.set_size(4);
        b.append_data(&mut h, &name, &b"data"[..]).unwrap();
        let w = walk_in_pieces(&b.into_inner().unwrap(), 512).unwrap();
        assert_eq!(paths(&w), [(name, EntryKind::File)]);
        assert_eq!(w.entries.to_vec()[0].size, 4);
        assert_eq!(
            w.entries.to_vec()[0].hash,
            Some(ContentHash(xxh3_128(b"data")))
        );
    }

    /// Records what a tap is handed, and stops where it is told to.
    #[derive(Default)]
    struct Recorder {
        log: Vec<String>,
        content: Vec<u8>,
        refuse_data: bool,
        refuse_end: bool,
    }

    impl Tap for Recorder {
        fn begin(&mut self, entry: EntryRef<'_>, mtime: u64) -> bool {
            self.log
                .push(format!("begin {} {mtime}", entry.display_path()));
            entry.path != b"skipped"
        }
        fn data(&mut self, bytes: &[u8]) -> bool {
            self.content.extend_from_slice(bytes);
            !self.refuse_data
        }
        fn end(&mut self, hash: Option<ContentHash>) -> bool {
            self.log.push(format!("end {}", hash.is_some()));
            !self.refuse_end
        }
    }

    #[test]
    fn a_tap_is_handed_the_files_it_asks_for_and_can_stop_the_walk() {
        let data = tar_of(
            &[
                ("skipped", T::Regular, 0o644, b"not for the tap"),
                ("d", T::Directory, 0o755, b""),
                ("wanted", T::Regular, 0o644, b"for the tap"),
            ],
            true,
        );
        for piece in [3, 512, 4096] {
            let mut tap = Recorder::default();
            let mut w = TarWalker::new().with_tap(Some(&mut tap));
            for c in data.chunks(piece) {
                w.feed(c);
            }
            assert!(!w.failed());
            let walked = w.finish().unwrap();
            assert_eq!(walked.entries.len(), 3);
            assert_eq!(tap.log, ["begin /skipped 0", "begin /wanted 0", "end true"]);
            assert_eq!(tap.content, b"for the tap");
        }
        for (refuse_data, refuse_end) in [(true, false), (false, true)] {
            let mut tap = Recorder {
                refuse_data,
                refuse_end,
                ..Recorder::default()
            };
            let mut w = TarWalker::new().with_tap(Some(&mut tap));
            w.feed(&data);
            assert!(w.failed());
            assert_eq!(w.finish().err(), Some(TarError::Stopped));
        }
    }

    #[test]
    fn oversized_metadata_is_refused() {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(T::GNULongName);
        h.set_size(MAX_META + 1);
        h.set_cksum();
        let mut w = TarWalker::new();
        w.feed(h.as_bytes());
        assert!(matches!(w.finish(), Err(TarError::Bad(_))));
    }
}
