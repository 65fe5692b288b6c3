//! cargo-auditable's `.dep-v0` section: the crates a Rust binary was built from.
//!
//! `cargo auditable build` embeds zlib-compressed JSON:
//!
//! ```json
//! {"packages":[{"name":"itoa","version":"1.0.11","source":"crates.io"},
//!              {"name":"app","version":"0.1.0","source":"local","dependencies":[0],"root":true}],
//!  "format":1}
//! ```
//!
//! `name`, `version` and `source` are required; `kind` ("build" or "runtime") defaults to
//! runtime, `dependencies` (indices into `packages`) to none, `root` to false. Like the
//! format's own reader (auditable-serde) this refuses dependency indices out of range, more
//! than one root and cycles. The section comes from an image: decompression stops at
//! [`MAX_JSON`] bytes, so a zip bomb fails fast instead of filling memory.

use serde::{Deserialize, Serialize};
use std::io::Read;

/// Most JSON bytes a `.dep-v0` section may decompress to. Real ones are a few KB (about 60
/// bytes a crate); 8 MiB is over 100 000 crates.
pub const MAX_JSON: usize = 8 << 20;

/// One crate of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RustPackage {
    pub name: String,
    pub version: String,
    /// "crates.io", "local", "git", "registry", or another source kind as recorded.
    pub source: String,
    /// "build" (only needed to build, e.g. a build script's dependency) or "runtime".
    pub kind: String,
    /// The crate being built (at most one).
    pub root: bool,
    /// Indices into the returned list, each checked to be in range.
    pub dependencies: Vec<usize>,
}

#[derive(Deserialize)]
struct RawVersionInfo {
    packages: Vec<RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    source: RawSource,
    #[serde(default)]
    kind: RawKind,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// The source is a string today ("crates.io", "git", "local", "registry", or anything else
/// for sources yet to come); the format reserves an object form (`{"kind": …}` with details)
/// for richer variants, read here for its kind.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawSource {
    Label(String),
    Detailed { kind: String },
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawKind {
    Build,
    #[default]
    Runtime,
}

/// `section`: the raw (zlib-compressed JSON) bytes of the `.dep-v0` section. Decompressed
/// with a hard output limit ([`MAX_JSON`]) and parsed.
pub fn parse_dep_v0(section: &[u8]) -> Result<Vec<RustPackage>, String> {
    let json = inflate(section)?;
    let raw: RawVersionInfo = serde_json::from_slice(&json)
        .map_err(|e| format!("cargo-auditable data is not valid JSON of its format: {e}"))?;
    let packages: Vec<RustPackage> = raw
        .packages
        .into_iter()
        .map(|p| RustPackage {
            name: p.name,
            version: p.version,
            source: match p.source {
                RawSource::Label(s) | RawSource::Detailed { kind: s } => s,
            },
            kind: match p.kind {
                RawKind::Build => "build",
                RawKind::Runtime => "runtime",
            }
            .to_string(),
            root: p.root,
            dependencies: p.dependencies,
        })
        .collect();
    validate(&packages)?;
    Ok(packages)
}

/// zlib-decompresses at most [`MAX_JSON`] bytes; more is an error.
fn inflate(section: &[u8]) -> Result<Vec<u8>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(section)
        .take(MAX_JSON as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cargo-auditable data does not decompress (zlib): {e}"))?;
    if json.len() > MAX_JSON {
        return Err(format!(
            "cargo-auditable data decompresses to more than {MAX_JSON} bytes"
        ));
    }
    Ok(json)
}

fn validate(packages: &[RustPackage]) -> Result<(), String> {
    let n = packages.len();
    for (i, p) in packages.iter().enumerate() {
        if let Some(&d) = p.dependencies.iter().find(|&&d| d >= n) {
            return Err(format!(
                "cargo-auditable package {i} depends on package {d}, but there are {n}"
            ));
        }
    }
    if packages.iter().filter(|p| p.root).count() > 1 {
        return Err("cargo-auditable data names more than one root package".to_string());
    }
    // Kahn's algorithm: a graph whose nodes can't all be peeled leaf-first has a cycle.
    let mut dependents_left: Vec<usize> = packages.iter().map(|p| p.dependencies.len()).collect();
    let mut depended_on_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, p) in packages.iter().enumerate() {
        for &d in &p.dependencies {
            depended_on_by[d].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| dependents_left[i] == 0).collect();
    let mut peeled = 0;
    while let Some(i) = ready.pop() {
        peeled += 1;
        for &parent in &depended_on_by[i] {
            dependents_left[parent] -= 1;
            if dependents_left[parent] == 0 {
                ready.push(parent);
            }
        }
    }
    if peeled < n {
        return Err("cargo-auditable data has a dependency cycle".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::ZlibEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn zlib(json: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(json).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn defaults_and_every_field() {
        let json = br#"{"packages":[
            {"name":"autocfg","version":"1.4.0","source":"crates.io","kind":"build"},
            {"name":"itoa","version":"1.0.11","source":"registry"},
            {"name":"fork","version":"0.1.0","source":{"kind":"git","commit":"abc"}},
            {"name":"app","version":"0.3.1","source":"local","dependencies":[0,1,2],"root":true}
        ],"format":1,"future":"ignored"}"#;
        let p = parse_dep_v0(&zlib(json)).unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[0].kind, "build");
        assert_eq!(
            (p[1].kind.as_str(), p[1].source.as_str()),
            ("runtime", "registry")
        );
        assert_eq!(p[2].source, "git");
        assert!(!p[0].root && p[0].dependencies.is_empty());
        assert_eq!(
            p[3],
            RustPackage {
                name: "app".into(),
                version: "0.3.1".into(),
                source: "local".into(),
                kind: "runtime".into(),
                root: true,
                dependencies: vec![0, 1, 2],
            }
        );
    }

    #[test]
    fn refuses_bad_structure() {
        for (json, want) in [
            (&br#"{"packages":[{"name":"a","version":"1","source":"local","dependencies":[1]}]}"#[..], "depends on package 1"),
            (br#"{"packages":[{"name":"a","version":"1","source":"local","root":true},{"name":"b","version":"1","source":"local","root":true}]}"#, "more than one root"),
            (br#"{"packages":[{"name":"a","version":"1","source":"local","dependencies":[1]},{"name":"b","version":"1","source":"local","dependencies":[0]}]}"#, "cycle"),
            (br#"{"packages":[{"name":"a","version":"1","source":"local","dependencies":[0]}]}"#, "cycle"),
            (br#"{"packages":[{"name":"a","version":"1"}]}"#, "missing field `source`"),
            (br#"{"packages":[{"name":"a","version":"1","source":"local","kind":"dev"}]}"#, "unknown variant"),
            (br#"{"packages":[{"name":"a","version":"1","source":"local","dependencies":[-1]}]}"#, "JSON"),
            (br#"{}"#, "missing field `packages`"),
            (b"\xff\xfe", "JSON"),
        ] {
            let e = parse_dep_v0(&zlib(json)).unwrap_err();
            assert!(e.contains(want), "{}: {e}", String::from_utf8_lossy(json));
        }
        // A diamond is not a cycle.
        let json = br#"{"packages":[{"name":"d","version":"1","source":"local"},{"name":"b","version":"1","source":"local","dependencies":[0]},{"name":"c","version":"1","source":"local","dependencies":[0]},{"name":"a","version":"1","source":"local","dependencies":[1,2,0],"root":true}]}"#;
        assert_eq!(parse_dep_v0(&zlib(json)).unwrap().len(), 4);
        assert_eq!(parse_dep_v0(&zlib(br#"{"packages":[]}"#)).unwrap(), vec![]);
    }

    #[test]
    fn refuses_what_is_not_zlib() {
        assert!(parse_dep_v0(b"").unwrap_err().contains("zlib"));
        assert!(parse_dep_v0(b"{\"packages\":[]}")
            .unwrap_err()
            .contains("zlib"));
        let z = zlib(br#"{"packages":[]}"#);
        // Every truncation fails cleanly.
        for n in 0..z.len() {
            assert!(parse_dep_v0(&z[..n]).is_err(), "{n}");
        }
        // A corrupted checksum.
        let mut bad = z.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(parse_dep_v0(&bad).is_err());
    }

    #[test]
    fn zip_bomb_fails_fast_at_the_limit() {
        // 64 MiB of spaces (valid JSON whitespace) in a few dozen KB of zlib.
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..64 {
            e.write_all(&chunk).unwrap();
        }
        let bomb = e.finish().unwrap();
        assert!(bomb.len() < 2 << 20);
        let t = std::time::Instant::now();
        let err = parse_dep_v0(&bomb).unwrap_err();
        assert!(err.contains("more than 8388608 bytes"), "{err}");
        // Inflating 8 MiB takes milliseconds.
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        // Reading stops at the limit: a stream whose checksum (its last bytes) is broken
        // past 8 MiB fails for its size, never reaching the checksum.
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(&vec![b' '; 2 * MAX_JSON]).unwrap();
        let mut broken = e.finish().unwrap();
        let last = broken.len() - 1;
        broken[last] ^= 0xff;
        let err = parse_dep_v0(&broken).unwrap_err();
        assert!(err.contains("more than"), "{err}");
        // Exactly at the limit is still read.
        let json = [&br#"{"packages":[]}"#[..], &vec![b' '; MAX_JSON - 15]].concat();
        assert_eq!(json.len(), MAX_JSON);
        assert_eq!(parse_dep_v0(&zlib(&json)).unwrap(), vec![]);
    }
}
