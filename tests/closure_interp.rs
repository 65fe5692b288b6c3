//! The runtime closure of Python and Node entrypoints on synthetic images:
//! venvs, system Python, `-m`, console scripts with `module:app`, the
//! installers left out; Node apps with and without a lockfile, dev
//! dependencies left out, a symlink loop in node_modules.

mod common;

use common::T::{self, *};
use common::{layer, sha};
use stagediff::analysis::closure::{closure, AppKind, Closure, Part};
use stagediff::source::{load, LoadOptions, LoadProgress};
use stagediff::tree::FileTree;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The image's config: the command, environment and working directory.
struct Cfg {
    entrypoint: &'static [&'static str],
    cmd: &'static [&'static str],
    env: &'static [&'static str],
    workdir: &'static str,
}

/// Builds a docker-save archive of `layers` with `cfg`, loads and squashes
/// it, and computes the closure.
fn closure_of(layers: &[Vec<T>], cfg: Cfg) -> (Closure, Arc<FileTree>) {
    let tars: Vec<Vec<u8>> = layers.iter().map(|l| layer(l)).collect();
    let diff_ids: Vec<String> = tars.iter().map(|l| sha(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": cfg.entrypoint,
            "Cmd": cfg.cmd,
            "Env": cfg.env,
            "WorkingDir": cfg.workdir,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": tars.iter().map(|_| serde_json::json!({"created_by": "x"})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let names: Vec<String> = tars
        .iter()
        .map(|l| format!("{}/layer.tar", common::hex(l)))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    std::fs::write(
        &path,
        common::docker_save_named(&names, &tars, "t:1", &config, false),
    )
    .unwrap();
    let image = load(
        path.to_str().unwrap(),
        &LoadOptions::default(),
        &LoadProgress::default(),
    )
    .unwrap();
    let analysed = stagediff::pipeline::analyse(image);
    let c = closure(&analysed.image, &analysed.tree);
    let distinct: BTreeSet<_> = c.packages.iter().collect();
    assert_eq!(
        distinct.len(),
        c.packages.len(),
        "named twice: {:?}",
        c.packages
    );
    (c, analysed.tree)
}

fn has(c: &Closure, tree: &FileTree, path: &str) -> bool {
    tree.lookup(path.as_bytes())
        .is_some_and(|id| c.contains(id))
}

fn part(c: &Closure, tree: &FileTree, path: &str) -> Option<Part> {
    let id = tree.lookup(path.as_bytes())?;
    c.items.get(&id).map(|i| i.part)
}

#[track_caller]
fn assert_in(c: &Closure, tree: &FileTree, paths: &[&str]) {
    for p in paths {
        assert!(
            tree.lookup(p.as_bytes()).is_some(),
            "{p} is not in the image"
        );
        assert!(
            has(c, tree, p),
            "{p} should be in the closure; gaps {:?}",
            c.gaps
        );
    }
}

#[track_caller]
fn assert_out(c: &Closure, tree: &FileTree, paths: &[&str]) {
    for p in paths {
        assert!(
            tree.lookup(p.as_bytes()).is_some(),
            "{p} is not in the image"
        );
        assert!(!has(c, tree, p), "{p} should not be in the closure");
    }
}

fn packages(c: &Closure, eco: &str) -> BTreeSet<(String, String)> {
    c.packages
        .iter()
        .filter(|p| p.0 == eco)
        .map(|p| (p.1.clone(), p.2.clone()))
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

// ---------------------------------------------------------------- Python

/// Debian's python3.11: the interpreter, a stdlib with the parts a runtime
/// never imports, an extension module, and the system dist-packages with
/// Debian's pip (no RECORD) and one library.
fn debian_python() -> Vec<T> {
    vec![
        Mode("usr/bin/python3.11", b"\x7fELF python", 0o755),
        Symlink("usr/bin/python3", "python3.11"),
        File("usr/lib/python3.11/os.py", b"# os"),
        File("usr/lib/python3.11/json/__init__.py", b"# json"),
        File("usr/lib/python3.11/__pycache__/os.cpython-311.pyc", b"pyc"),
        Symlink(
            "usr/lib/python3.11/sitecustomize.py",
            "../../../etc/python3.11/sitecustomize.py",
        ),
        File("etc/python3.11/sitecustomize.py", b"# debian"),
        File("usr/lib/python3.11/test/test_os.py", b"# test"),
        File("usr/lib/python3.11/idlelib/idle.py", b"# idle"),
        File("usr/lib/python3.11/tkinter/__init__.py", b"# tk"),
        File("usr/lib/python3.11/turtle.py", b"# turtle"),
        File("usr/lib/python3.11/ensurepip/__init__.py", b"# ensurepip"),
        File("usr/lib/python3.11/pydoc_data/topics.py", b"# topics"),
        File("usr/lib/python3.11/lib2to3/main.py", b"# 2to3"),
        File("usr/lib/python3.11/distutils/version.py", b"# LooseVersion"),
        File(
            "usr/lib/python3.11/config-3.11-x86_64-linux-gnu/Makefile",
            b"# build",
        ),
        File(
            "usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so",
            b"\x7fELF ext",
        ),
        File("usr/lib/python3/dist-packages/debpkg/__init__.py", b"# deb"),
        File(
            "usr/lib/python3/dist-packages/debpkg-1.2.egg-info/PKG-INFO",
            b"Metadata-Version: 1.1\nName: debpkg\nVersion: 1.2\n\n",
        ),
        File("usr/lib/python3/dist-packages/pip/__init__.py", b"# pip"),
        File(
            "usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA",
            b"Name: pip\nVersion: 23.0.1\n\n",
        ),
        Mode("usr/bin/unrelated", b"\x7fELF other", 0o755),
    ]
}

/// A venv at /venv made from Debian's python: Flask and gunicorn with
/// records, and the installers pip and setuptools.
fn venv() -> Vec<T> {
    vec![
        File(
            "venv/pyvenv.cfg",
            b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n",
        ),
        Symlink("venv/bin/python3", "/usr/bin/python3"),
        Symlink("venv/bin/python", "python3"),
        Symlink("venv/lib64", "lib"),
        Mode(
            "venv/bin/gunicorn",
            b"#!/venv/bin/python3\nfrom gunicorn.app.wsgiapp import run\nrun()\n",
            0o755,
        ),
        Mode("venv/bin/flask", b"#!/venv/bin/python3\nimport flask\n", 0o755),
        Mode("venv/bin/pip", b"#!/venv/bin/python3\nimport pip\n", 0o755),
        File("venv/bin/activate", b"# activate"),
        File("venv/lib/python3.11/site-packages/flask/__init__.py", b"# flask"),
        File(
            "venv/lib/python3.11/site-packages/flask/__pycache__/__init__.cpython-311.pyc",
            b"pyc",
        ),
        File(
            "venv/lib/python3.11/site-packages/flask-3.0.3.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.3\n\n",
        ),
        File(
            "venv/lib/python3.11/site-packages/flask-3.0.3.dist-info/RECORD",
            b"flask/__init__.py,sha256=x,7\nflask-3.0.3.dist-info/METADATA,,\n../../../bin/flask,,\n",
        ),
        File(
            "venv/lib/python3.11/site-packages/gunicorn/__init__.py",
            b"# gunicorn",
        ),
        File(
            "venv/lib/python3.11/site-packages/gunicorn-21.2.0.dist-info/METADATA",
            b"Name: gunicorn\nVersion: 21.2.0\n\n",
        ),
        File(
            "venv/lib/python3.11/site-packages/gunicorn-21.2.0.dist-info/RECORD",
            b"gunicorn/__init__.py,,\n../../../bin/gunicorn,,\n",
        ),
        File("venv/lib/python3.11/site-packages/pip/__init__.py", b"# pip"),
        File(
            "venv/lib/python3.11/site-packages/pip/_internal/cli.py",
            b"# pip",
        ),
        File(
            "venv/lib/python3.11/site-packages/pip-23.0.1.dist-info/METADATA",
            b"Name: pip\nVersion: 23.0.1\n\n",
        ),
        File(
            "venv/lib/python3.11/site-packages/pip-23.0.1.dist-info/RECORD",
            b"pip/__init__.py,,\npip/_internal/cli.py,,\n../../../bin/pip,,\n",
        ),
        File("venv/lib/python3.11/site-packages/wheel/__init__.py", b"# wheel"),
        File(
            "venv/lib/python3.11/site-packages/wheel-0.42.0.dist-info/METADATA",
            b"Name: wheel\nVersion: 0.42.0\n\n",
        ),
        File(
            "venv/lib/python3.11/site-packages/setuptools/__init__.py",
            b"# st",
        ),
        File(
            "venv/lib/python3.11/site-packages/pkg_resources/__init__.py",
            b"# pr",
        ),
        File(
            "venv/lib/python3.11/site-packages/_distutils_hack/__init__.py",
            b"# dh",
        ),
        File(
            "venv/lib/python3.11/site-packages/distutils-precedence.pth",
            b"import _distutils_hack",
        ),
        File(
            "venv/lib/python3.11/site-packages/setuptools-66.1.1.dist-info/METADATA",
            b"Name: setuptools\nVersion: 66.1.1\n\n",
        ),
        File(
            "venv/lib/python3.11/site-packages/setuptools-66.1.1.dist-info/RECORD",
            b"setuptools/__init__.py,,\npkg_resources/__init__.py,,\n_distutils_hack/__init__.py,,\ndistutils-precedence.pth,,\n",
        ),
    ]
}

fn app() -> Vec<T> {
    vec![
        File("app/server.py", b"import util\n"),
        File("app/util.py", b"X = 1\n"),
        File("app/templates/index.html", b"<html>"),
        File("app/requirements.txt", b"flask\n"),
        File("app/.git/HEAD", b"ref"),
        File(
            "root/.local/lib/python3.11/site-packages/userpkg/__init__.py",
            b"",
        ),
    ]
}

/// The stdlib's parts in and out, the same whatever the environment.
#[track_caller]
fn assert_stdlib(c: &Closure, t: &FileTree) {
    assert_in(c, t, &["usr/bin/python3.11"]);
    assert_stdlib_files(c, t);
}

#[track_caller]
fn assert_stdlib_files(c: &Closure, t: &FileTree) {
    assert_in(
        c,
        t,
        &[
            "usr/lib/python3.11/os.py",
            "usr/lib/python3.11/json/__init__.py",
            "usr/lib/python3.11/__pycache__/os.cpython-311.pyc",
            "usr/lib/python3.11/sitecustomize.py",
            "etc/python3.11/sitecustomize.py",
            "usr/lib/python3.11/distutils/version.py",
            "usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so",
        ],
    );
    assert_eq!(part(c, t, "usr/lib/python3.11/os.py"), Some(Part::Runtime));
    assert_out(
        c,
        t,
        &[
            "usr/lib/python3.11/test/test_os.py",
            "usr/lib/python3.11/idlelib/idle.py",
            "usr/lib/python3.11/tkinter/__init__.py",
            "usr/lib/python3.11/turtle.py",
            "usr/lib/python3.11/ensurepip/__init__.py",
            "usr/lib/python3.11/pydoc_data/topics.py",
            "usr/lib/python3.11/lib2to3/main.py",
            "usr/lib/python3.11/config-3.11-x86_64-linux-gnu/Makefile",
            "usr/bin/unrelated",
        ],
    );
}

#[test]
fn python_in_a_venv_through_its_symlinked_interpreter() {
    let (c, t) = closure_of(
        &[debian_python(), venv(), app()],
        Cfg {
            entrypoint: &["/venv/bin/python3", "/app/server.py"],
            cmd: &[],
            env: &["PATH=/usr/local/bin:/usr/bin:/bin"],
            workdir: "/",
        },
    );
    assert_eq!(c.kind, AppKind::Python);
    assert_stdlib(&c, &t);
    assert_in(
        &c,
        &t,
        &[
            "venv/bin/python3",
            "venv/pyvenv.cfg",
            "venv/lib/python3.11/site-packages/flask/__init__.py",
            "venv/lib/python3.11/site-packages/flask/__pycache__/__init__.cpython-311.pyc",
            "venv/lib/python3.11/site-packages/flask-3.0.3.dist-info/METADATA",
            "venv/lib/python3.11/site-packages/gunicorn/__init__.py",
            "app/server.py",
            "app/util.py",
            "app/templates/index.html",
        ],
    );
    assert_eq!(part(&c, &t, "app/util.py"), Some(Part::AppCode));
    assert_eq!(
        part(
            &c,
            &t,
            "venv/lib/python3.11/site-packages/flask/__init__.py"
        ),
        Some(Part::Dependency)
    );
    assert_eq!(part(&c, &t, "venv/bin/python3"), Some(Part::Link));
    // The installers, the system's packages (the venv does not see them),
    // the venv's other scripts, build manifests and VCS data stay out.
    assert_out(
        &c,
        &t,
        &[
            "venv/lib/python3.11/site-packages/pip/__init__.py",
            "venv/lib/python3.11/site-packages/pip/_internal/cli.py",
            "venv/lib/python3.11/site-packages/pip-23.0.1.dist-info/RECORD",
            "venv/lib/python3.11/site-packages/setuptools/__init__.py",
            "venv/lib/python3.11/site-packages/pkg_resources/__init__.py",
            "venv/lib/python3.11/site-packages/_distutils_hack/__init__.py",
            "venv/lib/python3.11/site-packages/distutils-precedence.pth",
            "venv/lib/python3.11/site-packages/setuptools-66.1.1.dist-info/METADATA",
            "venv/lib/python3.11/site-packages/wheel/__init__.py",
            "venv/lib/python3.11/site-packages/wheel-0.42.0.dist-info/METADATA",
            "venv/bin/pip",
            "venv/bin/activate",
            "usr/lib/python3/dist-packages/debpkg/__init__.py",
            "app/requirements.txt",
            "app/.git/HEAD",
            // A venv turns the user's site off.
            "root/.local/lib/python3.11/site-packages/userpkg/__init__.py",
        ],
    );
    assert_eq!(
        packages(&c, "pypi"),
        set(&[("Flask", "3.0.3"), ("gunicorn", "21.2.0")])
    );
}

#[test]
fn system_python_uses_the_system_site_directories() {
    let (c, t) = closure_of(
        &[debian_python(), venv(), app()],
        Cfg {
            entrypoint: &[],
            cmd: &["python3", "server.py"],
            env: &[],
            workdir: "/app",
        },
    );
    assert_eq!(c.kind, AppKind::Python);
    assert_stdlib(&c, &t);
    assert_in(
        &c,
        &t,
        &[
            "usr/bin/python3",
            "usr/lib/python3/dist-packages/debpkg/__init__.py",
            "root/.local/lib/python3.11/site-packages/userpkg/__init__.py",
            "app/server.py",
            "app/util.py",
        ],
    );
    // Debian's pip has no RECORD: its top-level package is known.
    assert_out(
        &c,
        &t,
        &[
            "usr/lib/python3/dist-packages/pip/__init__.py",
            "usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA",
            "venv/pyvenv.cfg",
            "venv/lib/python3.11/site-packages/flask/__init__.py",
        ],
    );
    assert_eq!(packages(&c, "pypi"), set(&[("debpkg", "1.2")]));
}

#[test]
fn python_dash_m_finds_the_module_in_the_working_directory() {
    let mut srv = vec![
        File("srv/myapp/__init__.py", b""),
        File("srv/myapp/main.py", b"import helpers"),
        File("srv/helpers.py", b""),
        File("srv/pyproject.toml", b"[project]"),
        File("elsewhere/not_app.py", b""),
    ];
    srv.extend(venv());
    let (c, t) = closure_of(
        &[debian_python(), srv],
        Cfg {
            entrypoint: &["/venv/bin/python", "-u", "-m", "myapp.main"],
            cmd: &["--port", "80"],
            env: &[],
            workdir: "/srv",
        },
    );
    assert_in(
        &c,
        &t,
        &[
            "srv/myapp/__init__.py",
            "srv/myapp/main.py",
            "srv/helpers.py",
            "venv/lib/python3.11/site-packages/flask/__init__.py",
        ],
    );
    assert_out(&c, &t, &["srv/pyproject.toml", "elsewhere/not_app.py"]);
    assert!(
        c.gaps.iter().all(|g| !g.detail.contains("myapp")),
        "{:?}",
        c.gaps
    );

    // A module that is nowhere is a gap, not a guess.
    let (c, _) = closure_of(
        &[debian_python()],
        Cfg {
            entrypoint: &["python3", "-m", "nowhere"],
            cmd: &[],
            env: &[],
            workdir: "/",
        },
    );
    assert!(
        c.gaps
            .iter()
            .any(|g| g.detail.contains("python -m nowhere")),
        "{:?}",
        c.gaps
    );
    // A stdlib module is no gap.
    let (c, _) = closure_of(
        &[debian_python()],
        Cfg {
            entrypoint: &["python3", "-m", "json"],
            cmd: &[],
            env: &[],
            workdir: "/",
        },
    );
    assert!(
        c.gaps.iter().all(|g| !g.detail.contains("python -m")),
        "{:?}",
        c.gaps
    );
}

#[test]
fn a_console_script_with_module_colon_app_brings_the_app_module() {
    let srv = vec![
        File("srv/wsgi.py", b"from views import app"),
        File("srv/views.py", b"app = 1"),
        File("srv/requirements.txt", b"gunicorn"),
    ];
    // Through PATH, as `ENV PATH=/venv/bin:$PATH` images do.
    let (c, t) = closure_of(
        &[debian_python(), venv(), srv],
        Cfg {
            entrypoint: &["gunicorn", "-b", "0.0.0.0:8000", "--workers=2"],
            cmd: &["wsgi:app"],
            env: &[
                "PATH=/venv/bin:/usr/local/bin:/usr/bin:/bin",
                "VIRTUAL_ENV=/venv",
            ],
            workdir: "/srv",
        },
    );
    assert_eq!(c.kind, AppKind::Python);
    assert_in(
        &c,
        &t,
        &[
            "venv/bin/gunicorn",
            "usr/bin/python3.11",
            "venv/lib/python3.11/site-packages/gunicorn/__init__.py",
            "srv/wsgi.py",
            "srv/views.py",
        ],
    );
    assert_eq!(part(&c, &t, "srv/wsgi.py"), Some(Part::AppCode));
    assert_out(
        &c,
        &t,
        &[
            "srv/requirements.txt",
            "venv/bin/pip",
            "venv/lib/python3.11/site-packages/pip/__init__.py",
        ],
    );
    assert_eq!(
        packages(&c, "pypi"),
        set(&[("Flask", "3.0.3"), ("gunicorn", "21.2.0")])
    );

    // `python -m gunicorn pkg.web:create_app()`: a package module.
    let srv = vec![
        File("srv/pkg/__init__.py", b""),
        File("srv/pkg/web.py", b""),
    ];
    let (c, t) = closure_of(
        &[debian_python(), venv(), srv],
        Cfg {
            entrypoint: &["/venv/bin/python3", "-m", "gunicorn"],
            cmd: &["pkg.web:create_app()"],
            env: &[],
            workdir: "/srv",
        },
    );
    assert_in(
        &c,
        &t,
        &[
            "srv/pkg/__init__.py",
            "srv/pkg/web.py",
            "venv/lib/python3.11/site-packages/gunicorn/__init__.py",
        ],
    );
}

// ------------------------------------------------------------------ Node

const NODE_MANIFEST: &[u8] = br#"{"name":"app","version":"1.0.0","main":"dist/main.js",
 "dependencies":{"debug":"4.3.4","ms":"2.1.3"},
 "devDependencies":{"typescript":"5.4.5","@types/node":"20.12.7"}}"#;

const NODE_LOCK_V3: &[u8] = br#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
 "":{"name":"app","version":"1.0.0","dependencies":{"debug":"4.3.4","ms":"2.1.3"}},
 "node_modules/debug":{"version":"4.3.4","dependencies":{"ms":"2.1.2"}},
 "node_modules/debug/node_modules/ms":{"version":"2.1.2"},
 "node_modules/ms":{"version":"2.1.3"},
 "node_modules/typescript":{"version":"5.4.5","dev":true},
 "node_modules/@types/node":{"version":"20.12.7","dev":true},
 "node_modules/undici-types":{"version":"5.26.5","devOptional":true},
 "node_modules/fsevents":{"version":"2.3.3","optional":true},
 "node_modules/../../etc":{"version":"6.6.6"}}}"#;

/// Node, npm's global install, and an app whose node_modules holds
/// production and development modules (npm ci, no prune).
fn node_app(files: &[(&'static str, &'static [u8])]) -> Vec<T> {
    let mut l =
        vec![
        Mode("usr/bin/node", b"\x7fELF node", 0o755),
        File("usr/lib/node_modules/npm/package.json", br#"{"name":"npm","version":"9.2.0"}"#),
        File("usr/lib/node_modules/npm/index.js", b"npm"),
        File("app/dist/main.js", b"require('debug')"),
        File("app/dist/util.js", b"module.exports = 1"),
        File("app/src/main.ts", b"import debug from 'debug'"),
        File("app/.git/HEAD", b"ref"),
        File(
            "app/node_modules/debug/package.json",
            br#"{"name":"debug","version":"4.3.4","dependencies":{"ms":"2.1.2"}}"#,
        ),
        File("app/node_modules/debug/src/index.js", b"debug"),
        File(
            "app/node_modules/debug/node_modules/ms/package.json",
            br#"{"name":"ms","version":"2.1.2"}"#,
        ),
        File("app/node_modules/debug/node_modules/ms/index.js", b"ms 2"),
        File("app/node_modules/ms/package.json", br#"{"name":"ms","version":"2.1.3"}"#),
        File("app/node_modules/ms/index.js", b"ms 3"),
        File(
            "app/node_modules/typescript/package.json",
            br#"{"name":"typescript","version":"5.4.5"}"#,
        ),
        File("app/node_modules/typescript/lib/tsc.js", b"tsc"),
        File(
            "app/node_modules/@types/node/package.json",
            br#"{"name":"@types/node","version":"20.12.7","dependencies":{"undici-types":"5"}}"#,
        ),
        File("app/node_modules/@types/node/index.d.ts", b"types"),
        File(
            "app/node_modules/undici-types/package.json",
            br#"{"name":"undici-types","version":"5.26.5"}"#,
        ),
        Symlink("app/node_modules/.bin/tsc", "../typescript/lib/tsc.js"),
    ];
    l.extend(files.iter().map(|(p, c)| File(p, c)));
    l
}

#[track_caller]
fn assert_node_prod(c: &Closure, t: &FileTree) {
    assert_eq!(c.kind, AppKind::Node);
    assert_in(
        c,
        t,
        &[
            "usr/bin/node",
            "app/dist/main.js",
            "app/dist/util.js",
            "app/src/main.ts",
            "app/package.json",
            "app/node_modules/debug/src/index.js",
            "app/node_modules/debug/package.json",
            "app/node_modules/debug/node_modules/ms/index.js",
            "app/node_modules/ms/index.js",
        ],
    );
    assert_eq!(part(c, t, "app/dist/util.js"), Some(Part::AppCode));
    assert_eq!(
        part(c, t, "app/node_modules/ms/index.js"),
        Some(Part::Dependency)
    );
    assert_out(
        c,
        t,
        &[
            "app/node_modules/typescript/lib/tsc.js",
            "app/node_modules/@types/node/index.d.ts",
            "app/node_modules/undici-types/package.json",
            "app/node_modules/.bin/tsc",
            "app/.git/HEAD",
            "usr/lib/node_modules/npm/index.js",
        ],
    );
}

#[test]
fn node_with_a_lockfile_leaves_dev_dependencies_out() {
    // debug's own package.json no longer names ms (a later layer rewrote
    // it): the lockfile, not the manifests, says what is installed.
    let (c, t) = closure_of(
        &[
            node_app(&[
                ("app/package.json", NODE_MANIFEST),
                ("app/package-lock.json", NODE_LOCK_V3),
                ("etc/secret", b"not a package"),
            ]),
            vec![File(
                "app/node_modules/debug/package.json",
                br#"{"name":"debug","version":"4.3.4"}"#,
            )],
        ],
        Cfg {
            entrypoint: &["node", "/app/dist/main.js"],
            cmd: &[],
            env: &["PATH=/usr/local/bin:/usr/bin:/bin"],
            workdir: "/",
        },
    );
    assert_node_prod(&c, &t);
    assert_out(&c, &t, &["app/package-lock.json", "etc/secret"]);
    assert_eq!(
        packages(&c, "npm"),
        set(&[("debug", "4.3.4"), ("ms", "2.1.2"), ("ms", "2.1.3")])
    );
}

#[test]
fn node_with_a_v1_lockfile_leaves_dev_dependencies_out() {
    let lock_v1: &[u8] = br#"{"name":"app","lockfileVersion":1,"dependencies":{
 "debug":{"version":"4.3.4","requires":{"ms":"2.1.2"},"dependencies":{"ms":{"version":"2.1.2"}}},
 "ms":{"version":"2.1.3"},
 "typescript":{"version":"5.4.5","dev":true},
 "@types/node":{"version":"20.12.7","dev":true},
 "undici-types":{"version":"5.26.5","dev":true}}}"#;
    let (c, t) = closure_of(
        &[node_app(&[
            ("app/package.json", NODE_MANIFEST),
            ("app/package-lock.json", lock_v1),
            ("app/.env.production", b"PORT=80"),
            ("srv/instrument.mjs", b"trace()"),
        ])],
        Cfg {
            entrypoint: &[],
            cmd: &[
                "node",
                "--env-file=.env.production",
                "--import",
                "/srv/instrument.mjs",
                "-r",
                "debug",
                "dist/main",
            ],
            env: &[],
            workdir: "/app",
        },
    );
    assert_node_prod(&c, &t);
    assert_in(&c, &t, &["app/.env.production", "srv/instrument.mjs"]);
    assert_eq!(part(&c, &t, "app/.env.production"), Some(Part::Data));
    assert_eq!(
        packages(&c, "npm"),
        set(&[("debug", "4.3.4"), ("ms", "2.1.2"), ("ms", "2.1.3")])
    );
}

#[test]
fn node_without_a_lockfile_walks_package_json() {
    let manifest: &[u8] = br#"{"name":"app","version":"1.0.0",
 "dependencies":{"debug":"4.3.4","ms":"2.1.3","left-pad":"1"},
 "devDependencies":{"typescript":"5.4.5","@types/node":"20.12.7"}}"#;
    // `node .` runs package.json's main.
    let (c, t) = closure_of(
        &[node_app(&[
            ("app/package.json", manifest),
            ("app/index.js", b"require('./dist/main')"),
        ])],
        Cfg {
            entrypoint: &["node", "."],
            cmd: &[],
            env: &[],
            workdir: "/app",
        },
    );
    assert_node_prod(&c, &t);
    assert_eq!(
        packages(&c, "npm"),
        set(&[("debug", "4.3.4"), ("ms", "2.1.2"), ("ms", "2.1.3")])
    );
    // A dependency that is not installed is said, not guessed.
    assert!(
        c.gaps
            .iter()
            .any(|g| g.kind == "missing-dependency" && g.detail.contains("left-pad")),
        "{:?}",
        c.gaps
    );
}

#[test]
fn a_node_modules_symlink_loop_ends() {
    let manifest: &[u8] = br#"{"name":"app","dependencies":{"a":"1","loop":"1","c":"1"}}"#;
    let layers = vec![vec![
        Mode("usr/bin/node", b"\x7fELF node", 0o755),
        File("app/main.js", b"require('a')"),
        File("app/package.json", manifest),
        File(
            "app/node_modules/a/package.json",
            br#"{"name":"a","version":"1.0.0","dependencies":{"b":"1"}}"#,
        ),
        File("app/node_modules/a/index.js", b"a"),
        Symlink("app/node_modules/a/node_modules/b", "../../b"),
        File(
            "app/node_modules/b/package.json",
            br#"{"name":"b","version":"2.0.0","dependencies":{"a":"1"}}"#,
        ),
        File("app/node_modules/b/index.js", b"b"),
        Symlink("app/node_modules/b/node_modules/a", "../../a"),
        Symlink("app/node_modules/loop", "loop"),
        Symlink("app/node_modules/c", "d"),
        Symlink("app/node_modules/d", "c"),
    ]];
    let (c, t) = closure_of(
        &layers,
        Cfg {
            entrypoint: &["/usr/bin/node", "main.js"],
            cmd: &[],
            env: &[],
            workdir: "/app",
        },
    );
    assert_in(
        &c,
        &t,
        &[
            "app/main.js",
            "app/node_modules/a/index.js",
            "app/node_modules/b/index.js",
            "app/node_modules/a/node_modules/b",
        ],
    );
    assert_eq!(packages(&c, "npm"), set(&[("a", "1.0.0"), ("b", "2.0.0")]));
    // The loop ends where it meets a package already seen, not at a limit.
    assert!(
        c.gaps.iter().all(|g| !g.detail.contains("not followed")),
        "{:?}",
        c.gaps
    );
    for name in ["loop", "c"] {
        assert!(
            c.gaps
                .iter()
                .any(|g| g.kind == "missing-dependency" && g.detail.contains(&format!(" {name} "))),
            "{name}: {:?}",
            c.gaps
        );
    }
}

// --------------------------------------------------------------- Hostile

#[test]
fn hostile_records_and_manifests_stay_in_their_place() {
    let mut l = debian_python();
    l.extend(venv());
    l.extend([
        File("etc/shadow", b"root:x"),
        File("srv/secret.key", b"key"),
        File(
            "venv/lib/python3.11/site-packages/evil-1.dist-info/METADATA",
            b"Name: evil\x1b[31m\nVersion: 1\x07\n\n",
        ),
        // The same distribution recorded twice is named once.
        File(
            "venv/lib/python3.11/site-packages/Flask-3.0.3.dist-info/METADATA",
            b"Name: Flask\nVersion: 3.0.3\n\n",
        ),
        // A record claiming files outside its venv, and nonsense.
        File(
            "venv/lib/python3.11/site-packages/evil-1.dist-info/RECORD",
            b"../../../../../etc/shadow,,\n/srv/secret.key,,\n\"unterminated\n\xff\xfe,,\n",
        ),
    ]);
    let (c, t) = closure_of(
        &[l],
        Cfg {
            entrypoint: &["/venv/bin/python3", "-m", "a..b", "x:y:z", ":", "-A"],
            cmd: &[],
            env: &["PYTHONPATH=:/nowhere:/../..", "VIRTUAL_ENV=/etc"],
            workdir: "/",
        },
    );
    assert_out(&c, &t, &["etc/shadow", "srv/secret.key"]);
    let evil: Vec<_> = c
        .packages
        .iter()
        .filter(|p| p.1.starts_with("evil"))
        .collect();
    assert_eq!(evil.len(), 1, "{:?}", c.packages);
    assert!(
        !evil[0].1.contains('\x1b') && !evil[0].2.contains('\x07'),
        "names are escaped: {:?}",
        evil[0]
    );

    // A lockfile that is not JSON falls back to the manifests; names that
    // would climb out of node_modules are no names; JSON nested past
    // serde's limit is refused, not a stack overflow.
    let deep: &'static [u8] = Box::leak(
        format!(
            "{{\"dependencies\":{}1{}}}",
            "{\"a\":[".repeat(5000),
            "]}".repeat(5000)
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let manifest: &[u8] =
        br#"{"dependencies":{"../../etc":"1","@x/../../etc":"1","debug":"1","ms":"1"}}"#;
    let (c, t) = closure_of(
        &[node_app(&[
            ("app/package.json", manifest),
            ("app/package-lock.json", deep),
            (
                "app/node_modules/typescript/package.json",
                b"{\"main\": [garbage",
            ),
            ("etc/secret", b"x"),
        ])],
        Cfg {
            entrypoint: &["node", "--require", "/dev/null", "/app/dist/main"],
            cmd: &[],
            env: &["NODE_PATH=/../../:/etc"],
            workdir: "/",
        },
    );
    assert_out(
        &c,
        &t,
        &["etc/secret", "app/node_modules/typescript/lib/tsc.js"],
    );
    assert_eq!(
        packages(&c, "npm"),
        set(&[("debug", "4.3.4"), ("ms", "2.1.2"), ("ms", "2.1.3")])
    );
}

#[test]
fn the_official_python_image_layout_with_a_console_script() {
    // python:3.11-slim: /usr/local prefix, pip in the stdlib's own
    // site-packages, uvicorn's script in /usr/local/bin, the app in /app.
    let layers = vec![vec![
        Mode("usr/local/bin/python3.11", b"\x7fELF python", 0o755),
        Symlink("usr/local/bin/python3", "python3.11"),
        Symlink("usr/local/bin/python", "python3"),
        File("usr/local/lib/python3.11/os.py", b"# os"),
        File("usr/local/lib/python3.11/asyncio/__init__.py", b"# asyncio"),
        File(
            "usr/local/lib/python3.11/ensurepip/_bundled/pip.whl",
            b"whl",
        ),
        File("usr/local/lib/python3.11/site-packages/README.txt", b"site"),
        File(
            "usr/local/lib/python3.11/site-packages/pip/__init__.py",
            b"# pip",
        ),
        File(
            "usr/local/lib/python3.11/site-packages/pip-24.0.dist-info/METADATA",
            b"Name: pip\nVersion: 24.0\n\n",
        ),
        File(
            "usr/local/lib/python3.11/site-packages/pip-24.0.dist-info/RECORD",
            b"pip/__init__.py,,\n../../../bin/pip,,\n",
        ),
        Mode(
            "usr/local/bin/pip",
            b"#!/usr/local/bin/python3.11\nimport pip\n",
            0o755,
        ),
        File(
            "usr/local/lib/python3.11/site-packages/uvicorn/__init__.py",
            b"# uv",
        ),
        File(
            "usr/local/lib/python3.11/site-packages/uvicorn-0.29.0.dist-info/METADATA",
            b"Name: uvicorn\nVersion: 0.29.0\n\n",
        ),
        File(
            "usr/local/lib/python3.11/site-packages/uvicorn-0.29.0.dist-info/RECORD",
            b"uvicorn/__init__.py,,\n../../../bin/uvicorn,,\n",
        ),
        Mode(
            "usr/local/bin/uvicorn",
            b"#!/usr/local/bin/python3.11\nfrom uvicorn.main import main\nmain()\n",
            0o755,
        ),
        File("app/main.py", b"app = 1"),
        File("app/routes/__init__.py", b""),
        File("app/pyproject.toml", b"[project]"),
        File("usr/bin/python3.11", b"\x7fELF debian python, unused"),
    ]];
    let (c, t) = closure_of(
        &layers,
        Cfg {
            entrypoint: &[],
            cmd: &["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"],
            env: &["PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"],
            workdir: "/app",
        },
    );
    assert_eq!(c.kind, AppKind::Python);
    assert_in(
        &c,
        &t,
        &[
            "usr/local/bin/uvicorn",
            "usr/local/bin/python3.11",
            "usr/local/lib/python3.11/os.py",
            "usr/local/lib/python3.11/asyncio/__init__.py",
            "usr/local/lib/python3.11/site-packages/uvicorn/__init__.py",
            "usr/local/lib/python3.11/site-packages/README.txt",
            "app/main.py",
            "app/routes/__init__.py",
        ],
    );
    assert_eq!(
        part(
            &c,
            &t,
            "usr/local/lib/python3.11/site-packages/uvicorn/__init__.py"
        ),
        Some(Part::Dependency)
    );
    assert_out(
        &c,
        &t,
        &[
            "usr/local/lib/python3.11/ensurepip/_bundled/pip.whl",
            "usr/local/lib/python3.11/site-packages/pip/__init__.py",
            "usr/local/bin/pip",
            "usr/bin/python3.11",
            "app/pyproject.toml",
        ],
    );
    assert_eq!(packages(&c, "pypi"), set(&[("uvicorn", "0.29.0")]));
}

#[test]
fn npm_start_runs_the_apps_start_script() {
    let manifest: &[u8] = br#"{"name":"app","version":"1.0.0",
 "scripts":{"start":"NODE_ENV=production node dist/main.js --port 80","build":"tsc"},
 "dependencies":{"debug":"4.3.4","ms":"2.1.3"},
 "devDependencies":{"typescript":"5.4.5","@types/node":"20.12.7"}}"#;
    let mut l = node_app(&[
        ("app/package.json", manifest),
        ("app/package-lock.json", NODE_LOCK_V3),
    ]);
    // Debian's npm: its CLI behind /usr/bin/npm, its dependencies flat in
    // /usr/share/nodejs beside packages it does not need.
    l.extend([
        Mode("usr/bin/env", b"\x7fELF env", 0o755),
        Symlink("usr/bin/npm", "../share/nodejs/npm/bin/npm-cli.js"),
        Mode(
            "usr/share/nodejs/npm/bin/npm-cli.js",
            b"#!/usr/bin/env node\nrequire('../lib/cli.js')(process)\n",
            0o755,
        ),
        File("usr/share/nodejs/npm/lib/cli.js", b"cli"),
        File(
            "usr/share/nodejs/npm/package.json",
            br#"{"name":"npm","version":"9.2.0","dependencies":{"abbrev":"2"}}"#,
        ),
        File(
            "usr/share/nodejs/abbrev/package.json",
            br#"{"name":"abbrev","version":"2.0.0"}"#,
        ),
        File("usr/share/nodejs/abbrev/lib/index.js", b"abbrev"),
        File(
            "usr/share/nodejs/left-pad/package.json",
            br#"{"name":"left-pad","version":"1.3.0"}"#,
        ),
    ]);
    let (c, t) = closure_of(
        &[l],
        Cfg {
            entrypoint: &[],
            cmd: &["npm", "start"],
            env: &["NODE_PATH=/usr/share/nodejs"],
            workdir: "/app",
        },
    );
    assert_node_prod(&c, &t);
    assert_in(
        &c,
        &t,
        &[
            "usr/bin/npm",
            "usr/share/nodejs/npm/bin/npm-cli.js",
            "usr/share/nodejs/npm/lib/cli.js",
            "usr/share/nodejs/abbrev/lib/index.js",
        ],
    );
    assert_eq!(
        part(&c, &t, "usr/share/nodejs/abbrev/lib/index.js"),
        Some(Part::Runtime)
    );
    assert_out(&c, &t, &["usr/share/nodejs/left-pad/package.json"]);
    // npm is the runtime's, not a dependency of the app.
    assert_eq!(
        packages(&c, "npm"),
        set(&[("debug", "4.3.4"), ("ms", "2.1.2"), ("ms", "2.1.3")])
    );
    assert!(
        c.gaps.iter().all(|g| !g.detail.contains("start")),
        "{:?}",
        c.gaps
    );

    // A script that is not `node SCRIPT` is said.
    let manifest: &[u8] = br#"{"name":"app","scripts":{"start":"next start"}}"#;
    let (c, _) = closure_of(
        &[node_app(&[("app/package.json", manifest)])],
        Cfg {
            entrypoint: &[
                "/usr/bin/node",
                "/usr/lib/node_modules/npm/index.js",
                "run",
                "start",
            ],
            cmd: &[],
            env: &[],
            workdir: "/app",
        },
    );
    assert!(
        c.gaps
            .iter()
            .any(|g| g.detail.contains("next start") && g.detail.contains("only `node SCRIPT`")),
        "{:?}",
        c.gaps
    );
}

#[test]
fn a_path_file_puts_an_editable_app_on_sys_path() {
    let mut l = debian_python();
    l.extend(venv());
    l.extend([
        File(
            "venv/lib/python3.11/site-packages/__editable__.myapp-0.1.pth",
            b"# editable\nimport os; os.getcwd()\n/srv/src\n../../../../nowhere\n",
        ),
        File("srv/src/myapp/__init__.py", b""),
        File("srv/src/myapp/__main__.py", b"import helpers"),
        File("srv/src/helpers.py", b""),
        File("srv/README.md", b"readme"),
    ]);
    let (c, t) = closure_of(
        &[l],
        Cfg {
            entrypoint: &["/venv/bin/python", "-m", "myapp"],
            cmd: &[],
            env: &[],
            workdir: "/",
        },
    );
    assert_in(
        &c,
        &t,
        &[
            "venv/lib/python3.11/site-packages/__editable__.myapp-0.1.pth",
            "srv/src/myapp/__main__.py",
            "srv/src/helpers.py",
        ],
    );
    assert_eq!(part(&c, &t, "srv/src/helpers.py"), Some(Part::AppCode));
    assert_out(&c, &t, &["srv/README.md"]);
    assert!(
        c.gaps.iter().all(|g| !g.detail.contains("myapp")),
        "{:?}",
        c.gaps
    );
}

#[test]
fn apps_in_usr_src_app_and_in_the_root() {
    // The official images' examples keep the app in /usr/src/app.
    let mut l = debian_python();
    l.extend([
        File("usr/src/app/app.py", b"import models"),
        File("usr/src/app/models.py", b""),
        File("usr/src/other/x.py", b""),
    ]);
    let (c, t) = closure_of(
        &[l],
        Cfg {
            entrypoint: &[],
            cmd: &["python3", "./app.py"],
            env: &[],
            workdir: "/usr/src/app",
        },
    );
    assert_in(&c, &t, &["usr/src/app/app.py", "usr/src/app/models.py"]);
    assert_out(&c, &t, &["usr/src/other/x.py"]);

    let manifest: &[u8] = br#"{"name":"app","dependencies":{"ms":"2"}}"#;
    let mut l = vec![
        Mode("usr/local/bin/node", b"\x7fELF node", 0o755),
        File("usr/src/app/server.js", b"require('./lib')"),
        File("usr/src/app/lib.js", b""),
        File("usr/src/app/package.json", manifest),
        File(
            "usr/src/app/node_modules/ms/package.json",
            br#"{"name":"ms","version":"2.1.3"}"#,
        ),
        File("usr/src/app/node_modules/ms/index.js", b""),
    ];
    let (c, t) = closure_of(
        &[l.clone()],
        Cfg {
            entrypoint: &["docker-entrypoint.sh"],
            cmd: &[],
            env: &[],
            workdir: "/usr/src/app",
        },
    );
    // No such entrypoint: nothing is guessed.
    assert_out(&c, &t, &["usr/src/app/lib.js"]);
    let (c, t) = closure_of(
        &[l.clone()],
        Cfg {
            entrypoint: &[],
            cmd: &["node", "server.js"],
            env: &[],
            workdir: "/usr/src/app",
        },
    );
    assert_in(
        &c,
        &t,
        &["usr/src/app/lib.js", "usr/src/app/node_modules/ms/index.js"],
    );
    assert_eq!(packages(&c, "npm"), set(&[("ms", "2.1.3")]));

    // Scripts kept in / bring their sibling modules, not the image.
    l.extend([
        File("main.py", b"import helper"),
        File("helper.py", b""),
        File("main.js", b"require('./h')"),
        File("h.js", b""),
        File("package.json", br#"{"name":"root-app"}"#),
    ]);
    l.extend(debian_python());
    for (cmd, want) in [
        (&["python3", "/main.py"][..], &["main.py", "helper.py"][..]),
        (
            &["node", "/main.js"][..],
            &["main.js", "h.js", "package.json"][..],
        ),
    ] {
        let (c, t) = closure_of(
            &[l.clone()],
            Cfg {
                entrypoint: &[],
                cmd,
                env: &[],
                workdir: "/",
            },
        );
        assert_in(&c, &t, want);
        assert_out(&c, &t, &["usr/src/app/lib.js", "usr/src/app/server.js"]);
    }
}

#[test]
fn a_copied_venv_interpreter_finds_its_base_through_home() {
    // `python -m venv --copies --system-site-packages`: the venv's python
    // is a copy, the stdlib is home's, the system's packages are seen.
    let l = vec![
        File(
            "opt/env/pyvenv.cfg",
            b"home = /usr/bin\ninclude-system-site-packages = true\nversion = 3.11.2\n",
        ),
        Mode("opt/env/bin/python3", b"\x7fELF python copy", 0o755),
        File("opt/env/lib/python3.11/site-packages/mine/__init__.py", b""),
        File(
            "opt/env/lib/python3.11/site-packages/mine-2.0.dist-info/METADATA",
            b"Name: mine\nVersion: 2.0\n\n",
        ),
        File("srv/run.py", b"import mine"),
    ];
    let (c, t) = closure_of(
        &[debian_python(), l],
        Cfg {
            entrypoint: &["/opt/env/bin/python3", "/srv/run.py"],
            cmd: &[],
            env: &[],
            workdir: "/",
        },
    );
    assert_stdlib_files(&c, &t);
    assert_out(&c, &t, &["usr/bin/python3.11"]);
    assert_in(
        &c,
        &t,
        &[
            "opt/env/bin/python3",
            "opt/env/pyvenv.cfg",
            "opt/env/lib/python3.11/site-packages/mine/__init__.py",
            "usr/lib/python3/dist-packages/debpkg/__init__.py",
            "srv/run.py",
        ],
    );
    assert_out(&c, &t, &["usr/lib/python3/dist-packages/pip/__init__.py"]);
    assert_eq!(
        packages(&c, "pypi"),
        set(&[("mine", "2.0"), ("debpkg", "1.2")])
    );
    assert!(
        c.gaps
            .iter()
            .all(|g| !g.detail.contains("standard library")),
        "{:?}",
        c.gaps
    );
}

#[test]
fn flask_run_finds_its_app_from_flask_app_or_by_default() {
    let srv = vec![
        File("srv/web/__init__.py", b""),
        File("srv/web/main.py", b"app = 1"),
        File("srv/templates/x.html", b"x"),
    ];
    let (c, t) = closure_of(
        &[debian_python(), venv(), srv.clone()],
        Cfg {
            entrypoint: &["/venv/bin/flask", "run", "--host=0.0.0.0"],
            cmd: &[],
            env: &["FLASK_APP=web/main.py:app"],
            workdir: "/srv",
        },
    );
    assert_in(
        &c,
        &t,
        &["srv/web/main.py", "srv/templates/x.html", "venv/bin/flask"],
    );

    let mut srv_default = srv;
    srv_default.push(File("srv/app.py", b"app = 1"));
    let (c, t) = closure_of(
        &[debian_python(), venv(), srv_default],
        Cfg {
            entrypoint: &["/venv/bin/python3", "-m", "flask", "run"],
            cmd: &[],
            env: &[],
            workdir: "/srv",
        },
    );
    assert_in(&c, &t, &["srv/app.py", "srv/web/main.py"]);

    // FLASK_APP naming nothing is a gap.
    let (c, _) = closure_of(
        &[debian_python(), venv()],
        Cfg {
            entrypoint: &["/venv/bin/flask", "run"],
            cmd: &[],
            env: &["FLASK_APP=missing"],
            workdir: "/",
        },
    );
    assert!(
        c.gaps
            .iter()
            .any(|g| g.detail.contains("FLASK_APP names missing")),
        "{:?}",
        c.gaps
    );
}

#[test]
fn pip_install_user_packages_are_the_users_site() {
    // `pip install --user` in a builder, `COPY --from=build /root/.local`.
    let l = vec![
        File(
            "root/.local/lib/python3.11/site-packages/requests/__init__.py",
            b"",
        ),
        File(
            "root/.local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
            b"Name: requests\nVersion: 2.31.0\n\n",
        ),
        Mode(
            "root/.local/bin/serve",
            b"#!/usr/bin/python3\nimport app\n",
            0o755,
        ),
        File(
            "home/app/.local/lib/python3.11/site-packages/other/__init__.py",
            b"",
        ),
        File("app/main.py", b"import requests"),
    ];
    let (c, t) = closure_of(
        &[debian_python(), l.clone()],
        Cfg {
            entrypoint: &["python3", "/app/main.py"],
            cmd: &[],
            env: &[],
            workdir: "/",
        },
    );
    assert_in(
        &c,
        &t,
        &[
            "root/.local/lib/python3.11/site-packages/requests/__init__.py",
            "usr/lib/python3/dist-packages/debpkg/__init__.py",
        ],
    );
    assert_out(
        &c,
        &t,
        &[
            "home/app/.local/lib/python3.11/site-packages/other/__init__.py",
            "root/.local/bin/serve",
        ],
    );
    assert_eq!(
        packages(&c, "pypi"),
        set(&[("requests", "2.31.0"), ("debpkg", "1.2")])
    );
    // HOME says whose site it is.
    let (c, t) = closure_of(
        &[debian_python(), l],
        Cfg {
            entrypoint: &["python3", "/app/main.py"],
            cmd: &[],
            env: &["HOME=/home/app"],
            workdir: "/",
        },
    );
    assert_in(
        &c,
        &t,
        &["home/app/.local/lib/python3.11/site-packages/other/__init__.py"],
    );
    assert_out(
        &c,
        &t,
        &["root/.local/lib/python3.11/site-packages/requests/__init__.py"],
    );
}
