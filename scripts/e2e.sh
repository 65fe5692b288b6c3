#!/usr/bin/env bash
# End-to-end tests against real images: make sure a docker daemon runs, build the real test
# image pairs into fixtures-cache/ (cached), then run the suites that need them
# (tests/docker_e2e.rs, tests/analysis_real.rs, tests/ui_latency.rs, tests/closure_real.rs,
# tests/closure_deps_real.rs, tests/export_e2e.rs), each
# counted on its own.
# Fails, rather than passing quietly, when a suite is missing or runs fewer tests than it declares.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=e2e
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
cd "$repo"

# The suites that need the built images, each run and counted on its own below.
suites=(docker_e2e analysis_real ui_latency closure_real closure_deps_real export_e2e)
# Checked first so a missing suite costs seconds, not an image build.
for suite in "${suites[@]}"; do
  [[ -f tests/$suite.rs ]] ||
    die "tests/$suite.rs does not exist: that end-to-end suite cannot run, so e2e cannot pass"
done

t0=$EPOCHREALTIME
bash scripts/ensure-docker.sh
bash scripts/build-test-images.sh "$repo/fixtures-cache"
log "images ready in $(elapsed_since "$t0")s"

# podman's API socket, for the podman:// reference: rootful, vfs storage like dockerd's.
if ! command -v podman >/dev/null 2>&1; then
  log "installing podman"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman >/dev/null
fi
# A socket file can outlive its service (a killed session leaves it): ask it, don't trust it.
if ! podman --remote --url unix:///run/podman/podman.sock version >/dev/null 2>&1; then
  rm -f /run/podman/podman.sock
  mkdir -p /run/podman
  podman --storage-driver=vfs system service --time=0 unix:///run/podman/podman.sock >/tmp/podman.log 2>&1 &
  for _ in $(seq 1 50); do
    podman --remote --url unix:///run/podman/podman.sock version >/dev/null 2>&1 && break
    sleep 0.2
  done
  podman --remote --url unix:///run/podman/podman.sock version >/dev/null 2>&1 ||
    die "podman's API socket does not answer: $(tail -5 /tmp/podman.log)"
fi
podman --storage-driver=vfs load -q -i "$repo/fixtures-cache/goapp-multi.docker.tar" >/dev/null

# Each suite is run and counted on its own: the number that passed must be the number of
# tests the suite declares (`--list`), so a suite that runs nothing, skips, or loses a test
# to a filter fails here instead of hiding behind another suite's count. CI=true turns any
# remaining "fixture missing" skip into a failure (the images were just built).
export STAGEDIFF_FIXTURES=$repo/fixtures-cache CI=true
t0=$EPOCHREALTIME
build_args=()
for suite in "${suites[@]}"; do build_args+=(--test "$suite"); done
cargo test --release --no-run "${build_args[@]}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
total=0
for suite in "${suites[@]}"; do
  declared=$(cargo test --release -q --test "$suite" -- --list --include-ignored 2>/dev/null |
    grep -c ': test$' || true)
  ((declared > 0)) || die "tests/$suite.rs declares no test"
  if ! cargo test --release --test "$suite" -- --include-ignored 2>&1 | tee "$out"; then
    die "tests/$suite.rs failed"
  fi
  results=$(grep -c '^test result: ' "$out" || true)
  ((results == 1)) || die "tests/$suite.rs: expected one test result line, found $results"
  passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$out")
  [[ $passed == "$declared" ]] ||
    die "tests/$suite.rs: ${passed:-0} tests passed, the suite declares $declared"
  log "tests/$suite.rs: $passed of $declared tests passed"
  total=$((total + passed))
done
log "end-to-end suites finished in $(elapsed_since "$t0")s: $total tests in ${#suites[@]} suites"
