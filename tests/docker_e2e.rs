//! End to end against a real Docker engine and real archives written by
//! docker and skopeo. Run by `scripts/e2e.sh` (which starts dockerd and
//! builds the images into `$STAGEDIFF_FIXTURES`); ignored by plain
//! `cargo test`.

use stagediff::image::Image;
use stagediff::source::{load, LoadOptions, LoadProgress};
use stagediff::tree::squash;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(
        std::env::var("STAGEDIFF_FIXTURES")
            .expect("STAGEDIFF_FIXTURES must name the dir scripts/build-test-images.sh filled"),
    )
}

fn load_ok(reference: &str) -> Image {
    load(reference, &LoadOptions::default(), &LoadProgress::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// (path, kind, size, content hash) of every path of the squashed tree.
type TreeFacts = Vec<(Vec<u8>, &'static str, u64, Option<String>)>;

fn tree_facts(img: &Image) -> TreeFacts {
    let sq = squash(&img.layers);
    sq.tree
        .iter()
        .map(|id| {
            let n = sq.tree.node(id);
            (
                sq.tree.path_of(id),
                n.kind.as_str(),
                n.size,
                n.hash.map(|h| h.to_string()),
            )
        })
        .collect()
}

fn docker_size(name: &str) -> u64 {
    let p = fixtures().join(format!("{name}.size"));
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .parse()
        .unwrap()
}

/// The daemon (bollard), docker save, and skopeo's OCI forms all yield the
/// same image, whose size matches `docker image inspect`.
fn same_image_everywhere(name: &str, tag: &str) {
    let f = fixtures();
    let daemon = load_ok(tag);
    assert_eq!(daemon.source, stagediff::image::SourceKind::Daemon);
    let forms = [
        format!(
            "docker-archive:{}",
            f.join(format!("{name}.docker.tar")).display()
        ),
        format!("oci:{}", f.join(format!("{name}.oci-gzip")).display()),
        format!("oci:{}", f.join(format!("{name}.oci-zstd")).display()),
        format!(
            "oci-archive:{}",
            f.join(format!("{name}.oci-archive.tar")).display()
        ),
    ];
    let want_ids: Vec<&str> = daemon.layers.iter().map(|l| l.diff_id.as_str()).collect();
    let want_tree = tree_facts(&daemon);
    assert!(!want_tree.is_empty());
    for r in &forms {
        let img = load_ok(r);
        let ids: Vec<&str> = img.layers.iter().map(|l| l.diff_id.as_str()).collect();
        assert_eq!(ids, want_ids, "{r}: layers and diff_ids");
        assert_eq!(img.size(), daemon.size(), "{r}: size");
        assert_eq!(img.history.len(), daemon.history.len(), "{r}: history");
        for (a, b) in img.layers.iter().zip(&daemon.layers) {
            assert_eq!(a.created_by, b.created_by, "{r}: created_by");
            assert_eq!(a.entries.len(), b.entries.len(), "{r}: entries");
        }
        assert!(tree_facts(&img) == want_tree, "{r}: squashed tree differs");
    }
    let docker = docker_size(name);
    let ours = daemon.size();
    let off = (ours as f64 - docker as f64).abs() / docker as f64;
    assert!(
        off < 0.01,
        "{name}: stagediff says {ours}, docker says {docker} ({:.3} %)",
        off * 100.0
    );
}

#[test]
#[ignore = "needs dockerd and scripts/build-test-images.sh; run by scripts/e2e.sh"]
fn go_single_stage_is_the_same_from_every_source() {
    same_image_everywhere("goapp-single", "stagediff-test/goapp:single");
    let img = load_ok("stagediff-test/goapp:single");
    assert!(
        img.size() > 700_000_000,
        "the Go toolchain image is big: {}",
        img.size()
    );
    assert!(img.layers.len() >= 4);
    assert!(img.layers.iter().any(|l| l
        .created_by
        .as_deref()
        .is_some_and(|c| c.contains("golang-go"))));
    let sq = squash(&img.layers);
    assert!(sq.tree.lookup(b"app").is_some());
    assert!(sq.tree.lookup(b"src/main.go").is_some());
    assert!(sq.tree.file_count() > 15_000);
}

#[test]
#[ignore = "needs dockerd and scripts/build-test-images.sh; run by scripts/e2e.sh"]
fn go_multi_stage_is_the_same_from_every_source() {
    same_image_everywhere("goapp-multi", "stagediff-test/goapp:multi");
    let img = load_ok("stagediff-test/goapp:multi");
    assert_eq!(img.layers.len(), 1);
    assert_eq!(img.config.entrypoint, ["/app"]);
}

#[test]
#[ignore = "needs dockerd and scripts/build-test-images.sh; run by scripts/e2e.sh"]
fn c_pair_is_the_same_from_every_source() {
    same_image_everywhere("capp-single", "stagediff-test/capp:single");
    same_image_everywhere("capp-multi", "stagediff-test/capp:multi");
}

#[test]
#[ignore = "needs dockerd and scripts/build-test-images.sh; run by scripts/e2e.sh"]
fn rpm_pair_is_the_same_from_every_source() {
    same_image_everywhere("rpmapp-single", "stagediff-test/rpmapp:single");
    same_image_everywhere("rpmapp-multi", "stagediff-test/rpmapp:multi");
    // The rpm database reads the same through the daemon as from the files.
    let rules = stagediff::analysis::Rules::builtin();
    let packages = |r: &str| -> Vec<String> {
        let (side, _) = stagediff::analysis::analyse_one(&load_ok(r), &rules);
        assert!(side.warnings.is_empty(), "{r}: {:?}", side.warnings);
        side.packages
            .iter()
            .map(|p| format!("{} {} {}", p.name, p.version, p.architecture))
            .collect()
    };
    let f = fixtures();
    let daemon = packages("stagediff-test/rpmapp:single");
    // What rpm itself lists in the built image (scripts/build-test-images.sh).
    let qa = std::fs::read_to_string(f.join("rpmapp-single.rpm-qa")).expect("rpmapp-single.rpm-qa");
    let mut want: Vec<String> = qa
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    want.sort();
    let mut got = daemon.clone();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want, "the daemon's image read against rpm -qa");
    for form in ["oci-zstd", "oci-gzip"] {
        let r = format!("oci:{}", f.join(format!("rpmapp-single.{form}")).display());
        assert_eq!(packages(&r), daemon, "{r}");
    }
}

#[test]
#[ignore = "needs dockerd; run by scripts/e2e.sh"]
fn image_missing_from_the_daemon_is_a_clear_error() {
    let e = load(
        "stagediff-test/not-there:never",
        &LoadOptions::default(),
        &LoadProgress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("stagediff-test/not-there:never: image not found in the daemon"),
        "{e}"
    );
}

#[test]
#[ignore = "needs dockerd; run by scripts/e2e.sh"]
fn daemon_reference_forms() {
    let by_tag = load_ok("stagediff-test/goapp:multi");
    let id = by_tag.id.clone().expect("image id");
    let by_id = load_ok(&id);
    let by_scheme = load_ok("docker://stagediff-test/goapp:multi");
    assert_eq!(by_id.layers[0].diff_id, by_tag.layers[0].diff_id);
    assert_eq!(by_scheme.size(), by_tag.size());
}

#[test]
#[ignore = "needs podman's API socket with the image loaded; run by scripts/e2e.sh"]
fn podman_socket_gives_the_same_image() {
    let from_podman = load_ok("podman://stagediff-test/goapp:multi");
    let from_docker = load_ok("stagediff-test/goapp:multi");
    assert_eq!(from_podman.source, stagediff::image::SourceKind::Podman);
    let ids = |i: &Image| {
        i.layers
            .iter()
            .map(|l| l.diff_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&from_podman), ids(&from_docker));
    assert_eq!(from_podman.size(), from_docker.size());
    assert!(tree_facts(&from_podman) == tree_facts(&from_docker));
}

/// Bytes of content in a flattened filesystem tar as stagediff counts them:
/// regular files, symlink target lengths; hard links once.
fn content_bytes(tar_bytes: &[u8]) -> u64 {
    let mut a = tar::Archive::new(tar_bytes);
    let mut total = 0;
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        total += match h.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => h.size().unwrap(),
            tar::EntryType::Symlink => e.link_name_bytes().map_or(0, |l| l.len() as u64),
            _ => 0,
        };
    }
    total
}

fn docker(args: &[&str]) -> std::process::Output {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A real image whose later layers delete and rewrite what earlier ones
/// wrote: stagediff's wasted bytes must equal what docker stores
/// (`docker image inspect` .Size) minus what a container of it shows
/// (`docker export`, the flattened filesystem).
#[test]
#[ignore = "needs dockerd and local/debian:bookworm (scripts/build-test-images.sh); run by scripts/e2e.sh"]
fn wasted_space_matches_what_docker_stores_minus_what_it_shows() {
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM local/debian:bookworm\n\
         RUN head -c 3000000 /dev/urandom > /opt/blob && cp -a /usr/share/doc /tmp/docs\n\
         RUN rm -rf /opt/blob /tmp/docs /usr/share/doc/apt && chmod 600 /etc/os-release /usr/bin/dpkg\n\
         RUN mkdir -p /var/cache/x && head -c 1000000 /dev/zero > /var/cache/x/y && echo hi > /etc/motd\n\
         RUN rm -rf /var/cache/x && echo bye > /etc/motd\n",
    )
    .unwrap();
    let tag = "stagediff-test/wasteful:latest";
    let out = std::process::Command::new("docker")
        .args(["build", "--network=host", "-q", "-t", tag])
        .arg(ctx.path())
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker build");
    assert!(
        out.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size: u64 = String::from_utf8(docker(&["image", "inspect", "-f", "{{.Size}}", tag]).stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let id = String::from_utf8(docker(&["create", tag, "/bin/true"]).stdout).unwrap();
    let id = id.trim();
    let exported = docker(&["export", id]).stdout;
    docker(&["rm", id]);
    let visible = content_bytes(&exported);

    let img = load_ok(tag);
    let sq = squash(&img.layers);
    let w = stagediff::analysis::waste(&img, &sq.changes, &sq.tree);
    assert_eq!(w.stored, img.size());
    // docker's own sizes agree with ours to well under 1 % (see above);
    // the waste is their difference, so compare it at the same tolerance.
    let docker_wasted = size - visible;
    println!(
        "docker stores {size} B, shows {visible} B: {docker_wasted} B hidden; stagediff: {} B",
        w.wasted
    );
    let diff = w.wasted.abs_diff(docker_wasted) as f64;
    assert!(
        diff <= 0.01 * size as f64,
        "stagediff wasted {} B, docker stores {size} and shows {visible} ({docker_wasted} B)",
        w.wasted
    );
    // The 3 MB blob and the docs copy, deleted one layer later, lead.
    assert!(w.wasted > 3_000_000, "{w:?}");
    let paths: Vec<String> = w
        .paths
        .iter()
        .map(|p| String::from_utf8_lossy(&p.path).into_owned())
        .collect();
    // chmod follows /etc/os-release → ../usr/lib/os-release: the file the
    // layer rewrote is the target.
    for want in [
        "opt/blob",
        "tmp/docs",
        "usr/share/doc/apt",
        "var/cache/x",
        "usr/lib/os-release",
        "usr/bin/dpkg",
        "etc/motd",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} not in {paths:?}");
    }
    let blob = w.paths.iter().find(|p| &*p.path == b"opt/blob").unwrap();
    assert_eq!((blob.bytes, blob.deleted), (3_000_000, true));
    let motd = w.paths.iter().find(|p| &*p.path == b"etc/motd").unwrap();
    assert!(!motd.deleted);
    // `docker export` adds /.dockerenv and the mount points it creates
    // (/etc/hostname, /etc/hosts, /etc/resolv.conf); all are empty files.
    let _ = docker(&["rmi", tag]);
}
