//! What a file's bytes say it is, read while the single pass streams it:
//! ELF programs and libraries (loader, needed libraries, search paths, Go
//! and Rust build identity) and scripts (their `#!` line, and the body of a
//! small shell script). Nothing here knows where the bytes came from.

pub mod elf;
pub mod go;
pub mod rust;

pub use elf::ElfFacts;

/// Longest `#!` line kept (the kernel reads at most 256 bytes of it).
pub const MAX_SHEBANG: usize = 256;
/// Largest shell script whose body is kept: an entrypoint script names the
/// commands it runs, and such scripts are small.
pub const MAX_SCRIPT_BODY: u64 = 16 << 10;

/// What the pass learnt of one regular file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileFacts {
    Elf(Box<ElfFacts>),
    Script(Script),
}

impl FileFacts {
    /// Bytes these facts hold, counted against the image's memory limit.
    pub fn weight(&self) -> u64 {
        match self {
            FileFacts::Elf(e) => e.weight(),
            FileFacts::Script(s) => {
                (s.shebang.len() + s.body.as_ref().map_or(0, |b| b.len()) + 64) as u64
            }
        }
    }

    pub fn elf(&self) -> Option<&ElfFacts> {
        match self {
            FileFacts::Elf(e) => Some(e),
            FileFacts::Script(_) => None,
        }
    }

    pub fn script(&self) -> Option<&Script> {
        match self {
            FileFacts::Script(s) => Some(s),
            FileFacts::Elf(_) => None,
        }
    }
}

/// A file that starts with `#!`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The `#!` line without `#!` and the newline (at most [`MAX_SHEBANG`]).
    pub shebang: Box<[u8]>,
    /// The whole content, for shell scripts of at most [`MAX_SCRIPT_BODY`].
    pub body: Option<Box<[u8]>>,
}

impl Script {
    /// The interpreter path and its one optional argument, split the way
    /// the kernel splits a `#!` line.
    pub fn interpreter(&self) -> Option<(&[u8], Option<&[u8]>)> {
        interpreter(&self.shebang)
    }
}

/// A `#!` line's interpreter and its one optional argument.
fn interpreter(shebang: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let line = trim(shebang);
    if line.is_empty() {
        return None;
    }
    let split = line.iter().position(|b| *b == b' ' || *b == b'\t');
    Some(match split {
        None => (line, None),
        Some(i) => {
            let arg = trim(&line[i + 1..]);
            (&line[..i], (!arg.is_empty()).then_some(arg))
        }
    })
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

/// Reads a file's facts from its bytes as they stream by, in slices of any
/// size. Memory is bounded per file (see [`elf`]'s limits); everything but
/// the extracted facts is dropped when the file ends.
pub struct Sniffer {
    size: u64,
    state: State,
}

enum State {
    /// Too few bytes seen to tell: the first ones, and how many.
    Start([u8; 4], u8),
    Script {
        line: Vec<u8>,
        line_done: bool,
        body: Option<Vec<u8>>,
    },
    Elf(Box<elf::Capture>),
    Nothing,
}

impl Sniffer {
    pub fn new(size: u64) -> Sniffer {
        Sniffer {
            size,
            state: State::Start([0; 4], 0),
        }
    }

    pub fn feed(&mut self, mut data: &[u8]) {
        if let State::Start(head, len) = &mut self.state {
            let have = usize::from(*len);
            let take = (4 - have).min(data.len());
            head[have..have + take].copy_from_slice(&data[..take]);
            *len += take as u8;
            data = &data[take..];
            if *len < 4 {
                return;
            }
            let head = *head;
            self.state = if &head == b"\x7fELF" {
                let mut c = Box::new(elf::Capture::new(self.size));
                c.feed(&head);
                State::Elf(c)
            } else if head.starts_with(b"#!") {
                State::Script {
                    line: head[2..].to_vec(),
                    line_done: false,
                    body: (self.size <= MAX_SCRIPT_BODY).then(|| head.to_vec()),
                }
            } else {
                State::Nothing
            };
            if let State::Script {
                line, line_done, ..
            } = &mut self.state
            {
                if let Some(i) = line.iter().position(|b| *b == b'\n') {
                    line.truncate(i);
                    *line_done = true;
                }
            }
        }
        match &mut self.state {
            State::Elf(c) => c.feed(data),
            State::Script {
                line,
                line_done,
                body,
            } => {
                if !*line_done {
                    let end = data.iter().position(|b| *b == b'\n');
                    let part = &data[..end.unwrap_or(data.len())];
                    let room = MAX_SHEBANG.saturating_sub(line.len());
                    line.extend_from_slice(&part[..part.len().min(room)]);
                    *line_done = end.is_some() || line.len() >= MAX_SHEBANG;
                }
                if let Some(b) = body {
                    b.extend_from_slice(data);
                }
            }
            State::Start(..) | State::Nothing => {}
        }
    }

    /// The facts, once the whole file has been fed.
    pub fn finish(self) -> Option<FileFacts> {
        match self.state {
            State::Elf(c) => Some(FileFacts::Elf(Box::new(c.finish()))),
            State::Script { line, body, .. } => {
                let shebang: Box<[u8]> = line.into();
                let body = body.filter(|_| {
                    interpreter(&shebang).is_some_and(|(p, arg)| {
                        is_shell(p) || (p.ends_with(b"/env") && arg.is_some_and(is_shell))
                    })
                });
                Some(FileFacts::Script(Script {
                    shebang,
                    body: body.map(Into::into),
                }))
            }
            State::Start(..) | State::Nothing => None,
        }
    }
}

/// Whether an interpreter path names a POSIX shell.
pub fn is_shell(path: &[u8]) -> bool {
    let name = path.rsplit(|b| *b == b'/').next().unwrap_or(path);
    matches!(
        name,
        b"sh" | b"bash" | b"dash" | b"ash" | b"ksh" | b"mksh" | b"zsh" | b"busybox"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(data: &[u8], piece: usize) -> Option<FileFacts> {
        let mut s = Sniffer::new(data.len() as u64);
        for c in data.chunks(piece.max(1)) {
            s.feed(c);
        }
        s.finish()
    }

    #[test]
    fn a_script_weighs_at_least_what_it_holds() {
        // Counted against the image's memory limit: never less than the
        // bytes kept, and growing with each of them.
        let script = |shebang: usize, body: usize| {
            FileFacts::Script(Script {
                shebang: vec![b'x'; shebang].into(),
                body: (body > 0).then(|| vec![b'y'; body].into()),
            })
        };
        for (shebang, body) in [(1, 0), (20, 1), (20, 5_000), (3, 70_000)] {
            let w = script(shebang, body).weight();
            assert!(w >= (shebang + body) as u64, "{shebang} + {body}: {w}");
            assert_eq!(
                script(shebang + 1, body).weight(),
                w + 1,
                "one more shebang byte"
            );
            assert_eq!(
                script(shebang, body + 10).weight(),
                w + 10,
                "ten more body bytes"
            );
        }
    }

    #[test]
    fn shebang_lines_whatever_the_slicing() {
        let text = b"#!/usr/bin/env  python3 \nprint(1)\n";
        for piece in [1, 2, 3, 5, 64] {
            let Some(FileFacts::Script(s)) = sniff(text, piece) else {
                panic!("not a script at piece {piece}");
            };
            assert_eq!(&*s.shebang, b"/usr/bin/env  python3 ");
            assert_eq!(
                s.interpreter(),
                Some((&b"/usr/bin/env"[..], Some(&b"python3"[..])))
            );
            assert!(s.body.is_none(), "python bodies are not kept");
        }
    }

    #[test]
    fn shell_bodies_are_kept_when_small() {
        let text = b"#!/bin/sh\nset -e\nexec /usr/local/bin/app \"$@\"\n";
        let Some(FileFacts::Script(s)) = sniff(text, 3) else {
            panic!("not a script");
        };
        assert_eq!(s.body.as_deref(), Some(&text[..]));
        let mut big = text.to_vec();
        big.resize(MAX_SCRIPT_BODY as usize + 1, b'#');
        let Some(FileFacts::Script(s)) = sniff(&big, 4096) else {
            panic!("not a script");
        };
        assert!(s.body.is_none());
    }

    #[test]
    fn long_shebangs_are_cut_and_other_files_have_no_facts() {
        let mut text = b"#!/bin/".to_vec();
        text.extend(std::iter::repeat_n(b'x', 1000));
        let Some(FileFacts::Script(s)) = sniff(&text, 7) else {
            panic!("not a script");
        };
        assert_eq!(s.shebang.len(), MAX_SHEBANG);
        assert_eq!(sniff(b"hello world", 1), None);
        assert_eq!(sniff(b"#", 1), None);
        assert_eq!(sniff(b"", 1), None);
    }
}
