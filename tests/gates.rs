//! The CI gates of `diff` (`--fail-on`, `--max-size`), at the library
//! boundary: which limits fail, exactly at the limit, and what each failure
//! line says. (`inspect`'s gate is tested through the binary in
//! tests/inspect_waste.rs; `diff`'s exit codes in tests/diff_cli.rs.)

mod common;

use common::*;
use stagediff::analysis::{compare, Comparison, FindingKind, Rules};
use stagediff::report::diff::Gate;

/// BEFORE a small base; AFTER the base plus `extra`.
fn comparison(extra: &[T]) -> Comparison {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(&[T::Dir("etc"), T::File("etc/os-release", b"ID=test\n")]);
    let mut after_layer = vec![T::Dir("usr"), T::Dir("usr/bin")];
    after_layer.extend_from_slice(extra);
    let load = |name: &str, layers: Vec<Vec<u8>>| {
        let p = dir.path().join(name);
        std::fs::write(&p, docker_legacy(&layers, "g:1")).unwrap();
        stagediff::source::load(
            p.to_str().unwrap(),
            &Default::default(),
            &Default::default(),
        )
        .unwrap()
    };
    let before = load("before.tar", vec![base.clone()]);
    let after = load("after.tar", vec![base, layer(&after_layer)]);
    compare(&before, &after, &Rules::builtin())
}

const SETUID: [&str; 7] = [
    "usr/bin/s1",
    "usr/bin/s2",
    "usr/bin/s3",
    "usr/bin/s4",
    "usr/bin/s5",
    "usr/bin/s6",
    "usr/bin/s7",
];

fn setuid_files(n: usize) -> Vec<T> {
    SETUID[..n]
        .iter()
        .map(|p| T::Mode(p, b"suid", 0o4755))
        .collect()
}

fn gate(kinds: &[&str], max_size: Option<&str>) -> Gate {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    Gate::parse(&kinds, max_size).unwrap()
}

#[test]
fn max_size_is_inclusive() {
    let cmp = comparison(&[]);
    let size = cmp.after.image_size;
    assert!(size > 0);
    let at = gate(&[], Some(&size.to_string()));
    assert_eq!(at.max_size, Some(size));
    assert!(
        at.check(&cmp).is_empty(),
        "AFTER at exactly the limit passes"
    );
    let under = gate(&[], Some(&(size - 1).to_string()));
    let f = under.check(&cmp);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].check, "max-size");
    assert!(
        f[0].reason.contains(&format!("({size} bytes)"))
            && f[0].reason.contains(&format!("({} bytes)", size - 1)),
        "{}",
        f[0].reason
    );
    // No limit, no findings asked for: nothing fails.
    assert!(gate(&[], None).check(&cmp).is_empty());
}

#[test]
fn fail_on_lists_five_findings_then_counts_the_rest() {
    for (n, more) in [(1, None), (5, None), (6, Some(1)), (7, Some(2))] {
        let cmp = comparison(&setuid_files(n));
        let hits = cmp
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Setuid)
            .count();
        assert_eq!(hits, n, "{:?}", cmp.findings);
        let f = gate(&["setuid"], None).check(&cmp);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].check, "setuid");
        let noun = if n == 1 { "finding" } else { "findings" };
        let want_head = format!("AFTER ships {n} {noun}: ");
        assert!(f[0].reason.starts_with(&want_head), "{}", f[0].reason);
        let shown: Vec<&str> = f[0].reason[want_head.len()..].split(", ").collect();
        let paths: Vec<String> = SETUID[..n.min(5)].iter().map(|p| format!("/{p}")).collect();
        let mut want: Vec<String> = paths;
        if let Some(m) = more {
            want.push(format!("+{m} more"));
        }
        assert_eq!(shown, want, "{n} setuid files");
    }
}

#[test]
fn only_the_kinds_asked_for_fail_in_a_fixed_order() {
    // A setuid file and a world-writable one; a shell is not there.
    let cmp = comparison(&[
        T::Mode("usr/bin/s1", b"suid", 0o4755),
        T::Mode("usr/bin/open", b"anyone", 0o666),
    ]);
    let kinds: Vec<FindingKind> = cmp.findings.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FindingKind::Setuid) && kinds.contains(&FindingKind::WorldWritable));
    assert!(gate(&["shell"], None).check(&cmp).is_empty());
    assert!(gate(&["secret,package-manager"], None)
        .check(&cmp)
        .is_empty());
    // Asked in any order: size first, then kinds in FindingKind order.
    let size = cmp.after.image_size;
    let g = gate(
        &["world-writable", "shell,setuid"],
        Some(&(size - 1).to_string()),
    );
    let checks: Vec<String> = g.check(&cmp).into_iter().map(|f| f.check).collect();
    assert_eq!(checks, ["max-size", "setuid", "world-writable"]);
    let all = gate(&["all"], None).check(&cmp);
    let checks: Vec<&str> = all.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(checks, ["setuid", "world-writable"]);
}

#[test]
fn fail_on_parses_lists_aliases_and_refuses_unknown_kinds() {
    let g = gate(&[" setuid ,shell", "", "setgid,,shells"], Some("1.5kB"));
    assert_eq!(g.fail_on, [FindingKind::Shell, FindingKind::Setuid]);
    assert_eq!(g.max_size, Some(1500));
    assert_eq!(gate(&["all"], None).fail_on, FindingKind::ALL);
    assert_eq!(
        gate(&["secret", "all"], None).fail_on,
        FindingKind::ALL,
        "all, deduplicated"
    );
    assert!(gate(&[], None).fail_on.is_empty());
    let e = Gate::parse(&["shell,compilers".into()], None).unwrap_err();
    assert!(e.contains("unknown kind \"compilers\""), "{e}");
    assert!(e.contains("toolchain,source,shell"), "{e}");
    let e = Gate::parse(&["\u{1b}[2J".into()], None).unwrap_err();
    assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
    let e = Gate::parse(&[], Some("lots")).unwrap_err();
    assert!(e.starts_with("--max-size: "), "{e}");
}

#[test]
fn toolchain_failures_name_the_toolchain_not_a_file() {
    let cmp = comparison(&[
        T::Dir("usr/local/go"),
        T::File("usr/local/go/VERSION", b"go1.21.0\n"),
        T::Dir("usr/local/go/bin"),
        T::File("usr/local/go/bin/go", b"\x7fELF-go"),
    ]);
    let tc: Vec<_> = cmp
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Toolchain)
        .collect();
    assert_eq!(tc.len(), 1, "{:?}", cmp.findings);
    let f = gate(&["toolchain"], None).check(&cmp);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].reason,
        format!("AFTER ships 1 finding: {}", tc[0].detail)
    );
    assert_ne!(tc[0].detail, tc[0].path);
}
