use super::*;
use crate::image::entry::{normalize_path, ContentHash, Entry};

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

/// A recorded change with the path of its node spelled out.
#[derive(Clone, Debug, PartialEq)]
struct Change {
    path: Box<[u8]>,
    status: ChangeStatus,
    size: u64,
}

fn spelled(t: &FileTree, ch: &[LayerChange]) -> Vec<Change> {
    ch.iter()
        .map(|c| Change {
            path: t.path_of(c.node).into(),
            status: c.status,
            size: c.size,
        })
        .collect()
}

fn apply(layers: &[Vec<Entry>]) -> (FileTree, Vec<Vec<Change>>) {
    let mut t = FileTree::new();
    let mut ch = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let recorded = t.apply_layer(i as u32, &l.iter().collect());
        ch.push(spelled(&t, &recorded));
    }
    t.rollup();
    (t, ch)
}

fn paths(t: &FileTree) -> Vec<String> {
    t.iter()
        .map(|id| String::from_utf8(t.path_of(id)).unwrap())
        .collect()
}

fn status(ch: &[Change], path: &str) -> Option<ChangeStatus> {
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
fn a_directory_in_place_of_a_file_is_an_implied_one() {
    // The file's owner, mode and header facts do not carry over to the
    // directory that took its place: it is the tree's, of the new layer.
    let mut f = file("a/f", b"\x7fELF");
    (f.uid, f.gid, f.mode, f.flags) = (1000, 50, 0o4755, 3);
    let (t, _) = apply(&[vec![f], vec![file("a/f/g", b"1")]]);
    let n = t.node(t.lookup(b"a/f").unwrap());
    assert_eq!(
        (n.kind, n.size, n.mode, n.uid, n.gid, n.flags, n.layer),
        (EntryKind::Dir, 0, 0o755, 0, 0, 0, 1)
    );
    assert_eq!((n.link, n.hash), (None, None));
    assert_eq!(n.name, b"f");
    assert_eq!(t.total_size(), 1);
}

#[test]
fn a_hard_link_keeps_the_content_it_was_applied_with() {
    // A link takes its target's hash when it is applied: a later change to
    // the target does not reach it, and a file written over the link has
    // its own hash again.
    let (t, _) = apply(&[
        vec![
            file("bin/busybox", b"one"),
            special("bin/sh", EntryKind::HardLink, Some("bin/busybox")),
            special("bin/gone", EntryKind::HardLink, Some("bin/missing")),
        ],
        vec![file("bin/busybox", b"two"), file("bin/ls", b"ls")],
    ]);
    let hash = |p: &[u8]| t.node(t.lookup(p).unwrap()).hash;
    assert_eq!(hash(b"bin/sh"), file("x", b"one").hash);
    assert_eq!(hash(b"bin/busybox"), file("x", b"two").hash);
    assert_eq!(hash(b"bin/gone"), None);
    let (t, _) = apply(&[
        vec![
            file("bin/busybox", b"one"),
            special("bin/sh", EntryKind::HardLink, Some("bin/busybox")),
        ],
        vec![file("bin/sh", b"own")],
    ]);
    let sh = t.node(t.lookup(b"bin/sh").unwrap());
    assert_eq!(
        (sh.kind, sh.hash),
        (EntryKind::File, file("x", b"own").hash)
    );
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

/// Everything a finished tree says about each live path, in iteration order.
fn snapshot(t: &FileTree) -> Vec<String> {
    t.iter()
        .map(|id| {
            let n = t.node(id);
            format!(
                "{} {:?} size={} total={} files={} mode={:o} uid={} layer={} hash={:?} link={:?} kids={}",
                String::from_utf8_lossy(&t.path_of(id)),
                n.kind,
                n.size,
                t.total(id),
                t.files(id),
                n.mode,
                n.uid,
                n.layer,
                n.hash,
                n.link.map(String::from_utf8_lossy),
                t.children(id).len(),
            )
        })
        .collect()
}

/// Every live directory's children are sorted by name and each is found by
/// `lookup` under its own path.
fn assert_finished(t: &FileTree) {
    for id in std::iter::once(ROOT).chain(t.iter()) {
        let names: Vec<&[u8]> = t.children(id).iter().map(|&c| t.node(c).name).collect();
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "children of {:?} not sorted",
            String::from_utf8_lossy(&t.path_of(id))
        );
        for &c in t.children(id) {
            assert_eq!(t.node(c).parent, id);
            assert_eq!(t.lookup(&t.path_of(c)), Some(c));
        }
    }
}

/// Deletions a layer recorded, in a canonical order (the order of the
/// whiteout entries in the tar is the only thing that moves them).
fn deletions(ch: &[Change]) -> Vec<(String, u64)> {
    let mut d: Vec<_> = ch
        .iter()
        .filter(|c| c.status == ChangeStatus::Deleted)
        .map(|c| (String::from_utf8_lossy(&c.path).into_owned(), c.size))
        .collect();
    d.sort();
    d
}

/// A small deterministic shuffle (splitmix64), so a failure can be replayed.
fn shuffled<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut v = items.to_vec();
    for i in (1..v.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

/// Two layers with every rule whose outcome must not depend on the order
/// of a layer's entries: explicit and implied directories, files, symlinks,
/// whiteouts of files and of whole directories, an opaque directory with
/// new content, a file replacing a directory, a directory replacing a file.
fn layers_for_order_tests() -> Vec<Vec<Entry>> {
    // An explicit directory's attributes win over the implied parent's
    // defaults whether it comes before or after its contents.
    let private = Entry {
        mode: 0o700,
        uid: 7,
        ..dir("etc")
    };
    let mut base = vec![private, dir("usr"), dir("usr/lib"), dir("opaque")];
    for i in 0..40 {
        base.push(file(
            &format!("usr/lib/f{i:02}"),
            format!("lib{i}").as_bytes(),
        ));
        base.push(file(
            &format!("many/n{}", 97 - i),
            format!("n{i}").as_bytes(),
        ));
        base.push(file(&format!("opaque/o{i}"), b"old"));
    }
    base.extend([
        file("etc/passwd", b"root"),
        special("etc/link", EntryKind::Symlink, Some("passwd")),
        dir("gone"),
        file("gone/a", b"aaaa"),
        dir("gone/sub"),
        file("gone/sub/b", b"bb"),
        dir("becomes-file"),
        file("becomes-file/x", b"12345"),
        file("becomes-dir", b"xyz"),
    ]);
    let mut top = vec![
        special("gone", EntryKind::Whiteout, None),
        special("opaque", EntryKind::OpaqueWhiteout, None),
        file("opaque/new", b"fresh"),
        file("opaque/o3", b"again"),
        file("becomes-file", b"now a file"),
        dir("becomes-dir"),
        file("becomes-dir/in", b"i"),
        file("etc/passwd", b"root:x"),
    ];
    for i in (0..40).step_by(3) {
        top.push(special(
            &format!("many/n{}", 97 - i),
            EntryKind::Whiteout,
            None,
        ));
    }
    vec![base, top]
}

#[test]
fn arrival_order_does_not_change_the_tree() {
    let layers = layers_for_order_tests();
    let (want, want_ch) = apply(&layers);
    assert_finished(&want);
    let want_snap = snapshot(&want);
    assert!(want.lookup(b"gone").is_none() && want.lookup(b"opaque/o1").is_none());
    assert_eq!(want.node(want.lookup(b"opaque/o3").unwrap()).size, 5);
    let reversed: Vec<Vec<Entry>> = layers
        .iter()
        .map(|l| l.iter().rev().cloned().collect())
        .collect();
    let mut orders = vec![("reverse".to_string(), reversed)];
    for seed in 1..=8u64 {
        let l = layers
            .iter()
            .enumerate()
            .map(|(i, l)| shuffled(l, seed * 31 + i as u64))
            .collect();
        orders.push((format!("shuffle {seed}"), l));
    }
    for (what, layers) in orders {
        let (t, ch) = apply(&layers);
        assert_finished(&t);
        assert_eq!(snapshot(&t), want_snap, "{what}");
        for (a, b) in ch.iter().zip(&want_ch) {
            assert_eq!(deletions(a), deletions(b), "{what}");
        }
    }
}

#[test]
fn many_names_in_one_directory_in_any_order() {
    let names: Vec<String> = (0..5000).map(|i| format!("d/f{i:05}")).collect();
    let sorted: Vec<Entry> = names.iter().map(|n| file(n, n.as_bytes())).collect();
    let reverse: Vec<Entry> = sorted.iter().rev().cloned().collect();
    let random = shuffled(&sorted, 7);
    let (want, _) = apply(&[sorted]);
    for layer in [reverse, random] {
        let (t, _) = apply(&[layer]);
        assert_finished(&t);
        assert_eq!(snapshot(&t), snapshot(&want));
        assert_eq!(t.children(t.lookup(b"d").unwrap()).len(), 5000);
    }
}

#[test]
fn whiteouts_of_many_siblings_leave_the_others_reachable() {
    // Removing a child moves the last sibling into its place; every later
    // removal and lookup must still find the right node.
    let base: Vec<Entry> = (0..600)
        .map(|i| file(&format!("d/f{i:03}"), b"x"))
        .collect();
    let doomed: Vec<usize> = shuffled(&(0..600).collect::<Vec<_>>(), 3)
        .into_iter()
        .filter(|i| i % 3 != 0)
        .collect();
    let top: Vec<Entry> = doomed
        .iter()
        .map(|i| special(&format!("d/f{i:03}"), EntryKind::Whiteout, None))
        .collect();
    let again = vec![file("d/f001", b"back"), file("d/f600", b"new")];
    let (t, ch) = apply(&[base, top, again]);
    assert_finished(&t);
    assert_eq!(ch[1].len(), 400);
    assert!(ch[1].iter().all(|c| c.status == ChangeStatus::Deleted));
    let mut want: Vec<String> = (0..600)
        .filter(|i| i % 3 == 0)
        .map(|i| format!("d/f{i:03}"))
        .collect();
    want.extend(["d/f001".into(), "d/f600".into()]);
    want.sort();
    want.insert(0, "d".into());
    assert_eq!(paths(&t), want);
    assert_eq!(status(&ch[2], "d/f001"), Some(ChangeStatus::Added));
    assert_eq!(t.node(t.lookup(b"d/f001").unwrap()).size, 4);
}

#[test]
fn hidden_children_are_not_found_again() {
    // An opaque directory's and a replaced directory's old children are
    // gone from lookups: the same names come back as new paths.
    let (t, ch) = apply(&[
        vec![dir("o"), file("o/a", b"1"), dir("r"), file("r/a", b"22")],
        vec![
            special("o", EntryKind::OpaqueWhiteout, None),
            file("o/a", b"333"),
            file("r", b"file"),
        ],
        vec![dir("r"), file("r/b", b"4")],
    ]);
    assert_finished(&t);
    assert_eq!(paths(&t), ["o", "o/a", "r", "r/b"]);
    assert_eq!(
        ch[1]
            .iter()
            .filter(|c| &*c.path == b"o/a")
            .map(|c| c.status)
            .collect::<Vec<_>>(),
        [ChangeStatus::Deleted, ChangeStatus::Added]
    );
    assert_eq!(t.lookup(b"r/a"), None);
    assert_eq!(t.total_size(), 4);
}

#[test]
fn layers_applied_after_a_rollup_keep_the_tree_consistent() {
    // The TUI steps through layers: apply, finish, apply more, finish.
    let layers = layers_for_order_tests();
    let (want, _) = apply(&layers);
    let mut t = FileTree::new();
    t.apply_layer(0, &shuffled(&layers[0], 11).into());
    t.rollup();
    t.apply_layer(1, &shuffled(&layers[1], 12).into());
    t.rollup();
    assert_finished(&t);
    assert_eq!(snapshot(&t), snapshot(&want));
}

#[test]
fn a_node_stays_small() {
    // The tree holds one node per path; the scale target is < 200 bytes a
    // file overall, so a node must not grow unnoticed. It holds no facts of
    // its entry (it names the entry), its name is in the tree's arena, its
    // children are listed outside it (most nodes are files).
    assert!(
        std::mem::size_of::<Slot>() <= 32,
        "{}",
        std::mem::size_of::<Slot>()
    );
    // The UI's rows keep their names inline.
    assert_eq!(std::mem::size_of::<Name>(), 24);
    for len in [0, 1, 21, 22, 23, 255, 4096] {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let name = Name::new(&bytes);
        assert_eq!(&*name, &bytes[..], "{len} bytes");
        assert_eq!(name.clone(), name);
    }
    assert_ne!(Name::new(b"ab"), Name::new(b"abc"));
}

#[test]
fn sizes_of_4_gib_and_more_are_whole() {
    // A node keeps sizes below 4 GiB itself and reads bigger ones from its
    // entry: both read the same everywhere.
    let sizes = [
        u64::from(u32::MAX) - 1,
        u64::from(u32::MAX),
        1 << 32,
        1 << 50,
        3,
    ];
    let layer: Vec<Entry> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| Entry {
            size,
            ..file(&format!("d/f{i}"), b"")
        })
        .collect();
    let (t, _) = apply(&[layer]);
    for (i, &size) in sizes.iter().enumerate() {
        let id = t.lookup(format!("d/f{i}").as_bytes()).unwrap();
        assert_eq!((t.node(id).size, t.total(id)), (size, size), "f{i}");
    }
    assert_eq!(t.total_size(), sizes.iter().sum::<u64>());
    let biggest: Vec<u64> = t
        .largest_files(3)
        .iter()
        .map(|&id| t.node(id).size)
        .collect();
    assert_eq!(biggest, [1 << 50, 1 << 32, u64::from(u32::MAX)]);
}

#[test]
fn names_come_back_from_the_arena_whole() {
    // Around the 16-bit length's marker: a long name carries its length
    // in the arena, and the names around it stay where they were.
    let mut arena = Vec::new();
    let mut kept = Vec::new();
    for len in [0, 1, 10, 65534, 65535, 65536, 100_000, 3] {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        kept.push((NameAt::push(&mut arena, &bytes), bytes));
    }
    for (at, bytes) in &kept {
        assert_eq!(at.read(&arena), &bytes[..], "{} bytes", bytes.len());
    }
    // Offsets past 4 GiB keep their high bits (an arena that large is not
    // made here: the offset alone is checked).
    for offset in [0u64, (1 << 32) - 1, 1 << 32, (1 << 32) + 7, (1 << 40) - 1] {
        let at = NameAt {
            low: offset as u32,
            high: (offset >> 32) as u8,
            len: 1,
        };
        assert_eq!(at.offset() as u64, offset);
    }
}

#[test]
fn largest_files_match_a_full_sort() {
    // Many equal sizes: ties go to the lower node id, as a full sort says.
    let layer: Vec<Entry> = (0..200)
        .map(|i| file(&format!("f{i:03}"), &vec![b'x'; (i * 7) % 13]))
        .collect();
    let (t, _) = apply(&[layer]);
    let mut all: Vec<NodeId> = t.iter().collect();
    all.sort_by(|&a, &b| t.node(b).size.cmp(&t.node(a).size).then(a.cmp(&b)));
    for n in [0, 1, 5, 16, 199, 200, 500] {
        assert_eq!(t.largest_files(n), all[..n.min(200)], "n = {n}");
    }
}

#[test]
fn opaque_deletions_are_listed_in_name_order() {
    // Reports list a layer's changes as recorded; hidden children come in
    // name order however they arrived.
    let names = ["d/m", "d/z", "d/a", "d/q", "d/b"];
    let (_, ch) = apply(&[
        names.iter().map(|n| file(n, b"1")).collect(),
        vec![special("d", EntryKind::OpaqueWhiteout, None)],
    ]);
    let deleted: Vec<&[u8]> = ch[1].iter().map(|c| &*c.path).collect();
    assert_eq!(deleted, [&b"d/a"[..], b"d/b", b"d/m", b"d/q", b"d/z"]);
}

#[test]
fn children_sort_as_raw_bytes() {
    // Names shorter and longer than 8 bytes sharing prefixes, bytes above
    // 0x7f and a NUL (a PAX path may carry one): byte order throughout.
    let mut names: Vec<Vec<u8>> = Vec::new();
    for stem in [&b"abcdefgh"[..], b"abcdefg", b"abcdefgi", b"\xffz", b"a"] {
        for tail in [&b""[..], b"\0", b"\0b", b"1", b"10", b"\xff", b"a/"] {
            let mut n = stem.to_vec();
            n.extend_from_slice(tail);
            if !names.contains(&n) && !n.ends_with(b"/") {
                names.push(n);
            }
        }
    }
    let layer: Vec<Entry> = names
        .iter()
        .map(|n| {
            let mut p = b"d/".to_vec();
            p.extend_from_slice(n);
            Entry {
                path: p.into(),
                ..file("x", b"1")
            }
        })
        .collect();
    for seed in 0..4 {
        let (t, _) = apply(&[shuffled(&layer, seed)]);
        assert_finished(&t);
        let got: Vec<&[u8]> = t
            .children(t.lookup(b"d").unwrap())
            .iter()
            .map(|&c| t.node(c).name)
            .collect();
        let mut want: Vec<&[u8]> = names.iter().map(|n| &n[..]).collect();
        want.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn records_stay_compact() {
    // A million-file image holds a node, an entry and a change per file:
    // these sizes are most of its memory (issue: under 200 bytes a file).
    use std::mem::size_of;
    assert_eq!(size_of::<Option<ContentHash>>(), 20);
    assert!(
        size_of::<Entry>() <= 88,
        "Entry is {} bytes",
        size_of::<Entry>()
    );
    assert!(
        size_of::<LayerChange>() <= 24,
        "LayerChange is {} bytes",
        size_of::<LayerChange>()
    );
}

#[test]
fn live_nodes_are_the_ones_lookups_find() {
    // Deleted by whiteout, hidden by an opaque directory, dropped with a
    // directory a file replaced, created again: a node is live exactly
    // when its path leads back to it.
    let (t, _) = apply(&[
        vec![
            dir("o"),
            file("o/a", b"1"),
            dir("r"),
            file("r/a", b"22"),
            file("w", b"3"),
        ],
        vec![
            special("o", EntryKind::OpaqueWhiteout, None),
            file("o/a", b"333"),
            file("r", b"file"),
            special("w", EntryKind::Whiteout, None),
        ],
        vec![dir("r"), file("r/a", b"4"), file("w", b"5")],
    ]);
    let mut dead = 0;
    for id in 0..t.nodes.len() as NodeId {
        let found = t.lookup(&t.path_of(id)) == Some(id);
        assert_eq!(
            t.is_live(id),
            found,
            "{}",
            String::from_utf8_lossy(&t.path_of(id))
        );
        dead += usize::from(!found);
    }
    assert_eq!(dead, 3, "the first o/a, r/a and w");
    let layers = layers_for_order_tests();
    let mut t = FileTree::new();
    t.apply_layer(0, &shuffled(&layers[0], 3).into());
    t.apply_layer(1, &shuffled(&layers[1], 4).into());
    for id in 0..t.nodes.len() as NodeId {
        assert_eq!(t.is_live(id), t.lookup(&t.path_of(id)) == Some(id));
    }
}

#[test]
fn a_parent_replaced_by_a_file_is_a_directory_again_for_later_entries() {
    // Out of order, so parents are found again by path, not as the previous
    // entry's: `a/b` is a directory, then a file (dropping `a/b/x`), then a
    // directory again because `a/b/w` needs it. That last step is a change
    // of its own, and `w` hangs under a directory, not under the file.
    let (t, ch) = apply(&[vec![
        file("a/b/x", b"x"),
        file("c/y", b"y"),
        file("a/b", b"now a file"),
        file("c/z", b"z"),
        file("a/b/w", b"w"),
    ]]);
    assert_eq!(paths(&t), ["a", "a/b", "a/b/w", "c", "c/y", "c/z"]);
    let b = t.lookup(b"a/b").unwrap();
    assert_eq!(t.node(b).kind, EntryKind::Dir);
    assert_eq!(t.lookup(b"a/b/x"), None);
    let b_changes: Vec<ChangeStatus> = ch[0]
        .iter()
        .filter(|c| &*c.path == b"a/b")
        .map(|c| c.status)
        .collect();
    assert_eq!(
        b_changes,
        [
            ChangeStatus::Added,
            ChangeStatus::Modified,
            ChangeStatus::Modified
        ]
    );
}
