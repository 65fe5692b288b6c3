#!/usr/bin/env bash
# Runs the commands README.md shows (those .ci/run does not already run: `cargo test` and
# scripts/e2e.sh are its own steps), so the README cannot drift from what works.
# Needs: a docker daemon with the test images (scripts/e2e.sh leaves them), tmux.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=readme
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
cd "$repo"

tmp=$(mktemp -d)
trap 'tmux kill-session -t readme-quickstart 2>/dev/null || true; rm -rf "$tmp"' EXIT

log "cargo install --locked --path ."
cargo install --quiet --locked --path . --root "$tmp/root"
stagediff=$tmp/root/bin/stagediff
export PATH=$tmp/root/bin:$PATH
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[[ $("$stagediff" --version) == "stagediff $version" ]] ||
  die "the installed binary says $("$stagediff" --version), Cargo.toml says $version"

log "quick start: cargo run --release opens the TUI on the demo pair; q quits"
cargo build --release --quiet
tmux new-session -d -s readme-quickstart -x 120 -y 35 "cargo run --release; echo EXITED:\$?; sleep 30"
for _ in $(seq 1 100); do
  tmux capture-pane -p -t readme-quickstart | grep -q 'smaller' && break
  sleep 0.2
done
tmux capture-pane -p -t readme-quickstart | grep -q 'single.docker.tar.zst' ||
  die "the TUI did not show the demo pair: $(tmux capture-pane -p -t readme-quickstart)"
tmux send-keys -t readme-quickstart q
for _ in $(seq 1 50); do
  tmux capture-pane -p -t readme-quickstart | grep -q 'EXITED:0' && break
  sleep 0.2
done
tmux capture-pane -p -t readme-quickstart | grep -q 'EXITED:0' || die "q did not quit the TUI cleanly"

log "stagediff demo --json / --markdown"
"$stagediff" demo --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["schema"]=="stagediff.diff/v1", d["schema"]'
"$stagediff" demo --markdown | grep -q '^| toolchain'

log "stagediff inspect IMAGE [--json]"
"$stagediff" inspect docker-archive:assets/demo/single.docker.tar.zst | grep -q '^Layers'
"$stagediff" inspect --json docker-archive:assets/demo/multi.docker.tar.zst |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["schema"]=="stagediff.inspect/v1"'

log "stagediff inspect IMAGE --max-wasted 20MB --min-efficiency 90"
# Within both limits: exit 0 and no FAIL line.
"$stagediff" inspect docker-archive:assets/demo/single.docker.tar.zst --max-wasted 20MB --min-efficiency 90 >"$tmp/gate.out"
grep -q '^Wasted' "$tmp/gate.out" || die "no Wasted line: $(cat "$tmp/gate.out")"
! grep -q '^FAIL' "$tmp/gate.out" || die "the gate failed within its limits: $(grep '^FAIL' "$tmp/gate.out")"
# (Over a limit it prints FAIL lines and exits 1: tests/inspect_waste.rs, on images built
# to waste; the demo image wastes nothing.)

log "stagediff plan IMAGE [--json|--markdown] [--max-removable SIZE]"
"$stagediff" plan stagediff-test/goapp:single >"$tmp/plan.out"
grep -q 'static Go .* binary' "$tmp/plan.out" || die "plan did not name the Go binary: $(head -5 "$tmp/plan.out")"
grep -q '^  FROM scratch' "$tmp/plan.out" || die "plan suggested no FROM scratch stage"
"$stagediff" plan --json stagediff-test/goapp:single |
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["schema"]=="stagediff.plan/v1"; assert d["closure"]["exact"]'
"$stagediff" plan --markdown stagediff-test/goapp:single | grep -q '^```dockerfile'
set +e
"$stagediff" plan stagediff-test/goapp:single --max-removable 100MB >/dev/null 2>"$tmp/plan.err"
rc=$?
set -e
((rc == 1)) || die "--max-removable 100MB exited $rc on an image with 877 MB to remove, want 1"

log "diff --fail-on unused:SIZE"
set +e
stagediff diff stagediff-test/goapp:multi stagediff-test/goapp:single --fail-on unused:50MB >/dev/null 2>"$tmp/unused.err"
rc=$?
set -e
((rc == 1)) || die "--fail-on unused:50MB exited $rc on a Debian image running one static binary, want 1"
grep -q 'never uses' "$tmp/unused.err" || die "no unused gate line: $(cat "$tmp/unused.err")"

log "docker save app | stagediff inspect -"
docker save stagediff-test/goapp:multi | "$stagediff" inspect - | grep -q '/app'

log "CI gate: --fail-on toolchain,source --markdown >> \$GITHUB_STEP_SUMMARY"
GITHUB_STEP_SUMMARY=$tmp/summary.md
: >"$GITHUB_STEP_SUMMARY"
stagediff diff stagediff-test/goapp:single stagediff-test/goapp:multi --fail-on toolchain,source --markdown >> "$GITHUB_STEP_SUMMARY"
grep -q 'Eliminated by bucket' "$GITHUB_STEP_SUMMARY" || die "no Markdown in the step summary"
# The gate must also fail when the runtime image does ship a toolchain.
set +e
stagediff diff stagediff-test/goapp:multi stagediff-test/goapp:single --fail-on toolchain,source --markdown >/dev/null 2>"$tmp/gate.err"
rc=$?
set -e
((rc == 1)) || die "the gate exited $rc on an AFTER that ships Go, want 1: $(cat "$tmp/gate.err")"

log "rules from a config file (the README's example)"
cat >"$tmp/config.toml" <<'TOML'
[[rules]]
name = "Our code generator output"
bucket = "build-cache"
paths = ["gen/**"]

[buckets]
disable = ["Node.js"]   # drop a built-in rule by name

[audit]
shells = ["nu"]
TOML
"$stagediff" diff --config "$tmp/config.toml" docker-archive:assets/demo/single.docker.tar.zst \
  docker-archive:assets/demo/multi.docker.tar.zst >"$tmp/config.out"
grep -q '^Eliminated ' "$tmp/config.out" && grep -q '^  toolchain ' "$tmp/config.out" ||
  die "diff with the README's config printed no bucket table: $(head -20 "$tmp/config.out")"

log "benchmarks: they must run; their figures are read by people, not asserted"
BENCH_RUNS=2 bash scripts/bench.sh
grep -q 'stagediff inspect' fixtures-cache/bench/bench.md || die "bench.sh produced no stagediff rows"
cargo bench --bench view

log "every README command ran"
