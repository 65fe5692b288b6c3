use super::*;
use crate::image::entry::{normalize_path, ContentHash};

fn file(path: &str, content: &[u8]) -> Entry {
    Entry {
        path: normalize_path(path.as_bytes()),
        kind: EntryKind::File,
        size: content.len() as u64,
        mode: 0o644,
        uid: 0,
        gid: 0,
        link: None,
        hash: Some(ContentHash(xxhash_rust::xxh3::xxh3_128(content))),
        device: None,
        flags: 0,
    }
}

fn dir(path: &str) -> Entry {
    Entry {
        kind: EntryKind::Dir,
        size: 0,
        mode: 0o755,
        hash: None,
        ..file(path, b"")
    }
}

fn special(path: &str, kind: EntryKind, link: Option<&str>) -> Entry {
    let link: Option<Box<[u8]>> = link.map(|l| l.as_bytes().into());
    Entry {
        kind,
        size: if kind == EntryKind::Symlink {
            link.as_ref().map_or(0, |l| l.len() as u64)
        } else {
            0
        },
        hash: None,
        link,
        ..file(path, b"")
    }
}

fn apply(layers: &[Vec<Entry>]) -> (FileTree, Vec<Vec<LayerChange>>) {
    let mut t = FileTree::new();
    let mut ch = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        ch.push(t.apply_layer(i as u32, l));
    }
    t.rollup();
    (t, ch)
}

fn paths(t: &FileTree) -> Vec<String> {
    t.iter()
        .map(|id| String::from_utf8(t.path_of(id)).unwrap())
        .collect()
}

fn status(ch: &[LayerChange], path: &str) -> Option<ChangeStatus> {
    ch.iter()
        .find(|c| &*c.path == path.as_bytes())
        .map(|c| c.status)
}

#[test]
fn whiteout_deletes_from_lower_layers() {
    // The parser turns `etc/.wh.a` into a whiteout entry for `etc/a`.
    let (t, ch) = apply(&[
        vec![dir("etc"), file("etc/a", b"aaaa"), file("etc/b", b"bb")],
        vec![special("etc/a", EntryKind::Whiteout, None)],
    ]);
    assert_eq!(paths(&t), ["etc", "etc/b"]);
    assert_eq!(status(&ch[1], "etc/a"), Some(ChangeStatus::Deleted));
    assert_eq!(ch[1][0].size, 4);
    assert_eq!(t.total_size(), 2);
    assert_eq!(ch[0].len(), 3);
}

#[test]
fn opaque_directory_hides_lower_contents_only() {
    let (t, ch) = apply(&[
        vec![
            dir("d"),
            file("d/old1", b"1"),
            dir("d/sub"),
            file("d/sub/old2", b"22"),
        ],
        // In the same layer, new content may come before the opaque marker.
        vec![
            file("d/new", b"333"),
            special("d", EntryKind::OpaqueWhiteout, None),
        ],
    ]);
    assert_eq!(paths(&t), ["d", "d/new"]);
    assert_eq!(status(&ch[1], "d/old1"), Some(ChangeStatus::Deleted));
    assert_eq!(status(&ch[1], "d/sub"), Some(ChangeStatus::Deleted));
    assert_eq!(ch[1].iter().find(|c| &*c.path == b"d/sub").unwrap().size, 2);
    assert_eq!(status(&ch[1], "d/new"), Some(ChangeStatus::Added));
    assert_eq!(t.total_size(), 3);
}

#[test]
fn whiteout_then_recreate_in_same_layer() {
    let (t, ch) = apply(&[
        vec![dir("x"), file("x/f", b"old")],
        vec![
            file("x/f", b"new!"),
            special("x/f", EntryKind::Whiteout, None),
        ],
    ]);
    assert_eq!(paths(&t), ["x", "x/f"]);
    assert_eq!(t.node(t.lookup(b"x/f").unwrap()).size, 4);
    assert_eq!(status(&ch[1], "x/f"), Some(ChangeStatus::Deleted));
    assert_eq!(
        ch[1].iter().filter(|c| &*c.path == b"x/f").count(),
        2,
        "deleted and added again"
    );
}

#[test]
fn file_replaces_directory_and_back() {
    let (t, ch) = apply(&[
        vec![dir("a"), file("a/x", b"12345")],
        vec![file("a", b"now a file")],
        vec![dir("a"), file("a/y", b"y")],
    ]);
    assert_eq!(paths(&t), ["a", "a/y"]);
    assert_eq!(status(&ch[1], "a"), Some(ChangeStatus::Modified));
    assert_eq!(status(&ch[2], "a"), Some(ChangeStatus::Modified));
    assert_eq!(t.total_size(), 1);
}

#[test]
fn implied_parents_are_created_and_files_in_the_way_replaced() {
    let (t, ch) = apply(&[
        vec![file("usr/lib/deep/f", b"x")],
        vec![file("usr/lib/deep/f/g", b"yy")],
    ]);
    assert_eq!(
        paths(&t),
        [
            "usr",
            "usr/lib",
            "usr/lib/deep",
            "usr/lib/deep/f",
            "usr/lib/deep/f/g"
        ]
    );
    assert!(t.node(t.lookup(b"usr/lib/deep/f").unwrap()).is_dir());
    assert_eq!(status(&ch[0], "usr/lib"), Some(ChangeStatus::Added));
    assert_eq!(
        status(&ch[1], "usr/lib/deep/f"),
        Some(ChangeStatus::Modified)
    );
    assert_eq!(t.total_size(), 2);
}

#[test]
fn modified_versus_unchanged() {
    let base = file("f", b"same");
    let mut chmod = base.clone();
    chmod.mode = 0o755;
    let mut chown = base.clone();
    chown.uid = 1000;
    let (_, ch) = apply(&[
        vec![base.clone()],
        vec![base.clone()],
        vec![chmod],
        vec![chown],
        vec![file("f", b"diff")],
    ]);
    assert_eq!(status(&ch[1], "f"), Some(ChangeStatus::Unchanged));
    assert_eq!(status(&ch[2], "f"), Some(ChangeStatus::Modified));
    assert_eq!(status(&ch[3], "f"), Some(ChangeStatus::Modified));
    assert_eq!(status(&ch[4], "f"), Some(ChangeStatus::Modified));
}

#[test]
fn hard_links_are_counted_once_and_share_content() {
    let (t, _) = apply(&[vec![
        file("bin/busybox", b"0123456789"),
        special("bin/sh", EntryKind::HardLink, Some("bin/busybox")),
        special("bin/ls", EntryKind::HardLink, Some("bin/busybox")),
    ]]);
    assert_eq!(t.total_size(), 10);
    let sh = t.node(t.lookup(b"bin/sh").unwrap());
    assert_eq!(sh.hash, t.node(t.lookup(b"bin/busybox").unwrap()).hash);
    assert_eq!(sh.size, 0);
}

#[test]
fn resolve_follows_symlinks_but_stays_inside() {
    let (t, _) = apply(&[vec![
        special("bin", EntryKind::Symlink, Some("usr/bin")),
        dir("usr/bin"),
        file("usr/bin/ls", b"ls"),
        special(
            "usr/bin/up",
            EntryKind::Symlink,
            Some("../../../../../usr/bin/ls"),
        ),
        special("abs", EntryKind::Symlink, Some("/usr/bin")),
        special("loop", EntryKind::Symlink, Some("loop")),
    ]]);
    let ls = t.lookup(b"usr/bin/ls").unwrap();
    assert_eq!(t.lookup(b"bin/ls"), None, "lookup never follows links");
    assert_eq!(t.resolve(b"bin/ls"), Some(ls));
    assert_eq!(t.resolve(b"abs/ls"), Some(ls));
    assert_eq!(t.resolve(b"usr/bin/up"), Some(ls));
    assert_eq!(t.resolve(b"loop"), None);
}

#[test]
fn squash_upto_stops_at_the_layer() {
    use crate::image::Layer;
    let layer = Layer::from_entries;
    let layers = vec![
        layer(0, vec![file("a", b"1")]),
        layer(1, vec![file("b", b"22")]),
        layer(2, vec![special("a", EntryKind::Whiteout, None)]),
    ];
    assert_eq!(paths(&squash_upto(&layers, 2).tree), ["a", "b"]);
    let all = squash(&layers);
    assert_eq!(paths(&all.tree), ["b"]);
    assert_eq!(all.changes.len(), 3);
    assert_eq!(all.tree.node(all.tree.lookup(b"b").unwrap()).layer, 1);
}

#[test]
fn largest_files_are_sorted() {
    let (t, _) = apply(&[vec![
        file("s", b"1"),
        file("l", b"12345"),
        file("m", b"123"),
    ]]);
    let names: Vec<_> = t
        .largest_files(2)
        .into_iter()
        .map(|id| String::from_utf8(t.path_of(id)).unwrap())
        .collect();
    assert_eq!(names, ["l", "m"]);
    assert_eq!(t.file_count(), 3);
}
