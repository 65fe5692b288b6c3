//! The runtime closure on real images built by a real dockerd
//! (scripts/build-test-images.sh), against what the tools inside those
//! images say: `ldd` of the entrypoint's program, and the size of the
//! hand-written multi-stage image.
//!
//! Ignored by plain `cargo test`; `scripts/e2e.sh` runs them with
//! `STAGEDIFF_FIXTURES=fixtures-cache … -- --include-ignored`, and each
//! fails when its fixtures are missing.

mod common;

use common::fixtures;
use stagediff::analysis::closure::{closure, elf_closure, show_path, AppKind, Part, Sure};
use stagediff::pipeline::Analysed;
use std::collections::BTreeSet;

fn load(name: &str) -> Analysed {
    let path = fixtures().join(format!("{name}.docker.tar"));
    stagediff::pipeline::load(
        path.to_str().expect("utf-8 path"),
        &Default::default(),
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("loading {name}: {e}"))
}

/// `NAME.ldd`: the program's real path, then what the loader maps (the
/// vDSO left out: the kernel provides it).
fn ldd(name: &str) -> (String, Option<BTreeSet<String>>) {
    let file = fixtures().join(format!("{name}.ldd"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    let mut lines = text.lines();
    let program = lines.next().expect("the program's path").trim().to_string();
    let rest: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty()).collect();
    if rest
        .iter()
        .any(|l| *l == "not a dynamic executable" || *l == "statically linked")
    {
        return (program, None);
    }
    let libs = rest
        .iter()
        .filter(|l| !l.starts_with("linux-vdso"))
        .map(|l| {
            let path = match l.split_once(" => ") {
                Some((_, found)) => found,
                None => l,
            };
            path.split(" (").next().unwrap_or(path).to_string()
        })
        .collect();
    (program, Some(libs))
}

/// The closure of the program `ldd` was run on equals what `ldd` lists:
/// same files (compared as the nodes the paths lead to in the image).
fn matches_ldd(name: &str) {
    let a = load(name);
    let (program, truth) = ldd(name);
    let full = closure(&a.image, &a.tree);
    let ran = full.program.map(|p| show_path(&a.tree.path_of(p)));
    assert_eq!(
        ran.as_deref(),
        Some(program.as_str()),
        "{name}: the program the entrypoint runs"
    );
    let one = elf_closure(&a.image, &a.tree, program.as_bytes());
    let program_id = one.program.expect("the program is in the image");
    let ours: BTreeSet<String> = one
        .items
        .iter()
        .filter(|(id, i)| **id != program_id && matches!(i.part, Part::Library | Part::Loader))
        .map(|(id, _)| show_path(&a.tree.path_of(*id)))
        .collect();
    assert!(one.gaps.is_empty(), "{name}: {:?}", one.gaps);
    match truth {
        None => {
            assert!(
                ours.is_empty(),
                "{name}: ldd says static, we found {ours:?}"
            );
            assert_eq!(full.kind, AppKind::StaticBinary, "{name}");
        }
        Some(libs) => {
            let want: BTreeSet<String> = libs
                .iter()
                .map(|p| {
                    let id = a
                        .tree
                        .resolve(p.trim_start_matches('/').as_bytes())
                        .unwrap_or_else(|| panic!("{name}: ldd's {p} is not in the image"));
                    show_path(&a.tree.path_of(id))
                })
                .collect();
            assert_eq!(ours, want, "{name}: the loader's closure against ldd");
            // The whole closure holds the program's too, all exact.
            for (id, i) in &one.items {
                assert!(
                    full.contains(*id),
                    "{name}: {} missing from the full closure",
                    show_path(&a.tree.path_of(*id))
                );
                assert_eq!(i.sure, Sure::Exact);
            }
        }
    }
}

#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn c_program_closure_equals_ldd() {
    matches_ldd("capp-single");
}

#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn python_interpreter_closure_equals_ldd() {
    matches_ldd("pyapp-single");
    matches_ldd("pyapp-multi");
}

#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn node_closure_equals_ldd() {
    matches_ldd("nodeapp-single");
    matches_ldd("nodeapp-multi");
}

#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn static_programs_need_nothing_else() {
    matches_ldd("goapp-single");
    matches_ldd("rustapp-single");
}

/// A static program's predicted runtime is within 1 % of the real
/// FROM-scratch multi-stage image (`docker image inspect .Size`).
fn prediction_within_one_percent(app: &str) {
    let a = load(&format!("{app}-single"));
    let rules = stagediff::analysis::Rules::builtin();
    let plan = stagediff::analysis::plan::plan(&a.image, a.tree.clone(), &rules);
    let real: u64 = std::fs::read_to_string(fixtures().join(format!("{app}-multi.size")))
        .expect("the multi-stage image's size")
        .trim()
        .parse()
        .expect("a size in bytes");
    let predicted = plan.runtime_bytes();
    let off = predicted.abs_diff(real) as f64 / real as f64;
    assert!(
        off <= 0.01,
        "{app}: predicted {predicted} B, the real multi-stage image is {real} B ({:.2} % off)",
        off * 100.0
    );
    assert_eq!(
        plan.removable_bytes() + predicted,
        a.tree.total_size(),
        "{app}: removable and runtime add up to the squashed image"
    );
}

#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn static_predictions_match_the_real_multi_stage_images() {
    prediction_within_one_percent("goapp");
    prediction_within_one_percent("capp");
    prediction_within_one_percent("rustapp");
}

/// An interpreted app's runtime on its own base: predicted from the
/// single-stage image, against the hand-written multi-stage image that
/// installs the interpreter on the same Debian base and copies the venv or
/// the production node_modules. What the real image ships (its squashed
/// filesystem, as stagediff's own squash reads it, checked against docker
/// elsewhere) is within 20 % of the prediction, and every package the real
/// image holds (`dpkg-query -W` inside it) is one the prediction installs.
fn on_base_within_twenty_percent(app: &str) {
    let single = load(&format!("{app}-single"));
    let multi = load(&format!("{app}-multi"));
    let rules = stagediff::analysis::Rules::builtin();
    let plan = stagediff::analysis::plan::plan(&single.image, single.tree.clone(), &rules);
    let on_base = plan.on_base.expect("a Debian image has a base");
    let real = multi.tree.total_size();
    let off = on_base.bytes.abs_diff(real) as f64 / real as f64;
    eprintln!(
        "{app}: on its own base {} B predicted, the real multi-stage image ships {real} B \
         ({:+.1} %)",
        on_base.bytes,
        (on_base.bytes as f64 / real as f64 - 1.0) * 100.0
    );
    assert!(
        off <= 0.20,
        "{app}: predicted {} B on its own base, the real multi-stage image ships {real} B \
         ({:.1} % off)",
        on_base.bytes,
        off * 100.0
    );
    let file = fixtures().join(format!("{app}-multi.dpkg"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}"));
    let installed: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|p| p.split(':').next().unwrap_or(p))
        .collect();
    assert!(installed.len() > 50, "{app}: {file:?} lists the packages");
    let predicted: BTreeSet<&str> = on_base
        .base_packages
        .iter()
        .chain(&on_base.packages)
        .map(String::as_str)
        .collect();
    let missed: Vec<&&str> = installed.difference(&predicted).collect();
    assert!(
        missed.is_empty(),
        "{app}: the real runtime installs {missed:?}, which the prediction leaves out"
    );
}

#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn interpreted_predictions_on_their_own_base_match_the_real_multi_stage_images() {
    on_base_within_twenty_percent("pyapp");
    on_base_within_twenty_percent("nodeapp");
}

/// A static binary on a full Debian runtime: nearly all of the image is
/// reported as never used (the Go single-stage image as AFTER).
#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn a_static_binary_on_debian_ships_almost_everything_for_nothing() {
    let single = load("goapp-single");
    let multi = load("goapp-multi");
    let rules = stagediff::analysis::Rules::builtin();
    let cmp = stagediff::pipeline::compare(&multi, &single, &rules);
    let unused = cmp.unused.as_ref().expect("the Go image has an entrypoint");
    let total = single.tree.total_size();
    assert!(
        unused.bytes as f64 >= 0.95 * total as f64,
        "{} of {} bytes reported unused",
        unused.bytes,
        total
    );
    // What is used is the closure (the binary, and the CA bundle a Go
    // program may read): its bytes are all that is not unused.
    let c = cmp.after_closure.as_ref().expect("the closure came along");
    let used: u64 = c.items.keys().map(|&id| single.tree.node(id).size).sum();
    assert_eq!(total - unused.bytes, used);
    let app = single.tree.lookup(b"app").expect("/app");
    assert!(c.contains(app) && c.items.len() <= 2, "{:?}", c.items);
    // The Go image's apt lists are a cache finding.
    assert!(cmp
        .findings
        .iter()
        .any(|f| f.kind == stagediff::analysis::FindingKind::Cache && f.path.starts_with("/var/")));
}

/// The Go binary's identity equals `go version -m` run inside the image,
/// and `diff` names the binary by it instead of "unowned".
#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn go_identity_equals_go_version_m() {
    let a = load("goapp-single");
    let text =
        std::fs::read_to_string(fixtures().join("goapp-single.gover")).expect("goapp-single.gover");
    let mut lines = text.lines();
    let (file, version) = lines
        .next()
        .and_then(|l| l.split_once(": "))
        .expect("FILE: goVERSION");
    let id = a
        .tree
        .resolve(file.trim_start_matches('/').as_bytes())
        .expect("the binary");
    let go = a
        .tree
        .facts(&a.image.layers, id)
        .and_then(|f| f.elf())
        .and_then(|e| e.go.as_deref())
        .expect("the pass read the Go build info");
    assert_eq!(go.go_version, version.trim());
    let mut settings = Vec::new();
    let mut deps = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.trim_start().split('\t').collect();
        match f.as_slice() {
            ["path", p] => assert_eq!(go.path.as_deref(), Some(*p)),
            ["mod", p, v, ..] => {
                let m = go.main.as_ref().expect("a main module");
                assert_eq!((m.path.as_str(), m.version.as_str()), (*p, *v));
            }
            ["dep", p, v, ..] => deps.push((p.to_string(), v.to_string())),
            ["build", kv] => {
                let (k, v) = kv.split_once('=').expect("KEY=VALUE");
                settings.push((k.to_string(), v.to_string()));
            }
            _ => {}
        }
    }
    assert!(!settings.is_empty());
    assert_eq!(go.settings, settings);
    let ours: Vec<(String, String)> = go
        .deps
        .iter()
        .map(|d| (d.path.clone(), d.version.clone()))
        .collect();
    assert_eq!(ours, deps);

    let multi = load("goapp-multi");
    let cmp = stagediff::pipeline::compare(&a, &multi, &stagediff::analysis::Rules::builtin());
    let app = multi.tree.lookup(b"app").expect("/app");
    let owner = cmp.owner_label(cmp.after.facts(app).owner);
    assert!(
        owner.starts_with(&format!(
            "static Go {} binary",
            version.trim().trim_start_matches("go")
        )),
        "{owner}"
    );
}

/// `diff --json --paths` lists every path: the Go pair's source is there,
/// as source, and the eliminated rows add up to the eliminated total.
#[test]
#[ignore = "needs the built images: scripts/e2e.sh"]
fn diff_paths_name_the_go_source() {
    let dir = fixtures();
    let arg = |n: &str| {
        dir.join(format!("{n}.docker.tar"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let out = common::cli()
        .args([
            "diff",
            "--json",
            "--paths",
            &arg("goapp-single"),
            &arg("goapp-multi"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths = d["paths"].as_array().expect("paths");
    let main = paths
        .iter()
        .find(|p| p["path"] == "/src/main.go")
        .expect("/src/main.go is listed");
    assert_eq!(main["status"], "eliminated");
    assert_eq!(main["bucket"], "source");
    let eliminated: u64 = paths
        .iter()
        .filter(|p| p["status"] == "eliminated")
        .map(|p| p["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(
        eliminated,
        d["totals"]["eliminated"]["bytes"].as_u64().unwrap()
    );
    assert!(paths
        .iter()
        .any(|p| p["path"] == "/app" && p["status"] == "carried"));
}
