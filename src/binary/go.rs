//! Go's build info: the Go version, main module, dependencies and build settings every Go
//! binary since 1.13 carries (what `go version -m` prints).
//!
//! The linker writes a 32-byte header, 16-byte aligned, that starts with [`MAGIC`]:
//!
//! ```text
//! 0   14 bytes  "\xff Go buildinf:"
//! 14  1 byte    pointer size (4 or 8)
//! 15  1 byte    flags: bit 0 big-endian, bit 1 strings inline (Go ≥ 1.18)
//! 16  …         Go < 1.18: two pointers to Go string headers (version, modinfo)
//! 32  …         Go ≥ 1.18: two uvarint-length-prefixed strings (version, modinfo)
//! ```
//!
//! The modinfo string is framed by two 16-byte sentinels and holds tab-separated lines
//! (`path`, `mod`, `dep`, `=>`, `build`), the text `runtime/debug.BuildInfo.String` writes.
//! Every byte here comes from an image: lengths are bounded by what the caller kept, nothing
//! panics and nothing is allocated beyond the input's size.

use crate::escape::escape_str;
use serde::Serialize;

/// The first bytes of the build-info header.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";

/// Most bytes after the magic the caller needs to keep for [`GoBuildInfo::parse`] (header +
/// inline strings). Real build info is a few KB; a binary with thousands of modules stays
/// well under this.
pub const WINDOW: usize = 1 << 20;

/// Size of the header, and the alignment the linker gives it.
const HEADER: usize = 32;
const ALIGN: u64 = 16;
/// Length of each sentinel around the modinfo text.
const SENTINEL: usize = 16;
/// Longest string a pre-1.18 pointer may name: what the inline layout could hold.
const MAX_STRING: u64 = WINDOW as u64;

/// One module: the main module or a dependency, possibly replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    /// The go.sum hash (`h1:…`); none for the main module, replaced or vendored-local ones.
    pub sum: Option<String>,
    /// What a `replace` directive put in its place (`=>` line).
    pub replace: Option<Box<GoModule>>,
}

/// The build info of one Go binary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GoBuildInfo {
    /// The toolchain that built it, e.g. "go1.19.8".
    pub go_version: String,
    /// The main package's path ("path" line).
    pub path: Option<String>,
    /// The main module ("mod" line); none in GOPATH mode.
    pub main: Option<GoModule>,
    /// Dependency modules ("dep" lines), with their "=>" replacements.
    pub deps: Vec<GoModule>,
    /// Build settings ("build" lines), in order, values unquoted.
    pub settings: Vec<(String, String)>,
}

/// The header fields that decide how the rest reads.
#[derive(Clone, Copy, Debug)]
struct Header {
    ptr_size: usize,
    big_endian: bool,
    inline: bool,
}

fn header(at_magic: &[u8]) -> Result<Header, String> {
    if at_magic.len() < HEADER {
        return Err(format!(
            "Go build info header truncated: {} of {HEADER} bytes",
            at_magic.len()
        ));
    }
    if !at_magic.starts_with(MAGIC) {
        return Err("no Go build info magic".to_string());
    }
    let flags = at_magic[15];
    Ok(Header {
        ptr_size: usize::from(at_magic[14]),
        // Like Go's reader: any non-zero flags byte means big-endian in the pointer layout
        // (whose writers only ever wrote 0 or 1); the inline layout needs no byte order.
        big_endian: flags & !2 != 0,
        inline: flags & 2 != 0,
    })
}

/// Reads an unsigned LEB128 varint as Go's `binary.Uvarint` does: at most 10 bytes and no
/// overflow past 64 bits. Returns the value and the bytes it took.
fn uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in data.iter().enumerate().take(10) {
        if i == 9 && b > 1 {
            return None; // overflows u64
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((value, i + 1));
        }
    }
    None // truncated, or 10 bytes with the continuation bit still set
}

/// One length-prefixed string of the inline layout, and the bytes after it. Go's reader wants
/// at least one byte after the string (a real binary always has more data there); this one
/// lets the string end the buffer, so an extract cut right after the modinfo still reads.
fn inline_string<'a>(data: &'a [u8], what: &str) -> Result<(&'a [u8], &'a [u8]), String> {
    let (len, n) =
        uvarint(data).ok_or_else(|| format!("Go build info: bad length of the {what}"))?;
    let rest = &data[n..];
    if len > rest.len() as u64 {
        return Err(format!(
            "Go build info: the {what} claims {len} bytes, {} are left",
            rest.len()
        ));
    }
    // len ≤ rest.len(), so it fits a usize.
    let len = len as usize;
    Ok((&rest[..len], &rest[len..]))
}

fn read_ptr(b: &[u8], h: Header) -> Option<u64> {
    match h.ptr_size {
        4 => {
            let a: [u8; 4] = b.get(..4)?.try_into().ok()?;
            Some(u64::from(if h.big_endian {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }))
        }
        8 => {
            let a: [u8; 8] = b.get(..8)?.try_into().ok()?;
            Some(if h.big_endian {
                u64::from_be_bytes(a)
            } else {
                u64::from_le_bytes(a)
            })
        }
        _ => None,
    }
}

/// A Go string whose header (data pointer, length) sits at virtual address `addr`.
fn pointed_string(
    addr: u64,
    h: Header,
    read_at: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    what: &str,
) -> Result<Vec<u8>, String> {
    let unread = || format!("Go build info: the {what} at {addr:#x} was not kept");
    let hdr = read_at(addr, 2 * h.ptr_size).ok_or_else(unread)?;
    let (data, len) = match (
        read_ptr(&hdr, h),
        hdr.get(h.ptr_size..).and_then(|b| read_ptr(b, h)),
    ) {
        (Some(d), Some(l)) => (d, l),
        _ => return Err(unread()),
    };
    if len > MAX_STRING {
        return Err(format!(
            "Go build info: the {what} claims {len} bytes (at most {MAX_STRING})"
        ));
    }
    let len = len as usize; // ≤ MAX_STRING
    let mut bytes = read_at(data, len).ok_or_else(|| {
        format!("Go build info: the {what}'s {len} bytes at {data:#x} were not kept")
    })?;
    if bytes.len() < len {
        return Err(format!(
            "Go build info: the {what} at {data:#x} is truncated ({} of {len} bytes)",
            bytes.len()
        ));
    }
    bytes.truncate(len);
    Ok(bytes)
}

fn utf8(bytes: Vec<u8>, what: &str) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let lossy = String::from_utf8_lossy(e.as_bytes());
        format!(
            "Go build info: the {what} is not UTF-8 (at byte {}): \"{}\" (shown lossily)",
            e.utf8_error().valid_up_to(),
            escape_str(&truncate_chars(&lossy, 80))
        )
    })
}

fn truncate_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The text between the sentinels, or "" when the framing isn't there (Go does the same:
/// such a binary has a version but no module info).
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n > 2 * SENTINEL && modinfo[n - SENTINEL - 1] == b'\n' {
        &modinfo[SENTINEL..n - SENTINEL]
    } else {
        &[]
    }
}

impl GoBuildInfo {
    /// `at_magic`: the file's bytes from the (16-byte aligned) magic on, at most WINDOW + 32 bytes.
    /// `read_at`: for the pre-1.18 pointer layout — reads `len` bytes at virtual address `vaddr`
    /// from the binary (the caller maps it through the ELF program headers; it may return None
    /// when those bytes were not kept). `ptr_size`/endianness come from the header flags byte.
    pub fn parse(
        at_magic: &[u8],
        read_at: &dyn Fn(u64, usize) -> Option<Vec<u8>>,
    ) -> Result<GoBuildInfo, String> {
        let h = header(at_magic)?;
        let (version, modinfo) = if h.inline {
            let (version, rest) = inline_string(&at_magic[HEADER..], "Go version")?;
            let (modinfo, _) = inline_string(rest, "module info")?;
            (version.to_vec(), modinfo.to_vec())
        } else {
            if h.ptr_size != 4 && h.ptr_size != 8 {
                return Err(format!(
                    "Go build info: pointer size {} (expected 4 or 8)",
                    h.ptr_size
                ));
            }
            let ptr = |at: usize| read_ptr(&at_magic[at..], h);
            let (Some(vers_at), Some(mod_at)) = (ptr(16), ptr(16 + h.ptr_size)) else {
                return Err("Go build info header truncated".to_string());
            };
            let version = pointed_string(vers_at, h, read_at, "Go version")?;
            let modinfo = pointed_string(mod_at, h, read_at, "module info")?;
            (version, modinfo)
        };
        if version.is_empty() {
            return Err("Go build info without a Go version".to_string());
        }
        let go_version = utf8(version, "Go version")?;
        let text = utf8(strip_sentinels(&modinfo).to_vec(), "module info")?;
        let mut info = parse_modinfo(&text)?;
        info.go_version = go_version;
        Ok(info)
    }

    /// The `CGO_ENABLED` build setting: Some(true) for "1", Some(false) for "0".
    pub fn cgo_enabled(&self) -> Option<bool> {
        match self.setting("CGO_ENABLED")? {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        }
    }

    /// Built with `-trimpath` (no build machine paths in the binary).
    pub fn trimpath(&self) -> bool {
        self.setting("-trimpath") == Some("true")
    }

    /// The commit the binary was built from (`vcs.revision`), when Go stamped it.
    pub fn vcs_revision(&self) -> Option<&str> {
        self.setting("vcs.revision")
    }

    /// The last value of build setting `key` (the last one wins, as for Go's flags).
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// One line: "Go 1.19.8 · module example.com/inventory · 3 deps · CGO off".
    /// Image text in it is escaped for display.
    pub fn summary(&self) -> String {
        let version = self
            .go_version
            .strip_prefix("go")
            .unwrap_or(&self.go_version);
        let mut parts = vec![format!("Go {}", escape_str(version))];
        if let Some(main) = &self.main {
            parts.push(format!("module {}", escape_str(&main.path)));
        } else if let Some(path) = &self.path {
            parts.push(format!("package {}", escape_str(path)));
        }
        parts.push(match self.deps.len() {
            1 => "1 dep".to_string(),
            n => format!("{n} deps"),
        });
        match self.cgo_enabled() {
            Some(true) => parts.push("CGO on".to_string()),
            Some(false) => parts.push("CGO off".to_string()),
            None => {}
        }
        parts.join(" · ")
    }
}

/// A `mod`/`dep` line's columns: path, version and an optional (possibly empty) sum.
fn module_line(cols: &[&str]) -> Result<GoModule, String> {
    match cols {
        [path, version] | [path, version, _] => Ok(GoModule {
            path: (*path).to_string(),
            version: (*version).to_string(),
            sum: cols
                .get(2)
                .filter(|s| !s.is_empty())
                .map(|s| (*s).to_string()),
            replace: None,
        }),
        _ => Err(format!("expected 2 or 3 columns, got {}", cols.len())),
    }
}

/// Where the last `mod`/`dep` went, so a following `=>` line can replace it.
#[derive(Clone, Copy)]
enum Last {
    None,
    Main,
    Dep(usize),
}

/// Go's `quoteKey`: keys that must be written quoted.
fn key_needs_quotes(key: &str) -> bool {
    key.is_empty() || key.contains(['=', ' ', '\t', '\r', '\n', '"', '`'])
}

/// Go's `quoteValue`: values that must be written quoted.
fn value_needs_quotes(value: &str) -> bool {
    value.contains([' ', '\t', '\r', '\n', '"', '`'])
}

/// A `build` line after its tab: `key=value`, either side possibly Go-quoted.
fn build_line(kv: &str) -> Result<(String, String), String> {
    let (key, raw_value) = match kv.as_bytes().first() {
        None => return Err("build line missing '='".to_string()),
        Some(b'=') => return Err("build line with missing key".to_string()),
        Some(b'"' | b'`') => {
            let end = quoted_prefix_len(kv).ok_or("invalid quoted key in build line")?;
            let key = unquote(&kv[..end]).ok_or("invalid quoted key in build line")?;
            match kv[end..].strip_prefix('=') {
                Some(rest) => (key, rest),
                None => return Err("build line missing '=' after quoted key".to_string()),
            }
        }
        Some(_) => {
            let (key, value) = kv
                .split_once('=')
                .ok_or("build line missing '=' after key")?;
            if key_needs_quotes(key) {
                return Err(format!(
                    "unquoted key \"{}\" must be quoted",
                    escape_str(key)
                ));
            }
            (key.to_string(), value)
        }
    };
    let value = match raw_value.as_bytes().first() {
        Some(b'"' | b'`') => unquote(raw_value).ok_or("invalid quoted value in build line")?,
        _ if value_needs_quotes(raw_value) => {
            return Err(format!(
                "unquoted value \"{}\" must be quoted",
                escape_str(raw_value)
            ))
        }
        _ => raw_value.to_string(),
    };
    Ok((key, value))
}

/// The modinfo text (sentinels stripped) as Go's `debug.ParseBuildInfo` reads it: lines end
/// in '\n' (an unterminated last line is dropped), unknown lines are skipped.
fn parse_modinfo(text: &str) -> Result<GoBuildInfo, String> {
    let mut info = GoBuildInfo {
        go_version: String::new(),
        path: None,
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
    };
    let mut last = Last::None;
    let mut lines = text.split_inclusive('\n').filter(|l| l.ends_with('\n'));
    let mut number = 0usize;
    lines.try_for_each(|line| {
        number += 1;
        let line = &line[..line.len() - 1];
        let at = |e: String| format!("Go build info line {number}: {e}");
        if let Some(path) = line.strip_prefix("path\t") {
            info.path = Some(path.to_string());
        } else if let Some(rest) = line.strip_prefix("mod\t") {
            let cols: Vec<&str> = rest.split('\t').take(4).collect();
            info.main = Some(module_line(&cols).map_err(at)?);
            last = Last::Main;
        } else if let Some(rest) = line.strip_prefix("dep\t") {
            let cols: Vec<&str> = rest.split('\t').take(4).collect();
            info.deps.push(module_line(&cols).map_err(at)?);
            last = Last::Dep(info.deps.len() - 1);
        } else if let Some(rest) = line.strip_prefix("=>\t") {
            let cols: Vec<&str> = rest.split('\t').take(4).collect();
            let [path, version, sum] = cols[..] else {
                return Err(at(format!(
                    "expected 3 columns for replacement, got {}",
                    cols.len()
                )));
            };
            let replacement = Box::new(GoModule {
                path: path.to_string(),
                version: version.to_string(),
                sum: (!sum.is_empty()).then(|| sum.to_string()),
                replace: None,
            });
            let target = match last {
                Last::Main => info.main.as_mut(),
                Last::Dep(i) => info.deps.get_mut(i),
                Last::None => None,
            };
            target
                .ok_or_else(|| at("replacement with no module on the previous line".into()))?
                .replace = Some(replacement);
            last = Last::None;
        } else if let Some(kv) = line.strip_prefix("build\t") {
            info.settings.push(build_line(kv).map_err(at)?);
        }
        Ok(())
    })?;
    Ok(info)
}

/// Length of the Go-quoted string at the start of `s` (`"…"` with escapes, or a `` `…` ``
/// raw string), as `strconv.QuotedPrefix` finds it; None if it never closes.
fn quoted_prefix_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    match bytes.first()? {
        b'`' => bytes[1..].iter().position(|&b| b == b'`').map(|i| i + 2),
        b'"' => {
            let mut escaped = false;
            for (i, &b) in bytes.iter().enumerate().skip(1) {
                match b {
                    _ if escaped => escaped = false,
                    b'"' => return Some(i + 1),
                    b'\\' => escaped = true,
                    b'\n' => return None,
                    _ => {}
                }
            }
            None
        }
        _ => None,
    }
}

/// Go's `strconv.Unquote` for the two forms a build line uses. None when `s` is not exactly
/// one well-formed quoted string.
fn unquote(s: &str) -> Option<String> {
    if let Some(body) = s.strip_prefix('`') {
        let body = body.strip_suffix('`')?;
        if body.contains('`') {
            return None;
        }
        // Go drops carriage returns from raw strings.
        return Some(body.replace('\r', ""));
    }
    let body = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' => return None,
            '\\' => {}
            c => {
                out.push(c);
                continue;
            }
        }
        let c = match chars.next()? {
            'a' => '\x07',
            'b' => '\x08',
            'f' => '\x0c',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0b',
            '\\' => '\\',
            '"' => '"',
            'x' => {
                // A byte; Go allows any byte here, we keep the text UTF-8 and so only ASCII.
                let v = hex_digits(&mut chars, 2)?;
                char::from_u32(v).filter(char::is_ascii)?
            }
            'u' => char::from_u32(hex_digits(&mut chars, 4)?)?,
            'U' => char::from_u32(hex_digits(&mut chars, 8)?)?,
            d @ '0'..='7' => {
                let mut v = d.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + chars.next()?.to_digit(8)?;
                }
                char::from_u32(v).filter(char::is_ascii)?
            }
            _ => return None,
        };
        out.push(c);
    }
    Some(out)
}

fn hex_digits(chars: &mut std::str::Chars<'_>, n: usize) -> Option<u32> {
    let mut v: u32 = 0;
    for _ in 0..n {
        v = v.checked_mul(16)? + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// Offset within `data` of the first [`MAGIC`] that sits 16-byte aligned in the file, where
/// `data` starts at file offset `base`. The linker aligns the header's file offset (its
/// section is aligned in the file as in memory), so an unaligned match is some other copy of
/// the bytes, e.g. in a string table. A magic split across two chunks is the caller's to
/// catch (carry the last `MAGIC.len() - 1` bytes over).
pub fn find_magic(data: &[u8], base: u64) -> Option<usize> {
    memchr::memmem::find_iter(data, MAGIC).find(|&i| base.wrapping_add(i as u64) % ALIGN == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn none(_: u64, _: usize) -> Option<Vec<u8>> {
        None
    }

    fn uvarint_bytes(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
        out
    }

    /// The 16-byte sentinels around the modinfo text (their bytes don't matter to a reader).
    fn framed(text: &str) -> Vec<u8> {
        let mut out = vec![0x30; SENTINEL];
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(&[0xf9; SENTINEL]);
        out
    }

    fn inline(version: &str, modinfo: &[u8], ptr_size: u8, flags: u8) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.push(ptr_size);
        out.push(flags);
        out.resize(HEADER, 0);
        out.extend(uvarint_bytes(version.len() as u64));
        out.extend_from_slice(version.as_bytes());
        out.extend(uvarint_bytes(modinfo.len() as u64));
        out.extend_from_slice(modinfo);
        out
    }

    const MODINFO: &str = "path\texample.com/inventory/cmd/inv\n\
        mod\texample.com/inventory\tv1.4.0\th1:main=\n\
        dep\tgolang.org/x/sys\tv0.5.0\th1:sys=\n\
        dep\texample.com/greet\tv0.1.0\n\
        =>\t../greet\t(devel)\t\n\
        \n\
        dep\texample.com/old\tv1.0.0\th1:old=\n\
        =>\texample.com/new\tv2.0.0\th1:new=\n\
        build\t-compiler=gc\n\
        build\t-ldflags=\"-s -w \\\"-X=main.v=1 2\\\"\"\n\
        build\t\"we ird\"=`raw value`\n\
        build\tCGO_ENABLED=0\n\
        build\t-trimpath=true\n\
        build\tvcs.revision=0123abcd\n\
        build\tempty=\n\
        go\tgo1.21.0\n\
        unknown\tline is skipped\n";

    fn check_full(info: &GoBuildInfo) {
        assert_eq!(info.go_version, "go1.21.0");
        assert_eq!(info.path.as_deref(), Some("example.com/inventory/cmd/inv"));
        let main = info.main.as_ref().unwrap();
        assert_eq!(
            (
                main.path.as_str(),
                main.version.as_str(),
                main.sum.as_deref()
            ),
            ("example.com/inventory", "v1.4.0", Some("h1:main="))
        );
        assert_eq!(info.deps.len(), 3);
        assert_eq!(info.deps[0].sum.as_deref(), Some("h1:sys="));
        assert_eq!(info.deps[0].replace, None);
        let greet = &info.deps[1];
        assert_eq!(greet.sum, None);
        let r = greet.replace.as_ref().unwrap();
        assert_eq!(
            (r.path.as_str(), r.version.as_str(), r.sum.as_deref()),
            ("../greet", "(devel)", None)
        );
        let r = info.deps[2].replace.as_ref().unwrap();
        assert_eq!(r.sum.as_deref(), Some("h1:new="));
        let settings: Vec<(&str, &str)> = info
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            settings,
            [
                ("-compiler", "gc"),
                ("-ldflags", "-s -w \"-X=main.v=1 2\""),
                ("we ird", "raw value"),
                ("CGO_ENABLED", "0"),
                ("-trimpath", "true"),
                ("vcs.revision", "0123abcd"),
                ("empty", ""),
            ]
        );
        assert_eq!(info.cgo_enabled(), Some(false));
        assert!(info.trimpath());
        assert_eq!(info.vcs_revision(), Some("0123abcd"));
        assert_eq!(
            info.summary(),
            "Go 1.21.0 · module example.com/inventory · 3 deps · CGO off"
        );
    }

    #[test]
    fn inline_layout_every_line_kind() {
        for flags in [2u8, 3] {
            let blob = inline("go1.21.0", &framed(MODINFO), 8, flags);
            check_full(&GoBuildInfo::parse(&blob, &none).unwrap());
        }
    }

    /// A fake address space: the pointer layout's header points at Go string headers that
    /// point at the bytes.
    struct Memory(BTreeMap<u64, Vec<u8>>);

    impl Memory {
        fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
            let (start, bytes) = self.0.range(..=addr).next_back()?;
            let off = usize::try_from(addr - start).ok()?;
            // Returns what it has, possibly short: the parser must check.
            Some(bytes.get(off..)?.iter().take(len).copied().collect())
        }
    }

    fn ptr(v: u64, size: u8, big: bool) -> Vec<u8> {
        match (size, big) {
            (4, false) => (v as u32).to_le_bytes().to_vec(),
            (4, true) => (v as u32).to_be_bytes().to_vec(),
            (_, false) => v.to_le_bytes().to_vec(),
            (_, true) => v.to_be_bytes().to_vec(),
        }
    }

    /// A pre-1.18 binary: header with two pointers, string headers at 0x1000/0x1100 (a
    /// length `mod_len` instead of the real one when given), data at 0x2000/0x3000.
    fn pointer_layout(
        version: &str,
        modinfo: &[u8],
        size: u8,
        big: bool,
        mod_len: Option<u64>,
    ) -> (Vec<u8>, Memory) {
        let mut blob = MAGIC.to_vec();
        blob.push(size);
        blob.push(u8::from(big));
        blob.extend(ptr(0x1000, size, big));
        blob.extend(ptr(0x1100, size, big));
        blob.resize(HEADER, 0);
        let mut mem = BTreeMap::new();
        mem.insert(
            0x1000,
            [ptr(0x2000, size, big), ptr(version.len() as u64, size, big)].concat(),
        );
        let len = mod_len.unwrap_or(modinfo.len() as u64);
        mem.insert(
            0x1100,
            [ptr(0x3000, size, big), ptr(len, size, big)].concat(),
        );
        mem.insert(0x2000, version.as_bytes().to_vec());
        mem.insert(0x3000, modinfo.to_vec());
        (blob, Memory(mem))
    }

    #[test]
    fn pointer_layout_both_sizes_and_byte_orders() {
        for size in [4u8, 8] {
            for big in [false, true] {
                let (blob, mem) = pointer_layout("go1.21.0", &framed(MODINFO), size, big, None);
                let info = GoBuildInfo::parse(&blob, &|a, l| mem.read(a, l));
                check_full(&info.unwrap_or_else(|e| panic!("size {size} big {big}: {e}")));
            }
        }
    }

    #[test]
    fn pointer_layout_refuses_what_it_cannot_read() {
        let modinfo = framed(MODINFO);
        // Bytes the caller did not keep.
        let (blob, _) = pointer_layout("go1.16", &modinfo, 8, false, None);
        let e = GoBuildInfo::parse(&blob, &none).unwrap_err();
        assert!(e.contains("not kept"), "{e}");
        // A length beyond what the bytes hold: short read.
        let (blob, mem) = pointer_layout("go1.16", &modinfo, 8, false, Some(5000));
        let e = GoBuildInfo::parse(&blob, &|a, l| mem.read(a, l)).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        // A huge length never reaches read_at.
        let (blob, mem) = pointer_layout("go1.16", &modinfo, 8, false, Some(u64::MAX));
        let asked = std::cell::Cell::new(0usize);
        let e = GoBuildInfo::parse(&blob, &|a, l| {
            asked.set(asked.get().max(l));
            mem.read(a, l)
        })
        .unwrap_err();
        assert!(e.contains("claims"), "{e}");
        assert!(asked.get() <= 16);
        // The longest string allowed is read; one byte more is refused.
        let filler = "x".repeat(WINDOW - 2 * SENTINEL - 9);
        let text = format!("path\tp\n#{filler}\n");
        for (extra, ok) in [(0usize, true), (1, false)] {
            let mut modinfo = framed(&text);
            modinfo.extend(std::iter::repeat_n(0xf9, extra));
            assert_eq!(modinfo.len(), WINDOW + extra);
            let (blob, mem) = pointer_layout("go1.16", &modinfo, 8, false, None);
            let got = GoBuildInfo::parse(&blob, &|a, l| mem.read(a, l));
            assert_eq!(got.is_ok(), ok, "{extra}: {:?}", got.err());
        }
        // A pointer size that is neither 4 nor 8.
        let (mut blob, mem) = pointer_layout("go1.16", &modinfo, 8, false, None);
        blob[14] = 2;
        assert!(GoBuildInfo::parse(&blob, &|a, l| mem.read(a, l)).is_err());
    }

    #[test]
    fn gopath_build_has_no_module() {
        let text = "path\tcmd/hello\nbuild\tCGO_ENABLED=1\n";
        let info = GoBuildInfo::parse(&inline("go1.19.8", &framed(text), 8, 2), &none).unwrap();
        assert_eq!(info.main, None);
        assert!(info.deps.is_empty());
        assert_eq!(info.cgo_enabled(), Some(true));
        assert!(!info.trimpath());
        assert_eq!(info.vcs_revision(), None);
        assert_eq!(
            info.summary(),
            "Go 1.19.8 · package cmd/hello · 0 deps · CGO on"
        );
    }

    #[test]
    fn sentinels_are_stripped_only_when_framed() {
        // Without the framing (too short, or no '\n' before the end sentinel) Go reports no
        // module info at all, only the version.
        for modinfo in [
            b"path\tx\n".to_vec(),
            [vec![0; 16], b"path\tx\nmod\tx\tv1".to_vec(), vec![0; 16]].concat(),
            vec![b'\n'; 32],
            vec![b'\n'; 31],
            vec![b'\n'; 20],
        ] {
            let info = GoBuildInfo::parse(&inline("go1.20", &modinfo, 8, 2), &none).unwrap();
            assert_eq!((info.path, info.main), (None, None));
            assert_eq!(info.go_version, "go1.20");
        }
        // Exactly 33 bytes, one newline of text.
        let info = GoBuildInfo::parse(&inline("go1.20", &framed("\n"), 8, 2), &none).unwrap();
        assert_eq!(info.path, None);
        let info =
            GoBuildInfo::parse(&inline("go1.20", &framed("path\tp\n"), 8, 2), &none).unwrap();
        assert_eq!(info.path.as_deref(), Some("p"));
    }

    #[test]
    fn unterminated_last_line_is_dropped() {
        let info = parse_modinfo("path\ta\nbuild\tX=1").unwrap();
        assert_eq!(info.path.as_deref(), Some("a"));
        assert!(info.settings.is_empty());
    }

    #[test]
    fn bad_modinfo_lines_are_errors_with_their_number() {
        for (text, want) in [
            ("mod\tonly-path\n", "line 1: expected 2 or 3 columns"),
            (
                "path\tp\ndep\ta\tb\tc\td\n",
                "line 2: expected 2 or 3 columns",
            ),
            ("=>\ta\tb\tc\n", "no module on the previous line"),
            (
                "dep\ta\tv1\n=>\tb\tv2\n",
                "expected 3 columns for replacement",
            ),
            (
                "dep\ta\tv1\n=>\tb\tv2\t\n=>\tc\tv3\t\n",
                "line 3: replacement with no module",
            ),
            ("build\t\n", "missing '='"),
            ("build\t=v\n", "missing key"),
            ("build\tkey\n", "missing '=' after key"),
            ("build\tk k=v\n", "must be quoted"),
            ("build\tk=a b\n", "must be quoted"),
            ("build\t\"k\"v\n", "missing '=' after quoted key"),
            ("build\t\"k=v\n", "invalid quoted key"),
            ("build\tk=\"a\\q\"\n", "invalid quoted value"),
            ("build\tk=\"a\" b\n", "invalid quoted value"),
            ("build\tk=`a\n", "invalid quoted value"),
        ] {
            let e = parse_modinfo(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn unquote_follows_go() {
        assert_eq!(
            unquote(r#""a\tb\n\\\"\x41\101\u00e9\U0001F600""#).as_deref(),
            Some("a\tb\n\\\"AAé😀")
        );
        assert_eq!(unquote("`a\\n\r`").as_deref(), Some("a\\n"));
        for bad in [
            r#""\x""#,
            r#""\400""#,
            r#""\uD800""#,
            r#""\xff""#,
            "\"",
            "`",
            r#""a"b""#,
            "\"\n\"",
        ] {
            assert_eq!(unquote(bad), None, "{bad:?}");
        }
        assert_eq!(
            unquote(r#""\a\b\f\n\r\t\v\\\"""#).as_deref(),
            Some("\x07\x08\x0c\n\r\t\x0b\\\"")
        );
        assert_eq!(quoted_prefix_len(r#""a\"b"=x"#), Some(6));
        assert_eq!(quoted_prefix_len(r#""abc\\\"d\\"=x"#), Some(12));
        assert_eq!(quoted_prefix_len("`abc`=x"), Some(5));
        assert_eq!(quoted_prefix_len("\"ab\\"), None);
        assert_eq!(quoted_prefix_len("\"a\nb\""), None);
        assert_eq!(quoted_prefix_len("`a\nb`"), Some(5));
    }

    #[test]
    fn hostile_headers_are_refused_without_panic() {
        let good = inline("go1.21.0", &framed(MODINFO), 8, 2);
        // Every truncation of a good blob: an error or a (shorter) parse, never a panic.
        for n in 0..good.len() {
            let _ = GoBuildInfo::parse(&good[..n], &none);
        }
        assert!(GoBuildInfo::parse(&good[..31], &none)
            .unwrap_err()
            .contains("truncated"));
        let mut no_magic = good.clone();
        no_magic[1] = b'X';
        assert!(GoBuildInfo::parse(&no_magic, &none)
            .unwrap_err()
            .contains("magic"));
        // Varint overflow (11 continuation bytes) and 10-byte varint over 64 bits.
        let mut blob = good[..HEADER].to_vec();
        blob.extend([0xff; 11]);
        assert!(GoBuildInfo::parse(&blob, &none)
            .unwrap_err()
            .contains("bad length"));
        let mut blob = good[..HEADER].to_vec();
        blob.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]);
        assert!(GoBuildInfo::parse(&blob, &none).is_err());
        // A length past the window's end.
        let mut blob = good[..HEADER].to_vec();
        blob.extend(uvarint_bytes(u64::MAX));
        blob.extend(b"go1");
        assert!(GoBuildInfo::parse(&blob, &none)
            .unwrap_err()
            .contains("claims"));
        // Empty version.
        let blob = inline("", &framed(MODINFO), 8, 2);
        assert!(GoBuildInfo::parse(&blob, &none)
            .unwrap_err()
            .contains("without a Go version"));
        // Non-UTF-8 strings are refused, and the message shows them escaped.
        let blob = inline("go1\u{1b}", &b"\xff\xfe\x1b".repeat(12), 8, 2);
        assert!(GoBuildInfo::parse(&blob, &none).is_ok()); // not framed: no module text read
        let bad = [vec![0; 16], b"path\t\x1b[31m\xff\n".to_vec(), vec![0; 16]].concat();
        let e = GoBuildInfo::parse(&inline("go1.21", &bad, 8, 2), &none).unwrap_err();
        assert!(
            e.contains("not UTF-8 (at byte 10)") && e.contains("\\x1b[31m"),
            "{e}"
        );
        assert!(!e.contains('\u{1b}'));
    }

    #[test]
    fn uvarint_matches_go() {
        assert_eq!(uvarint(&[0]), Some((0, 1)));
        assert_eq!(uvarint(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(uvarint(&uvarint_bytes(u64::MAX)), Some((u64::MAX, 10)));
        assert_eq!(uvarint(&[0x80]), None);
        // The tenth byte may only add bit 63 (Go accepts a redundant 0 there).
        assert_eq!(uvarint(&[[0xff; 9].as_slice(), &[0x02]].concat()), None);
        assert_eq!(
            uvarint(&[[0x80; 9].as_slice(), &[0x00]].concat()),
            Some((0, 10))
        );
        assert_eq!(uvarint(&[]), None);
    }

    #[test]
    fn find_magic_wants_file_alignment() {
        let mut data = vec![0u8; 100];
        // A copy at data offset 5 and one at 40.
        data[5..19].copy_from_slice(MAGIC);
        data[40..54].copy_from_slice(MAGIC);
        // base 0: neither 5 nor 40 is aligned.
        assert_eq!(find_magic(&data, 0), None);
        // base 11: 5 + 11 = 16 is aligned.
        assert_eq!(find_magic(&data, 11), Some(5));
        // base 0x1008: 40 + 0x1008 = 0x1030 is aligned, 5 + 0x1008 is not.
        assert_eq!(find_magic(&data, 0x1008), Some(40));
        assert_eq!(find_magic(&data[..50], 0x1008), None);
        assert_eq!(find_magic(&[], 0), None);
    }

    #[test]
    fn summary_escapes_image_text() {
        let text = "mod\tevil\u{1b}[2J\tv1\t\n";
        let info = GoBuildInfo::parse(&inline("go1.22", &framed(text), 8, 2), &none).unwrap();
        assert_eq!(info.summary(), "Go 1.22 · module evil\\x1b[2J · 0 deps");
    }
}
