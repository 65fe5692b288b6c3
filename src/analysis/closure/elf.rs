//! Shared libraries, found the way the loader finds them.
//!
//! glibc (`ld.so(8)`): a name with a `/` is a path; otherwise `DT_RPATH` of
//! the object (and of the program) when the object has no `DT_RUNPATH`,
//! then `LD_LIBRARY_PATH`, then `DT_RUNPATH`, then the directories
//! `ldconfig` caches (`/etc/ld.so.conf` and its `include`s), then the
//! built-in directories (Debian's multiarch ones, `/lib64`, `/lib`,
//! `/usr/lib`). musl: `LD_LIBRARY_PATH`, then `DT_RPATH`/`DT_RUNPATH`, then
//! `/etc/ld-musl-ARCH.path`, else `/lib:/usr/local/lib:/usr/lib`; musl's
//! loader is its libc, so `libc.so` is the loader itself. `$ORIGIN` is the
//! directory of the object that asks, `$LIB` and `$PLATFORM` expand as on
//! the image's machine. A candidate of another class or machine is skipped,
//! as the loader skips it. Every search is bounded (a library that needs
//! itself, loops of symlinks and `include`s end).

use super::{Cx, Part, Sure};
use crate::binary::ElfFacts;
use crate::tree::NodeId;

/// Most `include` levels followed in `ld.so.conf`.
const MAX_INCLUDE_DEPTH: usize = 8;
/// Most library directories taken from configuration.
const MAX_DIRS: usize = 256;

/// Which loader the program uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavour {
    Glibc,
    Musl,
}

/// Follows every queued ELF file to the libraries it needs, transitively.
pub fn finish(cx: &mut Cx) {
    let flavour = flavour(cx);
    let mut config_dirs: Option<Vec<Vec<u8>>> = None;
    let program_rpath: Option<(Vec<u8>, Vec<u8>)> = cx.out.program.and_then(|p| {
        let f = cx.facts(p)?.elf()?;
        (f.runpath.is_none())
            .then_some(f.rpath.as_deref())
            .flatten()
            .map(|r| (r.to_vec(), parent(&cx.tree.path_of(p))))
    });
    while let Some(id) = cx.pending_elf.pop() {
        let Some(facts) = cx.facts(id).and_then(|f| f.elf()) else {
            continue;
        };
        let me = cx.show(id);
        if let Some(p) = &facts.problem {
            cx.gap("unreadable-elf", format!("{me}: {p}"));
        }
        if let Some(interp) = &facts.interp {
            if cx
                .add(
                    interp,
                    Part::Loader,
                    Sure::Exact,
                    &format!("loader of {me}"),
                )
                .is_none()
            {
                cx.gap(
                    "missing-loader",
                    format!(
                        "{me} needs the loader {}, which the image lacks",
                        super::show_path(interp)
                    ),
                );
            }
        }
        if facts.needed.is_empty() {
            continue;
        }
        let dirs = config_dirs.get_or_insert_with(|| match flavour {
            Flavour::Glibc => ld_so_conf(cx),
            Flavour::Musl => musl_path(cx, facts.machine),
        });
        let origin = parent(&cx.tree.path_of(id));
        let search = search_dirs(cx, facts, &origin, program_rpath.as_ref(), dirs, flavour);
        for name in &facts.needed {
            let why = format!("needed by {me}");
            match find(cx, name, &search, facts) {
                Some(path) => {
                    cx.add(&path, Part::Library, Sure::Exact, &why);
                }
                None if flavour == Flavour::Musl && is_musl_libc(name) => {}
                None => cx.gap(
                    "missing-library",
                    format!(
                        "{me} needs {}, which the image lacks",
                        crate::escape::escape_bytes(name)
                    ),
                ),
            }
        }
    }
}

fn is_musl_libc(name: &[u8]) -> bool {
    name == b"libc.so" || name.starts_with(b"libc.musl-") || name.starts_with(b"ld-musl-")
}

/// musl when a program to follow asks for musl's loader, glibc otherwise.
fn flavour(cx: &Cx) -> Flavour {
    let musl = cx
        .pending_elf
        .iter()
        .chain(cx.out.program.iter())
        .any(|id| {
            cx.facts(*id)
                .and_then(|f| f.elf())
                .and_then(|f| f.interp.as_deref())
                .is_some_and(|i| memchr::memmem::find(i, b"ld-musl-").is_some())
        });
    if musl {
        Flavour::Musl
    } else {
        Flavour::Glibc
    }
}

fn parent(path: &[u8]) -> Vec<u8> {
    let (dir, _) = crate::image::entry::split_parent(path);
    let mut p = b"/".to_vec();
    p.extend_from_slice(dir);
    p
}

/// Debian's multiarch triplet for an ELF machine.
fn triplet(machine: u16) -> Option<&'static str> {
    Some(match machine {
        62 => "x86_64-linux-gnu",
        183 => "aarch64-linux-gnu",
        3 => "i386-linux-gnu",
        40 => "arm-linux-gnueabihf",
        21 => "powerpc64le-linux-gnu",
        22 => "s390x-linux-gnu",
        243 => "riscv64-linux-gnu",
        _ => return None,
    })
}

fn musl_arch(machine: u16) -> &'static str {
    match machine {
        62 => "x86_64",
        183 => "aarch64",
        3 => "i386",
        40 => "armhf",
        21 => "powerpc64le",
        22 => "s390x",
        243 => "riscv64",
        _ => "unknown",
    }
}

/// Splits a search-path string (`:` or whitespace separated) and expands
/// `$ORIGIN`, `$LIB`, `$PLATFORM`.
fn expand(list: &[u8], origin: &[u8], facts: &ElfFacts) -> Vec<Vec<u8>> {
    let lib: &[u8] = if facts.bits == 64 { b"lib64" } else { b"lib" };
    let platform = musl_arch(facts.machine).as_bytes();
    list.split(|b| *b == b':')
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut out = Vec::with_capacity(d.len());
            let mut rest = d;
            while !rest.is_empty() {
                let token = [
                    (&b"$ORIGIN"[..], origin),
                    (b"${ORIGIN}", origin),
                    (b"$LIB", lib),
                    (b"${LIB}", lib),
                    (b"$PLATFORM", platform),
                    (b"${PLATFORM}", platform),
                ]
                .into_iter()
                .find(|(t, _)| rest.starts_with(t));
                match token {
                    Some((t, v)) => {
                        out.extend_from_slice(v);
                        rest = &rest[t.len()..];
                    }
                    None => {
                        out.push(rest[0]);
                        rest = &rest[1..];
                    }
                }
            }
            out
        })
        .collect()
}

fn search_dirs(
    cx: &Cx,
    facts: &ElfFacts,
    origin: &[u8],
    program_rpath: Option<&(Vec<u8>, Vec<u8>)>,
    config: &[Vec<u8>],
    flavour: Flavour,
) -> Vec<Vec<u8>> {
    let env = cx
        .env("LD_LIBRARY_PATH")
        .map(|v| expand(v.as_bytes(), origin, facts))
        .unwrap_or_default();
    let own = |s: &Option<Box<[u8]>>| {
        s.as_deref()
            .map(|r| expand(r, origin, facts))
            .unwrap_or_default()
    };
    let mut dirs = Vec::new();
    match flavour {
        Flavour::Glibc => {
            if facts.runpath.is_none() {
                dirs.extend(own(&facts.rpath));
                if let Some((rpath, dir)) = program_rpath {
                    dirs.extend(expand(rpath, dir, facts));
                }
            }
            dirs.extend(env);
            dirs.extend(own(&facts.runpath));
            dirs.extend(config.iter().cloned());
            if let Some(t) = triplet(facts.machine) {
                dirs.push(format!("/lib/{t}").into_bytes());
                dirs.push(format!("/usr/lib/{t}").into_bytes());
            }
            if facts.bits == 64 {
                dirs.push(b"/lib64".to_vec());
                dirs.push(b"/usr/lib64".to_vec());
            }
            dirs.push(b"/lib".to_vec());
            dirs.push(b"/usr/lib".to_vec());
        }
        Flavour::Musl => {
            dirs.extend(env);
            dirs.extend(own(&facts.rpath));
            dirs.extend(own(&facts.runpath));
            dirs.extend(config.iter().cloned());
        }
    }
    dirs
}

/// The first candidate that exists, is a file and suits the asking object.
fn find(cx: &Cx, name: &[u8], dirs: &[Vec<u8>], asker: &ElfFacts) -> Option<Vec<u8>> {
    if name.contains(&b'/') {
        return cx.walk(name).0.map(|_| name.to_vec());
    }
    dirs.iter().find_map(|dir| {
        let mut p = dir.clone();
        if !p.ends_with(b"/") {
            p.push(b'/');
        }
        p.extend_from_slice(name);
        let id = cx.walk(&p).0?;
        suits(cx, id, asker).then_some(p)
    })
}

/// A regular file whose ELF class and machine match the asking object's
/// (a file the pass could not read as ELF is taken: the loader would try it).
fn suits(cx: &Cx, id: NodeId, asker: &ElfFacts) -> bool {
    let n = cx.tree.node(id);
    if !matches!(
        n.kind,
        crate::image::EntryKind::File | crate::image::EntryKind::HardLink
    ) {
        return false;
    }
    match cx.facts(id).and_then(|f| f.elf()) {
        Some(f) if f.bits != 0 => f.bits == asker.bits && f.machine == asker.machine,
        _ => true,
    }
}

/// Library directories from `/etc/ld.so.conf` and what it includes.
fn ld_so_conf(cx: &Cx) -> Vec<Vec<u8>> {
    let mut dirs = Vec::new();
    read_conf(cx, b"/etc/ld.so.conf", 0, &mut dirs);
    dirs
}

fn read_conf(cx: &Cx, path: &[u8], depth: usize, dirs: &mut Vec<Vec<u8>>) {
    if depth > MAX_INCLUDE_DEPTH || dirs.len() >= MAX_DIRS {
        return;
    }
    let Some(text) = cx.walk(path).0.and_then(|id| cx.content(id)) else {
        return;
    };
    for line in text.split(|b| *b == b'\n') {
        let line = line.split(|b| *b == b'#').next().unwrap_or_default();
        let mut words = line
            .split(|b| b.is_ascii_whitespace() || *b == b':' || *b == b',')
            .filter(|w| !w.is_empty());
        match words.next() {
            Some(b"include") => {
                for pattern in words {
                    for file in glob_files(cx, pattern) {
                        read_conf(cx, &file, depth + 1, dirs);
                    }
                }
            }
            Some(b"hwcap") => {}
            Some(first) => {
                for w in std::iter::once(first).chain(words) {
                    if w.starts_with(b"/") && dirs.len() < MAX_DIRS && !dirs.iter().any(|d| d == w)
                    {
                        dirs.push(w.to_vec());
                    }
                }
            }
            None => {}
        }
    }
}

/// Files matching an `include` pattern: a `*` glob in the last component,
/// relative patterns from `/etc`, in name order (as glob(3) gives them).
fn glob_files(cx: &Cx, pattern: &[u8]) -> Vec<Vec<u8>> {
    let full = if pattern.starts_with(b"/") {
        pattern.to_vec()
    } else {
        [&b"/etc/"[..], pattern].concat()
    };
    let (dir, name) = crate::image::entry::split_parent(&full[1..]);
    let mut dir_path = b"/".to_vec();
    dir_path.extend_from_slice(dir);
    let Some(dir_id) = cx.walk(&dir_path).0 else {
        return Vec::new();
    };
    let glob = crate::analysis::glob::Glob::new(&String::from_utf8_lossy(name));
    let mut out: Vec<Vec<u8>> = cx
        .tree
        .children(dir_id)
        .iter()
        .map(|&c| cx.tree.node(c).name)
        .filter(|n| glob.matches(n))
        .map(|n| [&dir_path[..], b"/", n].concat())
        .collect();
    out.sort();
    out.truncate(MAX_DIRS);
    out
}

/// musl's search path: `/etc/ld-musl-ARCH.path` (colon- or line-separated),
/// else its built-in default.
fn musl_path(cx: &Cx, machine: u16) -> Vec<Vec<u8>> {
    let file = format!("/etc/ld-musl-{}.path", musl_arch(machine));
    match cx.walk(file.as_bytes()).0.and_then(|id| cx.content(id)) {
        Some(text) => text
            .split(|b| *b == b':' || *b == b'\n')
            .map(|d| d.trim_ascii())
            .filter(|d| d.starts_with(b"/"))
            .take(MAX_DIRS)
            .map(<[u8]>::to_vec)
            .collect(),
        None => vec![
            b"/lib".to_vec(),
            b"/usr/local/lib".to_vec(),
            b"/usr/lib".to_vec(),
        ],
    }
}
