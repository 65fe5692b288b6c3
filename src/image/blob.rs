//! Reading one layer blob: detect its compression by magic bytes, digest the
//! stored and the uncompressed bytes, decompress, walk the tar and hash every
//! regular file — all in one pass over the bytes.
//!
//! The work runs as a two-stage pipeline so one layer keeps two cores busy:
//! the calling thread reads, digests and decompresses into 256 KiB chunks;
//! a scoped worker digests the uncompressed stream (when it differs from
//! the stored one), parses the tar and hashes file content. A plain layer
//! of many small files has its one digest moved to the reading thread
//! midway, so the parsing has the worker to itself.

use crate::binary::FileFacts;
use crate::error::ErrorKind;
use crate::image::capture::{CapturedFile, Keeper};
use crate::image::digest::{Algorithm, Hasher};
use crate::image::entry::{Entries, ImagePath};
use crate::image::tarwalk::{Tap, TarError, TarWalker, Walked};
use serde::Serialize;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver};

const CHUNK: usize = 1 << 18;
const CHUNKS_IN_FLIGHT: usize = 3;

/// How a blob is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Detects compression from the first bytes, never from a name.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            // A zstd skippable frame (magic 0x184D2A50..=0x184D2A5F, LE)
            // may come first; the decoder steps over it.
            || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
        {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Knobs and shared counters for reading blobs.
#[derive(Default, Clone, Copy)]
pub struct BlobOptions<'a> {
    /// Compute sha256 of stored and uncompressed bytes.
    pub verify: bool,
    /// Incremented with every stored byte read.
    pub progress: Option<&'a AtomicU64>,
    /// Set to stop reading early.
    pub cancel: Option<&'a AtomicBool>,
    /// The algorithms to digest with (sha256 unless the manifest says).
    pub algs: Algorithms,
    /// Where the image's kept contents go, and this blob's slot there.
    pub keeper: Option<(&'a Keeper, u32)>,
}

/// Which algorithms to digest a layer with (when verifying): the stored
/// blob's, as the manifest names it, and the uncompressed tar's (the
/// config's diff_id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Algorithms {
    pub blob: Algorithm,
    pub diff_id: Algorithm,
}

impl Algorithms {
    /// Both digests in the algorithm of `blobs/ALG/…` (sha256 for any other
    /// name): what a stream can know before its manifest arrives.
    pub fn of_member(member: &str) -> Algorithms {
        let a = Algorithm::of_member(member);
        Algorithms {
            blob: a,
            diff_id: a,
        }
    }
}

/// A layer blob, read.
#[derive(Clone, Debug)]
pub struct ParsedLayer {
    pub compression: Compression,
    /// Bytes of the blob as stored.
    pub raw_size: u64,
    /// Digest of the stored bytes (when verifying), `ALG:HEX`.
    pub raw_digest: Option<String>,
    /// Digest of the uncompressed tar (when verifying), `ALG:HEX`.
    pub diff_id: Option<String>,
    pub tar_size: u64,
    /// Content bytes, counted as docker counts them.
    pub size: u64,
    pub entries: Entries,
    /// Kept contents, sorted by path (empty when a [`Keeper`] took them).
    pub captured: Vec<CapturedFile>,
    /// What ELF files and scripts say, sorted by path.
    pub facts: Vec<(ImagePath, FileFacts)>,
}

/// Reads a layer blob from `raw`. `what` names it in errors; `expected_len`,
/// when known, detects a blob cut short by a truncated container file.
pub fn parse_layer(
    raw: impl Read,
    what: &str,
    expected_len: Option<u64>,
    opts: BlobOptions<'_>,
) -> Result<ParsedLayer, ErrorKind> {
    parse_layer_tapped(raw, what, expected_len, opts, None)
}

/// [`parse_layer`], handing regular files' content to `tap` as it streams
/// by (the same decompression, digests and tar walk). When the tap stops
/// the walk, the result is [`ErrorKind::Cancelled`] and the tap knows why.
pub(crate) fn parse_layer_tapped<'a>(
    raw: impl Read,
    what: &str,
    expected_len: Option<u64>,
    opts: BlobOptions<'a>,
    tap: Option<&'a mut dyn Tap>,
) -> Result<ParsedLayer, ErrorKind> {
    let algs = opts.algs;
    let mut src = RawReader {
        inner: raw,
        sha: opts.verify.then(|| algs.blob.hasher()),
        count: 0,
        eof: false,
        progress: opts.progress,
        cancel: opts.cancel,
        cancelled: false,
    };
    let mut head = Vec::with_capacity(CHUNK);
    if let Err(e) = fill(&mut src, &mut head, 512) {
        return Err(if src.cancelled {
            ErrorKind::Cancelled
        } else {
            io_error(what, e)
        });
    }
    let compression = Compression::sniff(&head);
    // The worker digests the uncompressed stream. For a plain layer that is
    // also the blob digest (when both use one algorithm), so the reading
    // thread only reads: the read and the digest then run on two cores
    // instead of one after the other. But parsing a tar of many small files
    // costs as much as the digest: when the worker finds one, it hands the
    // digest over to the reading thread (once, at a chunk boundary) and
    // keeps only the parsing.
    let blob_is_tar = compression == Compression::None && algs.blob == algs.diff_id;
    if blob_is_tar {
        src.sha = None;
    }
    let hash_uncompressed = opts.verify;
    let handover = Handover::default();

    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
        let (recycle_tx, recycle_rx) = channel::<Vec<u8>>();
        let (digest_tx, digest_rx) = channel::<Hasher>();
        let handover = &handover;
        let worker = scope.spawn(move || {
            let mut walker = TarWalker::with_keeper(opts.keeper).with_tap(tap);
            let mut sha = hash_uncompressed.then(|| algs.diff_id.hasher());
            let mut total = 0u64;
            for chunk in rx.iter() {
                if walker.failed() {
                    // Dropping the receiver stops the producer.
                    break;
                }
                if chunk.is_empty() {
                    // The reader asks for the digest: every chunk before
                    // this marker is in it.
                    if let Some(s) = sha.take() {
                        let _ = digest_tx.send(s);
                    }
                    continue;
                }
                if blob_is_tar && sha.is_some() && handover.worth_it(total, walker.headers()) {
                    handover.asked.store(true, Ordering::Relaxed);
                }
                // Whatever follows the end-of-archive blocks is part of the diff_id.
                if let Some(s) = &mut sha {
                    s.update(&chunk);
                }
                total += chunk.len() as u64;
                walker.feed(&chunk);
                if chunk.capacity() >= CHUNK {
                    let _ = recycle_tx.send(chunk);
                }
            }
            drop(rx);
            (walker.finish(), total, sha.map(Hasher::finish))
        });

        let digest = blob_is_tar.then_some((handover, &digest_rx));
        let produced = produce(&mut src, head, compression, &tx, &recycle_rx, digest);
        drop(tx);
        let (parsed, tar_size, tar_sha) = match worker.join() {
            Ok(r) => r,
            Err(_) => {
                return Err(ErrorKind::Invalid(format!(
                    "{what}: internal error while parsing the layer"
                )))
            }
        };
        if src.cancelled {
            return Err(ErrorKind::Cancelled);
        }
        // The producer's failure is the root cause when both failed.
        if let Err(e) = produced {
            return Err(classify_stream_error(what, compression, &src, e));
        }
        if let Some(exp) = expected_len {
            if src.count < exp {
                return Err(ErrorKind::Truncated(format!(
                    "{what}: blob ends after {} of {} bytes",
                    src.count, exp
                )));
            }
        }
        let Walked {
            entries,
            size,
            captured,
            mut facts,
        } = match parsed {
            Ok(v) => v,
            Err(TarError::Truncated(detail)) => {
                return Err(ErrorKind::Truncated(format!("layer tar {what}: {detail}")))
            }
            Err(TarError::Bad(detail)) => {
                return Err(ErrorKind::BadTar {
                    what: what.to_string(),
                    detail,
                })
            }
            Err(TarError::Stopped) => return Err(ErrorKind::Cancelled),
        };
        let raw_sha = src.sha.take().map(Hasher::finish);
        let (raw_digest, diff_id) = if blob_is_tar {
            // Whoever finished the one digest.
            let d = tar_sha.or(raw_sha);
            (d.clone(), d)
        } else {
            (raw_sha, tar_sha)
        };
        Ok(ParsedLayer {
            compression,
            raw_size: src.count,
            raw_digest,
            diff_id,
            tar_size,
            size,
            entries,
            captured,
            facts: {
                // A path written twice in one layer: the last copy wins.
                facts.reverse();
                facts.sort_by(|a, b| a.0.cmp(&b.0));
                facts.dedup_by(|a, b| a.0 == b.0);
                facts
            },
        })
    })
}

fn io_error(what: &str, source: io::Error) -> ErrorKind {
    ErrorKind::Io {
        what: what.to_string(),
        source,
    }
}

fn classify_stream_error<R>(
    what: &str,
    compression: Compression,
    src: &RawReader<'_, R>,
    e: io::Error,
) -> ErrorKind {
    if src.cancelled {
        return ErrorKind::Cancelled;
    }
    let msg = e.to_string();
    let ends_early = e.kind() == io::ErrorKind::UnexpectedEof
        || msg.contains("incomplete")
        || msg.contains("unexpected end");
    if src.eof && ends_early && compression != Compression::None {
        return ErrorKind::Truncated(format!(
            "{what}: {} stream ends early after {} bytes",
            compression.as_str(),
            src.count
        ));
    }
    match compression {
        Compression::None => io_error(what, e),
        c => ErrorKind::Corrupt {
            what: what.to_string(),
            format: c.as_str(),
            detail: crate::error::detail(msg),
        },
    }
}

/// Fills `buf` (keeping its contents) until it holds at least `min` bytes or
/// the reader ends.
fn fill(r: &mut impl Read, buf: &mut Vec<u8>, min: usize) -> io::Result<()> {
    let mut tmp = [0u8; 4096];
    while buf.len() < min {
        let n = r.read(&mut tmp)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    Ok(())
}

/// Reads `r` into `buf[start..]` until `buf` is CHUNK long or `r` ends; the
/// buffer is truncated to what was filled. Recycled buffers are reused
/// without clearing, so only their unused tail is zeroed.
fn fill_chunk(r: &mut (impl Read + ?Sized), buf: &mut Vec<u8>, start: usize) -> io::Result<()> {
    buf.resize(CHUNK, 0);
    let mut filled = start;
    while filled < CHUNK {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    }
    buf.truncate(filled);
    Ok(())
}

/// Whether the worker gives a plain layer's digest to the reading thread.
#[derive(Default)]
struct Handover {
    /// Set by the worker; the reader then sends an empty chunk as a marker
    /// and takes the digest back.
    asked: AtomicBool,
}

impl Handover {
    /// After the first MiB: more than 64 entries a MiB on average (a layer
    /// of files under 16 KiB) makes parsing cost about what the digest
    /// does; fewer, and the reading thread, already copying every byte,
    /// would become the slower side.
    fn worth_it(&self, bytes: u64, headers: u64) -> bool {
        bytes >= 1 << 20 && headers * (1 << 20) > 64 * bytes && !self.asked.load(Ordering::Relaxed)
    }
}

/// Stage one: stored bytes → (decompressed) chunks on the channel. For a
/// plain layer, `digest` is how the reader takes the digest over.
fn produce<R: Read>(
    src: &mut RawReader<'_, R>,
    head: Vec<u8>,
    compression: Compression,
    tx: &std::sync::mpsc::SyncSender<Vec<u8>>,
    recycle: &Receiver<Vec<u8>>,
    digest: Option<(&Handover, &Receiver<Hasher>)>,
) -> io::Result<()> {
    if let (Compression::None, Some((handover, digest_rx))) = (compression, digest) {
        let mut pending = Some(head);
        loop {
            if src.sha.is_none() && handover.asked.load(Ordering::Relaxed) {
                // Everything sent so far is in the worker's digest.
                if tx.send(Vec::new()).is_err() {
                    return Ok(());
                }
                match digest_rx.recv() {
                    Ok(h) => {
                        #[cfg(test)]
                        tests::HANDOVERS.fetch_add(1, Ordering::Relaxed);
                        src.sha = Some(h)
                    }
                    // The worker stopped: its error explains why.
                    Err(_) => return Ok(()),
                }
            }
            if !send_chunk(src, &mut pending, tx, recycle)? {
                return Ok(());
            }
        }
    }
    let send_loop = |reader: &mut dyn Read, first: Option<Vec<u8>>| -> io::Result<()> {
        let mut pending = first;
        while send_chunk(reader, &mut pending, tx, recycle)? {}
        Ok(())
    };
    match compression {
        Compression::None => send_loop(src, Some(head)),
        Compression::Gzip => {
            let mut dec = flate2::read::MultiGzDecoder::new(io::Cursor::new(head).chain(src));
            send_loop(&mut dec, None)
        }
        Compression::Zstd => {
            let mut dec = zstd::stream::read::Decoder::new(io::Cursor::new(head).chain(src))?;
            send_loop(&mut dec, None)
        }
    }
}

/// Fills one chunk (from `pending`, else a recycled buffer) and sends it.
/// `false` once the stream ended, or the parser stopped early and its own
/// error explains why.
fn send_chunk(
    reader: &mut dyn Read,
    pending: &mut Option<Vec<u8>>,
    tx: &std::sync::mpsc::SyncSender<Vec<u8>>,
    recycle: &Receiver<Vec<u8>>,
) -> io::Result<bool> {
    let (mut buf, start) = match pending.take() {
        Some(b) => {
            let len = b.len();
            (b, len)
        }
        None => (recycle.try_recv().unwrap_or_default(), 0),
    };
    fill_chunk(reader, &mut buf, start)?;
    if buf.is_empty() {
        return Ok(false);
    }
    let ended = buf.len() < CHUNK;
    Ok(tx.send(buf).is_ok() && !ended)
}

/// The stored bytes, digested and counted as they are read.
struct RawReader<'a, R> {
    inner: R,
    sha: Option<Hasher>,
    count: u64,
    eof: bool,
    progress: Option<&'a AtomicU64>,
    cancel: Option<&'a AtomicBool>,
    cancelled: bool,
}

impl<R: Read> Read for RawReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(c) = self.cancel {
            if c.load(Ordering::Relaxed) {
                self.cancelled = true;
                // Not `Interrupted`: readers retry that kind (std's
                // read_exact, the chunk filler), forever.
                return Err(io::Error::other("cancelled"));
            }
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof = true;
        }
        if let Some(s) = &mut self.sha {
            s.update(&buf[..n]);
        }
        self.count += n as u64;
        if let Some(p) = self.progress {
            p.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// One layer blob to read, for [`parse_parallel`].
pub(crate) struct LayerJob {
    /// Names the blob in errors and progress.
    pub what: String,
    /// Stored size when known; bigger blobs start first.
    pub size: u64,
    pub algs: Algorithms,
    /// The blob's slot in the image's [`Keeper`].
    pub slot: u32,
}

/// Reads several layer blobs at once: layers are independent, so while one
/// layer's single stream (one sha256, one inflate) keeps a core busy, the
/// next layer uses the other. `open` gives the stored bytes of job `i`.
/// Results come back in job order.
pub(crate) fn parse_parallel<R, F>(
    jobs: &[LayerJob],
    open: F,
    opts: BlobOptions<'_>,
    layers_done: Option<&std::sync::atomic::AtomicUsize>,
) -> Vec<Result<ParsedLayer, ErrorKind>>
where
    R: Read,
    F: Fn(usize) -> Result<(R, u64), ErrorKind> + Sync,
{
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4)
        .min(jobs.len().max(1));
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| jobs[b].size.cmp(&jobs[a].size).then(a.cmp(&b)));
    let queue = std::sync::Mutex::new(order.into_iter());
    let results: std::sync::Mutex<Vec<Option<Result<ParsedLayer, ErrorKind>>>> =
        std::sync::Mutex::new((0..jobs.len()).map(|_| None).collect());
    let failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some(i) = next else { break };
                // After a failure the remaining layers are not worth reading.
                let r = if failed.load(Ordering::Relaxed) {
                    Err(ErrorKind::Cancelled)
                } else {
                    open(i).and_then(|(reader, len)| {
                        let opts = BlobOptions {
                            algs: jobs[i].algs,
                            keeper: opts.keeper.map(|(k, _)| (k, jobs[i].slot)),
                            ..opts
                        };
                        parse_layer(reader, &jobs[i].what, Some(len), opts)
                    })
                };
                if r.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                if let Some(d) = layers_done {
                    d.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    let all = results.into_inner().unwrap_or_default();
    all.into_iter()
        .map(|r| r.unwrap_or(Err(ErrorKind::Cancelled)))
        .collect()
}

/// The first real error of a batch (a cancellation caused by another
/// layer's failure is not the story).
pub(crate) fn first_error(
    results: Vec<Result<ParsedLayer, ErrorKind>>,
) -> Result<Vec<ParsedLayer>, ErrorKind> {
    let mut out = Vec::with_capacity(results.len());
    let mut cancelled = false;
    let mut first: Option<ErrorKind> = None;
    for r in results {
        match r {
            Ok(p) => out.push(p),
            Err(ErrorKind::Cancelled) => cancelled = true,
            Err(e) => {
                if first.is_none() {
                    first = Some(e);
                }
            }
        }
    }
    match (first, cancelled) {
        (Some(e), _) => Err(e),
        (None, true) => Err(ErrorKind::Cancelled),
        (None, false) => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::sync::atomic::AtomicUsize;

    /// Digests the reading thread took over (any test in this binary).
    pub(super) static HANDOVERS: AtomicUsize = AtomicUsize::new(0);

    fn tar_of(files: usize, size: usize) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for i in 0..files {
            let data: Vec<u8> = (0..size).map(|j| (i * 31 + j) as u8).collect();
            let mut h = tar::Header::new_gnu();
            h.set_size(size as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, format!("d{}/f{i}", i % 7), &data[..])
                .unwrap();
        }
        let mut bytes = b.into_inner().unwrap();
        // Bytes after the end-of-archive blocks are part of the digest too.
        bytes.extend_from_slice(&[7u8; 3000]);
        bytes
    }

    fn check(files: usize, size: usize) {
        let bytes = tar_of(files, size);
        let want = format!("sha256:{:x}", Sha256::digest(&bytes));
        let opts = BlobOptions {
            verify: true,
            ..BlobOptions::default()
        };
        let p = parse_layer(&bytes[..], "layer", Some(bytes.len() as u64), opts).unwrap();
        assert_eq!(p.entries.len(), files);
        assert_eq!(
            p.raw_digest.as_deref(),
            Some(want.as_str()),
            "{files} files"
        );
        assert_eq!(p.diff_id.as_deref(), Some(want.as_str()), "{files} files");
        assert_eq!(p.tar_size, bytes.len() as u64);
    }

    #[test]
    fn a_plain_layer_of_small_files_hands_its_digest_to_the_reader() {
        // ~1,000 entries a MiB over 6 MiB: the worker asks after the first
        // MiB, the reader finishes the digest; it must be the same digest.
        let before = HANDOVERS.load(Ordering::Relaxed);
        check(6000, 100);
        assert!(HANDOVERS.load(Ordering::Relaxed) > before, "no handover");
    }

    #[test]
    fn a_plain_layer_of_big_files_keeps_its_digest_in_the_worker() {
        check(4, 3 << 20);
        check(1, 10);
    }

    use std::io::Write;

    /// A gzip layer of one incompressible file, so the stream is as long as
    /// the tar and half of it is past the first read.
    fn gzip_layer() -> Vec<u8> {
        gzip(&noise_tar(200_000, 0x9e37_79b9))
    }

    /// `len` xorshift bytes from `seed`: incompressible, reproducible.
    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    /// A plain layer tar of one file, `data.bin`, of `len` xorshift bytes
    /// from `seed`.
    fn noise_tar(len: usize, seed: u32) -> Vec<u8> {
        let content = noise(len, seed);
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, "data.bin", &content[..]).unwrap();
        b.into_inner().unwrap()
    }

    /// Hands out `bytes`, then fails as a broken stream does.
    struct BreaksOff<'a>(&'a [u8]);

    impl Read for BreaksOff<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the stream broke off",
                ));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A plain layer tar of one file of `len` pseudo-random bytes.
    fn tar_of_len(len: usize) -> Vec<u8> {
        noise_tar(len, 0x2545_f491)
    }

    fn verified(algs: Algorithms) -> BlobOptions<'static> {
        BlobOptions {
            verify: true,
            algs,
            ..BlobOptions::default()
        }
    }

    #[test]
    fn compression_is_told_by_magic_bytes_only() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        // zstd skippable frames: 0x184D2A50 to 0x184D2A5F, little-endian.
        for first in [0x50, 0x5a, 0x5f] {
            assert_eq!(
                Compression::sniff(&[first, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]),
                Compression::Zstd
            );
        }
        for head in [
            &[0x4f, 0x2a, 0x4d, 0x18][..],
            &[0x60, 0x2a, 0x4d, 0x18],
            &[0x50, 0x2a, 0x4d, 0x19],
            &[0x50, 0x2a, 0x4d],
            // A tar whose first member is named "PaxHeaders…" or "P…".
            b"PaxHeaders.0/x\0\0",
            b"Pbin/sh",
            &[0x1f],
            &[],
        ] {
            assert_eq!(Compression::sniff(head), Compression::None, "{head:?}");
        }
    }

    #[test]
    fn a_plain_layer_is_digested_in_each_of_its_algorithms() {
        let tar = tar_of_len(1000);
        let p = parse_layer(
            &tar[..],
            "layer",
            None,
            verified(Algorithms {
                blob: Algorithm::Sha256,
                diff_id: Algorithm::Sha512,
            }),
        )
        .unwrap();
        assert_eq!(p.raw_digest, Some(Algorithm::Sha256.digest(&tar)));
        assert_eq!(p.diff_id, Some(Algorithm::Sha512.digest(&tar)));
        let p = parse_layer(&tar[..], "layer", None, verified(Algorithms::default())).unwrap();
        assert_eq!(p.raw_digest, Some(Algorithm::Sha256.digest(&tar)));
        assert_eq!(p.diff_id, p.raw_digest);
        assert_eq!(p.tar_size, tar.len() as u64);
        assert_eq!(p.raw_size, tar.len() as u64);
    }

    #[test]
    fn layers_longer_than_a_chunk_are_read_to_the_end() {
        for len in [CHUNK - 512 - 1024, 3 * CHUNK + 7] {
            let tar = tar_of_len(len);
            let gz = gzip(&tar);
            for blob in [&tar, &gz] {
                let p = parse_layer(
                    &blob[..],
                    "layer",
                    Some(blob.len() as u64),
                    verified(Algorithms::default()),
                )
                .unwrap();
                assert_eq!(p.entries.len(), 1);
                assert_eq!(p.size, len as u64);
                assert_eq!(p.tar_size, tar.len() as u64);
                assert_eq!(p.diff_id, Some(Algorithm::Sha256.digest(&tar)));
                assert_eq!(p.raw_digest, Some(Algorithm::Sha256.digest(blob)));
            }
        }
    }

    /// Hands out its bytes 1000 at a time, with an `Interrupted` error
    /// before every other read.
    struct Interrupting<'a>(&'a [u8], bool);

    impl Read for Interrupting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = !self.1;
            if self.1 && self.0.len() < 100_000 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.0.len()).min(1000);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn interrupted_reads_are_retried() {
        let tar = tar_of_len(150_000);
        let p = parse_layer(
            Interrupting(&tar, false),
            "layer",
            None,
            verified(Algorithms::default()),
        )
        .unwrap();
        assert_eq!(p.raw_digest, Some(Algorithm::Sha256.digest(&tar)));
    }

    #[test]
    fn a_zstd_blob_cut_short_is_truncated() {
        let z = zstd::encode_all(&tar_of_len(200_000)[..], 1).unwrap();
        let half = &z[..z.len() / 2];
        let e = parse_layer(half, "layer 3", None, BlobOptions::default()).unwrap_err();
        assert!(matches!(e, ErrorKind::Truncated(_)), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "truncated layer 3: zstd stream ends early after {} bytes",
                half.len()
            )
        );
    }

    #[test]
    fn a_whole_gzip_blob_with_a_bad_checksum_is_corrupt_not_truncated() {
        let mut gz = gzip_layer();
        // The trailer's CRC32 comes 8 bytes before the end.
        let at = gz.len() - 8;
        gz[at] ^= 0xff;
        match parse_layer(&gz[..], "layer 1", None, BlobOptions::default()) {
            Err(ErrorKind::Corrupt { format, .. }) => assert_eq!(format, "gzip"),
            other => panic!("{:?}", other.map(|p| p.raw_size)),
        }
    }

    #[test]
    fn a_small_gzip_blob_read_to_its_end_with_a_bad_checksum_is_corrupt() {
        // Under 512 bytes: the first read takes the whole blob and the next
        // one sees its end, so the end was seen when the checksum fails.
        let tar = tar_of_len(0);
        let mut gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&tar).unwrap();
            e.finish().unwrap()
        };
        assert!(gz.len() < 512, "{}", gz.len());
        let at = gz.len() - 8;
        gz[at] ^= 0xff;
        match parse_layer(&gz[..], "layer 1", None, BlobOptions::default()) {
            Err(ErrorKind::Corrupt { format, detail, .. }) => {
                assert_eq!(format, "gzip");
                assert!(detail.contains("checksum"), "{detail}");
            }
            other => panic!("{:?}", other.map(|p| p.raw_size)),
        }
    }

    #[test]
    fn a_blob_shorter_than_its_source_announced_is_truncated() {
        let tar = tar_of_len(1000);
        let len = tar.len() as u64;
        assert!(parse_layer(&tar[..], "layer", Some(len), BlobOptions::default()).is_ok());
        let e = parse_layer(&tar[..], "layer", Some(len + 1), BlobOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "truncated layer: blob ends after {len} of {} bytes",
                len + 1
            )
        );
    }

    #[test]
    fn a_path_written_twice_in_a_layer_keeps_the_last_facts() {
        let mut b = tar::Builder::new(Vec::new());
        for body in [&b"#!/bin/sh\n"[..], b"#!/usr/bin/python3\n"] {
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_mode(0o755);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, "app/run", body).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let p = parse_layer(&tar[..], "layer", None, BlobOptions::default()).unwrap();
        assert_eq!(p.facts.len(), 1);
        match &p.facts[0].1 {
            FileFacts::Script(s) => assert_eq!(&*s.shebang, b"/usr/bin/python3"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reading_stops_once_the_tar_is_refused() {
        // Twenty chunks of garbage, gzip-compressed and cut at 90 %: the
        // tar walk refuses the first header, and the reader stops within a
        // few chunks, long before the cut it would otherwise report.
        let gz = gzip(&noise(20 * CHUNK, 0x1234_5678));
        let cut = &gz[..gz.len() * 9 / 10];
        match parse_layer(cut, "layer 1", None, BlobOptions::default()) {
            Err(ErrorKind::BadTar { detail, .. }) => {
                assert_eq!(detail, "bad entry header (checksum mismatch)")
            }
            other => panic!("{:?}", other.map(|p| p.raw_size)),
        }
    }

    #[test]
    fn parallel_reads_use_each_jobs_algorithms_and_keeper_slot() {
        let layer = |path: &str, body: &[u8]| {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_size(body.len() as u64);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, path, body).unwrap();
            b.into_inner().unwrap()
        };
        let blobs = [
            layer("etc/os-release", b"ID=first\n"),
            layer("var/lib/dpkg/status", b"Package: x\n"),
        ];
        let sha512 = Algorithms {
            blob: Algorithm::Sha512,
            diff_id: Algorithm::Sha512,
        };
        let jobs: Vec<LayerJob> = (0..2)
            .map(|i| LayerJob {
                what: format!("layer {}", i + 1),
                size: blobs[i].len() as u64,
                algs: if i == 0 {
                    sha512
                } else {
                    Algorithms::default()
                },
                slot: i as u32,
            })
            .collect();
        let keeper = Keeper::ranked();
        let opts = BlobOptions {
            verify: true,
            keeper: Some((&keeper, 0)),
            ..BlobOptions::default()
        };
        let open = |i: usize| Ok((&blobs[i][..], blobs[i].len() as u64));
        let parsed = first_error(parse_parallel(&jobs, open, opts, None)).unwrap();
        assert_eq!(
            parsed[0].raw_digest,
            Some(Algorithm::Sha512.digest(&blobs[0]))
        );
        assert_eq!(
            parsed[1].raw_digest,
            Some(Algorithm::Sha256.digest(&blobs[1]))
        );
        let kept = keeper.into_layers(2, |s| Some(s as usize));
        let names: Vec<Vec<&[u8]>> = kept
            .iter()
            .map(|l| l.iter().map(|c| &*c.path).collect())
            .collect();
        assert_eq!(
            names,
            [
                vec![&b"etc/os-release"[..]],
                vec![&b"var/lib/dpkg/status"[..]]
            ]
        );
    }

    #[test]
    fn a_blob_cut_short_is_truncated_and_says_where() {
        let gz = gzip_layer();
        let half = &gz[..gz.len() / 2];
        match parse_layer(half, "layer 1", None, BlobOptions::default()) {
            Err(ErrorKind::Truncated(m)) => assert_eq!(
                m,
                format!("layer 1: gzip stream ends early after {} bytes", half.len())
            ),
            other => panic!("{:?}", other.map(|p| p.raw_size)),
        }
    }

    #[test]
    fn a_source_that_fails_is_not_a_blob_cut_short() {
        // The blob's end was never seen: the source's own error is the
        // story, not "the stream ends early".
        let gz = gzip_layer();
        let r = parse_layer(
            BreaksOff(&gz[..gz.len() / 2]),
            "layer 1",
            None,
            BlobOptions::default(),
        );
        match r {
            Err(e @ ErrorKind::Corrupt { .. }) => {
                assert!(e.to_string().contains("the stream broke off"), "{e}")
            }
            other => panic!("{:?}", other.map(|p| p.raw_size)),
        }
    }
}
