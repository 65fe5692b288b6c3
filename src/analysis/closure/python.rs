//! Python's closure: the interpreter's standard library and its extension
//! modules, the environment it runs in (a virtualenv, else the system's
//! site directories) with its installed distributions, and the app's code.
//!
//! - The standard library is `PREFIX/lib/python3.X` of the base
//!   interpreter (a venv's `python3` is a symlink to it, or `pyvenv.cfg`'s
//!   `home =` names its directory). Parts a running app never imports are
//!   left out: the regression suite (`test/`), the IDE (`idlelib/`),
//!   `turtledemo/`, `ensurepip/` (bootstraps pip into a new venv),
//!   `pydoc_data/` (the text of `help()`), the `config-3.X-*` build files
//!   (a static libpython and a Makefile, for building extensions),
//!   `lib2to3/` (the 2to3 source translator, deprecated and gone in 3.13;
//!   Debian ships it apart, as python3-lib2to3, and its runtime images do
//!   without), and `tkinter/` + `turtle.py` when there is no `_tkinter`
//!   module to back them. `distutils/` stays: runtime code still imports
//!   it (`distutils.util.strtobool`, `distutils.version.LooseVersion`).
//! - `lib-dynload/*.so` are ELF files: their libraries follow.
//! - The environment: the venv the interpreter path lies in (`pyvenv.cfg`
//!   beside or above it, the way Python finds it), else `VIRTUAL_ENV`'s,
//!   else the user's site (`pip install --user`, `$HOME/.local`) and the
//!   system's site and dist-packages. Every file there is in except pip,
//!   setuptools and wheel (installers, not run-time code); each
//!   distribution is named from its `METADATA`. Directories `.pth` files
//!   name (editable installs) are app code.
//! - The app: the script Python runs and its directory (unless that is a
//!   system or venv `bin/`), `-m MODULE` and `MODULE:ATTR` arguments
//!   (gunicorn, uvicorn; `--app`/`-A` of flask and celery; `FLASK_APP`)
//!   resolved in the working directory, and `PYTHONPATH`. Build manifests (`requirements.txt`, `pyproject.toml`…)
//!   are not needed to run and stay out.
//!
//! Everything here is inferred from how CPython starts and imports.

use super::{Cx, Part, Sure};
use crate::analysis::names::split_name_version;
use crate::analysis::python::{parse_metadata, parse_record, record_target};
use crate::escape::escape_bytes;
use crate::image::EntryKind;
use crate::tree::{NodeId, ROOT};
use std::collections::HashSet;

/// Most distributions read from one site directory.
const MAX_DISTS: usize = 20_000;
/// Most directories `.pth` files add to the search (Python reads them
/// all; past this the app code they hold is not counted).
const MAX_PATH_DIRS: usize = 1000;
/// Most nodes one [`add_tree`] visits.
const MAX_TREE_NODES: usize = 2_000_000;

/// Installers a venv carries that no app imports at run time: each with
/// the top-level names it installs when its `RECORD` is missing (Debian
/// strips them).
const INSTALLERS: &[(&str, &[&[u8]])] = &[
    ("pip", &[b"pip"]),
    (
        "setuptools",
        &[
            b"setuptools",
            b"pkg_resources",
            b"_distutils_hack",
            b"distutils-precedence.pth",
        ],
    ),
    ("wheel", &[b"wheel"]),
];

/// Standard library entries no running app imports (see the module doc).
const STDLIB_SKIP: &[&[u8]] = &[
    b"test",
    b"idlelib",
    b"turtledemo",
    b"ensurepip",
    b"pydoc_data",
    b"lib2to3",
    // Site directories are the environment's, handled on their own.
    b"site-packages",
    b"dist-packages",
];

/// Files beside an app that only building or installing it reads.
const BUILD_MANIFESTS: &[&[u8]] = &[
    b"requirements.txt",
    b"requirements-dev.txt",
    b"pyproject.toml",
    b"setup.cfg",
    b"Pipfile",
    b"Pipfile.lock",
    b"poetry.lock",
    b"uv.lock",
    b"tox.ini",
    b"Dockerfile",
    b".dockerignore",
    b".gitignore",
];

/// What a virtualenv's `pyvenv.cfg` says.
#[derive(Debug, Default)]
struct VenvCfg {
    home: Option<Vec<u8>>,
    system_site: bool,
    version: Option<Vec<u8>>,
}

fn parse_venv_cfg(text: &[u8]) -> VenvCfg {
    let mut cfg = VenvCfg::default();
    for line in text.split(|b| *b == b'\n').take(1000) {
        let Some(eq) = line.iter().position(|b| *b == b'=') else {
            continue;
        };
        let key = line[..eq].trim_ascii();
        let value = line[eq + 1..].trim_ascii();
        match key {
            b"home" => cfg.home = Some(value.to_vec()),
            b"include-system-site-packages" => {
                cfg.system_site = value.eq_ignore_ascii_case(b"true")
            }
            b"version" | b"version_info" => cfg.version = Some(value.to_vec()),
            _ => {}
        }
    }
    cfg
}

/// How Python was asked to start.
#[derive(Debug, Default, PartialEq, Eq)]
struct Invocation {
    /// The script (`python app.py`), as given.
    script: Option<Vec<u8>>,
    /// `-m MODULE`.
    module: Option<Vec<u8>>,
    /// `-c TEXT`: code in the command line.
    command: bool,
    /// The arguments after the script or module (the app's own).
    args: Vec<Vec<u8>>,
}

/// Reads Python's command line (`argv[0]` is the interpreter): options
/// until the script, `-m`, `-c` or `-`.
fn parse_argv(argv: &[Vec<u8>]) -> Invocation {
    let mut inv = Invocation::default();
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == b"-" {
            break;
        }
        if a == b"--check-hash-based-pycs" {
            i += 1;
            continue;
        }
        if a.starts_with(b"--") {
            continue;
        }
        if !a.starts_with(b"-") {
            inv.script = Some(a.clone());
            break;
        }
        // Short options may be grouped (`-uB`); the ones with a value take
        // the rest of the word or the next word.
        let mut found = None;
        for (j, c) in a.iter().enumerate().skip(1) {
            if matches!(c, b'c' | b'm' | b'W' | b'X') {
                let value = if j + 1 < a.len() {
                    Some(a[j + 1..].to_vec())
                } else {
                    let v = argv.get(i).cloned();
                    i += 1;
                    v
                };
                found = Some((*c, value));
                break;
            }
        }
        match found {
            Some((b'c', _)) => {
                inv.command = true;
                break;
            }
            Some((b'm', value)) => {
                inv.module = value;
                break;
            }
            _ => {}
        }
    }
    inv.args = argv.get(i..).map(<[_]>::to_vec).unwrap_or_default();
    inv
}

/// Python's closure: `interpreter` is the resolved interpreter program,
/// `argv[0]` the interpreter as invoked.
pub fn run(cx: &mut Cx, interpreter: NodeId, argv: &[Vec<u8>]) {
    let named_before = cx.out.packages.len();
    run_python(cx, interpreter, argv);
    dedup_packages(cx, named_before);
}

/// Drops the packages named since `start` that were already named (a
/// package installed twice, an interpreter run twice), in one pass.
pub(super) fn dedup_packages(cx: &mut Cx, start: usize) {
    let start = start.min(cx.out.packages.len());
    let tail = cx.out.packages.split_off(start);
    let mut seen: HashSet<(String, String, String)> = cx.out.packages.iter().cloned().collect();
    for p in tail {
        if seen.insert(p.clone()) {
            cx.out.packages.push(p);
        }
    }
}

fn run_python(cx: &mut Cx, interpreter: NodeId, argv: &[Vec<u8>]) {
    let shown = cx.show(interpreter);
    let invoked = argv
        .first()
        .and_then(|a| cx.command(a))
        .unwrap_or_else(|| [&b"/"[..], &cx.tree.path_of(interpreter)].concat());
    let venv = find_venv(cx, &invoked);
    let cfg = venv.map(|(_, cfg_id)| {
        cx.add_node(
            cfg_id,
            Part::Runtime,
            Sure::Exact,
            "the virtualenv's marker, read at start-up",
        );
        cx.content(cfg_id).map(parse_venv_cfg).unwrap_or_default()
    });
    let stdlib = find_stdlib(cx, interpreter, cfg.as_ref());
    match stdlib {
        Some(dir) => add_stdlib(cx, dir, &format!("the standard library of {shown}")),
        None => cx.gap(
            "partial",
            format!("the standard library of {shown} was not found (no lib/python3.*/os.py)"),
        ),
    }
    let version = stdlib.map(|d| cx.tree.node(d).name.to_vec());
    // The environment: site directories in the order Python searches them.
    let mut sites: Vec<NodeId> = Vec::new();
    let mut venv_roots: Vec<NodeId> = Vec::new();
    if let Some((root, _)) = venv {
        venv_roots.push(root);
        sites.extend(venv_sites(cx, root, version.as_deref()));
    }
    if venv.is_none() {
        if let Some(v) = cx.env("VIRTUAL_ENV").map(|v| v.as_bytes().to_vec()) {
            if let (Some(root), _) = cx.walk(&v) {
                if child_file(cx, root, b"pyvenv.cfg").is_some() {
                    cx.gap(
                        "partial",
                        format!(
                            "VIRTUAL_ENV names {} but the interpreter does not lie in it; its packages are counted in as the environment says",
                            cx.show(root)
                        ),
                    );
                    venv_roots.push(root);
                    sites.extend(venv_sites(cx, root, version.as_deref()));
                }
            }
        }
    }
    let system_site = venv_roots.is_empty() || cfg.as_ref().is_some_and(|c| c.system_site);
    if let (true, Some(v)) = (venv_roots.is_empty(), &version) {
        // The user's site (`pip install --user`) comes first; a venv
        // turns it off.
        sites.extend(user_site(cx, v));
    }
    if system_site {
        if let Some(dir) = stdlib {
            sites.extend(system_sites(cx, dir));
        }
    }
    dedup(&mut sites);
    let mut pth_dirs: Vec<NodeId> = Vec::new();
    for &site in &sites {
        add_site(cx, site);
        pth_dirs.extend(path_files(cx, site));
    }
    // The app.
    let inv = parse_argv(argv);
    let mut app_paths: Vec<NodeId> = Vec::new();
    if let Some(pp) = cx.env("PYTHONPATH") {
        for entry in pp.split(':').filter(|e| !e.is_empty()) {
            if let (Some(id), _) = cx.walk(entry.as_bytes()) {
                app_paths.push(id);
            }
        }
    }
    let skip = AppSkip {
        venvs: venv_roots.clone(),
        sites: sites.clone(),
    };
    for &p in &app_paths {
        if !is_system(&cx.tree.path_of(p)) {
            add_app_tree(cx, p, "on PYTHONPATH", &skip);
        }
    }
    for &p in &pth_dirs {
        if !is_system(&cx.tree.path_of(p)) && !is_in_any(cx, p, &sites) {
            add_app_tree(cx, p, "on sys.path through a .pth file", &skip);
        }
    }
    let workdir = cx.walk(&[&b"/"[..], &cx.workdir].concat()).0;
    if inv.command {
        cx.gap(
            "partial",
            "python -c runs code from the command line: what it imports is not followed",
        );
    }
    if let Some(script) = &inv.script {
        match cx.add(script, Part::AppCode, Sure::Exact, "the script Python runs") {
            Some(id) => {
                let dir = cx.tree.node(id).parent;
                if dir == ROOT {
                    // A script in /: its sibling modules, not the image.
                    add_root_files(cx, &[b".py"], "beside the script Python runs");
                } else if !is_system(&cx.tree.path_of(dir)) && !is_in_any(cx, dir, &venv_roots) {
                    add_app_tree(cx, dir, "beside the script Python runs", &skip);
                }
            }
            None => cx.gap(
                "missing-command",
                format!(
                    "the script {} Python runs is not in the image",
                    escape_bytes(script)
                ),
            ),
        }
    }
    // sys.path for modules named by -m and MODULE:ATTR: the working
    // directory, PYTHONPATH, then the environment.
    let mut search: Vec<NodeId> = workdir.into_iter().collect();
    search.extend(&app_paths);
    search.extend(&pth_dirs);
    if let Some(module) = &inv.module {
        let found = find_module(cx, &search, module).or_else(|| find_module(cx, &sites, module));
        match found {
            Some(id) => add_app_module(cx, id, &skip, "python -m"),
            None => {
                if stdlib.is_none_or(|d| find_module(cx, &[d], module).is_none()) {
                    cx.gap(
                        "missing-command",
                        format!(
                            "python -m {}: the module is not in the image",
                            escape_bytes(module)
                        ),
                    );
                }
            }
        }
    }
    app_modules(cx, &inv.args, &search, &sites, &skip);
    flask_app(cx, &inv, &search, &skip);
}

/// `flask run` finds the app from `FLASK_APP` (a module or a file, with an
/// optional `:attr`), else `wsgi.py` or `app.py` in the working directory,
/// unless `--app` says (read with the other arguments).
fn flask_app(cx: &mut Cx, inv: &Invocation, search: &[NodeId], skip: &AppSkip) {
    let tool = inv.module.as_deref().or_else(|| {
        inv.script
            .as_deref()
            .map(|s| s.rsplit(|b| *b == b'/').next().unwrap_or(s))
    });
    if tool != Some(&b"flask"[..])
        || inv
            .args
            .iter()
            .any(|a| a == b"--app" || a == b"-A" || a.starts_with(b"--app="))
    {
        return;
    }
    match cx.env("FLASK_APP") {
        Some(spec) => {
            let module = spec.split(':').next().unwrap_or_default();
            let module = module
                .strip_suffix(".py")
                .unwrap_or(module)
                .replace('/', ".");
            match find_module(cx, search, module.as_bytes()) {
                Some(id) => add_app_module(cx, id, skip, "FLASK_APP"),
                None => cx.gap(
                    "partial",
                    format!(
                        "FLASK_APP names {}, which was not found",
                        crate::escape::escape_str(spec)
                    ),
                ),
            }
        }
        None => {
            for m in [&b"wsgi"[..], b"app"] {
                if let Some(id) = find_module(cx, search, m) {
                    add_app_module(cx, id, skip, "the app flask finds by default");
                    break;
                }
            }
        }
    }
}

/// `MODULE:ATTR` arguments (gunicorn, uvicorn, hypercorn, waitress) and
/// `--app`/`-A MODULE` (flask, celery), resolved along `search` (from
/// `--chdir`/`--app-dir` first) and then the site directories.
fn app_modules(cx: &mut Cx, args: &[Vec<u8>], search: &[NodeId], sites: &[NodeId], skip: &AppSkip) {
    let mut search = search.to_vec();
    let mut modules: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    while i < args.len() && i < 256 {
        let a = &args[i];
        i += 1;
        let (flag, inline) = match a.iter().position(|b| *b == b'=') {
            Some(eq) if a.starts_with(b"--") => (&a[..eq], Some(a[eq + 1..].to_vec())),
            _ => (&a[..], None),
        };
        let value = |i: &mut usize| {
            inline.clone().or_else(|| {
                let v = args.get(*i).cloned();
                *i += 1;
                v
            })
        };
        match flag {
            b"--chdir" | b"--app-dir" | b"--pythonpath" => {
                if let Some(d) = value(&mut i) {
                    for d in d.split(|b| *b == b',').filter(|d| !d.is_empty()) {
                        if let (Some(id), _) = cx.walk(d) {
                            search.insert(0, id);
                        }
                    }
                }
            }
            b"--app" | b"-A" => {
                if let Some(m) = value(&mut i) {
                    modules.push(m);
                }
            }
            _ if !a.starts_with(b"-") => {
                if let Some(m) = module_of_app_spec(a) {
                    modules.push(m.to_vec());
                }
            }
            _ => {}
        }
    }
    for m in modules {
        let m = m.split(|b| *b == b':').next().unwrap_or_default().to_vec();
        if let Some(id) = find_module(cx, &search, &m) {
            add_app_module(cx, id, skip, "the module the command line names");
        } else if find_module(cx, sites, &m).is_none() {
            cx.gap(
                "partial",
                format!(
                    "the app module {} the command line names was not found",
                    escape_bytes(&m)
                ),
            );
        }
    }
}

/// `pkg.module:attr` or `module:factory()`: the module part.
fn module_of_app_spec(arg: &[u8]) -> Option<&[u8]> {
    let colon = arg.iter().position(|b| *b == b':')?;
    let (module, attr) = (&arg[..colon], &arg[colon + 1..]);
    let ident = |s: &[u8]| {
        !s.is_empty()
            && !s[0].is_ascii_digit()
            && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let attr = attr.split(|b| *b == b'(').next().unwrap_or_default();
    (module.split(|b| *b == b'.').all(ident) && ident(attr)).then_some(module)
}

/// Finds `a.b.c` the way the import system does along `dirs`: a package
/// directory `a/` (with `b/c.py` or `b/c/` below) or a module `a.py`, or an
/// extension `a.*.so`. Returns the top-level package or module.
fn find_module(cx: &Cx, dirs: &[NodeId], dotted: &[u8]) -> Option<NodeId> {
    let parts: Vec<&[u8]> = dotted.split(|b| *b == b'.').collect();
    if parts.iter().any(|p| p.is_empty()) || parts.len() > 64 {
        return None;
    }
    for &dir in dirs {
        let mut cur = dir;
        let mut top = None;
        let mut ok = true;
        for (k, part) in parts.iter().enumerate() {
            let last = k + 1 == parts.len();
            let as_dir = resolve_child(cx, cur, part).filter(|&d| cx.tree.node(d).is_dir());
            let as_file = [&part[..], b".py"].concat();
            let as_file = resolve_child(cx, cur, &as_file).or_else(|| extension(cx, cur, part));
            match (as_dir, as_file) {
                (Some(d), _) if !last || has_python(cx, d) => {
                    top.get_or_insert(d);
                    cur = d;
                }
                (_, Some(f)) if last => {
                    top.get_or_insert(f);
                }
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            return top;
        }
    }
    None
}

/// Whether a package directory holds Python (`__init__.py` or `__main__.py`
/// or any `.py`): namespace packages have no `__init__.py`.
fn has_python(cx: &Cx, dir: NodeId) -> bool {
    cx.tree
        .children(dir)
        .iter()
        .take(10_000)
        .any(|&c| cx.tree.node(c).name.ends_with(b".py") || cx.tree.node(c).is_dir())
}

/// An extension module `NAME.cpython-311-x86_64-linux-gnu.so` or `NAME.so`.
fn extension(cx: &Cx, dir: NodeId, name: &[u8]) -> Option<NodeId> {
    cx.tree
        .children(dir)
        .iter()
        .take(100_000)
        .copied()
        .find(|&c| {
            let n = &cx.tree.node(c).name;
            n.ends_with(b".so") && n.starts_with(name) && matches!(n.get(name.len()), Some(b'.'))
        })
}

/// A child through the image's symlinks.
fn resolve_child(cx: &Cx, dir: NodeId, name: &[u8]) -> Option<NodeId> {
    let id = cx.tree.child(dir, name)?;
    if cx.tree.node(id).kind == EntryKind::Symlink {
        let p = [&b"/"[..], &cx.tree.path_of(id)].concat();
        cx.walk(&p).0
    } else {
        Some(id)
    }
}

/// Adds a module found for the app: its own code (with its directory's
/// other modules, which it may import) unless it lies in the environment.
fn add_app_module(cx: &mut Cx, id: NodeId, skip: &AppSkip, why: &str) {
    if skip.sites.iter().any(|&s| is_below(cx, s, id)) || is_system(&cx.tree.path_of(id)) {
        return;
    }
    let dir = cx.tree.node(id).parent;
    if !is_system(&cx.tree.path_of(dir)) && !is_in_any(cx, dir, &skip.venvs) {
        add_app_tree(cx, dir, why, skip);
    } else {
        add_app_tree(cx, id, why, skip);
    }
}

/// What the app's directories must not bring: venvs and site directories
/// (the environment's, handled apart), VCS data, build manifests.
struct AppSkip {
    venvs: Vec<NodeId>,
    sites: Vec<NodeId>,
}

fn add_app_tree(cx: &mut Cx, dir: NodeId, why: &str, skip: &AppSkip) {
    add_tree(
        cx,
        dir,
        Part::AppCode,
        Sure::Inferred,
        why,
        &mut |cx, id| {
            let n = cx.tree.node(id);
            if n.is_dir() {
                skip.venvs.contains(&id)
                    || skip.sites.contains(&id)
                    || n.name == b".git"
                    || n.name == b"node_modules"
                    || child_file(cx, id, b"pyvenv.cfg").is_some()
            } else {
                BUILD_MANIFESTS.contains(&n.name)
            }
        },
    );
}

/// Whether a path (no leading `/`) is the root or lies in the system's own
/// directories, never an app's.
pub(super) fn is_system(path: &[u8]) -> bool {
    let parts: Vec<&[u8]> = path.split(|b| *b == b'/').take(3).collect();
    // Below /usr and /usr/local, only the FHS's own directories are the
    // system's: /usr/src/app is where many images keep their app.
    let fhs = |c: &[u8]| {
        matches!(
            c,
            b"bin"
                | b"sbin"
                | b"lib"
                | b"lib32"
                | b"lib64"
                | b"libx32"
                | b"libexec"
                | b"share"
                | b"include"
                | b"games"
        )
    };
    match parts.as_slice() {
        [b""] | [b"usr"] | [b"usr", b"local"] => true,
        [b"usr", b"local", c, ..] => fhs(c),
        [b"usr", c, ..] => fhs(c),
        [first, ..] => {
            fhs(first)
                || matches!(
                    *first,
                    b"etc" | b"proc" | b"sys" | b"dev" | b"boot" | b"run"
                )
        }
        [] => true,
    }
}

/// The image root's own files with one of `exts` (an app kept in `/`).
pub(super) fn add_root_files(cx: &mut Cx, exts: &[&[u8]], why: &str) {
    let files: Vec<NodeId> = cx
        .tree
        .children(ROOT)
        .iter()
        .copied()
        .filter(|&c| {
            let n = cx.tree.node(c);
            !n.is_dir()
                && exts.iter().any(|e| n.name.ends_with(e))
                && !BUILD_MANIFESTS.contains(&n.name)
        })
        .take(10_000)
        .collect();
    for f in files {
        add_node_following(cx, f, Part::AppCode, why);
    }
}

fn is_below(cx: &Cx, dir: NodeId, mut id: NodeId) -> bool {
    for _ in 0..4096 {
        if id == dir {
            return true;
        }
        if id == ROOT {
            return false;
        }
        id = cx.tree.node(id).parent;
    }
    false
}

fn is_in_any(cx: &Cx, id: NodeId, dirs: &[NodeId]) -> bool {
    dirs.iter().any(|&d| is_below(cx, d, id))
}

fn child_file(cx: &Cx, dir: NodeId, name: &[u8]) -> Option<NodeId> {
    cx.tree
        .child(dir, name)
        .filter(|&c| matches!(cx.tree.node(c).kind, EntryKind::File | EntryKind::HardLink))
}

fn dedup(ids: &mut Vec<NodeId>) {
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(*id));
}

/// The venv an interpreter invoked at `invoked` runs in: `pyvenv.cfg` in
/// the executable's directory or the one above (CPython's `getpath`).
/// Returns the venv root and its `pyvenv.cfg`.
fn find_venv(cx: &Cx, invoked: &[u8]) -> Option<(NodeId, NodeId)> {
    let bin = match invoked.iter().rposition(|b| *b == b'/') {
        Some(i) => &invoked[..i],
        None => return None,
    };
    let bin = cx.walk(if bin.is_empty() { b"/" } else { bin }).0?;
    for dir in [bin, cx.tree.node(bin).parent] {
        if dir == ROOT {
            continue;
        }
        if let Some(cfg) = child_file(cx, dir, b"pyvenv.cfg") {
            return Some((dir, cfg));
        }
    }
    None
}

/// `PREFIX/lib/python3.X` of the base interpreter: from the interpreter's
/// own name (`python3.11`) or the venv's `version`, under the prefix of the
/// resolved program or of the venv's `home`; the landmark is `os.py`.
fn find_stdlib(cx: &Cx, interpreter: NodeId, cfg: Option<&VenvCfg>) -> Option<NodeId> {
    let mut prefixes: Vec<NodeId> = Vec::new();
    let bin = cx.tree.node(interpreter).parent;
    prefixes.push(cx.tree.node(bin).parent);
    if let Some(home) = cfg.and_then(|c| c.home.as_deref()) {
        if let (Some(h), _) = cx.walk(home) {
            prefixes.push(cx.tree.node(h).parent);
        }
    }
    let name = &cx.tree.node(interpreter).name;
    let mut wanted: Vec<Vec<u8>> = Vec::new();
    if let Some(v) = name.strip_prefix(b"python") {
        let v: Vec<u8> = v
            .iter()
            .copied()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .collect();
        if v.contains(&b'.') {
            wanted.push([&b"python"[..], &v].concat());
        }
    }
    if let Some(v) = cfg.and_then(|c| c.version.as_deref()) {
        let mut it = v.split(|b| *b == b'.');
        if let (Some(a), Some(b)) = (it.next(), it.next()) {
            wanted.push([&b"python"[..], a, b".", b].concat());
        }
    }
    for &prefix in &prefixes {
        for lib in [&b"lib"[..], b"lib64"] {
            let Some(lib) = resolve_child(cx, prefix, lib) else {
                continue;
            };
            for w in &wanted {
                if let Some(d) = resolve_child(cx, lib, w) {
                    if child_file(cx, d, b"os.py").is_some() {
                        return Some(d);
                    }
                }
            }
            if wanted.is_empty() {
                // A plain `python3`: the one python3.X holding os.py.
                let found: Vec<NodeId> = cx
                    .tree
                    .children(lib)
                    .iter()
                    .copied()
                    .filter(|&c| {
                        cx.tree.node(c).name.starts_with(b"python3.")
                            && child_file(cx, c, b"os.py").is_some()
                    })
                    .collect();
                if let Some(&d) = found.last() {
                    return Some(d);
                }
            }
        }
    }
    None
}

fn add_stdlib(cx: &mut Cx, dir: NodeId, why: &str) {
    let tk = resolve_child(cx, dir, b"lib-dynload")
        .map(|d| {
            cx.tree
                .children(d)
                .iter()
                .any(|&c| cx.tree.node(c).name.starts_with(b"_tkinter."))
        })
        .unwrap_or(false);
    add_tree(
        cx,
        dir,
        Part::Runtime,
        Sure::Inferred,
        why,
        &mut |cx, id| {
            if cx.tree.node(id).parent != dir {
                return false;
            }
            let name = cx.tree.node(id).name;
            STDLIB_SKIP.contains(&name)
                || name.starts_with(b"config-3")
                || (!tk && (name == b"tkinter" || name == b"turtle.py"))
        },
    );
}

/// `VENV/lib/python3.X/site-packages` (every python3.* when the version is
/// not known).
fn venv_sites(cx: &Cx, root: NodeId, version: Option<&[u8]>) -> Vec<NodeId> {
    let mut out = Vec::new();
    for lib in [&b"lib"[..], b"lib64"] {
        let Some(lib) = resolve_child(cx, root, lib) else {
            continue;
        };
        for &c in cx.tree.children(lib).iter().take(1000) {
            let name = &cx.tree.node(c).name;
            if version.map_or(name.starts_with(b"python3"), |v| **name == *v) {
                if let Some(s) = resolve_child(cx, c, b"site-packages") {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// `USERBASE/lib/python3.X/site-packages`: `PYTHONUSERBASE`, else
/// `$HOME/.local` (`HOME` from the config, else root's when the image runs
/// as root).
fn user_site(cx: &Cx, version: &[u8]) -> Option<NodeId> {
    let base: Vec<u8> = match cx.env("PYTHONUSERBASE") {
        Some(b) => b.as_bytes().to_vec(),
        None => {
            let home = cx.env("HOME").map(str::to_string).or_else(|| {
                let user = cx.image.config.user.as_deref().unwrap_or_default();
                let user = user.split(':').next().unwrap_or_default();
                matches!(user, "" | "root" | "0").then(|| "/root".to_string())
            })?;
            [home.as_bytes(), b"/.local"].concat()
        }
    };
    let path = [&base[..], b"/lib/", version, b"/site-packages"].concat();
    cx.walk(&path).0.filter(|&d| cx.tree.node(d).is_dir())
}

/// The system's site directories for the stdlib at `PREFIX/lib/python3.X`:
/// its own `site-packages` and `dist-packages`, and Debian's
/// `PREFIX/local/lib/python3.X/dist-packages` and
/// `PREFIX/lib/python3/dist-packages`.
fn system_sites(cx: &Cx, stdlib: NodeId) -> Vec<NodeId> {
    let version = cx.tree.node(stdlib).name.to_vec();
    let lib = cx.tree.node(stdlib).parent;
    let prefix = cx.tree.node(lib).parent;
    let p = |parts: &[&[u8]]| -> Option<NodeId> {
        let mut path = cx.tree.path_of(prefix);
        for part in parts {
            path.push(b'/');
            path.extend_from_slice(part);
        }
        cx.walk(&[&b"/"[..], &path].concat()).0
    };
    [
        p(&[b"local", b"lib", &version, b"dist-packages"]),
        p(&[b"lib", b"python3", b"dist-packages"]),
        p(&[b"lib", &version, b"dist-packages"]),
        p(&[b"lib", &version, b"site-packages"]),
    ]
    .into_iter()
    .flatten()
    .filter(|&d| cx.tree.node(d).is_dir())
    .collect()
}

/// The normalised name of a distribution (PEP 503).
fn normalise(name: &[u8]) -> String {
    let mut out = String::new();
    let mut dash = false;
    for &b in name {
        if matches!(b, b'-' | b'_' | b'.') {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push((b as char).to_ascii_lowercase());
        }
    }
    out
}

/// One site directory: every distribution but the installers, named, and
/// every other file there.
fn add_site(cx: &mut Cx, site: NodeId) {
    let site_path = cx.tree.path_of(site);
    let why_site = format!("in {}", cx.show(site));
    // Files of the installers, and top-level entries only they install.
    let mut skip: HashSet<NodeId> = HashSet::new();
    let mut kept_tops: HashSet<Vec<u8>> = HashSet::new();
    let mut tool_tops: HashSet<Vec<u8>> = HashSet::new();
    let dists: Vec<NodeId> = cx
        .tree
        .children(site)
        .iter()
        .copied()
        .filter(|&c| {
            let n = cx.tree.node(c);
            n.is_dir() && (n.name.ends_with(b".dist-info") || n.name.ends_with(b".egg-info"))
        })
        .take(MAX_DISTS)
        .collect();
    let mut named: Vec<(NodeId, String, Option<String>, Vec<NodeId>)> = Vec::new();
    for dist in dists {
        let dir_name = cx.tree.node(dist).name.to_vec();
        let egg = dir_name.ends_with(b".egg-info");
        let stem = &dir_name[..dir_name.len() - if egg { 9 } else { 10 }];
        let meta = child_file(cx, dist, if egg { b"PKG-INFO" } else { b"METADATA" })
            .and_then(|m| cx.content(m))
            .map(parse_metadata);
        let from_dir = split_name_version(stem);
        let name = meta
            .and_then(|m| m.0)
            .or(from_dir.map(|d| d.0))
            .unwrap_or(stem)
            .to_vec();
        let version = meta
            .and_then(|m| m.1)
            .or(from_dir.map(|d| d.1))
            .map(|v| escape_bytes(v).into_owned());
        // What its record lists, kept to the site's installation prefix.
        let prefix = install_prefix(cx, site);
        let (base, rows): (Vec<u8>, Vec<Vec<u8>>) = if egg {
            let rows = child_file(cx, dist, b"installed-files.txt")
                .and_then(|f| cx.content(f))
                .map(crate::analysis::python::parse_installed_files)
                .unwrap_or_default()
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect();
            (cx.tree.path_of(dist), rows)
        } else {
            let rows = child_file(cx, dist, b"RECORD")
                .and_then(|f| cx.content(f))
                .map(parse_record)
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.into_owned())
                .collect();
            (site_path.clone(), rows)
        };
        let mut files = vec![dist];
        let mut tops: HashSet<Vec<u8>> = HashSet::from([dir_name.clone()]);
        for row in rows {
            let target = record_target(&base, &row);
            if target.is_empty() {
                continue;
            }
            let Some(id) = cx.tree.lookup(&target) else {
                continue;
            };
            if !is_below(cx, prefix, id) {
                continue;
            }
            if let Some(rest) = target
                .strip_prefix(&site_path[..])
                .and_then(|r| r.strip_prefix(b"/"))
            {
                let top = rest.split(|b| *b == b'/').next().unwrap_or_default();
                if !tops.contains(top) {
                    tops.insert(top.to_vec());
                }
            }
            files.push(id);
        }
        let norm = normalise(&name);
        match INSTALLERS.iter().find(|(n, _)| *n == norm) {
            Some((_, fallback)) => {
                skip.extend(files);
                tool_tops.extend(tops);
                tool_tops.extend(fallback.iter().map(|t| t.to_vec()));
            }
            None => {
                kept_tops.extend(tops);
                named.push((dist, escape_bytes(&name).into_owned(), version, files));
            }
        }
    }
    for top in tool_tops.difference(&kept_tops) {
        if let Some(id) = cx.tree.child(site, top) {
            skip.insert(id);
        }
    }
    for (_, name, version, files) in named {
        let why = format!("installed by {name}");
        for id in files {
            // A record also lists files outside the site (scripts in bin/).
            if !is_below(cx, site, id) {
                add_node_following(cx, id, Part::Dependency, &why);
            }
        }
        // Duplicates go in one pass at the end ([`dedup_packages`]).
        cx.out
            .packages
            .push(("pypi".to_string(), name, version.unwrap_or_default()));
    }
    add_tree(
        cx,
        site,
        Part::Dependency,
        Sure::Inferred,
        &why_site,
        &mut |_, id| skip.contains(&id),
    );
}

/// The directories a site's `.pth` files add to `sys.path`: each line
/// that is not blank, a comment or an `import` is a path, relative to the
/// site.
fn path_files(cx: &Cx, site: NodeId) -> Vec<NodeId> {
    let site_path = cx.tree.path_of(site);
    let mut out = Vec::new();
    for &f in cx.tree.children(site).iter().take(100_000) {
        if !cx.tree.node(f).name.ends_with(b".pth") {
            continue;
        }
        let Some(text) = cx.content(f) else {
            continue;
        };
        for line in text.split(|b| *b == b'\n').take(1000) {
            let line = line.trim_ascii();
            if line.is_empty()
                || line.starts_with(b"#")
                || line.starts_with(b"import ")
                || line.starts_with(b"import\t")
            {
                continue;
            }
            let path = record_target(&site_path, line);
            if let Some(id) = cx.walk(&[&b"/"[..], &path].concat()).0 {
                if cx.tree.node(id).is_dir() && !out.contains(&id) && out.len() < MAX_PATH_DIRS {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// `PREFIX` of `PREFIX/lib/python3.X/site-packages` (or
/// `PREFIX/lib/python3/dist-packages`): where a record may list files.
fn install_prefix(cx: &Cx, site: NodeId) -> NodeId {
    let mut p = site;
    for _ in 0..3 {
        if p == ROOT {
            break;
        }
        p = cx.tree.node(p).parent;
    }
    p
}

/// Adds a node; a symlink brings its target (a directory target only as
/// the link: what lies there is some other rule's to add).
fn add_node_following(cx: &mut Cx, id: NodeId, part: Part, why: &str) {
    let n = cx.tree.node(id);
    if n.kind == EntryKind::Symlink {
        let path = [&b"/"[..], &cx.tree.path_of(id)].concat();
        match cx.walk(&path).0 {
            Some(t) if !cx.tree.node(t).is_dir() => {
                cx.add(&path, part, Sure::Inferred, why);
            }
            _ => cx.add_node(id, Part::Link, Sure::Inferred, why),
        }
    } else {
        cx.add_node(id, part, Sure::Inferred, why);
    }
}

/// Adds `dir` and everything below it that `skip` does not refuse (a
/// refused directory is not entered). Symlinks inside bring their file
/// targets. Visits at most [`MAX_TREE_NODES`] nodes; no recursion.
pub(super) fn add_tree(
    cx: &mut Cx,
    dir: NodeId,
    part: Part,
    sure: Sure,
    why: &str,
    skip: &mut dyn FnMut(&Cx, NodeId) -> bool,
) {
    if !cx.tree.node(dir).is_dir() {
        if !skip(cx, dir) {
            add_node_following(cx, dir, part, why);
        }
        return;
    }
    let mut stack = vec![dir];
    let mut visited = 0usize;
    while let Some(d) = stack.pop() {
        for &c in cx.tree.children(d) {
            visited += 1;
            if visited > MAX_TREE_NODES {
                let shown = cx.show(dir);
                cx.gap(
                    "partial",
                    format!(
                        "{shown} holds over {MAX_TREE_NODES} entries; the rest are not counted"
                    ),
                );
                return;
            }
            if skip(cx, c) {
                continue;
            }
            if cx.tree.node(c).is_dir() {
                stack.push(c);
            } else if sure == Sure::Exact {
                cx.add_node(c, part, sure, why);
            } else {
                add_node_following(cx, c, part, why);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn command_lines() {
        let inv = parse_argv(&v(&["python3", "-u", "app.py", "--port", "80"]));
        assert_eq!(inv.script.as_deref(), Some(&b"app.py"[..]));
        assert_eq!(inv.args, v(&["--port", "80"]));
        let inv = parse_argv(&v(&[
            "python", "-W", "ignore", "-X", "dev", "-m", "pkg.run", "x",
        ]));
        assert_eq!(inv.module.as_deref(), Some(&b"pkg.run"[..]));
        assert_eq!(inv.script, None);
        assert_eq!(inv.args, v(&["x"]));
        let inv = parse_argv(&v(&["python", "-uBmgunicorn", "app:app"]));
        assert_eq!(inv.module.as_deref(), Some(&b"gunicorn"[..]));
        assert_eq!(inv.args, v(&["app:app"]));
        let inv = parse_argv(&v(&["python", "-c", "import x", "y.py"]));
        assert!(inv.command && inv.script.is_none());
        assert_eq!(parse_argv(&v(&["python", "-m"])).module, None);
        assert_eq!(parse_argv(&v(&["python"])), Invocation::default());
    }

    #[test]
    fn app_specs() {
        assert_eq!(module_of_app_spec(b"app:app"), Some(&b"app"[..]));
        assert_eq!(
            module_of_app_spec(b"pkg.web:create_app()"),
            Some(&b"pkg.web"[..])
        );
        assert_eq!(module_of_app_spec(b"0.0.0.0:8000"), None);
        assert_eq!(module_of_app_spec(b"localhost:80"), None);
        assert_eq!(module_of_app_spec(b"http://x"), None);
        assert_eq!(module_of_app_spec(b":app"), None);
    }

    #[test]
    fn system_directories() {
        for p in [
            "",
            "usr",
            "usr/local",
            "usr/bin",
            "usr/local/bin",
            "usr/lib/python3",
            "bin",
            "etc/x",
            "usr/share/doc",
        ] {
            assert!(is_system(p.as_bytes()), "{p}");
        }
        for p in [
            "app",
            "srv/x",
            "usr/src/app",
            "usr/local/src/app",
            "usr/app",
            "opt/app",
            "home/u/app",
            "var/www",
        ] {
            assert!(!is_system(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn venv_cfg_and_names() {
        let c = parse_venv_cfg(
            b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n",
        );
        assert_eq!(c.home.as_deref(), Some(&b"/usr/bin"[..]));
        assert!(!c.system_site);
        assert_eq!(c.version.as_deref(), Some(&b"3.11.2"[..]));
        assert!(parse_venv_cfg(b"include-system-site-packages = True").system_site);
        assert_eq!(normalise(b"Setup_Tools"), "setup-tools");
        assert_eq!(normalise(b"pip"), "pip");
        assert_eq!(normalise(b"zope.interface"), "zope-interface");
    }
}
