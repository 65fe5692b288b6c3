//! From the config's command to the programs it runs: `PATH`, symlinks,
//! `#!` lines, init wrappers, `sh -c` and shell scripts, and the hand-off
//! to an interpreter's own closure.

use super::{AppKind, Cx, Part, Sure};
use crate::tree::NodeId;

/// Most programs followed from one entrypoint (wrappers, `#!`, scripts).
const MAX_DEPTH: usize = 8;
/// Most commands taken from one shell script.
const MAX_SCRIPT_COMMANDS: usize = 64;

/// Starts the closure from the config's `Entrypoint` + `Cmd`.
pub fn run(cx: &mut Cx) {
    let cfg = &cx.image.config;
    let argv: Vec<String> = if cfg.entrypoint.is_empty() {
        cfg.cmd.clone()
    } else {
        cfg.entrypoint.iter().chain(&cfg.cmd).cloned().collect()
    };
    cx.out.argv = argv.clone();
    if argv.is_empty() {
        cx.gap(
            "no-entrypoint",
            "the config names no Entrypoint and no Cmd: nothing says what the image runs",
        );
        return;
    }
    cx.out.shell_form =
        argv.len() >= 3 && crate::binary::is_shell(argv[0].as_bytes()) && argv[1] == "-c";
    let argv: Vec<Vec<u8>> = argv.into_iter().map(String::into_bytes).collect();
    exec(cx, &argv, 0, Part::Entrypoint);
    if cx.out.kind == AppKind::Unknown && cx.out.program.is_some() {
        cx.out.kind = AppKind::Script;
    }
    user_files(cx);
}

fn name_of(path: &[u8]) -> &[u8] {
    path.rsplit(|b| *b == b'/').next().unwrap_or(path)
}

/// Runs `argv` inside the image: finds the program, adds it, and follows
/// what it runs in turn.
pub fn exec(cx: &mut Cx, argv: &[Vec<u8>], depth: usize, part: Part) {
    let Some(cmd) = argv.first() else {
        return;
    };
    if depth > MAX_DEPTH {
        cx.gap(
            "partial",
            "the entrypoint hands over more than 8 times; the rest is not followed",
        );
        return;
    }
    let shown = crate::escape::escape_bytes(cmd).into_owned();
    let Some(path) = cx.command(cmd) else {
        cx.gap(
            "missing-command",
            format!("{shown} is not in the image's PATH"),
        );
        return;
    };
    let why = if depth == 0 {
        "the entrypoint".to_string()
    } else {
        format!("run as {shown}")
    };
    let Some(id) = cx.add(&path, part, Sure::Exact, &why) else {
        cx.gap(
            "missing-command",
            format!("{} is not in the image", super::show_path(&path)),
        );
        return;
    };
    // The name the program sees decides what a multi-call binary does.
    let called = name_of(cmd).to_vec();
    let real = cx.tree.node(id).name.to_vec();
    match cx.facts(id) {
        Some(crate::binary::FileFacts::Elf(f)) => {
            cx.out.program = Some(id);
            if cx.out.kind == AppKind::Unknown || depth > 0 {
                cx.out.kind = if f.is_static() {
                    AppKind::StaticBinary
                } else {
                    AppKind::DynamicBinary
                };
            }
            binary_modules(cx, f);
            follow_program(cx, id, &called, &real, argv, depth);
        }
        Some(crate::binary::FileFacts::Script(s)) => {
            let Some((interp, arg)) = s.interpreter() else {
                cx.gap("partial", format!("{} has an empty #! line", cx.show(id)));
                return;
            };
            let script = cx.tree.path_of(id);
            let script = [&b"/"[..], &script].concat();
            let mut next: Vec<Vec<u8>> = Vec::new();
            if name_of(interp) == b"env" {
                // `#!/usr/bin/env [-S] NAME`: env runs NAME through PATH.
                cx.add(interp, Part::Interpreter, Sure::Exact, "runs the #! line");
                let words: Vec<&[u8]> = arg
                    .unwrap_or_default()
                    .split(|b| *b == b' ')
                    .filter(|w| !w.is_empty() && *w != b"-S")
                    .collect();
                next.extend(words.iter().map(|w| w.to_vec()));
            } else {
                next.push(interp.to_vec());
                next.extend(arg.map(<[u8]>::to_vec));
            }
            next.push(script);
            next.extend(argv.iter().skip(1).cloned());
            exec(cx, &next, depth + 1, Part::Interpreter);
        }
        None => {
            let n = cx.tree.node(id);
            if n.mode & 0o111 == 0 {
                cx.gap("partial", format!("{} is not executable", cx.show(id)));
            } else {
                cx.gap(
                    "partial",
                    format!("{} is neither ELF nor a #! script", cx.show(id)),
                );
            }
        }
    }
}

/// A program's own dependencies, as its build recorded them: Go modules,
/// and the crates cargo-auditable embedded (build-time ones left out).
fn binary_modules(cx: &mut Cx, f: &crate::binary::ElfFacts) {
    let esc = |s: &str| crate::escape::escape_str(s).into_owned();
    if let Some(go) = &f.go {
        for m in go.deps.iter() {
            let m = m.replace.as_deref().unwrap_or(m);
            cx.out
                .packages
                .push(("go".into(), esc(&m.path), esc(&m.version)));
        }
    }
    if let Some(crates) = &f.rust {
        for c in crates.iter().filter(|c| !c.root && c.kind != "build") {
            cx.out
                .packages
                .push(("cargo".into(), esc(&c.name), esc(&c.version)));
        }
    }
}

/// What an ELF program runs next: wrappers hand over, shells run
/// commands, interpreters load the app.
fn follow_program(
    cx: &mut Cx,
    id: NodeId,
    called: &[u8],
    real: &[u8],
    argv: &[Vec<u8>],
    depth: usize,
) {
    let is = |names: &[&[u8]]| names.iter().any(|n| *n == called || *n == real);
    let rest = &argv[1.min(argv.len())..];
    if is(&[b"tini", b"tini-static", b"dumb-init", b"catatonit"]) {
        // Options first (`-s`, `-g`, `--single-child`, `-e 143`…), then
        // `--` or the command.
        let mut i = 0;
        while i < rest.len() && rest[i].starts_with(b"-") {
            let takes_value = matches!(&rest[i][..], b"-e" | b"-p" | b"-r" | b"--rewrite");
            if &rest[i][..] == b"--" {
                i += 1;
                break;
            }
            i += if takes_value { 2 } else { 1 };
        }
        exec(cx, &rest[i.min(rest.len())..], depth + 1, Part::Entrypoint);
    } else if is(&[b"gosu", b"su-exec"]) {
        // `gosu USER COMMAND…`
        exec(cx, &rest[1.min(rest.len())..], depth + 1, Part::Entrypoint);
    } else if crate::binary::is_shell(called) || crate::binary::is_shell(real) {
        cx.out.kind = AppKind::Shell;
        shell(cx, rest, depth);
    } else if called.starts_with(b"python") || real.starts_with(b"python") {
        cx.out.kind = AppKind::Python;
        super::interp::python(cx, id, argv);
    } else if is(&[b"node", b"nodejs"]) {
        cx.out.kind = AppKind::Node;
        super::interp::node(cx, id, argv);
    } else if is(&[b"java"]) {
        cx.out.kind = AppKind::Java;
        super::interp::java(cx, id, argv);
    }
}

/// `sh -c STRING` runs the first command of STRING; `sh SCRIPT` runs the
/// script. Either way a shell may run anything else too: partial.
fn shell(cx: &mut Cx, args: &[Vec<u8>], depth: usize) {
    let mut i = 0;
    while i < args.len() && args[i].starts_with(b"-") && &args[i][..] != b"-c" {
        i += 1;
    }
    match args.get(i).map(|a| &a[..]) {
        Some(b"-c") => {
            let Some(text) = args.get(i + 1) else {
                return;
            };
            let commands = commands(text);
            if let Some(first) = commands.first() {
                exec(cx, without_exec(first), depth + 1, Part::Entrypoint);
            }
            for c in commands.iter().skip(1) {
                let c = without_exec(c);
                if c.first().is_some_and(|w| w.starts_with(b"/")) {
                    side_command(cx, c, depth + 1);
                }
            }
            cx.gap(
                "partial",
                "the entrypoint is a shell command line: only the commands it names are followed",
            );
        }
        Some(script) => {
            let script = script.to_vec();
            let Some(id) = cx.add(&script, Part::Entrypoint, Sure::Exact, "the shell's script")
            else {
                cx.gap(
                    "missing-command",
                    format!(
                        "the shell's script {} is not in the image",
                        crate::escape::escape_bytes(&script)
                    ),
                );
                return;
            };
            script_commands(cx, id, &args[i + 1..], depth);
        }
        None => {}
    }
}

/// The commands a shell script names with an absolute path (and what it
/// `exec`s), followed; partial, since a script can run anything.
pub fn script_commands(cx: &mut Cx, id: NodeId, args: &[Vec<u8>], depth: usize) {
    let shown = cx.show(id);
    let Some(body) = cx
        .facts(id)
        .and_then(|f| f.script())
        .and_then(|s| s.body.as_deref())
    else {
        cx.gap(
            "partial",
            format!("{shown} is a script whose body was not kept (over 16 KiB): what it runs is not followed"),
        );
        return;
    };
    let mut followed = 0;
    for c in commands(body).into_iter().take(MAX_SCRIPT_COMMANDS) {
        let execs = c[0] == b"exec";
        let c = without_exec(&c);
        // `exec "$@"`: the docker-entrypoint.sh pattern runs the script's
        // arguments (the image's Cmd) in its place.
        if execs && matches!(c, [w] if w == b"$@" || w == b"${@}") {
            if !args.is_empty() {
                exec(cx, args, depth + 1, Part::Entrypoint);
                followed += 1;
            }
            continue;
        }
        if (execs || c.first().is_some_and(|w| w.starts_with(b"/")))
            && c.first()
                .is_some_and(|w| !w.starts_with(b"$") && !w.starts_with(b"-"))
        {
            if execs {
                exec(cx, c, depth + 1, Part::Entrypoint);
            } else {
                side_command(cx, c, depth + 1);
            }
            followed += 1;
        }
    }
    cx.gap(
        "partial",
        format!("{shown} is a shell script: the {followed} commands it names by path or execs are followed, others it may run are not"),
    );
}

/// Simple commands of a shell text: split at newlines, `;`, `&&`, `||`,
/// `|`, `&`; leading `VAR=value` assignments dropped; words split on
/// blanks with simple quotes removed. Comments and keywords are skipped.
pub fn commands(text: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for line in text.split(|b| *b == b'\n') {
        let line = match line.iter().position(|b| *b == b'#') {
            Some(0) => continue,
            Some(i) if line[i - 1].is_ascii_whitespace() => &line[..i],
            _ => line,
        };
        for part in line.split(|b| matches!(b, b';' | b'&' | b'|')) {
            // Words that lead into a command: `then /x`, `! /x`, `FOO=1 /x`.
            let words: Vec<Vec<u8>> = words(part)
                .into_iter()
                .skip_while(|w| LEAD.contains(&&w[..]) || is_assignment(w))
                .collect();
            let Some(first) = words.first() else {
                continue;
            };
            let keyword = NOT_A_PROGRAM.contains(&&first[..]);
            if !keyword {
                out.push(words);
            }
        }
    }
    out
}

/// A command a shell runs along the way (not in its place): its files are
/// needed, but it is not what the app is.
fn side_command(cx: &mut Cx, argv: &[Vec<u8>], depth: usize) {
    let (kind, program) = (cx.out.kind, cx.out.program);
    exec(cx, argv, depth, Part::Entrypoint);
    cx.out.kind = kind;
    cx.out.program = program;
}

/// A command without the `exec` that runs it in the shell's place.
fn without_exec(c: &[Vec<u8>]) -> &[Vec<u8>] {
    let mut c = c;
    while c.first().is_some_and(|w| w == b"exec") {
        c = &c[1..];
    }
    c
}

/// Words that lead into a command.
const LEAD: &[&[u8]] = &[
    b"if", b"then", b"else", b"elif", b"do", b"while", b"until", b"!", b"{", b"(",
];

/// First words that are not a program to run (keywords, builtins).
const NOT_A_PROGRAM: &[&[u8]] = &[
    b"fi", b"for", b"done", b"case", b"esac", b"}", b")", b"[", b"[[", b"set", b"export", b"echo",
    b"return", b"exit", b"shift", b"local", b"test", b"true", b"false", b":", b"cd", b"trap",
    b"unset", b"umask", b"wait", b"printf", b"read",
];

fn is_assignment(w: &[u8]) -> bool {
    w.contains(&b'=') && !w.starts_with(b"=") && !w.starts_with(b"/")
}

fn words(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.iter()
                .copied()
                .filter(|b| *b != b'"' && *b != b'\'')
                .collect()
        })
        .collect()
}

/// `User` by name needs `/etc/passwd` (and `/etc/group`) to start at all.
fn user_files(cx: &mut Cx) {
    let Some(user) = cx.image.config.user.clone() else {
        return;
    };
    let (u, g) = user.split_once(':').unwrap_or((&user, ""));
    let named = |s: &str| !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit());
    let why = format!("User {} is a name", crate::escape::escape_str(&user));
    if named(u) {
        cx.add(b"/etc/passwd", Part::Data, Sure::Exact, &why);
    }
    if named(u) || named(g) {
        cx.add(b"/etc/group", Part::Data, Sure::Exact, &why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(text: &str) -> Vec<String> {
        commands(text.as_bytes())
            .into_iter()
            .map(|c| {
                c.iter()
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn shell_text_splits_into_simple_commands() {
        assert_eq!(
            flat("set -e\n# comment\nFOO=1 /usr/bin/migrate --up && exec \"/app/server\" \"$@\" # run\n"),
            ["/usr/bin/migrate --up", "exec /app/server $@"]
        );
        assert_eq!(flat("if [ -x /x ]; then /x; fi"), ["/x"]);
        assert_eq!(flat("a | b; c || d & e"), ["a", "b", "c", "d", "e"]);
    }
}
