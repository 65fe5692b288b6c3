//! rpm package databases (Fedora, RHEL/UBI, Rocky, Amazon Linux, openSUSE):
//! the sqlite backend of rpm ≥ 4.16, opened from the captured bytes in
//! memory, the Berkeley DB `Packages` of older rpm (see [`super::bdb`]),
//! and the rpm header blobs both hold.
//!
//! Both are untrusted. The database is opened read-only from a private copy,
//! with sqlite's defensive settings and a step budget, so a crafted schema
//! cannot run away. The header parser checks every count and offset against
//! the blob before reading or allocating, so a hostile header is an error,
//! never a panic or an allocation bigger than the blob.

use crate::image::entry::normalize_path;
use thiserror::Error;

/// Most packages read from one database (a real one has a few thousand).
const MAX_PACKAGES: usize = 100_000;
/// rpm's own limit on index entries of one header (`HEADER_TAGS_MAX`).
const MAX_INDEX: u32 = 0xffff;
/// Most values of one tag (files of one package: real ones stay below
/// 100 000). Bounds what one array costs whatever its blob says.
const MAX_COUNT: u32 = 1 << 20;
/// Most files kept from one database (a fat Fedora builder lists ~500 000).
const MAX_FILES: usize = 4_000_000;

/// What went wrong with one header blob.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("header blob of {0} bytes is too short")]
    Short(usize),
    #[error("header claims {il} index entries and {dl} data bytes, blob has {len} bytes")]
    Size { il: u32, dl: u32, len: usize },
    #[error("tag {tag}: {what}")]
    Tag { tag: u32, what: &'static str },
    #[error("no package name")]
    NoName,
    #[error("record is not a header blob")]
    NotBlob,
}

/// What went wrong with a whole database.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RpmDbError {
    #[error("not an sqlite database")]
    NotSqlite,
    #[error("Berkeley DB: {0}")]
    Bdb(#[from] super::bdb::BdbError),
    #[error("no Packages table")]
    NoPackagesTable,
    /// sqlite's own message (escaped).
    #[error("{0}")]
    Sqlite(String),
}

impl From<rusqlite::Error> for RpmDbError {
    fn from(e: rusqlite::Error) -> Self {
        RpmDbError::Sqlite(crate::escape::escape_str(&e.to_string()).into_owned())
    }
}

/// One file or directory of a package, as its header lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpmFile {
    /// Normalised (no leading `/`, no `..` above the root).
    pub path: Vec<u8>,
    /// The header's mode says directory.
    pub is_dir: bool,
}

/// One installed package (raw bytes: untrusted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpmPackage {
    pub name: Vec<u8>,
    pub epoch: Option<u32>,
    pub version: Vec<u8>,
    pub release: Vec<u8>,
    pub arch: Vec<u8>,
    /// `Group:`, when it says something (not `Unspecified`).
    pub group: Option<Vec<u8>>,
    /// Bytes, as the header declares.
    pub size: u64,
    /// Files rpm put on disk: those a `FILESTATES` entry marks not
    /// installed (excluded docs, other-arch colour, replaced) are left out.
    pub files: Vec<RpmFile>,
}

impl RpmPackage {
    /// `[EPOCH:]VERSION-RELEASE`, the way `rpm -q --qf '%{EVR}'` prints it.
    pub fn evr(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.version.len() + self.release.len() + 12);
        if let Some(e) = self.epoch {
            v.extend_from_slice(e.to_string().as_bytes());
            v.push(b':');
        }
        v.extend_from_slice(&self.version);
        if !self.release.is_empty() {
            v.push(b'-');
            v.extend_from_slice(&self.release);
        }
        v
    }
}

// Header tags used here.
const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_SIZE: u32 = 1009;
const TAG_GROUP: u32 = 1016;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_FILESTATES: u32 = 1029;
const TAG_FILEMODES: u32 = 1030;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_LONGSIZE: u32 = 5009;

// Data types.
const T_CHAR: u32 = 1;
const T_INT8: u32 = 2;
const T_INT16: u32 = 3;
const T_INT32: u32 = 4;
const T_INT64: u32 = 5;
const T_STRING: u32 = 6;
const T_STRING_ARRAY: u32 = 8;
const T_I18NSTRING: u32 = 9;

const S_IFMT: u16 = 0o170000;
const S_IFDIR: u16 = 0o040000;

/// File states other than "normal" (0) mean rpm did not put the file there.
const FSTATE_NORMAL: u8 = 0;

/// One index entry: where a tag's value lies in the data store.
#[derive(Clone, Copy, Debug)]
struct IndexEntry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A header blob as stored in the database: il, dl, il index entries of 16
/// bytes, then dl bytes of data. All numbers big-endian.
struct Header<'a> {
    index: &'a [u8],
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    fn new(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(HeaderError::Short(blob.len()));
        };
        let size_err = HeaderError::Size {
            il,
            dl,
            len: blob.len(),
        };
        if il == 0 || il > MAX_INDEX {
            return Err(size_err);
        }
        // u64: no overflow whatever the two numbers say.
        let index_len = u64::from(il) * 16;
        if 8 + index_len + u64::from(dl) > blob.len() as u64 {
            return Err(size_err);
        }
        let index_end = 8 + index_len as usize;
        Ok(Header {
            index: &blob[8..index_end],
            data: &blob[index_end..index_end + dl as usize],
        })
    }

    fn entries(&self) -> impl Iterator<Item = IndexEntry> + '_ {
        self.index.chunks_exact(16).map(|e| IndexEntry {
            tag: u32::from_be_bytes([e[0], e[1], e[2], e[3]]),
            kind: u32::from_be_bytes([e[4], e[5], e[6], e[7]]),
            offset: u32::from_be_bytes([e[8], e[9], e[10], e[11]]),
            count: u32::from_be_bytes([e[12], e[13], e[14], e[15]]),
        })
    }

    fn find(&self, tag: u32) -> Option<IndexEntry> {
        self.entries().find(|e| e.tag == tag)
    }

    /// The data from an entry's offset on. Offsets are signed in rpm; a
    /// "negative" one is above `i32::MAX` here and out of range.
    fn tail(&self, e: IndexEntry) -> Result<&'a [u8], HeaderError> {
        self.data
            .get(e.offset as usize..)
            .filter(|_| e.offset <= i32::MAX as u32)
            .ok_or(HeaderError::Tag {
                tag: e.tag,
                what: "offset out of range",
            })
    }

    /// `count` NUL-terminated strings (one for STRING; the first of an
    /// I18NSTRING is the untranslated one).
    fn strings(&self, tag: u32) -> Result<Option<Vec<&'a [u8]>>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        let bad = |what| HeaderError::Tag { tag, what };
        if !matches!(e.kind, T_STRING | T_STRING_ARRAY | T_I18NSTRING) {
            return Err(bad("not a string"));
        }
        if e.kind == T_STRING && e.count != 1 {
            return Err(bad("string with a count other than 1"));
        }
        if e.count > MAX_COUNT {
            return Err(bad("too many values"));
        }
        let mut rest = self.tail(e)?;
        // Every string takes at least its NUL: a count beyond the bytes left
        // is a lie, caught before anything is allocated for it.
        if e.count as usize > rest.len() {
            return Err(bad("more strings than bytes"));
        }
        let mut out = Vec::with_capacity(e.count as usize);
        for _ in 0..e.count {
            let nul = memchr::memchr(0, rest).ok_or(bad("string without NUL"))?;
            out.push(&rest[..nul]);
            rest = &rest[nul + 1..];
        }
        Ok(Some(out))
    }

    fn string(&self, tag: u32) -> Result<Option<&'a [u8]>, HeaderError> {
        Ok(self.strings(tag)?.and_then(|v| v.into_iter().next()))
    }

    /// `count` big-endian integers of `width` bytes, widened to u64.
    fn ints(&self, tag: u32) -> Result<Option<Vec<u64>>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        let bad = |what| HeaderError::Tag { tag, what };
        let width: usize = match e.kind {
            T_CHAR | T_INT8 => 1,
            T_INT16 => 2,
            T_INT32 => 4,
            T_INT64 => 8,
            _ => return Err(bad("not a number")),
        };
        if e.count > MAX_COUNT {
            return Err(bad("too many values"));
        }
        let rest = self.tail(e)?;
        let len = (e.count as usize)
            .checked_mul(width)
            .filter(|&n| n <= rest.len())
            .ok_or(bad("count beyond the data"))?;
        Ok(Some(
            rest[..len]
                .chunks_exact(width)
                .map(|c| c.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
                .collect(),
        ))
    }

    fn int(&self, tag: u32) -> Result<Option<u64>, HeaderError> {
        Ok(self.ints(tag)?.and_then(|v| v.first().copied()))
    }
}

/// Parses one header blob (as the `Packages` table stores it, without the
/// 8-byte magic of a header in an `.rpm` file).
pub fn parse_header(blob: &[u8]) -> Result<RpmPackage, HeaderError> {
    let h = Header::new(blob)?;
    let name = h.string(TAG_NAME)?.ok_or(HeaderError::NoName)?;
    if name.is_empty() {
        return Err(HeaderError::NoName);
    }
    let mut p = RpmPackage {
        name: name.to_vec(),
        epoch: h.int(TAG_EPOCH)?.map(|e| e as u32),
        version: h.string(TAG_VERSION)?.unwrap_or_default().to_vec(),
        release: h.string(TAG_RELEASE)?.unwrap_or_default().to_vec(),
        arch: h.string(TAG_ARCH)?.unwrap_or_default().to_vec(),
        group: h
            .string(TAG_GROUP)?
            .filter(|g| !g.is_empty() && *g != b"Unspecified")
            .map(<[u8]>::to_vec),
        size: match h.int(TAG_LONGSIZE)? {
            Some(s) => s,
            None => h.int(TAG_SIZE)?.unwrap_or(0),
        },
        files: Vec::new(),
    };
    p.files = files(&h)?;
    Ok(p)
}

fn files(h: &Header<'_>) -> Result<Vec<RpmFile>, HeaderError> {
    let mismatch = |tag| HeaderError::Tag {
        tag,
        what: "count differs from the file count",
    };
    let names: Vec<Vec<u8>> = match h.strings(TAG_BASENAMES)? {
        Some(base) => {
            let dirs = h.strings(TAG_DIRNAMES)?.unwrap_or_default();
            let idx = h.ints(TAG_DIRINDEXES)?.unwrap_or_default();
            if idx.len() != base.len() {
                return Err(mismatch(TAG_DIRINDEXES));
            }
            base.iter()
                .zip(&idx)
                .map(|(b, &i)| {
                    let d = dirs.get(i as usize).ok_or(HeaderError::Tag {
                        tag: TAG_DIRINDEXES,
                        what: "directory index out of range",
                    })?;
                    Ok([*d, *b].concat())
                })
                .collect::<Result<_, HeaderError>>()?
        }
        // Headers from before compressed file names.
        None => h
            .strings(TAG_OLDFILENAMES)?
            .unwrap_or_default()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect(),
    };
    let modes = h.ints(TAG_FILEMODES)?;
    let states = h.ints(TAG_FILESTATES)?;
    for (tag, v) in [(TAG_FILEMODES, &modes), (TAG_FILESTATES, &states)] {
        if v.as_ref().is_some_and(|v| v.len() != names.len()) {
            return Err(mismatch(tag));
        }
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.into_iter().enumerate() {
        if states.as_ref().is_some_and(|s| s[i] as u8 != FSTATE_NORMAL) {
            continue;
        }
        let path = normalize_path(&name).into_vec();
        if path.is_empty() {
            continue;
        }
        let is_dir = modes
            .as_ref()
            .is_some_and(|m| m[i] as u16 & S_IFMT == S_IFDIR);
        out.push(RpmFile { path, is_dir });
    }
    Ok(out)
}

/// Whether `bytes` start like an sqlite database.
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(b"SQLite format 3\0")
}

/// Packages read from an rpm sqlite database, and the headers skipped.
#[derive(Debug, Default)]
pub struct RpmDb {
    pub packages: Vec<RpmPackage>,
    /// Files were dropped past [`MAX_FILES`].
    pub files_dropped: bool,
    /// Rows whose header blob did not parse (first error kept).
    pub bad_headers: usize,
    pub first_bad: Option<HeaderError>,
    /// Files kept so far, against [`MAX_FILES`].
    files: usize,
}

impl RpmDb {
    fn add(&mut self, parsed: Result<RpmPackage, HeaderError>) {
        match parsed {
            Ok(mut p) => {
                self.files += p.files.len();
                if self.files > MAX_FILES {
                    p.files = Vec::new();
                    self.files_dropped = true;
                }
                self.packages.push(p);
            }
            Err(e) => {
                self.bad_headers += 1;
                self.first_bad.get_or_insert(e);
            }
        }
    }
}

/// sqlite virtual machine steps allowed per database byte (plus a floor):
/// a full scan of a real rpmdb takes far fewer; a crafted schema that loops
/// runs out.
const STEPS_PER_BYTE: u64 = 16;
const STEPS_FLOOR: u64 = 50_000_000;
const STEPS_PER_CALLBACK: i32 = 10_000;

/// Reads an rpm sqlite database (`rpmdb.sqlite`) from memory. The bytes
/// are copied into sqlite's own read-only in-memory database; nothing
/// touches the disk.
pub fn read_sqlite(db: &[u8]) -> Result<RpmDb, RpmDbError> {
    use rusqlite::{config::DbConfig, Connection, OpenFlags};
    if !is_sqlite(db) || db.len() < 100 {
        return Err(RpmDbError::NotSqlite);
    }
    let conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // rpm keeps its database in WAL mode (header bytes 18 and 19 are 2);
    // sqlite's in-memory databases cannot, so the copy says "rollback
    // journal". Read-only either way. A WAL file's unmerged pages (a
    // writer that crashed) are not seen.
    let mut head = [0u8; 100];
    head.copy_from_slice(&db[..100]);
    for b in &mut head[18..20] {
        if *b == 2 {
            *b = 1;
        }
    }
    let mut conn = conn;
    conn.deserialize_read_exact(
        rusqlite::MAIN_DB,
        std::io::Read::chain(&head[..], &db[100..]),
        db.len(),
        true,
    )?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.pragma_update(None, "cell_size_check", true)?;
    let budget = (db.len() as u64)
        .saturating_mul(STEPS_PER_BYTE)
        .max(STEPS_FLOOR)
        / STEPS_PER_CALLBACK as u64;
    let mut calls = 0u64;
    conn.progress_handler(
        STEPS_PER_CALLBACK,
        Some(move || {
            calls += 1;
            calls > budget
        }),
    )?;

    // A view or a virtual table named Packages could compute anything; only
    // a plain table is read.
    let kinds: Vec<(String, String)> = conn
        .prepare("SELECT type, coalesce(sql, '') FROM sqlite_schema WHERE name = 'Packages' COLLATE NOCASE")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let plain_table = |(kind, sql): &(String, String)| {
        kind == "table"
            && sql
                .get(..12)
                .is_some_and(|s| s.eq_ignore_ascii_case("CREATE TABLE"))
    };
    if kinds.len() != 1 || !plain_table(&kinds[0]) {
        return Err(RpmDbError::NoPackagesTable);
    }

    let mut out = RpmDb::default();
    let mut stmt = conn.prepare("SELECT blob FROM Packages")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if out.packages.len() >= MAX_PACKAGES {
            break;
        }
        let parsed = match row.get_ref(0)? {
            rusqlite::types::ValueRef::Blob(b) => parse_header(b),
            _ => Err(HeaderError::NotBlob),
        };
        out.add(parsed);
    }
    Ok(out)
}

/// Reads rpm's Berkeley DB `Packages` (rpm < 4.16): key the instance
/// number, value the header blob; record 0 is rpm's counter, not a package.
pub fn read_bdb(db: &[u8]) -> Result<RpmDb, RpmDbError> {
    let mut out = RpmDb::default();
    let skipped = super::bdb::for_each_pair(db, |key, value| {
        if key == [0, 0, 0, 0] || out.packages.len() >= MAX_PACKAGES {
            return;
        }
        out.add(parse_header(value));
    })?;
    if skipped > 0 {
        out.bad_headers += skipped;
        out.first_bad.get_or_insert(HeaderError::NotBlob);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds header blobs the way rpm lays them out: values aligned in the
    /// data store, index entries pointing at them.
    #[derive(Default)]
    pub struct HeaderBuilder {
        entries: Vec<[u32; 4]>,
        data: Vec<u8>,
    }

    impl HeaderBuilder {
        fn push(&mut self, tag: u32, kind: u32, count: u32, bytes: &[u8], align: usize) {
            while self.data.len() % align != 0 {
                self.data.push(0);
            }
            self.entries
                .push([tag, kind, self.data.len() as u32, count]);
            self.data.extend_from_slice(bytes);
        }
        pub fn string(mut self, tag: u32, s: &str) -> Self {
            let mut b = s.as_bytes().to_vec();
            b.push(0);
            self.push(tag, T_STRING, 1, &b, 1);
            self
        }
        pub fn strings(mut self, tag: u32, ss: &[&str]) -> Self {
            let mut b = Vec::new();
            for s in ss {
                b.extend_from_slice(s.as_bytes());
                b.push(0);
            }
            self.push(tag, T_STRING_ARRAY, ss.len() as u32, &b, 1);
            self
        }
        pub fn i32s(mut self, tag: u32, v: &[u32]) -> Self {
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_be_bytes()).collect();
            self.push(tag, T_INT32, v.len() as u32, &b, 4);
            self
        }
        pub fn i16s(mut self, tag: u32, v: &[u16]) -> Self {
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_be_bytes()).collect();
            self.push(tag, T_INT16, v.len() as u32, &b, 2);
            self
        }
        pub fn chars(mut self, tag: u32, v: &[u8]) -> Self {
            self.push(tag, T_CHAR, v.len() as u32, v, 1);
            self
        }
        /// An entry with any numbers at all.
        pub fn raw(mut self, e: [u32; 4]) -> Self {
            self.entries.push(e);
            self
        }
        pub fn build(&self) -> Vec<u8> {
            let mut b = Vec::new();
            b.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
            b.extend_from_slice(&(self.data.len() as u32).to_be_bytes());
            for e in &self.entries {
                for x in e {
                    b.extend_from_slice(&x.to_be_bytes());
                }
            }
            b.extend_from_slice(&self.data);
            b
        }
    }

    pub fn gcc_header() -> HeaderBuilder {
        HeaderBuilder::default()
            .string(TAG_NAME, "gcc-c++")
            .string(TAG_VERSION, "12.2.1")
            .string(TAG_RELEASE, "4.fc38")
            .string(TAG_ARCH, "x86_64")
            .i32s(TAG_SIZE, &[24000])
            .strings(TAG_GROUP, &["Development/Languages"])
            .strings(TAG_BASENAMES, &["g++", "12", "cc1plus", "README"])
            .i32s(TAG_DIRINDEXES, &[0, 1, 2, 3])
            .strings(
                TAG_DIRNAMES,
                &[
                    "/usr/bin/",
                    "/usr/libexec/gcc/x86_64-redhat-linux/",
                    "/usr/libexec/gcc/x86_64-redhat-linux/12/",
                    "/usr/share/doc/gcc-c++/",
                ],
            )
            .i16s(TAG_FILEMODES, &[0o100755, 0o040755, 0o100755, 0o100644])
            .chars(TAG_FILESTATES, &[0, 0, 0, 2])
    }

    #[test]
    fn parses_a_header() {
        let p = parse_header(&gcc_header().build()).unwrap();
        assert_eq!(p.name, b"gcc-c++");
        assert_eq!(p.evr(), b"12.2.1-4.fc38");
        assert_eq!(p.arch, b"x86_64");
        assert_eq!(p.size, 24000);
        assert_eq!(p.group.as_deref(), Some(&b"Development/Languages"[..]));
        // The README is "not installed" (--excludedocs): left out.
        assert_eq!(
            p.files,
            vec![
                RpmFile {
                    path: b"usr/bin/g++".to_vec(),
                    is_dir: false
                },
                RpmFile {
                    path: b"usr/libexec/gcc/x86_64-redhat-linux/12".to_vec(),
                    is_dir: true
                },
                RpmFile {
                    path: b"usr/libexec/gcc/x86_64-redhat-linux/12/cc1plus".to_vec(),
                    is_dir: false
                },
            ]
        );
        let with_epoch = gcc_header().i32s(TAG_EPOCH, &[2]).build();
        assert_eq!(parse_header(&with_epoch).unwrap().evr(), b"2:12.2.1-4.fc38");
        // Explicit epoch 0 is printed, as rpm does.
        let zero = gcc_header().i32s(TAG_EPOCH, &[0]).build();
        assert_eq!(parse_header(&zero).unwrap().evr(), b"0:12.2.1-4.fc38");
    }

    #[test]
    fn old_file_names_and_pubkeys() {
        let old = HeaderBuilder::default()
            .string(TAG_NAME, "old")
            .strings(TAG_OLDFILENAMES, &["/bin/ls", "/../../etc/x"])
            .build();
        let p = parse_header(&old).unwrap();
        let paths: Vec<&[u8]> = p.files.iter().map(|f| &f.path[..]).collect();
        assert_eq!(paths, [&b"bin/ls"[..], b"etc/x"]);
        // gpg-pubkey pseudo-packages: no arch, no files.
        let key = HeaderBuilder::default()
            .string(TAG_NAME, "gpg-pubkey")
            .string(TAG_VERSION, "18b8e74c")
            .string(TAG_RELEASE, "62f2920f")
            .build();
        let p = parse_header(&key).unwrap();
        assert!(p.files.is_empty() && p.arch.is_empty());
    }

    /// Every hostile blob is an error: no panic, no allocation beyond the
    /// blob's own size.
    #[test]
    fn hostile_headers_are_errors() {
        let good = gcc_header().build();
        // Truncated anywhere.
        for n in 0..good.len() {
            assert!(parse_header(&good[..n]).is_err(), "cut at {n}");
        }
        // il and dl lie.
        for (il, dl) in [
            (0u32, 0u32),
            (u32::MAX, 0),
            (0xffff, 0),
            (1, u32::MAX),
            (3, 9999),
        ] {
            let mut b = good.clone();
            b[..4].copy_from_slice(&il.to_be_bytes());
            b[4..8].copy_from_slice(&dl.to_be_bytes());
            assert!(parse_header(&b).is_err(), "il {il} dl {dl}");
        }
        let base = || {
            HeaderBuilder::default()
                .string(TAG_NAME, "x")
                .string(TAG_VERSION, "1")
        };
        let hostile = [
            // Offsets past the end, "negative", counts that would allocate
            // gigabytes.
            base().raw([TAG_RELEASE, T_STRING, 1 << 31, 1]),
            base().raw([TAG_RELEASE, T_STRING, 9999, 1]),
            base().raw([TAG_BASENAMES, T_STRING_ARRAY, 0, u32::MAX]),
            base().raw([TAG_FILEMODES, T_INT16, 0, u32::MAX]),
            base().raw([TAG_LONGSIZE, T_INT64, 0, 0x2000_0000]),
            base().raw([TAG_EPOCH, T_INT32, u32::MAX - 1, 1]),
            // STRING with a count, a string type that is a number.
            base().raw([TAG_ARCH, T_STRING, 0, 2]),
            base().raw([TAG_SIZE, T_STRING, 0, 1]),
            base().raw([TAG_ARCH, T_INT32, 0, 1]),
            // Index and names disagree; index beyond the directories.
            base()
                .strings(TAG_BASENAMES, &["a", "b"])
                .i32s(TAG_DIRINDEXES, &[0])
                .strings(TAG_DIRNAMES, &["/"]),
            base()
                .strings(TAG_BASENAMES, &["a"])
                .i32s(TAG_DIRINDEXES, &[u32::MAX])
                .strings(TAG_DIRNAMES, &["/"]),
            base()
                .strings(TAG_BASENAMES, &["a"])
                .i32s(TAG_DIRINDEXES, &[0])
                .strings(TAG_DIRNAMES, &["/"])
                .i16s(TAG_FILEMODES, &[1, 2]),
        ];
        for (i, h) in hostile.iter().enumerate() {
            assert!(parse_header(&h.build()).is_err(), "hostile #{i} parsed");
        }
        // A string without its NUL: the data store ends first.
        let mut b = base().build();
        b.pop();
        assert!(parse_header(&b).is_err());
        // No name, empty name.
        assert_eq!(
            parse_header(&HeaderBuilder::default().string(TAG_VERSION, "1").build()),
            Err(HeaderError::NoName)
        );
        assert_eq!(
            parse_header(&HeaderBuilder::default().string(TAG_NAME, "").build()),
            Err(HeaderError::NoName)
        );
    }

    #[test]
    fn header_garbage_never_panics() {
        let good = gcc_header().build();
        // Every byte of a real header flipped in turn, and pseudo-random
        // blobs: errors or packages, never a panic, and never a package
        // without a name.
        let (mut read, mut refused) = (0, 0);
        for i in 0..good.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut b = good.clone();
                b[i] ^= x;
                match parse_header(&b) {
                    Ok(p) => {
                        assert!(!p.name.is_empty(), "byte {i} ^ {x:#x}");
                        read += 1;
                    }
                    Err(_) => refused += 1,
                }
            }
        }
        // Flips in the index (counts, offsets, types) are refused; flips
        // inside string data still read.
        assert!(read > 0 && refused > 0, "read {read}, refused {refused}");
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..2000 {
            let blob: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            // Lengths and offsets that agree with the blob's size do not
            // happen by chance: every blob is refused.
            assert!(parse_header(&blob).is_err(), "random blob of {len} bytes");
        }
    }

    #[test]
    fn databases_that_are_not_rpm_ones_are_errors() {
        assert_eq!(read_sqlite(b"").unwrap_err(), RpmDbError::NotSqlite);
        assert_eq!(
            read_sqlite(b"Berkeley DB, really").unwrap_err(),
            RpmDbError::NotSqlite
        );
        let mut fake = b"SQLite format 3\0".to_vec();
        fake.resize(4096, 0xab);
        assert!(read_sqlite(&fake).is_err());
    }
}

/// Against databases the real rpm wrote (tests/fixtures/rpm, made by its
/// make-fixture.sh): what we read must equal what `rpm -qa` printed.
#[cfg(test)]
mod real {
    use super::*;
    use std::io::Read;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpm");

    pub fn rpmdb_from(root_tar_gz: &str) -> Vec<u8> {
        let gz = std::fs::read(format!("{DIR}/{root_tar_gz}")).unwrap();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&gz[..]));
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            if e.path_bytes()
                .ends_with(b"usr/lib/sysimage/rpm/rpmdb.sqlite")
            {
                let mut v = Vec::new();
                e.read_to_end(&mut v).unwrap();
                return v;
            }
        }
        panic!("no rpmdb.sqlite in {root_tar_gz}");
    }

    fn listing(name: &str) -> String {
        std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()
    }

    #[test]
    fn reads_what_rpm_wrote() {
        let db = read_sqlite(&rpmdb_from("before-root.tar.gz")).unwrap();
        assert_eq!(db.bad_headers, 0);
        let mut qa: Vec<String> = db
            .packages
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}",
                    String::from_utf8_lossy(&p.name),
                    String::from_utf8_lossy(&p.evr()),
                    String::from_utf8_lossy(&p.arch)
                )
            })
            .collect();
        qa.sort();
        let want = listing("before.qa");
        assert_eq!(qa, want.lines().collect::<Vec<_>>());
        // Every file rpm installed, directories included, and nothing else.
        let mut ql: Vec<String> = db
            .packages
            .iter()
            .flat_map(|p| {
                p.files.iter().map(move |f| {
                    format!(
                        "{}\t/{}",
                        String::from_utf8_lossy(&p.name),
                        String::from_utf8_lossy(&f.path)
                    )
                })
            })
            .collect();
        ql.sort();
        assert_eq!(ql, listing("before.ql").lines().collect::<Vec<_>>());
        let gcc = db.packages.iter().find(|p| p.name == b"gcc-c++").unwrap();
        let dirs: Vec<&[u8]> = gcc
            .files
            .iter()
            .filter(|f| f.is_dir)
            .map(|f| &f.path[..])
            .collect();
        assert_eq!(
            dirs,
            [
                &b"usr/libexec/gcc"[..],
                b"usr/libexec/gcc/x86_64-redhat-linux",
                b"usr/libexec/gcc/x86_64-redhat-linux/12"
            ]
        );
        assert_eq!(gcc.group.as_deref(), Some(&b"Development/Languages"[..]));
        assert!(gcc.size >= 24000, "{}", gcc.size);

        let after = read_sqlite(&rpmdb_from("after-root.tar.gz")).unwrap();
        assert_eq!(after.packages.len(), listing("after.qa").lines().count());
    }

    /// The same headers in a Berkeley DB `Packages` (rpm < 4.16) read the
    /// same, whether on overflow pages or inline.
    #[test]
    fn berkeley_db_packages_read_like_sqlite() {
        let mut sqlite = read_sqlite(&rpmdb_from("before-root.tar.gz")).unwrap();
        sqlite.packages.sort_by(|a, b| a.name.cmp(&b.name));
        for file in ["before-Packages-4k.bdb", "before-Packages-16k.bdb"] {
            let bytes = std::fs::read(format!("{DIR}/{file}")).unwrap();
            let mut bdb = read_bdb(&bytes).unwrap();
            assert_eq!(bdb.bad_headers, 0, "{file}");
            // Hash order, not instance order.
            bdb.packages.sort_by(|a, b| a.name.cmp(&b.name));
            assert_eq!(bdb.packages, sqlite.packages, "{file}");
        }
        assert!(matches!(
            read_bdb(&rpmdb_from("before-root.tar.gz")),
            Err(RpmDbError::Bdb(_))
        ));
    }

    #[test]
    fn damaged_real_database_is_an_error_not_a_panic() {
        let good = rpmdb_from("before-root.tar.gz");
        let page = 4096;
        // Cut short, every page in turn overwritten with noise, the page
        // size in the file header changed: each reads (sqlite may not need
        // the damaged page) or fails, never panics.
        let mut cases: Vec<Vec<u8>> = vec![good[..good.len() / 2].to_vec(), good[..page].to_vec()];
        for at in (0..good.len()).step_by(page) {
            let mut b = good.clone();
            for (i, x) in b[at..at + page].iter_mut().enumerate() {
                *x = (i * 31 % 251) as u8;
            }
            cases.push(b);
        }
        let mut b = good.clone();
        b[16] = 0x7f;
        cases.push(b);
        let mut failed = 0;
        for (i, c) in cases.iter().enumerate() {
            match read_sqlite(c) {
                Ok(db) => assert!(db.packages.len() + db.bad_headers <= 6, "case {i}"),
                Err(e) => {
                    assert!(!e.to_string().is_empty(), "case {i}");
                    failed += 1;
                }
            }
        }
        assert!(failed >= 3, "only {failed} damaged databases failed");

        // A header inside the file that lies about its size: that package
        // is skipped and counted, the others read.
        let blob: Vec<u8> = {
            // rpm's file is in WAL mode, which in-memory sqlite refuses.
            let mut patched = good.clone();
            patched[18..20].copy_from_slice(&[1, 1]);
            let mut conn = rusqlite::Connection::open_in_memory().unwrap();
            conn.deserialize_read_exact(rusqlite::MAIN_DB, &patched[..], patched.len(), true)
                .unwrap();
            conn.query_row("SELECT blob FROM Packages WHERE hnum = 1", [], |r| r.get(0))
                .unwrap()
        };
        let mut b = good.clone();
        let spots: Vec<usize> = memchr::memmem::find_iter(&good, &blob[..64]).collect();
        assert!(!spots.is_empty(), "header not stored inline");
        for at in spots {
            b[at + 4..at + 8].copy_from_slice(&u32::MAX.to_be_bytes());
        }
        let db = read_sqlite(&b).unwrap();
        assert_eq!((db.packages.len(), db.bad_headers), (5, 1));
        assert!(matches!(db.first_bad, Some(HeaderError::Size { .. })));
    }

    #[test]
    fn crafted_schemas_are_refused() {
        use rusqlite::Connection;
        let make = |sql: &str| -> Vec<u8> {
            let c = Connection::open_in_memory().unwrap();
            c.execute_batch(sql).unwrap();
            c.serialize(rusqlite::MAIN_DB).unwrap().to_vec()
        };
        // A view that never ends: refused before it runs.
        let looping = make(
            "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x AS hnum, x AS blob FROM c;",
        );
        assert_eq!(
            read_sqlite(&looping).unwrap_err(),
            RpmDbError::NoPackagesTable
        );
        assert_eq!(
            read_sqlite(&make("CREATE TABLE Other(x);")).unwrap_err(),
            RpmDbError::NoPackagesTable
        );
        // Rows that are not blobs, or blobs that are not headers: skipped
        // and counted.
        let junk = make(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);
             INSERT INTO Packages VALUES (1, 'text'), (2, 42), (3, x'00000001ffffffff');",
        );
        let db = read_sqlite(&junk).unwrap();
        assert!(db.packages.is_empty());
        assert_eq!(db.bad_headers, 3);
        // A real header next to junk still reads.
        let h = super::tests::gcc_header().build();
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);")
            .unwrap();
        c.execute("INSERT INTO Packages VALUES (1, ?1), (2, x'00')", [&h])
            .unwrap();
        let db = read_sqlite(&c.serialize(rusqlite::MAIN_DB).unwrap()).unwrap();
        assert_eq!(db.packages.len(), 1);
        assert_eq!(db.bad_headers, 1);
    }
}

/// Measures a real database: `STAGEDIFF_RPMDB=path cargo test --release
/// --lib rpmdb::measure -- --ignored --nocapture`.
#[cfg(test)]
mod measure {
    #[test]
    #[ignore = "needs STAGEDIFF_RPMDB"]
    fn read_time() {
        // Ignored by default; run by hand, a missing variable is a mistake.
        let path =
            std::env::var_os("STAGEDIFF_RPMDB").expect("set STAGEDIFF_RPMDB to an rpm database");
        let bytes = std::fs::read(&path).unwrap();
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let db = if super::is_sqlite(&bytes) {
                super::read_sqlite(&bytes)
            } else {
                super::read_bdb(&bytes)
            }
            .unwrap();
            assert!(!db.packages.is_empty(), "no package read");
            let files: usize = db.packages.iter().map(|p| p.files.len()).sum();
            println!(
                "{} bytes: {} packages, {} files, {} bad headers in {:?}",
                bytes.len(),
                db.packages.len(),
                files,
                db.bad_headers,
                t.elapsed()
            );
        }
    }
}
