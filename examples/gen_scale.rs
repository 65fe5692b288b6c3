//! Writes a synthetic `docker save` archive (legacy layout) with many small
//! files, for the scale benchmark (`scripts/bench-scale.sh`) and for trying
//! inputs whose entries arrive in an unfavourable order.
//!
//! ```text
//! cargo run --release --example gen_scale -- --files 1000000 --dirs 1000 \
//!     --order reverse --second-layer 0.1 -o fixtures-cache/scale/1m-reverse.tar
//! ```
//!
//! Layer 0 holds `--dirs` directories `dNNNNNN/` with `--files` regular files
//! `dNNNNNN/fNNNNNNNNN` spread evenly among them (`--dirs 1` is the
//! single-directory worst case). `--order` is the order entries appear in the
//! layer tar: `sorted` (byte order of the path, as most tools write),
//! `reverse` (the opposite, files before their directory) or `random` (a
//! fixed-seed shuffle). `--second-layer F` adds a layer deleting the fraction
//! F of the directories by whiteout and rewriting every 7th file of the
//! others, in the same order. `--content B` gives each file about B bytes
//! (0..=B, varying per file; 0 makes a tiny, header-only archive). `--gzip`
//! compresses the layers. Digests (diff_ids, config name) are correct, so
//! stagediff verifies them as for a real image.
//!
//! The archive is streamed to disk: memory stays small for any `--files`.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    Sorted,
    Reverse,
    Random,
}

struct Opts {
    files: u64,
    dirs: u64,
    order: Order,
    second_layer: Option<f64>,
    content: u64,
    gzip: bool,
    out: PathBuf,
}

fn usage() -> ! {
    eprintln!(
        "usage: gen_scale --files N [--dirs D] [--order sorted|reverse|random] \
         [--second-layer FRACTION] [--content BYTES] [--gzip] -o OUT.tar"
    );
    std::process::exit(2)
}

fn parse_args() -> Opts {
    let mut o = Opts {
        files: 0,
        dirs: 1000,
        order: Order::Sorted,
        second_layer: None,
        content: 400,
        gzip: false,
        out: PathBuf::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--files" => o.files = val().parse().unwrap_or_else(|_| usage()),
            "--dirs" => o.dirs = val().parse().unwrap_or_else(|_| usage()),
            "--order" => {
                o.order = match val().as_str() {
                    "sorted" => Order::Sorted,
                    "reverse" => Order::Reverse,
                    "random" => Order::Random,
                    _ => usage(),
                }
            }
            "--second-layer" => {
                let f: f64 = val().parse().unwrap_or_else(|_| usage());
                if !(0.0..=1.0).contains(&f) {
                    usage()
                }
                o.second_layer = Some(f);
            }
            "--content" => o.content = val().parse().unwrap_or_else(|_| usage()),
            "--gzip" => o.gzip = true,
            "-o" | "--out" => o.out = PathBuf::from(val()),
            _ => usage(),
        }
    }
    if o.files == 0 || o.dirs == 0 || o.out.as_os_str().is_empty() {
        usage()
    }
    o.dirs = o.dirs.min(o.files);
    o
}

/// splitmix64: a fixed-seed generator, so every run writes the same archive.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// What one layer entry is, kept small: the archive is written from a list
/// of these (16 bytes each), never from a list of paths.
#[derive(Clone, Copy)]
enum Item {
    Dir(u64),
    /// (file number, version): version 1 is the rewrite in the second layer.
    File(u64, u8),
    /// Deletes directory `d` (`.wh.dNNNNNN` at the root).
    Whiteout(u64),
}

fn dir_name(d: u64) -> String {
    format!("d{d:06}")
}

/// Files are spread evenly: file `i` lives in directory `i % dirs`, and its
/// name carries its number so names are unique and sort numerically.
fn file_path(i: u64, dirs: u64) -> String {
    format!("{}/f{i:09}", dir_name(i % dirs))
}

/// The sort key of an item's path (byte order of the full path). A
/// directory sorts before its files; file numbers are zero-padded so their
/// order is numeric.
fn sort_key(it: &Item, dirs: u64) -> (u64, u8, u64) {
    match *it {
        Item::Dir(d) => (d, 0, 0),
        Item::Whiteout(d) => (d, 0, 0),
        Item::File(i, _) => (i % dirs, 1, i),
    }
}

fn arrange(items: &mut [Item], order: Order, dirs: u64, rng: &mut Rng) {
    items.sort_by_key(|it| sort_key(it, dirs));
    match order {
        Order::Sorted => {}
        Order::Reverse => items.reverse(),
        Order::Random => rng.shuffle(items),
    }
}

fn content(i: u64, version: u8, max: u64, buf: &mut Vec<u8>) {
    buf.clear();
    if max == 0 {
        return;
    }
    let len = (i.wrapping_mul(2_654_435_761) ^ u64::from(version)) % (max + 1);
    let line = format!("file {i} version {version}\n");
    while (buf.len() as u64) < len {
        buf.extend_from_slice(line.as_bytes());
    }
    buf.truncate(len as usize);
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    h
}

/// Counts and hashes what passes through: the diff_id is the sha256 of the
/// uncompressed layer tar.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(b)?;
        self.sha.update(&b[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<flate2::write::GzEncoder<BufWriter<File>>>),
}

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(b),
            Sink::Gzip(w) => w.write(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// Writes one layer tar to `path`; returns its diff_id (`sha256:…`).
fn write_layer(path: &Path, items: &[Item], o: &Opts) -> io::Result<String> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let sink = if o.gzip {
        Sink::Gzip(Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        )))
    } else {
        Sink::Plain(file)
    };
    let mut b = tar::Builder::new(Hashing {
        inner: sink,
        sha: Sha256::new(),
    });
    let mut buf = Vec::new();
    for it in items {
        match *it {
            Item::Dir(d) => {
                let mut h = header(tar::EntryType::Directory, 0, 0o755);
                b.append_data(&mut h, format!("{}/", dir_name(d)), io::empty())?;
            }
            Item::File(i, v) => {
                content(i, v, o.content, &mut buf);
                let mut h = header(tar::EntryType::Regular, buf.len() as u64, 0o644);
                b.append_data(&mut h, file_path(i, o.dirs), &buf[..])?;
            }
            Item::Whiteout(d) => {
                let mut h = header(tar::EntryType::Regular, 0, 0o644);
                b.append_data(&mut h, format!(".wh.{}", dir_name(d)), io::empty())?;
            }
        }
    }
    let hashing = b.into_inner()?;
    let digest = format!("sha256:{:x}", hashing.sha.finalize());
    match hashing.inner {
        Sink::Plain(mut w) => w.flush()?,
        Sink::Gzip(w) => w.finish()?.flush()?,
    }
    Ok(digest)
}

fn sha_hex(b: &[u8]) -> String {
    format!("{:x}", Sha256::digest(b))
}

fn main() -> io::Result<()> {
    let o = parse_args();
    let mut rng = Rng(0x05ee_d0f5_ca1e);
    let dirs = o.dirs;

    let mut layers: Vec<Vec<Item>> = Vec::new();
    let mut first: Vec<Item> = (0..dirs).map(Item::Dir).collect();
    first.extend((0..o.files).map(|i| Item::File(i, 0)));
    arrange(&mut first, o.order, dirs, &mut rng);
    layers.push(first);
    if let Some(frac) = o.second_layer {
        // Every k-th directory is deleted, spread over the whole name range.
        let deleted = ((dirs as f64) * frac).round() as u64;
        let step = dirs.checked_div(deleted);
        let is_deleted = |d: u64| step.is_some_and(|s| d % s == 0 && d / s < deleted);
        let mut second: Vec<Item> = (0..dirs)
            .filter(|&d| is_deleted(d))
            .map(Item::Whiteout)
            .collect();
        second.extend(
            (0..o.files)
                .filter(|&i| i % 7 == 0 && !is_deleted(i % dirs))
                .map(|i| Item::File(i, 1)),
        );
        arrange(&mut second, o.order, dirs, &mut rng);
        layers.push(second);
    }

    let tmp_dir = o.out.with_extension("layers.tmp");
    std::fs::create_dir_all(&tmp_dir)?;
    let mut diff_ids = Vec::new();
    let mut layer_files = Vec::new();
    for (n, items) in layers.iter().enumerate() {
        let p = tmp_dir.join(format!("layer{n}.tar"));
        diff_ids.push(write_layer(&p, items, &o)?);
        layer_files.push(p);
    }
    drop(layers);

    let history: Vec<_> = (0..diff_ids.len())
        .map(|n| serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": format!("/bin/sh -c gen-scale layer {n}")}))
        .collect();
    let cfg = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))?;
    let cfg_name = format!("{}.json", sha_hex(&cfg));

    let tmp_out = o.out.with_extension("tar.partial");
    let mut t = tar::Builder::new(BufWriter::with_capacity(1 << 20, File::create(&tmp_out)?));
    let mut names = Vec::new();
    for (n, p) in layer_files.iter().enumerate() {
        // The legacy layer id is any unique hex name; the diff_id is in the
        // config.
        let id = sha_hex(format!("layer {n} {}", diff_ids[n]).as_bytes());
        let mut h = header(tar::EntryType::Directory, 0, 0o755);
        t.append_data(&mut h, format!("{id}/"), io::empty())?;
        let mut h = header(tar::EntryType::Regular, 3, 0o644);
        t.append_data(&mut h, format!("{id}/VERSION"), &b"1.0"[..])?;
        let mut h = header(tar::EntryType::Regular, 2, 0o644);
        t.append_data(&mut h, format!("{id}/json"), &b"{}"[..])?;
        let mut f = File::open(p)?;
        let size = f.seek(SeekFrom::End(0))?;
        f.seek(SeekFrom::Start(0))?;
        let mut h = header(tar::EntryType::Regular, size, 0o644);
        t.append_data(&mut h, format!("{id}/layer.tar"), f.take(size))?;
        names.push(format!("{id}/layer.tar"));
    }
    let mut h = header(tar::EntryType::Regular, cfg.len() as u64, 0o644);
    t.append_data(&mut h, &cfg_name, &cfg[..])?;
    let tag = format!("scale:{}-{}-{:?}", o.files, dirs, o.order).to_lowercase();
    let manifest = serde_json::to_vec(
        &serde_json::json!([{ "Config": cfg_name, "RepoTags": [tag], "Layers": names }]),
    )?;
    let mut h = header(tar::EntryType::Regular, manifest.len() as u64, 0o644);
    t.append_data(&mut h, "manifest.json", &manifest[..])?;
    t.into_inner()?.flush()?;
    std::fs::rename(&tmp_out, &o.out)?;
    std::fs::remove_dir_all(&tmp_dir)?;
    Ok(())
}
