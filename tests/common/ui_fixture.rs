//! Small images built in code for the TUI tests (`common::ui_fixture`).
#![allow(dead_code)]

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use stagediff::binary::go::GoBuildInfo;
use stagediff::binary::{ElfFacts, FileFacts, Script};
use stagediff::image::{Entry, EntryKind, Image, Layer};
use stagediff::ui::app::{Effect, Loaded};
use stagediff::ui::keys::KeyMap;
use stagediff::ui::{update, view, Action, Model};
use std::time::{Duration, Instant};

pub fn file(path: &str, size: u64, hash: u128) -> Entry {
    Entry {
        path: path.as_bytes().into(),
        kind: EntryKind::File,
        size,
        mode: 0o644,
        uid: 0,
        gid: 0,
        link: None,
        hash: Some(stagediff::image::ContentHash(hash)),
        device: None,
        flags: 0,
    }
}

pub fn raw_file(path: &[u8], size: u64) -> Entry {
    Entry {
        path: path.into(),
        ..file("x", size, 7)
    }
}

pub fn dir(path: &str) -> Entry {
    Entry {
        path: path.as_bytes().into(),
        kind: EntryKind::Dir,
        size: 0,
        mode: 0o755,
        hash: None,
        ..file("x", 0, 0)
    }
}

pub fn symlink(path: &str, target: &str) -> Entry {
    Entry {
        path: path.as_bytes().into(),
        kind: EntryKind::Symlink,
        size: target.len() as u64,
        mode: 0o777,
        link: Some(target.as_bytes().into()),
        hash: None,
        ..file("x", 0, 0)
    }
}

pub fn whiteout(path: &str) -> Entry {
    Entry {
        path: path.as_bytes().into(),
        kind: EntryKind::Whiteout,
        size: 0,
        hash: None,
        ..file("x", 0, 0)
    }
}

pub fn layer(index: usize, created_by: &str, entries: Vec<Entry>) -> Layer {
    Layer {
        diff_id: format!("sha256:{index:064x}"),
        history_index: Some(index),
        created_by: Some(created_by.to_string()),
        ..Layer::from_entries(index, entries)
    }
}

pub fn image(reference: &str, layers: Vec<Layer>) -> Image {
    Image::from_layers(reference, layers)
}

/// A single-stage Go build: a Debian-ish base, a toolchain, sources, a
/// build cache and the binary.
pub fn single_stage() -> Image {
    image(
        "goapp:single",
        vec![
            layer(
                0,
                "/bin/sh -c #(nop) ADD file:base in / ",
                vec![
                    dir("bin"),
                    file("bin/sh", 125_000, 1),
                    file("bin/bash", 1_265_000, 2),
                    dir("etc"),
                    file("etc/passwd", 922, 3),
                    file("etc/os-release", 267, 4),
                    symlink("lib", "usr/lib"),
                    dir("usr/lib/x86_64-linux-gnu"),
                    file("usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_000, 5),
                    file("tmp/scratch.txt", 10, 99),
                ],
            ),
            layer(
                1,
                "/bin/sh -c apt-get update && apt-get install -y golang-1.19-go",
                vec![
                    file("usr/lib/go-1.19/bin/go", 14_000_000, 10),
                    file(
                        "usr/lib/go-1.19/pkg/tool/linux_amd64/compile",
                        22_000_000,
                        11,
                    ),
                    file("usr/lib/go-1.19/src/fmt/print.go", 31_000, 12),
                    file("var/lib/dpkg/status", 50_000, 13),
                    file("etc/passwd", 950, 14),
                    whiteout("tmp/scratch.txt"),
                ],
            ),
            layer(
                2,
                "COPY dir:src in /src ",
                vec![file("src/main.go", 2_400, 20), file("src/go.mod", 80, 21)],
            ),
            layer(
                3,
                "/bin/sh -c CGO_ENABLED=0 go build -o /app .",
                vec![
                    file("root/.cache/go-build/00/0011-d", 120_000, 30),
                    file("app", 6_460_000, 31),
                    raw_file(b"src/evil\x1b[31mred\xff.txt", 5),
                ],
            ),
        ],
    )
}

/// [`single_stage`] with C headers and a static library installed: rows
/// whose badge names a long toolchain owner with spaces
/// ("Headers and static libraries"), one of them with a long file name.
pub fn single_stage_headers() -> Image {
    let mut img = single_stage();
    img.layers.push(layer(
        4,
        "/bin/sh -c apt-get install -y libc6-dev",
        vec![
            file("usr/include/stdio.h", 31_000, 50),
            file(
                "usr/include/x86_64-linux-gnu/bits/types/struct_FILE_with_a_rather_long_name.h",
                4_100,
                51,
            ),
            file("usr/lib/x86_64-linux-gnu/libc_nonshared.a", 55_000, 52),
        ],
    ));
    img
}

/// [`single_stage`] whose entrypoint is its static Go `/app`, so a plan
/// has something to run.
pub fn single_stage_app() -> Image {
    let mut img = single_stage();
    attach(&mut img.layers[3], vec![facts("app", go_binary())]);
    img.config.entrypoint = vec!["/app".into()];
    img
}

/// Its multi-stage twin: the binary on scratch, its entrypoint.
pub fn multi_stage() -> Image {
    let mut l = layer(
        0,
        "COPY file:app in /app ",
        vec![file("app", 6_460_000, 31), file("etc/passwd", 40, 40)],
    );
    attach(&mut l, vec![facts("app", go_binary())]);
    let mut img = image("goapp:multi", vec![l]);
    img.config.entrypoint = vec!["/app".into()];
    img
}

/// What the single pass reads of a static Go binary.
pub fn go_binary() -> FileFacts {
    FileFacts::Elf(Box::new(ElfFacts {
        bits: 64,
        machine: 62,
        elf_type: 2,
        go: Some(Box::new(GoBuildInfo {
            go_version: "go1.19.8".into(),
            path: Some("example.com/app".into()),
            main: None,
            deps: Vec::new(),
            settings: Vec::new(),
        })),
        ..ElfFacts::default()
    }))
}

/// A dynamic executable: glibc's loader and `needed`.
pub fn dynamic_binary(needed: &[&str]) -> FileFacts {
    FileFacts::Elf(Box::new(ElfFacts {
        bits: 64,
        machine: 62,
        elf_type: 3,
        interp: Some(b"/lib64/ld-linux-x86-64.so.2".as_slice().into()),
        dynamic: true,
        needed: needed.iter().map(|n| n.as_bytes().into()).collect(),
        runpath: Some(b"$ORIGIN/../lib".as_slice().into()),
        pie: true,
        ..ElfFacts::default()
    }))
}

/// A shared library named `soname`.
pub fn library(soname: &str) -> FileFacts {
    FileFacts::Elf(Box::new(ElfFacts {
        bits: 64,
        machine: 62,
        elf_type: 3,
        dynamic: true,
        soname: Some(soname.as_bytes().into()),
        ..ElfFacts::default()
    }))
}

/// A `#!` script and, for a shell, its body.
pub fn script(shebang: &str, body: Option<&str>) -> FileFacts {
    FileFacts::Script(Script {
        shebang: shebang.as_bytes().into(),
        body: body.map(|b| b.as_bytes().into()),
    })
}

pub fn facts(path: &str, f: FileFacts) -> (stagediff::image::entry::ImagePath, FileFacts) {
    (path.as_bytes().into(), f)
}

/// Gives a layer the facts of its ELF files and scripts, and marks those
/// entries with the header flags the pass sets on the same files.
pub fn attach(l: &mut Layer, mut f: Vec<(stagediff::image::entry::ImagePath, FileFacts)>) {
    use stagediff::image::capture::flags;
    f.sort_by(|a, b| a.0.cmp(&b.0));
    let mut entries = l.entries.to_vec();
    for e in &mut entries {
        if let Ok(i) = f.binary_search_by(|(p, _)| (**p).cmp(&e.path)) {
            e.flags |= match f[i].1 {
                FileFacts::Elf(_) => flags::ELF,
                FileFacts::Script(_) => flags::SCRIPT,
            };
        }
    }
    l.entries = entries.into();
    l.facts = f;
}

pub fn executable(path: &str, size: u64, hash: u128) -> Entry {
    Entry {
        mode: 0o755,
        ..file(path, size, hash)
    }
}

/// An app whose entrypoint is a shell script: `/entrypoint.sh` run by a
/// dynamic `/bin/sh` (glibc's loader, libc through `/lib64`), which runs
/// the static Go `/app`; beside them what the app never uses (bash, docs,
/// apt's cache, a name with control characters).
pub fn scripted() -> Image {
    let mut base = layer(
        0,
        "/bin/sh -c #(nop) ADD file:base in / ",
        vec![
            dir("bin"),
            executable("bin/sh", 125_000, 1),
            executable("bin/bash", 1_265_000, 2),
            dir("etc"),
            file("etc/passwd", 922, 3),
            symlink("lib64", "usr/lib/x86_64-linux-gnu"),
            dir("usr/lib/x86_64-linux-gnu"),
            executable("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 210_000, 4),
            file("usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_000, 5),
            file("usr/share/doc/bash/copyright", 18_000, 6),
            file("var/cache/apt/pkgcache.bin", 9_000_000, 7),
            raw_file(b"srv/evil\x1b[31mred\xff.txt", 5),
        ],
    );
    let mut bash_needs = dynamic_binary(&["libc.so.6", "libtinfo.so.6", "libm.so.6"]);
    if let FileFacts::Elf(e) = &mut bash_needs {
        e.needed.push(b"lib\x1bevil.so".as_slice().into());
        e.needed.push(b"libdl.so.2".as_slice().into());
    }
    let f = vec![
        facts("bin/bash", bash_needs),
        facts("bin/sh", dynamic_binary(&["libc.so.6"])),
        facts("usr/lib/x86_64-linux-gnu/libc.so.6", library("libc.so.6")),
        facts(
            "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            library("ld-linux-x86-64.so.2"),
        ),
    ];
    attach(&mut base, f);
    let mut app = layer(
        1,
        "COPY . / ",
        vec![
            executable("app", 6_460_000, 31),
            executable("entrypoint.sh", 40, 32),
        ],
    );
    attach(
        &mut app,
        vec![
            facts("app", go_binary()),
            facts(
                "entrypoint.sh",
                script("/bin/sh", Some("#!/bin/sh\nexec /app \"$@\"\n")),
            ),
        ],
    );
    let mut img = image("app:scripted", vec![base, app]);
    img.config.entrypoint = vec!["/entrypoint.sh".into()];
    img
}

pub fn start() -> Instant {
    // A fixed origin keeps MB/s in snapshots stable.
    Instant::now()
}

/// A model with the given images loaded (references follow the images).
pub fn loaded(images: Vec<Image>, size: (u16, u16)) -> Model {
    let t0 = start();
    let refs = images.iter().map(|i| i.reference.clone()).collect();
    let mut m = Model::new(refs, KeyMap::default(), t0);
    update(&mut m, Action::Resize(size.0, size.1));
    update(&mut m, Action::Tick(t0 + Duration::from_secs(2)));
    for (slot, img) in images.into_iter().enumerate() {
        update(
            &mut m,
            Action::Loaded {
                slot,
                result: Ok(Box::new(Loaded::new(img))),
            },
        );
    }
    m
}

pub fn render(m: &Model) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    t
}

/// A key press as the terminal reports it.
pub fn press(code: crossterm::event::KeyCode) -> Action {
    Action::Key(crossterm::event::KeyEvent::new(
        code,
        crossterm::event::KeyModifiers::NONE,
    ))
}

/// Runs the layer-tree builds `update` asked for, in place, as the runner
/// would in the background (the comparison and the plan are left to the
/// tests).
pub fn settle(m: &mut Model) {
    let rules = std::sync::Arc::new(stagediff::analysis::Rules::builtin());
    while let Some(i) = m.effects.iter().position(|e| matches!(e, Effect::Scope(_))) {
        let effect = m.effects.remove(i);
        if let Some(job) = stagediff::ui::app::job(m, &effect, &rules) {
            update(m, job());
        }
    }
}

/// Presses a key and lets background work finish.
pub fn key(m: &mut Model, code: crossterm::event::KeyCode) {
    update(m, press(code));
    settle(m);
}

pub fn ctrl(m: &mut Model, c: char) {
    update(
        m,
        Action::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    settle(m);
}

pub fn chars(m: &mut Model, s: &str) {
    for c in s.chars() {
        key(m, crossterm::event::KeyCode::Char(c));
    }
}

/// The screen as plain lines.
pub fn lines(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

/// A comparison model with both fixture images loaded and compared, the
/// comparison built from the loaded images as the TUI builds it.
pub fn compared(size: (u16, u16)) -> Model {
    compared_pair(single_stage(), multi_stage(), size)
}

/// A comparison model of any two images (see [`compared`]).
pub fn compared_pair(before: Image, after: Image, size: (u16, u16)) -> Model {
    let mut m = loaded(vec![before, after], size);
    m.effects.clear();
    let side = |slot: usize| m.slots[slot].loaded().expect("loaded").clone();
    let (before, after) = (side(0), side(1));
    let c =
        stagediff::ui::app::Compared::of(&before, &after, &stagediff::analysis::Rules::builtin());
    update(&mut m, Action::Compared(Box::new(c)));
    m
}

/// Runs the plan `update` asked for after the load, in place, as the
/// runner would in the background.
pub fn plan(m: &mut Model) {
    let rules = std::sync::Arc::new(stagediff::analysis::Rules::builtin());
    let i = m
        .effects
        .iter()
        .position(|e| matches!(e, Effect::Plan))
        .expect("the load asked for a plan");
    let effect = m.effects.remove(i);
    let job = stagediff::ui::app::job(m, &effect, &rules).expect("a loaded image to plan");
    update(m, job());
}

/// One image loaded and planned.
pub fn planned(img: Image, size: (u16, u16)) -> Model {
    let mut m = loaded(vec![img], size);
    plan(&mut m);
    m
}

/// [`loaded`], then `1`: the tree (the TUI opens on the overview).
pub fn loaded_tree(images: Vec<Image>, size: (u16, u16)) -> Model {
    let mut m = loaded(images, size);
    key(&mut m, crossterm::event::KeyCode::Char('1'));
    m
}

/// [`compared`], then `1`: the aligned tree.
pub fn compared_tree(size: (u16, u16)) -> Model {
    let mut m = compared(size);
    key(&mut m, crossterm::event::KeyCode::Char('1'));
    m
}

/// [`planned`], then `1`: the tree.
pub fn planned_tree(img: Image, size: (u16, u16)) -> Model {
    let mut m = planned(img, size);
    key(&mut m, crossterm::event::KeyCode::Char('1'));
    m
}
