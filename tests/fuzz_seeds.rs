//! Writes the seed corpora of the fuzz targets (`fuzz/corpus/<target>/`) from
//! the archives tests/common builds, the demo images in assets/demo and the
//! real rpm databases in tests/fixtures/rpm. Every seed is replayed through
//! its target's wrapper, and the well-formed ones must parse: a seed the
//! target refuses at the first byte teaches the fuzzer nothing.
//!
//! `cargo test --test fuzz_seeds -- --ignored` (scripts/fuzz.sh runs it).

mod common;

use common::*;
use stagediff::fuzzing;
use stagediff::image::blob::{parse_layer, BlobOptions};
use stagediff::image::Image;
use stagediff::source::{load, LoadOptions, LoadProgress};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Seeds bigger than this slow every mutation of them down; skipped.
const MAX_SEED: usize = 1 << 20;

struct Corpus {
    root: PathBuf,
    counts: BTreeMap<&'static str, usize>,
}

impl Corpus {
    fn add(&mut self, target: &'static str, name: &str, data: &[u8]) {
        if data.len() > MAX_SEED {
            return;
        }
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
        *self.counts.entry(target).or_default() += 1;
    }
}

fn demo(name: &str) -> (Vec<u8>, Vec<u8>) {
    let path = format!(
        "{}/assets/demo/{name}.docker.tar.zst",
        env!("CARGO_MANIFEST_DIR")
    );
    let zst = std::fs::read(&path).unwrap();
    let tar = zstd::decode_all(&zst[..]).unwrap();
    (zst, tar)
}

fn members(tar_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(tar_bytes);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if !e.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        out.push((name, data));
    }
    out
}

fn looks_json(b: &[u8]) -> bool {
    matches!(
        b.iter().find(|c| !c.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// The manifests, indexes and configs of an archive, framed for `resolve`.
fn store_seeds(c: &mut Corpus, name: &str, tag: &str, tar_bytes: &[u8]) {
    let docs: Vec<(String, Vec<u8>)> = members(tar_bytes)
        .into_iter()
        .filter(|(n, d)| n != "repositories" && !n.ends_with("/json") && looks_json(d))
        .collect();
    let refs: Vec<(&str, &[u8])> = docs.iter().map(|(n, d)| (&n[..], &d[..])).collect();
    for (verify, platform, sel) in [
        (true, None, None),
        (false, Some("linux/amd64"), None),
        (true, None, Some(tag)),
    ] {
        let seed = fuzzing::encode_store(verify, platform, sel, &refs);
        let tag = format!("{name}-{}", u8::from(verify));
        let tag = match (platform, sel) {
            (Some(_), _) => format!("{tag}-platform"),
            (_, Some(_)) => format!("{tag}-name"),
            _ => tag,
        };
        c.add("resolve", &tag, &seed);
    }
}

/// A multi-platform index: two platforms, one behind a nested index.
fn multi_platform_store() -> Vec<u8> {
    let layers = rich_layers();
    let amd = oci_parts(&layers, Comp::Plain);
    let arm = oci_parts(&layers[..1], Comp::Gzip);
    let desc = |p: &OciParts, arch: &str| {
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": p.manifest_digest,
            "size": p.manifest_size,
            "platform": {"os": "linux", "architecture": arch, "variant": "v8"},
        })
    };
    let nested = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [desc(&arm, "arm64")],
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            desc(&amd, "amd64"),
            {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": sha(&nested),
                "size": nested.len(),
            },
        ],
    }))
    .unwrap();
    let mut docs: Vec<(String, Vec<u8>)> = vec![("index.json".into(), index)];
    docs.push((format!("blobs/sha256/{}", hex(&nested)), nested));
    for p in [&amd, &arm] {
        for (h, d) in &p.blobs {
            if looks_json(d) {
                docs.push((format!("blobs/sha256/{h}"), d.clone()));
            }
        }
    }
    let refs: Vec<(&str, &[u8])> = docs.iter().map(|(n, d)| (&n[..], &d[..])).collect();
    fuzzing::encode_store(true, Some("linux/amd64"), None, &refs)
}

fn captured(image: &Image, path: &[u8]) -> Option<Vec<u8>> {
    image
        .layers
        .iter()
        .rev()
        .find_map(|l| l.captured(path).map(<[u8]>::to_vec))
}

/// dpkg's status and the `.list` of each of its packages, framed for `dpkg`.
fn dpkg_seed(image: &Image, keep: usize) -> Option<Vec<u8>> {
    let status = captured(image, b"var/lib/dpkg/status")?;
    let packages = stagediff::analysis::owners::parse_dpkg_status(&status);
    // The first `keep` stanzas only, so a small seed stays small.
    let stanzas: Vec<&[u8]> = status
        .split(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .split(|l| l.is_empty())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let first = s[0].as_ptr() as usize - status.as_ptr() as usize;
            let last = s[s.len() - 1];
            let end = last.as_ptr() as usize - status.as_ptr() as usize + last.len();
            &status[first..end]
        })
        .take(keep)
        .collect();
    let mut out = stanzas.join(&b"\n\n"[..]);
    out.push(b'\n');
    let kept = stagediff::analysis::owners::parse_dpkg_status(&out);
    for (i, p) in kept.iter().enumerate() {
        let mut name = b"var/lib/dpkg/info/".to_vec();
        name.extend_from_slice(&p.name);
        let plain = [&name[..], b".list"].concat();
        let arch = [&name[..], b":", &p.architecture, b".list"].concat();
        // The target names odd packages' lists NAME:ARCH.list; either is found.
        let list = captured(image, if i % 2 == 1 { &arch } else { &plain })
            .or_else(|| captured(image, &plain))
            .or_else(|| captured(image, &arch))
            .unwrap_or_default();
        out.push(0);
        out.extend_from_slice(&list);
    }
    assert!(packages.len() >= kept.len());
    Some(out)
}

const APK: &[u8] = b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\nI:622592\n\
p:so:libc.musl-x86_64.so.1=1\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\n\
P:busybox\nV:1.36.1-r15\nA:x86_64\nD:so:libc.musl-x86_64.so.1 musl>=1.2 !busybox-extras\n\
F:bin\nR:busybox\nF:usr/bin\nR:wget\nF:../../etc\nR:passwd\n";

const METADATA: &[u8] =
    b"Metadata-Version: 2.1\r\nName: requests\r\nVersion: 2.31.0\r\nSummary: x\r\n\r\nName: body\n";
const RECORD: &[u8] = b"requests/__init__.py,sha256=abc,2207\r\n\
requests-2.31.0.dist-info/RECORD,,\n\
\"odd,name \"\"quoted\"\".py\",sha256=x,1\n\
../../../bin/normalizer,sha256=y,10\n\
/etc/absolute,,\n";
const INSTALLED: &[u8] = b"../markupsafe/__init__.py\r\n\nPKG-INFO\n../../../../bin/tool\n";

fn rpm_fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/rpm/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn rpm_sqlite(root: &str) -> Vec<u8> {
    let gz = rpm_fixture(root);
    let tar = {
        let mut v = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut v)
            .unwrap();
        v
    };
    members(&tar)
        .into_iter()
        .find(|(n, _)| n.ends_with("rpm/rpmdb.sqlite"))
        .map(|(_, d)| d)
        .unwrap()
}

/// A Go < 1.18 build-info header whose pointers aim into the seed itself, the memory the
/// `go_buildinfo` wrapper serves: little-endian 8-byte pointers at 16 and 24 to string
/// headers at 32 and 48, which point at the version (64) and the framed modinfo (80).
fn go_pointer_layout_seed() -> Vec<u8> {
    let version = b"go1.16.15";
    let text = b"path\texample.com/old\nmod\texample.com/old\tv1.0.0\t\ndep\tgolang.org/x/sys\tv0.1.0\th1:abc=\n";
    let modinfo = [&[0x30u8; 16][..], text, &[0xf9u8; 16][..]].concat();
    let mut seed = stagediff::binary::go::MAGIC.to_vec();
    seed.extend([8, 0]);
    for v in [
        32u64,
        48,
        64,
        version.len() as u64,
        80,
        modinfo.len() as u64,
    ] {
        seed.extend(v.to_le_bytes());
    }
    seed.resize(64, 0);
    seed.extend(version);
    seed.resize(80, 0);
    seed.extend(modinfo);
    seed
}

#[test]
#[ignore = "writes fuzz/corpus; run by scripts/fuzz.sh"]
fn write_fuzz_seeds() {
    let root = std::env::var_os("FUZZ_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus"));
    let mut c = Corpus {
        root,
        counts: BTreeMap::new(),
    };

    // 1 + 2 + 3: archives in every layout and compression, their documents,
    // their layers.
    let layers = rich_layers();
    let legacy = docker_legacy(&layers, "app:1");
    c.add("archive", "docker-legacy", &legacy);
    c.add(
        "archive",
        "docker-legacy-gzip",
        &compress(&legacy, Comp::Gzip),
    );
    c.add(
        "archive",
        "docker-legacy-zstd",
        &compress(&legacy, Comp::Zstd),
    );
    store_seeds(&mut c, "docker-legacy", "app:1", &legacy);
    for comp in ALL_COMP {
        let tag = format!("{comp:?}").to_lowercase();
        let docker = docker_oci(&layers, "app:1", comp);
        let oci = oci_archive(&layers, "app:1", comp);
        c.add("archive", &format!("docker-oci-{tag}"), &docker);
        c.add("archive", &format!("oci-archive-{tag}"), &oci);
        store_seeds(&mut c, &format!("docker-oci-{tag}"), "app:1", &docker);
        store_seeds(&mut c, &format!("oci-archive-{tag}"), "app:1", &oci);
        for (i, l) in layers.iter().enumerate() {
            c.add("layer", &format!("rich{i}-{tag}"), &compress(l, comp));
        }
    }
    c.add("resolve", "multi-platform", &multi_platform_store());
    for (name, image) in [("multi", demo("multi")), ("single", demo("single"))] {
        let (zst, tar) = image;
        c.add("archive", &format!("demo-{name}-zstd"), &zst);
        c.add("archive", &format!("demo-{name}"), &tar);
        let tag = format!("stagediff-demo/inistat:{name}");
        store_seeds(&mut c, &format!("demo-{name}"), &tag, &tar);
        for (member, data) in members(&tar) {
            if member.ends_with("layer.tar") {
                let id = &member[..12.min(member.len())];
                c.add("layer", &format!("demo-{name}-{id}"), &data);
                c.add(
                    "layer",
                    &format!("demo-{name}-{id}-zstd"),
                    &compress(&data, Comp::Zstd),
                );
            }
        }
    }

    // 4: the squash, from the entries of real layers.
    let parsed: Vec<_> = layers
        .iter()
        .map(|l| {
            parse_layer(&l[..], "seed", None, BlobOptions::default())
                .unwrap()
                .entries
                .to_vec()
        })
        .collect();
    c.add("squash", "rich", &fuzzing::encode_layers(&parsed));
    for i in 0..parsed.len() {
        c.add(
            "squash",
            &format!("rich{i}"),
            &fuzzing::encode_layers(&parsed[i..=i]),
        );
    }
    let single = load(
        &format!(
            "docker-archive:{}/assets/demo/single.docker.tar.zst",
            env!("CARGO_MANIFEST_DIR")
        ),
        &LoadOptions::default(),
        &LoadProgress::default(),
    )
    .unwrap();
    // A few hundred entries a layer: a big seed slows every execution the
    // fuzzer derives from it, and the tree rules show on small trees.
    let demo_entries: Vec<_> = single
        .layers
        .iter()
        .map(|l| l.entries.iter().take(300).map(|e| e.to_entry()).collect())
        .collect();
    c.add(
        "squash",
        "demo-single",
        &fuzzing::encode_layers(&demo_entries),
    );

    // 5: package databases.
    for keep in [1, 4, usize::MAX] {
        let seed = dpkg_seed(&single, keep).unwrap();
        c.add("dpkg", &format!("demo-single-{}", keep.min(999)), &seed);
    }
    c.add("apk", "two-packages", APK);
    c.add(
        "python",
        "dist-and-egg",
        &[METADATA, b"\0", RECORD, b"\0", INSTALLED].concat(),
    );

    // 6: rpm, as the real rpm wrote them.
    for f in ["before-Packages-4k.bdb", "before-Packages-16k.bdb"] {
        let bdb = rpm_fixture(f);
        let mut n = 0;
        stagediff::analysis::bdb::for_each_pair(&bdb, |k, v| {
            if k != [0, 0, 0, 0] && n < 8 {
                n += 1;
                c.add("rpm_header", &format!("{f}-{n}"), v);
            }
        })
        .unwrap();
        c.add("rpm_bdb", f, &bdb);
    }
    for f in ["before-root.tar.gz", "after-root.tar.gz"] {
        c.add("rpm_sqlite", f, &rpm_sqlite(f));
    }

    // 7: build info in binaries, as real toolchains wrote it.
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/binaries");
    for e in std::fs::read_dir(bin.join("go")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "buildinfo") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            c.add("go_buildinfo", &name, &std::fs::read(&path).unwrap());
        }
    }
    c.add("go_buildinfo", "pointer-layout", &go_pointer_layout_seed());
    // 8: ELF files as the system's toolchain links them (the closure
    // target reads them, then follows their needs inside a made-up image).
    for host in ["/bin/true", "/bin/ls", "/lib64/ld-linux-x86-64.so.2"] {
        if let Ok(data) = std::fs::read(host) {
            let name = host.rsplit('/').next().unwrap_or(host).to_string();
            c.add("elf", &name, &data);
        }
    }
    c.add(
        "rust_dep_v0",
        "tinydep",
        &std::fs::read(bin.join("rust/tinydep.dep-v0")).unwrap(),
    );

    // Every seed goes through its target; the well-formed ones must parse.
    for (target, &n) in &c.counts {
        assert!(n > 0, "{target}: no seeds");
        for e in std::fs::read_dir(c.root.join(target)).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("seed-") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let ok = match *target {
                "archive" => fuzzing::archive(&data, true).map(|_| ()),
                "resolve" => fuzzing::resolve(&data).map(|_| ()),
                "layer" => fuzzing::layer(&data, true).map(|_| ()),
                "squash" => (fuzzing::squash(&data) > 0).then_some(()).ok_or_default(),
                "dpkg" => (fuzzing::dpkg(&data) > 0).then_some(()).ok_or_default(),
                "apk" => (fuzzing::apk(&data) > 0).then_some(()).ok_or_default(),
                "python" => (fuzzing::python(&data) > 0).then_some(()).ok_or_default(),
                "rpm_header" => fuzzing::rpm_header(&data).map(|_| ()),
                "rpm_sqlite" => fuzzing::rpm_sqlite(&data).map(|_| ()),
                "rpm_bdb" => fuzzing::rpm_bdb(&data).map(|_| ()),
                "go_buildinfo" => fuzzing::go_buildinfo(&data).map(|_| ()),
                "elf" => (fuzzing::elf(&data) > 0).then_some(()).ok_or_default(),
                "rust_dep_v0" => fuzzing::rust_dep_v0(&data).map(|_| ()),
                other => panic!("seeds for an unknown target {other}"),
            };
            if let Err(e) = ok {
                panic!("{target}/{name} does not parse: {e}");
            }
        }
    }
    for (target, n) in &c.counts {
        eprintln!("{target}: {n} seeds");
    }
}

trait OkOrDefault {
    fn ok_or_default(self) -> Result<(), String>;
}

impl OkOrDefault for Option<()> {
    fn ok_or_default(self) -> Result<(), String> {
        self.ok_or_else(|| "nothing parsed".to_string())
    }
}
