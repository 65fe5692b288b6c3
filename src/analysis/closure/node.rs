//! Node's closure: the `node` program's ELF closure comes on its own; this
//! adds the app and its production modules.
//!
//! - The script: `node [options] SCRIPT`, resolved the way Node resolves a
//!   main module (`X`, `X.js`, `X.mjs`, `X.cjs`, `X/package.json`'s
//!   `main`, `X/index.js`); `--env-file` and preloaded paths too.
//! - The app directory: the nearest directory holding `package.json` at or
//!   above the script's, else the script's own, else the working
//!   directory — without its `node_modules`, VCS data and lockfiles.
//! - `npm start`, `npm run NAME`, `yarn NAME`: the package manager's CLI is
//!   the script; it becomes runtime, the working directory's package is
//!   the app, and its `scripts` entry is followed when it is
//!   `node SCRIPT` (anything else is a partial gap).
//! - The production modules: from the app's `package-lock.json` (or
//!   `npm-shrinkwrap.json`) when there is one — every installed package
//!   not marked `dev`/`devOptional`, as `npm ls --omit=dev` lists them;
//!   else from `package.json`'s `dependencies`, `optionalDependencies` and
//!   `peerDependencies`, resolved the way `require` does (`node_modules`
//!   of the requiring package and its ancestors) and followed through the
//!   modules' own `package.json`. Each one is named.
//! - Debian's `node` (linked against `libnode.so`) loads some builtins
//!   (acorn, cjs-module-lexer, undici) from `/usr/share/nodejs`; those
//!   packages and what they depend on come too.
//!
//! npm itself (`/usr/lib/node_modules/npm`, `/usr/share/nodejs`'s other
//! packages) is never added unless the entrypoint runs it or the app
//! resolves to it. Everything but the script is inferred. A dependency
//! nothing installs is a `missing-dependency` gap.

use super::python::add_tree;
use super::{Cx, Part, Sure};
use crate::escape::escape_bytes;
use crate::image::EntryKind;
use crate::tree::{NodeId, ROOT};
use serde_json::Value;
use std::collections::{HashSet, VecDeque};

/// Most packages followed for one app.
const MAX_PACKAGES: usize = 100_000;
/// Most dependencies waiting to be resolved at once.
const MAX_QUEUE: usize = 1_000_000;
/// Most directories climbed looking for `package.json` or `node_modules`.
const MAX_CLIMB: usize = 128;
/// Most entries read from a lockfile's `packages` or nested
/// `dependencies`.
const MAX_LOCK_ENTRIES: usize = 200_000;

/// Builtins Debian's libnode loads from `/usr/share/nodejs` (its
/// `--shared-builtin-*-path` build options).
const DEBIAN_BUILTINS: &[&[u8]] = &[b"acorn", b"acorn-walk", b"cjs-module-lexer", b"undici"];

/// Files of an app directory that only installing it reads.
const NOT_RUNTIME: &[&[u8]] = &[
    b"package-lock.json",
    b"npm-shrinkwrap.json",
    b"yarn.lock",
    b"pnpm-lock.yaml",
    b".npmrc",
    b"Dockerfile",
    b".dockerignore",
    b".gitignore",
];

/// How `node` was asked to start.
#[derive(Debug, Default, PartialEq, Eq)]
struct Invocation {
    script: Option<Vec<u8>>,
    /// `-e`/`-p`: code on the command line.
    eval: bool,
    /// `-r`/`--require`/`--import` modules preloaded.
    preload: Vec<Vec<u8>>,
    /// The arguments after the script.
    args: Vec<Vec<u8>>,
    /// `--env-file`s node reads before it starts.
    env_files: Vec<Vec<u8>>,
}

fn parse_argv(argv: &[Vec<u8>]) -> Invocation {
    let mut inv = Invocation::default();
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        i += 1;
        if a == b"--" {
            inv.script = argv.get(i).cloned();
            i += 1;
            break;
        }
        if !a.starts_with(b"-") || a == b"-" {
            if a != b"-" {
                inv.script = Some(a.clone());
            }
            break;
        }
        let (flag, inline) = match a.iter().position(|b| *b == b'=') {
            Some(eq) => (&a[..eq], Some(a[eq + 1..].to_vec())),
            None => (&a[..], None),
        };
        let takes_value = matches!(
            flag,
            b"-r"
                | b"--require"
                | b"--import"
                | b"--loader"
                | b"--experimental-loader"
                | b"-C"
                | b"--conditions"
                | b"--input-type"
                | b"--title"
                | b"--env-file"
                | b"--inspect-port"
                | b"--redirect-warnings"
                | b"--openssl-config"
                | b"--icu-data-dir"
                | b"--diagnostic-dir"
                | b"--report-dir"
                | b"--report-directory"
                | b"--stack-trace-limit"
        );
        let value = if takes_value && inline.is_none() {
            let v = argv.get(i).cloned();
            i += 1;
            v
        } else {
            inline
        };
        match flag {
            b"-e" | b"--eval" | b"-p" | b"--print" | b"-pe" => {
                inv.eval = true;
                break;
            }
            b"-r" | b"--require" | b"--import" | b"--loader" | b"--experimental-loader" => {
                inv.preload.extend(value);
            }
            b"--env-file" => inv.env_files.extend(value),
            _ => {}
        }
    }
    if inv.script.is_some() {
        inv.args = argv.get(i..).map(<[_]>::to_vec).unwrap_or_default();
    }
    inv
}

pub fn run(cx: &mut Cx, node: NodeId, argv: &[Vec<u8>]) {
    let named_before = cx.out.packages.len();
    run_node(cx, node, argv);
    super::python::dedup_packages(cx, named_before);
}

fn run_node(cx: &mut Cx, node: NodeId, argv: &[Vec<u8>]) {
    let inv = parse_argv(argv);
    let debian = is_debian_node(cx, node);
    let globals = global_dirs(cx, debian);
    if debian {
        debian_builtins(cx, &globals);
    }
    if inv.eval {
        cx.gap(
            "partial",
            "node -e/-p runs code from the command line: what it requires is not followed",
        );
    }
    let workdir = cx
        .walk(&[&b"/"[..], &cx.workdir].concat())
        .0
        .unwrap_or(ROOT);
    // Files named on the command line: node fails without an env file,
    // and runs a preloaded path before the script.
    for f in &inv.env_files {
        if cx
            .add(f, Part::Data, Sure::Exact, "node --env-file")
            .is_none()
        {
            cx.gap(
                "missing-command",
                format!("node --env-file {}: not in the image", escape_bytes(f)),
            );
        }
    }
    for p in inv.preload.iter().filter(|p| bare_name(p).is_none()) {
        if p.starts_with(b"node:") {
            continue;
        }
        let base = cx.absolute(p);
        if let Some(path) = resolve_main(cx, &base) {
            cx.add(&path, Part::AppCode, Sure::Inferred, "preloaded by node");
        }
    }
    let script = match &inv.script {
        Some(s) => {
            let base = cx.absolute(s);
            match resolve_main(cx, &base) {
                Some(path) => cx.add(&path, Part::AppCode, Sure::Exact, "the script node runs"),
                None => {
                    cx.gap(
                        "missing-command",
                        format!(
                            "the script {} node runs is not in the image",
                            escape_bytes(s)
                        ),
                    );
                    None
                }
            }
        }
        None => None,
    };
    let start = script.map_or(workdir, |s| cx.tree.node(s).parent);
    let mut app = app_dir(cx, start);
    if let Some(tool) = package_manager(cx, app) {
        app = run_package_script(cx, app, &tool, &inv.args, workdir, &globals);
    }
    if app == ROOT {
        // An app kept in /: its own files there, not the image.
        add_root_files_js(cx);
    } else if !is_system_dir(cx, app) {
        add_tree(
            cx,
            app,
            Part::AppCode,
            Sure::Inferred,
            "the app's directory",
            &mut |cx, id| {
                let n = cx.tree.node(id);
                if n.is_dir() {
                    n.name == b"node_modules" || n.name == b".git"
                } else {
                    NOT_RUNTIME.contains(&n.name)
                }
            },
        );
    }
    let lock = [&b"package-lock.json"[..], b"npm-shrinkwrap.json"]
        .into_iter()
        .find_map(|name| {
            let id = file_child(cx, app, name)?;
            let text = cx.content(id)?;
            serde_json::from_slice::<Value>(text).ok()
        });
    let from_lock = lock.as_ref().is_some_and(|l| from_lockfile(cx, app, l));
    if !from_lock {
        let manifest = file_child(cx, app, b"package.json")
            .and_then(|id| cx.content(id))
            .and_then(|t| serde_json::from_slice::<Value>(t).ok());
        match manifest {
            Some(m) => {
                let mut names = dependency_names(&m);
                names.extend(inv.preload.iter().filter_map(|p| bare_name(p)));
                walk_dependencies(cx, app, names, globals);
            }
            None => {
                // No manifest: whatever node_modules holds may be required.
                if let Some(nm) = cx.tree.child(app, b"node_modules") {
                    if cx.tree.node(nm).is_dir() && app != ROOT {
                        let shown = cx.show(nm);
                        cx.gap(
                            "partial",
                            format!("no package.json names the app's dependencies: all of {shown} is counted in"),
                        );
                        add_tree(
                            cx,
                            nm,
                            Part::Dependency,
                            Sure::Inferred,
                            "in the app's node_modules",
                            &mut |_, _| false,
                        );
                    }
                }
            }
        }
    }
}

/// Whether `node` is Debian's (or Ubuntu's): a thin program against
/// `libnode.so`.
fn is_debian_node(cx: &Cx, node: NodeId) -> bool {
    cx.facts(node)
        .and_then(|f| f.elf())
        .is_some_and(|e| e.needed.iter().any(|n| n.starts_with(b"libnode.so")))
}

/// Where `require` looks after `node_modules`: `NODE_PATH`, and on Debian
/// the global directories its node is patched to search.
fn global_dirs(cx: &Cx, debian: bool) -> Vec<NodeId> {
    let mut dirs: Vec<Vec<u8>> = cx
        .env("NODE_PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .take(64)
        .map(|d| cx.absolute(d.as_bytes()))
        .collect();
    if debian {
        for d in [
            &b"/usr/local/share/nodejs"[..],
            b"/usr/local/lib/nodejs",
            b"/usr/share/nodejs",
            b"/usr/lib/nodejs",
        ] {
            dirs.push(d.to_vec());
        }
        if let Some(lib) = cx.walk(b"/usr/lib").0 {
            for &c in cx.tree.children(lib).iter().take(4096) {
                let name = &cx.tree.node(c).name;
                if name.ends_with(b"-linux-gnu") || name.ends_with(b"-linux-gnueabihf") {
                    dirs.push([&b"/usr/lib/"[..], name, b"/nodejs"].concat());
                }
            }
        }
    }
    let mut out: Vec<NodeId> = Vec::new();
    for d in dirs {
        if let Some(id) = cx.walk(&d).0.filter(|&i| cx.tree.node(i).is_dir()) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Debian's node reads some builtins from `/usr/share/nodejs` (and what
/// they require from its global directories).
fn debian_builtins(cx: &mut Cx, globals: &[NodeId]) {
    let Some(share) = cx
        .walk(b"/usr/share/nodejs")
        .0
        .filter(|&s| cx.tree.node(s).is_dir())
    else {
        return;
    };
    let mut walk = Walk::new(Part::Runtime, "a builtin module of Debian's node");
    walk.name_packages = false;
    walk.globals = globals.to_vec();
    for n in DEBIAN_BUILTINS {
        // Optional: an older or newer node bundles some of them.
        walk.queue.push_back((share, n.to_vec(), true));
    }
    walk.run(cx);
}

fn add_root_files_js(cx: &mut Cx) {
    super::python::add_root_files(
        cx,
        &[b".js", b".mjs", b".cjs", b"package.json"],
        "beside the script node runs",
    );
}

/// The package manager whose package `dir` is (`npm start` runs npm's
/// CLI through node).
fn package_manager(cx: &Cx, dir: NodeId) -> Option<String> {
    let m = manifest_of(cx, dir)?;
    let name = m.get("name")?.as_str()?;
    matches!(
        name,
        "npm" | "yarn" | "pnpm" | "corepack" | "@yarnpkg/cli-dist"
    )
    .then(|| name.to_string())
}

/// `npm start`, `npm run NAME`, `yarn NAME`: the package manager is part of
/// the runtime here, and the app is the working directory's package, whose
/// `scripts` entry says what runs; `node SCRIPT` there is followed. Returns
/// the app's directory.
fn run_package_script(
    cx: &mut Cx,
    tool_dir: NodeId,
    tool: &str,
    args: &[Vec<u8>],
    workdir: NodeId,
    globals: &[NodeId],
) -> NodeId {
    let why = "the package manager the entrypoint runs";
    // npm bundles its dependencies below itself; Debian's lie in the
    // global directories.
    add_tree(
        cx,
        tool_dir,
        Part::Runtime,
        Sure::Inferred,
        why,
        &mut |_, _| false,
    );
    if let Some(m) = manifest_of(cx, tool_dir) {
        let mut walk = Walk::new(Part::Runtime, why);
        walk.name_packages = false;
        walk.globals = globals.to_vec();
        for n in dependency_names(&m) {
            walk.queue.push_back((tool_dir, n, true));
        }
        walk.run(cx);
    }
    let app = app_dir(cx, workdir);
    let words: Vec<&[u8]> = args
        .iter()
        .map(|a| &a[..])
        .filter(|a| !a.starts_with(b"-"))
        .collect();
    let name: Option<&[u8]> = match words.as_slice() {
        [b"run" | b"run-script" | b"rum" | b"urn", n, ..] => Some(n),
        [n, ..] if matches!(*n, b"start" | b"stop" | b"restart" | b"test") => Some(n),
        [n, ..] if tool != "npm" => Some(n),
        _ => None,
    };
    let manifest = manifest_of(cx, app);
    let scripted = name.and_then(|n| {
        let n = std::str::from_utf8(n).ok()?;
        let text = manifest.as_ref()?.get("scripts")?.get(n)?.as_str()?;
        Some(text.as_bytes().to_vec())
    });
    // npm's default start script, when server.js is there.
    let text = scripted.or_else(|| {
        (name == Some(&b"start"[..]) && file_child(cx, app, b"server.js").is_some())
            .then(|| b"node server.js".to_vec())
    });
    let shown_name = escape_bytes(name.unwrap_or(b"(none)")).into_owned();
    let Some(text) = text else {
        cx.gap(
            "partial",
            format!(
                "{tool} runs the script {shown_name}, which the app's package.json does not define"
            ),
        );
        return app;
    };
    let first = super::entry::commands(&text).into_iter().next();
    let followed = match first.as_deref() {
        Some([cmd, rest @ ..]) if cmd == b"node" || cmd.ends_with(b"/node") => {
            let argv: Vec<Vec<u8>> = std::iter::once(cmd.clone())
                .chain(rest.iter().cloned())
                .collect();
            let inv = parse_argv(&argv);
            match inv.script {
                Some(s) => {
                    let path = if s.starts_with(b"/") {
                        s
                    } else {
                        [&b"/"[..], &cx.tree.path_of(app), b"/", &s].concat()
                    };
                    resolve_main(cx, &path)
                        .and_then(|p| {
                            cx.add(
                                &p,
                                Part::AppCode,
                                Sure::Inferred,
                                "the script the package's script runs",
                            )
                        })
                        .is_some()
                }
                None => false,
            }
        }
        _ => false,
    };
    if !followed {
        let mut t = escape_bytes(&text).into_owned();
        if t.len() > 200 {
            let mut end = 200;
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t.truncate(end);
            t.push('…');
        }
        cx.gap(
            "partial",
            format!("{tool} runs the script {shown_name} ({t}): only `node SCRIPT` is followed"),
        );
    }
    app
}

/// `require`'s main-module resolution of an absolute path: the file, with
/// an extension, or a directory's `main` or `index`.
fn resolve_main(cx: &Cx, path: &[u8]) -> Option<Vec<u8>> {
    let is_file = |p: &[u8]| cx.walk(p).0.is_some_and(|id| !cx.tree.node(id).is_dir());
    if is_file(path) {
        return Some(path.to_vec());
    }
    for ext in [&b".js"[..], b".mjs", b".cjs", b".json", b".node"] {
        let p = [path, ext].concat();
        if is_file(&p) {
            return Some(p);
        }
    }
    let dir = cx.walk(path).0.filter(|&d| cx.tree.node(d).is_dir())?;
    let main = file_child(cx, dir, b"package.json")
        .and_then(|id| cx.content(id))
        .and_then(|t| serde_json::from_slice::<Value>(t).ok())
        .and_then(|m| m.get("main").and_then(Value::as_str).map(str::to_string));
    let mut tries: Vec<Vec<u8>> = Vec::new();
    if let Some(main) = main {
        let m = [path, b"/", main.as_bytes()].concat();
        tries.push(m.clone());
        for ext in [&b".js"[..], b".mjs", b".cjs", b".json", b"/index.js"] {
            tries.push([&m[..], ext].concat());
        }
    }
    tries.push([path, b"/index.js"].concat());
    tries.into_iter().find(|p| is_file(p))
}

/// The nearest directory at or above `start` holding a `package.json`,
/// else `start`.
fn app_dir(cx: &Cx, start: NodeId) -> NodeId {
    let mut cur = start;
    for _ in 0..MAX_CLIMB {
        if file_child(cx, cur, b"package.json").is_some() {
            return cur;
        }
        if cur == ROOT {
            break;
        }
        cur = cx.tree.node(cur).parent;
    }
    start
}

/// The root, or a system directory (`/usr/bin`, `/usr/local`…) that is no
/// package of its own.
fn is_system_dir(cx: &Cx, dir: NodeId) -> bool {
    let path = cx.tree.path_of(dir);
    if path.split(|b| *b == b'/').any(|c| c == b"node_modules") {
        return false;
    }
    path.is_empty()
        || (file_child(cx, dir, b"package.json").is_none() && super::python::is_system(&path))
}

fn file_child(cx: &Cx, dir: NodeId, name: &[u8]) -> Option<NodeId> {
    let id = cx.tree.child(dir, name)?;
    let id = if cx.tree.node(id).kind == EntryKind::Symlink {
        cx.walk(&[&b"/"[..], &cx.tree.path_of(id)].concat()).0?
    } else {
        id
    };
    matches!(cx.tree.node(id).kind, EntryKind::File | EntryKind::HardLink).then_some(id)
}

/// `@scope/name` or `name` of a `require` specifier (`debug/src/x` →
/// `debug`); None for relative and absolute paths and builtins.
fn bare_name(spec: &[u8]) -> Option<Vec<u8>> {
    if spec.starts_with(b".") || spec.starts_with(b"/") || spec.starts_with(b"node:") {
        return None;
    }
    let mut parts = spec.split(|b| *b == b'/');
    let first = parts.next()?;
    let name = if first.starts_with(b"@") {
        [first, b"/", parts.next()?].concat()
    } else {
        first.to_vec()
    };
    valid_name(&name).then_some(name)
}

/// A package name that is safe to join into a path: no `..`, no empty or
/// hidden parts, at most one `/` (after a scope).
fn valid_name(name: &[u8]) -> bool {
    let parts: Vec<&[u8]> = name.split(|b| *b == b'/').collect();
    let ok_part = |p: &[u8]| !p.is_empty() && !p.starts_with(b".") && p.len() <= 214;
    match parts.as_slice() {
        [n] => ok_part(n) && !n.starts_with(b"@"),
        [s, n] => s.starts_with(b"@") && ok_part(s) && ok_part(n),
        _ => false,
    }
}

/// The names a manifest depends on at run time.
fn dependency_names(manifest: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for key in ["dependencies", "optionalDependencies", "peerDependencies"] {
        if let Some(deps) = manifest.get(key).and_then(Value::as_object) {
            out.extend(
                deps.keys()
                    .take(10_000)
                    .map(|k| k.as_bytes().to_vec())
                    .filter(|k| valid_name(k)),
            );
        }
    }
    out
}

/// Follows a lockfile: v2/v3 `packages`, else v1's nested `dependencies`.
/// False when it has neither (then package.json is walked instead).
fn from_lockfile(cx: &mut Cx, app: NodeId, lock: &Value) -> bool {
    let app_path = cx.tree.path_of(app);
    let join = |rel: &[u8]| -> Vec<u8> {
        let mut p = b"/".to_vec();
        p.extend_from_slice(&app_path);
        if !app_path.is_empty() {
            p.push(b'/');
        }
        p.extend_from_slice(rel);
        p
    };
    let is_dev = |e: &Value| {
        ["dev", "devOptional"]
            .iter()
            .any(|k| e.get(k).and_then(Value::as_bool) == Some(true))
    };
    let mut found: Vec<(Vec<u8>, String, Option<String>)> = Vec::new();
    if let Some(pkgs) = lock.get("packages").and_then(Value::as_object) {
        for (key, entry) in pkgs.iter().take(MAX_LOCK_ENTRIES) {
            let Some(at) = key.rfind("node_modules/") else {
                continue;
            };
            if is_dev(entry) {
                continue;
            }
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&key[at + "node_modules/".len()..]);
            let version = entry
                .get("version")
                .and_then(Value::as_str)
                .map(str::to_string);
            if key
                .split('/')
                .any(|c| c == ".." || c == "." || c.is_empty())
            {
                continue;
            }
            found.push((join(key.as_bytes()), name.to_string(), version));
        }
    } else if let Some(deps) = lock.get("dependencies").and_then(Value::as_object) {
        // v1: `dependencies` nest the way node_modules does.
        let mut stack: Vec<(Vec<u8>, &serde_json::Map<String, Value>)> = vec![(join(b""), deps)];
        let mut seen = 0;
        while let Some((base, deps)) = stack.pop() {
            for (name, entry) in deps {
                seen += 1;
                if seen > MAX_LOCK_ENTRIES {
                    break;
                }
                if is_dev(entry) || !valid_name(name.as_bytes()) {
                    continue;
                }
                let mut path = base.clone();
                if !path.ends_with(b"/") {
                    path.push(b'/');
                }
                path.extend_from_slice(b"node_modules/");
                path.extend_from_slice(name.as_bytes());
                let version = entry
                    .get("version")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                    if path.len() < 4096 {
                        stack.push((path.clone(), nested));
                    }
                }
                found.push((path, name.clone(), version));
            }
        }
    } else {
        return false;
    }
    for (path, name, version) in found {
        // Not installed (pruned, or optional for another platform).
        let Some(dir) = cx.walk(&path).0 else {
            continue;
        };
        if !cx.tree.node(dir).is_dir() {
            continue;
        }
        let why = format!(
            "a production dependency in {}'s lockfile",
            super::show_path(&cx.tree.path_of(app))
        );
        add_links(cx, &path, &why);
        add_package(cx, dir, Part::Dependency, &why);
        let version = version.or_else(|| manifest_of(cx, dir).and_then(|m| version_of(&m)));
        name_package(cx, escape_bytes(name.as_bytes()).into_owned(), version);
    }
    true
}

fn name_package(cx: &mut Cx, name: String, version: Option<String>) {
    // Duplicates go in one pass at the end (`dedup_packages`).
    cx.out
        .packages
        .push(("npm".to_string(), name, version.unwrap_or_default()));
}

fn manifest_of(cx: &Cx, dir: NodeId) -> Option<Value> {
    let id = file_child(cx, dir, b"package.json")?;
    serde_json::from_slice(cx.content(id)?).ok()
}

fn version_of(m: &Value) -> Option<String> {
    m.get("version")
        .and_then(Value::as_str)
        .map(|v| escape_bytes(v.as_bytes()).into_owned())
}

/// The symlinks on the way to `path` (a package directory reached
/// through links, as workspaces and pnpm lay them out).
fn add_links(cx: &mut Cx, path: &[u8], why: &str) {
    for l in cx.walk(path).1 {
        cx.add_node(l, Part::Link, Sure::Inferred, why);
    }
}

/// A package's files, without its nested `node_modules` (those are
/// packages of their own, each followed or left out on its own).
fn add_package(cx: &mut Cx, dir: NodeId, part: Part, why: &str) {
    add_tree(cx, dir, part, Sure::Inferred, why, &mut |cx, id| {
        cx.tree.node(id).parent == dir && cx.tree.node(id).name == b"node_modules"
    });
}

/// `require`'s search for a bare name from `dir`: `dir/node_modules/NAME`,
/// then each ancestor's (a `node_modules` directory itself is skipped).
fn resolve_package(
    cx: &Cx,
    from: NodeId,
    name: &[u8],
    globals: &[NodeId],
) -> Option<(Vec<u8>, NodeId)> {
    let found = climb(cx, from, name);
    found.or_else(|| {
        globals.iter().find_map(|&g| {
            let p = [&b"/"[..], &cx.tree.path_of(g), b"/", name].concat();
            let id = cx.walk(&p).0?;
            cx.tree.node(id).is_dir().then_some((p, id))
        })
    })
}

fn climb(cx: &Cx, from: NodeId, name: &[u8]) -> Option<(Vec<u8>, NodeId)> {
    let mut cur = from;
    for _ in 0..MAX_CLIMB {
        if cx.tree.node(cur).name != b"node_modules" {
            let mut p = b"/".to_vec();
            p.extend_from_slice(&cx.tree.path_of(cur));
            if p.len() > 1 {
                p.push(b'/');
            }
            p.extend_from_slice(b"node_modules/");
            p.extend_from_slice(name);
            if let Some(id) = cx.walk(&p).0 {
                if cx.tree.node(id).is_dir() {
                    return Some((p, id));
                }
            }
        }
        if cur == ROOT {
            break;
        }
        cur = cx.tree.node(cur).parent;
    }
    None
}

/// A breadth-first walk of packages through their manifests.
struct Walk {
    part: Part,
    why: &'static str,
    name_packages: bool,
    /// Where packages lie flat after `node_modules` fails (`NODE_PATH`,
    /// Debian's global directories).
    globals: Vec<NodeId>,
    /// (directory to resolve from, package name, optional).
    queue: VecDeque<(NodeId, Vec<u8>, bool)>,
}

impl Walk {
    fn new(part: Part, why: &'static str) -> Walk {
        Walk {
            part,
            why,
            name_packages: true,
            globals: Vec::new(),
            queue: VecDeque::new(),
        }
    }

    fn run(mut self, cx: &mut Cx) {
        let mut seen: HashSet<NodeId> = HashSet::new();
        let mut steps = 0;
        while let Some((from, name, optional)) = self.queue.pop_front() {
            steps += 1;
            if steps > MAX_PACKAGES * 4 || seen.len() > MAX_PACKAGES {
                cx.gap(
                    "partial",
                    format!("over {MAX_PACKAGES} node packages: the rest are not followed"),
                );
                return;
            }
            let Some((path, dir)) = resolve_package(cx, from, &name, &self.globals) else {
                if !optional {
                    let shown = escape_bytes(&name).into_owned();
                    cx.gap(
                        "missing-dependency",
                        format!("the node package {shown} is required but not installed"),
                    );
                }
                continue;
            };
            // A symlinked package resolves to its real directory: a loop
            // of links meets a directory already seen.
            if !seen.insert(dir) {
                continue;
            }
            add_links(cx, &path, self.why);
            add_package(cx, dir, self.part, self.why);
            let manifest = manifest_of(cx, dir);
            if self.name_packages {
                let version = manifest.as_ref().and_then(version_of);
                name_package(cx, escape_bytes(&name).into_owned(), version);
            }
            if let Some(m) = manifest {
                let optional_names: HashSet<Vec<u8>> = ["optionalDependencies", "peerDependencies"]
                    .iter()
                    .filter_map(|k| m.get(*k).and_then(Value::as_object))
                    .flat_map(|o| o.keys().map(|k| k.as_bytes().to_vec()))
                    .collect();
                for dep in dependency_names(&m) {
                    if self.queue.len() >= MAX_QUEUE {
                        cx.gap(
                            "partial",
                            format!("over {MAX_QUEUE} node dependencies waiting: the rest are not followed"),
                        );
                        break;
                    }
                    let opt = optional_names.contains(&dep);
                    self.queue.push_back((dir, dep, opt));
                }
            }
        }
    }
}

/// The app's dependencies by name, resolved from the app directory.
fn walk_dependencies(cx: &mut Cx, app: NodeId, names: Vec<Vec<u8>>, globals: Vec<NodeId>) {
    let mut walk = Walk::new(Part::Dependency, "a production dependency of the app");
    walk.globals = globals;
    for n in names {
        walk.queue.push_back((app, n, false));
    }
    walk.run(cx);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn command_lines() {
        let inv = parse_argv(&v(&[
            "node",
            "--max-old-space-size=512",
            "-r",
            "dotenv/config",
            "dist/main.js",
            "--port",
            "1",
        ]));
        assert_eq!(inv.script.as_deref(), Some(&b"dist/main.js"[..]));
        assert_eq!(inv.preload, v(&["dotenv/config"]));
        let inv = parse_argv(&v(&["node", "--require=a", "--", "-weird.js"]));
        assert_eq!(inv.script.as_deref(), Some(&b"-weird.js"[..]));
        assert_eq!(inv.preload, v(&["a"]));
        let inv = parse_argv(&v(&["node", "-e", "x()", "y.js"]));
        assert!(inv.eval && inv.script.is_none());
        assert_eq!(parse_argv(&v(&["node"])), Invocation::default());
    }

    #[test]
    fn names() {
        assert_eq!(bare_name(b"debug/src/x"), Some(b"debug".to_vec()));
        assert_eq!(bare_name(b"@hapi/bourne"), Some(b"@hapi/bourne".to_vec()));
        assert_eq!(bare_name(b"./local"), None);
        assert_eq!(bare_name(b"node:fs"), None);
        assert_eq!(bare_name(b"@scope"), None);
        assert!(valid_name(b"ms"));
        assert!(!valid_name(b".."));
        assert!(!valid_name(b"@x/.."));
        assert!(!valid_name(b"a/b"));
        assert!(!valid_name(b""));
        assert!(!valid_name(b"@x/y/z"));
    }
}
