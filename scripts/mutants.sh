#!/usr/bin/env bash
# Mutation testing (cargo-mutants) of the code whose failure would be silent: digest
# verification and layer reading, the sources' path handling, escaping, the comparison and
# the audit, the CI gates, the build info read from binaries. What is examined and what is excluded (with reasons) lives in
# .cargo/mutants.toml; this script runs it one group of files at a time against the fast test
# binaries that cover that group, one job, under nice.
#
# Usage: scripts/mutants.sh [--in-diff [REV]] [GROUP...]
#   GROUP      verify, escape, analysis, gates, binary, elf, closure, export (default: all)
#   --in-diff  only mutants on lines changed since REV (default HEAD~1: the last commit,
#              which a fresh clone of main has); a diff touching none of the files is a
#              logged skip, not a run
# Env: MUTANTS_IN_PLACE=1 mutates the checkout itself (the default when CI=true: no copy of
#      the tree, the debug build of `cargo test` is reused); otherwise cargo-mutants works in
#      a copy under /tmp with target/ copied along.
#      MUTANTS_TIMEOUT   seconds a group may take in all (default: none); running out of
#                        time is a failure (exit 124), not a pass
#      MUTANTS_BUILD_TIMEOUT  seconds one mutant's build may take (default 900)
#      MUTANTS_RE        only mutants whose name matches this regex (cargo mutants -F)
# Results: target/mutants/GROUP/mutants.out/ (caught.txt, missed.txt, timeout.txt,
# unviable.txt). Exit status: cargo-mutants' (0 all caught, 2 missed mutants), except that
# timeouts alone (cargo-mutants' 3) pass: a mutant that makes the tests hang until they are
# killed was detected (the tar walker's loops turned endless do that); they are listed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=mutants
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
cd "$repo"

# GROUP -> the files it mutates (globs as cargo-mutants takes them) and the test targets run
# for each mutant. Test targets that do not exist (yet) are left out with a log line.
files_of() {
  case $1 in
    verify) echo "src/image/resolve.rs src/image/digest.rs src/image/blob.rs src/image/tarwalk.rs src/image/capture.rs src/source/*.rs" ;;
    escape) echo "src/escape.rs src/error.rs" ;;
    analysis) echo "src/analysis/compare.rs src/analysis/audit.rs" ;;
    gates) echo "src/analysis/gate.rs src/cmd/inspect.rs src/cmd/diff.rs" ;;
    binary) echo "src/binary/go.rs src/binary/rust.rs" ;;
    elf) echo "src/binary/elf.rs" ;;
    closure) echo "src/binary/mod.rs src/analysis/closure/elf.rs src/analysis/closure/entry.rs src/analysis/closure/needs.rs src/analysis/closure/mod.rs" ;;
    export) echo "src/export/mod.rs src/export/layer.rs" ;;
    *) die "unknown group $1 (verify, escape, analysis, gates, binary, elf, closure, export)" ;;
  esac
}
tests_of() {
  case $1 in
    verify) echo "lib mutations engine_formats cli_errors hostile_input export" ;;
    escape) echo "lib cli_errors hostile_pipeline hostile_input ui_escaping" ;;
    analysis) echo "lib analysis_synthetic analysis_rpm demo_pair gates" ;;
    gates) echo "gates inspect_waste diff_cli" ;;
    binary) echo "lib binary_fixtures" ;;
    # The ELF reader's tests are unit tests: streamed facts against readelf on the host's
    # binaries and on programs cc and objcopy make, hand-made and hostile headers.
    elf) echo "lib" ;;
    closure) echo "lib plan_cli" ;;
    # The export has no unit tests; tests/export.rs writes archives through
    # plan --export and the library and reads them back (no docker).
    export) echo "export" ;;
  esac
}

# Unit tests a group leaves out (cargo test's --skip, matched as a substring of the name): only
# those that cannot reach the group's files and would only slow each mutant down.
skips_of() {
  case $1 in
    # The ELF reader's own tests compile C programs for each run; the closure code is not
    # on their path (they call binary::elf and the Go and Rust parsers only).
    closure) echo "binary::elf::tests::" ;;
  esac
}

in_diff=
base=
groups=()
while (($#)); do
  case $1 in
    --in-diff)
      in_diff=1
      if [[ ${2:-} && $2 != -* && ! $2 =~ ^(verify|escape|analysis|gates|binary|elf|closure|export)$ ]]; then
        base=$2
        shift
      fi
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) groups+=("$1") ;;
  esac
  shift
done
((${#groups[@]})) || groups=(verify escape analysis gates binary elf closure export)
for group in "${groups[@]}"; do
  [[ $group =~ ^(verify|escape|analysis|gates|binary|elf|closure|export)$ ]] || die "unknown group $group (verify, escape, analysis, gates, binary, elf, closure, export)"
done
base=${base:-HEAD~1}

place_args=()
if [[ ${MUTANTS_IN_PLACE:-} == 1 || (${CI:-} == true && ${MUTANTS_IN_PLACE:-} != 0) ]]; then
  place_args=(--in-place)
else
  place_args=(--copy-target=true)
fi

diff_file=
if [[ $in_diff ]]; then
  if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
    # A shallow clone lacks the parent: fetch one more commit rather than skip.
    git fetch -q --deepen=1 2>/dev/null || true
    git rev-parse -q --verify "$base^{commit}" >/dev/null ||
      die "cannot diff against $base: not in this clone"
  fi
  diff_file=$(mktemp)
  trap 'rm -f "$diff_file"' EXIT
fi

# With --in-diff, only the groups whose files the diff touches run.
todo=()
for group in "${groups[@]}"; do
  read -r -a globs <<<"$(files_of "$group")"
  # The globs are cargo-mutants' and git's alike (src/source/*.rs).
  if [[ $in_diff ]] && git diff --quiet "$base" -- "${globs[@]}"; then
    log "$group: skipped, the diff against $base ($(git rev-parse --short "$base")) touches none of ${globs[*]}"
  else
    todo+=("$group")
  fi
done
if ((${#todo[@]} == 0)); then
  log "nothing to mutate"
  exit 0
fi

if ! command -v cargo-mutants >/dev/null; then
  [[ ${CI:-} == true ]] || die "cargo-mutants is not installed: cargo install --locked cargo-mutants"
  log "installing cargo-mutants"
  cargo install --quiet --locked cargo-mutants
fi

status=0
t_all=$EPOCHREALTIME
for group in "${todo[@]}"; do
  read -r -a globs <<<"$(files_of "$group")"
  [[ $in_diff ]] && git diff "$base" -- "${globs[@]}" >"$diff_file"
  # --in-place runs one mutant at a time by itself (it refuses --jobs).
  args=(--output "target/mutants/$group" --build-timeout "${MUTANTS_BUILD_TIMEOUT:-900}" "${place_args[@]}")
  [[ ${place_args[0]} == --in-place ]] || args+=(--jobs 1)
  for g in "${globs[@]}"; do args+=(--file "$g"); done
  [[ $in_diff ]] && args+=(--in-diff "$diff_file")
  [[ ${MUTANTS_RE:-} ]] && args+=(--re "$MUTANTS_RE")
  # The test targets go to every cargo call (--cargo-arg), so the build of each mutant
  # compiles only them, not the twenty-odd other test binaries.
  targets=()
  for t in $(tests_of "$group"); do
    if [[ $t == lib ]]; then
      targets+=(--lib)
    elif [[ -f tests/$t.rs ]]; then
      targets+=(--test "$t")
    else
      log "$group: tests/$t.rs does not exist, not run"
    fi
  done
  for t in "${targets[@]}"; do args+=("--cargo-arg=$t"); done
  skips=$(skips_of "$group")
  if [[ $skips ]]; then
    args+=(--cargo-test-arg=--)
    for t in $skips; do args+=(--cargo-test-arg=--skip "--cargo-test-arg=$t"); done
  fi
  mkdir -p "target/mutants/$group"
  log "$group: cargo mutants ${args[*]}"
  t0=$EPOCHREALTIME
  rc=0
  if [[ ${MUTANTS_TIMEOUT:-} ]]; then
    timeout --signal=INT "$MUTANTS_TIMEOUT" nice -n 19 cargo mutants "${args[@]}" || rc=$?
    ((rc != 124)) ||
      log "$group: stopped after ${MUTANTS_TIMEOUT}s, so not every mutant ran (the figures below are partial): run scripts/mutants.sh $group without a time limit"
  else
    nice -n 19 cargo mutants "${args[@]}" || rc=$?
  fi
  out=target/mutants/$group/mutants.out
  count() { if [[ -f $out/$1.txt ]]; then awk 'END { print NR }' "$out/$1.txt"; else echo 0; fi; }
  log "$group: caught $(count caught), missed $(count missed), unviable $(count unviable), timeout $(count timeout) in $(elapsed_since "$t0")s (exit $rc)"
  if [[ -s $out/missed.txt ]]; then
    log "$group: missed mutants:"
    sed 's/^/  /' "$out/missed.txt" >&2
  fi
  if ((rc == 3)); then
    log "$group: mutants that made the tests hang (detected, killed at the timeout):"
    sed 's/^/  /' "$out/timeout.txt" >&2
    rc=0
  fi
  ((rc == 0)) || status=$rc
done
log "done in $(elapsed_since "$t_all")s"
exit "$status"
