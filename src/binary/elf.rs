//! ELF facts from a file streamed once. The bytes a loader needs are spread
//! over the file: the program headers at the start, `PT_INTERP` just after,
//! the dynamic strings in the first segment, `PT_DYNAMIC` in the data
//! segment, Go's build info at the start of its data, the section headers
//! at the end. [`Capture`] keeps only those ranges (each bounded) as they go
//! by, planning each from what came before, and [`Capture::finish`] reads
//! them with the `object` crate through a sparse view that fails on any byte
//! it did not keep.

use crate::binary::{go, rust};
use object::elf as E;
use object::read::elf::{Dyn, FileHeader, ProgramHeader, SectionHeader};
use object::{Endianness, ReadRef};

/// Most bytes of a file's start kept: the dynamic strings live there.
pub const MAX_PREFIX: u64 = 16 << 20;
/// Program headers must end within this many bytes of the start.
const MAX_HEADERS: u64 = 64 << 10;
const MAX_INTERP: u64 = 4096;
const MAX_DYNAMIC: u64 = 1 << 20;
const MAX_STRTAB: u64 = 16 << 20;
/// Bytes kept before the section headers: where a stripped binary's
/// non-loaded sections (cargo-auditable's `.dep-v0`) and their names sit.
const TAIL: u64 = 1 << 20;
const MAX_SECTION_HEADERS: u64 = 1 << 20;
/// Most `DT_NEEDED` entries kept (real programs have a few dozen).
pub const MAX_NEEDED: usize = 1024;
/// Longest library name or search path kept.
pub const MAX_STRING: usize = 4096;

/// What the loader (and a person) needs to know of an ELF file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElfFacts {
    /// 32 or 64.
    pub bits: u8,
    pub big_endian: bool,
    /// `e_machine` (62 is x86-64, 183 aarch64).
    pub machine: u16,
    /// `e_type`: 2 executable, 3 shared object (PIE or library).
    pub elf_type: u16,
    /// `PT_INTERP`: the program's loader.
    pub interp: Option<Box<[u8]>>,
    /// Has a `PT_DYNAMIC` segment.
    pub dynamic: bool,
    pub needed: Vec<Box<[u8]>>,
    pub soname: Option<Box<[u8]>>,
    pub runpath: Option<Box<[u8]>>,
    pub rpath: Option<Box<[u8]>>,
    /// `DF_1_PIE`.
    pub pie: bool,
    pub go: Option<Box<go::GoBuildInfo>>,
    pub rust: Option<Vec<rust::RustPackage>>,
    /// Why some of the above could not be read (bytes past a limit, a
    /// malformed header); the rest is still right.
    pub problem: Option<String>,
}

impl ElfFacts {
    /// Linked without a loader: runs on an empty filesystem.
    pub fn is_static(&self) -> bool {
        self.interp.is_none() && self.needed.is_empty()
    }

    /// "static", "dynamic", "shared library", …
    pub fn kind(&self) -> &'static str {
        match (self.elf_type, self.interp.is_some(), self.dynamic) {
            (E::ET_REL, ..) => "object file",
            (E::ET_CORE, ..) => "core dump",
            (_, true, _) => "dynamic executable",
            (E::ET_DYN, false, _) if self.soname.is_some() || !self.pie => "shared library",
            (E::ET_DYN | E::ET_EXEC, false, _) => "static executable",
            _ => "ELF file",
        }
    }

    /// What the program says it is, for people: "static Go 1.19.8 binary ·
    /// module example.com/inventory · 3 deps · CGO off", "dynamic Rust
    /// binary · 41 crates". None without build identity.
    pub fn identity(&self) -> Option<String> {
        let linkage = if self.is_static() {
            "static"
        } else {
            "dynamic"
        };
        if let Some(go) = &self.go {
            let summary = go.summary();
            return Some(match summary.split_once(" · ") {
                Some((first, rest)) => format!("{linkage} {first} binary · {rest}"),
                None => format!("{linkage} {summary} binary"),
            });
        }
        let crates = self.rust.as_ref()?;
        Some(format!(
            "{linkage} Rust binary · {} {}",
            crates.len(),
            if crates.len() == 1 { "crate" } else { "crates" }
        ))
    }

    /// Approximate bytes held, for the image's memory limit.
    pub fn weight(&self) -> u64 {
        let strs = self.needed.iter().map(|n| n.len() + 16).sum::<usize>()
            + [&self.interp, &self.soname, &self.runpath, &self.rpath]
                .iter()
                .map(|s| s.as_ref().map_or(0, |s| s.len()))
                .sum::<usize>();
        let go = self.go.as_ref().map_or(0, |g| go_weight(g));
        let rust = self
            .rust
            .as_ref()
            .map_or(0, |r| r.iter().map(|p| p.name.len() + 64).sum());
        (std::mem::size_of::<ElfFacts>() + strs + go + rust) as u64
    }
}

/// Bytes a Go build info holds.
fn go_weight(g: &go::GoBuildInfo) -> usize {
    let module = |m: &go::GoModule| {
        64 + m.path.len()
            + m.version.len()
            + m.sum.as_ref().map_or(0, String::len)
            + m.replace
                .as_deref()
                .map_or(0, |r| r.path.len() + r.version.len())
    };
    g.go_version.len()
        + g.path.as_ref().map_or(0, String::len)
        + g.main.as_ref().map_or(0, module)
        + g.deps.iter().map(module).sum::<usize>()
        + g.settings
            .iter()
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum::<usize>()
}

/// A range of the file being kept.
struct Window {
    start: u64,
    end: u64,
    data: Vec<u8>,
    /// Go's build info starts here.
    go: bool,
}

impl Window {
    fn new(start: u64, end: u64) -> Window {
        Window {
            start,
            end,
            data: Vec::new(),
            go: false,
        }
    }

    /// Copies what of `now` (at file offset `at`) falls in the window.
    fn take(&mut self, at: u64, now: &[u8]) {
        let have = self.start + self.data.len() as u64;
        let from = have.max(at);
        let to = self.end.min(at + now.len() as u64);
        if from < to && from == have {
            self.data
                .extend_from_slice(&now[(from - at) as usize..(to - at) as usize]);
        }
    }

    fn complete(&self) -> bool {
        self.start + self.data.len() as u64 >= self.end
    }
}

/// Where the streamed capture is.
#[derive(PartialEq, Eq)]
enum Plan {
    /// Waiting for the file header, then for the program headers, up to
    /// this offset.
    Headers(u64),
    /// Ranges planned; the dynamic strings are planned once `PT_DYNAMIC`
    /// (this window) is complete.
    Dynamic(usize),
    Done,
}

/// The streamed capture of one ELF file.
pub struct Capture {
    size: u64,
    offset: u64,
    prefix: Vec<u8>,
    prefix_end: u64,
    windows: Vec<Window>,
    plan: Plan,
    go_carry: Vec<u8>,
    go_found: bool,
    problem: Option<String>,
}

impl Capture {
    pub fn new(size: u64) -> Capture {
        Capture {
            size,
            offset: 0,
            prefix: Vec::new(),
            prefix_end: 64.min(size),
            windows: Vec::new(),
            plan: Plan::Headers(64),
            go_carry: Vec::new(),
            go_found: false,
            problem: None,
        }
    }

    /// The next offset at which the plan must be revisited.
    fn next_stop(&self) -> u64 {
        match self.plan {
            Plan::Headers(end) => end,
            Plan::Dynamic(w) => self.windows[w].end,
            Plan::Done => u64::MAX,
        }
    }

    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let stop = self.next_stop();
            let n = if stop > self.offset {
                (stop - self.offset).min(data.len() as u64) as usize
            } else {
                data.len()
            };
            let (now, rest) = data.split_at(n);
            self.take(now);
            data = rest;
            self.replan();
        }
    }

    fn take(&mut self, now: &[u8]) {
        let at = self.offset;
        if at < self.prefix_end {
            let n = ((self.prefix_end - at) as usize).min(now.len());
            self.prefix.extend_from_slice(&now[..n]);
        }
        if !self.go_found {
            self.scan_go(now);
        }
        for w in &mut self.windows {
            w.take(at, now);
        }
        self.offset += now.len() as u64;
    }

    /// Looks for Go's build-info magic, 16-byte aligned in the file, across
    /// slice boundaries.
    fn scan_go(&mut self, now: &[u8]) {
        let at = self.offset;
        let keep = go::MAGIC.len() - 1;
        // A magic that straddles the previous slice and this one.
        if !self.go_carry.is_empty() {
            let mut joint = std::mem::take(&mut self.go_carry);
            let base = at - joint.len() as u64;
            joint.extend_from_slice(&now[..now.len().min(keep)]);
            if let Some(i) = go::find_magic(&joint, base) {
                let start = base + i as u64;
                self.open_go_window(start, &joint[i..(at - base) as usize]);
                return;
            }
            if now.len() < keep {
                // Too short to hold a magic: the carry goes on, its oldest
                // bytes dropped (a magic may span several such slices).
                joint.drain(..joint.len().saturating_sub(keep));
                self.go_carry = joint;
                return;
            }
        }
        if let Some(i) = go::find_magic(now, at) {
            self.open_go_window(at + i as u64, &[]);
            return;
        }
        let tail = now.len().saturating_sub(keep);
        self.go_carry = now[tail..].to_vec();
    }

    fn open_go_window(&mut self, start: u64, before: &[u8]) {
        self.go_found = true;
        self.go_carry = Vec::new();
        let end = self.size.min(start + 32 + go::WINDOW as u64);
        let mut w = Window::new(start, end);
        w.go = true;
        w.data.extend_from_slice(before);
        self.windows.push(w);
    }

    fn replan(&mut self) {
        match self.plan {
            Plan::Headers(end) if self.offset >= end || self.offset >= self.size => {
                self.plan_headers()
            }
            Plan::Dynamic(w) if self.windows[w].complete() || self.offset >= self.size => {
                self.plan_strings(w)
            }
            _ => {}
        }
    }

    fn plan_headers(&mut self) {
        let view = Sparse::new(self.size, vec![(0, &self.prefix[..])]);
        let layout = match self.prefix.get(4) {
            Some(&E::ELFCLASS64) => layout::<E::FileHeader64<Endianness>>(&view),
            Some(&E::ELFCLASS32) => layout::<E::FileHeader32<Endianness>>(&view),
            _ => Err("not a 32- or 64-bit ELF header".into()),
        };
        let layout = match layout {
            Ok(l) => l,
            Err(Need(end)) if end <= MAX_HEADERS && end > self.offset => {
                self.plan = Plan::Headers(end);
                self.prefix_end = end.min(self.size);
                return;
            }
            Err(Need(_)) => {
                self.fail("program headers past the file's first 64 KiB");
                return;
            }
            Err(Bad(why)) => {
                self.fail(why);
                return;
            }
        };
        // The dynamic strings lie before PT_DYNAMIC, in the segment that
        // maps the file's start: keep up to whichever ends first.
        self.prefix_end = self.prefix_end.max(match layout.dynamic {
            Some((off, _)) => off
                .min(layout.first_load_end.unwrap_or(off))
                .min(MAX_PREFIX),
            None => 0,
        });
        self.prefix
            .reserve(self.prefix_end.saturating_sub(self.prefix.len() as u64) as usize);
        // Everything before the current offset is in the prefix (the headers
        // were read whole): a window that starts there (the section headers'
        // tail, in a file under 1 MiB) begins with those bytes, or it would
        // never fill.
        let (offset, prefix) = (self.offset, &self.prefix);
        let mut add = |start: u64, len: u64, max: u64| {
            let end = self.size.min(start.saturating_add(len.min(max)));
            if start < end && end > self.prefix_end {
                let mut w = Window::new(start, end);
                if start < offset {
                    let kept = prefix.get(start as usize..offset.min(end) as usize);
                    w.data.extend_from_slice(kept.unwrap_or_default());
                }
                self.windows.push(w);
                Some(self.windows.len() - 1)
            } else {
                None
            }
        };
        if let Some((off, len)) = layout.interp {
            add(off, len, MAX_INTERP);
        }
        if let Some((off, len)) = layout.sections {
            add(
                off.saturating_sub(TAIL),
                len + TAIL.min(off),
                MAX_SECTION_HEADERS + TAIL,
            );
        }
        self.plan = match layout.dynamic {
            Some((off, len)) => match add(off, len, MAX_DYNAMIC) {
                Some(w) => Plan::Dynamic(w),
                None => Plan::Done,
            },
            None => Plan::Done,
        };
    }

    /// `PT_DYNAMIC` is in: keep the dynamic strings if they are still ahead.
    fn plan_strings(&mut self, _dynamic: usize) {
        self.plan = Plan::Done;
        let Some((_, Some((off, len)))) = self.read(false) else {
            return;
        };
        let end = self.size.min(off.saturating_add(len.min(MAX_STRTAB)));
        if off >= self.offset {
            self.windows.push(Window::new(off, end));
        } else if end > self.prefix_end {
            self.problem.get_or_insert_with(|| {
                "dynamic strings lie before PT_DYNAMIC but past the file's first segment \
                 or first 16 MiB"
                    .into()
            });
        }
    }

    fn fail(&mut self, why: &str) {
        self.problem.get_or_insert_with(|| why.to_string());
        self.plan = Plan::Done;
    }

    /// Reads everything kept so far; `full` adds the Go and Rust identity.
    fn read(&self, full: bool) -> Option<(ElfFacts, Option<(u64, u64)>)> {
        let mut parts = vec![(0, &self.prefix[..])];
        parts.extend(self.windows.iter().map(|w| (w.start, &w.data[..])));
        let view = Sparse::new(self.size, parts);
        let go_at = self
            .go_found
            .then(|| self.windows.iter().find(|w| w.go))
            .flatten();
        let extra = Extra {
            full,
            go: go_at.map(|w| &w.data[..]),
        };
        let r = match self.prefix.get(4) {
            Some(&E::ELFCLASS64) => facts::<E::FileHeader64<Endianness>>(&view, extra),
            Some(&E::ELFCLASS32) => facts::<E::FileHeader32<Endianness>>(&view, extra),
            _ => Err("not a 32- or 64-bit ELF header".into()),
        };
        match r {
            Ok(f) => Some(f),
            Err(why) => {
                let f = ElfFacts {
                    problem: Some(why),
                    ..ElfFacts::default()
                };
                Some((f, None))
            }
        }
    }

    /// The facts, once the whole file was fed.
    pub fn finish(self) -> ElfFacts {
        let mut facts = match self.read(true) {
            Some((f, _)) => f,
            None => ElfFacts::default(),
        };
        // What the capture could not keep is the cause of what then could
        // not be read ("program headers not readable"): say the cause.
        if let Some(p) = self.problem {
            facts.problem = Some(p);
        }
        if self.offset < self.size {
            facts
                .problem
                .get_or_insert_with(|| "the file ended early".into());
        }
        facts
    }
}

/// Offsets and lengths of what the capture must keep.
struct Layout {
    /// End (in the file) of the segment that maps the file's start: the
    /// dynamic strings live in it.
    first_load_end: Option<u64>,
    interp: Option<(u64, u64)>,
    dynamic: Option<(u64, u64)>,
    /// Section headers (offset, bytes).
    sections: Option<(u64, u64)>,
}

enum HeaderError {
    /// More of the file's start is needed: up to this offset.
    Need(u64),
    Bad(&'static str),
}
use HeaderError::{Bad, Need};

impl From<&'static str> for HeaderError {
    fn from(s: &'static str) -> Self {
        Bad(s)
    }
}

fn layout<H: FileHeader<Endian = Endianness>>(view: &Sparse) -> Result<Layout, HeaderError> {
    let header = H::parse(view).map_err(|_| match view.len < 64 || view.parts[0].1.len() < 64 {
        true => Need(64),
        false => Bad("unsupported ELF header"),
    })?;
    let endian = header.endian().map_err(|_| Bad("unknown byte order"))?;
    let phoff: u64 = header.e_phoff(endian).into();
    let phsize = u64::from(header.e_phnum(endian)) * u64::from(header.e_phentsize(endian));
    let phdrs = match header.program_headers(endian, view) {
        Ok(p) => p,
        Err(_) => return Err(Need(phoff.saturating_add(phsize))),
    };
    let mut out = Layout {
        first_load_end: None,
        interp: None,
        dynamic: None,
        sections: None,
    };
    for ph in phdrs {
        let range = (ph.p_offset(endian).into(), ph.p_filesz(endian).into());
        match ph.p_type(endian) {
            E::PT_INTERP => out.interp = Some(range),
            E::PT_DYNAMIC => out.dynamic = Some(range),
            E::PT_LOAD if range.0 == 0 => out.first_load_end = Some(range.1),
            _ => {}
        }
    }
    let shoff: u64 = header.e_shoff(endian).into();
    let shnum = u64::from(header.e_shnum(endian));
    if shoff > 0 && shnum > 0 {
        out.sections = Some((shoff, shnum * u64::from(header.e_shentsize(endian))));
    }
    Ok(out)
}

/// What [`facts`] reads besides the loader's needs.
#[derive(Clone, Copy)]
struct Extra<'a> {
    /// Go and Rust identity too.
    full: bool,
    /// The kept bytes from Go's build-info magic on.
    go: Option<&'a [u8]>,
}

/// The facts and, when there is a dynamic segment, where the dynamic
/// strings are (file offset, bytes).
fn facts<H: FileHeader<Endian = Endianness>>(
    view: &Sparse,
    extra: Extra,
) -> Result<(ElfFacts, Option<(u64, u64)>), String> {
    let header = H::parse(view).map_err(|_| "truncated ELF header".to_string())?;
    let endian = header
        .endian()
        .map_err(|_| "unknown byte order".to_string())?;
    let mut f = ElfFacts {
        bits: if header.is_type_64() { 64 } else { 32 },
        big_endian: endian == Endianness::Big,
        machine: header.e_machine(endian),
        elf_type: header.e_type(endian),
        ..ElfFacts::default()
    };
    let phdrs = header
        .program_headers(endian, view)
        .map_err(|_| "program headers not readable".to_string())?;
    let loads: Vec<(u64, u64, u64)> = phdrs
        .iter()
        .filter(|p| p.p_type(endian) == E::PT_LOAD)
        .map(|p| {
            (
                p.p_vaddr(endian).into(),
                p.p_offset(endian).into(),
                p.p_filesz(endian).into(),
            )
        })
        .collect();
    let to_offset = |vaddr: u64| {
        loads
            .iter()
            .find(|(va, _, sz)| vaddr >= *va && vaddr - va < *sz)
            .map(|(va, off, _)| off + (vaddr - va))
    };
    let mut strtab = None;
    for ph in phdrs {
        match ph.p_type(endian) {
            E::PT_INTERP => match ph.interpreter(endian, view) {
                Ok(Some(i)) => f.interp = Some(cap(i)),
                _ => note(&mut f.problem, "PT_INTERP not readable"),
            },
            E::PT_DYNAMIC => {
                f.dynamic = true;
                match ph.dynamic(endian, view) {
                    Ok(Some(d)) => strtab = dynamic(&mut f, endian, d, view, &to_offset),
                    _ => note(&mut f.problem, "PT_DYNAMIC not readable"),
                }
            }
            _ => {}
        }
    }
    if !extra.full {
        return Ok((f, strtab));
    }
    if let Some(sections) = sections::<H>(header, endian, view) {
        f.rust = sections;
    }
    if let Some(at_magic) = extra.go {
        let read_at = |va: u64, len: usize| read_vaddr(view, &loads, va, len);
        match go::GoBuildInfo::parse(at_magic, &read_at) {
            Ok(info) => f.go = Some(Box::new(info)),
            Err(why) => note(&mut f.problem, &format!("Go build info: {why}")),
        }
    }
    Ok((f, strtab))
}

fn note(problem: &mut Option<String>, why: &str) {
    problem.get_or_insert_with(|| why.to_string());
}

fn cap(s: &[u8]) -> Box<[u8]> {
    s[..s.len().min(MAX_STRING)].into()
}

/// Reads the dynamic entries; returns where the dynamic strings are.
fn dynamic<D: Dyn<Endian = Endianness>>(
    f: &mut ElfFacts,
    endian: Endianness,
    entries: &[D],
    view: &Sparse,
    to_offset: &dyn Fn(u64) -> Option<u64>,
) -> Option<(u64, u64)> {
    let (mut str_addr, mut str_size) = (None, 0u64);
    let mut needed = Vec::new();
    let (mut soname, mut runpath, mut rpath) = (None, None, None);
    for d in entries {
        let tag = d.tag(endian);
        let val = d.val(endian);
        match tag {
            E::DT_NULL => break,
            E::DT_STRTAB => str_addr = Some(val),
            E::DT_STRSZ => str_size = val,
            E::DT_NEEDED if needed.len() < MAX_NEEDED => needed.push(val),
            E::DT_SONAME => soname = Some(val),
            E::DT_RUNPATH => runpath = Some(val),
            E::DT_RPATH => rpath = Some(val),
            E::DT_FLAGS_1 => f.pie = val & u64::from(E::DF_1_PIE) != 0,
            _ => {}
        }
    }
    let Some(off) = str_addr.and_then(to_offset) else {
        // Names whose strings no segment maps: said, not silently dropped.
        if !needed.is_empty() || soname.is_some() || runpath.is_some() || rpath.is_some() {
            note(&mut f.problem, "dynamic strings not mapped by any segment");
        }
        return None;
    };
    let strtab = Some((off, str_size));
    let read = |at: u64| -> Option<Box<[u8]>> {
        if at >= str_size {
            return None;
        }
        let range = off.checked_add(at)?..off.checked_add(str_size)?;
        view.read_bytes_at_until(range, 0).ok().map(cap)
    };
    let mut missing = false;
    for n in needed {
        match read(n) {
            Some(s) => f.needed.push(s),
            None => missing = true,
        }
    }
    let mut one = |v: Option<u64>| {
        let got = v.map(read);
        missing |= matches!(got, Some(None));
        got.flatten()
    };
    f.soname = one(soname);
    f.runpath = one(runpath);
    f.rpath = one(rpath);
    if missing {
        note(&mut f.problem, "dynamic strings not readable");
    }
    strtab
}

/// cargo-auditable's dependency list, from the `.dep-v0` section when the
/// section headers and that section were kept.
fn sections<H: FileHeader<Endian = Endianness>>(
    header: &H,
    endian: Endianness,
    view: &Sparse,
) -> Option<Option<Vec<rust::RustPackage>>> {
    let headers = header.section_headers(endian, view).ok()?;
    let names = header.section_strings(endian, view, headers).ok()?;
    let dep = headers
        .iter()
        .find(|s| s.name(endian, names).ok() == Some(b".dep-v0"))?;
    let data = dep.data(endian, view).ok()?;
    Some(rust::parse_dep_v0(data).ok())
}

/// The bytes of a file that were kept: reads inside a kept part succeed,
/// all others fail.
pub struct Sparse<'a> {
    len: u64,
    /// (file offset, bytes), in any order.
    parts: Vec<(u64, &'a [u8])>,
}

impl<'a> Sparse<'a> {
    pub fn new(len: u64, parts: Vec<(u64, &'a [u8])>) -> Sparse<'a> {
        Sparse { len, parts }
    }

    fn part(&self, offset: u64, size: u64) -> Option<&'a [u8]> {
        let end = offset.checked_add(size)?;
        self.parts.iter().find_map(|&(start, data)| {
            let part_end = start + data.len() as u64;
            (offset >= start && end <= part_end).then(|| &data[(offset - start) as usize..])
        })
    }
}

impl<'a> ReadRef<'a> for &Sparse<'a> {
    fn len(self) -> Result<u64, ()> {
        Ok(self.len)
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> Result<&'a [u8], ()> {
        self.part(offset, size)
            .map(|d| &d[..size as usize])
            .ok_or(())
    }

    fn read_bytes_at_until(
        self,
        range: std::ops::Range<u64>,
        delimiter: u8,
    ) -> Result<&'a [u8], ()> {
        let d = self.part(range.start, 0).ok_or(())?;
        let limit = (range.end.saturating_sub(range.start)).min(d.len() as u64) as usize;
        let d = &d[..limit];
        memchr::memchr(delimiter, d).map(|i| &d[..i]).ok_or(())
    }
}

/// Reads `len` bytes at virtual address `vaddr` of a kept file (Go's
/// pre-1.18 build info points at its strings).
pub(crate) fn read_vaddr(
    view: &Sparse,
    loads: &[(u64, u64, u64)],
    vaddr: u64,
    len: usize,
) -> Option<Vec<u8>> {
    let (va, off, _) = loads
        .iter()
        .find(|(va, _, sz)| vaddr >= *va && vaddr - va < *sz)?;
    view.read_bytes_at(off + (vaddr - va), len as u64)
        .ok()
        .map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn capture(data: &[u8], piece: usize) -> ElfFacts {
        let mut c = Capture::new(data.len() as u64);
        for chunk in data.chunks(piece.max(1)) {
            c.feed(chunk);
        }
        c.finish()
    }

    /// What binutils' `readelf` says of a file: (interp, needed, soname,
    /// runpath, rpath).
    type Truth = (
        Option<String>,
        Vec<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );

    fn readelf(path: &Path) -> Truth {
        let out = Command::new("readelf")
            .args(["-d", "-l", "-W"])
            .arg(path)
            .output()
            .expect("binutils' readelf (installed with the C toolchain) runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let bracket = |line: &str| {
            let s = line.split_once('[')?.1;
            Some(s.rsplit_once(']')?.0.to_string())
        };
        let mut t: Truth = (None, Vec::new(), None, None, None);
        for line in text.lines() {
            if line.contains("Requesting program interpreter") {
                t.0 = line
                    .split_once(": ")
                    .and_then(|(_, r)| r.strip_suffix(']'))
                    .map(str::to_string);
            } else if line.contains("(NEEDED)") {
                t.1.extend(bracket(line));
            } else if line.contains("(SONAME)") {
                t.2 = bracket(line);
            } else if line.contains("(RUNPATH)") {
                t.3 = bracket(line);
            } else if line.contains("(RPATH)") {
                t.4 = bracket(line);
            }
        }
        t
    }

    fn ours(f: &ElfFacts) -> Truth {
        let s = |b: &Option<Box<[u8]>>| b.as_ref().map(|b| String::from_utf8_lossy(b).into());
        (
            s(&f.interp),
            f.needed
                .iter()
                .map(|n| String::from_utf8_lossy(n).into())
                .collect(),
            s(&f.soname),
            s(&f.runpath),
            s(&f.rpath),
        )
    }

    /// Builds small programs with the system C compiler: dynamic with a
    /// RUNPATH and an RPATH, a shared library with a soname, a static PIE.
    fn built() -> Vec<PathBuf> {
        let dir = std::env::temp_dir().join(format!("stagediff-elf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("m.c");
        std::fs::write(
            &src,
            "#include <math.h>\nint main(int c, char**v){return (int)sqrt(c);}\n",
        )
        .unwrap();
        let lib = dir.join("l.c");
        std::fs::write(&lib, "int f(void){return 1;}\n").unwrap();
        let mut out = Vec::new();
        std::fs::write(
            dir.join("p.c"),
            "int f(void);\nint main(void){return f();}\n",
        )
        .unwrap();
        // The 32-bit ones without the C library (no 32-bit one need be
        // installed): a library with a soname and a RUNPATH, and a PIE that
        // needs it, with its own loader.
        let jobs: [(&str, &[&str]); 7] = [
            (
                "runpath",
                &[
                    "m.c",
                    "-lm",
                    "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib:/opt/x",
                ],
            ),
            (
                "rpath",
                &["m.c", "-lm", "-Wl,--disable-new-dtags,-rpath,/opt/y"],
            ),
            (
                "libf.so.1",
                &["l.c", "-shared", "-fPIC", "-Wl,-soname,libf.so.1"],
            ),
            ("static", &["m.c", "-static-pie", "-lm"]),
            // DT_FLAGS_1 without DF_1_PIE (NOW), and no soname.
            ("libnoname.so", &["l.c", "-shared", "-fPIC", "-Wl,-z,now"]),
            (
                "libdep32.so",
                &[
                    "l.c",
                    "-m32",
                    "-shared",
                    "-nostdlib",
                    "-fPIC",
                    "-Wl,-soname,libdep32.so.3,--enable-new-dtags,-rpath,/opt/r32",
                ],
            ),
            (
                "prog32",
                &[
                    "p.c",
                    "./libdep32.so",
                    "-m32",
                    "-nostdlib",
                    "-pie",
                    "-fPIE",
                    "-Wl,-e,main,--dynamic-linker,/lib/ld-linux.so.2",
                ],
            ),
        ];
        for (name, args) in jobs {
            let status = Command::new("cc")
                .current_dir(&dir)
                .args(args)
                .arg("-o")
                .arg(name)
                .status()
                .expect("the system C compiler runs");
            assert!(status.success(), "cc {args:?}");
            out.push(dir.join(name));
        }
        out
    }

    #[test]
    fn streamed_facts_equal_readelf_whatever_the_slicing() {
        let mut files = built();
        for host in [
            "/bin/ls",
            "/usr/bin/cc",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib64/ld-linux-x86-64.so.2",
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        ] {
            let p = PathBuf::from(host);
            if p.exists() {
                files.push(std::fs::canonicalize(p).unwrap());
            }
        }
        assert!(files.len() >= 10, "too few ELF files to compare: {files:?}");
        for path in &files {
            let data = std::fs::read(path).unwrap();
            let truth = readelf(path);
            for piece in [3, 4096, 1 << 20, data.len()] {
                let f = capture(&data, piece);
                assert_eq!(f.problem, None, "{path:?} piece {piece}");
                assert_eq!(ours(&f), truth, "{path:?} piece {piece}");
            }
        }
        let by_name = |n: &str| {
            capture(
                &std::fs::read(files.iter().find(|p| p.ends_with(n)).unwrap()).unwrap(),
                4096,
            )
        };
        assert!(by_name("static").is_static());
        assert_eq!(by_name("static").kind(), "static executable");
        assert_eq!(by_name("runpath").kind(), "dynamic executable");
        assert_eq!(by_name("libf.so.1").kind(), "shared library");
        assert!(!by_name("runpath").is_static());
        // DF_1_PIE read from DT_FLAGS_1 as readelf -d shows it.
        for (name, pie) in [("static", true), ("libnoname.so", false), ("runpath", true)] {
            let text = Command::new("readelf")
                .args(["-d", "-W"])
                .arg(files.iter().find(|p| p.ends_with(name)).unwrap())
                .output()
                .unwrap()
                .stdout;
            let flags = String::from_utf8_lossy(&text)
                .lines()
                .find(|l| l.contains("(FLAGS_1)"))
                .map(str::to_string)
                .unwrap_or_else(|| panic!("{name}: no FLAGS_1"));
            assert_eq!(flags.contains(" PIE"), pie, "{name}: {flags}");
            assert_eq!(by_name(name).pie, pie, "{name}");
        }
        assert_eq!(by_name("libnoname.so").kind(), "shared library");
        assert_eq!(by_name("prog32").bits, 32);
        assert_eq!(by_name("prog32").kind(), "dynamic executable");
        assert_eq!(by_name("libdep32.so").bits, 32);
    }

    fn fixture(rel: &str) -> Vec<u8> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binaries");
        std::fs::read(p.join(rel)).unwrap()
    }

    /// The slicings every streamed file is read with: a few bytes at a time
    /// (magics and headers cut across slices), pages, large and whole.
    fn slicings(len: usize) -> [usize; 5] {
        [1, 3, 4096, 1 << 20, len]
    }

    /// cargo-auditable's `.dep-v0` and Go's build info as sections no segment
    /// maps, which objcopy appends after the loaded bytes: the capture keeps
    /// the tail before the section headers, the headers and their names, and
    /// the aligned Go magic, and reads both as their own parsers do.
    #[test]
    fn identity_sections_after_the_loaded_bytes_are_read_whatever_the_slicing() {
        let dir = std::env::temp_dir().join(format!("stagediff-elf-id-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.c"), "int main(void){return 0;}\n").unwrap();
        let dep = fixture("rust/tinydep.dep-v0");
        let go_info = fixture("go/inventory-vendor-nocgo.buildinfo");
        std::fs::write(dir.join("dep"), &dep).unwrap();
        std::fs::write(dir.join("go"), &go_info).unwrap();
        let run = |cmd: &str, args: &[&str]| {
            let status = Command::new(cmd)
                .current_dir(&dir)
                .args(args)
                .status()
                .unwrap_or_else(|e| panic!("{cmd} runs: {e}"));
            assert!(status.success(), "{cmd} {args:?}");
        };
        run("cc", &["m.c", "-o", "plain"]);
        let add = [
            "--add-section",
            ".go.buildinfo=go",
            "--add-section",
            ".dep-v0=dep",
        ];
        run("objcopy", &[&add[..], &["plain", "added"]].concat());
        // Go's linker aligns the build info to 16 bytes in the file; objcopy
        // applies an alignment only to sections already there.
        let align = ["--set-section-alignment", ".go.buildinfo=16"];
        run("objcopy", &[&align[..], &["added", "tagged"]].concat());
        let data = std::fs::read(dir.join("tagged")).unwrap();
        // A Rust binary alone, small (the section headers' window starts in
        // the prefix) and with 2 MiB before its `.dep-v0` (the window is the
        // 1 MiB before the section headers and they themselves).
        run(
            "objcopy",
            &["--add-section", ".dep-v0=dep", "plain", "rusty"],
        );
        std::fs::write(dir.join("pad"), vec![0u8; 2 << 20]).unwrap();
        // (Two steps: objcopy orders the sections it adds in one.)
        run("objcopy", &["--add-section", ".pad=pad", "plain", "padded"]);
        run(
            "objcopy",
            &["--add-section", ".dep-v0=dep", "padded", "rusty-big"],
        );
        let rusty = ["rusty", "rusty-big"].map(|n| std::fs::read(dir.join(n)).unwrap());
        std::fs::remove_dir_all(&dir).ok();
        let want_rust = rust::parse_dep_v0(&dep).unwrap();
        assert!(!want_rust.is_empty());
        let want_go = go::GoBuildInfo::parse(&go_info, &|_, _| None).unwrap();
        assert!(rusty[1].len() > 2 << 20);
        for data in &rusty {
            for piece in [3, 4096, 1 << 20, data.len()] {
                let f = capture(data, piece);
                assert_eq!(f.problem, None, "piece {piece}");
                let len = data.len();
                assert_eq!(f.rust.as_ref(), Some(&want_rust), "{len} piece {piece}");
                assert!(f.go.is_none());
            }
        }
        // The magic cut anywhere in two, or starting a slice at any of
        // the 16 bytes that follow a cut.
        let magic = go::find_magic(&data, 0).expect("the aligned Go magic");
        for cut in magic - 16..magic + go::MAGIC.len() + 1 {
            let mut c = Capture::new(data.len() as u64);
            c.feed(&data[..cut]);
            c.feed(&data[cut..]);
            assert_eq!(c.finish().go.as_deref(), Some(&want_go), "cut at {cut}");
        }
        // Two MiB more after the section headers: the Go window keeps its
        // header and WINDOW bytes from the magic on, not a byte more or less.
        let mut long = data.clone();
        long.resize(data.len() + (2 << 20), 0);
        let mut c = Capture::new(long.len() as u64);
        for chunk in long.chunks(64 << 10) {
            c.feed(chunk);
        }
        let kept: Vec<usize> = c
            .windows
            .iter()
            .filter(|w| w.go)
            .map(|w| w.data.len())
            .collect();
        assert_eq!(kept, [32 + go::WINDOW]);
        let f = c.finish();
        assert_eq!((f.go.as_deref(), f.problem), (Some(&want_go), None));
        for piece in slicings(data.len()) {
            let f = capture(&data, piece);
            assert_eq!(f.problem, None, "piece {piece}");
            assert_eq!(f.rust.as_ref(), Some(&want_rust), "piece {piece}");
            assert_eq!(f.go.as_deref(), Some(&want_go), "piece {piece}");
            assert!(f.interp.is_some() && !f.needed.is_empty(), "piece {piece}");
        }
    }

    /// A 64-bit little-endian shared object written by hand, with
    /// `needed` as its DT_NEEDED names and `soname` as its DT_SONAME, and
    /// a PT_INTERP at the end of the file, past every other kept range.
    /// Linkers put the dynamic strings in the segment that maps the file's
    /// start, before the dynamic section; this one puts them elsewhere:
    /// - `first_load` None: one PT_LOAD maps the whole file and the
    ///   strings come *after* PT_DYNAMIC (the capture must keep them in a
    ///   window of their own);
    /// - `first_load` Some(n): a first PT_LOAD maps the file's first n
    ///   bytes, a second one the rest: the strings at 0x200 and PT_DYNAMIC
    ///   right after them. With n = 0x200 the capture has passed the
    ///   strings, outside the first segment, by the time PT_DYNAMIC names
    ///   them; with n up to PT_DYNAMIC they end where the kept prefix ends.
    fn handmade(needed: &[&str], soname: &str, first_load: Option<u64>) -> Vec<u8> {
        handmade_as(needed, soname, first_load, false, &|_| Vec::new())
    }

    /// [`handmade`], little- or big-endian (x86-64 or s390x). Its second
    /// PT_LOAD is mapped 0x1000 further than its offset, as data segments
    /// are: an address in it is not its offset plus the first one's base.
    /// `tail(vaddr)`: bytes placed last, 16-byte aligned, in that segment at
    /// `vaddr`.
    fn handmade_as(
        needed: &[&str],
        soname: &str,
        first_load: Option<u64>,
        be: bool,
        tail: &dyn Fn(u64) -> Vec<u8>,
    ) -> Vec<u8> {
        let (phoff, vaddr) = (64u64, 0x40_0000u64);
        let strings_first = first_load.is_some();
        let phnum: u64 = 4;
        let mut strtab = vec![0u8];
        let mut entries = Vec::new();
        // A DT_NEEDED after DT_NULL: past the end, named by no loader.
        let ghost = "libafter-null.so.1";
        for n in needed.iter().chain([&ghost, &soname]) {
            let at = strtab.len() as u64;
            strtab.extend_from_slice(n.as_bytes());
            strtab.push(0);
            entries.push(at);
        }
        while strtab.len() % 8 != 0 {
            strtab.push(0);
        }
        let soname_at = entries.pop().unwrap();
        let ghost_at = entries.pop().unwrap();
        let n_dyn = entries.len() as u64 + 5;
        let (dyn_off, str_off) = if strings_first {
            (0x200 + strtab.len() as u64, 0x200)
        } else {
            let dyn_off = phoff + 56 * phnum;
            (dyn_off, dyn_off + 16 * n_dyn)
        };
        let split = first_load.unwrap_or(dyn_off);
        let va = |off: u64| vaddr + off + if off >= split { 0x1000 } else { 0 };
        let mut dynamic: Vec<(u64, u64)> = entries.iter().map(|&a| (1, a)).collect(); // DT_NEEDED
        dynamic.push((14, soname_at)); // DT_SONAME
        dynamic.push((5, va(str_off))); // DT_STRTAB
        dynamic.push((10, strtab.len() as u64)); // DT_STRSZ
        dynamic.push((0, 0)); // DT_NULL
        dynamic.push((1, ghost_at));
        let dyn_len = 16 * n_dyn;
        // The loader's name last, past everything else.
        let interp = b"/lib/ld-hand.so.1\0";
        let interp_off = (dyn_off + dyn_len).max(str_off + strtab.len() as u64);
        let tail_off = (interp_off + interp.len() as u64).next_multiple_of(16);
        let tail = tail(va(tail_off));
        let total = if tail.is_empty() {
            interp_off + interp.len() as u64
        } else {
            tail_off + tail.len() as u64
        };
        let mut f = Vec::new();
        f.extend_from_slice(b"\x7fELF\x02");
        f.push(if be { 2 } else { 1 }); // EI_DATA
        f.extend_from_slice(b"\x01\0\0\0\0\0\0\0\0\0");
        let b16 = |x: u16| if be { x.to_be_bytes() } else { x.to_le_bytes() };
        let b32 = |x: u32| if be { x.to_be_bytes() } else { x.to_le_bytes() };
        let b64 = |x: u64| if be { x.to_be_bytes() } else { x.to_le_bytes() };
        let u16s = |f: &mut Vec<u8>, v: &[u16]| v.iter().for_each(|&x| f.extend(b16(x)));
        let u32s = |f: &mut Vec<u8>, v: &[u32]| v.iter().for_each(|&x| f.extend(b32(x)));
        let u64s = |f: &mut Vec<u8>, v: &[u64]| v.iter().for_each(|&x| f.extend(b64(x)));
        u16s(&mut f, &[3, if be { 22 } else { 62 }]); // ET_DYN, s390x or x86-64
        u32s(&mut f, &[1]);
        u64s(&mut f, &[0, phoff, 0]); // entry, phoff, shoff
        u32s(&mut f, &[0]);
        u16s(&mut f, &[64, 56, phnum as u16, 64, 0, 0]);
        assert_eq!(f.len() as u64, phoff);
        // PT_LOAD: type, flags, offset, vaddr, paddr, filesz, memsz, align.
        let load = |f: &mut Vec<u8>, off: u64, len: u64| {
            u32s(f, &[1, 4]);
            u64s(f, &[off, va(off), va(off), len, len, 0x1000]);
        };
        load(&mut f, 0, split);
        load(&mut f, split, total - split);
        // PT_INTERP.
        u32s(&mut f, &[3, 4]);
        let (at, len) = (va(interp_off), interp.len() as u64);
        u64s(&mut f, &[interp_off, at, at, len, len, 1]);
        // PT_DYNAMIC.
        u32s(&mut f, &[2, 6]);
        let at = va(dyn_off);
        u64s(&mut f, &[dyn_off, at, at, dyn_len, dyn_len, 8]);
        let place = |f: &mut Vec<u8>, off: u64, bytes: &[u8]| {
            assert!(f.len() as u64 <= off);
            f.resize(off as usize, 0);
            f.extend_from_slice(bytes);
        };
        let dyn_bytes: Vec<u8> = dynamic
            .iter()
            .flat_map(|&(tag, val)| [b64(tag), b64(val)].concat())
            .collect();
        if strings_first {
            place(&mut f, str_off, &strtab);
            place(&mut f, dyn_off, &dyn_bytes);
        } else {
            place(&mut f, dyn_off, &dyn_bytes);
            place(&mut f, str_off, &strtab);
        }
        place(&mut f, interp_off, interp);
        if !tail.is_empty() {
            place(&mut f, tail_off, &tail);
        }
        assert_eq!(f.len() as u64, total);
        f
    }

    #[test]
    fn dynamic_strings_after_the_dynamic_section_are_kept_as_readelf_reads_them() {
        let data = handmade(&["libfoo.so.1", "libbar.so.2"], "libhand.so.7", None);
        let dir = std::env::temp_dir().join(format!("stagediff-elf-hand-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("libhand.so.7");
        std::fs::write(&path, &data).unwrap();
        let truth = readelf(&path);
        std::fs::remove_dir_all(&dir).ok();
        // readelf agrees this is what the file says.
        assert_eq!(truth.1, ["libfoo.so.1", "libbar.so.2"]);
        assert_eq!(truth.2.as_deref(), Some("libhand.so.7"));
        assert_eq!(truth.0.as_deref(), Some("/lib/ld-hand.so.1"));
        for piece in slicings(data.len()) {
            let f = capture(&data, piece);
            assert_eq!(f.problem, None, "piece {piece}");
            assert_eq!(ours(&f), truth, "piece {piece}");
            assert_eq!(f.kind(), "dynamic executable");
            assert_eq!((f.bits, f.big_endian, f.machine), (64, false, 62));
        }
        // The same file big-endian, as s390x writes it.
        let names = ["libfoo.so.1", "libbar.so.2"];
        let be = handmade_as(&names, "libhand.so.7", None, true, &|_| Vec::new());
        for piece in slicings(be.len()) {
            let f = capture(&be, piece);
            assert_eq!(f.problem, None, "piece {piece}");
            assert_eq!(ours(&f), truth, "piece {piece}");
            assert_eq!((f.bits, f.big_endian, f.machine), (64, true, 22));
        }
    }

    /// Strings the stream has passed, outside the kept prefix, when
    /// PT_DYNAMIC names them: the names are not read, a problem says so,
    /// and how the file was sliced changes nothing.
    #[test]
    fn dynamic_strings_passed_before_they_are_named_give_a_problem_whatever_the_slicing() {
        let data = handmade(&["libfoo.so.1"], "libhand.so.7", Some(0x200));
        let whole = capture(&data, 1);
        let why = "dynamic strings lie before PT_DYNAMIC but past the file's first segment \
                   or first 16 MiB";
        assert_eq!(whole.problem.as_deref(), Some(why));
        assert!(whole.needed.is_empty() && whole.soname.is_none());
        assert!(whole.dynamic);
        for piece in slicings(data.len()) {
            assert_eq!(capture(&data, piece), whole, "piece {piece}");
        }
        // The first segment reaching PT_DYNAMIC: the strings end where the
        // kept prefix ends, and are read.
        // PT_DYNAMIC's offset, the fourth program header's p_offset.
        let ph = 64 + 3 * 56 + 8;
        let dyn_off = u64::from_le_bytes(data[ph..ph + 8].try_into().unwrap());
        let data = handmade(&["libfoo.so.1"], "libhand.so.7", Some(dyn_off));
        for piece in slicings(data.len()) {
            let f = capture(&data, piece);
            assert_eq!(f.problem, None, "piece {piece}");
            assert_eq!(
                f.needed,
                [b"libfoo.so.1".as_slice().into()],
                "piece {piece}"
            );
            assert_eq!(
                f.soname.as_deref(),
                Some(&b"libhand.so.7"[..]),
                "piece {piece}"
            );
        }
    }

    /// Program headers must end within the first 64 KiB: ending exactly
    /// there they are read; a byte later the file is refused with a
    /// problem (nothing past that is kept to find them).
    #[test]
    fn program_headers_are_read_up_to_the_first_64_kib_and_no_further() {
        let moved = |end: usize| {
            let mut data = handmade(&["libfoo.so.1"], "libhand.so.7", None);
            let phdrs = data[64..64 + 4 * 56].to_vec();
            let at = end - phdrs.len();
            data.resize(at, 0);
            data.extend_from_slice(&phdrs);
            data[32..40].copy_from_slice(&(at as u64).to_le_bytes());
            data
        };
        let limit = MAX_HEADERS as usize;
        for piece in slicings(limit) {
            let f = capture(&moved(limit), piece);
            assert_eq!(f.problem, None, "piece {piece}");
            assert_eq!(
                f.needed,
                [b"libfoo.so.1".as_slice().into()],
                "piece {piece}"
            );
            let f = capture(&moved(limit + 1), piece);
            let why = "program headers past the file's first 64 KiB";
            assert_eq!(f.problem.as_deref(), Some(why), "piece {piece}");
            assert!(f.needed.is_empty() && !f.dynamic, "piece {piece}");
        }
    }

    /// Section headers claimed huge (65535 entries of 65535 bytes) in an
    /// 8 MiB file: the capture keeps at most the 1 MiB before them and
    /// 1 MiB of them, not the rest of the file.
    #[test]
    fn hostile_section_headers_keep_a_bounded_tail() {
        let mut data = handmade(&["libfoo.so.1"], "libhand.so.7", None);
        data[40..48].copy_from_slice(&4096u64.to_le_bytes()); // e_shoff
        data[58..60].copy_from_slice(&u16::MAX.to_le_bytes()); // e_shentsize
        data[60..62].copy_from_slice(&u16::MAX.to_le_bytes()); // e_shnum
        data.resize(8 << 20, 0);
        let mut c = Capture::new(data.len() as u64);
        for chunk in data.chunks(64 << 10) {
            c.feed(chunk);
        }
        let kept = c.prefix.len() + c.windows.iter().map(|w| w.data.len()).sum::<usize>();
        assert!(
            kept as u64 <= MAX_HEADERS + TAIL + MAX_SECTION_HEADERS,
            "{kept} bytes kept"
        );
        let f = c.finish();
        assert_eq!(f.needed, [b"libfoo.so.1".as_slice().into()]);
    }

    /// What is wrong is said: a header the ELF reader refuses, a file cut
    /// inside its header, a file shorter than its size said.
    #[test]
    fn each_broken_file_says_what_is_wrong() {
        let good = handmade(&["libfoo.so.1"], "libhand.so.7", None);
        let mut bad_version = good.clone();
        bad_version[6] = 2; // EI_VERSION
        for len in [64, 65, good.len()] {
            for piece in slicings(len) {
                let f = capture(&bad_version[..len], piece);
                let why = Some("unsupported ELF header");
                assert_eq!(f.problem.as_deref(), why, "{len} bytes, piece {piece}");
            }
        }
        for len in [5, 63] {
            let f = capture(&good[..len], 7);
            assert_eq!(f.problem.as_deref(), Some("truncated ELF header"), "{len}");
        }
        // The whole file, fed to a capture told it is one byte longer.
        let mut c = Capture::new(good.len() as u64 + 1);
        c.feed(&good);
        let f = c.finish();
        assert_eq!(f.problem.as_deref(), Some("the file ended early"));
        assert_eq!(f.needed, [b"libfoo.so.1".as_slice().into()]);
        assert_eq!(capture(&good, 7).problem, None);
    }

    /// DT_STRTAB at the very end of the first segment, an address no
    /// segment maps: no names (not the bytes that follow in the file), and
    /// a problem says why.
    #[test]
    fn dynamic_strings_no_segment_maps_give_a_problem_not_names() {
        let mut data = handmade(&["libfoo.so.1"], "libhand.so.7", None);
        let dyn_off = 64 + 4 * 56; // the header, then four program headers
        let entry = (dyn_off..data.len())
            .step_by(16)
            .find(|&i| data[i..i + 8] == 5u64.to_le_bytes()) // DT_STRTAB
            .unwrap();
        let end_of_first = 0x40_0000u64 + dyn_off as u64;
        data[entry + 8..entry + 16].copy_from_slice(&end_of_first.to_le_bytes());
        for piece in slicings(data.len()) {
            let f = capture(&data, piece);
            let why = Some("dynamic strings not mapped by any segment");
            assert_eq!(f.problem.as_deref(), why, "piece {piece}");
            assert!(f.needed.is_empty() && f.soname.is_none(), "piece {piece}");
            assert_eq!(f.interp.as_deref(), Some(&b"/lib/ld-hand.so.1"[..]));
        }
        // Each kind of name alone says so; no name at all, nothing to say.
        // (The soname's entry retagged: DT_RUNPATH, DT_RPATH, or DT_DEBUG,
        // which names nothing.)
        for (needed, tag, named) in [
            (&["libfoo.so.1"][..], 21u64, true),
            (&[][..], 14, true),
            (&[][..], 29, true),
            (&[][..], 15, true),
            (&[][..], 21, false),
        ] {
            let mut data = handmade(needed, "libhand.so.7", None);
            let find = |data: &[u8], tag: u64| {
                (dyn_off..data.len())
                    .step_by(16)
                    .find(|&i| data[i..i + 8] == tag.to_le_bytes())
                    .unwrap()
            };
            let strtab = find(&data, 5);
            data[strtab + 8..strtab + 16].copy_from_slice(&end_of_first.to_le_bytes());
            let soname = find(&data, 14);
            data[soname..soname + 8].copy_from_slice(&tag.to_le_bytes());
            let f = capture(&data, 4096);
            let why = named.then_some("dynamic strings not mapped by any segment");
            assert_eq!(f.problem.as_deref(), why, "{needed:?} tag {tag}");
        }
    }

    #[test]
    fn needed_names_are_kept_up_to_max_needed() {
        let names: Vec<String> = (0..MAX_NEEDED + 76).map(|i| format!("lib{i}.so")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let data = handmade(&refs, "libmany.so.1", None);
        let f = capture(&data, 4096);
        assert_eq!(f.problem, None);
        let got: Vec<&[u8]> = f.needed.iter().map(|n| &n[..]).collect();
        let want: Vec<&[u8]> = refs[..MAX_NEEDED].iter().map(|n| n.as_bytes()).collect();
        assert_eq!(got, want);
    }

    /// A soname whose string lies past DT_STRSZ: no soname, and a problem.
    #[test]
    fn a_name_past_the_dynamic_strings_gives_a_problem() {
        let mut data = handmade(&["libfoo.so.1"], "libhand.so.7", None);
        let dyn_off = 64 + 4 * 56;
        let entry = (dyn_off..data.len())
            .step_by(16)
            .find(|&i| data[i..i + 8] == 14u64.to_le_bytes()) // DT_SONAME
            .unwrap();
        data[entry + 8..entry + 16].copy_from_slice(&4096u64.to_le_bytes());
        let f = capture(&data, 4096);
        assert_eq!(f.problem.as_deref(), Some("dynamic strings not readable"));
        assert_eq!(f.soname, None);
        assert_eq!(f.needed, [b"libfoo.so.1".as_slice().into()]);
    }

    /// Go before 1.18 wrote two pointers after its magic, to string headers
    /// that point at the bytes: read through the program headers' mapping
    /// (the second segment's addresses are not its offsets).
    #[test]
    fn go_before_1_18_is_read_through_the_segments_mapping() {
        let version = b"go1.16.15";
        let text = "path\texample.com/old\nmod\texample.com/old\t(devel)\t\n";
        let modinfo = [&[0x30; 16][..], text.as_bytes(), &[0xf9; 16]].concat();
        let built = |version_at: Option<u64>| {
            let tail = |va: u64| {
                let mut b = go::MAGIC.to_vec();
                b.extend([8, 0]); // 8-byte little-endian pointers, not inline
                b.extend((va + 32).to_le_bytes());
                b.extend((va + 48).to_le_bytes());
                b.resize(32, 0);
                let text_at = va + 64 + version.len() as u64;
                let version_at = version_at.unwrap_or(va + 64);
                for (at, len) in [(version_at, version.len()), (text_at, modinfo.len())] {
                    b.extend(at.to_le_bytes());
                    b.extend((len as u64).to_le_bytes());
                }
                b.extend_from_slice(version);
                b.extend_from_slice(&modinfo);
                b
            };
            handmade_as(&["libfoo.so.1"], "libold.so.1", None, false, &tail)
        };
        let data = built(None);
        let want = go::GoBuildInfo {
            go_version: "go1.16.15".into(),
            path: Some("example.com/old".into()),
            main: Some(module("example.com/old", "(devel)")),
            deps: Vec::new(),
            settings: Vec::new(),
        };
        for piece in slicings(data.len()) {
            let f = capture(&data, piece);
            assert_eq!(f.problem, None, "piece {piece}");
            assert_eq!(f.go.as_deref(), Some(&want), "piece {piece}");
        }
        // The version's bytes said to lie at the first segment's very end
        // in memory, which no segment maps: not read from the file bytes
        // that follow that segment.
        let end_of_first = 0x40_0000 + 64 + 4 * 56;
        let f = capture(&built(Some(end_of_first)), 4096);
        assert_eq!(f.go, None);
        assert!(f.problem.is_some_and(|p| p.starts_with("Go build info")));
    }

    #[test]
    fn kind_is_decided_by_the_type_first_then_the_loader() {
        let f = |elf_type: u16, interp: bool, soname: bool, pie: bool| ElfFacts {
            elf_type,
            interp: interp.then(|| b"/lib/ld-linux.so.2".as_slice().into()),
            dynamic: true,
            soname: soname.then(|| b"libx.so.1".as_slice().into()),
            pie,
            ..ElfFacts::default()
        };
        // An object file or a core dump is one whatever program headers it has.
        assert_eq!(f(E::ET_REL, true, false, false).kind(), "object file");
        assert_eq!(f(E::ET_CORE, true, false, false).kind(), "core dump");
        assert_eq!(f(E::ET_DYN, true, false, true).kind(), "dynamic executable");
        // Without a loader, a shared object is a library when it names
        // itself (even flagged PIE) or is not a PIE.
        assert_eq!(f(E::ET_DYN, false, true, true).kind(), "shared library");
        assert_eq!(f(E::ET_DYN, false, false, false).kind(), "shared library");
        assert_eq!(f(E::ET_DYN, false, false, true).kind(), "static executable");
        assert_eq!(
            f(E::ET_EXEC, false, false, false).kind(),
            "static executable"
        );
        assert_eq!(f(0, false, false, false).kind(), "ELF file");
    }

    fn module(path: &str, version: &str) -> go::GoModule {
        go::GoModule {
            path: path.into(),
            version: version.into(),
            sum: None,
            replace: None,
        }
    }

    fn package(name: &str) -> rust::RustPackage {
        rust::RustPackage {
            name: name.into(),
            version: "1.0.0".into(),
            source: "crates.io".into(),
            kind: "runtime".into(),
            root: false,
            dependencies: Vec::new(),
        }
    }

    #[test]
    fn identity_says_linkage_toolchain_and_counts() {
        let mut f = ElfFacts::default();
        assert_eq!(f.identity(), None, "no build identity");
        f.rust = Some(vec![package("app")]);
        assert_eq!(
            f.identity().as_deref(),
            Some("static Rust binary · 1 crate")
        );
        f.needed = vec![b"libc.so.6".as_slice().into()];
        f.rust = Some(vec![package("app"), package("itoa")]);
        assert_eq!(
            f.identity().as_deref(),
            Some("dynamic Rust binary · 2 crates")
        );
        // Go's own summary, with the linkage in front and "binary" after
        // its first part; Go wins over Rust.
        f.go = Some(Box::new(go::GoBuildInfo {
            go_version: "go1.19.8".into(),
            path: Some("example.com/inventory".into()),
            main: Some(module("example.com/inventory", "(devel)")),
            deps: vec![module("example.com/colors", "v1.2.3")],
            settings: vec![("CGO_ENABLED".into(), "0".into())],
        }));
        assert_eq!(
            f.identity().as_deref(),
            Some("dynamic Go 1.19.8 binary · module example.com/inventory · 1 dep · CGO off")
        );
    }

    /// The weight is the bytes the facts hold: at least the struct itself,
    /// every string's bytes, and the slot each list entry takes in its
    /// list (a boxed name, a pair of strings), and at most a small fixed
    /// overhead per string or entry more. Strings of distinct, large sizes
    /// so that any sum mistaken for a product or a difference shows.
    #[test]
    fn weight_is_the_bytes_held_within_a_bounded_overhead() {
        let s = |n: usize, c: char| c.to_string().repeat(n);
        let b = |n: usize| -> Box<[u8]> { vec![b'x'; n].into() };
        let mut f = ElfFacts {
            interp: Some(b(1100)),
            needed: vec![b(1200), b(1300), b(1400)],
            soname: Some(b(1500)),
            runpath: Some(b(1600)),
            rpath: Some(b(1700)),
            ..ElfFacts::default()
        };
        let base = std::mem::size_of::<ElfFacts>() as u64;
        let slot = |n: u64, one: usize| n * one as u64;
        let needed = 9800 + slot(3, std::mem::size_of::<Box<[u8]>>());
        let check = |f: &ElfFacts, held: u64, items: u64| {
            let w = f.weight();
            assert!(
                w >= base + held && w <= base + held + 128 * items,
                "weight {w} for {held} bytes in {items} strings or entries"
            );
        };
        assert_eq!(ElfFacts::default().weight(), base);
        check(&f, needed, 7);
        let mut dep = module(&s(2100, 'p'), &s(2200, 'v'));
        dep.sum = Some(s(2300, 's'));
        dep.replace = Some(Box::new(module(&s(2400, 'r'), &s(2500, 'w'))));
        f.go = Some(Box::new(go::GoBuildInfo {
            go_version: s(1900, 'g'),
            path: Some(s(2000, 'p')),
            main: Some(module(&s(2600, 'm'), &s(2700, 'n'))),
            deps: vec![dep.clone(), dep],
            settings: vec![(s(2800, 'k'), s(2900, 'v')), (s(3000, 'k'), s(3100, 'v'))],
        }));
        let go_held = 1900
            + 2000
            + 2600
            + 2700
            + 2 * (2100 + 2200 + 2300 + 2400 + 2500)
            + 11800
            + slot(2, std::mem::size_of::<(String, String)>());
        check(&f, needed + go_held, 7 + 10);
        // The settings alone (no module's overhead to hide a short count).
        let mut settings_only = f.clone();
        if let Some(g) = settings_only.go.as_mut() {
            (g.path, g.main, g.deps) = (None, None, Vec::new());
        }
        let pair = std::mem::size_of::<(String, String)>() as u64;
        check(&settings_only, needed + 1900 + 11800 + 2 * pair, 7 + 3);
        let mut crates = vec![package(&s(3300, 'c')), package(&s(3400, 'd'))];
        let extra: u64 = crates
            .iter()
            .map(|p| (p.version.len() + p.source.len() + p.kind.len()) as u64)
            .sum();
        f.rust = Some(std::mem::take(&mut crates));
        check(&f, needed + go_held + 6700 + extra, 19);
        f.go = None;
        check(&f, needed + 6700 + extra, 9);
    }

    #[test]
    fn hostile_headers_give_a_problem_not_a_panic() {
        let good = std::fs::read("/bin/ls").unwrap();
        // Cut anywhere in the headers, or flip bytes in them.
        for cut in [0, 4, 5, 16, 63, 64, 65, 200, 1000] {
            let f = capture(&good[..cut.min(good.len())], 7);
            assert!(f.problem.is_some(), "cut at {cut}");
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..300 {
            let mut bad = good[..good.len().min(64 << 10)].to_vec();
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = (seed % 4096) as usize;
                bad[i] = (seed >> 32) as u8;
            }
            let f = capture(&bad, 1000);
            assert!(f.needed.len() <= MAX_NEEDED);
        }
        // Program headers claimed far away, a huge PT_DYNAMIC.
        let mut far = good[..4096].to_vec();
        far[32..40].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(capture(&far, 100).problem.is_some());
    }
}
