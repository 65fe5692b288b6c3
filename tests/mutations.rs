//! Hostile bytes: thousands of deterministic mutations (flipped bytes,
//! truncations, zeroed and duplicated regions) of real image files in every
//! format. Loading must never panic; every error is one printable line.

mod common;

use common::*;
use stagediff::source::{load, LoadOptions, LoadProgress};

fn mutate(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
        }
        1 => d.truncate(rng.below(d.len())),
        2 => {
            let a = rng.below(d.len());
            let b = (a + 1 + rng.below(2048)).min(d.len());
            d[a..b].fill(0);
        }
        _ => {
            let a = rng.below(d.len());
            let b = (a + 1 + rng.below(1024)).min(d.len());
            let chunk = d[a..b].to_vec();
            let at = rng.below(d.len());
            d.splice(at..at, chunk);
        }
    }
    d
}

fn check(reference: &str) -> bool {
    for verify in [true, false] {
        let opts = LoadOptions {
            verify,
            platform: None,
        };
        if let Err(e) = load(reference, &opts, &LoadProgress::default()) {
            let msg = e.to_string();
            assert!(
                !msg.contains('\n') && !msg.chars().any(|c| c.is_control()),
                "{msg:?}"
            );
            return false;
        }
    }
    true
}

#[test]
fn mutated_archives_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let formats: Vec<(&str, Vec<u8>)> = vec![
        ("legacy.tar", docker_legacy(&layers, "m:1")),
        ("d25-gzip.tar", docker_oci(&layers, "m:1", Comp::Gzip)),
        ("oci-zstd.tar", oci_archive(&layers, "m:1", Comp::Zstd)),
        (
            "legacy.tar.gz",
            compress(&docker_legacy(&layers, "m:1"), Comp::Gzip),
        ),
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut ok, mut failed) = (0, 0);
    for (name, data) in &formats {
        let p = dir.path().join(name);
        for _ in 0..250 {
            std::fs::write(&p, mutate(&mut rng, data)).unwrap();
            if check(p.to_str().unwrap()) {
                ok += 1;
            } else {
                failed += 1;
            }
        }
    }
    // Most mutations must be caught (digests cover every byte that matters).
    assert!(failed > ok, "caught {failed}, loaded {ok}");
}

#[test]
fn mutated_oci_layout_blobs_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    for comp in ALL_COMP {
        let root = dir.path().join(format!("{comp:?}"));
        oci_dir(&root, &layers, "m:1", comp);
        let parts = oci_parts(&layers, comp);
        let reference = format!("oci:{}", root.display());
        for (hex, data) in &parts.blobs {
            let path = root.join("blobs/sha256").join(hex);
            for _ in 0..40 {
                std::fs::write(&path, mutate(&mut rng, data)).unwrap();
                check(&reference);
            }
            std::fs::write(&path, data).unwrap();
        }
        assert!(check(&reference), "the restored layout loads again");
    }
}
