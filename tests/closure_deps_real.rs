//! The Python and Node runtime closures on the real images built by a real
//! dockerd (scripts/build-test-images.sh): the named distributions are
//! `pip list` minus the installers, the named modules `npm ls --omit=dev`,
//! both read from the truth files the build wrote.
//!
//! Ignored by plain `cargo test`; the e2e script runs them with
//! `STAGEDIFF_FIXTURES=fixtures-cache cargo test --test closure_deps_real -- --include-ignored`.

mod common;

use common::fixtures;
use stagediff::analysis::closure::{closure, AppKind, Closure};
use stagediff::pipeline::Analysed;
use stagediff::source::{load, LoadOptions, LoadProgress};
use std::collections::BTreeSet;
use std::path::Path;

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn analysed(dir: &Path, image: &str) -> (Analysed, Closure) {
    let path = dir.join(format!("{image}.docker.tar"));
    let img = load(
        path.to_str().expect("utf-8 path"),
        &LoadOptions::default(),
        &LoadProgress::default(),
    )
    .unwrap_or_else(|e| panic!("loading {image}: {e}"));
    let a = stagediff::pipeline::analyse(img);
    let t0 = std::time::Instant::now();
    let c = closure(&a.image, &a.tree);
    eprintln!(
        "{image}: closure computed in {:?} over {} tree nodes",
        t0.elapsed(),
        a.tree.iter().count()
    );
    (a, c)
}

fn named(c: &Closure, eco: &str) -> BTreeSet<(String, String)> {
    c.packages
        .iter()
        .filter(|p| p.0 == eco)
        .map(|p| (p.1.clone(), p.2.clone()))
        .collect()
}

/// `pip list --format=freeze` as the build wrote it, minus the installers.
fn pip_truth(dir: &Path, image: &str) -> BTreeSet<(String, String)> {
    let truth: BTreeSet<(String, String)> = read(dir, &format!("{image}.pip"))
        .lines()
        .filter_map(|l| l.trim().split_once("=="))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .filter(|(n, _)| {
            !matches!(
                n.to_ascii_lowercase().as_str(),
                "pip" | "setuptools" | "wheel"
            )
        })
        .collect();
    assert!(truth.len() >= 3, "{image}.pip names too few distributions");
    truth
}

/// Every (name, version) of `npm ls --omit=dev --json`, nested ones too.
fn npm_truth(dir: &Path, file: &str) -> BTreeSet<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&read(dir, file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut out = BTreeSet::new();
    let mut stack = vec![&v];
    while let Some(node) = stack.pop() {
        if let Some(deps) = node.get("dependencies").and_then(|d| d.as_object()) {
            for (name, d) in deps {
                let version = d
                    .get("version")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                out.insert((name.clone(), version.to_string()));
                stack.push(d);
            }
        }
    }
    assert!(out.len() >= 3, "{file} names too few modules");
    out
}

/// The closure's bytes against the multi-stage image's (`NAME-multi.size`,
/// `docker image inspect`'s Size): printed for the report.
fn size_ratio(dir: &Path, name: &str, a: &Analysed, c: &Closure) -> f64 {
    let multi: u64 = read(dir, &format!("{name}-multi.size"))
        .trim()
        .parse()
        .expect("a byte count");
    let bytes = c.bytes(&a.tree);
    let ratio = bytes as f64 / multi as f64;
    eprintln!(
        "{name}: closure {bytes} bytes ({} files) / multi-stage image {multi} bytes = {ratio:.3}",
        c.items.len()
    );
    let mut by_part: std::collections::BTreeMap<&str, (u64, usize)> = Default::default();
    for (&id, item) in &c.items {
        let e = by_part.entry(item.part.label()).or_default();
        e.0 += a.tree.node(id).size;
        e.1 += 1;
    }
    for (part, (b, n)) in by_part {
        eprintln!("  {part}: {b} bytes in {n} files");
    }
    // What the image holds besides the closure, by top two directories.
    let mut outside: std::collections::BTreeMap<String, u64> = Default::default();
    for id in a.tree.iter() {
        let n = a.tree.node(id);
        if n.is_dir() || c.contains(id) {
            continue;
        }
        let path = a.tree.path_of(id);
        let top: Vec<&[u8]> = path.split(|b| *b == b'/').take(2).collect();
        let key = String::from_utf8_lossy(&top.join(&b'/')).into_owned();
        *outside.entry(key).or_default() += n.size;
    }
    let mut outside: Vec<(String, u64)> = outside.into_iter().collect();
    outside.sort_by_key(|(_, b)| std::cmp::Reverse(*b));
    for (dir, b) in outside.iter().take(8) {
        eprintln!("  not in the closure: /{dir}: {b} bytes");
    }
    for g in &c.gaps {
        eprintln!("  gap {}: {}", g.kind, g.detail);
    }
    ratio
}

#[test]
#[ignore = "needs STAGEDIFF_FIXTURES (scripts/build-test-images.sh)"]
fn python_closure_names_pip_list_minus_the_installers() {
    let dir = fixtures();
    let mut bytes = Vec::new();
    for image in ["pyapp-single", "pyapp-multi"] {
        let (a, c) = analysed(&dir, image);
        bytes.push(c.bytes(&a.tree));
        assert_eq!(c.kind, AppKind::Python, "{image}");
        assert_eq!(named(&c, "pypi"), pip_truth(&dir, image), "{image}");
        // The app's script, the stdlib, the venv's Flask; not pip.
        let has = |p: &str| a.tree.lookup(p.as_bytes()).is_some_and(|id| c.contains(id));
        let app = if image.ends_with("single") {
            "src/app/server.py"
        } else {
            "app/server.py"
        };
        assert!(has(app), "{image}: {app}");
        assert!(has("usr/lib/python3.11/os.py"), "{image}");
        assert!(has("venv/pyvenv.cfg"), "{image}");
        assert!(
            !has("venv/lib/python3.11/site-packages/pip/__init__.py"),
            "{image}"
        );
        size_ratio(&dir, "pyapp", &a, &c);
    }
    same_runtime("pyapp", &bytes);
}

/// The runtime predicted from the single-stage image is the one the
/// multi-stage image ships: compilers, pip and dev dependencies stay out
/// (the stdlib differs by what Debian's pip pulls in, distutils).
fn same_runtime(name: &str, bytes: &[u64]) {
    let ratio = bytes[0] as f64 / bytes[1] as f64;
    eprintln!("{name}: single-stage closure / multi-stage closure = {ratio:.3}");
    assert!(
        (0.95..=1.05).contains(&ratio),
        "{name}: the single-stage closure ({}) is not the multi-stage one ({})",
        bytes[0],
        bytes[1]
    );
}

#[test]
#[ignore = "needs STAGEDIFF_FIXTURES (scripts/build-test-images.sh)"]
fn node_closure_names_npm_ls_omit_dev() {
    let dir = fixtures();
    let truth = npm_truth(&dir, "nodeapp-single.npm-prod.json");
    let mut bytes = Vec::new();
    for image in ["nodeapp-single", "nodeapp-multi"] {
        let (a, c) = analysed(&dir, image);
        bytes.push(c.bytes(&a.tree));
        assert_eq!(c.kind, AppKind::Node, "{image}");
        assert_eq!(named(&c, "npm"), truth, "{image}");
        let root = if image.ends_with("single") {
            "src"
        } else {
            "app"
        };
        let has = |p: String| a.tree.lookup(p.as_bytes()).is_some_and(|id| c.contains(id));
        assert!(has(format!("{root}/dist/main.js")), "{image}");
        assert!(
            has(format!("{root}/node_modules/debug/package.json")),
            "{image}"
        );
        // Debian's libnode reads these builtins by path (its
        // NODE_SHARED_BUILTIN_*_PATH); the rest of /usr/share/nodejs is
        // other packages' (npm's in the single-stage image).
        for builtin in [
            "usr/share/nodejs/acorn/dist/acorn.js",
            "usr/share/nodejs/acorn-walk/dist/walk.js",
            "usr/share/nodejs/cjs-module-lexer/lexer.js",
            "usr/share/nodejs/undici/undici-fetch.js",
        ] {
            assert!(has(builtin.to_string()), "{image}: {builtin}");
        }
        let exists = |p: &str| a.tree.lookup(p.as_bytes()).is_some();
        assert!(exists("usr/share/nodejs/acorn-jsx/package.json"), "{image}");
        assert!(
            !has("usr/share/nodejs/acorn-jsx/package.json".into()),
            "{image}"
        );
        if image.ends_with("single") {
            assert!(exists("usr/share/nodejs/npm/package.json"), "{image}");
            assert!(!has("usr/share/nodejs/npm/package.json".into()), "{image}");
            // The devDependencies are installed in the single-stage image.
            let ts = format!("{root}/node_modules/typescript/package.json");
            assert!(
                a.tree.lookup(ts.as_bytes()).is_some(),
                "{image} has typescript"
            );
            assert!(!has(ts), "{image}: typescript is a devDependency");
        }
        size_ratio(&dir, "nodeapp", &a, &c);
    }
    same_runtime("nodeapp", &bytes);
}
