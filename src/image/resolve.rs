//! From an archive's or layout's manifests to the ordered list of layer blobs
//! and the config: docker's `manifest.json` (legacy and Docker ≥ 25) and OCI
//! `index.json` with nested indexes and platform selection. Layer order
//! always comes from the manifest.

use crate::error::ErrorKind;
use crate::image::blob::Algorithms;
use crate::image::digest::{self, Algorithm};
use crate::image::{
    pair_history, HistoryEntry, Image, Layer, ParsedLayer, RuntimeConfig, SourceKind,
};
use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;

/// Largest JSON document we accept (manifests, configs, indexes).
pub(crate) const MAX_JSON: u64 = 16 << 20;

/// Reads a manifest, index or config of `len` bytes, refusing oversized ones
/// (a hostile archive could name a multi-gigabyte "config").
pub(crate) fn read_document(r: impl Read, len: u64, member: &str) -> Result<Vec<u8>, ErrorKind> {
    if len > MAX_JSON {
        return Err(ErrorKind::Invalid(format!(
            "{member} is {len} bytes, too large for a manifest or config"
        )));
    }
    let mut buf = Vec::with_capacity(len as usize);
    r.take(MAX_JSON)
        .read_to_end(&mut buf)
        .map_err(|source| ErrorKind::Io {
            what: member.to_string(),
            source,
        })?;
    Ok(buf)
}

/// Where small documents come from.
pub(crate) trait Store {
    /// The bytes of a member (archive path or layout-relative path), or None
    /// when it is not there.
    fn read_small(&self, member: &str) -> Result<Option<Vec<u8>>, ErrorKind>;
}

/// One layer to read, as the manifest lists it.
#[derive(Clone, Debug)]
pub(crate) struct LayerPlan {
    /// Path of the blob inside the archive or layout.
    pub member: String,
    pub digest: Option<String>,
    pub media_type: Option<String>,
    pub size: Option<u64>,
    /// What to digest the blob with: the algorithms of its digest and of
    /// its diff_id.
    pub algs: Algorithms,
}

#[derive(Debug)]
pub(crate) struct Plan {
    pub config: ImageConfiguration,
    /// Runtime settings the OCI config type leaves out (Docker's
    /// `Healthcheck`, `Shell`), as the config holds them.
    pub config_extra: BTreeMap<String, serde_json::Value>,
    /// The config's digest, when the format names it (then it was checked
    /// while verifying).
    pub config_digest: Option<String>,
    pub manifest_digest: Option<String>,
    pub repo_tags: Vec<String>,
    pub layers: Vec<LayerPlan>,
}

/// Which image and platform the user asked for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selector<'a> {
    pub name: Option<&'a str>,
    pub platform: Option<&'a str>,
    pub verify: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestItem {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// Plans from docker's `manifest.json` when present, else from `index.json`.
pub(crate) fn plan(store: &dyn Store, sel: &Selector<'_>) -> Result<Plan, ErrorKind> {
    let plan = if let Some(bytes) = store.read_small("manifest.json")? {
        plan_docker(store, &bytes, sel)?
    } else if let Some(bytes) = store.read_small("index.json")? {
        plan_oci(store, &bytes, sel)?
    } else {
        return Err(ErrorKind::NotAnArchive(
            "neither manifest.json nor index.json found".into(),
        ));
    };
    // A manifest naming one small blob a million times would otherwise
    // make a million layers of it: time and memory not bounded by the input.
    if plan.layers.len() > MAX_LAYERS {
        return Err(ErrorKind::Invalid(format!(
            "the manifest lists {} layers; stagediff reads at most {MAX_LAYERS}",
            plan.layers.len()
        )));
    }
    Ok(plan)
}

/// Most layers an image may have. Docker's overlay2 stops at 128; OCI sets
/// no limit, but an image of thousands of layers is not one anybody builds.
pub(crate) const MAX_LAYERS: usize = 1000;

/// The digest a blob path names, `blobs/ALG/HEX` → `ALG:HEX`, for the
/// algorithms stagediff verifies.
fn digest_from_member(member: &str) -> Option<String> {
    let (alg, hex) = member.strip_prefix("blobs/")?.split_once('/')?;
    let digest = format!("{alg}:{hex}");
    Algorithm::of(&digest).is_ok().then_some(digest)
}

/// Does a docker-style tag name the selector? `app` means `app:latest`, and
/// `docker.io/library/` prefixes are optional on either side.
pub(crate) fn tag_matches(tag: &str, wanted: &str) -> bool {
    fn canon(s: &str) -> String {
        let s = s
            .strip_prefix("docker.io/")
            .unwrap_or(s)
            .strip_prefix("library/")
            .unwrap_or(s.strip_prefix("docker.io/").unwrap_or(s));
        let last = s.rsplit('/').next().unwrap_or(s);
        if last.contains(':') || last.contains('@') {
            s.to_string()
        } else {
            format!("{s}:latest")
        }
    }
    tag == wanted || canon(tag) == canon(wanted)
}

fn plan_docker(store: &dyn Store, bytes: &[u8], sel: &Selector<'_>) -> Result<Plan, ErrorKind> {
    let items: Vec<DockerManifestItem> =
        serde_json::from_slice(bytes).map_err(|e| ErrorKind::InvalidJson {
            what: "manifest.json".into(),
            detail: crate::error::detail(e),
        })?;
    let chosen = match sel.name {
        Some(want) => items
            .iter()
            .find(|i| i.repo_tags.iter().flatten().any(|t| tag_matches(t, want)))
            .ok_or_else(|| ErrorKind::NoSuchImage(want.to_string()))?,
        None => match items.len() {
            0 => return Err(ErrorKind::Invalid("manifest.json lists no image".into())),
            1 => &items[0],
            n => {
                return Err(ErrorKind::Ambiguous {
                    count: n,
                    list: items
                        .iter()
                        .map(|i| match i.repo_tags.as_deref() {
                            Some([first, ..]) => first.clone(),
                            _ => i.config.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        },
    };
    let config_member = normalize_member(&chosen.config);
    let config_bytes = store
        .read_small(&config_member)?
        .ok_or_else(|| ErrorKind::MissingBlob {
            what: "config".into(),
            digest: config_member.clone(),
        })?;
    let config_digest = digest_from_member(&config_member).or_else(|| {
        // Legacy archives name the config `<hex>.json`.
        let hex = config_member.strip_suffix(".json")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| format!("sha256:{hex}"))
    });
    if let Some(d) = &config_digest {
        digest::check(
            &format!("config {config_member}"),
            &config_bytes,
            d,
            sel.verify,
        )?;
    }
    let config = parse_config(&config_bytes, &config_member)?;
    let config_extra = config_extra(&config_bytes);
    let mut layers = chosen
        .layers
        .iter()
        .map(|l| {
            let member = normalize_member(l);
            LayerPlan {
                digest: digest_from_member(&member),
                algs: Algorithms::of_member(&member),
                member,
                media_type: None,
                size: None,
            }
        })
        .collect::<Vec<_>>();
    diff_id_algorithms(&mut layers, &config);
    Ok(Plan {
        config,
        config_extra,
        config_digest,
        manifest_digest: None,
        repo_tags: chosen.repo_tags.clone().unwrap_or_default(),
        layers,
    })
}

/// Each layer's diff_id is digested in the algorithm the config names it
/// with (a malformed one is refused when the digests are compared).
fn diff_id_algorithms(layers: &mut [LayerPlan], config: &ImageConfiguration) {
    for (lp, id) in layers.iter_mut().zip(config.rootfs().diff_ids()) {
        lp.algs.diff_id = Algorithm::of(id).unwrap_or_default();
    }
}

fn parse_config(bytes: &[u8], what: &str) -> Result<ImageConfiguration, ErrorKind> {
    serde_json::from_slice(bytes).map_err(|e| ErrorKind::InvalidJson {
        what: format!("config {what}"),
        detail: crate::error::detail(e),
    })
}

/// The runtime keys of `config` the OCI type does not read: Docker's
/// `Healthcheck` and `Shell` (what an export must carry across as they are).
fn config_extra(bytes: &[u8]) -> BTreeMap<String, serde_json::Value> {
    #[derive(serde::Deserialize)]
    struct Outer {
        config: Option<BTreeMap<String, serde_json::Value>>,
    }
    let Ok(Outer { config: Some(c) }) = serde_json::from_slice::<Outer>(bytes) else {
        return BTreeMap::new();
    };
    c.into_iter()
        .filter(|(k, v)| matches!(k.as_str(), "Healthcheck" | "Shell") && !v.is_null())
        .collect()
}

pub(crate) fn normalize_member(m: &str) -> String {
    let n = crate::image::entry::normalize_path(m.as_bytes());
    String::from_utf8_lossy(&n).into_owned()
}

/// Layout-relative path of a blob, refusing digests that could escape.
pub(crate) fn blob_member(digest: &str) -> Result<String, ErrorKind> {
    let (alg, enc) = digest
        .split_once(':')
        .ok_or_else(|| ErrorKind::Invalid(format!("malformed digest {digest:?}")))?;
    let alg_ok = !alg.is_empty()
        && alg
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let enc_ok = !enc.is_empty()
        && enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b));
    if !alg_ok || !enc_ok {
        return Err(ErrorKind::Invalid(format!(
            "malformed digest {}",
            crate::escape::escape_str(digest)
        )));
    }
    Ok(format!("blobs/{alg}/{enc}"))
}

fn annotation<'a>(d: &'a Descriptor, key: &str) -> Option<&'a str> {
    d.annotations().as_ref()?.get(key).map(|s| s.as_str())
}

fn descriptor_names(d: &Descriptor) -> Vec<String> {
    [
        "io.containerd.image.name",
        "org.opencontainers.image.ref.name",
    ]
    .iter()
    .filter_map(|k| annotation(d, k).map(str::to_string))
    .collect()
}

fn descriptor_matches(d: &Descriptor, want: &str) -> bool {
    if let Some(full) = annotation(d, "io.containerd.image.name") {
        if tag_matches(full, want) {
            return true;
        }
    }
    if let Some(r) = annotation(d, "org.opencontainers.image.ref.name") {
        // `ref.name` is often just the tag; it may also be a full reference.
        if r == want || tag_matches(r, want) {
            return true;
        }
    }
    false
}

fn platform_of(d: &Descriptor) -> Option<String> {
    let p = d.platform().as_ref()?;
    Some(match p.variant() {
        Some(v) => format!("{}/{}/{}", p.os(), p.architecture(), v),
        None => format!("{}/{}", p.os(), p.architecture()),
    })
}

fn platform_matches(have: &str, wanted: &str) -> bool {
    if have == wanted {
        return true;
    }
    // `linux/arm64` matches `linux/arm64/v8`.
    have.starts_with(wanted) && have.as_bytes().get(wanted.len()) == Some(&b'/')
}

fn read_blob(
    store: &dyn Store,
    d: &Descriptor,
    what: &str,
    verify: bool,
) -> Result<Vec<u8>, ErrorKind> {
    let digest = d.digest().to_string();
    let member = blob_member(&digest)?;
    let bytes = store
        .read_small(&member)?
        .ok_or_else(|| ErrorKind::MissingBlob {
            what: what.to_string(),
            digest: digest.clone(),
        })?;
    digest::check(what, &bytes, &digest, verify)?;
    Ok(bytes)
}

fn plan_oci(store: &dyn Store, index_bytes: &[u8], sel: &Selector<'_>) -> Result<Plan, ErrorKind> {
    let index: ImageIndex =
        serde_json::from_slice(index_bytes).map_err(|e| ErrorKind::InvalidJson {
            what: "index.json".into(),
            detail: crate::error::detail(e),
        })?;
    let mut candidates: Vec<&Descriptor> = index.manifests().iter().collect();
    if let Some(want) = sel.name {
        candidates.retain(|d| descriptor_matches(d, want));
        if candidates.is_empty() {
            return Err(ErrorKind::NoSuchImage(want.to_string()));
        }
    }
    let mut repo_tags: Vec<String> = Vec::new();
    // Several descriptors of one name are one image on several platforms.
    let named: Vec<String> = candidates
        .iter()
        .filter_map(|d| descriptor_names(d).into_iter().next())
        .collect();
    let distinct: std::collections::BTreeSet<&String> = named.iter().collect();
    if distinct.len() > 1 {
        return Err(ErrorKind::Ambiguous {
            count: distinct.len(),
            list: distinct.into_iter().cloned().collect::<Vec<_>>().join(", "),
        });
    }
    if let Some(d) = candidates.first() {
        repo_tags = descriptor_names(d).into_iter().take(1).collect();
    }
    let wanted_platform = sel.platform.unwrap_or("linux/amd64");
    let owned: Vec<Descriptor> = candidates.into_iter().cloned().collect();
    plan_from_descriptors(store, owned, wanted_platform, sel, repo_tags, 0)
}

fn plan_from_descriptors(
    store: &dyn Store,
    descriptors: Vec<Descriptor>,
    wanted_platform: &str,
    sel: &Selector<'_>,
    repo_tags: Vec<String>,
    depth: usize,
) -> Result<Plan, ErrorKind> {
    if depth > 8 {
        return Err(ErrorKind::Invalid("image indexes nested too deeply".into()));
    }
    let refs: Vec<&Descriptor> = descriptors.iter().collect();
    let chosen = pick_platform(&refs, wanted_platform, sel.platform.is_some())?;
    let digest = chosen.digest().to_string();
    let bytes = read_blob(store, chosen, &format!("manifest {digest}"), sel.verify)?;
    let is_index = match chosen.media_type() {
        MediaType::ImageIndex => true,
        MediaType::Other(s) => s.contains("manifest.list"),
        _ => false,
    };
    if is_index {
        let nested: ImageIndex =
            serde_json::from_slice(&bytes).map_err(|e| ErrorKind::InvalidJson {
                what: format!("index {digest}"),
                detail: crate::error::detail(e),
            })?;
        return plan_from_descriptors(
            store,
            nested.manifests().clone(),
            wanted_platform,
            sel,
            repo_tags,
            depth + 1,
        );
    }
    plan_manifest(store, &bytes, Some(digest), sel, repo_tags)
}

fn pick_platform<'a>(
    candidates: &[&'a Descriptor],
    wanted: &str,
    explicit: bool,
) -> Result<&'a Descriptor, ErrorKind> {
    let usable: Vec<&'a Descriptor> = candidates
        .iter()
        .copied()
        // Attestation manifests carry platform unknown/unknown.
        .filter(|d| platform_of(d).as_deref() != Some("unknown/unknown"))
        .collect();
    match usable.as_slice() {
        [] => Err(ErrorKind::Invalid("the index lists no manifest".into())),
        [only] if !explicit || platform_of(only).is_none_or(|p| platform_matches(&p, wanted)) => {
            Ok(only)
        }
        many => many
            .iter()
            .copied()
            .find(|d| platform_of(d).is_some_and(|p| platform_matches(&p, wanted)))
            .ok_or_else(|| ErrorKind::NoPlatform {
                wanted: wanted.to_string(),
                available: many
                    .iter()
                    .map(|d| platform_of(d).unwrap_or_else(|| "unspecified".into()))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
    }
}

fn plan_manifest(
    store: &dyn Store,
    bytes: &[u8],
    manifest_digest: Option<String>,
    sel: &Selector<'_>,
    repo_tags: Vec<String>,
) -> Result<Plan, ErrorKind> {
    let what = manifest_digest.as_deref().unwrap_or("manifest").to_string();
    let manifest: ImageManifest =
        serde_json::from_slice(bytes).map_err(|e| ErrorKind::InvalidJson {
            what: format!("manifest {what}"),
            detail: crate::error::detail(e),
        })?;
    let config_desc = manifest.config();
    let config_digest = config_desc.digest().to_string();
    let config_bytes = read_blob(
        store,
        config_desc,
        &format!("config {config_digest}"),
        sel.verify,
    )?;
    let config = parse_config(&config_bytes, &config_digest)?;
    let config_extra = config_extra(&config_bytes);
    let mut layers = manifest
        .layers()
        .iter()
        .map(|d| {
            let digest = d.digest().to_string();
            let member = blob_member(&digest)?;
            Ok(LayerPlan {
                algs: Algorithms::of_member(&member),
                member,
                digest: Some(digest),
                media_type: Some(d.media_type().to_string()),
                size: Some(d.size()),
            })
        })
        .collect::<Result<Vec<_>, ErrorKind>>()?;
    diff_id_algorithms(&mut layers, &config);
    Ok(Plan {
        config,
        config_extra,
        config_digest: Some(config_digest),
        manifest_digest,
        repo_tags,
        layers,
    })
}

fn short(d: &str) -> &str {
    let hex = d.strip_prefix("sha256:").unwrap_or(d);
    &hex[..hex.len().min(12)]
}

/// Checks a parsed layer blob against what the manifest and the config say
/// of layer `i`: its blob digest, its diff_id (when verifying) and its size.
pub(crate) fn check_layer(
    i: usize,
    lp: &LayerPlan,
    expected_diff_id: &str,
    pl: &ParsedLayer,
    verify: bool,
) -> Result<(), ErrorKind> {
    let what = format!(
        "layer {} ({})",
        i + 1,
        short(lp.digest.as_deref().unwrap_or(expected_diff_id))
    );
    if verify {
        if let Some(want) = &lp.digest {
            digest::compare(&format!("{what} blob"), want, pl.raw_digest.as_deref())?;
        }
        digest::compare(
            &format!("{what} diff_id"),
            expected_diff_id,
            pl.diff_id.as_deref(),
        )?;
    }
    if let Some(want) = lp.size {
        if want != pl.raw_size {
            return Err(ErrorKind::Invalid(format!(
                "{what}: manifest says {want} bytes, the blob has {}",
                pl.raw_size
            )));
        }
    }
    Ok(())
}

/// Assembles the image from its plan and the parsed layers (in plan order),
/// checking every digest the format gives.
pub(crate) fn build_image(
    reference: &str,
    source: SourceKind,
    plan: Plan,
    parsed: Vec<ParsedLayer>,
    verify: bool,
) -> Result<Image, ErrorKind> {
    let cfg = &plan.config;
    let config_checked = plan.config_digest.is_some();
    let diff_ids = cfg.rootfs().diff_ids();
    if diff_ids.len() != plan.layers.len() {
        return Err(ErrorKind::Invalid(format!(
            "config lists {} diff_ids but the manifest lists {} layers",
            diff_ids.len(),
            plan.layers.len()
        )));
    }
    let history: Vec<HistoryEntry> = cfg
        .history()
        .iter()
        .flatten()
        .map(|h| HistoryEntry {
            created: h.created().clone(),
            created_by: h.created_by().clone(),
            comment: h.comment().clone(),
            empty_layer: h.empty_layer().unwrap_or(false),
        })
        .collect();
    let paired = pair_history(&history, plan.layers.len());
    let mut layers = Vec::with_capacity(parsed.len());
    for (i, (lp, pl)) in plan.layers.iter().zip(parsed).enumerate() {
        let expected = &diff_ids[i];
        check_layer(i, lp, expected, &pl, verify)?;
        let h = paired[i];
        let entry = h.map(|h| &history[h]);
        layers.push(Layer {
            index: i,
            diff_id: expected.clone(),
            digest: lp.digest.clone(),
            media_type: lp.media_type.clone(),
            compression: pl.compression,
            compressed_size: (pl.compression != crate::image::Compression::None
                || lp.digest.is_some())
            .then_some(pl.raw_size),
            tar_size: pl.tar_size,
            size: pl.size,
            history_index: h,
            created_by: entry.and_then(|e| e.created_by.clone()),
            created: entry.and_then(|e| e.created.clone()),
            entries: pl.entries,
            captured: pl.captured,
            facts: pl.facts,
        });
    }
    crate::image::drop_shadowed_captures(&mut layers);
    let config = cfg
        .config()
        .as_ref()
        .map(|c| RuntimeConfig {
            entrypoint: c.entrypoint().clone().unwrap_or_default(),
            cmd: c.cmd().clone().unwrap_or_default(),
            env: c.env().clone().unwrap_or_default(),
            user: c.user().clone().filter(|u| !u.is_empty()),
            working_dir: c.working_dir().clone().filter(|w| !w.is_empty()),
            labels: c.labels().clone().unwrap_or_default().into_iter().collect(),
            exposed_ports: c.exposed_ports().clone().unwrap_or_default(),
            volumes: c.volumes().clone().unwrap_or_default(),
            stop_signal: c.stop_signal().clone().filter(|s| !s.is_empty()),
            extra: plan.config_extra.clone(),
        })
        .unwrap_or_default();
    Ok(Image {
        reference: reference.to_string(),
        source,
        id: plan.config_digest,
        manifest_digest: plan.manifest_digest,
        repo_tags: plan.repo_tags,
        os: cfg.os().to_string(),
        architecture: cfg.architecture().to_string(),
        variant: cfg.variant().clone(),
        created: cfg.created().clone(),
        config,
        history,
        layers,
        verified: verify && config_checked,
        unverified: if !verify {
            Some("--no-verify")
        } else if !config_checked {
            Some("the config is not named by its digest")
        } else {
            None
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_like_docker() {
        assert!(tag_matches("app:latest", "app"));
        assert!(tag_matches("docker.io/library/app:1", "app:1"));
        assert!(tag_matches(
            "stagediff-test/goapp:single",
            "stagediff-test/goapp:single"
        ));
        assert!(!tag_matches("app:1", "app"));
        assert!(!tag_matches("other:latest", "app"));
    }

    #[test]
    fn blob_members_refuse_escapes() {
        assert_eq!(blob_member("sha256:abcdef").unwrap(), "blobs/sha256/abcdef");
        assert!(blob_member("sha256:../../etc/passwd").is_err());
        assert!(blob_member("../x:abc").is_err());
        assert!(blob_member("nocolon").is_err());
    }

    fn parsed(raw_digest: &str, diff_id: &str, raw_size: u64) -> ParsedLayer {
        ParsedLayer {
            compression: crate::image::Compression::Gzip,
            raw_size,
            raw_digest: Some(raw_digest.into()),
            diff_id: Some(diff_id.into()),
            tar_size: 0,
            size: 0,
            entries: Default::default(),
            captured: Vec::new(),
            facts: Vec::new(),
        }
    }

    #[test]
    fn a_layer_that_does_not_match_is_named_by_its_short_digest() {
        let blob = format!("sha256:0123456789ab{}", "c".repeat(52));
        let id = format!("sha256:fedcba987654{}", "d".repeat(52));
        let other = format!("sha256:{}", "e".repeat(64));
        let lp = LayerPlan {
            member: blob_member(&blob).unwrap(),
            digest: Some(blob.clone()),
            media_type: None,
            size: Some(10),
            algs: Algorithms::default(),
        };
        assert!(check_layer(1, &lp, &id, &parsed(&blob, &id, 10), true).is_ok());
        let e = check_layer(1, &lp, &id, &parsed(&other, &id, 10), true).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("layer 2 (0123456789ab) blob: digest mismatch"),
            "{e}"
        );
        let e = check_layer(1, &lp, &id, &parsed(&blob, &other, 10), true).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("layer 2 (0123456789ab) diff_id: digest mismatch"),
            "{e}"
        );
        // Without a blob digest (docker's legacy archives) the diff_id names it.
        let legacy = LayerPlan {
            digest: None,
            ..lp.clone()
        };
        let e = check_layer(0, &legacy, &id, &parsed(&blob, &id, 11), false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "layer 1 (fedcba987654): manifest says 10 bytes, the blob has 11"
        );
        assert_eq!(short("sha256:abc"), "abc");
    }
}

#[cfg(test)]
mod selection_tests;
