//! Berkeley DB hash files, read from memory: rpm before 4.16 (CentOS 7/8,
//! RHEL/UBI 8, Amazon Linux 2) keeps its `Packages` database in one.
//!
//! Only what reading every key/value pair needs: the metadata page (magic,
//! byte order, page size), the hash pages' item index, and overflow page
//! chains for values too big to sit on a hash page. The bucket structure is
//! not followed: every hash page is visited once, which finds every live
//! pair. The file is untrusted: every offset and page number is checked,
//! chains cannot loop, and an item that does not add up is skipped.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum BdbError {
    #[error("not a Berkeley DB hash file")]
    NotHash,
    #[error("page size {0} is not one Berkeley DB writes")]
    PageSize(u32),
    #[error("encrypted")]
    Encrypted,
}

const HASH_MAGIC: u32 = 0x0006_1561;
const META_LEN: usize = 512;
/// The generic page header every page starts with.
const PAGE_HEADER: usize = 26;

// Page types.
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;

// Hash item types.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

#[derive(Clone, Copy)]
struct Order {
    little: bool,
}

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
}

/// A hash file's pages.
struct HashFile<'a> {
    bytes: &'a [u8],
    order: Order,
    page_size: usize,
    pages: usize,
}

impl<'a> HashFile<'a> {
    fn open(bytes: &'a [u8]) -> Result<HashFile<'a>, BdbError> {
        if bytes.len() < META_LEN {
            return Err(BdbError::NotHash);
        }
        let order = [true, false]
            .into_iter()
            .map(|little| Order { little })
            .find(|o| o.u32(bytes, 12) == Some(HASH_MAGIC))
            .ok_or(BdbError::NotHash)?;
        if bytes[25] != P_HASHMETA {
            return Err(BdbError::NotHash);
        }
        if bytes[24] != 0 {
            return Err(BdbError::Encrypted);
        }
        let page_size = order.u32(bytes, 20).unwrap_or(0);
        if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
            return Err(BdbError::PageSize(page_size));
        }
        let page_size = page_size as usize;
        let last = order.u32(bytes, 32).unwrap_or(0) as usize;
        Ok(HashFile {
            bytes,
            order,
            page_size,
            pages: (bytes.len() / page_size).min(last.saturating_add(1)),
        })
    }

    fn page(&self, pgno: usize) -> Option<&'a [u8]> {
        if pgno >= self.pages {
            return None;
        }
        let at = pgno * self.page_size;
        self.bytes.get(at..at + self.page_size)
    }

    /// Item `i` of a hash page: its type byte and the bytes after it. Items
    /// are stored from the page's end downwards, so item `i` ends where
    /// item `i - 1` starts.
    fn item(&self, page: &'a [u8], entries: usize, i: usize) -> Option<(u8, &'a [u8])> {
        let o = self.order;
        let start = o.u16(page, PAGE_HEADER + 2 * i)? as usize;
        let end = if i == 0 {
            page.len()
        } else {
            o.u16(page, PAGE_HEADER + 2 * (i - 1))? as usize
        };
        if start < PAGE_HEADER + 2 * entries || start >= end || end > page.len() {
            return None;
        }
        Some((page[start], &page[start + 1..end]))
    }

    /// The value of an off-page item, gathered from its overflow chain into
    /// `buf`.
    fn overflow(&self, item: &[u8], buf: &mut Vec<u8>) -> Option<()> {
        let o = self.order;
        // HOFFPAGE after its type byte: 3 unused bytes, first page, length.
        let mut pgno = o.u32(item, 3)? as usize;
        let total = o.u32(item, 7)? as usize;
        if total > self.bytes.len() {
            return None;
        }
        buf.clear();
        // Every page at most once: a chain longer than the file loops.
        for _ in 0..self.pages {
            if buf.len() >= total || pgno == 0 {
                break;
            }
            let page = self.page(pgno)?;
            if page[25] != P_OVERFLOW {
                return None;
            }
            let len = o.u16(page, 22)? as usize;
            let data = page.get(PAGE_HEADER..PAGE_HEADER + len)?;
            let take = data.len().min(total - buf.len());
            buf.extend_from_slice(&data[..take]);
            pgno = o.u32(page, 16)? as usize;
        }
        (buf.len() == total).then_some(())
    }
}

/// Calls `f` with every key/value pair of a hash file. Returns how many
/// pairs were skipped because they did not add up.
pub fn for_each_pair(bytes: &[u8], mut f: impl FnMut(&[u8], &[u8])) -> Result<usize, BdbError> {
    let file = HashFile::open(bytes)?;
    let mut skipped = 0;
    let mut buf = Vec::new();
    for pgno in 1..file.pages {
        let Some(page) = file.page(pgno) else { break };
        if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = file.order.u16(page, 20).unwrap_or(0) as usize;
        if PAGE_HEADER + 2 * entries > page.len() {
            skipped += 1;
            continue;
        }
        for i in (0..entries.saturating_sub(1)).step_by(2) {
            let (Some((H_KEYDATA, key)), Some((kind, value))) =
                (file.item(page, entries, i), file.item(page, entries, i + 1))
            else {
                skipped += 1;
                continue;
            };
            match kind {
                H_KEYDATA => f(key, value),
                H_OFFPAGE => match file.overflow(value, &mut buf) {
                    Some(()) => f(key, &buf),
                    None => skipped += 1,
                },
                // Duplicates: rpm's Packages has none.
                _ => skipped += 1,
            }
        }
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpm");

    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

    fn pairs(bytes: &[u8]) -> Result<(Pairs, usize), BdbError> {
        let mut out = Vec::new();
        let skipped = for_each_pair(bytes, |k, v| out.push((k.to_vec(), v.to_vec())))?;
        out.sort();
        Ok((out, skipped))
    }

    /// The files libdb 5.3's db_load wrote (make-fixture.sh): 6 headers
    /// and rpm's record 0, on overflow pages (4 KiB) and inline (16 KiB).
    #[test]
    fn reads_what_libdb_wrote() {
        let small = std::fs::read(format!("{DIR}/before-Packages-4k.bdb")).unwrap();
        let big = std::fs::read(format!("{DIR}/before-Packages-16k.bdb")).unwrap();
        let (a, skipped) = pairs(&small).unwrap();
        assert_eq!(skipped, 0);
        assert_eq!(a.len(), 7);
        assert_eq!(a[0], (vec![0, 0, 0, 0], vec![6, 0, 0, 0]));
        for (i, (k, v)) in a.iter().enumerate().skip(1) {
            assert_eq!(k, &[i as u8, 0, 0, 0]);
            // A header blob: il and dl say how long it is.
            let il = u32::from_be_bytes(v[..4].try_into().unwrap()) as usize;
            let dl = u32::from_be_bytes(v[4..8].try_into().unwrap()) as usize;
            assert_eq!(v.len(), 8 + 16 * il + dl, "record {i}");
        }
        assert_eq!(pairs(&big).unwrap(), (a, 0));
    }

    #[test]
    fn damaged_files_never_panic() {
        let good = std::fs::read(format!("{DIR}/before-Packages-4k.bdb")).unwrap();
        assert_eq!(
            for_each_pair(&good[..100], |_, _| {}),
            Err(BdbError::NotHash)
        );
        assert!(for_each_pair(b"SQLite format 3\0", |_, _| {}).is_err());
        let mut b = good.clone();
        b[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(for_each_pair(&b, |_, _| {}), Err(BdbError::PageSize(1000)));
        // Every byte after the metadata page flipped in turn, and the file
        // cut anywhere: pairs or skips, never a panic, never a value longer
        // than the file.
        for i in META_LEN..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xa5;
            let _ = for_each_pair(&b, |_, v| assert!(v.len() <= b.len()));
        }
        for n in (META_LEN..good.len()).step_by(97) {
            let _ = for_each_pair(&good[..n], |_, _| {});
        }
        // An overflow chain that points at itself ends, short of its length.
        let mut b = good.clone();
        for pg in 1..b.len() / 4096 {
            let at = pg * 4096;
            if b[at + 25] == P_OVERFLOW {
                b[at + 16..at + 20].copy_from_slice(&(pg as u32).to_le_bytes());
                b[at + 22..at + 24].copy_from_slice(&10u16.to_le_bytes());
            }
        }
        let (p, skipped) = pairs(&b).unwrap();
        assert_eq!(p.len(), 1, "only record 0 is inline");
        assert_eq!(skipped, 6);
    }
}
