//! The bundled demo pair (assets/demo, built by a real dockerd) as a real-image
//! fixture for plain `cargo test`: what the engine reads and what the
//! comparison says must agree with facts recorded outside stagediff.

mod common;

use stagediff::analysis::{compare, Bucket, Comparison, Rules, Status};
use stagediff::cli::demo_pair;
use stagediff::image::Image;
use stagediff::source::{load, LoadOptions, LoadProgress};
use std::collections::BTreeSet;

fn load_ok(reference: &str) -> Image {
    load(reference, &LoadOptions::default(), &LoadProgress::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn pair() -> (Image, Image, Comparison) {
    let (b, a) = demo_pair();
    let before = load_ok(&b);
    let after = load_ok(&a);
    let cmp = compare(&before, &after, &Rules::builtin());
    (before, after, cmp)
}

fn facts<'a>(
    side: &'a stagediff::analysis::Side,
    path: &str,
) -> &'a stagediff::analysis::PathFacts {
    let id = side
        .tree
        .lookup(path.as_bytes())
        .unwrap_or_else(|| panic!("/{path} is not in the image"));
    side.facts(id)
}

#[test]
fn the_demo_images_are_what_their_dockerfiles_build() {
    let (before, after, _) = pair();
    // Sizes as `docker image inspect` reported them when the pair was built
    // (assets/demo/README.md), within 1 %.
    for (img, docker) in [(&before, 29_804_204f64), (&after, 2_147_571f64)] {
        let off = (img.size() as f64 - docker).abs() / docker;
        assert!(
            off < 0.01,
            "{}: {} vs docker's {docker}",
            img.reference,
            img.size()
        );
        assert!(img.verified);
        assert_eq!(img.layers.len(), 4);
    }
    assert!(before.layers[3]
        .created_by
        .as_deref()
        .is_some_and(|c| c.contains("build.sh")));
    assert_eq!(after.config.entrypoint, ["/usr/local/bin/inistat"]);
}

#[test]
fn eliminated_packages_are_exactly_what_dpkg_lists() {
    let (_, _, cmp) = pair();
    let listed = include_str!("../assets/demo/single.dpkg");
    let expected: BTreeSet<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
    let got: BTreeSet<&str> = cmp
        .eliminated_packages()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(got, expected);
    assert!(cmp.after.packages.is_empty());
}

#[test]
fn every_eliminated_byte_is_attributed_once() {
    let (_, _, cmp) = pair();
    // Totals from the squashed trees, buckets and owners adding up to them.
    common::assert_exact_sums(&cmp);
    // The compiler and the headers are the toolchain; tcc is named.
    let tcc = facts(&cmp.before, "usr/bin/tcc");
    assert_eq!(
        (tcc.status, tcc.bucket),
        (Status::Eliminated, Bucket::Toolchain)
    );
    assert!(
        cmp.owner_label(tcc.owner).contains("TinyCC"),
        "{}",
        cmp.owner_label(tcc.owner)
    );
    assert_eq!(
        facts(&cmp.before, "usr/include/stdio.h").bucket,
        Bucket::Toolchain
    );
    // Sources, the object cache and apt lists.
    for src in ["src/main.c", "src/ini.c", "src/ini.h"] {
        assert_eq!(facts(&cmp.before, src).bucket, Bucket::Source, "{src}");
    }
    assert_eq!(
        facts(&cmp.before, "root/.cache/inistat/main.o").bucket,
        Bucket::BuildCache
    );
    // Every apt list the image kept (the Dockerfile skips apt's cleanup).
    let b = &cmp.before;
    let lists: Vec<_> = b
        .tree
        .iter()
        .filter(|&id| !b.tree.node(id).is_dir())
        .filter(|&id| b.tree.path_of(id).starts_with(b"var/lib/apt/lists/"))
        .collect();
    assert!(!lists.is_empty(), "the demo image keeps its apt lists");
    for id in lists {
        assert_eq!(
            b.facts(id).bucket,
            Bucket::BuildCache,
            "{}",
            b.display_path(id)
        );
    }
    let toolchain = cmp
        .eliminated
        .iter()
        .find(|b| b.bucket == Bucket::Toolchain)
        .unwrap();
    assert!(
        toolchain.bytes > 5_000_000,
        "headers and tcc: {}",
        toolchain.bytes
    );
}

#[test]
fn what_ships_is_the_binary_its_config_and_libc() {
    let (_, _, cmp) = pair();
    let moved = facts(&cmp.before, "src/sample.ini");
    assert_eq!(moved.status, Status::Moved);
    let to = moved.counterpart.expect("moved has a counterpart");
    assert_eq!(cmp.after.tree.path_of(to), b"etc/inistat/sample.ini");
    assert_eq!(
        facts(&cmp.after, "usr/local/bin/inistat").status,
        Status::Carried
    );
    assert_eq!(
        facts(&cmp.after, "lib/x86_64-linux-gnu/libc.so.6").status,
        Status::Carried
    );
    assert!(
        cmp.findings.is_empty(),
        "the runtime image ships nothing to flag: {:?}",
        cmp.findings.len()
    );
}
