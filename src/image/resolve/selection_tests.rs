//! Which image and which platform a plan is made of: docker's `manifest.json`
//! with several images, OCI indexes with several names, platforms, attestation
//! manifests and nested indexes. Every image here is told apart by its
//! config's architecture, so a wrong pick shows in `plan.config`.

use super::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Members by name, as an archive holds them.
#[derive(Default)]
struct Mem(HashMap<String, Vec<u8>>);

impl Store for Mem {
    fn read_small(&self, member: &str) -> Result<Option<Vec<u8>>, ErrorKind> {
        Ok(self.0.get(member).cloned())
    }
}

impl Mem {
    fn put(&mut self, member: &str, bytes: Vec<u8>) {
        self.0.insert(member.to_string(), bytes);
    }

    /// Stores `doc` as a blob; its digest and size.
    fn blob(&mut self, doc: &Value) -> (String, usize) {
        let bytes = serde_json::to_vec(doc).unwrap();
        let digest = Algorithm::Sha256.digest(&bytes);
        let len = bytes.len();
        self.put(&blob_member(&digest).unwrap(), bytes);
        (digest, len)
    }

    /// An image whose config says `arch`, with one layer; the descriptor of
    /// its manifest (no platform, no annotations).
    fn image(&mut self, arch: &str) -> Value {
        let (config, config_len) = self.blob(&config(arch, &[&zero(1)]));
        let (manifest, len) = self.blob(&json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config, "size": config_len},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": zero(2), "size": 42}],
        }));
        json!({"mediaType": MANIFEST, "digest": manifest, "size": len})
    }

    /// An index blob listing `manifests`; the descriptor of it.
    fn index(&mut self, media_type: &str, manifests: Vec<Value>) -> Value {
        let (digest, len) = self.blob(&json!({"schemaVersion": 2, "manifests": manifests}));
        json!({"mediaType": media_type, "digest": digest, "size": len})
    }

    fn top(&mut self, manifests: Vec<Value>) {
        let doc = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests});
        self.put("index.json", serde_json::to_vec(&doc).unwrap());
    }
}

/// A made-up sha256 digest, `n` repeated.
fn zero(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

fn config(arch: &str, diff_ids: &[&str]) -> Value {
    json!({"architecture": arch, "os": "linux",
           "rootfs": {"type": "layers", "diff_ids": diff_ids}})
}

fn on(mut d: Value, platform: &str) -> Value {
    let parts: Vec<&str> = platform.split('/').collect();
    let mut p = json!({"os": parts[0], "architecture": parts[1]});
    if let Some(v) = parts.get(2) {
        p["variant"] = json!(v);
    }
    d["platform"] = p;
    d
}

fn named(mut d: Value, containerd: Option<&str>, ref_name: Option<&str>) -> Value {
    let mut a = serde_json::Map::new();
    if let Some(n) = containerd {
        a.insert("io.containerd.image.name".into(), json!(n));
    }
    if let Some(n) = ref_name {
        a.insert("org.opencontainers.image.ref.name".into(), json!(n));
    }
    d["annotations"] = Value::Object(a);
    d
}

fn sel<'a>(name: Option<&'a str>, platform: Option<&'a str>) -> Selector<'a> {
    Selector {
        name,
        platform,
        verify: true,
    }
}

fn arch(store: &Mem, s: &Selector<'_>) -> Result<String, ErrorKind> {
    plan(store, s).map(|p| p.config.architecture().to_string())
}

fn no_platform(r: Result<String, ErrorKind>) -> (String, String) {
    match r {
        Err(ErrorKind::NoPlatform { wanted, available }) => (wanted, available),
        other => panic!("expected no platform, got {other:?}"),
    }
}

#[test]
fn without_platform_linux_amd64_is_chosen_wherever_it_is_listed() {
    let mut m = Mem::default();
    let arm = on(m.image("arm64"), "linux/arm64/v8");
    let amd = on(m.image("amd64"), "linux/amd64");
    m.top(vec![arm, amd]);
    assert_eq!(arch(&m, &sel(None, None)).unwrap(), "amd64");
    // An explicit platform names it exactly, or without its variant.
    assert_eq!(arch(&m, &sel(None, Some("linux/amd64"))).unwrap(), "amd64");
    assert_eq!(arch(&m, &sel(None, Some("linux/arm64"))).unwrap(), "arm64");
    assert_eq!(
        arch(&m, &sel(None, Some("linux/arm64/v8"))).unwrap(),
        "arm64"
    );
    // A prefix that stops inside a component is another platform.
    let (wanted, available) = no_platform(arch(&m, &sel(None, Some("linux/arm"))));
    assert_eq!(wanted, "linux/arm");
    assert_eq!(available, "linux/arm64/v8, linux/amd64");
    no_platform(arch(&m, &sel(None, Some("linux/s390x"))));
}

#[test]
fn a_platform_is_matched_on_its_own_components() {
    // linux/386/v1 has a '/' right where "linux/arm" ends, without starting
    // with it.
    let mut m = Mem::default();
    let i386 = on(m.image("386"), "linux/386/v1");
    let amd = on(m.image("amd64"), "linux/amd64");
    m.top(vec![i386, amd]);
    no_platform(arch(&m, &sel(None, Some("linux/arm"))));
    assert_eq!(arch(&m, &sel(None, Some("linux/386"))).unwrap(), "386");
}

#[test]
fn the_only_manifest_is_taken_unless_another_platform_was_asked_for() {
    let mut m = Mem::default();
    let arm = on(m.image("arm64"), "linux/arm64");
    m.top(vec![arm]);
    // No --platform: a single-platform image is used whatever it runs on.
    assert_eq!(arch(&m, &sel(None, None)).unwrap(), "arm64");
    assert_eq!(arch(&m, &sel(None, Some("linux/arm64"))).unwrap(), "arm64");
    let (_, available) = no_platform(arch(&m, &sel(None, Some("linux/amd64"))));
    assert_eq!(available, "linux/arm64");

    // A manifest that names no platform is taken for any.
    let mut m = Mem::default();
    let any = m.image("riscv64");
    m.top(vec![any]);
    assert_eq!(
        arch(&m, &sel(None, Some("linux/amd64"))).unwrap(),
        "riscv64"
    );
}

#[test]
fn attestation_manifests_are_never_chosen() {
    let mut m = Mem::default();
    let arm = on(m.image("arm64"), "linux/arm64");
    let att = on(m.image("attestation"), "unknown/unknown");
    m.top(vec![att.clone(), arm]);
    assert_eq!(arch(&m, &sel(None, None)).unwrap(), "arm64");
    let (_, available) = no_platform(arch(&m, &sel(None, Some("linux/s390x"))));
    assert_eq!(available, "linux/arm64");

    let mut m = Mem::default();
    let att = on(m.image("attestation"), "unknown/unknown");
    m.top(vec![att]);
    match arch(&m, &sel(None, None)) {
        Err(ErrorKind::Invalid(e)) => assert_eq!(e, "the index lists no manifest"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn nested_indexes_are_followed_in_both_media_types() {
    for media_type in [INDEX, DOCKER_LIST] {
        let mut m = Mem::default();
        let amd = on(m.image("amd64"), "linux/amd64");
        let arm = on(m.image("arm64"), "linux/arm64");
        let nested = m.index(media_type, vec![arm, amd]);
        m.top(vec![named(nested, None, Some("latest"))]);
        assert_eq!(arch(&m, &sel(None, None)).unwrap(), "amd64", "{media_type}");
        assert_eq!(
            arch(&m, &sel(None, Some("linux/arm64"))).unwrap(),
            "arm64",
            "{media_type}"
        );
        let p = plan(&m, &sel(Some("latest"), None)).unwrap();
        assert_eq!(p.repo_tags, ["latest"]);
    }
}

/// index.json → `depth` nested indexes → one manifest.
fn chain(depth: usize) -> Mem {
    let mut m = Mem::default();
    let mut d = on(m.image("amd64"), "linux/amd64");
    for _ in 0..depth {
        d = m.index(INDEX, vec![d]);
    }
    m.top(vec![d]);
    m
}

#[test]
fn indexes_nest_eight_deep_and_no_deeper() {
    assert_eq!(arch(&chain(1), &sel(None, None)).unwrap(), "amd64");
    assert_eq!(arch(&chain(8), &sel(None, None)).unwrap(), "amd64");
    match arch(&chain(9), &sel(None, None)) {
        Err(ErrorKind::Invalid(e)) => assert_eq!(e, "image indexes nested too deeply"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn several_names_in_an_index_must_be_chosen_between() {
    let mut m = Mem::default();
    let app = named(
        on(m.image("amd64"), "linux/amd64"),
        Some("docker.io/library/app:1"),
        Some("1"),
    );
    let other = named(
        on(m.image("arm64"), "linux/amd64"),
        Some("docker.io/library/other:2"),
        Some("2"),
    );
    m.top(vec![app, other]);
    match arch(&m, &sel(None, None)) {
        Err(ErrorKind::Ambiguous { count, list }) => {
            assert_eq!(count, 2);
            assert_eq!(list, "docker.io/library/app:1, docker.io/library/other:2");
        }
        other => panic!("{other:?}"),
    }
    // By full reference, short reference, or ref.name alone.
    for (want, expected) in [
        ("app:1", "amd64"),
        ("docker.io/library/app:1", "amd64"),
        ("other:2", "arm64"),
        ("2", "arm64"),
    ] {
        let p = plan(&m, &sel(Some(want), None)).unwrap();
        assert_eq!(p.config.architecture().to_string(), expected, "{want}");
    }
    let p = plan(&m, &sel(Some("app:1"), None)).unwrap();
    // The containerd name is the one reported.
    assert_eq!(p.repo_tags, ["docker.io/library/app:1"]);
    match arch(&m, &sel(Some("app:2"), None)) {
        Err(ErrorKind::NoSuchImage(n)) => assert_eq!(n, "app:2"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_ref_name_may_be_a_whole_reference() {
    let mut m = Mem::default();
    let app = named(
        on(m.image("amd64"), "linux/amd64"),
        None,
        Some("app:latest"),
    );
    let x = named(on(m.image("arm64"), "linux/amd64"), None, Some("x"));
    m.top(vec![app, x]);
    assert_eq!(arch(&m, &sel(Some("app"), None)).unwrap(), "amd64");
    assert_eq!(arch(&m, &sel(Some("x"), None)).unwrap(), "arm64");
    let p = plan(&m, &sel(Some("x"), None)).unwrap();
    assert_eq!(p.repo_tags, ["x"]);
    assert!(matches!(
        arch(&m, &sel(Some("y"), None)),
        Err(ErrorKind::NoSuchImage(_))
    ));
}

#[test]
fn one_name_on_several_platforms_is_one_image() {
    // What `docker save` of a multi-platform image writes: one descriptor per
    // platform, each with the same name.
    let mut m = Mem::default();
    let arm = named(
        on(m.image("arm64"), "linux/arm64"),
        Some("docker.io/library/app:1"),
        Some("1"),
    );
    let amd = named(
        on(m.image("amd64"), "linux/amd64"),
        Some("docker.io/library/app:1"),
        Some("1"),
    );
    m.top(vec![arm, amd]);
    let p = plan(&m, &sel(None, None)).unwrap();
    assert_eq!(p.config.architecture().to_string(), "amd64");
    assert_eq!(p.repo_tags, ["docker.io/library/app:1"]);
    assert_eq!(
        arch(&m, &sel(Some("app:1"), Some("linux/arm64"))).unwrap(),
        "arm64"
    );

    // Unnamed platform manifests are one image too.
    let mut m = Mem::default();
    let arm = on(m.image("arm64"), "linux/arm64");
    let amd = on(m.image("amd64"), "linux/amd64");
    m.top(vec![arm, amd]);
    let p = plan(&m, &sel(None, None)).unwrap();
    assert_eq!(p.config.architecture().to_string(), "amd64");
    assert!(p.repo_tags.is_empty());
}

#[test]
fn an_oci_plan_lists_the_manifests_layers_and_digests() {
    let mut m = Mem::default();
    let (config_digest, config_len) = m.blob(&config("amd64", &[&zero(7), &zero(8)]));
    let sha512 = format!("sha512:{}", "ab".repeat(64));
    let (manifest, len) = m.blob(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_len},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": zero(3), "size": 5},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha512, "size": 6},
        ],
    }));
    m.top(vec![
        json!({"mediaType": MANIFEST, "digest": manifest, "size": len}),
    ]);
    let p = plan(&m, &sel(None, None)).unwrap();
    assert_eq!(p.manifest_digest.as_deref(), Some(manifest.as_str()));
    assert_eq!(p.config_digest.as_deref(), Some(config_digest.as_str()));
    let members: Vec<_> = p.layers.iter().map(|l| l.member.as_str()).collect();
    assert_eq!(
        members,
        [
            format!("blobs/sha256/{}", "03".repeat(32)),
            format!("blobs/sha512/{}", "ab".repeat(64))
        ]
    );
    assert_eq!(p.layers[1].digest.as_deref(), Some(sha512.as_str()));
    assert_eq!(p.layers[0].size, Some(5));
    assert_eq!(
        p.layers[0].media_type.as_deref(),
        Some("application/vnd.oci.image.layer.v1.tar+zstd")
    );
    assert_eq!(p.layers[1].algs.blob, Algorithm::Sha512);
    assert_eq!(p.layers[0].algs.blob, Algorithm::Sha256);
}

#[test]
fn a_manifest_or_config_that_is_missing_or_edited_is_refused() {
    let mut m = Mem::default();
    let d = on(m.image("amd64"), "linux/amd64");
    m.top(vec![d.clone()]);
    let member = blob_member(d["digest"].as_str().unwrap()).unwrap();
    let original = m.0[&member].clone();
    let mut edited = original.clone();
    edited.push(b' ');
    m.put(&member, edited);
    assert!(matches!(
        plan(&m, &sel(None, None)),
        Err(ErrorKind::DigestMismatch { .. })
    ));
    // --no-verify reads it as it is.
    let unverified = Selector {
        verify: false,
        ..sel(None, None)
    };
    assert_eq!(arch(&m, &unverified).unwrap(), "amd64");
    m.0.remove(&member);
    match plan(&m, &sel(None, None)) {
        Err(ErrorKind::MissingBlob { digest, .. }) => assert_eq!(digest, d["digest"]),
        other => panic!("{other:?}"),
    }
}

/// One image of docker's `manifest.json`: config member, tags, layers.
type DockerItem<'a> = (&'a str, Option<&'a [&'a str]>, &'a [&'a str]);

/// docker's `manifest.json` of `items`.
fn docker(m: &mut Mem, items: &[DockerItem<'_>]) {
    let list: Vec<Value> = items
        .iter()
        .map(|(config, tags, layers)| {
            let mut v = json!({"Config": config, "Layers": layers});
            if let Some(t) = tags {
                v["RepoTags"] = json!(t);
            }
            v
        })
        .collect();
    m.put("manifest.json", serde_json::to_vec(&list).unwrap());
}

/// A config stored under `blobs/sha256/HEX`, and under `HEX.json`; its HEX.
fn docker_config(m: &mut Mem, arch: &str, diff_ids: &[&str]) -> String {
    let (digest, _) = m.blob(&config(arch, diff_ids));
    let hex = digest.strip_prefix("sha256:").unwrap().to_string();
    let bytes = m.0[&format!("blobs/sha256/{hex}")].clone();
    m.put(&format!("{hex}.json"), bytes);
    hex
}

#[test]
fn a_docker_archive_picks_its_image_by_tag() {
    let mut m = Mem::default();
    let one = docker_config(&mut m, "amd64", &[&zero(1)]);
    let two = docker_config(&mut m, "arm64", &[&zero(1), &zero(2)]);
    let three = docker_config(&mut m, "s390x", &[]);
    let layer = format!("blobs/sha256/{}", "05".repeat(32));
    docker(
        &mut m,
        &[
            (&format!("{one}.json"), Some(&["one:1"]), &["l1/layer.tar"]),
            (
                &format!("blobs/sha256/{two}"),
                Some(&["two:2", "two:latest"]),
                &[&layer, "./x/../l2/layer.tar"],
            ),
            (&format!("{three}.json"), None, &[]),
        ],
    );
    let p = plan(&m, &sel(Some("two"), None)).unwrap();
    assert_eq!(p.config.architecture().to_string(), "arm64");
    assert_eq!(p.repo_tags, ["two:2", "two:latest"]);
    assert_eq!(p.config_digest, Some(format!("sha256:{two}")));
    assert_eq!(p.layers[0].member, layer);
    assert_eq!(
        p.layers[0].digest,
        Some(format!("sha256:{}", "05".repeat(32)))
    );
    assert_eq!(p.layers[1].member, "l2/layer.tar");
    assert_eq!(p.layers[1].digest, None);

    let p = plan(&m, &sel(Some("docker.io/library/one:1"), None)).unwrap();
    assert_eq!(p.config.architecture().to_string(), "amd64");
    assert_eq!(p.config_digest, Some(format!("sha256:{one}")));

    match plan(&m, &sel(None, None)) {
        Err(ErrorKind::Ambiguous { count, list }) => {
            assert_eq!(count, 3);
            // An image without tags is named by its config.
            assert_eq!(list, format!("one:1, two:2, {three}.json"));
        }
        other => panic!("{other:?}"),
    }
    match plan(&m, &sel(Some("three"), None)) {
        Err(ErrorKind::NoSuchImage(n)) => assert_eq!(n, "three"),
        other => panic!("{other:?}"),
    }

    // One image needs no name; none is an error.
    docker(&mut m, &[(&format!("{three}.json"), None, &[])]);
    let p = plan(&m, &sel(None, None)).unwrap();
    assert_eq!(p.config.architecture().to_string(), "s390x");
    assert!(p.repo_tags.is_empty());
    docker(&mut m, &[]);
    match plan(&m, &sel(None, None)) {
        Err(ErrorKind::Invalid(e)) => assert_eq!(e, "manifest.json lists no image"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_legacy_config_name_is_a_digest_only_when_it_is_64_hex_digits() {
    let mut m = Mem::default();
    let hex = docker_config(&mut m, "amd64", &[]);
    docker(&mut m, &[(&format!("{hex}.json"), None, &[])]);
    let p = plan(&m, &sel(None, None)).unwrap();
    assert_eq!(p.config_digest, Some(format!("sha256:{hex}")));
    // Checked: edited bytes under that name are refused.
    let mut edited = m.0[&format!("{hex}.json")].clone();
    edited.push(b'\n');
    m.put(&format!("{hex}.json"), edited.clone());
    assert!(matches!(
        plan(&m, &sel(None, None)),
        Err(ErrorKind::DigestMismatch { .. })
    ));
    // Other names are not digests: nothing to check, and the image says so.
    for name in ["abc.json", &format!("{}.json", "z".repeat(64)), "config"] {
        m.put(name, edited.clone());
        docker(&mut m, &[(name, None, &[])]);
        let p = plan(&m, &sel(None, None)).unwrap();
        assert_eq!(p.config_digest, None, "{name}");
    }
    docker(&mut m, &[("absent.json", None, &[])]);
    assert!(matches!(
        plan(&m, &sel(None, None)),
        Err(ErrorKind::MissingBlob { .. })
    ));
}

#[test]
fn each_layer_is_digested_in_its_diff_ids_algorithm() {
    let mut m = Mem::default();
    let sha512 = format!("sha512:{}", "cd".repeat(64));
    let hex = docker_config(&mut m, "amd64", &[&sha512, &zero(1)]);
    docker(
        &mut m,
        &[(
            &format!("{hex}.json"),
            None,
            &["a/layer.tar", "b/layer.tar"],
        )],
    );
    let p = plan(&m, &sel(None, None)).unwrap();
    assert_eq!(p.layers[0].algs.diff_id, Algorithm::Sha512);
    assert_eq!(p.layers[0].algs.blob, Algorithm::Sha256);
    assert_eq!(p.layers[1].algs.diff_id, Algorithm::Sha256);
}

#[test]
fn at_most_max_layers_are_planned() {
    let mut m = Mem::default();
    let hex = docker_config(&mut m, "amd64", &[]);
    let names: Vec<String> = (0..=MAX_LAYERS).map(|i| format!("{i}/layer.tar")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let config = format!("{hex}.json");
    docker(&mut m, &[(&config, None, &refs[..MAX_LAYERS])]);
    assert_eq!(plan(&m, &sel(None, None)).unwrap().layers.len(), MAX_LAYERS);
    docker(&mut m, &[(&config, None, &refs)]);
    match plan(&m, &sel(None, None)) {
        Err(ErrorKind::Invalid(e)) => assert!(e.contains("1001 layers"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_store_with_neither_manifest_is_not_an_archive() {
    assert!(matches!(
        plan(&Mem::default(), &sel(None, None)),
        Err(ErrorKind::NotAnArchive(_))
    ));
}

#[test]
fn documents_are_read_up_to_the_limit() {
    let doc = vec![b'x'; 100];
    assert_eq!(read_document(&doc[..], 100, "m").unwrap(), doc);
    // The length is what the archive says; a document past MAX_JSON is
    // refused before a byte is read.
    assert!(read_document(&doc[..], MAX_JSON, "m").is_ok());
    assert!(matches!(
        read_document(&doc[..], MAX_JSON + 1, "m"),
        Err(ErrorKind::Invalid(_))
    ));
}
